package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePgbenchOK(t *testing.T) {
	r := parsePgbench(readFixture(t, "pgbench-ok.txt"))
	if !r.HaveTPS || r.TPS != 2923.175024 {
		t.Errorf("tps = %v (have %v), want 2923.175024", r.TPS, r.HaveTPS)
	}
	if r.Processed != 2911 || r.Failed != 0 || r.Retried != 0 {
		t.Errorf("processed/failed/retried = %d/%d/%d, want 2911/0/0", r.Processed, r.Failed, r.Retried)
	}
	if r.LatencyMS != 0.684 {
		t.Errorf("latency = %v, want 0.684", r.LatencyMS)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors = %q, want none", r.Errors)
	}
	c := classify(r, nil)
	if c.Status != statusOK || c.TPS != r.TPS {
		t.Errorf("classify = %+v, want ok with tps", c)
	}
}

func TestParsePgbenchFailedTransactions(t *testing.T) {
	r := parsePgbench(readFixture(t, "pgbench-failed.txt"))
	if r.Processed != 1811 || r.Failed != 2046 || r.Retried != 2435 {
		t.Errorf("processed/failed/retried = %d/%d/%d, want 1811/2046/2435", r.Processed, r.Failed, r.Retried)
	}
	// "latency average = 1.024 ms (including failures)"
	if r.LatencyMS != 1.024 {
		t.Errorf("latency = %v, want 1.024", r.LatencyMS)
	}
	// pgbench exits 0 and prints a tps line, but the cell must not be a TPS.
	c := classify(r, nil)
	if c.Status != statusFailed || c.TPS != 0 {
		t.Fatalf("classify = %+v, want failed without tps", c)
	}
	if !strings.Contains(c.Error, "2046 of 3857") {
		t.Errorf("error = %q, want failed/total counts", c.Error)
	}
}

func TestParsePgbenchAborted(t *testing.T) {
	r := parsePgbench(readFixture(t, "pgbench-aborted.txt"))
	if len(r.Errors) != 5 {
		t.Fatalf("errors = %q, want 5 error lines", r.Errors)
	}
	if !strings.Contains(r.Errors[0], `relation "pgbench_accounts_missing" does not exist`) {
		t.Errorf("first error = %q", r.Errors[0])
	}
	// With the real exit status (2), the first server error is reported.
	exitErr := exitError(t, 2)
	c := classify(r, exitErr)
	if c.Status != statusError || !strings.Contains(c.Error, "pgbench_accounts_missing") || !strings.Contains(c.Error, "+4 more") {
		t.Errorf("classify = %+v", c)
	}
	// Error lines alone, whatever the exit status, are enough to refuse a TPS.
	if c := classify(r, nil); c.Status != statusError {
		t.Errorf("classify without exit error = %+v, want error", c)
	}
}

func TestClassifyNoTPSLine(t *testing.T) {
	c := classify(parsePgbench([]byte("pgbench (15.18)\nnumber of transactions actually processed: 10\n")), nil)
	if c.Status != statusError || !strings.Contains(c.Error, "no tps") {
		t.Errorf("classify = %+v, want error about missing tps", c)
	}
}

func TestClassifyTimeout(t *testing.T) {
	// A non-exit error (timeout, kill) wins over any parsed figures.
	r := parsePgbench(readFixture(t, "pgbench-ok.txt"))
	c := classify(r, errors.New("pgbench did not finish"))
	if c.Status != statusError || c.Error != "pgbench did not finish" || c.TPS != 0 {
		t.Errorf("classify = %+v", c)
	}
}

func TestPgbenchArgs(t *testing.T) {
	cfg := config{protocol: "prepared", clients: 8, threads: 2, duration: 15e9, maxTries: 10, benchDir: "/b"}
	got := strings.Join(pgbenchArgs(cfg, allWorkloads[0]), " ")
	want := "-n -M prepared -c 8 -j 2 -T 15 --max-tries=10 -f /b/point_select.sql"
	if got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
}

// exitError produces a real *exec.ExitError with the given status.
func exitError(t *testing.T, code int) error {
	t.Helper()
	err := exec.Command("sh", "-c", "exit "+strconv.Itoa(code)).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("want ExitError, got %v", err)
	}
	return err
}
