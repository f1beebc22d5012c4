// Package sqlite implements engine.Engine on embedded SQLite
// (modernc.org/sqlite, pure Go). Each database is one file in WAL mode with
// one writer connection and a fixed pool of read-only connections; the
// pg_catalog emulation (package catalog) is attached to every connection.
//
// Writes: SQLite allows one writer, and letting connections race for it
// would surface SQLITE_BUSY to clients. So every write goes through the
// database's writer (writer.go): explicit transactions own it from their
// first write to COMMIT/ROLLBACK; autocommit statements are queued, and a
// committer goroutine runs each batch of queued statements as one
// transaction with a savepoint per statement, so a failing statement rolls
// back alone. If SQLite abandons the transaction mid-batch (interrupt, I/O
// error), the statements that succeeded were never acknowledged and are
// simply run again.
//
// Durability (syncer.go): SQLite runs with synchronous=NORMAL, and a commit
// is acknowledged only after an fdatasync of the WAL that started after the
// commit was written. One sync covers every commit before it, and it runs
// after the write lock is released, so the next transaction overlaps the
// disk flush. The trade-off — a reader can see a commit a moment before it
// is durable — is stated where it is made.
//
// Reads: statements outside a write phase run on pooled read-only
// connections, each with its own snapshot (READ COMMITTED); snapshot
// transactions (REPEATABLE READ and up) pin one reader and fail with 40001
// if they try to write after a concurrent commit. The data directory is
// flock'ed for the engine's lifetime.
package sqlite
