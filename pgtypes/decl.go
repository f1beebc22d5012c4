package pgtypes

import (
	"strconv"
	"strings"
)

// sqliteAliases are declared-type spellings that are not PostgreSQL type
// names but do occur in SQLite schemas (SQLite accepts any identifier
// sequence as a type), plus PostgreSQL's serial pseudo-types, which the
// translator keeps verbatim in the SQLite schema.
var sqliteAliases = map[string]uint32{
	"serial":            Int4OID,
	"serial4":           Int4OID,
	"mediumint":         Int4OID,
	"bigserial":         Int8OID,
	"serial8":           Int8OID,
	"unsigned big int":  Int8OID,
	"long":              Int8OID,
	"smallserial":       Int2OID,
	"serial2":           Int2OID,
	"tinyint":           Int2OID,
	"double":            Float8OID,
	"clob":              TextOID,
	"string":            TextOID,
	"citext":            TextOID,
	"tinytext":          TextOID,
	"mediumtext":        TextOID,
	"longtext":          TextOID,
	"nvarchar":          VarcharOID,
	"varying character": VarcharOID,
	"native character":  BPCharOID,
	"blob":              ByteaOID,
	"binary":            ByteaOID,
	"varbinary":         ByteaOID,
	"datetime":          TimestampOID,
}

// FromDecl maps a SQLite declared column type, kept verbatim from the
// CREATE TABLE the client sent, to the PostgreSQL type PostgreSQL would
// report for that column, modifier included:
//
//	"INTEGER", "int", "serial"           → int4 (23)
//	"bigint", "int8", "bigserial"        → int8 (20)
//	"varchar(20)"                        → varchar, typmod 24
//	"numeric(10,2)"                      → numeric, typmod ((10<<16)|2)+4
//	"timestamp(3) with time zone"        → timestamptz, typmod 3
//	"int4[]", "text ARRAY", `"int2[]"`   → the array type
//
// An empty or unrecognised declaration yields text (25): SQLite columns with
// no declared type hold whatever they are given, and text is what PostgreSQL
// reports for an untyped value.
func FromDecl(decl string) Type {
	n := strings.TrimSpace(decl)
	if n == "" {
		return TypeText
	}
	// SQLite identifier quoting around the whole type: "int2[]", [int4], `text`.
	if len(n) >= 2 {
		switch {
		case n[0] == '"' && n[len(n)-1] == '"' && n != `"char"` && n != `"any"`,
			n[0] == '[' && n[len(n)-1] == ']',
			n[0] == '`' && n[len(n)-1] == '`':
			n = strings.TrimSpace(n[1 : len(n)-1])
		}
	}
	if n == `"char"` {
		return infoByOID[QCharOID].typ(-1)
	}
	n = strings.ToLower(n)

	// Array decorations: "int4[]", "int4[3]", "int4[][]", "int4 array",
	// "int4 array[3]".
	isArray := false
	for {
		trimmed := strings.TrimSpace(n)
		if strings.HasSuffix(trimmed, "]") {
			if i := strings.LastIndexByte(trimmed, '['); i > 0 && isDigits(trimmed[i+1:len(trimmed)-1]) {
				n = trimmed[:i]
				isArray = true
				continue
			}
		}
		if strings.HasSuffix(trimmed, " array") {
			n = trimmed[:len(trimmed)-len(" array")]
			isArray = true
			continue
		}
		n = trimmed
		break
	}

	// Modifier arguments "(20)" or "(10, 2)", which may sit in the middle of
	// the name: "timestamp(3) with time zone", "bit varying(5)".
	var args []int
	argsOK := true
	if open := strings.IndexByte(n, '('); open >= 0 {
		if end := strings.IndexByte(n[open:], ')'); end > 0 {
			for _, a := range strings.Split(n[open+1:open+end], ",") {
				v, err := strconv.Atoi(strings.TrimSpace(a))
				if err != nil {
					argsOK = false
					break
				}
				args = append(args, v)
			}
			n = n[:open] + " " + n[open+end+1:]
		} else {
			n = n[:open] // unbalanced: ignore the modifier
		}
	}
	n = strings.Join(strings.Fields(n), " ")
	n = strings.TrimPrefix(n, "pg_catalog.")
	if !argsOK {
		args = nil
	}

	t := resolveDeclBase(n, args)
	if isArray && !t.IsArray() {
		if at, ok := t.ArrayType(); ok {
			return at
		}
	}
	return t
}

// resolveDeclBase maps a lower-cased, modifier-free type name plus its
// modifier arguments to a Type.
func resolveDeclBase(n string, args []int) Type {
	oid, ok := sqliteAliases[n]
	if !ok {
		// "float(p)" picks real or double precision by the binary precision,
		// as PostgreSQL's grammar does.
		if n == "float" && len(args) == 1 {
			if args[0] >= 1 && args[0] <= 24 {
				return TypeFloat4
			}
			return TypeFloat8
		}
		ti, found := infoByName[n]
		if !found {
			return TypeText
		}
		oid = ti.oid
	}
	ti := infoByOID[oid]
	mod := int32(-1)
	switch oid {
	case VarcharOID:
		if len(args) == 1 && args[0] > 0 {
			mod = int32(args[0]) + 4
		}
	case BPCharOID:
		switch {
		case len(args) == 1 && args[0] > 0:
			mod = int32(args[0]) + 4
		case n != "bpchar":
			// A bare "char"/"character" column is character(1).
			mod = 5
		}
	case NumericOID:
		switch len(args) {
		case 1:
			if args[0] >= 1 && args[0] <= 1000 {
				mod = int32(args[0]<<16) + 4
			}
		case 2:
			if args[0] >= 1 && args[0] <= 1000 && args[1] >= -1000 && args[1] <= 1000 {
				mod = int32(args[0]<<16|(args[1]&0x7ff)) + 4
			}
		}
	case TimestampOID, TimestamptzOID, TimeOID, TimetzOID:
		if len(args) == 1 && args[0] >= 0 {
			mod = int32(min(args[0], 6))
		}
	case IntervalOID:
		if len(args) == 1 && args[0] >= 0 {
			// INTERVAL_TYPMOD(precision, INTERVAL_FULL_RANGE)
			mod = int32(0x7fff<<16 | min(args[0], 6))
		}
	case BitOID:
		mod = 1
		if len(args) == 1 && args[0] > 0 {
			mod = int32(args[0])
		}
	case VarbitOID:
		if len(args) == 1 && args[0] > 0 {
			mod = int32(args[0])
		}
	}
	return ti.typ(mod)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
