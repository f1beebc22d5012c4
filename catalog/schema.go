package catalog

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The schema model is the main database's schema as PostgreSQL would
// describe it: relations with OIDs and attribute numbers, indexes named and
// flagged like PostgreSQL names them (t_pkey, t_a_key), and constraints. It
// is read with a handful of queries over sqlite_schema and the pragma
// table-valued functions, so its cost does not grow with the number of
// queries per table, and it is rebuilt only when PRAGMA schema_version moves.

// OID ranges. User relations take 16384 + their sqlite_schema rowid, which
// is stable while the object exists and identical on every connection to
// the same database. Objects SQLite keeps no schema row for (the primary key
// of a rowid or WITHOUT ROWID table, constraints, defaults) get OIDs derived
// from their table's, in ranges that cannot collide with relation OIDs.
const (
	firstUserOID     = 16384
	syntheticIndexLo = 0x40000000 // + table rowid: implicit primary-key index
	constraintLo     = 0x50000000 // + rowid<<8 + ordinal
	attrdefLo        = 0x70000000 // + rowid<<8 + attnum
)

func relOID(rowid int64) uint32 { return uint32(firstUserOID + rowid) }

type schemaModel struct {
	rels    []*relation // tables and views, in sqlite_schema order
	indexes []*index
	cons    []*constraint
	trigs   []*trigger
	byName  map[string]*relation // lower-case name → table or view
}

type relation struct {
	oid     uint32
	rowid   int64
	name    string
	kind    byte // 'r' table, 'v' view
	sql     string
	cols    []*column
	indexes []*index
	cons    []*constraint
	trigs   []*trigger
	noRowid bool
}

type column struct {
	num       int16 // attnum, 1-based
	name      string
	decl      string
	typ       pgType
	notNull   bool
	dflt      *string // SQLite's dflt_value text
	generated string  // generation expression, "" if none
	pk        int     // position in the primary key, 0 if not part of it
}

type index struct {
	oid     uint32
	name    string // PostgreSQL-visible name
	sqlName string // SQLite's name ("" for an implicit primary key)
	rel     *relation
	unique  bool
	primary bool
	cols    []indexCol
	where   string
	con     *constraint // the PRIMARY KEY/UNIQUE constraint it implements
}

type indexCol struct {
	attnum int16  // 0 for an expression
	name   string // column name, or the expression text
	desc   bool
}

type constraint struct {
	oid      uint32
	name     string
	kind     byte // 'p', 'u', 'c', 'f'
	rel      *relation
	attnums  []int16
	expr     string // CHECK
	index    *index
	ref      *relation
	refAtts  []int16
	onUpdate byte // PostgreSQL confupdtype: a r c n d
	onDelete byte
	deferred bool
}

type trigger struct {
	oid  uint32
	name string
	rel  *relation
	sql  string
}

// idxRow is an index's row in sqlite_schema.
type idxRow struct {
	rowid  int64
	name   string
	tbl    string
	sql    string
	hasSQL bool
}

// querier is what the catalog needs from a modernc connection.
type querier interface {
	driver.ExecerContext
	driver.QueryerContext
}

// queryRows runs q and calls fn for every row.
func queryRows(ctx context.Context, c querier, q string, args []driver.NamedValue, fn func([]driver.Value) error) error {
	rows, err := c.QueryContext(ctx, q, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func asInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	case string:
		var n int64
		fmt.Sscan(x, &n)
		return n
	}
	return 0
}

// loadSchema reads the main database's schema into a model.
func loadSchema(ctx context.Context, c querier) (*schemaModel, error) {
	m := &schemaModel{byName: map[string]*relation{}}
	idxRows := map[string]*idxRow{}
	var trigRows []*trigger
	err := queryRows(ctx, c, `SELECT rowid, type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid`, nil, func(v []driver.Value) error {
		rowid, typ, name, tbl := asInt(v[0]), asString(v[1]), asString(v[2]), asString(v[3])
		if strings.HasPrefix(strings.ToLower(name), "sqlite_") && typ != "index" {
			return nil
		}
		switch typ {
		case "table", "view":
			r := &relation{oid: relOID(rowid), rowid: rowid, name: name, kind: 'r', sql: asString(v[4])}
			if typ == "view" {
				r.kind = 'v'
			}
			if strings.HasPrefix(strings.ToUpper(r.sql), "CREATE VIRTUAL") {
				return nil // virtual tables have no PostgreSQL counterpart
			}
			m.rels = append(m.rels, r)
			m.byName[strings.ToLower(name)] = r
		case "index":
			idxRows[name] = &idxRow{rowid: rowid, name: name, tbl: tbl, sql: asString(v[4]), hasSQL: v[4] != nil}
		case "trigger":
			trigRows = append(trigRows, &trigger{oid: relOID(rowid), name: name, sql: asString(v[4]), rel: &relation{name: tbl}})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read sqlite_schema: %w", err)
	}
	if err := m.loadColumns(ctx, c); err != nil {
		return nil, err
	}

	// Indexes, in PRAGMA index_list order per table.
	var lists []listedIndex
	err = queryRows(ctx, c, `SELECT m.name, l.name, l."unique", l.origin, l.partial
		FROM main.sqlite_schema m, pragma_index_list(m.name, 'main') l
		WHERE m.type = 'table' ORDER BY m.rowid, l.seq DESC`, nil, func(v []driver.Value) error {
		r := m.byName[strings.ToLower(asString(v[0]))]
		if r == nil {
			return nil
		}
		lists = append(lists, listedIndex{rel: r, name: asString(v[1]), unique: asInt(v[2]) != 0, origin: asString(v[3]), partial: asInt(v[4]) != 0})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read index list: %w", err)
	}
	idxCols := map[string][]indexCol{}
	err = queryRows(ctx, c, `SELECT l.name, x.cid, x.name, x."desc"
		FROM main.sqlite_schema m, pragma_index_list(m.name, 'main') l, pragma_index_xinfo(l.name, 'main') x
		WHERE m.type = 'table' AND x.key ORDER BY m.rowid, l.name, x.seqno`, nil, func(v []driver.Value) error {
		name := asString(v[0])
		ic := indexCol{attnum: int16(asInt(v[1]) + 1), name: asString(v[2]), desc: asInt(v[3]) != 0}
		if asInt(v[1]) < 0 {
			ic.attnum = 0
		}
		idxCols[name] = append(idxCols[name], ic)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read index columns: %w", err)
	}

	for _, r := range m.rels {
		if r.kind != 'r' {
			continue
		}
		pt := parseCreateTable(r.sql)
		for _, col := range r.cols {
			if g, ok := pt.generated[strings.ToLower(col.name)]; ok {
				col.generated = g
			}
		}
		r.noRowid = isWithoutRowid(r.sql)
		var mine []listedIndex
		for _, l := range lists {
			if l.rel == r {
				mine = append(mine, l)
			}
		}
		m.buildTableObjects(r, pt, mine, idxCols, idxRows)
	}
	for _, t := range trigRows {
		if r := m.byName[strings.ToLower(t.rel.name)]; r != nil {
			t.rel = r
			r.trigs = append(r.trigs, t)
			m.trigs = append(m.trigs, t)
		}
	}
	m.nameObjects()
	return m, nil
}

// listedIndex is one row of PRAGMA index_list.
type listedIndex struct {
	rel             *relation
	name, origin    string
	unique, partial bool
}

func isWithoutRowid(sql string) bool {
	toks := lexSQL(sql)
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].is("WITHOUT") && toks[i+1].is("ROWID") {
			return true
		}
	}
	return false
}

// loadColumns fills every relation's columns from pragma_table_xinfo. A view
// whose definition no longer compiles makes the pragma fail; such views are
// then read one by one and the broken ones left without columns.
func (m *schemaModel) loadColumns(ctx context.Context, c querier) error {
	add := func(v []driver.Value) error {
		r := m.byName[strings.ToLower(asString(v[0]))]
		if r == nil {
			return nil
		}
		hidden := asInt(v[7])
		if hidden == 1 {
			return nil // hidden columns of virtual tables
		}
		col := &column{num: int16(len(r.cols) + 1), name: asString(v[2]), decl: asString(v[3]),
			notNull: asInt(v[4]) != 0, pk: int(asInt(v[6]))}
		if v[5] != nil {
			s := asString(v[5])
			col.dflt = &s
		}
		r.cols = append(r.cols, col)
		return nil
	}
	const q = `SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
		FROM main.sqlite_schema m, pragma_table_xinfo(m.name, 'main') p
		WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.rowid, p.cid`
	err := queryRows(ctx, c, q, nil, add)
	if err == nil {
		return nil
	}
	for _, r := range m.rels {
		r.cols = nil
	}
	for _, r := range m.rels {
		err := queryRows(ctx, c, `SELECT ?1, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
			FROM pragma_table_xinfo(?1, 'main') p ORDER BY p.cid`, []driver.NamedValue{{Ordinal: 1, Value: r.name}}, add)
		if err != nil {
			if r.kind == 'v' {
				r.cols = nil
				continue
			}
			return fmt.Errorf("catalog: read columns of %q: %w", r.name, err)
		}
	}
	return nil
}

func (r *relation) colByName(name string) *column {
	for _, c := range r.cols {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

func (r *relation) attnums(names []string) ([]int16, bool) {
	out := make([]int16, 0, len(names))
	for _, n := range names {
		c := r.colByName(n)
		if c == nil {
			return nil, false
		}
		out = append(out, c.num)
	}
	return out, true
}

// pkColumns returns the primary key's attnums in key order.
func (r *relation) pkColumns() []int16 {
	var cols []*column
	for _, c := range r.cols {
		if c.pk > 0 {
			cols = append(cols, c)
		}
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].pk < cols[j].pk })
	out := make([]int16, len(cols))
	for i, c := range cols {
		out[i] = c.num
	}
	return out
}

func sameAttnums(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (r *relation) colName(num int16) string {
	if num >= 1 && int(num) <= len(r.cols) {
		return r.cols[num-1].name
	}
	return ""
}
