package dqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	dqdriver "github.com/canonical/go-dqlite/driver"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
)

// SQLite result codes as dqlite reports them (extended codes are enabled on
// the server's connections).
const (
	codeError      = 1
	codeBusy       = 5
	codeLocked     = 6
	codeNoMem      = 7
	codeReadOnly   = 8
	codeInterrupt  = 9
	codeIOErr      = 10
	codeCorrupt    = 11
	codeFull       = 13
	codeTooBig     = 18
	codeConstraint = 19
	codeMismatch   = 20
	codeAuth       = 23
	codeRange      = 25
	codeNotADB     = 26
	codePerm       = 3

	codeBusySnapshot = codeBusy | 2<<8

	codeConstraintCheck      = codeConstraint | 1<<8
	codeConstraintForeignKey = codeConstraint | 3<<8
	codeConstraintNotNull    = codeConstraint | 5<<8
	codeConstraintPrimaryKey = codeConstraint | 6<<8
	codeConstraintUnique     = codeConstraint | 8<<8
)

// errLeaderLost marks an error that means the connection to the leader is
// gone (go-dqlite reports "not leader", "leadership lost" and network
// failures all as driver.ErrBadConn). Whatever the connection was doing on
// the server is rolled back unless it was a COMMIT, whose outcome is then
// unknown.
type errLeaderLost struct{ err error }

func (e *errLeaderLost) Error() string {
	return "lost the connection to the dqlite leader: " + e.err.Error()
}
func (e *errLeaderLost) Unwrap() error { return e.err }

func isLeaderLost(err error) bool {
	var l *errLeaderLost
	if errors.As(err, &l) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	// The leader's process died mid-call: go-dqlite returns the broken
	// read ("call exec-sql …: receive: header: EOF") rather than
	// ErrBadConn.
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &ne) || isLeaderStopping(err)
}

// isLeaderStopping recognizes how libdqlite 1.11 ends a statement when its
// node stops while leading (found by the fault suite's rolling restarts):
// SQLITE_NOMEM with the text of SQLITE_DONE. Taken literally it would
// reach clients as 53200 out_of_memory; it means the leader went away.
func isLeaderStopping(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code&0xff == codeNoMem && strings.Contains(err.Error(), "no more rows available")
}

// sqliteCode returns the (extended) SQLite result code of a dqlite error.
func sqliteCode(err error) (int, bool) {
	var de dqdriver.Error
	if errors.As(err, &de) {
		return de.Code, true
	}
	return 0, false
}

// isBusy reports a lock conflict worth retrying: SQLITE_BUSY (another
// connection holds the write lock), but not BUSY_SNAPSHOT, which means the
// transaction's snapshot is stale and only a new transaction can succeed.
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	if !ok {
		return false
	}
	return (code&0xff == codeBusy && code != codeBusySnapshot) || code&0xff == codeLocked
}

func isBusySnapshot(err error) bool {
	code, ok := sqliteCode(err)
	return ok && code == codeBusySnapshot
}

// Errors with fixed SQLSTATEs that the engine produces itself.
func serializationFailure(why string) *engine.Error {
	return &engine.Error{Code: "40001", Message: "could not serialize access due to concurrent update", Detail: why}
}

func leaderLostInTx(err error) *engine.Error {
	return &engine.Error{Code: "40001", Message: "could not serialize access: the raft leader changed and the transaction was rolled back",
		Hint: "Retry the transaction.", Err: err}
}

func commitUnknown(err error) *engine.Error {
	return &engine.Error{Code: "08007", Message: "connection to the raft leader lost during commit: the transaction may or may not have been committed",
		Err: err}
}

func noLeader(err error) *engine.Error {
	return &engine.Error{Code: "57P03", Message: "no raft leader available: the cluster has no quorum or is electing a leader",
		Hint: "Retry shortly.", Err: err}
}

func txAborted() *engine.Error {
	return engine.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
}

func canceled(err error) *engine.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &engine.Error{Code: "57014", Message: "canceling statement due to statement timeout", Err: err}
	}
	return &engine.Error{Code: "57014", Message: "canceling statement due to user request", Err: err}
}

// translateError turns an error from dqlite (or from the schema mirror) into
// an *engine.Error with the SQLSTATE a PostgreSQL client expects. The mapping
// follows engine/sqlite's for the same SQLite messages, so clients see the
// same codes in both modes.
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
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return canceled(err)
	}
	if errors.Is(err, dqdriver.ErrNoAvailableLeader) {
		return noLeader(err)
	}
	if isLeaderLost(err) {
		return leaderLostInTx(err)
	}
	code, ok := sqliteCode(err)
	msg := err.Error()
	if !ok {
		if c, ok := mirrorCode(err); ok {
			code = c
		} else {
			return &engine.Error{Code: "XX000", Message: msg, Err: err}
		}
		msg = mirrorMessage(msg)
	}
	// The catalog's PostgreSQL functions (mirror only) carry their own
	// SQLSTATE inside SQLite's error text.
	if c, m, ok := catalog.ErrorCode(msg); ok {
		return &engine.Error{Code: c, Message: m, Err: err}
	}
	return &engine.Error{Code: sqlstate(code, msg), Message: message(code, msg), Err: err}
}

// sqlstate maps a SQLite result code and message to a SQLSTATE.
func sqlstate(code int, msg string) string {
	switch code & 0xff {
	case codeConstraint:
		switch code {
		case codeConstraintUnique, codeConstraintPrimaryKey:
			return "23505"
		case codeConstraintForeignKey:
			return "23503"
		case codeConstraintNotNull:
			return "23502"
		case codeConstraintCheck:
			return "23514"
		}
		return "23000"
	case codeBusy, codeLocked:
		return "40001"
	case codeReadOnly:
		return "25006"
	case codeInterrupt:
		return "57014"
	case codeFull:
		return "53100"
	case codeIOErr:
		return "58030"
	case codeCorrupt, codeNotADB:
		return "XX001"
	case codeNoMem:
		return "53200"
	case codeTooBig:
		return "54000"
	case codeMismatch:
		return "42804"
	case codeRange:
		return "08P01"
	case codeAuth, codePerm:
		return "42501"
	}
	return engine.SQLStateFromMessage(msg)
}

// message rewords the constraint messages the way PostgreSQL users expect
// them; everything else is SQLite's own text.
func message(code int, msg string) string {
	switch code {
	case codeConstraintUnique, codeConstraintPrimaryKey:
		return "duplicate key value violates unique constraint: " + strings.TrimPrefix(msg, "UNIQUE constraint failed: ")
	case codeConstraintForeignKey:
		return "insert or update violates foreign key constraint"
	case codeConstraintNotNull:
		return "null value violates not-null constraint: " + strings.TrimPrefix(msg, "NOT NULL constraint failed: ")
	case codeConstraintCheck:
		return "new row violates check constraint: " + strings.TrimPrefix(msg, "CHECK constraint failed: ")
	}
	switch code & 0xff {
	case codeBusy, codeLocked:
		return "could not serialize access due to concurrent update"
	case codeInterrupt:
		return "canceling statement due to user request"
	}
	return msg
}
