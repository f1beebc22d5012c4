// Package peer carries all node-to-node traffic of a sqlcluster node over
// one TCP listener: the WAL stream, snapshots, forwarded client sessions,
// election votes and admin RPCs. Every connection starts with a short
// handshake that says which service (Kind) it is for, so each service gets
// a dedicated, ordinary net.Conn and no multiplexing layer is needed.
//
// # Handshake
//
// The dialling side first sends a plaintext preamble: a magic number, the
// protocol version, whether it wants TLS, and its cluster id. The cluster
// id and the encryption mode are not secrets; checking them before TLS lets
// both sides report a misconfiguration clearly ("peer 10.0.0.2:7947
// belongs to cluster "b", this node to "a"") instead of as an opaque TLS
// failure. When the cluster has a secret, both sides then run TLS 1.3.
// Next (inside TLS when there is one) the dialler sends a hello naming its
// node id and the Kind it wants; the server answers with its own node id
// or an error (an unknown Kind is refused). The whole handshake runs under
// a deadline (5 s by default) that is cleared once it succeeds, so a silent
// or garbage-sending client costs the server one goroutine for at most
// that long.
//
// # Authentication
//
// There is no certificate authority. Every node derives the same ed25519
// key from the cluster secret and cluster id with HKDF-SHA256 and presents
// a self-signed certificate for it; each side accepts the connection only
// if the peer proved possession of exactly that key (VerifyConnection, not
// chain verification). Knowing the secret is therefore what makes a node a
// member, and a node with a wrong secret or cluster id fails the TLS
// handshake. Without a secret, connections are plaintext and only the
// cluster id is checked: that mode is for trusted networks and tests.
//
// # Lifetime
//
// A Transport tracks every live Conn, dialled or accepted. Close stops the
// listeners, cancels the context handed to handlers, closes every Conn and
// waits for handlers to return; handlers must therefore return promptly
// once their context is cancelled or their Conn fails.
package peer
