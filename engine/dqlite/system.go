package dqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// systemDB is the dqlite database that lists the PostgreSQL databases
// (dqlite has no "list databases") and takes the barrier writes. User
// databases live in dqlite files named "<name>.<id>", which can never
// collide with it; the id also keeps a re-created database from finding
// the data of a dropped one, since dqlite cannot delete a database.
const systemDB = "_sqlcluster"

const systemSchema = `
CREATE TABLE IF NOT EXISTS databases (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	file TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	dropped_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS databases_live_name ON databases(name) WHERE dropped_at IS NULL;
CREATE TABLE IF NOT EXISTS barrier (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`

// databaseNameRE keeps database names usable as dqlite file names.
var databaseNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$-]{0,62}$`)

func now() string { return time.Now().UTC().Format("2006-01-02 15:04:05.000000") }

// errLeaderWait is the cause of the engine's own deadline on waiting for a
// leader (LeaderTimeout). A context error looks the same whoever set the
// deadline; the cause tells "no leader came" (57P03) from the caller's
// cancel or statement_timeout (57014).
var errLeaderWait = errors.New("no raft leader within the leader timeout")

// leaderWait bounds ctx by LeaderTimeout, for work that waits for a leader;
// ctx's own deadline, if earlier, still applies. leaderWaitError reports
// the work's failure.
func (e *Engine) leaderWait(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, e.cfg.LeaderTimeout, errLeaderWait)
}

// leaderWaitError translates err, the last failure of work done under
// lctx (from leaderWait). Once lctx has ended, err is only the symptom
// (a context error, a broken connection): what counts is whose deadline
// ended it.
func leaderWaitError(lctx context.Context, err error) error {
	if lctx.Err() == nil {
		return translateError(err)
	}
	if errors.Is(context.Cause(lctx), errLeaderWait) {
		var ee *engine.Error
		if errors.As(err, &ee) && ee.Code == "57P03" {
			return ee
		}
		return noLeader(err)
	}
	return canceled(lctx.Err())
}

// retryLeader reports whether work that failed with err should be tried
// again, after a pause, while waiting for a leader: the leader was lost
// (or is stopping) and lctx still allows waiting. Errors that already
// carry a SQLSTATE are final (a barrier that found no leader in time).
func retryLeader(lctx context.Context, err error, attempt int) bool {
	var ee *engine.Error
	if lctx.Err() != nil || errors.As(err, &ee) || !isLeaderLost(err) {
		return false
	}
	// Not in a tight loop: a stopping leader fails every statement at
	// once, and an election takes a while anyway.
	t := time.NewTimer(min(10*time.Millisecond<<min(attempt, 5), 250*time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
		return lctx.Err() == nil
	case <-lctx.Done():
		return false
	}
}

// barrier commits a write through the current leader (see leaderWatch).
// It uses the pool directly: it is what makes connections usable. It
// waits up to LeaderTimeout for a leader that takes the write, then fails
// with 57P03; a cancel or deadline of ctx's own fails it with 57014.
func (e *Engine) barrier(ctx context.Context) error {
	lctx, cancel := e.leaderWait(ctx)
	defer cancel()
	// No parameters: a multi-statement EXEC binds them to the first.
	q := "CREATE TABLE IF NOT EXISTS barrier (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); " +
		"INSERT OR REPLACE INTO barrier(id, n) VALUES (1, " + strconv.FormatInt(time.Now().UnixNano(), 10) + ")"
	for attempt := 0; ; attempt++ {
		c, err := e.sys.pool.get(lctx)
		if err == nil {
			err = retryBusy(lctx, e.cfg.BusyTimeout, func() error {
				_, err := c.exec(lctx, q, nil)
				return err
			})
			dropIfLeaderLost(c, err)
			e.sys.pool.put(c)
			if err == nil {
				return nil
			}
		}
		// The write is idempotent: trying again is safe whatever
		// became of the lost attempt.
		if retryLeader(lctx, err, attempt) {
			continue
		}
		return leaderWaitError(lctx, err)
	}
}

// dropIfLeaderLost keeps a connection that lost the leader out of the
// pool. go-dqlite does not report every such failure as a bad connection
// (a leader that died mid-call, one that is stopping), and a retry must
// not take the same connection again.
func dropIfLeaderLost(c *conn, err error) {
	if err != nil && isLeaderLost(err) {
		c.broken = true
	}
}

// sysExec runs a write on the system database. Idempotent writes are
// retried after losing the leader; others report the unknown outcome.
func (e *Engine) sysExec(ctx context.Context, q string, args []any, idempotent bool) (int64, error) {
	for attempt := 0; ; attempt++ {
		c, err := e.sys.conn(ctx)
		if err != nil {
			return 0, translateError(err)
		}
		var n int64
		err = retryBusy(ctx, e.cfg.BusyTimeout, func() error {
			var err error
			n, err = c.exec(ctx, q, args)
			return err
		})
		e.sys.pool.put(c)
		if err == nil {
			e.stats.commits.Add(1)
			return n, nil
		}
		if isLeaderLost(err) {
			if idempotent && ctx.Err() == nil && attempt < maxBatchAttempts {
				continue
			}
			return 0, commitUnknown(err)
		}
		return 0, err
	}
}

// sysQuery reads from the system database. Without a leader it waits up
// to LeaderTimeout for one, then fails with 57P03: there is no transaction
// to report as rolled back (40001), whatever the last broken connection
// said. A cancel or deadline of ctx's own fails it with 57014.
func (e *Engine) sysQuery(ctx context.Context, q string, args []any) ([][]driver.Value, error) {
	lctx, cancel := e.leaderWait(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		c, err := e.sys.conn(lctx)
		if err == nil {
			var rows [][]driver.Value
			rows, err = c.queryAll(lctx, q, args)
			dropIfLeaderLost(c, err)
			e.sys.pool.put(c)
			if err == nil {
				return rows, nil
			}
			if isBusy(err) && lctx.Err() == nil && attempt < maxBatchAttempts {
				continue
			}
		}
		if retryLeader(lctx, err, attempt) {
			continue
		}
		return nil, leaderWaitError(lctx, err)
	}
}

// initSystem creates the system tables and the default database if this
// is a new cluster. Several nodes may race here; the statements are
// idempotent and the unique index settles the race.
func (e *Engine) initSystem(ctx context.Context) error {
	if _, err := e.sysExec(ctx, systemSchema, nil, true); err != nil {
		return translateError(err)
	}
	_, err := e.sysExec(ctx, `INSERT INTO databases(id, name, file, created_at)
		SELECT m, ?1, ?1 || '.' || m, ?2 FROM (SELECT coalesce(max(id), 0) + 1 AS m FROM databases)
		WHERE NOT EXISTS (SELECT 1 FROM databases WHERE name = ?1 AND dropped_at IS NULL)`,
		[]any{DefaultDatabase, now()}, true)
	if err != nil {
		if code, ok := sqliteCode(err); ok && code == codeConstraintUnique {
			return nil
		}
		return translateError(err)
	}
	return nil
}

// lookup returns the dqlite file of a live database.
func (e *Engine) lookup(ctx context.Context, name string) (string, error) {
	rows, err := e.sysQuery(ctx, "SELECT file FROM databases WHERE name = ?1 AND dropped_at IS NULL", []any{name})
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", engine.Errorf("3D000", "database %q does not exist", name)
	}
	file, _ := rows[0][0].(string)
	return file, nil
}

// Databases lists the cluster's databases in name order.
func (e *Engine) Databases(ctx context.Context) ([]string, error) {
	rows, err := e.sysQuery(ctx, "SELECT name FROM databases WHERE dropped_at IS NULL ORDER BY name", nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		n, _ := r[0].(string)
		names = append(names, n)
	}
	return names, nil
}

// CreateDatabase creates an empty database, visible on every node.
func (e *Engine) CreateDatabase(ctx context.Context, name string) error {
	if !databaseNameRE.MatchString(name) {
		return engine.Errorf("42602", "invalid database name %q: use letters, digits, _, $ and - (at most 63 characters, not starting with a digit)", name)
	}
	if e.isClosed() {
		return engine.ErrClosed
	}
	_, err := e.sysExec(ctx, `INSERT INTO databases(id, name, file, created_at)
		SELECT m, ?1, ?1 || '.' || m, ?2 FROM (SELECT coalesce(max(id), 0) + 1 AS m FROM databases)`,
		[]any{name, now()}, false)
	if err != nil {
		if code, ok := sqliteCode(err); ok && code == codeConstraintUnique {
			return engine.Errorf("42P04", "database %q already exists", name)
		}
		return translateError(err)
	}
	return nil
}

// DropDatabase removes a database from the list. dqlite cannot delete a
// database, so its file is emptied (every object dropped, then VACUUM)
// and stays behind, unreachable: a database created later under the same
// name gets a new file. The in-use check sees this node's sessions only;
// sessions on other nodes keep their (now empty) database until they
// reconnect.
func (e *Engine) DropDatabase(ctx context.Context, name string, ifExists bool) error {
	if name == DefaultDatabase {
		return engine.Errorf("55006", "cannot drop the default database %q", name)
	}
	file, err := e.lookup(ctx, name)
	if err != nil {
		if ee, ok := err.(*engine.Error); ok && ee.Code == "3D000" && ifExists {
			return nil
		}
		return err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return engine.ErrClosed
	}
	d := e.dbs[file]
	if d != nil {
		if n := d.users.Load(); n > 0 {
			e.mu.Unlock()
			return &engine.Error{Code: "55006", Message: fmt.Sprintf("database %q is being accessed by other users", name),
				Detail: fmt.Sprintf("There are %d other sessions using the database.", n)}
		}
		delete(e.dbs, file)
	}
	e.mu.Unlock()
	n, err := e.sysExec(ctx, "UPDATE databases SET dropped_at = ?2 WHERE file = ?1 AND dropped_at IS NULL", []any{file, now()}, true)
	if err == nil && n == 0 && !ifExists {
		err = engine.Errorf("3D000", "database %q does not exist", name)
	}
	if d == nil {
		var nerr error
		if d, nerr = e.newDatabase(name, file); nerr != nil {
			return nerr
		}
	}
	defer d.close()
	if err != nil {
		return translateError(err)
	}
	if werr := e.wipe(ctx, d); werr != nil {
		e.log.Warn("emptying dropped database", "database", name, "file", file, "err", werr)
	}
	return nil
}

// wipe drops every object of a dropped database and vacuums it, so that it
// holds (almost) no memory on any node.
func (e *Engine) wipe(ctx context.Context, d *database) error {
	c, err := d.conn(ctx)
	if err != nil {
		return err
	}
	defer d.pool.put(c)
	rows, err := c.queryAll(ctx, `SELECT type, name FROM sqlite_schema
		WHERE type IN ('view', 'trigger', 'table') AND name NOT LIKE 'sqlite_%'
		ORDER BY CASE type WHEN 'view' THEN 0 WHEN 'trigger' THEN 1 ELSE 2 END`, nil)
	if err != nil {
		return err
	}
	for _, r := range rows {
		typ, _ := r[0].(string)
		name, _ := r[1].(string)
		q := "DROP " + map[string]string{"view": "VIEW", "trigger": "TRIGGER", "table": "TABLE"}[typ] + " IF EXISTS " + quoteIdent(name)
		if err := retryBusy(ctx, e.cfg.BusyTimeout, func() error { _, err := c.exec(ctx, q, nil); return err }); err != nil {
			return err
		}
	}
	return retryBusy(ctx, e.cfg.BusyTimeout, func() error { _, err := c.exec(ctx, "VACUUM", nil); return err })
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}
