package wire

import (
	"errors"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// sqlStater is implemented by every error type that knows its SQLSTATE
// (engine, pgsql, pgtypes, pgcopy and protocol errors).
type sqlStater interface{ SQLState() string }

// errorResponse converts err into a PostgreSQL ErrorResponse. Errors
// without a SQLSTATE are internal (XX000): their text still reaches the
// client, because a vague error is worse than a raw one.
func errorResponse(err error) *pgproto3.ErrorResponse {
	er := &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: "XX000", Message: err.Error()}
	var ee *engine.Error
	if errors.As(err, &ee) {
		er.Code, er.Message, er.Detail, er.Hint = ee.Code, ee.Message, ee.Detail, ee.Hint
		return er
	}
	var pe *pgsql.Error
	if errors.As(err, &pe) {
		er.Code, er.Message, er.Position = pe.Code, pe.Message, int32(pe.Position)
		return er
	}
	var te *pgtypes.Error
	if errors.As(err, &te) {
		er.Code, er.Message = te.Code, te.Message
		return er
	}
	var st sqlStater
	if errors.As(err, &st) {
		er.Code = st.SQLState()
	}
	if p, ok := err.(interface{ ErrorPosition() int }); ok {
		er.Position = int32(p.ErrorPosition())
	}
	return er
}

// sqlState returns err's SQLSTATE for metrics.
func sqlState(err error) string {
	return errorResponse(err).Code
}

func notice(severity, code, msg string) *pgproto3.NoticeResponse {
	return &pgproto3.NoticeResponse{Severity: severity, SeverityUnlocalized: severity, Code: code, Message: msg}
}

// isCancel reports a statement cancellation, after which the statement's
// transaction is in an unknown state and must be rolled back.
func isCancel(err error) bool {
	return sqlState(err) == "57014" || strings.HasPrefix(sqlState(err), "57P")
}
