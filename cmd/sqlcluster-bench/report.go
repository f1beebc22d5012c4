package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Cell statuses. Only statusOK cells carry a TPS and enter a ratio.
const (
	statusOK      = "ok"
	statusFailed  = "failed"  // pgbench ran but some transactions failed
	statusError   = "error"   // server, setup or pgbench error
	statusSkipped = "skipped" // side not run (-only) or run interrupted
)

// cell is one workload on one server.
type cell struct {
	Status    string  `json:"status"`
	TPS       float64 `json:"tps,omitempty"`
	Processed int64   `json:"processed"`
	Failed    int64   `json:"failed"`
	Retried   int64   `json:"retried"`
	LatencyMS float64 `json:"latency_avg_ms,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// row is one line of the table.
type row struct {
	Workload   string   `json:"workload"`
	Title      string   `json:"title"`
	Target     float64  `json:"target_ratio"`
	Postgres   cell     `json:"postgres"`
	Sqlcluster cell     `json:"sqlcluster"`
	Ratio      *float64 `json:"ratio,omitempty"`      // sqlcluster/postgres; both ok only
	TargetMet  *bool    `json:"target_met,omitempty"` // set with Ratio
}

// runConfig records the pgbench parameters in the JSON output.
type runConfig struct {
	Clients     int    `json:"clients"`
	Threads     int    `json:"threads"`
	DurationSec int    `json:"duration_sec"`
	Protocol    string `json:"protocol"`
	MaxTries    int    `json:"max_tries"`
	Scale       int    `json:"scale"`
	Only        string `json:"only,omitempty"`
	StandIn     bool   `json:"sqlcluster_is_postgres_stand_in,omitempty"`
}

// report is the whole result of a run: what the table and JSON show.
type report struct {
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	Machine    machineFacts `json:"machine"`
	Config     runConfig    `json:"config"`
	Rows       []row        `json:"results"`
	SideErrors []string     `json:"side_errors,omitempty"`
	// Cluster is the stream-mode section; nil when it is not run.
	Cluster *clusterReport `json:"cluster,omitempty"`
	// Raft is the raft-mode section; nil when it is not run.
	Raft *raftReport `json:"raft,omitempty"`
}

func newReport(cfg config) *report {
	r := &report{
		Started: time.Now().UTC(),
		Config: runConfig{
			Clients:     cfg.clients,
			Threads:     cfg.threads,
			DurationSec: int(cfg.duration / time.Second),
			Protocol:    cfg.protocol,
			MaxTries:    cfg.maxTries,
			Scale:       1,
			Only:        cfg.only,
			StandIn:     cfg.fakeCluster,
		},
	}
	if cfg.runsStream() {
		r.Cluster = newClusterReport(cfg.failovers)
	}
	if cfg.runsRaft() {
		r.Raft = newRaftReport()
	}
	if !cfg.runsMain() {
		return r
	}
	for _, w := range cfg.workloads {
		skipped := cell{Status: statusSkipped}
		r.Rows = append(r.Rows, row{Workload: w.Name, Title: w.Title, Target: w.Target,
			Postgres: skipped, Sqlcluster: skipped})
	}
	return r
}

// set records the outcome of workload name on one side.
func (r *report) set(sideKey, name string, c cell) {
	for i := range r.Rows {
		if r.Rows[i].Workload != name {
			continue
		}
		if sideKey == sidePostgres {
			r.Rows[i].Postgres = c
		} else {
			r.Rows[i].Sqlcluster = c
		}
	}
}

// setAll records the same outcome for every workload of one side, for
// failures that precede any pgbench run (startup, build, setup).
func (r *report) setAll(sideKey string, c cell) {
	for _, row := range r.Rows {
		r.set(sideKey, row.Workload, c)
	}
}

// finish computes the ratios once all cells are in.
func (r *report) finish() {
	r.Finished = time.Now().UTC()
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Ratio = ratioOf(row.Sqlcluster, row.Postgres)
		row.TargetMet = targetMet(row.Ratio, row.Target)
	}
	if r.Cluster != nil {
		r.Cluster.finish()
	}
	if r.Raft != nil {
		r.Raft.finish()
	}
}

// hasErrors reports whether any cell that was meant to run did not run
// cleanly.
func (r *report) hasErrors() bool {
	for _, row := range r.Rows {
		for _, c := range []cell{row.Postgres, row.Sqlcluster} {
			if c.Status == statusFailed || c.Status == statusError {
				return true
			}
		}
	}
	return len(r.SideErrors) > 0 || (r.Cluster != nil && r.Cluster.hasErrors()) ||
		(r.Raft != nil && r.Raft.hasErrors())
}

// writeMarkdown prints the table, per-cell details and the machine facts.
func writeMarkdown(w io.Writer, r *report) error {
	var b strings.Builder
	pgLabel, sqlcLabel := "PostgreSQL 15", "sqlclusterd"
	if r.Config.StandIn {
		sqlcLabel = "sqlclusterd (stand-in: PostgreSQL 15)"
	}
	if len(r.Rows) > 0 {
		writeMainTable(&b, r, pgLabel, sqlcLabel)
	}
	for _, e := range r.SideErrors {
		fmt.Fprintf(&b, "- error: %s\n", oneLine(e, 300))
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	if r.Cluster != nil {
		writeClusterMarkdown(&b, r.Cluster)
		b.WriteString("\n")
	}
	if r.Raft != nil {
		writeRaftMarkdown(&b, r.Raft, r.Config.DurationSec)
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Machine: %s\n", r.Machine.summary())
	fmt.Fprintf(&b, "Run: pgbench -c %d -j %d -T %d -n -M %s --max-tries=%d, scale 1, TCP 127.0.0.1; ",
		r.Config.Clients, r.Config.Threads, r.Config.DurationSec, r.Config.Protocol, r.Config.MaxTries)
	if len(r.Rows) > 0 {
		b.WriteString("PostgreSQL fsync=on synchronous_commit=on, default shared_buffers; ")
	}
	b.WriteString("servers run one after the other.\n")
	if r.Cluster != nil {
		b.WriteString("Stream mode: each configuration on fresh data directories; lag from the primary's sqlcluster_replication_lag_seconds histogram (bucket deltas over the quorum run, linear interpolation within a bucket); failover = kill -9 of the primary to the first INSERT issued after the kill succeeding, from a pgx client writing through a replica, the killed node restarted and caught up between repetitions.\n")
	}
	if r.Raft != nil {
		b.WriteString("Raft mode: -c/-j per row (-clients and -threads do not apply), both paths on fresh data directories holding only pgbench_history, one client count after the other on the same cluster; driver TPS counts INSERTs completed over the wall time of the run.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMainTable is the PostgreSQL vs single-mode table and its details.
func writeMainTable(b *strings.Builder, r *report, pgLabel, sqlcLabel string) {
	fmt.Fprintf(b, "| workload | %s TPS | %s TPS | ratio | target |\n", pgLabel, sqlcLabel)
	b.WriteString("|---|---:|---:|---:|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n",
			row.Title, cellText(row.Postgres), cellText(row.Sqlcluster), ratioText(row.Ratio), targetText(row.Target, row.TargetMet))
	}
	b.WriteString("\n")
	for _, row := range r.Rows {
		for _, s := range []struct {
			label string
			c     cell
		}{{pgLabel, row.Postgres}, {sqlcLabel, row.Sqlcluster}} {
			if s.c.Status == statusSkipped {
				continue
			}
			fmt.Fprintf(b, "- %s on %s: %s\n", row.Workload, s.label, cellDetail(s.c))
		}
	}
}

// ratioOf is a/b TPS if both cells are clean: the one rule for every ratio
// of every section, so that no figure is ever divided by a failed run.
func ratioOf(a, b cell) *float64 {
	if a.Status != statusOK || b.Status != statusOK || b.TPS <= 0 {
		return nil
	}
	r := a.TPS / b.TPS
	return &r
}

// targetMet is whether ratio reaches target (inclusive); nil without a
// ratio.
func targetMet(ratio *float64, target float64) *bool {
	if ratio == nil {
		return nil
	}
	met := *ratio >= target
	return &met
}

// ratioText is a ratio's table cell.
func ratioText(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r)
}

// targetText is a ratio target's table cell, judged once there is a ratio.
func targetText(target float64, met *bool) string {
	s := fmt.Sprintf("≥%.1f×", target)
	if met != nil {
		s += metText(*met)
	}
	return s
}

// metText is the verdict appended to a target cell.
func metText(met bool) string {
	if met {
		return " met"
	}
	return " **MISSED**"
}

// cellText is the table cell: a TPS figure only for clean runs.
func cellText(c cell) string {
	switch c.Status {
	case statusOK:
		return fmt.Sprintf("%.0f", c.TPS)
	case statusSkipped:
		return "—"
	case statusFailed:
		return "FAILED (" + oneLine(c.Error, 60) + ")"
	default:
		return "ERROR (" + oneLine(c.Error, 60) + ")"
	}
}

// cellDetail is the longer line under the table.
func cellDetail(c cell) string {
	switch c.Status {
	case statusOK:
		return fmt.Sprintf("%.1f tps, %d transactions, %d retried, latency avg %.3f ms",
			c.TPS, c.Processed, c.Retried, c.LatencyMS)
	case statusFailed:
		return fmt.Sprintf("FAILED: %s (%d retried)", oneLine(c.Error, 300), c.Retried)
	case statusSkipped:
		return "skipped (" + c.Error + ")"
	default:
		return "ERROR: " + oneLine(c.Error, 300)
	}
}

// oneLine flattens s to a single table-safe line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// writeJSON writes the report to path.
func writeJSON(path string, r *report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
