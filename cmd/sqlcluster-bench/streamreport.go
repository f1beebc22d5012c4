package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Targets of the stream-mode section.
const (
	targetAsyncRatio  = 0.8 // async cluster INSERT TPS / single mode
	targetQuorumRatio = 0.5 // quorum cluster INSERT TPS / single mode
	targetLagP99MS    = 20.0
	targetFailoverSec = 3.0
)

// clusterReport is the stream-mode section: INSERT throughput of single
// mode and of two 3-node clusters, replication lag during the quorum run,
// and failover time.
type clusterReport struct {
	Nodes       int          `json:"nodes"`
	LeaseTTLSec float64      `json:"lease_ttl_sec"`
	Single      cell         `json:"single"`
	Async       clusterRun   `json:"async"`
	Quorum      clusterRun   `json:"quorum"`
	Failover    failoverStat `json:"failover"`
}

// clusterRun is the insert workload against the primary of one cluster.
type clusterRun struct {
	SyncReplicas string   `json:"sync_replicas"`
	Insert       cell     `json:"insert"`
	Target       float64  `json:"target_ratio"`
	Ratio        *float64 `json:"ratio_to_single,omitempty"` // both cells ok only
	TargetMet    *bool    `json:"target_met,omitempty"`
	// Lag is sqlcluster_replication_lag_seconds on the primary over the
	// run, from the bucket deltas of two scrapes.
	Lag lagStats `json:"replication_lag"`
}

// lagStats are quantiles of the replication lag histogram over one run.
// An AtLeast quantile fell in the +Inf bucket: the figure is the largest
// finite bucket bound and the true value is above it.
type lagStats struct {
	Status       string  `json:"status"`
	Observations int64   `json:"observations,omitempty"`
	P50MS        float64 `json:"p50_ms,omitempty"`
	P50AtLeast   bool    `json:"p50_at_least,omitempty"`
	P99MS        float64 `json:"p99_ms,omitempty"`
	P99AtLeast   bool    `json:"p99_at_least,omitempty"`
	TargetP99MS  float64 `json:"target_p99_ms,omitempty"`
	TargetMet    *bool   `json:"target_met,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// failoverRun is one kill -9 of the primary.
type failoverRun struct {
	Killed     string  `json:"killed"`
	NewPrimary string  `json:"new_primary,omitempty"`
	WriterVia  string  `json:"writer_via"` // the replica the client started on
	Seconds    float64 `json:"seconds"`    // kill → first INSERT issued after it succeeding
	// ElectedSec is kill → all live nodes agreeing on the successor, as
	// polled on /status every ~20 ms; 0 if not seen before writes resumed
	// and the poll gave up.
	ElectedSec float64 `json:"elected_sec,omitempty"`
}

// failoverStat summarises the failover repetitions. Any failed repetition
// makes the whole measurement an error: a median over the survivors would
// hide the failure.
type failoverStat struct {
	Status      string        `json:"status"`
	Repetitions int           `json:"repetitions"` // planned (-failovers)
	Runs        []failoverRun `json:"runs,omitempty"`
	MedianSec   float64       `json:"median_sec,omitempty"`
	MaxSec      float64       `json:"max_sec,omitempty"`
	TargetSec   float64       `json:"target_sec"`
	TargetMet   *bool         `json:"target_met,omitempty"` // max < target
	Error       string        `json:"error,omitempty"`
}

func newClusterReport(failovers int) *clusterReport {
	skipped := cell{Status: statusSkipped}
	return &clusterReport{
		Nodes:       clusterSize,
		LeaseTTLSec: leaseTTL.Seconds(),
		Single:      skipped,
		Async:       clusterRun{SyncReplicas: "0", Insert: skipped, Target: targetAsyncRatio, Lag: lagStats{Status: statusSkipped}},
		Quorum:      clusterRun{SyncReplicas: "quorum", Insert: skipped, Target: targetQuorumRatio, Lag: lagStats{Status: statusSkipped, TargetP99MS: targetLagP99MS}},
		Failover:    failoverStat{Status: statusSkipped, Repetitions: failovers, TargetSec: targetFailoverSec},
	}
}

// finish computes ratios, quantile targets and the failover summary.
func (cr *clusterReport) finish() {
	for _, run := range []*clusterRun{&cr.Async, &cr.Quorum} {
		run.Ratio = ratioOf(run.Insert, cr.Single)
		run.TargetMet = targetMet(run.Ratio, run.Target)
	}
	lag := &cr.Quorum.Lag
	lag.TargetMet = nil
	if lag.Status == statusOK {
		met := !lag.P99AtLeast && lag.P99MS < lag.TargetP99MS
		lag.TargetMet = &met
	}
	f := &cr.Failover
	f.TargetMet = nil
	if f.Status == statusOK && len(f.Runs) > 0 {
		secs := make([]float64, len(f.Runs))
		for i, r := range f.Runs {
			secs[i] = r.Seconds
		}
		f.MedianSec, f.MaxSec = median(secs), slices.Max(secs)
		met := f.MaxSec < f.TargetSec
		f.TargetMet = &met
	}
}

// median of a non-empty slice (mean of the middle two for even lengths).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// hasErrors reports whether any measurement that was meant to run did not.
func (cr *clusterReport) hasErrors() bool {
	bad := func(s string) bool { return s == statusFailed || s == statusError }
	return bad(cr.Single.Status) || bad(cr.Async.Insert.Status) || bad(cr.Quorum.Insert.Status) ||
		bad(cr.Async.Lag.Status) || bad(cr.Quorum.Lag.Status) || bad(cr.Failover.Status)
}

// writeClusterMarkdown renders the stream-mode section: a table of figures
// with ratios to single mode and targets, then one detail line each.
func writeClusterMarkdown(b *strings.Builder, cr *clusterReport) {
	fmt.Fprintf(b, "Stream mode: %d nodes on 127.0.0.1, --lease-ttl %v, pgbench autocommit INSERT against the primary.\n\n",
		cr.Nodes, time.Duration(cr.LeaseTTLSec*float64(time.Second)))
	b.WriteString("| stream mode | result | vs single | target |\n")
	b.WriteString("|---|---:|---:|---|\n")
	fmt.Fprintf(b, "| INSERT TPS, single mode (baseline) | %s | — | — |\n", cellText(cr.Single))
	for _, run := range []struct {
		title string
		r     clusterRun
	}{{"INSERT TPS, 3 nodes, --sync-replicas 0", cr.Async}, {"INSERT TPS, 3 nodes, --sync-replicas quorum", cr.Quorum}} {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n",
			run.title, cellText(run.r.Insert), ratioText(run.r.Ratio), targetText(run.r.Target, run.r.TargetMet))
	}
	lag := cr.Quorum.Lag
	p99Target := fmt.Sprintf("<%g ms", lag.TargetP99MS)
	if lag.TargetMet != nil {
		p99Target += metText(*lag.TargetMet)
	}
	fmt.Fprintf(b, "| replication lag p50, quorum run | %s | — | — |\n", lagText(lag, lag.P50MS, lag.P50AtLeast))
	fmt.Fprintf(b, "| replication lag p99, quorum run | %s | — | %s |\n", lagText(lag, lag.P99MS, lag.P99AtLeast), p99Target)
	f := cr.Failover
	n := f.Repetitions
	medianText, maxText, target := failoverText(f, f.MedianSec), failoverText(f, f.MaxSec), fmt.Sprintf("<%g s", f.TargetSec)
	if f.TargetMet != nil {
		target += metText(*f.TargetMet)
	}
	if n > 0 {
		fmt.Fprintf(b, "| failover (kill -9 primary → INSERT ok), median of %d | %s | — | — |\n", n, medianText)
		fmt.Fprintf(b, "| failover (kill -9 primary → INSERT ok), max of %d | %s | — | %s |\n", n, maxText, target)
	} else {
		fmt.Fprintf(b, "| failover (kill -9 primary → INSERT ok) | not run (-failovers 0) | — | %s |\n", target)
	}
	b.WriteString("\n")

	for _, d := range []struct {
		label string
		c     cell
	}{{"single mode", cr.Single}, {"3 nodes, --sync-replicas 0", cr.Async.Insert}, {"3 nodes, --sync-replicas quorum", cr.Quorum.Insert}} {
		if d.c.Status != statusSkipped {
			fmt.Fprintf(b, "- insert on %s: %s\n", d.label, cellDetail(d.c))
		}
	}
	for _, d := range []struct {
		label string
		l     lagStats
	}{{"--sync-replicas 0", cr.Async.Lag}, {"--sync-replicas quorum", cr.Quorum.Lag}} {
		if d.l.Status != statusSkipped {
			fmt.Fprintf(b, "- replication lag during the %s run: %s\n", d.label, lagDetail(d.l))
		}
	}
	if f.Status != statusSkipped {
		fmt.Fprintf(b, "- failover: %s\n", failoverDetail(f))
	}
}

func lagText(l lagStats, ms float64, atLeast bool) string {
	switch l.Status {
	case statusOK:
		if atLeast {
			return fmt.Sprintf("> %.2f ms", ms)
		}
		return fmt.Sprintf("%.2f ms", ms)
	case statusSkipped:
		return "—"
	default:
		return "ERROR (" + oneLine(l.Error, 60) + ")"
	}
}

func lagDetail(l lagStats) string {
	switch l.Status {
	case statusOK:
		return fmt.Sprintf("%d replica acknowledgements, p50 %s, p99 %s",
			l.Observations, lagText(l, l.P50MS, l.P50AtLeast), lagText(l, l.P99MS, l.P99AtLeast))
	default:
		return "ERROR: " + oneLine(l.Error, 300)
	}
}

func failoverText(f failoverStat, sec float64) string {
	switch f.Status {
	case statusOK:
		return fmt.Sprintf("%.2f s", sec)
	case statusSkipped:
		return "—"
	default:
		return "ERROR (" + oneLine(f.Error, 60) + ")"
	}
}

func failoverDetail(f failoverStat) string {
	var runs []string
	for _, r := range f.Runs {
		elected := "not seen"
		if r.ElectedSec > 0 {
			elected = fmt.Sprintf("%.2f s", r.ElectedSec)
		}
		runs = append(runs, fmt.Sprintf("%.2f s (killed %s; new primary %s agreed after %s; client via %s)",
			r.Seconds, r.Killed, r.NewPrimary, elected, r.WriterVia))
	}
	s := strings.Join(runs, "; ")
	if f.Status != statusOK {
		if s != "" {
			s += "; "
		}
		s += "ERROR: " + oneLine(f.Error, 300)
	}
	return s
}
