package dqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	dqdriver "github.com/canonical/go-dqlite/driver"

	"github.com/sqlcluster/sqlcluster/engine"
)

// conn is one go-dqlite driver connection, bound to one database on the
// leader. It is used by one goroutine at a time. A conn remembers the
// leader epoch it was opened in: once the epoch moves on (a new leader, or
// any connection saw the leader go away) it is discarded instead of reused,
// so a statement never lands on a deposed leader through an idle connection.
type conn struct {
	inner  driver.Conn
	net    *watchConn // nil if the socket could not be identified
	addr   string     // the node it is connected to
	epoch  uint64
	lw     *leaderWatch
	broken bool
	// active is a result set still streaming on this connection; it is
	// buffered before the connection serves anything else.
	active *streamRows
}

// maxParams is go-dqlite's limit on bound parameters per statement.
const maxParams = dqdriver.MaxTupleParams

func namedValues(args []any) ([]driver.NamedValue, error) {
	if len(args) > maxParams {
		return nil, engine.Errorf("54023", "raft mode supports at most %d parameters per statement, got %d", maxParams, len(args))
	}
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, engine.Errorf("22023", "parameter $%d: %v", i+1, err)
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// watch arranges for ctx's cancellation to abort the request in flight.
func (c *conn) watch(ctx context.Context) func() {
	if c.net == nil || ctx.Done() == nil {
		return func() {}
	}
	stop := context.AfterFunc(ctx, c.net.poison)
	return func() { stop() }
}

// check classifies a driver error and records what it says about the
// connection: a cancelled request leaves it unusable; a lost leader also
// moves the leader epoch on.
func (c *conn) check(ctx context.Context, err error) error {
	if c.net != nil && c.net.isPoisoned() {
		c.broken = true
	}
	if err == nil {
		return nil
	}
	bad := errors.Is(err, driver.ErrBadConn)
	if ctx.Err() != nil && (c.broken || bad) {
		c.broken = true
		return ctx.Err()
	}
	if bad {
		c.broken = true
		c.lw.suspect()
		return &errLeaderLost{err: err}
	}
	return err
}

// settle buffers a result set still open on the connection, so that the
// connection can serve the next request while the rows stay readable.
func (c *conn) settle() error {
	if c.active == nil {
		return nil
	}
	return c.active.materialize()
}

// exec runs a statement that returns no rows and reports the rows changed.
func (c *conn) exec(ctx context.Context, query string, args []any) (int64, error) {
	if err := c.settle(); err != nil {
		return 0, err
	}
	nv, err := namedValues(args)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	stop := c.watch(ctx)
	res, err := c.inner.(driver.ExecerContext).ExecContext(ctx, query, nv)
	stop()
	if err = c.check(ctx, err); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// query starts a statement that returns rows. The rows must be closed
// before the connection is used again (or settle buffers them).
func (c *conn) query(ctx context.Context, query string, args []any) (*driverRows, error) {
	if err := c.settle(); err != nil {
		return nil, err
	}
	nv, err := namedValues(args)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stop := c.watch(ctx)
	rows, err := c.inner.(driver.QueryerContext).QueryContext(ctx, query, nv)
	if err = c.check(ctx, err); err != nil {
		stop()
		return nil, err
	}
	return &driverRows{c: c, ctx: ctx, inner: rows, stop: stop}, nil
}

// queryAll runs a query and returns all its rows.
func (c *conn) queryAll(ctx context.Context, query string, args []any) ([][]driver.Value, error) {
	r, err := c.query(ctx, query, args)
	if err != nil {
		return nil, err
	}
	defer r.close()
	var out [][]driver.Value
	n := len(r.inner.Columns())
	for {
		row := make([]driver.Value, n)
		if err := r.next(row); err != nil {
			if err == io.EOF {
				return out, r.close()
			}
			return nil, err
		}
		out = append(out, row)
	}
}

func (c *conn) usable() bool {
	return !c.broken && c.active == nil && c.epoch == c.lw.epoch.Load()
}

func (c *conn) close() {
	if c.active != nil {
		c.active.abandon()
	}
	c.inner.Close()
}

// driverRows is an open go-dqlite result set; its cancellation watch stays
// armed until it is closed, since reading further batches blocks too.
type driverRows struct {
	c      *conn
	ctx    context.Context
	inner  driver.Rows
	stop   func()
	closed bool
}

func (r *driverRows) next(dest []driver.Value) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	err := r.inner.Next(dest)
	if err == io.EOF {
		return io.EOF
	}
	return r.c.check(r.ctx, err)
}

func (r *driverRows) close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	// Closing early sends an interrupt and waits for the server to stop.
	err := r.inner.Close()
	r.stop()
	return r.c.check(r.ctx, err)
}

// pool holds idle connections to one database on the leader.
type pool struct {
	file      string
	connector driver.Connector
	lw        *leaderWatch
	timeout   time.Duration // bound on finding a leader
	maxIdle   int

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

func (p *pool) get(ctx context.Context) (*conn, error) {
	var stale []*conn
	defer func() {
		for _, c := range stale {
			c.close()
		}
	}()
	p.mu.Lock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if c.usable() {
			p.mu.Unlock()
			return c, nil
		}
		stale = append(stale, c)
	}
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, engine.ErrClosed
	}
	return p.connect(ctx)
}

func (p *pool) connect(ctx context.Context) (*conn, error) {
	// go-dqlite retries until it finds a leader; without quorum that is
	// forever, so the wait is bounded here.
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	tr := &dialTracker{}
	cctx = context.WithValue(cctx, dialTrackerKey{}, tr)
	inner, err := p.connector.Connect(cctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, dqdriver.ErrNoAvailableLeader) || cctx.Err() != nil {
			return nil, noLeader(err)
		}
		return nil, fmt.Errorf("connecting to database %q on the leader: %w", p.file, err)
	}
	c := &conn{inner: inner, lw: p.lw}
	if w := tr.live(); w != nil {
		c.net, c.addr = w, w.addr
	}
	if c.addr != "" && c.addr != p.lw.leaderAddr() {
		// The driver found a leader we have not heard of yet: learn about
		// it (which moves the epoch) before serving from it.
		p.lw.refresh(ctx)
	}
	c.epoch = p.lw.epoch.Load()
	return c, nil
}

// put returns c to the pool, or closes it if it cannot be reused.
func (p *pool) put(c *conn) {
	if c == nil {
		return
	}
	p.mu.Lock()
	if !p.closed && c.usable() && len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.close()
}

func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}
