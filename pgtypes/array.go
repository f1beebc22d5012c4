package pgtypes

import (
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// Arrays are stored as JSON array text ('[1,2,null]', '[["a","b"],["c","d"]]'),
// which SQLite's json functions can read. Elements use the element type's
// storage convention, except that booleans are JSON true/false, numbers are
// JSON numbers, and everything else (including bytea as '\x..' text and
// float NaN/Infinity) is a JSON string. Nested arrays are dimensions and must
// be rectangular. Lower bounds other than 1 are not kept.
//
// On output, PostgreSQL array literals ('{1,2}', '[0:1]={1,2}') stored by a
// statement that bypassed the translator are read too.

// arrayValue is a parsed stored array: elements in row-major order and the
// length of each dimension.
type arrayValue struct {
	elems []sval
	dims  []int
}

func malformedArray(input, detail string) *Error {
	msg := "malformed array literal: \"" + input + "\""
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &Error{Code: CodeInvalidTextRepresentation, Message: msg}
}

// parseStoredArray reads a stored array in JSON or PostgreSQL literal form.
func parseStoredArray(sv sval) (arrayValue, error) {
	var s string
	switch sv.k {
	case vText:
		s = sv.s
	case vBlob:
		s = string(sv.b)
	default:
		return arrayValue{}, malformedArray(sv.text(), "")
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") && !isArrayDimsDecoration(t) {
		n, err := parseJSON(t, false)
		if err != nil || n.kind != jArray {
			return arrayValue{}, malformedArray(s, "")
		}
		var av arrayValue
		if len(n.items) == 0 {
			return av, nil
		}
		if err := av.fromJSON(n, 0); err != nil {
			return arrayValue{}, malformedArray(s, err.Error())
		}
		return av, nil
	}
	elems, dims, err := parseArrayLiteral(s, ',')
	if err != nil {
		return arrayValue{}, err
	}
	av := arrayValue{dims: dims, elems: make([]sval, len(elems))}
	for i, e := range elems {
		if e.null {
			av.elems[i] = sval{k: vNull}
		} else {
			av.elems[i] = sval{k: vText, s: e.text}
		}
	}
	return av, nil
}

// isArrayDimsDecoration reports whether s starts with PostgreSQL's
// dimension decoration "[lo:hi]" (possibly several, then "="), which JSON
// text never does.
func isArrayDimsDecoration(s string) bool {
	if len(s) < 5 || s[0] != '[' {
		return false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return false
	}
	lo, hi, ok := strings.Cut(s[1:end], ":")
	if !ok {
		return false
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	lo = strings.TrimPrefix(lo, "-")
	hi = strings.TrimPrefix(hi, "-")
	return lo != "" && hi != "" && isDigits(lo) && isDigits(hi)
}

type arrayShapeError string

func (e arrayShapeError) Error() string { return string(e) }

// maxArrayDims is PostgreSQL's MAXDIM.
const maxArrayDims = 6

func (av *arrayValue) fromJSON(n jnode, depth int) error {
	if depth >= maxArrayDims {
		return arrayShapeError("more than 6 dimensions")
	}
	if depth == len(av.dims) {
		if len(av.elems) > 0 {
			return arrayShapeError("sub-arrays must have matching dimensions")
		}
		av.dims = append(av.dims, len(n.items))
	} else if av.dims[depth] != len(n.items) {
		return arrayShapeError("sub-arrays must have matching dimensions")
	}
	nested := len(n.items) > 0 && n.items[0].kind == jArray
	for _, it := range n.items {
		if (it.kind == jArray) != nested {
			return arrayShapeError("sub-arrays must have matching dimensions")
		}
		if nested {
			if len(it.items) == 0 {
				return arrayShapeError("empty sub-array")
			}
			if err := av.fromJSON(it, depth+1); err != nil {
				return err
			}
			continue
		}
		if depth+1 != len(av.dims) {
			return arrayShapeError("sub-arrays must have matching dimensions")
		}
		av.elems = append(av.elems, jsonElem(it))
	}
	return nil
}

// jsonElem converts a JSON leaf to a value the element encoders accept.
func jsonElem(n jnode) sval {
	switch n.kind {
	case jNull:
		return sval{k: vNull}
	case jTrue:
		return sval{k: vText, s: "true"}
	case jFalse:
		return sval{k: vText, s: "false"}
	case jNumber, jString:
		return sval{k: vText, s: n.s}
	}
	// An object (json[]/jsonb[] element stored unquoted).
	return sval{k: vText, s: string(appendJSONB(nil, n))}
}

type literalElem struct {
	text string
	null bool
}

// parseArrayLiteral parses PostgreSQL's array input syntax: optional
// dimension decoration, nested braces, quoted elements with backslash
// escapes, unquoted elements trimmed, unquoted NULL.
func parseArrayLiteral(input string, delim byte) ([]literalElem, []int, error) {
	s := strings.TrimSpace(input)
	if strings.HasPrefix(s, "[") {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, nil, malformedArray(input, "missing \"=\" after array dimensions")
		}
		s = strings.TrimSpace(s[eq+1:])
	}
	p := arrayLiteralParser{s: s, delim: delim, input: input, leafDepth: -1}
	if len(s) == 0 || s[0] != '{' {
		return nil, nil, malformedArray(input, "array value must start with \"{\" or dimension information")
	}
	if err := p.level(0); err != nil {
		return nil, nil, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, nil, malformedArray(input, "junk after closing right brace")
	}
	if len(p.elems) == 0 {
		p.dims = nil
	}
	return p.elems, p.dims, nil
}

type arrayLiteralParser struct {
	s, input  string
	i         int
	delim     byte
	elems     []literalElem
	dims      []int
	leafDepth int // depth of the first element, -1 before it
}

func (p *arrayLiteralParser) skipSpace() {
	for p.i < len(p.s) && isArraySpace(p.s[p.i]) {
		p.i++
	}
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func (p *arrayLiteralParser) level(depth int) error {
	if depth >= maxArrayDims {
		return errorf(CodeProgramLimitExceeded, "number of array dimensions exceeds the maximum allowed (6)")
	}
	p.i++ // {
	count := 0
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		if depth > 0 {
			return malformedArray(p.input, "empty sub-array")
		}
		return nil
	}
	hasSub := false
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return malformedArray(p.input, "unexpected end of input")
		}
		if p.s[p.i] == '{' {
			if count > 0 && !hasSub {
				return malformedArray(p.input, "unexpected \"{\" character")
			}
			hasSub = true
			if err := p.level(depth + 1); err != nil {
				return err
			}
		} else {
			if hasSub {
				return malformedArray(p.input, "unexpected array element")
			}
			if p.leafDepth >= 0 && p.leafDepth != depth {
				return malformedArray(p.input, "multidimensional arrays must have sub-arrays with matching dimensions")
			}
			p.leafDepth = depth
			e, err := p.element()
			if err != nil {
				return err
			}
			p.elems = append(p.elems, e)
		}
		count++
		p.skipSpace()
		if p.i >= len(p.s) {
			return malformedArray(p.input, "unexpected end of input")
		}
		if p.s[p.i] == p.delim {
			p.i++
			continue
		}
		if p.s[p.i] == '}' {
			p.i++
			break
		}
		return malformedArray(p.input, "unexpected character")
	}
	// Inner levels finish first, so grow dims to this depth before use.
	for len(p.dims) <= depth {
		p.dims = append(p.dims, -1)
	}
	switch p.dims[depth] {
	case -1:
		p.dims[depth] = count
	case count:
	default:
		return malformedArray(p.input, "multidimensional arrays must have sub-arrays with matching dimensions")
	}
	return nil
}

func (p *arrayLiteralParser) element() (literalElem, error) {
	var b []byte
	if p.s[p.i] == '"' {
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			switch c {
			case '\\':
				if p.i+1 >= len(p.s) {
					return literalElem{}, malformedArray(p.input, "unexpected end of input")
				}
				b = append(b, p.s[p.i+1])
				p.i += 2
				continue
			case '"':
				p.i++
				return literalElem{text: string(b)}, nil
			}
			b = append(b, c)
			p.i++
		}
		return literalElem{}, malformedArray(p.input, "unexpected end of input")
	}
	lastNonSpace := 0
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == p.delim || c == '}' {
			break
		}
		switch {
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return literalElem{}, malformedArray(p.input, "unexpected end of input")
			}
			b = append(b, p.s[p.i+1])
			p.i += 2
			lastNonSpace = len(b)
			escaped = true
			continue
		case c == '{' || c == '"':
			return literalElem{}, malformedArray(p.input, "unexpected \""+string(c)+"\" character")
		}
		b = append(b, c)
		if !isArraySpace(c) {
			lastNonSpace = len(b)
		}
		p.i++
	}
	b = b[:lastNonSpace]
	if len(b) == 0 {
		return literalElem{}, malformedArray(p.input, "unexpected \""+string(p.s[min(p.i, len(p.s)-1)])+"\" character")
	}
	if !escaped && strings.EqualFold(string(b), "NULL") {
		return literalElem{null: true}, nil
	}
	return literalElem{text: string(b)}, nil
}

// appendArrayText renders a stored array as array_out does.
func (c *Codec) appendArrayText(buf []byte, t Type, sv sval) ([]byte, error) {
	av, err := parseStoredArray(sv)
	if err != nil {
		return nil, err
	}
	if len(av.dims) == 0 {
		return append(buf, '{', '}'), nil
	}
	elemT := t.Elem()
	var tmp []byte
	idx := 0
	var walk func(depth int) error
	walk = func(depth int) error {
		buf = append(buf, '{')
		for i := 0; i < av.dims[depth]; i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			if depth+1 < len(av.dims) {
				if err := walk(depth + 1); err != nil {
					return err
				}
				continue
			}
			e := av.elems[idx]
			idx++
			if e.k == vNull {
				buf = append(buf, "NULL"...)
				continue
			}
			out, err := c.appendText(tmp[:0], elemT, e)
			if err != nil {
				return err
			}
			tmp = out
			buf = appendArrayElement(buf, out)
		}
		buf = append(buf, '}')
		return nil
	}
	if err := walk(0); err != nil {
		return nil, err
	}
	return buf, nil
}

// appendArrayElement quotes an element when array_out would: empty, NULL,
// or containing braces, quotes, backslash, the delimiter or whitespace.
func appendArrayElement(buf, e []byte) []byte {
	quote := len(e) == 0 || strings.EqualFold(string(e), "NULL")
	for _, c := range e {
		if c == '{' || c == '}' || c == '"' || c == '\\' || c == ',' || isArraySpace(c) {
			quote = true
			break
		}
	}
	if !quote {
		return append(buf, e...)
	}
	buf = append(buf, '"')
	for _, c := range e {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}

// appendArrayBinary encodes a stored array with pgtype's ArrayCodec.
func (c *Codec) appendArrayBinary(buf []byte, t Type, sv sval) ([]byte, error) {
	if _, ok := c.m.TypeForOID(t.OID); !ok {
		return nil, errorf(CodeUndefinedFunction, "no binary output function available for type %s", t.FormatType())
	}
	av, err := parseStoredArray(sv)
	if err != nil {
		return nil, err
	}
	elemT := t.Elem()
	arr := pgtype.Array[any]{Elements: make([]any, len(av.elems)), Dims: make([]pgtype.ArrayDimension, len(av.dims)), Valid: true}
	for i, d := range av.dims {
		arr.Dims[i] = pgtype.ArrayDimension{Length: int32(d), LowerBound: 1}
	}
	for i, e := range av.elems {
		if e.k == vNull {
			continue
		}
		v, err := c.binaryArg(elemT, e)
		if err != nil {
			return nil, err
		}
		arr.Elements[i] = detach(v)
	}
	out, err := c.m.Encode(t.OID, BinaryFormat, arr, buf)
	if err != nil {
		return nil, errorf(CodeInternalError, "encoding %s: %v", t.FormatType(), err)
	}
	return out, nil
}

// detach copies a value out of the Codec's scratch fields, for array
// elements that must outlive the next conversion.
func detach(v any) any {
	switch p := v.(type) {
	case *pgtype.Int8:
		return *p
	case *pgtype.Uint32:
		return *p
	case *pgtype.Float4:
		return *p
	case *pgtype.Float8:
		return *p
	case *pgtype.Bool:
		return *p
	case *pgtype.Numeric:
		return *p
	case *pgtype.UUID:
		return *p
	case *pgtype.Date:
		return *p
	case *pgtype.Time:
		return *p
	case *pgtype.Timestamp:
		return *p
	case *pgtype.Timestamptz:
		return *p
	case *pgtype.Interval:
		return *p
	}
	return v
}

// decodeArray converts an array parameter into its JSON storage text.
func (c *Codec) decodeArray(t Type, format int16, src []byte) (any, error) {
	elemT := t.Elem()
	elemT.Modifier = t.Modifier
	var elems [][]byte
	var dims []int
	elemFormat := format
	if format == TextFormat {
		if err := checkText(src); err != nil {
			return nil, err
		}
		lits, d, err := parseArrayLiteral(string(src), ',')
		if err != nil {
			return nil, err
		}
		dims = d
		elems = make([][]byte, len(lits))
		for i, l := range lits {
			if !l.null {
				elems[i] = []byte(l.text)
			}
		}
	} else {
		if _, ok := c.m.TypeForOID(t.OID); !ok {
			return nil, binaryFormatError(t, nil)
		}
		var arrDims []pgtype.ArrayDimension
		if f := familyOf(elemT.OID); f == famJSON || f == famJSONB {
			// pgtype's json codecs unmarshal into any scan target except
			// []byte, which receives the document text: decode those
			// elements as text.
			var arr pgtype.Array[[]byte]
			if err := c.m.Scan(t.OID, BinaryFormat, src, &arr); err != nil {
				return nil, binaryFormatError(t, err)
			}
			arrDims, elems, elemFormat = arr.Dims, arr.Elements, TextFormat
		} else {
			var arr pgtype.Array[pgtype.UndecodedBytes]
			if err := c.m.Scan(t.OID, BinaryFormat, src, &arr); err != nil {
				return nil, binaryFormatError(t, err)
			}
			arrDims = arr.Dims
			elems = make([][]byte, len(arr.Elements))
			for i, e := range arr.Elements {
				if e != nil {
					elems[i] = []byte(e)
				}
			}
		}
		for _, d := range arrDims {
			dims = append(dims, int(d.Length))
		}
	}
	out := make([]byte, 0, 16+len(src))
	idx := 0
	var walk func(depth int) error
	walk = func(depth int) error {
		out = append(out, '[')
		n := 0
		if depth < len(dims) {
			n = dims[depth]
		}
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			if depth+1 < len(dims) {
				if err := walk(depth + 1); err != nil {
					return err
				}
				continue
			}
			if idx >= len(elems) {
				return malformedArray(string(src), "dimensions do not match the elements")
			}
			e := elems[idx]
			idx++
			if e == nil {
				out = append(out, "null"...)
				continue
			}
			v, err := c.Decode(elemT, elemFormat, e)
			if err != nil {
				return err
			}
			out = appendStorageJSON(out, elemT, v)
		}
		out = append(out, ']')
		return nil
	}
	if err := walk(0); err != nil {
		return nil, err
	}
	return string(out), nil
}

// appendStorageJSON writes one element's storage value as a JSON value.
func appendStorageJSON(buf []byte, elemT Type, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case int64:
		if elemT.OID == BoolOID {
			if x != 0 {
				return append(buf, "true"...)
			}
			return append(buf, "false"...)
		}
		return strconv.AppendInt(buf, x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return appendJSONString(buf, string(appendFloat8(nil, x)))
		}
		return strconv.AppendFloat(buf, x, 'g', -1, 64)
	case string:
		if elemT.OID == NumericOID && isCanonicalNumeric(x) {
			return append(buf, x...)
		}
		return appendJSONString(buf, x)
	case []byte:
		return appendJSONString(buf, string(appendByteaHex(nil, x)))
	}
	return append(buf, "null"...)
}
