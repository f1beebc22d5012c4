package dqlite

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	godqlite "github.com/canonical/go-dqlite"
	"github.com/canonical/go-dqlite/app"
	"github.com/canonical/go-dqlite/client"
	dqdriver "github.com/canonical/go-dqlite/driver"
	"modernc.org/sqlite"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
)

// DefaultDatabase always exists; the first node creates it.
const DefaultDatabase = "postgres"

// Config configures an Engine.
type Config struct {
	// DataDir holds the node's Raft log and snapshots (DataDir/dqlite) and
	// its lock file. The databases themselves live in memory (dqlite 1.11).
	DataDir string
	// Address is the host:port this node's dqlite listens on and the
	// others reach it at. The host must be an IP address: dqlite resolves
	// nothing, and it must stay the same across restarts.
	Address string
	// Cluster lists addresses of existing members to join through on the
	// first start; empty bootstraps a new cluster. Ignored once the data
	// directory is initialized.
	Cluster []string
	// Peers lists the dqlite addresses of other members known now (from
	// gossip). On a restart they are added to the node store go-dqlite
	// looks for the leader in (see addPeers).
	Peers []string
	// ServerTLS and ClientTLS, both or neither, encrypt dqlite's traffic
	// (node to node and client to node).
	ServerTLS, ClientTLS *tls.Config
	// Voters and StandBys are the numbers of nodes the cluster keeps in
	// those roles (defaults 3 and 3; Voters must be odd). All nodes must
	// agree.
	Voters, StandBys int
	// FailureDomain is taken into account when choosing nodes to promote.
	FailureDomain uint64
	// Logger receives the engine's and go-dqlite's logs; nil discards.
	Logger *slog.Logger

	// LeaderTimeout bounds waiting for a leader (no quorum, election);
	// the statement then fails with 57P03. Default 10s.
	LeaderTimeout time.Duration
	// BusyTimeout bounds waiting for another node's writer to finish;
	// the statement then fails with 40001. Default 30s.
	BusyTimeout time.Duration
	// MaxIdleConns is the number of idle leader connections kept per
	// database. Default 8.
	MaxIdleConns int
	// LeaderPollInterval is how often the node is asked who leads (to
	// notice leader changes). Default 100ms.
	LeaderPollInterval time.Duration
	// RolesAdjustmentFrequency is how often the leader rebalances roles
	// (go-dqlite's default, 30s, when zero).
	RolesAdjustmentFrequency time.Duration
	// NetworkLatency is the expected one-way latency between nodes, from
	// which dqlite derives heartbeat and election timeouts (dqlite's
	// default when zero). Lower values fail over faster.
	NetworkLatency time.Duration
}

// Engine implements engine.Engine on a dqlite node (raft mode). See the
// package documentation.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	lock  *os.File
	app   *app.App
	dial  client.DialFunc // plain (TLS if configured) dialer to nodes
	store *nodeStore

	driver       *dqdriver.Driver
	lw           *leaderWatch
	mirrorDriver *sqlite.Driver
	sys          *database
	stats        counters

	mu     sync.Mutex
	dbs    map[string]*database // by dqlite file
	closed bool
}

type counters struct {
	commits, grouped atomic.Uint64
}

var _ engine.Engine = (*Engine)(nil)

// appMu serializes app.New: go-dqlite numbers the drivers it registers
// with an unguarded package counter.
var appMu sync.Mutex

// sqliteOnce switches the process's C SQLite to multi-thread mode before
// first use. go-dqlite selects single-thread mode, which is only safe with
// one node per process; tests run several.
var sqliteOnce sync.Once

// Open starts (or restarts) this node, joins or bootstraps the cluster,
// waits until the node is ready and makes sure the default database exists.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "dqlite")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sqliteOnce.Do(func() {
		if err := godqlite.ConfigMultiThread(); err != nil {
			cfg.Logger.Warn("cannot switch SQLite to multi-thread mode", "err", err)
		}
	})
	e := &Engine{cfg: cfg, log: cfg.Logger, lock: lock, dbs: map[string]*database{}}
	opts := []app.Option{
		app.WithAddress(cfg.Address),
		app.WithVoters(cfg.Voters),
		app.WithStandBys(cfg.StandBys),
		app.WithFailureDomain(cfg.FailureDomain),
		app.WithLogFunc(slogFunc(cfg.Logger.With("component", "go-dqlite"))),
	}
	if len(cfg.Cluster) > 0 {
		opts = append(opts, app.WithCluster(cfg.Cluster))
	}
	if cfg.ServerTLS != nil {
		opts = append(opts, app.WithTLS(cfg.ServerTLS, cfg.ClientTLS))
		// With TLS, go-dqlite 1.11 binds the C node to the abstract unix
		// socket "@dqlite-<node id>", and every cluster's bootstrap node
		// has the same id: two TLS clusters on one host collide ("failed
		// to set bind address"). Its only knob is the snap instance name,
		// which it puts into the socket name; make it unique per process.
		if os.Getenv("SNAP_INSTANCE_NAME") == "" {
			os.Setenv("SNAP_INSTANCE_NAME", fmt.Sprintf("sqlcluster-%d", os.Getpid()))
		}
	}
	if cfg.RolesAdjustmentFrequency > 0 {
		opts = append(opts, app.WithRolesAdjustmentFrequency(cfg.RolesAdjustmentFrequency))
	}
	if cfg.NetworkLatency > 0 {
		opts = append(opts, app.WithNetworkLatency(cfg.NetworkLatency))
	}
	if err := addPeers(dir, cfg.Peers); err != nil {
		lock.Close()
		return nil, err
	}
	appMu.Lock()
	a, err := app.New(dir, opts...)
	appMu.Unlock()
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("starting dqlite node: %w", err)
	}
	e.app = a
	if err := a.Ready(ctx); err != nil {
		e.abort()
		return nil, fmt.Errorf("waiting for the dqlite node to join the cluster: %w", err)
	}
	e.dial = client.DefaultDialFunc
	if cfg.ClientTLS != nil {
		e.dial = client.DialFuncWithTLS(client.DefaultDialFunc, cfg.ClientTLS)
	}
	e.store = &nodeStore{self: cfg.Address, path: filepath.Join(dir, "cluster.yaml")}
	e.driver, err = dqdriver.New(e.store, dqdriver.WithDialFunc(trackingDial(e.dial)),
		dqdriver.WithLogFunc(slogFunc(cfg.Logger.With("component", "go-dqlite-driver"))))
	if err != nil {
		e.abort()
		return nil, fmt.Errorf("creating dqlite driver: %w", err)
	}
	e.mirrorDriver = &sqlite.Driver{}
	if err := catalog.Register(e.mirrorDriver); err != nil {
		e.abort()
		return nil, fmt.Errorf("registering SQL functions: %w", err)
	}
	e.lw = newLeaderWatch(e.store, e.dial, cfg.Logger, cfg.LeaderPollInterval)
	e.lw.barrier = e.barrier
	e.lw.refresh(ctx)
	e.lw.start()
	if e.sys, err = e.newDatabase(systemDB, systemDB); err != nil {
		e.abort()
		return nil, err
	}
	if err := e.initSystem(ctx); err != nil {
		e.abort()
		return nil, fmt.Errorf("initializing the system database: %w", err)
	}
	return e, nil
}

func (c *Config) setDefaults() error {
	if c.DataDir == "" {
		return errors.New("dqlite: DataDir is required")
	}
	host, _, err := net.SplitHostPort(c.Address)
	if err != nil {
		return fmt.Errorf("dqlite: Address %q: %w", c.Address, err)
	}
	if net.ParseIP(host) == nil {
		return fmt.Errorf("dqlite: Address %q: the host must be an IP address (dqlite does not resolve names)", c.Address)
	}
	if (c.ServerTLS == nil) != (c.ClientTLS == nil) {
		return errors.New("dqlite: ServerTLS and ClientTLS must be set together")
	}
	if c.Voters == 0 {
		c.Voters = 3
	}
	if c.StandBys == 0 {
		c.StandBys = 3
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.LeaderTimeout <= 0 {
		c.LeaderTimeout = 10 * time.Second
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 30 * time.Second
	}
	if c.MaxIdleConns <= 0 {
		c.MaxIdleConns = 8
	}
	if c.LeaderPollInterval <= 0 {
		c.LeaderPollInterval = 100 * time.Millisecond
	}
	return nil
}

// lockDataDir takes an exclusive flock on DataDir/LOCK for the engine's
// lifetime: dqlite 1.11 lets two processes open one data directory, which
// corrupts it. The kernel drops the lock when the process dies.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use (pid %s): %w", dir, strings.TrimSpace(string(owner)), err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// abort undoes a partial Open.
func (e *Engine) abort() {
	if e.sys != nil {
		e.sys.close()
	}
	if e.lw != nil {
		e.lw.close()
	}
	e.app.Close()
	e.lock.Close()
}

// Open starts a session on database name.
func (e *Engine) Open(ctx context.Context, name string, info engine.SessionInfo) (engine.Session, error) {
	file, err := e.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, engine.ErrClosed
	}
	d, ok := e.dbs[file]
	if !ok {
		if d, err = e.newDatabase(name, file); err != nil {
			return nil, err
		}
		e.dbs[file] = d
	}
	d.users.Add(1)
	return &session{e: e, d: d, info: info}, nil
}

// Stats reports counters. Every commit is a Raft commit, durable on a
// quorum of nodes, so Fsyncs counts commits.
func (e *Engine) Stats() engine.Stats {
	c := e.stats.commits.Load()
	return engine.Stats{Commits: c, Fsyncs: c, GroupedStmts: e.stats.grouped.Load()}
}

// Close hands this node's responsibilities (leadership, voting) over to
// another node if there is one, then stops it. Sessions must be closed
// first.
func (e *Engine) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.Stop(ctx, true)
}

// Stop stops the node; with handover false it simply goes away, as a
// crashed node would, and the others elect a new leader if it led.
func (e *Engine) Stop(ctx context.Context, handover bool) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	dbs := e.dbs
	e.dbs = nil
	e.mu.Unlock()
	for _, d := range dbs {
		d.close()
	}
	e.sys.close()
	e.lw.close()
	if handover {
		if err := e.app.Handover(ctx); err != nil {
			e.log.Warn("handing over to another node", "err", err)
		}
	}
	err := e.app.Close()
	e.lock.Close()
	if err != nil {
		return fmt.Errorf("stopping dqlite node: %w", err)
	}
	return nil
}

// addPeers adds addresses to an initialized node's store (cluster.yaml).
// go-dqlite finds the leader only through that store and refreshes it from
// the leader every RolesAdjustmentFrequency; a node restarted before its
// first refresh (the bootstrap node knows only itself until then), or one
// whose listed nodes are all gone, finds no leader and never becomes
// ready. Seen in the fault suite: a 5-node rolling restart left the
// bootstrap node, demoted to spare by its handover, unable to rejoin.
// go-dqlite replaces the store with the leader's list on its next refresh.
func addPeers(dir string, peers []string) error {
	path := filepath.Join(dir, "cluster.yaml")
	if len(peers) == 0 {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil // a new node: go-dqlite creates the store from Cluster
	}
	store, err := client.NewYamlNodeStore(path)
	if err != nil {
		return fmt.Errorf("opening the dqlite node store: %w", err)
	}
	ctx := context.Background()
	nodes, err := store.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading the dqlite node store: %w", err)
	}
	known := map[string]bool{}
	for _, n := range nodes {
		known[n.Address] = true
	}
	added := false
	for _, a := range peers {
		if !known[a] {
			nodes = append(nodes, client.NodeInfo{Address: a, Role: client.Voter})
			known[a], added = true, true
		}
	}
	if !added {
		return nil
	}
	if err := store.Set(ctx, nodes); err != nil {
		return fmt.Errorf("updating the dqlite node store: %w", err)
	}
	return nil
}
