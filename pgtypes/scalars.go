package pgtypes

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// parseBoolText accepts what boolin accepts: t/true/y/yes/on/1 and
// f/false/n/no/off/0, any case, any unique prefix (at least two letters for
// on/off), surrounding whitespace.
func parseBoolText(s string) (bool, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return false, false
	}
	prefixOf := func(word string, minLen int) bool {
		return len(t) >= minLen && len(t) <= len(word) && word[:len(t)] == t
	}
	switch {
	case prefixOf("true", 1), prefixOf("yes", 1), prefixOf("on", 2), t == "1":
		return true, true
	case prefixOf("false", 1), prefixOf("no", 1), prefixOf("off", 2), t == "0":
		return false, true
	}
	return false, false
}

// boolValue returns a stored value as a bool: 0/1 integers (the storage
// convention), any other number (non-zero is true, as in SQLite), or
// boolean text.
func boolValue(sv sval) (bool, error) {
	switch sv.k {
	case vInt:
		return sv.i != 0, nil
	case vFloat:
		return sv.f != 0, nil
	case vText:
		if b, ok := parseBoolText(sv.s); ok {
			return b, nil
		}
		return false, syntaxError(TypeBool, sv.s)
	case vBlob:
		if b, ok := parseBoolText(string(sv.b)); ok {
			return b, nil
		}
	}
	return false, syntaxError(TypeBool, sv.text())
}

// parseByteaText decodes byteain input: "\x" hex (whitespace allowed
// between digit pairs) or the escape format (\\ and \ooo octal).
func parseByteaText(s string) ([]byte, error) {
	if len(s) >= 2 && s[0] == '\\' && s[1] == 'x' {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", s[i:i+utf8Len(s[i:])])
			}
			if i+1 >= len(s) {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(s[i+1])
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", s[i+1:i+1+utf8Len(s[i+1:])])
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			out = append(out, s[i])
			i++
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i += 2
		case i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
		default:
			return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

func utf8Len(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return 1
	}
	return n
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// byteaValue returns the bytes of a stored bytea value. A blob is the value
// itself; text is read as bytea input (what '\x..'::bytea or a plain string
// literal would have stored in PostgreSQL); numbers are their text.
func byteaValue(sv sval) ([]byte, error) {
	switch sv.k {
	case vBlob:
		return sv.b, nil
	case vText:
		return parseByteaText(sv.s)
	}
	return []byte(sv.text()), nil
}

func appendByteaHex(buf, b []byte) []byte {
	buf = append(buf, '\\', 'x')
	return hex.AppendEncode(buf, b)
}

// parseUUID accepts uuid_in's forms: canonical, upper case, braces, no
// hyphens, or a hyphen after any group of four hex digits.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	src := s
	braces := false
	if len(src) > 0 && src[0] == '{' {
		braces = true
		src = src[1:]
	}
	for i := 0; i < 16; i++ {
		if len(src) < 2 {
			return u, false
		}
		hi, ok1 := unhex(src[0])
		lo, ok2 := unhex(src[1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[i] = hi<<4 | lo
		src = src[2:]
		if i%2 == 1 && i < 15 && len(src) > 0 && src[0] == '-' {
			src = src[1:]
		}
	}
	if braces {
		if len(src) == 0 || src[0] != '}' {
			return u, false
		}
		src = src[1:]
	}
	return u, src == ""
}

func appendUUID(buf []byte, u [16]byte) []byte {
	const digits = "0123456789abcdef"
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, digits[b>>4], digits[b&0xf])
	}
	return buf
}

// isCanonicalUUID reports whether s is already in uuid_out's form.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func uuidValue(sv sval) ([16]byte, error) {
	switch sv.k {
	case vText:
		if u, ok := parseUUID(sv.s); ok {
			return u, nil
		}
	case vBlob:
		if len(sv.b) == 16 {
			return [16]byte(sv.b), nil
		}
		if u, ok := parseUUID(string(sv.b)); ok {
			return u, nil
		}
	}
	return [16]byte{}, syntaxError(TypeUUID, sv.text())
}

// checkLength enforces character varying(n) / character(n) on assignment:
// too long is an error unless the excess is only spaces, which are cut.
// character values are stored without their trailing blanks, which
// PostgreSQL treats as insignificant: output pads them back, and SQLite
// comparisons with unpadded literals keep working.
func checkLength(t Type, s string) (string, error) {
	switch t.OID {
	case BPCharOID:
		s = strings.TrimRight(s, " ")
	case NameOID:
		// name holds at most NAMEDATALEN-1 bytes; namein truncates.
		if len(s) > 63 {
			cut := 63
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut]
		}
	}
	if t.OID != VarcharOID && t.OID != BPCharOID || t.Modifier < 5 {
		return s, nil
	}
	n := int(t.Modifier - 4)
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s, nil
	}
	cut := 0
	for i := 0; i < n; i++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	if strings.TrimRight(s[cut:], " ") != "" {
		return "", errorf(CodeStringDataRightTruncation, "value too long for type %s", t.FormatType())
	}
	return s[:cut], nil
}

// appendPadded appends s blank-padded to the length of a character(n)
// column, as bpchar stores it.
func appendPadded(buf []byte, t Type, s string) []byte {
	buf = append(buf, s...)
	if t.OID != BPCharOID || t.Modifier < 5 {
		return buf
	}
	n := int(t.Modifier - 4)
	if len(s) >= n {
		if utf8.RuneCountInString(s) >= n {
			return buf
		}
	}
	for i := utf8.RuneCountInString(s); i < n; i++ {
		buf = append(buf, ' ')
	}
	return buf
}

// qcharFromText is charin: the first byte, or a \ooo octal escape.
func qcharFromText(s string) byte {
	if len(s) == 4 && s[0] == '\\' && isOctal(s[1]) && isOctal(s[2]) && isOctal(s[3]) {
		return (s[1]-'0')<<6 | (s[2]-'0')<<3 | (s[3] - '0')
	}
	if s == "" {
		return 0
	}
	return s[0]
}

// appendQChar is charout: nothing for the zero byte, the byte itself if
// ASCII, else a \ooo escape (so the stored text stays valid UTF-8).
func appendQChar(buf []byte, b byte) []byte {
	switch {
	case b == 0:
		return buf
	case b < 0x80:
		return append(buf, b)
	}
	return append(buf, '\\', '0'+b>>6, '0'+(b>>3)&7, '0'+b&7)
}
