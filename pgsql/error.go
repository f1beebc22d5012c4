package pgsql

import (
	"fmt"
	"unicode/utf8"
)

// SQLSTATE codes this package reports. The wire layer copies Error.Code
// verbatim into the ErrorResponse 'C' field, so these must be the exact
// five-character codes PostgreSQL uses for the same conditions.
const (
	CodeSyntaxError              = "42601" // syntax_error
	CodeFeatureNotSupported      = "0A000" // feature_not_supported
	CodeInsufficientPrivilege    = "42501" // insufficient_privilege
	CodeUndefinedParameter       = "42P02" // undefined_parameter
	CodeCharacterNotInRepertoire = "22021" // character_not_in_repertoire
	CodeInvalidEscapeSequence    = "22025" // invalid_escape_sequence
	CodeInvalidParameterValue    = "22023" // invalid_parameter_value
)

// Error is a SQL error with a PostgreSQL SQLSTATE; wire turns it into an
// ErrorResponse. Position, when non-zero, is the 1-based character (not
// byte) offset into the statement text, which is what the 'P' field of an
// ErrorResponse carries and what psql uses to draw its caret.
type Error struct {
	Code     string
	Message  string
	Position int // 1-based char position or 0
}

func (e *Error) Error() string {
	if e.Position > 0 {
		return fmt.Sprintf("%s (SQLSTATE %s) at position %d", e.Message, e.Code, e.Position)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

// ShiftError makes the Position of err, an *Error about a statement that
// starts at byte offset off of query, relative to query instead. Other
// errors, and errors without a position, are returned unchanged.
func ShiftError(err error, query string, off int) error {
	if e, ok := err.(*Error); ok && e.Position > 0 {
		shifted := *e
		shifted.Position += charPos(query, off) - 1
		return &shifted
	}
	return err
}

// errAt builds an *Error positioned at byte offset off of src. A negative
// offset means "no position".
func errAt(src string, off int, code, format string, args ...any) *Error {
	e := &Error{Code: code, Message: fmt.Sprintf(format, args...)}
	if off >= 0 {
		e.Position = charPos(src, off)
	}
	return e
}

// charPos converts a byte offset to PostgreSQL's 1-based character position.
func charPos(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

// nearText renders the "at or near" fragment PostgreSQL appends to lexer
// errors: the rest of the input from the offending token, as PG's flex
// scanner reports it for unterminated literals.
func nearText(s string) string {
	const max = 60
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
