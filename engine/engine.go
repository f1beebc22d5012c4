package engine

import (
	"context"
	"errors"
)

// Engine runs SQL (already in the engine's dialect) against a set of named
// databases. Implementations must be safe for concurrent use by many sessions.
type Engine interface {
	// Open starts a session on database name. It returns an *Error with code
	// 3D000 when the database does not exist.
	Open(ctx context.Context, name string, info SessionInfo) (Session, error)
	// Databases lists the databases in name order.
	Databases(ctx context.Context) ([]string, error)
	// CreateDatabase creates an empty database (42P04 if it exists).
	CreateDatabase(ctx context.Context, name string) error
	// DropDatabase removes a database (3D000 if missing, 55006 while in use).
	DropDatabase(ctx context.Context, name string, ifExists bool) error
	// Stats reports counters for /status and /metrics.
	Stats() Stats
	// Close checkpoints and closes every database. Sessions must be closed first.
	Close() error
}

// SessionInfo is what the engine needs to know about the client.
type SessionInfo struct {
	User string
	// Settings resolves a session setting for current_setting() and the
	// pg_settings view; nil means none.
	Settings func(name string) (string, bool)
	// Internal sessions read the node's own metadata (the cluster
	// membership): they skip the read barrier, which itself needs that
	// metadata.
	Internal bool
}

// Session is one client's view of a database: its transaction state and the
// connection(s) serving it. A Session is used by one goroutine at a time,
// except Interrupt-by-context, which may come from anywhere.
type Session interface {
	// Describe compiles query without running it and reports its result
	// columns and parameter count. The query runs later through Query.
	Describe(ctx context.Context, query string, opt StmtOptions) (*Description, error)
	// Query runs one statement. Rows must be closed before the next call on
	// this session that needs the same connection; a read outside a write
	// transaction may stay open (a suspended portal) while others run.
	Query(ctx context.Context, query string, args []any, opt StmtOptions) (Rows, error)
	// Begin opens an explicit transaction. Nothing is locked until the first
	// write (READ COMMITTED) or first statement (REPEATABLE READ and up).
	Begin(ctx context.Context, opt TxOptions) error
	// Commit ends the transaction, making its writes durable before it returns.
	Commit(ctx context.Context) error
	// Rollback discards the transaction; it never fails to release locks.
	Rollback(ctx context.Context) error
	// Savepoint, ReleaseSavepoint and RollbackToSavepoint manage nested
	// rollback points inside an explicit transaction.
	Savepoint(ctx context.Context, name string) error
	ReleaseSavepoint(ctx context.Context, name string) error
	RollbackToSavepoint(ctx context.Context, name string) error
	// ColumnType returns the declared type of table.column, searching every
	// table when table is "". Column "#k" names the k-th column (1-based)
	// of table. It serves type inference for parameters and expressions; ok
	// is false when there is no such column.
	ColumnType(ctx context.Context, table, column string) (decl string, ok bool)
	// InTx reports whether an explicit transaction is open.
	InTx() bool
	// Database is the name the session was opened on.
	Database() string
	// Close rolls back any open transaction and releases connections.
	Close() error
}

// StmtOptions carries what the caller knows about a statement from parsing
// its original text.
type StmtOptions struct {
	// ReadOnly statements may run on a reader connection outside a write
	// transaction; anything else runs through the writer.
	ReadOnly bool
	// UsesCatalog statements read the emulated system catalog, which is
	// refreshed first.
	UsesCatalog bool
	// Standalone statements cannot run inside a transaction (VACUUM).
	Standalone bool
}

// TxOptions are the BEGIN options that change engine behaviour.
type TxOptions struct {
	ReadOnly bool
	// Snapshot requests one snapshot for the whole transaction (REPEATABLE
	// READ / SERIALIZABLE); a write after a concurrent commit then fails
	// with 40001 instead of seeing newer data.
	Snapshot bool
}

// Column describes one result column.
type Column struct {
	Name     string
	DeclType string // declared type as written in the schema; "" for expressions
	Table    string // source table, "" for expressions
	Origin   string // source column name, "" for expressions
	TableOID uint32 // pg_class OID of Table, 0 if none
	AttNum   int16  // 1-based column number in Table, 0 if none
}

// Description is the result of Describe.
type Description struct {
	Columns   []Column
	NumParams int
}

// Rows streams a statement's results.
type Rows interface {
	Columns() []Column
	// Next fills dest (len(Columns())) and returns io.EOF after the last row.
	Next(dest []any) error
	// RowsAffected is the number of rows changed by INSERT/UPDATE/DELETE,
	// valid once Next has returned io.EOF.
	RowsAffected() int64
	Close() error
}

// Stats are engine-wide counters.
type Stats struct {
	Commits      uint64
	Fsyncs       uint64 // commits that reached the disk (one per group commit)
	GroupedStmts uint64 // autocommit statements that shared a commit
}

// ErrClosed is returned after the engine is closed.
var ErrClosed = errors.New("engine closed")
