package sqlite

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
)

// messageRE strips modernc's decoration ("SQL logic error: … (1)") so clients
// see SQLite's own message, which is what PostgreSQL users can act on.
var messageRE = regexp.MustCompile(`^(?:[a-zA-Z ]+ error|constraint failed|database is locked|interrupted|[a-zA-Z ]+): (.*?)(?: \(\d+\))?$`)

// translateError turns a SQLite error into an *engine.Error carrying the
// SQLSTATE a PostgreSQL client expects. Errors that already carry a SQLSTATE
// pass through unchanged.
func translateError(err error) error {
	if err == nil {
		return nil
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		return err
	}
	if s, ok := err.(interface{ SQLState() string }); ok {
		return &engine.Error{Code: s.SQLState(), Message: err.Error(), Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &engine.Error{Code: "57014", Message: "canceling statement due to user request", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &engine.Error{Code: "57014", Message: "canceling statement due to statement timeout", Err: err}
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return &engine.Error{Code: "XX000", Message: err.Error(), Err: err}
	}
	msg := se.Error()
	// The PostgreSQL functions report their own SQLSTATE inside SQLite's
	// error text.
	if code, m, ok := catalog.ErrorCode(msg); ok {
		return &engine.Error{Code: code, Message: m, Err: err}
	}
	if m := messageRE.FindStringSubmatch(msg); m != nil {
		msg = m[1]
	}
	code := se.Code()
	e := &engine.Error{Message: msg, Err: err}
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT:
		switch code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			e.Code = "23505"
			e.Message = "duplicate key value violates unique constraint: " + strings.TrimPrefix(msg, "UNIQUE constraint failed: ")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			e.Code = "23503"
			e.Message = "insert or update violates foreign key constraint"
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			e.Code = "23502"
			e.Message = "null value violates not-null constraint: " + strings.TrimPrefix(msg, "NOT NULL constraint failed: ")
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			e.Code = "23514"
			e.Message = "new row violates check constraint: " + strings.TrimPrefix(msg, "CHECK constraint failed: ")
		default:
			e.Code = "23000"
		}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		e.Code = "40001"
		e.Message = "could not serialize access due to concurrent update"
	case sqlite3.SQLITE_READONLY:
		e.Code = "25006"
	case sqlite3.SQLITE_INTERRUPT:
		e.Code = "57014"
		e.Message = "canceling statement due to user request"
	case sqlite3.SQLITE_FULL:
		e.Code = "53100"
	case sqlite3.SQLITE_IOERR:
		e.Code = "58030"
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		e.Code = "XX001"
	case sqlite3.SQLITE_NOMEM:
		e.Code = "53200"
	case sqlite3.SQLITE_TOOBIG:
		e.Code = "54000"
	case sqlite3.SQLITE_MISMATCH:
		e.Code = "42804"
	case sqlite3.SQLITE_RANGE:
		e.Code = "08P01"
	case sqlite3.SQLITE_AUTH, sqlite3.SQLITE_PERM:
		e.Code = "42501"
	default:
		e.Code = engine.SQLStateFromMessage(msg)
	}
	return e
}
