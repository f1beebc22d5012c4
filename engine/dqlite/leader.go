package dqlite

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canonical/go-dqlite/client"
)

// leaderWatch tracks who leads the cluster (as our own node sees it, or,
// if it knows no leader, the other members) and numbers the periods between
// leader changes (epochs).
//
// dqlite 1.11 lets a new leader answer queries before it has applied every
// entry committed under its predecessor, so a read right after a failover
// can miss committed writes (or a whole table). The fix, here, is a barrier:
// in each epoch, before the first statement, one write is committed through
// the new leader; Raft applies entries in order, so once that write is
// applied, everything committed before it is too. Epochs advance when the
// poller sees a different leader and whenever a connection reports the
// leader gone (suspect), which also retires every pooled connection opened
// in an older epoch. dqlite reports no Raft term, so a leader that loses and
// regains leadership between two polls, unseen by any connection, starts no
// epoch.
type leaderWatch struct {
	store    *nodeStore
	dial     client.DialFunc
	log      *slog.Logger
	interval time.Duration
	barrier  func(ctx context.Context) error

	mu      sync.Mutex // guards cli and stopped
	cli     *client.Client
	stopped bool

	cur      atomic.Pointer[client.NodeInfo] // last seen leader; zero ID means none
	epoch    atomic.Uint64
	barrierd atomic.Uint64 // the epoch whose barrier has completed
	// bsem lets one barrier run at a time; a channel, not a mutex, so
	// that a caller whose context ends stops waiting for another's.
	bsem chan struct{}

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newLeaderWatch(store *nodeStore, dial client.DialFunc, log *slog.Logger, interval time.Duration) *leaderWatch {
	l := &leaderWatch{store: store, dial: dial, log: log, interval: interval,
		bsem: make(chan struct{}, 1), kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	l.cur.Store(&client.NodeInfo{})
	l.epoch.Store(1)
	return l
}

func (l *leaderWatch) start() { go l.loop() }

func (l *leaderWatch) close() {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	l.stopped = true
	if l.cli != nil {
		l.cli.Close()
		l.cli = nil
	}
	l.mu.Unlock()
}

func (l *leaderWatch) loop() {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		case <-l.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if _, err := l.refresh(ctx); err != nil {
			l.log.Debug("asking for the leader", "node", l.store.self, "err", err)
		}
		cancel()
	}
}

// refresh asks who leads and starts a new epoch if that changed.
func (l *leaderWatch) refresh(ctx context.Context) (client.NodeInfo, error) {
	// Bounded, whatever the caller's context: the poller waits on this too.
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return client.NodeInfo{}, errStop
	}
	info, err := l.ask(ctx)
	if err != nil {
		return client.NodeInfo{}, err
	}
	prev := l.cur.Load()
	if prev.ID != info.ID || prev.Address != info.Address {
		l.cur.Store(info)
		l.epoch.Add(1)
		if info.ID != 0 {
			l.log.Info("raft leader changed", "node", l.store.self, "id", info.ID, "address", info.Address, "epoch", l.epoch.Load())
		}
	}
	return *info, nil
}

// ask asks our own node over a kept connection, and if it knows no leader
// (a spare node, or an election), the other members.
func (l *leaderWatch) ask(ctx context.Context) (*client.NodeInfo, error) {
	if l.cli == nil {
		cli, err := client.New(ctx, l.store.self, client.WithDialFunc(l.dial), client.WithLogFunc(nopLog))
		if err != nil {
			return nil, fmt.Errorf("connecting to our dqlite node: %w", err)
		}
		l.cli = cli
	}
	info, err := l.cli.Leader(ctx)
	if err != nil {
		l.cli.Close()
		l.cli = nil
		return nil, fmt.Errorf("asking for the leader: %w", err)
	}
	if info.ID != 0 || len(l.store.members()) == 0 {
		return info, nil
	}
	fctx, cancel := context.WithTimeout(ctx, l.interval)
	defer cancel()
	cli, err := client.FindLeader(fctx, othersOnly{l.store}, client.WithDialFunc(l.dial), client.WithLogFunc(nopLog))
	if err != nil {
		return info, nil // nobody knows a leader
	}
	defer cli.Close()
	if other, err := cli.Leader(fctx); err == nil {
		return other, nil
	}
	return info, nil
}

func (l *leaderWatch) leaderAddr() string { return l.cur.Load().Address }

// suspect is called when a connection lost the leader: connections of the
// current epoch may all point at a deposed leader, and reads need a new
// barrier.
func (l *leaderWatch) suspect() {
	l.epoch.Add(1)
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// ensureBarrier runs the epoch's barrier write if it has not run yet.
func (l *leaderWatch) ensureBarrier(ctx context.Context) error {
	if l.barrierd.Load() == l.epoch.Load() {
		return nil
	}
	select {
	case l.bsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.bsem }()
	ep := l.epoch.Load()
	if l.barrierd.Load() == ep {
		return nil
	}
	if err := l.barrier(ctx); err != nil {
		return err
	}
	// If the epoch moved on meanwhile, the next statement runs another.
	l.barrierd.Store(ep)
	return nil
}

func nopLog(client.LogLevel, string, ...any) {}

// slogFunc adapts go-dqlite's logging to slog.
func slogFunc(log *slog.Logger) client.LogFunc {
	return func(level client.LogLevel, format string, a ...any) {
		var lv slog.Level
		switch level {
		case client.LogDebug:
			lv = slog.LevelDebug
		case client.LogInfo:
			lv = slog.LevelInfo
		case client.LogWarn:
			lv = slog.LevelWarn
		default:
			lv = slog.LevelError
		}
		if !log.Enabled(context.Background(), lv) {
			return
		}
		log.Log(context.Background(), lv, fmt.Sprintf(format, a...))
	}
}
