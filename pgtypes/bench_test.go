package pgtypes

import (
	"testing"
)

// Encode runs once per column per row, so the common cases must not
// allocate: the caller's buffer is appended to and pgtype gets pointers to
// the Codec's scratch values.
var hotPaths = []struct {
	name string
	typ  Type
	v    any
}{
	{"int8", TypeInt8, int64(1234567890123)},
	{"int4", TypeInt4, int64(42)},
	{"float8", TypeFloat8, 3.141592653589793},
	{"bool", TypeBool, int64(1)},
	{"text", TypeText, "the quick brown fox jumps over the lazy dog"},
	{"bytea", TypeBytea, []byte("0123456789abcdef")},
	{"timestamptz", TypeTimestamptz, "2024-01-02 03:04:05.123456+00:00"},
	{"timestamp", TypeTimestamp, "2024-01-02 03:04:05.123456"},
	{"date", TypeDate, "2024-01-02"},
	{"uuid", TypeUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
}

func TestEncodeHotPathsDoNotAllocate(t *testing.T) {
	c := NewCodec()
	buf := make([]byte, 0, 256)
	for _, hp := range hotPaths {
		for _, format := range []int16{TextFormat, BinaryFormat} {
			if _, err := c.Encode(buf[:0], hp.typ, format, hp.v); err != nil {
				t.Fatalf("%s: %v", hp.name, err)
			}
			allocs := testing.AllocsPerRun(100, func() {
				c.Encode(buf[:0], hp.typ, format, hp.v)
			})
			if allocs != 0 {
				t.Errorf("Encode %s format %d: %.1f allocations per call, want 0", hp.name, format, allocs)
			}
		}
	}
	// Also in a non-UTC session, where timestamptz needs a zone lookup.
	c.SetTimeZone("Europe/Paris")
	allocs := testing.AllocsPerRun(100, func() {
		c.Encode(buf[:0], TypeTimestamptz, TextFormat, "2024-07-02 03:04:05+00:00")
	})
	if allocs != 0 {
		t.Errorf("Encode timestamptz text in Europe/Paris: %.1f allocations per call, want 0", allocs)
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, hp := range hotPaths {
		for _, format := range []int16{TextFormat, BinaryFormat} {
			name := hp.name + "/text"
			if format == BinaryFormat {
				name = hp.name + "/binary"
			}
			b.Run(name, func(b *testing.B) {
				c := NewCodec()
				buf := make([]byte, 0, 256)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if buf, err = c.Encode(buf[:0], hp.typ, format, hp.v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("timestamptz/text/Europe-Paris", func(b *testing.B) {
		c := NewCodec()
		c.SetTimeZone("Europe/Paris")
		buf := make([]byte, 0, 64)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = c.Encode(buf[:0], TypeTimestamptz, TextFormat, "2024-07-02 03:04:05.5+00:00")
		}
	})
	b.Run("numeric/text", func(b *testing.B) {
		c := NewCodec()
		typ := FromDecl("numeric(12,2)")
		buf := make([]byte, 0, 64)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = c.Encode(buf[:0], typ, TextFormat, 1234.5)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct {
		name   string
		typ    Type
		format int16
		src    []byte
	}{
		{"int8/text", TypeInt8, TextFormat, []byte("1234567890")},
		{"int8/binary", TypeInt8, BinaryFormat, []byte{0, 0, 0, 0, 0x49, 0x96, 0x02, 0xd2}},
		{"timestamptz/text", TypeTimestamptz, TextFormat, []byte("2024-01-02 03:04:05.123456+02")},
		{"text/text", TypeText, TextFormat, []byte("hello world")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := NewCodec()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Decode(tc.typ, tc.format, tc.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
