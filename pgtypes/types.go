package pgtypes

import (
	"strings"
)

// OIDs of the built-in types the rest of the server refers to by name. The
// full list lives in typetable.go; these are the ones worth a constant.
const (
	BoolOID             uint32 = 16
	ByteaOID            uint32 = 17
	QCharOID            uint32 = 18 // "char", the one-byte internal type
	NameOID             uint32 = 19
	Int8OID             uint32 = 20
	Int2OID             uint32 = 21
	Int2VectorOID       uint32 = 22
	Int4OID             uint32 = 23
	RegprocOID          uint32 = 24
	TextOID             uint32 = 25
	OIDOID              uint32 = 26
	TIDOID              uint32 = 27
	XIDOID              uint32 = 28
	CIDOID              uint32 = 29
	OIDVectorOID        uint32 = 30
	JSONOID             uint32 = 114
	XMLOID              uint32 = 142
	PgNodeTreeOID       uint32 = 194
	Float4OID           uint32 = 700
	Float8OID           uint32 = 701
	UnknownOID          uint32 = 705
	MoneyOID            uint32 = 790
	InetOID             uint32 = 869
	BoolArrayOID        uint32 = 1000
	ByteaArrayOID       uint32 = 1001
	NameArrayOID        uint32 = 1003
	Int2ArrayOID        uint32 = 1005
	Int4ArrayOID        uint32 = 1007
	TextArrayOID        uint32 = 1009
	VarcharArrayOID     uint32 = 1015
	Int8ArrayOID        uint32 = 1016
	Float4ArrayOID      uint32 = 1021
	Float8ArrayOID      uint32 = 1022
	OIDArrayOID         uint32 = 1028
	ACLItemOID          uint32 = 1033
	BPCharOID           uint32 = 1042
	VarcharOID          uint32 = 1043
	DateOID             uint32 = 1082
	TimeOID             uint32 = 1083
	TimestampOID        uint32 = 1114
	TimestamptzOID      uint32 = 1184
	IntervalOID         uint32 = 1186
	TimetzOID           uint32 = 1266
	BitOID              uint32 = 1560
	VarbitOID           uint32 = 1562
	NumericOID          uint32 = 1700
	RegprocedureOID     uint32 = 2202
	RegoperOID          uint32 = 2203
	RegoperatorOID      uint32 = 2204
	RegclassOID         uint32 = 2205
	RegtypeOID          uint32 = 2206
	RecordOID           uint32 = 2249
	CstringOID          uint32 = 2275
	AnyOID              uint32 = 2276
	AnyArrayOID         uint32 = 2277
	VoidOID             uint32 = 2278
	TriggerOID          uint32 = 2279
	AnyElementOID       uint32 = 2283
	UUIDOID             uint32 = 2950
	RegconfigOID        uint32 = 3734
	RegdictionaryOID    uint32 = 3769
	JSONBOID            uint32 = 3802
	JSONPathOID         uint32 = 4072
	RegnamespaceOID     uint32 = 4089
	RegroleOID          uint32 = 4096
	RegcollationOID     uint32 = 4191
	XID8OID             uint32 = 5069
	TimestamptzArrayOID uint32 = 1185
)

// Type is a PostgreSQL type as the server reports it in RowDescription,
// ParameterDescription and pg_attribute: the type OID, its name (pg_type.typname),
// its storage size (pg_type.typlen: -1 varlena, -2 C string) and the column's
// type modifier (atttypmod, -1 if none).
//
// The zero Type (OID 0) means "unspecified": Encode infers the type from the
// value, Decode treats the parameter as text.
type Type struct {
	OID      uint32
	Name     string
	Size     int16
	Modifier int32
}

// typeInfo is one row of pg_type as PostgreSQL 15 ships it.
type typeInfo struct {
	oid      uint32
	name     string
	len      int16
	array    uint32 // typarray: OID of the array type whose element is this type
	elem     uint32 // typelem: for arrays, the element type
	category byte   // typcategory
	typtype  byte   // b base, p pseudo, r range, m multirange
	display  string // format_type(oid, NULL)
	delim    byte   // typdelim
}

// builtinTypes is the lookup form of pgTypeRows.
var builtinTypes = func() []typeInfo {
	out := make([]typeInfo, len(pgTypeRows))
	for i, r := range pgTypeRows {
		out[i] = typeInfo{oid: r.OID, name: r.Name, len: r.Len, array: r.Array, elem: r.Elem,
			category: r.Category, typtype: r.Type, display: r.Display, delim: r.Delim}
	}
	return out
}()

// Rows returns the pg_type rows of the built-in types, in OID order, for
// the emulated catalog. The slice is a copy.
func Rows() []Row {
	return append([]Row(nil), pgTypeRows[:]...)
}

// Package-level lookup tables, built once from builtinTypes and never written
// afterwards.
var (
	infoByOID  = buildInfoByOID()
	infoByName = buildInfoByName()
)

func buildInfoByOID() map[uint32]*typeInfo {
	m := make(map[uint32]*typeInfo, len(builtinTypes))
	for i := range builtinTypes {
		m[builtinTypes[i].oid] = &builtinTypes[i]
	}
	return m
}

// typeAliases are the spellings PostgreSQL's grammar and regtype input accept
// besides pg_type.typname (which always works).
var typeAliases = map[string]uint32{
	"int":                         Int4OID,
	"integer":                     Int4OID,
	"smallint":                    Int2OID,
	"bigint":                      Int8OID,
	"real":                        Float4OID,
	"float":                       Float8OID,
	"double precision":            Float8OID,
	"decimal":                     NumericOID,
	"dec":                         NumericOID,
	"boolean":                     BoolOID,
	"character varying":           VarcharOID,
	"char varying":                VarcharOID,
	"national character varying":  VarcharOID,
	"national char varying":       VarcharOID,
	"character":                   BPCharOID,
	"char":                        BPCharOID, // unquoted char is character(1); "char" quoted is QCharOID
	"national character":          BPCharOID,
	"national char":               BPCharOID,
	"nchar":                       BPCharOID,
	"timestamp without time zone": TimestampOID,
	"timestamp with time zone":    TimestamptzOID,
	"time without time zone":      TimeOID,
	"time with time zone":         TimetzOID,
	"bit varying":                 VarbitOID,
	"\"char\"":                    QCharOID,
	"\"any\"":                     AnyOID,
}

func buildInfoByName() map[string]*typeInfo {
	m := make(map[string]*typeInfo, len(builtinTypes)+len(typeAliases))
	for i := range builtinTypes {
		m[builtinTypes[i].name] = &builtinTypes[i]
	}
	for alias, oid := range typeAliases {
		for i := range builtinTypes {
			if builtinTypes[i].oid == oid {
				m[alias] = &builtinTypes[i]
			}
		}
	}
	return m
}

func (ti *typeInfo) typ(mod int32) Type {
	return Type{OID: ti.oid, Name: ti.name, Size: ti.len, Modifier: mod}
}

// Frequently used types, for callers inferring expression result types.
var (
	TypeBool        = Type{OID: BoolOID, Name: "bool", Size: 1, Modifier: -1}
	TypeBytea       = Type{OID: ByteaOID, Name: "bytea", Size: -1, Modifier: -1}
	TypeInt2        = Type{OID: Int2OID, Name: "int2", Size: 2, Modifier: -1}
	TypeInt4        = Type{OID: Int4OID, Name: "int4", Size: 4, Modifier: -1}
	TypeInt8        = Type{OID: Int8OID, Name: "int8", Size: 8, Modifier: -1}
	TypeFloat4      = Type{OID: Float4OID, Name: "float4", Size: 4, Modifier: -1}
	TypeFloat8      = Type{OID: Float8OID, Name: "float8", Size: 8, Modifier: -1}
	TypeNumeric     = Type{OID: NumericOID, Name: "numeric", Size: -1, Modifier: -1}
	TypeText        = Type{OID: TextOID, Name: "text", Size: -1, Modifier: -1}
	TypeVarchar     = Type{OID: VarcharOID, Name: "varchar", Size: -1, Modifier: -1}
	TypeName        = Type{OID: NameOID, Name: "name", Size: 64, Modifier: -1}
	TypeOID         = Type{OID: OIDOID, Name: "oid", Size: 4, Modifier: -1}
	TypeDate        = Type{OID: DateOID, Name: "date", Size: 4, Modifier: -1}
	TypeTime        = Type{OID: TimeOID, Name: "time", Size: 8, Modifier: -1}
	TypeTimestamp   = Type{OID: TimestampOID, Name: "timestamp", Size: 8, Modifier: -1}
	TypeTimestamptz = Type{OID: TimestamptzOID, Name: "timestamptz", Size: 8, Modifier: -1}
	TypeInterval    = Type{OID: IntervalOID, Name: "interval", Size: 16, Modifier: -1}
	TypeUUID        = Type{OID: UUIDOID, Name: "uuid", Size: 16, Modifier: -1}
	TypeJSON        = Type{OID: JSONOID, Name: "json", Size: -1, Modifier: -1}
	TypeJSONB       = Type{OID: JSONBOID, Name: "jsonb", Size: -1, Modifier: -1}
	TypeUnknown     = Type{OID: UnknownOID, Name: "unknown", Size: -2, Modifier: -1}
)

// ByOID returns the built-in type with the given OID, with no modifier.
func ByOID(oid uint32) (Type, bool) {
	ti, ok := infoByOID[oid]
	if !ok {
		return Type{}, false
	}
	return ti.typ(-1), true
}

// ByName resolves a type name as PostgreSQL's regtype input would: pg_type
// names ("int4", "_int4", "timestamptz"), SQL spellings ("integer", "double
// precision", "timestamp with time zone", "character varying") and a trailing
// "[]" for arrays. Case and surrounding whitespace are ignored, as is a
// "pg_catalog." prefix. Type modifiers are not accepted here; see FromDecl.
func ByName(name string) (Type, bool) {
	n := normalizeTypeName(name)
	arrays := 0
	for strings.HasSuffix(n, "[]") {
		n = strings.TrimSpace(n[:len(n)-2])
		arrays++
	}
	ti, ok := infoByName[n]
	if !ok {
		return Type{}, false
	}
	if arrays > 0 {
		// PostgreSQL has no array-of-array types: int4[][] is int4[].
		if ti.array == 0 {
			if ti.category == 'A' && ti.elem != 0 && strings.HasPrefix(ti.name, "_") {
				return ti.typ(-1), true
			}
			return Type{}, false
		}
		ti = infoByOID[ti.array]
	}
	return ti.typ(-1), true
}

// normalizeTypeName lower-cases an unquoted name, collapses runs of
// whitespace and drops a pg_catalog schema.
func normalizeTypeName(name string) string {
	n := strings.TrimSpace(name)
	if n == `"char"` || n == `"any"` {
		return n
	}
	n = strings.ToLower(n)
	n = strings.Join(strings.Fields(n), " ")
	n = strings.TrimPrefix(n, "pg_catalog.")
	n = strings.TrimPrefix(n, `"pg_catalog".`)
	if len(n) >= 2 && n[0] == '"' && n[len(n)-1] == '"' && n != `"char"` && n != `"any"` {
		n = n[1 : len(n)-1]
	}
	return n
}

func (t Type) info() *typeInfo { return infoByOID[t.OID] }

// IsArray reports whether t is a (varlena) array type such as int4[].
func (t Type) IsArray() bool {
	ti := t.info()
	return ti != nil && ti.elem != 0 && ti.category == 'A' && ti.len == -1 && strings.HasPrefix(ti.name, "_")
}

// Elem returns the element type of an array type, carrying the array's
// modifier (PostgreSQL applies an array column's typmod to its elements). For
// non-arrays it returns the zero Type.
func (t Type) Elem() Type {
	if !t.IsArray() {
		return Type{}
	}
	return infoByOID[t.info().elem].typ(t.Modifier)
}

// ArrayType returns the array type whose elements are t, keeping t's modifier.
func (t Type) ArrayType() (Type, bool) {
	ti := t.info()
	if ti == nil || ti.array == 0 {
		return Type{}, false
	}
	return infoByOID[ti.array].typ(t.Modifier), true
}

// Category returns pg_type.typcategory ('N' numeric, 'S' string, 'D'
// date/time, 'A' array, ...), or 'U' (user-defined) for unknown OIDs.
func (t Type) Category() byte {
	if ti := t.info(); ti != nil {
		return ti.category
	}
	return 'U'
}

// CharLength returns the declared maximum length of a character(n),
// character varying(n) or bit(n) type.
func (t Type) CharLength() (int, bool) {
	base := t
	if t.IsArray() {
		base = t.Elem()
	}
	switch base.OID {
	case BPCharOID, VarcharOID:
		if t.Modifier >= 4 {
			return int(t.Modifier - 4), true
		}
	case BitOID, VarbitOID:
		if t.Modifier >= 0 {
			return int(t.Modifier), true
		}
	}
	return 0, false
}

// NumericPrecisionScale decodes the modifier of numeric(p,s).
func (t Type) NumericPrecisionScale() (precision, scale int, ok bool) {
	base := t
	if t.IsArray() {
		base = t.Elem()
	}
	if base.OID != NumericOID || t.Modifier < 4 {
		return 0, 0, false
	}
	m := t.Modifier - 4
	// The scale is an 11-bit signed field since PostgreSQL 15 (negative scales).
	s := int(m & 0x7ff)
	if s&0x400 != 0 {
		s -= 0x800
	}
	return int(m>>16) & 0xffff, s, true
}

// FormatType renders the type like PostgreSQL's format_type(oid, typmod):
// "integer", "character varying(20)", "numeric(10,2)",
// "timestamp(3) with time zone", "text[]". Unknown OIDs render as "???".
func (t Type) FormatType() string {
	return FormatType(t.OID, t.Modifier, true)
}

// String returns FormatType, so a Type prints the way psql's \d shows it.
func (t Type) String() string { return t.FormatType() }

// inputName is the type name PostgreSQL's input functions use in error
// messages ("integer", "timestamp with time zone", "double precision").
func (t Type) inputName() string {
	if ti := t.info(); ti != nil {
		if t.IsArray() {
			return ti.display
		}
		switch t.OID {
		case BPCharOID:
			return "character"
		case VarcharOID:
			return "character varying"
		}
		return ti.display
	}
	if t.Name != "" {
		return t.Name
	}
	return "text"
}
