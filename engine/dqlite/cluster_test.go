package dqlite

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// TestThreeNodes runs one three-node cluster through writes on every node,
// cluster-wide CREATE DATABASE, RETURNING, leadership transfer and the
// loss of the leader.
func TestThreeNodes(t *testing.T) {
	nodes := openCluster(t, 3)
	ctx := context.Background()
	t.Logf("nodes: %s", describeNodes(nodes))
	sessions := make([]engine.Session, len(nodes))
	for i, n := range nodes {
		sessions[i] = newSession(t, n, DefaultDatabase)
	}
	mustExec(t, sessions[0], "CREATE TABLE kv (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v INTEGER)")
	acked := 0 // rows whose insert was acknowledged

	t.Run("WritesThroughEveryNode", func(t *testing.T) {
		for i, s := range sessions {
			// A table created through node 0 is described on every node.
			d, err := s.Describe(ctx, "SELECT k, v FROM kv", ro)
			if err != nil || len(d.Columns) != 2 || d.Columns[0].DeclType != "TEXT" {
				t.Fatalf("node %d describe: %+v %v", i, d, err)
			}
			for j := 0; j < 10; j++ {
				mustExec(t, s, "INSERT INTO kv (k, v) VALUES (?1, ?2)", "n"+string(rune('0'+i))+"-"+string(rune('a'+j)), int64(j))
				acked++
			}
		}
		for i, s := range sessions {
			if got := queryInt(t, s, "SELECT count(*) FROM kv"); got != int64(acked) {
				t.Fatalf("node %d sees %d rows, want %d", i, got, acked)
			}
		}
	})

	t.Run("ConcurrentWritersOnEveryNode", func(t *testing.T) {
		// Writers on different nodes meet at the leader's lock: BUSY is
		// retried, never returned.
		const perNode, each = 4, 40
		var wg sync.WaitGroup
		errs := make(chan error, len(nodes)*perNode)
		start := time.Now()
		for i, n := range nodes {
			for w := 0; w < perNode; w++ {
				s := newSession(t, n, DefaultDatabase)
				wg.Add(1)
				go func(i, w int) {
					defer wg.Done()
					for j := 0; j < each; j++ {
						if _, _, err := run(s, "INSERT INTO kv (k, v) VALUES (?1, ?2)", rw, fmt.Sprintf("c-%d-%d-%d", i, w, j), int64(j)); err != nil {
							errs <- err
							return
						}
					}
				}(i, w)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent write: %v", err)
		}
		acked += len(nodes) * perNode * each
		t.Logf("%d inserts from %d nodes in %v", len(nodes)*perNode*each, len(nodes), time.Since(start).Round(time.Millisecond))
		if got := queryInt(t, sessions[2], "SELECT count(*) FROM kv"); got != int64(acked) {
			t.Fatalf("count = %d, want %d", got, acked)
		}
	})

	t.Run("CreateDatabaseIsClusterWide", func(t *testing.T) {
		if err := nodes[1].CreateDatabase(ctx, "shared"); err != nil {
			t.Fatal(err)
		}
		dbs, err := nodes[2].Databases(ctx)
		if err != nil || !slices.Contains(dbs, "shared") {
			t.Fatalf("node 2 databases: %v %v", dbs, err)
		}
		s2 := newSession(t, nodes[2], "shared")
		mustExec(t, s2, "CREATE TABLE s (x TEXT)")
		mustExec(t, s2, "INSERT INTO s VALUES ('from node 2')")
		s0 := newSession(t, nodes[0], "shared")
		rows := mustQuery(t, s0, "SELECT x FROM s")
		if len(rows) != 1 || rows[0][0] != "from node 2" {
			t.Fatalf("node 0 reads %v", rows)
		}
	})

	t.Run("Returning", func(t *testing.T) {
		s := sessions[1]
		mustExec(t, s, "CREATE TABLE r (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER DEFAULT 7, born DATE)")
		check := func(q string, want [][]any, args ...any) {
			t.Helper()
			rows, n, err := run(s, q, rw, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if !reflect.DeepEqual(rows, want) || n != int64(len(want)) {
				t.Fatalf("%s:\n got %v (%d affected)\nwant %v", q, rows, n, want)
			}
		}
		check("INSERT INTO r (name, born) VALUES (?1, ?2), (?3, NULL) RETURNING id, name, n, born",
			[][]any{{int64(1), "a", int64(7), "2001-02-03"}, {int64(2), "b", int64(7), nil}}, "a", "2001-02-03", "b")
		// Explicit ids out of order come back in insertion order.
		check("INSERT INTO r (id, name) VALUES (10, 'j'), (5, 'e') RETURNING id, upper(name) AS up",
			[][]any{{int64(10), "J"}, {int64(5), "E"}})
		check("INSERT OR IGNORE INTO r (name) VALUES ('a'), ('c') RETURNING name", [][]any{{"c"}})
		check("INSERT INTO r (name) SELECT name || '2' FROM r WHERE id < 3 ORDER BY id RETURNING *",
			[][]any{{int64(12), "a2", int64(7), nil}, {int64(13), "b2", int64(7), nil}})
		check("INSERT INTO r (name) VALUES ('d') ON CONFLICT DO NOTHING RETURNING r.id", [][]any{{int64(14)}})
		check("UPDATE r SET n = n + ?1, id = id + 100 WHERE name IN ('a', 'b') RETURNING id, n", [][]any{{int64(101), int64(8)}, {int64(102), int64(8)}}, int64(1))
		check("DELETE FROM r WHERE id > ?1 RETURNING name", [][]any{{"a"}, {"b"}}, int64(100))
		// Inside a transaction, rolled back with it.
		s.Begin(ctx, engine.TxOptions{})
		check("INSERT INTO r (name) VALUES ('tx') RETURNING name", [][]any{{"tx"}})
		if got := queryInt(t, s, "SELECT count(*) FROM r WHERE name = 'tx'"); got != 1 {
			t.Fatalf("own RETURNING insert invisible: %d", got)
		}
		s.Rollback(ctx)
		before := queryInt(t, s, "SELECT count(*) FROM r")

		// What cannot be done exactly is refused, writing nothing.
		mustExec(t, s, "CREATE TABLE nr (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
		mustExec(t, s, "CREATE TABLE trg (id INTEGER PRIMARY KEY, x)")
		mustExec(t, s, "CREATE TRIGGER trg_t AFTER INSERT ON trg BEGIN UPDATE trg SET x = 1 WHERE id = new.id; END")
		for _, q := range []string{
			"INSERT INTO r (name) VALUES ('a') ON CONFLICT (name) DO UPDATE SET n = 0 RETURNING id",
			"INSERT INTO nr VALUES ('k', 1) RETURNING k",
			"INSERT INTO trg (x) VALUES (0) RETURNING x",
			"INSERT INTO r (name) VALUES ('rnd') RETURNING random()",
			"UPDATE r SET n = 1 RETURNING (SELECT count(*) FROM r)",
		} {
			_, _, err := run(s, q, rw)
			wantCode(t, err, "0A000")
		}
		if got := queryInt(t, s, "SELECT count(*) FROM r WHERE n <> 1"); got != before {
			t.Fatalf("a refused statement wrote: %d rows, want %d", got, before)
		}
		if got := queryInt(t, s, "SELECT (SELECT count(*) FROM nr) + (SELECT count(*) FROM trg)"); got != 0 {
			t.Fatalf("a refused statement wrote %d rows", got)
		}

		// The writes reached the other nodes' copies, not just the leader's:
		// move leadership and read through another node.
		leader := leaderOf(t, nodes)
		var target *Engine
		for _, n := range nodes {
			if n != leader {
				target = n
				break
			}
		}
		if err := leader.Transfer(ctx, target.ID()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "leadership to move", func() bool {
			// Every node's poller must have seen it: a change back within
			// one poll interval would go unnoticed (see leaderWatch).
			for _, n := range nodes {
				if n.lw.leaderAddr() != target.Address() {
					return false
				}
			}
			return true
		})
		reader := newSession(t, nodes[2], DefaultDatabase)
		rows := mustQuery(t, reader, "SELECT id, name FROM r ORDER BY id")
		want := [][]any{{int64(5), "e"}, {int64(10), "j"}, {int64(11), "c"}, {int64(12), "a2"}, {int64(13), "b2"}, {int64(14), "d"}}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("after transfer node 2 reads %v, want %v", rows, want)
		}
	})

	t.Run("TransferLeadership", func(t *testing.T) {
		leader := leaderOf(t, nodes)
		epochs := make([]uint64, len(nodes))
		for i, n := range nodes {
			epochs[i] = n.lw.epoch.Load()
		}
		if err := nodes[0].Transfer(ctx, 0); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "a new leader", func() bool { return leaderOf(t, nodes) != leader })
		for i, n := range nodes {
			// Every node noticed, and ran a barrier before its next read.
			waitFor(t, 10*time.Second, fmt.Sprintf("node %d to notice the leader change", i), func() bool { return n.lw.epoch.Load() > epochs[i] })
			queryInt(t, sessions[i], "SELECT count(*) FROM kv")
			if b, ep := n.lw.barrierd.Load(), n.lw.epoch.Load(); b != ep {
				t.Fatalf("node %d served a read in epoch %d without a barrier (last barrier: epoch %d)", i, ep, b)
			}
		}
		for i, s := range sessions {
			mustExec(t, s, "INSERT INTO kv (k, v) VALUES (?1, 0)", "transfer-"+string(rune('0'+i)))
			acked++
		}
		if got := queryInt(t, sessions[0], "SELECT count(*) FROM kv"); got != int64(acked) {
			t.Fatalf("count = %d, want %d", got, acked)
		}
	})

	t.Run("LeaderDies", func(t *testing.T) {
		leader := leaderOf(t, nodes)
		var alive []*Engine
		var aliveSessions []engine.Session
		for i, n := range nodes {
			if n == leader {
				sessions[i].Close()
				continue
			}
			alive = append(alive, n)
			aliveSessions = append(aliveSessions, sessions[i])
		}
		if err := leader.Stop(ctx, false); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// Writes continue through both survivors once they elect a leader.
		// Until then a write may fail, with a SQLSTATE that says so.
		for i, s := range aliveSessions {
			k := "after-kill-" + string(rune('0'+i))
			waitFor(t, 30*time.Second, "a write to succeed after the leader died", func() bool {
				_, _, err := run(s, "INSERT INTO kv (k, v) VALUES (?1, 1)", rw, k)
				switch code := codeOf(err); code {
				case "":
					return true
				case "57P03", "40001", "08007":
					return false
				case "23505": // an earlier attempt with unknown outcome did commit
					return true
				default:
					t.Fatalf("write after leader loss: %v", err)
				}
				return false
			})
			acked++
		}
		t.Logf("writes resumed %v after the leader died; new leader %v", time.Since(start).Round(time.Millisecond), leaderOf(t, alive).ID())
		// Everything acknowledged before and after is there.
		for i, s := range aliveSessions {
			if got := queryInt(t, s, "SELECT count(*) FROM kv"); got != int64(acked) {
				t.Fatalf("survivor %d sees %d rows, want %d", i, got, acked)
			}
		}
		// A graceful stop hands leadership over first.
		for _, s := range aliveSessions {
			s.Close()
		}
		l := leaderOf(t, alive)
		if err := l.Close(); err != nil {
			t.Fatalf("closing the leader: %v", err)
		}
	})
}
