package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// clientConn is one client connection. Its lifecycle: negotiate TLS, read
// the startup message, authenticate, open an engine session, then process
// messages until Terminate or disconnect.
//
// A reader goroutine reads frames ahead into a channel. That is what lets a
// running statement notice that the client went away (pgx closes the socket
// to cancel) and be interrupted, and what lets the pipeline logic peek at
// the next message.
type clientConn struct {
	srv  *Server
	log  *slog.Logger
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	wbuf []byte

	pid, secret uint32

	// ctx ends when the client disconnects or the server kills the
	// connection; stmtCancel interrupts the statement that runs now.
	ctx        context.Context
	cancelConn context.CancelFunc
	stmtMu     sync.Mutex
	stmtCtx    context.Context
	stmtCancel context.CancelCauseFunc
	stmtGen    uint64
	stmtActive bool
	draining   atomic.Bool
	busy       atomic.Bool

	frames  chan []frame // batches of frames read ahead
	queue   []frame      // frames received but not yet processed
	readErr error        // set before frames is closed
	pending *frame

	user, database string
	sess           engine.Session
	settings       *settings
	codec          *pgtypes.Codec
	codecTZ        string // the TimeZone codec renders in

	// transaction state as PostgreSQL reports it in ReadyForQuery
	txStatus byte // 'I', 'T', 'E'
	implicit bool // engine transaction opened for a pipeline or multi-statement query
	ready    bool // the last message sent was ReadyForQuery

	stmts   map[string]*prepared
	portals map[string]*portal
	cursors map[string]*portal

	bytesIn, bytesOut *atomic.Uint64
}

func newClientConn(s *Server, nc net.Conn) *clientConn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &clientConn{
		srv: s, nc: nc, ctx: ctx, cancelConn: cancel,
		log:      s.log.With("remote", nc.RemoteAddr().String()),
		txStatus: 'I',
		ready:    true,
		stmts:    map[string]*prepared{},
		portals:  map[string]*portal{},
		cursors:  map[string]*portal{},
		codec:    pgtypes.NewCodec(),
	}
	c.setConn(nc)
	return c
}

func (c *clientConn) setConn(nc net.Conn) {
	c.nc = nc
	m := c.srv.cfg.Metrics
	cr := &countingConn{Conn: nc, in: &m.bytesIn, out: &m.bytesOut}
	c.br = bufio.NewReaderSize(cr, 16<<10)
	c.bw = bufio.NewWriterSize(cr, 32<<10)
}

func (c *clientConn) serve() {
	m := c.srv.cfg.Metrics
	defer c.nc.Close()
	defer func() {
		// A bug must cost one connection, not the server and every other
		// client's transaction. It is still a bug: log it loudly.
		if r := recover(); r != nil {
			m.panics.Inc()
			c.log.Error("panic serving connection", "panic", r, "stack", string(debug.Stack()))
			if c.srv.cfg.OnPanic != nil {
				c.srv.cfg.OnPanic(r)
			}
		}
	}()
	defer c.cancelConn()
	if err := c.startup(); err != nil {
		if err != errCancelRequest && !isDisconnect(err) {
			c.log.Debug("connection setup failed", "err", err)
		}
		return
	}
	m.connections.Inc()
	m.connectionsTotal.Inc()
	defer m.connections.Dec()
	defer c.srv.keys.Delete(c.pid)
	defer c.closeSession()
	c.log = c.log.With("user", c.user, "db", c.database, "pid", c.pid)
	c.log.Debug("session started")
	c.frames = make(chan []frame, 64)
	go c.readLoop()
	if err := c.loop(); err != nil && !isDisconnect(err) {
		c.log.Warn("connection ended with error", "err", err)
	}
}

// readLoop reads frames ahead until the socket fails. A read error cancels
// the connection context, interrupting whatever statement runs. Frames that
// arrived together (a pipeline: Bind, Execute, Sync) are handed over as one
// batch, so a query costs one goroutine hand-off rather than one per
// message.
func (c *clientConn) readLoop() {
	max := c.srv.cfg.MaxMessageSize
	defer close(c.frames)
	for {
		batch, err := c.readBatch(max)
		if len(batch) > 0 {
			select {
			case c.frames <- batch:
			case <-c.ctx.Done():
				c.readErr = io.EOF
				return
			}
		}
		if err != nil {
			c.readErr = err
			var pe *protocolError
			if !errors.As(err, &pe) {
				c.cancelConn()
			}
			return
		}
		if batch[len(batch)-1].typ == 'X' {
			c.readErr = io.EOF
			return
		}
	}
}

// readBatch blocks for one frame, then takes every further frame that is
// already complete in the read buffer. A frame read before an error is
// still returned with it.
func (c *clientConn) readBatch(max int) ([]frame, error) {
	f, err := readFrame(c.br, max)
	if err != nil {
		return nil, err
	}
	batch := []frame{f}
	for f.typ != 'X' && c.frameBuffered() {
		if f, err = readFrame(c.br, max); err != nil {
			return batch, err
		}
		batch = append(batch, f)
	}
	return batch, nil
}

// frameBuffered reports whether a whole frame waits in the read buffer, so
// reading it cannot block.
func (c *clientConn) frameBuffered() bool {
	n := c.br.Buffered()
	if n < 5 {
		return false
	}
	hdr, _ := c.br.Peek(5)
	return n >= 1+int(be32(hdr[1:]))
}

// next returns the next frame, blocking.
func (c *clientConn) next() (frame, error) {
	if c.pending != nil {
		f := *c.pending
		c.pending = nil
		return f, nil
	}
	if len(c.queue) == 0 {
		batch, ok, err := c.receive()
		if err != nil {
			return frame{}, err
		}
		if !ok {
			return frame{}, c.readErr
		}
		c.queue = batch
	}
	f := c.queue[0]
	c.queue = c.queue[1:]
	return f, nil
}

// errIdleInTransaction ends a session that sat in an open transaction
// longer than idle_in_transaction_session_timeout. With a single writer per
// database, an idle transaction that has written blocks every other writer,
// so operators need this bound.
var errIdleInTransaction = &engine.Error{Code: "25P03", Message: "terminating connection due to idle-in-transaction timeout"}

// receive waits for the next batch of frames, bounded by
// idle_in_transaction_session_timeout while a transaction is open and the
// client owes us the next message.
func (c *clientConn) receive() ([]frame, bool, error) {
	var d time.Duration
	if c.ready && c.txStatus != 'I' && c.settings != nil {
		d, _ = parseDuration(c.settings.get("idle_in_transaction_session_timeout"))
	}
	if d <= 0 {
		batch, ok := <-c.frames
		return batch, ok, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case batch, ok := <-c.frames:
		return batch, ok, nil
	case <-t.C:
		return nil, false, errIdleInTransaction
	}
}

// peekType waits for the next frame and reports its type without
// consuming it. Waiting is safe: after Execute a client must send Sync or
// Flush before it can expect results.
func (c *clientConn) peekType() (byte, bool) {
	if c.pending == nil {
		f, err := c.next()
		if err != nil {
			return 0, false
		}
		c.pending = &f
	}
	return c.pending.typ, true
}

// send encodes a backend message into the write buffer.
func (c *clientConn) send(m pgproto3.BackendMessage) {
	var err error
	c.wbuf, err = m.Encode(c.wbuf[:0])
	if err != nil {
		c.log.Error("encoding backend message", "type", m, "err", err)
		return
	}
	c.bw.Write(c.wbuf)
}

func (c *clientConn) flush() error {
	return c.bw.Flush()
}

// statementContext returns the context a statement runs under;
// CancelRequest, statement_timeout and shutdown cancel it. The context is
// reused across statements until one is cancelled: creating one per
// statement is measurable on small queries.
func (c *clientConn) statementContext() (context.Context, func()) {
	c.stmtMu.Lock()
	if c.stmtCtx == nil || c.stmtCtx.Err() != nil {
		c.stmtCtx, c.stmtCancel = context.WithCancelCause(c.ctx)
	}
	ctx := c.stmtCtx
	c.stmtGen++
	gen := c.stmtGen
	c.stmtActive = true
	c.stmtMu.Unlock()
	var timer *time.Timer
	if d := c.settings.statementTimeout(); d > 0 {
		timer = time.AfterFunc(d, func() { c.cancelIf(gen, errStatementTimeout) })
	}
	c.busy.Store(true)
	return ctx, func() {
		c.busy.Store(false)
		if timer != nil {
			timer.Stop()
		}
		c.stmtMu.Lock()
		c.stmtActive = false
		c.stmtMu.Unlock()
	}
}

// cancelIf cancels the running statement with cause, if it is still the
// statement numbered gen (0: whichever runs).
func (c *clientConn) cancelIf(gen uint64, cause error) {
	c.stmtMu.Lock()
	defer c.stmtMu.Unlock()
	if c.stmtActive && (gen == 0 || gen == c.stmtGen) {
		c.stmtCancel(cause)
	}
}

var (
	errStatementTimeout = &engine.Error{Code: "57014", Message: "canceling statement due to statement timeout"}
	errUserCancel       = &engine.Error{Code: "57014", Message: "canceling statement due to user request"}
	errShutdown         = &engine.Error{Code: "57P01", Message: "terminating connection due to administrator command"}
)

// cancelStatement serves a CancelRequest; like PostgreSQL it does nothing
// when no statement runs.
func (c *clientConn) cancelStatement() {
	c.cancelIf(0, errUserCancel)
}

// drain asks the connection to end at its next idle point.
func (c *clientConn) drain() {
	c.draining.Store(true)
	if !c.busy.Load() {
		// Idle in the read loop: closing the read side wakes it.
		c.kill()
	}
}

// kill ends the connection now, interrupting any statement.
func (c *clientConn) kill() {
	c.cancelIf(0, errShutdown)
	c.cancelConn()
	if tc, ok := c.nc.(interface{ CloseRead() error }); ok {
		tc.CloseRead()
	} else {
		c.nc.SetReadDeadline(time.Now())
	}
}

func (c *clientConn) closeSession() {
	for name, p := range c.cursors {
		p.close()
		delete(c.cursors, name)
	}
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
	if c.sess != nil {
		c.sess.Close()
		c.sess = nil
	}
}

func isDisconnect(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.Canceled) || isTimeout(err) || isReset(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// countingConn counts bytes for the metrics.
type countingConn struct {
	net.Conn
	in, out *atomic.Uint64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(uint64(n))
	return n, err
}

// upgradeTLS wraps the socket after answering 'S' to SSLRequest.
func (c *clientConn) upgradeTLS(cfg *tls.Config) error {
	tc := tls.Server(c.nc, cfg)
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		return err
	}
	tc.SetDeadline(time.Time{})
	c.setConn(tc)
	return nil
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
