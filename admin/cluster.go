package admin

import (
	"context"
	"errors"
	"io"
	"time"
)

// Cluster is what the admin API needs from a clustered node (stream or raft
// mode); single-mode nodes have none. Any node answers: operations that
// must run on the primary/leader are forwarded there by the implementation.
type Cluster interface {
	Members(ctx context.Context) ([]Member, error)
	// Leader returns the current primary/leader; ok is false when none is known.
	Leader(ctx context.Context) (m Member, ok bool, err error)
	// AddMember makes node id (already running and visible to the cluster,
	// or reachable at address) a member with role ("voter" when empty).
	AddMember(ctx context.Context, id, address, role string) error
	RemoveMember(ctx context.Context, id string) error
	// AssignRole changes a member's role (raft mode: voter, standby, spare).
	AssignRole(ctx context.Context, id, role string) error
	// Transfer hands the primary/leader role to node id without losing an
	// acknowledged write.
	Transfer(ctx context.Context, id string) error
	// Backup streams a consistent snapshot of every database (format of
	// package snapshot).
	Backup(ctx context.Context, w io.Writer) error
	// Restore replaces the cluster's databases with a snapshot; it refuses a
	// non-empty cluster unless force.
	Restore(ctx context.Context, r io.Reader, force bool) error
}

// Member is one node as the cluster sees it. Field names are API.
type Member struct {
	ID        string `json:"id"`
	PeerAddr  string `json:"peer_addr"`
	PGAddr    string `json:"pg_addr"`
	AdminAddr string `json:"admin_addr"`
	Role      string `json:"role"` // primary, replica, leader, follower, voter, standby, spare, none
	Voter     bool   `json:"voter"`
	Alive     bool   `json:"alive"`
	Leader    bool   `json:"leader"`
	Epoch     uint64 `json:"epoch,omitempty"`
	Position  string `json:"position,omitempty"`
	LagTxns   uint64 `json:"lag_txns,omitempty"`
}

// ClusterStatus is the replication part of /status.
type ClusterStatus struct {
	Epoch       uint64          `json:"epoch"`
	Primary     string          `json:"primary,omitempty"`
	Position    string          `json:"position"`     // last logged (epoch/txid)
	Applied     uint64          `json:"applied_txid"` // last applied to the databases
	SyncReplica string          `json:"sync_replicas,omitempty"`
	Replicas    []ReplicaStatus `json:"replicas,omitempty"` // on the primary
	Raft        map[string]any  `json:"raft,omitempty"`     // raft mode details
}

// ReplicaStatus is one replica's progress as the primary sees it.
type ReplicaStatus struct {
	ID          string    `json:"id"`
	Connected   bool      `json:"connected"`
	AckedTxID   uint64    `json:"acked_txid"`
	LagTxns     uint64    `json:"lag_txns"`
	LastContact time.Time `json:"last_contact"`
}

// Errors a Cluster returns so the API can answer with the right status
// code; wrap them with a message that says what to do.
var (
	ErrNotFound   = errors.New("not found")   // 404
	ErrConflict   = errors.New("conflict")    // 409, e.g. removing the primary
	ErrNoLeader   = errors.New("no primary")  // 503
	ErrBadRequest = errors.New("bad request") // 400
)
