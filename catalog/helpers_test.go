package catalog

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

// testConn is a modernc connection with the catalog attached.
type testConn struct {
	t    testing.TB
	raw  driver.Conn
	q    querier
	cat  *Conn
	info Info
}

// newTestDriver returns a driver with the functions registered.
func newTestDriver(t testing.TB) *sqlite.Driver {
	t.Helper()
	d := &sqlite.Driver{}
	if err := Register(d); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return d
}

// openTestConn opens a connection to dsn (default: a fresh file database)
// and attaches the catalog.
func openTestConn(t testing.TB, d *sqlite.Driver, dsn string) *testConn {
	t.Helper()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "test.db")
	}
	raw, err := d.Open(dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	cat, err := Attach(context.Background(), raw)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tc := &testConn{t: t, raw: raw, q: raw.(querier), cat: cat,
		info: Info{Databases: []string{"catdb", "postgres"}, Database: "catdb", User: "postgres"}}
	return tc
}

func (tc *testConn) exec(sql string, args ...any) {
	tc.t.Helper()
	if _, err := tc.q.ExecContext(context.Background(), sql, named(args)); err != nil {
		tc.t.Fatalf("exec %q: %v", sql, err)
	}
}

func (tc *testConn) refresh() {
	tc.t.Helper()
	if err := tc.cat.Refresh(context.Background(), tc.info); err != nil {
		tc.t.Fatalf("Refresh: %v", err)
	}
}

func named(args []any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// query runs sql and returns rows rendered as strings ("NULL" for nil).
func (tc *testConn) query(sql string, args ...any) ([][]string, error) {
	rows, err := tc.q.QueryContext(context.Background(), sql, named(args))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		err := rows.Next(dest)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		row := make([]string, len(dest))
		for i, v := range dest {
			row[i] = render(v)
		}
		out = append(out, row)
	}
}

func (tc *testConn) mustQuery(sql string, args ...any) [][]string {
	tc.t.Helper()
	rows, err := tc.query(sql, args...)
	if err != nil {
		tc.t.Fatalf("query %q: %v", sql, err)
	}
	return rows
}

// one returns the single value of a one-row, one-column query.
func (tc *testConn) one(sql string, args ...any) string {
	tc.t.Helper()
	rows := tc.mustQuery(sql, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		tc.t.Fatalf("query %q: want one value, got %v", sql, rows)
	}
	return rows[0][0]
}

func render(v driver.Value) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("\\x%x", x)
	default:
		return fmt.Sprint(x)
	}
}

// userSchemaSQL is the schema the tests create, in SQLite's dialect (what
// the translator produces for testdata/schema.sql).
const userSchemaSQL = `
CREATE TABLE users (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email varchar(20) UNIQUE,
    active boolean NOT NULL DEFAULT true,
    created timestamptz,
    balance numeric(10,2) DEFAULT 0,
    CHECK (balance >= 0)
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users(id),
    note text DEFAULT 'none',
    qty integer,
    UNIQUE (user_id, note)
);
CREATE INDEX orders_qty_idx ON orders (qty);
CREATE VIEW active_users AS SELECT id, name FROM users WHERE active;
`

// execScript runs several statements (modernc executes them in turn).
func (tc *testConn) execScript(script string) {
	tc.t.Helper()
	tc.exec(script)
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n uint32) string { return fmt.Sprint(n) }
