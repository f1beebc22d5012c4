package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// benchRaft runs the raft-mode section: the insert workload at each client
// count through the pg wire of a 3-node sqlclusterd --mode raft cluster,
// then the same load through go-dqlite's own driver on a 3-node in-process
// cluster. One cluster exists at a time, each on fresh directories, and
// both paths run their client counts in the same order on the same
// cluster, so pgbench_history grows alike.
func benchRaft(ctx context.Context, cfg config, rr *raftReport, logf logFunc) {
	if cfg.sqlcBin == "" {
		bin, remove, err := buildForSection(ctx, cfg, "sqlbench-raft-", "raft", logf)
		defer remove()
		switch {
		case errors.Is(err, errTempDir):
			// The driver's cluster needs a temporary directory too.
			c := errorCell(ctx, err)
			rr.setAll(false, c)
			rr.setAll(true, c)
			return
		case err != nil:
			// The driver baseline needs no sqlclusterd; it still runs.
			rr.setAll(false, errorCell(ctx, err))
		}
		cfg.sqlcBin = bin
	}
	if cfg.sqlcBin != "" {
		benchRaftWire(ctx, cfg, rr, logf)
	}
	if ctx.Err() != nil {
		rr.setAll(true, cell{Status: statusSkipped, Error: "interrupted"})
		return
	}
	benchRaftDriver(ctx, cfg, rr, logf)
}

// benchRaftWire starts a raft cluster, creates pgbench_history through
// the leader and runs pgbench against the leader at each client count.
// The cluster is gone when it returns.
func benchRaftWire(ctx context.Context, cfg config, rr *raftReport, logf logFunc) {
	const label = "raft: pg wire"
	fail := func(err error) {
		logf("%s: %v", label, err)
		rr.setAll(false, errorCell(ctx, err))
	}
	ins, ok := workloadByName("insert")
	if !ok {
		fail(fmt.Errorf("no insert workload defined"))
		return
	}

	logf("%s: starting %d nodes", label, clusterSize)
	c, err := startNodes(ctx, cfg, cfg.sqlcBin, raftMode(), logf)
	if err != nil {
		fail(err)
		return
	}
	defer stopLogged(label, c.close, logf)
	leader, err := waitRaftVoters(ctx, c)
	if err != nil {
		fail(err)
		return
	}
	rr.Leader = leader.id
	srv := c.serverFor(leader)
	logf("%s: creating pgbench_history through leader %s", label, leader.id)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	_, err = psql(sctx, cfg, srv, "-c", historyDDL)
	cancel()
	if err != nil {
		fail(fmt.Errorf("setup: %w", err))
		return
	}

	for i := range rr.Loads {
		l := &rr.Loads[i]
		if ctx.Err() != nil {
			l.PGWire = cell{Status: statusSkipped, Error: "interrupted"}
			continue
		}
		lcfg := cfg
		lcfg.clients, lcfg.threads = l.Clients, l.Threads
		logf("%s: insert for %v with pgbench -c %d -j %d against leader %s", label, cfg.duration, l.Clients, l.Threads, leader.id)
		l.PGWire = runInsert(ctx, lcfg, srv, ins, logf)
		logf("%s: %s", label, cellDetail(l.PGWire))
	}
	// Statements reaching a follower are forwarded to the leader: the
	// figures stand, but say so if the leader was not where pgbench was.
	if ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		now, _, err := c.agreedPrimary(pctx)
		cancel()
		switch {
		case err != nil:
			rr.Notes = append(rr.Notes, fmt.Sprintf("could not confirm the leader after the pg-wire runs: %v", err))
		case now != leader:
			rr.Notes = append(rr.Notes, fmt.Sprintf("leadership moved from %s to %s during the pg-wire runs; pgbench's statements were forwarded", leader.id, now.id))
		}
	}
}

// waitRaftVoters waits until the nodes agree on a leader that counts
// clusterSize voters, so that every commit needs a majority of three.
func waitRaftVoters(ctx context.Context, c *cluster) (*clusterNode, error) {
	var leader *clusterNode
	err := c.poll(ctx, clusterStartTimeout, "agree on a leader with all nodes voting", func(ctx context.Context) error {
		l, sts, err := c.agreedPrimary(ctx)
		if err != nil {
			return err
		}
		raft := sts[l].Cluster.Raft
		if raft == nil {
			return fmt.Errorf("/status of leader %s has no raft section", l.id)
		}
		if len(raft.Voters) != clusterSize {
			return fmt.Errorf("leader %s counts %d voters %v, want %d", l.id, len(raft.Voters), raft.Voters, clusterSize)
		}
		leader = l
		return nil
	})
	return leader, err
}

// benchRaftDriver starts the in-process go-dqlite cluster and runs the
// driver workload at each client count. The cluster is gone when it
// returns.
func benchRaftDriver(ctx context.Context, cfg config, rr *raftReport, logf logFunc) {
	const label = "raft: go-dqlite driver"
	fail := func(err error) {
		logf("%s: %v", label, err)
		rr.setAll(true, errorCell(ctx, err))
	}
	logf("%s: starting %d in-process nodes", label, clusterSize)
	rc, err := startRawCluster(ctx, cfg, logf)
	if err != nil {
		fail(err)
		return
	}
	defer stopLogged(label, rc.close, logf)
	db, err := rc.openBench(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer db.Close()
	for i := range rr.Loads {
		l := &rr.Loads[i]
		if ctx.Err() != nil {
			l.Driver = cell{Status: statusSkipped, Error: "interrupted"}
			continue
		}
		logf("%s: insert for %v with %d goroutine%s", label, cfg.duration, l.Clients, plural(l.Clients))
		l.Driver = driverInserts(ctx, db, l.Clients, cfg.duration)
		logf("%s: %s", label, driverDetail(l.Driver))
	}
}
