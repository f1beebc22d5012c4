package dqlite

import (
	"testing"
	"time"
)

func TestBindTime(t *testing.T) {
	at := time.Date(2026, 11, 22, 23, 30, 1, 123456000, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct{ in, want string }{
		{"INSERT INTO h (t) VALUES (now())", "INSERT INTO h (t) VALUES ('2026-11-22 23:30:01.123456+00:00')"},
		{"SELECT pg_cast(now(), 'date')", "SELECT '2026-11-23'"},
		{"SELECT 'now()', \"now()\", mynow(), x -- now()\n, NOW()", "SELECT 'now()', \"now()\", mynow(), x -- now()\n, '2026-11-22 23:30:01.123456+00:00'"},
		{"SELECT 1 /* now() */", "SELECT 1 /* now() */"},
		{"SELECT 'it''s now()'", "SELECT 'it''s now()'"},
		{"SELECT 'unterminated now()", "SELECT 'unterminated now()"},
		{"CREATE TABLE x (t text DEFAULT (now()))", "CREATE TABLE x (t text DEFAULT (now()))"},
	} {
		if got := bindTime(tc.in, at, tokyo); got != tc.want {
			t.Errorf("bindTime(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
