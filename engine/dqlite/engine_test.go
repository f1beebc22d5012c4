package dqlite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
)

func TestCRUDAndTypes(t *testing.T) {
	e := openNode(t, testConfig(t))
	s := newSession(t, e, DefaultDatabase)
	mustExec(t, s, `CREATE TABLE items (id INTEGER PRIMARY KEY, n BIGINT, f DOUBLE PRECISION, name TEXT, data BLOB,
		ok BOOLEAN, born DATE, at TIMESTAMP, note TEXT)`)
	blob := []byte{0, 1, 2, 0xff}
	if n := mustExec(t, s, "INSERT INTO items (id, n, f, name, data, ok, born, at, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		int64(1), int64(-1<<62), 2.5, "héllo", blob, true, "2024-02-29", "2024-02-29 10:11:12.5", nil); n != 1 {
		t.Fatalf("insert affected %d rows", n)
	}
	mustExec(t, s, "INSERT INTO items (id, n, ok) VALUES (2, 7, 0)")
	rows := mustQuery(t, s, "SELECT n, f, name, data, ok, born, at, note FROM items WHERE id = ?1", int64(1))
	want := []any{int64(-1 << 62), 2.5, "héllo", blob, int64(1), "2024-02-29", "2024-02-29 10:11:12.5", nil}
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("got %#v\nwant %#v", rows, want)
	}
	if n := mustExec(t, s, "UPDATE items SET name = ?1 WHERE id IN (1, 2)", "x"); n != 2 {
		t.Fatalf("update affected %d rows, want 2", n)
	}
	if got := queryInt(t, s, "SELECT count(*) FROM items WHERE name = 'x' AND ok = 0"); got != 1 {
		t.Fatalf("count = %d", got)
	}
	if n := mustExec(t, s, "DELETE FROM items WHERE id = 2"); n != 1 {
		t.Fatalf("delete affected %d rows", n)
	}
	if got := queryInt(t, s, "SELECT count(*) FROM items"); got != 1 {
		t.Fatalf("count after delete = %d", got)
	}
	// Result columns carry declared types, as in single mode.
	r, err := s.Query(context.Background(), "SELECT id, ok, born FROM items", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	cols := r.Columns()
	r.Close()
	if cols[1].DeclType != "BOOLEAN" || cols[2].DeclType != "DATE" || cols[0].Table != "items" {
		t.Fatalf("columns = %+v", cols)
	}
}

func TestErrorCodes(t *testing.T) {
	e := openNode(t, testConfig(t))
	s := newSession(t, e, DefaultDatabase)
	mustExec(t, s, "CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE, c INTEGER CHECK (c > 0))")
	mustExec(t, s, "INSERT INTO u (v) VALUES ('a')")
	for _, tc := range []struct {
		q    string
		opt  engine.StmtOptions
		code string
	}{
		{"INSERT INTO u (v) VALUES ('a')", rw, "23505"},
		{"INSERT INTO u (id, v) VALUES (1, 'b')", rw, "23505"},
		{"INSERT INTO u (v) VALUES (NULL)", rw, "23502"},
		{"INSERT INTO u (v, c) VALUES ('c', -1)", rw, "23514"},
		{"SELECT * FROM nosuch", ro, "42P01"},
		{"INSERT INTO nosuch VALUES (1)", rw, "42P01"},
		{"SELECT nosuch FROM u", ro, "42703"},
		{"SELEC 1", ro, "42601"},
		{"CREATE TABLE u (x)", rw, "42P07"},
		{"SELECT nosuchfn(1)", ro, "42883"},
	} {
		_, _, err := run(s, tc.q, tc.opt)
		if got := codeOf(err); got != tc.code {
			t.Errorf("%s: SQLSTATE %q (%v), want %s", tc.q, got, err, tc.code)
		}
	}
	// More arguments than parameters.
	_, _, err := run(s, "SELECT * FROM u WHERE id = ?1", ro, int64(1), int64(2))
	wantCode(t, err, "08P01")
}

// TestDescribeMatchesSingleMode describes the same statements against the
// same schema in both engines.
func TestDescribeMatchesSingleMode(t *testing.T) {
	e := openNode(t, testConfig(t))
	ds := newSession(t, e, DefaultDatabase)
	se, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer se.Close()
	ss, err := se.Open(context.Background(), sqlite.DefaultDatabase, engine.SessionInfo{User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	schema := []string{
		"CREATE TABLE dropped_first (x)",
		"CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, born DATE)",
		"CREATE TABLE books (id BIGINT PRIMARY KEY, author_id INTEGER REFERENCES authors(id), title TEXT, price NUMERIC(10,2), g INTEGER GENERATED ALWAYS AS (id * 2))",
		"CREATE INDEX books_title ON books(title)",
		"CREATE VIEW cheap AS SELECT title, price FROM books WHERE price < 10",
		"DROP TABLE dropped_first",
	}
	for _, q := range schema {
		mustExec(t, ds, q)
		if _, _, err := run(ss, q, rw); err != nil {
			t.Fatalf("single mode: %s: %v", q, err)
		}
	}
	for _, q := range []string{
		"SELECT * FROM books",
		"SELECT b.title, a.name, a.born, b.price * 2 AS double_price FROM books b JOIN authors a ON a.id = b.author_id WHERE a.id = ?1",
		"SELECT * FROM cheap",
		"SELECT count(*), max(price) FROM books WHERE title LIKE ?1 AND price > ?2",
		"INSERT INTO books (id, title) VALUES (?1, ?2)",
		"INSERT INTO authors (name) VALUES (?1) RETURNING id, name",
		"UPDATE books SET price = ?1 WHERE id = ?2",
		"SELECT g, id FROM books",
	} {
		want, err := ss.Describe(context.Background(), q, ro)
		if err != nil {
			t.Fatalf("single mode describe %s: %v", q, err)
		}
		got, err := ds.Describe(context.Background(), q, ro)
		if err != nil {
			t.Fatalf("describe %s: %v", q, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", q, got, want)
		}
	}
	for _, c := range []struct{ table, column string }{{"books", "price"}, {"", "born"}, {"books", "#3"}, {"authors", "nosuch"}} {
		wd, wok := ss.ColumnType(context.Background(), c.table, c.column)
		gd, gok := ds.ColumnType(context.Background(), c.table, c.column)
		if wd != gd || wok != gok {
			t.Errorf("ColumnType(%q, %q) = %q %v, single mode %q %v", c.table, c.column, gd, gok, wd, wok)
		}
	}
	// The catalog emulation answers on the mirror.
	rows, _, err := run(ds, "SELECT relname FROM pg_catalog.pg_class WHERE relname = 'books'", engine.StmtOptions{ReadOnly: true, UsesCatalog: true})
	if err != nil || len(rows) != 1 || rows[0][0] != "books" {
		t.Fatalf("catalog query: %v %v", rows, err)
	}
	// A schema change through the session is seen at once.
	mustExec(t, ds, "ALTER TABLE authors ADD COLUMN email TEXT")
	d, err := ds.Describe(context.Background(), "SELECT * FROM authors", ro)
	if err != nil || len(d.Columns) != 4 || d.Columns[3].Name != "email" {
		t.Fatalf("after ALTER: %+v %v", d, err)
	}
}

func TestTransactionsAndSavepoints(t *testing.T) {
	e := openNode(t, testConfig(t))
	s := newSession(t, e, DefaultDatabase)
	other := newSession(t, e, DefaultDatabase)
	ctx := context.Background()
	mustExec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")

	// Commit, with a savepoint rolled back in the middle.
	if err := s.Begin(ctx, engine.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Savepoint(ctx, "before"); err != nil { // recorded, replayed at the first write
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (1, 'a')")
	if err := s.Savepoint(ctx, "sp"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (2, 'b')")
	if got := queryInt(t, s, "SELECT count(*) FROM t"); got != 2 {
		t.Fatalf("own writes: count = %d", got)
	}
	if got := queryInt(t, other, "SELECT count(*) FROM t"); got != 0 {
		t.Fatalf("uncommitted writes visible: count = %d", got)
	}
	if err := s.RollbackToSavepoint(ctx, "sp"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseSavepoint(ctx, "sp"); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryInt(t, other, "SELECT count(*) FROM t"); got != 1 {
		t.Fatalf("after commit: count = %d, want 1", got)
	}

	// Rollback, including a savepoint recorded before the write phase.
	s.Begin(ctx, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (3, 'c')")
	if err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.Begin(ctx, engine.TxOptions{})
	s.Savepoint(ctx, "a")
	s.Savepoint(ctx, "b")
	if err := s.RollbackToSavepoint(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (4, 'd')")
	if err := s.RollbackToSavepoint(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RollbackToSavepoint(ctx, "b"), "3B001") // b is gone on the leader too
	s.Rollback(ctx)
	if got := queryInt(t, other, "SELECT count(*) FROM t"); got != 1 {
		t.Fatalf("after rollbacks: count = %d, want 1", got)
	}

	// READ COMMITTED: a transaction's reads see later commits until it writes.
	s.Begin(ctx, engine.TxOptions{})
	queryInt(t, s, "SELECT count(*) FROM t")
	mustExec(t, other, "INSERT INTO t VALUES (5, 'e')")
	if got := queryInt(t, s, "SELECT count(*) FROM t"); got != 2 {
		t.Fatalf("read committed: count = %d, want 2", got)
	}
	s.Commit(ctx)

	// A snapshot transaction that writes after a concurrent commit fails
	// with 40001.
	s.Begin(ctx, engine.TxOptions{Snapshot: true})
	if got := queryInt(t, s, "SELECT count(*) FROM t"); got != 2 {
		t.Fatalf("snapshot: count = %d", got)
	}
	mustExec(t, other, "INSERT INTO t VALUES (6, 'f')")
	if got := queryInt(t, s, "SELECT count(*) FROM t"); got != 2 {
		t.Fatalf("snapshot moved: count = %d", got)
	}
	_, _, err := run(s, "INSERT INTO t VALUES (7, 'g')", rw)
	wantCode(t, err, "40001")
	s.Rollback(ctx)

	// Read-only transactions refuse writes; a write error keeps the
	// transaction's other writes.
	s.Begin(ctx, engine.TxOptions{ReadOnly: true})
	_, _, err = run(s, "INSERT INTO t VALUES (8, 'h')", rw)
	wantCode(t, err, "25006")
	s.Rollback(ctx)
	s.Begin(ctx, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (9, 'i')")
	_, _, err = run(s, "INSERT INTO t VALUES (9, 'dup')", rw)
	wantCode(t, err, "23505")
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryInt(t, other, "SELECT count(*) FROM t WHERE id = 9"); got != 1 {
		t.Fatalf("row 9: %d", got)
	}

	// DDL inside a transaction is described from the transaction's own
	// schema, and rolled back with it.
	s.Begin(ctx, engine.TxOptions{})
	mustExec(t, s, "CREATE TABLE inner_t (a INTEGER, b TEXT)")
	d, err := s.Describe(ctx, "SELECT * FROM inner_t", ro)
	if err != nil || len(d.Columns) != 2 {
		t.Fatalf("describe in tx: %+v %v", d, err)
	}
	if _, err := other.Describe(ctx, "SELECT * FROM inner_t", ro); codeOf(err) != "42P01" {
		t.Fatalf("other session sees uncommitted table: %v", err)
	}
	s.Rollback(ctx)
	if _, err := s.Describe(ctx, "SELECT * FROM inner_t", ro); codeOf(err) != "42P01" {
		t.Fatalf("rolled back table still described: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	e := openNode(t, testConfig(t))
	setup := newSession(t, e, DefaultDatabase)
	mustExec(t, setup, "CREATE TABLE w (id INTEGER PRIMARY KEY, writer INTEGER, i INTEGER)")
	const writers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := 0; w < writers; w++ {
		s := newSession(t, e, DefaultDatabase)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, _, err := run(s, "INSERT INTO w (writer, i) VALUES (?1, ?2)", rw, int64(w), int64(i)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatalf("writer failed: %v", err)
	}
	if got := queryInt(t, setup, "SELECT count(*) FROM w"); got != writers*each {
		t.Fatalf("rows = %d, want %d", got, writers*each)
	}
	if got := queryInt(t, setup, "SELECT count(DISTINCT writer || '/' || i) FROM w"); got != writers*each {
		t.Fatalf("distinct rows = %d", got)
	}
	st := e.Stats()
	t.Logf("%d writers × %d inserts in %v: %.0f inserts/s, %d commits, %d statements grouped",
		writers, each, elapsed.Round(time.Millisecond), float64(writers*each)/elapsed.Seconds(), st.Commits, st.GroupedStmts)
}

func TestCancel(t *testing.T) {
	e := openNode(t, testConfig(t))
	s := newSession(t, e, DefaultDatabase)
	// A query streaming rows forever: cancelled between batches.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := s.Query(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, randomblob(100) FROM c", nil, ro)
	if err == nil {
		dest := make([]any, 2)
		for err == nil {
			err = rows.Next(dest)
		}
		rows.Close()
	}
	wantCode(t, err, "57014")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	// A statement computing without returning rows: the client returns at
	// once, the connection is discarded.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel2() }()
	start = time.Now()
	_, _, err = runCtx(ctx2, s, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c", ro)
	wantCode(t, err, "57014")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	// The session still works.
	if got := queryInt(t, s, "SELECT 41 + 1"); got != 42 {
		t.Fatal(got)
	}
	// Cancelling a write inside a transaction aborts the transaction.
	mustExec(t, s, "CREATE TABLE big (x)")
	s.Begin(context.Background(), engine.TxOptions{})
	mustExec(t, s, "INSERT INTO big VALUES (1)")
	ctx3, cancel3 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel3() }()
	_, _, err = runCtx(ctx3, s, "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT x FROM c", rw)
	wantCode(t, err, "57014")
	_, _, err = run(s, "INSERT INTO big VALUES (2)", rw)
	wantCode(t, err, "25P02")
	s.Rollback(context.Background())
	waitFor(t, 10*time.Second, "the cancelled insert to roll back", func() bool {
		_, _, err := run(s, "INSERT INTO big VALUES (3)", rw)
		return err == nil
	})
	if got := queryInt(t, s, "SELECT count(*) FROM big"); got != 1 {
		t.Fatalf("big has %d rows, want 1", got)
	}
}

func runCtx(ctx context.Context, s engine.Session, q string, opt engine.StmtOptions) ([][]any, int64, error) {
	rows, err := s.Query(ctx, q, nil, opt)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out [][]any
	for {
		row := make([]any, len(rows.Columns()))
		if err := rows.Next(row); err != nil {
			if errors.Is(err, io.EOF) {
				return out, rows.RowsAffected(), nil
			}
			return out, 0, err
		}
		out = append(out, row)
	}
}

func TestDatabases(t *testing.T) {
	e := openNode(t, testConfig(t))
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.CreateDatabase(ctx, "app"), "42P04")
	wantCode(t, e.CreateDatabase(ctx, "no/slash"), "42602")
	dbs, err := e.Databases(ctx)
	if err != nil || !reflect.DeepEqual(dbs, []string{"app", "postgres"}) {
		t.Fatalf("databases = %v %v", dbs, err)
	}
	s, err := e.Open(ctx, "app", engine.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "CREATE TABLE x (a)")
	mustExec(t, s, "INSERT INTO x VALUES (1)")
	wantCode(t, e.DropDatabase(ctx, "app", false), "55006")
	s.Close()
	if err := e.DropDatabase(ctx, "app", false); err != nil {
		t.Fatal(err)
	}
	_, err = e.Open(ctx, "app", engine.SessionInfo{})
	wantCode(t, err, "3D000")
	wantCode(t, e.DropDatabase(ctx, "app", false), "3D000")
	if err := e.DropDatabase(ctx, "app", true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.DropDatabase(ctx, DefaultDatabase, false), "55006")
	// Re-created, it is empty.
	if err := e.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	s2 := newSession(t, e, "app")
	_, _, err = run(s2, "SELECT * FROM x", ro)
	wantCode(t, err, "42P01")
}

func TestDataDirLock(t *testing.T) {
	cfg := testConfig(t)
	openNode(t, cfg)
	cfg.Address = freeAddr(t)
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second engine on one data dir: %v", err)
	}
	bad := testConfig(t)
	bad.Address = "localhost:9000"
	if _, err := Open(context.Background(), bad); err == nil {
		t.Fatal("a host name as Address was accepted")
	}
}

func TestDump(t *testing.T) {
	e := openNode(t, testConfig(t))
	s := newSession(t, e, DefaultDatabase)
	mustExec(t, s, "CREATE TABLE d (x)")
	mustExec(t, s, "INSERT INTO d VALUES ('dumped')")
	files, err := e.Dump(context.Background(), DefaultDatabase)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || !bytes.HasPrefix(files[0].Data, []byte("SQLite format 3\x00")) {
		t.Fatalf("dump: %d files", len(files))
	}
}

func TestRestart(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	e, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.Open(ctx, DefaultDatabase, engine.SessionInfo{})
	mustExec(t, s, "CREATE TABLE kept (x TEXT)")
	mustExec(t, s, "INSERT INTO kept VALUES ('survives')")
	if err := e.CreateDatabase(ctx, "second"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := openNode(t, cfg)
	s2 := newSession(t, e2, DefaultDatabase)
	rows := mustQuery(t, s2, "SELECT x FROM kept")
	if len(rows) != 1 || rows[0][0] != "survives" {
		t.Fatalf("after restart: %v", rows)
	}
	dbs, err := e2.Databases(ctx)
	if err != nil || !reflect.DeepEqual(dbs, []string{"postgres", "second"}) {
		t.Fatalf("databases after restart: %v %v", dbs, err)
	}
}

// TestGroupCommitIsolatesFailures: statements that share a commit fail
// alone.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	e := openNode(t, testConfig(t))
	setup := newSession(t, e, DefaultDatabase)
	mustExec(t, setup, "CREATE TABLE g (k INTEGER PRIMARY KEY, writer INTEGER)")
	// Writer w inserts keys [30w, 30w+60): every key but the first and
	// last 30 is wanted by two writers.
	const writers, keys, step = 8, 60, 30
	distinct := (writers-1)*step + keys
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, dups := 0, 0
	for w := 0; w < writers; w++ {
		s := newSession(t, e, DefaultDatabase)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := w * step; k < w*step+keys; k++ {
				_, _, err := run(s, "INSERT INTO g (k, writer) VALUES (?1, ?2)", rw, int64(k), int64(w))
				mu.Lock()
				switch codeOf(err) {
				case "":
					wins++
				case "23505":
					dups++
				default:
					t.Errorf("insert: %v", err)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if wins != distinct || dups != writers*keys-distinct {
		t.Fatalf("%d inserts won, %d duplicates; want %d and %d", wins, dups, distinct, writers*keys-distinct)
	}
	if got := queryInt(t, setup, "SELECT count(*) FROM g"); got != int64(distinct) {
		t.Fatalf("rows = %d", got)
	}
	st := e.Stats()
	if st.GroupedStmts == 0 {
		t.Fatalf("no statements shared a commit: %+v", st)
	}
	t.Logf("%d commits, %d statements grouped", st.Commits, st.GroupedStmts)
}

// TestWritersQueueBehindTransaction: an autocommit write waits for an
// explicit transaction's commit instead of failing with BUSY, and one
// cancelled while waiting never runs.
func TestWritersQueueBehindTransaction(t *testing.T) {
	e := openNode(t, testConfig(t))
	tx := newSession(t, e, DefaultDatabase)
	auto := newSession(t, e, DefaultDatabase)
	ctx := context.Background()
	mustExec(t, tx, "CREATE TABLE q (id INTEGER PRIMARY KEY, v TEXT)")
	tx.Begin(ctx, engine.TxOptions{})
	mustExec(t, tx, "INSERT INTO q VALUES (1, 'tx')")

	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, _, err := runCtx(cctx, auto, "INSERT INTO q VALUES (2, 'cancelled')", rw)
	wantCode(t, err, "57014")

	done := make(chan error, 1)
	go func() {
		_, _, err := run(auto, "INSERT INTO q VALUES (3, 'queued')", rw)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("autocommit write did not wait for the transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("queued write: %v", err)
	}
	rows := mustQuery(t, auto, "SELECT id FROM q ORDER BY id")
	if !reflect.DeepEqual(rows, [][]any{{int64(1)}, {int64(3)}}) {
		t.Fatalf("rows = %v", rows)
	}
}
