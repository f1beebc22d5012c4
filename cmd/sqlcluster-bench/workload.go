package main

import (
	"fmt"
	"strings"
)

// workload is one pgbench script and the throughput sqlclusterd must reach
// relative to PostgreSQL on it.
type workload struct {
	Name   string  // stable identifier used in -workloads and JSON
	Title  string  // human description for the table
	Script string  // file name under -bench-dir
	Target float64 // minimum sqlclusterd/PostgreSQL TPS ratio
}

// allWorkloads is the benchmark, in run order. The order matters for
// comparability only in that it is the same for both servers: the insert
// workload grows pgbench_history before the TPC-B one runs.
var allWorkloads = []workload{
	{Name: "point_select", Title: "point SELECT by primary key", Script: "point_select.sql", Target: 1.0},
	{Name: "insert", Title: "autocommit INSERT", Script: "insert.sql", Target: 1.0},
	{Name: "tpcb", Title: "TPC-B-like transaction", Script: "tpcb.sql", Target: 0.7},
}

func workloadNames() []string {
	names := make([]string, len(allWorkloads))
	for i, w := range allWorkloads {
		names[i] = w.Name
	}
	return names
}

// selectWorkloads resolves a comma-separated list of names, keeping the
// canonical run order whatever order the names were given in.
func selectWorkloads(list string) ([]workload, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []workload
	for _, w := range allWorkloads {
		if want[w.Name] {
			out = append(out, w)
			delete(want, w.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown workload %q (have %s)", n, strings.Join(workloadNames(), ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workloads selected")
	}
	return out, nil
}
