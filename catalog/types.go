package catalog

import (
	"strconv"
	"strings"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// typeRow is one pg_type row of a built-in type, as PostgreSQL 15 has it.
// builtinTypes are pg_catalog's types as package pgtypes defines them, in
// OID order: one table for RowDescription and pg_type.
var builtinTypes = func() []typeRow {
	rows := pgtypes.Rows()
	out := make([]typeRow, len(rows))
	for i, r := range rows {
		out[i] = typeRow{oid: r.OID, name: r.Name, length: r.Len, byVal: r.ByVal, typtype: r.Type,
			category: r.Category, preferred: r.Preferred, delim: r.Delim, elem: r.Elem, array: r.Array,
			input: r.Input, output: r.Output, receive: r.Receive, send: r.Send, modin: r.ModIn,
			modout: r.ModOut, align: r.Align, storage: r.Storage, collation: r.Collation,
			subscripting: r.Subscript}
	}
	return out
}()

type typeRow struct {
	oid          uint32
	name         string
	length       int16
	byVal        bool
	typtype      byte
	category     byte
	preferred    bool
	delim        byte
	elem         uint32
	array        uint32
	input        string
	output       string
	receive      string
	send         string
	modin        string
	modout       string
	align        byte
	storage      byte
	collation    uint32
	subscripting string
}

// isArray reports whether t is a true array type (as opposed to a
// fixed-length type with subscripting such as name or point, or the plain
// vector types int2vector/oidvector), which is how format_type decides to
// print "elem[]".
func (t *typeRow) isArray() bool {
	return t.elem != 0 && t.length == -1 && t.storage != 'p'
}

// Type OIDs used by name in this package.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt2Vector  = 22
	oidInt4        = 23
	oidRegproc     = 24
	oidText        = 25
	oidOid         = 26
	oidOidVector   = 30
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidUnknown     = 705
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimetz      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
	oidRegclass    = 2205
	oidRegtype     = 2206
	oidUUID        = 2950
	oidJSONB       = 3802
	oidRegnamespce = 4089
	oidRegrole     = 4096
)

var (
	typeByOID  = indexTypesByOID()
	typeByName = indexTypesByName()
)

func indexTypesByOID() map[uint32]*typeRow {
	m := make(map[uint32]*typeRow, len(builtinTypes))
	for i := range builtinTypes {
		m[builtinTypes[i].oid] = &builtinTypes[i]
	}
	return m
}

func indexTypesByName() map[string]*typeRow {
	m := make(map[string]*typeRow, len(builtinTypes))
	for i := range builtinTypes {
		m[builtinTypes[i].name] = &builtinTypes[i]
	}
	return m
}

// typeAliases maps the SQL-standard and PostgreSQL spellings of built-in
// types to their pg_type names. Keys are lower case with single spaces.
var typeAliases = map[string]string{
	"int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
	"real": "float4", "float": "float8", "double precision": "float8",
	"decimal": "numeric", "dec": "numeric", "boolean": "bool",
	"character varying": "varchar", "char varying": "varchar",
	"character": "bpchar", "char": "bpchar", "nchar": "bpchar",
	"national character": "bpchar", "national character varying": "varchar",
	"time without time zone": "time", "time with time zone": "timetz",
	"timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
	"bit varying": "varbit", `"char"`: "char", "serial": "int4", "serial4": "int4",
	"bigserial": "int8", "serial8": "int8", "smallserial": "int2", "serial2": "int2",
}

// lookupTypeName resolves a type name as written in SQL (any case, optional
// pg_catalog qualification, optional typmod, optional [] suffixes) to a
// built-in type and the typmod the modifier denotes (-1 if none).
func lookupTypeName(s string) (*typeRow, int32, bool) {
	name, mods, arr := splitTypeName(s)
	if name == "" {
		return nil, -1, false
	}
	if a, ok := typeAliases[name]; ok {
		name = a
	}
	if name == "float8" && len(mods) == 1 {
		// float(p): p <= 24 means real.
		if mods[0] >= 1 && mods[0] <= 24 {
			name = "float4"
		}
		mods = nil
	}
	t, ok := typeByName[name]
	if !ok {
		return nil, -1, false
	}
	typmod := encodeTypmod(t.oid, mods)
	for ; arr > 0; arr-- {
		if t.array == 0 {
			return nil, -1, false
		}
		t = typeByOID[t.array]
	}
	return t, typmod, true
}

// splitTypeName normalises a written type name: it lower-cases unquoted
// parts, drops a pg_catalog./public. qualifier, separates "(a,b)" modifiers
// and counts trailing [] pairs.
func splitTypeName(s string) (name string, mods []int, arrayDims int) {
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, "]") {
		i := strings.LastIndexByte(s, '[')
		if i < 0 {
			return "", nil, 0
		}
		s = strings.TrimSpace(s[:i])
		arrayDims++
	}
	if strings.HasPrefix(s, "_") && arrayDims == 0 {
		if _, ok := typeByName[strings.ToLower(s)]; !ok {
			// "_int4" is the array type's own name; resolve the element.
			s = s[1:]
			arrayDims = 1
		}
	}
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return "", nil, 0
		}
		for _, part := range strings.Split(s[i+1:i+j], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return "", nil, 0
			}
			mods = append(mods, n)
		}
		// "timestamp(3) with time zone": keep the words after the modifier.
		s = strings.TrimSpace(s[:i]) + " " + strings.TrimSpace(s[i+j+1:])
	}
	var b strings.Builder
	quoted := false
	for _, r := range s {
		if r == '"' {
			quoted = !quoted
			b.WriteRune(r)
			continue
		}
		if !quoted {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		}
		b.WriteRune(r)
	}
	name = strings.Join(strings.Fields(b.String()), " ")
	for _, q := range []string{"pg_catalog.", `"pg_catalog".`, "public."} {
		name = strings.TrimPrefix(name, q)
	}
	if name == `"char"` {
		return name, mods, arrayDims
	}
	name = strings.ReplaceAll(name, `"`, "")
	return name, mods, arrayDims
}

// encodeTypmod turns written modifiers into PostgreSQL's atttypmod encoding.
func encodeTypmod(oid uint32, mods []int) int32 {
	if len(mods) == 0 {
		return -1
	}
	switch oid {
	case oidVarchar, oidBpchar:
		return int32(mods[0]) + 4
	case oidNumeric:
		scale := 0
		if len(mods) > 1 {
			scale = mods[1]
		}
		return int32((mods[0]<<16)|(scale&0x7ff)) + 4
	case oidTime, oidTimetz, oidTimestamp, oidTimestamptz, oidBit, oidVarbit:
		return int32(mods[0])
	case oidInterval:
		// interval(p): all fields, precision p.
		return int32(0x7fff<<16 | mods[0]&0xffff)
	}
	return -1
}

// formatType is PostgreSQL's format_type; package pgtypes owns it so that
// pg_attribute and RowDescription agree.
func formatType(oid uint32, typmod int32, typmodGiven bool) string {
	return pgtypes.FormatType(oid, typmod, typmodGiven)
}
