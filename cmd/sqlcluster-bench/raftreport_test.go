package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func raftConfig() config {
	cfg := testConfig()
	cfg.only, cfg.raft = sectionRaft, true
	return cfg
}

func TestRaftReportRatiosAndTargets(t *testing.T) {
	r := newReport(raftConfig())
	if len(r.Rows) != 0 || r.Cluster != nil || r.Raft == nil {
		t.Fatalf("-only raft: rows %d, cluster %v, raft %v", len(r.Rows), r.Cluster, r.Raft)
	}
	rr := r.Raft
	if len(rr.Loads) != 2 || rr.Loads[0].Clients != 1 || rr.Loads[0].Threads != 1 || rr.Loads[1].Clients != 8 || rr.Loads[1].Threads != 2 {
		t.Fatalf("loads = %+v, want -c 1 -j 1 and -c 8 -j 2", rr.Loads)
	}
	rr.Leader = "n2"
	rr.Loads[0].PGWire = cell{Status: statusOK, TPS: 450, Processed: 4500, LatencyMS: 2.2}
	rr.Loads[0].Driver = cell{Status: statusOK, TPS: 500, Processed: 5000, LatencyMS: 2}
	rr.Loads[1].PGWire = cell{Status: statusOK, TPS: 400, Processed: 4000}
	rr.Loads[1].Driver = cell{Status: statusOK, TPS: 800, Processed: 8000, Retried: 1234, LatencyMS: 9.5}
	r.finish()

	if w := rr.WireVsDriver; w.Ratio == nil || *w.Ratio != 0.9 || w.TargetMet == nil || !*w.TargetMet {
		t.Errorf("pg wire / driver = %v met %v, want 0.9 met (the target is inclusive)", w.Ratio, w.TargetMet)
	}
	if s := rr.Scaling; s.Ratio == nil || *s.Ratio != 400.0/450 || s.TargetMet == nil || *s.TargetMet {
		t.Errorf("8 / 1 clients = %v met %v, want %v missed", s.Ratio, s.TargetMet, 400.0/450)
	}
	if l := rr.Loads[1]; l.Ratio == nil || *l.Ratio != 0.5 {
		t.Errorf("8-client pg wire / driver = %v, want 0.5", l.Ratio)
	}
	if r.hasErrors() {
		t.Error("missed targets counted as errors")
	}

	out := markdownOf(t, r)
	assertMarkdownHas(t, out,
		"Raft mode: 3-node dqlite clusters on 127.0.0.1, TLS between nodes, autocommit INSERT (bench/insert.sql) for 15 s per figure. pg wire: sqlclusterd --mode raft, pgbench against the leader (n2).",
		"| raft mode, INSERT TPS | pg wire | go-dqlite driver | pg wire / driver | target |",
		"| 1 client | 450 | 500 | 0.90× | ≥0.9× met |",
		"| 8 clients | 400 | 800 | 0.50× | — |",
		"| 8 clients / 1 client | 0.89× | 1.60× | — | pg wire ≥1.0× **MISSED** |",
		"- insert through the pg wire, pgbench -c 1 -j 1: 450.0 tps, 4500 transactions, 0 retried, latency avg 2.200 ms",
		"- insert through the go-dqlite driver, 8 goroutines: 800.0 tps, 8000 INSERTs, 1234 \"database is locked\" retries, latency avg 9.500 ms",
		"- insert through the go-dqlite driver, 1 goroutine: 500.0 tps",
		"Raft mode: -c/-j per row (-clients and -threads do not apply)",
		"Machine: nproc",
	)
	for _, unwanted := range []string{"| workload |", "| stream mode |", "- note:"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("-only raft printed %q:\n%s", unwanted, out)
		}
	}
}

func TestRaftReportErrors(t *testing.T) {
	cfg := raftConfig()
	cfg.only, cfg.cluster = "", true
	r := newReport(cfg)
	if len(r.Rows) != 3 || r.Cluster == nil || r.Raft == nil {
		t.Fatalf("full run: rows %d, cluster %v, raft %v", len(r.Rows), r.Cluster, r.Raft)
	}
	rr := r.Raft
	rr.Loads[0].PGWire = cell{Status: statusError, Error: "client 0 script 0 aborted in command 4 query 0: ERROR: no such function: now"}
	rr.Loads[1].PGWire = cell{Status: statusOK, TPS: 900}
	rr.Loads[0].Driver = cell{Status: statusOK, TPS: 500}
	rr.Loads[1].Driver = cell{Status: statusFailed, Processed: 90, Failed: 2, Retried: 7, Error: "2 of 92 INSERTs failed: insert: database stayed locked for 30s"}
	rr.Notes = []string{"leadership moved from n1 to n3 during the pg-wire runs; pgbench's statements were forwarded"}
	r.finish()

	if rr.WireVsDriver.Ratio != nil || rr.Scaling.Ratio != nil || rr.Loads[1].Ratio != nil {
		t.Errorf("ratio from a bad cell: %+v %+v %+v", rr.WireVsDriver, rr.Scaling, rr.Loads[1])
	}
	if !r.hasErrors() {
		t.Error("hasErrors = false with failed raft cells")
	}
	out := markdownOf(t, r)
	assertMarkdownHas(t, out,
		"| workload | PostgreSQL 15 TPS | sqlclusterd TPS | ratio | target |",
		"| stream mode | result | vs single | target |",
		"| 1 client | ERROR (client 0 script 0 aborted in command 4 query 0: ERROR: no s…) | 500 | — | ≥0.9× |",
		"| 8 clients | 900 | FAILED (2 of 92 INSERTs failed: insert: database stayed locked for …) | — | — |",
		"| 8 clients / 1 client | — | — | — | pg wire ≥1.0× |",
		"- insert through the go-dqlite driver, 8 goroutines: FAILED: 2 of 92 INSERTs failed: insert: database stayed locked for 30s (7 retried)",
		"- note: leadership moved from n1 to n3",
	)
	// pgbench never connected to a leader: no "(nX)" in the heading.
	if strings.Contains(out, "against the leader (") {
		t.Errorf("unknown leader named:\n%s", out)
	}
	// The stream section comes first, as it runs first.
	if strings.Index(out, "| stream mode |") > strings.Index(out, "| raft mode,") {
		t.Errorf("raft section before the stream section:\n%s", out)
	}
}

func TestRaftReportJSON(t *testing.T) {
	r := newReport(raftConfig())
	r.Raft.Loads[0].PGWire = cell{Status: statusOK, TPS: 950}
	r.Raft.Loads[0].Driver = cell{Status: statusOK, TPS: 1000}
	r.Raft.Loads[1].PGWire = cell{Status: statusOK, TPS: 1900}
	r.finish()
	var back struct {
		Cluster *clusterReport `json:"cluster"`
		Raft    *raftReport    `json:"raft"`
	}
	b := jsonOf(t, r, &back)
	rr := back.Raft
	if back.Cluster != nil || rr == nil || rr.Nodes != 3 || len(rr.Loads) != 2 {
		t.Fatalf("round trip: %s", b)
	}
	if w := rr.WireVsDriver; w.Target != 0.9 || w.Ratio == nil || *w.Ratio != 0.95 || !*w.TargetMet {
		t.Errorf("pg wire / driver round trip: %+v", w)
	}
	if s := rr.Scaling; s.Target != 1 || s.Ratio == nil || *s.Ratio != 2 || !*s.TargetMet {
		t.Errorf("scaling round trip: %+v", s)
	}
	if d := rr.Loads[1].Driver; d.Status != statusSkipped || rr.Loads[1].Ratio != nil {
		t.Errorf("unset driver cell = %+v, ratio %v; want skipped, none", d, rr.Loads[1].Ratio)
	}
	for _, key := range []string{`"pgwire_to_driver_1_client"`, `"pgwire_8_to_1_client"`, `"go_dqlite_driver"`, `"pgbench_threads": 2`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("json lacks %s:\n%s", key, b)
		}
	}

	// Without the section, no raft key at all.
	cfg := testConfig()
	r = newReport(cfg)
	r.finish()
	if b = jsonOf(t, r, nil); bytes.Contains(b, []byte(`"raft"`)) {
		t.Errorf("raft key without the section:\n%s", b)
	}
}

// The raft section creates pgbench_history itself on both paths; it must
// be the table setup.sql creates everywhere else.
func TestHistoryDDLMatchesSetup(t *testing.T) {
	b, err := os.ReadFile("../../bench/setup.sql")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if !strings.Contains(norm(string(b)), norm(historyDDL)+";") {
		t.Errorf("bench/setup.sql does not contain %q", norm(historyDDL))
	}
}
