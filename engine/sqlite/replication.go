package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/walstream"
)

// Replication lets a replication layer take part in every commit. With it,
// the engine runs SQLite with WAL autocheckpoint off and, for each commit,
// still holding the database's write lock:
//
//	txid := BeginCommit(db)            // the layer takes its commit lock and may refuse (not the primary)
//	PRAGMA user_version/application_id = txid   // the position travels inside the transaction
//	COMMIT
//	captured := the transaction's WAL frames
//	wait := EndCommit(db, txid, captured, err)  // the layer logs/ships it and releases its lock
//
// The client is acknowledged once wait returns, outside the write lock. The
// layer's own log replaces the engine's WAL fsync as the durable record: a
// database can always be brought forward to the log by ApplyTxn, and the
// transaction the log lacks after a crash (committed, never logged) is still
// in the WAL, where RecoverUnlogged finds it.
type Replication interface {
	// BeginCommit returns the TxID the transaction will have, or an error
	// that rolls the transaction back.
	BeginCommit(ctx context.Context, db string) (txid uint64, err error)
	// EndCommit is called exactly once after every successful BeginCommit:
	// with the captured pages when COMMIT succeeded, with the error
	// otherwise (walstream.ErrNoCommit: committed, but nothing changed).
	// The returned wait blocks until the transaction may be acknowledged.
	EndCommit(db string, txid uint64, c *walstream.Captured, err error) (wait func(context.Context) error)
	// Schema replicates a CREATE DATABASE or DROP DATABASE: it records the
	// change and runs apply. The engine calls the returned wait (until
	// the change may be acknowledged) after releasing its own locks.
	Schema(ctx context.Context, kind walstream.Kind, db string, apply func() error) (wait func(context.Context) error, err error)
}

// ErrUncaptured is passed to EndCommit when a transaction committed but its
// frames could not be read back: the database is ahead of the log, and the
// node must stop taking writes until it recovers (restart).
var ErrUncaptured = errors.New("committed transaction could not be captured")

// checkpointPages is how many captured pages may accumulate in a WAL before
// the engine checkpoints it (PASSIVE: it never waits for readers). Frames
// are only ever checkpointed after they were captured.
const checkpointPages = 4000

// execer adapts a conn to the walstream/snapshot Execer interface.
type execer struct{ c *conn }

func (x execer) Exec(ctx context.Context, query string, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	_, err := x.c.raw.(driver.ExecerContext).ExecContext(ctx, query, nv)
	return err
}

// commit commits the writer's open transaction and returns what the
// acknowledging side waits on.
func (w *writer) commit(ctx context.Context, stmts int) (wait func(context.Context) error, err error) {
	c := w.conn
	if w.repl == nil {
		if err := c.exec(ctx, "COMMIT"); err != nil {
			return nil, err
		}
		seq := w.committed(stmts)
		return func(context.Context) error { return w.sync.wait(seq) }, nil
	}
	txid, err := w.repl.BeginCommit(ctx, w.dbName)
	if err != nil {
		return nil, err
	}
	if err := w.openCapture(); err != nil {
		return nil, w.abortCommit(txid, err)
	}
	if err := w.setHeaderTxID(ctx, txid); err != nil {
		return nil, w.abortCommit(txid, err)
	}
	if err := c.exec(ctx, "COMMIT"); err != nil {
		return nil, w.abortCommit(txid, err)
	}
	return w.captureCommit(txid, stmts)
}

// abortCommit tells the replication layer that the commit did not happen.
func (w *writer) abortCommit(txid uint64, err error) error {
	w.headerHiKnown = false // the header write, if any, was rolled back
	w.repl.EndCommit(w.dbName, txid, nil, err)
	return err
}

// captureCommit hands a committed transaction's frames to the replication
// layer and checkpoints the WAL once enough captured frames piled up.
func (w *writer) captureCommit(txid uint64, stmts int) (func(context.Context) error, error) {
	w.committed(stmts)
	captured, err := w.capture()
	if errors.Is(err, walstream.ErrNoCommit) {
		// The transaction changed nothing, so SQLite wrote no frames.
		return w.repl.EndCommit(w.dbName, txid, nil, err), nil
	}
	if err != nil {
		// The database holds a commit the log will never have: the layer
		// must stop accepting writes until it recovers (see Replication).
		err = fmt.Errorf("%w: %w", ErrUncaptured, err)
		w.repl.EndCommit(w.dbName, txid, nil, err)
		return nil, &engine.Error{Code: "58030", Message: "the transaction committed locally but could not be replicated; this node stops accepting writes", Detail: err.Error(), Err: err}
	}
	wait := w.repl.EndCommit(w.dbName, txid, &captured, nil)
	w.uncheckpointed += len(captured.Pages)
	if w.uncheckpointed >= checkpointPages {
		w.uncheckpointed = 0
		w.conn.exec(context.Background(), "PRAGMA main.wal_checkpoint(PASSIVE)")
	}
	return wait, nil
}

// openCapture positions the capturer at the end of the WAL if it has none:
// everything already there was logged (or applied from the primary). It
// must run before the COMMIT whose frames are to be captured.
func (w *writer) openCapture() error {
	if w.capt != nil {
		return nil
	}
	c, err := walstream.OpenCapturer(w.walPath)
	if err != nil {
		return fmt.Errorf("opening the WAL capturer: %w", err)
	}
	w.capt = c
	return nil
}

func (w *writer) capture() (walstream.Captured, error) {
	if w.capt == nil {
		return walstream.Captured{}, errors.New("no capturer was opened before the commit")
	}
	return w.capt.Capture()
}

// forgetCapture drops the capture position after the WAL changed outside
// commit (pages applied from a primary): the next commit starts afresh.
func (w *writer) forgetCapture() {
	w.headerHiKnown = false
	if w.capt != nil {
		w.capt.Close()
		w.capt = nil
	}
}

// setHeaderTxID records txid in the database header (user_version holds the
// low 32 bits, application_id the high 32), inside the open transaction.
// The high half changes once every 4 billion transactions, so it is only
// written when it differs from what this writer last wrote.
func (w *writer) setHeaderTxID(ctx context.Context, txid uint64) error {
	if err := w.conn.exec(ctx, fmt.Sprintf("PRAGMA user_version = %d", int32(uint32(txid)))); err != nil {
		return fmt.Errorf("recording the transaction id: %w", err)
	}
	hi := uint32(txid >> 32)
	if w.headerHiKnown && w.headerHi == hi {
		return nil
	}
	if err := w.conn.exec(ctx, fmt.Sprintf("PRAGMA application_id = %d", int32(hi))); err != nil {
		return fmt.Errorf("recording the transaction id: %w", err)
	}
	w.headerHi, w.headerHiKnown = hi, true
	return nil
}

func headerTxID(ctx context.Context, c *conn) (uint64, error) {
	lo, err := pragmaInt(ctx, c, "PRAGMA user_version")
	if err != nil {
		return 0, err
	}
	hi, err := pragmaInt(ctx, c, "PRAGMA application_id")
	if err != nil {
		return 0, err
	}
	return uint64(uint32(int32(hi)))<<32 | uint64(uint32(int32(lo))), nil
}

func pragmaInt(ctx context.Context, c *conn, q string) (int64, error) {
	res, err := c.run(ctx, q, nil)
	if err != nil {
		return 0, err
	}
	b, err := drain(res, columnsOf(res.cols))
	if err != nil {
		return 0, err
	}
	if len(b.data) == 0 {
		return 0, errors.New(q + " returned no row")
	}
	v, _ := b.data[0][0].(int64)
	return v, nil
}
