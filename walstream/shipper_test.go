package walstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ---- helpers shared by the shipping tests ----

// streamTxns returns n KindPages transactions continuing (last, sum), each
// writing a few random pages, with correct chained sums.
func streamTxns(rng *rand.Rand, last Position, sum uint64, epoch uint64, n int) []*Txn {
	txns := make([]*Txn, 0, n)
	for range n {
		size := uint32(4 + rng.IntN(60))
		t := &Txn{
			Pos:        Position{Epoch: epoch, TxID: last.TxID + 1},
			Kind:       KindPages,
			DB:         []string{"main", "accounts"}[rng.IntN(2)],
			PageSize:   512,
			CommitSize: size,
		}
		for _, no := range rng.Perm(int(size))[:1+rng.IntN(3)] {
			data := make([]byte, 512)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			t.Pages = append(t.Pages, Page{No: uint32(no) + 1, Data: data})
		}
		t.Sum = t.Chain(sum)
		txns = append(txns, t)
		last, sum = t.Pos, t.Sum
	}
	return txns
}

func openStreamLog(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := OpenLog(dir, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fillLog appends n new transactions of epoch to l and syncs.
func fillLog(t testing.TB, l *Log, rng *rand.Rand, epoch uint64, n int) uint64 {
	t.Helper()
	last, sum := l.Last()
	txns := streamTxns(rng, last, sum, epoch, n)
	if err := l.Append(txns...); err != nil {
		t.Fatalf("appending: %v", err)
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("syncing: %v", err)
	}
	return txns[len(txns)-1].Pos.TxID
}

type streamPrimary struct {
	log   *Log
	ship  *Shipper
	addr  string
	epoch uint64

	mu  sync.Mutex // serialises appends
	rng *rand.Rand

	errs chan error // ServeReplica results
}

func startStreamPrimary(t testing.TB, l *Log, epoch uint64, mod func(*ShipperConfig)) *streamPrimary {
	t.Helper()
	cfg := ShipperConfig{Log: l, Epoch: epoch, NodeID: "primary", Heartbeat: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	p := &streamPrimary{
		log:   l,
		ship:  NewShipper(cfg),
		epoch: epoch,
		rng:   rand.New(rand.NewPCG(epoch, 99)),
		errs:  make(chan error, 100),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				err := p.ship.ServeReplica(ctx, c)
				select {
				case p.errs <- err:
				default:
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.ship.Close()
		cancel()
		wg.Wait()
	})
	return p
}

// append commits n transactions on the primary: log, sync, notify.
func (p *streamPrimary) append(t testing.TB, n int) uint64 {
	t.Helper()
	last, err := p.tryAppend(n)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// tryAppend is append for goroutines other than the test's.
func (p *streamPrimary) tryAppend(n int) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	last, sum := p.log.Last()
	txns := streamTxns(p.rng, last, sum, p.epoch, n)
	if err := p.log.Append(txns...); err != nil {
		return 0, fmt.Errorf("appending: %w", err)
	}
	if err := p.log.Sync(); err != nil {
		return 0, fmt.Errorf("syncing: %w", err)
	}
	p.ship.Notify(txns[n-1].Pos.TxID)
	return txns[n-1].Pos.TxID, nil
}

// serveErr waits for the next ServeReplica result.
func (p *streamPrimary) serveErr(t testing.TB) error {
	t.Helper()
	select {
	case err := <-p.errs:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ServeReplica did not return")
		return nil
	}
}

type streamReplica struct {
	id    string
	log   *Log
	epoch atomic.Uint64 // highest epoch promised, for Fence/Current

	mu      sync.Mutex
	applied []uint64 // TxIDs passed to Apply
	next    uint64   // TxID Apply must see next
	bad     error    // first gap or duplicate seen by Apply
}

func newStreamReplica(t testing.TB, id string, l *Log) *streamReplica {
	if l == nil {
		l = openStreamLog(t, t.TempDir())
	}
	last, _ := l.Last()
	return &streamReplica{id: id, log: l, next: last.TxID + 1}
}

func (r *streamReplica) config() FollowerConfig {
	return FollowerConfig{
		NodeID: r.id,
		Log:    r.log,
		Fence: func(e uint64) error {
			if cur := r.epoch.Load(); e < cur {
				return fmt.Errorf("epoch %d is older than %d", e, cur)
			}
			r.epoch.Store(e)
			return nil
		},
		Current: r.epoch.Load,
		Apply: func(_ context.Context, t *Txn) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if t.Pos.TxID != r.next && r.bad == nil {
				r.bad = fmt.Errorf("replica %s: Apply got txid %d, want %d", r.id, t.Pos.TxID, r.next)
			}
			r.next = t.Pos.TxID + 1
			r.applied = append(r.applied, t.Pos.TxID)
			return nil
		},
		Timeout: 2 * time.Second,
	}
}

func (r *streamReplica) follow(ctx context.Context, addr string, mod func(*FollowerConfig)) (uint64, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	cfg := r.config()
	if mod != nil {
		mod(&cfg)
	}
	return Follow(ctx, c, cfg)
}

func (r *streamReplica) lastApplied() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next - 1
}

// check verifies that Apply saw exactly from..to, each once, in order.
func (r *streamReplica) check(t testing.TB, from, to uint64) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad != nil {
		t.Fatal(r.bad)
	}
	if uint64(len(r.applied)) != to-from+1 || (len(r.applied) > 0 && (r.applied[0] != from || r.applied[len(r.applied)-1] != to)) {
		t.Fatalf("replica %s applied %d txns (%v..), want %d..%d", r.id, len(r.applied), r.applied[:min(len(r.applied), 3)], from, to)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- tests ----

// Three empty replicas catch up from the log and then follow live commits;
// WaitAcked counts the right replicas.
func TestShipCatchUpAndFollow(t *testing.T) {
	var latencies atomic.Int64
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, func(cfg *ShipperConfig) {
		cfg.OnAckLatency = func(d time.Duration) {
			if d < 0 {
				panic("negative ack latency")
			}
			latencies.Add(1)
		}
	})
	// Several batches' worth, so catch-up spans many Txns messages.
	for range 10 {
		p.append(t, 300)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	replicas := []*streamReplica{
		newStreamReplica(t, "r1", nil), newStreamReplica(t, "r2", nil), newStreamReplica(t, "r3", nil),
	}
	followErrs := make(chan error, len(replicas))
	for _, r := range replicas {
		go func() {
			_, err := r.follow(ctx, p.addr, nil)
			followErrs <- err
		}()
	}

	// Live commits while the replicas catch up; WaitAcked(n=1) for each
	// commit, as a synchronous-commit primary would.
	appended := make(chan uint64)
	go func() {
		defer close(appended)
		for i := range 100 {
			last, err := p.tryAppend(1 + i%7)
			if err != nil {
				t.Error(err)
				return
			}
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err = p.ship.WaitAcked(wctx, last, 1, nil)
			wcancel()
			if err != nil {
				t.Errorf("WaitAcked(%d, 1): %v", last, err)
				return
			}
			appended <- last
		}
	}()
	var final uint64
	for last := range appended {
		final = last
	}
	if t.Failed() {
		t.FailNow()
	}

	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := p.ship.WaitAcked(wctx, final, 2, func(id string) bool { return id != "r3" }); err != nil {
		t.Fatalf("WaitAcked(n=2 without r3): %v", err)
	}
	for _, r := range []*streamReplica{replicas[0], replicas[1]} {
		if last, _ := r.log.Last(); last.TxID < final {
			t.Fatalf("WaitAcked returned but %s has logged only %v < %d", r.id, last, final)
		}
	}
	if err := p.ship.WaitAcked(wctx, final, 3, nil); err != nil {
		t.Fatalf("WaitAcked(n=3): %v", err)
	}
	// Only two replicas pass counts, so three can never be reached.
	short, scancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer scancel()
	if err := p.ship.WaitAcked(short, final, 3, func(id string) bool { return id != "r3" }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAcked(n=3 of 2 eligible): %v, want DeadlineExceeded", err)
	}

	wantLast, wantSum := p.log.Last()
	for _, r := range replicas {
		waitFor(t, 10*time.Second, r.id+" to apply everything", func() bool { return r.lastApplied() == final })
		r.check(t, 1, final)
		if last, sum := r.log.Last(); last != wantLast || sum != wantSum {
			t.Fatalf("%s log ends at %v/%016x, primary at %v/%016x", r.id, last, sum, wantLast, wantSum)
		}
	}

	states := p.ship.Replicas()
	if len(states) != 3 {
		t.Fatalf("Replicas() = %+v, want 3", states)
	}
	for i, st := range states {
		if st.ID != replicas[i].id || !st.Connected || st.Acked != final || st.Lag != 0 || st.LastContact.IsZero() {
			t.Fatalf("Replicas()[%d] = %+v, want %s connected, acked %d, no lag", i, st, replicas[i].id, final)
		}
		if got := p.ship.LastContact(st.ID); time.Since(got) > 5*time.Second {
			t.Fatalf("LastContact(%s) = %v", st.ID, got)
		}
	}
	if !p.ship.LastContact("nobody").IsZero() {
		t.Fatal("LastContact of an unknown replica is not zero")
	}
	if latencies.Load() == 0 {
		t.Fatal("OnAckLatency never called")
	}

	// Heartbeats keep acks coming with no traffic.
	before := p.ship.LastContact("r1")
	waitFor(t, 5*time.Second, "a heartbeat ack", func() bool { return p.ship.LastContact("r1").After(before) })

	cancel()
	for range replicas {
		if err := <-followErrs; !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow after cancel: %v, want context.Canceled", err)
		}
	}
	waitFor(t, 5*time.Second, "replicas to show as disconnected", func() bool {
		return !slices.ContainsFunc(p.ship.Replicas(), func(st ReplicaState) bool { return st.Connected })
	})
}

// Lag counts what the primary announced and the replica has not acked.
func TestShipLag(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	p.append(t, 10)
	r := newStreamReplica(t, "r1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.follow(ctx, p.addr, nil)
		done <- err
	}()
	waitFor(t, 5*time.Second, "catch-up", func() bool { return r.lastApplied() == 10 })
	cancel()
	<-done
	p.append(t, 5)
	waitFor(t, 5*time.Second, "the primary to see the replica leave", func() bool { return !p.ship.Replicas()[0].Connected })
	states := p.ship.Replicas()
	if len(states) != 1 || states[0].Acked != 10 || states[0].Lag != 5 {
		t.Fatalf("Replicas() = %+v, want r1 disconnected, acked 10, lag 5", states)
	}
	// A disconnected replica's acks still count: they are durable.
	wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
	defer wcancel()
	if err := p.ship.WaitAcked(wctx, 10, 1, nil); err != nil {
		t.Fatalf("WaitAcked(10) after disconnect: %v", err)
	}
}

func TestShipWaitAckedHonoursContextAndClose(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	last := p.append(t, 3)

	if err := p.ship.WaitAcked(context.Background(), last, 0, nil); err != nil {
		t.Fatalf("WaitAcked(n=0): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.ship.WaitAcked(ctx, last, 1, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAcked with no replicas: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("WaitAcked overstayed its context by %v", d)
	}

	errc := make(chan error, 1)
	go func() { errc <- p.ship.WaitAcked(context.Background(), last, 1, nil) }()
	time.Sleep(20 * time.Millisecond) // let it block; the result is the same either way
	p.ship.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrShipperClosed) {
			t.Fatalf("WaitAcked across Close: %v, want ErrShipperClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitAcked did not return on Close")
	}
	c1, c2 := net.Pipe()
	defer c2.Close()
	if err := p.ship.ServeReplica(context.Background(), c1); !errors.Is(err, ErrShipperClosed) {
		t.Fatalf("ServeReplica after Close: %v", err)
	}
}

// Closing the primary's Shipper ends the stream at once; the replica
// notices the hang-up rather than waiting for its timeout.
func TestShipCloseEndsFollow(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	p.append(t, 5)
	r := newStreamReplica(t, "r1", nil)
	done := make(chan error, 1)
	go func() {
		_, err := r.follow(context.Background(), p.addr, func(cfg *FollowerConfig) { cfg.Timeout = 30 * time.Second })
		done <- err
	}()
	waitFor(t, 5*time.Second, "catch-up", func() bool { return r.lastApplied() == 5 })
	start := time.Now()
	p.ship.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, ErrNeedSnapshot) {
			t.Fatalf("Follow: %v", err)
		}
		t.Logf("Follow returned after %v: %v", time.Since(start), err)
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not notice the primary closing")
	}
	if err := p.serveErr(t); !errors.Is(err, ErrShipperClosed) {
		t.Fatalf("ServeReplica: %v, want ErrShipperClosed", err)
	}
}

// A replica reconnecting (with a new connection) replaces its old one.
func TestShipReplicaReplacesOldConnection(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	p.append(t, 5)
	r := newStreamReplica(t, "r1", nil)
	first := make(chan error, 1)
	go func() {
		_, err := r.follow(context.Background(), p.addr, nil)
		first <- err
	}()
	waitFor(t, 5*time.Second, "catch-up", func() bool { return r.lastApplied() == 5 })

	// A second stream for the same node id (a replica that believes its
	// first connection dead). It has its own log copy at the same position.
	twin := newStreamReplica(t, "r1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := make(chan error, 1)
	go func() {
		_, err := twin.follow(ctx, p.addr, nil)
		second <- err
	}()
	if err := p.serveErr(t); err == nil {
		t.Fatal("old ServeReplica returned nil")
	}
	select {
	case err := <-first:
		t.Logf("old Follow: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("old stream not ended")
	}
	p.append(t, 3)
	waitFor(t, 5*time.Second, "the new stream to deliver", func() bool { return twin.lastApplied() == 8 })
	if st := p.ship.Replicas(); len(st) != 1 || !st[0].Connected {
		t.Fatalf("Replicas() = %+v", st)
	}
}

// BenchmarkShip measures a commit loop on the primary (append, sync,
// notify) replicated to one replica, synchronous on every 64 txns.
func BenchmarkShip(b *testing.B) {
	p := startStreamPrimary(b, openStreamLog(b, b.TempDir()), 1, nil)
	r := newStreamReplica(b, "r1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = r.follow(ctx, p.addr, nil) }()

	rng := rand.New(rand.NewPCG(7, 7))
	const group = 64
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		n := min(group, b.N-done)
		last, sum := p.log.Last()
		txns := streamTxns(rng, last, sum, 1, n)
		for _, t := range txns {
			t.Pages = t.Pages[:1]
			t.Sum = t.Chain(sum)
			sum = t.Sum
		}
		if err := p.log.Append(txns...); err != nil {
			b.Fatal(err)
		}
		if err := p.log.Sync(); err != nil {
			b.Fatal(err)
		}
		p.ship.Notify(txns[n-1].Pos.TxID)
		if err := p.ship.WaitAcked(ctx, txns[n-1].Pos.TxID, 1, nil); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "txns/s")
}
