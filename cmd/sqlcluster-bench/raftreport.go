package main

import (
	"fmt"
	"strings"
)

// Targets of the raft-mode section.
const (
	// pg wire / go-dqlite driver at 1 client: what sqlclusterd adds to a
	// bare dqlite commit (PostgreSQL protocol, engine, leader tracking)
	// must cost at most a tenth of the throughput.
	targetRaftWireVsDriver = 0.9
	// pg wire at 8 clients / pg wire at 1 client: concurrency must never
	// make the cluster slower.
	targetRaftScaling = 1.0
)

// raftLoad is one client count of the raft-mode section: pgbench with
// Clients connections (-j Threads) through the pg wire, and Clients
// goroutines on go-dqlite's own driver.
type raftLoad struct {
	Clients int  `json:"clients"`
	Threads int  `json:"pgbench_threads"`
	PGWire  cell `json:"pgwire"`
	// Driver is go-dqlite's database/sql driver; its Retried counts
	// statements re-issued after "database is locked".
	Driver cell `json:"go_dqlite_driver"`
	// Ratio is PGWire/Driver TPS; both cells ok only.
	Ratio *float64 `json:"pgwire_to_driver,omitempty"`
}

// raftRatio is a ratio with a target.
type raftRatio struct {
	Target    float64  `json:"target_ratio"`
	Ratio     *float64 `json:"ratio,omitempty"` // both cells ok only
	TargetMet *bool    `json:"target_met,omitempty"`
}

// raftReport is the raft-mode section: autocommit INSERT throughput of a
// 3-node raft cluster through the pg wire, against go-dqlite's own driver
// on a 3-node cluster of the same shape.
type raftReport struct {
	Nodes int `json:"nodes"`
	// Loads are 1 client, then 8.
	Loads []raftLoad `json:"loads"`
	// WireVsDriver is pg wire / driver at 1 client.
	WireVsDriver raftRatio `json:"pgwire_to_driver_1_client"`
	// Scaling is pg wire at 8 clients / pg wire at 1 client.
	Scaling raftRatio `json:"pgwire_8_to_1_client"`
	// Leader is the node pgbench connected to.
	Leader string `json:"pgwire_leader,omitempty"`
	// Notes are facts that qualify the figures (a leader change during a
	// run), printed under the table.
	Notes []string `json:"notes,omitempty"`
}

func newRaftReport() *raftReport {
	skipped := cell{Status: statusSkipped}
	return &raftReport{
		Nodes: clusterSize,
		// pgbench -j 2 as in the main table; one thread for one client.
		Loads: []raftLoad{
			{Clients: 1, Threads: 1, PGWire: skipped, Driver: skipped},
			{Clients: 8, Threads: 2, PGWire: skipped, Driver: skipped},
		},
		WireVsDriver: raftRatio{Target: targetRaftWireVsDriver},
		Scaling:      raftRatio{Target: targetRaftScaling},
	}
}

// set records ratio and judges it against the target.
func (r *raftRatio) set(ratio *float64) {
	r.Ratio, r.TargetMet = ratio, targetMet(ratio, r.Target)
}

// finish computes the ratios once all cells are in.
func (rr *raftReport) finish() {
	for i := range rr.Loads {
		rr.Loads[i].Ratio = ratioOf(rr.Loads[i].PGWire, rr.Loads[i].Driver)
	}
	one, eight := rr.Loads[0], rr.Loads[len(rr.Loads)-1]
	rr.WireVsDriver.set(one.Ratio)
	rr.Scaling.set(ratioOf(eight.PGWire, one.PGWire))
}

// setAll records the same outcome for every cell of one path (pg wire or
// driver), for failures before any measurement.
func (rr *raftReport) setAll(driver bool, c cell) {
	for i := range rr.Loads {
		if driver {
			rr.Loads[i].Driver = c
		} else {
			rr.Loads[i].PGWire = c
		}
	}
}

// hasErrors reports whether any measurement that was meant to run did not.
func (rr *raftReport) hasErrors() bool {
	for _, l := range rr.Loads {
		for _, c := range []cell{l.PGWire, l.Driver} {
			if c.Status == statusFailed || c.Status == statusError {
				return true
			}
		}
	}
	return false
}

// writeRaftMarkdown renders the raft-mode section: one row per client
// count with both paths side by side, a scaling row, then detail lines.
func writeRaftMarkdown(b *strings.Builder, rr *raftReport, durationSec int) {
	leader := ""
	if rr.Leader != "" {
		leader = " (" + rr.Leader + ")"
	}
	fmt.Fprintf(b, "Raft mode: %d-node dqlite clusters on 127.0.0.1, TLS between nodes, autocommit INSERT (bench/insert.sql) for %d s per figure. "+
		"pg wire: sqlclusterd --mode raft, pgbench against the leader%s. go-dqlite driver (baseline): %d in-process go-dqlite app nodes, "+
		"database/sql on app.Open, \"database is locked\" retried with backoff.\n\n",
		rr.Nodes, durationSec, leader, rr.Nodes)
	b.WriteString("| raft mode, INSERT TPS | pg wire | go-dqlite driver | pg wire / driver | target |\n")
	b.WriteString("|---|---:|---:|---:|---|\n")
	for i, l := range rr.Loads {
		target := "—"
		if i == 0 {
			target = targetText(rr.WireVsDriver.Target, rr.WireVsDriver.TargetMet)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n",
			clientsText(l.Clients), cellText(l.PGWire), cellText(l.Driver), ratioText(l.Ratio), target)
	}
	if len(rr.Loads) > 1 {
		one, many := rr.Loads[0], rr.Loads[len(rr.Loads)-1]
		fmt.Fprintf(b, "| %s / %s | %s | %s | — | pg wire %s |\n",
			clientsText(many.Clients), clientsText(one.Clients),
			ratioText(rr.Scaling.Ratio), ratioText(ratioOf(many.Driver, one.Driver)), targetText(rr.Scaling.Target, rr.Scaling.TargetMet))
	}
	b.WriteString("\n")
	for _, l := range rr.Loads {
		if l.PGWire.Status != statusSkipped {
			fmt.Fprintf(b, "- insert through the pg wire, pgbench -c %d -j %d: %s\n", l.Clients, l.Threads, cellDetail(l.PGWire))
		}
	}
	for _, l := range rr.Loads {
		if l.Driver.Status != statusSkipped {
			fmt.Fprintf(b, "- insert through the go-dqlite driver, %d goroutine%s: %s\n", l.Clients, plural(l.Clients), driverDetail(l.Driver))
		}
	}
	for _, n := range rr.Notes {
		fmt.Fprintf(b, "- note: %s\n", oneLine(n, 300))
	}
}

func clientsText(n int) string { return fmt.Sprintf("%d client%s", n, plural(n)) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// driverDetail is cellDetail for the driver path, whose retries are
// "database is locked" errors rather than pgbench's serialization retries.
func driverDetail(c cell) string {
	if c.Status != statusOK {
		return cellDetail(c)
	}
	return fmt.Sprintf("%.1f tps, %d INSERTs, %d \"database is locked\" retries, latency avg %.3f ms",
		c.TPS, c.Processed, c.Retried, c.LatencyMS)
}
