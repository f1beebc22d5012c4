package pgtypes

import (
	"testing"
	"time"
)

func TestFromDecl(t *testing.T) {
	tests := []struct {
		decl   string
		oid    uint32
		mod    int32
		format string
	}{
		{"", TextOID, -1, "text"},
		{"INTEGER", Int4OID, -1, "integer"},
		{"int", Int4OID, -1, "integer"},
		{"Int4", Int4OID, -1, "integer"},
		{"serial", Int4OID, -1, "integer"},
		{"MEDIUMINT", Int4OID, -1, "integer"},
		{"bigint", Int8OID, -1, "bigint"},
		{"INT8", Int8OID, -1, "bigint"},
		{"bigserial", Int8OID, -1, "bigint"},
		{"UNSIGNED BIG INT", Int8OID, -1, "bigint"},
		{"smallint", Int2OID, -1, "smallint"},
		{"tinyint", Int2OID, -1, "smallint"},
		{"varchar(20)", VarcharOID, 24, "character varying(20)"},
		{"VARCHAR( 20 )", VarcharOID, 24, "character varying(20)"},
		{"character varying(20)", VarcharOID, 24, "character varying(20)"},
		{"NVARCHAR(100)", VarcharOID, 104, "character varying(100)"},
		{"varchar", VarcharOID, -1, "character varying"},
		{"char(3)", BPCharOID, 7, "character(3)"},
		{"char", BPCharOID, 5, "character(1)"},
		{"NCHAR(55)", BPCharOID, 59, "character(55)"},
		{"bpchar", BPCharOID, -1, "bpchar"},
		{`"char"`, QCharOID, -1, `"char"`},
		{"text", TextOID, -1, "text"},
		{"CLOB", TextOID, -1, "text"},
		{"boolean", BoolOID, -1, "boolean"},
		{"BOOL", BoolOID, -1, "boolean"},
		{"real", Float4OID, -1, "real"},
		{"float4", Float4OID, -1, "real"},
		{"double precision", Float8OID, -1, "double precision"},
		{"DOUBLE", Float8OID, -1, "double precision"},
		{"float8", Float8OID, -1, "double precision"},
		{"float(24)", Float4OID, -1, "real"},
		{"float(25)", Float8OID, -1, "double precision"},
		{"numeric(10,2)", NumericOID, (10<<16 | 2) + 4, "numeric(10,2)"},
		{"NUMERIC(10, 2)", NumericOID, (10<<16 | 2) + 4, "numeric(10,2)"},
		{"decimal(5)", NumericOID, 5<<16 + 4, "numeric(5,0)"},
		{"decimal", NumericOID, -1, "numeric"},
		{"numeric", NumericOID, -1, "numeric"},
		{"bytea", ByteaOID, -1, "bytea"},
		{"BLOB", ByteaOID, -1, "bytea"},
		{"date", DateOID, -1, "date"},
		{"DATETIME", TimestampOID, -1, "timestamp without time zone"},
		{"timestamp", TimestampOID, -1, "timestamp without time zone"},
		{"timestamp(3)", TimestampOID, 3, "timestamp(3) without time zone"},
		{"timestamptz", TimestamptzOID, -1, "timestamp with time zone"},
		{"TIMESTAMP WITH TIME ZONE", TimestamptzOID, -1, "timestamp with time zone"},
		{"timestamp(6) with time zone", TimestamptzOID, 6, "timestamp(6) with time zone"},
		{"time", TimeOID, -1, "time without time zone"},
		{"time with time zone", TimetzOID, -1, "time with time zone"},
		{"interval", IntervalOID, -1, "interval"},
		{"uuid", UUIDOID, -1, "uuid"},
		{"json", JSONOID, -1, "json"},
		{"jsonb", JSONBOID, -1, "jsonb"},
		{"name", NameOID, -1, "name"},
		{"oid", OIDOID, -1, "oid"},
		{"regclass", RegclassOID, -1, "regclass"},
		{"pg_catalog.int4", Int4OID, -1, "integer"},
		{"int4[]", Int4ArrayOID, -1, "integer[]"},
		{"text[]", TextArrayOID, -1, "text[]"},
		{`"int2[]"`, Int2ArrayOID, -1, "smallint[]"},
		{"[int8[]]", Int8ArrayOID, -1, "bigint[]"},
		{"int[3]", Int4ArrayOID, -1, "integer[]"},
		{"int[][]", Int4ArrayOID, -1, "integer[]"},
		{"integer ARRAY", Int4ArrayOID, -1, "integer[]"},
		{"_int4", Int4ArrayOID, -1, "integer[]"},
		{"varchar(5)[]", VarcharArrayOID, 9, "character varying(5)[]"},
		{"timestamptz[]", TimestamptzArrayOID, -1, "timestamp with time zone[]"},
		{"something_else", TextOID, -1, "text"},
		{"numeric(abc)", NumericOID, -1, "numeric"},
		{"varchar(", VarcharOID, -1, "character varying"},
	}
	for _, tt := range tests {
		got := FromDecl(tt.decl)
		if got.OID != tt.oid || got.Modifier != tt.mod || got.FormatType() != tt.format {
			t.Errorf("FromDecl(%q) = %+v (%q), want oid %d mod %d %q", tt.decl, got, got.FormatType(), tt.oid, tt.mod, tt.format)
		}
		if ti, ok := infoByOID[got.OID]; !ok || got.Name != ti.name || got.Size != ti.len {
			t.Errorf("FromDecl(%q) = %+v: name/size disagree with pg_type", tt.decl, got)
		}
	}
}

func TestByNameAndOID(t *testing.T) {
	for name, oid := range map[string]uint32{
		"int4": Int4OID, "integer": Int4OID, "INT": Int4OID, "bool": BoolOID, "boolean": BoolOID,
		"timestamptz": TimestamptzOID, "timestamp with time zone": TimestamptzOID, "double precision": Float8OID,
		"varchar": VarcharOID, "character varying": VarcharOID, "_int4": Int4ArrayOID, "int4[]": Int4ArrayOID,
		"text[]": TextArrayOID, " Text ": TextOID, "pg_catalog.text": TextOID, `"char"`: QCharOID,
		"char": BPCharOID, "regclass": RegclassOID, "jsonb": JSONBOID, "uuid[]": 2951, "_int4[]": Int4ArrayOID,
	} {
		got, ok := ByName(name)
		if !ok || got.OID != oid || got.Modifier != -1 {
			t.Errorf("ByName(%q) = %+v, %v; want OID %d", name, got, ok, oid)
		}
	}
	for _, name := range []string{"", "nosuchtype", "varchar(20)", "serial", "record[]x"} {
		if got, ok := ByName(name); ok {
			t.Errorf("ByName(%q) = %+v, want not found", name, got)
		}
	}
	typ, ok := ByOID(TimestamptzOID)
	if !ok || typ != TypeTimestamptz {
		t.Errorf("ByOID(timestamptz) = %+v, %v", typ, ok)
	}
	if _, ok := ByOID(99999); ok {
		t.Error("ByOID(99999) found a type")
	}
	// Every exported Type variable agrees with the table.
	for _, v := range []Type{TypeBool, TypeBytea, TypeInt2, TypeInt4, TypeInt8, TypeFloat4, TypeFloat8, TypeNumeric, TypeText,
		TypeVarchar, TypeName, TypeOID, TypeDate, TypeTime, TypeTimestamp, TypeTimestamptz, TypeInterval, TypeUUID, TypeJSON,
		TypeJSONB, TypeUnknown} {
		if got, _ := ByOID(v.OID); got != v {
			t.Errorf("exported %+v disagrees with ByOID %+v", v, got)
		}
	}
}

func TestTypeMethods(t *testing.T) {
	arr := FromDecl("numeric(10,2)[]")
	if !arr.IsArray() || arr.Elem().OID != NumericOID || arr.Elem().Modifier != arr.Modifier {
		t.Errorf("numeric(10,2)[]: IsArray %v Elem %+v", arr.IsArray(), arr.Elem())
	}
	if p, s, ok := arr.NumericPrecisionScale(); !ok || p != 10 || s != 2 {
		t.Errorf("NumericPrecisionScale = %d,%d,%v", p, s, ok)
	}
	if TypeInt4.IsArray() || TypeInt4.Elem() != (Type{}) {
		t.Error("int4 is not an array")
	}
	if n, _ := ByName("name"); n.IsArray() {
		t.Error("name (typelem char, fixed length) is not an array")
	}
	if at, ok := TypeText.ArrayType(); !ok || at.OID != TextArrayOID {
		t.Errorf("text ArrayType = %+v %v", at, ok)
	}
	if n, ok := FromDecl("varchar(20)").CharLength(); !ok || n != 20 {
		t.Errorf("CharLength = %d %v", n, ok)
	}
	if _, ok := TypeText.CharLength(); ok {
		t.Error("text has no length")
	}
	if TypeInt4.Category() != 'N' || (Type{OID: 424242}).Category() != 'U' {
		t.Error("Category")
	}
	if (Type{OID: 424242}).FormatType() != "???" {
		t.Error("unknown FormatType")
	}
	if TypeTimestamptz.String() != "timestamp with time zone" {
		t.Error("String")
	}
	if got := FromDecl("numeric(5,-2)"); got.FormatType() != "numeric(5,-2)" {
		t.Errorf("negative scale: %q", got.FormatType())
	}
	if got := FromDecl("interval(3)"); got.Modifier != 0x7fff<<16|3 || got.FormatType() != "interval(3)" {
		t.Errorf("interval(3): %+v %q", got, got.FormatType())
	}
}

func TestInferFromValue(t *testing.T) {
	tests := []struct {
		v   any
		oid uint32
	}{
		{int64(1), Int8OID}, {1, Int8OID}, {float64(1.5), Float8OID}, {[]byte("x"), ByteaOID},
		{"s", TextOID}, {nil, TextOID}, {true, BoolOID}, {time.Now(), TimestamptzOID}, {uint64(1), NumericOID},
		{struct{}{}, TextOID},
	}
	for _, tt := range tests {
		if got := InferFromValue(tt.v); got.OID != tt.oid {
			t.Errorf("InferFromValue(%T) = %d, want %d", tt.v, got.OID, tt.oid)
		}
	}
}

func TestTypeTableInvariants(t *testing.T) {
	seen := map[uint32]bool{}
	for i, ti := range builtinTypes {
		if seen[ti.oid] {
			t.Errorf("duplicate OID %d", ti.oid)
		}
		seen[ti.oid] = true
		if i > 0 && builtinTypes[i-1].oid >= ti.oid {
			t.Errorf("table not sorted at %d", ti.oid)
		}
		if ti.array != 0 {
			at, ok := infoByOID[ti.array]
			if !ok || at.elem != ti.oid {
				t.Errorf("%s: array type %d does not point back", ti.name, ti.array)
			}
		}
	}
}
