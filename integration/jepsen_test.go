package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The Jepsen-style fault suite: a workload runs through pgx against a
// three- or five-node cluster (stream or raft mode, each node in its own
// network namespace) while the nemesis (jepsen_faults_test.go) injects a
// fault; then the cluster is healed, dead nodes restarted, convergence
// awaited (identical rows and integrity_check on every node) and the
// workload's checker run. In stream mode every node also keeps a record of
// the (epoch, txid) of each transaction it logged, and two different
// transactions at one position fail the run. A failing run keeps its
// history, commit records, node logs and data directories in a folder that
// is printed and not removed.
//
// Environment (the CI profile needs none):
//
//	SQLCLUSTER_JEPSEN_REPEAT     runs of every cell (default 1)
//	SQLCLUSTER_JEPSEN_DURATION   workload time per run (default 8s)
//	SQLCLUSTER_JEPSEN_FAULTS     default none,kill,partition; "all" = every fault of the nemesis
//	SQLCLUSTER_JEPSEN_MODES      default stream,raft
//	SQLCLUSTER_JEPSEN_NODES      cluster sizes, default 3 (e.g. 3,5)
//	SQLCLUSTER_JEPSEN_WORKLOADS  default register,set,bank
//	SQLCLUSTER_JEPSEN_SUMMARY    file for the summary table (default: a temp file)
//	SQLCLUSTER_JEPSEN_KEEP       if set, passing runs keep their folder too

type jepsenWorkload interface {
	name() string
	setup(ctx context.Context, conn *pgx.Conn) error
	convergeQuery() string
	run(ctx context.Context, c *testCluster, h *history)
	// check returns the anomalies found; dir creates (once) and returns
	// the folder kept for a failing run.
	check(ctx context.Context, c *testCluster, dir func() string) []string
}

func newJepsenWorkload(name string) jepsenWorkload {
	switch name {
	case "register":
		return &registerWorkload{}
	case "set":
		return &setWorkload{}
	case "bank":
		return &bankWorkload{}
	}
	return nil
}

// jepsenRun describes one run: a cell and its settings.
type jepsenRun struct {
	mode     string
	nodes    int // cluster size, default 3
	fault    string
	workload jepsenWorkload
	duration time.Duration
	env      []string // e.g. a seeded bug
	args     []string // extra server flags, e.g. --sync-replicas 0
	// faultTarget picks the victim; nil means the primary/leader.
	faultTarget func(c *testCluster) *clusterNode
	// onStart runs once the cluster has a primary, before the workload.
	onStart func(c *testCluster)
}

// jepsenResult is what one run found.
type jepsenResult struct {
	anomalies []string
	kept      string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func TestJepsen(t *testing.T) {
	if testing.Short() {
		t.Skip("fault suite skipped in -short mode")
	}
	repeat, err := strconv.Atoi(envOr("SQLCLUSTER_JEPSEN_REPEAT", "1"))
	if err != nil || repeat < 1 {
		t.Fatalf("SQLCLUSTER_JEPSEN_REPEAT=%q", os.Getenv("SQLCLUSTER_JEPSEN_REPEAT"))
	}
	duration, err := time.ParseDuration(envOr("SQLCLUSTER_JEPSEN_DURATION", "8s"))
	if err != nil {
		t.Fatalf("SQLCLUSTER_JEPSEN_DURATION: %v", err)
	}
	modes := strings.Split(envOr("SQLCLUSTER_JEPSEN_MODES", "stream,raft"), ",")
	faults := strings.Split(envOr("SQLCLUSTER_JEPSEN_FAULTS", "none,kill,partition"), ",")
	if len(faults) == 1 && faults[0] == "all" {
		faults = jepsenFaults
	}
	for _, f := range faults {
		if !slices.Contains(jepsenFaults, f) {
			t.Fatalf("SQLCLUSTER_JEPSEN_FAULTS: unknown fault %q (known: %s, or all)", f, strings.Join(jepsenFaults, ","))
		}
	}
	var sizes []int
	for _, s := range strings.Split(envOr("SQLCLUSTER_JEPSEN_NODES", "3"), ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 3 || n > 7 {
			t.Fatalf("SQLCLUSTER_JEPSEN_NODES: %q is not a cluster size from 3 to 7", s)
		}
		sizes = append(sizes, n)
	}
	workloads := strings.Split(envOr("SQLCLUSTER_JEPSEN_WORKLOADS", "register,set,bank"), ",")

	type tally struct {
		runs, passed, anomalies int
		first                   string
		took                    time.Duration
	}
	var order []string
	tallies := map[string]*tally{}
	start := time.Now()
	for r := 0; r < repeat; r++ {
		for _, mode := range modes {
			for _, size := range sizes {
				for _, fault := range faults {
					for _, wl := range workloads {
						cell := jepsenCellName(mode, size, fault, wl)
						if tallies[cell] == nil {
							tallies[cell] = &tally{}
							order = append(order, cell)
						}
						tl := tallies[cell]
						began := time.Now()
						var res jepsenResult
						ok := t.Run(fmt.Sprintf("%s/run%d", cell, r+1), func(t *testing.T) {
							w := newJepsenWorkload(wl)
							if w == nil {
								t.Fatalf("unknown workload %q", wl)
							}
							res = runJepsen(t, jepsenRun{mode: mode, nodes: size, fault: fault, workload: w, duration: duration})
							for _, a := range res.anomalies {
								t.Errorf("anomaly: %s", a)
							}
						})
						tl.runs++
						tl.took += time.Since(began)
						if ok {
							tl.passed++
						}
						tl.anomalies += len(res.anomalies)
						if tl.first == "" && len(res.anomalies) > 0 {
							tl.first = res.anomalies[0]
							if res.kept != "" {
								tl.first += " (kept: " + res.kept + ")"
							}
						} else if tl.first == "" && !ok {
							tl.first = "run failed (see the test log)"
							if res.kept != "" {
								tl.first += " (kept: " + res.kept + ")"
							}
						}
					}
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Jepsen-style fault suite: %d repetition(s), %v of workload per run, %v in all\n\n", repeat, duration, time.Since(start).Round(time.Second))
	fmt.Fprintf(&b, "| cell | runs | passed | anomalies | mean run time | first anomaly |\n|---|---|---|---|---|---|\n")
	for _, cell := range order {
		tl := tallies[cell]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %v | %s |\n", cell, tl.runs, tl.passed, tl.anomalies, (tl.took / time.Duration(tl.runs)).Round(100*time.Millisecond), strings.ReplaceAll(tl.first, "|", "/"))
	}
	path := os.Getenv("SQLCLUSTER_JEPSEN_SUMMARY")
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("sqlcluster-jepsen-summary-%d.md", os.Getpid()))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Errorf("writing the summary: %v", err)
	}
	t.Logf("summary (also in %s):\n%s", path, b.String())
}

// runJepsen runs one cell once and returns its anomalies. Harness failures
// (a cluster that does not converge, a node that exits) fail t directly.
func runJepsen(t *testing.T, r jepsenRun) (res jepsenResult) {
	var c *testCluster
	h := newHistory()
	var records string // the commit records' folder (stream mode)
	var keptOnce sync.Once
	keep := func() string {
		keptOnce.Do(func() {
			dir, err := os.MkdirTemp("", "sqlcluster-jepsen-")
			if err != nil {
				t.Logf("creating the kept folder: %v", err)
				return
			}
			res.kept = dir
		})
		return res.kept
	}
	// Runs last, also after a t.Fatal in the harness: a failing run keeps
	// its evidence.
	defer func() {
		if !t.Failed() && len(res.anomalies) == 0 && os.Getenv("SQLCLUSTER_JEPSEN_KEEP") == "" {
			return
		}
		dir := keep()
		if dir == "" {
			return
		}
		if err := h.writeJSON(filepath.Join(dir, "history.json")); err != nil {
			t.Logf("writing the history: %v", err)
		}
		if records != "" {
			if out, err := exec.Command("cp", "-a", records, filepath.Join(dir, "commit-records")).CombinedOutput(); err != nil {
				t.Logf("keeping the commit records: %v %s", err, out)
			}
		}
		if c != nil {
			for _, n := range c.nodes {
				// Stopped first so the copies are consistent.
				if n.alive() {
					syscall.Kill(n.proc.cmd.Process.Pid, syscall.SIGCONT)
					n.proc.stop(10 * time.Second)
				}
				if out, err := exec.Command("cp", "-a", n.dir, filepath.Join(dir, n.id)).CombinedOutput(); err != nil {
					t.Logf("keeping %s: %v %s", n.dir, err, out)
				}
			}
		}
		t.Logf("kept history, node logs and data of this failing run in %s", dir)
	}()

	size := r.nodes
	if size == 0 {
		size = 3
	}
	env := r.env
	if r.mode == "stream" {
		records = t.TempDir()
		env = append(slices.Clone(env), "SQLCLUSTER_TEST_COMMIT_RECORD="+records)
	}
	c = startCluster(t, clusterOpts{n: size, netns: true, mode: r.mode, env: env, args: r.args})
	primary := c.waitPrimary(30 * time.Second)
	if r.onStart != nil {
		r.onStart(c)
	}
	var watch *epochWatch
	if r.mode == "stream" {
		watch = watchEpochs(c)
	}
	setupCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.workload.setup(setupCtx, primary.mustConnect(t)); err != nil {
		t.Fatalf("workload setup: %v", err)
	}
	c.waitConverged(r.workload.convergeQuery(), 30*time.Second)

	ctx, stop := context.WithTimeout(context.Background(), r.duration)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.workload.run(ctx, c, h)
	}()
	newNemesis(t, c, r).inject(ctx)
	<-done

	// Heal everything and wait for one agreed primary. The nemesis
	// restarts every node it stops, so a node found dead here exited on
	// its own: a crash, reported and restarted for the checks.
	if c.lab != nil {
		c.lab.heal(len(c.nodes))
	}
	for _, n := range c.nodes {
		if !n.alive() {
			res.anomalies = append(res.anomalies, fmt.Sprintf("node %s exited unexpectedly during the run: %v", n.id, n.proc.err))
			n.start()
		}
	}
	c.waitPrimary(60 * time.Second)
	if watch != nil {
		close(watch.stop)
		<-watch.done
		watch.mu.Lock()
		for epoch, nodes := range watch.holders {
			if len(nodes) > 1 {
				res.anomalies = append(res.anomalies, fmt.Sprintf("epoch %d had %d primaries: %v", epoch, len(nodes), nodes))
			}
		}
		watch.mu.Unlock()
	}
	c.waitConverged(r.workload.convergeQuery(), 60*time.Second)
	if records != "" {
		res.anomalies = append(res.anomalies, checkCommitRecords(t, records, h.count("", outcomeOK) > 0)...)
	}
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelCheck()
	res.anomalies = append(res.anomalies, r.workload.check(checkCtx, c, keep)...)
	for _, n := range c.nodes {
		if !n.alive() {
			t.Errorf("node %s exited during the checks: %v", n.id, n.proc.err)
		}
		res.anomalies = append(res.anomalies, panicsIn(n)...)
	}
	t.Logf("%s/%s/%s: %d ok, %d failed, %d unknown operations; errors %v", r.mode, r.fault, r.workload.name(),
		h.count("", outcomeOK), h.count("", outcomeFail), h.count("", outcomeUnknown), h.errs)
	return res
}

// panicsIn reports the panics a node's log shows over all its lives: a
// panic recovered per connection costs only that client, but it is a bug.
func panicsIn(n *clusterNode) []string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return []string{fmt.Sprintf("reading the log of %s: %v", n.id, err)}
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `msg="panic serving connection"`) || strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			if len(line) > 300 {
				line = line[:300]
			}
			out = append(out, fmt.Sprintf("node %s logged a panic: %s", n.id, line))
		}
	}
	return out
}
