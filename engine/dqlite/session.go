package dqlite

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// session implements engine.Session with single mode's transaction model
// (see package engine):
//
//	read phase   tx != nil, !tx.writer: statements run on pooled
//	             connections, each seeing the latest commit (READ
//	             COMMITTED), or on one pinned connection inside BEGIN
//	             (snapshot transactions); savepoints are only recorded.
//	write phase  tx.writer: the session holds the database's write lock
//	             on this node and a pinned connection inside a write
//	             transaction on the leader, until COMMIT or ROLLBACK.
type session struct {
	e    *Engine
	d    *database
	info engine.SessionInfo
	tx   *txState
	// tz resolves the session's TimeZone setting for now() (see clock),
	// with SET TimeZone's rules and a cache of loaded zones; tzName is the
	// setting it holds.
	tz     *pgtypes.Codec
	tzName string
}

type txState struct {
	opt        engine.TxOptions
	start      time.Time // what now() returns in the transaction
	c          *conn     // pinned: the write phase's, or a snapshot's
	writer     bool      // holds d.sem
	savepoints []string
	// failed is set once the transaction no longer exists on the leader
	// (lost leader, cancelled statement); only ROLLBACK remains.
	failed error
	// ddl: the transaction changed the schema; until it ends, statements
	// are described on a private mirror of its own schema.
	ddl          bool
	private      *mirror
	privateStale bool
}

var _ engine.Session = (*session)(nil)

func (s *session) Database() string { return s.d.name }
func (s *session) InTx() bool       { return s.tx != nil }

// retryableRead reports errors after which a read can simply run again.
func retryableRead(ctx context.Context, err error, attempt int) bool {
	return ctx.Err() == nil && attempt < maxBatchAttempts && (isLeaderLost(err) || isBusy(err))
}

func (s *session) Query(ctx context.Context, query string, args []any, opt engine.StmtOptions) (engine.Rows, error) {
	if opt.Standalone {
		if s.tx != nil {
			return nil, engine.Errorf("25001", "%s cannot run inside a transaction block", verb(query))
		}
		return s.d.standalone(ctx, query, args)
	}
	if tx := s.tx; tx != nil && tx.failed != nil {
		return nil, txAborted()
	}
	if opt.UsesCatalog {
		if !opt.ReadOnly {
			return nil, engine.Errorf("0A000", "statements that write and read the system catalog are not supported in raft mode")
		}
		return s.catalogQuery(ctx, query, args)
	}
	query = bindTime(query, s.clock)
	if opt.ReadOnly {
		return s.read(ctx, query, args)
	}
	w, err := s.prepareWrite(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if w.read {
		// Result rows but no INSERT/UPDATE/DELETE (PRAGMA, EXPLAIN):
		// nothing to replicate.
		return s.read(ctx, query, args)
	}
	if s.tx == nil {
		rows, err := s.d.w.submit(&writeReq{ctx: ctx, query: query, args: args, plan: w.plan, cols: w.cols, ddl: w.ddl})
		if err != nil {
			return nil, translateError(err)
		}
		return rows, nil
	}
	if s.tx.opt.ReadOnly {
		return nil, engine.Errorf("25006", "cannot execute %s in a read-only transaction", verb(query))
	}
	if !s.tx.writer {
		if err := s.upgrade(ctx); err != nil {
			return nil, err
		}
	}
	return s.writeInTx(ctx, query, args, w)
}

// writeInfo is what a write statement needs before it runs.
type writeInfo struct {
	plan *retPlan
	cols []engine.Column
	ddl  bool
	read bool // it only returns rows
}

// prepareWrite classifies a write: does it return rows (RETURNING), does
// it change the schema.
func (s *session) prepareWrite(ctx context.Context, query string, args []any) (writeInfo, error) {
	w := writeInfo{ddl: !isDML(query)}
	m, err := s.fastMirror(ctx)
	if err != nil {
		return w, translateError(err)
	}
	si := m.info(query)
	for attempt := 0; si.err != nil && attempt < 2; attempt++ {
		// The mirror may be behind a schema change made elsewhere (or
		// was replaced under us).
		if m, err = s.mirror(ctx, 0); err != nil {
			return w, translateError(err)
		}
		if si = m.info(query); !errors.Is(si.err, errMirrorClosed) {
			break
		}
	}
	if si.err != nil {
		if hasReturning(query) {
			return w, translateError(si.err)
		}
		// The mirror cannot compile it; dqlite will say why (or run it).
		return w, nil
	}
	if len(si.cols) == 0 {
		return w, nil
	}
	plan, err := planReturning(query)
	if err != nil {
		return w, err
	}
	if plan == nil {
		w.read = true
		return w, nil
	}
	if err := checkReturning(ctx, m, plan); err != nil {
		return w, translateError(err)
	}
	w.plan, w.cols, w.ddl = plan, columnsOf(si.cols), false
	return w, nil
}

// read runs a read-only statement: on the pinned connection inside a
// transaction that has one, else on a pooled connection to the leader.
func (s *session) read(ctx context.Context, query string, args []any) (engine.Rows, error) {
	if err := s.ensureSnapshot(ctx); err != nil {
		return nil, err
	}
	cols := s.describeFast(ctx, query)
	if tx := s.tx; tx != nil && tx.c != nil {
		r, err := tx.c.query(ctx, query, args)
		if err != nil {
			return nil, s.txError(err)
		}
		return newStreamRows(tx.c, r, reconcile(cols, r.inner.Columns()), false, nil), nil
	}
	for attempt := 0; ; attempt++ {
		c, err := s.d.conn(ctx)
		if err != nil {
			return nil, translateError(err)
		}
		r, err := c.query(ctx, query, args)
		if err != nil {
			s.d.pool.put(c)
			if retryableRead(ctx, err, attempt) {
				continue
			}
			return nil, translateError(err)
		}
		return newStreamRows(c, r, reconcile(cols, r.inner.Columns()), false, func() { s.d.pool.put(c) }), nil
	}
}

// reconcile prefers the mirror's column descriptions (declared types,
// origins) when they match what dqlite returned.
func reconcile(cols []engine.Column, names []string) []engine.Column {
	if len(cols) == len(names) {
		return cols
	}
	out := make([]engine.Column, len(names))
	for i, n := range names {
		out[i] = engine.Column{Name: n}
	}
	return out
}

// describeFast compiles query on the current mirror without checking the
// schema version.
func (s *session) describeFast(ctx context.Context, query string) []engine.Column {
	m, err := s.fastMirror(ctx)
	if err != nil {
		return nil
	}
	si := m.info(query)
	if si.err != nil {
		return nil
	}
	return columnsOf(si.cols)
}

func (s *session) catalogQuery(ctx context.Context, query string, args []any) (engine.Rows, error) {
	info, err := s.catalogInfo(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		m, err := s.mirror(ctx, 0)
		if err != nil {
			return nil, translateError(err)
		}
		rows, err := m.catalogQuery(ctx, query, args, info)
		if errors.Is(err, errMirrorClosed) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
}

func (s *session) catalogInfo(ctx context.Context) (catalog.Info, error) {
	dbs, err := s.e.Databases(ctx)
	if err != nil {
		return catalog.Info{}, err
	}
	return catalog.Info{Databases: dbs, Database: s.d.name, User: s.info.User, Settings: s.info.Settings}, nil
}

// mirror returns the mirror that describes what this session sees: its
// transaction's own if it changed the schema, else the database's.
func (s *session) mirror(ctx context.Context, maxAge time.Duration) (*mirror, error) {
	if tx := s.tx; tx != nil && tx.ddl && tx.c != nil && tx.failed == nil {
		if tx.private == nil || tx.privateStale {
			version, objs, err := loadSchema(ctx, tx.c)
			if err != nil {
				return nil, s.txError(err)
			}
			m, err := buildMirror(ctx, s.e.mirrorDriver, version, objs, s.e.log)
			if err != nil {
				return nil, err
			}
			if tx.private != nil {
				tx.private.close()
			}
			tx.private, tx.privateStale = m, false
		}
		return tx.private, nil
	}
	return s.d.mirror(ctx, maxAge)
}

func (s *session) fastMirror(ctx context.Context) (*mirror, error) {
	if tx := s.tx; tx != nil && tx.ddl {
		return s.mirror(ctx, 0)
	}
	return s.d.currentMirror(ctx)
}

func (s *session) Describe(ctx context.Context, query string, opt engine.StmtOptions) (*engine.Description, error) {
	var refresh *catalog.Info
	if opt.UsesCatalog {
		info, err := s.catalogInfo(ctx)
		if err != nil {
			return nil, err
		}
		refresh = &info
	}
	for attempt := 0; ; attempt++ {
		m, err := s.mirror(ctx, 0)
		if err != nil {
			return nil, translateError(err)
		}
		d, err := m.describe(ctx, query, refresh)
		if errors.Is(err, errMirrorClosed) && attempt < 3 {
			continue
		}
		return d, err
	}
}

func (s *session) ColumnType(ctx context.Context, table, column string) (string, bool) {
	// Type inference asks often; a schema check per call would cost a
	// round trip each, so a recent check will do.
	m, err := s.mirror(ctx, time.Second)
	if err != nil {
		return "", false
	}
	return m.columnType(ctx, table, column)
}

// ensureSnapshot pins a connection inside a read transaction the first
// time a snapshot transaction runs a statement.
func (s *session) ensureSnapshot(ctx context.Context) error {
	tx := s.tx
	if tx == nil || tx.writer || !tx.opt.Snapshot || tx.c != nil {
		return nil
	}
	for attempt := 0; ; attempt++ {
		c, err := s.d.conn(ctx)
		if err != nil {
			return translateError(err)
		}
		_, err = c.exec(ctx, "BEGIN", nil)
		if err == nil {
			// SQLite takes the snapshot at the first read, not at BEGIN.
			_, err = c.queryAll(ctx, "SELECT 1 FROM sqlite_schema LIMIT 1", nil)
			if err != nil {
				c.exec(context.WithoutCancel(ctx), "ROLLBACK", nil)
			}
		}
		if err != nil {
			s.d.pool.put(c)
			if retryableRead(ctx, err, attempt) {
				continue
			}
			return translateError(err)
		}
		tx.c = c
		return nil
	}
}

// upgrade moves the transaction into its write phase: it takes the
// database's write lock on this node, then a write transaction on the
// leader, and replays the savepoints taken so far.
func (s *session) upgrade(ctx context.Context) error {
	tx := s.tx
	if err := s.d.acquire(ctx); err != nil {
		return translateError(err)
	}
	if tx.c == nil {
		var c *conn
		for attempt := 0; ; attempt++ {
			var err error
			c, err = s.d.conn(ctx)
			if err == nil {
				err = s.d.beginImmediate(ctx, c)
				if err != nil {
					s.d.pool.put(c)
				}
			}
			if err == nil {
				break
			}
			if isLeaderLost(err) && ctx.Err() == nil && attempt < maxBatchAttempts {
				continue
			}
			s.d.release()
			return translateError(err)
		}
		tx.c = c
	}
	// A snapshot transaction keeps its connection: its first write
	// upgrades the read transaction, failing with BUSY_SNAPSHOT if
	// someone committed since the snapshot.
	tx.writer = true
	for _, sp := range tx.savepoints {
		if _, err := tx.c.exec(ctx, "SAVEPOINT "+quoteIdent(sp), nil); err != nil {
			return s.txError(err)
		}
	}
	tx.savepoints = nil
	return nil
}

// writeInTx runs a write in the transaction's write phase.
func (s *session) writeInTx(ctx context.Context, query string, args []any, w writeInfo) (engine.Rows, error) {
	tx := s.tx
	var rows *bufferedRows
	err := retryBusy(ctx, s.e.cfg.BusyTimeout, func() error {
		if w.plan != nil {
			var err error
			rows, err = runReturning(ctx, tx.c, w.plan, args, w.cols)
			return err
		}
		n, err := tx.c.exec(ctx, query, args)
		rows = &bufferedRows{affected: n}
		return err
	})
	if err != nil {
		if isBusySnapshot(err) {
			return nil, serializationFailure("another transaction committed after this transaction's snapshot")
		}
		return nil, s.txError(err)
	}
	if w.ddl {
		tx.ddl, tx.privateStale = true, true
	}
	return rows, nil
}

// txError translates an error met on the pinned connection, ending the
// transaction if the connection (and so the transaction) is gone.
func (s *session) txError(err error) error {
	tx := s.tx
	if tx == nil || tx.c == nil || !(tx.c.broken || isLeaderLost(err)) {
		return translateError(err)
	}
	s.abandonTx(err)
	var lost *errLeaderLost
	if errors.As(err, &lost) {
		return leaderLostInTx(err)
	}
	return translateError(err)
}

// abandonTx releases what a transaction that no longer exists on the
// leader held; the session waits for ROLLBACK.
func (s *session) abandonTx(err error) {
	tx := s.tx
	tx.failed = err
	if tx.c != nil {
		s.d.pool.put(tx.c)
		tx.c = nil
	}
	if tx.writer {
		s.d.release()
		tx.writer = false
	}
	if tx.private != nil {
		tx.private.close()
		tx.private = nil
	}
}

func (s *session) Begin(ctx context.Context, opt engine.TxOptions) error {
	if s.tx != nil {
		return engine.Errorf("25001", "there is already a transaction in progress")
	}
	s.tx = &txState{opt: opt, start: time.Now()}
	return nil
}

// clock is what now() means for the session's next statement (now.go):
// the transaction's start inside one, the statement's own time otherwise,
// and the session's TimeZone for dates.
func (s *session) clock() (time.Time, *time.Location) {
	t := time.Now()
	if s.tx != nil {
		t = s.tx.start
	}
	return t, s.location()
}

// location is the session's TimeZone, resolved as SET TimeZone resolves
// it (IANA names in any case, POSIX offsets) and only when the setting
// changed: loading a zone reads tzdata.
func (s *session) location() *time.Location {
	if s.info.Settings == nil {
		return time.UTC
	}
	tz, ok := s.info.Settings("TimeZone")
	if !ok {
		return time.UTC
	}
	if s.tz == nil {
		s.tz = pgtypes.NewCodec()
	}
	if tz != s.tzName {
		if s.tz.SetTimeZone(tz) != nil {
			return time.UTC
		}
		s.tzName = tz
	}
	return s.tz.Location()
}

func (s *session) Commit(ctx context.Context) error { return s.end(ctx, true) }

func (s *session) Rollback(ctx context.Context) error { return s.end(ctx, false) }

func (s *session) end(ctx context.Context, commit bool) error {
	tx := s.tx
	if tx == nil {
		return nil
	}
	s.tx = nil
	if tx.private != nil {
		defer tx.private.close()
	}
	if tx.failed != nil {
		if commit {
			return leaderLostInTx(tx.failed)
		}
		return nil
	}
	if tx.c == nil {
		return nil
	}
	c := tx.c
	// Ending must not be cut short by the caller: a half-sent COMMIT
	// would leave its outcome unknown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.e.cfg.LeaderTimeout+s.e.cfg.BusyTimeout)
	defer cancel()
	defer func() {
		s.d.pool.put(c)
		if tx.writer {
			s.d.release()
		}
	}()
	if !commit || !tx.writer {
		// An error means the leader already rolled back.
		c.exec(ctx, "ROLLBACK", nil)
		return nil
	}
	if err := s.d.commit(ctx, c); err != nil {
		if isLeaderLost(err) {
			return commitUnknown(err)
		}
		c.exec(ctx, "ROLLBACK", nil)
		return translateError(err)
	}
	s.e.stats.commits.Add(1)
	if tx.ddl {
		s.d.invalidate()
	}
	return nil
}

func (s *session) Savepoint(ctx context.Context, name string) error {
	tx := s.tx
	if tx == nil {
		return engine.Errorf("25P01", "SAVEPOINT can only be used in transaction blocks")
	}
	if tx.failed != nil {
		return txAborted()
	}
	if tx.writer {
		if _, err := tx.c.exec(ctx, "SAVEPOINT "+quoteIdent(name), nil); err != nil {
			return s.txError(err)
		}
		return nil
	}
	tx.savepoints = append(tx.savepoints, name)
	return nil
}

func (s *session) ReleaseSavepoint(ctx context.Context, name string) error {
	return s.toSavepoint(ctx, "RELEASE", name, 0)
}

func (s *session) RollbackToSavepoint(ctx context.Context, name string) error {
	return s.toSavepoint(ctx, "ROLLBACK TO", name, 1)
}

func (s *session) toSavepoint(ctx context.Context, verb, name string, keep int) error {
	tx := s.tx
	if tx == nil {
		return engine.Errorf("25P01", "%s SAVEPOINT can only be used in transaction blocks", verb)
	}
	if tx.failed != nil {
		return txAborted()
	}
	if tx.writer {
		if _, err := tx.c.exec(ctx, verb+" "+quoteIdent(name), nil); err != nil {
			return s.txError(err)
		}
		if keep == 1 && tx.ddl {
			tx.privateStale = true
		}
		return nil
	}
	for i := len(tx.savepoints) - 1; i >= 0; i-- {
		if tx.savepoints[i] == name {
			tx.savepoints = tx.savepoints[:i+keep]
			return nil
		}
	}
	return engine.Errorf("3B001", "savepoint %q does not exist", name)
}

func (s *session) Close() error {
	err := s.Rollback(context.Background())
	s.d.users.Add(-1)
	return err
}

// verb names a statement in error messages.
func verb(query string) string {
	if w := firstWord(query); w != "" {
		return strings.ToUpper(w)
	}
	return "statement"
}

// firstWord is the statement's first keyword, lower-cased.
func firstWord(query string) string {
	// The first word is near the start (after comments, maybe); lexing a
	// prefix keeps this cheap for huge statements, and Lex returns the
	// tokens it read even when the cut ends in the middle of one.
	if len(query) > 512 {
		query = query[:512]
	}
	toks, _ := pgsql.Lex(query)
	for _, t := range toks {
		switch t.Kind {
		case pgsql.TokSpace, pgsql.TokComment:
			continue
		case pgsql.TokIdent:
			return t.Str
		}
		return ""
	}
	return ""
}

// isDML reports statements that cannot change the schema; anything else
// makes the engine check the schema version after it commits.
func isDML(query string) bool {
	switch firstWord(query) {
	case "insert", "replace", "update", "delete", "select", "values", "with":
		return true
	}
	return false
}

// hasReturning reports a top-level RETURNING clause, lexically.
func hasReturning(query string) bool {
	toks, err := pgsql.Lex(query)
	if err != nil {
		return strings.Contains(strings.ToLower(query), "returning")
	}
	depth := 0
	for _, t := range toks {
		switch {
		case t.Kind == pgsql.TokPunct && t.Str == "(":
			depth++
		case t.Kind == pgsql.TokPunct && t.Str == ")":
			depth--
		case t.Kind == pgsql.TokIdent && t.Str == "returning" && depth == 0:
			return true
		}
	}
	return false
}
