package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// DefaultHandshakeTimeout bounds a handshake on either side.
const DefaultHandshakeTimeout = 5 * time.Second

// keepAlive detects a vanished host on an idle connection in about 30 s.
// (A stopped process on a live host still answers keepalives; the services
// on top run their own heartbeats for that.)
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// Config configures a Transport.
type Config struct {
	NodeID    string
	ClusterID string
	// Secret enables TLS with keys derived from it; nil means plaintext
	// (the cluster id is still checked). It must be 16, 24 or 32 bytes.
	Secret []byte
	// HandshakeTimeout bounds each handshake; 0 means 5 s.
	HandshakeTimeout time.Duration
	// Logger receives handshake failures; nil discards.
	Logger *slog.Logger
}

// Handler serves one accepted connection. ctx is cancelled when the
// Transport closes; the Transport closes c when the handler returns.
type Handler func(ctx context.Context, c *Conn)

// Transport dials and accepts authenticated peer connections. See the
// package documentation for the handshake.
type Transport struct {
	cfg  Config
	log  *slog.Logger
	tls  *tls.Config // nil without a secret
	ctx  context.Context
	stop context.CancelFunc

	mu        sync.Mutex
	handlers  map[Kind]Handler
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	closed    bool
	wg        sync.WaitGroup // accepted connections: handshakes and handlers
}

// New validates cfg and returns a Transport. It does not listen; call
// Serve with a listener.
func New(cfg Config) (*Transport, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("peer: node id is empty")
	}
	if len(cfg.NodeID) > maxIDLen {
		return nil, fmt.Errorf("peer: node id is longer than %d bytes", maxIDLen)
	}
	if len(cfg.ClusterID) > maxIDLen {
		return nil, fmt.Errorf("peer: cluster id is longer than %d bytes", maxIDLen)
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		cfg:       cfg,
		log:       cfg.Logger,
		handlers:  map[Kind]Handler{},
		listeners: map[net.Listener]struct{}{},
		conns:     map[*Conn]struct{}{},
	}
	if len(cfg.Secret) > 0 {
		tc, err := TLSConfig(cfg.Secret, cfg.ClusterID)
		if err != nil {
			return nil, fmt.Errorf("peer: %w", err)
		}
		t.tls = tc
	}
	t.ctx, t.stop = context.WithCancel(context.Background())
	return t, nil
}

// Handle registers h for connections of kind k, replacing any previous
// handler. Connections of a kind without a handler are refused in the
// handshake.
func (t *Transport) Handle(k Kind, h Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handlers[k] = h
}

// Serve accepts connections on ln until Close, which makes it return nil.
// It may be called for several listeners.
func (t *Transport) Serve(ln net.Listener) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		ln.Close()
		return nil
	}
	t.listeners[ln] = struct{}{}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.listeners, ln)
		t.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		raw, err := ln.Accept()
		if err != nil {
			if t.isClosed() {
				return nil
			}
			// Running out of file descriptors is temporary; anything
			// else ends this listener.
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				t.log.Warn("peer: accept failed, retrying", "err", err, "backoff", backoff)
				select {
				case <-time.After(backoff):
				case <-t.ctx.Done():
					return nil
				}
				continue
			}
			return fmt.Errorf("peer: accepting connections: %w", err)
		}
		backoff = 0
		if !t.track() {
			raw.Close()
			return nil
		}
		go t.serveConn(raw)
	}
}

// track counts one more accepted connection unless the Transport is
// closing; Close waits for the count to drop to zero.
func (t *Transport) track() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *Transport) serveConn(raw net.Conn) {
	defer t.wg.Done()
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetKeepAliveConfig(keepAlive)
	}
	// Close must interrupt a handshake in progress too.
	unwatch := context.AfterFunc(t.ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	conn, k, remoteID, err := t.serverHandshake(raw)
	if !unwatch() && err == nil {
		err = errors.New("transport closed")
	}
	if err != nil {
		raw.Close()
		if !t.isClosed() {
			t.log.Warn("peer: rejected connection", "remote", raw.RemoteAddr().String(), "err", err)
		}
		return
	}
	conn.SetDeadline(time.Time{})
	c, ok := t.register(conn, remoteID, k)
	if !ok {
		return
	}
	defer c.Close()
	t.mu.Lock()
	h := t.handlers[k]
	t.mu.Unlock()
	t.log.Debug("peer: accepted connection", "remote", c.RemoteAddr().String(), "node", remoteID, "kind", k.String())
	h(t.ctx, c)
}

// register wraps an established connection and tracks it, or closes it
// when the Transport closed meanwhile.
func (t *Transport) register(conn net.Conn, remoteID string, k Kind) (*Conn, bool) {
	c := &Conn{Conn: conn, RemoteID: remoteID, Kind: k, t: t}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		conn.Close()
		return nil, false
	}
	t.conns[c] = struct{}{}
	return c, true
}

func (t *Transport) forget(c *Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
}

// Dial connects to the peer at addr for traffic of kind k. The handshake
// is bounded by ctx and by the handshake timeout.
func (t *Transport) Dial(ctx context.Context, addr string, k Kind) (*Conn, error) {
	if t.isClosed() {
		return nil, errors.New("peer: transport closed")
	}
	d := net.Dialer{KeepAliveConfig: keepAlive}
	hctx, cancel := context.WithTimeout(ctx, t.cfg.HandshakeTimeout)
	defer cancel()
	raw, err := d.DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dialling peer %s: %w", addr, err)
	}
	deadline, _ := hctx.Deadline()
	raw.SetDeadline(deadline)
	// Cancelling ctx or closing the Transport aborts the handshake by
	// expiring the deadline under it.
	abort := func() { raw.SetDeadline(time.Unix(1, 0)) }
	unwatchCtx := context.AfterFunc(hctx, abort)
	unwatchT := context.AfterFunc(t.ctx, abort)
	conn, remoteID, err := t.clientHandshake(raw, addr, k)
	okCtx, okT := unwatchCtx(), unwatchT()
	if err == nil && (!okCtx || !okT) {
		err = fmt.Errorf("handshake with peer %s aborted", addr)
	}
	if err != nil {
		raw.Close()
		if !okT {
			return nil, errors.New("peer: transport closed")
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w: %w", err, cerr)
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	c, ok := t.register(conn, remoteID, k)
	if !ok {
		return nil, errors.New("peer: transport closed")
	}
	return c, nil
}

// Close stops every listener, cancels the handlers' context, closes every
// live connection (dialled and accepted) and waits for the handlers to
// return. It is safe to call more than once.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.wg.Wait()
		return nil
	}
	t.closed = true
	t.stop()
	for ln := range t.listeners {
		ln.Close()
	}
	conns := make([]*Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	return nil
}
