package catalog

import (
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// pg_cast(value, 'type') performs the PostgreSQL casts SQLite's CAST cannot:
// it parses PostgreSQL input syntax into the server's storage form (the
// pgtypes conventions) and raises PostgreSQL's SQLSTATEs on bad input.
//
// The reg* types are OIDs that print as names. SQLite has no such type, so
// a cast to a reg* type maps names to OIDs and OIDs to names: integer input
// (an OID column) gives the name, which is what a select list shows
// ("conrelid::regclass AS ontable"); text input (a literal such as
// 'pg_class'::regclass or '16385'::regclass) gives the OID, which is what a
// comparison needs.

func castFunctions() []sqlFunc {
	return []sqlFunc{
		// Deterministic so that casts may appear in CHECK constraints and
		// index expressions, as in PostgreSQL. Caveat: the few inputs that
		// depend on the session (zone-less timestamptz, 'now', reg* names)
		// are only stable, and PostgreSQL would refuse them in an index.
		fixed("pg_cast", 2, true, fnCast),
		fixed("regclassout", 1, false, func(c *call) (driver.Value, error) { return c.regOut(c.args[0], "regclass") }),
		fixed("regtypeout", 1, false, func(c *call) (driver.Value, error) { return c.regOut(c.args[0], "regtype") }),
		fixed("regnamespaceout", 1, false, func(c *call) (driver.Value, error) { return c.regOut(c.args[0], "regnamespace") }),
		fixed("regroleout", 1, false, func(c *call) (driver.Value, error) { return c.regOut(c.args[0], "regrole") }),
		fixed("regprocout", 1, false, func(c *call) (driver.Value, error) { return c.regOut(c.args[0], "regproc") }),
		fixed("to_regclass", 1, false, fnToRegclass),
		fixed("to_regtype", 1, false, fnToRegtype),
	}
}

func fnCast(c *call) (driver.Value, error) {
	if c.args[0] == nil {
		return nil, nil
	}
	tn, ok := argText(c.args[1])
	if !ok {
		return nil, errorf(codeUndefinedObject, "type name must not be null")
	}
	return c.cast(c.args[0], tn)
}

// cast converts v (not NULL) to the type written as typeName.
func (c *call) cast(v driver.Value, typeName string) (driver.Value, error) {
	name, mods, dims := splitTypeName(typeName)
	if a, ok := typeAliases[name]; ok {
		name = a
	}
	if dims > 0 {
		return c.castArray(v, typeName)
	}
	switch name {
	case "regclass", "regtype", "regnamespace", "regrole", "regproc", "regprocedure":
		if s, isText := v.(string); isText {
			return c.regIn(s, name)
		}
		if b, isBytes := v.([]byte); isBytes {
			return c.regIn(string(b), name)
		}
		return c.regOut(v, name)
	case "oid":
		return c.castOID(v)
	case "bool":
		return castBool(v)
	case "text", "name", "varchar", "bpchar", "char", "unknown", "cstring":
		return castText(v, name, mods)
	case "bytea":
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case "json", "jsonb":
		if s, ok := argText(v); ok && name == "json" {
			if !json.Valid([]byte(s)) {
				return nil, errorf(codeInvalidText, "invalid input syntax for type json")
			}
			return s, nil
		}
	case "int2", "int4", "int8":
		if f, ok := v.(float64); ok {
			// PostgreSQL rounds float to int with rint(): half to even.
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
				return nil, errorf(codeNumericOutOfRange, "%s out of range", intTypeNames[name])
			}
			return castIntRange(int64(math.RoundToEven(f)), name, formatFloat8(f))
		}
		if n, ok := v.(int64); ok {
			return castIntRange(n, name, strconv.FormatInt(n, 10))
		}
	case "float4", "float8":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		}
	}
	return c.decode(v, typeName)
}

// decode runs the value's text through pgtypes' input conversion.
func (c *call) decode(v driver.Value, typeName string) (driver.Value, error) {
	t := pgtypes.FromDecl(typeName)
	if _, known := pgtypes.ByOID(t.OID); !known || (t.OID == pgtypes.TextOID && !isTextName(typeName)) {
		if _, _, ok := lookupTypeName(typeName); !ok {
			return nil, errorf(codeUndefinedObject, "type \"%s\" does not exist", strings.TrimSpace(typeName))
		}
	}
	s, _ := argText(v)
	if b, ok := v.([]byte); ok && t.OID != pgtypes.ByteaOID {
		s = string(b)
	}
	out, err := c.r.codec(c.fc, func(codec *pgtypes.Codec) (any, error) {
		return codec.Decode(t, pgtypes.TextFormat, []byte(s))
	})
	if err != nil {
		return nil, convertError(err)
	}
	return out, nil
}

func isTextName(typeName string) bool {
	name, _, _ := splitTypeName(typeName)
	return name == "text"
}

// convertError gives pgtypes errors this package's SQLSTATE encoding.
func convertError(err error) error {
	var pe *pgtypes.Error
	if errors.As(err, &pe) {
		return &pgError{code: pe.Code, msg: pe.Message}
	}
	var own *pgError
	if errors.As(err, &own) {
		return own
	}
	return err
}

var intTypeNames = map[string]string{"int2": "smallint", "int4": "integer", "int8": "bigint"}

func castIntRange(n int64, name, input string) (driver.Value, error) {
	lo, hi := int64(-1<<63), int64(1<<63-1)
	switch name {
	case "int2":
		lo, hi = -1<<15, 1<<15-1
	case "int4":
		lo, hi = -1<<31, 1<<31-1
	}
	if n < lo || n > hi {
		return nil, errorf(codeNumericOutOfRange, "%s out of range", intTypeNames[name])
	}
	return n, nil
}

// parseBool is PostgreSQL's boolin: unique prefixes of true/false/yes/no,
// on/off (at least two letters), 1/0, surrounding spaces ignored.
func parseBool(s string) (bool, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	bad := errorf(codeInvalidText, "invalid input syntax for type boolean: \"%s\"", s)
	if v == "" {
		return false, bad
	}
	switch {
	case strings.HasPrefix("true", v):
		return true, nil
	case strings.HasPrefix("false", v):
		return false, nil
	case strings.HasPrefix("yes", v):
		return true, nil
	case strings.HasPrefix("no", v):
		return false, nil
	case v == "on":
		return true, nil
	case len(v) >= 2 && strings.HasPrefix("off", v):
		return false, nil
	case v == "1":
		return true, nil
	case v == "0":
		return false, nil
	}
	return false, bad
}

func castBool(v driver.Value) (driver.Value, error) {
	switch x := v.(type) {
	case int64:
		return boolValue(x != 0), nil
	case float64:
		return nil, errorf(codeUndefinedFunction, "cannot cast type double precision to boolean")
	}
	s, _ := argText(v)
	b, err := parseBool(s)
	if err != nil {
		return nil, err
	}
	return boolValue(b), nil
}

// castText handles the character types: bytea becomes its hex form,
// varchar(n) truncates and char(n) pads (explicit-cast semantics), "char"
// keeps the first byte, name truncates to 63 bytes.
func castText(v driver.Value, name string, mods []int) (driver.Value, error) {
	var s string
	if b, ok := v.([]byte); ok {
		s = `\x` + hex.EncodeToString(b)
	} else {
		s, _ = argText(v)
	}
	switch name {
	case "varchar", "bpchar":
		if len(mods) == 1 && mods[0] > 0 {
			n := mods[0]
			if utf8.RuneCountInString(s) > n {
				s = string([]rune(s)[:n])
			}
			if name == "bpchar" {
				for utf8.RuneCountInString(s) < n {
					s += " "
				}
			}
		}
	case "char":
		if len(s) > 1 {
			s = s[:1]
		}
	case "name":
		s = clipUTF8(s, 63)
	}
	return s, nil
}

func (c *call) castOID(v driver.Value) (driver.Value, error) {
	if s, ok := v.(string); ok {
		t := strings.TrimSpace(s)
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			// A name that came out of a reg* cast: resolve it back.
			if oid, ok := c.lookupRel(t); ok {
				return int64(oid), nil
			}
			if tr, _, ok := lookupTypeName(t); ok {
				return int64(tr.oid), nil
			}
			return nil, errorf(codeInvalidText, "invalid input syntax for type oid: \"%s\"", s)
		}
	}
	oid, ok, err := argOID(v)
	if err != nil || !ok {
		return nil, err
	}
	return int64(oid), nil
}

// regIn is the input function of a reg* type: name (or numeric OID) → OID.
func (c *call) regIn(s, typ string) (driver.Value, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	switch typ {
	case "regclass":
		if oid, ok := c.lookupRel(t); ok {
			return int64(oid), nil
		}
		return nil, errorf(codeUndefinedTable, "relation \"%s\" does not exist", t)
	case "regtype":
		if tr, _, ok := lookupTypeName(t); ok {
			return int64(tr.oid), nil
		}
		return nil, errorf(codeUndefinedObject, "type \"%s\" does not exist", t)
	case "regnamespace":
		for oid, n := range namespaceNames {
			if n == unquoteIdent(t) {
				return int64(oid), nil
			}
		}
		return nil, errorf(codeUndefinedSchema, "schema \"%s\" does not exist", t)
	case "regrole":
		name := unquoteIdent(t)
		if name == c.r.snap(c.fc).User {
			return int64(roleUser), nil
		}
		if name == "pg_database_owner" {
			return int64(roleDatabaseOwner), nil
		}
		return nil, errorf(codeUndefinedObject, "role \"%s\" does not exist", t)
	}
	// regproc: there is no pg_proc to resolve against; keep the name, as
	// the catalog's regproc columns (typinput, …) hold names too.
	return unquoteIdent(t), nil
}

// regOut is the output function of a reg* type: OID → name, or the number
// when nothing has that OID.
func (c *call) regOut(v driver.Value, typ string) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
			return s, nil // already a name
		}
	}
	oid, ok, err := argOID(v)
	if err != nil || !ok {
		return nil, err
	}
	if oid == 0 {
		return "-", nil
	}
	switch typ {
	case "regclass":
		if name, ok := c.r.snap(c.fc).relName(oid); ok {
			return quoteQualified(name), nil
		}
	case "regtype":
		if _, ok := typeByOID[oid]; ok {
			return formatType(oid, -1, false), nil
		}
	case "regnamespace":
		if n, ok := namespaceNames[oid]; ok {
			return pgsql.QuoteIdent(n), nil
		}
	case "regrole":
		switch oid {
		case roleUser:
			return pgsql.QuoteIdent(c.r.snap(c.fc).User), nil
		case roleDatabaseOwner:
			return "pg_database_owner", nil
		}
	}
	return strconv.FormatUint(uint64(oid), 10), nil
}

var namespaceNames = map[uint32]string{nspCatalog: "pg_catalog", nspToast: "pg_toast", nspPublic: "public", nspInfo: "information_schema"}

// quoteQualified quotes each part of a possibly qualified name.
func quoteQualified(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		if _, ok := catalogRelByName[name]; ok {
			return pgsql.QuoteIdent(name[:i]) + "." + pgsql.QuoteIdent(name[i+1:])
		}
	}
	return pgsql.QuoteIdent(name)
}

// lookupRel resolves a relation name as regclass input does: unquoted
// parts fold to lower case, an optional schema qualifies it.
func (c *call) lookupRel(s string) (uint32, bool) {
	parts := splitQualified(s)
	schema, name := "", ""
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		schema, name = parts[0], parts[1]
	case 3:
		schema, name = parts[1], parts[2]
	default:
		return 0, false
	}
	return c.r.snap(c.fc).relOIDByName(schema, name)
}

// splitQualified splits a.b."C" into its parts, folding unquoted ones.
func splitQualified(s string) []string {
	var parts []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			if quoted && i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
			} else {
				quoted = !quoted
			}
		case ch == '.' && !quoted:
			parts = append(parts, b.String())
			b.Reset()
		case !quoted && ch >= 'A' && ch <= 'Z':
			b.WriteByte(ch + 'a' - 'A')
		default:
			b.WriteByte(ch)
		}
	}
	return append(parts, b.String())
}

func unquoteIdent(s string) string {
	p := splitQualified(s)
	return p[len(p)-1]
}

func fnToRegclass(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	if oid, ok := c.lookupRel(strings.TrimSpace(s)); ok {
		return int64(oid), nil
	}
	return nil, nil
}

func fnToRegtype(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	if tr, _, ok := lookupTypeName(s); ok {
		return int64(tr.oid), nil
	}
	return nil, nil
}

// castArray converts to an array type. Arrays are stored as JSON text: a
// JSON array passes through, a PostgreSQL array literal ('{1,2}') is parsed.
func (c *call) castArray(v driver.Value, typeName string) (driver.Value, error) {
	s, _ := argText(v)
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		if !json.Valid([]byte(t)) {
			return nil, errorf(codeInvalidText, "malformed array literal: \"%s\"", s)
		}
		return t, nil
	}
	return c.decode(v, typeName)
}
