package catalog

import (
	"crypto/md5"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sqlcluster/sqlcluster/pgsql"
)

// String functions PostgreSQL has and SQLite lacks (or has with different
// semantics: SQLite's upper/lower only fold ASCII).

func textFunctions() []sqlFunc {
	return []sqlFunc{
		fixed("left", 2, true, fnLeft),
		fixed("right", 2, true, fnRight),
		fixed("strpos", 2, true, func(c *call) (driver.Value, error) { return position(c.args[0], c.args[1]) }),
		fixed("position", 2, true, func(c *call) (driver.Value, error) { return position(c.args[1], c.args[0]) }),
		fixed("split_part", 3, true, fnSplitPart),
		ranged("btrim", 1, 2, true, fnBtrim),
		ranged("lpad", 2, 3, true, func(c *call) (driver.Value, error) { return pad(c, true) }),
		ranged("rpad", 2, 3, true, func(c *call) (driver.Value, error) { return pad(c, false) }),
		fixed("md5", 1, true, fnMD5),
		ranged("greatest", 1, 100, true, func(c *call) (driver.Value, error) { return extreme(c.args, 1) }),
		ranged("least", 1, 100, true, func(c *call) (driver.Value, error) { return extreme(c.args, -1) }),
		fixed("quote_ident", 1, true, fnQuoteIdent),
		fixed("quote_literal", 1, true, fnQuoteLiteral),
		fixed("quote_nullable", 1, true, fnQuoteNullable),
		fixed("pg_size_pretty", 1, true, fnSizePretty),
		fixed("gen_random_uuid", 0, false, fnRandomUUID),
		fixed("pg_typeof", 1, true, fnTypeof),
		fixed("upper", 1, true, textMap(strings.ToUpper)),
		fixed("lower", 1, true, textMap(strings.ToLower)),
		fixed("initcap", 1, true, textMap(initcap)),
		fixed("reverse", 1, true, textMap(reverse)),
		fixed("repeat", 2, true, fnRepeat),
		fixed("char_length", 1, true, fnCharLength),
		fixed("character_length", 1, true, fnCharLength),
		fixed("starts_with", 2, true, fnStartsWith),
		fixed("to_hex", 1, true, fnToHex),
		fixed("translate", 3, true, fnTranslate),
	}
}

func textMap(f func(string) string) func(*call) (driver.Value, error) {
	return func(c *call) (driver.Value, error) {
		s, ok := argText(c.args[0])
		if !ok {
			return nil, nil
		}
		return f(s), nil
	}
}

func fnLeft(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	n, ok2, err := argInt(c.args[1])
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	r := []rune(s)
	if n < 0 {
		n = int64(len(r)) + n
		if n < 0 {
			n = 0
		}
	}
	if n > int64(len(r)) {
		n = int64(len(r))
	}
	return string(r[:n]), nil
}

func fnRight(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	n, ok2, err := argInt(c.args[1])
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	r := []rune(s)
	if n < 0 {
		n = int64(len(r)) + n
		if n < 0 {
			n = 0
		}
	}
	if n > int64(len(r)) {
		n = int64(len(r))
	}
	return string(r[int64(len(r))-n:]), nil
}

// position returns the 1-based character index of sub in s, 0 if absent.
func position(sv, subv driver.Value) (driver.Value, error) {
	s, ok1 := argText(sv)
	sub, ok2 := argText(subv)
	if !ok1 || !ok2 {
		return nil, nil
	}
	i := strings.Index(s, sub)
	if i < 0 {
		return int64(0), nil
	}
	return int64(utf8.RuneCountInString(s[:i]) + 1), nil
}

func fnSplitPart(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	delim, ok2 := argText(c.args[1])
	n, ok3, err := argInt(c.args[2])
	if err != nil || !ok1 || !ok2 || !ok3 {
		return nil, err
	}
	if n == 0 {
		return nil, errorf(codeInvalidParameter, "field position must not be zero")
	}
	var parts []string
	if delim == "" {
		parts = []string{s}
		if s == "" {
			parts = nil
		}
	} else {
		parts = strings.Split(s, delim)
		if s == "" {
			parts = nil
		}
	}
	if n < 0 {
		n = int64(len(parts)) + n + 1
	}
	if n < 1 || n > int64(len(parts)) {
		return "", nil
	}
	return parts[n-1], nil
}

func fnBtrim(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	chars := " "
	if len(c.args) > 1 {
		if chars, ok = argText(c.args[1]); !ok {
			return nil, nil
		}
	}
	return strings.Trim(s, chars), nil
}

// pad is lpad/rpad: the result is exactly n characters, truncating s.
func pad(c *call, left bool) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	n, ok2, err := argInt(c.args[1])
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	fill := " "
	if len(c.args) > 2 {
		var ok bool
		if fill, ok = argText(c.args[2]); !ok {
			return nil, nil
		}
	}
	if n < 0 {
		n = 0
	}
	if n > 10<<20 {
		return nil, errorf("54000", "requested length too large")
	}
	r := []rune(s)
	if int64(len(r)) >= n {
		return string(r[:n]), nil
	}
	f := []rune(fill)
	if len(f) == 0 {
		return s, nil
	}
	padding := make([]rune, 0, n-int64(len(r)))
	for i := 0; int64(len(padding)) < n-int64(len(r)); i++ {
		padding = append(padding, f[i%len(f)])
	}
	if left {
		return string(padding) + s, nil
	}
	return s + string(padding), nil
}

func fnMD5(c *call) (driver.Value, error) {
	var b []byte
	switch x := c.args[0].(type) {
	case nil:
		return nil, nil
	case []byte:
		b = x
	default:
		s, _ := argText(x)
		b = []byte(s)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:]), nil
}

// extreme implements greatest (dir 1) and least (dir -1): NULLs are
// ignored, and the result is NULL only if every argument is.
func extreme(args []driver.Value, dir int) (driver.Value, error) {
	var best driver.Value
	for _, a := range args {
		if a == nil {
			continue
		}
		if best == nil || compareValues(a, best)*dir > 0 {
			best = a
		}
	}
	return best, nil
}

// compareValues orders values as SQLite does: numbers < text < blobs.
func compareValues(a, b driver.Value) int {
	rank := func(v driver.Value) int {
		switch v.(type) {
		case int64, float64:
			return 0
		case string:
			return 1
		}
		return 2
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 0:
		fa, fb := toFloat(a), toFloat(b)
		if ai, ok := a.(int64); ok {
			if bi, ok := b.(int64); ok {
				switch {
				case ai < bi:
					return -1
				case ai > bi:
					return 1
				}
				return 0
			}
		}
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case 1:
		return strings.Compare(a.(string), b.(string))
	}
	as, _ := argText(a)
	bs, _ := argText(b)
	return strings.Compare(as, bs)
}

func toFloat(v driver.Value) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func fnQuoteIdent(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	return pgsql.QuoteIdent(s), nil
}

// quoteLiteral is PostgreSQL's quote_literal: quotes doubled, and an E-prefixed
// string with doubled backslashes when the text contains any.
func quoteLiteral(s string) string {
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func fnQuoteLiteral(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	return quoteLiteral(s), nil
}

func fnQuoteNullable(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return "NULL", nil
	}
	return quoteLiteral(s), nil
}

// sizePretty is pg_size_pretty(bigint) of PostgreSQL 15.
func sizePretty(size int64) string {
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	halfRounded := func(x int64) int64 {
		if x < 0 {
			return (x - 1) / 2
		}
		return (x + 1) / 2
	}
	const limit = 10 * 1024
	const limit2 = limit*2 - 1
	if abs(size) < limit {
		return strconv.FormatInt(size, 10) + " bytes"
	}
	// Keep one extra bit for rounding.
	size >>= 9
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		if abs(size) < limit2 || unit == "TB" {
			if unit == "TB" && abs(size) >= limit2 {
				size >>= 10
				return strconv.FormatInt(halfRounded(size), 10) + " PB"
			}
			return strconv.FormatInt(halfRounded(size), 10) + " " + unit
		}
		size >>= 10
	}
	return ""
}

func fnSizePretty(c *call) (driver.Value, error) {
	if f, ok := c.args[0].(float64); ok {
		return sizePretty(int64(f)), nil
	}
	n, ok, err := argInt(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	return sizePretty(n), nil
}

func fnRandomUUID(*call) (driver.Value, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("catalog: gen_random_uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// pg_typeof sees only SQLite's storage classes.
func fnTypeof(c *call) (driver.Value, error) {
	switch x := c.args[0].(type) {
	case nil:
		return "unknown", nil
	case int64:
		if x >= -1<<31 && x < 1<<31 {
			return "integer", nil
		}
		return "bigint", nil
	case float64:
		return "double precision", nil
	case []byte:
		return "bytea", nil
	}
	return "text", nil
}

// initcap upper-cases the first letter of each alphanumeric run.
func initcap(s string) string {
	var b strings.Builder
	prevAlnum := false
	for _, r := range s {
		if prevAlnum {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prevAlnum = unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func fnRepeat(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	n, ok2, err := argInt(c.args[1])
	if err != nil || !ok1 || !ok2 {
		return nil, err
	}
	if n <= 0 {
		return "", nil
	}
	if int64(len(s))*n > 1<<30 {
		return nil, errorf("54000", "requested length too large")
	}
	return strings.Repeat(s, int(n)), nil
}

func fnCharLength(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	return int64(utf8.RuneCountInString(s)), nil
}

func fnStartsWith(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	p, ok2 := argText(c.args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	return boolValue(strings.HasPrefix(s, p)), nil
}

func fnToHex(c *call) (driver.Value, error) {
	n, ok, err := argInt(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	return strconv.FormatUint(uint64(n), 16), nil
}

func fnTranslate(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	from, ok2 := argText(c.args[1])
	to, ok3 := argText(c.args[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, nil
	}
	fr, tr := []rune(from), []rune(to)
	var b strings.Builder
	for _, r := range s {
		i := -1
		for j, f := range fr {
			if f == r {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			b.WriteRune(r)
		case i < len(tr):
			b.WriteRune(tr[i])
		}
	}
	return b.String(), nil
}
