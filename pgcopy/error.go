package pgcopy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SQLSTATE codes this package reports; the wire layer copies Error.Code into
// the ErrorResponse 'C' field, so they are PostgreSQL's own codes.
const (
	CodeBadCopyFileFormat        = "22P04" // bad_copy_file_format
	CodeCharacterNotInRepertoire = "22021" // character_not_in_repertoire
	CodeInvalidParameterValue    = "22023" // invalid_parameter_value
	CodeSyntaxError              = "42601" // syntax_error
	CodeFeatureNotSupported      = "0A000" // feature_not_supported
	CodeProgramLimitExceeded     = "54000" // program_limit_exceeded
	CodeInvalidColumnReference   = "42P10" // invalid_column_reference
	CodeUndefinedColumn          = "42703" // undefined_column
	CodeDuplicateColumn          = "42701" // duplicate_column
)

// Error is a COPY failure with a PostgreSQL SQLSTATE.
//
// Line, LineText and Column carry what PostgreSQL's CopyFromErrorCallback
// prints as the error CONTEXT; Context renders it once the caller supplies the
// table name, which this package does not know.
type Error struct {
	Code    string
	Message string
	Detail  string
	Hint    string

	// Line is PostgreSQL's cur_lineno: the 1-based input line (text, csv)
	// or tuple (binary) being read, counting a csv header line. Zero when
	// the error is not tied to the data, e.g. an invalid option or a bad
	// binary file header.
	Line int64
	// LineText is the raw line (without its newline) when PostgreSQL would
	// show it, i.e. when HasLineText is set: the line had been read
	// completely before the error was found.
	LineText    string
	HasLineText bool
	// Column names the column whose binary field was being read.
	Column string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

// SQLState returns the five-character SQLSTATE.
func (e *Error) SQLState() string { return e.Code }

// maxCopyDataDisplay is MAX_COPY_DATA_DISPLAY in copyfrom.c: how much of a
// line an error context quotes.
const maxCopyDataDisplay = 100

// Context renders the CONTEXT line PostgreSQL attaches to a COPY FROM error,
// e.g. `COPY t, line 3: "1	2	3"`. It returns "" when the error has no line.
func (e *Error) Context(table string) string {
	switch {
	case e.Line == 0:
		return ""
	case e.Column != "":
		return fmt.Sprintf("COPY %s, line %d, column %s", table, e.Line, e.Column)
	case e.HasLineText:
		return fmt.Sprintf("COPY %s, line %d: \"%s\"", table, e.Line, LimitPrintout(e.LineText))
	default:
		return fmt.Sprintf("COPY %s, line %d", table, e.Line)
	}
}

// LimitPrintout shortens a value the way PostgreSQL's limit_printout_length
// does before quoting it in an error context: C-string semantics (stop at
// NUL), at most 100 bytes cut on a character boundary, then "...". The wire
// layer uses it for "COPY t, line 1, column a: \"...\"" contexts of type
// conversion errors.
func LimitPrintout(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) <= maxCopyDataDisplay {
		return s
	}
	n := maxCopyDataDisplay
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errTooLong is PostgreSQL's StringInfo overflow report, which is what it
// raises when a COPY line or binary field passes 1 GB; here the limit is
// Options.MaxRowSize.
func errTooLong(have, more int) *Error {
	return &Error{
		Code:    CodeProgramLimitExceeded,
		Message: "out of memory",
		Detail:  fmt.Sprintf("Cannot enlarge string buffer containing %d bytes by %d more bytes.", have, more),
	}
}
