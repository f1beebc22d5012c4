package engine

import "fmt"

// Error is an error with a PostgreSQL SQLSTATE, produced by the engine and
// understood by the wire layer.
type Error struct {
	Code    string // SQLSTATE
	Message string
	Detail  string
	Hint    string
	Err     error // underlying cause, if any
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// SQLState returns the five-character SQLSTATE.
func (e *Error) SQLState() string { return e.Code }

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
