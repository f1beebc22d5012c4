package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dqdriver "github.com/canonical/go-dqlite/driver"
)

// isolateDqliteSockets gives this test's dqlite nodes (in process and in
// child sqlclusterd processes, which inherit the environment) abstract
// socket names of their own. With TLS, go-dqlite binds each node to
// "@dqlite-<id>", and the bootstrap node's id is a constant, so two raft
// clusters on one host (this test and another package's, under
// go test ./...) would collide; go-dqlite inserts SNAP_INSTANCE_NAME into
// the name.
func isolateDqliteSockets(t *testing.T) {
	t.Setenv("SNAP_INSTANCE_NAME", fmt.Sprintf("sqlbench-test-%d", os.Getpid()))
}

func TestIsLocked(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{dqdriver.Error{Code: 5, Message: "database is locked"}, true},
		{fmt.Errorf("insert: %w", dqdriver.Error{Code: 5, Message: "database is locked"}), true},
		{dqdriver.Error{Code: 5 | 1<<8}, true}, // BUSY_RECOVERY
		{dqdriver.Error{Code: 6, Message: "database table is locked"}, true},
		{dqdriver.Error{Code: 1, Message: "no such table: pgbench_history"}, false},
		{dqdriver.Error{Code: 19, Message: "constraint failed"}, false},
		{context.DeadlineExceeded, false},
	} {
		if got := isLocked(tc.err); got != tc.want {
			t.Errorf("isLocked(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// The driver workload must insert what bench/insert.sql inserts.
func TestDriverInsertMatchesScript(t *testing.T) {
	b, err := os.ReadFile("../../bench/insert.sql")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	cols := regexp.MustCompile(`INSERT INTO pgbench_history \(([^)]*)\) VALUES \(([^)]*)\)`)
	sm, dm := cols.FindStringSubmatch(script), cols.FindStringSubmatch(driverInsert)
	if sm == nil || dm == nil {
		t.Fatalf("no INSERT in script (%v) or driver statement (%v)", sm, dm)
	}
	if sm[1] != dm[1] {
		t.Errorf("columns: script %q, driver %q", sm[1], dm[1])
	}
	if !strings.HasSuffix(sm[2], "CURRENT_TIMESTAMP") || !strings.HasSuffix(dm[2], "CURRENT_TIMESTAMP") {
		t.Errorf("mtime: script %q, driver %q", sm[2], dm[2])
	}
	for _, set := range []string{`\set aid random(1, 100000)`, `\set bid 1`, `\set tid random(1, 10)`, `\set delta random(-5000, 5000)`} {
		if !strings.Contains(script, set) {
			t.Errorf("insert.sql no longer has %q; update driverArgs", set)
		}
	}
	// driverArgs order is the column order: tid, bid, aid, delta.
	lo, hi := []int{1, 1, 1, -5000}, []int{10, 1, 100000, 5000}
	seenLo, seenHi := make([]bool, 4), make([]bool, 4)
	for range 20000 {
		for i, v := range driverArgs() {
			n := v.(int)
			if n < lo[i] || n > hi[i] {
				t.Fatalf("arg %d = %d outside [%d, %d]", i, n, lo[i], hi[i])
			}
			seenLo[i] = seenLo[i] || n == lo[i]
			seenHi[i] = seenHi[i] || n == hi[i]
		}
	}
	// The small ranges are drawn inclusively at both ends.
	for _, i := range []int{0, 1} {
		if !seenLo[i] || !seenHi[i] {
			t.Errorf("arg %d never reached %d or %d", i, lo[i], hi[i])
		}
	}
}

// TestDriverInsertsOnRawCluster runs the baseline for real, briefly: three
// in-process go-dqlite nodes, the workload with 1 and 4 goroutines, and
// checks that every INSERT it counted is in the table, and that closing
// leaves nothing behind.
func TestDriverInsertsOnRawCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dqlite cluster; skipped with -short")
	}
	isolateDqliteSockets(t)
	tmp := t.TempDir()
	cfg := testConfig()
	cfg.tmpBase = tmp
	ctx := context.Background()
	rc, err := startRawCluster(ctx, cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if rc != nil {
			rc.close()
		}
	}()
	db, err := rc.openBench(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, clients := range []int{1, 4} {
		c := driverInserts(ctx, db, clients, 500*time.Millisecond)
		if c.Status != statusOK || c.TPS <= 0 || c.Processed <= 0 || c.LatencyMS <= 0 {
			t.Fatalf("%d clients: %+v", clients, c)
		}
		if clients == 1 && c.Retried != 0 {
			t.Errorf("a single client retried %d times: nobody else holds the lock", c.Retried)
		}
		// TPS over about the run's duration, not over some other span.
		if secs := float64(c.Processed) / c.TPS; secs < 0.45 || secs > 1 {
			t.Errorf("%d clients: %d INSERTs at %.1f tps means a %.2f s run, want about 0.5 s", clients, c.Processed, c.TPS, secs)
		}
		total += c.Processed
	}
	var rows int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pgbench_history WHERE bid = 1 AND mtime IS NOT NULL").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != total {
		t.Errorf("pgbench_history holds %d rows, the workload counted %d", rows, total)
	}

	// An interrupted run is reported as such, not as a figure.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if c := driverInserts(cctx, db, 2, time.Second); c.Status != statusSkipped {
		t.Errorf("cancelled run = %+v, want skipped", c)
	}

	db.Close()
	err = rc.close()
	rc = nil
	if err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, tmp)
}
