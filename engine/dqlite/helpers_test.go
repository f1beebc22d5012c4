package dqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

var (
	rw = engine.StmtOptions{}
	ro = engine.StmtOptions{ReadOnly: true}
)

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testLogger() *slog.Logger {
	if os.Getenv("DQLITE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func testConfig(t testing.TB, cluster ...string) Config {
	return Config{
		DataDir:            t.TempDir(),
		Address:            freeAddr(t),
		Cluster:            cluster,
		Logger:             testLogger(),
		NetworkLatency:     5 * time.Millisecond,
		LeaderPollInterval: 50 * time.Millisecond,
		LeaderTimeout:      15 * time.Second,
	}
}

func openNode(t testing.TB, cfg Config) *Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("opening node %s: %v", cfg.Address, err)
	}
	t.Cleanup(func() { e.Stop(context.Background(), false) })
	return e
}

// openCluster starts n nodes, the first bootstrapping, and waits until
// all of them vote (n ≤ 3) so that any one can fail.
func openCluster(t testing.TB, n int) []*Engine {
	t.Helper()
	return openClusterWith(t, n, nil)
}

// openClusterWith is openCluster with every node's Config adjusted by
// tune (if not nil) before it starts.
func openClusterWith(t testing.TB, n int, tune func(*Config)) []*Engine {
	t.Helper()
	config := func(cluster ...string) Config {
		cfg := testConfig(t, cluster...)
		if tune != nil {
			tune(&cfg)
		}
		return cfg
	}
	first := openNode(t, config())
	nodes := []*Engine{first}
	for i := 1; i < n; i++ {
		nodes = append(nodes, openNode(t, config(first.Address())))
	}
	waitFor(t, 30*time.Second, "all nodes voting", func() bool {
		members, err := first.Cluster(context.Background())
		if err != nil || len(members) != n {
			return false
		}
		for _, m := range members {
			if m.Role != Voter {
				return false
			}
		}
		return true
	})
	return nodes
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newSession(t testing.TB, e *Engine, db string) engine.Session {
	t.Helper()
	s, err := e.Open(context.Background(), db, engine.SessionInfo{User: "test"})
	if err != nil {
		t.Fatalf("opening session on %s: %v", db, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// run executes a statement and returns its rows and affected count.
func run(s engine.Session, q string, opt engine.StmtOptions, args ...any) ([][]any, int64, error) {
	rows, err := s.Query(context.Background(), q, args, opt)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out [][]any
	for {
		row := make([]any, len(rows.Columns()))
		if err := rows.Next(row); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return out, 0, err
		}
		out = append(out, row)
	}
	return out, rows.RowsAffected(), nil
}

func mustExec(t testing.TB, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	_, n, err := run(s, q, rw, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func mustQuery(t testing.TB, s engine.Session, q string, args ...any) [][]any {
	t.Helper()
	rows, _, err := run(s, q, ro, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func queryInt(t testing.TB, s engine.Session, q string, args ...any) int64 {
	t.Helper()
	rows := mustQuery(t, s, q, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: want one value, got %v", q, rows)
	}
	n, ok := rows[0][0].(int64)
	if !ok {
		t.Fatalf("%s: want an integer, got %T %v", q, rows[0][0], rows[0][0])
	}
	return n
}

// sqlstate returns err's SQLSTATE, or "" if it has none.
func codeOf(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ""
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := codeOf(err); got != code {
		t.Fatalf("want SQLSTATE %s, got %q (%v)", code, got, err)
	}
}

// leaderOf returns the engine of the current leader among nodes.
func leaderOf(t testing.TB, nodes []*Engine) *Engine {
	t.Helper()
	var leader *Engine
	waitFor(t, 30*time.Second, "a leader", func() bool {
		for _, n := range nodes {
			if n.isClosed() {
				continue
			}
			id, _, err := n.Leader(context.Background())
			if err != nil || id == 0 {
				continue
			}
			for _, m := range nodes {
				if !m.isClosed() && m.ID() == id {
					leader = m
					return true
				}
			}
		}
		return false
	})
	return leader
}

func describeNodes(nodes []*Engine) string {
	s := ""
	for _, n := range nodes {
		s += fmt.Sprintf("[%d %s] ", n.ID(), n.Address())
	}
	return s
}
