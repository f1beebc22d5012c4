package sqlite

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// session implements engine.Session. See the engine package doc for the
// transaction model; the states of an explicit transaction are:
//
//	read phase   tx != nil, !tx.writer: statements run on pooled readers
//	             (READ COMMITTED) or on one pinned reader (snapshot);
//	             savepoints are only recorded.
//	write phase  tx.writer: the session owns the database's writer
//	             connection inside BEGIN IMMEDIATE until COMMIT/ROLLBACK.
type session struct {
	eng  *Engine
	db   *database
	info engine.SessionInfo
	tx   *txState
}

type txState struct {
	opt        engine.TxOptions
	start      time.Time // transaction_timestamp(): what now() returns
	writer     bool
	reader     *conn // pinned reader of a snapshot transaction
	snapSeq    uint64
	savepoints []string // recorded during the read phase, replayed on upgrade
}

func (s *session) Database() string { return s.db.name }
func (s *session) InTx() bool       { return s.tx != nil }

// connFor picks the connection that must serve a statement in the current
// transaction state, or nil when a pooled reader will do.
func (s *session) pinned() *conn {
	switch {
	case s.tx == nil:
		return nil
	case s.tx.writer:
		return s.db.w.conn
	default:
		return s.tx.reader
	}
}

// conn returns the connection for a short statement-free task (describe,
// schema lookups): the pinned one, or a pooled reader returned by done.
func (s *session) conn(ctx context.Context) (c *conn, done func(), err error) {
	if c := s.pinned(); c != nil {
		return c, func() {}, nil
	}
	if c, err = s.db.checkout(ctx); err != nil {
		return nil, nil, err
	}
	return c, func() { s.db.checkin(c) }, nil
}

func (s *session) refreshCatalog(ctx context.Context, c *conn) error {
	return c.cat.Refresh(ctx, s.eng.catalogInfo(s))
}

func (s *session) Describe(ctx context.Context, query string, opt engine.StmtOptions) (*engine.Description, error) {
	if err := s.ensureSnapshot(ctx, opt); err != nil {
		return nil, err
	}
	c, done, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if opt.UsesCatalog {
		if err := s.refreshCatalog(ctx, c); err != nil {
			return nil, translateError(err)
		}
	}
	info, n, err := c.describe(query)
	if err != nil {
		return nil, translateError(err)
	}
	cols := columnsOf(info)
	for i := range cols {
		if cols[i].Table == "" || info[i].DatabaseName != "main" {
			continue
		}
		if oid, err := c.cat.RelationOID(ctx, cols[i].Table); err == nil {
			cols[i].TableOID = oid
			cols[i].AttNum = attNum(ctx, c, cols[i].Table, cols[i].Origin)
		}
	}
	return &engine.Description{Columns: cols, NumParams: n}, nil
}

// attNum finds the 1-based position of column in table, as pg_attribute
// reports it.
func attNum(ctx context.Context, c *conn, table, column string) int16 {
	// table_xinfo counts generated columns too, as pg_attribute does.
	res, err := c.run(ctx, "SELECT cid FROM pragma_table_xinfo(?1) WHERE name = ?2", []any{table, column})
	if err != nil {
		return 0
	}
	b, err := drain(res, columnsOf(res.cols))
	if err != nil || len(b.data) == 0 {
		return 0
	}
	cid, _ := b.data[0][0].(int64)
	return int16(cid + 1)
}

func (s *session) Query(ctx context.Context, query string, args []any, opt engine.StmtOptions) (engine.Rows, error) {
	if opt.Standalone {
		if s.tx != nil {
			return nil, engine.Errorf("25001", "this statement cannot run inside a transaction block")
		}
		return s.standalone(ctx, query, args)
	}
	if s.tx == nil {
		if !opt.ReadOnly {
			if opt.UsesCatalog {
				// Catalog-reading writes are rare (INSERT … SELECT FROM
				// pg_class); run them as a one-statement transaction.
				return s.oneShotWrite(ctx, query, args, opt)
			}
			rows, err := s.db.w.submit(ctx, query, args)
			if err != nil {
				return nil, translateError(err)
			}
			return rows, nil
		}
		c, err := s.db.checkout(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := s.readPooled(ctx, c, query, args, opt, func() { s.db.checkin(c) })
		if err != nil {
			s.db.checkin(c)
		}
		return rows, err
	}
	if !opt.ReadOnly && !s.tx.writer {
		if s.tx.opt.ReadOnly {
			return nil, engine.Errorf("25006", "cannot execute %s in a read-only transaction", verb(query))
		}
		if err := s.upgrade(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.ensureSnapshot(ctx, opt); err != nil {
		return nil, err
	}
	if c := s.pinned(); c != nil {
		return s.runOn(ctx, c, query, args, opt, nil)
	}
	c, err := s.db.checkout(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.readPooled(ctx, c, query, args, opt, func() { s.db.checkin(c) })
	if err != nil {
		s.db.checkin(c)
	}
	return rows, err
}

// runOn runs a statement on c. done, if set, runs once the rows are closed
// (or immediately for statements without rows).
func (s *session) runOn(ctx context.Context, c *conn, query string, args []any, opt engine.StmtOptions, done func()) (engine.Rows, error) {
	if opt.UsesCatalog {
		if err := s.refreshCatalog(ctx, c); err != nil {
			return nil, translateError(err)
		}
	}
	res, err := c.run(ctx, query, args)
	if err != nil {
		return nil, translateError(err)
	}
	if res.rows == nil {
		if done != nil {
			done()
		}
		return &bufferedRows{affected: res.affected}, nil
	}
	release := res.release
	return &streamRows{
		ctx:   ctx,
		cols:  columnsOf(res.cols),
		rows:  res.rows,
		isDML: !opt.ReadOnly,
		done: func() {
			release()
			if done != nil {
				done()
			}
		},
	}, nil
}

func (s *session) oneShotWrite(ctx context.Context, query string, args []any, opt engine.StmtOptions) (engine.Rows, error) {
	if err := s.Begin(ctx, engine.TxOptions{}); err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, query, args, opt)
	if err != nil {
		s.Rollback(ctx)
		return nil, err
	}
	b, err := drainRows(rows)
	if err != nil {
		s.Rollback(ctx)
		return nil, err
	}
	return b, s.Commit(ctx)
}

func (s *session) standalone(ctx context.Context, query string, args []any) (engine.Rows, error) {
	w := s.db.w
	if err := w.acquire(ctx); err != nil {
		return nil, translateError(err)
	}
	defer w.release()
	w.conn.dropStmts()
	var txid uint64
	if w.repl != nil {
		var err error
		if txid, err = w.repl.BeginCommit(ctx, s.db.name); err != nil {
			return nil, translateError(err)
		}
		if err := w.openCapture(); err != nil {
			return nil, translateError(w.abortCommit(txid, err))
		}
	}
	res, err := w.conn.run(ctx, query, args)
	if err != nil {
		if w.repl != nil {
			w.abortCommit(txid, err)
		}
		return nil, translateError(err)
	}
	rows, drainErr := drain(res, columnsOf(res.cols))
	var wait func(context.Context) error
	if w.repl != nil {
		// VACUUM cannot run inside the transaction that would record txid
		// in the header; the header keeps the previous id, which only
		// makes recovery re-apply this (idempotent) page set.
		wait, err = w.captureCommit(txid, 1)
	} else {
		seq := w.committed(1)
		wait = func(context.Context) error { return w.sync.wait(seq) }
	}
	if err != nil {
		return nil, translateError(err)
	}
	if err := wait(ctx); err != nil {
		return nil, err
	}
	return rows, drainErr
}

// ensureSnapshot pins a reader and opens its read transaction the first
// time a snapshot transaction runs a statement in its read phase.
func (s *session) ensureSnapshot(ctx context.Context, opt engine.StmtOptions) error {
	if s.tx == nil || s.tx.writer || !s.tx.opt.Snapshot || s.tx.reader != nil {
		return nil
	}
	c, err := s.db.checkout(ctx)
	if err != nil {
		return err
	}
	s.tx.snapSeq = s.db.seq.Load()
	if err := c.begin(ctx, "BEGIN", s.tx.start); err != nil {
		s.db.checkin(c)
		return translateError(err)
	}
	// SQLite takes the snapshot at the first read, not at BEGIN.
	if err := c.exec(ctx, "SELECT 1 FROM sqlite_schema LIMIT 1"); err != nil {
		c.exec(ctx, "ROLLBACK")
		s.db.checkin(c)
		return translateError(err)
	}
	if b := s.barrier(); b != nil {
		if err := waitSnapshot(ctx, c, b); err != nil {
			c.exec(context.Background(), "ROLLBACK")
			s.db.checkin(c)
			return err
		}
	}
	s.tx.reader = c
	return nil
}

// upgrade moves the transaction into its write phase: it queues for the
// writer, opens BEGIN IMMEDIATE and replays the savepoints taken so far.
func (s *session) upgrade(ctx context.Context) error {
	tx := s.tx
	if tx.reader != nil && s.db.seq.Load() != tx.snapSeq {
		return serializationFailure()
	}
	w := s.db.w
	if err := w.sync.failed(); err != nil {
		return err
	}
	if err := w.acquire(ctx); err != nil {
		return translateError(err)
	}
	if tx.reader != nil && s.db.seq.Load() != tx.snapSeq {
		w.release()
		return serializationFailure()
	}
	if err := w.conn.begin(ctx, "BEGIN IMMEDIATE", tx.start); err != nil {
		w.release()
		return translateError(err)
	}
	for _, sp := range tx.savepoints {
		if err := w.conn.exec(ctx, "SAVEPOINT "+quoteIdent(sp)); err != nil {
			w.conn.exec(context.Background(), "ROLLBACK")
			w.release()
			return translateError(err)
		}
	}
	tx.savepoints = nil
	tx.writer = true
	s.unpinReader()
	return nil
}

func serializationFailure() error {
	return engine.Errorf("40001", "could not serialize access due to concurrent update")
}

func (s *session) unpinReader() {
	if s.tx != nil && s.tx.reader != nil {
		s.tx.reader.exec(context.Background(), "ROLLBACK")
		s.db.checkin(s.tx.reader)
		s.tx.reader = nil
	}
}

func (s *session) Begin(ctx context.Context, opt engine.TxOptions) error {
	if s.tx != nil {
		return engine.Errorf("25001", "there is already a transaction in progress")
	}
	s.tx = &txState{opt: opt, start: time.Now()}
	return nil
}

func (s *session) Commit(ctx context.Context) error {
	return s.end(ctx, "COMMIT")
}

func (s *session) Rollback(ctx context.Context) error {
	return s.end(ctx, "ROLLBACK")
}

func (s *session) end(ctx context.Context, verb string) error {
	tx := s.tx
	if tx == nil {
		return nil
	}
	s.unpinReader()
	s.tx = nil
	if !tx.writer {
		return nil
	}
	w := s.db.w
	// Finishing must not be cut short by the caller's cancellation: a
	// half-finished COMMIT would leave the writer in an unknown state.
	ctx = context.WithoutCancel(ctx)
	if verb == "ROLLBACK" {
		// An error means SQLite had already rolled back (e.g. after an
		// interrupt).
		w.conn.exec(ctx, "ROLLBACK")
		w.release()
		return nil
	}
	wait, err := w.commit(ctx, 1)
	if err != nil {
		w.conn.exec(context.Background(), "ROLLBACK")
		w.release()
		return translateError(err)
	}
	w.release()
	return wait(ctx)
}

func (s *session) Savepoint(ctx context.Context, name string) error {
	if s.tx == nil {
		return engine.Errorf("25P01", "SAVEPOINT can only be used in transaction blocks")
	}
	if s.tx.writer {
		return translateError(s.db.w.conn.exec(ctx, "SAVEPOINT "+quoteIdent(name)))
	}
	s.tx.savepoints = append(s.tx.savepoints, name)
	return nil
}

func (s *session) ReleaseSavepoint(ctx context.Context, name string) error {
	return s.toSavepoint(ctx, "RELEASE", name, 0)
}

func (s *session) RollbackToSavepoint(ctx context.Context, name string) error {
	return s.toSavepoint(ctx, "ROLLBACK TO", name, 1)
}

func (s *session) toSavepoint(ctx context.Context, verb, name string, keep int) error {
	if s.tx == nil {
		return engine.Errorf("25P01", "%s SAVEPOINT can only be used in transaction blocks", verb)
	}
	if s.tx.writer {
		return translateError(s.db.w.conn.exec(ctx, verb+" "+quoteIdent(name)))
	}
	for i := len(s.tx.savepoints) - 1; i >= 0; i-- {
		if s.tx.savepoints[i] == name {
			s.tx.savepoints = s.tx.savepoints[:i+keep]
			return nil
		}
	}
	return engine.Errorf("3B001", "savepoint %q does not exist", name)
}

func (s *session) Close() error {
	err := s.Rollback(context.Background())
	s.db.users.Add(-1)
	return err
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// verb names a statement in error messages ("cannot execute INSERT …").
func verb(query string) string {
	f := strings.Fields(query)
	if len(f) == 0 {
		return "statement"
	}
	return strings.ToUpper(f[0])
}

func drainRows(r engine.Rows) (*bufferedRows, error) {
	defer r.Close()
	b := &bufferedRows{cols: r.Columns()}
	for {
		row := make([]any, len(b.cols))
		if err := r.Next(row); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		b.data = append(b.data, row)
	}
	b.affected = r.RowsAffected()
	return b, nil
}

func (s *session) ColumnType(ctx context.Context, table, column string) (string, bool) {
	c, done, err := s.conn(ctx)
	if err != nil {
		return "", false
	}
	defer done()
	q := "SELECT p.type FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type IN ('table','view') AND p.name = ?2 COLLATE NOCASE AND (?1 = '' OR m.name = ?1 COLLATE NOCASE) ORDER BY m.name = ?1 DESC LIMIT 1"
	args := []any{table, column}
	if n, err := strconv.Atoi(strings.TrimPrefix(column, "#")); err == nil && strings.HasPrefix(column, "#") && table != "" {
		// "#k": the k-th column, for INSERT without a column list.
		q = "SELECT type FROM pragma_table_info(?1) WHERE cid = ?2"
		args = []any{table, int64(n - 1)}
	}
	res, err := c.run(ctx, q, args)
	if err != nil {
		return "", false
	}
	b, err := drain(res, columnsOf(res.cols))
	if err != nil || len(b.data) == 0 {
		return "", false
	}
	decl, _ := b.data[0][0].(string)
	return decl, true
}
