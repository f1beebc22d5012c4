package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"modernc.org/sqlite"

	"github.com/sqlcluster/sqlcluster/catalog"
)

// maxCachedStmts bounds each connection's prepared-statement cache; clients
// that generate unique SQL per call must not grow memory without bound.
const maxCachedStmts = 256

// conn is one SQLite connection with a cache of prepared statements. SQLite
// connections are not safe for concurrent use: a conn belongs to one
// goroutine at a time (the writer, or a session that checked it out).
type conn struct {
	raw   driver.Conn
	cat   *catalog.Conn
	stmts map[string]*cachedStmt
	tick  uint64 // LRU clock
	// schemaGen is the database.schemaGen this connection's schema cache
	// belongs to.
	schemaGen uint64
}

type cachedStmt struct {
	stmt  driver.Stmt
	cols  []sqlite.ColumnInfo
	inUse bool
	used  uint64
}

type columnInfoer interface {
	ColumnInfo(query string) ([]sqlite.ColumnInfo, error)
}

func openConn(ctx context.Context, d *sqlite.Driver, dsn string) (*conn, error) {
	raw, err := d.Open(dsn)
	if err != nil {
		return nil, err
	}
	c := &conn{raw: raw, stmts: map[string]*cachedStmt{}}
	cat, err := catalog.Attach(ctx, raw)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("attaching catalog: %w", err)
	}
	c.cat = cat
	return c, nil
}

// exec runs a statement that returns no rows (transaction control, pragmas).
func (c *conn) exec(ctx context.Context, query string) error {
	_, err := c.raw.(driver.ExecerContext).ExecContext(ctx, query, nil)
	return err
}

// prepare returns a prepared statement for query and a release func. A cached
// statement already in use (two open portals of the same SQL) gets a private
// copy that is closed on release.
func (c *conn) prepare(ctx context.Context, query string) (*cachedStmt, func(), error) {
	c.tick++
	if cs, ok := c.stmts[query]; ok && !cs.inUse {
		cs.inUse, cs.used = true, c.tick
		return cs, func() { cs.inUse = false }, nil
	}
	cols, err := c.raw.(columnInfoer).ColumnInfo(query)
	if err != nil {
		return nil, nil, err
	}
	st, err := c.raw.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	cs := &cachedStmt{stmt: st, cols: cols, inUse: true, used: c.tick}
	if _, ok := c.stmts[query]; ok {
		return cs, func() { st.Close() }, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		c.evict()
	}
	c.stmts[query] = cs
	return cs, func() { cs.inUse = false }, nil
}

func (c *conn) evict() {
	var oldest string
	var min uint64 = ^uint64(0)
	for q, cs := range c.stmts {
		if !cs.inUse && cs.used < min {
			oldest, min = q, cs.used
		}
	}
	if cs, ok := c.stmts[oldest]; ok {
		cs.stmt.Close()
		delete(c.stmts, oldest)
	}
}

// dropStmts finalizes cached statements; needed before schema changes that
// SQLite refuses while statements are pending, and before close.
func (c *conn) dropStmts() {
	for q, cs := range c.stmts {
		if !cs.inUse {
			cs.stmt.Close()
			delete(c.stmts, q)
		}
	}
}

// describe compiles query without running it.
func (c *conn) describe(query string) ([]sqlite.ColumnInfo, int, error) {
	ci, err := c.raw.(columnInfoer).ColumnInfo(query)
	if err != nil {
		return nil, 0, err
	}
	st, err := c.raw.Prepare(query)
	if err != nil {
		return nil, 0, err
	}
	n := st.NumInput()
	st.Close()
	return ci, n, nil
}

// run executes query with args. Statements that return columns come back as
// open rows with a release func to call after closing them; others are run
// to completion and report the number of rows they changed.
func (c *conn) run(ctx context.Context, query string, args []any) (res runResult, err error) {
	cs, release, err := c.prepare(ctx, query)
	if err != nil {
		return res, err
	}
	if n := cs.stmt.NumInput(); n >= 0 && n != len(args) {
		release()
		return res, &paramCountError{want: n, got: len(args)}
	}
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	if len(cs.cols) == 0 {
		r, err := cs.stmt.(driver.StmtExecContext).ExecContext(ctx, nv)
		release()
		if err != nil {
			return res, err
		}
		res.affected, _ = r.RowsAffected()
		return res, nil
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, nv)
	if err != nil {
		release()
		return res, err
	}
	res.rows, res.cols, res.release = rows, cs.cols, release
	return res, nil
}

type runResult struct {
	rows     driver.Rows // nil for statements without result columns
	cols     []sqlite.ColumnInfo
	release  func()
	affected int64
}

// begin opens a transaction with verb (BEGIN, BEGIN IMMEDIATE) and fixes
// what now() returns in it, as PostgreSQL's transaction_timestamp.
func (c *conn) begin(ctx context.Context, verb string, start time.Time) error {
	if err := c.exec(ctx, verb); err != nil {
		return err
	}
	if err := c.cat.SetTransactionTime(ctx, start); err != nil {
		c.exec(context.Background(), "ROLLBACK")
		return err
	}
	return nil
}

// finalize closes every prepared statement the connection holds, its own
// and the catalog's, leaving the connection itself open.
func (c *conn) finalize() {
	if c.cat != nil {
		c.cat.Close(context.Background())
		c.cat = nil
	}
	for q, cs := range c.stmts {
		cs.stmt.Close()
		delete(c.stmts, q)
	}
}

func (c *conn) close() error {
	c.finalize()
	return c.raw.Close()
}

type paramCountError struct{ want, got int }

func (e *paramCountError) Error() string {
	return fmt.Sprintf("bind message supplies %d parameters, but prepared statement requires %d", e.got, e.want)
}
func (e *paramCountError) SQLState() string { return "08P01" }

type columnInfo = sqlite.ColumnInfo
