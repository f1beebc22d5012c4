package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The Jepsen-style fault suite: a workload runs through pgx against a
// three-node cluster (stream or raft mode, each node in its own network
// namespace) while one fault is injected and healed; then the cluster is
// healed, dead nodes restarted, convergence awaited (identical rows and
// integrity_check on every node) and the workload's checker run. A failing
// run keeps its history, node logs and data directories in a folder that
// is printed and not removed.
//
// Environment (the CI profile needs none):
//
//	SQLCLUSTER_JEPSEN_REPEAT     runs of every cell (default 1)
//	SQLCLUSTER_JEPSEN_DURATION   workload time per run (default 8s)
//	SQLCLUSTER_JEPSEN_FAULTS     default none,kill,partition; pause also exists
//	SQLCLUSTER_JEPSEN_MODES      default stream,raft
//	SQLCLUSTER_JEPSEN_WORKLOADS  default register,set,bank
//	SQLCLUSTER_JEPSEN_SUMMARY    file for the summary table (default: a temp file)

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
	fault    string
	workload jepsenWorkload
	duration time.Duration
	env      []string // e.g. a seeded bug
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
			for _, fault := range faults {
				for _, wl := range workloads {
					cell := mode + "/" + fault + "/" + wl
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
						res = runJepsen(t, jepsenRun{mode: mode, fault: fault, workload: w, duration: duration})
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
		if !t.Failed() && len(res.anomalies) == 0 {
			return
		}
		dir := keep()
		if dir == "" {
			return
		}
		if err := h.writeJSON(filepath.Join(dir, "history.json")); err != nil {
			t.Logf("writing the history: %v", err)
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

	c = startCluster(t, clusterOpts{n: 3, netns: true, mode: r.mode, env: r.env})
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
	injectFault(t, c, r, ctx)
	<-done

	// Heal everything, restart the dead, and wait for one agreed primary.
	if c.lab != nil {
		c.lab.heal(len(c.nodes))
	}
	for _, n := range c.nodes {
		if !n.alive() {
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
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelCheck()
	res.anomalies = append(res.anomalies, r.workload.check(checkCtx, c, keep)...)
	for _, n := range c.nodes {
		if !n.alive() {
			t.Errorf("node %s exited during the checks: %v", n.id, n.proc.err)
		}
	}
	t.Logf("%s/%s/%s: %d ok, %d failed, %d unknown operations; errors %v", r.mode, r.fault, r.workload.name(),
		h.count("", outcomeOK), h.count("", outcomeFail), h.count("", outcomeUnknown), h.errs)
	return res
}

// injectFault applies r.fault to the primary (or r.faultTarget) from 30%
// to 70% of the run, while the workload runs.
func injectFault(t *testing.T, c *testCluster, r jepsenRun, ctx context.Context) {
	if r.fault == "none" {
		return
	}
	sleepCtx(ctx, r.duration*3/10)
	var victim *clusterNode
	if r.faultTarget != nil {
		victim = r.faultTarget(c)
	} else {
		victim = c.waitPrimary(20 * time.Second)
	}
	hold := r.duration * 4 / 10
	t.Logf("fault %s on %s for %v", r.fault, victim.id, hold)
	switch r.fault {
	case "kill":
		victim.kill9()
		sleepCtx(ctx, hold)
		victim.start()
	case "partition":
		for _, n := range c.nodes {
			if n != victim {
				c.lab.cut(victim.host, n.host)
			}
		}
		sleepCtx(ctx, hold)
		c.lab.heal(len(c.nodes))
	case "pause":
		// Longer than the lease (1s): the others elect a new primary while
		// this one sleeps, then it wakes up believing it still leads.
		victim.signal(syscall.SIGSTOP)
		time.Sleep(max(hold, 3*time.Second))
		victim.signal(syscall.SIGCONT)
	default:
		t.Fatalf("unknown fault %q", r.fault)
	}
}
