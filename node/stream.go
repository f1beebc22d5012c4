package node

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/election"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/forward"
	"github.com/sqlcluster/sqlcluster/peer"
	"github.com/sqlcluster/sqlcluster/snapshot"
	"github.com/sqlcluster/sqlcluster/walstream"
)

// StreamConfig holds the stream-mode settings (see the README's flag table).
type StreamConfig struct {
	GossipAddr      string
	AdvertiseAddr   string // host others reach this node at
	PeerAddr        string
	Join            []string
	ClusterID       string
	Secret          []byte
	BootstrapExpect int
	// SyncReplicas is "quorum", or a number of replica acknowledgements a
	// commit waits for ("0" = asynchronous).
	SyncReplicas string
	LeaseTTL     time.Duration
	// WriteWait bounds how long a write waits for a primary to exist.
	WriteWait time.Duration
}

// cluster is the stream-mode part of a node: replication log, peer
// listener, election and the role each election result calls for.
type cluster struct {
	n    *Node
	cfg  StreamConfig
	log  *slog.Logger
	wal  *walstream.Log
	repl *replicator
	eng  *sqlite.Engine
	tr   *peer.Transport
	ln   net.Listener
	el   *election.Election
	fwd  *forward.Server
	mem  *membership
	met  *streamMetrics
	// faults seeded on purpose for the fault suite (faults.go).
	faults faults
	// record is the fault suite's commit record, nil unless asked for
	// (commitrecord.go).
	record *commitRecord

	mu         sync.Mutex
	role       election.Role
	stopRole   context.CancelFunc
	roleDone   chan struct{}
	shipper    *walstream.Shipper
	needsSnap  bool
	stopped    bool
	loopCancel context.CancelFunc
	loopDone   chan struct{}
}

// openCluster opens the replication log, recovers the databases to it and
// returns the replicator the engine must be opened with. The engine is set
// afterwards with attach.
func openCluster(n *Node, cfg StreamConfig) (*cluster, error) {
	if cfg.SyncReplicas == "" {
		cfg.SyncReplicas = "quorum"
	}
	if cfg.SyncReplicas != "quorum" {
		if k, err := strconv.Atoi(cfg.SyncReplicas); err != nil || k < 0 {
			return nil, fmt.Errorf("invalid --sync-replicas %q: use quorum or a number of replicas (0 = asynchronous)", cfg.SyncReplicas)
		}
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 1500 * time.Millisecond
	}
	if cfg.BootstrapExpect == 0 && len(cfg.Join) == 0 {
		// Nothing to join: this node founds a one-node cluster others can
		// join later.
		cfg.BootstrapExpect = 1
	}
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = 4 * cfg.LeaseTTL
	}
	wal, err := walstream.OpenLog(filepath.Join(n.cfg.DataDir, "log"), walstream.LogOptions{})
	if err != nil {
		return nil, fmt.Errorf("opening the replication log: %w", err)
	}
	c := &cluster{n: n, cfg: cfg, log: n.log, wal: wal, repl: newReplicator(wal), met: newStreamMetrics()}
	if c.faults, err = faultsFromEnv(); err != nil {
		wal.Close()
		return nil, err
	}
	if c.faults.any() {
		n.log.Error("SEEDED FAULTS ARE ON: this node is deliberately broken for testing", "faults", fmt.Sprintf("%+v", c.faults))
	}
	if c.record, err = openCommitRecord(n.cfg.NodeID); err != nil {
		wal.Close()
		return nil, err
	}
	c.repl.quorum = c.quorum
	return c, nil
}

// recover brings the databases and the log into agreement after a restart:
// a transaction committed but never logged (crash between the two) is
// captured again from the WAL; transactions logged but missing from the
// databases are applied again.
func (c *cluster) recover(ctx context.Context) error {
	ids, err := c.eng.HeaderTxIDs(ctx)
	if err != nil {
		return err
	}
	last, _ := c.wal.Last()
	epoch, err := election.LoadEpoch(c.stateDir())
	if err != nil {
		return err
	}
	for db, id := range ids {
		if id <= last.TxID {
			continue
		}
		cap, ok, err := c.eng.LastCommitted(db)
		if id != last.TxID+1 || err != nil || !ok {
			c.log.Error("database is ahead of the replication log; it will be replaced by a snapshot from the primary", "db", db, "db_txid", id, "log", last, "err", err)
			c.needsSnap = true
			continue
		}
		t := &walstream.Txn{Pos: walstream.Position{Epoch: max(epoch, last.Epoch), TxID: id}, Kind: walstream.KindPages, DB: db,
			PageSize: cap.PageSize, CommitSize: cap.CommitSize, Pages: cap.Pages}
		if err := c.repl.recovered(t); err != nil {
			return err
		}
		c.record.add("recovered", t)
		c.log.Warn("recovered a transaction committed just before a crash", "db", db, "pos", t.Pos)
		last = t.Pos
	}
	// Replay what the log holds beyond each database.
	from := last.TxID + 1
	for _, id := range ids {
		if id+1 < from {
			from = id + 1
		}
	}
	if from <= last.TxID {
		if from < c.wal.First() {
			c.log.Error("the replication log no longer holds what the databases lack; a snapshot will replace them", "need", from, "first", c.wal.First())
			c.needsSnap = true
		} else {
			rd, err := c.wal.NewReader(from)
			if err != nil {
				return fmt.Errorf("replaying the replication log: %w", err)
			}
			n := 0
			for {
				t, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					rd.Close()
					return fmt.Errorf("replaying the replication log: %w", err)
				}
				if have, ok := ids[t.DB]; ok && t.Kind == walstream.KindPages && t.Pos.TxID <= have {
					continue
				}
				if err := c.eng.ApplyTxn(ctx, t); err != nil {
					rd.Close()
					return fmt.Errorf("replaying the replication log: %w", err)
				}
				n++
			}
			rd.Close()
			if n > 0 {
				c.log.Info("replayed the replication log", "transactions", n, "to", last)
			}
		}
	}
	c.repl.reset()
	c.repl.setApplied(last.TxID)
	return nil
}

func (c *cluster) stateDir() string { return filepath.Join(c.n.cfg.DataDir, "election") }

// start opens the peer listener and joins the cluster.
func (c *cluster) start(ctx context.Context) error {
	tr, err := peer.New(peer.Config{NodeID: c.n.cfg.NodeID, ClusterID: c.cfg.ClusterID, Secret: c.cfg.Secret, Logger: c.log})
	if err != nil {
		return err
	}
	c.tr = tr
	c.mem = newMembership(c.eng)
	c.repl.onSchemaChange = func(string) { c.mem.invalidate() }
	c.fwd = forward.NewServer(forward.ServerConfig{Engine: c.eng, Position: func() uint64 { p, _ := c.wal.Last(); return p.TxID }, Logger: c.log,
		// A deposed primary must not answer forwarded reads from its
		// stale state: the replica retries on the current primary.
		Serving: func() error {
			if c.repl.isPrimary() {
				return nil
			}
			return errNotPrimary
		}})
	tr.Handle(peer.KindStream, c.serveStream)
	tr.Handle(peer.KindSnapshot, c.serveSnapshot)
	tr.Handle(peer.KindSession, func(ctx context.Context, pc *peer.Conn) { c.fwd.ServeConn(ctx, pc) })
	tr.Handle(peer.KindVote, c.serveVote)
	tr.Handle(peer.KindControl, c.serveControl)
	if c.ln, err = net.Listen("tcp", c.cfg.PeerAddr); err != nil {
		return fmt.Errorf("listening on --peer-addr %s: %w", c.cfg.PeerAddr, err)
	}
	go tr.Serve(c.ln)
	el, err := election.Start(ctx, election.Config{
		NodeID: c.n.cfg.NodeID, BindAddr: c.cfg.GossipAddr, AdvertiseAddr: gossipAdvertise(c.cfg),
		PeerAddr: c.advertised(c.ln.Addr().String()), PGAddr: c.advertised(c.n.PGAddr()), AdminAddr: c.advertised(c.n.AdminAddr()),
		Join: c.cfg.Join, ClusterID: c.cfg.ClusterID, Secret: c.cfg.Secret,
		BootstrapExpect: c.cfg.BootstrapExpect, LeaseTTL: c.cfg.LeaseTTL, StateDir: c.stateDir(),
		Position: func() walstream.Position { p, _ := c.wal.Last(); return p },
		Voters:   c.mem.voters,
		Contact:  c.contact,
		OnFence:  c.repl.fence,
		Vote:     voteTransport{c},
		Logger:   c.log,
	})
	if err != nil {
		c.ln.Close()
		return fmt.Errorf("starting the election: %w", err)
	}
	c.el = el
	lctx, cancel := context.WithCancel(context.Background())
	c.loopCancel, c.loopDone = cancel, make(chan struct{})
	go c.roleLoop(lctx)
	return nil
}

// gossipAdvertise is the gossip address others reach: --advertise-addr
// (a host, or host:port) with the gossip port. Both cluster modes use it.
func gossipAdvertise(cfg StreamConfig) string {
	adv := cfg.AdvertiseAddr
	if adv == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(adv); err == nil {
		return adv
	}
	_, port, err := net.SplitHostPort(cfg.GossipAddr)
	if err != nil {
		return adv
	}
	return net.JoinHostPort(adv, port)
}

// advertised replaces an unspecified bind host (0.0.0.0, ::) with the
// advertise host, so peers get an address they can dial.
func (c *cluster) advertised(addr string) string { return advertisedAddr(addr, c.cfg.AdvertiseAddr) }

// roleLoop applies every role the election hands out.
func (c *cluster) roleLoop(ctx context.Context) {
	defer close(c.loopDone)
	for {
		select {
		case <-ctx.Done():
			c.endRole()
			return
		case r := <-c.el.Roles():
			c.setRole(r)
		}
	}
}

func (c *cluster) setRole(r election.Role) {
	c.mu.Lock()
	same := c.role.Kind == r.Kind && c.role.Epoch == r.Epoch && c.role.Primary.ID == r.Primary.ID
	c.mu.Unlock()
	if same {
		return
	}
	c.endRole()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.role = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.stopRole, c.roleDone = cancel, done
	c.log.Info("role changed", "role", roleName(r.Kind), "epoch", r.Epoch, "primary", r.Primary.ID)
	switch r.Kind {
	case election.RolePrimary:
		c.met.elections.Inc()
		epoch := r.Epoch
		if c.faults.skipEpochCheck && epoch > 1 {
			// The seeded bug: commits are stamped with the epoch before
			// the one this node won, so it writes where its predecessor
			// wrote (replicas, with the same fault, do not object).
			epoch--
		}
		sh := walstream.NewShipper(walstream.ShipperConfig{Log: c.wal, Epoch: epoch, NodeID: c.n.cfg.NodeID, Logger: c.log,
			OnAckLatency: c.met.observeLag})
		c.shipper = sh
		c.repl.becomePrimary(epoch, sh)
		go func() {
			defer close(done)
			c.bootstrapMembership(ctx)
		}()
	case election.RoleReplica:
		c.repl.stepDown()
		go func() {
			defer close(done)
			c.follow(ctx, r)
		}()
	default:
		c.repl.stepDown()
		close(done)
	}
}

func (c *cluster) endRole() {
	c.mu.Lock()
	stop, done := c.stopRole, c.roleDone
	c.stopRole, c.roleDone = nil, nil
	c.role = election.Role{}
	c.shipper = nil
	c.mu.Unlock()
	c.repl.stepDown()
	if stop != nil {
		stop()
		<-done
	}
}

func roleName(k election.RoleKind) string { return k.String() }

// follow streams from the primary until the role ends, reconnecting and
// installing snapshots as needed.
func (c *cluster) follow(ctx context.Context, r election.Role) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := c.followOnce(ctx, r.Primary)
		if errors.Is(err, walstream.ErrNeedSnapshot) {
			c.log.Warn("installing a snapshot from the primary", "primary", r.Primary.ID, "reason", err)
			if err = c.installFrom(ctx, r.Primary); err == nil {
				backoff = 50 * time.Millisecond
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		c.log.Info("replication stream ended; reconnecting", "primary", r.Primary.ID, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (c *cluster) followOnce(ctx context.Context, p election.Member) error {
	c.mu.Lock()
	force := c.needsSnap
	c.mu.Unlock()
	if force {
		return fmt.Errorf("%w: local databases do not match the log", walstream.ErrNeedSnapshot)
	}
	if err := c.applyLogTail(ctx); err != nil {
		return err
	}
	if last, _ := c.wal.Last(); last.TxID == 0 && p.Pos.TxID > 0 {
		// A new node starts from a snapshot rather than replaying the
		// primary's whole history.
		return fmt.Errorf("%w: new node", walstream.ErrNeedSnapshot)
	}
	conn, err := c.tr.Dial(ctx, p.PeerAddr, peer.KindStream)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fence, current := c.el.Fence, c.el.Epoch
	if c.faults.skipEpochCheck {
		fence, current = func(uint64) error { return nil }, func() uint64 { return 0 }
	}
	_, err = walstream.Follow(ctx, conn, walstream.FollowerConfig{
		NodeID:      c.n.cfg.NodeID,
		Log:         c.wal,
		Fence:       fence,
		Current:     current,
		Apply:       c.applyTxn,
		OnHeartbeat: func(last uint64) { c.met.primaryLast.Store(last) },
		Timeout:     c.cfg.LeaseTTL * 2,
		Logger:      c.log,
	})
	c.repl.reset()
	return err
}

// applyLogTail applies what the log holds beyond the databases: a stream
// that ended on a failed apply leaves logged transactions unapplied, and
// the next stream starts after the log's end.
func (c *cluster) applyLogTail(ctx context.Context) error {
	last, _ := c.wal.Last()
	from := c.repl.applied.Load() + 1
	if from > last.TxID {
		return nil
	}
	rd, err := c.wal.NewReader(from)
	if err != nil {
		return fmt.Errorf("%w: the log no longer holds transaction %d (%v)", walstream.ErrNeedSnapshot, from, err)
	}
	defer rd.Close()
	for {
		t, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("applying the log's tail: %w", err)
		}
		if err := c.applyTxn(ctx, t); err != nil {
			return fmt.Errorf("applying the log's tail: %w", err)
		}
	}
}

// applyTxn applies a logged transaction from the primary to the
// databases, as a replica: the stream's live tail and the log's
// unapplied tail go through here alike.
func (c *cluster) applyTxn(ctx context.Context, t *walstream.Txn) error {
	if err := c.eng.ApplyTxn(ctx, t); err != nil {
		return err
	}
	c.record.add("replica", t)
	if t.DB == systemDB {
		// The membership cache reads the system database.
		c.mem.invalidate()
	}
	c.repl.setApplied(t.Pos.TxID)
	return nil
}

// installFrom replaces the local databases with the primary's snapshot.
func (c *cluster) installFrom(ctx context.Context, p election.Member) error {
	conn, err := c.tr.Dial(ctx, p.PeerAddr, peer.KindSnapshot)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	local, sum := c.wal.Last()
	c.log.Warn("replacing local databases with the primary's snapshot; local transactions the primary does not have are discarded",
		"local_last", local, "local_sum", fmt.Sprintf("%016x", sum), "log_first", c.wal.First(), "primary", p.ID, "primary_position", p.Pos)
	h, err := c.install(ctx, conn)
	if err != nil {
		return fmt.Errorf("installing the snapshot from %s: %w", p.ID, err)
	}
	c.log.Info("installed a snapshot", "from", p.ID, "position", walstream.Position{Epoch: h.Epoch, TxID: h.TxID})
	return nil
}

// install reads a snapshot into the engine and restarts the log after it.
func (c *cluster) install(ctx context.Context, r io.Reader) (snapshot.Header, error) {
	var names []string
	inst := namingInstaller{Installer: c.eng.Installer(), names: &names}
	h, err := snapshot.Read(ctx, r, inst, nil)
	if err != nil {
		return h, err
	}
	if err := c.eng.DropExcept(ctx, names); err != nil {
		return h, err
	}
	if err := c.wal.Reset(walstream.Position{Epoch: h.Epoch, TxID: h.TxID}, h.Sum); err != nil {
		return h, err
	}
	c.repl.reset()
	c.repl.setApplied(h.TxID)
	c.mem.invalidate()
	c.mu.Lock()
	c.needsSnap = false
	c.mu.Unlock()
	c.met.snapshots.Inc()
	return h, nil
}

// namingInstaller records the databases a snapshot holds; a restore skips
// the backup's system database (membership belongs to this cluster).
type namingInstaller struct {
	snapshot.Installer
	names *[]string
	skip  string
}

func (n namingInstaller) Begin(ctx context.Context, db snapshot.DBInfo) (snapshot.DBWriter, error) {
	if db.Name == n.skip {
		return discard{}, nil
	}
	*n.names = append(*n.names, db.Name)
	return n.Installer.Begin(ctx, db)
}

type discard struct{}

func (discard) WritePage(context.Context, uint32, []byte) error { return nil }
func (discard) Commit(context.Context) error                    { return nil }
func (discard) Abort() error                                    { return nil }

// serveStream serves a replica's stream while this node is primary.
func (c *cluster) serveStream(ctx context.Context, pc *peer.Conn) {
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh == nil {
		return // not the primary: the replica re-reads the lease and retries
	}
	if err := sh.ServeReplica(ctx, pc); err != nil && ctx.Err() == nil {
		c.log.Debug("replica stream ended", "replica", pc.RemoteID, "err", err)
	}
}

// serveSnapshot streams a consistent snapshot of every database.
func (c *cluster) serveSnapshot(ctx context.Context, pc *peer.Conn) {
	if err := c.writeSnapshot(ctx, pc); err != nil {
		c.log.Warn("sending a snapshot failed", "to", pc.RemoteID, "err", err)
	}
}

func (c *cluster) writeSnapshot(ctx context.Context, w io.Writer) error {
	var src *sqlite.Snapshot
	var h snapshot.Header
	err := c.repl.withCommitLock(func(last walstream.Position, sum uint64) error {
		var err error
		src, err = c.eng.OpenSnapshot(ctx)
		h = snapshot.Header{Created: time.Now(), NodeID: c.n.cfg.NodeID, ClusterID: c.cfg.ClusterID, Epoch: last.Epoch, TxID: last.TxID, Sum: sum}
		return err
	})
	if err != nil {
		return err
	}
	defer src.Close()
	h.Databases = len(src.Databases())
	return snapshot.Write(ctx, w, h, src, nil)
}

// quorum is how many replica acknowledgements a commit needs now.
func (c *cluster) quorum() (int, func(string) bool) {
	if c.faults.ackBeforeReplication {
		return 0, nil
	}
	if c.cfg.SyncReplicas != "quorum" {
		k, _ := strconv.Atoi(c.cfg.SyncReplicas)
		return k, func(string) bool { return true }
	}
	voters := c.mem.voters()
	if len(voters) == 0 {
		voters = c.bootstrapVoters()
	}
	set := map[string]bool{}
	for _, v := range voters {
		set[v] = true
	}
	need := len(voters)/2 + 1
	if set[c.n.cfg.NodeID] {
		need--
	}
	self := c.n.cfg.NodeID
	return need, func(id string) bool { return id != self && set[id] }
}

// bootstrapVoters is the initial voting membership before the primary has
// written it: the set the election bootstrapped with.
func (c *cluster) bootstrapVoters() []string {
	if c.el == nil {
		return nil
	}
	return c.el.Voters()
}

// contact lists the voters the primary heard from within the lease TTL,
// itself included.
func (c *cluster) contact() []string {
	out := []string{c.n.cfg.NodeID}
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh == nil {
		return out
	}
	for _, r := range sh.Replicas() {
		if r.Connected && time.Since(r.LastContact) < c.cfg.LeaseTTL {
			out = append(out, r.ID)
		}
	}
	return out
}

// bootstrapMembership writes the initial voters into the system database
// the first time a primary is elected.
func (c *cluster) bootstrapMembership(ctx context.Context) {
	for ctx.Err() == nil {
		if len(c.mem.voters()) > 0 {
			return
		}
		err := c.mem.initialize(ctx, c.bootstrapVoters())
		if err == nil {
			c.log.Info("initialized the cluster membership", "voters", c.mem.voters())
			return
		}
		c.log.Warn("initializing the cluster membership failed; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop leaves the cluster: a primary hands over first.
func (c *cluster) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	if c.el != nil {
		c.el.Leave(2 * time.Second)
	}
	if c.loopCancel != nil {
		c.loopCancel()
		<-c.loopDone
	}
	c.endRole()
	if c.el != nil {
		c.el.Shutdown()
	}
	if c.tr != nil {
		c.tr.Close()
	}
}

// closeLog runs after the engine is closed.
func (c *cluster) closeLog() error {
	return errors.Join(c.wal.Close(), c.record.close())
}

// voteTransport carries election votes over peer connections.
type voteTransport struct{ c *cluster }

func (v voteTransport) RequestVote(ctx context.Context, addr string, req election.VoteRequest) (election.VoteResponse, error) {
	var resp election.VoteResponse
	conn, err := v.c.tr.Dial(ctx, addr, peer.KindVote)
	if err != nil {
		return resp, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := gob.NewEncoder(conn).Encode(req); err != nil {
		return resp, err
	}
	err = gob.NewDecoder(conn).Decode(&resp)
	return resp, err
}

func (c *cluster) serveVote(ctx context.Context, pc *peer.Conn) {
	pc.SetDeadline(time.Now().Add(5 * time.Second))
	var req election.VoteRequest
	if err := gob.NewDecoder(pc).Decode(&req); err != nil {
		return
	}
	resp := c.el.HandleVote(ctx, req)
	gob.NewEncoder(pc).Encode(resp)
}

// status is the replication part of /status.
func (c *cluster) status() (string, *admin.ClusterStatus) {
	last, _ := c.wal.Last()
	st := &admin.ClusterStatus{Position: last.String(), Applied: c.repl.applied.Load(), SyncReplica: c.cfg.SyncReplicas}
	role := "none"
	if c.el != nil {
		st.Epoch = c.el.Epoch()
		if p, ok := c.el.Primary(); ok {
			st.Primary = p.ID
		}
		role = roleName(c.el.Role().Kind)
	}
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh != nil {
		for _, r := range sh.Replicas() {
			st.Replicas = append(st.Replicas, admin.ReplicaStatus{ID: r.ID, Connected: r.Connected, AckedTxID: r.Acked, LagTxns: r.Lag, LastContact: r.LastContact})
		}
	}
	return role, st
}
