package election

import (
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// RoleKind is what a node currently is.
type RoleKind int

const (
	// RoleNone: no live primary this node may follow, or a campaign in
	// progress.
	RoleNone RoleKind = iota
	// RoleReplica: following Role.Primary.
	RoleReplica
	// RolePrimary: holding the lease for Role.Epoch.
	RolePrimary
)

func (k RoleKind) String() string {
	switch k {
	case RoleReplica:
		return "replica"
	case RolePrimary:
		return "primary"
	}
	return "none"
}

// Role is a node's role. Epoch is the epoch of the primary (this node's
// own when primary, the followed primary's when replica, the node's
// current epoch otherwise).
type Role struct {
	Kind    RoleKind
	Epoch   uint64
	Primary Member // the followed primary (replica), this node (primary)
}

// same reports whether two roles call for the same action by the node;
// metadata of the primary (its position) may differ.
func (r Role) same(o Role) bool {
	return r.Kind == o.Kind && r.Epoch == o.Epoch && r.Primary.ID == o.Primary.ID
}

// Lease is the primary's time-bounded claim, gossiped in its metadata.
type Lease struct {
	Node   string
	Epoch  uint64
	Expiry time.Time
}

func (l *Lease) live(now time.Time) bool { return l != nil && now.Before(l.Expiry) }

// Member is one node as gossip last described it.
type Member struct {
	ID, PeerAddr, PGAddr, AdminAddr string
	Role                            string // RoleKind.String()
	Epoch                           uint64
	Pos                             walstream.Position
	// Alive is memberlist's verdict (alive or suspect); departed nodes
	// stay listed with Alive false.
	Alive bool
	// Lease is set while the node advertises an unexpired lease.
	Lease *Lease
	// GossipAddr is the memberlist address of the node.
	GossipAddr string
	// StandingAside: the node recently stepped down (or is leaving) and
	// will not claim, so it is not a candidate the others wait for.
	StandingAside bool
}
