package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Status is the /status document. Field names are part of the API that
// sqlclusterctl and scripts read.
type Status struct {
	NodeID      string   `json:"node_id"`
	Mode        string   `json:"mode"`
	Role        string   `json:"role"`
	Version     string   `json:"version"`
	PGAddr      string   `json:"pg_addr"`
	Databases   []string `json:"databases"`
	Connections int      `json:"connections"`
	Uptime      string   `json:"uptime"`
	Commits     uint64   `json:"commits"`
	// Cluster is set in stream and raft mode.
	Cluster *ClusterStatus `json:"cluster,omitempty"`
}

// Source is what the admin API needs from a node.
type Source interface {
	Status(ctx context.Context) Status
	Ready() bool
}

// Handler returns the admin API. reg provides /metrics; cluster serves the
// /cluster/ routes and is nil on a single-mode node.
func Handler(src Source, reg *prometheus.Registry, cluster Cluster) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		if !src.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(src.Status(ctx))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Profiling for operators chasing latency; the admin address should
	// not be exposed beyond the operators' network anyway.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	routeCluster(mux, cluster)
	return mux
}
