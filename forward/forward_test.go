package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/peer"
)

var (
	rw   = engine.StmtOptions{}
	ro   = engine.StmtOptions{ReadOnly: true}
	bg   = context.Background()
	fast = ClientConfig{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 500 * time.Millisecond}
)

// primary is a real engine served by a Server on a real TCP listener.
type primary struct {
	eng  *sqlite.Engine
	srv  *Server
	addr string
	pos  atomic.Uint64

	mu    sync.Mutex
	conns []net.Conn // server side of every accepted connection
	live  sync.WaitGroup
}

func newPrimary(t *testing.T, cfg ServerConfig) *primary {
	t.Helper()
	eng, err := sqlite.Open(bg, sqlite.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p := &primary{eng: eng}
	cfg.Engine = eng
	cfg.Position = p.pos.Load
	p.srv = NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(bg)
	p.live.Add(1)
	go func() {
		defer p.live.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			p.live.Add(1)
			go func() {
				defer p.live.Done()
				p.srv.ServeConn(ctx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cancel()
		p.live.Wait() // every ServeConn returned, so every session is closed
		// Sessions are all closed by now; the engine's own Close errors
		// are not this package's business.
		if err := eng.Close(); err != nil {
			t.Logf("engine Close: %v", err)
		}
	})
	return p
}

// kill closes the primary's side of every connection, as a crash would.
func (p *primary) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *primary) open(t *testing.T, addr string, cfg ClientConfig, info engine.SessionInfo) *Session {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenConfig(bg, c, sqlite.DefaultDatabase, info, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// local opens a session directly on the primary's engine.
func (p *primary) local(t *testing.T) engine.Session {
	t.Helper()
	s, err := p.eng.Open(bg, sqlite.DefaultDatabase, engine.SessionInfo{User: "local"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func all(t *testing.T, s engine.Session, ctx context.Context, q string, opt engine.StmtOptions, args ...any) ([][]any, int64, error) {
	t.Helper()
	rows, err := s.Query(ctx, q, args, opt)
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

func mustExec(t *testing.T, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	_, n, err := all(t, s, bg, q, rw, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func mustInt(t *testing.T, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	rows, _, err := all(t, s, bg, q, ro, args...)
	if err != nil || len(rows) != 1 {
		t.Fatalf("%s: %v (%d rows)", q, err, len(rows))
	}
	n, ok := rows[0][0].(int64)
	if !ok {
		t.Fatalf("%s: got %#v", q, rows[0][0])
	}
	return n
}

func code(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ""
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestValuesThroughEngine(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	args := []any{nil, int64(-1 << 62), 2.5, "naïve ☃", []byte{0, 1, 2, 255}, []byte{}, true, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)}
	rows, _, err := all(t, s, bg, "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, typeof(?8), ?1 IS NULL", ro, args...)
	if err != nil {
		t.Fatal(err)
	}
	// (The engine returns an empty blob as a nil []byte.)
	want := []any{nil, int64(-1 << 62), 2.5, "naïve ☃", []byte{0, 1, 2, 255}, []byte(nil), int64(1), "text", int64(1)}
	if len(rows) != 1 || fmt.Sprintf("%#v", rows[0]) != fmt.Sprintf("%#v", want) {
		t.Fatalf("got %#v, want %#v", rows, want)
	}
	// The local engine gives the same answer.
	local, _, err := all(t, p.local(t), bg, "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, typeof(?8), ?1 IS NULL", ro, args...)
	if err != nil || fmt.Sprintf("%#v", local) != fmt.Sprintf("%#v", rows) {
		t.Fatalf("local: %#v, %v", local, err)
	}
	if s.Database() != sqlite.DefaultDatabase || s.InTx() || s.Broken() {
		t.Fatalf("state: db %q inTx %v broken %v", s.Database(), s.InTx(), s.Broken())
	}
}

func TestDescribeAndColumnType(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	mustExec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at TIMESTAMP)")
	d, err := s.Describe(bg, "SELECT id, name FROM t WHERE id = ?1", ro)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := p.local(t).Describe(bg, "SELECT id, name FROM t WHERE id = ?1", ro)
	if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", want) || len(d.Columns) != 2 || d.Columns[1].TableOID == 0 {
		t.Fatalf("Describe: %+v, want %+v", d, want)
	}
	if _, err := s.Describe(bg, "SELECT nope FROM t", ro); code(err) != "42703" {
		t.Fatalf("Describe of a bad column: %v", err)
	}
	if decl, ok := s.ColumnType(bg, "t", "at"); !ok || decl != "TIMESTAMP" {
		t.Fatalf("ColumnType: %q %v", decl, ok)
	}
	if decl, ok := s.ColumnType(bg, "t", "#2"); !ok || decl != "TEXT" {
		t.Fatalf("ColumnType #2: %q %v", decl, ok)
	}
	if _, ok := s.ColumnType(bg, "t", "missing"); ok {
		t.Fatal("ColumnType of a missing column")
	}
}

// Ten thousand rows arrive in many batches, in order, and a result of big
// values is cut by size rather than count.
func TestManyRows(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	rows, _, err := all(t, s, bg, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000) SELECT x, 'row ' || x FROM c", ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10000 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if r[0] != int64(i+1) || r[1] != fmt.Sprintf("row %d", i+1) {
			t.Fatalf("row %d: %#v", i, r)
		}
	}
	big, _, err := all(t, s, bg, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 40) SELECT x, zeroblob(100000) FROM c", ro)
	if err != nil || len(big) != 40 || len(big[39][1].([]byte)) != 100000 {
		t.Fatalf("big rows: %d, %v", len(big), err)
	}
	if s.nextID < 20+4 {
		t.Fatalf("only %d requests: results were not batched", s.nextID)
	}
	// An INSERT … RETURNING reports both its rows and RowsAffected.
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	ins, n, err := all(t, s, bg, "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1500) SELECT x FROM c RETURNING x", rw)
	if err != nil || len(ins) != 1500 || n != 1500 {
		t.Fatalf("INSERT RETURNING: %d rows, affected %d, %v", len(ins), n, err)
	}
	if n := mustExec(t, s, "UPDATE t SET x = x + 1 WHERE x <= 10"); n != 10 {
		t.Fatalf("UPDATE affected %d", n)
	}
}

// Two results read alternately inside a transaction, plus one closed
// half-way.
func TestInterleavedRows(t *testing.T) {
	p := newPrimary(t, ServerConfig{BatchRows: 7})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	mustExec(t, s, "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100) SELECT x FROM c")
	if err := s.Begin(bg, engine.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (101)")
	abandoned, err := s.Query(bg, "SELECT x FROM t ORDER BY x DESC", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	abandoned.Next(make([]any, 1))
	abandoned.Close()
	a, err := s.Query(bg, "SELECT x FROM t ORDER BY x", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := s.Query(bg, "SELECT x * 10 FROM t ORDER BY x", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	va, vb := make([]any, 1), make([]any, 1)
	for i := int64(1); i <= 101; i++ {
		if err := a.Next(va); err != nil || va[0] != i {
			t.Fatalf("a row %d: %v %v", i, va[0], err)
		}
		if i%3 == 0 {
			continue // b falls behind
		}
		if err := b.Next(vb); err != nil {
			t.Fatalf("b: %v", err)
		}
	}
	if err := a.Next(va); err != io.EOF {
		t.Fatalf("a after the end: %v", err)
	}
	n := 0
	for b.Next(vb) == nil {
		n++
	}
	if vb[0] != int64(1010) || n != 33 {
		t.Fatalf("b ended at %v after %d more", vb[0], n)
	}
	if err := s.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if got := mustInt(t, p.local(t), "SELECT count(*) FROM t"); got != 101 {
		t.Fatalf("count %d", got)
	}
}

func TestTransactionSavepoints(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	if err := s.Begin(bg, engine.TxOptions{}); err != nil || !s.InTx() {
		t.Fatalf("Begin: %v, InTx %v", err, s.InTx())
	}
	mustExec(t, s, "INSERT INTO t VALUES (1)")
	if err := s.Savepoint(bg, "a"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (2)")
	if err := s.Savepoint(bg, "b"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (3)")
	if err := s.RollbackToSavepoint(bg, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.RollbackToSavepoint(bg, "b"); code(err) == "" {
		t.Fatalf("rollback to a savepoint rolled back past: %v", err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (4)")
	if err := s.ReleaseSavepoint(bg, "a"); err != nil {
		t.Fatal(err)
	}
	if got := mustInt(t, s, "SELECT group_concat(x) = '1,4' FROM t"); got != 1 {
		t.Fatal("transaction does not see its own writes")
	}
	if err := s.Commit(bg); err != nil || s.InTx() {
		t.Fatalf("Commit: %v, InTx %v", err, s.InTx())
	}
	if got := mustInt(t, p.local(t), "SELECT sum(x) FROM t"); got != 5 {
		t.Fatalf("committed sum %d, want 5", got)
	}
	// Rollback discards.
	s.Begin(bg, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (100)")
	if err := s.Rollback(bg); err != nil || s.InTx() {
		t.Fatalf("Rollback: %v, InTx %v", err, s.InTx())
	}
	if got := mustInt(t, p.local(t), "SELECT sum(x) FROM t"); got != 5 {
		t.Fatalf("sum after rollback %d", got)
	}
	// Close rolls back an open transaction on the primary.
	s.Begin(bg, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (1000)")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	local := p.local(t)
	mustExec(t, local, "INSERT INTO t VALUES (6)") // the write lock is free
	if got := mustInt(t, local, "SELECT sum(x) FROM t"); got != 11 {
		t.Fatalf("sum after Close %d", got)
	}
	if _, err := s.Query(bg, "SELECT 1", nil, ro); err == nil {
		t.Fatal("Query after Close succeeded")
	}
}

// Errors arrive with the engine's code and text, identical to a local
// session's.
func TestErrorsPreserved(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	local := p.local(t)
	mustExec(t, s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	mustExec(t, s, "INSERT INTO t VALUES (1, 'a')")
	for _, tc := range []struct {
		q, code string
		opt     engine.StmtOptions
	}{
		{"INSERT INTO t VALUES (1, 'b')", "23505", rw},
		{"INSERT INTO t VALUES (2, NULL)", "23502", rw},
		{"SELECT * FROM missing", "42P01", ro},
		{"SELEC 1", "42601", ro},
	} {
		_, _, err := all(t, s, bg, tc.q, tc.opt)
		_, _, lerr := all(t, local, bg, tc.q, tc.opt)
		var got, want *engine.Error
		if !errors.As(err, &got) || !errors.As(lerr, &want) {
			t.Fatalf("%s: %v / %v", tc.q, err, lerr)
		}
		if got.Code != tc.code || got.Code != want.Code || got.Message != want.Message || got.Detail != want.Detail || got.Hint != want.Hint {
			t.Fatalf("%s: got %+v, want %+v (code %s)", tc.q, got, want, tc.code)
		}
	}
	if err := s.Savepoint(bg, "x"); code(err) != "25P01" {
		t.Fatalf("savepoint outside a transaction: %v", err)
	}
	// Failed statements inside a transaction leave it open, as locally.
	s.Begin(bg, engine.TxOptions{})
	if _, _, err := all(t, s, bg, "INSERT INTO t VALUES (1, 'dup')", rw); code(err) != "23505" || !s.InTx() {
		t.Fatalf("in tx: %v, InTx %v", err, s.InTx())
	}
	if err := s.Begin(bg, engine.TxOptions{}); code(err) != "25001" {
		t.Fatalf("nested Begin: %v", err)
	}
	s.Rollback(bg)
	// Opening a missing database fails with the engine's error and closes
	// the connection.
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bg, c, "nope", engine.SessionInfo{}); code(err) != "3D000" {
		t.Fatalf("Open of a missing database: %v", err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("connection left open after a failed Open")
	}
	if s.Broken() {
		t.Fatal("errors broke the session")
	}
}

const slowQuery = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c"

func TestCancel(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// A lost cancel would let the query run for minutes: watch it.
	watchdog := time.AfterFunc(10*time.Second, func() { s.fail(errors.New("watchdog")) })
	_, _, err := all(t, s, ctx, slowQuery, ro)
	watchdog.Stop()
	if code(err) != "57014" {
		t.Fatalf("got %v, want 57014", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if s.Broken() {
		t.Fatal("cancel broke the session")
	}
	if mustInt(t, s, "SELECT 42") != 42 {
		t.Fatal("session unusable after cancel")
	}
	// Cancelling inside a transaction keeps the transaction.
	s.Begin(bg, engine.TxOptions{})
	ctx2, cancel2 := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel2()
	if _, _, err := all(t, s, ctx2, slowQuery, ro); code(err) != "57014" || !s.InTx() {
		t.Fatalf("in tx: %v, InTx %v", err, s.InTx())
	}
	s.Rollback(bg)
	// Cancelling the query's context stops fetching later batches.
	ctx3, cancel3 := context.WithCancel(bg)
	rows, err := s.Query(ctx3, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000) SELECT x FROM c", nil, ro)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]any, 1)
	if err := rows.Next(v); err != nil {
		t.Fatal(err)
	}
	cancel3()
	for err == nil {
		err = rows.Next(v)
	}
	if code(err) != "57014" {
		t.Fatalf("fetch after cancel: %v", err)
	}
	rows.Close()
	if mustInt(t, s, "SELECT 7") != 7 {
		t.Fatal("session unusable after a cancelled fetch")
	}
	// An already-cancelled context fails the call without breaking anything.
	done, cancel4 := context.WithCancel(bg)
	cancel4()
	if _, _, err := all(t, s, done, slowQuery, ro); code(err) != "57014" {
		t.Fatalf("pre-cancelled: %v", err)
	}
	if mustInt(t, s, "SELECT 8") != 8 || s.Broken() {
		t.Fatal("session unusable after a pre-cancelled call")
	}
}

// Losing the primary inside a transaction reports 40001; the primary
// rolls the transaction back and frees its write lock.
func TestConnectionLossInTransaction(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, fast, engine.SessionInfo{User: "u"})
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	if err := s.Begin(bg, engine.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t VALUES (1)")
	p.kill()
	_, _, err := all(t, s, bg, "INSERT INTO t VALUES (2)", rw)
	if code(err) != "40001" || !s.Broken() {
		t.Fatalf("after kill: %v, Broken %v", err, s.Broken())
	}
	// Later calls in the lost transaction say the same; Rollback and Close
	// succeed locally.
	if _, _, err := all(t, s, bg, "SELECT 1", ro); code(err) != "40001" {
		t.Fatalf("second call: %v", err)
	}
	if err := s.Rollback(bg); err != nil || s.InTx() {
		t.Fatalf("Rollback: %v, InTx %v", err, s.InTx())
	}
	if _, _, err := all(t, s, bg, "SELECT 1", ro); code(err) != "08006" {
		t.Fatalf("call outside a transaction after the break: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The primary rolled back: another session can write, and the row is
	// not there.
	local := p.local(t)
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if _, _, err := all(t, local, ctx, "INSERT INTO t VALUES (3)", rw); err != nil {
		t.Fatalf("writing after the lost transaction: %v", err)
	}
	if got := mustInt(t, local, "SELECT sum(x) FROM t"); got != 3 {
		t.Fatalf("sum %d, want 3", got)
	}
}

// proxy relays TCP and can freeze, as a SIGSTOPped primary would: the
// connection stays up but nothing moves.
type proxy struct {
	addr   string
	frozen atomic.Bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	pump := func(dst, src net.Conn) {
		defer conns.Done()
		defer dst.Close()
		defer src.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			for p.frozen.Load() {
				time.Sleep(5 * time.Millisecond)
				if ln.Addr() == nil {
					return
				}
				mu.Lock()
				closed := open == nil
				mu.Unlock()
				if closed {
					return
				}
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, u)
			mu.Unlock()
			conns.Add(2)
			go pump(u, c)
			go pump(c, u)
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		open = nil
		mu.Unlock()
	})
	return p
}

// A frozen primary fails calls after the heartbeat timeout, with the code
// that says what the caller may assume; the primary, no longer pinged,
// drops the session and rolls back, freeing its write lock.
func TestFrozenPrimary(t *testing.T) {
	p := newPrimary(t, ServerConfig{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 500 * time.Millisecond})
	setup := p.local(t)
	mustExec(t, setup, "CREATE TABLE t (x INTEGER)")
	for _, tc := range []struct {
		name   string
		inTx   bool // the session holds the write lock when the primary freezes
		frozen func(s *Session) error
		code   string
	}{
		{"read", false, func(s *Session) error { _, _, err := all(t, s, bg, "SELECT 1", ro); return err }, "08006"},
		{"autocommit write", false, func(s *Session) error { _, _, err := all(t, s, bg, "INSERT INTO t VALUES (1)", rw); return err }, "08007"},
		{"statement in transaction", true, func(s *Session) error { _, _, err := all(t, s, bg, "INSERT INTO t VALUES (2)", rw); return err }, "40001"},
		{"commit", true, func(s *Session) error { return s.Commit(bg) }, "08007"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			px := newProxy(t, p.addr)
			s := p.open(t, px.addr, fast, engine.SessionInfo{User: "u"})
			if tc.inTx {
				s.Begin(bg, engine.TxOptions{})
				mustExec(t, s, "INSERT INTO t VALUES (1000)")
			}
			px.frozen.Store(true)
			start := time.Now()
			err := tc.frozen(s)
			if d := time.Since(start); d > 3*time.Second || d < fast.HeartbeatTimeout {
				t.Fatalf("failed after %v, heartbeat timeout %v", d, fast.HeartbeatTimeout)
			}
			if code(err) != tc.code || !s.Broken() {
				t.Fatalf("got %v (Broken %v), want %s", err, s.Broken(), tc.code)
			}
			// Still frozen: only the primary's own timeout can free the lock.
			local := p.local(t)
			ctx, cancel := context.WithTimeout(bg, 5*time.Second)
			defer cancel()
			if _, _, err := all(t, local, ctx, "INSERT INTO t VALUES (1)", rw); err != nil {
				t.Fatalf("write lock still held: %v", err)
			}
			if err := s.Rollback(bg); err != nil {
				t.Fatalf("Rollback after the break: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close after the break: %v", err)
			}
		})
	}
	if got := mustInt(t, setup, "SELECT count(*) FROM t WHERE x = 1000"); got != 0 {
		t.Fatalf("%d rows of frozen transactions committed", got)
	}
}

// Heartbeats keep a long call alive past the timeout, and pings keep an
// idle session alive on the primary.
func TestHeartbeats(t *testing.T) {
	p := newPrimary(t, ServerConfig{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 400 * time.Millisecond})
	cfg := ClientConfig{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 400 * time.Millisecond}
	s := p.open(t, p.addr, cfg, engine.SessionInfo{User: "u"})
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	// A local transaction holds the write lock for well over the timeout;
	// the forwarded write waits for it.
	local := p.local(t)
	local.Begin(bg, engine.TxOptions{})
	mustExec(t, local, "INSERT INTO t VALUES (1)")
	done := make(chan error, 1)
	go func() { _, _, err := all(t, s, bg, "INSERT INTO t VALUES (2)", rw); done <- err }()
	time.Sleep(1200 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("write finished while the lock was held: %v", err)
	default:
	}
	if err := local.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("long write: %v", err)
	}
	// Idle for several timeouts, inside a transaction.
	s.Begin(bg, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (3)")
	time.Sleep(1200 * time.Millisecond)
	if err := s.Commit(bg); err != nil || s.Broken() {
		t.Fatalf("commit after idling: %v", err)
	}
	if got := mustInt(t, local, "SELECT sum(x) FROM t"); got != 6 {
		t.Fatalf("sum %d", got)
	}
}

func TestPosition(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	s := p.open(t, p.addr, ClientConfig{}, engine.SessionInfo{User: "u"})
	p.pos.Store(41)
	mustInt(t, s, "SELECT 1")
	if got := s.LastPosition(); got != 41 {
		t.Fatalf("LastPosition %d, want 41", got)
	}
	p.pos.Store(40) // reports never move it backwards
	mustInt(t, s, "SELECT 1")
	p.pos.Store(50)
	s.Begin(bg, engine.TxOptions{})
	if got := s.LastPosition(); got != 50 {
		t.Fatalf("LastPosition %d, want 50", got)
	}
	s.Rollback(bg)
}

// Settings are answered by the replica's session, and learned names
// travel with later catalog statements instead of costing round trips.
func TestSettings(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	var app atomic.Value
	app.Store("first")
	info := engine.SessionInfo{User: "u", Settings: func(name string) (string, bool) {
		if name == "application_name" {
			return app.Load().(string), true
		}
		return "", false
	}}
	s := p.open(t, p.addr, ClientConfig{}, info)
	cat := engine.StmtOptions{ReadOnly: true, UsesCatalog: true}
	get := func() string {
		rows, _, err := all(t, s, bg, "SELECT current_setting('application_name')", cat)
		if err != nil || len(rows) != 1 {
			t.Fatalf("current_setting: %v", err)
		}
		return rows[0][0].(string)
	}
	if got := get(); got != "first" {
		t.Fatalf("application_name %q", got)
	}
	if s.asked == 0 {
		t.Fatal("the primary never asked for a setting")
	}
	asked := s.asked
	app.Store("second")
	if got := get(); got != "second" {
		t.Fatalf("application_name after change %q", got)
	}
	if s.asked != asked {
		t.Fatalf("%d more questions for known settings", s.asked-asked)
	}
}

// Sessions forwarded over an authenticated peer connection.
func TestOverPeerTransport(t *testing.T) {
	p := newPrimary(t, ServerConfig{})
	secret, _ := peer.DecodeSecret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	srvT, err := peer.New(peer.Config{NodeID: "primary", ClusterID: "c", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srvT.Handle(peer.KindSession, func(ctx context.Context, c *peer.Conn) { p.srv.ServeConn(ctx, c) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srvT.Serve(ln) }()
	defer func() {
		srvT.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	cliT, err := peer.New(peer.Config{NodeID: "replica", ClusterID: "c", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer cliT.Close()
	c, err := cliT.Dial(bg, ln.Addr().String(), peer.KindSession)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenConfig(bg, c, sqlite.DefaultDatabase, engine.SessionInfo{User: "u"}, fast)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	s.Begin(bg, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (1)")
	if err := s.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if got := mustInt(t, s, "SELECT count(*) FROM t"); got != 1 {
		t.Fatalf("count %d", got)
	}
	// Closing the primary's transport ends the session mid-transaction.
	s.Begin(bg, engine.TxOptions{})
	mustExec(t, s, "INSERT INTO t VALUES (2)")
	srvT.Close()
	if _, _, err := all(t, s, bg, "INSERT INTO t VALUES (3)", rw); code(err) != "40001" {
		t.Fatalf("after the primary's transport closed: %v", err)
	}
	if got := mustInt(t, p.local(t), "SELECT count(*) FROM t"); got != 1 {
		t.Fatalf("count after the lost transaction %d", got)
	}
}
