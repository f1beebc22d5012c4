package walstream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// A segment file is a header naming the entry before its first (its base),
// then entries, then zeros. Files are created at their full size and
// written in place, the way PostgreSQL treats its WAL segments: an append
// that does not grow the file changes no metadata, so making it durable is
// an fdatasync that flushes data blocks only, with no filesystem journal
// commit for the inode size (or for converting preallocated extents, which
// is why the zeros are written rather than fallocated). The price is that
// the end of the log is not the end of the file: it is the first entry
// header whose length is zero. Entries are never zero bytes long, and
// nothing is ever written past the end except the next entry, so the zeros
// after the end stay zeros — recovery enforces that too (scanSegment).

// segment is one file. Segments are contiguous: each one's base is the
// previous one's last entry, and the file is named after its first TxID.
type segment struct {
	path    string
	f       *os.File
	base    Position
	baseSum uint64
	entries []entryRef // guarded by Log.mu
	size    int64      // logical end: header and entries; guarded by Log.mu
	alloc   int64      // file size, >= size; only the writer uses it
	refs    int        // readers using f; guarded by Log.mu
	removed bool       // deleted from the directory; close f once refs is 0
}

// entryRef locates one entry and keeps the fields SumAt needs.
type entryRef struct {
	off   int64 // of the entry header
	n     uint32
	epoch uint64
	sum   uint64
}

func (s *segment) first() uint64 { return s.base.TxID + 1 }

// lastEntry returns the position and Sum of the segment's last entry, or
// of its base if it has none.
func (s *segment) lastEntry() (Position, uint64) {
	if n := len(s.entries); n > 0 {
		return Position{Epoch: s.entries[n-1].epoch, TxID: s.lastTxID()}, s.entries[n-1].sum
	}
	return s.base, s.baseSum
}

func (s *segment) lastTxID() uint64 {
	return s.base.TxID + uint64(len(s.entries))
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%020d%s", first, segSuffix)
}

// openSegment opens and scans one segment file. It returns nil, nil for a
// last segment whose creation was cut short (header incomplete).
func (l *Log) openSegment(path string, last bool) (*segment, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening log segment: %w", err)
	}
	s, err := l.scanSegment(f, path, last)
	if err != nil || s == nil {
		f.Close()
		if err == nil {
			l.logger.Warn("walstream: removing log segment with incomplete header", "file", path)
			err = os.Remove(path)
		}
		return nil, err
	}
	return s, nil
}

// scanSegment indexes a segment's entries and checks that only zeros
// follow them. In the last segment, a torn or corrupt entry ends the log:
// it and everything after it are overwritten with zeros, so that stale
// bytes beyond the end can never be read as entries once new ones are
// written up to them (a crash can leave a later entry of an unsynced
// batch intact after a torn one). The last segment is also grown to
// SegmentBytes if it is shorter, as one written by an older version is.
// In an older segment, which was fsynced before the next one was
// created, any such damage is an error instead of a silent loss of
// history.
func (l *Log) scanSegment(f *os.File, path string, last bool) (*segment, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening log segment: %w", err)
	}
	fileSize := st.Size()
	var hdr [segHeaderSize]byte
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, segHeaderSize), hdr[:]); err != nil && fileSize >= segHeaderSize {
		return nil, fmt.Errorf("reading log segment header of %s: %w", path, err)
	}
	base, baseSum, herr := parseSegmentHeader(hdr[:])
	if fileSize < segHeaderSize || herr != nil {
		// A segment gets its name only once its header is durable (older
		// versions wrote the header first and fsynced it before any entry),
		// so only a last segment with nothing else can be torn.
		if last && fileSize <= segHeaderSize {
			return nil, nil
		}
		if herr == nil {
			herr = fmt.Errorf("%d bytes", fileSize)
		}
		return nil, fmt.Errorf("log segment %s has a bad header: %w", path, herr)
	}
	if filepath.Base(path) != segmentName(base.TxID+1) {
		return nil, fmt.Errorf("log segment %s has base %v, which does not match its name", path, base)
	}
	s := &segment{path: path, f: f, base: base, baseSum: baseSum, size: segHeaderSize, alloc: fileSize}
	br := bufio.NewReaderSize(io.NewSectionReader(f, segHeaderSize, fileSize-segHeaderSize), 1<<20)
	var payload []byte
	var damage error
	for fileSize-s.size >= entryHeaderSize {
		ref, p, err := readEntryFrom(br, s.size, fileSize-s.size, payload)
		payload = p
		if errors.Is(err, errEndOfEntries) {
			break
		}
		if err == nil && ref.txid != s.lastTxID()+1 {
			err = fmt.Errorf("holds txid %d, want %d", ref.txid, s.lastTxID()+1)
		}
		if err != nil {
			damage = err
			break
		}
		s.entries = append(s.entries, ref.entryRef)
		s.size += entryHeaderSize + int64(ref.n)
	}
	if damage == nil {
		off, err := firstNonZero(br, s.size)
		if err != nil {
			return nil, fmt.Errorf("reading log segment %s: %w", path, err)
		}
		if off >= 0 {
			damage = fmt.Errorf("byte at offset %d after the last entry is not zero", off)
		}
	}
	if !last {
		if damage != nil {
			return nil, fmt.Errorf("log segment %s is corrupt at offset %d: %w", path, s.size, damage)
		}
		return s, nil
	}

	// The last segment, to be appended to: make [s.size, SegmentBytes)
	// zeros, durably.
	zeroTo := s.size
	if damage != nil {
		l.logger.Warn("walstream: cutting damaged log tail", "file", path, "offset", s.size,
			"after_txid", s.lastTxID(), "reason", damage)
		zeroTo = fileSize
	}
	grow := max(fileSize, l.opt.SegmentBytes)
	if zeroTo == s.size && grow == fileSize {
		return s, nil
	}
	if err := zeroFill(f, s.size, zeroTo, nil); err != nil {
		return nil, fmt.Errorf("cutting log tail of %s: %w", path, err)
	}
	if err := zeroFill(f, fileSize, grow, nil); err != nil {
		return nil, fmt.Errorf("preallocating log segment %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("syncing log segment %s: %w", path, err)
	}
	s.alloc = grow
	return s, nil
}

// firstNonZero returns the offset of the first byte read from r that is
// not zero, or -1; off is the offset of r's first byte.
func firstNonZero(r io.Reader, off int64) (int64, error) {
	buf := make([]byte, 64<<10)
	zeros := make([]byte, len(buf))
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 && !bytes.Equal(buf[:n], zeros[:n]) {
			return off + int64(slices.IndexFunc(buf[:n], func(b byte) bool { return b != 0 })), nil
		}
		off += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return -1, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

type scannedEntry struct {
	entryRef
	txid uint64
}

// errEndOfEntries is readEntryFrom's answer to a zero length: the end of
// the log in this segment.
var errEndOfEntries = errors.New("end of entries")

// readEntryFrom reads and checks the entry at off from br, which has
// remaining bytes left in the file; buf is reused for the payload. At a
// zero length it returns errEndOfEntries without consuming anything.
func readEntryFrom(br *bufio.Reader, off, remaining int64, buf []byte) (scannedEntry, []byte, error) {
	if remaining < entryHeaderSize {
		return scannedEntry{}, buf, fmt.Errorf("torn entry header (%d bytes)", remaining)
	}
	h, err := br.Peek(entryHeaderSize)
	if err != nil {
		return scannedEntry{}, buf, fmt.Errorf("reading entry header: %w", err)
	}
	n := binary.LittleEndian.Uint32(h[0:])
	if n == 0 {
		return scannedEntry{}, buf, errEndOfEntries
	}
	crc := binary.LittleEndian.Uint32(h[4:])
	lenBytes := binary.LittleEndian.AppendUint32(nil, n)
	if _, err := br.Discard(entryHeaderSize); err != nil {
		return scannedEntry{}, buf, fmt.Errorf("reading entry header: %w", err)
	}
	if int64(n) > remaining-entryHeaderSize {
		return scannedEntry{}, buf, fmt.Errorf("entry of %d bytes overruns the file (%d left)", n, remaining-entryHeaderSize)
	}
	if n < txnFixedSize {
		return scannedEntry{}, buf, fmt.Errorf("entry of %d bytes is too short", n)
	}
	buf = slices.Grow(buf[:0], int(n))[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return scannedEntry{}, buf, fmt.Errorf("reading entry: %w", err)
	}
	if entryCRC(lenBytes, buf) != crc {
		return scannedEntry{}, buf, errors.New("entry CRC mismatch")
	}
	if buf[0] != txnEncodingVersion {
		return scannedEntry{}, buf, fmt.Errorf("unknown entry encoding %d", buf[0])
	}
	return scannedEntry{
		entryRef: entryRef{
			off:   off,
			n:     n,
			epoch: binary.LittleEndian.Uint64(buf[2:]),
			sum:   binary.LittleEndian.Uint64(buf[18:]),
		},
		txid: binary.LittleEndian.Uint64(buf[10:]),
	}, buf, nil
}

func entryCRC(length, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, castagnoli), castagnoli, payload)
}

func appendSegmentHeader(b []byte, base Position, sum uint64) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, segMagic)
	b = binary.LittleEndian.AppendUint32(b, segVersion)
	b = binary.LittleEndian.AppendUint64(b, base.Epoch)
	b = binary.LittleEndian.AppendUint64(b, base.TxID)
	b = binary.LittleEndian.AppendUint64(b, sum)
	b = binary.LittleEndian.AppendUint32(b, 0) // reserved
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

func parseSegmentHeader(b []byte) (Position, uint64, error) {
	if len(b) < segHeaderSize {
		return Position{}, 0, fmt.Errorf("header is %d bytes", len(b))
	}
	if binary.LittleEndian.Uint32(b[36:]) != crc32.Checksum(b[:36], castagnoli) {
		return Position{}, 0, errors.New("header CRC mismatch")
	}
	if m := binary.LittleEndian.Uint32(b[0:]); m != segMagic {
		return Position{}, 0, fmt.Errorf("bad magic %#x", m)
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != segVersion {
		return Position{}, 0, fmt.Errorf("unknown segment version %d", v)
	}
	base := Position{Epoch: binary.LittleEndian.Uint64(b[8:]), TxID: binary.LittleEndian.Uint64(b[16:])}
	return base, binary.LittleEndian.Uint64(b[24:]), nil
}

// preparedFile is a zero-filled file under prepName, made by a goroutine
// of its own. done is closed once f or err is set.
type preparedFile struct {
	done chan struct{}
	f    *os.File
	err  error
}

// errStopped means the log closed while a file was being zero-filled.
var errStopped = errors.New("walstream: log closed while preparing a segment")

// prepareAhead starts zero-filling the next segment's file in the
// background, unless that is already under way or done. The writer calls
// it once the active segment is half full, so a rotation normally finds
// the file ready and does not wait for SegmentBytes of writes. Called
// with wmu held.
func (l *Log) prepareAhead() {
	if l.prep != nil {
		return
	}
	p := &preparedFile{done: make(chan struct{})}
	l.prep = p
	path, size, quit := filepath.Join(l.dir, prepName), l.opt.SegmentBytes, l.quit
	go func() {
		defer close(p.done)
		p.f, p.err = prepareFile(path, size, quit)
	}()
}

// takePrepared returns the prepared file, waiting for it if it is still
// being filled and making it now if there is none. Called with wmu held.
func (l *Log) takePrepared() (*os.File, error) {
	p := l.prep
	l.prep = nil
	if p != nil {
		<-p.done
		if p.err == nil {
			return p.f, nil
		}
		if errors.Is(p.err, errStopped) {
			return nil, ErrLogClosed
		}
		l.logger.Warn("walstream: preparing the next log segment failed; retrying", "err", p.err)
	}
	return prepareFile(filepath.Join(l.dir, prepName), l.opt.SegmentBytes, l.quit)
}

// dropPrepared stops the background preparation, if any, and deletes its
// file. Called with wmu held.
func (l *Log) dropPrepared() {
	if p := l.prep; p != nil {
		l.prep = nil
		<-p.done
		if p.f != nil {
			p.f.Close()
		}
		if err := os.Remove(filepath.Join(l.dir, prepName)); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.logger.Warn("walstream: deleting prepared log segment", "err", err)
		}
	}
}

// prepareFile creates path as size zero bytes, durably: every block
// allocated and written and the size committed, so that writing entries
// over the zeros later changes no metadata. The file only takes a
// segment's name once its header is written (installSegmentFile); a crash
// before that leaves prepName, which OpenLog deletes. A closed stop
// channel abandons the work.
func prepareFile(path string, size int64, stop <-chan struct{}) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating log segment file: %w", err)
	}
	err = zeroFill(f, 0, size, stop)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("preparing log segment file %s: %w", path, err)
	}
	return f, nil
}

// zeroFill writes zeros over [from, to) of f. A closed stop channel (nil
// means never) abandons the work between chunks.
func zeroFill(f *os.File, from, to int64, stop <-chan struct{}) error {
	if to <= from {
		return nil
	}
	buf := make([]byte, min(to-from, 1<<20))
	for off := from; off < to; {
		select {
		case <-stop:
			return errStopped
		default:
		}
		n := min(int64(len(buf)), to-off)
		if _, err := f.WriteAt(buf[:n], off); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// installSegmentFile turns the prepared file into a segment following
// base, named path: the header is written over the zeros and made durable
// before the rename, so a file under a segment's name always has a valid
// header. The caller syncs the directory. Called with wmu held.
func (l *Log) installSegmentFile(path string, base Position, sum uint64) (*os.File, int64, error) {
	f, err := l.takePrepared()
	if err != nil {
		return nil, 0, err
	}
	prep := filepath.Join(l.dir, prepName)
	fail := func(err error) (*os.File, int64, error) {
		f.Close()
		os.Remove(prep)
		return nil, 0, err
	}
	if _, err := f.WriteAt(appendSegmentHeader(nil, base, sum), 0); err != nil {
		return fail(fmt.Errorf("writing log segment header: %w", err))
	}
	if err := datasync(f); err != nil {
		return fail(fmt.Errorf("syncing log segment header: %w", err))
	}
	if err := os.Rename(prep, path); err != nil {
		return fail(fmt.Errorf("naming log segment: %w", err))
	}
	return f, max(l.opt.SegmentBytes, segHeaderSize), nil
}

// createSegment creates the segment following base, durably: header and
// directory entry are synced.
func (l *Log) createSegment(base Position, sum uint64) (*segment, error) {
	path := filepath.Join(l.dir, segmentName(base.TxID+1))
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("creating log segment: %s already exists", path)
	}
	f, alloc, err := l.installSegmentFile(path, base, sum)
	if err != nil {
		return nil, fmt.Errorf("creating log segment %s: %w", path, err)
	}
	if err := syncDir(l.dir); err != nil {
		// Unnamed again, so that a retry can create it.
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &segment{path: path, f: f, base: base, baseSum: sum, size: segHeaderSize, alloc: alloc}, nil
}

// datasync is fdatasync(2): it flushes f's data and whatever metadata
// reading it back needs (the size, if it changed) but not timestamps. On
// a segment written in place that is a flush of the data blocks alone.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening log directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing log directory: %w", err)
	}
	return nil
}
