package dqlite

import (
	"strings"
	"time"
)

// dqlite's SQLite has none of the PostgreSQL functions the catalog
// registers into modernc SQLite, and the translator turns CURRENT_TIMESTAMP,
// CURRENT_DATE and now() into calls to them. The current time is the one
// such value a write needs most, so those calls are replaced by literals in
// the storage format single mode uses, with PostgreSQL's semantics: the
// transaction's start time inside a transaction, the statement's otherwise.
var timeCalls = []struct {
	call   string
	layout string
	utc    bool
}{
	// Longest first: pg_cast(now(), …) contains now().
	{"pg_cast(now(), 'date')", "2006-01-02", false},
	{"now()", "2006-01-02 15:04:05.999999+00:00", true},
	{"transaction_timestamp()", "2006-01-02 15:04:05.999999+00:00", true},
	{"statement_timestamp()", "2006-01-02 15:04:05.999999+00:00", true},
	{"clock_timestamp()", "2006-01-02 15:04:05.999999+00:00", true},
}

// bindTime rewrites the time calls of query outside string literals,
// quoted identifiers and comments. clock gives the time to bind and the
// session's time zone (for dates); it is called only for a query that has
// a time call, and once.
func bindTime(query string, clock func() (time.Time, *time.Location)) string {
	lower := strings.ToLower(query)
	if !strings.Contains(lower, "()") {
		return query
	}
	if f := strings.Fields(lower); len(f) > 0 && (f[0] == "create" || f[0] == "alter") {
		// A DEFAULT now() must stay a call; a literal would freeze it.
		return query
	}
	var (
		b     strings.Builder
		t     time.Time
		loc   *time.Location
		timed bool
	)
	for i := 0; i < len(query); {
		switch c := query[i]; {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end
			continue
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
			continue
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end
			continue
		}
		if i == 0 || !isIdentByte(query[i-1]) {
			matched := false
			for _, tc := range timeCalls {
				if strings.HasPrefix(lower[i:], tc.call) {
					if !timed {
						t, loc = clock()
						timed = true
					}
					v := t.In(loc)
					if tc.utc {
						v = t.UTC()
					}
					b.WriteString("'" + v.Format(tc.layout) + "'")
					i += len(tc.call)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		b.WriteByte(query[i])
		i++
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
