package node

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// streamMetrics are the stream-mode series on /metrics.
type streamMetrics struct {
	elections   prometheus.Counter
	snapshots   prometheus.Counter
	pages       prometheus.Counter
	bytes       prometheus.Counter
	ackLatency  prometheus.Histogram
	primaryLast atomic.Uint64 // the primary's last TxID, from heartbeats (replicas)
}

func newStreamMetrics() *streamMetrics {
	return &streamMetrics{
		elections: prometheus.NewCounter(prometheus.CounterOpts{Name: "sqlcluster_elections_won_total", Help: "Times this node became primary."}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{Name: "sqlcluster_snapshot_installs_total", Help: "Snapshots installed from the primary."}),
		pages:     prometheus.NewCounter(prometheus.CounterOpts{Name: "sqlcluster_replicated_pages_total", Help: "Database pages logged for replication by this primary."}),
		bytes:     prometheus.NewCounter(prometheus.CounterOpts{Name: "sqlcluster_replicated_bytes_total", Help: "Page bytes logged for replication by this primary."}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sqlcluster_replication_lag_seconds",
			Help:    "Time from a commit being logged on the primary to a replica acknowledging it.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
	}
}

func (m *streamMetrics) observeLag(d time.Duration) { m.ackLatency.Observe(d.Seconds()) }

// clusterCollector exports the cluster's current state.
type clusterCollector struct {
	c                                 *cluster
	epoch, primary, logged, applied   *prometheus.Desc
	replicaAcked, replicaLag, members *prometheus.Desc
}

func newClusterCollector(c *cluster) *clusterCollector {
	return &clusterCollector{c: c,
		epoch:        prometheus.NewDesc("sqlcluster_epoch", "Newest epoch this node has seen.", nil, nil),
		primary:      prometheus.NewDesc("sqlcluster_is_primary", "1 while this node is the primary.", nil, nil),
		logged:       prometheus.NewDesc("sqlcluster_logged_txid", "Last transaction id in this node's replication log.", nil, nil),
		applied:      prometheus.NewDesc("sqlcluster_applied_txid", "Last transaction id applied to this node's databases.", nil, nil),
		replicaAcked: prometheus.NewDesc("sqlcluster_replica_acked_txid", "Last transaction id a replica acknowledged (primary only).", []string{"replica"}, nil),
		replicaLag:   prometheus.NewDesc("sqlcluster_replica_lag_transactions", "Transactions a replica is behind the primary (primary only).", []string{"replica"}, nil),
		members:      prometheus.NewDesc("sqlcluster_voters", "Voting members in the replicated membership.", nil, nil),
	}
}

func (cc *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cc.epoch, cc.primary, cc.logged, cc.applied, cc.replicaAcked, cc.replicaLag, cc.members} {
		ch <- d
	}
}

func (cc *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	c := cc.c
	if c.el != nil {
		ch <- prometheus.MustNewConstMetric(cc.epoch, prometheus.GaugeValue, float64(c.el.Epoch()))
	}
	isPrimary := 0.0
	if c.repl.isPrimary() {
		isPrimary = 1
	}
	ch <- prometheus.MustNewConstMetric(cc.primary, prometheus.GaugeValue, isPrimary)
	last, _ := c.wal.Last()
	ch <- prometheus.MustNewConstMetric(cc.logged, prometheus.GaugeValue, float64(last.TxID))
	ch <- prometheus.MustNewConstMetric(cc.applied, prometheus.GaugeValue, float64(c.repl.applied.Load()))
	if c.mem != nil {
		ch <- prometheus.MustNewConstMetric(cc.members, prometheus.GaugeValue, float64(len(c.mem.voters())))
	}
	c.mu.Lock()
	sh := c.shipper
	c.mu.Unlock()
	if sh != nil {
		for _, r := range sh.Replicas() {
			ch <- prometheus.MustNewConstMetric(cc.replicaAcked, prometheus.GaugeValue, float64(r.Acked), r.ID)
			ch <- prometheus.MustNewConstMetric(cc.replicaLag, prometheus.GaugeValue, float64(r.Lag), r.ID)
		}
	}
}

func (m *streamMetrics) register(reg *prometheus.Registry, c *cluster) {
	reg.MustRegister(m.elections, m.snapshots, m.pages, m.bytes, m.ackLatency, newClusterCollector(c))
}
