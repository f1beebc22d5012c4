package pgcopy

import (
	"bytes"
	"encoding/binary"
)

// Encoder renders rows for COPY TO STDOUT. Every method appends to buf and
// returns the extended slice, so the caller decides how rows are batched
// into CopyData messages. An Encoder holds no per-stream state.
type Encoder struct {
	cfg config
	// needsText marks the bytes CopyAttributeOutText must look at.
	needsText [256]bool
	// needsQuote marks the bytes that force csv quoting.
	needsQuote [256]bool
}

// NewEncoder returns an encoder for opt, which should have passed Validate.
func NewEncoder(opt Options) *Encoder {
	e := &Encoder{cfg: newConfig(opt)}
	for c := 0; c < 0x20; c++ {
		e.needsText[c] = true
	}
	e.needsText['\\'] = true
	e.needsText[e.cfg.delim] = true
	for _, c := range []byte{e.cfg.delim, e.cfg.quote, '\n', '\r'} {
		e.needsQuote[c] = true
	}
	return e
}

// Header appends what precedes the rows: the binary signature, flags and
// empty extension area, or a header line of column names when the Header
// option is set. Otherwise it appends nothing.
func (e *Encoder) Header(buf []byte, names []string) []byte {
	switch {
	case e.cfg.format == Binary:
		buf = append(buf, binarySignature...)
		buf = binary.BigEndian.AppendUint32(buf, 0)  // flags
		return binary.BigEndian.AppendUint32(buf, 0) // extension length
	case !e.cfg.header:
		return buf
	}
	for i, name := range names {
		if i > 0 {
			buf = append(buf, e.cfg.delim)
		}
		if e.cfg.format == CSV {
			buf = e.appendCSV(buf, []byte(name), false, len(names) == 1)
		} else {
			buf = e.appendText(buf, []byte(name))
		}
	}
	return append(buf, '\n')
}

// Row appends one row. For text and csv each field is the column's text
// output; for binary, its send-format bytes. A nil field is NULL.
func (e *Encoder) Row(buf []byte, fields [][]byte) []byte {
	switch e.cfg.format {
	case Binary:
		buf = binary.BigEndian.AppendUint16(buf, uint16(int16(len(fields))))
		for _, f := range fields {
			if f == nil {
				buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
				continue
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
			buf = append(buf, f...)
		}
		return buf
	case CSV:
		for i, f := range fields {
			if i > 0 {
				buf = append(buf, e.cfg.delim)
			}
			if f == nil {
				buf = append(buf, e.cfg.null...)
				continue
			}
			force := e.cfg.forceQuoteAll || flagAt(e.cfg.forceQuote, i)
			buf = e.appendCSV(buf, f, force, len(fields) == 1)
		}
	default:
		for i, f := range fields {
			if i > 0 {
				buf = append(buf, e.cfg.delim)
			}
			if f == nil {
				buf = append(buf, e.cfg.null...)
				continue
			}
			buf = e.appendText(buf, f)
		}
	}
	return append(buf, '\n')
}

// Trailer appends the binary end-of-data marker; text and csv have none
// (COPY TO STDOUT does not send \.).
func (e *Encoder) Trailer(buf []byte) []byte {
	if e.cfg.format == Binary {
		return binary.BigEndian.AppendUint16(buf, 0xffff)
	}
	return buf
}

// appendText is CopyAttributeOutText: control characters with a C escape
// are written that way (proof against newline mangling), backslash and the
// delimiter get a backslash, other bytes go out as they are.
func (e *Encoder) appendText(buf, s []byte) []byte {
	delim := e.cfg.delim
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !e.needsText[c] {
			continue
		}
		if c < 0x20 {
			var esc byte
			switch c {
			case '\b':
				esc = 'b'
			case '\f':
				esc = 'f'
			case '\n':
				esc = 'n'
			case '\r':
				esc = 'r'
			case '\t':
				esc = 't'
			case '\v':
				esc = 'v'
			default:
				if c != delim {
					continue
				}
				esc = c
			}
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', esc)
			start = i + 1
			continue
		}
		// Backslash or delimiter: prefix, keep the byte.
		buf = append(buf, s[start:i]...)
		buf = append(buf, '\\')
		start = i
	}
	return append(buf, s[start:]...)
}

// appendCSV is CopyAttributeOutCSV. A value is quoted when forced, when it
// equals the NULL marker (so it reads back as a string), when it contains
// the delimiter, the quote or a newline, or when it is the sole column and
// exactly \. (which would otherwise read back as the end-of-data marker).
func (e *Encoder) appendCSV(buf, s []byte, force, single bool) []byte {
	quote := force || bytes.Equal(s, e.cfg.null)
	if !quote {
		if single && len(s) == 2 && s[0] == '\\' && s[1] == '.' {
			quote = true
		} else {
			for _, c := range s {
				if e.needsQuote[c] {
					quote = true
					break
				}
			}
		}
	}
	if !quote {
		return append(buf, s...)
	}
	q, esc := e.cfg.quote, e.cfg.escape
	buf = append(buf, q)
	start := 0
	for i, c := range s {
		if c == q || c == esc {
			buf = append(buf, s[start:i]...)
			buf = append(buf, esc)
			start = i
		}
	}
	buf = append(buf, s[start:]...)
	return append(buf, q)
}
