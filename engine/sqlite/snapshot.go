package sqlite

import (
	"context"
	"fmt"
	"sort"

	"github.com/sqlcluster/sqlcluster/snapshot"
)

// Snapshot is a consistent read-only view of every database (a
// snapshot.Source): one dedicated connection per database holding a read
// transaction. Open it while no commit is in flight (the replication
// layer's commit lock) to get one position across databases.
type Snapshot struct {
	infos []snapshot.DBInfo
	conns map[string]*conn
}

// OpenSnapshot starts read transactions on every database.
func (e *Engine) OpenSnapshot(ctx context.Context) (*Snapshot, error) {
	e.mu.Lock()
	dbs := make(map[string]*database, len(e.dbs))
	for n, db := range e.dbs {
		dbs[n] = db
	}
	e.mu.Unlock()
	s := &Snapshot{conns: map[string]*conn{}}
	for name, db := range dbs {
		c, err := openConn(ctx, e.driver, dsn(db.path, true, true))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("opening a snapshot connection to %q: %w", name, err)
		}
		s.conns[name] = c
		if err := c.exec(ctx, "BEGIN"); err != nil {
			s.Close()
			return nil, fmt.Errorf("starting the snapshot of %q: %w", name, err)
		}
		size, err := pragmaInt(ctx, c, "PRAGMA page_size")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading the page size of %q: %w", name, err)
		}
		// The first read fixes the snapshot.
		count, err := pragmaInt(ctx, c, "PRAGMA page_count")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading the page count of %q: %w", name, err)
		}
		s.infos = append(s.infos, snapshot.DBInfo{Name: name, PageSize: uint32(size), Pages: uint32(count)})
	}
	sort.Slice(s.infos, func(i, j int) bool { return s.infos[i].Name < s.infos[j].Name })
	return s, nil
}

// Databases implements snapshot.Source.
func (s *Snapshot) Databases() []snapshot.DBInfo { return s.infos }

// ReadPage implements snapshot.Source.
func (s *Snapshot) ReadPage(ctx context.Context, db string, pgno uint32) ([]byte, error) {
	c, ok := s.conns[db]
	if !ok {
		return nil, fmt.Errorf("database %q is not in the snapshot", db)
	}
	res, err := c.run(ctx, "SELECT data FROM sqlite_dbpage WHERE pgno = ?1", []any{int64(pgno)})
	if err != nil {
		return nil, fmt.Errorf("reading page %d of %q: %w", pgno, db, err)
	}
	b, err := drain(res, columnsOf(res.cols))
	if err != nil {
		return nil, fmt.Errorf("reading page %d of %q: %w", pgno, db, err)
	}
	if len(b.data) == 0 {
		return nil, fmt.Errorf("page %d of %q does not exist", pgno, db)
	}
	data, _ := b.data[0][0].([]byte)
	return data, nil
}

// Close ends the read transactions.
func (s *Snapshot) Close() error {
	for _, c := range s.conns {
		c.exec(context.Background(), "ROLLBACK")
		c.close()
	}
	s.conns = nil
	return nil
}

// Installer writes a snapshot into the engine's databases, creating the
// ones missing; each database is replaced in one write transaction, so local
// readers see the old or the new content, never a mix.
func (e *Engine) Installer() snapshot.Installer { return installer{e} }

type installer struct{ e *Engine }

func (in installer) Begin(ctx context.Context, info snapshot.DBInfo) (snapshot.DBWriter, error) {
	e := in.e
	e.mu.Lock()
	db, ok := e.dbs[info.Name]
	if !ok {
		if err := e.openDB(ctx, info.Name); err != nil {
			e.mu.Unlock()
			return nil, err
		}
		db = e.dbs[info.Name]
	}
	e.mu.Unlock()
	w := db.w
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	w.conn.dropStmts()
	w.forgetCapture()
	dw, err := snapshot.NewSQLiteDBWriter(ctx, execer{w.conn}, info)
	if err != nil {
		w.release()
		return nil, fmt.Errorf("installing %q: %w", info.Name, err)
	}
	return &dbInstall{DBWriter: dw, e: e, db: db, w: w}, nil
}

type dbInstall struct {
	snapshot.DBWriter
	e    *Engine
	db   *database
	w    *writer
	done bool
}

func (d *dbInstall) Commit(ctx context.Context) error {
	err := d.DBWriter.Commit(ctx)
	if err == nil {
		// The installed file's schema cookie can equal the old one, and
		// the writer's b-tree state belongs to the old file: start the
		// writer on a fresh connection and have readers drop their cached
		// schema.
		err = d.db.reopenWriter(ctx, d.e.driver, d.e.cfg.Replication != nil)
		d.db.schemaGen.Add(1)
	}
	d.finish()
	return err
}

func (d *dbInstall) Abort() error {
	err := d.DBWriter.Abort()
	d.finish()
	return err
}

func (d *dbInstall) finish() {
	if !d.done {
		d.done = true
		d.w.committed(1)
		d.w.release()
	}
}

// DropExcept removes every database not named in keep (after a snapshot
// install: the primary does not have them).
func (e *Engine) DropExcept(ctx context.Context, keep []string) error {
	want := map[string]bool{}
	for _, k := range keep {
		want[k] = true
	}
	dbs, _ := e.Databases(ctx)
	for _, name := range dbs {
		if !want[name] {
			if err := e.applyDrop(ctx, name); err != nil {
				return err
			}
		}
	}
	return nil
}
