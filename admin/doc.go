// Package admin serves a node's operator HTTP API: liveness (/health),
// readiness (/ready), a JSON status document (/status), Prometheus metrics
// (/metrics) and, on clustered nodes, cluster operations under /cluster/.
//
// The package knows nothing about how a node is built. It reads node state
// through the small Source interface and drives cluster operations through
// the Cluster interface (cluster.go); a single-mode node passes a nil
// Cluster and every /cluster/ route answers 501 with a message telling the
// operator which --mode the command needs.
//
// Cluster routes speak JSON in both directions. Failures are a JSON object
// {"error": "..."} whose status code is chosen from the admin.Err* values
// the Cluster wraps (errors.Is): ErrNotFound 404, ErrConflict 409,
// ErrNoLeader 503, ErrBadRequest 400, anything else 500. The message is
// the Cluster's own, so it should say what to do next; clients such as
// sqlclusterctl print it unchanged.
//
// Backups stream: GET /cluster/backup hands the response body to
// Cluster.Backup without buffering, so a multi-gigabyte snapshot never sits
// in memory. Once the first byte is written the 200 status is committed
// and an error can no longer be reported in-band; the handler then aborts
// the connection so the client sees a truncated transfer, never a body
// that merely looks complete. POST /cluster/restore likewise hands the
// request body straight to Cluster.Restore.
//
// Long operations (backup, restore, transfer) run under the request
// context only: the admin server must not set a WriteTimeout, and a client
// that goes away cancels the operation.
package admin
