package walstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrShipperClosed is returned by ServeReplica and WaitAcked once the
// Shipper is closed.
var ErrShipperClosed = errors.New("walstream: shipper closed")

// ShipperConfig configures a primary's Shipper.
type ShipperConfig struct {
	// Log is the primary's transaction log. The Shipper only reads it.
	Log *Log
	// Epoch is the primary's epoch, sent in Welcome and every Heartbeat
	// so replicas can fence a deposed primary.
	Epoch  uint64
	NodeID string
	// Heartbeat is the interval of heartbeats to idle replicas; replicas
	// ack every heartbeat, so it also paces liveness in both directions.
	// Default 100ms.
	Heartbeat time.Duration
	// Timeout drops a replica that has sent nothing for this long, and
	// bounds the handshake and every write. Default 5s.
	Timeout time.Duration
	// OnAckLatency, if set, observes for each replica the time from
	// Notify(txid) to that replica's ack of txid. It is called outside
	// the Shipper's locks, from connection goroutines.
	OnAckLatency func(time.Duration)
	Logger       *slog.Logger
}

// ReplicaState is a replica as the Shipper last saw it.
type ReplicaState struct {
	ID          string
	Addr        string    // remote address of the current or last connection
	Acked       uint64    // highest TxID the replica has durably logged
	LastContact time.Time // last Hello or Ack
	Lag         uint64    // transactions the primary has announced and the replica not acked
	Connected   bool
}

// Shipper streams the primary's log to replicas: one ServeReplica call per
// replica connection, fed by Notify as the log grows. It also tracks what
// each replica has acknowledged, for WaitAcked (synchronous commit) and
// metrics.
type Shipper struct {
	cfg    ShipperConfig
	logger *slog.Logger

	// closeCtx ends every session when the Shipper is closed.
	closeCtx    context.Context
	closeCancel context.CancelFunc
	sessions    sync.WaitGroup

	mu     sync.Mutex
	closed bool
	// limit is the highest TxID announced by Notify (or present in the log
	// when the Shipper was made): entries past it may not be durable on the
	// primary yet, so they are not shipped.
	limit    uint64
	wake     chan struct{} // closed and replaced when limit grows
	ackCh    chan struct{} // closed and replaced when any replica's ack grows
	replicas map[string]*replicaTrack
	notes    []notifyNote // recent Notify calls, ascending TxID; only with OnAckLatency
}

type replicaTrack struct {
	id          string
	addr        string
	acked       uint64
	lastContact time.Time
	sess        *shipSession // the current connection; nil when disconnected
}

type shipSession struct {
	cancel context.CancelCauseFunc
}

type notifyNote struct {
	txid uint64
	at   time.Time
}

// maxNotes bounds the Notify history kept for ack latencies; a replica
// further behind than this many Notify calls produces no observations for
// the forgotten ones.
const maxNotes = 4096

// NewShipper returns a Shipper for cfg.Log. Everything already in the log
// is taken as durable and may be shipped at once.
func NewShipper(cfg ShipperConfig) *Shipper {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 100 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	last, _ := cfg.Log.Last()
	ctx, cancel := context.WithCancel(context.Background())
	return &Shipper{
		cfg:         cfg,
		logger:      logger.With("epoch", cfg.Epoch),
		closeCtx:    ctx,
		closeCancel: cancel,
		limit:       last.TxID,
		wake:        make(chan struct{}),
		ackCh:       make(chan struct{}),
		replicas:    make(map[string]*replicaTrack),
	}
}

// Notify tells the Shipper that the log durably holds entries up to last,
// waking every connection that is waiting for them. It never blocks on
// the network.
func (s *Shipper) Notify(last uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last <= s.limit {
		return
	}
	s.limit = last
	if s.cfg.OnAckLatency != nil {
		s.notes = append(s.notes, notifyNote{txid: last, at: time.Now()})
		if len(s.notes) >= 2*maxNotes {
			s.notes = append(s.notes[:0], s.notes[len(s.notes)-maxNotes:]...)
		}
	}
	close(s.wake)
	s.wake = make(chan struct{})
}

// WaitAcked blocks until n distinct replicas accepted by counts (nil
// accepts all) have acknowledged txid or later, ctx ends, or the Shipper
// is closed. Replicas keep their acknowledgements after disconnecting:
// an ack means the transaction is in the replica's durable log. n <= 0
// returns at once.
func (s *Shipper) WaitAcked(ctx context.Context, txid uint64, n int, counts func(replicaID string) bool) error {
	if n <= 0 {
		return nil
	}
	var ids []string
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return ErrShipperClosed
		}
		ids = ids[:0]
		for id, r := range s.replicas {
			if r.acked >= txid {
				ids = append(ids, id)
			}
		}
		ch := s.ackCh
		s.mu.Unlock()

		// counts belongs to the caller and may take its own locks, so it
		// runs outside ours.
		got := 0
		for _, id := range ids {
			if counts == nil || counts(id) {
				got++
			}
		}
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d replicas to ack txid %d (%d have): %w", n, txid, got, ctx.Err())
		case <-s.closeCtx.Done():
			return ErrShipperClosed
		}
	}
}

// Replicas returns every replica that has ever completed a handshake,
// sorted by ID.
func (s *Shipper) Replicas() []ReplicaState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ReplicaState, 0, len(s.replicas))
	for _, r := range s.replicas {
		st := ReplicaState{
			ID:          r.id,
			Addr:        r.addr,
			Acked:       r.acked,
			LastContact: r.lastContact,
			Connected:   r.sess != nil,
		}
		if s.limit > r.acked {
			st.Lag = s.limit - r.acked
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b ReplicaState) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// LastContact returns when replicaID last sent a Hello or an Ack, or the
// zero time if it never has.
func (s *Shipper) LastContact(replicaID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.replicas[replicaID]; r != nil {
		return r.lastContact
	}
	return time.Time{}
}

// Close ends every replica connection and waits for the ServeReplica calls
// to return; later calls fail with ErrShipperClosed. The Log is not closed.
func (s *Shipper) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closeCancel()
	s.sessions.Wait()
}

// ServeReplica streams the log to one replica over c, which the caller has
// already authenticated; ServeReplica owns c and closes it. It returns when
// ctx ends, the connection fails or times out, the replica hangs up, or
// the Shipper is closed. A replica that cannot continue from its position
// is sent NeedSnapshot and the returned error wraps ErrNeedSnapshot.
func (s *Shipper) ServeReplica(ctx context.Context, c net.Conn) error {
	defer c.Close()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrShipperClosed
	}
	s.sessions.Add(1)
	s.mu.Unlock()
	defer s.sessions.Done()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopClose := context.AfterFunc(s.closeCtx, func() { cancel(ErrShipperClosed) })
	defer stopClose()
	// Closing the conn is what unblocks a goroutine stuck in Read or Write.
	stopConn := context.AfterFunc(ctx, func() { c.Close() })
	defer stopConn()

	addr := c.RemoteAddr().String()
	logger := s.logger.With("addr", addr)
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)

	hello, reader, err := s.handshake(c, br, bw, logger)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if !errors.Is(err, ErrNeedSnapshot) { // that one is logged with its reason
			logger.Warn("replica handshake failed", "err", err)
		}
		return err
	}
	defer reader.Close()
	logger = logger.With("replica", hello.NodeID)

	sess := &shipSession{cancel: cancel}
	r := s.attach(hello, addr, sess)
	defer s.detach(r, sess)
	logger.Info("replica connected", "from", hello.Last.TxID+1)

	// sent is the highest TxID written to the replica: an ack beyond it
	// is a protocol violation, not progress.
	var sent atomic.Uint64
	sent.Store(hello.Last.TxID)

	done := make(chan struct{})
	go func() {
		defer close(done)
		cancel(s.receiveAcks(ctx, c, br, r, sess, &sent))
	}()
	cancel(s.send(ctx, c, bw, reader, hello.Last.TxID+1, &sent))
	<-done

	err = context.Cause(ctx)
	logger.Info("replica disconnected", "reason", err)
	return err
}

// handshake reads Hello and answers Welcome (returning a reader positioned
// after the replica's last TxID) or NeedSnapshot.
func (s *Shipper) handshake(c net.Conn, br *bufio.Reader, bw *bufio.Writer, logger *slog.Logger) (helloMsg, *LogReader, error) {
	_ = c.SetReadDeadline(time.Now().Add(s.cfg.Timeout))
	t, p, err := protoRead(br)
	if err != nil {
		return helloMsg{}, nil, fmt.Errorf("reading Hello: %w", err)
	}
	if t != msgHello {
		err := fmt.Errorf("%w: expected Hello, got %v", errProtocol, t)
		s.sendError(c, bw, err.Error())
		return helloMsg{}, nil, err
	}
	h, err := decodeHello(p)
	if err != nil {
		s.sendError(c, bw, err.Error())
		return h, nil, err
	}
	if h.Version != ProtocolVersion {
		err := fmt.Errorf("%w: replica speaks protocol version %d, primary %d", errProtocol, h.Version, ProtocolVersion)
		s.sendError(c, bw, err.Error())
		return h, nil, err
	}
	if h.NodeID == "" || h.NodeID == s.cfg.NodeID {
		err := fmt.Errorf("%w: replica node id %q is empty or the primary's own", errProtocol, h.NodeID)
		s.sendError(c, bw, err.Error())
		return h, nil, err
	}
	logger = logger.With("replica", h.NodeID)

	reason, err := s.checkHistory(h)
	var reader *LogReader
	if err == nil && reason == "" {
		reader, err = s.cfg.Log.NewReader(h.Last.TxID + 1)
		if errors.Is(err, ErrCompacted) {
			// Compaction ran between the check and here.
			reason, err = fmt.Sprintf("replica at %v is behind the compacted log", h.Last), nil
		}
	}
	if err != nil {
		err = fmt.Errorf("checking replica %s at %v against the log: %w", h.NodeID, h.Last, err)
		s.sendError(c, bw, err.Error())
		return h, nil, err
	}
	if reason != "" {
		logger.Warn("replica needs a snapshot", "position", h.Last, "reason", reason)
		_ = c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
		if err := protoWrite(bw, msgNeedSnapshot, appendString(nil, reason)); err == nil {
			_ = bw.Flush()
		}
		return h, nil, fmt.Errorf("replica %s: %w: %s", h.NodeID, ErrNeedSnapshot, reason)
	}

	w := welcomeMsg{Epoch: s.cfg.Epoch, NodeID: s.cfg.NodeID, Start: h.Last.TxID + 1}
	_ = c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
	if err := protoWrite(bw, msgWelcome, w.appendTo(nil)); err != nil {
		reader.Close()
		return h, nil, err
	}
	if err := bw.Flush(); err != nil {
		reader.Close()
		return h, nil, fmt.Errorf("sending Welcome: %w", err)
	}
	return h, reader, nil
}

// checkHistory decides whether the replica's history is a prefix of ours.
// It returns a reason when the replica needs a snapshot instead.
func (s *Shipper) checkHistory(h helloMsg) (reason string, err error) {
	last, _ := s.cfg.Log.Last()
	if h.Last.TxID > last.TxID {
		return fmt.Sprintf("replica at %v is ahead of the primary's log end %v", h.Last, last), nil
	}
	if first := s.cfg.Log.First(); first > 0 && h.Last.TxID+1 < first {
		return fmt.Sprintf("replica at %v is behind the compacted log, which starts at txid %d", h.Last, first), nil
	}
	pos, sum, err := s.cfg.Log.SumAt(h.Last.TxID)
	switch {
	case errors.Is(err, ErrCompacted):
		return fmt.Sprintf("replica at %v is behind the compacted log", h.Last), nil
	case errors.Is(err, ErrNotFound):
		return fmt.Sprintf("replica position %v is not in the primary's log", h.Last), nil
	case err != nil:
		return "", err
	}
	if pos != h.Last || sum != h.Sum {
		return fmt.Sprintf("divergent history at txid %d: replica has %v sum %016x, primary has %v sum %016x",
			h.Last.TxID, h.Last, h.Sum, pos, sum), nil
	}
	return "", nil
}

// sendError tells the peer why we are hanging up, best effort.
func (s *Shipper) sendError(c net.Conn, bw *bufio.Writer, msg string) {
	_ = c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
	if protoWrite(bw, msgError, appendString(nil, msg)) == nil {
		_ = bw.Flush()
	}
}

// attach registers sess as the replica's current connection, replacing
// (and ending) an older one: a replica that reconnects has given up on it.
func (s *Shipper) attach(h helloMsg, addr string, sess *shipSession) *replicaTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replicas[h.NodeID]
	if r == nil {
		r = &replicaTrack{id: h.NodeID}
		s.replicas[h.NodeID] = r
	}
	if r.sess != nil {
		r.sess.cancel(fmt.Errorf("replica %s reconnected from %s", h.NodeID, addr))
	}
	r.sess = sess
	r.addr = addr
	r.lastContact = time.Now()
	// The replica's log holds everything up to its position durably, and
	// the history check proved it is ours.
	if h.Last.TxID != r.acked {
		r.acked = h.Last.TxID
		close(s.ackCh)
		s.ackCh = make(chan struct{})
	}
	return r
}

func (s *Shipper) detach(r *replicaTrack, sess *shipSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.sess == sess {
		r.sess = nil
	}
}

// receiveAcks reads the replica's side of the stream until it fails.
func (s *Shipper) receiveAcks(ctx context.Context, c net.Conn, br *bufio.Reader, r *replicaTrack, sess *shipSession, sent *atomic.Uint64) error {
	for {
		_ = c.SetReadDeadline(time.Now().Add(s.cfg.Timeout))
		t, p, err := protoRead(br)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("replica %s hung up", r.id)
			}
			return fmt.Errorf("reading from replica %s: %w", r.id, err)
		}
		switch t {
		case msgAck:
			txid, err := decodeAck(p)
			if err != nil {
				return err
			}
			if txid > sent.Load() {
				return fmt.Errorf("%w: replica %s acked txid %d but was sent only up to %d", errProtocol, r.id, txid, sent.Load())
			}
			s.recordAck(r, sess, txid)
		case msgError:
			reason, err := decodeReason(t, p)
			if err != nil {
				return err
			}
			return fmt.Errorf("replica %s hung up: %s", r.id, reason)
		default:
			return fmt.Errorf("%w: unexpected %v message from replica %s", errProtocol, t, r.id)
		}
	}
}

func (s *Shipper) recordAck(r *replicaTrack, sess *shipSession, txid uint64) {
	now := time.Now()
	var lat []time.Duration
	s.mu.Lock()
	if r.sess != sess {
		// A newer connection of the same replica owns the state.
		s.mu.Unlock()
		return
	}
	r.lastContact = now
	if txid > r.acked {
		if s.cfg.OnAckLatency != nil {
			i := sort.Search(len(s.notes), func(i int) bool { return s.notes[i].txid > r.acked })
			for ; i < len(s.notes) && s.notes[i].txid <= txid; i++ {
				lat = append(lat, now.Sub(s.notes[i].at))
			}
		}
		r.acked = txid
		close(s.ackCh)
		s.ackCh = make(chan struct{})
	}
	s.mu.Unlock()
	for _, d := range lat {
		s.cfg.OnAckLatency(d)
	}
}

// send ships the log from next on, in batches, interleaved with
// heartbeats, until ctx ends or a write fails.
func (s *Shipper) send(ctx context.Context, c net.Conn, bw *bufio.Writer, reader *LogReader, next uint64, sent *atomic.Uint64) error {
	ticker := time.NewTicker(s.cfg.Heartbeat)
	defer ticker.Stop()

	var (
		pending *Txn // read from the log but past limit
		batch   []*Txn
		buf     []byte
	)
	write := func(t msgType, payload []byte) error {
		_ = c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
		if err := protoWrite(bw, t, payload); err != nil {
			return fmt.Errorf("sending %v: %w", t, err)
		}
		return nil
	}
	heartbeat := func(limit uint64) error {
		hb := heartbeatMsg{Epoch: s.cfg.Epoch, Last: limit, Wall: time.Now().UnixNano()}
		buf = hb.appendTo(buf[:0])
		return write(msgHeartbeat, buf)
	}

	for {
		s.mu.Lock()
		limit, wake := s.limit, s.wake
		s.mu.Unlock()

		batch = batch[:0]
		size := 0
		for size < batchBytes {
			if pending == nil {
				t, err := reader.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return fmt.Errorf("reading log at txid %d: %w", next, err)
				}
				if t.Pos.TxID != next {
					return fmt.Errorf("log reader returned txid %d, expected %d", t.Pos.TxID, next)
				}
				pending = t
			}
			if pending.Pos.TxID > limit {
				break
			}
			batch = append(batch, pending)
			size += txnWireSize(pending)
			pending = nil
			next++
		}
		if len(batch) > 0 {
			buf = appendTxns(buf[:0], batch)
			// Before the write: the replica's ack may be read before the
			// write returns.
			sent.Store(batch[len(batch)-1].Pos.TxID)
			if err := write(msgTxns, buf); err != nil {
				return err
			}
			clear(batch) // let shipped pages be collected
			if cap(buf) > 4*batchBytes {
				buf = nil // one huge transaction should not pin its buffer
			}
		}
		select {
		case <-ticker.C:
			if err := heartbeat(limit); err != nil {
				return err
			}
		default:
		}
		if size >= batchBytes {
			continue // more is ready: keep filling the socket
		}

		_ = c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
		if err := bw.Flush(); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("sending to replica: %w", err)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-wake:
		case <-ticker.C:
			if err := heartbeat(limit); err != nil {
				return err
			}
		}
	}
}
