package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// writer owns a database's only read-write connection. SQLite allows one
// writer at a time; instead of letting connections race for the lock (and
// surfacing SQLITE_BUSY) every write goes through here.
//
// Explicit transactions take the writer exclusively (acquire/release).
// Autocommit writes are queued for the committer goroutine, which takes the
// lock, runs every queued request inside one transaction, each under its
// own savepoint so that one statement's failure rolls back only that
// statement, commits once, releases the lock and hands the batch to the
// completer goroutine. The completer waits until the commit is durable
// (syncer) and only then completes the requests: a request is acknowledged
// only after the commit that contains it is on disk, while the committer
// already runs the next batch.
type writer struct {
	conn *conn
	sem  chan struct{} // holds one token while someone owns conn

	mu      sync.Mutex
	pending []*writeReq

	maxBatch int
	seq      *atomic.Uint64 // commit sequence of the database
	sync     *syncer
	stats    *counters

	// Stream mode (repl != nil): see replication.go. capt and
	// uncheckpointed belong to whoever holds sem.
	repl           Replication
	dbName         string
	walPath        string
	capt           *walstream.Capturer
	uncheckpointed int
	headerHi       uint32 // high half of the TxID last written to the header
	headerHiKnown  bool

	kick        chan struct{}   // a request is pending (buffered, 1)
	completions chan completion // committed batches awaiting durability
	stop        chan struct{}
	loops       sync.WaitGroup
}

// completion is a batch whose commit must become durable (wait, nil if
// nothing committed) before its requests are acknowledged.
type completion struct {
	batch []*writeReq
	wait  func(context.Context) error
}

// writeReq is one autocommit write statement waiting for a commit.
type writeReq struct {
	ctx   context.Context
	query string
	args  []any
	rows  *bufferedRows
	err   error
	taken bool          // a committer has claimed it (guarded by writer.mu)
	done  chan struct{} // closed when rows/err are final
}

func newWriter(c *conn, seq *atomic.Uint64, sync *syncer, stats *counters, maxBatch int) *writer {
	w := &writer{conn: c, sem: make(chan struct{}, 1), seq: seq, sync: sync, stats: stats, maxBatch: maxBatch,
		kick: make(chan struct{}, 1), completions: make(chan completion, 64), stop: make(chan struct{})}
	w.loops.Add(2)
	go w.commitLoop()
	go w.completeLoop()
	return w
}

// close stops the committer and completer once they are idle. Sessions are
// closed first, so no request is pending.
func (w *writer) close() {
	close(w.stop)
	w.loops.Wait()
}

// commitLoop runs batches of queued autocommit writes.
func (w *writer) commitLoop() {
	defer w.loops.Done()
	defer close(w.completions)
	for {
		select {
		case <-w.kick:
		case <-w.stop:
			return
		}
		for {
			select {
			case w.sem <- struct{}{}:
			case <-w.stop:
				return
			}
			batch := w.takePending()
			if len(batch) == 0 {
				w.release()
				break
			}
			wait := w.runBatch(batch)
			w.release()
			w.completions <- completion{batch, wait}
		}
	}
}

// completeLoop acknowledges batches in commit order once durable.
func (w *writer) completeLoop() {
	defer w.loops.Done()
	for c := range w.completions {
		w.complete(c.batch, c.wait)
	}
}

// acquire takes exclusive ownership of the write connection.
func (w *writer) acquire(ctx context.Context) error {
	select {
	case w.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) release() { <-w.sem }

// submit runs one autocommit write and waits until it is durable.
func (w *writer) submit(ctx context.Context, query string, args []any) (*bufferedRows, error) {
	req := &writeReq{ctx: ctx, query: query, args: args, done: make(chan struct{})}
	w.mu.Lock()
	w.pending = append(w.pending, req)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default: // the committer is already due to look
	}
	select {
	case <-req.done:
		return req.rows, req.err
	case <-ctx.Done():
		w.mu.Lock()
		if !req.taken {
			w.removeLocked(req)
			w.mu.Unlock()
			return nil, ctx.Err()
		}
		w.mu.Unlock()
		// Claimed by the committer: its outcome is decided by that commit,
		// and the statement itself sees ctx and stops early.
		<-req.done
		return req.rows, req.err
	}
}

func (w *writer) removeLocked(req *writeReq) {
	for i, r := range w.pending {
		if r == req {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			return
		}
	}
}

func (w *writer) takePending() []*writeReq {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.pending)
	if n > w.maxBatch {
		n = w.maxBatch
	}
	batch := make([]*writeReq, n)
	copy(batch, w.pending[:n])
	w.pending = w.pending[n:]
	for _, r := range batch {
		r.taken = true
	}
	return batch
}

// complete acknowledges a batch once its commit (if any) is durable.
func (w *writer) complete(batch []*writeReq, wait func(context.Context) error) {
	if wait != nil {
		if err := wait(context.Background()); err != nil {
			for _, r := range batch {
				if r.err == nil {
					r.rows, r.err = nil, err
				}
			}
		}
	}
	for _, r := range batch {
		close(r.done)
	}
}

// runBatch executes batch in one transaction. If SQLite abandons the
// transaction mid-batch (an interrupt, an I/O error), the statements that had
// succeeded were never acknowledged, so they run again in a new transaction
// without the one that failed.
func (w *writer) runBatch(batch []*writeReq) (wait func(context.Context) error) {
	ctx := context.Background()
	c := w.conn
	if err := w.sync.failed(); err != nil {
		w.fail(batch, err)
		return nil
	}
	for len(batch) > 0 {
		if err := c.begin(ctx, "BEGIN IMMEDIATE", time.Now()); err != nil {
			w.fail(batch, translateError(err))
			return nil
		}
		useSavepoints := len(batch) > 1
		var ok, failed []*writeReq
		lost := -1 // index of the statement whose failure ended the transaction
		for i, r := range batch {
			if err := w.runGuarded(ctx, r, useSavepoints); err == nil {
				ok = append(ok, r)
				continue
			}
			failed = append(failed, r)
			if !inTx(ctx, c) {
				lost = i
				break
			}
		}
		if lost >= 0 {
			// The failed requests keep their errors; the rest run again.
			batch = append(ok, batch[lost+1:]...)
			continue
		}
		wait, err := w.commit(ctx, len(ok))
		if err != nil {
			err = translateError(err)
			c.exec(ctx, "ROLLBACK")
			for _, r := range ok {
				r.rows, r.err = nil, err
			}
			return nil
		}
		return wait
	}
	return nil
}

// runGuarded runs one request, under a savepoint when it shares the
// transaction with others, and records its outcome in r.
func (w *writer) runGuarded(ctx context.Context, r *writeReq, savepoint bool) error {
	c := w.conn
	r.rows, r.err = nil, nil
	if err := r.ctx.Err(); err != nil {
		r.err = translateError(err)
		return r.err
	}
	if savepoint {
		if err := c.exec(ctx, "SAVEPOINT gc"); err != nil {
			r.err = translateError(err)
			return r.err
		}
	}
	rows, err := w.runOne(r)
	if err == nil && savepoint {
		err = c.exec(ctx, "RELEASE gc")
	}
	if err == nil {
		r.rows = rows
		return nil
	}
	r.err = translateError(err)
	if savepoint {
		if c.exec(ctx, "ROLLBACK TO gc") == nil {
			c.exec(ctx, "RELEASE gc")
		}
	}
	return r.err
}

func (w *writer) runOne(r *writeReq) (*bufferedRows, error) {
	res, err := w.conn.run(r.ctx, r.query, r.args)
	if err != nil {
		return nil, err
	}
	return drain(res, columnsOf(res.cols))
}

// committed records a commit of stmts statements and returns its
// sequence number, to wait on with sync.wait.
func (w *writer) committed(stmts int) uint64 {
	seq := w.seq.Add(1)
	w.sync.committed(seq)
	w.stats.commits.Add(1)
	if stmts > 1 {
		w.stats.grouped.Add(uint64(stmts))
	}
	return seq
}

func (w *writer) fail(batch []*writeReq, err error) {
	for _, r := range batch {
		r.rows, r.err = nil, err
	}
}

// inTx reports whether c still has an open transaction: SQLite refuses BEGIN
// inside one. Some errors (interrupts, I/O errors) roll the whole
// transaction back, and the batch must know.
func inTx(ctx context.Context, c *conn) bool {
	if err := c.exec(ctx, "BEGIN"); err != nil {
		return true
	}
	c.exec(ctx, "ROLLBACK")
	return false
}

type counters struct {
	commits, fsyncs, grouped atomic.Uint64
}
