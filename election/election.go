package election

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/sqlcluster/sqlcluster/walstream"
)

var (
	// ErrClosed: the Election was shut down (or is leaving).
	ErrClosed = errors.New("election: shut down")
	// ErrNotVoter: this node is not in the voting membership.
	ErrNotVoter = errors.New("election: this node is not a voter")
	// ErrLost: a campaign did not get a majority.
	ErrLost = errors.New("election: campaign lost")
	// ErrStaleEpoch: Fence was given an epoch older than the current one.
	ErrStaleEpoch = errors.New("election: stale epoch")
)

// Election is one node's part in electing the primary. Create it with
// Start; it runs until Leave or Shutdown.
type Election struct {
	cfg Config
	log *slog.Logger
	tag clusterTag
	ml  *memberlist.Memberlist
	// gossipAddr is set once at start; memberlist is never called under mu
	// (its callbacks take mu while holding memberlist's own lock).
	gossipAddr string

	ctx    context.Context // canceled by Shutdown; bounds campaigns
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup

	wake     chan struct{} // re-evaluate now (gossip changed, vote granted)
	metaWake chan struct{} // publish metadata now
	campaign chan struct{} // semaphore: one campaign at a time
	roles    chan Role

	// life serializes Leave and Shutdown (memberlist panics on a Leave
	// after Shutdown).
	life sync.Mutex
	// voteMu serializes changes of the persisted state and is held across
	// OnFence and the fsync; see the package doc for the lock order.
	voteMu sync.Mutex

	mu        sync.Mutex
	st        voteState // as persisted
	maxSeen   uint64    // newest epoch heard of anywhere (may be a failed claim)
	pos       walstream.Position
	role      Role
	lease     *Lease // this node's lease: while primary, and after StepDown until expiry
	nextRenew time.Time
	grants    map[string]time.Time // voters that granted this node's winning epoch, and when
	standTill time.Time            // no claims before (after stepping down)
	nextClaim time.Time            // back-off after a lost campaign or a granted vote
	lastLease time.Time            // last time a live lease (of a current epoch) was seen
	started   time.Time            // no claims of our own before started+TTL: learn the cluster first
	lastGrant grant                // the latest real vote this node granted
	peers     map[string]*peer
	stats     Stats
	closed    bool
	leaving   bool
}

type grant struct {
	candidate string
	epoch     uint64
	at        time.Time
}

// peer is the gossip state of another node.
type peer struct {
	meta  *nodeMeta
	alive bool
	addr  string
}

// Start validates cfg, loads the persisted vote state, starts gossip and
// the election loop, and joins the seeds in the background (a node may
// start before its seeds). ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (*Election, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if n := worstMetaLen(cfg.NodeID, cfg.PeerAddr, cfg.PGAddr, cfg.AdminAddr); n > metaMaxLen {
		return nil, fmt.Errorf("election: node metadata may need %d bytes, memberlist allows %d; shorten the addresses", n, metaMaxLen)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating election state directory: %w", err)
	}
	st, err := readState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if st.NodeID != "" && st.NodeID != cfg.NodeID {
		return nil, fmt.Errorf("election: state in %s belongs to node %q, not %q", cfg.StateDir, st.NodeID, cfg.NodeID)
	}
	if st.NodeID == "" {
		st.NodeID = cfg.NodeID
		if err := writeState(cfg.StateDir, st); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	e := &Election{
		cfg:       cfg,
		log:       cfg.Logger.With("component", "election"),
		tag:       tagOf(cfg.ClusterID),
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		metaWake:  make(chan struct{}, 1),
		campaign:  make(chan struct{}, 1),
		roles:     make(chan Role, 64),
		st:        st,
		maxSeen:   st.Epoch,
		pos:       cfg.Position(),
		role:      Role{Kind: RoleNone, Epoch: st.Epoch},
		lastLease: now,
		started:   now,
		peers:     map[string]*peer{},
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if err := e.startGossip(ctx); err != nil {
		e.cancel()
		return nil, err
	}
	e.wg.Add(3)
	go e.run()
	go e.publishLoop()
	go e.joinLoop()
	e.log.Info("election started", "gossip", e.GossipAddr(), "epoch", st.Epoch, "voted_for", st.VotedFor,
		"bootstrap_expect", cfg.BootstrapExpect, "lease_ttl", cfg.LeaseTTL)
	return e, nil
}

// Roles delivers every role change. It is buffered; when the reader falls
// behind, the oldest change is dropped, so the last value received is
// always the current role (also available from Role). It is never closed;
// after Shutdown a final RoleNone is delivered if the role was another.
func (e *Election) Roles() <-chan Role { return e.roles }

// Role returns the current role.
func (e *Election) Role() Role {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.role
}

// Epoch returns the newest epoch this node adopted (and persisted): it
// refuses anything older.
func (e *Election) Epoch() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.Epoch
}

// GossipAddr is the address other nodes reach this node's gossip at (a
// Join seed for them).
func (e *Election) GossipAddr() string { return e.gossipAddr }

// Fence is called when a primary's stream shows epoch: a newer epoch is
// adopted (OnFence, then persisted), an older one is an error wrapping
// ErrStaleEpoch. It must not be called while holding the lock OnFence
// takes.
func (e *Election) Fence(epoch uint64) error {
	e.voteMu.Lock()
	defer e.voteMu.Unlock()
	e.mu.Lock()
	cur, closed := e.st.Epoch, e.closed
	e.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case epoch < cur:
		return fmt.Errorf("%w: epoch %d is older than current epoch %d", ErrStaleEpoch, epoch, cur)
	case epoch == cur:
		return nil
	}
	return e.adoptLocked(epoch, "replication stream")
}

// adopt makes epoch current if it is newer; used for a live lease seen in
// gossip (a node seeing a newer primary defers to it).
func (e *Election) adopt(epoch uint64, why string) {
	e.voteMu.Lock()
	defer e.voteMu.Unlock()
	e.mu.Lock()
	cur, closed := e.st.Epoch, e.closed
	e.mu.Unlock()
	if closed || epoch <= cur {
		return
	}
	if err := e.adoptLocked(epoch, why); err != nil {
		e.log.Warn("adopting a newer epoch failed", "epoch", epoch, "from", why, "err", err)
	}
}

// adoptLocked fences, persists and applies a newer epoch without a vote.
// voteMu must be held.
func (e *Election) adoptLocked(epoch uint64, why string) error {
	if err := e.cfg.OnFence(epoch); err != nil {
		return fmt.Errorf("fencing epoch %d: %w", epoch, err)
	}
	e.mu.Lock()
	st := e.st.clone()
	e.mu.Unlock()
	st.Epoch, st.VotedFor = epoch, ""
	if err := writeState(e.cfg.StateDir, st); err != nil {
		return err
	}
	now := time.Now()
	e.mu.Lock()
	e.st = st
	e.maxSeen = max(e.maxSeen, epoch)
	if e.role.Epoch < epoch {
		switch e.role.Kind {
		case RolePrimary:
			e.stepDownLocked(now, fmt.Sprintf("epoch %d seen in %s", epoch, why), false)
		case RoleReplica:
			e.setRoleLocked(Role{Kind: RoleNone, Epoch: epoch})
		}
	}
	e.mu.Unlock()
	e.log.Info("adopted a newer epoch", "epoch", epoch, "from", why)
	e.kickMeta()
	e.kick()
	return nil
}

// StepDown gives up the primary role now (leadership transfer: the old
// primary stops writes, the target catches up and calls Campaign with
// transfer). The lease stays advertised, unrenewed, until it expires, so
// no other node claims in the meantime; a transfer request ignores it. The
// node then stands aside for a while.
func (e *Election) StepDown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.role.Kind != RolePrimary {
		return
	}
	e.stepDownLocked(time.Now(), "requested", true)
}

// stepDownLocked leaves the primary role. keepLease leaves the lease
// advertised until it expires (transfer window); otherwise it is dropped
// so the others can elect at once.
func (e *Election) stepDownLocked(now time.Time, reason string, keepLease bool) {
	e.log.Warn("stepping down", "epoch", e.role.Epoch, "reason", reason)
	stand := now.Add(e.cfg.standAside())
	if keepLease && e.lease != nil {
		stand = maxTime(stand, e.lease.Expiry.Add(e.cfg.LeaseTTL))
	} else {
		e.lease = nil
	}
	e.standTill = maxTime(e.standTill, stand)
	e.grants = nil
	e.stats.StepDowns++
	e.setRoleLocked(Role{Kind: RoleNone, Epoch: e.st.Epoch})
	e.kickMeta()
}

// setRoleLocked records r and announces it when it calls for a different
// action than the previous role.
func (e *Election) setRoleLocked(r Role) {
	changed := !e.role.same(r)
	e.role = r
	if !changed || e.closed {
		return
	}
	e.log.Info("role changed", "role", r.Kind, "epoch", r.Epoch, "primary", r.Primary.ID)
	e.emitLocked(r)
}

func (e *Election) emitLocked(r Role) {
	for {
		select {
		case e.roles <- r:
			return
		default:
		}
		select { // full: drop the oldest so the newest always gets in
		case <-e.roles:
		default:
		}
	}
}

// Members returns the gossip view, this node included, sorted by id.
func (e *Election) Members() []Member {
	now := time.Now()
	e.mu.Lock()
	out := make([]Member, 0, len(e.peers)+1)
	out = append(out, e.selfMemberLocked(now))
	for _, p := range e.peers {
		if p.meta != nil {
			out = append(out, p.meta.member(p.alive, p.addr, now))
		}
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Primary returns the live primary gossip shows (this node if primary):
// alive, role primary, unexpired lease; the newest epoch if several.
func (e *Election) Primary() (Member, bool) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.role.Kind == RolePrimary {
		return e.selfMemberLocked(now), true
	}
	if p := e.livePrimaryLocked(now); p != nil {
		return p.meta.member(p.alive, p.addr, now), true
	}
	return Member{}, false
}

// Voters returns the voting membership this node uses: Config.Voters when
// it has one, otherwise the bootstrap set once formed, otherwise nil. It
// only reads (the election loop forms the bootstrap set), so it is safe to
// call from the commit path, e.g. to size a quorum before the membership
// is written.
func (e *Election) Voters() []string {
	if e.cfg.Voters != nil {
		if v := e.cfg.Voters(); len(v) > 0 {
			return normalizeIDs(v)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Bootstrap)
}

// Stats returns counters and the current state.
func (e *Election) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Role, s.Epoch, s.VotedFor = e.role.Kind, e.st.Epoch, e.st.VotedFor
	s.Members = len(e.peers) + 1
	s.Alive = 1
	for _, p := range e.peers {
		if p.alive {
			s.Alive++
		}
	}
	return s
}

// Leave departs gracefully: a primary steps down and drops its lease (so
// the others elect at once), the departure is gossiped (waiting up to
// timeout), then everything stops as with Shutdown.
func (e *Election) Leave(timeout time.Duration) error {
	e.life.Lock()
	defer e.life.Unlock()
	e.mu.Lock()
	if e.closed || e.leaving {
		e.mu.Unlock()
		return nil
	}
	e.leaving = true
	wasPrimary := e.role.Kind == RolePrimary
	if wasPrimary {
		e.stepDownLocked(time.Now(), "leaving the cluster", false)
	}
	e.lease = nil
	e.mu.Unlock()
	if wasPrimary {
		// The leave message alone would do; the metadata update makes the
		// lease disappear even where the leave is slow to arrive.
		_ = e.ml.UpdateNode(min(timeout/2, time.Second))
	}
	var errs []error
	if err := e.ml.Leave(timeout); err != nil {
		errs = append(errs, fmt.Errorf("leaving the gossip cluster: %w", err))
	}
	if err := e.shutdown(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Shutdown stops at once, like a crash of the election part: no step-down
// message, no leave. The persisted state stays for a restart.
func (e *Election) Shutdown() error {
	e.life.Lock()
	defer e.life.Unlock()
	return e.shutdown()
}

func (e *Election) shutdown() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	if e.role.Kind != RoleNone {
		e.emitLocked(Role{Kind: RoleNone, Epoch: e.st.Epoch})
	}
	e.role = Role{Kind: RoleNone, Epoch: e.st.Epoch}
	e.lease = nil
	e.closed = true
	e.mu.Unlock()
	close(e.done)
	e.cancel()
	err := e.ml.Shutdown()
	e.wg.Wait()
	e.log.Info("election stopped")
	if err != nil {
		return fmt.Errorf("stopping gossip: %w", err)
	}
	return nil
}

func (e *Election) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Election) kickMeta() {
	select {
	case e.metaWake <- struct{}{}:
	default:
	}
}

// selfMetaLocked is what this node gossips about itself now.
func (e *Election) selfMetaLocked(now time.Time) *nodeMeta {
	m := &nodeMeta{
		Tag: e.tag, ID: e.cfg.NodeID, PeerAddr: e.cfg.PeerAddr, PGAddr: e.cfg.PGAddr, AdminAddr: e.cfg.AdminAddr,
		Role: e.role.Kind, Epoch: e.st.Epoch, Pos: e.pos,
	}
	if e.leaving || now.Before(e.standTill) {
		m.Flags |= flagStandAside
	}
	if e.lease.live(now) && !e.closed {
		l := *e.lease
		m.Lease = &l
	}
	return m
}

func (e *Election) selfMemberLocked(now time.Time) Member {
	return e.selfMetaLocked(now).member(!e.closed, e.gossipAddr, now)
}

// liveLeasesLocked lists the unexpired leases of alive nodes, this one
// included.
func (e *Election) liveLeasesLocked(now time.Time) []Lease {
	var out []Lease
	if !e.closed && e.lease.live(now) {
		out = append(out, *e.lease)
	}
	for _, p := range e.peers {
		if p.alive && p.meta != nil && p.meta.Lease.live(now) {
			out = append(out, *p.meta.Lease)
		}
	}
	return out
}

// livePrimaryLocked is the other node gossip shows as a live primary, the
// newest epoch if several.
func (e *Election) livePrimaryLocked(now time.Time) *peer {
	var best *peer
	for _, p := range e.peers {
		if !p.alive || p.meta == nil || p.meta.Role != RolePrimary || !p.meta.Lease.live(now) {
			continue
		}
		if best == nil || p.meta.Lease.Epoch > best.meta.Lease.Epoch {
			best = p
		}
	}
	return best
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func containsID(ids []string, id string) bool { return slices.Contains(ids, id) }
