package dqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// TestNoLeader stops two of three nodes, so that the survivor can reach no
// leader (no quorum), and checks what its clients see: opening a session
// (which reads the system database) and a read that needs the epoch's
// barrier both wait up to LeaderTimeout for a leader, then fail with 57P03.
// Not 40001, which would claim a transaction was rolled back, and not
// 57014, which would blame a statement timeout nobody set. A deadline or a
// cancel of the caller's own still gives 57014, and is not outwaited.
//
// Either the leader survives (it steps down once it misses the quorum) or
// a follower does (its pooled connections point at a dead leader).
func TestNoLeader(t *testing.T) {
	for _, keepLeader := range []bool{false, true} {
		name := "FollowerSurvives"
		if keepLeader {
			name = "LeaderSurvives"
		}
		t.Run(name, func(t *testing.T) { testNoLeader(t, keepLeader) })
	}
}

func testNoLeader(t *testing.T, keepLeader bool) {
	const leaderTimeout = 3 * time.Second
	// Beyond LeaderTimeout: go-dqlite's connector sleeps out its backoff
	// (up to 1s) before it notices a cancelled context, and the CPU may be
	// busy.
	const slack = 3 * time.Second
	nodes := openClusterWith(t, 3, func(c *Config) {
		c.LeaderTimeout = leaderTimeout
		// No poller: the window between the leader's death and the
		// poller noticing, normally up to 100ms, stays open, so that the
		// survivor's pooled connections still lead to the dead leader.
		// Leader() still asks (and moves the epoch on).
		c.LeaderPollInterval = time.Hour
	})
	ctx := context.Background()
	leader := leaderOf(t, nodes)
	survivor := leader
	if !keepLeader {
		for _, n := range nodes {
			if n != leader {
				survivor = n
				break
			}
		}
	}
	// The leader goes last, so that the others do not elect a new one.
	var others []*Engine
	for _, n := range nodes {
		if n != survivor && n != leader {
			others = append(others, n)
		}
	}
	if leader != survivor {
		others = append(others, leader)
	}
	s := newSession(t, survivor, DefaultDatabase)
	mustExec(t, s, "CREATE TABLE t (x INTEGER)")
	mustExec(t, s, "INSERT INTO t VALUES (1)")
	queryInt(t, s, "SELECT count(*) FROM t") // warm pools, barrier done, mirror current
	// Several idle connections to the system database on the leader: each
	// fails at once when the leader is gone, more than a few quick
	// retries can use up.
	var cs []*conn
	for range 6 {
		c, err := survivor.sys.pool.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		survivor.sys.pool.put(c)
	}
	for _, n := range others {
		if err := n.Stop(ctx, false); err != nil {
			t.Fatalf("stopping node %d: %v", n.ID(), err)
		}
	}

	// wantNoLeader checks the failure of a statement that found no
	// leader: 57P03, after waiting LeaderTimeout for one, not much longer.
	wantNoLeader := func(t *testing.T, err error, took time.Duration) {
		t.Helper()
		wantCode(t, err, "57P03")
		if took < leaderTimeout {
			t.Fatalf("gave up after %v, without waiting LeaderTimeout (%v) for a leader", took, leaderTimeout)
		}
		if took > leaderTimeout+slack {
			t.Fatalf("took %v, LeaderTimeout is %v", took, leaderTimeout)
		}
	}

	t.Run("OpenSession", func(t *testing.T) {
		if keepLeader {
			// Until it steps down, the old leader serves reads itself.
			waitNoLeader(t, survivor)
		}
		// With a follower surviving, at once: the poller may not have
		// noticed yet, and pooled connections lead to the dead leader.
		if !keepLeader {
			// Some of them as go-dqlite reports a leader that died
			// mid-call: an EOF, not a bad connection, so the epoch stays
			// put and the next attempt takes the next of them at once.
			// More than a few quick retries can use up.
			p := survivor.sys.pool
			p.mu.Lock()
			for range 8 {
				p.idle = append(p.idle, &conn{inner: diedMidCall{}, lw: survivor.lw, epoch: survivor.lw.epoch.Load()})
			}
			p.mu.Unlock()
		}
		start := time.Now()
		s2, err := survivor.Open(ctx, DefaultDatabase, engine.SessionInfo{User: "test"})
		if err == nil {
			s2.Close()
		}
		wantNoLeader(t, err, time.Since(start))
	})

	t.Run("ReadNeedingBarrier", func(t *testing.T) {
		waitNoLeader(t, survivor)
		if survivor.lw.barrierd.Load() == survivor.lw.epoch.Load() {
			t.Fatal("the leader is gone but the survivor's epoch did not move on")
		}
		start := time.Now()
		_, _, err := run(s, "SELECT count(*) FROM t", ro)
		wantNoLeader(t, err, time.Since(start))
	})

	t.Run("CallerDeadline", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		s2, err := survivor.Open(cctx, DefaultDatabase, engine.SessionInfo{User: "test"})
		took := time.Since(start)
		if err == nil {
			s2.Close()
		}
		wantCode(t, err, "57014")
		if !strings.Contains(err.Error(), "statement timeout") {
			t.Errorf("a deadline reported as %q", err)
		}
		if took >= leaderTimeout {
			t.Fatalf("the caller's 300ms deadline took %v (LeaderTimeout %v)", took, leaderTimeout)
		}
	})

	t.Run("CallerCancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		_, _, err := runCtx(cctx, s, "SELECT count(*) FROM t", ro)
		took := time.Since(start)
		wantCode(t, err, "57014")
		if !strings.Contains(err.Error(), "user request") {
			t.Errorf("a cancel reported as %q", err)
		}
		if took >= leaderTimeout {
			t.Fatalf("the caller's cancel after 300ms took %v (LeaderTimeout %v)", took, leaderTimeout)
		}
	})

	t.Run("LeaderReturns", func(t *testing.T) {
		// With a quorum again, sessions open and reads run: nothing
		// stayed stuck behind the failed waits.
		openNode(t, others[0].cfg)
		waitFor(t, 30*time.Second, "a session to open", func() bool {
			s2, err := survivor.Open(ctx, DefaultDatabase, engine.SessionInfo{User: "test"})
			if err != nil {
				if code := codeOf(err); code != "57P03" {
					t.Fatalf("opening a session while the leader returns: %v", err)
				}
				return false
			}
			s2.Close()
			return true
		})
		if got := queryInt(t, s, "SELECT count(*) FROM t"); got != 1 {
			t.Fatalf("count = %d, want 1", got)
		}
	})
}

// waitNoLeader waits until e knows of no leader.
func waitNoLeader(t *testing.T, e *Engine) {
	t.Helper()
	waitFor(t, 30*time.Second, "the survivor to know no leader", func() bool {
		id, _, err := e.Leader(context.Background())
		return err == nil && id == 0
	})
}

// diedMidCall is a go-dqlite connection to a leader whose process died
// while it was serving a request: go-dqlite returns the broken read
// ("receive: header: EOF"), not driver.ErrBadConn.
type diedMidCall struct{}

func (diedMidCall) err() error { return fmt.Errorf("call query-sql: receive: header: %w", io.EOF) }

func (d diedMidCall) Prepare(string) (driver.Stmt, error) { return nil, d.err() }
func (d diedMidCall) Begin() (driver.Tx, error)           { return nil, d.err() }
func (diedMidCall) Close() error                          { return nil }

func (d diedMidCall) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return nil, d.err()
}

func (d diedMidCall) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nil, d.err()
}
