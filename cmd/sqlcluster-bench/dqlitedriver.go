package main

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	godqlite "github.com/canonical/go-dqlite"
	"github.com/canonical/go-dqlite/app"
	"github.com/canonical/go-dqlite/client"
	dqdriver "github.com/canonical/go-dqlite/driver"

	"github.com/sqlcluster/sqlcluster/peer"
)

// historyDDL is pgbench_history exactly as bench/setup.sql creates it (a
// test keeps the two equal). The raft section creates only this table on
// both paths: insert.sql touches nothing else, and dqlite snapshots copy
// the whole database, so both clusters must hold the same data.
const historyDDL = `CREATE TABLE pgbench_history (
    tid int,
    bid int,
    aid int,
    delta int,
    mtime timestamp,
    filler char(22)
)`

// driverInsert is bench/insert.sql for database/sql: the same columns,
// the same random ranges (drawn by driverArgs), CURRENT_TIMESTAMP.
const driverInsert = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)"

// driverArgs draws one INSERT's values as insert.sql's \set lines do.
func driverArgs() []any {
	return []any{
		mrand.IntN(10) + 1,       // tid random(1, 10)
		1,                        // bid 1
		mrand.IntN(100000) + 1,   // aid random(1, 100000)
		mrand.IntN(10001) - 5000, // delta random(-5000, 5000)
	}
}

// Bounds of the driver workload, so that a broken cluster ends the run
// with an error instead of hanging it.
const (
	// driverBusyTimeout is how long one INSERT keeps retrying
	// "database is locked", as an application's busy timeout would.
	driverBusyTimeout = 30 * time.Second
	// driverStatementTimeout bounds one attempt. go-dqlite honours
	// context deadlines (not cancellation), so this is what unblocks a
	// statement the leader never answers.
	driverStatementTimeout = 30 * time.Second
	rawStopTimeout         = 30 * time.Second
)

// Process-wide state of the C libraries, which go-dqlite leaves to its
// user.
var (
	// go-dqlite puts SQLite in single-thread mode at init, which is safe
	// with one node per process only; the baseline runs three. The mode
	// can be changed once, before SQLite is first used.
	multiThreadOnce sync.Once
	multiThreadErr  error
	// app.New numbers the drivers it registers with an unguarded package
	// counter.
	appNewMu sync.Mutex
)

// rawCluster is the raft section's baseline: clusterSize go-dqlite app
// nodes in this process on 127.0.0.1, configured as sqlclusterd --mode
// raft configures its own (default voters, stand-bys and timing; TLS
// between nodes with a certificate derived from a cluster secret), each in
// its own directory under base.
type rawCluster struct {
	base string
	apps []*app.App
}

// startRawCluster starts the nodes, the first bootstrapping and the others
// joining it, and waits until all of them vote. On error nothing is left
// running or on disk.
func startRawCluster(ctx context.Context, cfg config, logf logFunc) (_ *rawCluster, err error) {
	multiThreadOnce.Do(func() { multiThreadErr = godqlite.ConfigMultiThread() })
	if multiThreadErr != nil {
		return nil, fmt.Errorf("switch SQLite to multi-thread mode for %d in-process dqlite nodes: %w", clusterSize, multiThreadErr)
	}
	base, err := os.MkdirTemp(cfg.tmpBase, "sqlbench-dqlite-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	rc := &rawCluster{base: base}
	defer func() {
		if err != nil {
			if cerr := rc.close(); cerr != nil {
				logf("%v", cerr)
			}
		}
	}()

	secret, clusterID, err := newClusterSecret()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := peer.TLSConfig(secret, clusterID)
	if err != nil {
		return nil, err
	}
	// As node/raft.go does: go-dqlite's proxy wants ClientCAs set on the
	// listening side; the pool stays empty because the config verifies
	// the derived key itself.
	server := tlsCfg.Clone()
	server.ClientCAs = x509.NewCertPool()

	ports, err := freePorts(clusterSize)
	if err != nil {
		return nil, err
	}
	log := func(l client.LogLevel, format string, a ...any) {
		if l >= client.LogWarn {
			logf("raft: go-dqlite %s: "+format, append([]any{l}, a...)...)
		}
	}
	var first string
	for i, port := range ports {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		dir := filepath.Join(base, fmt.Sprintf("n%d", i+1))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create node dir: %w", err)
		}
		opts := []app.Option{app.WithAddress(addr), app.WithTLS(server, tlsCfg), app.WithLogFunc(log)}
		if i == 0 {
			first = addr
		} else {
			opts = append(opts, app.WithCluster([]string{first}))
		}
		appNewMu.Lock()
		a, err := app.New(dir, opts...)
		appNewMu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("start dqlite node %s: %w", addr, err)
		}
		rc.apps = append(rc.apps, a)
		rctx, cancel := context.WithTimeout(ctx, clusterStartTimeout)
		err = a.Ready(rctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("dqlite node %s joining the cluster: %w", addr, err)
		}
	}
	if err := rc.waitVoters(ctx); err != nil {
		return nil, err
	}
	return rc, nil
}

// waitVoters polls the leader until every node is a voter, so that each
// commit needs a majority of three as in sqlclusterd's cluster.
func (rc *rawCluster) waitVoters(ctx context.Context) error {
	deadline := time.Now().Add(clusterStartTimeout)
	var last error
	for {
		last = rc.voters(ctx)
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dqlite nodes not all voting after %v: %w", clusterStartTimeout, last)
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

func (rc *rawCluster) voters(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cli, err := rc.apps[0].Leader(ctx)
	if err != nil {
		return fmt.Errorf("find leader: %w", err)
	}
	defer cli.Close()
	nodes, err := cli.Cluster(ctx)
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	n := 0
	for _, nd := range nodes {
		if nd.Role == client.Voter {
			n++
		}
	}
	if n != clusterSize {
		return fmt.Errorf("%d of %d members vote", n, len(nodes))
	}
	return nil
}

// leader returns the node that currently leads.
func (rc *rawCluster) leader(ctx context.Context) (*app.App, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := rc.apps[0].Leader(ctx)
	if err != nil {
		return nil, fmt.Errorf("find leader: %w", err)
	}
	defer cli.Close()
	info, err := cli.Leader(ctx)
	if err != nil {
		return nil, fmt.Errorf("ask for the leader: %w", err)
	}
	for _, a := range rc.apps {
		if a.ID() == info.ID {
			return a, nil
		}
	}
	return nil, fmt.Errorf("leader %d (%s) is none of the nodes", info.ID, info.Address)
}

// close stops every node (in parallel, each bounded by rawStopTimeout) and
// removes the cluster's directory.
func (rc *rawCluster) close() error {
	errs := stopAll(rc.apps, func(a *app.App) error {
		done := make(chan error, 1)
		go func() { done <- a.Close() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(rawStopTimeout):
			err = fmt.Errorf("did not stop within %v", rawStopTimeout)
		}
		if err != nil {
			return fmt.Errorf("stop dqlite node %s: %w", a.Address(), err)
		}
		return nil
	})
	rc.apps = nil
	return errors.Join(append(errs, removeAll(rc.base))...)
}

// openBench opens database "bench" through the leader's driver and
// creates pgbench_history in it.
func (rc *rawCluster) openBench(ctx context.Context) (*sql.DB, error) {
	leader, err := rc.leader(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	db, err := leader.Open(ctx, "bench")
	if err != nil {
		return nil, fmt.Errorf("open dqlite database: %w", err)
	}
	if _, err := db.ExecContext(ctx, historyDDL); err != nil {
		db.Close()
		return nil, fmt.Errorf("create pgbench_history: %w", err)
	}
	return db, nil
}

// isLocked reports SQLITE_BUSY or SQLITE_LOCKED ("database is locked"):
// dqlite does not queue writers, so a write that meets another
// connection's write transaction fails at once and the application waits.
func isLocked(err error) bool {
	var de dqdriver.Error
	if !errors.As(err, &de) {
		return false
	}
	return de.Code&0xff == dqdriver.ErrBusy || de.Code&0xff == 6 // SQLITE_LOCKED
}

// driverInserts runs the insert workload on db for d with clients
// goroutines, each INSERT an autocommit statement retried on "database is
// locked" with jittered exponential backoff (0.5 ms doubling to 20 ms, as
// sqlclusterd's engine waits out other nodes' writers). Like pgbench, it
// opens every connection before the clock starts and stops a client at
// its first error.
func driverInserts(ctx context.Context, db *sql.DB, clients int, d time.Duration) cell {
	db.SetMaxOpenConns(clients)
	db.SetMaxIdleConns(clients)
	if err := warmPool(ctx, db, clients); err != nil {
		return errorCell(ctx, err)
	}

	var (
		ops, retries, failed atomic.Int64
		latency              atomic.Int64 // ns, successful INSERTs
		errMu                sync.Mutex
		firstErr             error
		wg                   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				n, err := insertRetrying(ctx, db)
				retries.Add(int64(n))
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					failed.Add(1)
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					return
				}
				latency.Add(int64(time.Since(t0)))
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	c := cell{Processed: ops.Load(), Failed: failed.Load(), Retried: retries.Load()}
	if c.Processed > 0 {
		c.LatencyMS = float64(latency.Load()) / float64(c.Processed) / 1e6
	}
	switch {
	case ctx.Err() != nil:
		return cell{Status: statusSkipped, Error: "interrupted"}
	case c.Failed > 0:
		c.Status = statusFailed
		c.Error = fmt.Sprintf("%d of %d INSERTs failed: %v", c.Failed, c.Failed+c.Processed, firstErr)
	case c.Processed == 0:
		c.Status = statusError
		c.Error = "no INSERT completed"
	default:
		c.Status = statusOK
		c.TPS = float64(c.Processed) / elapsed.Seconds()
	}
	return c
}

// warmPool opens n connections at once and returns them to the pool.
func warmPool(ctx context.Context, db *sql.DB, n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			return fmt.Errorf("ping connection: %w", err)
		}
	}
	return nil
}

// insertRetrying runs one INSERT until it succeeds, fails with something
// other than "database is locked", or stays locked for driverBusyTimeout.
// It returns the number of retries.
func insertRetrying(ctx context.Context, db *sql.DB) (int, error) {
	args := driverArgs()
	busyDeadline := time.Now().Add(driverBusyTimeout)
	wait := 500 * time.Microsecond
	for retries := 0; ; retries++ {
		sctx, cancel := context.WithTimeout(ctx, driverStatementTimeout)
		_, err := db.ExecContext(sctx, driverInsert, args...)
		cancel()
		if err == nil {
			return retries, nil
		}
		if !isLocked(err) {
			return retries, fmt.Errorf("insert: %w", err)
		}
		if time.Now().After(busyDeadline) {
			return retries, fmt.Errorf("insert: database stayed locked for %v: %w", driverBusyTimeout, err)
		}
		// Jitter keeps the clients that collided from colliding again.
		sleepCtx(ctx, wait/2+mrand.N(wait))
		if ctx.Err() != nil {
			return retries, ctx.Err()
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}
