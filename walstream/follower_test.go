package walstream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tcpProxy forwards connections to target; it can cut them all (a
// crash) or silently drop everything in both directions (a partition:
// the sockets stay open but nothing arrives).
type tcpProxy struct {
	ln      net.Listener
	target  string
	dropped atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startTCPProxy(t testing.TB, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Go(func() { p.pipe(up, c) })
			p.wg.Go(func() { p.pipe(c, up) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.dropped.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A replica whose connection breaks repeatedly resumes from its log each
// time: Apply sees every transaction exactly once, in order.
func TestFollowReconnectsWithoutGapsOrDuplicates(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	proxy := startTCPProxy(t, p.addr)
	p.append(t, 100)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var final atomic.Uint64
	appenderDone := make(chan struct{})
	go func() {
		defer close(appenderDone)
		for range 200 {
			if ctx.Err() != nil {
				return
			}
			last, err := p.tryAppend(1 + rand.IntN(5))
			if err != nil {
				t.Error(err)
				return
			}
			final.Store(last)
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() {
		cancel()
		<-appenderDone
	}()

	r := newStreamReplica(t, "r1", nil)
	follow := func() (context.CancelFunc, chan error) {
		sctx, scancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := r.follow(sctx, proxy.addr(), nil)
			done <- err
		}()
		return scancel, done
	}
	const broken = 6
	for session := 1; session <= broken; session++ {
		from := r.lastApplied()
		scancel, done := follow()
		waitFor(t, 10*time.Second, "progress", func() bool { return r.lastApplied() > from+10 })
		// Alternate between the network breaking and the replica leaving.
		if session%2 == 0 {
			proxy.cut()
		} else {
			scancel()
		}
		if err := <-done; err == nil || errors.Is(err, ErrNeedSnapshot) {
			t.Fatalf("session %d ended with %v", session, err)
		}
		scancel()
		r.mu.Lock()
		bad := r.bad
		r.mu.Unlock()
		if bad != nil {
			t.Fatal(bad)
		}
		if last, _ := r.log.Last(); last.TxID != r.lastApplied() {
			t.Fatalf("session %d: log ends at %v but Apply stopped at %d", session, last, r.lastApplied())
		}
	}
	select {
	case <-appenderDone:
		t.Fatal("the appender finished before the last break: the test did not break a live stream")
	default:
	}

	scancel, done := follow()
	defer scancel()
	<-appenderDone
	if t.Failed() {
		t.FailNow()
	}
	want := final.Load()
	waitFor(t, 10*time.Second, "the last session to catch up", func() bool { return r.lastApplied() == want })
	scancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("last session: %v", err)
	}
	r.check(t, 1, want)
}

func TestFollowNeedSnapshot(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))

	expectNeedSnapshot := func(t *testing.T, p *streamPrimary, r *streamReplica, wantReason string) {
		t.Helper()
		before, beforeSum := r.log.Last()
		_, err := r.follow(context.Background(), p.addr, nil)
		if !errors.Is(err, ErrNeedSnapshot) || !strings.Contains(err.Error(), wantReason) {
			t.Fatalf("Follow: %v, want ErrNeedSnapshot mentioning %q", err, wantReason)
		}
		if serr := p.serveErr(t); !errors.Is(serr, ErrNeedSnapshot) {
			t.Fatalf("ServeReplica: %v, want ErrNeedSnapshot", serr)
		}
		if last, sum := r.log.Last(); last != before || sum != beforeSum {
			t.Fatalf("replica log moved from %v to %v", before, last)
		}
		if r.lastApplied() != before.TxID {
			t.Fatalf("Apply was called")
		}
	}

	t.Run("divergent", func(t *testing.T) {
		// An old primary of epoch 1 committed 1..5 that nobody else has;
		// the new primary of epoch 2 wrote its own 1..8.
		old := openStreamLog(t, t.TempDir())
		fillLog(t, old, rng, 1, 5)
		pl := openStreamLog(t, t.TempDir())
		fillLog(t, pl, rng, 2, 8)
		p := startStreamPrimary(t, pl, 2, nil)
		expectNeedSnapshot(t, p, newStreamReplica(t, "old", old), "divergent")
	})

	t.Run("same epoch different content", func(t *testing.T) {
		shared := streamTxns(rng, Position{}, 0, 1, 4)
		pl := openStreamLog(t, t.TempDir())
		rl := openStreamLog(t, t.TempDir())
		for _, l := range []*Log{pl, rl} {
			if err := l.Append(shared...); err != nil {
				t.Fatal(err)
			}
		}
		fillLog(t, pl, rng, 1, 3)
		fillLog(t, rl, rng, 1, 2) // txid 5 and 6 differ from the primary's
		p := startStreamPrimary(t, pl, 1, nil)
		expectNeedSnapshot(t, p, newStreamReplica(t, "r", rl), "divergent")
	})

	t.Run("ahead", func(t *testing.T) {
		shared := streamTxns(rng, Position{}, 0, 1, 5)
		pl := openStreamLog(t, t.TempDir())
		rl := openStreamLog(t, t.TempDir())
		for _, l := range []*Log{pl, rl} {
			if err := l.Append(shared...); err != nil {
				t.Fatal(err)
			}
		}
		fillLog(t, rl, rng, 1, 5)
		p := startStreamPrimary(t, pl, 1, nil)
		expectNeedSnapshot(t, p, newStreamReplica(t, "r", rl), "ahead")
	})

	t.Run("compacted", func(t *testing.T) {
		// The primary's log starts after a snapshot at 1/100.
		pl := openStreamLog(t, t.TempDir())
		if err := pl.Reset(Position{Epoch: 1, TxID: 100}, 0xabc); err != nil {
			t.Fatal(err)
		}
		fillLog(t, pl, rng, 1, 10)
		p := startStreamPrimary(t, pl, 1, nil)
		expectNeedSnapshot(t, p, newStreamReplica(t, "r", nil), "compacted")

		// A replica restored from that snapshot continues normally.
		rl := openStreamLog(t, t.TempDir())
		if err := rl.Reset(Position{Epoch: 1, TxID: 100}, 0xabc); err != nil {
			t.Fatal(err)
		}
		r := newStreamReplica(t, "restored", rl)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _, _ = r.follow(ctx, p.addr, nil) }()
		waitFor(t, 5*time.Second, "the restored replica to catch up", func() bool { return r.lastApplied() == 110 })
		r.check(t, 101, 110)
	})
}

// Fence refusing the primary's epoch stops the stream before anything is
// appended; Current rising above the stream's epoch stops it mid-stream.
func TestFollowFencing(t *testing.T) {
	t.Run("Fence refuses", func(t *testing.T) {
		p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 3, nil)
		p.append(t, 10)
		r := newStreamReplica(t, "r1", nil)
		r.epoch.Store(4) // promised to a newer primary already
		epoch, err := r.follow(context.Background(), p.addr, nil)
		if !errors.Is(err, ErrSuperseded) || epoch != 3 {
			t.Fatalf("Follow = %d, %v; want 3, ErrSuperseded", epoch, err)
		}
		if last, _ := r.log.Last(); last.TxID != 0 || r.lastApplied() != 0 {
			t.Fatalf("refused stream still wrote: log at %v, applied %d", last, r.lastApplied())
		}
		if serr := p.serveErr(t); serr == nil || !strings.Contains(serr.Error(), "epoch") {
			t.Fatalf("ServeReplica: %v, want the replica's reason", serr)
		}
	})

	t.Run("Current rises", func(t *testing.T) {
		p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 3, nil)
		p.append(t, 10)
		r := newStreamReplica(t, "r1", nil)
		done := make(chan error, 1)
		go func() {
			_, err := r.follow(context.Background(), p.addr, nil)
			done <- err
		}()
		waitFor(t, 5*time.Second, "catch-up", func() bool { return r.lastApplied() == 10 })
		if r.epoch.Load() != 3 {
			t.Fatalf("Fence did not record epoch 3: %d", r.epoch.Load())
		}
		r.epoch.Store(4) // this node voted for a newer primary
		select {
		case err := <-done:
			if !errors.Is(err, ErrSuperseded) {
				t.Fatalf("Follow: %v, want ErrSuperseded", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Follow kept following a superseded primary")
		}
		at, _ := r.log.Last()
		p.append(t, 10)
		time.Sleep(50 * time.Millisecond) // several heartbeats: nothing may arrive
		if last, _ := r.log.Last(); last != at {
			t.Fatalf("log grew from %v to %v after the stream was superseded", at, last)
		}
	})
}

// A primary that stops sending (partition: the TCP connection stays up but
// nothing crosses it) is detected within Timeout on both sides.
func TestFollowDetectsSilentPrimary(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, func(cfg *ShipperConfig) {
		cfg.Timeout = 500 * time.Millisecond
	})
	proxy := startTCPProxy(t, p.addr)
	p.append(t, 5)
	r := newStreamReplica(t, "r1", nil)
	const timeout = 400 * time.Millisecond
	var heartbeats atomic.Int64
	done := make(chan error, 1)
	go func() {
		_, err := r.follow(context.Background(), proxy.addr(), func(cfg *FollowerConfig) {
			cfg.Timeout = timeout
			cfg.OnHeartbeat = func(last uint64) {
				if last == 5 {
					heartbeats.Add(1)
				}
			}
		})
		done <- err
	}()
	waitFor(t, 5*time.Second, "catch-up", func() bool { return r.lastApplied() == 5 })
	// Stay connected well past the timeout: heartbeats keep the stream up.
	time.Sleep(3 * timeout)
	select {
	case err := <-done:
		t.Fatalf("healthy stream ended: %v", err)
	default:
	}
	if heartbeats.Load() < 5 {
		t.Fatalf("only %d heartbeats observed", heartbeats.Load())
	}

	proxy.dropped.Store(true)
	start := time.Now()
	select {
	case err := <-done:
		elapsed := time.Since(start)
		if elapsed > timeout+500*time.Millisecond {
			t.Fatalf("Follow took %v to notice a silent primary (Timeout %v)", elapsed, timeout)
		}
		if err == nil || !strings.Contains(err.Error(), "no message") {
			t.Fatalf("Follow: %v, want a timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow never noticed the silent primary")
	}
	// The primary hears no acks either and drops the replica.
	if err := p.serveErr(t); err == nil {
		t.Fatal("ServeReplica returned nil")
	}
	if st := p.ship.Replicas(); len(st) != 1 || st[0].Connected {
		t.Fatalf("Replicas() = %+v, want r1 disconnected", st)
	}
}

// fakePrimary speaks the protocol by hand, to send what a correct
// Shipper never would.
func fakePrimary(t *testing.T, serve func(br *bufio.Reader, bw *bufio.Writer)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br, bw := bufio.NewReader(c), bufio.NewWriter(c)
		typ, p, err := protoRead(br)
		if err != nil || typ != msgHello {
			t.Errorf("fake primary: reading Hello: %v %v", typ, err)
			return
		}
		if _, err := decodeHello(p); err != nil {
			t.Errorf("fake primary: %v", err)
			return
		}
		serve(br, bw)
		_ = bw.Flush()
		// Wait for the replica to hang up.
		_, _ = io.Copy(io.Discard, br)
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// The replica checks every received transaction itself: a gap or a broken
// checksum chain is a divergence, and nothing of the bad batch is logged.
func TestFollowRejectsBadTxns(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	welcome := func(bw *bufio.Writer) {
		w := welcomeMsg{Epoch: 1, NodeID: "fake", Start: 1}
		_ = protoWrite(bw, msgWelcome, w.appendTo(nil))
	}
	cases := []struct {
		name   string
		mangle func([]*Txn)
		want   error
	}{
		{"bad sum", func(txns []*Txn) { txns[2].Sum ^= 1 }, ErrNeedSnapshot},
		{"tampered page", func(txns []*Txn) { txns[1].Pages[0].Data[7] ^= 0xff }, ErrNeedSnapshot},
		{"gap", func(txns []*Txn) { txns[2].Pos.TxID = 9 }, ErrNeedSnapshot},
		{"future epoch", func(txns []*Txn) {
			txns[0].Pos.Epoch = 2
			txns[0].Sum = txns[0].Chain(0)
		}, errProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var replicaErr atomic.Value
			addr := fakePrimary(t, func(br *bufio.Reader, bw *bufio.Writer) {
				welcome(bw)
				good := streamTxns(rng, Position{}, 0, 1, 2)
				_ = protoWrite(bw, msgTxns, appendTxns(nil, good))
				_ = bw.Flush()
				// The good batch is acked.
				typ, p, err := protoRead(br)
				if ack, _ := decodeAck(p); err != nil || typ != msgAck || ack != 2 {
					t.Errorf("after a good batch: %v %d %v, want Ack 2", typ, ack, err)
				}
				bad := streamTxns(rng, good[1].Pos, good[1].Sum, 1, 4)
				tc.mangle(bad)
				_ = protoWrite(bw, msgTxns, appendTxns(nil, bad))
				_ = bw.Flush()
				for {
					typ, p, err := protoRead(br)
					if err != nil {
						return
					}
					if typ == msgError {
						reason, _ := decodeReason(typ, p)
						replicaErr.Store(reason)
					}
				}
			})
			r := newStreamReplica(t, "r1", nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Follow(context.Background(), c, r.config())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Follow: %v, want %v", err, tc.want)
			}
			if last, _ := r.log.Last(); last.TxID != 2 {
				t.Fatalf("replica log at %v, want 2 (the good batch only)", last)
			}
			r.check(t, 1, 2)
			waitFor(t, 5*time.Second, "the replica's Error message", func() bool { return replicaErr.Load() != nil })
		})
	}
}

// A primary that never answers Hello, or answers nonsense, cannot hang the
// replica.
func TestFollowHandshakeErrors(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		addr := fakePrimary(t, func(*bufio.Reader, *bufio.Writer) {})
		r := newStreamReplica(t, "r1", nil)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		cfg := r.config()
		cfg.Timeout = 200 * time.Millisecond
		start := time.Now()
		if _, err := Follow(context.Background(), c, cfg); err == nil || !strings.Contains(err.Error(), "Welcome") {
			t.Fatalf("Follow: %v, want a Welcome timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Follow waited %v", d)
		}
	})
	t.Run("wrong start", func(t *testing.T) {
		addr := fakePrimary(t, func(_ *bufio.Reader, bw *bufio.Writer) {
			w := welcomeMsg{Epoch: 1, NodeID: "fake", Start: 7}
			_ = protoWrite(bw, msgWelcome, w.appendTo(nil))
		})
		r := newStreamReplica(t, "r1", nil)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Follow(context.Background(), c, r.config()); !errors.Is(err, errProtocol) {
			t.Fatalf("Follow: %v, want a protocol error", err)
		}
		if r.epoch.Load() != 0 {
			t.Fatal("Fence was called for a bad Welcome")
		}
	})
	t.Run("ctx", func(t *testing.T) {
		addr := fakePrimary(t, func(*bufio.Reader, *bufio.Writer) {})
		r := newStreamReplica(t, "r1", nil)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		cfg := r.config()
		cfg.Timeout = time.Minute
		if _, err := Follow(ctx, c, cfg); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Follow: %v, want DeadlineExceeded", err)
		}
	})
}

// A failing Apply stops the stream with its error; what was appended stays
// in the log for the caller to apply later.
func TestFollowApplyError(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, nil)
	p.append(t, 20)
	r := newStreamReplica(t, "r1", nil)
	boom := errors.New("disk on fire")
	_, err := r.follow(context.Background(), p.addr, func(cfg *FollowerConfig) {
		apply := cfg.Apply
		cfg.Apply = func(ctx context.Context, t *Txn) error {
			if t.Pos.TxID == 7 {
				return boom
			}
			return apply(ctx, t)
		}
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "txid 7") {
		t.Fatalf("Follow: %v, want the Apply error for txid 7", err)
	}
	r.check(t, 1, 6)
	if last, _ := r.log.Last(); last.TxID < 7 {
		t.Fatalf("log at %v: txid 7 was applied after it was durable, so it must be logged", last)
	}
}
