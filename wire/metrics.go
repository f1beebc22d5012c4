package wire

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the protocol layer's Prometheus collectors. They register on
// the Registerer given to NewMetrics (never the global one), so several
// servers can run in one process.
type Metrics struct {
	connections      prometheus.Gauge
	connectionsTotal prometheus.Counter
	authFailures     prometheus.Counter
	statements       *prometheus.CounterVec
	errors           *prometheus.CounterVec
	latency          prometheus.Histogram
	panics           prometheus.Counter
	bytesIn          atomic.Uint64
	bytesOut         atomic.Uint64
}

// NewMetrics creates the collectors and registers them on reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sqlcluster_connections", Help: "Open client connections."}),
		connectionsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sqlcluster_connections_total", Help: "Client connections accepted."}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sqlcluster_auth_failures_total", Help: "Failed authentication attempts."}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sqlcluster_statements_total", Help: "Statements executed, by command."}, []string{"command"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sqlcluster_errors_total", Help: "Errors returned to clients, by SQLSTATE."}, []string{"sqlstate"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sqlcluster_connection_panics_total", Help: "Connections ended by a recovered panic (always a bug)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sqlcluster_statement_duration_seconds", Help: "Statement execution latency.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2.5, 14)}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.connectionsTotal, m.authFailures, m.statements, m.errors, m.latency, m.panics,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sqlcluster_bytes_received_total", Help: "Bytes received from clients."},
				func() float64 { return float64(m.bytesIn.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sqlcluster_bytes_sent_total", Help: "Bytes sent to clients."},
				func() float64 { return float64(m.bytesOut.Load()) }),
		)
	}
	return m
}
