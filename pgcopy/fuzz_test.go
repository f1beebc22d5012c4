package pgcopy

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets check three properties on arbitrary input:
//
//  1. no panic, and every row has ncols fields;
//  2. chunking does not matter: the same input fed whole, split at a
//     fuzzer-chosen point, and split in three gives identical rows, error
//     and error context;
//  3. round trip: rows that decoded cleanly, re-encoded with the same
//     options, decode to the same rows; and arbitrary values built from the
//     input survive encode → decode.

// fuzzOptions derives a valid option set from a selector byte.
func fuzzOptions(f Format, sel byte) Options {
	o := Options{Format: f, MaxRowSize: 1 << 16}
	switch f {
	case Text:
		switch sel % 4 {
		case 1:
			o.Delimiter = '|'
		case 2:
			o.Delimiter, o.Null, o.NullSet = ',', "", true
		case 3:
			o.Header = true
		}
	case CSV:
		switch sel % 6 {
		case 1:
			o.Escape = '\\'
		case 2:
			o.Quote, o.Delimiter = '\'', ';'
		case 3:
			o.Null, o.NullSet = "NULL", true
		case 4:
			o.Header = true
			o.ForceNotNull = []int{0}
			o.ForceNull = []int{1}
		case 5:
			o.Delimiter = '\t'
			o.Escape = '\\'
		}
	}
	return o
}

func fuzzDecode(t *testing.T, f Format, sel byte, data []byte, split uint16) {
	opts := fuzzOptions(f, sel)
	ncols := int(sel/8)%4 + 0
	names := []string{"a", "b", "c", "d"}[:ncols]
	whole := decodeChunks(t, opts, ncols, names, [][]byte{data})
	i := int(split) % (len(data) + 1)
	if got := decodeChunks(t, opts, ncols, names, [][]byte{data[:i], data[i:]}); !sameResult(got, whole) {
		t.Fatalf("split at %d:\n got %v\nwant %v", i, got, whole)
	}
	j := i / 2
	if got := decodeChunks(t, opts, ncols, names, [][]byte{data[:j], data[j:i], data[i:]}); !sameResult(got, whole) {
		t.Fatalf("split at %d,%d:\n got %v\nwant %v", j, i, got, whole)
	}
	if whole.err != "" || len(whole.rows) == 0 {
		return
	}
	// Round trip what was decoded. A header line is not data; the encoder
	// writes its own and the decoder skips it again.
	eopts := opts
	eopts.ForceNotNull, eopts.ForceNull = nil, nil
	dopts := eopts
	enc := encodeAll(eopts, names, whole.rows)
	back := decodeChunks(t, dopts, ncols, names, [][]byte{enc})
	want := decodeResult{rows: whole.rows}
	if f == Text && opts.NullSet && opts.Null == "" {
		// NULL '' makes the empty string and NULL indistinguishable in
		// text format, in PostgreSQL too.
		for _, r := range want.rows {
			for k, v := range r {
				if v == "" {
					r[k] = nul
				}
			}
		}
	}
	if !sameResult(back, want) {
		t.Fatalf("round trip via %q:\n got %v\nwant %v", enc, back, want)
	}
}

// fuzzValues turns input into rows of ncols valid UTF-8, NUL-free values
// (PostgreSQL text can hold nothing else), with \x01 marking NULL.
func fuzzValues(data []byte, ncols int) [][]string {
	s := strings.ToValidUTF8(string(data), "?")
	s = strings.ReplaceAll(s, "\x00", "0")
	var rows [][]string
	for _, line := range strings.Split(s, "\x02") {
		vals := strings.Split(line, "\x03")
		row := make([]string, ncols)
		for k := range row {
			if k < len(vals) {
				row[k] = vals[k]
			}
			if row[k] == "\x01" {
				row[k] = nul
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func fuzzRoundTrip(t *testing.T, f Format, sel byte, data []byte) {
	opts := fuzzOptions(f, sel)
	opts.ForceNotNull, opts.ForceNull = nil, nil
	opts.MaxRowSize = 0
	ncols := int(sel/8)%4 + 1
	names := []string{"a", "b", "c", "d"}[:ncols]
	rows := fuzzValues(data, ncols)
	if f == Text && opts.NullSet && opts.Null == "" {
		for _, r := range rows {
			for k, v := range r {
				if v == "" {
					r[k] = nul
				}
			}
		}
	}
	enc := encodeAll(opts, names, rows)
	got := decodeChunks(t, opts, ncols, names, [][]byte{enc})
	if !sameResult(got, decodeResult{rows: rows}) {
		t.Fatalf("round trip via %q:\n got %v\nwant %q", enc, got, rows)
	}
	// And through the force-quote path for csv.
	if f == CSV {
		fq := opts
		fq.ForceQuoteAll = true
		enc = encodeAll(fq, names, rows)
		if got := decodeChunks(t, opts, ncols, names, [][]byte{enc}); !sameResult(got, decodeResult{rows: rows}) {
			t.Fatalf("force-quote round trip via %q:\n got %v\nwant %q", enc, got, rows)
		}
	}
}

func addSeeds(f *testing.F, format Format) {
	for _, c := range decodeCases {
		if c.opts.Format != format {
			continue
		}
		f.Add(byte(c.ncols*8), []byte(c.in), uint16(len(c.in)/2))
	}
	for _, c := range encodeCases {
		if c.opts.Format == format {
			f.Add(byte(len(c.names)*8), []byte(c.want), uint16(3))
		}
	}
}

func FuzzTextDecoder(f *testing.F) {
	addSeeds(f, Text)
	f.Fuzz(func(t *testing.T, sel byte, data []byte, split uint16) {
		fuzzDecode(t, Text, sel, data, split)
		fuzzRoundTrip(t, Text, sel, data)
	})
}

func FuzzCSVDecoder(f *testing.F) {
	addSeeds(f, CSV)
	f.Fuzz(func(t *testing.T, sel byte, data []byte, split uint16) {
		fuzzDecode(t, CSV, sel, data, split)
		fuzzRoundTrip(t, CSV, sel, data)
	})
}

func FuzzBinaryDecoder(f *testing.F) {
	addSeeds(f, Binary)
	f.Fuzz(func(t *testing.T, sel byte, data []byte, split uint16) {
		fuzzDecode(t, Binary, sel, data, split)
		// Binary carries any bytes; no sanitising needed.
		ncols := int(sel/8)%4 + 1
		var rows [][]string
		for _, line := range bytes.Split(data, []byte{0x02}) {
			row := make([]string, ncols)
			vals := bytes.Split(line, []byte{0x03})
			for k := range row {
				if k < len(vals) {
					row[k] = string(vals[k])
				}
				if row[k] == "\x01" {
					row[k] = nul
				}
			}
			rows = append(rows, row)
		}
		names := []string{"a", "b", "c", "d"}[:ncols]
		enc := encodeAll(Options{Format: Binary}, names, rows)
		if got := decodeChunks(t, Options{Format: Binary}, ncols, names, [][]byte{enc}); !sameResult(got, decodeResult{rows: rows}) {
			t.Fatalf("round trip:\n got %v\nwant %q", got, rows)
		}
	})
}

// TestVerifyUTF8MatchesGo cross-checks the verifier against the standard
// library on the boundary cases PostgreSQL's pg_utf8_islegal cares about.
func TestVerifyUTF8MatchesGo(t *testing.T) {
	for _, s := range []string{"", "abc", "é", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\x80", "\xe0\x80\x80",
		"\xef\xbf\xbd", "\xf0\x9f\x98\x80", "a\x00", "\xc2", "\xe2\x82", "\xff"} {
		n, bad := verifyUTF8([]byte(s), true)
		valid := utf8.ValidString(s) && !strings.Contains(s, "\x00")
		if (n == len(s) && !bad) != valid {
			t.Errorf("%q: n=%d bad=%v, valid=%v", s, n, bad, valid)
		}
	}
	// Incomplete at the end is not bad until the input is final.
	if n, bad := verifyUTF8([]byte("a\xe2\x82"), false); n != 1 || bad {
		t.Errorf("incomplete: n=%d bad=%v", n, bad)
	}
	if n, bad := verifyUTF8([]byte("a\xe2\x41"), false); n != 1 || !bad {
		t.Errorf("invalid continuation: n=%d bad=%v", n, bad)
	}
}
