package walstream

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// sqliteFile is one database file with a dedicated connection, opened the
// way the engine opens its databases.
type sqliteFile struct {
	path string
	db   *sql.DB
	conn *sql.Conn
}

func openSQLiteFile(t testing.TB, path string, pragmas ...string) *sqliteFile {
	t.Helper()
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)"
	for _, p := range pragmas {
		dsn += "&_pragma=" + p
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := &sqliteFile{path: path, db: db, conn: conn}
	t.Cleanup(f.close)
	return f
}

func (f *sqliteFile) close() {
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
	if f.db != nil {
		f.db.Close()
		f.db = nil
	}
}

// openPrimary opens a database configured as the engine runs a primary:
// WAL mode without automatic checkpoints.
func openPrimary(t testing.TB, path string, pragmas ...string) *sqliteFile {
	return openSQLiteFile(t, path, append(pragmas, "journal_mode(WAL)", "wal_autocheckpoint(0)")...)
}

func (f *sqliteFile) exec(t testing.TB, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := f.conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// series returns a WITH clause defining s(value) as 1..n.
func series(n int) string {
	return fmt.Sprintf("WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < %d) ", n)
}

// execer adapts a *sql.Conn to Execer.
type execer struct{ c *sql.Conn }

func (x execer) Exec(ctx context.Context, q string, args ...any) error {
	_, err := x.c.ExecContext(ctx, q, args...)
	return err
}

// pagesOf returns every page of the database as SQLite sees it, with the
// header bytes SQLite rewrites on each commit (change counter, version
// valid-for, SQLite version) zeroed.
func pagesOf(t testing.TB, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) [][]byte {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), "SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pages [][]byte
	for rows.Next() {
		var no int
		var data []byte
		if err := rows.Scan(&no, &data); err != nil {
			t.Fatal(err)
		}
		if no != len(pages)+1 {
			t.Fatalf("page %d after %d pages", no, len(pages))
		}
		if no == 1 {
			clear(data[24:28])
			clear(data[92:100])
		}
		pages = append(pages, data)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pages
}

// tablesOf renders the content of every table, read through the pool (a
// connection that did not apply anything).
func tablesOf(t testing.TB, db *sql.DB) string {
	t.Helper()
	ctx := context.Background()
	var names []string
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "table %s\n", n)
		rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT * FROM %q ORDER BY rowid", n))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func integrityCheck(t testing.TB, db *sql.DB) {
	t.Helper()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}

// replicaPair is a primary with a capturer and a replica kept identical
// by capturing each transaction and applying it.
type replicaPair struct {
	primary, replica *sqliteFile
	cap              *Capturer
	lastSize         uint32
	applied          int
}

func newReplicaPair(t testing.TB) *replicaPair {
	dir := t.TempDir()
	p := openPrimary(t, filepath.Join(dir, "primary.db"))
	c, err := OpenCapturer(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := openSQLiteFile(t, filepath.Join(dir, "replica.db"), "journal_mode(WAL)")
	// Like the engine's connections, the applying one has in-memory
	// databases attached; sqlite_dbpage opens a write transaction on all.
	r.exec(t, "ATTACH DATABASE ':memory:' AS pg_catalog", "CREATE TABLE pg_catalog.x(a)", "INSERT INTO pg_catalog.x VALUES (1)")
	return &replicaPair{primary: p, replica: r, cap: c}
}

// ship captures what committed since the last call and applies it.
func (rp *replicaPair) ship(t testing.TB) Captured {
	t.Helper()
	c, err := rp.cap.Capture()
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	rp.applied++
	txn := &Txn{Pos: Position{Epoch: 1, TxID: uint64(rp.applied)}, Kind: KindPages, DB: "app",
		PageSize: c.PageSize, CommitSize: c.CommitSize, Pages: c.Pages}
	if err := ApplyPages(context.Background(), execer{rp.replica.conn}, txn); err != nil {
		t.Fatalf("apply: %v", err)
	}
	rp.lastSize = c.CommitSize
	return c
}

// check asserts that both databases are identical, page by page and table
// by table, and that the replica is sound.
func (rp *replicaPair) check(t testing.TB) {
	t.Helper()
	want := pagesOf(t, rp.primary.conn)
	got := pagesOf(t, rp.replica.conn)
	if len(got) != len(want) {
		t.Fatalf("replica has %d pages, primary %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("page %d differs", i+1)
		}
	}
	if uint32(len(want)) != rp.lastSize {
		t.Fatalf("primary has %d pages, last commit said %d", len(want), rp.lastSize)
	}
	if a, b := tablesOf(t, rp.primary.db), tablesOf(t, rp.replica.db); a != b {
		t.Fatalf("table contents differ:\nprimary:\n%.500s\nreplica:\n%.500s", a, b)
	}
	integrityCheck(t, rp.replica.db)
	// SQLite believes page 1's record of the size, so only the replica's
	// own commit frame shows whether its database really has that size.
	rc, ok, err := LastTxnInWAL(rp.replica.path + "-wal")
	if err != nil || !ok || rc.CommitSize != rp.lastSize {
		t.Fatalf("replica's last commit frame says %d pages (%v, %v), want %d", rc.CommitSize, ok, err, rp.lastSize)
	}
	// The connection that applied must also see the new schema and data.
	var n int
	if err := rp.replica.conn.QueryRowContext(context.Background(), "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		t.Fatal(err)
	}
}

func TestCaptureApplyKeepsReplicaIdentical(t *testing.T) {
	rp := newReplicaPair(t)
	p := rp.primary
	step := func(name string, queries ...string) Captured {
		t.Helper()
		p.exec(t, queries...)
		c := rp.ship(t)
		rp.check(t)
		t.Logf("%s: %d pages, database %d pages", name, len(c.Pages), c.CommitSize)
		return c
	}

	step("create", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
	step("insert", series(500)+"INSERT INTO t(v, b) SELECT 'row ' || value, randomblob(100) FROM s")
	step("multi-statement", "BEGIN",
		"UPDATE t SET v = v || ' updated' WHERE id % 3 = 0",
		"DELETE FROM t WHERE id % 7 = 0",
		"INSERT INTO t(v) VALUES ('late')",
		"COMMIT")
	step("index", "CREATE INDEX t_v ON t(v)")

	p.exec(t, "PRAGMA wal_checkpoint(PASSIVE)") // the next write restarts the WAL, leaving old frames behind
	step("after passive checkpoint", "UPDATE t SET v = 'first of new generation' WHERE id = 1")
	step("second in generation", "INSERT INTO t(v) VALUES ('second')")

	// A small cache makes SQLite spill dirty pages into the WAL before the
	// commit, and rewrite spilled frames in place when pages change again.
	p.exec(t, "PRAGMA cache_size = 8")
	step("big blob", "INSERT INTO t(v, b) VALUES ('big', randomblob(1500000))")
	step("rewrite spilled pages", "BEGIN",
		"UPDATE t SET b = randomblob(200) WHERE id < 300",
		"UPDATE t SET b = randomblob(300) WHERE id < 300",
		"COMMIT")

	p.exec(t, "PRAGMA wal_checkpoint(TRUNCATE)")
	if st, err := os.Stat(p.path + "-wal"); err != nil || st.Size() != 0 {
		t.Fatalf("WAL after TRUNCATE checkpoint: %v, %v", st, err)
	}
	step("create after truncate", "CREATE TABLE u(x)", "INSERT INTO u VALUES (1), (2)")
	step("drop", "DROP TABLE u")

	big := rp.lastSize
	step("delete big", "DELETE FROM t WHERE v = 'big'")
	c := step("vacuum", "VACUUM")
	if c.CommitSize >= big {
		t.Fatalf("VACUUM left %d pages, had %d: the shrinking case was not exercised", c.CommitSize, big)
	}

	// A transaction that spills and rolls back leaves frames with valid
	// salts past the end of the log; the next commit overwrites only some.
	p.exec(t, "BEGIN", "INSERT INTO t(v, b) VALUES ('rolled back', randomblob(1000000))", "ROLLBACK")
	step("commit after spilled rollback", "INSERT INTO t(v) VALUES ('after rollback')")

	// Two transactions captured at once come out as one.
	p.exec(t, "INSERT INTO t(v) VALUES ('one')")
	step("two at once", "UPDATE t SET v = 'two' WHERE v = 'one'")

	if _, err := rp.cap.Capture(); !errors.Is(err, ErrNoCommit) {
		t.Fatalf("capture with nothing new: %v, want ErrNoCommit", err)
	}
	p.exec(t, "UPDATE t SET v = v WHERE 0") // a write transaction that writes nothing
	if _, err := rp.cap.Capture(); !errors.Is(err, ErrNoCommit) {
		t.Fatalf("capture after an empty write: %v, want ErrNoCommit", err)
	}
	p.exec(t, "PRAGMA wal_checkpoint(TRUNCATE)")
	if _, err := rp.cap.Capture(); !errors.Is(err, ErrNoCommit) {
		t.Fatalf("capture of a truncated WAL: %v, want ErrNoCommit", err)
	}
	step("after truncate again", "INSERT INTO t(v) VALUES ('end')")

	rp.replica.exec(t, "PRAGMA wal_checkpoint(TRUNCATE)")
	st, err := os.Stat(rp.replica.path)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(rp.lastSize) * 4096; st.Size() != want {
		t.Fatalf("replica file is %d bytes after checkpoint, want %d", st.Size(), want)
	}
}

// SQLite deletes the WAL when the last connection closes and creates a
// new file later; the capturer must follow it to the new file.
func TestCaptureFollowsRecreatedWAL(t *testing.T) {
	rp := newReplicaPair(t)
	rp.primary.exec(t, "CREATE TABLE t(x)", "INSERT INTO t VALUES (1)")
	rp.ship(t)
	rp.check(t)

	path := rp.primary.path
	rp.primary.close()
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WAL still there after closing: %v", err)
	}
	rp.primary = openPrimary(t, path)
	rp.primary.exec(t, "INSERT INTO t VALUES (2)")
	rp.ship(t)
	rp.check(t)
}

// OpenCapturer positions after what is already in the WAL.
func TestOpenCapturerSkipsExistingFrames(t *testing.T) {
	dir := t.TempDir()
	p := openPrimary(t, filepath.Join(dir, "p.db"))
	p.exec(t, "CREATE TABLE t(x)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)")
	c, err := OpenCapturer(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Capture(); !errors.Is(err, ErrNoCommit) {
		t.Fatalf("capture right after open: %v, want ErrNoCommit", err)
	}
	p.exec(t, "UPDATE t SET x = 3 WHERE x = 2")
	got, err := c.Capture()
	if err != nil {
		t.Fatal(err)
	}
	// Only the leaf page of t changes; page 1 does not (size unchanged).
	if len(got.Pages) != 1 || got.Pages[0].No != 2 {
		var nos []uint32
		for _, pg := range got.Pages {
			nos = append(nos, pg.No)
		}
		t.Fatalf("captured pages %v, want just page 2", nos)
	}

	// A missing WAL is fine too.
	c2, err := OpenCapturer(filepath.Join(dir, "none.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Capture(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("capture of a missing WAL: %v, want os.ErrNotExist", err)
	}
	c2.Close()
}

// copyCrashed copies the database and WAL files as a crash would leave
// them (no -shm, nothing checkpointed) into a new directory.
func copyCrashed(t testing.TB, dbPath string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(dbPath + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestLastTxnInWAL(t *testing.T) {
	dir := t.TempDir()
	p := openPrimary(t, filepath.Join(dir, "p.db"))
	c, err := OpenCapturer(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	capture := func() Captured {
		t.Helper()
		got, err := c.Capture()
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	last := func(walPath string) (Captured, bool) {
		t.Helper()
		got, ok, err := LastTxnInWAL(walPath)
		if err != nil {
			t.Fatal(err)
		}
		return got, ok
	}

	if _, ok := last(p.path + "-wal"); ok {
		t.Fatal("LastTxnInWAL found a transaction in a missing WAL")
	}
	p.exec(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
		series(300)+"INSERT INTO t(v) SELECT 'x' || value FROM s")
	capture()
	p.exec(t, "INSERT INTO t(v) VALUES ('before last')")
	prev := capture()
	p.exec(t, "BEGIN", "UPDATE t SET v = 'last' WHERE id = 7", "INSERT INTO t(v) VALUES ('last')", "COMMIT")
	want := capture()

	crashed := copyCrashed(t, p.path)
	got, ok := last(crashed + "-wal")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("LastTxnInWAL = %d pages (ok %v), want the last transaction's %d pages", len(got.Pages), ok, len(want.Pages))
	}
	// SQLite's own recovery of the crashed copy sees that transaction too.
	rec := openSQLiteFile(t, crashed)
	var n int
	if err := rec.db.QueryRow("SELECT count(*) FROM t WHERE v = 'last'").Scan(&n); err != nil || n != 2 {
		t.Fatalf("recovered copy: %d rows, %v", n, err)
	}
	rec.close()

	// A torn last frame or a damaged one: the last transaction is the one
	// before.
	walBytes, err := os.ReadFile(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	frame := int64(walFrameHeaderSize + want.PageSize)
	torn := filepath.Join(t.TempDir(), "torn-wal")
	if err := os.WriteFile(torn, walBytes[:len(walBytes)-int(frame/2)], 0o644); err != nil {
		t.Fatal(err)
	}
	if got, ok := last(torn); !ok || !reflect.DeepEqual(got, prev) {
		t.Fatalf("torn WAL: got %d pages (ok %v), want the previous transaction", len(got.Pages), ok)
	}
	flipped := bytes.Clone(walBytes)
	flipped[len(flipped)-100] ^= 0x40
	if err := os.WriteFile(torn, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, ok := last(torn); !ok || !reflect.DeepEqual(got, prev) {
		t.Fatalf("damaged WAL: got %d pages (ok %v), want the previous transaction", len(got.Pages), ok)
	}
	if err := os.WriteFile(torn, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := last(torn); ok {
		t.Fatal("LastTxnInWAL found a transaction in an empty WAL")
	}

	// After a restart of the WAL the file still holds the longer old
	// generation past the new frames; they must not count.
	p.exec(t, "PRAGMA wal_checkpoint(PASSIVE)", "UPDATE t SET v = 'new generation' WHERE id = 1")
	want = capture()
	if st, _ := os.Stat(p.path + "-wal"); st.Size() <= walHeaderSize+int64(len(want.Pages))*frame {
		t.Fatalf("WAL of %d bytes holds no stale frames; the test does not test anything", st.Size())
	}
	crashed = copyCrashed(t, p.path)
	if got, ok := last(crashed + "-wal"); !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("restarted WAL: got %d pages (ok %v), want the new generation's transaction (%d pages)", len(got.Pages), ok, len(want.Pages))
	}
}

func TestWALHeaderChecks(t *testing.T) {
	dir := t.TempDir()
	p := openPrimary(t, filepath.Join(dir, "p.db"))
	p.exec(t, "CREATE TABLE t(x)")
	b, err := os.ReadFile(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseWALHeader(b); err != nil {
		t.Fatalf("SQLite's own header: %v", err)
	}
	for i := range walHeaderSize {
		bad := bytes.Clone(b[:walHeaderSize])
		bad[i] ^= 0x10
		if _, err := parseWALHeader(bad); !errors.Is(err, errBadWALHeader) {
			t.Fatalf("header with byte %d flipped: %v", i, err)
		}
	}
	if _, err := parseWALHeader(b[:20]); !errors.Is(err, errBadWALHeader) {
		t.Fatalf("short header: %v", err)
	}
}

func BenchmarkCapture(b *testing.B) {
	dir := b.TempDir()
	p := openPrimary(b, filepath.Join(dir, "p.db"))
	p.exec(b, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
	c, err := OpenCapturer(p.path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if i%1000 == 999 {
			p.exec(b, "PRAGMA wal_checkpoint(TRUNCATE)")
		}
		if _, err := p.conn.ExecContext(ctx, "INSERT INTO t(v) VALUES (randomblob(200))"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := c.Capture(); err != nil {
			b.Fatal(err)
		}
	}
}
