package snapshot

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	accounts     = 500
	startBalance = 1000
)

// fillSource creates several tables, indexes and a few MB of blobs.
func fillSource(t testing.TB, db *sql.DB) {
	t.Helper()
	c := conn(t, db)
	defer c.Close()
	mustExec(t, c, `CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL)`)
	mustExec(t, c, `CREATE INDEX accounts_balance ON accounts(balance)`)
	mustExec(t, c, `CREATE INDEX accounts_owner ON accounts(owner, id)`)
	mustExec(t, c, `CREATE TABLE blobs(id INTEGER PRIMARY KEY, k TEXT UNIQUE NOT NULL, data BLOB NOT NULL)`)
	mustExec(t, c, `CREATE TABLE events(k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID`)
	mustExec(t, c, "BEGIN")
	for i := 1; i <= accounts; i++ {
		mustExec(t, c, "INSERT INTO accounts VALUES (?, ?, ?)", i, fmt.Sprintf("owner-%04d", i%37), startBalance)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 1; i <= 800; i++ {
		mustExec(t, c, "INSERT INTO blobs(k, data) VALUES (?, randomblob(?))", fmt.Sprintf("k%06d", i), 1000+r.IntN(8000))
	}
	mustExec(t, c, "COMMIT")
}

// churn keeps committing transactions that move money between accounts
// (the total never changes) and replace blobs (the file grows and shrinks)
// until stop is closed.
func churn(ctx context.Context, db *sql.DB, commits *atomic.Int64, stop <-chan struct{}) error {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		from, to, amt := 1+r.IntN(accounts), 1+r.IntN(accounts), r.IntN(100)
		stmts := []struct {
			q    string
			args []any
		}{
			{"UPDATE accounts SET balance = balance - ? WHERE id = ?", []any{amt, from}},
			{"UPDATE accounts SET balance = balance + ? WHERE id = ?", []any{amt, to}},
			{"DELETE FROM blobs WHERE id = (SELECT min(id) FROM blobs)", nil},
			{"INSERT INTO blobs(k, data) VALUES (?, randomblob(?))", []any{fmt.Sprintf("c%08d", i), 500 + r.IntN(12000)}},
			{"INSERT INTO events VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET n = n + 1", []any{fmt.Sprintf("e%d", i%50), i}},
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		commits.Add(1)
	}
}

// interleaved makes sure the writer commits while Write reads pages: every
// few pages it waits for another commit.
type interleaved struct {
	Source
	commits *atomic.Int64
	n       int
	seen    int64
}

func (s *interleaved) ReadPage(ctx context.Context, db string, pgno uint32) ([]byte, error) {
	s.n++
	if s.n%64 == 0 {
		deadline := time.Now().Add(10 * time.Second)
		for s.commits.Load() <= s.seen {
			if time.Now().After(deadline) {
				return nil, errors.New("the writer stopped committing")
			}
			time.Sleep(time.Millisecond)
		}
		s.seen = s.commits.Load()
	}
	return s.Source.ReadPage(ctx, db, pgno)
}

// installFile reads a snapshot file into db through one connection, which
// is returned so tests can check what that connection sees.
func installFile(t *testing.T, path, name string, db *sql.DB) (*sql.Conn, Header, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := conn(t, db)
	h, err := Read(context.Background(), f, sqlInstaller{map[string]*sql.Conn{name: c}}, nil)
	return c, h, err
}

func TestSQLiteSnapshotUnderWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srcDB := openWAL(t, filepath.Join(dir, "src.db"))
	fillSource(t, srcDB)

	var commits atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var churnErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		churnErr = churn(ctx, srcDB, &commits, stop)
	}()
	stopChurn := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	defer stopChurn()

	// Let the file move before the snapshot, then take it.
	for deadline := time.Now().Add(10 * time.Second); commits.Load() < 20; {
		if time.Now().After(deadline) {
			t.Fatal("writer does not commit")
		}
		time.Sleep(time.Millisecond)
	}
	src, txc, release := openSource(t, map[string]*sql.DB{"main": srcDB})
	info := src.Databases()[0]
	want := digest(t, txc["main"])
	srcCookie := queryInt(t, txc["main"], "PRAGMA schema_version")
	if sum := queryInt(t, txc["main"], "SELECT sum(balance) FROM accounts"); sum != accounts*startBalance {
		t.Fatalf("source sum = %d", sum)
	}
	file := filepath.Join(dir, "backup.snap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	before := commits.Load()
	hdr := Header{NodeID: "n1", ClusterID: "c1", Epoch: 3, TxID: 99, Sum: 42}
	if err := Write(ctx, f, hdr, &interleaved{Source: src, commits: &commits, seen: before}, nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	during := commits.Load() - before
	// The snapshot still reads as it did, however much was committed since.
	if got := digest(t, txc["main"]); got != want {
		t.Fatal("the source's read transaction moved")
	}
	release()
	stopChurn()
	if churnErr != nil {
		t.Fatalf("writer: %v", churnErr)
	}
	if during < int64(info.Pages)/64 {
		t.Fatalf("only %d commits during a %d-page snapshot", during, info.Pages)
	}
	if live := digest(t, srcDB); live == want {
		t.Fatal("the source did not change after the snapshot")
	}
	t.Logf("snapshot of %d pages (%d KiB) taken across %d commits", info.Pages, info.Size()>>10, during)

	check := func(t *testing.T, q queryer) {
		t.Helper()
		integrityOK(t, q)
		if got := digest(t, q); got != want {
			t.Fatal("installed content differs from the snapshot")
		}
		if sum := queryInt(t, q, "SELECT sum(balance) FROM accounts"); sum != accounts*startBalance {
			t.Fatalf("installed sum = %d", sum)
		}
		if n := queryInt(t, q, "PRAGMA page_count"); n != int64(info.Pages) {
			t.Fatalf("installed page_count = %d, want %d", n, info.Pages)
		}
		var mode string
		if err := q.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode = %q, %v", mode, err)
		}
	}

	t.Run("zero-length file", func(t *testing.T) {
		path := filepath.Join(dir, "zero.db")
		db := openPlain(t, path)
		c, h, err := installFile(t, file, "main", db)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if h.Epoch != 3 || h.TxID != 99 || h.Sum != 42 || h.NodeID != "n1" || h.ClusterID != "c1" {
			t.Fatalf("header = %+v", h)
		}
		check(t, c) // the installing connection sees the new schema at once
		db.Close()
		check(t, openWAL(t, path))
	})

	t.Run("new WAL file", func(t *testing.T) {
		path := filepath.Join(dir, "fresh.db")
		db := openWAL(t, path)
		queryInt(t, db, "PRAGMA page_count")
		c, _, err := installFile(t, file, "main", db)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		check(t, c)
		check(t, openWAL(t, path))
	})

	t.Run("bigger other content", func(t *testing.T) {
		path := filepath.Join(dir, "other.db")
		db := openWAL(t, path)
		c := conn(t, db)
		mustExec(t, c, "CREATE TABLE old(id INTEGER PRIMARY KEY, v BLOB)")
		mustExec(t, c, "INSERT INTO old(v) SELECT randomblob(3000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?) SELECT i FROM n)", 2*info.Size()/3000)
		// Give the old file the snapshot's schema cookie, so that only an
		// explicit reset can tell connections that the schema changed.
		for i := 0; queryInt(t, c, "PRAGMA schema_version") < srcCookie; i++ {
			mustExec(t, c, fmt.Sprintf("CREATE TABLE pad%d(x)", i))
		}
		if got := queryInt(t, c, "PRAGMA schema_version"); got != srcCookie {
			t.Fatalf("target schema cookie %d, want the source's %d", got, srcCookie)
		}
		if n := queryInt(t, c, "PRAGMA page_count"); n <= int64(info.Pages) {
			t.Fatalf("target has %d pages, not more than %d", n, info.Pages)
		}
		c.Close()

		// A read-only reader, like the engine's, in a transaction across
		// the install.
		ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+dsnOpts)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		rc := conn(t, ro)
		oldRows := queryInt(t, rc, "SELECT count(*) FROM old")
		mustExec(t, rc, "BEGIN")
		if n := queryInt(t, rc, "SELECT count(*) FROM old"); n != oldRows {
			t.Fatal("reader miscounts")
		}

		ic, _, err := installFile(t, file, "main", db)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		check(t, ic)

		// The reader's transaction still sees the old file.
		if n := queryInt(t, rc, "SELECT count(*) FROM old"); n != oldRows {
			t.Fatalf("reader's snapshot changed: %d rows, had %d", n, oldRows)
		}
		mustExec(t, rc, "COMMIT")
		// With the schema cache reset, as the engine must do, it sees the new one.
		mustExec(t, rc, "PRAGMA writable_schema = RESET")
		check(t, rc)
		check(t, openWAL(t, path))
	})
}

func TestSQLiteMultipleDatabases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srcs := map[string]*sql.DB{}
	for _, ps := range []int{1024, 4096, 8192} {
		name := fmt.Sprintf("db%d", ps)
		db := createWithPageSize(t, dir, name+".src", ps)
		mustExec(t, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
		mustExec(t, db, "CREATE INDEX t_v ON t(v)")
		mustExec(t, db, "INSERT INTO t(v) SELECT randomblob(abs(random()) % 3000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?) SELECT i FROM n)", ps/10)
		srcs[name] = db
	}
	src, txc, release := openSource(t, srcs)
	want := map[string]string{}
	for name, c := range txc {
		want[name] = digest(t, c)
	}
	var buf bytes.Buffer
	if err := Write(ctx, &buf, Header{NodeID: "n"}, src, nil); err != nil {
		t.Fatal(err)
	}
	release()
	snap := buf.Bytes()
	h, err := ReadHeader(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}
	if h.Databases != 3 || h.DBs[0].Name != "db1024" || h.DBs[0].PageSize != 1024 || h.DBs[2].PageSize != 8192 {
		t.Fatalf("header = %+v", h)
	}

	// Into zero-length files (any page size), then again over the result
	// (same page sizes, the same content).
	targets := map[string]*sql.DB{}
	for name := range srcs {
		targets[name] = openPlain(t, filepath.Join(dir, name+".dst"))
	}
	for round := 0; round < 2; round++ {
		conns := map[string]*sql.Conn{}
		for name, db := range targets {
			conns[name] = conn(t, db)
		}
		if _, err := Read(ctx, bytes.NewReader(snap), sqlInstaller{conns}, nil); err != nil {
			t.Fatalf("round %d: Read: %v", round, err)
		}
		for name, c := range conns {
			integrityOK(t, c)
			if digest(t, c) != want[name] {
				t.Fatalf("round %d: %s differs", round, name)
			}
			c.Close()
		}
	}
}

func TestSQLitePageSizeMismatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srcDB := createWithPageSize(t, dir, "src.db", 1024)
	mustExec(t, srcDB, "CREATE TABLE t(v)")
	mustExec(t, srcDB, "INSERT INTO t VALUES (randomblob(5000))")
	src, _, release := openSource(t, map[string]*sql.DB{"main": srcDB})
	var buf bytes.Buffer
	if err := Write(ctx, &buf, Header{}, src, nil); err != nil {
		t.Fatal(err)
	}
	release()

	dst := openWAL(t, filepath.Join(dir, "dst.db")) // 4096-byte pages
	mustExec(t, dst, "CREATE TABLE keep(v)")
	mustExec(t, dst, "INSERT INTO keep VALUES (1)")
	before := digest(t, dst)
	c := conn(t, dst)
	_, err := Read(ctx, &buf, sqlInstaller{map[string]*sql.Conn{"main": c}}, nil)
	if err == nil || !strings.Contains(err.Error(), "1024-byte pages") || !strings.Contains(err.Error(), "bad page value") {
		t.Fatalf("Read into a file with another page size: %v", err)
	}
	if digest(t, c) != before {
		t.Fatal("the target changed")
	}
	mustExec(t, c, "INSERT INTO keep VALUES (2)") // no transaction left open
}

func TestSQLiteCorruptionCommitsNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srcs := map[string]*sql.DB{}
	for _, name := range []string{"a", "b"} {
		db := openWAL(t, filepath.Join(dir, name+".src"))
		mustExec(t, db, "CREATE TABLE t(v)")
		mustExec(t, db, "INSERT INTO t SELECT randomblob(2000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100) SELECT i FROM n)")
		srcs[name] = db
	}
	src, _, release := openSource(t, srcs)
	var buf bytes.Buffer
	if err := Write(ctx, &buf, Header{}, src, nil); err != nil {
		t.Fatal(err)
	}
	release()
	snap := buf.Bytes()
	h, _ := ReadHeader(bytes.NewReader(snap))

	for _, tc := range []struct {
		name string
		bad  []byte
	}{
		{"flipped byte in b", func() []byte {
			b := bytes.Clone(snap)
			b[len(b)-trailerLen-8-int(h.DBs[1].PageSize)/2] ^= 0xff
			return b
		}()},
		{"truncated in b", snap[:len(snap)-trailerLen-5000]},
		{"truncated trailer", snap[:len(snap)-3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := map[string]*sql.Conn{}
			before := map[string]string{}
			for _, name := range []string{"a", "b"} {
				db := openWAL(t, filepath.Join(t.TempDir(), name+".dst"))
				mustExec(t, db, "CREATE TABLE previous(x)")
				mustExec(t, db, "INSERT INTO previous VALUES ('untouched')")
				conns[name] = conn(t, db)
				before[name] = digest(t, conns[name])
			}
			_, err := Read(ctx, bytes.NewReader(tc.bad), sqlInstaller{conns}, nil)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read: %v", err)
			}
			for name, c := range conns {
				if digest(t, c) != before[name] {
					t.Fatalf("database %s changed", name)
				}
				integrityOK(t, c)
				mustExec(t, c, "INSERT INTO previous VALUES ('still writable')")
			}
		})
	}
}

func TestSQLiteSourceChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openPlain(t, filepath.Join(dir, "never-written.db"))
	c := conn(t, db)
	if _, err := NewSQLiteSource(ctx, map[string]PageQuerier{"x": connPages{c}}); err == nil || !strings.Contains(err.Error(), "no pages") {
		t.Fatalf("NewSQLiteSource of an empty file: %v", err)
	}
	// Without a read transaction the file can shrink under the source:
	// pages past the end are an error, not a short page.
	db2 := openWAL(t, filepath.Join(dir, "shrinks.db"))
	mustExec(t, db2, "CREATE TABLE t(v)")
	mustExec(t, db2, "INSERT INTO t VALUES (randomblob(100000))")
	c2 := conn(t, db2)
	src, err := NewSQLiteSource(ctx, map[string]PageQuerier{"x": connPages{c2}})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db2, "DELETE FROM t")
	mustExec(t, db2, "VACUUM")
	err = Write(ctx, io.Discard, Header{}, src, nil)
	if err == nil || !strings.Contains(err.Error(), "page") {
		t.Fatalf("Write from a shrunk file: %v", err)
	}
}
