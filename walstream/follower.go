package walstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// ErrNeedSnapshot means the replica cannot continue from its log: the
// primary no longer has the entries after its position, or the two
// histories differ. It is wrapped with the reason.
var ErrNeedSnapshot = errors.New("walstream: replica needs a snapshot")

// ErrSuperseded means the follower stopped because this node has seen (or
// refused to go back from) an epoch newer than the stream's: the primary
// on the other end has been deposed.
var ErrSuperseded = errors.New("walstream: stream epoch superseded")

// FollowerConfig configures Follow.
type FollowerConfig struct {
	NodeID string
	// Log is the replica's transaction log; Follow appends to it.
	Log *Log
	// Fence is called with the primary's epoch from Welcome before anything
	// is accepted; it returns an error if this node already saw a newer
	// epoch (the stream is refused), and records/persists the epoch
	// otherwise.
	Fence func(epoch uint64) error
	// Current returns the newest epoch this node has seen; when it exceeds
	// the stream's epoch (the node promised a newer primary) the follower
	// stops before accepting more. Optional.
	Current func() uint64
	// Apply is called in TxID order for each transaction after it is
	// durable in the local log, from a goroutine of its own so the next
	// batch is received and synced meanwhile.
	Apply func(ctx context.Context, t *Txn) error
	// OnHeartbeat observes the primary's last TxID (for lag). Optional.
	OnHeartbeat func(primaryLast uint64)
	// Timeout: no message from the primary for this long is an error. It
	// also bounds the handshake and every write. Default 2s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// applyQueue is how many received batches may wait for Apply before the
// follower stops reading (and acking): it bounds memory and how far the
// log may run ahead of the database.
const applyQueue = 4

// Follow replicates from the primary on the other end of c, which the
// caller has already authenticated; Follow owns c and closes it. It
// returns the primary's epoch (once Welcome is received) and the reason
// it stopped, which is never nil: ctx's error, a connection failure or
// timeout, an error wrapping ErrNeedSnapshot or ErrSuperseded, or an
// Apply or log failure.
//
// Every transaction Follow appends to the log is also passed to Apply
// before Follow returns, however the stream ended (including ctx, which
// Apply receives), unless Apply fails. After a failed Apply the log holds
// transactions that were never applied, and the caller must apply the
// log's tail before following again: the next Follow starts after the
// log's last entry.
func Follow(ctx context.Context, c net.Conn, cfg FollowerConfig) (primaryEpoch uint64, err error) {
	defer c.Close()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Log == nil || cfg.Apply == nil || cfg.Fence == nil {
		return 0, errors.New("walstream: FollowerConfig needs Log, Fence and Apply")
	}

	// streamCtx ends the connection; Apply runs under ctx alone, so that a
	// broken stream still lets the received transactions be applied.
	streamCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(streamCtx, func() { c.Close() })
	defer stop()

	f := &follower{
		cfg:    cfg,
		c:      c,
		br:     bufio.NewReaderSize(c, 64<<10),
		bw:     bufio.NewWriterSize(c, 4<<10),
		logger: logger.With("addr", c.RemoteAddr().String()),
	}
	epoch, err := f.handshake()
	if err != nil {
		if streamCtx.Err() != nil {
			return epoch, context.Cause(streamCtx)
		}
		return epoch, err
	}

	batches := make(chan []*Txn, applyQueue)
	applied := make(chan error, 1)
	applyExited := make(chan struct{})
	go func() {
		defer close(applyExited)
		applied <- f.applyLoop(ctx, batches, cancel)
	}()

	cancel(f.receive(streamCtx, epoch, batches, applyExited))
	close(batches)
	aerr := <-applied

	err = context.Cause(streamCtx)
	if aerr != nil && !errors.Is(err, aerr) {
		err = errors.Join(err, aerr)
	}
	f.logger.Info("stopped following", "epoch", epoch, "reason", err)
	return epoch, err
}

type follower struct {
	cfg    FollowerConfig
	c      net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	logger *slog.Logger
	buf    []byte

	// The end of the local log as far as this stream knows.
	last Position
	sum  uint64
}

// handshake sends Hello and returns the epoch of a primary that welcomed
// and was admitted by Fence.
func (f *follower) handshake() (uint64, error) {
	f.last, f.sum = f.cfg.Log.Last()
	h := helloMsg{Version: ProtocolVersion, NodeID: f.cfg.NodeID, Last: f.last, Sum: f.sum}
	if err := f.write(msgHello, h.appendTo(nil)); err != nil {
		return 0, err
	}
	if err := f.flush(); err != nil {
		return 0, fmt.Errorf("sending Hello: %w", err)
	}

	_ = f.c.SetReadDeadline(time.Now().Add(f.cfg.Timeout))
	t, p, err := protoRead(f.br)
	if err != nil {
		return 0, fmt.Errorf("waiting for Welcome: %w", err)
	}
	switch t {
	case msgWelcome:
	case msgNeedSnapshot:
		reason, err := decodeReason(t, p)
		if err != nil {
			return 0, err
		}
		f.logger.Warn("primary says this replica needs a snapshot", "position", f.last, "reason", reason)
		return 0, fmt.Errorf("%w: %s", ErrNeedSnapshot, reason)
	case msgError:
		reason, err := decodeReason(t, p)
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("primary refused the stream: %s", reason)
	default:
		return 0, f.fail(fmt.Errorf("%w: expected Welcome, got %v", errProtocol, t))
	}
	w, err := decodeWelcome(p)
	if err != nil {
		return 0, f.fail(err)
	}
	f.logger = f.logger.With("primary", w.NodeID, "epoch", w.Epoch)
	if w.Start != f.last.TxID+1 {
		return w.Epoch, f.fail(fmt.Errorf("%w: primary starts at txid %d, local log ends at %v", errProtocol, w.Start, f.last))
	}
	if err := f.cfg.Fence(w.Epoch); err != nil {
		return w.Epoch, f.fail(fmt.Errorf("%w: refusing primary %s at epoch %d: %w", ErrSuperseded, w.NodeID, w.Epoch, err))
	}
	f.logger.Info("following primary", "from", w.Start)
	return w.Epoch, nil
}

// receive appends, syncs and acks what the primary sends, handing each
// durable batch to Apply, until something goes wrong.
func (f *follower) receive(ctx context.Context, epoch uint64, batches chan<- []*Txn, applyExited <-chan struct{}) error {
	for {
		_ = f.c.SetReadDeadline(time.Now().Add(f.cfg.Timeout))
		t, p, err := protoRead(f.br)
		if err != nil {
			var nerr net.Error
			switch {
			case ctx.Err() != nil:
				return context.Cause(ctx)
			case errors.As(err, &nerr) && nerr.Timeout():
				return fmt.Errorf("no message from the primary for %v: %w", f.cfg.Timeout, err)
			case errors.Is(err, io.EOF):
				return errors.New("primary hung up")
			}
			return fmt.Errorf("reading from the primary: %w", err)
		}

		switch t {
		case msgTxns:
			if err := f.checkEpoch(epoch); err != nil {
				return f.fail(err)
			}
			txns, err := decodeTxns(p)
			if err != nil {
				return f.fail(err)
			}
			if err := f.accept(epoch, txns); err != nil {
				return f.fail(err)
			}
			// Handed over before the ack, which may fail, and not abandoned
			// when ctx ends: what is in the log must reach Apply. Only a
			// failed Apply stops the hand-over.
			select {
			case batches <- txns:
			case <-applyExited:
				return context.Cause(ctx)
			}
			if err := f.ack(); err != nil {
				return err
			}

		case msgHeartbeat:
			hb, err := decodeHeartbeat(p)
			if err != nil {
				return f.fail(err)
			}
			if hb.Epoch != epoch {
				return f.fail(fmt.Errorf("%w: heartbeat for epoch %d on a stream of epoch %d", errProtocol, hb.Epoch, epoch))
			}
			if f.cfg.OnHeartbeat != nil {
				f.cfg.OnHeartbeat(hb.Last)
			}
			if err := f.checkEpoch(epoch); err != nil {
				return f.fail(err)
			}
			if err := f.ack(); err != nil {
				return err
			}

		case msgNeedSnapshot:
			reason, err := decodeReason(t, p)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: %s", ErrNeedSnapshot, reason)

		case msgError:
			reason, err := decodeReason(t, p)
			if err != nil {
				return err
			}
			return fmt.Errorf("primary hung up: %s", reason)

		default:
			return f.fail(fmt.Errorf("%w: unexpected %v message from the primary", errProtocol, t))
		}
	}
}

// checkEpoch stops the stream once this node has promised a newer primary.
func (f *follower) checkEpoch(epoch uint64) error {
	if f.cfg.Current == nil {
		return nil
	}
	if cur := f.cfg.Current(); cur > epoch {
		return fmt.Errorf("%w: node has seen epoch %d, stream is epoch %d", ErrSuperseded, cur, epoch)
	}
	return nil
}

// accept verifies that txns continue the local log exactly, then makes
// them durable with one fsync.
func (f *follower) accept(epoch uint64, txns []*Txn) error {
	last, sum := f.last, f.sum
	for _, t := range txns {
		if t.Pos.TxID != last.TxID+1 {
			return fmt.Errorf("%w: primary sent txid %d after %v", ErrNeedSnapshot, t.Pos.TxID, last)
		}
		if t.Pos.Epoch > epoch || t.Pos.Epoch < last.Epoch {
			return fmt.Errorf("%w: txid %d has epoch %d, after epoch %d on a stream of epoch %d",
				errProtocol, t.Pos.TxID, t.Pos.Epoch, last.Epoch, epoch)
		}
		if want := t.Chain(sum); t.Sum != want {
			return fmt.Errorf("%w: txid %d has sum %016x, chaining onto the local log gives %016x", ErrNeedSnapshot, t.Pos.TxID, t.Sum, want)
		}
		last, sum = t.Pos, t.Sum
	}
	if err := f.cfg.Log.Append(txns...); err != nil {
		return fmt.Errorf("appending txids %d..%d to the log: %w", txns[0].Pos.TxID, last.TxID, err)
	}
	if err := f.cfg.Log.Sync(); err != nil {
		return fmt.Errorf("syncing the log at txid %d: %w", last.TxID, err)
	}
	f.last, f.sum = last, sum
	return nil
}

// ack reports the durable end of the log. The flush is skipped while more
// input is already buffered: the reply to that will carry a newer ack.
func (f *follower) ack() error {
	f.buf = appendAck(f.buf[:0], f.last.TxID)
	if err := f.write(msgAck, f.buf); err != nil {
		return err
	}
	if f.br.Buffered() > 0 {
		return nil
	}
	if err := f.flush(); err != nil {
		return fmt.Errorf("sending Ack: %w", err)
	}
	return nil
}

func (f *follower) write(t msgType, payload []byte) error {
	_ = f.c.SetWriteDeadline(time.Now().Add(f.cfg.Timeout))
	return protoWrite(f.bw, t, payload)
}

func (f *follower) flush() error {
	_ = f.c.SetWriteDeadline(time.Now().Add(f.cfg.Timeout))
	return f.bw.Flush()
}

// fail tells the primary why the replica is hanging up (best effort, so
// its log says more than "connection reset") and returns err.
func (f *follower) fail(err error) error {
	f.logger.Warn("refusing the stream", "err", err)
	if f.write(msgError, appendString(nil, err.Error())) == nil {
		_ = f.flush()
	}
	return err
}

// applyLoop applies batches in order. After a failure it stops the stream
// and returns; otherwise it drains the queue, so everything appended is
// applied.
func (f *follower) applyLoop(ctx context.Context, batches <-chan []*Txn, stop context.CancelCauseFunc) error {
	for b := range batches {
		for _, t := range b {
			if err := f.cfg.Apply(ctx, t); err != nil {
				err = fmt.Errorf("applying txid %d to %q: %w", t.Pos.TxID, t.DB, err)
				stop(err)
				return err
			}
		}
	}
	return nil
}
