// Package catalog emulates PostgreSQL's system catalog and the
// PostgreSQL-specific SQL functions on top of SQLite, well enough that
// psql's describe commands and JDBC's DatabaseMetaData work unchanged.
//
// Each SQLite connection gets two attached in-memory databases named
// pg_catalog and information_schema (Attach). Their tables have
// PostgreSQL 15's names, OIDs and columns, with PostgreSQL type names as
// declared types, so the server reports the type OIDs a real server would
// (bool columns render as t/f, oid columns as oid). Static rows — built-in
// types, namespaces, access methods, the catalog relations themselves — are
// built once per driver into a template that Attach copies in with
// sqlite3_deserialize. Rows describing the user's schema (pg_class,
// pg_attribute, pg_index, pg_constraint, information_schema.columns, …) are
// rebuilt by Refresh whenever SQLite's schema_version or the session Info
// changes. Refresh writes through a savepoint, so it works inside a client's
// transaction, and records a generation marker in the same attached database,
// so a rollback of those writes is noticed by the next Refresh.
//
// Object identity follows PostgreSQL's conventions: SQLite's main schema is
// public; a relation's OID is 16384 plus its sqlite_schema rowid (stable for
// the object's lifetime and the same on every connection to the database);
// attnum is the column's position in PRAGMA table_xinfo. Indexes SQLite
// creates implicitly get the names PostgreSQL would give them (t_pkey,
// t_a_key), a rowid primary key gets a synthetic t_pkey index, and unnamed
// constraints are named as PostgreSQL names them. Defaults, index and
// constraint definitions are rendered the way pg_get_expr, pg_get_indexdef
// and pg_get_constraintdef print them.
//
// Register installs the SQL functions on a *sqlite.Driver: pattern matching
// with PostgreSQL semantics (like, pg_ilike, regexp), pg_cast for casts
// SQLite cannot express (through pgtypes' input conversions), and the
// catalog and session functions clients call (format_type, pg_get_indexdef,
// current_setting, now, …). Functions are shared by all of a driver's
// connections, yet several must answer per session; they find their
// connection's state in a per-driver registry keyed by the sqlite3 handle
// (funcctx.go), which Attach and Refresh fill through internal SQL functions
// (state.go) because they hold only the connection, not the driver.
//
// SQL functions can only fail with text, so functions report PostgreSQL
// SQLSTATEs by prefixing their error message with "[XXXXX] "; ErrorCode
// recovers code and message from the driver's error text. PostgreSQL arrays
// are stored as JSON array text, as elsewhere in the server. Casts to reg*
// types map names to OIDs for text input and OIDs to names for integer input
// (see cast.go).
package catalog
