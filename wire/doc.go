// Package wire is sqlcluster's PostgreSQL front end: the v3 frontend/backend
// protocol (framing and message types from jackc/pgproto3) on top of an
// engine.Engine. Unmodified clients — psql, pgx, lib/pq, psycopg, pgjdbc,
// pgbench — must not be able to tell that SQLite is underneath, so the
// package reproduces PostgreSQL's observable behaviour rather than just its
// message formats.
//
// A connection (clientConn) negotiates TLS and authentication, opens one
// engine session, and then processes messages in order. A reader goroutine
// reads frames ahead and hands over, in one batch, all frames that arrived
// together; that lets a running statement notice a disconnect (pgx cancels
// by closing the socket) and be interrupted, and lets Execute see whether
// Sync follows. Output is buffered and flushed only at ReadyForQuery and
// Flush.
//
// Invariants kept here, because clients depend on them:
//
//   - ReadyForQuery reports the transaction state exactly: 'I' idle, 'T' in a
//     transaction, 'E' failed. After an error inside a transaction every
//     statement but ROLLBACK/COMMIT/ROLLBACK TO fails with 25P02, and COMMIT
//     of a failed transaction answers ROLLBACK.
//   - Everything between two Syncs (or in one multi-statement Query) is one
//     implicit transaction: an error rolls back what came before it and the
//     rest is skipped up to Sync. A lone Execute followed by Sync runs in
//     autocommit, which lets the engine group its commit with others.
//   - A statement is validated and described at Parse; its result shape
//     never changes when it runs. Types come from declared column types,
//     then from what the PostgreSQL text says (pgsql hints), then text.
//   - Settings are transactional (ROLLBACK undoes SET) and reported
//     settings are sent as ParameterStatus before ReadyForQuery when their
//     value differs from what the client was last told.
//   - Client input never panics the server; a message over MaxMessageSize or
//     a malformed one gets an ErrorResponse and closes the connection.
//
// Utility statements — transaction control, SET/SHOW/RESET, cursors, COPY,
// TRUNCATE, EXPLAIN, CREATE/DROP DATABASE — are implemented here; all other
// SQL is translated by package pgsql and executed by the engine.
package wire
