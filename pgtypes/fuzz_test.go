package pgtypes

import (
	"errors"
	"testing"
)

// fuzzTypes covers every conversion family.
var fuzzTypes = []string{"", "int2", "int4", "int8", "oid", "float4", "float8", "numeric", "numeric(6,2)", "bool",
	"bytea", "text", "varchar(4)", "char(3)", "\"char\"", "name", "json", "jsonb", "uuid", "date", "time", "time(1)",
	"timestamp", "timestamptz", "timestamptz(2)", "interval", "int4[]", "text[]", "jsonb[]", "numeric[]",
	"timestamptz[]", "bytea[]", "bool[]", "inet", "point", "money", "mood"}

func fuzzSeeds(f *testing.F) {
	for i := range fuzzTypes {
		for _, s := range []string{"", "1", "-1.5e3", "NaN", "t", `\x00ff`, "{1,2}", "[1,[2]]", `{"a":1}`,
			"2024-01-01 10:00:00+02", "24:00", "1 day ago", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\x00\x00\x00\x01",
			"\x00\x01\x00\x00\x00\x00\x00\x17", "{{{", "[0:1]={1,2}", "P1Y", "\xff\xfe"} {
			f.Add(uint8(i), false, []byte(s))
			f.Add(uint8(i), true, []byte(s))
		}
	}
}

// FuzzDecode: Decode never panics, and any failure is an *Error.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, ti uint8, binary bool, data []byte) {
		typ := FromDecl(fuzzTypes[int(ti)%len(fuzzTypes)])
		format := TextFormat
		if binary {
			format = BinaryFormat
		}
		c := NewCodec()
		v, err := c.Decode(typ, format, data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Code == "" {
				t.Fatalf("Decode(%s, %d, %q) error %v is not an *Error", typ, format, data, err)
			}
			return
		}
		// What Decode stores, Encode must render in both formats.
		for _, f := range []int16{TextFormat, BinaryFormat} {
			if f == BinaryFormat && !c.SupportsBinary(typ) {
				continue
			}
			if _, err := c.Encode(nil, typ, f, v); err != nil {
				t.Fatalf("Decode(%s, %d, %q) stored %#v, which Encode(%d) rejects: %v", typ, format, data, v, f, err)
			}
		}
	})
}

// FuzzEncode: Encode of arbitrary stored text or blob never panics, and any
// failure is an *Error.
func FuzzEncode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, ti uint8, blob bool, data []byte) {
		typ := FromDecl(fuzzTypes[int(ti)%len(fuzzTypes)])
		var v any = string(data)
		if blob {
			v = data
		}
		c := NewCodec()
		c.SetTimeZone("Europe/Paris")
		for _, f := range []int16{TextFormat, BinaryFormat} {
			_, err := c.Encode(nil, typ, f, v)
			var pe *Error
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("Encode(%s, %d, %q) error %v is not an *Error", typ, f, data, err)
			}
		}
	})
}
