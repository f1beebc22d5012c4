package pgcopy

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeResult is everything observable about decoding one input.
type decodeResult struct {
	rows  [][]string
	err   string
	where string
}

func (r decodeResult) String() string {
	return fmt.Sprintf("rows=%q err=%q where=%q", r.rows, r.err, r.where)
}

func rowStrings(fields [][]byte) []string {
	row := make([]string, len(fields))
	for i, f := range fields {
		if f == nil {
			row[i] = nul
		} else {
			row[i] = string(f)
		}
	}
	return row
}

// decodeChunks feeds chunks to a fresh decoder the way the wire layer does:
// drain after every Write, then Finish and drain again.
func decodeChunks(t testing.TB, opts Options, ncols int, names []string, chunks [][]byte) decodeResult {
	t.Helper()
	d := NewDecoder(opts, ncols)
	d.SetColumnNames(names)
	var res decodeResult
	fail := func(err error) decodeResult {
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error is not *Error: %v", err)
		}
		res.err = pe.Code + ": " + pe.Message
		res.where = pe.Context("t")
		return res
	}
	drain := func() error {
		for {
			f, ok, err := d.Next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if len(f) != ncols {
				t.Fatalf("row has %d fields, want %d", len(f), ncols)
			}
			res.rows = append(res.rows, rowStrings(f))
		}
	}
	for _, c := range chunks {
		if err := d.Write(c); err != nil {
			return fail(err)
		}
		if err := drain(); err != nil {
			return fail(err)
		}
	}
	if err := d.Finish(); err != nil {
		return fail(err)
	}
	if err := drain(); err != nil {
		return fail(err)
	}
	if !d.Done() {
		t.Fatalf("decoder not Done after Finish and drain")
	}
	// Errors and the end are sticky.
	if _, ok, err := d.Next(); ok || err != nil {
		t.Fatalf("Next after end = %v, %v", ok, err)
	}
	return res
}

func (c decodeCase) want() decodeResult {
	w := decodeResult{rows: c.rows, err: c.err, where: c.where}
	if c.pgOnlyErr() {
		w.err, w.where = "", ""
	}
	return w
}

func sameResult(a, b decodeResult) bool {
	if len(a.rows) == 0 && len(b.rows) == 0 {
		a.rows, b.rows = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func TestDecodeCases(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeChunks(t, c.opts, c.ncols, c.colNames(), [][]byte{[]byte(c.in)})
			if want := c.want(); !sameResult(got, want) {
				t.Errorf("\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestDecodeChunkBoundaries feeds every case split at every byte position,
// and one byte at a time: results must not depend on CopyData boundaries.
func TestDecodeChunkBoundaries(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want()
			in := []byte(c.in)
			for i := 0; i <= len(in); i++ {
				got := decodeChunks(t, c.opts, c.ncols, c.colNames(), [][]byte{in[:i], in[i:]})
				if !sameResult(got, want) {
					t.Fatalf("split at %d:\n got %v\nwant %v", i, got, want)
				}
			}
			var bytewise [][]byte
			for i := range in {
				bytewise = append(bytewise, in[i:i+1])
			}
			if got := decodeChunks(t, c.opts, c.ncols, c.colNames(), bytewise); !sameResult(got, want) {
				t.Fatalf("byte by byte:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestDecodeFieldsNonNilEmpty(t *testing.T) {
	for _, f := range []Format{Text, CSV, Binary} {
		in := map[Format]string{Text: "\t\n", CSV: "\"\",\"\"\n", Binary: bin(true, []string{"", ""})}[f]
		d := NewDecoder(Options{Format: f}, 2)
		if err := d.Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		row, ok, err := d.Next()
		if err != nil || !ok {
			t.Fatalf("%v: Next = %v, %v", f, ok, err)
		}
		for i, v := range row {
			if v == nil || len(v) != 0 {
				t.Errorf("%v: field %d = %#v, want non-nil empty", f, i, v)
			}
		}
	}
}

func TestDecodeMissingColumnWithoutNames(t *testing.T) {
	d := NewDecoder(Options{}, 3)
	_ = d.Write([]byte("1\n"))
	_, _, err := d.Next()
	var pe *Error
	if !errors.As(err, &pe) || pe.Message != `missing data for column "2"` {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeStickyError(t *testing.T) {
	d := NewDecoder(Options{}, 1)
	_ = d.Write([]byte("a\tb\nc\n"))
	_, _, err1 := d.Next()
	if err1 == nil {
		t.Fatal("want error")
	}
	if err := d.Write([]byte("x\n")); err != err1 {
		t.Fatalf("Write after error = %v", err)
	}
	if _, _, err := d.Next(); err != err1 {
		t.Fatalf("Next after error = %v", err)
	}
	if err := d.Finish(); err != err1 {
		t.Fatalf("Finish after error = %v", err)
	}
}

func TestDecodeWriteAfterFinish(t *testing.T) {
	d := NewDecoder(Options{}, 1)
	_ = d.Finish()
	if err := d.Write([]byte("x")); !errors.Is(err, ErrWriteAfterFinish) {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeTextAfterMarkerIgnored(t *testing.T) {
	d := NewDecoder(Options{}, 1)
	_ = d.Write([]byte("a\n\\.\n"))
	var rows int
	for {
		_, ok, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		rows++
	}
	if !d.Done() {
		t.Fatal("not Done after marker")
	}
	if err := d.Write([]byte("\xff garbage \\.x")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Next(); ok || err != nil || rows != 1 {
		t.Fatalf("rows=%d ok=%v err=%v", rows, ok, err)
	}
}

func TestDecodeLineNumbers(t *testing.T) {
	d := NewDecoder(Options{Format: CSV, Header: true}, 1)
	_ = d.Write([]byte("h\na\n\"b\nc\"\nd\n"))
	var lines []int64
	for {
		_, ok, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lines = append(lines, d.Line())
	}
	if want := []int64{2, 4, 5}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines = %v, want %v", lines, want)
	}
}

func TestDecodeMaxRowSize(t *testing.T) {
	opts := Options{MaxRowSize: 100}
	long := strings.Repeat("x", 101)
	for _, tc := range []struct {
		name   string
		opts   Options
		chunks []string
	}{
		{"text one chunk", opts, []string{long + "\n"}},
		{"text trickle", opts, []string{long[:50], long[50:], "\n"}},
		{"text unterminated", opts, []string{long}},
		{"csv quoted", Options{Format: CSV, MaxRowSize: 100}, []string{`"` + long}},
		{"binary field", Options{Format: Binary, MaxRowSize: 100}, []string{bin(false) + be16(1) + be32(1<<30)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tc.chunks {
				chunks = append(chunks, []byte(c))
			}
			got := decodeChunks(t, tc.opts, 1, []string{"a"}, chunks)
			if !strings.HasPrefix(got.err, "54000: ") {
				t.Fatalf("got %v, want 54000", got)
			}
		})
	}
	// At the limit is fine.
	got := decodeChunks(t, opts, 1, []string{"a"}, [][]byte{[]byte(long[:100] + "\n")})
	if got.err != "" || len(got.rows) != 1 {
		t.Fatalf("row at limit: %v", got)
	}
}

// TestDecodeBinaryHugeExtension checks that a header extension is skipped
// as it streams by rather than buffered.
func TestDecodeBinaryHugeExtension(t *testing.T) {
	d := NewDecoder(Options{Format: Binary, MaxRowSize: 1024}, 1)
	_ = d.Write([]byte(sig + be32(0) + be32(1<<20)))
	chunk := make([]byte, 64<<10)
	for i := 0; i < 16; i++ {
		if err := d.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := d.Next(); ok || err != nil {
			t.Fatalf("Next = %v, %v", ok, err)
		}
		if cap(d.buf) > 256<<10 {
			t.Fatalf("buffer grew to %d", cap(d.buf))
		}
	}
	_ = d.Write([]byte(be16(1) + be32(1) + "z"))
	row, ok, err := d.Next()
	if err != nil || !ok || string(row[0]) != "z" {
		t.Fatalf("row = %q, %v, %v", row, ok, err)
	}
}

// TestDecodeLongRowLinear guards against rescanning a long row on every
// chunk: a 4 MiB line in 1 KiB chunks must not take quadratic time.
func TestDecodeLongRowLinear(t *testing.T) {
	for _, f := range []Format{Text, CSV} {
		d := NewDecoder(Options{Format: f}, 1)
		chunk := []byte(strings.Repeat("abcdefgh", 128))
		if f == CSV {
			_ = d.Write([]byte(`"`))
		}
		for i := 0; i < 4096; i++ {
			_ = d.Write(chunk)
			if _, ok, err := d.Next(); ok || err != nil {
				t.Fatalf("Next = %v, %v", ok, err)
			}
		}
		if f == CSV {
			_ = d.Write([]byte(`"`))
		}
		_ = d.Write([]byte("\n"))
		row, ok, err := d.Next()
		if err != nil || !ok || len(row[0]) != 4096*1024 {
			t.Fatalf("%v: ok=%v err=%v", f, ok, err)
		}
	}
}

func TestErrorContext(t *testing.T) {
	e := &Error{Line: 3, LineText: "a\x00b", HasLineText: true}
	if got := e.Context("t"); got != `COPY t, line 3: "a"` {
		t.Errorf("got %q", got)
	}
	e = &Error{Line: 3, Column: "c"}
	if got := e.Context("t"); got != `COPY t, line 3, column c` {
		t.Errorf("got %q", got)
	}
	if got := (&Error{}).Context("t"); got != "" {
		t.Errorf("got %q", got)
	}
	if got := LimitPrintout(strings.Repeat("a", 99) + "é"); got != strings.Repeat("a", 99)+"..." {
		t.Errorf("got %q", got)
	}
}

// TestDecodeReleasesHugeBuffers checks that one huge row does not pin its
// buffers for the rest of the COPY.
func TestDecodeReleasesHugeBuffers(t *testing.T) {
	d := NewDecoder(Options{}, 1)
	huge := strings.Repeat("x", 16<<20)
	_ = d.Write([]byte(huge + "\n"))
	if _, ok, err := d.Next(); !ok || err != nil {
		t.Fatalf("Next = %v, %v", ok, err)
	}
	for i := 0; i < 3; i++ {
		_ = d.Write([]byte("small\n"))
		if row, ok, err := d.Next(); !ok || err != nil || string(row[0]) != "small" {
			t.Fatalf("Next = %q, %v, %v", row, ok, err)
		}
	}
	if cap(d.buf) > shrinkAbove || cap(d.attr) > shrinkAbove {
		t.Fatalf("buffers still %d and %d bytes", cap(d.buf), cap(d.attr))
	}
}
