package dqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dqdriver "github.com/canonical/go-dqlite/driver"
)

// BenchmarkAutocommitInsert measures autocommit INSERTs on a three-node
// in-process cluster, with 1 and 8 concurrent clients, through the Engine
// and through go-dqlite's own database/sql driver (app.Open), which is the
// baseline. Each configuration runs for DQLITE_BENCH_SECONDS (default 2);
// run it once:
//
//	go test -run '^$' -bench AutocommitInsert -benchtime 1x ./engine/dqlite/
func BenchmarkAutocommitInsert(b *testing.B) {
	d := 2 * time.Second
	if s := os.Getenv("DQLITE_BENCH_SECONDS"); s != "" {
		if v, err := time.ParseDuration(s + "s"); err == nil {
			d = v
		}
	}
	nodes := openCluster(b, 3)
	e := nodes[0] // a follower or the leader; statements go to the leader either way
	ctx := context.Background()
	type result struct {
		tps   float64
		extra string
	}
	results := map[string]result{}
	for _, clients := range []int{1, 8} {
		// Through the Engine.
		setup := newSession(b, e, DefaultDatabase)
		table := fmt.Sprintf("bench_engine_%d", clients)
		mustExec(b, setup, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, client INTEGER, v TEXT)")
		before := e.Stats()
		var ops atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(d)
		start := time.Now()
		for c := 0; c < clients; c++ {
			s := newSession(b, e, DefaultDatabase)
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if _, _, err := run(s, "INSERT INTO "+table+" (client, v) VALUES (?1, ?2)", rw, int64(c), "payload"); err != nil {
						b.Errorf("engine insert: %v", err)
						return
					}
					ops.Add(1)
				}
			}(c)
		}
		wg.Wait()
		el := time.Since(start)
		after := e.Stats()
		commits := after.Commits - before.Commits
		results[fmt.Sprintf("engine/%d", clients)] = result{float64(ops.Load()) / el.Seconds(),
			fmt.Sprintf("%d commits for %d inserts", commits, ops.Load())}

		// Through go-dqlite's driver.
		db, err := e.app.Open(ctx, fmt.Sprintf("bench_raw_%d", clients))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, client INTEGER, v TEXT)"); err != nil {
			b.Fatal(err)
		}
		var rawOps, busy atomic.Int64
		deadline = time.Now().Add(d)
		start = time.Now()
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for time.Now().Before(deadline) {
					_, err := db.ExecContext(ctx, "INSERT INTO t (client, v) VALUES (?, ?)", int64(c), "payload")
					var de dqdriver.Error
					if errors.As(err, &de) && de.Code&0xff == codeBusy {
						busy.Add(1) // go-dqlite leaves retrying to the caller
						continue
					}
					if err != nil {
						b.Errorf("driver insert: %v", err)
						return
					}
					rawOps.Add(1)
				}
			}(c)
		}
		wg.Wait()
		el = time.Since(start)
		db.Close()
		results[fmt.Sprintf("go-dqlite/%d", clients)] = result{float64(rawOps.Load()) / el.Seconds(),
			fmt.Sprintf("%d busy retries", busy.Load())}
	}
	b.Logf("autocommit INSERT, 3 nodes on loopback, %v per run:", d)
	for _, clients := range []int{1, 8} {
		en := results[fmt.Sprintf("engine/%d", clients)]
		raw := results[fmt.Sprintf("go-dqlite/%d", clients)]
		b.Logf("  %d client(s): engine %6.0f tx/s (%s) | go-dqlite driver %6.0f tx/s (%s) | ratio %.2f",
			clients, en.tps, en.extra, raw.tps, raw.extra, en.tps/raw.tps)
		b.ReportMetric(en.tps, fmt.Sprintf("engine-%dc-tx/s", clients))
		b.ReportMetric(raw.tps, fmt.Sprintf("driver-%dc-tx/s", clients))
		b.ReportMetric(en.tps/raw.tps, fmt.Sprintf("ratio-%dc", clients))
	}
}
