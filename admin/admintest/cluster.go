// Package admintest provides an in-memory admin.Cluster for tests of the
// admin HTTP API and its clients (sqlclusterctl). It models the rules a
// real cluster enforces at the API seam (unknown members, removing the
// leader, restoring over data) and can be told to fail or go slowly, but it
// replicates nothing: real clusters are tested end to end elsewhere.
package admintest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sqlcluster/sqlcluster/admin"
)

// Cluster is an in-memory admin.Cluster. It is safe for concurrent use;
// configure it with its setters at any time.
type Cluster struct {
	mu            sync.Mutex
	members       []admin.Member
	snapshot      []byte
	hasData       bool
	chunk         int
	chunkDelay    time.Duration
	backupErr     error
	backupAfter   int64
	restoreErr    error
	restoreAfter  int64
	transferDelay time.Duration
	lastForce     bool
}

var _ admin.Cluster = (*Cluster)(nil)

// New returns a cluster of members (at most one with Leader set) holding
// data, so that Restore needs force.
func New(members ...admin.Member) *Cluster {
	return &Cluster{members: append([]admin.Member(nil), members...), hasData: true, chunk: 64 << 10}
}

// SetSnapshot sets what Backup streams.
func (c *Cluster) SetSnapshot(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snapshot = append([]byte(nil), b...)
}

// Snapshot returns the current snapshot (the restored one after Restore).
func (c *Cluster) Snapshot() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.snapshot...)
}

// SetHasData says whether Restore must be forced.
func (c *Cluster) SetHasData(v bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hasData = v
}

// LastRestoreForce reports the force flag of the last successful Restore.
func (c *Cluster) LastRestoreForce() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastForce
}

// SetBackupPace makes Backup write chunk bytes at a time, pausing delay
// between writes.
func (c *Cluster) SetBackupPace(chunk int, delay time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chunk, c.chunkDelay = max(chunk, 1), delay
}

// FailBackup makes Backup return err once it has written after bytes (0:
// before writing anything). A nil err disables the failure.
func (c *Cluster) FailBackup(after int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.backupAfter, c.backupErr = after, err
}

// FailRestore makes Restore return err once it has read after bytes. A nil
// err disables the failure.
func (c *Cluster) FailRestore(after int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restoreAfter, c.restoreErr = after, err
}

// SetTransferDelay makes Transfer take d (or until its context ends).
func (c *Cluster) SetTransferDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.transferDelay = d
}

func (c *Cluster) Members(ctx context.Context) ([]admin.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]admin.Member(nil), c.members...), nil
}

func (c *Cluster) Leader(ctx context.Context) (admin.Member, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.Leader {
			return m, true, nil
		}
	}
	return admin.Member{}, false, nil
}

func (c *Cluster) AddMember(ctx context.Context, id, address, role string) error {
	if role == "" {
		role = "voter"
	}
	if err := checkRole(role); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.find(id) >= 0 {
		return fmt.Errorf("%w: %s is already a member; use assign to change its role", admin.ErrConflict, id)
	}
	c.members = append(c.members, admin.Member{ID: id, PeerAddr: address, Role: role, Voter: role == "voter", Alive: true})
	return nil
}

func (c *Cluster) RemoveMember(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	if i < 0 {
		return notMember(id)
	}
	if c.members[i].Leader {
		return fmt.Errorf("%w: %s is the primary/leader; transfer the role to another member first", admin.ErrConflict, id)
	}
	c.members = append(c.members[:i], c.members[i+1:]...)
	return nil
}

func (c *Cluster) AssignRole(ctx context.Context, id, role string) error {
	if err := checkRole(role); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	if i < 0 {
		return notMember(id)
	}
	c.members[i].Role, c.members[i].Voter = role, role == "voter"
	return nil
}

func (c *Cluster) Transfer(ctx context.Context, id string) error {
	c.mu.Lock()
	delay := c.transferDelay
	c.mu.Unlock()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("transferring the primary role to %s: %w", id, ctx.Err())
	case <-t.C:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	if i < 0 {
		return notMember(id)
	}
	if !c.members[i].Alive {
		return fmt.Errorf("%w: %s is not alive; pick a live member", admin.ErrConflict, id)
	}
	old := -1
	for j, m := range c.members {
		if m.Leader {
			old = j
		}
	}
	if old < 0 {
		return fmt.Errorf("%w: nobody holds the role to hand over; wait for an election", admin.ErrNoLeader)
	}
	c.members[old].Leader, c.members[i].Leader = false, true
	return nil
}

func (c *Cluster) Backup(ctx context.Context, w io.Writer) error {
	c.mu.Lock()
	snap, chunk, delay := c.snapshot, c.chunk, c.chunkDelay
	failErr, failAfter := c.backupErr, c.backupAfter
	c.mu.Unlock()
	var sent int64
	for {
		if failErr != nil && sent >= failAfter {
			return fmt.Errorf("reading the database for the snapshot: %w", failErr)
		}
		if len(snap) == 0 {
			return nil
		}
		n := min(chunk, len(snap))
		if failErr != nil {
			n = int(min(int64(n), failAfter-sent))
		}
		if _, err := w.Write(snap[:n]); err != nil {
			return fmt.Errorf("sending the snapshot: %w", err)
		}
		snap, sent = snap[n:], sent+int64(n)
		if delay > 0 && len(snap) > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
		}
	}
}

func (c *Cluster) Restore(ctx context.Context, r io.Reader, force bool) error {
	c.mu.Lock()
	hasData, failErr, failAfter := c.hasData, c.restoreErr, c.restoreAfter
	c.mu.Unlock()
	if hasData && !force {
		return fmt.Errorf("%w: the cluster already has databases; restore with --force to replace them", admin.ErrConflict)
	}
	if failErr != nil {
		r = io.LimitReader(r, failAfter)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	if failErr != nil {
		return fmt.Errorf("installing the snapshot: %w", failErr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snapshot, c.hasData, c.lastForce = b, true, force
	return nil
}

func (c *Cluster) find(id string) int {
	for i, m := range c.members {
		if m.ID == id {
			return i
		}
	}
	return -1
}

func notMember(id string) error {
	return fmt.Errorf("%w: %s is not a member; see sqlclusterctl members", admin.ErrNotFound, id)
}

func checkRole(role string) error {
	switch role {
	case "voter", "standby", "spare":
		return nil
	}
	return fmt.Errorf("%w: unknown role %q: use voter, standby or spare", admin.ErrBadRequest, role)
}
