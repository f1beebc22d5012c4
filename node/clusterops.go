package node

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/snapshot"
	"github.com/sqlcluster/sqlcluster/walstream"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/election"
	"github.com/sqlcluster/sqlcluster/peer"
)

// clusterAdmin implements admin.Cluster for stream mode.
type clusterAdmin struct{ c *cluster }

var _ admin.Cluster = clusterAdmin{}

func (a clusterAdmin) Members(ctx context.Context) ([]admin.Member, error) {
	c := a.c
	voters := c.mem.voters()
	if len(voters) == 0 {
		voters = c.bootstrapVoters()
	}
	last, _ := c.wal.Last()
	seen := map[string]bool{}
	var out []admin.Member
	for _, m := range c.el.Members() {
		seen[m.ID] = true
		am := memberOf(m)
		am.Voter = slices.Contains(voters, m.ID)
		if m.Pos.TxID < last.TxID && m.Alive {
			am.LagTxns = last.TxID - m.Pos.TxID
		}
		out = append(out, am)
	}
	for _, v := range voters {
		if !seen[v] {
			out = append(out, admin.Member{ID: v, Role: "unreachable", Voter: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func memberOf(m election.Member) admin.Member {
	am := admin.Member{ID: m.ID, PeerAddr: m.PeerAddr, PGAddr: m.PGAddr, AdminAddr: m.AdminAddr, Role: m.Role,
		Alive: m.Alive, Epoch: m.Epoch, Position: m.Pos.String()}
	// A dead member's last gossiped role is history, not a claim.
	am.Leader = m.Role == "primary" && m.Alive
	if !m.Alive {
		am.Role = "unreachable"
	}
	return am
}

func (a clusterAdmin) Leader(ctx context.Context) (admin.Member, bool, error) {
	p, ok := a.c.el.Primary()
	if !ok {
		return admin.Member{}, false, nil
	}
	m := memberOf(p)
	m.Leader = true
	return m, true, nil
}

func (a clusterAdmin) AddMember(ctx context.Context, id, address, role string) error {
	if role != "" && role != "voter" {
		return fmt.Errorf("%w: stream mode has voters only (every node replicates everything); omit --role or use --role voter", admin.ErrBadRequest)
	}
	return a.c.onPrimary(ctx, func() error { return a.c.addMember(ctx, id) }, controlRequest{Op: opAdd, ID: id})
}

func (a clusterAdmin) RemoveMember(ctx context.Context, id string) error {
	return a.c.onPrimary(ctx, func() error { return a.c.removeMember(ctx, id) }, controlRequest{Op: opRemove, ID: id})
}

func (a clusterAdmin) AssignRole(ctx context.Context, id, role string) error {
	return fmt.Errorf("%w: roles are a raft-mode feature; in stream mode use add/remove", admin.ErrBadRequest)
}

func (a clusterAdmin) Transfer(ctx context.Context, id string) error {
	return a.c.onPrimary(ctx, func() error { return a.c.transfer(ctx, id) }, controlRequest{Op: opTransfer, ID: id})
}

func (a clusterAdmin) Backup(ctx context.Context, w io.Writer) error {
	return a.c.writeSnapshot(ctx, w)
}

func (a clusterAdmin) Restore(ctx context.Context, r io.Reader, force bool) error {
	c := a.c
	if !c.repl.isPrimary() {
		if p, ok := c.el.Primary(); ok {
			return fmt.Errorf("%w: node %s is not the primary; run the restore against the primary: sqlclusterctl --node %s restore FILE", admin.ErrConflict, c.n.cfg.NodeID, p.AdminAddr)
		}
		return fmt.Errorf("%w: no primary to restore through", admin.ErrNoLeader)
	}
	return c.restore(ctx, r, force)
}

// restore replaces every database with a backup, cluster-wide: the
// primary installs it (writes are refused meanwhile), restarts its log at
// a new base that matches no replica's history, so every replica installs
// a snapshot of the restored databases, and returns once enough replicas
// have it for the restore to survive a failover.
func (c *cluster) restore(ctx context.Context, r io.Reader, force bool) error {
	if !force {
		if tables, err := userTables(ctx, c.eng); err != nil {
			return err
		} else if len(tables) > 0 {
			return fmt.Errorf("%w: the cluster is not empty (it has %s): pass --force to replace everything", admin.ErrConflict, strings.Join(tables, ", "))
		}
	}
	c.repl.setRestoring(true)
	defer c.repl.setRestoring(false)
	var names []string
	inst := namingInstaller{Installer: c.eng.Installer(), names: &names, skip: systemDB}
	h, err := snapshot.Read(ctx, r, inst, nil)
	if err != nil {
		return fmt.Errorf("%w: reading the backup: %w", admin.ErrBadRequest, err)
	}
	if err := c.eng.DropExcept(ctx, append(names, systemDB)); err != nil {
		return fmt.Errorf("removing databases the backup does not have: %w", err)
	}
	var b [8]byte
	crand.Read(b[:])
	base, err := c.repl.restart(binary.LittleEndian.Uint64(b[:]))
	if err != nil {
		return fmt.Errorf("restarting the replication log: %w", err)
	}
	c.log.Info("restored a backup", "from_node", h.NodeID, "backup_position", walstream.Position{Epoch: h.Epoch, TxID: h.TxID}, "databases", names, "new_base", base)
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh == nil {
		return nil
	}
	sh.Notify(base.TxID)
	n, counts := c.quorum()
	if n <= 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := sh.WaitAcked(wctx, base.TxID, n, counts); err != nil {
		return fmt.Errorf("the backup is restored on the primary but not yet on enough replicas: %w", err)
	}
	return nil
}

func (c *cluster) member(id string) (election.Member, bool) {
	for _, m := range c.el.Members() {
		if m.ID == id {
			return m, true
		}
	}
	return election.Member{}, false
}

func (c *cluster) addMember(ctx context.Context, id string) error {
	m, ok := c.member(id)
	if !ok || !m.Alive {
		return fmt.Errorf("%w: node %q is not part of the cluster's gossip yet: start it with --join pointing at a member, then add it", admin.ErrNotFound, id)
	}
	if slices.Contains(c.mem.voters(), id) {
		return nil
	}
	return c.mem.add(ctx, id)
}

func (c *cluster) removeMember(ctx context.Context, id string) error {
	if id == c.n.cfg.NodeID {
		return fmt.Errorf("%w: node %s is the primary: transfer the primary role first (sqlclusterctl transfer OTHER_ID)", admin.ErrConflict, id)
	}
	voters := c.mem.voters()
	if !slices.Contains(voters, id) {
		return fmt.Errorf("%w: node %q is not a voting member", admin.ErrNotFound, id)
	}
	if len(voters) == 1 {
		return fmt.Errorf("%w: cannot remove the last voter", admin.ErrConflict)
	}
	_, err := c.mem.remove(ctx, id)
	return err
}

// transfer hands the primary role to id: new commits wait, id catches up
// with every committed transaction, id wins the next epoch with a transfer
// vote (which overrides lease stickiness), and this node steps down. The
// commits that waited go to the new primary (forwarded sessions retry).
func (c *cluster) transfer(ctx context.Context, id string) error {
	if id == c.n.cfg.NodeID {
		return nil
	}
	m, ok := c.member(id)
	if !ok || !m.Alive {
		return fmt.Errorf("%w: node %q is not alive in the cluster", admin.ErrNotFound, id)
	}
	if !slices.Contains(c.mem.voters(), id) {
		return fmt.Errorf("%w: node %q is not a voter: add it first", admin.ErrConflict, id)
	}
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh == nil {
		return fmt.Errorf("%w: this node is not the primary", admin.ErrNoLeader)
	}
	last := c.repl.pause()
	defer c.repl.resume()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sh.WaitAcked(wctx, last.TxID, 1, func(r string) bool { return r == id }); err != nil {
		return fmt.Errorf("%w: node %s did not catch up with transaction %d: %w", admin.ErrConflict, id, last.TxID, err)
	}
	conn, err := c.tr.Dial(wctx, m.PeerAddr, peer.KindControl)
	if err != nil {
		return fmt.Errorf("reaching %s: %w", id, err)
	}
	defer conn.Close()
	if err := roundTrip(wctx, conn, controlRequest{Op: opCampaign}); err != nil {
		return fmt.Errorf("node %s could not take over: %w", id, err)
	}
	c.el.StepDown()
	c.log.Info("transferred the primary role", "to", id, "at", last)
	return nil
}
