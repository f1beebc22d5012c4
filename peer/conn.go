package peer

import (
	"net"
	"sync"
)

// Conn is an established peer connection: after the handshake it is an
// ordinary net.Conn (TLS-wrapped when the cluster has a secret) dedicated to
// one Kind of traffic. The Transport that made it closes it on Close.
type Conn struct {
	net.Conn
	RemoteID string // node id the peer announced (authenticated only with a secret)
	Kind     Kind

	t    *Transport
	once sync.Once
	err  error
}

// Close closes the connection and forgets it in the Transport. It is safe
// to call more than once and from several goroutines.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.t.forget(c)
		c.err = c.Conn.Close()
	})
	return c.err
}
