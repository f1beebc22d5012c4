package election

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

const testTTL = 500 * time.Millisecond

// testNet routes votes between Elections of one test by PeerAddr (= node
// id), through the wire encoding, and can lose or delay messages.
type testNet struct {
	mu    sync.Mutex
	nodes map[string]*Election
	loss  float64       // probability of losing a request, and a response
	delay time.Duration // max random delay per message
	cut   map[[2]string]bool
}

func newTestNet() *testNet {
	return &testNet{nodes: map[string]*Election{}, cut: map[[2]string]bool{}}
}

func (n *testNet) set(id string, e *Election) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e == nil {
		delete(n.nodes, id)
	} else {
		n.nodes[id] = e
	}
}

// partition drops votes between a and b in both directions.
func (n *testNet) partition(a, b string, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[[2]string{a, b}], n.cut[[2]string{b, a}] = cut, cut
}

func (n *testNet) setLoss(loss float64, delay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.loss, n.delay = loss, delay
}

type netTransport struct {
	n    *testNet
	from string
}

var errDropped = errors.New("test network dropped the message")

func (t netTransport) hop(ctx context.Context) error {
	t.n.mu.Lock()
	loss, delay := t.n.loss, t.n.delay
	t.n.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(rand.N(delay)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if loss > 0 && rand.Float64() < loss {
		return errDropped
	}
	return nil
}

func (t netTransport) RequestVote(ctx context.Context, addr string, req VoteRequest) (VoteResponse, error) {
	t.n.mu.Lock()
	target, cut := t.n.nodes[addr], t.n.cut[[2]string{t.from, addr}]
	t.n.mu.Unlock()
	if target == nil {
		return VoteResponse{}, fmt.Errorf("connecting to %s: connection refused", addr)
	}
	if cut {
		return VoteResponse{}, errDropped
	}
	if err := t.hop(ctx); err != nil {
		return VoteResponse{}, err
	}
	b, err := req.MarshalBinary()
	if err != nil {
		return VoteResponse{}, err
	}
	var in VoteRequest
	if err := in.UnmarshalBinary(b); err != nil {
		return VoteResponse{}, err
	}
	resp := target.HandleVote(ctx, in)
	if err := t.hop(ctx); err != nil {
		return VoteResponse{}, err
	}
	if b, err = resp.MarshalBinary(); err != nil {
		return VoteResponse{}, err
	}
	var out VoteResponse
	err = out.UnmarshalBinary(b)
	return out, err
}

// syncBuffer collects the logs of a test, printed only if it fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// recorder checks the invariants across every node of a test: one
// primary per epoch, and OnFence epochs strictly increasing per node.
type recorder struct {
	mu       sync.Mutex
	winners  map[uint64]string
	fences   map[string]uint64
	failures []string
	// expected: a seeded bug is on, so anomalies are the point; they are
	// counted (caught) but never fail the test, even if they arrive while
	// the nodes are being stopped.
	expected bool
	caught   int
}

func (r *recorder) fail(format string, args ...any) {
	if r.expected {
		r.caught++
		return
	}
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) won(id string, epoch uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.winners[epoch]; ok && w != id {
		r.fail("two primaries in epoch %d: %s and %s", epoch, w, id)
	}
	r.winners[epoch] = id
}

func (r *recorder) fenced(id string, epoch uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev := r.fences[id]; epoch <= prev {
		r.fail("node %s fenced epoch %d after %d", id, epoch, prev)
	}
	r.fences[id] = epoch
}

type tnode struct {
	id      string
	dir     string
	gossip  string // the gossip address, reused on restart
	e       *Election
	pos     atomic.Pointer[walstream.Position]
	isolate atomic.Bool // Contact reports only this node
	stop    context.CancelFunc
	done    chan struct{}
}

func (n *tnode) setPos(p walstream.Position) { n.pos.Store(&p) }

type testCluster struct {
	t      *testing.T
	net    *testNet
	rec    *recorder
	logs   *syncBuffer
	log    *slog.Logger
	mu     sync.Mutex
	nodes  map[string]*tnode
	up     map[string]bool // running nodes, for Contact (read by other goroutines)
	expect int
	voters func() []string // nil: bootstrap
}

func newTestCluster(t *testing.T, expect int) *testCluster {
	c := &testCluster{
		t: t, net: newTestNet(), rec: &recorder{winners: map[uint64]string{}, fences: map[string]uint64{}},
		logs: &syncBuffer{}, nodes: map[string]*tnode{}, up: map[string]bool{}, expect: expect,
	}
	var h slog.Handler = slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	if os.Getenv("ELECTION_TEST_LOG") != "" {
		h = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	c.log = slog.New(h)
	t.Cleanup(func() {
		for _, n := range c.all() {
			c.stopNode(n.id)
		}
		c.rec.mu.Lock()
		defer c.rec.mu.Unlock()
		for _, f := range c.rec.failures {
			t.Error(f)
		}
		if t.Failed() {
			c.logs.mu.Lock()
			t.Logf("election logs:\n%s", c.logs.b.String())
			c.logs.mu.Unlock()
		}
	})
	return c
}

func (c *testCluster) all() []*tnode {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*tnode, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (c *testCluster) node(id string) *tnode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[id]
}

// running lists the nodes whose Election is up.
func (c *testCluster) running() []*tnode {
	var out []*tnode
	for _, n := range c.all() {
		if n.e != nil {
			out = append(out, n)
		}
	}
	return out
}

// seed is a gossip address of a running node other than id.
func (c *testCluster) seeds(id string) []string {
	var out []string
	for _, n := range c.running() {
		if n.id != id {
			out = append(out, n.gossip)
		}
	}
	return out
}

// prepare creates node id without starting it (to set its position).
func (c *testCluster) prepare(id string) *tnode {
	n := c.node(id)
	if n == nil {
		n = &tnode{id: id, dir: c.t.TempDir(), gossip: "127.0.0.1:0"}
		n.setPos(walstream.Position{})
		c.mu.Lock()
		c.nodes[id] = n
		c.mu.Unlock()
	}
	return n
}

// start starts (or restarts, with the same state dir and gossip address)
// node id.
func (c *testCluster) start(id string, mod ...func(*Config)) *tnode {
	c.t.Helper()
	n := c.prepare(id)
	cfg := Config{
		NodeID: id, BindAddr: n.gossip, PeerAddr: id, PGAddr: "pg-" + id, AdminAddr: "admin-" + id,
		Join: c.seeds(id), ClusterID: "test-cluster", BootstrapExpect: c.expect, LeaseTTL: testTTL,
		StateDir: n.dir,
		Position: func() walstream.Position { return *n.pos.Load() },
		Voters:   c.voters,
		Contact: func() []string {
			if n.isolate.Load() {
				return []string{id}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			var out []string
			for o := range c.up {
				out = append(out, o)
			}
			return out
		},
		OnFence: func(epoch uint64) error { c.rec.fenced(id, epoch); return nil },
		Vote:    netTransport{n: c.net, from: id},
		Logger:  c.log,
	}
	for _, m := range mod {
		m(&cfg)
	}
	e, err := Start(context.Background(), cfg)
	if err != nil {
		c.t.Fatalf("starting %s: %v", id, err)
	}
	n.e, n.gossip = e, e.GossipAddr()
	c.net.set(id, e)
	c.mu.Lock()
	c.up[id] = true
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	n.stop, n.done = cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		for {
			select {
			case <-ctx.Done():
				return
			case r := <-e.Roles():
				if r.Kind == RolePrimary {
					c.rec.won(id, r.Epoch)
				}
			}
		}
	}()
	return n
}

// stopNode shuts node id down (a crash of its election part).
func (c *testCluster) stopNode(id string) {
	n := c.node(id)
	if n == nil || n.e == nil {
		return
	}
	c.net.set(id, nil)
	c.mu.Lock()
	delete(c.up, id)
	c.mu.Unlock()
	if err := n.e.Shutdown(); err != nil {
		c.t.Errorf("shutting down %s: %v", id, err)
	}
	n.stop()
	<-n.done
	n.e = nil
}

// primaries lists the running nodes that consider themselves primary.
func (c *testCluster) primaries() []*tnode {
	var out []*tnode
	for _, n := range c.running() {
		if n.e.Role().Kind == RolePrimary {
			out = append(out, n)
		}
	}
	return out
}

// waitPrimary waits until exactly one running node is primary, with an
// epoch above after, and every other running node follows it; it returns
// the primary.
func (c *testCluster) waitPrimary(timeout time.Duration, after uint64) *tnode {
	c.t.Helper()
	var p *tnode
	waitFor(c.t, timeout, func() bool {
		ps := c.primaries()
		if len(ps) != 1 || ps[0].e.Role().Epoch <= after {
			return false
		}
		p = ps[0]
		ep := p.e.Role().Epoch
		for _, n := range c.running() {
			if n == p {
				continue
			}
			r := n.e.Role()
			if r.Kind != RoleReplica || r.Primary.ID != p.id || r.Epoch != ep {
				return false
			}
			if m, ok := n.e.Primary(); !ok || m.ID != p.id {
				return false
			}
		}
		return true
	}, func() string { return "one primary followed by all: " + c.describe() })
	return p
}

func (c *testCluster) describe() string {
	var s string
	for _, n := range c.running() {
		r := n.e.Role()
		s += fmt.Sprintf(" %s=%s@%d(primary %q, epoch %d)", n.id, r.Kind, r.Epoch, r.Primary.ID, n.e.Epoch())
	}
	return s
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func aliveIDs(e *Election) []string {
	var ids []string
	for _, m := range e.Members() {
		if m.Alive {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// freePort reserves nothing; it only finds a port free right now, for the
// restart tests that need a known gossip address.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
