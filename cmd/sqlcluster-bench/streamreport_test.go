package main

import (
	"bytes"
	"strings"
	"testing"
)

func streamConfig() config {
	cfg := testConfig()
	cfg.only, cfg.cluster, cfg.failovers = sectionStream, true, 3
	return cfg
}

func TestClusterReportRatiosAndTargets(t *testing.T) {
	r := newReport(streamConfig())
	if len(r.Rows) != 0 || r.Cluster == nil {
		t.Fatalf("-only stream: rows %d, cluster %v", len(r.Rows), r.Cluster)
	}
	cr := r.Cluster
	cr.Single = cell{Status: statusOK, TPS: 1000}
	cr.Async.Insert = cell{Status: statusOK, TPS: 850}
	cr.Quorum.Insert = cell{Status: statusOK, TPS: 400}
	cr.Quorum.Lag = lagStats{Status: statusOK, Observations: 800, P50MS: 1.25, P99MS: 12.5, TargetP99MS: targetLagP99MS}
	cr.Async.Lag = lagStats{Status: statusOK, Observations: 900, P50MS: 0.5, P99MS: 3}
	cr.Failover = failoverStat{Status: statusOK, Repetitions: 3, TargetSec: targetFailoverSec, Runs: []failoverRun{
		{Killed: "n1", NewPrimary: "n2", WriterVia: "n2", Seconds: 1.5, ElectedSec: 1.4},
		{Killed: "n2", NewPrimary: "n3", WriterVia: "n1", Seconds: 3.5, ElectedSec: 1.6},
		{Killed: "n3", NewPrimary: "n1", WriterVia: "n1", Seconds: 1.0},
	}}
	r.finish()

	if cr.Async.Ratio == nil || *cr.Async.Ratio != 0.85 || !*cr.Async.TargetMet {
		t.Errorf("async ratio %v met %v, want 0.85 met", cr.Async.Ratio, cr.Async.TargetMet)
	}
	if cr.Quorum.Ratio == nil || *cr.Quorum.Ratio != 0.4 || *cr.Quorum.TargetMet {
		t.Errorf("quorum ratio %v met %v, want 0.4 missed", cr.Quorum.Ratio, cr.Quorum.TargetMet)
	}
	if cr.Quorum.Lag.TargetMet == nil || !*cr.Quorum.Lag.TargetMet {
		t.Errorf("lag target = %v, want met", cr.Quorum.Lag.TargetMet)
	}
	if f := cr.Failover; f.MedianSec != 1.5 || f.MaxSec != 3.5 || f.TargetMet == nil || *f.TargetMet {
		t.Errorf("failover median %v max %v met %v, want 1.5, 3.5, missed", f.MedianSec, f.MaxSec, f.TargetMet)
	}
	if r.hasErrors() {
		t.Error("missed targets counted as errors")
	}

	out := markdownOf(t, r)
	assertMarkdownHas(t, out,
		"| stream mode | result | vs single | target |",
		"| INSERT TPS, single mode (baseline) | 1000 | — | — |",
		"| INSERT TPS, 3 nodes, --sync-replicas 0 | 850 | 0.85× | ≥0.8× met |",
		"| INSERT TPS, 3 nodes, --sync-replicas quorum | 400 | 0.40× | ≥0.5× **MISSED** |",
		"| replication lag p50, quorum run | 1.25 ms | — | — |",
		"| replication lag p99, quorum run | 12.50 ms | — | <20 ms met |",
		"| failover (kill -9 primary → INSERT ok), median of 3 | 1.50 s | — | — |",
		"| failover (kill -9 primary → INSERT ok), max of 3 | 3.50 s | — | <3 s **MISSED** |",
		"- replication lag during the --sync-replicas 0 run: 900 replica acknowledgements, p50 0.50 ms, p99 3.00 ms",
		"- failover: 1.50 s (killed n1; new primary n2 agreed after 1.40 s; client via n2); 3.50 s",
		"agreed after not seen",
		"Machine: nproc",
	)
	if strings.Contains(out, "| workload |") {
		t.Errorf("-only stream printed the main table:\n%s", out)
	}
}

func TestClusterReportErrors(t *testing.T) {
	cfg := streamConfig()
	cfg.only = ""
	r := newReport(cfg)
	if len(r.Rows) != 3 || r.Cluster == nil {
		t.Fatalf("full run: rows %d, cluster %v", len(r.Rows), r.Cluster)
	}
	cr := r.Cluster
	cr.Single = cell{Status: statusOK, TPS: 1000}
	cr.Async.Insert = cell{Status: statusFailed, Failed: 2, Processed: 98, Error: "2 of 100 transactions failed"}
	cr.Quorum.Insert = cell{Status: statusOK, TPS: 600}
	cr.Quorum.Lag = lagStats{Status: statusOK, Observations: 10, P50MS: 3276.8, P50AtLeast: true, P99MS: 3276.8, P99AtLeast: true, TargetP99MS: targetLagP99MS}
	cr.Failover = failoverStat{Status: statusError, Repetitions: 3, TargetSec: targetFailoverSec,
		Runs:  []failoverRun{{Killed: "n1", NewPrimary: "n2", WriterVia: "n2", Seconds: 1}},
		Error: "repetition 2 of 3: no INSERT succeeded within 30s"}
	r.finish()

	if cr.Async.Ratio != nil {
		t.Errorf("ratio from a failed cell: %v", *cr.Async.Ratio)
	}
	if cr.Quorum.Lag.TargetMet == nil || *cr.Quorum.Lag.TargetMet {
		t.Error("a p99 above the last bucket met the target")
	}
	if cr.Failover.TargetMet != nil || cr.Failover.MaxSec != 0 {
		t.Errorf("failover summary computed despite a failed repetition: %+v", cr.Failover)
	}
	if !r.hasErrors() {
		t.Error("hasErrors = false with failed stream cells")
	}
	out := markdownOf(t, r)
	assertMarkdownHas(t, out,
		"| workload | PostgreSQL 15 TPS | sqlclusterd TPS | ratio | target |",
		"| INSERT TPS, 3 nodes, --sync-replicas 0 | FAILED (2 of 100 transactions failed) | — | ≥0.8× |",
		"| INSERT TPS, 3 nodes, --sync-replicas quorum | 600 | 0.60× | ≥0.5× met |",
		"| replication lag p99, quorum run | > 3276.80 ms | — | <20 ms **MISSED** |",
		"| failover (kill -9 primary → INSERT ok), max of 3 | ERROR (repetition 2 of 3: no INSERT succeeded within 30s) | — | <3 s |",
		"- failover: 1.00 s (killed n1; new primary n2 agreed after not seen; client via n2); ERROR: repetition 2",
	)
	// The async lag was never measured: no detail line for it.
	if strings.Contains(out, "--sync-replicas 0 run") {
		t.Errorf("skipped lag printed:\n%s", out)
	}
}

func TestClusterReportJSON(t *testing.T) {
	r := newReport(streamConfig())
	r.Cluster.Single = cell{Status: statusOK, TPS: 1000}
	r.Cluster.Quorum.Insert = cell{Status: statusOK, TPS: 750}
	r.Cluster.Quorum.Lag = lagStats{Status: statusOK, Observations: 5, P50MS: 1, P99MS: 2, TargetP99MS: 20}
	r.Cluster.Failover = failoverStat{Status: statusOK, Repetitions: 1, TargetSec: 3, Runs: []failoverRun{{Killed: "n1", Seconds: 2}}}
	r.finish()
	var back struct {
		Results []row          `json:"results"`
		Cluster *clusterReport `json:"cluster"`
	}
	b := jsonOf(t, r, &back)
	c := back.Cluster
	if c == nil || c.Nodes != 3 || c.Quorum.SyncReplicas != "quorum" || c.Quorum.Ratio == nil || *c.Quorum.Ratio != 0.75 {
		t.Fatalf("cluster round trip: %s", b)
	}
	if c.Quorum.Lag.P99MS != 2 || c.Failover.MedianSec != 2 || c.Failover.TargetMet == nil || !*c.Failover.TargetMet {
		t.Errorf("lag/failover round trip: %+v %+v", c.Quorum.Lag, c.Failover)
	}
	if c.Async.Insert.Status != statusSkipped {
		t.Errorf("unset async cell = %+v, want skipped", c.Async.Insert)
	}

	// Without the section, no cluster key at all.
	cfg := testConfig()
	r = newReport(cfg)
	r.finish()
	if b = jsonOf(t, r, nil); bytes.Contains(b, []byte(`"cluster"`)) {
		t.Errorf("cluster key without the section:\n%s", b)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
