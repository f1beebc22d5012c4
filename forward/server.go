package forward

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	Engine engine.Engine
	// Position returns the primary's last committed TxID; it is reported
	// after each call so that replicas can wait for it (read-your-writes).
	// nil reports 0.
	Position func() uint64
	Logger   *slog.Logger
	// HeartbeatInterval is how often a running call tells the client it is
	// still alive; 0 means 1 s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a client may stay silent (it pings
	// every second) before its session is dropped and rolled back; it also
	// bounds each write to the client. 0 means 10 s.
	HeartbeatTimeout time.Duration
	// BatchRows and BatchBytes bound a batch of rows; 0 means 512 rows and
	// 256 KiB.
	BatchRows  int
	BatchBytes int
	// Serving, if set, is asked before every call that starts work
	// (open, describe, query, begin, column type): a node that is no
	// longer the primary must not answer from its own, possibly stale,
	// state. Its error goes back to the client, which retries elsewhere.
	Serving func() error
}

func (sc *serverConn) serving() error {
	if f := sc.srv.cfg.Serving; f != nil {
		return f()
	}
	return nil
}

// Server runs forwarded sessions on the primary's engine.
type Server struct {
	cfg ServerConfig
	log *slog.Logger
}

// NewServer returns a Server; it holds no resources of its own.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Position == nil {
		cfg.Position = func() uint64 { return 0 }
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.HeartbeatTimeout <= 0 {
		cfg.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = defaultBatchRows
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = defaultBatchBytes
	}
	return &Server{cfg: cfg, log: cfg.Logger}
}

// ServeConn serves one remote session on c until the client closes it, the
// connection fails or ctx ends. The engine session is closed (rolling back
// any open transaction) before ServeConn returns; c is closed too.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	setKeepAlive(c)
	sc := &serverConn{
		srv:     s,
		conn:    c,
		enc:     gob.NewEncoder(c),
		dec:     gob.NewDecoder(c),
		cursors: map[uint64]*cursor{},
	}
	sc.run(ctx)
}

// serverConn is one forwarded session. Two goroutines share it: the
// reader, which handles cancels, pings and setting answers at once and
// queues everything else, and the worker (ServeConn's goroutine), which
// owns the engine session and its cursors and runs requests in order.
type serverConn struct {
	srv  *Server
	conn net.Conn
	ctx  context.Context // ends when the connection does

	wmu       sync.Mutex // serializes writes: results and heartbeats
	enc       *gob.Encoder
	lastWrite time.Time

	dec *gob.Decoder // reader only

	// Worker only.
	sess       engine.Session
	cursors    map[uint64]*cursor
	nextCursor uint64

	// mu guards what the reader needs to cancel the running request.
	mu            sync.Mutex
	current       uint64             // request running, 0 when idle
	cancelCurrent context.CancelFunc // interrupts it
	started       uint64             // highest request id started
	pendingCancel uint64             // a cancel that overtook its (queued) request

	settings settingsCache
}

// cursor is a Rows left open on the server between batches. Its context
// outlives the Query request because the engine's rows keep using it.
type cursor struct {
	id     uint64
	rows   engine.Rows
	ncols  int
	ctx    context.Context
	cancel context.CancelFunc
}

func (sc *serverConn) run(parent context.Context) {
	log := sc.srv.log.With("remote", sc.conn.RemoteAddr().String())
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sc.ctx = ctx
	sc.settings.init(sc)
	// Ending ctx (the node shutting down, or the reader finding the
	// connection dead) closes the connection, which unblocks everything.
	unwatch := context.AfterFunc(ctx, func() { sc.conn.Close() })
	defer unwatch()

	reqs := make(chan *request, 64)
	readerDone := make(chan error, 1)
	go func() {
		err := sc.read(reqs)
		cancel()
		close(reqs)
		readerDone <- err
	}()
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		sc.heartbeats()
	}()

	sc.work(reqs)

	for id := range sc.cursors {
		sc.closeCursor(id)
	}
	if sc.sess != nil {
		if err := sc.sess.Close(); err != nil {
			log.Warn("forward: closing session after the connection ended", "err", err)
		}
		sc.sess = nil
	}
	cancel()
	sc.conn.Close()
	err := <-readerDone
	<-hbDone
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		log.Debug("forward: session connection ended", "err", err)
	}
}

// read handles the messages that must not wait for the running call and
// queues the rest for the worker. A client silent for longer than the
// heartbeat timeout (it pings every second) is presumed dead.
func (sc *serverConn) read(reqs chan<- *request) error {
	for {
		sc.conn.SetReadDeadline(time.Now().Add(sc.srv.cfg.HeartbeatTimeout))
		req := new(request) // gob leaves absent fields alone: never reuse
		if err := sc.dec.Decode(req); err != nil {
			return fmt.Errorf("reading request: %w", err)
		}
		switch req.Type {
		case msgPing:
		case msgCancel:
			sc.cancelRequest(req.ID)
		case msgSetting:
			sc.settings.answer(req)
		default:
			select {
			case reqs <- req:
			case <-sc.ctx.Done():
				return sc.ctx.Err()
			}
		}
	}
}

// heartbeats tells the client that a long call is still running, whenever
// nothing else was written for a heartbeat interval.
func (sc *serverConn) heartbeats() {
	every := sc.srv.cfg.HeartbeatInterval
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-sc.ctx.Done():
			return
		case <-t.C:
		}
		sc.mu.Lock()
		id := sc.current
		sc.mu.Unlock()
		if id == 0 {
			continue
		}
		sc.wmu.Lock()
		quiet := time.Since(sc.lastWrite) >= every
		sc.wmu.Unlock()
		if quiet {
			sc.write(&reply{Type: msgHeartbeat, ID: id})
		}
	}
}

// write sends one message. A failed write leaves the gob stream unusable,
// so it closes the connection.
func (sc *serverConn) write(r *reply) error {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.conn.SetWriteDeadline(time.Now().Add(sc.srv.cfg.HeartbeatTimeout))
	if err := sc.enc.Encode(r); err != nil {
		sc.conn.Close()
		return fmt.Errorf("writing result: %w", err)
	}
	sc.lastWrite = time.Now()
	return nil
}

func (sc *serverConn) cancelRequest(id uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	switch {
	case id == sc.current && sc.cancelCurrent != nil:
		sc.cancelCurrent()
	case id > sc.started:
		sc.pendingCancel = id
	}
	// Otherwise the request already finished: a cancel that crossed its
	// result on the wire.
}

// begin marks request id as running, interruptible by cancel.
func (sc *serverConn) begin(id uint64, cancel context.CancelFunc) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.current, sc.started, sc.cancelCurrent = id, id, cancel
	if sc.pendingCancel == id {
		cancel()
		sc.pendingCancel = 0
	}
}

func (sc *serverConn) end() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.current, sc.cancelCurrent = 0, nil
}

func (sc *serverConn) work(reqs <-chan *request) {
	for req := range reqs {
		if req.Type == msgCloseRows {
			sc.closeCursor(req.Cursor)
			continue
		}
		rep, last := sc.exec(req)
		if err := sc.write(rep); err != nil || last {
			return
		}
	}
}

// exec runs one request and returns its result; last is set when the
// session is over.
func (sc *serverConn) exec(req *request) (rep *reply, last bool) {
	rep = &reply{Type: msgResult, ID: req.ID}
	if sc.sess == nil && req.Type != msgOpen {
		rep.Err = &wireError{Code: "08P01", Message: "forward: request before the session was opened"}
		return rep, true
	}
	ctx, cancel := context.WithCancel(sc.ctx)
	keep := false // the context lives on in a cursor
	defer func() {
		if !keep {
			cancel()
		}
	}()
	interrupt := cancel
	var cur *cursor
	if req.Type == msgFetch {
		// Interrupting a fetch interrupts the rows' own context.
		if cur = sc.cursors[req.Cursor]; cur != nil {
			interrupt = cur.cancel
		}
	}
	sc.begin(req.ID, interrupt)
	sc.settings.set(req.ID, req.Settings)
	defer func() {
		sc.settings.set(0, nil)
		sc.end()
		if sc.sess != nil {
			rep.InTx = sc.sess.InTx()
		}
		rep.Position = sc.srv.cfg.Position()
	}()

	var err error
	switch req.Type {
	case msgOpen, msgDescribe, msgQuery, msgBegin, msgColumnType:
		// Calls that start work; a transaction already under way may
		// still end (commit, rollback) on a node that stepped down.
		err = sc.serving()
	}
	if err != nil {
		rep.Err = toWire(err)
		return rep, false
	}
	switch req.Type {
	case msgOpen:
		if sc.sess != nil {
			err = engine.Errorf("08P01", "forward: session already open")
			break
		}
		sc.sess, err = sc.srv.cfg.Engine.Open(ctx, req.Database, engine.SessionInfo{User: req.User, Settings: sc.settings.lookup})
		last = err != nil
	case msgDescribe:
		rep.Desc, err = sc.sess.Describe(ctx, req.Query, req.Stmt)
	case msgQuery:
		// Every value takes at least one byte, which bounds the count.
		if req.NArgs < 0 || req.NArgs > len(req.Args) {
			err = engine.Errorf("08P01", "forward: bad argument count %d", req.NArgs)
			break
		}
		args := make([]any, req.NArgs)
		if err = decodeValues(req.Args, args); err != nil {
			err = engine.Errorf("08P01", "forward: decoding arguments: %v", err)
			break
		}
		var rows engine.Rows
		if rows, err = sc.sess.Query(ctx, req.Query, args, req.Stmt); err != nil {
			break
		}
		rep.Columns = rows.Columns()
		sc.nextCursor++
		cur := &cursor{id: sc.nextCursor, rows: rows, ncols: len(rep.Columns), ctx: ctx, cancel: cancel}
		if sc.fill(rep, cur) {
			sc.cursors[cur.id] = cur
			keep = true
		}
	case msgFetch:
		if cur == nil {
			err = engine.Errorf("34000", "forward: cursor %d does not exist", req.Cursor)
			break
		}
		if !sc.fill(rep, cur) {
			delete(sc.cursors, cur.id)
		}
	case msgBegin:
		err = sc.sess.Begin(ctx, req.Tx)
	case msgCommit:
		err = sc.sess.Commit(ctx)
	case msgRollback:
		err = sc.sess.Rollback(ctx)
	case msgSavepoint:
		err = sc.sess.Savepoint(ctx, req.Name)
	case msgRelease:
		err = sc.sess.ReleaseSavepoint(ctx, req.Name)
	case msgRollbackTo:
		err = sc.sess.RollbackToSavepoint(ctx, req.Name)
	case msgColumnType:
		rep.Decl, rep.OK = sc.sess.ColumnType(ctx, req.Name, req.Column)
	case msgClose:
		for id := range sc.cursors {
			sc.closeCursor(id)
		}
		err = sc.sess.Close()
		sc.sess = nil
		last = true
	default:
		err = engine.Errorf("08P01", "forward: unknown request type %d", req.Type)
		last = true
	}
	rep.Err = toWire(err)
	return rep, last
}

// fill reads the next batch of cur into rep and reports whether rows
// remain; when they do not, it closes cur.
func (sc *serverConn) fill(rep *reply, cur *cursor) (more bool) {
	dest := make([]any, cur.ncols)
	var (
		buf []byte
		err error
	)
	for rep.NRows < sc.srv.cfg.BatchRows && len(buf) < sc.srv.cfg.BatchBytes {
		if err = cur.rows.Next(dest); err != nil {
			break
		}
		nb, aerr := appendValues(buf, dest)
		if aerr != nil {
			err = engine.Errorf("XX000", "forward: %v", aerr)
			break
		}
		buf = nb
		rep.NRows++
		clear(dest)
	}
	rep.Rows = buf
	if err == nil {
		rep.Cursor = cur.id
		return true
	}
	if !errors.Is(err, io.EOF) {
		rep.RowsErr = toWire(err)
	}
	rep.Affected = cur.rows.RowsAffected()
	if cerr := cur.rows.Close(); cerr != nil && rep.RowsErr == nil {
		rep.RowsErr = toWire(cerr)
	}
	cur.cancel()
	return false
}

func (sc *serverConn) closeCursor(id uint64) {
	cur := sc.cursors[id]
	if cur == nil {
		return
	}
	delete(sc.cursors, id)
	cur.rows.Close()
	cur.cancel()
}
