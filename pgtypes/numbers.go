package pgtypes

import (
	"math"
	"strconv"
	"strings"
)

// intRange is the range of an integer family.
func intRange(f family) (lo, hi int64) {
	switch f {
	case famInt2:
		return math.MinInt16, math.MaxInt16
	case famInt4:
		return math.MinInt32, math.MaxInt32
	case famOID:
		// oidin accepts negative numbers and wraps them, as strtoul does.
		return math.MinInt32, math.MaxUint32
	}
	return math.MinInt64, math.MaxInt64
}

// parseIntText parses an integer as int2in/int4in/int8in do: surrounding
// whitespace allowed, optional sign, decimal digits only.
func parseIntText(t Type, s string) (int64, error) {
	trimmed := strings.TrimSpace(s)
	body := trimmed
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	if body == "" || !isDigits(body) {
		return 0, syntaxError(t, s)
	}
	if trimmed[0] == '+' {
		trimmed = trimmed[1:]
	}
	n, err := strconv.ParseInt(trimmed, 10, 64)
	if err != nil {
		return 0, outOfRange(t, s)
	}
	lo, hi := intRange(familyOf(t.OID))
	if n < lo || n > hi {
		return 0, outOfRange(t, s)
	}
	return n, nil
}

// intValue returns a stored value as an integer of type t, range-checked.
func intValue(t Type, sv sval) (int64, error) {
	var n int64
	switch sv.k {
	case vInt:
		n = sv.i
	case vFloat:
		// SQLite keeps a non-integral REAL in an INTEGER column as is.
		if sv.f != math.Trunc(sv.f) || sv.f < -9.223372036854775808e18 || sv.f >= 9.223372036854775808e18 {
			return 0, syntaxError(t, string(appendFloat8(nil, sv.f)))
		}
		n = int64(sv.f)
	case vText:
		return parseIntText(t, sv.s)
	case vBlob:
		return parseIntText(t, string(sv.b))
	default:
		return 0, syntaxError(t, sv.text())
	}
	lo, hi := intRange(familyOf(t.OID))
	if n < lo || n > hi {
		if familyOf(t.OID) == famOID {
			return 0, errorf(CodeNumericValueOutOfRange, "OID out of range")
		}
		return 0, errorf(CodeNumericValueOutOfRange, "%s out of range", t.inputName())
	}
	return n, nil
}

func appendInt(buf []byte, f family, n int64) []byte {
	if f == famOID && n < 0 {
		return strconv.AppendUint(buf, uint64(uint32(n)), 10)
	}
	return strconv.AppendInt(buf, n, 10)
}

// appendFloat8 renders a float8 as PostgreSQL 12+ does with the default
// extra_float_digits (1): the shortest string that round-trips, fixed
// notation for decimal exponents in [-4, 15), exponent notation otherwise
// ("1e+100", "1.5e-05"), and NaN/Infinity/-Infinity.
func appendFloat8(buf []byte, f float64) []byte {
	return appendPGFloat(buf, f, 64, 15)
}

// appendFloat4 is appendFloat8 at 32-bit precision (exponent threshold 6).
func appendFloat4(buf []byte, f float32) []byte {
	return appendPGFloat(buf, float64(f), 32, 6)
}

func appendPGFloat(buf []byte, f float64, bits, fixedLimit int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	// Shortest digits in exponent form, e.g. "-1.2345e+06", built on a stack
	// buffer so the common case does not allocate.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	ePos := 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			ePos = i
			break
		}
	}
	exp := 0
	for _, d := range e[ePos+2:] {
		exp = exp*10 + int(d-'0')
	}
	if e[ePos+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= fixedLimit {
		return append(buf, e...)
	}
	// Fixed notation from the same digits.
	mant := e[:ePos]
	if mant[0] == '-' {
		buf = append(buf, '-')
		mant = mant[1:]
	}
	var digits [20]byte
	nd := 0
	for _, d := range mant {
		if d != '.' {
			digits[nd] = d
			nd++
		}
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for i := -1; i > exp; i-- {
			buf = append(buf, '0')
		}
		return append(buf, digits[:nd]...)
	}
	intDigits := exp + 1
	if nd <= intDigits {
		buf = append(buf, digits[:nd]...)
		for i := nd; i < intDigits; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, digits[:intDigits]...)
	buf = append(buf, '.')
	return append(buf, digits[intDigits:nd]...)
}

// pgNaN is the NaN PostgreSQL produces (the quiet NaN with an empty
// payload; math.NaN() sets a payload bit), so binary output matches.
var pgNaN = math.Float64frombits(0x7ff8000000000000)

// parseFloatText parses float4in/float8in input: whitespace, NaN,
// [+-]Infinity/inf in any case, decimal and exponent notation. Overflow and
// underflow are errors, as in PostgreSQL.
func parseFloatText(t Type, s string) (float64, error) {
	trimmed := strings.TrimSpace(s)
	bits := 64
	if t.OID == Float4OID {
		bits = 32
	}
	if trimmed == "" || strings.ContainsAny(trimmed, "_") {
		return 0, syntaxError(t, s)
	}
	switch strings.ToLower(strings.TrimLeft(trimmed, "+-")) {
	case "nan":
		return pgNaN, nil
	case "inf", "infinity":
		if trimmed[0] == '-' {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	f, err := strconv.ParseFloat(trimmed, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errorf(CodeNumericValueOutOfRange, "\"%s\" is out of range for type %s", s, t.inputName())
		}
		return 0, syntaxError(t, s)
	}
	if f == 0 && hasNonZeroMantissa(trimmed) {
		// strtod reports underflow as ERANGE; PostgreSQL rejects it.
		return 0, errorf(CodeNumericValueOutOfRange, "\"%s\" is out of range for type %s", s, t.inputName())
	}
	return f, nil
}

func hasNonZeroMantissa(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'e' || c == 'E' || c == 'p' || c == 'P':
			return false
		case c >= '1' && c <= '9':
			return true
		case c == 'x' || c == 'X':
			// hex floats: give up on the check, ParseFloat already validated
			return false
		}
	}
	return false
}

// floatValue returns a stored value as a float of type t.
func floatValue(t Type, sv sval) (float64, error) {
	switch sv.k {
	case vFloat:
		return sv.f, nil
	case vInt:
		return float64(sv.i), nil
	case vText:
		return parseFloatText(t, sv.s)
	case vBlob:
		return parseFloatText(t, string(sv.b))
	}
	return 0, syntaxError(t, sv.text())
}

// floatStorage is the SQLite value for a float parameter. SQLite turns a
// NaN binding into NULL, so NaN is kept as the text 'NaN' (REAL affinity
// leaves non-numeric text alone) and Encode parses it back.
func floatStorage(f float64) any {
	if math.IsNaN(f) {
		return "NaN"
	}
	return f
}
