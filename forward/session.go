package forward

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// ClientConfig tunes a forwarded Session's failure detection.
type ClientConfig struct {
	// HeartbeatInterval is how often the session pings the primary so
	// that the primary can tell a live idle session from a dead one; 0
	// means 1 s. It must be well below the server's HeartbeatTimeout.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a call waits without hearing anything
	// (results or heartbeats) before it declares the connection lost; 0
	// means 10 s.
	HeartbeatTimeout time.Duration
}

// maxLearnedSettings bounds the setting names a Session remembers.
const maxLearnedSettings = 256

// Session is an engine.Session whose calls run on the primary through a
// Server. Like any engine.Session it is used by one goroutine at a time;
// only context cancellation comes from elsewhere.
type Session struct {
	cfg  ClientConfig
	conn net.Conn
	db   string
	info engine.SessionInfo

	wmu sync.Mutex // serializes writes: requests, cancels, pings
	enc *gob.Encoder

	mu      sync.Mutex // one call at a time; guards everything below
	dec     *gob.Decoder
	nextID  uint64
	inTx    bool
	closed  bool
	learned []string // setting names the server asked for
	asked   int      // questions answered, for tests

	broken   atomic.Bool
	cause    atomic.Pointer[error] // why the connection broke
	pos      atomic.Uint64
	stopPing chan struct{}
	pingDone chan struct{}
}

var _ engine.Session = (*Session)(nil)

// Open starts a session on database at the primary served on c, with the
// default ClientConfig. The Session owns c from then on and closes it; on
// error c is closed too.
func Open(ctx context.Context, c net.Conn, database string, info engine.SessionInfo) (*Session, error) {
	return OpenConfig(ctx, c, database, info, ClientConfig{})
}

// OpenConfig is Open with explicit failure-detection settings.
func OpenConfig(ctx context.Context, c net.Conn, database string, info engine.SessionInfo, cfg ClientConfig) (*Session, error) {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.HeartbeatTimeout <= 0 {
		cfg.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	setKeepAlive(c)
	s := &Session{
		cfg:      cfg,
		conn:     c,
		db:       database,
		info:     info,
		enc:      gob.NewEncoder(c),
		dec:      gob.NewDecoder(c),
		stopPing: make(chan struct{}),
		pingDone: make(chan struct{}),
	}
	go s.pings()
	if _, err := s.call(ctx, &request{Type: msgOpen, Database: database, User: info.User}, classRead); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// LastPosition is the highest TxID the primary reported after this
// session's calls.
func (s *Session) LastPosition() uint64 { return s.pos.Load() }

// Broken reports whether the connection failed; the caller then discards
// the session.
func (s *Session) Broken() bool { return s.broken.Load() }

func (s *Session) Database() string { return s.db }

func (s *Session) InTx() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx
}

// pings keeps the primary from presuming this session dead while it is
// idle, or while a long call runs.
func (s *Session) pings() {
	defer close(s.pingDone)
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopPing:
			return
		case <-t.C:
		}
		if err := s.send(&request{Type: msgPing}); err != nil {
			s.fail(err)
			return
		}
	}
}

// send writes one message. A failed or partial write leaves the gob
// stream unusable; the caller breaks the session.
func (s *Session) send(r *request) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.broken.Load() {
		return errors.New("connection to the primary is broken")
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.cfg.HeartbeatTimeout))
	if err := s.enc.Encode(r); err != nil {
		return fmt.Errorf("sending request to the primary: %w", err)
	}
	return nil
}

// fail marks the session broken and closes the connection, which also
// ends a call waiting on it.
func (s *Session) fail(cause error) {
	if s.broken.CompareAndSwap(false, true) {
		s.cause.Store(&cause)
		s.conn.Close()
	}
}

// failure is the error that broke the connection, if any.
func (s *Session) failure() error {
	if p := s.cause.Load(); p != nil {
		return *p
	}
	return nil
}

// shutdown stops the pinger and closes the connection.
func (s *Session) shutdown() {
	select {
	case <-s.stopPing:
	default:
		close(s.stopPing)
	}
	<-s.pingDone
	s.conn.Close()
}

// call sends req and waits for its result, mirroring the server's InTx.
// class decides the error when the connection breaks.
func (s *Session) call(ctx context.Context, req *request, class callClass) (*reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callLocked(ctx, req, class)
}

func (s *Session) callLocked(ctx context.Context, req *request, class callClass) (*reply, error) {
	if s.closed {
		return nil, engine.Errorf("08003", "forwarded session is closed")
	}
	inTx := s.inTx
	if s.broken.Load() {
		if class == classRollback || class == classCommit {
			s.inTx = false
		}
		return nil, brokenError(class, inTx, s.failure())
	}
	lost := func(err error) error {
		s.fail(err)
		if class == classRollback || class == classCommit {
			s.inTx = false
		}
		return lostError(class, inTx, err)
	}
	if req.Stmt.UsesCatalog {
		req.Settings = s.settingsSnapshot()
	}
	s.nextID++
	req.ID = s.nextID
	if err := s.send(req); err != nil {
		return nil, lost(err)
	}
	// The cancel travels on its own; the call still waits for the
	// result, which then reports the interruption (57014).
	unwatch := context.AfterFunc(ctx, func() { s.send(&request{Type: msgCancel, ID: req.ID}) })
	defer unwatch()
	for {
		s.conn.SetReadDeadline(time.Now().Add(s.cfg.HeartbeatTimeout))
		r := new(reply) // gob leaves absent fields alone: never reuse
		if err := s.dec.Decode(r); err != nil {
			if prior := s.failure(); prior != nil {
				err = prior // the pinger or a cancel found it dead first
			}
			return nil, lost(fmt.Errorf("waiting for the primary: %w", err))
		}
		switch r.Type {
		case msgHeartbeat:
			continue
		case msgSettingReq:
			if err := s.answerSetting(r); err != nil {
				return nil, lost(err)
			}
			continue
		case msgResult:
		default:
			return nil, lost(fmt.Errorf("protocol error: unexpected message type %d from the primary", r.Type))
		}
		if r.ID != req.ID {
			return nil, lost(fmt.Errorf("protocol error: result for request %d while waiting for %d", r.ID, req.ID))
		}
		s.inTx = r.InTx
		for {
			p := s.pos.Load()
			if r.Position <= p || s.pos.CompareAndSwap(p, r.Position) {
				break
			}
		}
		if r.Err != nil {
			return r, r.Err.engineError()
		}
		return r, nil
	}
}

// answerSetting answers the server's question about a setting and
// remembers the name, so that later catalog statements carry its value.
func (s *Session) answerSetting(r *reply) error {
	var (
		v  string
		ok bool
	)
	if s.info.Settings != nil {
		v, ok = s.info.Settings(r.Name)
	}
	s.asked++
	if len(s.learned) < maxLearnedSettings {
		known := false
		for _, n := range s.learned {
			if n == r.Name {
				known = true
				break
			}
		}
		if !known {
			s.learned = append(s.learned, r.Name)
		}
	}
	return s.send(&request{Type: msgSetting, ID: r.ID, Seq: r.Seq, Name: r.Name, Value: v, OK: ok})
}

func (s *Session) settingsSnapshot() []setting {
	if len(s.learned) == 0 {
		return nil
	}
	out := make([]setting, len(s.learned))
	for i, n := range s.learned {
		out[i].Name = n
		if s.info.Settings != nil {
			out[i].Value, out[i].OK = s.info.Settings(n)
		}
	}
	return out
}

func (s *Session) Describe(ctx context.Context, query string, opt engine.StmtOptions) (*engine.Description, error) {
	r, err := s.call(ctx, &request{Type: msgDescribe, Query: query, Stmt: opt}, classRead)
	if err != nil {
		return nil, err
	}
	if r.Desc == nil {
		return &engine.Description{}, nil
	}
	return r.Desc, nil
}

func (s *Session) Query(ctx context.Context, query string, args []any, opt engine.StmtOptions) (engine.Rows, error) {
	enc, err := appendValues(nil, args)
	if err != nil {
		return nil, engine.Errorf("22023", "forward: %v", err)
	}
	class := classRead
	if !opt.ReadOnly {
		class = classWrite
	}
	r, err := s.call(ctx, &request{Type: msgQuery, Query: query, Args: enc, NArgs: len(args), Stmt: opt}, class)
	if err != nil {
		return nil, err
	}
	rows := &remoteRows{s: s, ctx: ctx, cols: r.Columns}
	if err := rows.load(r); err != nil {
		rows.Close()
		return nil, err
	}
	return rows, nil
}

func (s *Session) Begin(ctx context.Context, opt engine.TxOptions) error {
	_, err := s.call(ctx, &request{Type: msgBegin, Tx: opt}, classRead)
	return err
}

func (s *Session) Commit(ctx context.Context) error {
	_, err := s.call(ctx, &request{Type: msgCommit}, classCommit)
	return err
}

// Rollback succeeds whenever the connection is gone: the primary rolls
// back a session whose connection drops.
func (s *Session) Rollback(ctx context.Context) error {
	_, err := s.call(ctx, &request{Type: msgRollback}, classRollback)
	return err
}

func (s *Session) Savepoint(ctx context.Context, name string) error {
	_, err := s.call(ctx, &request{Type: msgSavepoint, Name: name}, classRead)
	return err
}

func (s *Session) ReleaseSavepoint(ctx context.Context, name string) error {
	_, err := s.call(ctx, &request{Type: msgRelease, Name: name}, classRead)
	return err
}

func (s *Session) RollbackToSavepoint(ctx context.Context, name string) error {
	_, err := s.call(ctx, &request{Type: msgRollbackTo, Name: name}, classRead)
	return err
}

func (s *Session) ColumnType(ctx context.Context, table, column string) (string, bool) {
	r, err := s.call(ctx, &request{Type: msgColumnType, Name: table, Column: column}, classRead)
	if err != nil {
		return "", false
	}
	return r.Decl, r.OK
}

// Close ends the session on the primary (rolling back an open
// transaction) and closes the connection. After a break it succeeds
// locally.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	var err error
	if !s.broken.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HeartbeatTimeout)
		_, err = s.callLocked(ctx, &request{Type: msgClose}, classRollback)
		cancel()
	}
	s.closed = true
	s.inTx = false
	s.shutdown()
	return err
}
