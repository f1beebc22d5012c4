package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/walstream"
)

// replicator is the stream-mode commit path (it implements
// sqlite.Replication). Its mutex is the node's commit lock: it is held from
// the moment a transaction is given its TxID until its frames are in the
// log, so log order is commit order across databases, and a fence (the
// node adopting a newer epoch) or a snapshot never falls between a commit
// and its log entry.
type replicator struct {
	log *walstream.Log

	mu      sync.Mutex
	primary bool
	epoch   uint64 // epoch this node writes with while primary
	seen    uint64 // newest epoch seen (fencing)
	lastSum uint64
	last    walstream.Position
	shipper *walstream.Shipper
	term    context.Context // cancelled when the node stops being primary
	endTerm context.CancelFunc
	// quorum returns how many replica acks a commit needs and which
	// replicas count, evaluated per commit (membership can change).
	quorum    func() (n int, counts func(id string) bool)
	broken    error // a commit that could not be logged: no more writes
	paused    bool  // a transfer is in progress: commits wait
	restoring bool  // a restore replaces the databases: commits fail
	resumed   *sync.Cond

	applied     atomic.Uint64 // last TxID applied to the databases
	appliedMu   sync.Mutex
	appliedCond *sync.Cond

	onSchemaChange func(db string) // membership cache invalidation
	onLogged       func(t *walstream.Txn)
}

func newReplicator(log *walstream.Log) *replicator {
	r := &replicator{log: log}
	r.last, r.lastSum = log.Last()
	r.seen = r.last.Epoch
	r.appliedCond = sync.NewCond(&r.appliedMu)
	r.resumed = sync.NewCond(&r.mu)
	return r
}

var errNotPrimary = &engine.Error{Code: "25006", Message: "cannot execute a write on this node: it is not the primary",
	Hint: "The cluster is electing a primary or this node lost contact with the majority; retry."}

var errRestoring = &engine.Error{Code: "57P03", Message: "the cluster is restoring a backup; writes are refused until it completes",
	Hint: "Retry after the restore."}

// BeginCommit implements sqlite.Replication.
func (r *replicator) BeginCommit(ctx context.Context, db string) (uint64, error) {
	r.mu.Lock()
	for r.paused && r.primary {
		r.resumed.Wait()
	}
	if !r.primary {
		r.mu.Unlock()
		return 0, errNotPrimary
	}
	if r.broken != nil {
		r.mu.Unlock()
		return 0, r.broken
	}
	if r.restoring {
		r.mu.Unlock()
		return 0, errRestoring
	}
	return r.last.TxID + 1, nil
}

// EndCommit implements sqlite.Replication.
func (r *replicator) EndCommit(db string, txid uint64, c *walstream.Captured, err error) func(context.Context) error {
	defer r.mu.Unlock()
	if errors.Is(err, walstream.ErrNoCommit) {
		return func(context.Context) error { return nil }
	}
	if err != nil {
		if errors.Is(err, sqlite.ErrUncaptured) {
			r.breakLocked(err)
		}
		return func(context.Context) error { return err }
	}
	t := &walstream.Txn{Pos: walstream.Position{Epoch: r.epoch, TxID: txid}, Kind: walstream.KindPages, DB: db,
		PageSize: c.PageSize, CommitSize: c.CommitSize, Pages: c.Pages}
	return r.appendLocked(t)
}

// appendLocked logs t as the next transaction, ships it and returns the
// wait for its acknowledgement. r.mu is held.
func (r *replicator) appendLocked(t *walstream.Txn) func(context.Context) error {
	if err := r.logLocked(t); err != nil {
		r.breakLocked(err)
		return func(context.Context) error {
			return &engine.Error{Code: "58030", Message: "the transaction committed locally but could not be logged; this node stops accepting writes", Detail: err.Error(), Err: err}
		}
	}
	shipper, term, quorum := r.shipper, r.term, r.quorum
	shipper.Notify(t.Pos.TxID)
	txid := t.Pos.TxID
	return func(ctx context.Context) error {
		if err := r.log.Sync(); err != nil {
			return &engine.Error{Code: "58030", Message: "could not fsync the replication log", Detail: err.Error(), Err: err}
		}
		if err := awaitQuorum(ctx, shipper, term, quorum, txid); err != nil {
			if term.Err() != nil {
				return &engine.Error{Code: "08007", Message: "transaction resolution unknown: this node stopped being the primary before enough replicas confirmed the commit",
					Hint: "Check whether the change is present before retrying it."}
			}
			return err
		}
		return nil
	}
}

// awaitQuorum waits until as many replicas as quorum asks for hold txid.
// It gives up when ctx ends or when term does (this node stopped being the
// primary): the caller tells the two apart to say what that means for its
// commit or read.
func awaitQuorum(ctx context.Context, shipper *walstream.Shipper, term context.Context, quorum func() (int, func(string) bool), txid uint64) error {
	n, counts := quorum()
	if n <= 0 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(term, cancel)
	defer stop()
	return shipper.WaitAcked(wctx, txid, n, counts)
}

// logLocked chains t onto the log's last transaction and appends it.
func (r *replicator) logLocked(t *walstream.Txn) error {
	t.Sum = t.Chain(r.lastSum)
	if err := r.log.Append(t); err != nil {
		return fmt.Errorf("appending transaction %s to the replication log: %w", t.Pos, err)
	}
	r.last, r.lastSum = t.Pos, t.Sum
	r.setApplied(t.Pos.TxID)
	if r.onLogged != nil {
		r.onLogged(t)
	}
	if t.DB == systemDB && r.onSchemaChange != nil {
		r.onSchemaChange(t.DB)
	}
	return nil
}

// recovered logs a transaction found committed in a database but missing
// from the log after a crash (see cluster.recover).
func (r *replicator) recovered(t *walstream.Txn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.logLocked(t); err != nil {
		return err
	}
	return r.log.Sync()
}

func (r *replicator) breakLocked(err error) {
	if r.broken == nil {
		r.broken = err
	}
	r.stepDownLocked()
}

// Schema implements sqlite.Replication for CREATE/DROP DATABASE: the log
// records the change first, so a crash leaves it to replay.
func (r *replicator) Schema(ctx context.Context, kind walstream.Kind, db string, apply func() error) (func(context.Context) error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.primary {
		return nil, errNotPrimary
	}
	t := &walstream.Txn{Pos: walstream.Position{Epoch: r.epoch, TxID: r.last.TxID + 1}, Kind: kind, DB: db}
	wait := r.appendLocked(t)
	if err := r.log.Sync(); err != nil {
		return nil, err
	}
	if err := apply(); err != nil {
		return nil, err
	}
	return wait, nil
}

// becomePrimary starts a term at epoch with a fresh shipper.
func (r *replicator) becomePrimary(epoch uint64, shipper *walstream.Shipper) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stepDownLocked()
	r.primary, r.epoch = true, epoch
	if epoch > r.seen {
		r.seen = epoch
	}
	r.shipper = shipper
	r.term, r.endTerm = context.WithCancel(context.Background())
	return r.term
}

func (r *replicator) stepDown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stepDownLocked()
}

// pause holds new commits (a transfer waits for its target to catch up)
// and returns the last committed position.
func (r *replicator) pause() walstream.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = true
	return r.last
}

// restart begins a new history after a restore: no replica's position is
// in it, so each installs a snapshot of the restored databases.
func (r *replicator) restart(sum uint64) (walstream.Position, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	base := walstream.Position{Epoch: r.epoch, TxID: r.last.TxID + 1}
	if err := r.log.Reset(base, sum); err != nil {
		return base, err
	}
	r.last, r.lastSum = base, sum
	r.setApplied(base.TxID)
	return base, nil
}

func (r *replicator) setRestoring(on bool) {
	r.mu.Lock()
	r.restoring = on
	r.mu.Unlock()
}

func (r *replicator) resume() {
	r.mu.Lock()
	r.paused = false
	r.resumed.Broadcast()
	r.mu.Unlock()
}

func (r *replicator) stepDownLocked() {
	r.resumed.Broadcast()
	r.primary = false
	if r.endTerm != nil {
		r.endTerm()
		r.endTerm = nil
	}
	if r.shipper != nil {
		r.shipper.Close()
		r.shipper = nil
	}
}

// fence adopts a newer epoch: a primary of an older epoch steps down. It
// takes the commit lock, so it never falls between a commit and its log
// entry.
func (r *replicator) fence(epoch uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if epoch > r.seen {
		r.seen = epoch
	}
	if r.primary && epoch > r.epoch {
		r.stepDownLocked()
	}
	return nil
}

func (r *replicator) isPrimary() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.primary && r.broken == nil
}

func (r *replicator) position() (walstream.Position, uint64) {
	return r.log.Last()
}

func (r *replicator) setApplied(txid uint64) {
	r.appliedMu.Lock()
	if txid > r.applied.Load() {
		r.applied.Store(txid)
	}
	r.appliedCond.Broadcast()
	r.appliedMu.Unlock()
}

// waitApplied blocks until the databases hold txid (read-your-writes).
func (r *replicator) waitApplied(ctx context.Context, txid uint64) error {
	if r.applied.Load() >= txid {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		r.appliedMu.Lock()
		r.appliedCond.Broadcast()
		r.appliedMu.Unlock()
	})
	defer stop()
	r.appliedMu.Lock()
	defer r.appliedMu.Unlock()
	for r.applied.Load() < txid {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.appliedCond.Wait()
	}
	return nil
}

// withCommitLock runs fn with no commit in flight and the log at a
// transaction boundary (snapshots).
func (r *replicator) withCommitLock(fn func(last walstream.Position, sum uint64) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fn(r.last, r.lastSum)
}

// reset follows a snapshot install or a log replay done by the caller.
func (r *replicator) reset() {
	r.mu.Lock()
	r.last, r.lastSum = r.log.Last()
	r.mu.Unlock()
}

// Needed implements sqlite.ReadBarrier: only a primary that waits for
// replicas shows data before it is safe.
func (r *replicator) Needed() bool {
	r.mu.Lock()
	primary, quorum := r.primary, r.quorum
	r.mu.Unlock()
	if !primary || quorum == nil {
		return false
	}
	n, _ := quorum()
	return n > 0
}

// Wait implements sqlite.ReadBarrier: a read on the primary returns only
// data a quorum holds, so no failover can take back what a client read.
func (r *replicator) Wait(ctx context.Context, txid uint64) error {
	r.mu.Lock()
	shipper, term, quorum, primary := r.shipper, r.term, r.quorum, r.primary
	r.mu.Unlock()
	if !primary || shipper == nil || txid == 0 {
		return nil
	}
	if err := awaitQuorum(ctx, shipper, term, quorum, txid); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &engine.Error{Code: "57P03", Message: "this node stopped being the primary before the data read was replicated; the read was not served",
			Hint: "Retry: the new primary serves the read."}
	}
	return nil
}
