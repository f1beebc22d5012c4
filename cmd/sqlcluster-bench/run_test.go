package main

import (
	"context"
	"encoding/json"
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

	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []row `json:"results"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
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
	fake := filepath.Join(t.TempDir(), "sqlclusterd")
	script := "#!/bin/sh\necho 'cannot open data dir' >&2\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
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
