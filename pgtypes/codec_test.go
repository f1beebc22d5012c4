package pgtypes

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestRoundTrip decodes a text parameter, checks the stored value and its
// text output, then sends the stored value through binary and text output
// and back through Decode, which must store the same value again.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		decl   string
		in     string
		stored any
		out    string
	}{
		{"int2", "-32768", int64(-32768), "-32768"},
		{"int4", " 42 ", int64(42), "42"},
		{"int8", "9223372036854775807", int64(math.MaxInt64), "9223372036854775807"},
		{"oid", "4294967295", int64(4294967295), "4294967295"},
		{"regclass", "1259", int64(1259), "1259"},
		{"float4", "0.1", float64(float32(0.1)), "0.1"},
		{"float4", "NaN", "NaN", "NaN"},
		{"float8", "1e100", 1e100, "1e+100"},
		{"float8", "-Infinity", math.Inf(-1), "-Infinity"},
		{"float8", "NaN", "NaN", "NaN"},
		{"float8", "1e15", 1e15, "1e+15"},
		{"numeric", "12.50", "12.50", "12.50"},
		{"numeric", "42", int64(42), "42"},
		{"numeric", "-0.00", "0.00", "0.00"},
		{"numeric", "123456789012345678901234567890", "123456789012345678901234567890", "123456789012345678901234567890"},
		{"numeric", "NaN", "NaN", "NaN"},
		{"numeric(10,2)", "12.5", "12.50", "12.50"},
		{"numeric(6,0)", "12.5", int64(13), "13"},
		{"bool", "true", int64(1), "t"},
		{"bool", "off", int64(0), "f"},
		{"bytea", `\x0a0B`, []byte{10, 11}, `\x0a0b`},
		{"bytea", `a\\b\001`, []byte{'a', '\\', 'b', 1}, `\x615c6201`},
		{"bytea", "", []byte{}, `\x`},
		{"text", "héllo", "héllo", "héllo"},
		{"text", "", "", ""},
		{"varchar(3)", "abc  ", "abc", "abc"},
		{"char(3)", "a", "a", "a  "},
		{"name", "pg_class", "pg_class", "pg_class"},
		{"json", `{"b":1, "a":2}`, `{"b":1, "a":2}`, `{"b":1, "a":2}`},
		{"jsonb", `{"b":1, "a":2,"a":3}`, `{"a": 3, "b": 1}`, `{"a": 3, "b": 1}`},
		{"uuid", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"date", "2024-02-29", "2024-02-29", "2024-02-29"},
		{"date", "0044-03-15 BC", "0044-03-15 BC", "0044-03-15 BC"},
		{"date", "infinity", "infinity", "infinity"},
		{"time", "10:11:12.500", "10:11:12.5", "10:11:12.5"},
		{"time", "24:00", "24:00:00", "24:00:00"},
		{"timestamp", "2024-01-02T03:04:05.123456", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.123456"},
		{"timestamp", "-infinity", "-infinity", "-infinity"},
		{"timestamptz", "2024-01-01 12:00:00+02", "2024-01-01 10:00:00+00:00", "2024-01-01 10:00:00+00"},
		{"timestamptz", "2024-01-01", "2024-01-01 00:00:00+00:00", "2024-01-01 00:00:00+00"},
		{"timestamptz", "0001-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00:00 BC", "0001-01-01 00:00:00+00 BC"},
		{"interval", "1 day 2 hours", "1 day 02:00:00", "1 day 02:00:00"},
		{"interval", "P1Y2M", "1 year 2 mons", "1 year 2 mons"},
		{"int4[]", "{1,2,NULL}", "[1,2,null]", "{1,2,NULL}"},
		{"int4[]", "{{1,2},{3,4}}", "[[1,2],[3,4]]", "{{1,2},{3,4}}"},
		{"int4[]", "{}", "[]", "{}"},
		{"text[]", `{a,"b c","",NULL,"NULL"}`, `["a","b c","",null,"NULL"]`, `{a,"b c","",NULL,"NULL"}`},
		{"bool[]", "{t,f}", "[true,false]", "{t,f}"},
		{"numeric[]", "{1.50,NaN}", `[1.50,"NaN"]`, "{1.50,NaN}"},
		{"float8[]", "{1.5,Infinity}", `[1.5,"Infinity"]`, "{1.5,Infinity}"},
		{"bytea[]", `{"\\x0102"}`, `["\\x0102"]`, `{"\\x0102"}`},
		{"timestamptz[]", `{"2024-01-01 10:00:00+01"}`, `["2024-01-01 09:00:00+00:00"]`, `{"2024-01-01 09:00:00+00"}`},
		{"jsonb[]", `{"{\"b\": 1}"}`, `["{\"b\": 1}"]`, `{"{\"b\": 1}"}`},
		{"inet", "10.0.0.1/8", "10.0.0.1/8", "10.0.0.1/8"},
		{"", "anything", "anything", "anything"},
		{"mood", "happy", "happy", "happy"}, // an unknown (user) type is text
	}
	for _, tt := range tests {
		c := NewCodec()
		typ := FromDecl(tt.decl)
		if tt.decl == "" {
			typ = Type{} // OID 0: unspecified parameter type
		}
		name := tt.decl + " " + tt.in
		stored, err := c.Decode(typ, TextFormat, []byte(tt.in))
		if err != nil {
			t.Errorf("%s: Decode: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(stored, tt.stored) {
			t.Errorf("%s: stored %#v, want %#v", name, stored, tt.stored)
		}
		text, err := c.Encode(nil, typ, TextFormat, stored)
		if err != nil || string(text) != tt.out {
			t.Errorf("%s: text output %q, %v; want %q", name, text, err, tt.out)
		}
		again, err := c.Decode(typ, TextFormat, text)
		if err != nil || !reflect.DeepEqual(again, stored) {
			t.Errorf("%s: text round trip stored %#v, %v; want %#v", name, again, err, stored)
		}
		if !c.SupportsBinary(typ) || typ.OID == 0 {
			continue
		}
		bin, err := c.Encode(nil, typ, BinaryFormat, stored)
		if err != nil {
			t.Errorf("%s: binary output: %v", name, err)
			continue
		}
		again, err = c.Decode(typ, BinaryFormat, bin)
		if err != nil || !reflect.DeepEqual(again, stored) {
			t.Errorf("%s: binary round trip stored %#v, %v; want %#v (wire %x)", name, again, err, stored, bin)
		}
	}
}

// TestEncodeStoredShapes covers values that reached storage without Decode.
func TestEncodeStoredShapes(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		decl string
		tz   string
		v    any
		want string // text output, or "ERR:<sqlstate>"
	}{
		{"timestamptz", "UTC", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00+00"},
		{"timestamptz", "UTC", "2024-01-01 12:00:00+02", "2024-01-01 10:00:00+00"},
		{"timestamptz", "UTC", "2024-01-01 12:00:00", "2024-01-01 12:00:00+00"},
		{"timestamptz", "Asia/Kolkata", "2024-01-01 12:00:00", "2024-01-01 17:30:00+05:30"},
		{"timestamptz", "Europe/Paris", "2024-07-01 12:00:00.120000+00:00", "2024-07-01 14:00:00.12+02"},
		{"timestamptz", "UTC", int64(1704103200), "2024-01-01 10:00:00+00"},
		{"timestamptz", "UTC", 1704103200.25, "2024-01-01 10:00:00.25+00"},
		{"timestamptz", "UTC", time.Date(2024, 1, 1, 12, 0, 0, 0, paris), "2024-01-01 11:00:00+00"},
		{"timestamptz", "UTC", "not a time", "ERR:22007"},
		{"timestamptz", "UTC", "2024-02-30 10:00", "ERR:22008"},
		{"timestamptz", "UTC", int64(math.MaxInt64), "ERR:22008"},
		{"timestamptz", "UTC", math.NaN(), "ERR:22008"},
		{"timestamp", "UTC", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00"},
		{"timestamp", "UTC", "2024-01-01 12:00:00+02", "2024-01-01 12:00:00"},
		{"timestamp", "UTC", int64(0), "1970-01-01 00:00:00"},
		{"timestamp", "UTC", time.Date(2024, 1, 1, 12, 0, 0, 5000, paris), "2024-01-01 12:00:00.000005"},
		{"timestamp(0)", "UTC", "2024-01-01 10:00:00.6", "2024-01-01 10:00:01"},
		{"date", "UTC", "2024-01-01 23:00:00", "2024-01-01"},
		{"date", "UTC", int64(86400), "1970-01-02"},
		{"date", "UTC", time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), "2024-05-06"},
		{"date", "UTC", "2024-13-01", "ERR:22008"},
		{"time", "UTC", int64(3661), "01:01:01"},
		{"time", "UTC", "1:2:3.5", "01:02:03.5"},
		{"time", "UTC", int64(90000), "ERR:22008"},
		{"int4", "UTC", "42", "42"},
		{"int4", "UTC", " -7 ", "-7"},
		{"int4", "UTC", 42.0, "42"},
		{"int4", "UTC", 42.5, "ERR:22P02"},
		{"int4", "UTC", "abc", "ERR:22P02"},
		{"int4", "UTC", int64(1 << 40), "ERR:22003"},
		{"int2", "UTC", int64(40000), "ERR:22003"},
		{"int8", "UTC", "99999999999999999999", "ERR:22003"},
		{"int8", "UTC", []byte("12"), "12"},
		{"int8", "UTC", true, "1"},
		{"oid", "UTC", int64(-1), "4294967295"}, // as '-1'::oid
		{"oid", "UTC", int64(1 << 33), "ERR:22003"},
		{"bool", "UTC", int64(1), "t"},
		{"bool", "UTC", int64(0), "f"},
		{"bool", "UTC", int64(2), "t"},
		{"bool", "UTC", "yes", "t"},
		{"bool", "UTC", "FALSE", "f"},
		{"bool", "UTC", "0", "f"},
		{"bool", "UTC", true, "t"},
		{"bool", "UTC", "maybe", "ERR:22P02"},
		{"float8", "UTC", int64(3), "3"},
		{"float8", "UTC", "2.5", "2.5"},
		{"float8", "UTC", "Infinity", "Infinity"},
		{"float8", "UTC", float32(0.1), "0.10000000149011612"},
		{"float4", "UTC", 0.1, "0.1"},
		{"float4", "UTC", 1e300, "ERR:22003"},
		{"float8", "UTC", "x", "ERR:22P02"},
		{"numeric", "UTC", 12.5, "12.5"},
		{"numeric", "UTC", 0.1 + 0.2, "0.3"},
		{"numeric", "UTC", 1e20, "100000000000000000000"},
		{"numeric", "UTC", "12.50", "12.50"},
		{"numeric", "UTC", " 007.0 ", "7.0"},
		{"numeric", "UTC", "1e-3", "0.001"},
		{"numeric", "UTC", "-0", "0"},
		{"numeric", "UTC", int64(math.MinInt64), "-9223372036854775808"},
		{"numeric", "UTC", "abc", "ERR:22P02"},
		{"numeric(10,2)", "UTC", 12.5, "12.50"},
		{"numeric(10,2)", "UTC", int64(7), "7.00"},
		{"numeric(10,2)", "UTC", "0.125", "0.13"},
		{"numeric(10,2)", "UTC", 0.125, "0.13"},
		{"numeric(3,1)", "UTC", int64(100), "ERR:22003"},
		{"bytea", "UTC", "hello", `\x68656c6c6f`},
		{"bytea", "UTC", `\x00ff`, `\x00ff`},
		{"bytea", "UTC", `\xzz`, "ERR:22023"},
		{"bytea", "UTC", int64(5), `\x35`},
		{"uuid", "UTC", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"uuid", "UTC", []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"uuid", "UTC", "nope", "ERR:22P02"},
		{"jsonb", "UTC", `{"b": [1,2], "a": 1.0}`, `{"a": 1.0, "b": [1, 2]}`},
		{"jsonb", "UTC", int64(5), "5"},
		{"jsonb", "UTC", "{bad", "ERR:22P02"},
		{"json", "UTC", `{"b": 1,  "a":2}`, `{"b": 1,  "a":2}`},
		{"interval", "UTC", int64(90), "00:01:30"},
		{"interval", "UTC", 1.5, "00:00:01.5"},
		{"interval", "UTC", "2 days 3 hours", "2 days 03:00:00"},
		{"interval", "UTC", "sometime", "ERR:22007"},
		{"int4[]", "UTC", "{1,2}", "{1,2}"},
		{"int4[]", "UTC", "[1, 2]", "{1,2}"},
		{"int4[]", "UTC", "[[1],[2]]", "{{1},{2}}"},
		{"int4[]", "UTC", `["3", null]`, "{3,NULL}"},
		{"int4[]", "UTC", "[1,[2]]", "ERR:22P02"},
		{"int4[]", "UTC", "[[1],[2,3]]", "ERR:22P02"},
		{"int4[]", "UTC", `["x"]`, "ERR:22P02"},
		{"int4[]", "UTC", "not an array", "ERR:22P02"},
		{"text[]", "UTC", `["a b", "c\"d", "", "NULL"]`, `{"a b","c\"d","","NULL"}`},
		{"jsonb[]", "UTC", `[{"b":1,"a":2}]`, `{"{\"a\": 2, \"b\": 1}"}`},
		{"bool[]", "UTC", `[true, 0, "yes"]`, `{t,f,t}`},
		{"text", "UTC", int64(12), "12"},
		{"text", "UTC", 1.5, "1.5"},
		{"text", "UTC", []byte("raw"), "raw"},
		{"text", "UTC", false, "false"},
		{"varchar(5)", "UTC", "abc", "abc"},
		{"char(4)", "UTC", "ab", "ab  "},
		{"char(2)", "UTC", "ab", "ab"},
		{"", "UTC", int64(7), "7"},
		{"", "UTC", []byte{1, 2}, `\x0102`},
		{"", "UTC", 2.5, "2.5"},
		{"", "UTC", true, "t"},
	}
	for _, tt := range tests {
		c := NewCodec()
		if err := c.SetTimeZone(tt.tz); err != nil {
			t.Fatal(err)
		}
		typ := FromDecl(tt.decl)
		if tt.decl == "" {
			typ = Type{}
		}
		got, err := c.Encode([]byte("prefix"), typ, TextFormat, tt.v)
		name := tt.decl + " " + strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(string(appendAny(tt.v)), "\n", " "), "\t", " "))
		if code, isErr := strings.CutPrefix(tt.want, "ERR:"); isErr {
			if errCode(err) != code {
				t.Errorf("%s (tz %s): Encode = %q, %v; want SQLSTATE %s", name, tt.tz, got, err, code)
			}
			if got != nil {
				t.Errorf("%s: failed Encode returned a buffer", name)
			}
			// Binary output must fail too, never produce bytes.
			if bin, err := c.Encode(nil, typ, BinaryFormat, tt.v); err == nil && c.SupportsBinary(typ) {
				t.Errorf("%s: binary Encode = %x, want an error", name, bin)
			}
			continue
		}
		if err != nil || string(got) != "prefix"+tt.want {
			t.Errorf("%s (tz %s): Encode = %q, %v; want %q", name, tt.tz, got, err, "prefix"+tt.want)
			continue
		}
		// The binary form of the same stored value must read back as the
		// same text.
		if c.SupportsBinary(typ) && typ.OID != 0 {
			bin, err := c.Encode(nil, typ, BinaryFormat, tt.v)
			if err != nil {
				t.Errorf("%s: binary Encode: %v", name, err)
				continue
			}
			back, err := c.Decode(typ, BinaryFormat, bin)
			if err != nil {
				t.Errorf("%s: Decode of own binary %x: %v", name, bin, err)
				continue
			}
			text, err := c.Encode(nil, typ, TextFormat, back)
			if err != nil || string(text) != tt.want {
				t.Errorf("%s: via binary prints %q, %v; want %q", name, text, err, tt.want)
			}
		}
	}
}

func appendAny(v any) []byte {
	switch x := v.(type) {
	case string:
		return []byte(x)
	case []byte:
		return x
	}
	return []byte(reflect.ValueOf(v).String())
}

func TestEncodeNullAndEmpty(t *testing.T) {
	c := NewCodec()
	for _, v := range []any{nil, []byte(nil), (*string)(nil)} {
		out, err := c.Encode([]byte("keep"), TypeText, TextFormat, v)
		if out != nil || err != nil {
			t.Errorf("Encode(%#v) = %q, %v; want nil, nil", v, out, err)
		}
	}
	out, err := c.Encode(nil, TypeText, TextFormat, "")
	if out == nil || len(out) != 0 || err != nil {
		t.Errorf("Encode(\"\") = %#v, %v; want empty non-nil", out, err)
	}
	out, err = c.Encode(nil, TypeBytea, BinaryFormat, []byte{})
	if out == nil || len(out) != 0 || err != nil {
		t.Errorf("Encode(empty bytea, binary) = %#v, %v; want empty non-nil", out, err)
	}
	if _, err := c.Encode(nil, TypeText, 2, "x"); errCode(err) != CodeProtocolViolation {
		t.Errorf("format 2: %v", err)
	}
	if _, err := c.Decode(TypeText, 2, []byte("x")); errCode(err) != CodeProtocolViolation {
		t.Errorf("format 2: %v", err)
	}
	if v, err := c.Decode(TypeInt4, BinaryFormat, nil); v != nil || err != nil {
		t.Errorf("Decode(nil) = %v, %v", v, err)
	}
	if _, err := c.Encode(nil, TypeText, TextFormat, struct{}{}); errCode(err) != CodeInternalError {
		t.Errorf("unsupported Go type: %v", err)
	}
}

// TestDecodeBinaryParams feeds binary parameters as clients send them,
// encoded by pgtype from Go values.
func TestDecodeBinaryParams(t *testing.T) {
	m := pgtype.NewMap()
	enc := func(oid uint32, v any) []byte {
		b, err := m.Encode(oid, BinaryFormat, v, nil)
		if err != nil {
			t.Fatalf("pgtype encode %T: %v", v, err)
		}
		return b
	}
	ts := time.Date(2024, 3, 4, 5, 6, 7, 890000000, time.FixedZone("x", 3600))
	tests := []struct {
		typ  Type
		src  []byte
		want any
	}{
		{TypeInt2, enc(Int2OID, int16(-5)), int64(-5)},
		{TypeInt4, enc(Int4OID, int32(1<<30)), int64(1 << 30)},
		{TypeInt8, enc(Int8OID, int64(math.MinInt64)), int64(math.MinInt64)},
		{TypeOID, enc(OIDOID, uint32(4000000000)), int64(4000000000)},
		{TypeFloat4, enc(Float4OID, float32(1.5)), 1.5},
		{TypeFloat8, enc(Float8OID, math.Inf(1)), math.Inf(1)},
		{TypeFloat8, enc(Float8OID, math.NaN()), "NaN"},
		{TypeBool, enc(BoolOID, true), int64(1)},
		{TypeBytea, enc(ByteaOID, []byte{0, 1, 2}), []byte{0, 1, 2}},
		{TypeText, enc(TextOID, "héllo"), "héllo"},
		{TypeVarchar, enc(VarcharOID, "v"), "v"},
		{TypeName, enc(NameOID, "n"), "n"},
		{TypeJSON, enc(JSONOID, `{"a":1}`), `{"a":1}`},
		{TypeJSONB, enc(JSONBOID, `{"b":1,"a":2}`), `{"a": 2, "b": 1}`},
		{TypeUUID, enc(UUIDOID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{TypeDate, enc(DateOID, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)), "1999-12-31"},
		{TypeDate, enc(DateOID, pgtype.Date{InfinityModifier: pgtype.Infinity, Valid: true}), "infinity"},
		{TypeTime, enc(TimeOID, pgtype.Time{Microseconds: 3723000001, Valid: true}), "01:02:03.000001"},
		{TypeTimestamp, enc(TimestampOID, time.Date(2024, 3, 4, 5, 6, 7, 890000000, time.UTC)), "2024-03-04 05:06:07.89"},
		{TypeTimestamptz, enc(TimestamptzOID, ts), "2024-03-04 04:06:07.89+00:00"},
		{TypeTimestamptz, enc(TimestamptzOID, pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}), "-infinity"},
		{TypeInterval, enc(IntervalOID, pgtype.Interval{Months: 14, Days: -3, Microseconds: 3600000000, Valid: true}), "1 year 2 mons -3 days +01:00:00"},
		{TypeNumeric, enc(NumericOID, pgtype.Numeric{Int: bigInt("1250"), Exp: -2, Valid: true}), "12.50"},
		{TypeNumeric, enc(NumericOID, int64(42)), int64(42)},
		{TypeNumeric, enc(NumericOID, pgtype.Numeric{Int: bigInt("123456789012345678901"), Exp: 0, Valid: true}), "123456789012345678901"},
		{TypeNumeric, enc(NumericOID, pgtype.Numeric{NaN: true, Valid: true}), "NaN"},
		{FromDecl("int4[]"), enc(Int4ArrayOID, []int32{1, 2}), "[1,2]"},
		{FromDecl("text[]"), enc(TextArrayOID, []*string{ptr("a"), nil}), `["a",null]`},
		{FromDecl("int8[]"), enc(Int8ArrayOID, [][]int64{{1, 2}, {3, 4}}), "[[1,2],[3,4]]"},
		{FromDecl("jsonb[]"), enc(JSONBArrayOID(), []string{`{"a":null}`, `null`}), `["{\"a\": null}","null"]`},
		{Type{}, []byte{1, 2}, []byte{1, 2}},
	}
	c := NewCodec()
	for _, tt := range tests {
		got, err := c.Decode(tt.typ, BinaryFormat, tt.src)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s, binary %x) = %#v, %v; want %#v", tt.typ, tt.src, got, err, tt.want)
		}
	}
}

func JSONBArrayOID() uint32 { t, _ := ByName("_jsonb"); return t.OID }

func ptr[T any](v T) *T { return &v }

func bigInt(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 10)
	return n
}

func TestDecodeErrors(t *testing.T) {
	c := NewCodec()
	tests := []struct {
		typ    Type
		format int16
		src    string
		code   string
		msg    string
	}{
		{TypeInt4, TextFormat, "x", "22P02", `invalid input syntax for type integer: "x"`},
		{TypeInt2, TextFormat, "40000", "22003", `value "40000" is out of range for type smallint`},
		{TypeInt8, TextFormat, "1.0", "22P02", `invalid input syntax for type bigint: "1.0"`},
		{TypeInt4, BinaryFormat, "\x00\x01", "22P03", ""},
		{TypeInt8, BinaryFormat, "\x00\x01\x02", "22P03", ""},
		{TypeFloat8, TextFormat, "1e400", "22003", `"1e400" is out of range for type double precision`},
		{TypeFloat4, TextFormat, "1e-50", "22003", ""},
		{TypeBool, TextFormat, "maybe", "22P02", `invalid input syntax for type boolean: "maybe"`},
		{TypeBytea, TextFormat, `\x0`, "22023", ""},
		{TypeBytea, TextFormat, `\9`, "22P02", ""},
		{TypeUUID, TextFormat, "not-a-uuid", "22P02", ""},
		{TypeUUID, BinaryFormat, "short", "22P03", ""},
		{TypeJSON, TextFormat, "{", "22P02", ""},
		{TypeJSONB, TextFormat, `"\u0000"`, "22P05", ""},
		{TypeJSONB, BinaryFormat, "\x02{}", "22P03", ""},
		{TypeNumeric, TextFormat, "1.2.3", "22P02", `invalid input syntax for type numeric: "1.2.3"`},
		{FromDecl("numeric(3,2)"), TextFormat, "10", "22003", "numeric field overflow"},
		{TypeDate, TextFormat, "2023-02-29", "22008", `date/time field value out of range: "2023-02-29"`},
		{TypeTimestamptz, TextFormat, "yesterdayish", "22007", `invalid input syntax for type timestamp with time zone: "yesterdayish"`},
		{TypeTimestamptz, TextFormat, "2024-01-01 10:00+16", "22009", ""},
		{TypeTimestamp, TextFormat, "294277-01-01", "22008", `timestamp out of range: "294277-01-01"`},
		{TypeTime, TextFormat, "24:00:01", "22008", ""},
		{TypeInterval, TextFormat, "1 fortnight", "22007", ""},
		{TypeText, TextFormat, "bad\xffutf8", "22021", ""},
		{TypeText, TextFormat, "nul\x00", "22021", ""},
		{FromDecl("varchar(3)"), TextFormat, "abcd", "22001", "value too long for type character varying(3)"},
		{FromDecl("int4[]"), TextFormat, "{1,{2}}", "22P02", ""},
		{FromDecl("int4[]"), TextFormat, "{1,x}", "22P02", ""},
		{FromDecl("int4[]"), BinaryFormat, "\x00\x00\x00\x01", "22P03", ""},
		{FromDecl("int4[]"), TextFormat, "{{{{{{{1}}}}}}}", "54000", ""},
	}
	for _, tt := range tests {
		v, err := c.Decode(tt.typ, tt.format, []byte(tt.src))
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != tt.code || (tt.msg != "" && pe.Message != tt.msg) {
			t.Errorf("Decode(%s, %d, %q) = %#v, %v; want %s %q", tt.typ, tt.format, tt.src, v, err, tt.code, tt.msg)
		}
	}
}

func TestSetTimeZone(t *testing.T) {
	c := NewCodec()
	if c.TimeZone() != "UTC" || c.Location() != time.UTC {
		t.Fatalf("default zone %q", c.TimeZone())
	}
	for zone, want := range map[string]string{
		"Europe/Paris": "Europe/Paris", "europe/paris": "Europe/Paris", "utc": "UTC", "+02:00": "+02:00",
		"5.5": "<+05:30>-05:30", "-3": "<-03>+03", "UTC+3": "UTC+3", "Etc/GMT-3": "Etc/GMT-3", "etc/gmt-3": "Etc/GMT-3",
	} {
		if err := c.SetTimeZone(zone); err != nil || c.TimeZone() != want {
			t.Errorf("SetTimeZone(%q): %v, TimeZone() = %q, want %q", zone, err, c.TimeZone(), want)
		}
	}
	c.SetTimeZone("UTC")
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "Z", "1e3", "NaN", "25", "+25:00"} {
		if err := c.SetTimeZone(bad); errCode(err) != CodeInvalidParameterValue {
			t.Errorf("SetTimeZone(%q) = %v, want 22023", bad, err)
		}
		if c.TimeZone() != "UTC" {
			t.Errorf("failed SetTimeZone(%q) changed the zone to %q", bad, c.TimeZone())
		}
	}
	// POSIX sign convention: +02:00 is two hours west.
	c.SetTimeZone("+02:00")
	out, _ := c.Encode(nil, TypeTimestamptz, TextFormat, "2024-01-01 10:00:00+00:00")
	if string(out) != "2024-01-01 08:00:00-02" {
		t.Errorf("+02:00 renders %q", out)
	}
	// A zone-less parameter is read in the session zone.
	c.SetTimeZone("Asia/Kolkata")
	v, err := c.Decode(TypeTimestamptz, TextFormat, []byte("2024-01-01 10:00"))
	if err != nil || v != "2024-01-01 04:30:00+00:00" {
		t.Errorf("zone-less timestamptz param in Kolkata: %v %v", v, err)
	}
}

func TestErrorType(t *testing.T) {
	err := error(&Error{Code: "22P02", Message: "bad"})
	if err.Error() != "bad (SQLSTATE 22P02)" {
		t.Errorf("Error() = %q", err.Error())
	}
	var pe *Error
	_, e := NewCodec().Decode(TypeInt4, TextFormat, []byte("?"))
	if !errors.As(e, &pe) || pe.Code != CodeInvalidTextRepresentation {
		t.Errorf("Decode error %v is not an *Error with 22P02", e)
	}
}

// TestEncodeAppends checks that Encode appends to, and does not clobber, buf.
func TestEncodeAppends(t *testing.T) {
	c := NewCodec()
	buf := []byte("row:")
	for _, tc := range []struct {
		typ Type
		v   any
	}{{TypeInt8, int64(5)}, {TypeText, "x"}, {TypeTimestamptz, "2024-01-01 00:00:00+00:00"}, {TypeNumeric, "1.5"}, {FromDecl("int4[]"), "[1]"}} {
		for _, f := range []int16{TextFormat, BinaryFormat} {
			out, err := c.Encode(buf, tc.typ, f, tc.v)
			if err != nil || !bytes.HasPrefix(out, []byte("row:")) || len(out) <= 4 {
				t.Errorf("Encode(%s, %d) = %q, %v", tc.typ, f, out, err)
			}
		}
	}
}
