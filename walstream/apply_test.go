package walstream

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A reader holding a read transaction on the replica keeps its snapshot
// while a transaction is applied, and sees the new state afterwards.
func TestApplyKeepsReaderSnapshot(t *testing.T) {
	rp := newReplicaPair(t)
	rp.primary.exec(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", series(100)+"INSERT INTO t(v) SELECT 'a' || value FROM s")
	rp.ship(t)
	rp.check(t)

	ctx := context.Background()
	reader, err := rp.replica.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	count := func() (n int) {
		t.Helper()
		if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := reader.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 100 {
		t.Fatalf("before: %d rows", n)
	}
	before := tablesOfConn(t, reader)

	rp.primary.exec(t, "BEGIN", series(400)+"INSERT INTO t(v) SELECT 'b' || value FROM s", "DELETE FROM t WHERE id <= 10", "COMMIT")
	rp.ship(t)

	if n := count(); n != 100 {
		t.Fatalf("reader's snapshot changed under it: %d rows", n)
	}
	if after := tablesOfConn(t, reader); after != before {
		t.Fatal("reader's snapshot content changed")
	}
	if _, err := reader.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 490 {
		t.Fatalf("after the read transaction: %d rows, want 490", n)
	}
	rp.check(t)
}

func tablesOfConn(t testing.TB, c *sql.Conn) string {
	t.Helper()
	rows, err := c.QueryContext(context.Background(), "SELECT id, v FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		b.WriteString(v)
	}
	return b.String()
}

// Readers running while transactions are applied see each one whole or
// not at all: every primary transaction adds a row to t and bumps c.n, so
// any snapshot has count(t) == c.n.
func TestApplyIsAtomicForConcurrentReaders(t *testing.T) {
	rp := newReplicaPair(t)
	rp.primary.exec(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)", "CREATE TABLE c(n INTEGER)", "INSERT INTO c VALUES (0)")
	rp.ship(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var reads atomic.Int64
	errc := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				tx, err := rp.replica.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
				if err != nil {
					if ctx.Err() == nil {
						errc <- err
					}
					return
				}
				var rows, n int
				err = tx.QueryRow("SELECT count(*) FROM t").Scan(&rows)
				if err == nil {
					err = tx.QueryRow("SELECT n FROM c").Scan(&n)
				}
				tx.Rollback()
				if err != nil {
					if ctx.Err() == nil {
						errc <- err
					}
					return
				}
				if rows != n {
					errc <- errors.New("reader saw half a transaction")
					return
				}
				reads.Add(1)
			}
		})
	}
	for i := range 150 {
		q := "INSERT INTO t(pad) VALUES (randomblob(1500))"
		if i%25 == 24 {
			q = "INSERT INTO t(pad) VALUES (randomblob(40000))" // overflow pages too
		}
		rp.primary.exec(t, "BEGIN", q, "UPDATE c SET n = n + 1", "COMMIT")
		rp.ship(t)
		if i%50 == 49 {
			rp.primary.exec(t, "PRAGMA wal_checkpoint(TRUNCATE)")
		}
	}
	cancel()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if reads.Load() == 0 {
		t.Fatal("no read completed while applying")
	}
	rp.check(t)
	t.Logf("%d consistent reads during 150 applies", reads.Load())
}

// A brand-new, empty database file takes the transaction's page size, and
// ends up in WAL mode like the primary.
func TestApplyToBrandNewDatabase(t *testing.T) {
	dir := t.TempDir()
	// The page size must be set before the switch to WAL writes page 1.
	p := openSQLiteFile(t, filepath.Join(dir, "p.db"))
	p.exec(t, "PRAGMA page_size = 8192", "PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 0")
	c, err := OpenCapturer(p.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Both transactions come out of one capture: everything since open.
	p.exec(t, "CREATE TABLE t(x TEXT)", series(2000)+"INSERT INTO t SELECT 'row ' || value FROM s")
	got, err := c.Capture()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got.PageSize != 8192 {
		t.Fatalf("captured page size %d", got.PageSize)
	}

	r := openSQLiteFile(t, filepath.Join(dir, "new.db"))
	txn := &Txn{Pos: Position{Epoch: 1, TxID: 1}, Kind: KindPages, PageSize: got.PageSize, CommitSize: got.CommitSize, Pages: got.Pages}
	if err := ApplyPages(context.Background(), execer{r.conn}, txn); err != nil {
		t.Fatal(err)
	}
	var mode string
	var size, n int
	if err := r.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := r.db.QueryRow("PRAGMA page_size").Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := r.db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || size != 8192 || n != 2000 {
		t.Fatalf("new database: journal mode %s, page size %d, %d rows", mode, size, n)
	}
	integrityCheck(t, r.db)
	if a, b := tablesOf(t, p.db), tablesOf(t, r.db); a != b {
		t.Fatal("contents differ")
	}
}

// A page size different from a non-empty target's is refused clearly, and
// the target is left as it was, with no transaction open.
func TestApplyRefusesOtherPageSize(t *testing.T) {
	dir := t.TempDir()
	r := openSQLiteFile(t, filepath.Join(dir, "r.db"), "journal_mode(WAL)")
	r.exec(t, "CREATE TABLE t(x)", "INSERT INTO t VALUES (1)")
	before := pagesOf(t, r.conn)

	page := func(no uint32) Page { return Page{No: no, Data: bytes.Repeat([]byte{byte(no)}, 8192)} }
	txn := &Txn{Pos: Position{Epoch: 1, TxID: 9}, Kind: KindPages, PageSize: 8192, CommitSize: 3, Pages: []Page{page(1), page(2), page(3)}}
	err := ApplyPages(context.Background(), execer{r.conn}, txn)
	if err == nil || !strings.Contains(err.Error(), "page size 8192 differs") {
		t.Fatalf("err = %v, want a page size mismatch", err)
	}
	assertUntouched(t, r, before)
}

// assertUntouched checks that r still holds exactly before and that its
// connection is not left inside a transaction.
func assertUntouched(t *testing.T, r *sqliteFile, before [][]byte) {
	t.Helper()
	r.exec(t, "BEGIN", "ROLLBACK") // fails if a transaction were still open
	after := pagesOf(t, r.conn)
	if len(after) != len(before) {
		t.Fatalf("database went from %d to %d pages", len(before), len(after))
	}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Fatalf("page %d changed", i+1)
		}
	}
	integrityCheck(t, r.db)
}

func TestApplyRejectsMalformedTxns(t *testing.T) {
	dir := t.TempDir()
	r := openSQLiteFile(t, filepath.Join(dir, "r.db"), "journal_mode(WAL)")
	r.exec(t, "CREATE TABLE t(x)")
	before := pagesOf(t, r.conn)
	pg := func(no uint32, n int) Page { return Page{No: no, Data: make([]byte, n)} }
	for name, txn := range map[string]*Txn{
		"kind":          {Kind: KindCreate, PageSize: 4096, CommitSize: 1},
		"page size":     {Kind: KindPages, PageSize: 1000, CommitSize: 1, Pages: []Page{pg(1, 1000)}},
		"zero size":     {Kind: KindPages, PageSize: 4096, CommitSize: 0},
		"beyond size":   {Kind: KindPages, PageSize: 4096, CommitSize: 2, Pages: []Page{pg(3, 4096)}},
		"page zero":     {Kind: KindPages, PageSize: 4096, CommitSize: 2, Pages: []Page{pg(0, 4096)}},
		"short page":    {Kind: KindPages, PageSize: 4096, CommitSize: 2, Pages: []Page{pg(2, 100)}},
		"duplicate":     {Kind: KindPages, PageSize: 4096, CommitSize: 2, Pages: []Page{pg(2, 4096), pg(2, 4096)}},
		"nil page data": {Kind: KindPages, PageSize: 4096, CommitSize: 2, Pages: []Page{{No: 2}}},
	} {
		if err := ApplyPages(context.Background(), execer{r.conn}, txn); err == nil {
			t.Errorf("%s: applied", name)
		}
	}
	assertUntouched(t, r, before)
}

// cancelAfter is the real connection, with ctx cancelled once n
// statements have run: a failure in the middle of ApplyPages.
type cancelAfter struct {
	execer
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Exec(ctx context.Context, q string, args ...any) error {
	if c.n--; c.n < 0 {
		c.cancel()
	}
	return c.execer.Exec(ctx, q, args...)
}

// A failure in the middle rolls everything back, even when the failure
// is the caller's context.
func TestApplyRollsBackOnFailure(t *testing.T) {
	rp := newReplicaPair(t)
	rp.primary.exec(t, "CREATE TABLE t(x)")
	rp.ship(t)
	before := pagesOf(t, rp.replica.conn)

	rp.primary.exec(t, "INSERT INTO t VALUES (randomblob(1000000))")
	got, err := rp.cap.Capture()
	if err != nil {
		t.Fatal(err)
	}
	txn := &Txn{Pos: Position{Epoch: 1, TxID: 2}, Kind: KindPages, PageSize: got.PageSize, CommitSize: got.CommitSize, Pages: got.Pages}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := &cancelAfter{execer: execer{rp.replica.conn}, n: 4, cancel: cancel}
	if err := ApplyPages(ctx, x, txn); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertUntouched(t, rp.replica, before)

	// And the same transaction applies cleanly afterwards.
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ApplyPages(ctx, execer{rp.replica.conn}, txn); err != nil {
		t.Fatal(err)
	}
	rp.lastSize = got.CommitSize
	rp.check(t)
}
