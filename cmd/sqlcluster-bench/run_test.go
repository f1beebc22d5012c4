package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// needPostgres skips end-to-end tests where a real PostgreSQL 15 cannot be
// run: -short, no binaries, or not root and so no way to pick a non-root
// user (as a non-root user the harness runs postgres as itself; fine too).
func needPostgres(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end benchmark run; skipped with -short")
	}
	bin := "/usr/lib/postgresql/15/bin"
	for _, p := range []string{"initdb", "postgres", "psql", "pgbench"} {
		if _, err := os.Stat(filepath.Join(bin, p)); err != nil {
			t.Skipf("PostgreSQL 15 binaries missing: %v", err)
		}
	}
	return bin
}

// assertEmpty checks that a run left nothing in its temp base.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
	}
}

// fakeDyingSqlclusterd writes a sqlclusterd stand-in that exits at startup
// with "cannot open data dir" on stderr, for the error paths.
func fakeDyingSqlclusterd(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	fake := filepath.Join(t.TempDir(), "sqlclusterd")
	script := "#!/bin/sh\necho 'cannot open data dir' >&2\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return fake
}

// assertStdoutMatches fails for every regular expression out does not
// match.
func assertStdoutMatches(t *testing.T, out string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stdout does not match %s:\n%s", re, out)
		}
	}
}

// TestRunBothSidesAgainstPostgres drives the whole harness, with a second
// PostgreSQL standing in for sqlclusterd: startup, schema load, pgbench,
// parsing, ratio, JSON and cleanup.
func TestRunBothSidesAgainstPostgres(t *testing.T) {
	bin := needPostgres(t)
	// Not t.TempDir(): its parent is private to root, and PostgreSQL runs
	// as the sqlbench user, which must be able to reach its data dir.
	tmp, err := os.MkdirTemp("", "sqlcluster-bench-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-bench-dir", "../../bench", "-pg-bin", bin, "-tmp-dir", tmp,
		"-duration", "1s", "-clients", "2", "-workloads", "point_select,tpcb",
		"-json", jsonPath, "-x-sqlcluster-as-postgres",
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	pointRow := regexp.MustCompile(`(?m)^\| point SELECT by primary key \| [0-9]+ \| [0-9]+ \| [0-9.]+× \| ≥1\.0× (met|\*\*MISSED\*\*) \|$`)
	if !pointRow.MatchString(stdout.String()) {
		t.Errorf("no complete point-select row:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), "autocommit INSERT") {
		t.Errorf("unselected workload in table:\n%s", stdout.String())
	}

	var rep struct {
		Results []row `json:"results"`
	}
	readJSON(t, jsonPath, &rep)
	for _, r := range rep.Results {
		if r.Postgres.Status != statusOK || r.Sqlcluster.Status != statusOK || r.Postgres.TPS <= 0 || r.Ratio == nil {
			t.Errorf("row %+v", r)
		}
	}
	assertEmpty(t, tmp)
}

// TestRunServerThatDies checks that a sqlclusterd that exits at startup is
// reported in every cell of its column and leaves nothing behind.
func TestRunServerThatDies(t *testing.T) {
	tmp := t.TempDir()
	fake := fakeDyingSqlclusterd(t)
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-bench-dir", "../../bench", "-tmp-dir", tmp, "-only", "sqlcluster",
		"-sqlclusterd-bin", fake, "-quick",
	}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(stdout.String(), "ERROR (sqlclusterd: server exited during startup"); n != 3 {
		t.Errorf("%d error cells, want 3:\n%s", n, stdout.String())
	}
	if !strings.Contains(stderr.String(), "cannot open data dir") {
		t.Errorf("server log tail not shown:\n%s", stderr.String())
	}
	assertEmpty(t, tmp)
}

// TestRunStreamServerThatDies checks the stream section's error path: a
// sqlclusterd that exits at startup yields an error in every stream row,
// its log tail on stderr, exit status 1 and nothing left behind.
func TestRunStreamServerThatDies(t *testing.T) {
	tmp := t.TempDir()
	fake := fakeDyingSqlclusterd(t)
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-bench-dir", "../../bench", "-tmp-dir", tmp, "-only", "stream",
		"-sqlclusterd-bin", fake, "-quick", "-json", jsonPath,
	}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	out := stdout.String()
	assertStdoutMatches(t, out,
		`(?m)^\| INSERT TPS, single mode \(baseline\) \| ERROR \(sqlclusterd: server exited during startup`,
		`(?m)^\| INSERT TPS, 3 nodes, --sync-replicas 0 \| ERROR \(node n1: server exited during startup.* \| — \| ≥0\.8× \|$`,
		`(?m)^\| INSERT TPS, 3 nodes, --sync-replicas quorum \| ERROR \(node n1: `,
		`(?m)^\| replication lag p99, quorum run \| ERROR \(node n1: .* \| — \| <20 ms \|$`,
		`(?m)^\| failover \(kill -9 primary → INSERT ok\), max of 3 \| ERROR \(node n1: .* \| — \| <3 s \|$`,
	)
	if strings.Contains(out, "| workload |") {
		t.Errorf("-only stream printed the main table:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "cannot open data dir") {
		t.Errorf("server log tail not shown:\n%s", stderr.String())
	}
	var rep struct {
		Results []row          `json:"results"`
		Cluster *clusterReport `json:"cluster"`
	}
	b := readJSON(t, jsonPath, &rep)
	if len(rep.Results) != 0 || rep.Cluster == nil || rep.Cluster.Quorum.Insert.Status != statusError || rep.Cluster.Failover.Status != statusError {
		t.Errorf("json: %s", b)
	}
	assertEmpty(t, tmp)
}

// TestRunStreamSection runs the stream section for real, briefly: a
// single-mode server and two 3-node clusters built from this repository,
// pgbench against the primary, the lag histogram and one failover. Targets
// may be missed (the machine decides); every figure must be present.
func TestRunStreamSection(t *testing.T) {
	bin := needPostgres(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain to build sqlclusterd")
	}
	tmp := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-repo", "../..", "-bench-dir", "../../bench", "-pg-bin", bin, "-tmp-dir", tmp,
		"-only", "stream", "-duration", "1s", "-clients", "2", "-failovers", "1", "-json", jsonPath,
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	assertStdoutMatches(t, out,
		`(?m)^\| INSERT TPS, single mode \(baseline\) \| [0-9]+ \| — \| — \|$`,
		`(?m)^\| INSERT TPS, 3 nodes, --sync-replicas 0 \| [0-9]+ \| [0-9.]+× \| ≥0\.8× (met|\*\*MISSED\*\*) \|$`,
		`(?m)^\| INSERT TPS, 3 nodes, --sync-replicas quorum \| [0-9]+ \| [0-9.]+× \| ≥0\.5× (met|\*\*MISSED\*\*) \|$`,
		`(?m)^\| replication lag p50, quorum run \| >?\s?[0-9.]+ ms \| — \| — \|$`,
		`(?m)^\| replication lag p99, quorum run \| >?\s?[0-9.]+ ms \| — \| <20 ms (met|\*\*MISSED\*\*) \|$`,
		`(?m)^\| failover \(kill -9 primary → INSERT ok\), max of 1 \| [0-9.]+ s \| — \| <3 s (met|\*\*MISSED\*\*) \|$`,
	)
	var rep struct {
		Cluster *clusterReport `json:"cluster"`
	}
	b := readJSON(t, jsonPath, &rep)
	c := rep.Cluster
	if c == nil || c.Quorum.Lag.Observations <= 0 || len(c.Failover.Runs) != 1 || c.Failover.Runs[0].Seconds <= 0 {
		t.Fatalf("json: %s", b)
	}
	// The failover really replaced the primary.
	if r := c.Failover.Runs[0]; r.NewPrimary == "" || r.NewPrimary == r.Killed {
		t.Errorf("failover run %+v", r)
	}
	assertEmpty(t, tmp)
}

// TestRunRaftServerThatDies checks the raft section's error path: a
// sqlclusterd that exits at startup yields an error in every pg-wire cell
// and no ratio, the go-dqlite baseline still runs, the exit status is 1 and
// nothing is left behind.
func TestRunRaftServerThatDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dqlite cluster; skipped with -short")
	}
	fake := fakeDyingSqlclusterd(t)
	isolateDqliteSockets(t)
	tmp := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-bench-dir", "../../bench", "-tmp-dir", tmp, "-only", "raft",
		"-sqlclusterd-bin", fake, "-duration", "1s", "-json", jsonPath,
	}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	out := stdout.String()
	assertStdoutMatches(t, out,
		`(?m)^\| 1 client \| ERROR \(node n1: server exited during startup.* \| [0-9]+ \| — \| ≥0\.9× \|$`,
		`(?m)^\| 8 clients \| ERROR \(node n1: .* \| [0-9]+ \| — \| — \|$`,
		`(?m)^\| 8 clients / 1 client \| — \| [0-9.]+× \| — \| pg wire ≥1\.0× \|$`,
		`(?m)^- insert through the go-dqlite driver, 8 goroutines: [0-9.]+ tps, [0-9]+ INSERTs, [0-9]+ "database is locked" retries`,
	)
	for _, unwanted := range []string{"| workload |", "| stream mode |"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("-only raft printed %q:\n%s", unwanted, out)
		}
	}
	if !strings.Contains(stderr.String(), "cannot open data dir") {
		t.Errorf("server log tail not shown:\n%s", stderr.String())
	}
	var rep struct {
		Results []row       `json:"results"`
		Raft    *raftReport `json:"raft"`
	}
	b := readJSON(t, jsonPath, &rep)
	if len(rep.Results) != 0 || rep.Raft == nil || rep.Raft.Loads[0].PGWire.Status != statusError ||
		rep.Raft.Loads[1].Driver.Status != statusOK || rep.Raft.WireVsDriver.Ratio != nil {
		t.Errorf("json: %s", b)
	}
	assertEmpty(t, tmp)
}

// TestRunRaftSection runs the raft section for real, briefly: a 3-node
// raft cluster built from this repository with pgbench against the leader,
// then the in-process go-dqlite baseline. Targets may be missed (the
// machine decides); every figure must be present.
//
// It runs the harness on a copy of the scripts whose INSERT writes a
// literal timestamp: raft mode cannot evaluate CURRENT_TIMESTAMP yet (the
// translator turns it into now(), which dqlite's SQLite lacks), and this
// test is about the harness, not the dialect; the real run reports that
// failure in the pg-wire cells.
func TestRunRaftSection(t *testing.T) {
	bin := needPostgres(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain to build sqlclusterd")
	}
	isolateDqliteSockets(t)
	benchDir := t.TempDir()
	for _, f := range []string{"setup.sql", "point_select.sql", "tpcb.sql", "insert.sql"} {
		b, err := os.ReadFile(filepath.Join("../../bench", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "insert.sql" {
			b = []byte(strings.Replace(string(b), "CURRENT_TIMESTAMP", "'2024-01-01 00:00:00'", 1))
		}
		if err := os.WriteFile(filepath.Join(benchDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"-repo", "../..", "-bench-dir", benchDir, "-pg-bin", bin, "-tmp-dir", tmp,
		"-only", "raft", "-duration", "1s", "-json", jsonPath,
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	assertStdoutMatches(t, out,
		`pgbench against the leader \(n[123]\)`,
		`(?m)^\| 1 client \| [0-9]+ \| [0-9]+ \| [0-9.]+× \| ≥0\.9× (met|\*\*MISSED\*\*) \|$`,
		`(?m)^\| 8 clients \| [0-9]+ \| [0-9]+ \| [0-9.]+× \| — \|$`,
		`(?m)^\| 8 clients / 1 client \| [0-9.]+× \| [0-9.]+× \| — \| pg wire ≥1\.0× (met|\*\*MISSED\*\*) \|$`,
		`(?m)^- insert through the pg wire, pgbench -c 8 -j 2: [0-9.]+ tps, [0-9]+ transactions`,
	)
	var rep struct {
		Raft *raftReport `json:"raft"`
	}
	b := readJSON(t, jsonPath, &rep)
	if r := rep.Raft; r == nil || r.Leader == "" || r.WireVsDriver.Ratio == nil || r.Scaling.Ratio == nil || len(r.Notes) != 0 {
		t.Fatalf("json: %s", b)
	}
	assertEmpty(t, tmp)
}
