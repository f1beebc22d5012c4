package election

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// VoteRequest asks a voter to grant Candidate the epoch Epoch.
type VoteRequest struct {
	Epoch     uint64
	Candidate string
	Pos       walstream.Position // the candidate's last logged position
	// Transfer skips the lease-stickiness check: the current primary has
	// stopped writes and handed over to Candidate on purpose.
	Transfer bool
	// PreVote asks whether the voter would grant, without persisting or
	// fencing anything; a candidate only bumps its epoch after a majority
	// said yes, so a node that cannot win cannot disrupt the cluster.
	PreVote bool
}

// VoteResponse answers a VoteRequest. Epoch is the voter's current epoch
// (after granting: the granted one), so a losing candidate learns it.
type VoteResponse struct {
	Epoch   uint64
	Granted bool
	Reason  string // why not, for logs
}

// VoteTransport carries a RequestVote to the node listening at peerAddr
// (its advertised PeerAddr), where it must reach Election.HandleVote. An
// error counts as no vote. Implementations must honour ctx.
//
// VoteRequest and VoteResponse implement encoding.BinaryMarshaler and
// BinaryUnmarshaler (used by gob too), so either can go on the wire.
type VoteTransport interface {
	RequestVote(ctx context.Context, peerAddr string, req VoteRequest) (VoteResponse, error)
}

// HandleVote decides a vote request; the node's peer server calls it for
// every request it receives. A real grant calls OnFence and persists
// {epoch, candidate} before it returns.
func (e *Election) HandleVote(ctx context.Context, req VoteRequest) VoteResponse {
	e.voteMu.Lock()
	defer e.voteMu.Unlock()
	now := time.Now()
	e.mu.Lock()
	cur, voted := e.st.Epoch, e.st.VotedFor
	gone := e.closed || e.leaving
	e.mu.Unlock()

	deny := func(format string, args ...any) VoteResponse {
		reason := fmt.Sprintf(format, args...)
		e.log.Debug("vote denied", "candidate", req.Candidate, "epoch", req.Epoch, "prevote", req.PreVote, "reason", reason)
		return VoteResponse{Epoch: cur, Reason: reason}
	}
	switch {
	case gone:
		return deny("node is shutting down")
	case req.Candidate == "":
		return deny("no candidate named")
	case req.Epoch < cur:
		return deny("epoch %d is older than current epoch %d", req.Epoch, cur)
	case req.Epoch == cur && voted == req.Candidate:
		// Already promised (a retried or duplicated request): promising
		// again changes nothing.
		return VoteResponse{Epoch: cur, Granted: true}
	case req.Epoch == cur && voted != "" && !e.cfg.seedDoubleVote:
		return deny("already voted for %s in epoch %d", voted, cur)
	}
	if mine := e.cfg.Position(); req.Pos.Less(mine) {
		return deny("candidate position %v is behind ours %v", req.Pos, mine)
	}
	if !req.Transfer {
		if l := e.stickyLease(now, req.Candidate, cur); l != nil {
			return deny("%s holds a live lease for epoch %d", l.Node, l.Epoch)
		}
		// The candidate granted last may have won already, its lease not
		// yet gossiped here: leave it a TTL before helping a rival, unless
		// gossip says it is gone or standing aside.
		e.mu.Lock()
		g := e.lastGrant
		p := e.peers[g.candidate]
		gone := p != nil && (!p.alive || p.meta == nil || p.meta.Flags&flagStandAside != 0)
		e.mu.Unlock()
		if g.candidate != "" && g.candidate != req.Candidate && g.epoch == cur && now.Sub(g.at) < e.cfg.LeaseTTL && !gone {
			return deny("voted for %s in epoch %d %v ago", g.candidate, g.epoch, now.Sub(g.at).Round(time.Millisecond))
		}
	}
	if req.PreVote {
		return VoteResponse{Epoch: cur, Granted: true}
	}
	if req.Epoch > cur {
		if err := e.cfg.OnFence(req.Epoch); err != nil {
			return deny("fencing epoch %d: %v", req.Epoch, err)
		}
	}
	e.mu.Lock()
	st := e.st.clone()
	e.mu.Unlock()
	if !e.cfg.seedDoubleVote || st.Epoch != req.Epoch {
		st.Epoch, st.VotedFor = req.Epoch, req.Candidate
	}
	if err := writeState(e.cfg.StateDir, st); err != nil {
		e.log.Error("persisting a vote failed", "err", err)
		return deny("persisting the vote: %v", err)
	}
	e.mu.Lock()
	e.st = st
	e.maxSeen = max(e.maxSeen, req.Epoch)
	e.stats.VotesGranted++
	e.lastGrant = grant{candidate: req.Candidate, epoch: req.Epoch, at: now}
	if e.role.Epoch < req.Epoch {
		switch e.role.Kind {
		case RolePrimary:
			e.stepDownLocked(now, fmt.Sprintf("granted epoch %d to %s", req.Epoch, req.Candidate), false)
		case RoleReplica:
			e.setRoleLocked(Role{Kind: RoleNone, Epoch: req.Epoch})
		}
	}
	// Give the candidate time to win before competing with it.
	e.nextClaim = now.Add(e.cfg.LeaseTTL/2 + rand.N(e.cfg.LeaseTTL/2))
	e.mu.Unlock()
	e.log.Info("vote granted", "candidate", req.Candidate, "epoch", req.Epoch, "transfer", req.Transfer)
	e.kickMeta()
	e.kick()
	return VoteResponse{Epoch: req.Epoch, Granted: true}
}

// stickyLease returns a live lease, of a node other than candidate, that a
// vote would disrupt. Leases of epochs older than ours are not protected:
// this node has fenced them already.
func (e *Election) stickyLease(now time.Time, candidate string, cur uint64) *Lease {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.liveLeasesLocked(now) {
		if l.Node != candidate && l.Epoch >= cur {
			return &l
		}
	}
	return nil
}

// Wire encoding, version 1:
//
//	request:  "VQ" 0x01 | epoch | pos.epoch | pos.txid (uvarint) | flags u8 | candidate (uvarint len + bytes)
//	response: "VS" 0x01 | epoch (uvarint) | granted u8 | reason (uvarint len + bytes)
const (
	voteVersion     = 1
	maxCandidateLen = 1024
	maxReasonLen    = 1024
	flagTransfer    = 1 << 0
	flagPreVote     = 1 << 1
)

var errBadVote = errors.New("malformed vote message")

// MarshalBinary encodes the request.
func (r VoteRequest) MarshalBinary() ([]byte, error) {
	if len(r.Candidate) > maxCandidateLen {
		return nil, fmt.Errorf("encoding vote request: candidate id of %d bytes", len(r.Candidate))
	}
	b := []byte{'V', 'Q', voteVersion}
	b = binary.AppendUvarint(b, r.Epoch)
	b = binary.AppendUvarint(b, r.Pos.Epoch)
	b = binary.AppendUvarint(b, r.Pos.TxID)
	var flags byte
	if r.Transfer {
		flags |= flagTransfer
	}
	if r.PreVote {
		flags |= flagPreVote
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(r.Candidate)))
	return append(b, r.Candidate...), nil
}

// UnmarshalBinary decodes a request encoded by MarshalBinary.
func (r *VoteRequest) UnmarshalBinary(b []byte) error {
	d, err := voteDecoder(b, 'Q')
	if err != nil {
		return err
	}
	var q VoteRequest
	q.Epoch = d.uvarint()
	q.Pos.Epoch = d.uvarint()
	q.Pos.TxID = d.uvarint()
	if f := d.next(1); f != nil {
		if f[0]&^(flagTransfer|flagPreVote) != 0 {
			return fmt.Errorf("%w: unknown flags %#x", errBadVote, f[0])
		}
		q.Transfer, q.PreVote = f[0]&flagTransfer != 0, f[0]&flagPreVote != 0
	}
	q.Candidate = d.longStr(maxCandidateLen)
	if err := d.finish(); err != nil {
		return err
	}
	*r = q
	return nil
}

// MarshalBinary encodes the response; an overlong reason is cut.
func (r VoteResponse) MarshalBinary() ([]byte, error) {
	reason := r.Reason
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	b := []byte{'V', 'S', voteVersion}
	b = binary.AppendUvarint(b, r.Epoch)
	g := byte(0)
	if r.Granted {
		g = 1
	}
	b = append(b, g)
	b = binary.AppendUvarint(b, uint64(len(reason)))
	return append(b, reason...), nil
}

// UnmarshalBinary decodes a response encoded by MarshalBinary.
func (r *VoteResponse) UnmarshalBinary(b []byte) error {
	d, err := voteDecoder(b, 'S')
	if err != nil {
		return err
	}
	var s VoteResponse
	s.Epoch = d.uvarint()
	if g := d.next(1); g != nil {
		if g[0] > 1 {
			return fmt.Errorf("%w: bad granted byte %d", errBadVote, g[0])
		}
		s.Granted = g[0] == 1
	}
	s.Reason = d.longStr(maxReasonLen)
	if err := d.finish(); err != nil {
		return err
	}
	*r = s
	return nil
}

func voteDecoder(b []byte, kind byte) (*metaDecoder, error) {
	if len(b) < 3 || b[0] != 'V' || b[1] != kind {
		return nil, fmt.Errorf("%w: bad header", errBadVote)
	}
	if b[2] != voteVersion {
		return nil, fmt.Errorf("%w: unknown version %d", errBadVote, b[2])
	}
	return &metaDecoder{b: b[3:]}, nil
}

func (d *metaDecoder) longStr(limit int) string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(limit) {
		d.err = fmt.Errorf("%w: string of %d bytes", errBadVote, n)
		return ""
	}
	return string(d.next(int(n)))
}

func (d *metaDecoder) finish() error {
	if d.err != nil {
		return fmt.Errorf("%w: %w", errBadVote, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errBadVote, len(d.b))
	}
	return nil
}
