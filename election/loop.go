package election

import (
	"fmt"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// run re-evaluates the situation every tick and whenever gossip changes:
// lease renewal for a primary; following, deferring or claiming for the
// others.
func (e *Election) run() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.tick())
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		case <-e.wake:
		}
		e.step()
	}
}

func (e *Election) step() {
	// The callbacks into the node run without any lock held.
	pos := e.cfg.Position()
	voters := e.voters(pos)
	now := time.Now()

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.pos = pos
	for _, p := range e.peers {
		if m := p.meta; m != nil {
			e.maxSeen = max(e.maxSeen, m.Epoch, m.Pos.Epoch)
			if m.Lease != nil {
				e.maxSeen = max(e.maxSeen, m.Lease.Epoch)
			}
		}
	}
	var newer uint64
	var newerFrom string
	if p := e.livePrimaryLocked(now); p != nil && p.meta.Lease.Epoch > e.st.Epoch {
		newer, newerFrom = p.meta.Lease.Epoch, p.meta.ID
	}
	e.mu.Unlock()

	if newer > 0 {
		e.adopt(newer, "lease of "+newerFrom)
	}

	e.mu.Lock()
	primary := e.role.Kind == RolePrimary
	e.mu.Unlock()
	if primary {
		e.primaryStep(now, voters)
	} else {
		e.followerStep(now, voters, pos)
	}
}

// primaryStep renews the lease while a majority of voters is in contact
// and steps down once it could not for a full TTL.
func (e *Election) primaryStep(now time.Time, voters []string) {
	e.mu.Lock()
	if e.role.Kind != RolePrimary {
		e.mu.Unlock()
		return
	}
	epoch := e.role.Epoch
	// A voter that adopted a newer epoch promised another candidate and
	// refuses this primary's frames; stepping down lets it back in (Raft's
	// rule). Only real claims raise epochs, and they need a majority
	// pre-vote first, so a healthy primary is not disrupted by this.
	for id, p := range e.peers {
		if p.alive && p.meta != nil && p.meta.Epoch > epoch && containsID(voters, id) {
			e.stepDownLocked(now, fmt.Sprintf("voter %s is at epoch %d", id, p.meta.Epoch), false)
			e.mu.Unlock()
			return
		}
	}
	// One tick early, so this node has stopped before its lease expires by
	// its own clock, which is when the others may start to elect.
	if !now.Before(e.lease.Expiry.Add(-e.cfg.tick())) {
		e.stepDownLocked(now, "lease expiring: no majority of voters in contact for a full TTL", false)
		e.stats.LostContact++
		e.mu.Unlock()
		return
	}
	due := !now.Before(e.nextRenew)
	grants := make([]string, 0, len(e.grants))
	for id, at := range e.grants {
		if now.Sub(at) < e.cfg.LeaseTTL {
			grants = append(grants, id)
		}
	}
	e.mu.Unlock()
	if !due {
		return
	}

	heard := e.contact(voters)
	// A vote granted within TTL is contact too: it covers the time replicas
	// need to connect their streams after an election.
	heard = append(heard, grants...)
	n := countVoters(voters, append(heard, e.cfg.NodeID))
	need := len(voters)/2 + 1

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.role.Kind != RolePrimary || e.role.Epoch != epoch {
		return
	}
	e.nextRenew = now.Add(e.cfg.renewEvery())
	if len(voters) > 0 && n >= need {
		e.lease.Expiry = now.Add(e.cfg.LeaseTTL)
		e.kickMeta()
		return
	}
	e.log.Warn("lease not renewed: too few voters in contact", "contact", n, "need", need, "voters", len(voters),
		"expires_in", e.lease.Expiry.Sub(now))
}

// contact asks the node which voters it heard from; without a Contact
// callback, the voters gossip sees alive count.
func (e *Election) contact(voters []string) []string {
	if e.cfg.Contact != nil {
		return e.cfg.Contact()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, id := range voters {
		if p := e.peers[id]; p != nil && p.alive {
			out = append(out, id)
		}
	}
	return out
}

// countVoters counts the distinct voters among ids.
func countVoters(voters, ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		if containsID(voters, id) {
			seen[id] = true
		}
	}
	return len(seen)
}

// followerStep follows the live primary, if there is one this node may
// follow, and otherwise decides whether to claim.
func (e *Election) followerStep(now time.Time, voters []string, pos walstream.Position) {
	self := e.cfg.NodeID
	e.mu.Lock()
	if e.role.Kind == RolePrimary || e.closed {
		e.mu.Unlock() // a campaign won since step looked
		return
	}
	cur := e.st.Epoch
	r := Role{Kind: RoleNone, Epoch: cur}
	// A newer primary's epoch was adopted by step; if that failed, the node
	// must not follow it.
	if p := e.livePrimaryLocked(now); p != nil && p.meta.Lease.Epoch == cur {
		r = Role{Kind: RoleReplica, Epoch: p.meta.Lease.Epoch, Primary: p.meta.member(true, p.addr, now)}
	}
	e.setRoleLocked(r)

	leased := false
	for _, l := range e.liveLeasesLocked(now) {
		if l.Epoch >= cur {
			leased = true
		}
	}
	if leased {
		// Someone holds the lease: any campaign this node was waiting on
		// (its own back-off, or one it granted) is decided.
		e.lastLease, e.nextClaim = now, time.Time{}
	}
	eligible := !leased && !e.leaving && containsID(voters, self) &&
		!now.Before(e.nextClaim) && !now.Before(e.standTill) &&
		now.Sub(e.started) >= e.cfg.LeaseTTL
	best := ""
	if eligible {
		best = e.bestCandidateLocked(now, voters, pos)
	}
	patient := now.Sub(e.lastLease) < e.cfg.patience()
	e.mu.Unlock()

	if !eligible || (best != self && patient) {
		return
	}
	select {
	case e.campaign <- struct{}{}:
	default:
		return // a campaign is running
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() { <-e.campaign }()
		if best != self {
			e.log.Debug("no lease for a while; claiming although not the preferred candidate", "preferred", best)
		}
		if err := e.runCampaign(e.ctx, false); err != nil {
			e.log.Debug("campaign failed", "err", err)
		}
	}()
}

// bestCandidateLocked is the voter that should claim: the most up-to-date
// live one (highest Position, then lowest id), leaving out nodes standing
// aside and primaries whose lease ran out while gossip still shows them
// (most likely crashed: failure detection is slower than the lease).
func (e *Election) bestCandidateLocked(now time.Time, voters []string, selfPos walstream.Position) string {
	best, bestPos := "", walstream.Position{}
	consider := func(id string, pos walstream.Position) {
		if best == "" || bestPos.Less(pos) || (pos == bestPos && id < best) {
			best, bestPos = id, pos
		}
	}
	for _, id := range voters {
		if id == e.cfg.NodeID {
			if !e.leaving && !now.Before(e.standTill) {
				consider(id, selfPos)
			}
			continue
		}
		p := e.peers[id]
		if p == nil || !p.alive || p.meta == nil || p.meta.Flags&flagStandAside != 0 {
			continue
		}
		if p.meta.Role == RolePrimary && !p.meta.Lease.live(now) {
			continue
		}
		consider(id, p.meta.Pos)
	}
	return best
}
