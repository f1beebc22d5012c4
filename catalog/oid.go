package catalog

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
)

// RelationOID returns the OID pg_class reports for a table, view or index of
// the main database, or for an emulated catalog relation ("pg_class",
// "information_schema.columns"). Tables and views are looked up in
// sqlite_schema directly, so they resolve even before the first Refresh;
// indexes under their PostgreSQL names (t_pkey) need a Refresh first.
func (c *Conn) RelationOID(ctx context.Context, table string) (uint32, error) {
	var rowid int64
	found := false
	err := c.query(ctx, `SELECT rowid FROM main.sqlite_schema
		WHERE name = ?1 AND type IN ('table', 'view', 'index')
		UNION ALL SELECT rowid FROM main.sqlite_schema
		WHERE name = ?1 COLLATE NOCASE AND name <> ?1 AND type IN ('table', 'view', 'index') LIMIT 1`,
		[]driver.NamedValue{{Ordinal: 1, Value: table}}, func(v []driver.Value) error {
			rowid, found = asInt(v[0]), true
			return nil
		})
	if err != nil {
		return 0, fmt.Errorf("catalog: relation oid of %q: %w", table, err)
	}
	if found {
		return relOID(rowid), nil
	}
	if oid, ok := c.indexOIDs[table]; ok {
		return oid, nil // an index SQLite names differently (t_pkey, t_a_key)
	}
	name := strings.ToLower(table)
	if d, ok := catalogRelByName[name]; ok {
		return d.oid, nil
	}
	for _, schema := range []string{"pg_catalog", "information_schema"} {
		if d, ok := catalogRelByName[schema+"."+name]; ok {
			return d.oid, nil
		}
	}
	return 0, errorf(codeUndefinedTable, "relation \"%s\" does not exist", table)
}
