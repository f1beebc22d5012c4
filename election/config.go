package election

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// DefaultLeaseTTL is the lease TTL when Config.LeaseTTL is zero.
const DefaultLeaseTTL = 1500 * time.Millisecond

// Config configures an Election.
type Config struct {
	// NodeID names this node; it is the gossip node name and the vote
	// identity, so it must be unique and stable across restarts.
	NodeID string
	// BindAddr is the host:port gossip listens on (TCP and UDP).
	BindAddr string
	// AdvertiseAddr is the host:port (or host, then BindAddr's port) other
	// nodes reach gossip at. Empty: derived from BindAddr (a private IP
	// when bound to 0.0.0.0).
	AdvertiseAddr string

	// PeerAddr, PGAddr and AdminAddr are advertised in the node's metadata;
	// PeerAddr is where VoteTransport reaches this node.
	PeerAddr, PGAddr, AdminAddr string

	// Join lists seeds (host or host:port). Names are resolved again on
	// every attempt, so a DNS name of a headless service works.
	Join []string
	// ClusterID isolates clusters: it is part of the gossip label, of the
	// gossip key and of the metadata every member must carry.
	ClusterID string
	// Secret, when set, encrypts and authenticates gossip (AES-GCM with a
	// key derived from Secret and ClusterID).
	Secret []byte

	// BootstrapExpect is the number of empty nodes that form a new
	// cluster; 0 means never bootstrap (only follow or use Voters).
	BootstrapExpect int

	// LeaseTTL is how long a primary's lease lasts (default 1500ms).
	LeaseTTL time.Duration
	// StateDir holds the persisted {epoch, votedFor}; it is created if
	// needed.
	StateDir string

	// Position returns this node's last logged position. It is called
	// often, also while a vote is being decided, so it must be cheap and
	// must not block on the commit path. Nil means the zero Position.
	Position func() walstream.Position
	// Voters returns the voting membership from the replicated database,
	// or nil before it exists (then bootstrap applies).
	Voters func() []string
	// Contact returns the ids of voters the primary heard from within
	// LeaseTTL (from stream acks). Nil: the voters gossip sees alive.
	Contact func() []string
	// OnFence is called, synchronously and before anything is persisted or
	// granted, whenever this node adopts a newer epoch. The node must stop
	// accepting writes and frames of older epochs before it returns. An
	// error vetoes the adoption. It must not call back into the Election
	// except for the read-only accessors (Role, Epoch, Members, Primary,
	// Voters, Stats).
	OnFence func(epoch uint64) error
	// Vote carries RequestVote to other nodes (required).
	Vote VoteTransport

	// Logger receives the election's logs; nil discards them.
	Logger *slog.Logger

	// seedDoubleVote breaks the one-vote-per-epoch rule (a voter neither
	// checks nor records a second vote in its epoch); tests use it to prove
	// that their checker catches a split brain.
	seedDoubleVote bool
}

// maxField bounds each string advertised in the node metadata, so the
// encoded metadata always fits memberlist's 512-byte limit.
const maxField = 96

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.NodeID == "" {
		return cfg, errors.New("election: NodeID is required")
	}
	for name, v := range map[string]string{"NodeID": cfg.NodeID, "PeerAddr": cfg.PeerAddr, "PGAddr": cfg.PGAddr, "AdminAddr": cfg.AdminAddr} {
		if len(v) > maxField {
			return cfg, fmt.Errorf("election: %s is %d bytes, at most %d allowed", name, len(v), maxField)
		}
	}
	if cfg.BindAddr == "" {
		return cfg, errors.New("election: BindAddr is required")
	}
	if _, _, err := net.SplitHostPort(cfg.BindAddr); err != nil {
		return cfg, fmt.Errorf("election: parsing BindAddr %q: %w", cfg.BindAddr, err)
	}
	if cfg.StateDir == "" {
		return cfg, errors.New("election: StateDir is required")
	}
	if cfg.Vote == nil {
		return cfg, errors.New("election: Vote transport is required")
	}
	if cfg.BootstrapExpect < 0 {
		return cfg, fmt.Errorf("election: BootstrapExpect %d is negative", cfg.BootstrapExpect)
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.LeaseTTL < 50*time.Millisecond {
		return cfg, fmt.Errorf("election: LeaseTTL %v is too short (minimum 50ms)", cfg.LeaseTTL)
	}
	if cfg.Position == nil {
		cfg.Position = func() walstream.Position { return walstream.Position{} }
	}
	if cfg.OnFence == nil {
		cfg.OnFence = func(uint64) error { return nil }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// Timing derived from the TTL. A short TTL in tests scales everything.
func (c *Config) tick() time.Duration {
	return min(max(c.LeaseTTL/10, 10*time.Millisecond), 100*time.Millisecond)
}

func (c *Config) renewEvery() time.Duration  { return c.LeaseTTL / 3 }
func (c *Config) voteTimeout() time.Duration { return max(c.LeaseTTL/2, 50*time.Millisecond) }

// patience is how long a voter that is not the best candidate waits
// without any live lease before it claims anyway (the best one may be
// unable to, e.g. because its requests get lost).
func (c *Config) patience() time.Duration { return 3 * c.LeaseTTL }

// standAside is how long a node that stepped down does not claim, so the
// others get to elect someone else.
func (c *Config) standAside() time.Duration { return 2 * c.LeaseTTL }

// joinEvery is the period of join attempts while the node is alone.
const joinEvery = 2 * time.Second
