package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	// Tests run in the package directory; point -bench-dir at the scripts.
	base := []string{"-bench-dir", "../../bench"}
	cfg, err := parseFlags(base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != 15*time.Second || cfg.clients != 8 || cfg.threads != 2 || cfg.protocol != "prepared" || len(cfg.workloads) != 3 {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg, _ = parseFlags(append(base, "-quick"), io.Discard); cfg.duration != 3*time.Second {
		t.Errorf("-quick duration = %v, want 3s", cfg.duration)
	}
	if cfg, _ = parseFlags(append(base, "-quick", "-duration", "7s"), io.Discard); cfg.duration != 7*time.Second {
		t.Errorf("-quick -duration 7s = %v, want 7s", cfg.duration)
	}
	if cfg, _ = parseFlags(append(base, "-clients", "1"), io.Discard); cfg.threads != 1 {
		t.Errorf("threads with 1 client = %d, want 1", cfg.threads)
	}
	cfg, err = parseFlags(append(base, "-workloads", "tpcb,point_select"), io.Discard)
	if err != nil || len(cfg.workloads) != 2 || cfg.workloads[0].Name != "point_select" {
		t.Errorf("-workloads: %v %+v", err, cfg.workloads)
	}

	if !cfg.cluster || cfg.failovers != 3 || !cfg.runsMain() || !cfg.runsStream() || !cfg.runsRaft() {
		t.Errorf("default run: cluster %v failovers %d main %v stream %v raft %v", cfg.cluster, cfg.failovers, cfg.runsMain(), cfg.runsStream(), cfg.runsRaft())
	}
	for _, tc := range []struct {
		args               []string
		main, stream, raft bool
	}{
		{[]string{"-only", "stream"}, false, true, false},
		{[]string{"-only", "raft"}, false, false, true},
		{[]string{"-cluster=false"}, true, false, true},
		{[]string{"-raft=false"}, true, true, false},
		{[]string{"-cluster=false", "-raft=false"}, true, false, false},
		{[]string{"-only", "stream", "-raft=false"}, false, true, false},
		{[]string{"-only", "raft", "-cluster=false"}, false, false, true},
		{[]string{"-only", "sqlcluster"}, true, false, false},
		{[]string{"-only", "postgres"}, true, false, false},
		// The PostgreSQL stand-in cannot run the cluster modes.
		{[]string{"-x-sqlcluster-as-postgres"}, true, false, false},
	} {
		cfg, err := parseFlags(append(append([]string{}, base...), tc.args...), io.Discard)
		if err != nil || cfg.runsMain() != tc.main || cfg.runsStream() != tc.stream || cfg.runsRaft() != tc.raft {
			t.Errorf("%q: err %v, main %v stream %v raft %v; want %v %v %v", tc.args, err,
				cfg.runsMain(), cfg.runsStream(), cfg.runsRaft(), tc.main, tc.stream, tc.raft)
		}
	}
	for _, only := range []string{"stream", "raft"} {
		if s := sides(mustParse(t, append(base, "-only", only))); len(s) != 0 {
			t.Errorf("-only %s runs sides %v", only, s)
		}
	}
	if cfg := mustParse(t, append(base, "-failovers", "0")); cfg.failovers != 0 || !cfg.runsStream() {
		t.Errorf("-failovers 0: %+v", cfg)
	}
	// The stream section needs insert.sql even when -workloads omits it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "point_select.sql"), []byte("SELECT 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFlags([]string{"-bench-dir", dir, "-workloads", "point_select"}, io.Discard); err == nil || !strings.Contains(err.Error(), "insert") {
		t.Errorf("stream section without insert.sql: err = %v", err)
	}
	// So does the raft section.
	if _, err := parseFlags([]string{"-bench-dir", dir, "-workloads", "point_select", "-cluster=false"}, io.Discard); err == nil || !strings.Contains(err.Error(), "insert") {
		t.Errorf("raft section without insert.sql: err = %v", err)
	}
	if _, err := parseFlags([]string{"-bench-dir", dir, "-workloads", "point_select", "-cluster=false", "-raft=false"}, io.Discard); err != nil {
		t.Errorf("-cluster=false -raft=false without insert.sql: %v", err)
	}

	for _, bad := range [][]string{
		{"-only", "stream", "-cluster=false"},
		{"-only", "stream", "-x-sqlcluster-as-postgres"},
		{"-only", "raft", "-raft=false"},
		{"-only", "raft", "-x-sqlcluster-as-postgres"},
		{"-failovers", "-1"},
		{"-only", "mysql"},
		{"-protocol", "binary"},
		{"-duration", "1500ms"},
		{"-clients", "0"},
		{"-workloads", "nope"},
		{"extra-arg"},
	} {
		if _, err := parseFlags(append(append([]string{}, base...), bad...), io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
	if _, err := parseFlags([]string{"-bench-dir", t.TempDir()}, io.Discard); err == nil || !strings.Contains(err.Error(), "point_select") {
		t.Errorf("missing scripts: err = %v", err)
	}
}

func TestUsageHidesInternalFlags(t *testing.T) {
	var b strings.Builder
	_, _ = parseFlags([]string{"-h"}, &b)
	if strings.Contains(b.String(), "x-sqlcluster") || !strings.Contains(b.String(), "-only") || !strings.Contains(b.String(), "-raft") {
		t.Errorf("usage:\n%s", b.String())
	}
}

func mustParse(t *testing.T, args []string) config {
	t.Helper()
	cfg, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	return cfg
}
