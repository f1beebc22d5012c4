package catalog

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"strconv"
	"strings"
)

// Array functions. Arrays are stored as JSON array text (the server-wide
// convention); PostgreSQL array literals ('{a,b}') are accepted as input
// too, since catalog columns and client literals may use either.

func arrayFunctions() []sqlFunc {
	return []sqlFunc{
		ranged("array_to_string", 2, 3, true, fnArrayToString),
		fixed("array_upper", 2, true, func(c *call) (driver.Value, error) { return arrayBound(c, true) }),
		fixed("array_lower", 2, true, func(c *call) (driver.Value, error) { return arrayBound(c, false) }),
		fixed("array_length", 2, true, fnArrayLength),
		fixed("cardinality", 1, true, fnCardinality),
		ranged("string_to_array", 2, 3, true, fnStringToArray),
		fixed("array_append", 2, true, fnArrayAppend),
		fixed("array_prepend", 2, true, fnArrayPrepend),
		fixed("array_cat", 2, true, fnArrayCat),
		fixed("array_remove", 2, true, fnArrayRemove),
		fixed("array_position", 2, true, fnArrayPosition),
	}
}

// parseArray decodes an array argument; ok is false for NULL.
func parseArray(v driver.Value) ([]any, bool, error) {
	s, ok := argText(v)
	if !ok {
		return nil, false, nil
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		var out []any
		d := json.NewDecoder(strings.NewReader(t))
		d.UseNumber()
		if err := d.Decode(&out); err != nil {
			return nil, false, errorf(codeInvalidText, "malformed array literal: \"%s\"", s)
		}
		return out, true, nil
	}
	if strings.HasPrefix(t, "{") {
		out, err := parsePGArray(t)
		if err != nil {
			return nil, false, err
		}
		return out, true, nil
	}
	// int2vector/oidvector text form: space-separated.
	if t == "" {
		return []any{}, true, nil
	}
	var out []any
	for _, f := range strings.Fields(t) {
		out = append(out, json.Number(f))
	}
	return out, true, nil
}

// parsePGArray parses a PostgreSQL array literal into nested []any of
// strings (unquoted NULL becomes nil).
func parsePGArray(s string) ([]any, error) {
	bad := errorf(codeInvalidText, "malformed array literal: \"%s\"", s)
	i := 0
	var level func() ([]any, error)
	level = func() ([]any, error) {
		if i >= len(s) || s[i] != '{' {
			return nil, bad
		}
		i++
		out := []any{}
		for {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) {
				return nil, bad
			}
			if s[i] == '}' && len(out) == 0 {
				i++
				return out, nil
			}
			switch s[i] {
			case '{':
				sub, err := level()
				if err != nil {
					return nil, err
				}
				out = append(out, sub)
			case '"':
				i++
				var b strings.Builder
				for i < len(s) && s[i] != '"' {
					if s[i] == '\\' && i+1 < len(s) {
						i++
					}
					b.WriteByte(s[i])
					i++
				}
				if i >= len(s) {
					return nil, bad
				}
				i++
				out = append(out, b.String())
			default:
				start := i
				for i < len(s) && s[i] != ',' && s[i] != '}' {
					i++
				}
				e := strings.TrimSpace(s[start:i])
				if strings.EqualFold(e, "NULL") {
					out = append(out, nil)
				} else {
					out = append(out, e)
				}
			}
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) {
				return nil, bad
			}
			if s[i] == ',' {
				i++
				continue
			}
			if s[i] == '}' {
				i++
				return out, nil
			}
			return nil, bad
		}
	}
	out, err := level()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s[i:]) != "" {
		return nil, bad
	}
	return out, nil
}

// elemText renders an element as PostgreSQL's text output would.
func elemText(e any) (string, bool) {
	switch x := e.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "t", true
		}
		return "f", true
	case float64:
		return formatFloat8(x), true
	case []any:
		var b bytes.Buffer
		b.WriteByte('{')
		for i, y := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			s, ok := elemText(y)
			if !ok {
				s = "NULL"
			}
			b.WriteString(s)
		}
		b.WriteByte('}')
		return b.String(), true
	default:
		data, _ := json.Marshal(x)
		return string(data), true
	}
}

func flatten(xs []any, out []any) []any {
	for _, x := range xs {
		if sub, ok := x.([]any); ok {
			out = flatten(sub, out)
		} else {
			out = append(out, x)
		}
	}
	return out
}

func fnArrayToString(c *call) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	sep, ok := argText(c.args[1])
	if !ok {
		return nil, nil
	}
	nullStr, hasNull := "", false
	if len(c.args) > 2 {
		nullStr, hasNull = argText(c.args[2])
	}
	var parts []string
	for _, e := range flatten(arr, nil) {
		s, ok := elemText(e)
		if !ok {
			if !hasNull {
				continue
			}
			s = nullStr
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep), nil
}

// dimLen returns the length of dimension dim (1-based), or -1.
func dimLen(arr []any, dim int64) int {
	cur := arr
	for d := int64(1); ; d++ {
		if len(cur) == 0 {
			return -1
		}
		if d == dim {
			return len(cur)
		}
		sub, ok := cur[0].([]any)
		if !ok {
			return -1
		}
		cur = sub
	}
}

func arrayBound(c *call, upper bool) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	dim, ok, err := argInt(c.args[1])
	if err != nil || !ok {
		return nil, err
	}
	n := dimLen(arr, dim)
	if n < 0 {
		return nil, nil
	}
	if upper {
		return int64(n), nil
	}
	return int64(1), nil
}

func fnArrayLength(c *call) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	dim, ok, err := argInt(c.args[1])
	if err != nil || !ok {
		return nil, err
	}
	n := dimLen(arr, dim)
	if n < 0 {
		return nil, nil
	}
	return int64(n), nil
}

func fnCardinality(c *call) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	return int64(len(flatten(arr, nil))), nil
}

func fnStringToArray(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	var parts []string
	if delim, ok := argText(c.args[1]); !ok {
		for _, r := range s {
			parts = append(parts, string(r))
		}
	} else if s == "" {
		parts = nil
	} else if delim == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, delim)
	}
	out := make([]any, len(parts))
	nullStr, hasNull := "", false
	if len(c.args) > 2 {
		nullStr, hasNull = argText(c.args[2])
	}
	for i, p := range parts {
		if hasNull && p == nullStr {
			out[i] = nil
		} else {
			out[i] = p
		}
	}
	return jsonArray(out), nil
}

// jsonElem converts a SQLite value to an array element.
func jsonElem(v driver.Value) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	}
	return v
}

func fnArrayAppend(c *call) (driver.Value, error) {
	arr, _, err := parseArray(c.args[0])
	if err != nil {
		return nil, err
	}
	return jsonArray(append(arr, jsonElem(c.args[1]))), nil
}

func fnArrayPrepend(c *call) (driver.Value, error) {
	arr, _, err := parseArray(c.args[1])
	if err != nil {
		return nil, err
	}
	return jsonArray(append([]any{jsonElem(c.args[0])}, arr...)), nil
}

func fnArrayCat(c *call) (driver.Value, error) {
	a, okA, err := parseArray(c.args[0])
	if err != nil {
		return nil, err
	}
	b, okB, err := parseArray(c.args[1])
	if err != nil {
		return nil, err
	}
	if !okA && !okB {
		return nil, nil
	}
	return jsonArray(append(a, b...)), nil
}

func sameElem(e any, v driver.Value) bool {
	es, eok := elemText(e)
	vs, vok := argText(v)
	if !eok || !vok {
		return !eok && !vok
	}
	return es == vs
}

func fnArrayRemove(c *call) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	out := []any{}
	for _, e := range arr {
		if !sameElem(e, c.args[1]) {
			out = append(out, e)
		}
	}
	return jsonArray(out), nil
}

func fnArrayPosition(c *call) (driver.Value, error) {
	arr, ok, err := parseArray(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	for i, e := range arr {
		if sameElem(e, c.args[1]) {
			return int64(i + 1), nil
		}
	}
	return nil, nil
}
