package sqlite

import (
	"context"
	"fmt"

	"github.com/sqlcluster/sqlcluster/engine"
)

// ReadBarrier keeps reads linearizable on a replicating primary. SQLite
// makes a commit visible to readers as soon as it is in the WAL, but a
// stream-mode primary acknowledges it only once enough replicas hold it;
// a reader that saw it in between could see it vanish in a failover. With
// a barrier, every read on a pooled reader runs in an explicit read
// transaction: the snapshot is fixed first, its TxID read from the
// database header, and the read proceeds only once Wait says that TxID is
// safe (replicated to a quorum), so a read never returns what a failover
// could take back.
type ReadBarrier interface {
	// Needed reports whether reads must wait at all right now (a replica
	// or an asynchronous primary need not).
	Needed() bool
	// Wait returns once txid may be shown to a reader.
	Wait(ctx context.Context, txid uint64) error
}

// barrier returns the read barrier this session's reads must pass now, or
// nil (none configured, an internal session, or no wait needed).
func (s *session) barrier() ReadBarrier {
	b := s.eng.cfg.ReadBarrier
	if b == nil || s.info.Internal || !b.Needed() {
		return nil
	}
	return b
}

// beginBarrieredRead opens a read transaction on c and waits until its
// snapshot may be shown. The caller ends it (endRead) after the read.
func (s *session) beginBarrieredRead(ctx context.Context, c *conn) (bool, error) {
	b := s.barrier()
	if b == nil {
		return false, nil
	}
	if err := c.exec(ctx, "BEGIN"); err != nil {
		return false, translateError(err)
	}
	// Reading the header is the transaction's first read: it fixes the
	// snapshot the statement will see.
	if err := waitSnapshot(ctx, c, b); err != nil {
		c.exec(context.Background(), "ROLLBACK")
		return false, err
	}
	return true, nil
}

// waitSnapshot waits until b says the snapshot of c's open read
// transaction (its TxID is in the database header) may be shown.
func waitSnapshot(ctx context.Context, c *conn, b ReadBarrier) error {
	txid, err := headerTxID(ctx, c)
	if err == nil {
		err = b.Wait(ctx, txid)
	}
	if err != nil {
		return fmt.Errorf("waiting until the data read is replicated: %w", err)
	}
	return nil
}

func endRead(c *conn) { c.exec(context.Background(), "COMMIT") }

// readPooled runs a read statement on a pooled reader c outside any
// pinned transaction, behind the read barrier when there is one; done
// returns c to the pool.
func (s *session) readPooled(ctx context.Context, c *conn, query string, args []any, opt engine.StmtOptions, done func()) (engine.Rows, error) {
	inTx, err := s.beginBarrieredRead(ctx, c)
	if err != nil {
		return nil, err
	}
	finish := done
	if inTx {
		finish = func() { endRead(c); done() }
	}
	rows, err := s.runOn(ctx, c, query, args, opt, finish)
	if err != nil && inTx {
		endRead(c)
	}
	return rows, err
}
