package node

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"time"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/peer"
)

// Control operations are cluster changes that only the primary may make;
// any node accepts them (from the admin API or the pg front end) and sends
// them to the primary over a KindControl peer connection.
type controlOp string

const (
	opCreateDB controlOp = "create-database"
	opDropDB   controlOp = "drop-database"
	opAdd      controlOp = "add-member"
	opRemove   controlOp = "remove-member"
	opTransfer controlOp = "transfer"
	opCampaign controlOp = "campaign" // sent by a primary to its chosen successor
)

type controlRequest struct {
	Op       controlOp
	DB       string
	IfExists bool
	ID       string
}

// controlResponse carries an error with its SQLSTATE (pg callers) or its
// admin class (HTTP callers).
type controlResponse struct {
	Code, Message, Detail, Hint string
	Class                       string // "", "not-found", "conflict", "no-leader", "bad-request"
}

var classes = map[string]error{
	"not-found": admin.ErrNotFound, "conflict": admin.ErrConflict,
	"no-leader": admin.ErrNoLeader, "bad-request": admin.ErrBadRequest,
}

func toResponse(err error) controlResponse {
	if err == nil {
		return controlResponse{}
	}
	r := controlResponse{Message: err.Error()}
	var ee *engine.Error
	if errors.As(err, &ee) {
		r.Code, r.Message, r.Detail, r.Hint = ee.Code, ee.Message, ee.Detail, ee.Hint
	}
	for name, cls := range classes {
		if errors.Is(err, cls) {
			r.Class = name
		}
	}
	return r
}

func (r controlResponse) err() error {
	if r.Message == "" && r.Code == "" {
		return nil
	}
	var err error = &engine.Error{Code: r.Code, Message: r.Message, Detail: r.Detail, Hint: r.Hint}
	if r.Code == "" {
		err = errors.New(r.Message)
	}
	if cls, ok := classes[r.Class]; ok {
		err = fmt.Errorf("%w: %w", cls, err)
	}
	return err
}

// errNoPrimary is what a write gets when no primary appears in time.
var errNoPrimary = &engine.Error{Code: "57P03", Message: "no primary is available to accept writes",
	Hint: "The cluster is electing a primary or has lost its majority; retry shortly."}

// errPrimaryIsHere tells a caller about to forward that this node became
// the primary meanwhile: run locally instead.
var errPrimaryIsHere = errors.New("this node is the primary")

// dialPrimary connects to the current primary, waiting up to WriteWait for
// one to be known.
func (c *cluster) dialPrimary(ctx context.Context, kind peer.Kind) (*peer.Conn, error) {
	deadline := time.Now().Add(c.cfg.WriteWait)
	var lastErr error
	for {
		if p, ok := c.el.Primary(); ok && p.ID == c.n.cfg.NodeID && c.repl.isPrimary() {
			return nil, errPrimaryIsHere
		}
		if p, ok := c.el.Primary(); ok && p.ID != c.n.cfg.NodeID {
			dctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseTTL)
			conn, err := c.tr.Dial(dctx, p.PeerAddr, kind)
			cancel()
			if err == nil {
				return conn, nil
			}
			lastErr = err
		}
		if time.Now().After(deadline) {
			e := *errNoPrimary
			if lastErr != nil {
				e.Detail = lastErr.Error()
			}
			return nil, &e
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// onPrimary runs local if this node is the primary, else sends req there.
func (c *cluster) onPrimary(ctx context.Context, local func() error, req controlRequest) error {
	if c.repl.isPrimary() {
		return local()
	}
	return c.control(ctx, req)
}

func (c *cluster) control(ctx context.Context, req controlRequest) error {
	conn, err := c.dialPrimary(ctx, peer.KindControl)
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) && ee.Code == errNoPrimary.Code {
			return fmt.Errorf("%w: %w", admin.ErrNoLeader, err)
		}
		return err
	}
	defer conn.Close()
	return roundTrip(ctx, conn, req)
}

func roundTrip(ctx context.Context, conn *peer.Conn, req controlRequest) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := gob.NewEncoder(conn).Encode(req); err != nil {
		return fmt.Errorf("sending %s to %s: %w", req.Op, conn.RemoteID, err)
	}
	var resp controlResponse
	if err := gob.NewDecoder(conn).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s on %s: no answer (%w)", req.Op, conn.RemoteID, err)
	}
	return resp.err()
}

func (c *cluster) serveControl(ctx context.Context, pc *peer.Conn) {
	var req controlRequest
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := gob.NewDecoder(pc).Decode(&req); err != nil {
		return
	}
	pc.SetReadDeadline(time.Time{})
	err := c.handleControl(ctx, req)
	gob.NewEncoder(pc).Encode(toResponse(err))
}

func (c *cluster) handleControl(ctx context.Context, req controlRequest) error {
	if req.Op == opCampaign {
		return c.el.Campaign(ctx, true)
	}
	if !c.repl.isPrimary() {
		return fmt.Errorf("%w: node %s is not the primary any more; retry", admin.ErrNoLeader, c.n.cfg.NodeID)
	}
	switch req.Op {
	case opCreateDB:
		return c.eng.CreateDatabase(ctx, req.DB)
	case opDropDB:
		return c.eng.DropDatabase(ctx, req.DB, req.IfExists)
	case opAdd:
		return c.addMember(ctx, req.ID)
	case opRemove:
		return c.removeMember(ctx, req.ID)
	case opTransfer:
		return c.transfer(ctx, req.ID)
	}
	return fmt.Errorf("%w: unknown operation %q", admin.ErrBadRequest, req.Op)
}
