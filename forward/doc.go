// Package forward runs an engine.Session on another node. A replica that
// receives a write or an explicit transaction opens a forwarded Session to
// the primary over one connection (typically a peer.Conn of KindSession);
// the primary's Server runs every call on a real engine session and sends
// the result back. The replica's wire layer cannot tell the difference,
// except that errors caused by losing the primary carry their own codes.
//
// # Protocol
//
// One connection carries one session. Messages are gob-encoded structs in
// both directions; argument and row values use a small tagged encoding of
// their own so that nil, int64, float64, bool, string, []byte and
// time.Time survive exactly. The client sends one request at a time and
// waits for its result; the server executes requests in order on one
// goroutine while another keeps reading, so that a cancel message can
// interrupt the statement that is running (the engine then reports
// 57014). Rows come back in batches: the first with the Query result, the
// rest on demand, each cursor named by an id because several may be open
// inside one transaction. Every result carries the session's InTx state,
// which the client mirrors, and the primary's last committed TxID, which a
// replica waits for before serving the same client's next read.
//
// # Failure
//
// Neither side trusts the connection to report its own death. While a call
// runs, the server sends a heartbeat every second and the client gives up
// after ten silent seconds; the client pings every second for as long as
// the session lives and the server drops a client silent for ten seconds,
// which rolls back its transaction and frees the primary's write lock even
// if the replica was frozen rather than killed. When the connection breaks,
// the error a caller sees says what it may assume: 08007 (transaction
// resolution unknown) when a COMMIT or an autocommit write was in flight,
// 40001 (retry the transaction) inside an explicit transaction, whose
// effects the server rolled back, and 08006 otherwise. A broken Session
// stays broken; the caller discards it.
//
// # Settings
//
// engine.SessionInfo.Settings is a function and cannot be sent. The server
// gives its engine session a Settings function that asks the client for
// each name it needs during a call; the client remembers the names asked
// and sends their current values along with every statement that reads
// the catalog, so that after the first such statement no round trips are
// needed.
package forward
