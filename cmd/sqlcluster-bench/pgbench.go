package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pgbenchOutput is what the harness reads from one pgbench run. pgbench
// writes the summary to stdout and per-client errors to stderr; both are
// parsed because a run can print a TPS line and still have failed (aborted
// clients report "the above results are incomplete").
type pgbenchOutput struct {
	TPS       float64
	HaveTPS   bool
	Processed int64
	Failed    int64
	Retried   int64
	LatencyMS float64
	Errors    []string // "pgbench: error: ..." lines, prefix removed
}

var (
	reTPS       = regexp.MustCompile(`^tps = ([0-9.]+) \(without initial connection time\)`)
	reProcessed = regexp.MustCompile(`^number of transactions actually processed: ([0-9]+)`)
	reFailed    = regexp.MustCompile(`^number of failed transactions: ([0-9]+)`)
	reRetried   = regexp.MustCompile(`^number of transactions retried: ([0-9]+)`)
	reLatency   = regexp.MustCompile(`^latency average = ([0-9.]+) ms`)
	reError     = regexp.MustCompile(`^pgbench: (?:error|fatal): (.*)`)
)

// parsePgbench extracts the figures from pgbench's combined output. Lines it
// does not know are ignored, so extra lines from newer pgbench versions do
// not break it; a missing tps line is left for the caller to judge.
func parsePgbench(out []byte) pgbenchOutput {
	var r pgbenchOutput
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := reTPS.FindStringSubmatch(line); m != nil {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				r.TPS, r.HaveTPS = v, true
			}
		} else if m := reProcessed.FindStringSubmatch(line); m != nil {
			r.Processed, _ = strconv.ParseInt(m[1], 10, 64)
		} else if m := reFailed.FindStringSubmatch(line); m != nil {
			r.Failed, _ = strconv.ParseInt(m[1], 10, 64)
		} else if m := reRetried.FindStringSubmatch(line); m != nil {
			r.Retried, _ = strconv.ParseInt(m[1], 10, 64)
		} else if m := reLatency.FindStringSubmatch(line); m != nil {
			r.LatencyMS, _ = strconv.ParseFloat(m[1], 64)
		} else if m := reError.FindStringSubmatch(line); m != nil {
			r.Errors = append(r.Errors, m[1])
		}
	}
	return r
}

// pgbenchArgs is the pgbench command line for one workload; identical for
// both servers except for the connection, which comes from the environment.
func pgbenchArgs(cfg config, w workload) []string {
	return []string{
		"-n", // no VACUUM of the pgbench tables: PostgreSQL-only
		"-M", cfg.protocol,
		"-c", strconv.Itoa(cfg.clients),
		"-j", strconv.Itoa(cfg.threads),
		"-T", strconv.Itoa(int(cfg.duration / time.Second)),
		"--max-tries=" + strconv.Itoa(cfg.maxTries),
		"-f", filepath.Join(cfg.benchDir, w.Script),
	}
}

// runPgbench runs one workload against srv and classifies the outcome.
func runPgbench(ctx context.Context, cfg config, srv *server, w workload) cell {
	// -T only stops new transactions; a server that hangs would hang
	// pgbench for ever, so bound the whole run.
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.pgBinDir, "pgbench"), pgbenchArgs(cfg, w)...)
	cmd.Env = clientEnv(srv)
	out, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("pgbench did not finish within %v of -T %v (server hung?)", 2*time.Minute, cfg.duration)
	}
	return classify(parsePgbench(out), err)
}

// classify turns a pgbench run into a table cell. Only a clean run (exit 0,
// a tps line, no failed transactions, no error lines) yields a TPS figure.
func classify(r pgbenchOutput, runErr error) cell {
	c := cell{
		Processed: r.Processed,
		Failed:    r.Failed,
		Retried:   r.Retried,
		LatencyMS: r.LatencyMS,
	}
	firstErr := ""
	if len(r.Errors) > 0 {
		firstErr = r.Errors[0]
		if len(r.Errors) > 1 {
			firstErr += fmt.Sprintf(" (+%d more error lines)", len(r.Errors)-1)
		}
	}
	switch {
	case runErr != nil:
		c.Status = statusError
		var exitErr *exec.ExitError
		if firstErr != "" && errors.As(runErr, &exitErr) {
			c.Error = firstErr
		} else {
			c.Error = runErr.Error()
		}
	case len(r.Errors) > 0:
		c.Status = statusError
		c.Error = firstErr
	case !r.HaveTPS:
		c.Status = statusError
		c.Error = "pgbench printed no tps line"
	case r.Failed > 0:
		c.Status = statusFailed
		c.Error = fmt.Sprintf("%d of %d transactions failed", r.Failed, r.Failed+r.Processed)
	default:
		c.Status = statusOK
		c.TPS = r.TPS
	}
	return c
}
