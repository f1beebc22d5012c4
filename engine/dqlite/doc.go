// Package dqlite implements engine.Engine on dqlite (raft mode): each node
// runs an in-process dqlite node (go-dqlite's app package), every
// PostgreSQL database is a dqlite database replicated by Raft, and every
// statement executes on the leader, whichever node the client is connected
// to. It builds with cgo against libdqlite 1.11 / libraft 0.15 and codes
// against go-dqlite's public API only.
//
// Databases. dqlite cannot list or delete databases, so the system database
// "_sqlcluster" holds the list, written through Raft like everything else
// (CREATE DATABASE is cluster-wide). Database "app" lives in dqlite file
// "app.<id>"; DROP DATABASE marks the row dropped and empties the file
// (drops every object, VACUUM), and a database created again under the same
// name gets a new file.
//
// Connections. The engine runs its own go-dqlite driver rather than the one
// app.Open registers, because it needs to own the sockets: go-dqlite honours
// context deadlines but not cancellation, so a cancelled statement poisons
// its socket (netconn.go), which fails the blocked read at once; the leader
// rolls back whatever that connection had open. The driver finds the leader
// by asking our own node, then the members in go-dqlite's cluster.yaml (a
// spare node knows no leader). Each connection remembers the leader epoch
// it was opened in and is discarded, not reused, once the epoch moves on.
//
// Leader changes (leader.go). dqlite 1.11 lets a new leader serve queries
// before it has applied entries committed under its predecessor. A poller
// asks every LeaderPollInterval who leads; a change, or any connection
// finding the leader gone, starts a new epoch, and before the first
// statement of an epoch the engine commits a barrier write through the new
// leader: Raft applies in order, so afterwards nothing committed earlier is
// missing. A leader that loses and regains leadership within one poll
// interval goes unnoticed unless a connection saw the change; reads in that
// window rely on dqlite.
//
// Writes (writer.go). dqlite does not queue writers: a write that finds the
// database locked fails with SQLITE_BUSY. Writes from one node take the
// database's lock in turn — explicit transactions from their first write to
// COMMIT, as in single mode — and autocommit statements that queued
// meanwhile share one transaction and one Raft commit. BUSY from other
// nodes' writers is retried with backoff (BusyTimeout, then 40001), so no
// BUSY reaches a client. Losing the leader before COMMIT rolls the
// transaction back: autocommit statements run again, an explicit transaction
// fails with 40001. Losing it during COMMIT leaves the outcome unknown:
// 08007. No leader within LeaderTimeout: 57P03.
//
// No write is ever sent as a dqlite QUERY: in 1.11 such a write is not
// replicated (and trips an assertion). INSERT/UPDATE/DELETE … RETURNING are
// emulated exactly inside a transaction or refused with 0A000 before they
// write anything (returning.go).
//
// Describing (mirror.go). dqlite can only describe a statement by running
// it. Each database has a schema mirror: an in-memory modernc SQLite holding
// the same schema (rebuilt when PRAGMA schema_version changes, objects
// created in rowid order so relation OIDs match) with the pg_catalog
// emulation attached. Describe, ColumnType, result column types and the
// catalog queries of psql and JDBC run there; a transaction that changed the
// schema uses a private mirror of its own uncommitted schema.
//
// Transactions follow single mode (package engine): READ COMMITTED reads on
// pooled connections until the first write; snapshot transactions pin one
// connection inside BEGIN and fail with 40001 (SQLITE_BUSY_SNAPSHOT) if they
// write after a concurrent commit.
//
// Limits of this stack, not of the layer: the PostgreSQL functions of
// package catalog (pg_cast for casts to date/timestamp/bool/json…, now(),
// ILIKE, regexp) do not exist in dqlite's SQLite, so statements using them
// fail with 42883 except catalog queries, which run on the mirror (where
// user tables are empty); at most 255 parameters per statement; a database
// lives in memory and is limited to 4 GB; go-dqlite decodes text in
// DATE/DATETIME/TIMESTAMP columns and fails on values it cannot parse
// ('infinity', BC dates); a statement keeps running on the leader after
// its client cancelled it until it yields rows or finishes.
package dqlite
