package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

// memSource is a Source of generated pages, for tests of the format itself.
type memSource struct {
	infos []DBInfo
	pages map[string][][]byte
}

func newMemSource(seed uint64, infos ...DBInfo) *memSource {
	r := rand.New(rand.NewPCG(seed, 1))
	s := &memSource{infos: infos, pages: map[string][][]byte{}}
	for _, d := range infos {
		for i := uint32(0); i < d.Pages; i++ {
			p := make([]byte, d.PageSize)
			for j := range p {
				p[j] = byte(r.Uint32())
			}
			s.pages[d.Name] = append(s.pages[d.Name], p)
		}
	}
	return s
}

func (s *memSource) Databases() []DBInfo { return s.infos }

func (s *memSource) ReadPage(ctx context.Context, db string, pgno uint32) ([]byte, error) {
	pp, ok := s.pages[db]
	if !ok || pgno < 1 || int(pgno) > len(pp) {
		return nil, fmt.Errorf("no page %d in %q", pgno, db)
	}
	return pp[pgno-1], nil
}

// memInstaller assembles databases in memory and records what happened to
// each, so that tests can check that nothing unverified was committed.
type memInstaller struct {
	mu        sync.Mutex
	committed map[string][][]byte
	events    []string
	failBegin string // database whose Begin fails
	failCommt string // database whose Commit fails
}

func newMemInstaller() *memInstaller { return &memInstaller{committed: map[string][][]byte{}} }

func (m *memInstaller) log(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, fmt.Sprintf(format, args...))
}

func (m *memInstaller) Begin(ctx context.Context, db DBInfo) (DBWriter, error) {
	if db.Name == m.failBegin {
		return nil, errors.New("begin refused")
	}
	m.log("begin %s", db.Name)
	return &memDBWriter{m: m, info: db}, nil
}

type memDBWriter struct {
	m     *memInstaller
	info  DBInfo
	pages [][]byte
	done  bool
}

func (w *memDBWriter) WritePage(ctx context.Context, pgno uint32, data []byte) error {
	if w.done {
		return errors.New("write after end")
	}
	if int(pgno) != len(w.pages)+1 {
		return fmt.Errorf("page %d out of order", pgno)
	}
	w.pages = append(w.pages, bytes.Clone(data))
	return nil
}

func (w *memDBWriter) Commit(ctx context.Context) error {
	if w.done {
		return errors.New("commit after end")
	}
	w.done = true
	if w.info.Name == w.m.failCommt {
		w.m.log("commit-failed %s", w.info.Name)
		return errors.New("commit refused")
	}
	w.m.log("commit %s", w.info.Name)
	w.m.mu.Lock()
	w.m.committed[w.info.Name] = w.pages
	w.m.mu.Unlock()
	return nil
}

func (w *memDBWriter) Abort() error {
	if w.done {
		return errors.New("abort after end")
	}
	w.done = true
	w.m.log("abort %s", w.info.Name)
	return nil
}

func (m *memInstaller) commits() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.committed)
}

// Adapters from database/sql to the package's SQLite seams, as the engine
// provides them for its own connections.

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type connPages struct{ c queryer }

func (q connPages) QueryPage(ctx context.Context, pgno uint32) ([]byte, error) {
	var b []byte
	err := q.c.QueryRowContext(ctx, "SELECT data FROM sqlite_dbpage WHERE pgno = ?", int64(pgno)).Scan(&b)
	return b, err
}

func (q connPages) PageCount(ctx context.Context) (uint32, error) {
	var n uint32
	err := q.c.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n)
	return n, err
}

func (q connPages) PageSize(ctx context.Context) (uint32, error) {
	var n uint32
	err := q.c.QueryRowContext(ctx, "PRAGMA page_size").Scan(&n)
	return n, err
}

type connExec struct{ c *sql.Conn }

func (x connExec) Exec(ctx context.Context, query string, args ...any) error {
	_, err := x.c.ExecContext(ctx, query, args...)
	return err
}

// sqlInstaller installs each database through its own connection.
type sqlInstaller struct{ conns map[string]*sql.Conn }

func (i sqlInstaller) Begin(ctx context.Context, db DBInfo) (DBWriter, error) {
	c, ok := i.conns[db.Name]
	if !ok {
		return nil, fmt.Errorf("no target for database %q", db.Name)
	}
	return NewSQLiteDBWriter(ctx, connExec{c}, db)
}

const dsnOpts = "_pragma=busy_timeout(5000)"

// openWAL opens (creating) a database in WAL mode.
func openWAL(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?"+dsnOpts+"&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPlain opens a database without touching it, so that a new file stays
// zero-length until the first write.
func openPlain(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?"+dsnOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// createWithPageSize creates a WAL database with the given page size.
func createWithPageSize(t testing.TB, dir, name string, pageSize int) *sql.DB {
	t.Helper()
	path := filepath.Join(dir, name)
	db := openPlain(t, path)
	c := conn(t, db)
	// page_size only applies before the file is first written, and WAL
	// mode writes it: the order matters.
	mustExec(t, c, fmt.Sprintf("PRAGMA page_size = %d", pageSize))
	mustExec(t, c, "PRAGMA journal_mode = WAL")
	c.Close()
	return db
}

func conn(t testing.TB, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func mustExec(t testing.TB, x execer, q string, args ...any) {
	t.Helper()
	if _, err := x.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func queryInt(t testing.TB, q queryer, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func integrityOK(t testing.TB, q queryer) {
	t.Helper()
	var s string
	if err := q.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&s); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if s != "ok" {
		t.Fatalf("integrity_check: %s", s)
	}
}

// digest hashes the content of every table (schema and rows), so that two
// databases can be compared by value.
func digest(t testing.TB, q queryer) string {
	t.Helper()
	ctx := context.Background()
	h := sha256.New()
	rows, err := q.QueryContext(ctx, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY name")
	if err != nil {
		t.Fatalf("reading schema: %v", err)
	}
	var tables []string
	for rows.Next() {
		var typ, name, tbl, sqlText string
		if err := rows.Scan(&typ, &name, &tbl, &sqlText); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s|%s|%s|%s\n", typ, name, tbl, sqlText)
		if typ == "table" {
			tables = append(tables, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, tbl := range tables {
		rows, err := q.QueryContext(ctx, fmt.Sprintf("SELECT * FROM %q ORDER BY 1", tbl))
		if err != nil {
			t.Fatalf("reading %s: %v", tbl, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					fmt.Fprintf(h, "blob%d:", len(b))
					h.Write(b)
					continue
				}
				fmt.Fprintf(h, "%T:%v|", v, v)
			}
			h.Write([]byte{'\n'})
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openSource begins a read transaction on each database and returns a
// Source over them; release ends the transactions.
func openSource(t testing.TB, dbs map[string]*sql.DB) (src Source, txConns map[string]*sql.Conn, release func()) {
	t.Helper()
	ctx := context.Background()
	qs := map[string]PageQuerier{}
	txConns = map[string]*sql.Conn{}
	for name, db := range dbs {
		c := conn(t, db)
		mustExec(t, c, "BEGIN")
		queryInt(t, c, "SELECT count(*) FROM sqlite_schema") // the first read fixes the snapshot
		qs[name] = connPages{c}
		txConns[name] = c
	}
	src, err := NewSQLiteSource(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	return src, txConns, func() {
		for _, c := range txConns {
			c.ExecContext(ctx, "ROLLBACK")
		}
	}
}
