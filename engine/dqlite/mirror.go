package dqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
)

// mirror is an in-memory SQLite database (modernc, in this process) holding
// nothing but a copy of one dqlite database's schema, with the pg_catalog
// emulation attached. dqlite can only describe a statement by running it,
// so everything that needs a statement's shape without running it —
// Describe, result column types, parameter counts, ColumnType, and the
// catalog queries of psql and JDBC — runs here instead.
//
// A mirror is immutable once built; a schema change builds a new one. Its
// objects are created in the order of their sqlite_schema rowids, with
// placeholders filling the gaps left by dropped objects, so the relation
// OIDs the catalog derives from rowids are the ones the dqlite database has.
type mirror struct {
	version int64 // the dqlite schema_version it was built from

	mu    sync.Mutex // the connection serves one request at a time
	raw   driver.Conn
	cat   *catalog.Conn
	cache map[string]*stmtInfo
}

// stmtInfo is what compiling a statement on the mirror tells.
type stmtInfo struct {
	cols    []sqlite.ColumnInfo
	nparams int
	err     error
}

const maxCachedStmts = 512

// schemaObject is one row of a dqlite database's sqlite_schema.
type schemaObject struct {
	rowid      int64
	typ, name  string
	table, sql string
}

// loadSchema reads a dqlite database's schema through c.
func loadSchema(ctx context.Context, c *conn) (int64, []schemaObject, error) {
	rows, err := c.queryAll(ctx, "PRAGMA schema_version", nil)
	if err != nil {
		return 0, nil, err
	}
	if len(rows) != 1 {
		return 0, nil, errors.New("PRAGMA schema_version returned no row")
	}
	version, _ := rows[0][0].(int64)
	rows, err = c.queryAll(ctx, "SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid", nil)
	if err != nil {
		return 0, nil, err
	}
	objs := make([]schemaObject, 0, len(rows))
	for _, r := range rows {
		o := schemaObject{}
		o.rowid, _ = r[0].(int64)
		o.typ, _ = r[1].(string)
		o.name, _ = r[2].(string)
		o.table, _ = r[3].(string)
		o.sql, _ = r[4].(string)
		objs = append(objs, o)
	}
	return version, objs, nil
}

// schemaVersion reads PRAGMA schema_version through c.
func schemaVersion(ctx context.Context, c *conn) (int64, error) {
	rows, err := c.queryAll(ctx, "PRAGMA schema_version", nil)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, errors.New("PRAGMA schema_version returned no row")
	}
	v, _ := rows[0][0].(int64)
	return v, nil
}

func buildMirror(ctx context.Context, d *sqlite.Driver, version int64, objs []schemaObject, log *slog.Logger) (*mirror, error) {
	raw, err := d.Open(":memory:")
	if err != nil {
		return nil, fmt.Errorf("opening schema mirror: %w", err)
	}
	cat, err := catalog.Attach(ctx, raw)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("attaching catalog to schema mirror: %w", err)
	}
	m := &mirror{version: version, raw: raw, cat: cat, cache: map[string]*stmtInfo{}}
	// RETURNING emulation reads this temp table; its statements must
	// compile here.
	if err := m.exec(ctx, retTableDDL); err != nil {
		m.close()
		return nil, fmt.Errorf("building schema mirror: %w", err)
	}
	var gaps []string
	for _, o := range objs {
		// Internal objects (autoindexes, sqlite_sequence, sqlite_stat*)
		// come with the objects that create them.
		if o.sql == "" || strings.HasPrefix(o.name, "sqlite_") {
			continue
		}
		next, err := m.nextRowid(ctx)
		if err != nil {
			m.close()
			return nil, err
		}
		for ; next < o.rowid; next++ {
			gap := "_sqlcluster_gap_" + strconv.FormatInt(next, 10)
			if err := m.exec(ctx, "CREATE TABLE "+quoteIdent(gap)+"(x)"); err != nil {
				m.close()
				return nil, fmt.Errorf("building schema mirror: %w", err)
			}
			gaps = append(gaps, gap)
		}
		if err := m.exec(ctx, o.sql); err != nil {
			// A statement the mirror's SQLite does not accept: describing
			// that object fails, everything else still works.
			log.Warn("schema mirror cannot create object", "type", o.typ, "name", o.name, "err", err)
		}
	}
	for _, g := range gaps {
		if err := m.exec(ctx, "DROP TABLE "+quoteIdent(g)); err != nil {
			m.close()
			return nil, fmt.Errorf("building schema mirror: %w", err)
		}
	}
	return m, nil
}

func (m *mirror) nextRowid(ctx context.Context) (int64, error) {
	rows, err := m.query(ctx, "SELECT coalesce(max(rowid), 0) + 1 FROM sqlite_schema", nil)
	if err != nil || len(rows) == 0 {
		return 0, fmt.Errorf("reading mirror schema: %w", err)
	}
	n, _ := rows[0][0].(int64)
	return n, nil
}

func (m *mirror) exec(ctx context.Context, q string) error {
	_, err := m.raw.(driver.ExecerContext).ExecContext(ctx, q, nil)
	return err
}

// query runs q on the mirror and returns every row.
func (m *mirror) query(ctx context.Context, q string, args []any) ([][]driver.Value, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := m.raw.(driver.QueryerContext).QueryContext(ctx, q, nv)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]driver.Value
	for {
		row := make([]driver.Value, len(rows.Columns()))
		if err := rows.Next(row); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, err
		}
		for i, v := range row {
			if b, ok := v.([]byte); ok {
				row[i] = append([]byte(nil), b...)
			}
		}
		out = append(out, row)
	}
}

type columnInfoer interface {
	ColumnInfo(query string) ([]sqlite.ColumnInfo, error)
}

// compile returns what the mirror's SQLite knows about query; m.mu is held.
func (m *mirror) compile(query string) *stmtInfo {
	if si, ok := m.cache[query]; ok {
		return si
	}
	si := &stmtInfo{}
	si.cols, si.err = m.raw.(columnInfoer).ColumnInfo(query)
	if si.err == nil {
		st, err := m.raw.Prepare(query)
		if err != nil {
			si.err = err
		} else {
			si.nparams = st.NumInput()
			st.Close()
		}
	}
	if len(m.cache) >= maxCachedStmts {
		clear(m.cache)
	}
	m.cache[query] = si
	return si
}

// errMirrorClosed is returned by a mirror replaced (and closed) while a
// caller still held it; the caller asks for the current one again.
var errMirrorClosed = errors.New("schema mirror replaced")

// info compiles query on the mirror.
func (m *mirror) info(query string) *stmtInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return &stmtInfo{err: errMirrorClosed}
	}
	return m.compile(query)
}

// describe reports query's result columns (with the OIDs the catalog gives
// their tables) and parameter count.
func (m *mirror) describe(ctx context.Context, query string, refresh *catalog.Info) (*engine.Description, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return nil, errMirrorClosed
	}
	if refresh != nil {
		if err := m.cat.Refresh(ctx, *refresh); err != nil {
			return nil, translateError(err)
		}
	}
	si := m.compile(query)
	if si.err != nil {
		return nil, translateError(si.err)
	}
	cols := columnsOf(si.cols)
	for i := range cols {
		if cols[i].Table == "" || si.cols[i].DatabaseName != "main" {
			continue
		}
		if oid, err := m.cat.RelationOID(ctx, cols[i].Table); err == nil {
			cols[i].TableOID = oid
			cols[i].AttNum = m.attNum(ctx, cols[i].Table, cols[i].Origin)
		}
	}
	return &engine.Description{Columns: cols, NumParams: si.nparams}, nil
}

// attNum is column's 1-based position in table as pg_attribute counts it
// (generated columns included).
func (m *mirror) attNum(ctx context.Context, table, column string) int16 {
	rows, err := m.query(ctx, "SELECT cid FROM pragma_table_xinfo(?1) WHERE name = ?2", []any{table, column})
	if err != nil || len(rows) == 0 {
		return 0
	}
	cid, _ := rows[0][0].(int64)
	return int16(cid + 1)
}

// columnType is engine.Session.ColumnType on the mirror's schema.
func (m *mirror) columnType(ctx context.Context, table, column string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return "", false
	}
	q := `SELECT p.type FROM sqlite_schema s, pragma_table_info(s.name) p
		WHERE s.type IN ('table', 'view') AND p.name = ?2 COLLATE NOCASE
		AND (?1 = '' OR s.name = ?1 COLLATE NOCASE)
		ORDER BY s.name = ?1 COLLATE NOCASE DESC, s.name LIMIT 1`
	args := []any{table, column}
	if k, ok := strings.CutPrefix(column, "#"); ok && table != "" {
		// "#k" is the k-th column, for INSERT without a column list.
		n, err := strconv.Atoi(k)
		if err != nil {
			return "", false
		}
		q = "SELECT type FROM pragma_table_info(?1) WHERE cid = ?2"
		args = []any{table, int64(n - 1)}
	}
	rows, err := m.query(ctx, q, args)
	if err != nil || len(rows) == 0 {
		return "", false
	}
	decl, _ := rows[0][0].(string)
	return decl, true
}

// tableFacts reports whether table exists as an ordinary rowid table and
// how many triggers it has.
func (m *mirror) tableFacts(ctx context.Context, table string) (rowidTable bool, triggers int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return false, 0, errMirrorClosed
	}
	rows, err := m.query(ctx, `SELECT
		(SELECT type = 'table' AND NOT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE),
		(SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE)`, []any{table})
	if err != nil {
		return false, 0, err
	}
	if len(rows) == 0 {
		return false, 0, nil
	}
	ok, _ := rows[0][0].(int64)
	n, _ := rows[0][1].(int64)
	return ok == 1, n, nil
}

// catalogQuery runs a read-only statement that reads the emulated catalog.
// The mirror holds no user data: such statements see empty user tables.
func (m *mirror) catalogQuery(ctx context.Context, query string, args []any, info catalog.Info) (*bufferedRows, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return nil, errMirrorClosed
	}
	if err := m.cat.Refresh(ctx, info); err != nil {
		return nil, translateError(err)
	}
	si := m.compile(query)
	if si.err != nil {
		return nil, translateError(si.err)
	}
	rows, err := m.query(ctx, query, args)
	if err != nil {
		return nil, translateError(err)
	}
	cols := columnsOf(si.cols)
	b := &bufferedRows{cols: cols}
	for _, r := range rows {
		row := make([]any, len(r))
		for i, v := range r {
			decl := ""
			if i < len(cols) {
				decl = cols[i].DeclType
			}
			row[i] = normalizeValue(v, decl)
		}
		b.data = append(b.data, row)
	}
	return b, nil
}

func (m *mirror) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cat != nil {
		m.cat.Close(context.Background())
		m.cat = nil
	}
	if m.raw != nil {
		m.raw.Close()
		m.raw = nil
	}
}

func columnsOf(info []sqlite.ColumnInfo) []engine.Column {
	cols := make([]engine.Column, len(info))
	for i, c := range info {
		cols[i] = engine.Column{Name: c.Name, DeclType: c.DeclType, Table: c.TableName, Origin: c.OriginName}
	}
	return cols
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// mirrorCode returns the SQLite result code of an error from the mirror.
func mirrorCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// mirrorDecoration is how modernc wraps SQLite's message: "SQL logic error:
// no such table: t (1)".
var mirrorDecoration = regexp.MustCompile(`^[a-zA-Z ]+: (.*?)(?: \(\d+\))?$`)

func mirrorMessage(msg string) string {
	if m := mirrorDecoration.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return msg
}
