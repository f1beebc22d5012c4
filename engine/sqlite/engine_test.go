package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

func openTest(t *testing.T) (*Engine, string) {
	t.Helper()
	dir := t.TempDir()
	e, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, dir
}

func newSession(t *testing.T, e *Engine) engine.Session {
	t.Helper()
	s, err := e.Open(context.Background(), DefaultDatabase, engine.SessionInfo{User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var (
	rw = engine.StmtOptions{}
	ro = engine.StmtOptions{ReadOnly: true}
)

func exec(t *testing.T, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	rows, err := s.Query(context.Background(), q, args, rw)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for {
		if err := rows.Next(make([]any, len(rows.Columns()))); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
	}
	return rows.RowsAffected()
}

func queryInt(t *testing.T, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	rows, err := s.Query(context.Background(), q, args, ro)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	v := make([]any, 1)
	if err := rows.Next(v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	n, _ := v[0].(int64)
	return n
}

func code(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ""
}

// Concurrent autocommit writes share commits, and one statement's failure
// (a duplicate key) affects no other statement of the same batch.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	e, _ := openTest(t)
	s := newSession(t, e)
	exec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
	const writers, each = 16, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	dup, ok := 0, 0
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ws, err := e.Open(context.Background(), DefaultDatabase, engine.SessionInfo{})
			if err != nil {
				t.Error(err)
				return
			}
			defer ws.Close()
			for i := 0; i < each; i++ {
				// Every writer also inserts id -1 once per iteration: all
				// but the first of those collide.
				id := int64(w*each + i)
				if i%10 == 0 {
					id = -1 - int64(i)
				}
				rows, err := ws.Query(context.Background(), "INSERT INTO t (id, v) VALUES (?1, ?2)", []any{id, fmt.Sprint(w)}, rw)
				mu.Lock()
				switch {
				case err == nil:
					ok++
					rows.Close()
				case code(err) == "23505":
					dup++
				default:
					t.Errorf("unexpected error: %v", err)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if got := queryInt(t, s, "SELECT count(*) FROM t"); got != int64(ok) {
		t.Fatalf("table has %d rows, %d inserts were acknowledged", got, ok)
	}
	if wantDup := writers*(each/10) - each/10; dup != wantDup {
		t.Fatalf("got %d duplicate-key errors, want %d", dup, wantDup)
	}
	st := e.Stats()
	t.Logf("commits %d, fsyncs %d, grouped statements %d", st.Commits, st.Fsyncs, st.GroupedStmts)
	if st.Fsyncs >= st.Commits {
		t.Errorf("%d fsyncs for %d commits: concurrent commits did not share syncs", st.Fsyncs, st.Commits)
	}
}

// An explicit transaction holds the write lock from its first write; other
// writers queue instead of failing with SQLITE_BUSY.
func TestWritersQueueBehindTransaction(t *testing.T) {
	e, _ := openTest(t)
	a, b := newSession(t, e), newSession(t, e)
	exec(t, a, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	ctx := context.Background()
	if err := a.Begin(ctx, engine.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, a, "INSERT INTO t VALUES (1)")
	done := make(chan error, 1)
	go func() {
		rows, err := b.Query(ctx, "INSERT INTO t VALUES (2)", nil, rw)
		if err == nil {
			rows.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("second writer finished while the first held the lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	// Reads are not blocked and do not see the uncommitted row.
	if n := queryInt(t, b, "SELECT count(*) FROM t"); n != 0 {
		t.Fatalf("reader saw %d uncommitted rows", n)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, b, "SELECT count(*) FROM t"); n != 2 {
		t.Fatalf("got %d rows, want 2", n)
	}
}

// Savepoints taken before the first write are replayed when the
// transaction starts writing, so ROLLBACK TO works across the upgrade.
func TestSavepointAcrossUpgrade(t *testing.T) {
	e, _ := openTest(t)
	s := newSession(t, e)
	ctx := context.Background()
	exec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Begin(ctx, engine.TxOptions{}))
	must(s.Savepoint(ctx, "a"))
	exec(t, s, "INSERT INTO t VALUES (1)")
	must(s.Savepoint(ctx, "b"))
	exec(t, s, "INSERT INTO t VALUES (2)")
	must(s.RollbackToSavepoint(ctx, "b"))
	must(s.ReleaseSavepoint(ctx, "a"))
	if err := s.RollbackToSavepoint(ctx, "nope"); code(err) != "3B001" {
		t.Fatalf("rollback to unknown savepoint: %v", err)
	}
	must(s.Commit(ctx))
	if n := queryInt(t, s, "SELECT count(*) FROM t"); n != 1 {
		t.Fatalf("got %d rows, want 1", n)
	}
}

// A REPEATABLE READ transaction that read before another commit cannot
// write: 40001, as PostgreSQL reports.
func TestSnapshotWriteConflict(t *testing.T) {
	e, _ := openTest(t)
	a, b := newSession(t, e), newSession(t, e)
	ctx := context.Background()
	exec(t, a, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	if err := a.Begin(ctx, engine.TxOptions{Snapshot: true}); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, a, "SELECT count(*) FROM t"); n != 0 {
		t.Fatal(n)
	}
	exec(t, b, "INSERT INTO t VALUES (1)")
	if n := queryInt(t, a, "SELECT count(*) FROM t"); n != 0 {
		t.Fatalf("snapshot saw a later commit (%d rows)", n)
	}
	_, err := a.Query(ctx, "INSERT INTO t VALUES (2)", nil, rw)
	if code(err) != "40001" {
		t.Fatalf("write after concurrent commit: got %v, want 40001", err)
	}
	a.Rollback(ctx)
}

func TestDataDirLock(t *testing.T) {
	_, dir := openTest(t)
	_, err := Open(context.Background(), Config{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open of the same data dir: %v", err)
	}
}

func TestDatabases(t *testing.T) {
	e, dir := openTest(t)
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateDatabase(ctx, "app"); code(err) != "42P04" {
		t.Fatalf("duplicate create: %v", err)
	}
	if err := e.CreateDatabase(ctx, "../x"); code(err) != "42602" {
		t.Fatalf("bad name: %v", err)
	}
	s, err := e.Open(ctx, "app", engine.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, "CREATE TABLE t (x)")
	if err := e.DropDatabase(ctx, "app", false); code(err) != "55006" {
		t.Fatalf("drop in use: %v", err)
	}
	s.Close()
	if _, err := e.Open(ctx, "missing", engine.SessionInfo{}); code(err) != "3D000" {
		t.Fatalf("open missing: %v", err)
	}
	e.Close()
	// Reopening finds the database again.
	e2, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	dbs, _ := e2.Databases(ctx)
	if strings.Join(dbs, ",") != "app,postgres" {
		t.Fatalf("databases after reopen: %v", dbs)
	}
	if err := e2.DropDatabase(ctx, "app", false); err != nil {
		t.Fatal(err)
	}
}

// Cancelling a running statement interrupts it with 57014.
func TestInterrupt(t *testing.T) {
	e, _ := openTest(t)
	s := newSession(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := s.Query(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c", nil, ro)
	if err == nil {
		err = rows.Next(make([]any, 1))
		rows.Close()
	}
	if code(err) != "57014" {
		t.Fatalf("got %v, want 57014", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("interrupt took %v", time.Since(start))
	}
}

// Close checkpoints cleanly after writes, catalog reads and a read left
// half-consumed (SQLite refuses to checkpoint under a pending statement).
func TestCloseCheckpoints(t *testing.T) {
	e, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.Open(context.Background(), DefaultDatabase, engine.SessionInfo{User: "u"})
	exec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	exec(t, s, "INSERT INTO t VALUES (1), (2), (3)")
	rows, err := s.Query(context.Background(), "SELECT count(*) FROM pg_catalog.pg_class", nil, engine.StmtOptions{ReadOnly: true, UsesCatalog: true})
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	open, err := s.Query(context.Background(), "SELECT id FROM t", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	open.Next(make([]any, 1))
	open.Close()
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// A cancelled context stops a streaming read between rows, not only
// during its first step.
func TestCancelBetweenRows(t *testing.T) {
	e, _ := openTest(t)
	s := newSession(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := s.Query(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000) SELECT x FROM c", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	v := make([]any, 1)
	if err := rows.Next(v); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := rows.Next(v); code(err) != "57014" {
		t.Fatalf("next row after cancel: %v, want 57014", err)
	}
}

// A database that was never written must still checkpoint and close
// cleanly (the catalog's in-memory schemas are attached to the writer and
// must not take part in the checkpoint), both on Close and on DROP.
func TestCloseUnwrittenDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		e, err := Open(ctx, Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.CreateDatabase(ctx, "x"); err != nil {
			t.Fatal(err)
		}
		if err := e.DropDatabase(ctx, "x", false); err != nil {
			t.Fatalf("drop: %v", err)
		}
		if err := e.Close(); err != nil {
			t.Fatalf("close #%d: %v", i+1, err)
		}
	}
}
