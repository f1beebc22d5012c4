// Package engine defines the seam between the PostgreSQL front end and the
// storage that executes SQL. The wire layer parses and translates PostgreSQL
// SQL, then talks only to an Engine and its Sessions; implementations live in
// subpackages (sqlite for an embedded modernc SQLite, dqlite for raft mode).
//
// Statements reach the engine in SQLite's dialect with numbered parameters
// (?1, ?2, …) and with what the caller learned from parsing the original text
// (StmtOptions): whether the statement is read-only and whether it reads the
// emulated system catalog. Implementations decide which connection serves a
// statement; they must never surface SQLITE_BUSY to a client: contention
// queues, and a real serialization conflict is reported as SQLSTATE 40001.
//
// Transactions follow PostgreSQL's default READ COMMITTED behaviour: each
// statement of an explicit transaction sees the latest committed data until
// the transaction first writes; from then on it sees its own writes and holds
// the database's single write lock until COMMIT or ROLLBACK. REPEATABLE READ
// and SERIALIZABLE transactions keep one snapshot and fail with 40001 if they
// try to write after another transaction committed.
package engine
