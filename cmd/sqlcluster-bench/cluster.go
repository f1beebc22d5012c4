package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clusterSize is the number of nodes of every benchmarked stream cluster:
// the smallest cluster in which quorum commit needs a replica and a primary
// can be lost without losing the majority.
const clusterSize = 3

// leaseTTL is the primary lease of the benchmarked clusters; failover time
// is dominated by it (a dead primary is replaced about one TTL after its
// last renewal).
const leaseTTL = time.Second

// Timeouts of the cluster's life cycle. Generous, because the benchmark
// reports a slow election as a figure (failover) rather than as an error.
const (
	clusterStartTimeout = 60 * time.Second
	catchUpTimeout      = 60 * time.Second
	clusterStopGrace    = 60 * time.Second
)

// clusterNode is one sqlclusterd process of a stream cluster. Its argv and
// data directory survive a kill, so that it can be restarted as the same
// node with the same state.
type clusterNode struct {
	id        string
	pgPort    int
	adminAddr string
	argv      []string
	dir       string
	logPath   string
	proc      *process
	// killed marks a node the harness took down on purpose; waits skip
	// it instead of reporting it as crashed.
	killed bool
}

// cluster is a running stream-mode cluster of clusterSize nodes on
// 127.0.0.1, each in its own process group and data directory under base.
type cluster struct {
	base  string
	nodes []*clusterNode
	http  *http.Client
	// leaderRole is the /status role of the node that takes writes:
	// "primary" in stream mode, "leader" in raft mode.
	leaderRole string
}

// nodeStatus is the part of GET /status the harness reads.
type nodeStatus struct {
	NodeID  string `json:"node_id"`
	Role    string `json:"role"`
	Cluster *struct {
		Epoch    uint64 `json:"epoch"`
		Primary  string `json:"primary"`
		Position string `json:"position"`
		Applied  uint64 `json:"applied_txid"`
		// Raft is set in raft mode only.
		Raft *struct {
			Voters []string `json:"voters"`
		} `json:"raft"`
	} `json:"cluster"`
}

// clusterMode is how a benchmarked cluster's nodes are started and how
// /status names the node that takes the writes.
type clusterMode struct {
	name       string   // --mode
	leaderRole string   // /status "role" of the writing node
	args       []string // further flags, after the common cluster ones
}

// streamMode is --mode stream with the given --sync-replicas.
func streamMode(syncReplicas string) clusterMode {
	return clusterMode{name: "stream", leaderRole: "primary",
		args: []string{"--sync-replicas", syncReplicas, "--lease-ttl", leaseTTL.String()}}
}

// raftMode is --mode raft: dqlite elects the leader, and every statement
// executes there whichever node received it.
func raftMode() clusterMode { return clusterMode{name: "raft", leaderRole: "leader"} }

// startCluster starts clusterSize sqlclusterd processes from bin in stream
// mode with --sync-replicas syncReplicas and waits until they agree on a
// primary. On error nothing is left running or on disk.
func startCluster(ctx context.Context, cfg config, bin, syncReplicas string, logf logFunc) (*cluster, error) {
	return startNodes(ctx, cfg, bin, streamMode(syncReplicas), logf)
}

// startNodes starts clusterSize sqlclusterd processes from bin in mode and
// waits until they agree on the node that takes writes. On error nothing is
// left running or on disk.
func startNodes(ctx context.Context, cfg config, bin string, mode clusterMode, logf logFunc) (_ *cluster, err error) {
	base, err := os.MkdirTemp(cfg.tmpBase, "sqlbench-cluster-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	c := &cluster{base: base, leaderRole: mode.leaderRole, http: &http.Client{Timeout: 2 * time.Second}}
	defer func() {
		if err != nil {
			if cerr := c.close(); cerr != nil {
				logf("%v", cerr)
			}
		}
	}()

	secret, clusterID, err := newClusterSecret()
	if err != nil {
		return nil, err
	}

	ports, err := freePorts(4 * clusterSize)
	if err != nil {
		return nil, err
	}
	addr := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	var gossip []string
	for i := range clusterSize {
		gossip = append(gossip, addr(ports[4*i+2]))
	}
	for i := range clusterSize {
		id := fmt.Sprintf("n%d", i+1)
		pgPort, adminPort, gossipPort, peerPort := ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]
		n := &clusterNode{
			id:        id,
			pgPort:    pgPort,
			adminAddr: addr(adminPort),
			dir:       filepath.Join(base, id),
			logPath:   filepath.Join(base, id+".log"),
		}
		n.argv = append([]string{bin,
			"--mode", mode.name, "--node-id", id,
			"--data-dir", filepath.Join(n.dir, "data"),
			"--pg-addr", addr(pgPort), "--admin-addr", n.adminAddr,
			"--gossip-addr", addr(gossipPort), "--peer-addr", addr(peerPort),
			"--advertise-addr", "127.0.0.1",
			"--join", strings.Join(gossip, ","),
			"--bootstrap-expect", strconv.Itoa(clusterSize),
			"--cluster-id", clusterID,
			"--cluster-secret", base64.StdEncoding.EncodeToString(secret),
		}, mode.args...)
		if err := os.Mkdir(n.dir, 0o700); err != nil {
			return nil, fmt.Errorf("create node dir: %w", err)
		}
		c.nodes = append(c.nodes, n)
	}
	// Start all before waiting for any: with --bootstrap-expect no node
	// becomes ready for writes alone, and a raft node does not even open
	// its ports before the cluster has formed.
	for _, n := range c.nodes {
		if err := c.start(n); err != nil {
			return nil, err
		}
	}
	for _, n := range c.nodes {
		if err := c.waitUp(ctx, n); err != nil {
			return nil, err
		}
	}
	if _, err := c.waitPrimary(ctx, clusterStartTimeout); err != nil {
		return nil, err
	}
	return c, nil
}

// newClusterSecret returns a random cluster secret and a cluster id derived
// from it, fresh for every benchmarked cluster: a straggler of an earlier
// cluster must never be mistaken for a member of this one.
func newClusterSecret() (secret []byte, clusterID string, err error) {
	secret = make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, "", fmt.Errorf("generate cluster secret: %w", err)
	}
	return secret, "sqlbench-" + base64.RawURLEncoding.EncodeToString(secret[:6]), nil
}

// start launches n's process (again, after a kill) with its log appended.
func (c *cluster) start(n *clusterNode) error {
	proc, err := startProcess(n.argv, n.dir, n.logPath, os.Environ(), nil)
	if err != nil {
		return fmt.Errorf("node %s: %w", n.id, err)
	}
	n.proc, n.killed = proc, false
	return nil
}

// waitUp waits until n answers GET /status.
func (c *cluster) waitUp(ctx context.Context, n *clusterNode) error {
	err := waitReady(ctx, n.proc, clusterStartTimeout, func(ctx context.Context) error {
		_, err := c.status(ctx, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("node %s: %w", n.id, err)
	}
	return nil
}

// restart starts a killed node on its old data directory and waits until
// it answers /status.
func (c *cluster) restart(ctx context.Context, n *clusterNode) error {
	if err := c.start(n); err != nil {
		return err
	}
	return c.waitUp(ctx, n)
}

// kill SIGKILLs n, as a crash would.
func (c *cluster) kill(n *clusterNode) error {
	n.killed = true
	if err := n.proc.kill(); err != nil {
		return fmt.Errorf("kill node %s: %w", n.id, err)
	}
	return nil
}

// live returns the nodes that are meant to be running, or an error naming
// one that died without being killed.
func (c *cluster) live() ([]*clusterNode, error) {
	var out []*clusterNode
	for _, n := range c.nodes {
		if n.killed {
			continue
		}
		if gone, why := n.proc.exited(); gone {
			return nil, fmt.Errorf("node %s exited (%v); log tail:\n%s", n.id, why, n.proc.logTail(20))
		}
		out = append(out, n)
	}
	return out, nil
}

// status fetches GET /status of n.
func (c *cluster) status(ctx context.Context, n *clusterNode) (nodeStatus, error) {
	var st nodeStatus
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.adminAddr+"/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /status of %s: %s", n.id, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("decode /status of %s: %w", n.id, err)
	}
	if st.Cluster == nil {
		return st, fmt.Errorf("/status of %s has no cluster section (not in a cluster mode?)", n.id)
	}
	return st, nil
}

// agreedPrimary returns the primary (raft: the leader) if every live node
// names the same one and it reports c.leaderRole itself, with the statuses
// it read.
func (c *cluster) agreedPrimary(ctx context.Context) (*clusterNode, map[*clusterNode]nodeStatus, error) {
	live, err := c.live()
	if err != nil {
		return nil, nil, err
	}
	sts := map[*clusterNode]nodeStatus{}
	primary := ""
	for _, n := range live {
		st, err := c.status(ctx, n)
		if err != nil {
			return nil, nil, err
		}
		if st.Cluster.Primary == "" {
			return nil, nil, fmt.Errorf("%s knows no primary", n.id)
		}
		if primary != "" && st.Cluster.Primary != primary {
			return nil, nil, fmt.Errorf("nodes disagree on the primary (%s, %s)", primary, st.Cluster.Primary)
		}
		primary = st.Cluster.Primary
		sts[n] = st
	}
	for n, st := range sts {
		if n.id == primary {
			if st.Role != c.leaderRole {
				return nil, nil, fmt.Errorf("%s is named %s but reports role %q", n.id, c.leaderRole, st.Role)
			}
			return n, sts, nil
		}
	}
	return nil, nil, fmt.Errorf("the named primary %s is not a live node", primary)
}

// waitPrimary polls until the live nodes agree on a primary.
func (c *cluster) waitPrimary(ctx context.Context, timeout time.Duration) (*clusterNode, error) {
	var p *clusterNode
	err := c.poll(ctx, timeout, "agree on a primary", func(ctx context.Context) (err error) {
		p, _, err = c.agreedPrimary(ctx)
		return err
	})
	return p, err
}

// waitCaughtUp polls until every live node has logged and applied exactly
// what the primary has. Callers make sure nothing writes meanwhile.
func (c *cluster) waitCaughtUp(ctx context.Context, timeout time.Duration) (*clusterNode, error) {
	var p *clusterNode
	err := c.poll(ctx, timeout, "catch up with the primary", func(ctx context.Context) error {
		primary, sts, err := c.agreedPrimary(ctx)
		if err != nil {
			return err
		}
		want := sts[primary].Cluster
		for n, st := range sts {
			// Position (epoch/txid) rather than the txid alone: a node
			// restarted with an unreplicated tail of a dead epoch can
			// hold the same txid with a different history.
			if st.Cluster.Position != want.Position || st.Cluster.Applied != want.Applied {
				return fmt.Errorf("%s at %s (applied %d), primary %s at %s (applied %d)",
					n.id, st.Cluster.Position, st.Cluster.Applied, primary.id, want.Position, want.Applied)
			}
		}
		p = primary
		return nil
	})
	return p, err
}

// poll retries probe every 100 ms until it succeeds or timeout passes. A
// node that died unasked ends the wait at once.
func (c *cluster) poll(ctx context.Context, timeout time.Duration, what string, probe func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := c.live(); err != nil {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last := probe(pctx)
		cancel()
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nodes did not %s within %v (last: %v); log tails:\n%s", what, timeout, last, c.logTails(10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTails is the end of every node's log, for error reports.
func (c *cluster) logTails(n int) string {
	var b strings.Builder
	for _, nd := range c.nodes {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", nd.id, fileTail(nd.logPath, n))
	}
	return b.String()
}

// replicas returns the live nodes other than p.
func (c *cluster) replicas(p *clusterNode) []*clusterNode {
	var out []*clusterNode
	for _, n := range c.nodes {
		if n != p && !n.killed {
			out = append(out, n)
		}
	}
	return out
}

// serverFor is n as a benchmark target; closing it closes the cluster.
func (c *cluster) serverFor(n *clusterNode) *server {
	return &server{host: "127.0.0.1", port: n.pgPort, proc: n.proc, close: c.close}
}

// close stops every node (in parallel, SIGTERM then SIGKILL) and removes
// the cluster's directory.
func (c *cluster) close() error {
	errs := stopAll(c.nodes, func(n *clusterNode) error {
		if n.proc == nil {
			return nil
		}
		if err := n.proc.stop(syscall.SIGTERM, clusterStopGrace); err != nil {
			return fmt.Errorf("stop node %s: %w", n.id, err)
		}
		return nil
	})
	return errors.Join(append(errs, removeAll(c.base))...)
}

// stopAll runs stop on every node at once, so that the nodes' grace
// periods overlap instead of adding up, and returns the failures.
func stopAll[T any](nodes []T, stop func(T) error) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stop(n); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}
