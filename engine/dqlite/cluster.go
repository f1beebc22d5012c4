package dqlite

import (
	"context"
	"fmt"

	"github.com/canonical/go-dqlite/client"
)

// Role is a node's part in the Raft cluster.
type Role int

// Roles, as dqlite numbers them.
const (
	// Voter nodes replicate the log and vote in elections.
	Voter Role = Role(client.Voter)
	// StandBy nodes replicate the log but do not vote; they are promoted
	// when a voter goes away.
	StandBy Role = Role(client.StandBy)
	// Spare nodes only hold a place in the configuration.
	Spare Role = Role(client.Spare)
)

func (r Role) String() string { return client.NodeRole(r).String() }

// NodeInfo describes one member of the cluster.
type NodeInfo struct {
	ID      uint64
	Address string
	Role    Role
}

// File is one file of a database dump: the database image or its WAL.
type File struct {
	Name string
	Data []byte
}

// ID is this node's Raft ID.
func (e *Engine) ID() uint64 { return e.app.ID() }

// Address is this node's dqlite address.
func (e *Engine) Address() string { return e.cfg.Address }

// Leader asks this node who leads the cluster; id 0 means nobody (an
// election is under way or there is no quorum).
func (e *Engine) Leader(ctx context.Context) (id uint64, addr string, err error) {
	info, err := e.lw.refresh(ctx)
	if err != nil {
		return 0, "", err
	}
	return info.ID, info.Address, nil
}

// leaderClient connects to the leader, for configuration changes.
func (e *Engine) leaderClient(ctx context.Context) (*client.Client, context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.LeaderTimeout)
	cli, err := client.FindLeader(ctx, e.store, client.WithDialFunc(e.dial), client.WithLogFunc(nopLog))
	if err != nil {
		cancel()
		return nil, nil, nil, noLeader(err)
	}
	return cli, ctx, cancel, nil
}

// Cluster lists the members of the cluster as the leader knows them.
func (e *Engine) Cluster(ctx context.Context) ([]NodeInfo, error) {
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer cli.Close()
	nodes, err := cli.Cluster(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing cluster members: %w", err)
	}
	out := make([]NodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = NodeInfo{ID: n.ID, Address: n.Address, Role: Role(n.Role)}
	}
	return out, nil
}

// Add adds a node to the configuration with the given role. A node
// started with Config.Cluster adds itself; this is for operators.
func (e *Engine) Add(ctx context.Context, id uint64, addr string, role Role) error {
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer cli.Close()
	if err := cli.Add(ctx, client.NodeInfo{ID: id, Address: addr, Role: client.NodeRole(role)}); err != nil {
		return fmt.Errorf("adding node %d (%s): %w", id, addr, err)
	}
	return nil
}

// Assign changes a node's role.
func (e *Engine) Assign(ctx context.Context, id uint64, role Role) error {
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer cli.Close()
	if err := cli.Assign(ctx, id, client.NodeRole(role)); err != nil {
		return fmt.Errorf("assigning role %s to node %d: %w", role, id, err)
	}
	return nil
}

// Remove removes a node from the configuration.
func (e *Engine) Remove(ctx context.Context, id uint64) error {
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer cli.Close()
	if err := cli.Remove(ctx, id); err != nil {
		return fmt.Errorf("removing node %d: %w", id, err)
	}
	return nil
}

// Transfer hands leadership to node id (0 lets dqlite pick a voter).
func (e *Engine) Transfer(ctx context.Context, id uint64) error {
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer cli.Close()
	if err := cli.Transfer(ctx, id); err != nil {
		return fmt.Errorf("transferring leadership to node %d: %w", id, err)
	}
	e.lw.suspect()
	return nil
}

// Dump returns a consistent copy of database name as the leader has it:
// the database file and its WAL.
func (e *Engine) Dump(ctx context.Context, name string) ([]File, error) {
	file, err := e.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	cli, ctx, cancel, err := e.leaderClient(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer cli.Close()
	files, err := cli.Dump(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("dumping database %q: %w", name, err)
	}
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Name: f.Name, Data: f.Data}
	}
	return out, nil
}

// LeaderChanges counts the leader changes this node has observed since it
// started (each one followed by a barrier before the next read).
func (e *Engine) LeaderChanges() uint64 { return e.lw.epoch.Load() - 1 }
