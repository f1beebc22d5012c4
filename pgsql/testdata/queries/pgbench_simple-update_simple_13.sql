INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (4, 1, 88816, 1470, CURRENT_TIMESTAMP);
