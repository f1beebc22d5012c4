package dqlite

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// database is one PostgreSQL database: a dqlite database (file) reached
// through a pool of connections to the leader, the node's write lock for it,
// the autocommit writer, and the schema mirror.
type database struct {
	e     *Engine
	name  string // PostgreSQL name
	file  string // dqlite database name
	pool  *pool
	sem   chan struct{} // held by whoever writes to the database from this node
	w     *writer
	users atomic.Int64 // open sessions on this node

	schemaMu  sync.Mutex // serializes schema checks and mirror rebuilds
	mir       atomic.Pointer[mirror]
	stale     atomic.Bool // a local DDL committed: check before the next use
	checkedAt time.Time   // start of the last completed schema check
}

func (e *Engine) newDatabase(name, file string) (*database, error) {
	connector, err := e.driver.OpenConnector(file)
	if err != nil {
		return nil, err
	}
	d := &database{e: e, name: name, file: file, sem: make(chan struct{}, 1),
		pool: &pool{file: file, connector: connector, lw: e.lw, timeout: e.cfg.LeaderTimeout, maxIdle: e.cfg.MaxIdleConns}}
	d.w = newWriter(d)
	return d, nil
}

func (d *database) close() {
	d.w.close()
	d.pool.close()
	if m := d.mir.Swap(nil); m != nil {
		m.close()
	}
}

// conn returns a connection to the leader, after this epoch's barrier.
func (d *database) conn(ctx context.Context) (*conn, error) {
	for {
		if err := d.e.lw.ensureBarrier(ctx); err != nil {
			return nil, err
		}
		c, err := d.pool.get(ctx)
		if err != nil {
			return nil, err
		}
		if c.epoch == d.e.lw.barrierd.Load() {
			return c, nil
		}
		// The leader changed while we connected: barrier first.
		d.pool.put(c)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// acquire takes the node's write lock on the database.
func (d *database) acquire(ctx context.Context) error {
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *database) release() { <-d.sem }

// invalidate notes that the schema changed through this node.
func (d *database) invalidate() { d.stale.Store(true) }

// mirror returns the schema mirror, first checking dqlite's schema_version
// unless a check begun after this call, or less than maxAge ago, found it
// current. Concurrent callers share one check.
func (d *database) mirror(ctx context.Context, maxAge time.Duration) (*mirror, error) {
	start := time.Now()
	d.schemaMu.Lock()
	defer d.schemaMu.Unlock()
	m := d.mir.Load()
	if m != nil && !d.stale.Load() && (d.checkedAt.After(start) || (maxAge > 0 && start.Sub(d.checkedAt) < maxAge)) {
		return m, nil
	}
	checkStart := time.Now()
	c, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer d.pool.put(c)
	d.stale.Store(false)
	v, err := schemaVersion(ctx, c)
	if err != nil {
		d.stale.Store(true)
		return nil, err
	}
	if m == nil || v != m.version {
		version, objs, err := loadSchema(ctx, c)
		if err != nil {
			d.stale.Store(true)
			return nil, err
		}
		nm, err := buildMirror(ctx, d.e.mirrorDriver, version, objs, d.e.log)
		if err != nil {
			d.stale.Store(true)
			return nil, err
		}
		if old := d.mir.Swap(nm); old != nil {
			old.close()
		}
		m = nm
	}
	d.checkedAt = checkStart
	return m, nil
}

// currentMirror returns the mirror without asking dqlite unless a local
// schema change is pending; it serves the hot paths (result column types),
// where a schema change made through another node a moment ago costs at
// most less precise types.
func (d *database) currentMirror(ctx context.Context) (*mirror, error) {
	if m := d.mir.Load(); m != nil && !d.stale.Load() {
		return m, nil
	}
	return d.mirror(ctx, 0)
}

// retryBusy runs fn until it succeeds, fails with something other than
// SQLITE_BUSY, or the busy timeout passes. dqlite does not queue writers:
// a write that finds the database locked (by another node's writer, since
// this node's are serialized) fails at once, and waiting is ours to do.
func retryBusy(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	wait := 500 * time.Microsecond
	for {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		if time.Now().After(deadline) {
			return serializationFailure("the database stayed locked by another node's writer for " + timeout.String())
		}
		// Jitter keeps nodes that collided from colliding again.
		d := wait/2 + rand.N(wait)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}

// beginImmediate opens a write transaction on c, waiting out other nodes'
// writers.
func (d *database) beginImmediate(ctx context.Context, c *conn) error {
	return retryBusy(ctx, d.e.cfg.BusyTimeout, func() error {
		_, err := c.exec(ctx, "BEGIN IMMEDIATE", nil)
		return err
	})
}

// commit commits c's transaction. The caller decides what a lost leader
// means (the outcome is unknown).
func (d *database) commit(ctx context.Context, c *conn) error {
	return retryBusy(ctx, d.e.cfg.BusyTimeout, func() error {
		_, err := c.exec(ctx, "COMMIT", nil)
		return err
	})
}

// inTx reports whether c still has an open transaction: some failures
// (RAISE(ROLLBACK), ON CONFLICT ROLLBACK, I/O errors) end it.
func inTx(ctx context.Context, c *conn) bool {
	if _, err := c.exec(ctx, "BEGIN", nil); err != nil {
		return true
	}
	c.exec(ctx, "ROLLBACK", nil)
	return false
}

// standalone runs a statement that cannot run in a transaction (VACUUM).
func (d *database) standalone(ctx context.Context, query string, args []any) (engine.Rows, error) {
	if err := d.acquire(ctx); err != nil {
		return nil, translateError(err)
	}
	defer d.release()
	c, err := d.conn(ctx)
	if err != nil {
		return nil, translateError(err)
	}
	defer d.pool.put(c)
	var n int64
	err = retryBusy(ctx, d.e.cfg.BusyTimeout, func() error {
		var err error
		n, err = c.exec(ctx, query, args)
		return err
	})
	if err != nil {
		if isLeaderLost(err) {
			return nil, commitUnknown(err)
		}
		return nil, translateError(err)
	}
	d.e.stats.commits.Add(1)
	return &bufferedRows{affected: n}, nil
}

// errStop ends retry loops when the engine closes.
var errStop = errors.New("engine closing")
