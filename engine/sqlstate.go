package engine

import "strings"

// Both engines run SQLite (modernc in single and stream mode, dqlite's in
// raft mode) and report its generic SQLITE_ERROR failures only by message.

// messageCodes maps SQLite's generic (SQLITE_ERROR) messages to SQLSTATEs by
// their stable prefixes or fragments; the first match wins.
var messageCodes = []struct{ frag, code string }{
	{"no such table", "42P01"},
	{"no such view", "42P01"},
	{"no such column", "42703"},
	{"has no column named", "42703"},
	{"no such function", "42883"},
	{"wrong number of arguments to function", "42883"},
	{"no such index", "42704"},
	{"no such trigger", "42704"},
	{"no such savepoint", "3B001"},
	{"already exists", "42P07"},
	{"ambiguous column name", "42702"},
	{"syntax error", "42601"},
	{"incomplete input", "42601"},
	{"unrecognized token", "42601"},
	{"values were supplied", "42601"},
	{"misuse of aggregate", "42803"},
	{"misuse of window function", "42P20"},
	{"integer overflow", "22003"},
	{"too many", "54001"},
	{"parser stack overflow", "54001"},
	{"may not be modified", "42809"},
	{"cannot modify", "42809"},
	{"datatype mismatch", "42804"},
	{"cannot commit - no transaction is active", "25P01"},
	{"cannot rollback - no transaction is active", "25P01"},
	{"cannot start a transaction within a transaction", "25001"},
	{"malformed JSON", "22P02"},
}

// SQLStateFromMessage maps a SQLite error message to a SQLSTATE by its
// stable fragments ("no such table" → 42P01 …), 42000 when none matches.
func SQLStateFromMessage(msg string) string {
	for _, m := range messageCodes {
		if strings.Contains(msg, m.frag) {
			return m.code
		}
	}
	return "42000"
}
