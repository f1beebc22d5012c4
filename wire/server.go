package wire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// Config configures a Server.
type Config struct {
	Engine engine.Engine
	// TLS, when set, is offered to clients that send SSLRequest.
	TLS *tls.Config
	// Password, when set, must be presented by every user; AuthMethod picks
	// how ("scram-sha-256" by default, "md5" or "password").
	Password   string
	AuthMethod string
	// MaxMessageSize bounds any single frontend message (default 64 MiB).
	MaxMessageSize int
	// ServerVersion is reported as server_version (default 15.0).
	ServerVersion string
	// NodeID names this server in version() and logs.
	NodeID  string
	Logger  *slog.Logger
	Metrics *Metrics
	// Standby, if set, reports whether this node is a replica when a
	// session starts: in_hot_standby is then on, so libpq's
	// target_session_attrs=read-write picks the primary and =standby a
	// replica (writes still work on replicas: they are forwarded).
	Standby func() bool
	// OnPanic, if set, is called after a connection's panic was recovered
	// and logged (tests use it to fail).
	OnPanic func(any)
}

// Server accepts PostgreSQL connections and serves them from an Engine.
type Server struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	ln       []net.Listener
	conns    map[*clientConn]struct{}
	draining bool
	wg       sync.WaitGroup

	nextPID atomic.Uint32
	keys    sync.Map // BackendKeyData pid → *clientConn, for CancelRequest
}

// New creates a Server.
func New(cfg Config) *Server {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 64 << 20
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "15.0"
	}
	if cfg.AuthMethod == "" {
		cfg.AuthMethod = "scram-sha-256"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, conns: map[*clientConn]struct{}{}}
	var seed [4]byte
	rand.Read(seed[:])
	s.nextPID.Store(binary.BigEndian.Uint32(seed[:]) & 0x3fffffff)
	return s
}

// Serve accepts connections on ln until ln is closed or Shutdown is called.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.ln = append(s.ln, ln)
	s.mu.Unlock()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("accepting connections: %w", err)
		}
		delay = 0
		if !s.track(nc) {
			nc.Close()
			continue
		}
	}
}

// track registers a new connection and starts serving it; false while
// draining.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	c := newClientConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	return true
}

// Connections reports the number of open client connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown stops accepting, lets in-flight statements finish until ctx is
// done, then cancels what still runs; every connection's open transaction is
// rolled back when its session closes. It returns when all connections have
// ended.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for _, ln := range s.ln {
		ln.Close()
	}
	for c := range s.conns {
		c.drain()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.kill()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

func (s *Server) allocKey(c *clientConn) (pid, secret uint32) {
	pid = s.nextPID.Add(1) & 0x3fffffff
	var b [4]byte
	rand.Read(b[:])
	secret = binary.BigEndian.Uint32(b[:])
	s.keys.Store(pid, c)
	return pid, secret
}

// cancel handles a CancelRequest: like PostgreSQL it never answers, and only
// acts when the secret matches.
func (s *Server) cancel(pid, secret uint32) {
	v, ok := s.keys.Load(pid)
	if !ok {
		return
	}
	c := v.(*clientConn)
	if c.secret == secret {
		c.cancelStatement()
	}
}
