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
// Invariants the harness keeps, because a benchmark that breaks them
// measures the wrong thing:
//
//   - Sequential: at most one server exists at any time, so the two never
//     compete for CPU, page cache or fsync bandwidth.
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
	"strings"
	"syscall"
	"time"
)

// config is everything a run depends on, fixed after flag parsing.
type config struct {
	only        string // "", "postgres" or "sqlcluster"
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
	fs.StringVar(&cfg.only, "only", "", "run one side only: sqlcluster or postgres")
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
	case "", "postgres", "sqlcluster":
	default:
		return config{}, fmt.Errorf("-only must be sqlcluster or postgres, not %q", cfg.only)
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
	for _, w := range cfg.workloads {
		if _, err := os.Stat(filepath.Join(cfg.benchDir, w.Script)); err != nil {
			return config{}, fmt.Errorf("workload %s: %w (run from the repository root or set -bench-dir)", w.Name, err)
		}
	}
	return cfg, nil
}

// usage prints the flags except the hidden x- ones.
func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, "Usage: sqlcluster-bench [flags]\n\n"+
		"Benchmarks sqlclusterd against a throwaway PostgreSQL 15 with pgbench and\n"+
		"prints a Markdown table of TPS and ratios.\n\nFlags:\n")
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
