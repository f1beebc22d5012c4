package pgtypes

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// decimal is a numeric value in PostgreSQL's terms: a coefficient of
// decimal digits and a display scale (digits after the point). 12.50 is
// {digits "1250", scale 2}. Trailing zeros are significant, as in numeric.
type decimal struct {
	neg    bool
	digits string // no leading zeros; "0" for zero
	scale  int
	nan    bool
	inf    int // +1 or -1 for ±Infinity
}

// parseDecimal parses numeric_in syntax: whitespace, sign, digits with an
// optional point, optional exponent, NaN and [+-]Infinity/inf.
func parseDecimal(s string) (decimal, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return decimal{}, false
	}
	switch strings.ToLower(t) {
	case "nan":
		return decimal{nan: true}, true
	case "infinity", "+infinity", "inf", "+inf":
		return decimal{inf: 1}, true
	case "-infinity", "-inf":
		return decimal{inf: -1}, true
	}
	var d decimal
	i := 0
	if t[0] == '+' || t[0] == '-' {
		d.neg = t[0] == '-'
		i++
	}
	var coef []byte
	sawDigit, sawPoint := false, false
	frac := 0
	for ; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			coef = append(coef, c)
			if sawPoint {
				frac++
			}
			continue
		case c == '.' && !sawPoint:
			sawPoint = true
			continue
		}
		break
	}
	if !sawDigit {
		return decimal{}, false
	}
	exp := 0
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		j := i + 1
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		if j == len(t) || !isDigits(t[j:]) {
			return decimal{}, false
		}
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return decimal{}, false
		}
		exp = e
		i = len(t)
	}
	if i != len(t) {
		return decimal{}, false
	}
	d.scale = frac - exp
	if d.scale < 0 {
		for ; d.scale < 0; d.scale++ {
			coef = append(coef, '0')
		}
	}
	d.digits = trimLeadingZeros(string(coef))
	if d.digits == "0" {
		d.neg = false
	}
	return d, true
}

func trimLeadingZeros(s string) string {
	i := 0
	for i < len(s)-1 && s[i] == '0' {
		i++
	}
	if s == "" {
		return "0"
	}
	return s[i:]
}

// appendTo renders the value as numeric_out does.
func (d decimal) appendTo(buf []byte) []byte {
	switch {
	case d.nan:
		return append(buf, "NaN"...)
	case d.inf > 0:
		return append(buf, "Infinity"...)
	case d.inf < 0:
		return append(buf, "-Infinity"...)
	}
	if d.neg {
		buf = append(buf, '-')
	}
	if d.scale == 0 {
		return append(buf, d.digits...)
	}
	if len(d.digits) <= d.scale {
		buf = append(buf, '0', '.')
		for i := len(d.digits); i < d.scale; i++ {
			buf = append(buf, '0')
		}
		return append(buf, d.digits...)
	}
	p := len(d.digits) - d.scale
	buf = append(buf, d.digits[:p]...)
	buf = append(buf, '.')
	return append(buf, d.digits[p:]...)
}

func (d decimal) String() string { return string(d.appendTo(nil)) }

// round sets the scale to s, rounding half away from zero like numeric's
// round() and typmod coercion.
func (d decimal) round(s int) decimal {
	if d.nan || d.inf != 0 || s == d.scale {
		return d
	}
	if s > d.scale {
		d.digits = trimLeadingZeros(d.digits + strings.Repeat("0", s-d.scale))
		d.scale = s
		return d
	}
	drop := d.scale - s
	digits := d.digits
	if len(digits) < drop+1 {
		digits = strings.Repeat("0", drop+1-len(digits)) + digits
	}
	keep := []byte(digits[:len(digits)-drop])
	if digits[len(digits)-drop] >= '5' {
		i := len(keep) - 1
		for ; i >= 0; i-- {
			if keep[i] == '9' {
				keep[i] = '0'
				continue
			}
			keep[i]++
			break
		}
		if i < 0 {
			keep = append([]byte{'1'}, keep...)
		}
	}
	d.digits = trimLeadingZeros(string(keep))
	d.scale = s
	if s < 0 {
		// numeric(p,-s): rounded to a power of ten, shown without a point.
		if d.digits != "0" {
			d.digits += strings.Repeat("0", -s)
		}
		d.scale = 0
	}
	if d.digits == "0" {
		d.neg = false
	}
	return d
}

// applyTypmod coerces d to numeric(p,s) like apply_typmod: round to the
// scale, then fail if the integer part needs more than p-s digits.
func (d decimal) applyTypmod(t Type) (decimal, error) {
	p, s, ok := t.NumericPrecisionScale()
	if !ok || d.nan {
		return d, nil
	}
	if d.inf != 0 {
		return d, errorf(CodeNumericValueOutOfRange, "numeric field overflow")
	}
	d = d.round(s)
	// The decimal exponent of the leading digit: integer digits for values
	// of 1 or more, minus the zeros after the point below that. With a
	// scale above the precision (numeric(3,5)) it must be negative.
	intDigits := len(d.digits) - d.scale
	if d.digits != "0" && intDigits > p-s {
		return d, errorf(CodeNumericValueOutOfRange, "numeric field overflow")
	}
	return d, nil
}

// storage returns the SQLite value for d: int64 when it is an integer
// (scale 0) that fits, else its exact text.
func (d decimal) storage() any {
	if d.nan || d.inf != 0 || d.scale != 0 {
		return d.String()
	}
	s := d.digits
	if d.neg {
		s = "-" + s
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

// decimalFromFloat converts a REAL stored in a numeric column as PostgreSQL
// converts float8 to numeric: 15 significant digits (DBL_DIG), so SQLite's
// binary floating point noise (0.1+0.2) does not show.
func decimalFromFloat(f float64) decimal {
	switch {
	case math.IsNaN(f):
		return decimal{nan: true}
	case math.IsInf(f, 1):
		return decimal{inf: 1}
	case math.IsInf(f, -1):
		return decimal{inf: -1}
	}
	var tmp [32]byte
	d, _ := parseDecimal(string(strconv.AppendFloat(tmp[:0], f, 'g', 15, 64)))
	return d
}

// isCanonicalNumeric reports whether s is already exactly numeric_out's
// rendering of itself ("12.50", "-3", "0.001"), so it can be sent as stored.
func isCanonicalNumeric(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[start:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return false
	}
	nonZero := intPart != "0"
	if i < len(s) {
		if s[i] != '.' || i == len(s)-1 {
			return false
		}
		for i++; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
			if s[i] != '0' {
				nonZero = true
			}
		}
	}
	// "-0" and "-0.00" print without the sign.
	return nonZero || start == 0
}

// decimalValue returns a stored numeric value as a decimal, with the
// column's typmod applied.
func decimalValue(t Type, sv sval) (decimal, error) {
	var d decimal
	switch sv.k {
	case vInt:
		if sv.i < 0 {
			d = decimal{neg: true, digits: strconv.FormatUint(uint64(-(sv.i+1))+1, 10)}
		} else {
			d = decimal{digits: strconv.FormatInt(sv.i, 10)}
		}
	case vFloat:
		d = decimalFromFloat(sv.f)
	case vText, vBlob:
		s := sv.s
		if sv.k == vBlob {
			s = string(sv.b)
		}
		var ok bool
		if d, ok = parseDecimal(s); !ok {
			return d, syntaxError(TypeNumeric, s)
		}
	default:
		return d, syntaxError(TypeNumeric, sv.text())
	}
	return d.applyTypmod(t)
}

// appendNumericText is the text output of a numeric column. It sends the
// stored text untouched when it is already canonical and no typmod applies.
func appendNumericText(buf []byte, t Type, sv sval) ([]byte, error) {
	_, _, hasMod := t.NumericPrecisionScale()
	if !hasMod {
		switch sv.k {
		case vInt:
			return strconv.AppendInt(buf, sv.i, 10), nil
		case vText:
			if isCanonicalNumeric(sv.s) {
				return append(buf, sv.s...), nil
			}
		}
	}
	d, err := decimalValue(t, sv)
	if err != nil {
		return nil, err
	}
	return d.appendTo(buf), nil
}

// pgNumeric converts d to pgtype's representation for binary encoding.
func (d decimal) pgNumeric() (pgtype.Numeric, error) {
	switch {
	case d.nan:
		return pgtype.Numeric{NaN: true, Valid: true}, nil
	case d.inf > 0:
		return pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, nil
	case d.inf < 0:
		return pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, nil
	}
	n, ok := new(big.Int).SetString(d.digits, 10)
	if !ok {
		return pgtype.Numeric{}, errorf(CodeInternalError, "numeric digits %q", d.digits)
	}
	if d.neg {
		n.Neg(n)
	}
	return pgtype.Numeric{Int: n, Exp: int32(-d.scale), Valid: true}, nil
}

// decimalFromPg converts pgtype's decoded numeric, keeping its scale.
func decimalFromPg(n pgtype.Numeric) decimal {
	switch {
	case n.NaN:
		return decimal{nan: true}
	case n.InfinityModifier == pgtype.Infinity:
		return decimal{inf: 1}
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return decimal{inf: -1}
	}
	var d decimal
	if n.Int == nil {
		d.digits = "0"
	} else {
		d.neg = n.Int.Sign() < 0
		d.digits = new(big.Int).Abs(n.Int).String()
	}
	if n.Exp > 0 {
		d.digits += strings.Repeat("0", int(n.Exp))
	} else {
		d.scale = int(-n.Exp)
	}
	d.digits = trimLeadingZeros(d.digits)
	if d.digits == "0" {
		d.neg = false
	}
	return d
}
