// Command sqlcluster-bench compares sqlclusterd with a stock PostgreSQL 15 on
// the same machine, using the same pgbench client, the same scripts and the
// same durability settings, and prints the ratios as a Markdown table.
//
// One run does everything: it starts a throwaway PostgreSQL 15 (initdb into a
// fresh temporary directory, fsync=on, synchronous_commit=on, default
// shared_buffers, TCP on 127.0.0.1), loads the pgbench tables at scale 1 with
// plain SQL through psql (bench/setup.sql, which both servers accept), runs
// every workload script under pgbench, and stops it; then it builds
// ./cmd/sqlclusterd, starts it on a fresh data directory and does the same.
//
// A second section measures stream mode (unless -cluster=false; -only
// stream runs it alone). The autocommit INSERT workload runs, with the same
// pgbench settings, against a fresh single-mode sqlclusterd (the baseline)
// and then against the primary of a fresh 3-node cluster on 127.0.0.1 with
// --sync-replicas 0 and one with --sync-replicas quorum. Around each cluster
// run the primary's sqlcluster_replication_lag_seconds histogram is scraped
// and p50/p99 are computed from the bucket deltas. On the quorum cluster a
// pgx client then writes in a loop through a replica while the primary is
// SIGKILLed, -failovers times; the time from the kill to the first INSERT
// issued after it succeeding is the failover time. The killed node is
// restarted and caught up before the next repetition.
//
// A third section measures raft mode (unless -raft=false; -only raft runs
// it alone). A 3-node sqlclusterd --mode raft cluster gets an empty
// pgbench_history and the autocommit INSERT workload, with pgbench -c 1
// -j 1 and then -c 8 -j 2 against the leader. The baseline is go-dqlite's
// own database/sql driver on a 3-node cluster of in-process go-dqlite app
// nodes configured like sqlclusterd's (same roles, same TLS between nodes),
// running the same INSERT with 1 and then 8 goroutines for the same time
// and retrying "database is locked" with backoff. The section reports
// pg wire / driver at 1 client (target ≥0.9×) and pg wire at 8 clients /
// 1 client (target ≥1.0×). The baseline links libdqlite, so this command
// builds with cgo.
//
// Invariants the harness keeps, because a benchmark that breaks them
// measures the wrong thing:
//
//   - Sequential: at most one server (or one cluster) exists at any time,
//     so they never compete for CPU, page cache or fsync bandwidth.
//   - Identical inputs: both servers get the same schema, data, scripts,
//     client count, query mode and connection path (TCP loopback, sslmode
//     left at the client default).
//   - Honest cells: a pgbench run with failed transactions, aborted clients
//     or a non-zero exit is reported as FAILED/ERROR, never as a TPS figure,
//     and no ratio is computed from it.
//   - Clean up: every server is stopped (its whole process group) and its
//     temporary directory removed on every path out, including errors and
//     SIGINT/SIGTERM.
//
// PostgreSQL refuses to run as root, so when the harness runs as root it
// creates (if missing) the unprivileged user sqlbench and runs initdb and
// postgres under that uid directly (setuid in the child, equivalent to
// `runuser -u sqlbench`, but without an intermediate process that would
// translate our shutdown signal into SIGTERM+SIGKILL).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is everything a run depends on, fixed after flag parsing.
type config struct {
	only        string // "", "postgres", "sqlcluster", "stream" or "raft"
	cluster     bool   // run the stream-mode section
	raft        bool   // run the raft-mode section
	failovers   int    // failover repetitions in the stream-mode section
	duration    time.Duration
	clients     int
	threads     int
	protocol    string // pgbench -M
	maxTries    int
	jsonPath    string
	repoDir     string // module root, where ./cmd/sqlclusterd is built
	benchDir    string // directory holding the pgbench scripts
	pgBinDir    string // PostgreSQL 15 server and client binaries
	tmpBase     string // parent of the temporary data directories
	sqlcBin     string // prebuilt sqlclusterd; empty means build it
	workloads   []workload
	fakeCluster bool // hidden: the sqlcluster side is a second PostgreSQL
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process exit, so the deferred cleanups of every
// server always execute before the exit status is returned.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sqlcluster-bench: %v\n", err)
		return 2
	}

	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "sqlcluster-bench: "+format+"\n", a...)
	}

	rep := newReport(cfg)
	rep.Machine = gatherMachineFacts(cfg.tmpBase, filepath.Join(cfg.pgBinDir, "postgres"))

	for _, side := range sides(cfg) {
		if ctx.Err() != nil {
			break
		}
		benchSide(ctx, cfg, side, rep, logf)
	}
	if cfg.runsStream() && ctx.Err() == nil {
		benchStream(ctx, cfg, rep.Cluster, logf)
	}
	if cfg.runsRaft() && ctx.Err() == nil {
		benchRaft(ctx, cfg, rep.Raft, logf)
	}
	rep.finish()

	if err := writeMarkdown(stdout, rep); err != nil {
		logf("write report: %v", err)
		return 1
	}
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, rep); err != nil {
			logf("%v", err)
			return 1
		}
	}
	if ctx.Err() != nil {
		logf("interrupted")
		return 130
	}
	if rep.hasErrors() {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sqlcluster-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var workloadList string
	var quick bool
	fs.StringVar(&cfg.only, "only", "", "run one part only: postgres, sqlcluster (single mode), stream or raft (the 3-node cluster sections)")
	fs.BoolVar(&cfg.cluster, "cluster", true, "run the stream-mode section (3-node clusters: INSERT TPS, replication lag, failover)")
	fs.BoolVar(&cfg.raft, "raft", true, "run the raft-mode section (3-node dqlite clusters: INSERT TPS through the pg wire vs go-dqlite's driver, 1 and 8 clients; ignores -clients/-threads)")
	fs.IntVar(&cfg.failovers, "failovers", 3, "kill -9 failover repetitions in the stream-mode section (0 skips them)")
	fs.DurationVar(&cfg.duration, "duration", 15*time.Second, "pgbench -T per workload and server")
	fs.BoolVar(&quick, "quick", false, "short smoke run: -duration 3s unless -duration is given")
	fs.IntVar(&cfg.clients, "clients", 8, "pgbench -c (concurrent client connections)")
	fs.IntVar(&cfg.threads, "threads", 2, "pgbench -j (capped at -clients)")
	fs.StringVar(&cfg.protocol, "protocol", "prepared", "pgbench -M: simple, extended or prepared")
	fs.IntVar(&cfg.maxTries, "max-tries", 10, "pgbench --max-tries (retries of 40001/40P01)")
	fs.StringVar(&cfg.jsonPath, "json", "", "also write the figures as JSON to this file")
	fs.StringVar(&workloadList, "workloads", strings.Join(workloadNames(), ","), "comma-separated workloads to run")
	fs.StringVar(&cfg.repoDir, "repo", ".", "module root containing ./cmd/sqlclusterd")
	fs.StringVar(&cfg.benchDir, "bench-dir", "bench", "directory with the pgbench scripts and setup SQL")
	fs.StringVar(&cfg.pgBinDir, "pg-bin", "/usr/lib/postgresql/15/bin", "PostgreSQL 15 binaries (initdb, postgres, psql, pgbench)")
	fs.StringVar(&cfg.tmpBase, "tmp-dir", os.TempDir(), "where the temporary data directories are created")
	fs.StringVar(&cfg.sqlcBin, "sqlclusterd-bin", "", "use this sqlclusterd binary instead of building ./cmd/sqlclusterd")
	// Hidden: exercises the sqlcluster code path (second server, second
	// column, ratios) before sqlclusterd exists, by benchmarking a second
	// PostgreSQL in its place.
	fs.BoolVar(&cfg.fakeCluster, "x-sqlcluster-as-postgres", false, "")
	fs.Usage = func() { usage(fs) }

	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if quick && !durationSet {
		cfg.duration = 3 * time.Second
	}

	switch cfg.only {
	case "", sidePostgres, sideSqlcluster, sectionStream, sectionRaft:
	default:
		return config{}, fmt.Errorf("-only must be postgres, sqlcluster, stream or raft, not %q", cfg.only)
	}
	if cfg.only == sectionStream && !cfg.cluster {
		return config{}, fmt.Errorf("-only stream contradicts -cluster=false")
	}
	if cfg.only == sectionRaft && !cfg.raft {
		return config{}, fmt.Errorf("-only raft contradicts -raft=false")
	}
	if cfg.fakeCluster {
		// A PostgreSQL stand-in has no cluster modes.
		if cfg.only == sectionStream || cfg.only == sectionRaft {
			return config{}, fmt.Errorf("-only %s needs a real sqlclusterd, not the PostgreSQL stand-in", cfg.only)
		}
		cfg.cluster, cfg.raft = false, false
	}
	if cfg.failovers < 0 {
		return config{}, fmt.Errorf("-failovers must be ≥ 0")
	}
	switch cfg.protocol {
	case "simple", "extended", "prepared":
	default:
		return config{}, fmt.Errorf("-protocol must be simple, extended or prepared, not %q", cfg.protocol)
	}
	if cfg.duration < time.Second || cfg.duration%time.Second != 0 {
		return config{}, fmt.Errorf("-duration must be a whole number of seconds ≥ 1s (pgbench -T), got %v", cfg.duration)
	}
	if cfg.clients < 1 {
		return config{}, fmt.Errorf("-clients must be ≥ 1")
	}
	if cfg.maxTries < 1 {
		return config{}, fmt.Errorf("-max-tries must be ≥ 1")
	}
	cfg.threads = max(1, min(cfg.threads, cfg.clients))

	var err error
	if cfg.workloads, err = selectWorkloads(workloadList); err != nil {
		return config{}, err
	}
	for _, p := range []*string{&cfg.repoDir, &cfg.benchDir, &cfg.tmpBase} {
		if *p, err = filepath.Abs(*p); err != nil {
			return config{}, fmt.Errorf("resolve path: %w", err)
		}
	}
	if cfg.sqlcBin != "" {
		if cfg.sqlcBin, err = filepath.Abs(cfg.sqlcBin); err != nil {
			return config{}, fmt.Errorf("resolve path: %w", err)
		}
	}
	scripts := cfg.workloads
	if cfg.runsStream() || cfg.runsRaft() {
		ins, _ := workloadByName("insert")
		scripts = append(slices.Clone(scripts), ins)
	}
	for _, w := range scripts {
		if _, err := os.Stat(filepath.Join(cfg.benchDir, w.Script)); err != nil {
			return config{}, fmt.Errorf("workload %s: %w (run from the repository root or set -bench-dir)", w.Name, err)
		}
	}
	return cfg, nil
}

// runsMain reports whether the main table (PostgreSQL vs single mode) runs.
func (cfg config) runsMain() bool { return cfg.only != sectionStream && cfg.only != sectionRaft }

// runsStream reports whether the stream-mode section runs.
func (cfg config) runsStream() bool {
	return cfg.cluster && (cfg.only == "" || cfg.only == sectionStream)
}

// runsRaft reports whether the raft-mode section runs.
func (cfg config) runsRaft() bool {
	return cfg.raft && (cfg.only == "" || cfg.only == sectionRaft)
}

// usage prints the flags except the hidden x- ones.
func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, "Usage: sqlcluster-bench [flags]\n\n"+
		"Benchmarks sqlclusterd against a throwaway PostgreSQL 15 with pgbench, then\n"+
		"3-node stream-mode clusters against single mode (INSERT TPS, replication lag,\n"+
		"failover time), then a 3-node raft-mode cluster against go-dqlite's own driver\n"+
		"(INSERT TPS, 1 and 8 clients), and prints Markdown tables of figures and ratios.\n\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "x-") {
			return
		}
		fmt.Fprintf(out, "  -%s", f.Name)
		if name, _ := flag.UnquoteUsage(f); name != "" {
			fmt.Fprintf(out, " %s", name)
		}
		fmt.Fprintf(out, "\n    \t%s", f.Usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(out, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(out)
	})
}
