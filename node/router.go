package node

import (
	"context"
	"errors"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/forward"
	"github.com/sqlcluster/sqlcluster/peer"
)

// router is the engine the pg front end sees in stream mode. On the
// primary every session is local. On a replica, autocommit reads run
// locally and everything else (writes, explicit transactions, DDL) runs on
// the primary through a forwarded session, so results, command tags,
// SQLSTATEs and transaction status are the primary's own.
type router struct {
	c   *cluster
	eng *sqlite.Engine
}

func (r *router) Open(ctx context.Context, name string, info engine.SessionInfo) (engine.Session, error) {
	if name == systemDB {
		return nil, engine.Errorf("3D000", "database %q does not exist", name)
	}
	s, err := r.eng.Open(ctx, name, info)
	if err != nil {
		return nil, err
	}
	return &routedSession{c: r.c, local: s, info: info}, nil
}

func (r *router) Databases(ctx context.Context) ([]string, error) {
	dbs, err := r.eng.Databases(ctx)
	out := dbs[:0]
	for _, d := range dbs {
		if d != systemDB {
			out = append(out, d)
		}
	}
	return out, err
}

func (r *router) CreateDatabase(ctx context.Context, name string) error {
	if name == systemDB {
		return engine.Errorf("42P04", "database %q already exists", name)
	}
	return r.c.onPrimary(ctx, func() error { return r.eng.CreateDatabase(ctx, name) },
		controlRequest{Op: opCreateDB, DB: name})
}

func (r *router) DropDatabase(ctx context.Context, name string, ifExists bool) error {
	if name == systemDB {
		return engine.Errorf("55006", "cannot drop the system database %q", name)
	}
	return r.c.onPrimary(ctx, func() error { return r.eng.DropDatabase(ctx, name, ifExists) },
		controlRequest{Op: opDropDB, DB: name, IfExists: ifExists})
}

func (r *router) Stats() engine.Stats { return r.eng.Stats() }
func (r *router) Close() error        { return r.eng.Close() }

// routedSession sends each call to the local session or the primary.
type routedSession struct {
	c      *cluster
	local  engine.Session
	info   engine.SessionInfo
	remote *forward.Session
	// remoteTx: the open explicit transaction lives on the primary, in
	// remote, which stays set (even once broken) until the transaction
	// ends: a forwarded transaction never moves to another session.
	remoteTx bool
	// seen is the primary's TxID after this session's last forwarded
	// call; local reads wait for it (read-your-writes).
	seen uint64
}

func (s *routedSession) Database() string { return s.local.Database() }

func (s *routedSession) InTx() bool {
	if s.remoteTx {
		return s.remote.InTx()
	}
	return s.local.InTx()
}

// primaryHere reports whether this node is the primary right now.
func (s *routedSession) primaryHere() bool { return s.c.repl.isPrimary() }

func (s *routedSession) consistency() string {
	if s.c.faults.staleReads {
		return "local"
	}
	if s.info.Settings != nil {
		if v, ok := s.info.Settings("sqlcluster.read_consistency"); ok && v != "" {
			return v
		}
	}
	return "session"
}

// useRemote decides where a statement outside a local transaction runs.
func (s *routedSession) useRemote(readOnly bool) bool {
	if s.remoteTx {
		return true
	}
	if s.local.InTx() || s.primaryHere() {
		return false
	}
	if !readOnly {
		return true
	}
	return s.consistency() == "primary"
}

// beforeLocalRead makes the local databases at least as new as this
// session's own forwarded writes.
func (s *routedSession) beforeLocalRead(ctx context.Context) error {
	if s.seen == 0 || s.consistency() == "local" {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.c.cfg.WriteWait)
	defer cancel()
	if err := s.c.repl.waitApplied(wctx, s.seen); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &engine.Error{Code: "57P03", Message: "this replica has not caught up with the session's own writes yet",
			Hint: "Retry, connect to the primary, or SET sqlcluster.read_consistency = local to accept stale reads."}
	}
	return nil
}

// primarySession returns the forwarded session, opening one to the
// current primary (waiting a bounded time for one to exist).
func (s *routedSession) primarySession(ctx context.Context) (*forward.Session, error) {
	if s.remoteTx {
		// A forwarded transaction lives in the one session it began in.
		// If that session broke (its primary died or stepped down), the
		// transaction is gone with it, and the broken session says so
		// (40001; ROLLBACK succeeds). A new session would run the rest
		// of the transaction's statements outside any transaction.
		return s.remote, nil
	}
	if s.remote != nil && !s.remote.Broken() {
		return s.remote, nil
	}
	if s.remote != nil {
		s.remote.Close()
		s.remote = nil
	}
	conn, err := s.c.dialPrimary(ctx, peer.KindSession)
	if err != nil {
		return nil, err
	}
	fs, err := forward.Open(ctx, conn, s.local.Database(), s.info)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.remote = fs
	return fs, nil
}

// forwarded runs fn on the primary's session and records how far the
// primary was afterwards. Autocommit statements refused because the
// primary just stepped down (25006 before anything ran) are retried on the
// next primary within the write wait.
func (s *routedSession) forwarded(ctx context.Context, fn func(fs *forward.Session) error) error {
	deadline := time.Now().Add(s.c.cfg.WriteWait)
	for {
		fs, err := s.primarySession(ctx)
		if err != nil {
			return err
		}
		err = fn(fs)
		if p := fs.LastPosition(); p > s.seen {
			s.seen = p
		}
		if err != nil && !s.remoteTx && isNotPrimary(err) && time.Now().Before(deadline) {
			s.remote.Close()
			s.remote = nil
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		return err
	}
}

func (s *routedSession) Describe(ctx context.Context, query string, opt engine.StmtOptions) (*engine.Description, error) {
	if s.remoteTx || (!s.local.InTx() && !s.primaryHere() && !opt.ReadOnly) {
		var d *engine.Description
		err := s.forwarded(ctx, func(fs *forward.Session) (err error) { d, err = fs.Describe(ctx, query, opt); return })
		if !errors.Is(err, errPrimaryIsHere) {
			return d, err
		}
	}
	if err := s.beforeLocalRead(ctx); err != nil {
		return nil, err
	}
	return s.local.Describe(ctx, query, opt)
}

func (s *routedSession) Query(ctx context.Context, query string, args []any, opt engine.StmtOptions) (engine.Rows, error) {
	if s.useRemote(opt.ReadOnly && !opt.Standalone) {
		var rows engine.Rows
		err := s.forwarded(ctx, func(fs *forward.Session) (err error) { rows, err = fs.Query(ctx, query, args, opt); return })
		if !errors.Is(err, errPrimaryIsHere) {
			return rows, err
		}
	}
	if !s.local.InTx() {
		if err := s.beforeLocalRead(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := s.local.Query(ctx, query, args, opt)
	if err != nil && !s.local.InTx() && !opt.ReadOnly && isNotPrimary(err) {
		// This node stepped down between routing and committing; the
		// statement was rolled back, so it can run on the new primary.
		if ferr := s.forwarded(ctx, func(fs *forward.Session) (err error) { rows, err = fs.Query(ctx, query, args, opt); return }); !errors.Is(ferr, errPrimaryIsHere) {
			err = ferr
		}
	}
	return rows, err
}

func isNotPrimary(err error) bool {
	var ee *engine.Error
	return errors.As(err, &ee) && ee.Code == errNotPrimary.Code && ee.Message == errNotPrimary.Message
}

func (s *routedSession) Begin(ctx context.Context, opt engine.TxOptions) error {
	if s.InTx() {
		return engine.Errorf("25001", "there is already a transaction in progress")
	}
	if s.primaryHere() {
		return s.local.Begin(ctx, opt)
	}
	err := s.forwarded(ctx, func(fs *forward.Session) error { return fs.Begin(ctx, opt) })
	if errors.Is(err, errPrimaryIsHere) {
		return s.local.Begin(ctx, opt)
	}
	if err == nil {
		s.remoteTx = true
	}
	return err
}

func (s *routedSession) Commit(ctx context.Context) error {
	if !s.remoteTx {
		return stepDownAborted(s.local.Commit(ctx))
	}
	s.remoteTx = false
	err := s.remote.Commit(ctx)
	if p := s.remote.LastPosition(); p > s.seen {
		s.seen = p
	}
	return stepDownAborted(err)
}

// stepDownAborted reports a COMMIT refused because the node the
// transaction ran on stopped being the primary as what it is to the
// client: the transaction was rolled back and may be retried on the new
// primary (40001), not 25006, which says the statement can never run here
// and which client retry loops do not retry.
func stepDownAborted(err error) error {
	if isNotPrimary(err) {
		return forward.TxLostError(err)
	}
	return err
}

func (s *routedSession) Rollback(ctx context.Context) error {
	if !s.remoteTx {
		return s.local.Rollback(ctx)
	}
	s.remoteTx = false
	return s.remote.Rollback(ctx)
}

func (s *routedSession) Savepoint(ctx context.Context, name string) error {
	if s.remoteTx {
		return s.remote.Savepoint(ctx, name)
	}
	return s.local.Savepoint(ctx, name)
}

func (s *routedSession) ReleaseSavepoint(ctx context.Context, name string) error {
	if s.remoteTx {
		return s.remote.ReleaseSavepoint(ctx, name)
	}
	return s.local.ReleaseSavepoint(ctx, name)
}

func (s *routedSession) RollbackToSavepoint(ctx context.Context, name string) error {
	if s.remoteTx {
		return s.remote.RollbackToSavepoint(ctx, name)
	}
	return s.local.RollbackToSavepoint(ctx, name)
}

func (s *routedSession) ColumnType(ctx context.Context, table, column string) (string, bool) {
	if s.remoteTx {
		return s.remote.ColumnType(ctx, table, column)
	}
	decl, ok := s.local.ColumnType(ctx, table, column)
	if ok || s.primaryHere() || s.local.InTx() {
		return decl, ok
	}
	// A table the primary created may not have reached this replica yet:
	// parameter types must come from the schema the statement will run on.
	if err := s.forwarded(ctx, func(fs *forward.Session) error {
		decl, ok = fs.ColumnType(ctx, table, column)
		return nil
	}); err != nil {
		return "", false
	}
	return decl, ok
}

func (s *routedSession) Close() error {
	if s.remote != nil {
		s.remote.Close()
	}
	return s.local.Close()
}
