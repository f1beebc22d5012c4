// Package election decides which node of a stream-mode cluster is the
// primary, without an external coordinator.
//
// Two mechanisms with different jobs work together. Gossip
// (hashicorp/memberlist) carries discovery, failure detection and every
// node's metadata: its addresses, role, current epoch, last logged
// Position and, for the primary, its lease {epoch, expiry}. Epochs are
// fencing tokens granted by a majority of the voters over direct RPC
// (RequestVote, Raft-style): gossip and the lease decide WHEN an election
// happens and who should stand; the votes decide WHO is primary.
//
// # Safety
//
// A voter grants at most one candidate per epoch, and persists {epoch,
// votedFor} (fsync, rename) before it replies; a candidate persists its
// own vote before asking. Two majorities of the same voter set intersect,
// so at most one node becomes primary per epoch, across crashes and
// restarts. Adopting a newer epoch (granting it, claiming it, seeing it in
// a primary's stream or lease) first calls Config.OnFence, so the node
// stops accepting writes and frames of older epochs before it promises
// anything; a replica refuses frames from an epoch older than the newest
// it has adopted.
//
// A voter grants only a candidate whose last Position is not older than
// its own (the up-to-date rule). With synchronous replication to a
// majority, an acknowledged write is on at least one node of every future
// majority, so every future winner holds it.
//
// Limits. The lease is a liveness device, not a safety one: its expiry is
// the primary's wall clock read by other nodes, so clock drift shifts it.
// A paused old primary may keep serving reads until its own lease check
// makes it step down (bounded by TTL plus drift); it cannot commit, because
// a commit needs acknowledgements from a majority, and every majority that
// elected its successor has fenced its epoch. Gossip itself is not
// consensus: membership views may disagree or fail to re-merge after a
// partition (join is retried while a node is alone). Bootstrap trusts the
// operator: BootstrapExpect must equal the number of nodes started empty
// together, as with Consul's bootstrap_expect.
//
// # Liveness
//
// The primary renews its lease every TTL/3 while Config.Contact reports a
// majority of voters (itself included) heard within TTL, and steps down
// when it has not managed to for a full TTL. A node follows the live
// primary (alive in gossip, unexpired lease, epoch not older than its
// own). When no node holds a live lease, the most up-to-date live voter
// (highest Position, then lowest id) claims; the others wait, and claim
// themselves only if no lease appears for a few TTLs. A claim starts with
// a pre-vote (the same rules, nothing persisted) so that a node that
// cannot win, for example one cut off from a healthy primary, never bumps
// epochs and disrupts the cluster; then the real vote. A voter that sees
// a live lease of another node refuses (lease stickiness) unless the
// request is a leadership transfer; likewise, for one TTL after granting a
// vote, it refuses rivals of that candidate, whose lease may not have
// reached it yet. A node claims nothing during its first TTL, while it
// learns the cluster. Losers back off for a random TTL/2..TTL.
//
// # Concurrency
//
// voteMu serializes every change of the persisted epoch (votes, claims,
// Fence, adoption of a gossiped lease) and is held across OnFence and the
// fsync, so a grant never interleaves with another. mu guards the
// in-memory view and is never held while calling back into the node
// (Position, Voters, Contact, OnFence) or into memberlist. Lock order:
// voteMu, then mu.
package election
