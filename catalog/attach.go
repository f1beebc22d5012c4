package catalog

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Conn is the catalog of one SQLite connection: the attached pg_catalog and
// information_schema databases and what Refresh last put in them. A Conn is
// used by one goroutine at a time, like the connection it belongs to.
type Conn struct {
	conn querier

	schemaVersion int64  // main's schema_version when the rows were built
	infoKey       string // the Info the rows were built for
	generation    int64  // bumps on every rebuild; stored in the marker row
	built         bool
	indexOIDs     map[string]uint32 // PostgreSQL index names → OIDs, from the last rebuild

	stmts map[string]driver.Stmt // prepared hot-path statements
}

// Info is the session information catalog rows and functions report.
type Info struct {
	// Databases are the database names pg_database lists.
	Databases []string
	// Database is the current database (current_database(), table_catalog).
	Database string
	// User is the session user (pg_roles, pg_get_userbyid(10)).
	User string
	// Settings resolves configuration parameters for pg_settings and
	// current_setting; nil means defaults only.
	Settings func(name string) (string, bool)
}

// Attach creates the catalog on a freshly opened connection: it attaches
// in-memory databases named pg_catalog and information_schema, creates every
// catalog table with PostgreSQL's columns, and fills the static ones. The
// connection must come from a driver Register was called on.
func Attach(ctx context.Context, conn driver.Conn) (*Conn, error) {
	return attach(ctx, conn, true)
}

// attach is Attach; fast=false forces the statement-by-statement build
// (tests compare the two).
func attach(ctx context.Context, conn driver.Conn, fast bool) (*Conn, error) {
	q, ok := conn.(querier)
	if !ok {
		return nil, errors.New("catalog: connection does not implement ExecerContext and QueryerContext")
	}
	c := &Conn{conn: q}
	for _, schema := range catalogSchemas {
		if _, err := q.ExecContext(ctx, "ATTACH DATABASE ':memory:' AS "+schema, nil); err != nil {
			return nil, fmt.Errorf("catalog: attach %s: %w", schema, err)
		}
	}
	err := errNoFastPath
	if fast {
		err = c.fillFromTemplates(ctx, conn)
	}
	if err != nil {
		if !errors.Is(err, errNoFastPath) {
			return nil, err
		}
		// Not a connection we can deserialize into: build it statement by
		// statement (slower, same result).
		err := c.inTx(ctx, func() error {
			for _, schema := range catalogSchemas {
				if _, err := q.ExecContext(ctx, schemaDDL(schema, schema), nil); err != nil {
					return fmt.Errorf("catalog: create %s tables: %w", schema, err)
				}
				if err := insertStatic(ctx, q, schema, schema); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Register the connection with the driver's function registry so that
	// session functions work before the first Refresh. Unloading first
	// drops state left by a closed connection whose sqlite3 handle address
	// this one reuses.
	if err := c.exec(ctx, "SELECT "+fnUnload+"()"); err != nil {
		return nil, fmt.Errorf("catalog: attach (was catalog.Register called on this driver?): %w", err)
	}
	if err := c.load(ctx, emptySnapshot); err != nil {
		return nil, fmt.Errorf("catalog: attach (was catalog.Register called on this driver?): %w", err)
	}
	return c, nil
}

// Close forgets the connection's session state in the driver's registry.
// Call it before closing the SQLite connection; a connection closed without
// it leaves a small entry behind until its handle is reused.
func (c *Conn) Close(ctx context.Context) error {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	return c.exec(ctx, "SELECT "+fnUnload+"()")
}

// query runs a statement the Conn issues often through a cached prepared
// statement (SQLite re-prepares it by itself after schema changes).
func (c *Conn) query(ctx context.Context, sql string, args []driver.NamedValue, fn func([]driver.Value) error) error {
	st, ok := c.stmts[sql]
	if !ok {
		p, isP := c.conn.(driver.ConnPrepareContext)
		if !isP {
			return queryRows(ctx, c.conn, sql, args, fn)
		}
		var err error
		if st, err = p.PrepareContext(ctx, sql); err != nil {
			return err
		}
		if c.stmts == nil {
			c.stmts = map[string]driver.Stmt{}
		}
		c.stmts[sql] = st
	}
	qs, ok := st.(driver.StmtQueryContext)
	if !ok {
		return queryRows(ctx, c.conn, sql, args, fn)
	}
	rows, err := qs.QueryContext(ctx, args)
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

// SetTransactionTime fixes what now() returns until the connection's
// explicit transaction ends (PostgreSQL's transaction_timestamp). Outside a
// transaction, or if never set, now() reads the clock.
//
// Call it at the start of every transaction: a time set for an earlier
// transaction would otherwise be reused.
func (c *Conn) SetTransactionTime(ctx context.Context, t time.Time) error {
	return c.query(ctx, "SELECT "+fnSetTime+"(?1)", []driver.NamedValue{{Ordinal: 1, Value: t.UnixNano()}},
		func([]driver.Value) error { return nil })
}

func (c *Conn) exec(ctx context.Context, query string, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := c.conn.QueryContext(ctx, query, nv)
	if err != nil {
		return err
	}
	dest := make([]driver.Value, len(rows.Columns()))
	for rows.Next(dest) == nil {
	}
	return rows.Close()
}

// load hands a snapshot to the SQL functions of this connection.
func (c *Conn) load(ctx context.Context, s *snapshot) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("catalog: encode snapshot: %w", err)
	}
	return c.exec(ctx, "SELECT "+fnLoad+"(?1)", string(data))
}

// inTx runs fn inside a savepoint, which works both in autocommit mode and
// inside the client's open transaction: the catalog writes then commit or
// roll back with it, together with the marker row that says what they
// reflect (see Refresh).
func (c *Conn) inTx(ctx context.Context, fn func() error) error {
	if _, err := c.conn.ExecContext(ctx, "SAVEPOINT sqlcluster_catalog", nil); err != nil {
		return fmt.Errorf("catalog: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		c.conn.ExecContext(ctx, "ROLLBACK TO sqlcluster_catalog", nil)
		c.conn.ExecContext(ctx, "RELEASE sqlcluster_catalog", nil)
		return err
	}
	if _, err := c.conn.ExecContext(ctx, "RELEASE sqlcluster_catalog", nil); err != nil {
		return fmt.Errorf("catalog: release savepoint: %w", err)
	}
	return nil
}
