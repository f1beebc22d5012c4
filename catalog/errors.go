package catalog

import (
	"fmt"
	"regexp"
)

// SQL functions cannot return typed errors through SQLite: the driver turns
// whatever a function returns into sqlite3_result_error text. So a function
// that must fail with a specific SQLSTATE embeds it in the message as
// "[XXXXX] message", and ErrorCode recovers it from the error text the
// engine receives (modernc decorates it as "SQL logic error: … (1)").

// pgError is an error carrying a PostgreSQL SQLSTATE.
type pgError struct {
	code string
	msg  string
}

func (e *pgError) Error() string { return "[" + e.code + "] " + e.msg }

// SQLState returns the five-character SQLSTATE.
func (e *pgError) SQLState() string { return e.code }

func errorf(code, format string, args ...any) error {
	return &pgError{code: code, msg: fmt.Sprintf(format, args...)}
}

// SQLSTATEs raised by the functions in this package.
const (
	codeInvalidText       = "22P02" // invalid_text_representation
	codeInvalidDatetime   = "22007" // invalid_datetime_format
	codeDatetimeOverflow  = "22008" // datetime_field_overflow
	codeNumericOutOfRange = "22003" // numeric_value_out_of_range
	codeInvalidParameter  = "22023" // invalid_parameter_value
	codeInvalidEscape     = "22025" // invalid_escape_sequence
	codeInvalidRegex      = "2201B" // invalid_regular_expression
	codeUndefinedTable    = "42P01" // undefined_table
	codeUndefinedObject   = "42704" // undefined_object
	codeUndefinedFunction = "42883" // undefined_function
	codeUndefinedSchema   = "3F000" // invalid_schema_name
	codeFeature           = "0A000" // feature_not_supported
	codeStringTooLong     = "22001" // string_data_right_truncation
	codeDivisionByZero    = "22012" // division_by_zero
	codeArraySubscript    = "2202E" // array_subscript_error
)

var errorCodeRE = regexp.MustCompile(`\[([0-9A-Z]{5})\] (.*?)(?: \(\d+\))?$`)

// ErrorCode extracts the SQLSTATE and the bare message from the text of an
// error raised by one of this package's SQL functions, as it surfaces from
// the SQLite driver. ok is false for any other error text.
func ErrorCode(msg string) (code, message string, ok bool) {
	m := errorCodeRE.FindStringSubmatch(msg)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
