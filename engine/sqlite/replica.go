package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// ApplyTxn applies a transaction received from the primary (or replayed
// from the local log at start-up): pages through sqlite_dbpage in one write
// transaction, so local readers see all of it or none, or the creation or
// removal of a database.
func (e *Engine) ApplyTxn(ctx context.Context, t *walstream.Txn) error {
	switch t.Kind {
	case walstream.KindCreate:
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.dbs[t.DB]; ok {
			return nil
		}
		return e.openDB(ctx, t.DB)
	case walstream.KindDrop:
		return e.applyDrop(ctx, t.DB)
	case walstream.KindPages:
	default:
		return fmt.Errorf("applying transaction %s: unknown kind %d", t.Pos, t.Kind)
	}
	e.mu.Lock()
	db, ok := e.dbs[t.DB]
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("applying transaction %s: database %q does not exist here", t.Pos, t.DB)
	}
	w := db.w
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.release()
	// Cached statements would hold the old schema; SQLite re-prepares them,
	// but a pending one would block the page writes.
	w.conn.dropStmts()
	w.forgetCapture()
	if err := walstream.ApplyPages(ctx, execer{w.conn}, t); err != nil {
		return fmt.Errorf("applying transaction %s to %q: %w", t.Pos, t.DB, err)
	}
	w.committed(1)
	w.uncheckpointed += len(t.Pages)
	if w.uncheckpointed >= checkpointPages {
		w.uncheckpointed = 0
		w.conn.exec(context.Background(), "PRAGMA main.wal_checkpoint(PASSIVE)")
	}
	return nil
}

// applyDrop removes a database the primary dropped. Local sessions on it
// (replicas serve reads) get a grace period to finish, then lose it.
func (e *Engine) applyDrop(ctx context.Context, name string) error {
	e.mu.Lock()
	db, ok := e.dbs[name]
	e.mu.Unlock()
	if !ok {
		return nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.users.Load() > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropLocked(name)
}

// HeaderTxIDs reports, for every database, the TxID of the last replicated
// transaction it holds (recorded in its header by the commit path).
func (e *Engine) HeaderTxIDs(ctx context.Context) (map[string]uint64, error) {
	e.mu.Lock()
	dbs := make(map[string]*database, len(e.dbs))
	for n, db := range e.dbs {
		dbs[n] = db
	}
	e.mu.Unlock()
	out := make(map[string]uint64, len(dbs))
	for n, db := range dbs {
		c, err := db.checkout(ctx)
		if err != nil {
			return nil, err
		}
		id, err := headerTxID(ctx, c)
		db.checkin(c)
		if err != nil {
			return nil, fmt.Errorf("reading the transaction id of %q: %w", n, err)
		}
		out[n] = id
	}
	return out, nil
}

// LastCommitted returns the last transaction still in database name's WAL:
// after a crash between COMMIT and the replication log, the one the log
// lacks.
func (e *Engine) LastCommitted(name string) (walstream.Captured, bool, error) {
	e.mu.Lock()
	db, ok := e.dbs[name]
	e.mu.Unlock()
	if !ok {
		return walstream.Captured{}, false, fmt.Errorf("database %q does not exist", name)
	}
	return walstream.LastTxnInWAL(db.path + "-wal")
}
