INSERT INTO t (ts, data, note) VALUES ('2024-01-02T03:04:05.000006+00:00'::timestamptz, '\x00ff10'::bytea, E'it''s a \\ backslash')
