package peer

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// Wire format (all integers big-endian):
//
//	preamble  client: "SQLP" | version u8 | flags u8 | len u8 | cluster id
//	          server: status u8 | len u16 | text
//	[TLS 1.3 when flags has flagTLS]
//	hello     client: kind u8 | len u8 | node id
//	          server: status u8 | len u16 | server node id, or error text
const (
	magic        = "SQLP"
	version      = 1
	flagTLS      = 1 << 0
	maxIDLen     = 255
	maxReplyText = 1024
)

// Reply statuses. A mismatch gets its own status so that the dialler can
// word the error from its own point of view.
const (
	statusOK              = 0
	statusError           = 1
	statusClusterMismatch = 2 // text is the server's cluster id
	statusTLSMismatch     = 3
)

// preamble is what the dialler announces before any TLS.
type preamble struct {
	version   uint8
	tls       bool
	clusterID string
}

func writePreamble(w io.Writer, p preamble) error {
	b := make([]byte, 0, 7+len(p.clusterID))
	b = append(b, magic...)
	b = append(b, p.version, 0, byte(len(p.clusterID)))
	if p.tls {
		b[5] = flagTLS
	}
	b = append(b, p.clusterID...)
	_, err := w.Write(b)
	return err
}

// errNotPeer is returned for a connection that does not start with the
// magic: a port scanner, a PostgreSQL client on the wrong port, noise.
var errNotPeer = errors.New("not a sqlcluster peer connection (bad magic)")

func readPreamble(r io.Reader) (preamble, error) {
	var hdr [7]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return preamble{}, fmt.Errorf("reading preamble: %w", err)
	}
	if string(hdr[:4]) != magic {
		return preamble{}, errNotPeer
	}
	p := preamble{version: hdr[4], tls: hdr[5]&flagTLS != 0}
	id := make([]byte, hdr[6])
	if _, err := io.ReadFull(r, id); err != nil {
		return preamble{}, fmt.Errorf("reading preamble: %w", err)
	}
	p.clusterID = string(id)
	return p, nil
}

func writeHello(w io.Writer, k Kind, nodeID string) error {
	b := make([]byte, 0, 2+len(nodeID))
	b = append(b, byte(k), byte(len(nodeID)))
	b = append(b, nodeID...)
	_, err := w.Write(b)
	return err
}

func readHello(r io.Reader) (Kind, string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, "", fmt.Errorf("reading hello: %w", err)
	}
	id := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, id); err != nil {
		return 0, "", fmt.Errorf("reading hello: %w", err)
	}
	return Kind(hdr[0]), string(id), nil
}

func writeReply(w io.Writer, status uint8, text string) error {
	if len(text) > maxReplyText {
		text = text[:maxReplyText]
	}
	b := make([]byte, 3, 3+len(text))
	b[0] = status
	binary.BigEndian.PutUint16(b[1:], uint16(len(text)))
	b = append(b, text...)
	_, err := w.Write(b)
	return err
}

func readReply(r io.Reader) (uint8, string, error) {
	var hdr [3]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, "", err
	}
	n := binary.BigEndian.Uint16(hdr[1:])
	if n > maxReplyText {
		return 0, "", fmt.Errorf("reply text too long (%d bytes)", n)
	}
	text := make([]byte, n)
	if _, err := io.ReadFull(r, text); err != nil {
		return 0, "", err
	}
	return hdr[0], string(text), nil
}

// clientHandshake runs the dialler's side on raw (whose deadline the
// caller has set) and returns the connection to use afterwards and the
// server's node id.
func (t *Transport) clientHandshake(raw net.Conn, addr string, k Kind) (net.Conn, string, error) {
	p := preamble{version: version, tls: t.tls != nil, clusterID: t.cfg.ClusterID}
	if err := writePreamble(raw, p); err != nil {
		return nil, "", fmt.Errorf("sending preamble to peer %s: %w", addr, err)
	}
	status, text, err := readReply(raw)
	if err != nil {
		return nil, "", fmt.Errorf("reading preamble reply from peer %s: %w", addr, err)
	}
	switch status {
	case statusOK:
	case statusClusterMismatch:
		return nil, "", fmt.Errorf("peer %s belongs to cluster %q, this node to %q", addr, text, t.cfg.ClusterID)
	case statusTLSMismatch:
		if t.tls != nil {
			return nil, "", fmt.Errorf("peer %s has no cluster secret but this node has one: set the same secret on every node", addr)
		}
		return nil, "", fmt.Errorf("peer %s has a cluster secret but this node has none: set the same secret on every node", addr)
	default:
		return nil, "", fmt.Errorf("peer %s refused the connection: %s", addr, text)
	}
	conn := raw
	if t.tls != nil {
		tc := tls.Client(raw, t.tls)
		if err := tc.Handshake(); err != nil {
			return nil, "", fmt.Errorf("TLS handshake with peer %s failed (is the cluster secret the same on both nodes?): %w", addr, err)
		}
		conn = tc
	}
	if err := writeHello(conn, k, t.cfg.NodeID); err != nil {
		return nil, "", fmt.Errorf("sending hello to peer %s: %w", addr, err)
	}
	status, text, err = readReply(conn)
	if err != nil {
		return nil, "", fmt.Errorf("reading hello reply from peer %s: %w", addr, err)
	}
	if status != statusOK {
		return nil, "", fmt.Errorf("peer %s refused %s connection: %s", addr, k, text)
	}
	return conn, text, nil
}

// serverHandshake runs the accepting side on raw (whose deadline the caller
// has set). On failure it has already told the dialler why, when it could.
func (t *Transport) serverHandshake(raw net.Conn) (net.Conn, Kind, string, error) {
	addr := raw.RemoteAddr().String()
	p, err := readPreamble(raw)
	if err != nil {
		if errors.Is(err, errNotPeer) {
			writeReply(raw, statusError, err.Error())
		}
		return nil, 0, "", fmt.Errorf("peer %s: %w", addr, err)
	}
	if p.version != version {
		msg := fmt.Sprintf("unsupported peer protocol version %d (this node speaks %d)", p.version, version)
		writeReply(raw, statusError, msg)
		return nil, 0, "", fmt.Errorf("peer %s: %s", addr, msg)
	}
	if p.clusterID != t.cfg.ClusterID {
		writeReply(raw, statusClusterMismatch, t.cfg.ClusterID)
		return nil, 0, "", fmt.Errorf("peer %s belongs to cluster %q, this node to %q", addr, p.clusterID, t.cfg.ClusterID)
	}
	if p.tls != (t.tls != nil) {
		writeReply(raw, statusTLSMismatch, "")
		if t.tls != nil {
			return nil, 0, "", fmt.Errorf("peer %s has no cluster secret but this node has one: set the same secret on every node", addr)
		}
		return nil, 0, "", fmt.Errorf("peer %s has a cluster secret but this node has none: set the same secret on every node", addr)
	}
	if err := writeReply(raw, statusOK, ""); err != nil {
		return nil, 0, "", fmt.Errorf("answering preamble of peer %s: %w", addr, err)
	}
	conn := raw
	if t.tls != nil {
		tc := tls.Server(raw, t.tls)
		if err := tc.Handshake(); err != nil {
			return nil, 0, "", fmt.Errorf("TLS handshake with peer %s failed (is the cluster secret the same on both nodes?): %w", addr, err)
		}
		conn = tc
	}
	k, nodeID, err := readHello(conn)
	if err != nil {
		return nil, 0, "", fmt.Errorf("peer %s: %w", addr, err)
	}
	t.mu.Lock()
	_, ok := t.handlers[k]
	t.mu.Unlock()
	if !ok {
		msg := fmt.Sprintf("unknown connection kind %s", k)
		writeReply(conn, statusError, msg)
		return nil, 0, "", fmt.Errorf("peer %s (node %q): %s", addr, nodeID, msg)
	}
	if err := writeReply(conn, statusOK, t.cfg.NodeID); err != nil {
		return nil, 0, "", fmt.Errorf("answering hello of peer %s: %w", addr, err)
	}
	return conn, k, nodeID, nil
}
