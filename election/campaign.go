package election

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Campaign makes this node claim the next epoch now: one pre-vote round,
// then, if a majority would grant, the real vote. It returns nil once this
// node is primary, an error wrapping ErrLost (or ErrNotVoter, ErrClosed)
// otherwise; callers retry as they see fit. transfer makes voters ignore
// the current primary's lease: use it on the target of a leadership
// transfer, after the old primary stopped writes and the target caught up
// (the old primary calls StepDown, or is fenced by granting the vote).
func (e *Election) Campaign(ctx context.Context, transfer bool) error {
	select {
	case e.campaign <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return ErrClosed
	}
	defer func() { <-e.campaign }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel)
	defer stop()
	return e.runCampaign(ctx, transfer)
}

// runCampaign is one claim; the caller holds the campaign semaphore.
func (e *Election) runCampaign(ctx context.Context, transfer bool) error {
	self := e.cfg.NodeID
	e.mu.Lock()
	gone, primary := e.closed || e.leaving, e.role.Kind == RolePrimary
	e.mu.Unlock()
	if gone {
		return ErrClosed
	}
	if primary {
		return nil
	}
	pos := e.cfg.Position()
	voters := e.voters(pos)
	if !containsID(voters, self) {
		return fmt.Errorf("%w (voters: %v)", ErrNotVoter, voters)
	}
	need := len(voters)/2 + 1

	e.mu.Lock()
	epoch := max(e.st.Epoch, e.maxSeen, pos.Epoch) + 1
	addrs := map[string]string{}
	for _, id := range voters {
		if p := e.peers[id]; id != self && p != nil && p.meta != nil && p.meta.PeerAddr != "" {
			addrs[id] = p.meta.PeerAddr
		}
	}
	e.mu.Unlock()

	req := VoteRequest{Epoch: epoch, Candidate: self, Pos: pos, Transfer: transfer, PreVote: true}
	if _, ok, why := e.gather(ctx, voters, addrs, req, need); !ok {
		e.mu.Lock()
		e.stats.PreVotesLost++
		e.mu.Unlock()
		e.backOff()
		return fmt.Errorf("%w: pre-vote for epoch %d: %s", ErrLost, epoch, why)
	}

	// The real claim: fence, then persist our own vote before asking.
	e.voteMu.Lock()
	e.mu.Lock()
	cur, gone := e.st.Epoch, e.closed || e.leaving
	st := e.st.clone()
	e.mu.Unlock()
	if gone {
		e.voteMu.Unlock()
		return ErrClosed
	}
	epoch = max(epoch, cur+1) // something newer was adopted meanwhile
	if err := e.cfg.OnFence(epoch); err != nil {
		e.voteMu.Unlock()
		return fmt.Errorf("fencing epoch %d for our claim: %w", epoch, err)
	}
	st.Epoch, st.VotedFor = epoch, self
	if err := writeState(e.cfg.StateDir, st); err != nil {
		e.voteMu.Unlock()
		return fmt.Errorf("persisting our claim: %w", err)
	}
	e.mu.Lock()
	e.st = st
	e.maxSeen = max(e.maxSeen, epoch)
	e.stats.ElectionsStarted++
	e.setRoleLocked(Role{Kind: RoleNone, Epoch: epoch})
	e.mu.Unlock()
	e.voteMu.Unlock()
	e.kickMeta()
	e.log.Info("claiming", "epoch", epoch, "position", pos, "transfer", transfer, "voters", voters)

	sent := time.Now()
	req.Epoch, req.PreVote = epoch, false
	granted, ok, why := e.gather(ctx, voters, addrs, req, need)
	if !ok {
		e.backOff()
		return fmt.Errorf("%w: epoch %d: %s", ErrLost, epoch, why)
	}

	e.voteMu.Lock()
	defer e.voteMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed || e.leaving:
		return ErrClosed
	case e.st.Epoch != epoch || e.st.VotedFor != self:
		// We granted or adopted a newer epoch while collecting votes.
		return fmt.Errorf("%w: epoch %d superseded by %d while voting", ErrLost, epoch, e.st.Epoch)
	}
	e.lease = &Lease{Node: self, Epoch: epoch, Expiry: sent.Add(e.cfg.LeaseTTL)}
	e.nextRenew = sent.Add(e.cfg.renewEvery())
	e.grants = map[string]time.Time{}
	for _, id := range granted {
		e.grants[id] = sent
	}
	e.stats.ElectionsWon++
	e.setRoleLocked(Role{Kind: RolePrimary, Epoch: epoch, Primary: e.selfMemberLocked(time.Now())})
	e.kickMeta()
	e.log.Info("elected primary", "epoch", epoch, "votes", len(granted)+1, "voters", len(voters), "took", time.Since(sent))
	return nil
}

// backOff delays the next claim by a random TTL/2..TTL, so competing
// candidates do not keep splitting the vote.
func (e *Election) backOff() {
	ttl := e.cfg.LeaseTTL
	d := ttl/2 + rand.N(ttl/2+1)
	e.mu.Lock()
	e.nextClaim = maxTime(e.nextClaim, time.Now().Add(d))
	e.mu.Unlock()
}

type voteResult struct {
	id   string
	resp VoteResponse
	err  error
}

// gather sends req to every other voter in parallel and counts grants
// (this node's own vote included) until a majority, all answers, or the
// vote timeout. It returns who granted.
func (e *Election) gather(ctx context.Context, voters []string, addrs map[string]string, req VoteRequest, need int) ([]string, bool, string) {
	var granted []string
	if 1 >= need {
		return granted, true, ""
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.voteTimeout())
	defer cancel()
	results := make(chan voteResult, len(addrs))
	for id, addr := range addrs {
		go func() {
			resp, err := e.cfg.Vote.RequestVote(ctx, addr, req)
			results <- voteResult{id: id, resp: resp, err: err}
		}()
	}
	var reasons []string
	for _, id := range voters {
		if _, ok := addrs[id]; !ok && id != e.cfg.NodeID {
			reasons = append(reasons, id+": address unknown")
		}
	}
	for range addrs {
		select {
		case r := <-results:
			switch {
			case r.err != nil:
				reasons = append(reasons, fmt.Sprintf("%s: %v", r.id, r.err))
			case r.resp.Granted:
				granted = append(granted, r.id)
				if len(granted)+1 >= need {
					return granted, true, ""
				}
			default:
				reasons = append(reasons, fmt.Sprintf("%s: %s", r.id, r.resp.Reason))
				e.mu.Lock()
				e.maxSeen = max(e.maxSeen, r.resp.Epoch)
				e.mu.Unlock()
			}
		case <-ctx.Done():
			reasons = append(reasons, "timed out: "+ctx.Err().Error())
			return granted, false, fmt.Sprintf("%d of %d votes (need %d); %s", len(granted)+1, len(voters), need, strings.Join(reasons, "; "))
		}
	}
	return granted, false, fmt.Sprintf("%d of %d votes (need %d); %s", len(granted)+1, len(voters), need, strings.Join(reasons, "; "))
}
