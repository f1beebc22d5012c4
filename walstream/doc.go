// Package walstream replicates SQLite databases by shipping the pages each
// transaction wrote. The primary commits locally, captures the
// transaction's pages from the WAL, appends them to an on-disk log and
// streams the log to replicas, which write the same pages into their copy
// of the database. Every transaction is a Txn; TxIDs grow by one across
// all databases of a node, and each Txn's Sum chains it to its
// predecessor, so two nodes agreeing on (TxID, Sum) hold the same history.
//
// # Capture
//
// The engine runs each database in WAL mode with automatic checkpoints
// off, and right after every COMMIT, still holding the write lock, calls
// Capturer.Capture. SQLite writes the WAL through the OS page cache, so a
// plain read sees the new frames. The Capturer remembers where the last
// captured commit frame ended and the WAL checksum up to there, reads only
// the new frames, and validates each one the way SQLite's recovery does:
// its salts must match the header's and its cumulative checksum must
// chain on. That is what makes it safe against frames that are in the
// file but not in the log — a torn write, a rolled-back transaction that
// spilled to the WAL, or the leftovers of an older generation after
// SQLite restarted the WAL from the start (new salts, file not truncated).
// New salts mean a restart, and reading resumes at the first frame. The
// engine checkpoints only after capturing, so no committed frame is ever
// checkpointed away unseen. LastTxnInWAL applies the same rules at
// start-up to recover a transaction that committed just before a crash
// but never reached the log.
//
// # Apply
//
// ApplyPages writes a Txn's pages into a replica through SQLite's
// sqlite_dbpage virtual table, inside one write transaction on the
// replica's writer connection. Going through the pager rather than the
// file keeps SQLite in charge: the pages land in the replica's own WAL,
// readers on other connections keep their snapshots and see a transaction
// whole or not at all, and a crash mid-apply rolls back like any other
// transaction. The replica's database ends exactly CommitSize pages long,
// so a shrinking transaction (VACUUM) shrinks it too. Page 1 bytes 24..27
// and 92..99 (change counter, version) are rewritten by the replica's
// SQLite and may differ from the primary's; nothing else does.
//
// # Log
//
// Log is the ordered, durable record of Txns: a directory of segment
// files, each starting with a header that names the entry before its first
// (so the log knows its base even when empty, after Reset or retention),
// followed by entries framed with their length and a CRC-32C, then zeros.
// As PostgreSQL does with its WAL, a segment file is created full of zeros
// at SegmentBytes and fsynced before it is used — in the background, once
// the active segment is half full, under a temporary name that OpenLog
// deletes if a crash interrupts it — and entries are then written in
// place. An append thus never changes the file's size or allocation (short
// of an entry bigger than a segment, which gets one of its own, grown to
// fit), and making it durable is an fdatasync of data blocks with no
// filesystem journal commit: as cheap as SQLite's own WAL sync. The end of
// the log is therefore the first zero length, not the end of the file.
// Append checks that each TxID follows the last and each Sum chains onto
// the last Sum, writes without syncing, and makes the entries visible to
// readers; Sync fdatasyncs, sharing one among concurrent callers. Segments
// are synced when sealed, so only the newest can have a torn tail: OpenLog
// cuts it off by zeroing everything from the end of the last good entry to
// the end of the file, so that stale bytes of a lost write cannot
// resurface as entries once the log grows back over them. Damage in an
// older segment, its zeros included, is an error rather than a silent loss
// of history. Retention deletes the oldest whole segments beyond
// RetainBytes of entries (Size counts entries, not zeros), but never one a
// LogReader is on. Reset replaces the whole log with a new base after a
// snapshot install, crash-safely.
//
// # Shipping
//
// A primary's Shipper streams its Log to replicas, one ServeReplica call
// per connection the caller has already authenticated; a replica runs
// Follow on its end. Messages are length-prefixed with a type byte and
// bounded at 1 GiB (proto.go); transactions travel in Txn.Encode form,
// several per message. The replica opens with Hello: its log's last
// Position and Sum. Because Sums chain, the primary needs one comparison
// (SumAt) to know whether that history is a prefix of its own. If it is,
// Welcome (epoch, first TxID) is followed by the log from there on: a
// LogReader for catch-up, then whatever Notify announces. Otherwise the
// replica gets NeedSnapshot with the reason — its position was compacted
// away, it is ahead of the primary, or its Sum differs (an old primary's
// commits that nobody else has) — and Follow returns ErrNeedSnapshot.
//
// Only what Notify announced is shipped; the primary calls it after its
// own Sync, so a replica never holds a transaction its primary could lose
// in a crash. The replica trusts nothing it receives: each batch must
// continue the local log exactly (contiguous TxIDs, chained Sums) or the
// stream stops with ErrNeedSnapshot before anything of the batch is
// written. A good batch is appended and fsynced once, then acked, then
// handed to Apply on a goroutine of its own, so the next batch is synced
// while the previous one is applied. An Ack therefore means "durable in
// the replica's log", which is what WaitAcked counts for synchronous
// commit; acks survive a disconnect because the log does.
//
// Epochs fence deposed primaries: the replica's Fence must admit the
// epoch in Welcome before anything is accepted, and Current is checked
// before every batch and heartbeat, so a node that has promised a newer
// primary stops listening to the old one (ErrSuperseded). Heartbeats
// flow every Heartbeat interval and are acked, and both sides read with a
// deadline, so a peer that goes silent — even with the TCP connection up,
// as in a partition — is dropped within Timeout.
package walstream
