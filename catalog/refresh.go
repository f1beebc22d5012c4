package catalog

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/sqlcluster/sqlcluster/pgsql"
)

// Refresh brings the dynamic catalog rows up to date with the main
// database's schema and with info. It is cheap when nothing changed: one
// query reads PRAGMA schema_version together with the marker row written by
// the last rebuild. The marker lives in the attached catalog database, so if
// a client transaction that contained a rebuild rolls back, the marker rolls
// back with the rows and the next Refresh rebuilds. Refresh works inside an
// open transaction (it uses a savepoint).
func (c *Conn) Refresh(ctx context.Context, info Info) error {
	key := infoKey(info)
	var version, marker int64 = -1, -2
	err := c.query(ctx, `SELECT (SELECT schema_version FROM main.pragma_schema_version),
		(SELECT value FROM pg_catalog.sqlcluster_state WHERE key = 'generation')`, nil, func(v []driver.Value) error {
		version = asInt(v[0])
		if v[1] != nil {
			marker = asInt(v[1])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog: refresh: %w", err)
	}
	if c.built && version == c.schemaVersion && key == c.infoKey && marker == c.generation {
		return nil
	}
	m, err := loadSchema(ctx, c.conn)
	if err != nil {
		return err
	}
	settings := resolveSettings(info)
	if info.User == "" {
		info.User = "postgres"
	}
	if info.Database == "" {
		info.Database = "postgres"
	}
	gen := c.generation + 1
	err = c.withWritable(ctx, func() error {
		return c.inTx(ctx, func() error {
			if err := clearDynamic(ctx, c.conn); err != nil {
				return err
			}
			for _, rs := range buildDynamic(m, info, settings) {
				if err := rs.insert(ctx, c.conn); err != nil {
					return err
				}
			}
			_, err := c.conn.ExecContext(ctx, `INSERT OR REPLACE INTO pg_catalog.sqlcluster_state (key, value) VALUES ('generation', ?1)`,
				[]driver.NamedValue{{Ordinal: 1, Value: gen}})
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("catalog: refresh: %w", err)
	}
	if err := c.load(ctx, buildSnapshot(m, info, settings)); err != nil {
		return fmt.Errorf("catalog: refresh: %w", err)
	}
	c.schemaVersion, c.infoKey, c.generation, c.built = version, key, gen, true
	c.indexOIDs = map[string]uint32{}
	for _, ix := range m.indexes {
		c.indexOIDs[ix.name] = ix.oid
	}
	return nil
}

// withWritable lifts PRAGMA query_only for the duration of fn: a reader
// connection may have it set, and it would also block writes to the
// attached in-memory catalog.
func (c *Conn) withWritable(ctx context.Context, fn func() error) error {
	var qo int64
	if err := queryRows(ctx, c.conn, `PRAGMA query_only`, nil, func(v []driver.Value) error {
		qo = asInt(v[0])
		return nil
	}); err != nil {
		return err
	}
	if qo == 0 {
		return fn()
	}
	if _, err := c.conn.ExecContext(ctx, `PRAGMA query_only = 0`, nil); err != nil {
		return err
	}
	err := fn()
	if _, rerr := c.conn.ExecContext(ctx, `PRAGMA query_only = 1`, nil); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// infoKey summarises everything in info the catalog depends on.
func infoKey(info Info) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q\x00%q\x00%q\x00", info.Database, info.User, info.Databases)
	s := resolveSettings(info)
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(h, "%s=%q\x00", k, s[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// dynamicTables are emptied and refilled by every rebuild. Tables holding
// static rows too are cleared only above the user OID boundary.
var dynamicTables = []string{
	`DELETE FROM pg_catalog.pg_class WHERE oid >= 16384`,
	`DELETE FROM pg_catalog.pg_attribute WHERE attrelid >= 16384`,
	`DELETE FROM pg_catalog.pg_attrdef`,
	`DELETE FROM pg_catalog.pg_index`,
	`DELETE FROM pg_catalog.pg_constraint`,
	`DELETE FROM pg_catalog.pg_trigger`,
	`DELETE FROM pg_catalog.pg_rewrite`,
	`DELETE FROM pg_catalog.pg_database`,
	`DELETE FROM pg_catalog.pg_authid`,
	`DELETE FROM pg_catalog.pg_roles`,
	`DELETE FROM pg_catalog.pg_user`,
	`DELETE FROM pg_catalog.pg_settings`,
	`DELETE FROM pg_catalog.pg_tables`,
	`DELETE FROM pg_catalog.pg_views`,
	`DELETE FROM pg_catalog.pg_indexes`,
	`DELETE FROM pg_catalog.pg_stat_activity`,
	`DELETE FROM information_schema.schemata`,
	`DELETE FROM information_schema.tables`,
	`DELETE FROM information_schema.columns`,
	`DELETE FROM information_schema.views`,
	`DELETE FROM information_schema.table_constraints`,
	`DELETE FROM information_schema.key_column_usage`,
	`DELETE FROM information_schema.referential_constraints`,
	`DELETE FROM information_schema.constraint_column_usage`,
	`DELETE FROM information_schema.check_constraints`,
}

func clearDynamic(ctx context.Context, q querier) error {
	for _, s := range dynamicTables {
		if _, err := q.ExecContext(ctx, s, nil); err != nil {
			return fmt.Errorf("catalog: %s: %w", s, err)
		}
	}
	return nil
}

// buildSnapshot extracts what SQL functions need from the model.
func buildSnapshot(m *schemaModel, info Info, settings map[string]string) *snapshot {
	s := &snapshot{
		User: info.User, Database: info.Database, Databases: info.Databases, Settings: settings,
		Rels: map[uint32]snapRel{}, Indexes: map[uint32]snapIndex{}, Cons: map[uint32]snapCon{},
		Views: map[uint32]string{}, Triggers: map[uint32]string{},
	}
	for _, r := range m.rels {
		s.Rels[r.oid] = snapRel{Name: r.name, Kind: string(r.kind)}
		if r.kind == 'v' {
			s.Views[r.oid] = viewSelect(r.sql)
		}
	}
	for _, ix := range m.indexes {
		s.Rels[ix.oid] = snapRel{Name: ix.name, Kind: "i"}
		s.Indexes[ix.oid] = snapIndexOf(ix)
	}
	for _, c := range m.cons {
		sc := snapCon{Kind: string(c.kind), Expr: c.expr, Deferred: c.deferred,
			OnUpdate: string(c.onUpdate), OnDelete: string(c.onDelete)}
		for _, a := range c.attnums {
			sc.Cols = append(sc.Cols, pgsql.QuoteIdent(c.rel.colName(a)))
		}
		if c.ref != nil {
			sc.RefTable = pgsql.QuoteIdent(c.ref.name)
			for _, a := range c.refAtts {
				sc.RefCols = append(sc.RefCols, pgsql.QuoteIdent(c.ref.colName(a)))
			}
		}
		s.Cons[c.oid] = sc
	}
	for _, t := range m.trigs {
		s.Triggers[t.oid] = t.sql
	}
	return s
}

func snapIndexOf(ix *index) snapIndex {
	si := snapIndex{Name: ix.name, Table: ix.rel.name, Unique: ix.unique, Where: ix.where}
	for _, c := range ix.cols {
		if c.attnum == 0 {
			si.Cols = append(si.Cols, c.name)
			si.Exprs = append(si.Exprs, true)
		} else {
			si.Cols = append(si.Cols, pgsql.QuoteIdent(c.name))
			si.Exprs = append(si.Exprs, false)
		}
		si.Desc = append(si.Desc, c.desc)
	}
	return si
}

// indexDef renders pg_get_indexdef's full form.
func (ix snapIndex) def(pretty bool) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	b.WriteString(pgsql.QuoteIdent(ix.Name))
	// Pretty mode leaves out the schema of a visible table, as PostgreSQL's
	// does; the plain form is always qualified.
	b.WriteString(" ON ")
	if !pretty {
		b.WriteString("public.")
	}
	b.WriteString(pgsql.QuoteIdent(ix.Table))
	b.WriteString(" USING btree (")
	for i := range ix.Cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ix.col(i))
	}
	b.WriteString(")")
	if ix.Where != "" {
		if pretty {
			b.WriteString(" WHERE " + ix.Where)
		} else {
			b.WriteString(" WHERE (" + ix.Where + ")")
		}
	}
	return b.String()
}

// col renders one index column as pg_get_indexdef does: a column name, or
// an expression in parentheses unless it is a plain function call.
func (ix snapIndex) col(i int) string {
	s := ix.Cols[i]
	if i < len(ix.Exprs) && ix.Exprs[i] && !isFuncCall(s) {
		s = "(" + s + ")"
	}
	if i < len(ix.Desc) && ix.Desc[i] {
		s += " DESC"
	}
	return s
}

func isFuncCall(s string) bool {
	toks := lexSQL(s)
	return len(toks) >= 3 && toks[0].kind == tkIdent && toks[1].isPunct("(") && matchParen(toks, 1) == len(toks)-1
}

// def renders pg_get_constraintdef.
func (c snapCon) def(pretty bool) string {
	switch c.Kind {
	case "p":
		return "PRIMARY KEY (" + strings.Join(c.Cols, ", ") + ")"
	case "u":
		return "UNIQUE (" + strings.Join(c.Cols, ", ") + ")"
	case "c":
		if pretty {
			return "CHECK (" + c.Expr + ")"
		}
		return "CHECK ((" + c.Expr + "))"
	case "f":
		var b strings.Builder
		b.WriteString("FOREIGN KEY (" + strings.Join(c.Cols, ", ") + ") REFERENCES " + c.RefTable)
		b.WriteString("(" + strings.Join(c.RefCols, ", ") + ")")
		if a := fkActionSQL(c.OnUpdate); a != "" {
			b.WriteString(" ON UPDATE " + a)
		}
		if a := fkActionSQL(c.OnDelete); a != "" {
			b.WriteString(" ON DELETE " + a)
		}
		if c.Deferred {
			b.WriteString(" DEFERRABLE INITIALLY DEFERRED")
		}
		return b.String()
	}
	return ""
}

func fkActionSQL(a string) string {
	switch a {
	case "c":
		return "CASCADE"
	case "r":
		return "RESTRICT"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	}
	return ""
}
