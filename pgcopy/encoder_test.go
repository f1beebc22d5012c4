package pgcopy

import (
	"bytes"
	"testing"
)

func fieldsOf(row []string) [][]byte {
	f := make([][]byte, len(row))
	for i, v := range row {
		if v != nul {
			f[i] = []byte(v)
		}
	}
	return f
}

func encodeAll(opts Options, names []string, rows [][]string) []byte {
	e := NewEncoder(opts)
	buf := e.Header(nil, names)
	for _, r := range rows {
		buf = e.Row(buf, fieldsOf(r))
	}
	return e.Trailer(buf)
}

func TestEncodeCases(t *testing.T) {
	for _, c := range encodeCases {
		t.Run(c.name, func(t *testing.T) {
			if got := encodeAll(c.opts, c.names, c.rows); string(got) != c.want {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestEncodeDecodeCases reads every encode case back: what COPY TO writes,
// COPY FROM must read as the same rows.
func TestEncodeDecodeCases(t *testing.T) {
	for _, c := range encodeCases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			opts.ForceQuote, opts.ForceQuoteAll = nil, false
			got := decodeChunks(t, opts, len(c.names), c.names, [][]byte{[]byte(c.want)})
			if got.err != "" {
				t.Fatalf("decode: %v", got)
			}
			if !sameResult(got, decodeResult{rows: c.rows}) {
				t.Errorf("\n got %q\nwant %q", got.rows, c.rows)
			}
		})
	}
}

func TestEncodeAppends(t *testing.T) {
	e := NewEncoder(Options{Format: CSV})
	buf := []byte("prefix")
	buf = e.Row(buf, [][]byte{[]byte("a")})
	if !bytes.Equal(buf, []byte("prefixa\n")) {
		t.Fatalf("got %q", buf)
	}
	if got := e.Header(nil, []string{"a"}); len(got) != 0 {
		t.Fatalf("header without Header option: %q", got)
	}
	if got := e.Trailer(nil); len(got) != 0 {
		t.Fatalf("csv trailer: %q", got)
	}
}
