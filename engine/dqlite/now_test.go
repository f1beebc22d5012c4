package dqlite

import (
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
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
		if got := bindTime(tc.in, func() (time.Time, *time.Location) { return at, tokyo }); got != tc.want {
			t.Errorf("bindTime(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// The session's TimeZone is resolved with SET TimeZone's rules (any case,
// POSIX offsets), so pg_cast(now(), 'date') agrees with single mode.
func TestSessionLocation(t *testing.T) {
	tz := "asia/tokyo"
	s := &session{info: engine.SessionInfo{Settings: func(name string) (string, bool) { return tz, name == "TimeZone" }}}
	at := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		tz     string
		offset int
	}{{"asia/tokyo", 9 * 3600}, {"UTC", 0}, {"<-03>+03", -3 * 3600}, {"no/such/zone", 0}, {"Asia/Tokyo", 9 * 3600}} {
		tz = tc.tz
		if _, off := at.In(s.location()).Zone(); off != tc.offset {
			t.Errorf("TimeZone %q: offset %d, want %d", tc.tz, off, tc.offset)
		}
	}
}
