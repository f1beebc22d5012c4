package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchStream runs the stream-mode section: the insert workload on single
// mode (the baseline), on a 3-node cluster with asynchronous replication
// and on one with quorum commit, the replication lag during the cluster
// runs, and failover time on the quorum cluster. Servers run one at a time,
// like the sides of the main table, each on a fresh data directory.
func benchStream(ctx context.Context, cfg config, cr *clusterReport, logf logFunc) {
	fail := func(err error) {
		c := errorCell(ctx, err)
		cr.Single, cr.Async.Insert, cr.Quorum.Insert = c, c, c
		cr.Async.Lag = lagStats{Status: c.Status, Error: c.Error}
		cr.Quorum.Lag = lagStats{Status: c.Status, Error: c.Error, TargetP99MS: targetLagP99MS}
		if cr.Failover.Repetitions > 0 {
			cr.Failover.Status, cr.Failover.Error = c.Status, c.Error
		}
	}

	ins, ok := workloadByName("insert")
	if !ok {
		fail(fmt.Errorf("no insert workload defined"))
		return
	}

	// One build serves all three servers; it lives in its own directory,
	// removed when the section ends.
	if cfg.sqlcBin == "" {
		bin, remove, err := buildForSection(ctx, cfg, "sqlbench-stream-", "stream", logf)
		defer remove()
		if err != nil {
			fail(err)
			return
		}
		cfg.sqlcBin = bin
	}

	logf("stream: single mode: starting")
	cr.Single = insertOnSingle(ctx, cfg, ins, logf)
	logf("stream: single mode: %s", cellDetail(cr.Single))

	benchCluster(ctx, cfg, ins, &cr.Async, nil, logf)
	benchCluster(ctx, cfg, ins, &cr.Quorum, &cr.Failover, logf)
}

func workloadByName(name string) (workload, bool) {
	for _, w := range allWorkloads {
		if w.Name == name {
			return w, true
		}
	}
	return workload{}, false
}

// insertOnSingle is the baseline: the insert workload on a fresh
// single-mode sqlclusterd, started exactly as for the main table.
func insertOnSingle(ctx context.Context, cfg config, ins workload, logf logFunc) cell {
	srv, err := startSqlclusterd(ctx, cfg, logf)
	if err != nil {
		return errorCell(ctx, err)
	}
	defer func() {
		if err := srv.close(); err != nil {
			logf("stream: single mode: %v", err)
		}
	}()
	if err := loadSchema(ctx, cfg, srv); err != nil {
		return errorCell(ctx, err)
	}
	return runInsert(ctx, cfg, srv, ins, logf)
}

// runInsert runs the insert workload against srv.
func runInsert(ctx context.Context, cfg config, srv *server, ins workload, logf logFunc) cell {
	if gone, why := srv.proc.exited(); gone {
		return cell{Status: statusError, Error: fmt.Sprintf("server exited before the workload: %v", why)}
	}
	c := runPgbench(ctx, cfg, srv, ins)
	if ctx.Err() != nil && c.Status != statusOK {
		return cell{Status: statusSkipped, Error: "interrupted"}
	}
	if c.Status == statusError {
		logf("server log tail:\n%s", srv.proc.logTail(10))
	}
	return c
}

// errorCell is err as a cell, or an interrupted one if ctx has ended (the
// error is then the interruption's, not the server's).
func errorCell(ctx context.Context, err error) cell {
	if ctx.Err() != nil {
		return cell{Status: statusSkipped, Error: "interrupted"}
	}
	return cell{Status: statusError, Error: err.Error()}
}

// stopLogged stops a section's cluster at the end of its measurements,
// logging under label; a failure to stop is no reason to drop the figures.
func stopLogged(label string, stop func() error, logf logFunc) {
	logf("%s: stopping", label)
	if err := stop(); err != nil {
		logf("%s: %v", label, err)
	}
}

// benchCluster starts a 3-node cluster with run.SyncReplicas, loads the
// schema through the primary, waits for the replicas to hold it, and runs
// the insert workload against the primary with the lag histogram scraped
// before and after. Given fo with repetitions, it then measures failover on
// the same cluster. The cluster is gone when it returns.
func benchCluster(ctx context.Context, cfg config, ins workload, run *clusterRun, fo *failoverStat, logf logFunc) {
	label := "stream: --sync-replicas " + run.SyncReplicas
	failovers := fo != nil && fo.Repetitions > 0
	fail := func(err error) {
		logf("%s: %v", label, err)
		run.Insert = errorCell(ctx, err)
		run.Lag = lagStats{Status: run.Insert.Status, Error: run.Insert.Error, TargetP99MS: run.Lag.TargetP99MS}
		if failovers {
			fo.Status, fo.Error = run.Insert.Status, run.Insert.Error
		}
	}

	logf("%s: starting %d nodes", label, clusterSize)
	c, err := startCluster(ctx, cfg, cfg.sqlcBin, run.SyncReplicas, logf)
	if err != nil {
		fail(err)
		return
	}
	defer stopLogged(label, c.close, logf)
	primary, err := c.waitPrimary(ctx, clusterStartTimeout)
	if err != nil {
		fail(err)
		return
	}
	srv := c.serverFor(primary)
	logf("%s: loading pgbench tables (scale 1) through primary %s", label, primary.id)
	if err := loadSchema(ctx, cfg, srv); err != nil {
		fail(err)
		return
	}
	if err := waitReplicasLoaded(ctx, c); err != nil {
		fail(err)
		return
	}
	startEpoch, err := primaryEpoch(ctx, c, primary)
	if err != nil {
		fail(err)
		return
	}

	before, scrapeErr := scrapeHistogram(ctx, c.http, primary.adminAddr)
	logf("%s: insert for %v against primary %s", label, cfg.duration, primary.id)
	run.Insert = runInsert(ctx, cfg, srv, ins, logf)
	logf("%s: %s", label, cellDetail(run.Insert))
	run.Lag = measuredLag(ctx, c, primary, startEpoch, before, scrapeErr, run.Lag.TargetP99MS)

	if failovers && ctx.Err() == nil {
		logf("%s: measuring failover %d times", label, fo.Repetitions)
		measureFailovers(ctx, c, fo, logf)
	}
}

// measuredLag waits for the replicas to catch up, scrapes the lag
// histogram again and computes the quantiles over the run, provided the
// same primary held office throughout (the histogram is the primary's own).
func measuredLag(ctx context.Context, c *cluster, primary *clusterNode, startEpoch uint64, before []bucket, scrapeErr error, target float64) lagStats {
	errLag := func(err error) lagStats {
		if ctx.Err() != nil {
			return lagStats{Status: statusSkipped, Error: "interrupted", TargetP99MS: target}
		}
		return lagStats{Status: statusError, Error: err.Error(), TargetP99MS: target}
	}
	if scrapeErr != nil {
		return errLag(fmt.Errorf("scrape before the run: %w", scrapeErr))
	}
	// Let the replicas acknowledge the run's last commits first, so that
	// every commit of the run is in the histogram, the slow tail included.
	if _, err := c.waitCaughtUp(ctx, catchUpTimeout); err != nil {
		return errLag(fmt.Errorf("replicas catching up after the run: %w", err))
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	after, err := scrapeHistogram(sctx, c.http, primary.adminAddr)
	if err != nil {
		return errLag(fmt.Errorf("scrape after the run: %w", err))
	}
	epoch, err := primaryEpoch(sctx, c, primary)
	if err != nil {
		return errLag(err)
	}
	if epoch != startEpoch {
		return errLag(fmt.Errorf("primary %s changed epoch during the run (%d → %d)", primary.id, startEpoch, epoch))
	}
	l := lagFromScrapes(before, after)
	l.TargetP99MS = target
	return l
}

// primaryEpoch returns the epoch of primary, failing if it no longer is.
func primaryEpoch(ctx context.Context, c *cluster, primary *clusterNode) (uint64, error) {
	st, err := c.status(ctx, primary)
	if err != nil {
		return 0, err
	}
	if st.Role != "primary" {
		return 0, fmt.Errorf("%s is no longer the primary (role %q)", primary.id, st.Role)
	}
	return st.Cluster.Epoch, nil
}

// waitReplicasLoaded waits until every replica has applied what the
// primary logged, then checks through each, reading locally, that the
// pgbench tables are really there: the workload must start on a cluster
// whose replicas hold the same data as the primary.
func waitReplicasLoaded(ctx context.Context, c *cluster) error {
	primary, err := c.waitCaughtUp(ctx, catchUpTimeout)
	if err != nil {
		return err
	}
	for _, n := range c.replicas(primary) {
		if err := checkAccounts(ctx, n); err != nil {
			return fmt.Errorf("replica %s: %w", n.id, err)
		}
	}
	return nil
}

// checkAccounts counts pgbench_accounts on n without contacting the primary.
func checkAccounts(ctx context.Context, n *clusterNode) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", n.pgPort))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SET sqlcluster.read_consistency = local"); err != nil {
		return fmt.Errorf("set read consistency: %w", err)
	}
	var count int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pgbench_accounts").Scan(&count); err != nil {
		return fmt.Errorf("count pgbench_accounts: %w", err)
	}
	if fmt.Sprint(count) != accountsAtScale1 {
		return fmt.Errorf("pgbench_accounts has %d rows, want %s", count, accountsAtScale1)
	}
	return nil
}
