package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"

	"modernc.org/sqlite"
)

// database is one SQLite file: a writer connection shared through the
// group-commit writer and a fixed pool of read-only connections.
type database struct {
	name    string
	path    string
	w       *writer
	readers chan *conn
	all     []*conn
	seq     atomic.Uint64 // bumped on every commit; snapshot transactions compare it
	users   atomic.Int64  // open sessions
	// schemaGen changes when a snapshot replaced the file: its schema
	// cookie may equal the old one, so connections must drop their cached
	// schema explicitly (checkout does).
	schemaGen atomic.Uint64
	sync      *syncer
}

func dsn(path string, readOnly, replicated bool) string {
	// synchronous=NORMAL: commits do not fsync inside SQLite; the syncer
	// makes them durable in groups before they are acknowledged (see
	// syncer.go). Readers are read-only so that a misclassified write can
	// never bypass the writer.
	q := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16000)"
	if readOnly {
		return q + "&mode=ro"
	}
	q += "&_pragma=journal_mode(WAL)"
	if replicated {
		// Frames must stay in the WAL until captured; the writer
		// checkpoints itself after capturing (replication.go).
		q += "&_pragma=wal_autocheckpoint(0)"
	}
	return q
}

func openDatabase(ctx context.Context, d *sqlite.Driver, name, path string, nreaders int, stats *counters, repl Replication) (*database, error) {
	db := &database{name: name, path: path, readers: make(chan *conn, nreaders), sync: newSyncer(path, &stats.fsyncs)}
	wc, err := openConn(ctx, d, dsn(path, false, repl != nil))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.all = append(db.all, wc)
	db.w = newWriter(wc, &db.seq, db.sync, stats, 256)
	db.w.repl, db.w.dbName, db.w.walPath = repl, name, path+"-wal"
	for i := 0; i < nreaders; i++ {
		rc, err := openConn(ctx, d, dsn(path, true, repl != nil))
		if err != nil {
			db.close()
			return nil, fmt.Errorf("opening reader for %s: %w", path, err)
		}
		db.all = append(db.all, rc)
		db.readers <- rc
	}
	return db, nil
}

// reopenWriter replaces the writer's connection; the caller owns the
// writer (acquire).
func (db *database) reopenWriter(ctx context.Context, d *sqlite.Driver, replicated bool) error {
	c, err := openConn(ctx, d, dsn(db.path, false, replicated))
	if err != nil {
		return fmt.Errorf("reopening %s: %w", db.path, err)
	}
	old := db.w.conn
	db.w.conn, db.all[0] = c, c
	old.close()
	return nil
}

func (db *database) checkout(ctx context.Context) (*conn, error) {
	select {
	case c := <-db.readers:
		if g := db.schemaGen.Load(); c.schemaGen != g {
			c.dropStmts()
			c.exec(ctx, "PRAGMA writable_schema = RESET")
			c.schemaGen = g
		}
		return c, nil
	case <-ctx.Done():
		return nil, translateError(ctx.Err())
	}
}

func (db *database) checkin(c *conn) { db.readers <- c }

// close checkpoints the WAL into the database file and closes every
// connection. Callers make sure no session uses db any more.
func (db *database) close() error {
	if db.w != nil {
		db.w.close()
		db.w.forgetCapture()
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	// Readers first, then the writer's own prepared statements: a
	// statement left mid-result holds a read transaction, and SQLite
	// refuses to checkpoint under it (SQLITE_LOCKED).
	for i := len(db.all) - 1; i >= 1; i-- {
		keep(db.all[i].close())
	}
	if len(db.all) > 0 {
		wc := db.all[0]
		wc.finalize()
		if err := wc.exec(context.Background(), "PRAGMA main.wal_checkpoint(TRUNCATE)"); err != nil {
			keep(fmt.Errorf("checkpointing %s: %w", db.name, err))
		}
		keep(wc.raw.Close())
	}
	db.all = nil
	db.sync.close()
	return first
}
