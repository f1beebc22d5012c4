package catalog

import (
	"strings"
)

// relDef is one emulated catalog relation.
type relDef struct {
	schema string
	name   string
	kind   byte // PostgreSQL relkind: 'r' or 'v'
	oid    uint32
	cols   []colDef
}

// colDef is a catalog column: its name and PostgreSQL type name, used both
// as the SQLite declared type (so the server reports PostgreSQL's type OID)
// and to choose the default value of omitted columns.
type colDef struct {
	name string
	decl string
}

// Namespace OIDs, as PostgreSQL 15 assigns them.
const (
	nspCatalog = 11
	nspToast   = 99
	nspPublic  = 2200
	nspInfo    = 13207
)

// Role OIDs: the session user is the bootstrap superuser, as on a fresh
// cluster; public is owned by pg_database_owner since PostgreSQL 15.
const (
	roleUser          = 10
	roleDatabaseOwner = 6171
)

func nspOID(schema string) uint32 {
	if schema == "information_schema" {
		return nspInfo
	}
	return nspCatalog
}

var (
	catalogRelByOID  = indexRelsByOID()
	catalogRelByName = indexRelsByName()
)

func indexRelsByOID() map[uint32]*relDef {
	m := map[uint32]*relDef{}
	for i := range catalogRels {
		m[catalogRels[i].oid] = &catalogRels[i]
	}
	return m
}

func indexRelsByName() map[string]*relDef {
	m := map[string]*relDef{}
	for i := range catalogRels {
		m[catalogRels[i].schema+"."+catalogRels[i].name] = &catalogRels[i]
	}
	return m
}

func relDefOf(schema, name string) *relDef { return catalogRelByName[schema+"."+name] }

// sqliteDecl spells a PostgreSQL type name as a SQLite column type so that
// SQLite's declared type reads back exactly as the PostgreSQL name: SQLite
// strips one level of quotes from a quoted type, so "char" needs two.
func sqliteDecl(decl string) string {
	if strings.Contains(decl, `"`) {
		return `"` + strings.ReplaceAll(decl, `"`, `""`) + `"`
	}
	return decl
}

// createSQL is the CREATE TABLE statement of a catalog relation, in the
// given SQLite schema (normally d.schema; "main" when building templates).
func (d *relDef) createSQL(schema string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(schema)
	b.WriteString(`."`)
	b.WriteString(d.name)
	b.WriteString(`" (`)
	for i, c := range d.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"`)
		b.WriteString(c.name)
		b.WriteString(`" `)
		b.WriteString(sqliteDecl(c.decl))
	}
	b.WriteString(")")
	return b.String()
}

// zeroValue is what an omitted column holds: false/0 for booleans and
// numbers (PostgreSQL's catalogs have no NULLs there, and clients test them
// with NOT or =), NULL otherwise.
func (c colDef) zeroValue() any {
	switch c.decl {
	case "bool":
		return false
	case "oid", "int2", "int4", "int8", "float4", "float8", "xid", "regproc":
		if c.decl == "regproc" {
			return "-"
		}
		return 0
	}
	return nil
}

// catalogIndexes speed up the joins clients run; the tables are small but
// psql's queries are correlated subqueries over pg_attribute and pg_class.
var catalogIndexes = []struct{ schema, name, on string }{
	{"pg_catalog", "pg_class_oid", `pg_class (oid)`},
	{"pg_catalog", "pg_class_name", `pg_class (relname)`},
	{"pg_catalog", "pg_attribute_rel", `pg_attribute (attrelid, attnum)`},
	{"pg_catalog", "pg_type_oid", `pg_type (oid)`},
	{"pg_catalog", "pg_index_rel", `pg_index (indrelid)`},
	{"pg_catalog", "pg_index_oid", `pg_index (indexrelid)`},
	{"pg_catalog", "pg_constraint_rel", `pg_constraint (conrelid)`},
	{"pg_catalog", "pg_attrdef_rel", `pg_attrdef (adrelid, adnum)`},
	{"pg_catalog", "pg_namespace_oid", `pg_namespace (oid)`},
	{"information_schema", "columns_table", `columns (table_name)`},
}

// catalogSchemas are the attached databases, in creation order.
var catalogSchemas = []string{"pg_catalog", "information_schema"}

// schemaDDL is the script creating one catalog schema's tables and
// indexes inside SQLite schema target.
func schemaDDL(schema, target string) string {
	var b strings.Builder
	if schema == "pg_catalog" {
		b.WriteString("CREATE TABLE " + target + ".sqlcluster_state (key TEXT PRIMARY KEY, value);\n")
	}
	for i := range catalogRels {
		if catalogRels[i].schema == schema {
			b.WriteString(catalogRels[i].createSQL(target))
			b.WriteString(";\n")
		}
	}
	for _, ix := range catalogIndexes {
		if ix.schema == schema {
			b.WriteString("CREATE INDEX " + target + "." + ix.name + " ON " + ix.on + ";\n")
		}
	}
	return b.String()
}
