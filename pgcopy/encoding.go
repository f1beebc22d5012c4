package pgcopy

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// verifyUTF8 is pg_utf8_verifystr: it returns the length of the longest
// prefix of b that is valid UTF8 as PostgreSQL defines it (Go's definition,
// minus NUL). bad reports that b[n:] starts with an invalid sequence; when it
// is false and n < len(b), b[n:] is the incomplete start of a character that
// more input may complete — unless final says no more input is coming.
func verifyUTF8(b []byte, final bool) (n int, bad bool) {
	// Fast path: everything up to the start of the last character is
	// checked by the vectorised library routines; only that character, which
	// may be incomplete, and inputs with an error take the slow loop.
	cut := len(b)
	for k := 0; k < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(b[cut-1]); k++ {
		cut--
	}
	if cut > 0 {
		cut--
	}
	i := 0
	if bytes.IndexByte(b[:cut], 0) < 0 && utf8.Valid(b[:cut]) {
		i = cut
	}
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return i, true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if !final && !utf8.FullRune(b[i:]) {
				return i, false
			}
			return i, true
		}
		i += size
	}
	return i, false
}

// pgUTF8Len is pg_utf_mblen: the length a lead byte announces, 1 for bytes
// that cannot lead.
func pgUTF8Len(c byte) int {
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xe0 == 0xc0:
		return 2
	case c&0xf0 == 0xe0:
		return 3
	case c&0xf8 == 0xf0:
		return 4
	}
	return 1
}

// errInvalidEncoding is report_invalid_encoding for the sequence at the
// start of b, which holds everything PostgreSQL would have had buffered from
// that point.
func errInvalidEncoding(b []byte) *Error {
	n := 1
	if len(b) > 0 {
		n = min(pgUTF8Len(b[0]), len(b), 8)
	}
	var hex strings.Builder
	for j := 0; j < n && j < len(b); j++ {
		if j > 0 {
			hex.WriteByte(' ')
		}
		fmt.Fprintf(&hex, "0x%02x", b[j])
	}
	return errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", hex.String())
}
