package dqlite

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/canonical/go-dqlite/client"
)

// go-dqlite honours a context's deadline but not its cancellation, and a
// request blocks in a socket read until the leader answers. To cancel, we
// own the sockets: every connection the driver dials is a watchConn, and
// poisoning one sets a deadline in the past that no later SetDeadline can
// lift. The blocked read fails with a timeout, go-dqlite marks the
// connection broken, and the server rolls back whatever the connection had
// open when the socket closes.

// pastDeadline is any instant already gone.
var pastDeadline = time.Unix(1, 0)

type watchConn struct {
	net.Conn
	addr string

	mu       sync.Mutex
	poisoned bool
	closed   bool
}

func (w *watchConn) SetDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.poisoned {
		t = pastDeadline
	}
	return w.Conn.SetDeadline(t)
}

func (w *watchConn) SetReadDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.poisoned {
		t = pastDeadline
	}
	return w.Conn.SetReadDeadline(t)
}

func (w *watchConn) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.poisoned {
		t = pastDeadline
	}
	return w.Conn.SetWriteDeadline(t)
}

// poison makes every pending and future read and write fail at once.
func (w *watchConn) poison() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.poisoned = true
	w.Conn.SetDeadline(pastDeadline)
}

func (w *watchConn) isPoisoned() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.poisoned
}

func (w *watchConn) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.Conn.Close()
}

func (w *watchConn) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// dialTracker collects the sockets dialed while one driver connection is
// being established. go-dqlite's connector may dial several nodes (ours,
// to ask who leads, then the leader); the one left open is the connection.
type dialTracker struct {
	mu    sync.Mutex
	conns []*watchConn
}

type dialTrackerKey struct{}

func (t *dialTracker) add(w *watchConn) {
	t.mu.Lock()
	t.conns = append(t.conns, w)
	t.mu.Unlock()
}

// live returns the last dialed connection that is still open.
func (t *dialTracker) live() *watchConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.conns) - 1; i >= 0; i-- {
		if !t.conns[i].isClosed() {
			return t.conns[i]
		}
	}
	return nil
}

// trackingDial wraps dial so that every socket is a watchConn reported to
// the dialTracker found in the context, if any.
func trackingDial(dial client.DialFunc) client.DialFunc {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		w := &watchConn{Conn: c, addr: addr}
		if t, ok := ctx.Value(dialTrackerKey{}).(*dialTracker); ok {
			t.add(w)
		}
		return w, nil
	}
}
