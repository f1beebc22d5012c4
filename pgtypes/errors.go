package pgtypes

import "fmt"

// SQLSTATE codes produced by this package. The wire layer copies Code into the
// ErrorResponse 'C' field, so these must be PostgreSQL's codes exactly.
const (
	CodeInvalidTextRepresentation   = "22P02" // invalid_text_representation
	CodeInvalidBinaryRepresentation = "22P03" // invalid_binary_representation
	CodeNumericValueOutOfRange      = "22003" // numeric_value_out_of_range
	CodeInvalidDatetimeFormat       = "22007" // invalid_datetime_format
	CodeDatetimeFieldOverflow       = "22008" // datetime_field_overflow
	CodeIntervalFieldOverflow       = "22015" // interval_field_overflow
	CodeInvalidTimeZoneDisplacement = "22009" // invalid_time_zone_displacement_value
	CodeStringDataRightTruncation   = "22001" // string_data_right_truncation
	CodeCharacterNotInRepertoire    = "22021" // character_not_in_repertoire
	CodeUntranslatableCharacter     = "22P05" // untranslatable_character
	CodeInvalidParameterValue       = "22023" // invalid_parameter_value
	CodeUndefinedFunction           = "42883" // undefined_function (no binary I/O function)
	CodeProtocolViolation           = "08P01" // protocol_violation
	CodeFeatureNotSupported         = "0A000" // feature_not_supported
	CodeProgramLimitExceeded        = "54000" // program_limit_exceeded
	CodeInternalError               = "XX000" // internal_error
)

// Error is a conversion failure carrying the SQLSTATE PostgreSQL would report
// for the same input. Every error returned by Encode, Decode and SetTimeZone is
// an *Error, so the wire layer can map it to an ErrorResponse with errors.As.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return e.Message + " (SQLSTATE " + e.Code + ")"
}

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// syntaxError is PostgreSQL's wording for a value its input function rejects.
func syntaxError(t Type, input string) *Error {
	code := CodeInvalidTextRepresentation
	switch familyOf(t.OID) {
	case famDate, famTime, famTimestamp, famTimestamptz, famInterval:
		code = CodeInvalidDatetimeFormat
	}
	return &Error{Code: code, Message: fmt.Sprintf("invalid input syntax for type %s: \"%s\"", t.inputName(), input)}
}

// outOfRange reports an integer that does not fit its type, worded like int4in.
func outOfRange(t Type, input string) *Error {
	return &Error{Code: CodeNumericValueOutOfRange, Message: fmt.Sprintf("value \"%s\" is out of range for type %s", input, t.inputName())}
}

func binaryFormatError(t Type, cause error) *Error {
	msg := "incorrect binary data format for type " + t.inputName()
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &Error{Code: CodeInvalidBinaryRepresentation, Message: msg}
}
