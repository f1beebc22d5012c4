package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testConfig() config {
	return config{clients: 8, threads: 2, duration: 15 * time.Second, protocol: "prepared",
		maxTries: 10, workloads: allWorkloads}
}

// markdownOf renders r as the command prints it.
func markdownOf(t *testing.T, r *report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := writeMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// assertMarkdownHas fails for every line fragment out lacks.
func assertMarkdownHas(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

// jsonOf writes r as -json does and returns the file, decoded into v
// unless v is nil.
func jsonOf(t *testing.T, r *report, v any) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.json")
	if err := writeJSON(path, r); err != nil {
		t.Fatal(err)
	}
	return readJSON(t, path, v)
}

// readJSON returns the JSON file at path, decoded into v unless v is nil.
func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestReportRatiosAndTargets(t *testing.T) {
	r := newReport(testConfig())
	r.set(sidePostgres, "point_select", cell{Status: statusOK, TPS: 1000})
	r.set(sideSqlcluster, "point_select", cell{Status: statusOK, TPS: 1500})
	r.set(sidePostgres, "insert", cell{Status: statusOK, TPS: 1000})
	r.set(sideSqlcluster, "insert", cell{Status: statusOK, TPS: 900})
	r.set(sidePostgres, "tpcb", cell{Status: statusOK, TPS: 1000})
	r.set(sideSqlcluster, "tpcb", cell{Status: statusFailed, TPS: 0, Failed: 3, Processed: 97,
		Error: "3 of 100 transactions failed"})
	r.finish()

	if got := *r.Rows[0].Ratio; got != 1.5 || !*r.Rows[0].TargetMet {
		t.Errorf("point_select ratio %v met %v, want 1.5 met", got, *r.Rows[0].TargetMet)
	}
	if got := *r.Rows[1].Ratio; got != 0.9 || *r.Rows[1].TargetMet {
		t.Errorf("insert ratio %v met %v, want 0.9 missed (target 1.0)", got, *r.Rows[1].TargetMet)
	}
	if r.Rows[2].Ratio != nil {
		t.Errorf("tpcb ratio computed from a failed cell: %v", *r.Rows[2].Ratio)
	}
	if !r.hasErrors() {
		t.Error("hasErrors = false with a failed cell")
	}

	out := markdownOf(t, r)
	assertMarkdownHas(t, out,
		"| workload | PostgreSQL 15 TPS | sqlclusterd TPS | ratio | target |",
		"| point SELECT by primary key | 1000 | 1500 | 1.50× | ≥1.0× met |",
		"| autocommit INSERT | 1000 | 900 | 0.90× | ≥1.0× **MISSED** |",
		"| TPC-B-like transaction | 1000 | FAILED (3 of 100 transactions failed) | — | ≥0.7× |",
		"Machine: nproc",
	)
}

func TestReportOnlyOneSide(t *testing.T) {
	cfg := testConfig()
	cfg.only = sidePostgres
	r := newReport(cfg)
	for _, w := range allWorkloads {
		r.set(sidePostgres, w.Name, cell{Status: statusOK, TPS: 10})
	}
	r.finish()
	if r.hasErrors() {
		t.Error("skipped side counted as error")
	}
	for _, row := range r.Rows {
		if row.Ratio != nil || row.Sqlcluster.Status != statusSkipped {
			t.Errorf("row %s: ratio %v, sqlcluster %+v", row.Workload, row.Ratio, row.Sqlcluster)
		}
	}
	if out := markdownOf(t, r); !strings.Contains(out, "| point SELECT by primary key | 10 | — | — | ≥1.0× |") {
		t.Errorf("markdown:\n%s", out)
	}
}

func TestErrorCellIsTableSafe(t *testing.T) {
	got := cellText(cell{Status: statusError, Error: "ERROR:  syntax error at or near \"|\"\nLINE 1: x | y"})
	if strings.Contains(got, "\n") || strings.Contains(got, " | ") || !strings.HasPrefix(got, "ERROR (") {
		t.Errorf("cellText = %q", got)
	}
	if n := len([]rune(oneLine(strings.Repeat("x", 500), 60))); n != 60 {
		t.Errorf("oneLine length %d, want 60", n)
	}
}

func TestWriteJSON(t *testing.T) {
	r := newReport(testConfig())
	r.set(sidePostgres, "insert", cell{Status: statusOK, TPS: 123.5})
	r.set(sideSqlcluster, "insert", cell{Status: statusOK, TPS: 247})
	r.finish()
	var back struct {
		Config  runConfig `json:"config"`
		Results []row     `json:"results"`
	}
	jsonOf(t, r, &back)
	if back.Config.Clients != 8 || len(back.Results) != 3 {
		t.Fatalf("round trip: %+v", back)
	}
	ins := back.Results[1]
	if ins.Workload != "insert" || ins.Postgres.TPS != 123.5 || ins.Ratio == nil || *ins.Ratio != 2 {
		t.Errorf("insert row = %+v", ins)
	}
}
