package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Bounds of one failover repetition.
const (
	writerWarmup    = 20               // INSERTs that must succeed before the kill
	warmupTimeout   = 30 * time.Second // for those
	resumeTimeout   = 30 * time.Second // kill → first successful INSERT
	insertTimeout   = 15 * time.Second // one statement; the server gives up first
	connectTimeout  = 2 * time.Second
	writerRetryWait = 10 * time.Millisecond // resolution of the measurement
)

// failoverInsert is the writer's statement: the same table as the insert
// workload, so the cluster carries the same schema throughout.
const failoverInsert = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, 1, $2, 0, CURRENT_TIMESTAMP)"

// writer inserts in a loop, as an application would: it stays on its node
// while statements merely fail, and moves to the next address only when the
// connection itself is gone. It records when the first INSERT issued after
// a mark succeeded.
type writer struct {
	addrs []string // PostgreSQL addresses; addrs[0] is the starting node
	ok    atomic.Int64

	mu       sync.Mutex
	mark     time.Time     // statements issued after this count for resumed
	resumed  time.Time     // completion of the first such statement to succeed
	resumedC chan struct{} // closed when resumed is set
	lastErr  string
}

func newWriter(addrs []string) *writer {
	return &writer{addrs: addrs, resumedC: make(chan struct{})}
}

// run inserts until ctx ends.
func (w *writer) run(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	next := 0
	for i := int64(1); ctx.Err() == nil; i++ {
		if conn == nil {
			addr := w.addrs[next%len(w.addrs)]
			next++
			cctx, cancel := context.WithTimeout(ctx, connectTimeout)
			c, err := pgx.Connect(cctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable")
			cancel()
			if err != nil {
				w.noteErr(err)
				sleepCtx(ctx, writerRetryWait)
				continue
			}
			conn = c
		}
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, insertTimeout)
		_, err := conn.Exec(sctx, failoverInsert, i%10+1, i%100000+1)
		cancel()
		if err == nil {
			w.ok.Add(1)
			w.succeeded(start)
			continue
		}
		w.noteErr(err)
		var pe *pgconn.PgError
		if conn.IsClosed() || !errors.As(err, &pe) {
			conn.Close(context.Background())
			conn = nil
		}
		sleepCtx(ctx, writerRetryWait)
	}
}

func (w *writer) succeeded(start time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.mark.IsZero() && start.After(w.mark) && w.resumed.IsZero() {
		w.resumed = time.Now()
		close(w.resumedC)
	}
}

func (w *writer) noteErr(err error) {
	w.mu.Lock()
	w.lastErr = err.Error()
	w.mu.Unlock()
}

func (w *writer) setMark(t time.Time) {
	w.mu.Lock()
	w.mark = t
	w.mu.Unlock()
}

func (w *writer) lastError() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr == "" {
		return "none"
	}
	return w.lastErr
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// measureFailovers runs f.Repetitions failovers on c and records them in
// f: each time a client writes through a replica, the primary is
// SIGKILLed, and the time from the kill to the first INSERT issued after it
// succeeding is recorded; the killed node is then restarted and caught up
// before the next repetition.
func measureFailovers(ctx context.Context, c *cluster, f *failoverStat, logf logFunc) {
	f.Status, f.Runs, f.Error = statusOK, nil, ""
	for i := range f.Repetitions {
		run, err := failoverOnce(ctx, c, logf)
		if ctx.Err() != nil {
			f.Status, f.Error = statusSkipped, "interrupted"
			return
		}
		if err != nil {
			f.Status, f.Error = statusError, fmt.Sprintf("repetition %d of %d: %v", i+1, f.Repetitions, err)
			return
		}
		logf("stream: failover %d/%d: %.2f s (killed %s, new primary %s)", i+1, f.Repetitions, run.Seconds, run.Killed, run.NewPrimary)
		f.Runs = append(f.Runs, run)
	}
}

// failoverOnce is one repetition; it leaves all nodes running and caught up.
func failoverOnce(ctx context.Context, c *cluster, logf logFunc) (failoverRun, error) {
	var run failoverRun
	primary, err := c.waitCaughtUp(ctx, catchUpTimeout)
	if err != nil {
		return run, err
	}
	replicas := c.replicas(primary)
	if len(replicas) == 0 {
		return run, fmt.Errorf("no replica to write through")
	}
	via := replicas[0]
	// The writer starts on the replica and may move to any survivor; the
	// primary's address is listed last, for the case where it is the
	// only node still accepting connections (then the measurement fails,
	// as it should).
	var addrs []string
	for _, n := range append(replicas, primary) {
		addrs = append(addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(n.pgPort)))
	}
	run.Killed, run.WriterVia = primary.id, via.id

	w := newWriter(addrs)
	wctx, stopWriter := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.run(wctx) }()
	defer func() { stopWriter(); wg.Wait() }()

	deadline := time.Now().Add(warmupTimeout)
	for w.ok.Load() < writerWarmup {
		if time.Now().After(deadline) {
			return run, fmt.Errorf("writer through %s: only %d INSERTs succeeded within %v before the kill (last error: %s)",
				via.id, w.ok.Load(), warmupTimeout, w.lastError())
		}
		if ctx.Err() != nil {
			return run, ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}

	killed := time.Now()
	w.setMark(killed)
	if err := c.kill(primary); err != nil {
		return run, err
	}
	// When the cluster agrees on a successor, for the report: it splits
	// the failover time into election and client-path delay.
	ectx, stopElection := context.WithTimeout(ctx, resumeTimeout)
	var (
		electedAt time.Time
		ewg       sync.WaitGroup
	)
	ewg.Add(1)
	go func() {
		defer ewg.Done()
		for ectx.Err() == nil {
			pctx, cancel := context.WithTimeout(ectx, time.Second)
			p, _, err := c.agreedPrimary(pctx)
			cancel()
			if err == nil && p != primary {
				electedAt = time.Now()
				return
			}
			sleepCtx(ectx, 20*time.Millisecond)
		}
	}()
	defer func() { stopElection(); ewg.Wait() }()
	timer := time.NewTimer(resumeTimeout)
	defer timer.Stop()
	select {
	case <-w.resumedC:
	case <-timer.C:
		return run, fmt.Errorf("no INSERT succeeded within %v of killing primary %s (last error: %s); log tails:\n%s",
			resumeTimeout, primary.id, w.lastError(), c.logTails(10))
	case <-ctx.Done():
		return run, ctx.Err()
	}
	w.mu.Lock()
	run.Seconds = w.resumed.Sub(killed).Seconds()
	w.mu.Unlock()
	stopWriter()
	wg.Wait()
	// The poller must be done before the node it inspects is restarted;
	// a successor exists now, so it ends soon.
	ewg.Wait()
	if !electedAt.IsZero() {
		run.ElectedSec = electedAt.Sub(killed).Seconds()
	}

	newPrimary, err := c.waitPrimary(ctx, catchUpTimeout)
	if err != nil {
		return run, fmt.Errorf("after the failover: %w", err)
	}
	run.NewPrimary = newPrimary.id
	logf("stream: restarting %s", primary.id)
	if err := c.restart(ctx, primary); err != nil {
		return run, fmt.Errorf("restart %s: %w", primary.id, err)
	}
	if _, err := c.waitCaughtUp(ctx, catchUpTimeout); err != nil {
		return run, fmt.Errorf("%s catching up after restart: %w", primary.id, err)
	}
	return run, nil
}
