package pgtypes

import "time"

// InferFromValue picks a type for a result column that has neither a declared
// type nor a hint from the query, from the SQLite value of its first row. The
// choice is the widest PostgreSQL type of the same storage class, so no later
// row can overflow it: int64 → int8, float64 → float8, []byte → bytea,
// string and NULL → text.
func InferFromValue(v any) Type {
	switch v.(type) {
	case int64, int, int32, int16, int8, uint8, uint16, uint32:
		return TypeInt8
	case uint64, uint:
		return TypeNumeric
	case float64, float32:
		return TypeFloat8
	case []byte:
		return TypeBytea
	case bool:
		return TypeBool
	case time.Time: // modernc parses DATE/DATETIME/TIMESTAMP columns into time.Time
		return TypeTimestamptz
	default:
		return TypeText
	}
}
