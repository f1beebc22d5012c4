package dqlite

import (
	"context"
	"sync"

	"github.com/sqlcluster/sqlcluster/engine"
)

// writer runs a database's autocommit writes. dqlite does not queue
// writers, so concurrent writes would mostly fail with SQLITE_BUSY and
// retry; instead, writes from this node take the database's lock in turn
// (explicit transactions hold it from their first write to COMMIT), and
// the autocommit writes that queued while the lock was busy share one
// transaction: one Raft commit for the batch instead of one each.
//
// A batch runs inside BEGIN IMMEDIATE … COMMIT. A statement that fails
// with an SQL error fails alone (SQLite undoes just that statement). If the
// transaction is lost before COMMIT — the leader went away, or a client
// cancelled the statement it was running, which closes the connection —
// nothing was committed and nothing acknowledged, so the other statements
// run again on a new connection. Only a failure during COMMIT leaves the
// outcome unknown, which is reported as such (08007).
type writer struct {
	d        *database
	maxBatch int

	mu      sync.Mutex
	pending []*writeReq

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// writeReq is one autocommit write statement.
type writeReq struct {
	ctx   context.Context
	query string
	args  []any
	plan  *retPlan // RETURNING emulation; nil for plain writes
	cols  []engine.Column
	ddl   bool

	rows  *bufferedRows
	err   error
	taken bool          // claimed by a batch (guarded by writer.mu)
	done  chan struct{} // closed when rows/err are final
}

// maxBatchAttempts bounds how often a batch is rerun after losing its
// transaction (each attempt first waits for a leader).
const maxBatchAttempts = 5

func newWriter(d *database) *writer {
	w := &writer{d: d, maxBatch: 128, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// close stops the writer once idle; sessions are closed first.
func (w *writer) close() {
	close(w.stop)
	<-w.done
}

// submit runs one autocommit write and waits for its commit.
func (w *writer) submit(r *writeReq) (*bufferedRows, error) {
	r.done = make(chan struct{})
	w.mu.Lock()
	w.pending = append(w.pending, r)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	select {
	case <-r.done:
		return r.rows, r.err
	case <-w.stop:
		w.mu.Lock()
		if !r.taken {
			w.removeLocked(r)
			w.mu.Unlock()
			return nil, engine.ErrClosed
		}
		w.mu.Unlock()
		<-r.done
		return r.rows, r.err
	case <-r.ctx.Done():
		w.mu.Lock()
		if !r.taken {
			w.removeLocked(r)
			w.mu.Unlock()
			return nil, canceled(r.ctx.Err())
		}
		w.mu.Unlock()
		// Claimed: the batch decides (the statement sees the
		// cancellation if it is still running).
		<-r.done
		return r.rows, r.err
	}
}

func (w *writer) removeLocked(r *writeReq) {
	for i, p := range w.pending {
		if p == r {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			return
		}
	}
}

func (w *writer) take() []*writeReq {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.pending), w.maxBatch)
	batch := make([]*writeReq, n)
	copy(batch, w.pending[:n])
	w.pending = w.pending[n:]
	for _, r := range batch {
		r.taken = true
	}
	return batch
}

func (w *writer) loop() {
	defer close(w.done)
	for {
		select {
		case <-w.kick:
		case <-w.stop:
			return
		}
		for {
			select {
			case w.d.sem <- struct{}{}:
			case <-w.stop:
				return
			}
			batch := w.take()
			if len(batch) == 0 {
				w.d.release()
				break
			}
			w.run(batch)
			w.d.release()
			for _, r := range batch {
				close(r.done)
			}
		}
	}
}

// run executes a batch as one transaction (see the type's comment).
func (w *writer) run(batch []*writeReq) {
	d := w.d
	// The batch's own requests run under their contexts; the transaction
	// around them must not be cut short by any one client.
	ctx, cancel := context.WithTimeout(context.Background(), d.e.cfg.LeaderTimeout+d.e.cfg.BusyTimeout)
	defer cancel()
	for attempt := 1; len(batch) > 0; attempt++ {
		live := batch[:0:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = canceled(err)
				continue
			}
			live = append(live, r)
		}
		batch = live
		if len(batch) == 0 {
			return
		}
		if attempt > maxBatchAttempts {
			w.fail(batch, serializationFailure("the raft leader kept changing"))
			return
		}
		c, err := d.conn(ctx)
		if err != nil {
			w.fail(batch, translateError(err))
			return
		}
		if err := d.beginImmediate(ctx, c); err != nil {
			d.pool.put(c)
			if isLeaderLost(err) {
				continue
			}
			w.fail(batch, translateError(err))
			return
		}
		var ok, again []*writeReq
		lost := false
		for i, r := range batch {
			err := w.runOne(c, r)
			if err == nil {
				ok = append(ok, r)
				continue
			}
			if c.broken || isLeaderLost(err) {
				// The transaction is gone; nothing in it was committed.
				if r.ctx.Err() != nil {
					r.err = canceled(r.ctx.Err())
				} else {
					again = append(again, r)
				}
				again = append(append(ok, again...), batch[i+1:]...)
				lost = true
				break
			}
			r.err = translateError(err)
			if !inTx(ctx, c) {
				again = append(ok, batch[i+1:]...)
				lost = true
				break
			}
		}
		if lost {
			d.pool.put(c)
			for _, r := range again {
				r.rows, r.err = nil, nil
			}
			batch = again
			continue
		}
		if len(ok) == 0 {
			c.exec(ctx, "ROLLBACK", nil)
			d.pool.put(c)
			return
		}
		if err := d.commit(ctx, c); err != nil {
			if isLeaderLost(err) {
				w.fail(ok, commitUnknown(err))
			} else {
				c.exec(ctx, "ROLLBACK", nil)
				w.fail(ok, translateError(err))
			}
			d.pool.put(c)
			return
		}
		d.pool.put(c)
		d.e.stats.commits.Add(1)
		if len(ok) > 1 {
			d.e.stats.grouped.Add(uint64(len(ok)))
		}
		for _, r := range ok {
			if r.ddl {
				d.invalidate()
			}
		}
		return
	}
}

func (w *writer) runOne(c *conn, r *writeReq) error {
	if r.plan != nil {
		rows, err := runReturning(r.ctx, c, r.plan, r.args, r.cols)
		if err != nil {
			return err
		}
		r.rows = rows
		return nil
	}
	n, err := c.exec(r.ctx, r.query, r.args)
	if err != nil {
		return err
	}
	r.rows = &bufferedRows{affected: n}
	return nil
}

func (w *writer) fail(batch []*writeReq, err error) {
	for _, r := range batch {
		r.rows, r.err = nil, err
	}
}
