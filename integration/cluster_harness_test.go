package integration

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A testCluster is N sqlclusterd processes in stream mode on this machine.
// Each node gets its own loopback address (127.77.0.i) when the test needs
// partitions, so that firewall rules can cut individual links; otherwise all
// share 127.0.0.1 on distinct ports.
type testCluster struct {
	t         *testing.T
	bin       string
	nodes     []*clusterNode
	secret    string
	clusterID string
	args      []string     // extra flags for every node
	lab       *netLab      // nodes in network namespaces (partition tests)
	mode      string       // stream (default) or raft
	env       []string     // extra environment for every node, e.g. SQLCLUSTER_TEST_FAULT=…
	ports     map[int]bool // loopback ports handed to nodes (newNode)
}

type clusterNode struct {
	c                                       *testCluster
	id, ip, dir, logPath                    string
	pgPort, adminPort, gossipPort, peerPort int
	proc                                    *process
	extra                                   []string
	bootstrap                               int
	host                                    int // netLab host number
}

type clusterOpts struct {
	n         int
	ownIPs    bool     // one loopback address per node
	netns     bool     // each node in its own network namespace (partitions)
	args      []string // extra flags, e.g. --sync-replicas 0
	clusterID string
	mode      string   // stream (default) or raft
	env       []string // extra environment entries for every node process
}

func newSecret(t testing.TB) string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// startCluster starts n nodes with --bootstrap-expect n and waits for a
// primary.
func startCluster(t *testing.T, o clusterOpts) *testCluster {
	t.Helper()
	if theSuite.target != targetSQLCluster {
		t.Skip("cluster tests run against sqlclusterd only")
	}
	bin, err := theSuite.sqlclusterdBinary()
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, bin: bin, secret: newSecret(t), clusterID: o.clusterID, args: o.args, mode: o.mode, env: o.env}
	if c.mode == "" {
		c.mode = "stream"
	}
	if o.netns {
		c.lab = newNetLab(t)
	}
	if c.clusterID == "" {
		c.clusterID = "it-" + strconv.Itoa(os.Getpid())
	}
	for i := 0; i < o.n; i++ {
		ip := "127.0.0.1"
		if o.ownIPs {
			ip = fmt.Sprintf("127.77.0.%d", i+1)
		}
		c.nodes = append(c.nodes, c.newNode(fmt.Sprintf("n%d", i+1), ip, o.n))
	}
	t.Cleanup(c.cleanup)
	for _, n := range c.nodes {
		n.launch()
	}
	for _, n := range c.nodes {
		n.waitUp()
	}
	c.waitPrimary(30 * time.Second)
	return c
}

func (c *testCluster) newNode(id, ip string, bootstrap int) *clusterNode {
	t := c.t
	n := &clusterNode{c: c, id: id, ip: ip, dir: t.TempDir(), bootstrap: bootstrap}
	n.logPath = filepath.Join(n.dir, "server.log")
	if c.lab != nil {
		// Its own network stack: the default ports are free.
		n.host = len(c.nodes) + 1
		c.lab.addHost(n.host)
		n.ip = c.lab.ip(n.host)
		n.pgPort, n.adminPort, n.gossipPort, n.peerPort = 5432, 7432, 7946, 7947
		return n
	}
	// A port is free once its probe listener closes, so the kernel may
	// hand it out again: to this node's next probe or to another node's
	// (seen in CI: one node's pg port was another's admin port). Probes
	// stay open until the node has its four ports, and ports given to
	// any node of the cluster are not given again.
	var probes []net.Listener
	defer func() {
		for _, l := range probes {
			l.Close()
		}
	}()
	if c.ports == nil {
		c.ports = map[int]bool{}
	}
	for _, p := range []*int{&n.pgPort, &n.adminPort, &n.gossipPort, &n.peerPort} {
		for *p == 0 {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
			if err != nil {
				t.Fatalf("no free port on %s: %v", ip, err)
			}
			probes = append(probes, l)
			if port := l.Addr().(*net.TCPAddr).Port; !c.ports[port] {
				c.ports[port], *p = true, port
			}
		}
	}
	return n
}

// addNode starts a node that joins the running cluster (no bootstrap).
func (c *testCluster) addNode(id string) *clusterNode {
	ip := c.nodes[0].ip
	if ip != "127.0.0.1" {
		ip = fmt.Sprintf("127.77.0.%d", len(c.nodes)+1)
	}
	n := c.newNode(id, ip, 0)
	c.nodes = append(c.nodes, n)
	n.start()
	return n
}

func (n *clusterNode) args() []string {
	var join []string
	for _, o := range n.c.nodes {
		if o != n {
			join = append(join, net.JoinHostPort(o.ip, strconv.Itoa(o.gossipPort)))
		}
	}
	a := []string{
		"--mode", n.c.mode, "--node-id", n.id,
		"--data-dir", filepath.Join(n.dir, "data"),
		"--pg-addr", net.JoinHostPort(n.ip, strconv.Itoa(n.pgPort)),
		"--admin-addr", net.JoinHostPort(n.ip, strconv.Itoa(n.adminPort)),
		"--gossip-addr", net.JoinHostPort(n.ip, strconv.Itoa(n.gossipPort)),
		"--peer-addr", net.JoinHostPort(n.ip, strconv.Itoa(n.peerPort)),
		"--advertise-addr", n.ip,
		"--join", strings.Join(join, ","),
		"--cluster-id", n.c.clusterID,
		"--cluster-secret", n.c.secret,
		"--lease-ttl", "1s",
		"--log-level", "debug",
	}
	if n.bootstrap > 0 {
		a = append(a, "--bootstrap-expect", strconv.Itoa(n.bootstrap))
	}
	a = append(a, n.c.args...)
	return append(a, n.extra...)
}

func (n *clusterNode) start() {
	n.c.t.Helper()
	n.launch()
	n.waitUp()
}

// launch starts the process without waiting: raft-mode nodes only open
// their admin port once the cluster has formed, so a cluster's nodes must
// all be launched before any is waited for.
func (n *clusterNode) launch() {
	t := n.c.t
	t.Helper()
	bin, args := n.c.bin, n.args()
	if n.c.lab != nil {
		bin, args = "ip", append([]string{"netns", "exec", n.c.lab.ns(n.host), bin}, args...)
	}
	p, err := startProcess(bin, args, n.logPath, nil, syscall.SIGTERM, n.c.env...)
	if err != nil {
		t.Fatal(err)
	}
	n.proc = p
}

// waitUp waits until the node's admin API answers.
func (n *clusterNode) waitUp() {
	t := n.c.t
	t.Helper()
	p := n.proc
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := n.status(); err == nil {
			return
		}
		select {
		case <-p.done:
			n.c.dumpLogs()
			t.Fatalf("node %s exited at start: %v", n.id, p.err)
		default:
		}
		if time.Now().After(deadline) {
			n.c.dumpLogs()
			t.Fatalf("node %s did not start", n.id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *clusterNode) alive() bool {
	if n.proc == nil {
		return false
	}
	select {
	case <-n.proc.done:
		return false
	default:
		return true
	}
}

// kill9 kills the node's process without warning.
func (n *clusterNode) kill9() {
	n.proc.kill()
}

func (n *clusterNode) stop() {
	if err := n.proc.stop(30 * time.Second); err != nil {
		n.c.t.Errorf("stopping %s: %v", n.id, err)
	}
}

func (n *clusterNode) signal(sig syscall.Signal) {
	if err := syscall.Kill(n.proc.cmd.Process.Pid, sig); err != nil {
		n.c.t.Fatalf("signal %v to %s: %v", sig, n.id, err)
	}
}

func (n *clusterNode) adminURL(path string) string {
	return "http://" + net.JoinHostPort(n.ip, strconv.Itoa(n.adminPort)) + path
}

func (n *clusterNode) adminAddr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.adminPort)) }

type nodeStatus struct {
	NodeID  string `json:"node_id"`
	Role    string `json:"role"`
	Cluster struct {
		Epoch    uint64 `json:"epoch"`
		Primary  string `json:"primary"`
		Position string `json:"position"`
		Applied  uint64 `json:"applied_txid"`
	} `json:"cluster"`
}

func (n *clusterNode) status() (nodeStatus, error) {
	var st nodeStatus
	cl := &http.Client{Timeout: time.Second}
	resp, err := cl.Get(n.adminURL("/status"))
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return st, fmt.Errorf("status: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

func (n *clusterNode) url(db string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&connect_timeout=5", testUser, net.JoinHostPort(n.ip, strconv.Itoa(n.pgPort)), db)
}

func (n *clusterNode) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, n.url("postgres"))
}

func (n *clusterNode) mustConnect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := n.connect(ctx)
	if err != nil {
		t.Fatalf("connecting to %s: %v", n.id, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitPrimary waits until every live node names the same primary, which
// itself reports the primary role, and returns it.
func (c *testCluster) waitPrimary(timeout time.Duration) *clusterNode {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if p := c.agreedPrimary(); p != nil {
			return p
		}
		if time.Now().After(deadline) {
			c.dumpLogs()
			c.t.Fatalf("no agreed primary after %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *testCluster) agreedPrimary() *clusterNode {
	var primary string
	for _, n := range c.nodes {
		if !n.alive() {
			continue
		}
		st, err := n.status()
		if err != nil || st.Cluster.Primary == "" {
			return nil
		}
		if primary == "" {
			primary = st.Cluster.Primary
		} else if primary != st.Cluster.Primary {
			return nil
		}
	}
	for _, n := range c.nodes {
		if n.id == primary && n.alive() {
			if st, err := n.status(); err == nil && (st.Role == "primary" || st.Role == "leader") {
				return n
			}
		}
	}
	return nil
}

// other returns a node that is none of not (nil if there is none).
func (c *testCluster) other(not ...*clusterNode) *clusterNode {
	for _, n := range c.nodes {
		if !slices.Contains(not, n) {
			return n
		}
	}
	return nil
}

func (c *testCluster) node(id string) *clusterNode {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	c.t.Fatalf("no node %s", id)
	return nil
}

// contentHash returns a hash of query's rows on node n, read locally.
func contentHash(ctx context.Context, n *clusterNode, query string) (string, int, error) {
	conn, err := n.connect(ctx)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET sqlcluster.read_consistency = local"); err != nil {
		return "", 0, err
	}
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	count := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", 0, err
		}
		fmt.Fprintln(h, vals...)
		count++
	}
	if err := rows.Err(); err != nil {
		return "", 0, err
	}
	var check string
	if err := conn.QueryRow(ctx, "PRAGMA integrity_check").Scan(&check); err != nil {
		return "", 0, fmt.Errorf("integrity_check: %w", err)
	}
	if check != "ok" {
		return "", 0, fmt.Errorf("integrity_check on %s: %s", n.id, check)
	}
	return hex.EncodeToString(h.Sum(nil)), count, nil
}

// waitConverged waits until every live node returns the same rows for
// query, with integrity_check ok, and returns the row count.
func (c *testCluster) waitConverged(query string, timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hashes := map[string][]string{}
		count := 0
		var errs []string
		for _, n := range c.nodes {
			if !n.alive() {
				continue
			}
			h, cnt, err := contentHash(ctx, n, query)
			if err != nil {
				errs = append(errs, n.id+": "+err.Error())
				continue
			}
			hashes[h] = append(hashes[h], fmt.Sprintf("%s(%d rows)", n.id, cnt))
			count = cnt
		}
		cancel()
		if len(errs) == 0 && len(hashes) == 1 {
			return count
		}
		last = fmt.Sprintf("hashes %v errors %v", hashes, errs)
		if time.Now().After(deadline) {
			c.dumpLogs()
			c.t.Fatalf("nodes did not converge on %q within %v: %s", query, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *testCluster) dumpLogs() {
	c.t.Helper()
	for _, n := range c.nodes {
		b, err := os.ReadFile(n.logPath)
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		c.t.Logf("==== log of %s (%s), last lines ====\n%s", n.id, n.logPath, strings.Join(lines, "\n"))
	}
}

func (c *testCluster) cleanup() {
	if c.t.Failed() {
		c.dumpLogs()
	}
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n.alive() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.proc.stop(20 * time.Second)
			}()
		}
	}
	wg.Wait()
}

// ctl runs sqlclusterctl against node n.
func ctl(t *testing.T, n *clusterNode, args ...string) (string, error) {
	t.Helper()
	out, stderr, err := runClient(t, 60*time.Second, nil, "", buildCtl(t), append([]string{"--node", n.adminAddr()}, args...)...)
	return out + stderr, err
}
