package pgtypes

import (
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonb is stored as the text PostgreSQL's jsonb output produces, so that
// what a client reads back is what PostgreSQL would print: keys sorted
// (shorter first, then bytewise), duplicate keys resolved to the last value,
// ", " and ": " separators, numbers in numeric_out form, strings re-escaped.
// json is stored verbatim after validation, as PostgreSQL stores it.

type jkind uint8

const (
	jNull jkind = iota
	jTrue
	jFalse
	jNumber
	jString
	jArray
	jObject
)

type jnode struct {
	kind  jkind
	s     string // decoded string, or the number token
	items []jnode
	keys  []string
	vals  []jnode
}

type jparser struct {
	s     string
	i     int
	depth int
	// noNUL rejects \u0000, which jsonb (text-based) cannot hold.
	noNUL bool
	err   *Error
}

const maxJSONDepth = 6400

func jsonSyntax(detail string) *Error {
	msg := "invalid input syntax for type json"
	if detail != "" {
		msg += ": " + detail
	}
	return &Error{Code: CodeInvalidTextRepresentation, Message: msg}
}

// parseJSON parses one JSON document.
func parseJSON(s string, noNUL bool) (jnode, *Error) {
	p := &jparser{s: s, noNUL: noNUL}
	p.ws()
	n := p.value()
	if p.err != nil {
		return jnode{}, p.err
	}
	p.ws()
	if p.i != len(p.s) {
		return jnode{}, jsonSyntax("unexpected data after the value")
	}
	return n, nil
}

func (p *jparser) fail(detail string) jnode {
	if p.err == nil {
		p.err = jsonSyntax(detail)
	}
	p.i = len(p.s)
	return jnode{}
}

func (p *jparser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() jnode {
	if p.i >= len(p.s) {
		return p.fail("the input ends unexpectedly")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.str()
		if !ok {
			return jnode{}
		}
		return jnode{kind: jString, s: s}
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case hasPrefixAt(p.s, p.i, "true"):
		p.i += 4
		return jnode{kind: jTrue}
	case hasPrefixAt(p.s, p.i, "false"):
		p.i += 5
		return jnode{kind: jFalse}
	case hasPrefixAt(p.s, p.i, "null"):
		p.i += 4
		return jnode{kind: jNull}
	}
	return p.fail("unexpected token")
}

func hasPrefixAt(s string, i int, prefix string) bool {
	return len(s)-i >= len(prefix) && s[i:i+len(prefix)] == prefix
}

func (p *jparser) enter() bool {
	p.depth++
	if p.depth > maxJSONDepth {
		p.fail("nesting too deep")
		return false
	}
	return true
}

func (p *jparser) object() jnode {
	if !p.enter() {
		return jnode{}
	}
	defer func() { p.depth-- }()
	p.i++ // {
	n := jnode{kind: jObject}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return n
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.fail("expected a string key")
		}
		k, ok := p.str()
		if !ok {
			return jnode{}
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.fail("expected \":\"")
		}
		p.i++
		p.ws()
		v := p.value()
		if p.err != nil {
			return jnode{}
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n
		}
		return p.fail("expected \",\" or \"}\"")
	}
}

func (p *jparser) array() jnode {
	if !p.enter() {
		return jnode{}
	}
	defer func() { p.depth-- }()
	p.i++ // [
	n := jnode{kind: jArray}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return n
	}
	for {
		p.ws()
		v := p.value()
		if p.err != nil {
			return jnode{}
		}
		n.items = append(n.items, v)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n
		}
		return p.fail("expected \",\" or \"]\"")
	}
}

func (p *jparser) number() jnode {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return p.fail("invalid number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("invalid number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("invalid number")
		}
	}
	return jnode{kind: jNumber, s: p.s[start:p.i]}
}

// str parses a JSON string at p.i and returns it decoded.
func (p *jparser) str() (string, bool) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.fail("control characters must be escaped")
			return "", false
		}
		p.i++
	}
	var b []byte
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), true
		case c < 0x20:
			p.fail("control characters must be escaped")
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				p.fail("\"\\u\" must be followed by four hexadecimal digits")
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || !hasPrefixAt(p.s, p.i, "\\u") {
					p.fail("Unicode low surrogate must follow a high surrogate")
					return "", false
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok || r2 < 0xdc00 || r2 > 0xdfff {
					p.fail("Unicode low surrogate must follow a high surrogate")
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
			}
			if r == 0 && p.noNUL {
				if p.err == nil {
					p.err = &Error{Code: CodeUntranslatableCharacter, Message: "unsupported Unicode escape sequence: \\u0000 cannot be converted to text"}
				}
				p.i = len(p.s)
				return "", false
			}
			b = utf8.AppendRune(b, r)
		default:
			p.fail("invalid escape sequence")
			return "", false
		}
	}
	p.fail("the input ends unexpectedly")
	return "", false
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	p.i += 4
	return r, true
}

// appendJSONB writes n as jsonb_out does.
func appendJSONB(buf []byte, n jnode) []byte {
	switch n.kind {
	case jNull:
		return append(buf, "null"...)
	case jTrue:
		return append(buf, "true"...)
	case jFalse:
		return append(buf, "false"...)
	case jNumber:
		if d, ok := parseDecimal(n.s); ok {
			return d.appendTo(buf)
		}
		return append(buf, n.s...)
	case jString:
		return appendJSONString(buf, n.s)
	case jArray:
		buf = append(buf, '[')
		for i, it := range n.items {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONB(buf, it)
		}
		return append(buf, ']')
	}
	// Object: order keys like jsonb (length, then bytes); the last of
	// duplicate keys wins.
	idx := make([]int, len(n.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := n.keys[idx[a]], n.keys[idx[b]]
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	buf = append(buf, '{')
	first := true
	for j, i := range idx {
		if j+1 < len(idx) && n.keys[idx[j+1]] == n.keys[i] {
			continue
		}
		if !first {
			buf = append(buf, ", "...)
		}
		first = false
		buf = appendJSONString(buf, n.keys[i])
		buf = append(buf, ": "...)
		buf = appendJSONB(buf, n.vals[i])
	}
	return append(buf, '}')
}

// appendJSONString quotes s as PostgreSQL's escape_json does.
func appendJSONString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			if c < 0x20 {
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, '"')
}

// normalizeJSONB returns the jsonb text form of a JSON document.
func normalizeJSONB(s string) (string, error) {
	n, err := parseJSON(s, true)
	if err != nil {
		return "", err
	}
	return string(appendJSONB(make([]byte, 0, len(s)+8), n)), nil
}

// appendJSONBText is the text output of a stored jsonb value.
func appendJSONBText(buf []byte, sv sval) ([]byte, error) {
	var s string
	switch sv.k {
	case vText:
		s = sv.s
	case vBlob:
		s = string(sv.b)
	case vInt:
		return strconv.AppendInt(buf, sv.i, 10), nil
	case vFloat:
		if d := decimalFromFloat(sv.f); d.nan || d.inf != 0 {
			return nil, jsonSyntax("")
		} else {
			return d.appendTo(buf), nil
		}
	default:
		return nil, jsonSyntax("")
	}
	n, err := parseJSON(s, true)
	if err != nil {
		return nil, err
	}
	return appendJSONB(buf, n), nil
}

// checkJSON validates json input (which, unlike jsonb, keeps \u0000).
func checkJSON(b []byte) error {
	if _, err := parseJSON(string(b), false); err != nil {
		return err
	}
	return nil
}
