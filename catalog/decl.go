package catalog

import (
	"strings"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// pgType is the PostgreSQL type of a column: OID, pg_type name, typlen and
// atttypmod.
type pgType struct {
	OID      uint32
	Name     string
	Size     int16
	Modifier int32
}

// typeFromDecl maps a column's declared type, as SQLite keeps it, to the
// PostgreSQL type. It must agree with what the server reports in
// RowDescription for the same column, so it is pgtypes.FromDecl.
func typeFromDecl(decl string) pgType {
	t := pgtypes.FromDecl(decl)
	return pgType{OID: t.OID, Name: t.Name, Size: t.Size, Modifier: t.Modifier}
}

// isSerialDecl reports whether decl is one of PostgreSQL's serial
// pseudo-types, which imply NOT NULL and a nextval() default.
func isSerialDecl(decl string) bool {
	switch strings.ToLower(strings.TrimSpace(decl)) {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return true
	}
	return false
}
