// Package node wires one sqlcluster server together: the storage engine,
// the PostgreSQL front end and the admin HTTP API. The command-line binary
// only turns flags into a Config; everything that runs lives here, so that a
// test can start several nodes in one process.
//
// In stream mode (stream.go) the node is also a member of a cluster: the
// engine is opened with the replicator (replicator.go) in its commit path,
// so every commit is logged and shipped before it is acknowledged; the
// pg front end talks to a router (router.go) that keeps autocommit reads
// local and forwards everything else to the primary over a peer
// connection. The data path is
//
//	client → wire → router → engine/sqlite → replicator → walstream (log, shipper)
//	                   └──── forward (replica → primary's engine)
//
// and the election (election/) hands out the role the cluster follows:
// primary (ship the log), replica (follow the primary, install snapshots
// when told to) or none (refuse writes). The invariants: the commit lock
// in the replicator orders commits, log appends and epoch changes, so a
// log entry is never written for an epoch the node has already fenced;
// the replication log, not the WAL, is the durable record, and at start
// the databases are brought to it (recover).
//
// Start order is engine, then admin (so /health answers while the pg port
// opens), then the pg listener. Stop reverses it: stop accepting clients,
// let running statements finish within the shutdown timeout, cancel the
// rest (their transactions roll back when their sessions close), then
// checkpoint and close the databases and release the data-directory lock.
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/walstream"
	"github.com/sqlcluster/sqlcluster/wire"
)

// Version is the sqlcluster release, reported in /status and version().
const Version = "0.1.0"

// Config is a node's configuration, as given by flags, environment and
// config file.
type Config struct {
	NodeID          string
	Mode            string
	DataDir         string
	PGAddr          string
	AdminAddr       string
	Password        string
	AuthMethod      string
	TLSCert, TLSKey string
	MaxMessageSize  int
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Stream configures --mode stream and the cluster flags raft mode
	// shares; Raft the rest of --mode raft.
	Stream StreamConfig
	Raft   RaftConfig
}

// Node is a running server.
type Node struct {
	cfg     Config
	log     *slog.Logger
	eng     engine.Engine
	cluster *cluster // stream mode
	raft    *raftCluster
	pg      *wire.Server
	admin   *http.Server
	pgLn    net.Listener
	adminLn net.Listener
	started time.Time

	mu      sync.Mutex
	ready   bool
	stopped bool
	done    chan struct{}
}

// Start opens the engine and starts serving. It returns once both
// listeners are bound.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NodeID == "" {
		cfg.NodeID, _ = os.Hostname()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	switch cfg.Mode {
	case "", "single":
		cfg.Mode = "single"
	case "stream", "raft":
	default:
		return nil, fmt.Errorf("unknown --mode %q: use single, stream or raft", cfg.Mode)
	}
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, errors.New("--tls-cert and --tls-key must be given together")
		}
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	switch cfg.AuthMethod {
	case "", "scram-sha-256", "md5", "password":
	default:
		return nil, fmt.Errorf("unknown --auth-method %q: use scram-sha-256, md5 or password", cfg.AuthMethod)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), started: time.Now(), done: make(chan struct{})}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ecfg := sqlite.Config{DataDir: cfg.DataDir, Logger: n.log}
	var c *cluster
	if cfg.Mode == "stream" {
		var err error
		if c, err = openCluster(n, cfg.Stream); err != nil {
			return nil, err
		}
		ecfg.Replication, ecfg.ReadBarrier = c.repl, c.repl
	}
	if cfg.Mode == "raft" {
		return n.startRaft(ctx, reg, tlsCfg)
	}
	eng, err := sqlite.Open(ctx, ecfg)
	if err != nil {
		if c != nil {
			c.closeLog()
		}
		return nil, err
	}
	n.eng = eng
	var clusterAPI admin.Cluster
	var standby func() bool
	if c != nil {
		c.eng = eng
		if err := c.recover(ctx); err != nil {
			eng.Close()
			c.closeLog()
			return nil, fmt.Errorf("recovering the databases from the replication log: %w", err)
		}
		n.cluster, n.eng = c, &router{c: c, eng: eng}
		c.met.register(reg, c)
		c.repl.onLogged = func(t *walstream.Txn) {
			c.met.pages.Add(float64(len(t.Pages)))
			c.met.bytes.Add(float64(len(t.Pages)) * float64(t.PageSize))
			c.record.add("primary", t)
		}
		clusterAPI = clusterAdmin{c}
		standby = func() bool { return !c.repl.isPrimary() }
	}
	reg.MustRegister(newEngineCollector(eng))
	closeAll := func() {
		eng.Close()
		if c != nil {
			c.closeLog()
		}
	}
	if err := n.listen(reg, tlsCfg, clusterAPI, standby, closeAll); err != nil {
		return nil, err
	}
	if c != nil {
		if err := c.start(ctx); err != nil {
			n.pgLn.Close()
			n.admin.Close()
			closeAll()
			return nil, err
		}
	}
	n.serve("tls", tlsCfg != nil, "auth", authName(cfg))
	return n, nil
}

// listen builds the pg front end over n.eng and binds the admin and pg
// listeners (admin first, so /health answers while the pg port opens). On
// failure it closes what it opened and calls closeAll.
func (n *Node) listen(reg *prometheus.Registry, tlsCfg *tls.Config, api admin.Cluster, standby func() bool, closeAll func()) error {
	cfg := n.cfg
	n.pg = wire.New(wire.Config{
		Engine: n.eng, TLS: tlsCfg, Password: cfg.Password, AuthMethod: cfg.AuthMethod,
		MaxMessageSize: cfg.MaxMessageSize, NodeID: cfg.NodeID, Logger: n.log,
		Metrics: wire.NewMetrics(reg), Standby: standby,
	})
	var err error
	if n.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
		closeAll()
		return fmt.Errorf("listening on --admin-addr %s: %w", cfg.AdminAddr, err)
	}
	n.admin = &http.Server{Handler: admin.Handler(n, reg, api), ReadHeaderTimeout: 10 * time.Second}
	go n.admin.Serve(n.adminLn)
	if n.pgLn, err = net.Listen("tcp", cfg.PGAddr); err != nil {
		n.admin.Close()
		closeAll()
		return fmt.Errorf("listening on --pg-addr %s: %w", cfg.PGAddr, err)
	}
	return nil
}

// serve starts accepting pg clients and marks the node ready.
func (n *Node) serve(logAttrs ...any) {
	go func() {
		if err := n.pg.Serve(n.pgLn); err != nil {
			n.log.Error("pg listener failed", "err", err)
		}
	}()
	n.mu.Lock()
	n.ready = true
	n.mu.Unlock()
	n.log.Info("sqlclusterd started", append([]any{"mode", n.cfg.Mode, "pg", n.pgLn.Addr().String(), "admin", n.adminLn.Addr().String(), "data", n.cfg.DataDir}, logAttrs...)...)
}

func authName(cfg Config) string {
	if cfg.Password == "" {
		return "trust"
	}
	if cfg.AuthMethod == "" {
		return "scram-sha-256"
	}
	return cfg.AuthMethod
}

// PGAddr and AdminAddr return the bound addresses (useful with port 0).
func (n *Node) PGAddr() string    { return n.pgLn.Addr().String() }
func (n *Node) AdminAddr() string { return n.adminLn.Addr().String() }

// Stop shuts the node down gracefully; see the package doc.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		<-n.done
		return nil
	}
	n.stopped, n.ready = true, false
	n.mu.Unlock()
	defer close(n.done)
	sctx, cancel := context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
	defer cancel()
	if err := n.pg.Shutdown(sctx); err != nil {
		n.log.Warn("statements were cancelled at shutdown", "err", err)
	}
	if n.cluster != nil {
		n.cluster.stop()
	}
	err := n.eng.Close()
	if n.raft != nil {
		n.raft.stop()
	}
	if n.cluster != nil {
		if cerr := n.cluster.closeLog(); err == nil {
			err = cerr
		}
	}
	n.admin.Close()
	n.log.Info("sqlclusterd stopped")
	return err
}

// Status implements admin.Source.
func (n *Node) Status(ctx context.Context) admin.Status {
	dbs, _ := n.eng.Databases(ctx)
	st := n.eng.Stats()
	s := admin.Status{
		NodeID: n.cfg.NodeID, Mode: n.cfg.Mode, Role: "primary", Version: Version,
		PGAddr: n.PGAddr(), Databases: dbs, Connections: n.pg.Connections(),
		Uptime: time.Since(n.started).Round(time.Second).String(), Commits: st.Commits,
	}
	if n.cluster != nil {
		s.Role, s.Cluster = n.cluster.status()
	}
	if n.raft != nil {
		s.Role, s.Cluster = n.raft.status(ctx)
	}
	return s
}

// Ready implements admin.Source: ready while serving, not while stopping.
func (n *Node) Ready() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ready
}

// engineCollector exposes engine counters to Prometheus.
type engineCollector struct {
	eng                     engine.Engine
	commits, fsyncs, groups *prometheus.Desc
}

func newEngineCollector(eng engine.Engine) *engineCollector {
	return &engineCollector{
		eng:     eng,
		commits: prometheus.NewDesc("sqlcluster_commits_total", "Transactions committed.", nil, nil),
		fsyncs:  prometheus.NewDesc("sqlcluster_fsyncs_total", "Durable commit syncs (a group commit counts once).", nil, nil),
		groups:  prometheus.NewDesc("sqlcluster_group_commit_statements_total", "Autocommit statements that shared a commit with others.", nil, nil),
	}
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.commits
	ch <- c.fsyncs
	ch <- c.groups
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.eng.Stats()
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(st.Commits))
	ch <- prometheus.MustNewConstMetric(c.fsyncs, prometheus.CounterValue, float64(st.Fsyncs))
	ch <- prometheus.MustNewConstMetric(c.groups, prometheus.CounterValue, float64(st.GroupedStmts))
}
