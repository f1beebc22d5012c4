package walstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

var (
	// ErrCompacted means the transaction is older than the log holds:
	// retention deleted it, or the log was Reset past it.
	ErrCompacted = errors.New("walstream: transaction no longer in the log")
	// ErrNotFound means the transaction is newer than the log holds.
	ErrNotFound = errors.New("walstream: transaction not in the log yet")
	// ErrGap means an appended transaction's TxID does not follow the
	// log's last one.
	ErrGap = errors.New("walstream: transaction does not follow the last one in the log")
	// ErrChecksum means an appended transaction's Sum does not chain onto
	// the log's last Sum: it belongs to another history.
	ErrChecksum = errors.New("walstream: transaction checksum does not chain onto the log")
	// ErrLogClosed is returned by every operation on a closed log.
	ErrLogClosed = errors.New("walstream: log closed")
)

// LogOptions configures a Log. The zero value gives the defaults.
type LogOptions struct {
	// SegmentBytes is the size of a segment file (default 16 MiB): each
	// is created full of zeros at this size, and the log moves on to a
	// new one when the next entry would not fit. A single bigger
	// transaction still fits: it gets a segment of its own, grown to its
	// size.
	SegmentBytes int64
	// RetainBytes is how much of the newest log is kept (default 256 MiB);
	// older whole segments are deleted once the newer ones add up to it.
	RetainBytes int64
	// Logger receives recovery notices; nil discards them.
	Logger *slog.Logger
}

const (
	defaultSegmentBytes = 16 << 20
	defaultRetainBytes  = 256 << 20

	segMagic        = 0x57534c47 // "WSLG"
	segVersion      = 1
	segHeaderSize   = 40
	entryHeaderSize = 8
	segSuffix       = ".wslog"
	resetTmpName    = "reset.tmp"
	prepName        = "prealloc.tmp" // the next segment's file, being zero-filled
	maxEntryPayload = 1<<32 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Log is the durable, ordered record of replicated transactions, kept in a
// directory of segment files. It is safe for concurrent use by one
// appender and any number of readers.
type Log struct {
	dir    string
	opt    LogOptions
	logger *slog.Logger

	// wmu serializes everything that writes files: Append, Reset, Close.
	// Holding it, the writer may read the fields below that only it
	// changes (segs, last, lastSum, segment sizes) without mu.
	wmu  sync.Mutex
	buf  []byte        // encoding buffer
	pend []entryRef    // entries encoded in buf, not yet published
	prep *preparedFile // the next segment's file, ready or being made
	quit chan struct{} // closed by Close: stops a zero-fill under way

	mu       sync.Mutex
	syncDone *sync.Cond // broadcast when a Sync finishes
	segs     []*segment // oldest first; the last one is appended to
	last     Position   // last entry, or the base of an empty log
	lastSum  uint64     // its Sum
	size     int64      // logical bytes in all segments (headers and entries)
	gen      uint64     // bumped by Reset, which invalidates readers
	appended uint64     // count of writes published
	durable  uint64     // appended value covered by a finished fsync
	syncing  bool       // an fsync is in flight
	failed   error      // sticky: the files may not match memory
	closed   bool
	fsyncs   int // fsyncs issued by Sync, for tests
}

// OpenLog opens (or creates) the log in dir. Recovery: an entry that is
// torn or fails its CRC in the last segment is cut off together with
// everything after it (a crash mid-append leaves exactly that); a damaged
// entry in an older segment, which was fsynced before the next one
// started, is reported as an error instead of silently losing history.
// A segment file that was still being zero-filled, or was ready but not
// yet used, is deleted.
func OpenLog(dir string, opt LogOptions) (*Log, error) {
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = defaultSegmentBytes
	}
	if opt.RetainBytes <= 0 {
		opt.RetainBytes = defaultRetainBytes
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	l := &Log{dir: dir, opt: opt, logger: logger, quit: make(chan struct{})}
	l.syncDone = sync.NewCond(&l.mu)
	switch err := os.Remove(filepath.Join(dir, prepName)); {
	case err == nil:
		l.logger.Info("walstream: deleted an unused prepared log segment", "file", prepName)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("deleting prepared log segment: %w", err)
	}
	if err := l.finishReset(); err != nil {
		return nil, err
	}
	if err := l.load(); err != nil {
		for _, s := range l.segs {
			s.f.Close()
		}
		return nil, err
	}
	if len(l.segs) == 0 {
		s, err := l.createSegment(Position{}, 0)
		if err != nil {
			return nil, err
		}
		l.segs = []*segment{s}
		l.size = s.size
	}
	l.last, l.lastSum = l.segs[len(l.segs)-1].lastEntry()
	return l, nil
}

// finishReset completes a Reset interrupted by a crash: a reset.tmp with
// a valid header means the new base was durable and the old segments were
// being deleted (Reset gives the file that name only after its header is
// synced; older versions wrote the header alone, so a torn one is
// possible); otherwise the old log is still intact.
func (l *Log) finishReset() error {
	tmp := filepath.Join(l.dir, resetTmpName)
	f, err := os.Open(tmp)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading interrupted log reset: %w", err)
	}
	var hdr [segHeaderSize]byte
	_, rerr := io.ReadFull(f, hdr[:])
	f.Close()
	base, sum, err := parseSegmentHeader(hdr[:])
	if rerr != nil || err != nil {
		l.logger.Warn("walstream: discarding incomplete log reset", "file", tmp)
		return os.Remove(tmp)
	}
	names, err := l.segmentNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
			return fmt.Errorf("finishing interrupted log reset: %w", err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, segmentName(base.TxID+1))); err != nil {
		return fmt.Errorf("finishing interrupted log reset: %w", err)
	}
	l.logger.Warn("walstream: finished interrupted log reset", "base", base, "sum", sum)
	return syncDir(l.dir)
}

// segmentNames returns the segment file names in dir in log order.
func (l *Log) segmentNames() ([]string, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("listing log directory: %w", err)
	}
	var names []string
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		if _, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64); err != nil {
			continue
		}
		names = append(names, name)
	}
	// Fixed-width names sort numerically.
	slices.Sort(names)
	return names, nil
}

func (l *Log) load() error {
	names, err := l.segmentNames()
	if err != nil {
		return err
	}
	for i, name := range names {
		s, err := l.openSegment(filepath.Join(l.dir, name), i == len(names)-1)
		if err != nil {
			return err
		}
		if s == nil {
			continue
		}
		if len(l.segs) > 0 {
			p := l.segs[len(l.segs)-1]
			if pos, sum := p.lastEntry(); s.base != pos || s.baseSum != sum {
				s.f.Close()
				return fmt.Errorf("log segment %s does not continue %s", s.path, p.path)
			}
		}
		l.segs = append(l.segs, s)
		l.size += s.size
	}
	return nil
}

// usableLocked returns why the log cannot be written, if it cannot.
func (l *Log) usableLocked() error {
	if l.closed {
		return ErrLogClosed
	}
	return l.failed
}

// Append adds txns to the end of the log. Each TxID must be one more than
// the previous one's (ErrGap) and each Sum must chain onto the previous
// Sum (ErrChecksum); a batch with any such error is refused as a whole.
// The entries are written, and visible to readers, but not necessarily
// durable until Sync. If writing fails midway through a batch that spans
// segments, a prefix of it may have been appended; Last tells.
func (l *Log) Append(txns ...*Txn) error {
	if len(txns) == 0 {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	err := l.usableLocked()
	l.mu.Unlock()
	if err != nil {
		return err
	}

	prev, prevSum := l.last, l.lastSum
	for _, t := range txns {
		if t == nil {
			return errors.New("walstream: appending a nil transaction")
		}
		if t.Pos.TxID != prev.TxID+1 {
			return fmt.Errorf("appending txn %v after %v: %w", t.Pos, prev, ErrGap)
		}
		if want := t.Chain(prevSum); t.Sum != want {
			return fmt.Errorf("appending txn %v: sum %#x, want %#x: %w", t.Pos, t.Sum, want, ErrChecksum)
		}
		if n := encodedSizeBound(t); n > maxEntryPayload {
			return fmt.Errorf("appending txn %v: %d bytes is too large for a log entry", t.Pos, n)
		}
		prev, prevSum = t.Pos, t.Sum
	}

	seg := l.segs[len(l.segs)-1]
	l.buf, l.pend = l.buf[:0], l.pend[:0]
	flushed := 0 // bytes of buf already written
	for _, t := range txns {
		start := len(l.buf)
		l.buf = append(l.buf, make([]byte, entryHeaderSize)...)
		l.buf = t.Encode(l.buf)
		n := len(l.buf) - start - entryHeaderSize
		binary.LittleEndian.PutUint32(l.buf[start:], uint32(n))
		binary.LittleEndian.PutUint32(l.buf[start+4:], entryCRC(l.buf[start:start+4], l.buf[start+entryHeaderSize:]))

		off := seg.size + int64(start-flushed)
		full := off+int64(len(l.buf)-start) > l.opt.SegmentBytes
		if full && (len(seg.entries) > 0 || len(l.pend) > 0) {
			if err := l.writeEntries(seg, l.buf[flushed:start]); err != nil {
				return err
			}
			flushed = start
			if seg, err = l.rotate(); err != nil {
				return err
			}
			off = seg.size
		}
		l.pend = append(l.pend, entryRef{off: off, n: uint32(n), epoch: t.Pos.Epoch, sum: t.Sum})
	}
	err = l.writeEntries(seg, l.buf[flushed:])
	if cap(l.buf) > 4*int(l.opt.SegmentBytes) {
		l.buf = nil // one huge transaction should not pin its buffer
	}
	return err
}

// encodedSizeBound is an upper bound of len(t.Encode(nil)).
func encodedSizeBound(t *Txn) int64 {
	n := int64(txnFixedSize + 2*binary.MaxVarintLen64 + len(t.DB))
	for _, p := range t.Pages {
		n += 4 + binary.MaxVarintLen64 + int64(len(p.Data))
	}
	return n
}

// writeEntries writes b, the encoding of l.pend, at the end of seg, over
// the zeros there, and publishes the entries. On a failed write it puts
// the zeros back (and the file size, if the write grew it) so the log
// stays as it was; if even that fails, the log refuses further writes.
// Once seg is half full it has the next segment's file prepared.
func (l *Log) writeEntries(seg *segment, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	end := seg.size + int64(len(b))
	if _, err := seg.f.WriteAt(b, seg.size); err != nil {
		err = fmt.Errorf("writing log segment %s: %w", seg.path, err)
		var uerr error
		if end > seg.alloc {
			uerr = seg.f.Truncate(seg.alloc)
		}
		if uerr == nil {
			uerr = zeroFill(seg.f, seg.size, min(end, seg.alloc), nil)
		}
		if uerr != nil {
			l.mu.Lock()
			l.failed = errors.Join(err, fmt.Errorf("cutting back log segment %s: %w", seg.path, uerr))
			l.mu.Unlock()
		}
		l.pend = l.pend[:0]
		return err
	}
	seg.alloc = max(seg.alloc, end)
	if end >= l.opt.SegmentBytes/2 {
		l.prepareAhead()
	}
	l.mu.Lock()
	seg.entries = append(seg.entries, l.pend...)
	seg.size += int64(len(b))
	l.size += int64(len(b))
	e := l.pend[len(l.pend)-1]
	l.last = Position{Epoch: e.epoch, TxID: seg.lastTxID()}
	l.lastSum = e.sum
	l.appended++
	l.retainLocked()
	l.mu.Unlock()
	l.pend = l.pend[:0]
	return nil
}

// rotate seals the active segment and starts a new one. The sealed one is
// fsynced first, so Sync only ever has to flush the active segment.
func (l *Log) rotate() (*segment, error) {
	old := l.segs[len(l.segs)-1]
	if err := datasync(old.f); err != nil {
		err = fmt.Errorf("syncing log segment %s: %w", old.path, err)
		l.mu.Lock()
		l.failed = err
		l.mu.Unlock()
		return nil, err
	}
	s, err := l.createSegment(l.last, l.lastSum)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.size += s.size
	l.retainLocked()
	l.mu.Unlock()
	return s, nil
}

// retainLocked deletes the oldest segments while the newer ones alone hold
// at least RetainBytes. It stops at a segment a reader is using, so a slow
// reader keeps its history (and the log grows) rather than being cut off.
func (l *Log) retainLocked() {
	for len(l.segs) > 1 && !l.closed {
		s := l.segs[0]
		if s.refs > 0 || l.size-s.size < l.opt.RetainBytes {
			return
		}
		l.segs = l.segs[1:]
		l.size -= s.size
		l.dropLocked(s)
	}
}

// dropLocked deletes s's file; its descriptor stays open for a reader
// still using it.
func (l *Log) dropLocked(s *segment) {
	s.removed = true
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.logger.Warn("walstream: deleting log segment", "file", s.path, "err", err)
	}
	if s.refs == 0 {
		s.f.Close()
	}
}

func (l *Log) unpinLocked(s *segment) {
	s.refs--
	if s.refs > 0 {
		return
	}
	if s.removed || l.closed {
		s.f.Close()
		return
	}
	if len(l.segs) > 0 && l.segs[0] == s {
		l.retainLocked()
	}
}

// Sync makes everything appended so far durable. Callers arriving while an
// fsync is in flight wait for it and then share the next one, so many
// concurrent Syncs cost about two fsyncs. Safe to call concurrently with
// Append. A failed fsync is sticky: the log refuses further writes, as
// the kernel may have dropped the unwritten pages.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.appended
	for l.syncing && l.durable < target && l.failed == nil {
		l.syncDone.Wait()
	}
	if l.failed != nil {
		return l.failed
	}
	if l.durable >= target {
		return nil
	}
	if l.closed {
		return ErrLogClosed
	}
	l.syncing = true
	target = l.appended
	s := l.segs[len(l.segs)-1]
	s.refs++
	l.mu.Unlock()
	err := datasync(s.f)
	l.mu.Lock()
	l.syncing = false
	l.fsyncs++
	l.unpinLocked(s)
	if err != nil && !s.removed {
		l.failed = fmt.Errorf("syncing log segment %s: %w", s.path, err)
	} else if target > l.durable {
		l.durable = target
	}
	l.syncDone.Broadcast()
	return l.failed
}

// Last returns the position and Sum of the last entry; for an empty log,
// those of its base (zero for a new log).
func (l *Log) Last() (Position, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.lastSum
}

// First returns the lowest TxID still readable, Last().TxID+1 if the log
// is empty.
func (l *Log) First() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.firstLocked()
}

func (l *Log) firstLocked() uint64 {
	if len(l.segs) == 0 {
		return l.last.TxID + 1
	}
	return l.segs[0].first()
}

// Size returns the log's logical size: the bytes of its segment headers
// and entries, which is what RetainBytes counts. The files take more on
// disk, as each is created SegmentBytes long; sealed ones are full to
// within an entry, so the difference is about the unused part of the
// active segment.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// segmentForLocked returns the segment holding txid, or the active one for
// Last().TxID+1, or nil if no segment goes back that far.
func (l *Log) segmentForLocked(txid uint64) *segment {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base.TxID >= txid })
	if i == 0 {
		return nil
	}
	return l.segs[i-1]
}

// locateLocked checks that txid is in the log and pins its segment.
func (l *Log) locateLocked(txid uint64) (*segment, entryRef, error) {
	if l.closed {
		return nil, entryRef{}, ErrLogClosed
	}
	if first := l.firstLocked(); txid < first {
		return nil, entryRef{}, fmt.Errorf("reading txid %d, log starts at %d: %w", txid, first, ErrCompacted)
	}
	if txid > l.last.TxID {
		return nil, entryRef{}, fmt.Errorf("reading txid %d, log ends at %d: %w", txid, l.last.TxID, ErrNotFound)
	}
	s := l.segmentForLocked(txid)
	s.refs++
	return s, s.entries[txid-s.first()], nil
}

// Read returns the entry txid.
func (l *Log) Read(txid uint64) (*Txn, error) {
	l.mu.Lock()
	s, ref, err := l.locateLocked(txid)
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t, err := readEntry(s, ref, txid)
	l.mu.Lock()
	l.unpinLocked(s)
	l.mu.Unlock()
	return t, err
}

// SumAt returns the position and Sum of entry txid, or of the log's base
// (what the oldest entry follows) if txid is the base's TxID.
func (l *Log) SumAt(txid uint64) (Position, uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Position{}, 0, ErrLogClosed
	}
	if len(l.segs) > 0 && txid == l.segs[0].base.TxID {
		return l.segs[0].base, l.segs[0].baseSum, nil
	}
	if len(l.segs) == 0 && txid == l.last.TxID {
		return l.last, l.lastSum, nil
	}
	if first := l.firstLocked(); txid < first {
		return Position{}, 0, fmt.Errorf("sum of txid %d, log starts at %d: %w", txid, first, ErrCompacted)
	}
	if txid > l.last.TxID {
		return Position{}, 0, fmt.Errorf("sum of txid %d, log ends at %d: %w", txid, l.last.TxID, ErrNotFound)
	}
	s := l.segmentForLocked(txid)
	e := s.entries[txid-s.first()]
	return Position{Epoch: e.epoch, TxID: txid}, e.sum, nil
}

// readEntry reads and checks entry txid of s, which the caller has pinned.
func readEntry(s *segment, ref entryRef, txid uint64) (*Txn, error) {
	b := make([]byte, entryHeaderSize+int(ref.n))
	if _, err := s.f.ReadAt(b, ref.off); err != nil {
		return nil, fmt.Errorf("reading txid %d from %s: %w", txid, s.path, err)
	}
	if binary.LittleEndian.Uint32(b) != ref.n || entryCRC(b[0:4], b[entryHeaderSize:]) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, fmt.Errorf("reading txid %d from %s: entry at offset %d is corrupt", txid, s.path, ref.off)
	}
	t := new(Txn)
	if err := t.decode(b[entryHeaderSize:], true); err != nil {
		return nil, fmt.Errorf("reading txid %d from %s: %w", txid, s.path, err)
	}
	if t.Pos.TxID != txid {
		return nil, fmt.Errorf("reading txid %d from %s: entry holds txid %d", txid, s.path, t.Pos.TxID)
	}
	return t, nil
}

// LogReader reads the log in order. It is for one goroutine.
type LogReader struct {
	l      *Log
	next   uint64
	gen    uint64
	seg    *segment // pinned: retention keeps it and everything after it
	closed bool
}

// NewReader returns a reader whose first Next returns entry from. from may
// be Last().TxID+1, to wait for what comes next.
func (l *Log) NewReader(from uint64) (*LogReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrLogClosed
	}
	if first := l.firstLocked(); from < first {
		return nil, fmt.Errorf("reading from txid %d, log starts at %d: %w", from, first, ErrCompacted)
	}
	if from > l.last.TxID+1 {
		return nil, fmt.Errorf("reading from txid %d, log ends at %d: %w", from, l.last.TxID, ErrNotFound)
	}
	s := l.segmentForLocked(from)
	if s == nil { // only after a failed Reset
		return nil, fmt.Errorf("reading from txid %d: %w", from, l.failed)
	}
	s.refs++
	return &LogReader{l: l, next: from, gen: l.gen, seg: s}, nil
}

// Next returns the next entry, or io.EOF at the current end of the log;
// calling again later returns entries appended meanwhile. After a Reset it
// returns ErrCompacted: the history it was reading is gone.
func (r *LogReader) Next() (*Txn, error) {
	l := r.l
	l.mu.Lock()
	switch {
	case r.closed:
		l.mu.Unlock()
		return nil, errors.New("walstream: log reader closed")
	case l.closed:
		l.mu.Unlock()
		return nil, ErrLogClosed
	case r.gen != l.gen:
		l.mu.Unlock()
		return nil, fmt.Errorf("reading txid %d: log was reset: %w", r.next, ErrCompacted)
	case r.next > l.last.TxID:
		l.mu.Unlock()
		return nil, io.EOF
	}
	s := r.seg
	if r.next > s.lastTxID() {
		ns := l.segmentForLocked(r.next)
		if ns == nil || ns.first() > r.next {
			l.mu.Unlock()
			return nil, fmt.Errorf("reading txid %d: %w", r.next, ErrCompacted)
		}
		ns.refs++
		r.seg = ns
		l.unpinLocked(s)
		s = ns
	}
	ref := s.entries[r.next-s.first()]
	l.mu.Unlock()
	t, err := readEntry(s, ref, r.next)
	if err != nil {
		return nil, err
	}
	r.next++
	return t, nil
}

// Close releases the reader's hold on the log.
func (r *LogReader) Close() error {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.l.unpinLocked(r.seg)
	return nil
}

// Reset drops every entry: the log continues after base, whose Sum is
// sum (after installing a snapshot at base). Readers get ErrCompacted.
// It is crash-safe: the new segment, header synced, is named reset.tmp
// durably before the old segments go, and OpenLog finishes an
// interrupted Reset.
func (l *Log) Reset(base Position, sum uint64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrLogClosed
	}
	tmp := filepath.Join(l.dir, resetTmpName)
	f, alloc, err := l.installSegmentFile(tmp, base, sum)
	if err != nil {
		return fmt.Errorf("resetting log: %w", err)
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("resetting log: %w", err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		l.dropLocked(s)
	}
	l.segs = nil
	l.size = 0
	l.gen++
	l.last, l.lastSum = base, sum
	l.durable = l.appended
	l.syncDone.Broadcast()
	// The deletions must be durable before the new segment appears, or a
	// crash could leave old segments next to it.
	if err := syncDir(l.dir); err != nil {
		f.Close()
		l.failed = fmt.Errorf("resetting log: %w", err)
		return l.failed
	}
	path := filepath.Join(l.dir, segmentName(base.TxID+1))
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		l.failed = fmt.Errorf("resetting log: %w", err)
		return l.failed
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		l.failed = fmt.Errorf("resetting log: %w", err)
		return l.failed
	}
	l.segs = []*segment{{path: path, f: f, base: base, baseSum: sum, size: segHeaderSize, alloc: alloc}}
	l.size = segHeaderSize
	l.failed = nil
	return nil
}

// Close syncs the log and closes its files. Readers still open get
// ErrLogClosed.
func (l *Log) Close() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	closed := l.closed // only changed under wmu
	l.mu.Unlock()
	if closed {
		return nil
	}
	close(l.quit)
	l.dropPrepared()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.syncing {
		l.syncDone.Wait()
	}
	var err error
	if len(l.segs) > 0 && l.failed == nil && l.durable < l.appended {
		if err = datasync(l.segs[len(l.segs)-1].f); err != nil {
			err = fmt.Errorf("syncing log on close: %w", err)
		} else {
			l.durable = l.appended
		}
	}
	l.closed = true
	for _, s := range l.segs {
		if s.refs == 0 {
			if cerr := s.f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing log segment: %w", cerr)
			}
		}
	}
	l.syncDone.Broadcast()
	return err
}
