package main

import (
	"io"
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

	for _, bad := range [][]string{
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
	if strings.Contains(b.String(), "x-sqlcluster") || !strings.Contains(b.String(), "-only") {
		t.Errorf("usage:\n%s", b.String())
	}
}
