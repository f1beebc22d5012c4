package peer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects a Transport's log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type node struct {
	t    *Transport
	addr string
	log  *logBuffer
	done chan error // Serve's result
}

// start creates a Transport listening on 127.0.0.1:0.
func start(t *testing.T, cfg Config) *node {
	t.Helper()
	lb := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: tr, addr: ln.Addr().String(), log: lb, done: make(chan error, 1)}
	go func() { n.done <- tr.Serve(ln) }()
	t.Cleanup(func() {
		tr.Close()
		select {
		case err := <-n.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return n
}

// client creates a Transport that only dials.
func client(t *testing.T, cfg Config) *Transport {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func secret(t *testing.T) []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

type accepted struct {
	remoteID string
	kind     Kind
}

// echo registers an echo handler for k that reports each connection.
func echo(n *node, k Kind) chan accepted {
	ch := make(chan accepted, 16)
	n.t.Handle(k, func(ctx context.Context, c *Conn) {
		ch <- accepted{c.RemoteID, c.Kind}
		io.Copy(c, c)
	})
	return ch
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Fatalf("echo: got %q, want %q", got, msg)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
	}{{"plaintext", nil}, {"tls", secret(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: tc.secret})
			ch := echo(srv, KindStream)
			cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: tc.secret})
			ctx := context.Background()
			c, err := cl.Dial(ctx, srv.addr, KindStream)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.RemoteID != "n1" || c.Kind != KindStream {
				t.Fatalf("dialled conn: RemoteID %q Kind %v", c.RemoteID, c.Kind)
			}
			got := <-ch
			if got.remoteID != "n2" || got.kind != KindStream {
				t.Fatalf("accepted conn: %+v", got)
			}
			_, isTLS := c.Conn.(*tls.Conn)
			if isTLS != (tc.secret != nil) {
				t.Fatalf("TLS = %v with secret %v", isTLS, tc.secret != nil)
			}
			if isTLS {
				if v := c.Conn.(*tls.Conn).ConnectionState().Version; v != tls.VersionTLS13 {
					t.Fatalf("TLS version %x", v)
				}
			}
			// No handshake deadline lingers on either side.
			roundTrip(t, c, "hello")
			time.Sleep(10 * time.Millisecond)
			roundTrip(t, c, strings.Repeat("x", 1<<20))
		})
	}
}

func TestWrongSecret(t *testing.T) {
	srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: secret(t)})
	ch := echo(srv, KindStream)
	cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: secret(t)})
	_, err := cl.Dial(context.Background(), srv.addr, KindStream)
	if err == nil || !strings.Contains(err.Error(), "cluster secret") {
		t.Fatalf("Dial with a wrong secret: %v", err)
	}
	waitFor(t, "server to log the rejection", func() bool { return strings.Contains(srv.log.String(), "TLS handshake with peer") })
	select {
	case a := <-ch:
		t.Fatalf("handler ran for %+v", a)
	default:
	}
}

func TestWrongClusterID(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
	}{{"plaintext", nil}, {"tls", secret(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, Config{NodeID: "n1", ClusterID: "b", Secret: tc.secret})
			echo(srv, KindStream)
			cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: tc.secret})
			_, err := cl.Dial(context.Background(), srv.addr, KindStream)
			want := `peer ` + srv.addr + ` belongs to cluster "b", this node to "a"`
			if err == nil || err.Error() != want {
				t.Fatalf("Dial: %v, want %q", err, want)
			}
			waitFor(t, "server to log the mismatch", func() bool {
				return strings.Contains(srv.log.String(), `belongs to cluster \"a\", this node to \"b\"`)
			})
		})
	}
}

func TestSecretOnOneSideOnly(t *testing.T) {
	srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: secret(t)})
	echo(srv, KindStream)
	cl := client(t, Config{NodeID: "n2", ClusterID: "a"})
	_, err := cl.Dial(context.Background(), srv.addr, KindStream)
	if err == nil || !strings.Contains(err.Error(), "has a cluster secret but this node has none") {
		t.Fatalf("Dial: %v", err)
	}
	waitFor(t, "server to log the mismatch", func() bool {
		return strings.Contains(srv.log.String(), "has no cluster secret but this node has one")
	})
}

func TestUnknownKind(t *testing.T) {
	srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: secret(t)})
	echo(srv, KindStream)
	cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: srv.t.cfg.Secret})
	_, err := cl.Dial(context.Background(), srv.addr, KindVote)
	if err == nil || !strings.Contains(err.Error(), "unknown connection kind vote") {
		t.Fatalf("Dial: %v", err)
	}
	_, err = cl.Dial(context.Background(), srv.addr, Kind(42))
	if err == nil || !strings.Contains(err.Error(), "unknown connection kind kind(42)") {
		t.Fatalf("Dial: %v", err)
	}
	// The refused kinds did not poison anything.
	c, err := cl.Dial(context.Background(), srv.addr, KindStream)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "ok")
	c.Close()
}

// Close cancels the handlers' context, closes accepted and dialled
// connections, makes Serve return and waits for the handlers.
func TestCloseUnblocks(t *testing.T) {
	sec := secret(t)
	srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: sec})
	var (
		started = make(chan struct{}, 2)
		ended   sync.WaitGroup
	)
	ended.Add(2)
	// One handler blocks on its context, the other on reading.
	srv.t.Handle(KindVote, func(ctx context.Context, c *Conn) {
		defer ended.Done()
		started <- struct{}{}
		<-ctx.Done()
	})
	srv.t.Handle(KindSession, func(ctx context.Context, c *Conn) {
		defer ended.Done()
		started <- struct{}{}
		io.Copy(io.Discard, c)
	})
	cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: sec})
	c1, err := cl.Dial(context.Background(), srv.addr, KindVote)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := cl.Dial(context.Background(), srv.addr, KindSession)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	<-started

	closed := make(chan struct{})
	go func() { srv.t.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	ended.Wait() // Close returned only after the handlers did
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		srv.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	// The client sees its connections closed by the server.
	for _, c := range []*Conn{c1, c2} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read after server Close: %v", err)
		}
	}
	if _, err := net.DialTimeout("tcp", srv.addr, time.Second); err == nil {
		t.Fatal("listener still accepting after Close")
	}

	// Closing the dialling side closes its dialled connections too.
	srv2 := start(t, Config{NodeID: "n5", ClusterID: "a", Secret: sec})
	echo(srv2, KindStream)
	cl.Close()
	cl2 := client(t, Config{NodeID: "n6", ClusterID: "a", Secret: sec})
	c4, err := cl2.Dial(context.Background(), srv2.addr, KindStream)
	if err != nil {
		t.Fatal(err)
	}
	cl2.Close()
	if _, err := c4.Write([]byte("x")); err == nil {
		t.Fatal("write on a dialled conn after its Transport closed")
	}
	if _, err := cl2.Dial(context.Background(), srv2.addr, KindStream); err == nil {
		t.Fatal("Dial after Close succeeded")
	}
}

// A client sending garbage, or nothing, is dropped without hurting anyone
// else.
func TestGarbageClient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
	}{{"plaintext", nil}, {"tls", secret(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, Config{NodeID: "n1", ClusterID: "a", Secret: tc.secret, HandshakeTimeout: 300 * time.Millisecond})
			echo(srv, KindStream)

			expectDropped := func(c net.Conn) {
				t.Helper()
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err := io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("server did not drop the connection")
				}
			}
			// Random bytes.
			g, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			junk := make([]byte, 4096)
			rand.Read(junk)
			g.Write(junk)
			expectDropped(g)
			g.Close()

			// A valid preamble followed by garbage (where TLS or the
			// hello would start).
			g, err = net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			writePreamble(g, preamble{version: version, tls: tc.secret != nil, clusterID: "a"})
			g.Write(junk)
			expectDropped(g)
			g.Close()

			// A hello claiming a long node id, then silence.
			silent, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			if tc.secret == nil {
				writePreamble(silent, preamble{version: version, clusterID: "a"})
				silent.Write([]byte{byte(KindStream), 200, 'x'})
			}
			// Meanwhile a real peer gets through.
			cl := client(t, Config{NodeID: "n2", ClusterID: "a", Secret: tc.secret})
			c, err := cl.Dial(context.Background(), srv.addr, KindStream)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c, "still fine")
			c.Close()
			start := time.Now()
			expectDropped(silent)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("silent client dropped after %v", d)
			}
		})
	}
}

// Dial gives up when ctx is cancelled or the handshake times out against
// a server that accepts but never answers.
func TestDialAbort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cl := client(t, Config{NodeID: "n2", ClusterID: "a", HandshakeTimeout: 300 * time.Millisecond})
	start := time.Now()
	if _, err := cl.Dial(context.Background(), ln.Addr().String(), KindStream); err == nil {
		t.Fatal("Dial to a mute server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("handshake timeout took %v", d)
	}
	cl = client(t, Config{NodeID: "n2", ClusterID: "a"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	_, err = cl.Dial(ctx, ln.Addr().String(), KindStream)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial with a cancelled ctx: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %v", d)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{NodeID: "n", ClusterID: "a", Secret: make([]byte, 20)}); err == nil || !strings.Contains(err.Error(), "16, 24 or 32") {
		t.Fatalf("20-byte secret: %v", err)
	}
	if _, err := New(Config{ClusterID: "a"}); err == nil {
		t.Fatal("empty node id accepted")
	}
	for _, n := range []int{16, 24, 32} {
		tr, err := New(Config{NodeID: "n", ClusterID: "a", Secret: make([]byte, n)})
		if err != nil {
			t.Fatalf("%d-byte secret: %v", n, err)
		}
		tr.Close()
	}
}

func TestDecodeSecret(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(250 + i) // exercises the alphabet-specific characters
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		got, err := DecodeSecret(" " + enc.EncodeToString(raw) + "\n")
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("DecodeSecret(%s): %x, %v", enc.EncodeToString(raw), got, err)
		}
	}
	for _, n := range []int{16, 24} {
		if _, err := DecodeSecret(base64.StdEncoding.EncodeToString(raw[:n])); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	for in, want := range map[string]string{
		"":     "empty",
		"!!!!": "not valid base64",
		base64.StdEncoding.EncodeToString(raw[:10]): "got 10",
	} {
		if _, err := DecodeSecret(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("DecodeSecret(%q): %v, want %q", in, err, want)
		}
	}
}

// Every node derives the same certificate; another cluster id or secret
// gives another key.
func TestTLSConfigDeterministic(t *testing.T) {
	sec := secret(t)
	a, err := TLSConfig(sec, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TLSConfig(sec, "a")
	c, _ := TLSConfig(sec, "b")
	d, _ := TLSConfig(secret(t), "a")
	if !bytes.Equal(a.Certificates[0].Certificate[0], b.Certificates[0].Certificate[0]) {
		t.Fatal("same secret and cluster id gave different certificates")
	}
	for _, other := range []*tls.Config{c, d} {
		if bytes.Equal(a.Certificates[0].Certificate[0], other.Certificates[0].Certificate[0]) {
			t.Fatal("different inputs gave the same certificate")
		}
	}
	if _, err := TLSConfig(nil, "a"); err == nil {
		t.Fatal("TLSConfig accepted an empty secret")
	}
}
