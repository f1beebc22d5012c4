package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Side keys, used in -only, in the report and in JSON.
const (
	sidePostgres   = "postgres"
	sideSqlcluster = "sqlcluster"
	// sectionStream is the stream-mode section, selectable with -only.
	sectionStream = "stream"
	// sectionRaft is the raft-mode section, selectable with -only.
	sectionRaft = "raft"
)

// server is a started, reachable server under test. Clients reach it over
// TCP on loopback as user postgres, database postgres (PostgreSQL is
// initialised with that superuser; sqlclusterd accepts any user).
type server struct {
	host string
	port int
	proc *process
	// setupScripts are extra files, after bench/setup.sql, that bring this
	// server to its normal benchmarked state (PostgreSQL: VACUUM ANALYZE).
	setupScripts []string
	// close stops the server and removes its temporary directory.
	close func() error
}

// side is one column of the table: how to bring its server up.
type side struct {
	key   string
	label string
	start func(ctx context.Context, cfg config, logf logFunc) (*server, error)
}

type logFunc func(format string, a ...any)

// sides lists the servers to benchmark, in run order. PostgreSQL goes first
// so that a broken sqlclusterd build still leaves a usable baseline.
func sides(cfg config) []side {
	var out []side
	if !cfg.runsMain() {
		return nil
	}
	if cfg.only != sideSqlcluster {
		out = append(out, side{key: sidePostgres, label: "PostgreSQL 15", start: startPostgres})
	}
	if cfg.only != sidePostgres {
		s := side{key: sideSqlcluster, label: "sqlclusterd", start: startSqlclusterd}
		if cfg.fakeCluster {
			s.label = "sqlclusterd (stand-in: PostgreSQL 15)"
			s.start = startPostgres
		}
		out = append(out, s)
	}
	return out
}

// clientEnv is the environment for psql and pgbench against srv. Inherited
// PG* variables are dropped so a developer's PGSERVICE, PGSSLMODE or
// PGOPTIONS cannot make the two sides differ.
func clientEnv(srv *server) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env,
		"PGHOST="+srv.host,
		"PGPORT="+strconv.Itoa(srv.port),
		"PGUSER=postgres",
		"PGDATABASE=postgres",
		"PGCONNECT_TIMEOUT=10",
	)
}

// waitReady polls probe until it succeeds, the server process dies, or
// timeout passes; the error carries the server log tail in the last two
// cases, since that is where the reason is.
func waitReady(ctx context.Context, proc *process, timeout time.Duration, probe func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if gone, why := proc.exited(); gone {
			return fmt.Errorf("server exited during startup (%v); log tail:\n%s", why, proc.logTail(20))
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = probe(pctx)
		cancel()
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v (last probe: %v); log tail:\n%s", timeout, last, proc.logTail(20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
