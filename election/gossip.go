package election

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// startGossip creates the memberlist instance (it listens at once; seeds
// are joined by joinLoop).
func (e *Election) startGossip(ctx context.Context) error {
	mc := memberlist.DefaultLANConfig()
	mc.Name = e.cfg.NodeID
	host, port, _ := net.SplitHostPort(e.cfg.BindAddr) // validated
	if host == "" {
		host = "0.0.0.0"
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("election: bad port in BindAddr %q", e.cfg.BindAddr)
	}
	mc.BindAddr, mc.BindPort = host, p
	if e.cfg.AdvertiseAddr != "" {
		ah, ap, err := net.SplitHostPort(e.cfg.AdvertiseAddr)
		if err != nil { // a bare host: gossip's own port
			ah, ap = strings.Trim(e.cfg.AdvertiseAddr, "[]"), port
		}
		ip, err := resolveIP(ctx, ah)
		if err != nil {
			return fmt.Errorf("election: resolving AdvertiseAddr %q: %w", e.cfg.AdvertiseAddr, err)
		}
		n, err := strconv.Atoi(ap)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("election: bad port in AdvertiseAddr %q", e.cfg.AdvertiseAddr)
		}
		if n == 0 {
			n = p // and with a dynamic bind port, memberlist uses the bound one
		}
		mc.AdvertiseAddr, mc.AdvertisePort = ip, n
	}

	// Fast failure detection for a LAN: a dead node is suspected after
	// about one probe interval and declared dead SuspicionMult intervals
	// later. The lease (TTL) usually expires first; gossip only has to
	// carry metadata quickly.
	mc.ProbeInterval = 500 * time.Millisecond
	mc.ProbeTimeout = 250 * time.Millisecond
	mc.SuspicionMult = 2
	mc.GossipInterval = 100 * time.Millisecond
	mc.GossipNodes = 3
	mc.PushPullInterval = 15 * time.Second
	mc.TCPTimeout = 2 * time.Second
	mc.GossipToTheDeadTime = 15 * time.Second
	// A node restarted on another address may take its name back once the
	// old incarnation has been dead this long.
	mc.DeadNodeReclaimTime = 5 * time.Second

	// Isolation: the label makes nodes of other clusters fail the
	// handshake; with a secret, the key derived from secret AND cluster id
	// encrypts everything; the metadata delegates check the cluster tag.
	mc.Label = gossipLabel(e.cfg.ClusterID)
	if len(e.cfg.Secret) > 0 {
		kr, err := memberlist.NewKeyring(nil, gossipKey(e.cfg.Secret, e.cfg.ClusterID))
		if err != nil {
			return fmt.Errorf("election: setting up the gossip keyring: %w", err)
		}
		mc.Keyring = kr
		mc.GossipVerifyIncoming = true
		mc.GossipVerifyOutgoing = true
	}
	d := &delegate{e: e}
	mc.Delegate, mc.Events, mc.Alive, mc.Merge = d, d, d, d
	mc.Logger = log.New(&logBridge{log: e.log}, "", 0)

	ml, err := memberlist.Create(mc)
	if err != nil {
		return fmt.Errorf("election: starting gossip on %s: %w", e.cfg.BindAddr, err)
	}
	e.ml = ml
	e.gossipAddr = ml.LocalNode().Address()
	return nil
}

func resolveIP(ctx context.Context, host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("no address for %q", host)
	}
	return ips[0].IP.String(), nil
}

func gossipLabel(clusterID string) string {
	l := "sqlcluster/" + clusterID
	if len(l) > memberlist.LabelMaxSize {
		sum := sha256.Sum256([]byte(clusterID))
		l = "sqlcluster#" + hex.EncodeToString(sum[:])
	}
	return l
}

// gossipKey derives the AES-256 gossip key from the secret and the cluster
// id, so the same secret used by two clusters still keeps them apart.
func gossipKey(secret []byte, clusterID string) []byte {
	h := sha256.New()
	h.Write([]byte("sqlcluster gossip key\x00"))
	h.Write([]byte(clusterID))
	h.Write([]byte{0})
	h.Write(secret)
	return h.Sum(nil)
}

// publishLoop re-publishes this node's metadata when it changed: at once
// when kicked (role, lease, epoch), otherwise every TTL/3 (position,
// lease expiry passing, standing aside ending).
func (e *Election) publishLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.renewEvery())
	defer t.Stop()
	var last []byte
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		case <-e.metaWake:
		}
		e.mu.Lock()
		b := e.selfMetaLocked(time.Now()).encode()
		e.mu.Unlock()
		if bytes.Equal(b, last) {
			continue
		}
		last = b
		// UpdateNode queues the broadcast, then waits for it to go out;
		// there is no need to wait, so the timeout is tiny and its error
		// expected.
		if err := e.ml.UpdateNode(time.Millisecond); err != nil && !strings.Contains(err.Error(), "timeout") {
			e.log.Warn("publishing node metadata failed", "err", err)
		}
	}
}

// joinLoop joins the seeds: right away, then every few seconds while this
// node sees no other member (seeds started later, a lost partition), and
// now and then when some known voter is missing, because memberlist does
// not always re-merge two halves by itself.
func (e *Election) joinLoop() {
	defer e.wg.Done()
	if len(e.cfg.Join) == 0 {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var lastFull time.Time
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		alone, missing, leaving := e.isolation()
		if leaving {
			return
		}
		if alone || (missing && time.Since(lastFull) > 5*joinEvery) {
			lastFull = time.Now()
			e.join()
		}
		t.Reset(joinEvery)
	}
}

// isolation reports whether no other member is alive, and whether a peer
// seen before is not alive now.
func (e *Election) isolation() (alone, missing, leaving bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leaving || e.closed {
		return false, false, true
	}
	alone = true
	for _, p := range e.peers {
		if p.alive {
			alone = false
		} else {
			missing = true
		}
	}
	return alone, missing, false
}

func (e *Election) join() {
	addrs := e.resolveSeeds()
	if len(addrs) == 0 {
		return
	}
	n, err := e.ml.Join(addrs)
	if err != nil {
		e.log.Warn("joining the cluster failed; will retry", "seeds", addrs, "err", err)
		return
	}
	e.log.Info("joined the cluster", "contacted", n)
}

// resolveSeeds turns the Join list into host:port addresses, resolving
// names now (a headless service's records change as pods come and go).
func (e *Election) resolveSeeds() []string {
	_, defPort, _ := net.SplitHostPort(e.gossipAddr)
	var out []string
	for _, s := range e.cfg.Join {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host, port = s, defPort
		}
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		ips, err := net.DefaultResolver.LookupHost(ctx, host)
		cancel()
		if err != nil {
			e.log.Debug("resolving a seed failed", "seed", s, "err", err)
			continue
		}
		for _, ip := range ips {
			a := net.JoinHostPort(ip, port)
			if a != e.gossipAddr {
				out = append(out, a)
			}
		}
	}
	return out
}

// delegate adapts memberlist's callbacks. They run with memberlist's locks
// held, so they only touch e.mu-guarded state and never call memberlist.
type delegate struct{ e *Election }

func (d *delegate) NodeMeta(limit int) []byte {
	d.e.mu.Lock()
	b := d.e.selfMetaLocked(time.Now()).encode()
	d.e.mu.Unlock()
	if len(b) > limit { // impossible: Start checked the worst case
		d.e.log.Error("node metadata exceeds the gossip limit", "len", len(b), "limit", limit)
		return nil
	}
	return b
}

func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// check accepts a node only with well-formed metadata of this cluster.
func (d *delegate) check(n *memberlist.Node) (*nodeMeta, error) {
	m, err := decodeMeta(n.Meta)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", n.Name, err)
	}
	if m.Tag != d.e.tag {
		return nil, fmt.Errorf("node %q belongs to another cluster", n.Name)
	}
	if m.ID != n.Name {
		return nil, fmt.Errorf("node %q advertises id %q", n.Name, m.ID)
	}
	return m, nil
}

// NotifyAlive rejects nodes of other clusters before they become members.
func (d *delegate) NotifyAlive(n *memberlist.Node) error {
	_, err := d.check(n)
	return err
}

// NotifyMerge refuses a join whose remote state includes a foreign node.
func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, n := range peers {
		if _, err := d.check(n); err != nil {
			return err
		}
	}
	return nil
}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.update(n, true) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.update(n, true) }
func (d *delegate) NotifyLeave(n *memberlist.Node)  { d.update(n, false) }

func (d *delegate) update(n *memberlist.Node, alive bool) {
	e := d.e
	if n.Name == e.cfg.NodeID {
		return
	}
	m, err := d.check(n)
	e.mu.Lock()
	p := e.peers[n.Name]
	if p == nil {
		if err != nil {
			e.mu.Unlock()
			return
		}
		p = &peer{}
		e.peers[n.Name] = p
	}
	if err == nil {
		p.meta = m
	}
	p.alive = alive
	p.addr = n.Address()
	e.mu.Unlock()
	e.kick()
}

// logBridge sends memberlist's log lines ("[LEVEL] memberlist: ...") to
// slog at the matching level.
type logBridge struct{ log *slog.Logger }

func (b *logBridge) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelDebug
	for prefix, l := range map[string]slog.Level{"[ERR]": slog.LevelError, "[WARN]": slog.LevelWarn, "[INFO]": slog.LevelInfo, "[DEBUG]": slog.LevelDebug} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			level, line = l, strings.TrimSpace(rest)
			break
		}
	}
	b.log.Log(context.Background(), level, line)
	return len(p), nil
}
