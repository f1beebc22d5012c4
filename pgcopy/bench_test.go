package pgcopy

import (
	"strconv"
	"testing"
)

// benchRows is a pgbench-like table: an int key, a short text, a text that
// sometimes needs escaping or quoting, and a sometimes-NULL column.
func benchRows(n int) [][][]byte {
	rows := make([][][]byte, n)
	for i := range rows {
		note := []byte("plain filler text for the row")
		if i%10 == 0 {
			note = []byte("tab\there, comma, \"quote\" and \\ backslash\nnewline")
		}
		var opt []byte
		if i%3 != 0 {
			opt = []byte(strconv.Itoa(i * 7))
		}
		rows[i] = [][]byte{[]byte(strconv.Itoa(i)), []byte("name-" + strconv.Itoa(i)), note, opt}
	}
	return rows
}

func benchInput(f Format, rows [][][]byte) []byte {
	e := NewEncoder(Options{Format: f})
	buf := e.Header(nil, []string{"id", "name", "note", "opt"})
	for _, r := range rows {
		buf = e.Row(buf, r)
	}
	return e.Trailer(buf)
}

// benchmarkDecode decodes 100k rows fed in 64 KiB CopyData-sized chunks,
// the way pgx and psql send them.
func benchmarkDecode(b *testing.B, f Format) {
	const nrows = 100_000
	in := benchInput(f, benchRows(nrows))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(Options{Format: f}, 4)
		n := 0
		drain := func() {
			for {
				_, ok, err := d.Next()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					return
				}
				n++
			}
		}
		for off := 0; off < len(in); off += 64 << 10 {
			if err := d.Write(in[off:min(off+64<<10, len(in))]); err != nil {
				b.Fatal(err)
			}
			drain()
		}
		_ = d.Finish()
		drain()
		if n != nrows {
			b.Fatalf("decoded %d rows, want %d", n, nrows)
		}
	}
}

func BenchmarkDecodeText100k(b *testing.B)   { benchmarkDecode(b, Text) }
func BenchmarkDecodeCSV100k(b *testing.B)    { benchmarkDecode(b, CSV) }
func BenchmarkDecodeBinary100k(b *testing.B) { benchmarkDecode(b, Binary) }

func benchmarkEncode(b *testing.B, f Format) {
	rows := benchRows(100_000)
	e := NewEncoder(Options{Format: f})
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, r := range rows {
			buf = e.Row(buf, r)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkEncodeText100k(b *testing.B)   { benchmarkEncode(b, Text) }
func BenchmarkEncodeCSV100k(b *testing.B)    { benchmarkEncode(b, CSV) }
func BenchmarkEncodeBinary100k(b *testing.B) { benchmarkEncode(b, Binary) }
