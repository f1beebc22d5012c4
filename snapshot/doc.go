// Package snapshot writes and reads consistent snapshots of a node's
// databases: every database at one replicated position, as one stream.
//
// The same stream serves two purposes. The primary sends it over a peer
// connection to bootstrap a new or divergent replica, and the admin API
// writes it to a file for `sqlclusterctl backup` and reads it back for
// `restore`. A snapshot is a page image, not SQL: a database is installed
// by writing its pages and setting its size, so the result is byte-for-byte
// the primary's file (apart from the page-1 header fields that SQLite's pager
// maintains itself: the change counter at bytes 24..27 and the
// version-valid-for and SQLite version numbers at bytes 92..99). The
// replication log can therefore continue from the snapshot's position:
// the header carries the chained checksum Sum that the next transaction
// chains onto (see walstream.Txn.Chain).
//
// # Format
//
// All integers are little-endian (as in package walstream). Strings are a
// uint16 length followed by that many bytes. CRC-64 is hash/crc64 with the
// ECMA table.
//
//	header   magic "SQCSNAP1"
//	         version uint16 (FormatVersion), flags uint16 (zero)
//	         created int64 (Unix nanoseconds)
//	         epoch uint64, txid uint64, sum uint64
//	         node id string, cluster id string
//	         database count uint32
//	         directory: per database name string, page size uint32, page count uint32
//	         header CRC-64 uint64 (of every header byte before it)
//	database name string, page size uint32, page count uint32 (repeats its
//	         directory entry, so each section is self-describing)
//	         pages 1..count, page size bytes each, page number implied
//	         database CRC-64 uint64 (of the section's bytes before it)
//	...      one section per database, in directory order
//	trailer  magic "SQCSEND1"
//	         stream length uint64 (every byte, trailer included)
//	         stream CRC-64 uint64: CRC-64 of the header CRC followed by
//	         every database CRC, each as 8 bytes
//
// The stream CRC covers every byte transitively (through the section CRCs)
// without hashing the pages twice. The directory in the header makes the
// whole stream's length known once the header has been read, so both sides
// report exact progress and ReadHeader can show what a file holds without
// reading past the header.
//
// # Invariants
//
// Read never hands unverified bytes to a commit. A header whose CRC does not
// match is rejected before any database is begun. Pages are passed to the
// Installer as they arrive, without buffering a database, but into an open
// write transaction (DBWriter). Every DBWriter stays open until its
// database's CRC and then the trailer have been verified, and only then are
// the databases committed, in directory order. A truncated, corrupt or
// cancelled stream therefore aborts every database and commits none. What
// Read cannot make atomic is a failure of one Commit after others
// succeeded; its error says so, and the caller must not record the
// snapshot's position unless Read returned nil.
//
// Read consumes exactly the snapshot's bytes from its reader, so a snapshot
// may be followed by other traffic on the same connection. Read and Write
// check their context between pages; a reader blocked in the underlying
// io.Reader is only released by the caller (a connection deadline, or
// closing it), as for any io.Reader.
//
// A Source must be consistent: the engine opens a read transaction on every
// database while no transaction can commit (holding the replication commit
// lock), so that all of them show the same position, and keeps them open
// until Write returns.
//
// # SQLite
//
// NewSQLiteSource and NewSQLiteDBWriter adapt real database files through
// SQLite's sqlite_dbpage virtual table (compiled into modernc.org/sqlite;
// writes need SQLITE_DBCONFIG_DEFENSIVE off, the default). The writer's
// behaviour follows from how sqlite_dbpage works; see sqlite_writer.go.
package snapshot
