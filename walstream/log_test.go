package walstream

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// chainTxns returns n transactions following last (whose Sum is sum), with
// random pages of pageBytes each, properly chained.
func chainTxns(rng *rand.Rand, last Position, sum uint64, epoch uint64, n, pageBytes int) []*Txn {
	txns := make([]*Txn, n)
	for i := range txns {
		t := &Txn{
			Pos:        Position{Epoch: epoch, TxID: last.TxID + uint64(i) + 1},
			Kind:       KindPages,
			DB:         "db" + string(rune('a'+rng.IntN(3))),
			PageSize:   uint32(pageBytes),
			CommitSize: 100,
		}
		for range 1 + rng.IntN(3) {
			data := make([]byte, pageBytes)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			t.Pages = append(t.Pages, Page{No: uint32(1 + rng.IntN(100)), Data: data})
		}
		t.Sum = t.Chain(sum)
		sum = t.Sum
		txns[i] = t
	}
	return txns
}

func mustOpenLog(t testing.TB, dir string, opt LogOptions) *Log {
	t.Helper()
	l, err := OpenLog(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// appendChained appends n new transactions after the log's last and
// returns them.
func appendChained(t testing.TB, l *Log, rng *rand.Rand, n, pageBytes int) []*Txn {
	t.Helper()
	last, sum := l.Last()
	txns := chainTxns(rng, last, sum, last.Epoch+1, n, pageBytes)
	if err := l.Append(txns...); err != nil {
		t.Fatal(err)
	}
	return txns
}

func checkRead(t testing.TB, l *Log, want *Txn) {
	t.Helper()
	got, err := l.Read(want.Pos.TxID)
	if err != nil {
		t.Fatalf("Read(%d): %v", want.Pos.TxID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read(%d) returned a different transaction", want.Pos.TxID)
	}
}

func TestLogAppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	l := mustOpenLog(t, dir, LogOptions{})
	if last, sum := l.Last(); last != (Position{}) || sum != 0 || l.First() != 1 {
		t.Fatalf("new log: last %v sum %d first %d", last, sum, l.First())
	}
	if _, err := l.Read(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read(1) of an empty log: %v", err)
	}
	var all []*Txn
	for range 10 {
		all = append(all, appendChained(t, l, rng, 1+rng.IntN(5), 512)...)
	}
	last, sum := l.Last()
	if last != all[len(all)-1].Pos || sum != all[len(all)-1].Sum {
		t.Fatalf("Last = %v %x", last, sum)
	}
	for _, txn := range all {
		checkRead(t, l, txn)
		pos, s, err := l.SumAt(txn.Pos.TxID)
		if err != nil || pos != txn.Pos || s != txn.Sum {
			t.Fatalf("SumAt(%d) = %v %x %v", txn.Pos.TxID, pos, s, err)
		}
	}
	if pos, s, err := l.SumAt(0); err != nil || pos != (Position{}) || s != 0 {
		t.Fatalf("SumAt(base) = %v %x %v", pos, s, err)
	}
	if _, _, err := l.SumAt(last.TxID + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SumAt past the end: %v", err)
	}
	if _, err := l.NewReader(last.TxID + 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NewReader past the end: %v", err)
	}

	// A reader follows appends: io.EOF at the end, then the new entries.
	r, err := l.NewReader(3)
	if err != nil {
		t.Fatal(err)
	}
	readAll := func(from uint64) {
		t.Helper()
		for want := from; ; want++ {
			got, err := r.Next()
			if errors.Is(err, io.EOF) {
				if want != uint64(len(all))+1 {
					t.Fatalf("EOF at %d, log ends at %d", want, len(all))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, all[want-1]) {
				t.Fatalf("reader returned the wrong txn at %d", want)
			}
		}
	}
	readAll(3)
	n := len(all)
	all = append(all, appendChained(t, l, rng, 7, 512)...)
	readAll(uint64(n) + 1)
	r.Close()
	if _, err := r.Next(); err == nil {
		t.Fatal("Next after Close succeeded")
	}

	size := l.Size()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(1); !errors.Is(err, ErrLogClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	l = mustOpenLog(t, dir, LogOptions{})
	if last, sum := l.Last(); last != all[len(all)-1].Pos || sum != all[len(all)-1].Sum {
		t.Fatalf("reopened: Last = %v %x", last, sum)
	}
	if l.Size() != size {
		t.Fatalf("reopened: size %d, was %d", l.Size(), size)
	}
	for _, txn := range all {
		checkRead(t, l, txn)
	}
	appendChained(t, l, rng, 3, 512)
}

func TestLogRefusesGapsAndForeignHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := mustOpenLog(t, t.TempDir(), LogOptions{})
	appendChained(t, l, rng, 5, 256)
	last, sum := l.Last()

	gap := chainTxns(rng, Position{Epoch: 1, TxID: last.TxID + 1}, sum, 1, 1, 256)
	if err := l.Append(gap...); !errors.Is(err, ErrGap) {
		t.Fatalf("append with a gap: %v, want ErrGap", err)
	}
	dup := chainTxns(rng, Position{TxID: last.TxID - 1}, sum, 1, 1, 256)
	if err := l.Append(dup...); !errors.Is(err, ErrGap) {
		t.Fatalf("append of an existing txid: %v, want ErrGap", err)
	}
	foreign := chainTxns(rng, last, sum^1, 1, 1, 256)
	if err := l.Append(foreign...); !errors.Is(err, ErrChecksum) {
		t.Fatalf("append of another history: %v, want ErrChecksum", err)
	}
	// A batch with one bad transaction is refused whole.
	good := chainTxns(rng, last, sum, 1, 3, 256)
	good[2].Sum++
	if err := l.Append(good...); !errors.Is(err, ErrChecksum) {
		t.Fatalf("batch with a bad sum: %v, want ErrChecksum", err)
	}
	if l2, s2 := l.Last(); l2 != last || s2 != sum {
		t.Fatalf("refused appends changed the log: %v %x", l2, s2)
	}
}

// lastSegment returns the path of the newest segment file in dir.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil || len(m) == 0 {
		t.Fatalf("no segments: %v", err)
	}
	return m[len(m)-1]
}

func TestLogCutsTornOrCorruptTail(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	l := mustOpenLog(t, dir, LogOptions{})
	all := appendChained(t, l, rng, 10, 1024)
	end := l.Size() // one segment: its logical end
	l.Close()
	seg := lastSegment(t, dir)

	// A crash mid-append in a segment file that is not preallocated (as
	// older versions wrote them): the file ends inside entry 10.
	if err := os.Truncate(seg, end-500); err != nil {
		t.Fatal(err)
	}
	l = mustOpenLog(t, dir, LogOptions{})
	if last, sum := l.Last(); last != all[8].Pos || sum != all[8].Sum {
		t.Fatalf("after torn tail: Last = %v, want %v", last, all[8].Pos)
	}
	if _, err := l.Read(10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read of the cut entry: %v", err)
	}
	// Appending the lost entry again works and survives a reopen.
	if err := l.Append(all[9]); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpenLog(t, dir, LogOptions{})
	checkRead(t, l, all[9])
	l.Close()

	// A flipped byte inside entry 6: it and everything after are cut.
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	off := segHeaderSize
	for range 5 {
		off += entryHeaderSize + int(le32(b[off:]))
	}
	b[off+entryHeaderSize+100] ^= 1
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustOpenLog(t, dir, LogOptions{})
	if last, _ := l.Last(); last != all[4].Pos {
		t.Fatalf("after corrupt entry 6: Last = %v, want %v", last, all[4].Pos)
	}
	for _, txn := range all[:5] {
		checkRead(t, l, txn)
	}
	checkZeroFrom(t, seg, int64(off), defaultSegmentBytes)
}

// checkZeroFrom checks that the file at path is size bytes long and holds
// only zeros from off on.
func checkZeroFrom(t testing.TB, path string, off, size int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Fatalf("%s is %d bytes, want %d", filepath.Base(path), len(b), size)
	}
	if i := bytes.IndexFunc(b[off:], func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("%s: byte at %d after the end of the log (%d) is not zero", filepath.Base(path), off+int64(i), off)
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Damage in a sealed segment is not a torn tail: it must not be cut away
// silently.
func TestLogCorruptSealedSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	l := mustOpenLog(t, dir, LogOptions{SegmentBytes: 8 << 10})
	appendChained(t, l, rng, 30, 1024)
	l.Close()
	m, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if len(m) < 3 {
		t.Fatalf("%d segments, want several", len(m))
	}
	orig, _ := os.ReadFile(m[0])
	end := entriesEnd(orig)
	if end >= len(orig)-10 {
		t.Fatalf("sealed segment: entries end at %d of %d bytes; no zeros after them to damage", end, len(orig))
	}
	// Damage inside the last entry, and in the zeros after it: the
	// latter is as suspicious, and would read as an entry once the space
	// were written up to it.
	for _, off := range []int{end - 10, end + 10} {
		b := bytes.Clone(orig)
		b[off] ^= 1
		os.WriteFile(m[0], b, 0o644)
		if _, err := OpenLog(dir, LogOptions{SegmentBytes: 8 << 10}); err == nil {
			t.Fatalf("opened a log with a sealed segment damaged at offset %d (entries end at %d)", off, end)
		}
	}
	os.WriteFile(m[0], orig, 0o644)
	mustOpenLog(t, dir, LogOptions{SegmentBytes: 8 << 10})
}

// entriesEnd returns the offset where the entries of segment file b end:
// at the first zero length.
func entriesEnd(b []byte) int {
	off := segHeaderSize
	for off+entryHeaderSize <= len(b) && le32(b[off:]) != 0 {
		off += entryHeaderSize + int(le32(b[off:]))
	}
	return off
}

// A crash while creating a segment leaves a file with a partial header.
func TestLogDropsTornNewSegment(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	l := mustOpenLog(t, dir, LogOptions{})
	all := appendChained(t, l, rng, 4, 256)
	l.Close()
	torn := filepath.Join(dir, segmentName(5))
	if err := os.WriteFile(torn, appendSegmentHeader(nil, all[3].Pos, all[3].Sum)[:20], 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustOpenLog(t, dir, LogOptions{})
	if last, _ := l.Last(); last != all[3].Pos {
		t.Fatalf("Last = %v", last)
	}
	if _, err := os.Stat(torn); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("torn segment still there: %v", err)
	}
	appendChained(t, l, rng, 2, 256)
}

func TestLogRetention(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	opt := LogOptions{SegmentBytes: 16 << 10, RetainBytes: 64 << 10}
	l := mustOpenLog(t, dir, opt)
	var all []*Txn
	for range 20 {
		all = append(all, appendChained(t, l, rng, 5, 1024)...)
	}
	first := l.First()
	if first == 1 {
		t.Fatal("nothing was deleted")
	}
	if l.Size() < opt.RetainBytes || l.Size() > opt.RetainBytes+2*opt.SegmentBytes {
		t.Fatalf("log is %d bytes, want about %d", l.Size(), opt.RetainBytes)
	}
	if _, err := l.Read(first - 1); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Read before First: %v", err)
	}
	if _, err := l.NewReader(first - 1); !errors.Is(err, ErrCompacted) {
		t.Fatalf("NewReader before First: %v", err)
	}
	if _, _, err := l.SumAt(first - 2); !errors.Is(err, ErrCompacted) {
		t.Fatalf("SumAt before the base: %v", err)
	}
	// The base (what the oldest entry follows) still has its sum.
	if pos, sum, err := l.SumAt(first - 1); err != nil || pos != all[first-2].Pos || sum != all[first-2].Sum {
		t.Fatalf("SumAt(base) = %v %x %v", pos, sum, err)
	}
	for _, txn := range all[first-1:] {
		checkRead(t, l, txn)
	}

	// A reader pins its segment: however much is appended, it reads on
	// without a gap.
	r, err := l.NewReader(first)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		all = append(all, appendChained(t, l, rng, 5, 1024)...)
	}
	if l.First() != first {
		t.Fatalf("First moved from %d to %d under a reader", first, l.First())
	}
	for want := first; want <= uint64(len(all)); want++ {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("reader at %d: %v", want, err)
		}
		if got.Pos.TxID != want {
			t.Fatalf("reader returned %d, want %d", got.Pos.TxID, want)
		}
		if want == first+30 {
			// Moving on releases older segments, but the reader's current
			// one stays.
			all = append(all, appendChained(t, l, rng, 5, 1024)...)
		}
	}
	r.Close()
	appendChained(t, l, rng, 40, 1024)
	if l.First() <= first {
		t.Fatal("retention did not resume after the reader closed")
	}
	if l.Size() > opt.RetainBytes+2*opt.SegmentBytes {
		t.Fatalf("log is %d bytes after the reader left", l.Size())
	}

	// Reopen sees the same window.
	first, size := l.First(), l.Size()
	last, sum := l.Last()
	l.Close()
	l = mustOpenLog(t, dir, opt)
	if l.First() != first || l.Size() != size {
		t.Fatalf("reopened: first %d size %d, want %d %d", l.First(), l.Size(), first, size)
	}
	if l2, s2 := l.Last(); l2 != last || s2 != sum {
		t.Fatalf("reopened: last %v", l2)
	}
}

// A transaction bigger than a segment gets a segment of its own.
func TestLogEntryLargerThanSegment(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(13, 14))
	opt := LogOptions{SegmentBytes: 4 << 10}
	l := mustOpenLog(t, dir, opt)
	all := appendChained(t, l, rng, 6, 8192)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
	l.Close()
	l = mustOpenLog(t, dir, opt)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
}

func TestLogReset(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(15, 16))
	l := mustOpenLog(t, dir, LogOptions{SegmentBytes: 8 << 10})
	appendChained(t, l, rng, 30, 1024)
	r, err := l.NewReader(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}

	base := Position{Epoch: 7, TxID: 1000}
	if err := l.Reset(base, 0xfeed); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		if last, sum := l.Last(); last != base || sum != 0xfeed {
			t.Fatalf("Last = %v %x", last, sum)
		}
		if l.First() != 1001 {
			t.Fatalf("First = %d", l.First())
		}
		if pos, sum, err := l.SumAt(1000); err != nil || pos != base || sum != 0xfeed {
			t.Fatalf("SumAt(base) = %v %x %v", pos, sum, err)
		}
		if _, err := l.Read(1000); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Read(base): %v", err)
		}
		if _, err := l.Read(1001); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Read(base+1): %v", err)
		}
	}
	check()
	if _, err := r.Next(); !errors.Is(err, ErrCompacted) {
		t.Fatalf("reader after Reset: %v, want ErrCompacted", err)
	}
	r.Close()
	if m, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix)); len(m) != 1 {
		t.Fatalf("%d segment files after Reset", len(m))
	}
	l.Close()
	l = mustOpenLog(t, dir, LogOptions{SegmentBytes: 8 << 10})
	check()
	next := appendChained(t, l, rng, 3, 1024)
	if next[0].Pos.TxID != 1001 {
		t.Fatalf("first txid after reset: %d", next[0].Pos.TxID)
	}
	checkRead(t, l, next[0])
}

// A crash in the middle of Reset: with reset.tmp complete, OpenLog
// finishes the Reset; with it torn, the old log stands.
func TestLogFinishesInterruptedReset(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(17, 18))
	l := mustOpenLog(t, dir, LogOptions{})
	all := appendChained(t, l, rng, 5, 256)
	l.Close()
	tmp := filepath.Join(dir, resetTmpName)
	hdr := appendSegmentHeader(nil, Position{Epoch: 3, TxID: 500}, 42)

	os.WriteFile(tmp, hdr[:30], 0o644)
	l = mustOpenLog(t, dir, LogOptions{})
	if last, _ := l.Last(); last != all[4].Pos {
		t.Fatalf("torn reset.tmp: Last = %v, want the old log", last)
	}
	l.Close()

	os.WriteFile(tmp, hdr, 0o644)
	l = mustOpenLog(t, dir, LogOptions{})
	if last, sum := l.Last(); last != (Position{Epoch: 3, TxID: 500}) || sum != 42 {
		t.Fatalf("complete reset.tmp: Last = %v %d, want the new base", last, sum)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("reset.tmp left behind")
	}
}

// Concurrent Syncs share fsyncs, and an appender, syncers and readers
// run together without a race.
func TestLogConcurrentSync(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	l := mustOpenLog(t, t.TempDir(), LogOptions{SegmentBytes: 64 << 10})
	appendChained(t, l, rng, 1, 512)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			<-start
			if err := l.Sync(); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	l.mu.Lock()
	fsyncs := l.fsyncs
	l.mu.Unlock()
	if fsyncs != 1 {
		t.Fatalf("50 concurrent Syncs of one append did %d fsyncs, want 1", fsyncs)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	fsyncs = l.fsyncs
	l.mu.Unlock()
	if fsyncs != 1 {
		t.Fatal("Sync with nothing new appended did an fsync")
	}

	// One appender, several syncers, several readers.
	const total = 300
	done := make(chan struct{})
	var syncs sync.WaitGroup
	for range 4 {
		syncs.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := l.Sync(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			r, err := l.NewReader(1)
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			for want := uint64(1); want <= total+1; {
				txn, err := r.Next()
				if errors.Is(err, io.EOF) {
					runtime.Gosched()
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if txn.Pos.TxID != want {
					t.Errorf("reader got %d, want %d", txn.Pos.TxID, want)
					return
				}
				want++
			}
		})
	}
	arng := rand.New(rand.NewPCG(21, 22))
	for range total {
		appendChained(t, l, arng, 1, 512)
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	readers.Wait()
	close(done)
	syncs.Wait()
	l.mu.Lock()
	durable, appended := l.durable, l.appended
	l.mu.Unlock()
	if durable != appended {
		t.Fatalf("durable %d != appended %d after Sync", durable, appended)
	}
}

// segmentFiles returns the segment files in dir, oldest first, with their
// sizes.
func segmentFiles(t testing.TB, dir string) ([]string, []int64) {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	sizes := make([]int64, len(m))
	for i, p := range m {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		sizes[i] = st.Size()
	}
	return m, sizes
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Segments are created full of zeros and written in place: appends do not
// change the file size, the log ends where the zeros start, and the next
// segment is prepared in the background before it is needed.
func TestLogPreallocatedSegments(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(31, 32))
	opt := LogOptions{SegmentBytes: 64 << 10}
	prep := filepath.Join(dir, prepName)
	l := mustOpenLog(t, dir, opt)
	m, sizes := segmentFiles(t, dir)
	if len(m) != 1 || sizes[0] != opt.SegmentBytes {
		t.Fatalf("new log: segments %v of %v bytes, want one of %d", m, sizes, opt.SegmentBytes)
	}
	checkZeroFrom(t, m[0], segHeaderSize, opt.SegmentBytes)

	var all []*Txn
	for range 5 {
		all = append(all, appendChained(t, l, rng, 1, 1024)...)
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		if _, sizes := segmentFiles(t, dir); sizes[0] != opt.SegmentBytes {
			t.Fatalf("append changed the segment file size to %d", sizes[0])
		}
	}
	if l.Size() >= opt.SegmentBytes/2 {
		t.Fatalf("log is %d bytes; the test wants the first segment under half full", l.Size())
	}
	if fileExists(prep) {
		t.Fatal("next segment prepared before the active one is half full")
	}
	size := l.Size()
	l.Close()
	checkZeroFrom(t, m[0], size, opt.SegmentBytes)

	// Reopen: the log ends at the first zero length, not at the file size.
	l = mustOpenLog(t, dir, opt)
	if last, sum := l.Last(); last != all[len(all)-1].Pos || sum != all[len(all)-1].Sum || l.Size() != size {
		t.Fatalf("reopened: Last %v size %d, want %v %d", last, l.Size(), all[len(all)-1].Pos, size)
	}
	for _, txn := range all {
		checkRead(t, l, txn)
	}

	// Past half full, the next segment's file is made in the background;
	// the rotation uses it, and the new segment is preallocated too.
	for l.Size() < opt.SegmentBytes/2 {
		all = append(all, appendChained(t, l, rng, 1, 1024)...)
	}
	waitFor(t, 10*time.Second, "the next segment to be prepared", func() bool {
		st, err := os.Stat(prep)
		return err == nil && st.Size() == opt.SegmentBytes
	})
	for len(m) < 3 {
		all = append(all, appendChained(t, l, rng, 1, 1024)...)
		m, sizes = segmentFiles(t, dir)
	}
	for i, sz := range sizes {
		if sz != opt.SegmentBytes {
			t.Fatalf("segment %s is %d bytes, want %d", m[i], sz, opt.SegmentBytes)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fileExists(prep) {
		t.Fatal("Close left a prepared segment behind")
	}
	l = mustOpenLog(t, dir, opt)
	for _, txn := range all {
		checkRead(t, l, txn)
	}

	// Reset starts the log over in a preallocated segment as well.
	if err := l.Reset(Position{Epoch: 9, TxID: 5000}, 77); err != nil {
		t.Fatal(err)
	}
	m, sizes = segmentFiles(t, dir)
	if len(m) != 1 || sizes[0] != opt.SegmentBytes {
		t.Fatalf("after Reset: segments %v of %v bytes", m, sizes)
	}
	next := appendChained(t, l, rng, 3, 1024)
	l.Close()
	l = mustOpenLog(t, dir, opt)
	for _, txn := range next {
		checkRead(t, l, txn)
	}
}

// A crash while the next segment's file was being zero-filled, or after
// it got its header but before it got its name, leaves prealloc.tmp:
// OpenLog deletes it and the log carries on where it was.
func TestLogCrashDuringZeroFill(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(33, 34))
	opt := LogOptions{SegmentBytes: 32 << 10}
	l := mustOpenLog(t, dir, opt)
	all := appendChained(t, l, rng, 4, 1024)
	l.Close()
	prep := filepath.Join(dir, prepName)
	last := all[len(all)-1]

	partial := make([]byte, opt.SegmentBytes/3) // zero-fill cut short
	named := appendSegmentHeader(nil, last.Pos, last.Sum)
	named = append(named, make([]byte, opt.SegmentBytes-segHeaderSize)...) // header written, not renamed
	for _, b := range [][]byte{partial, named} {
		if err := os.WriteFile(prep, b, 0o644); err != nil {
			t.Fatal(err)
		}
		l = mustOpenLog(t, dir, opt)
		if fileExists(prep) {
			t.Fatal("OpenLog kept a leftover prepared segment")
		}
		if got, _ := l.Last(); got != last.Pos {
			t.Fatalf("Last = %v, want %v", got, last.Pos)
		}
		if m, _ := segmentFiles(t, dir); len(m) != 1 {
			t.Fatalf("%d segments, want 1", len(m))
		}
		l.Close()
	}

	// Closing in the middle of a background zero-fill stops it and
	// leaves nothing behind. A 1 GiB next segment takes long enough to
	// fill to be caught at it.
	l = mustOpenLog(t, dir, opt)
	l.wmu.Lock()
	l.opt.SegmentBytes = 1 << 30
	l.prepareAhead()
	p := l.prep
	l.opt.SegmentBytes = opt.SegmentBytes
	l.wmu.Unlock()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(p.err, errStopped) {
		t.Fatalf("background zero-fill ended with %v, want it stopped by Close", p.err)
	}
	if fileExists(prep) {
		t.Fatal("Close left a partly prepared segment behind")
	}

	// The log rotates normally afterwards, with a freshly prepared file.
	l = mustOpenLog(t, dir, opt)
	for {
		all = append(all, appendChained(t, l, rng, 1, 1024)...)
		if m, _ := segmentFiles(t, dir); len(m) >= 3 {
			break
		}
	}
	l.Close()
	l = mustOpenLog(t, dir, opt)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
}

// A torn frame followed by zeros ends the log, and so does a zero length
// with intact frames after it (an unsynced batch whose later pages reached
// the disk and whose first did not): those stale frames are wiped, so they
// cannot reappear when new entries are written up to them.
func TestLogTornFrameFollowedByZeros(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(35, 36))
	l := mustOpenLog(t, dir, LogOptions{})
	all := appendChained(t, l, rng, 10, 1024)
	l.Close()
	seg := lastSegment(t, dir)
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int{segHeaderSize} // offs[i] is where entry i+1 starts
	for i := range all {
		offs = append(offs, offs[i]+entryHeaderSize+int(le32(b[offs[i]:])))
	}

	// Entry 10's last 300 bytes never reached the disk.
	clear(b[offs[10]-300 : offs[10]])
	os.WriteFile(seg, b, 0o644)
	l = mustOpenLog(t, dir, LogOptions{})
	if last, _ := l.Last(); last != all[8].Pos {
		t.Fatalf("torn entry 10: Last = %v, want %v", last, all[8].Pos)
	}
	l.Close()
	checkZeroFrom(t, seg, int64(offs[9]), defaultSegmentBytes)

	// Entry 10 back, then entry 9's header lost: entry 10 is intact
	// after a zero length.
	l = mustOpenLog(t, dir, LogOptions{})
	if err := l.Append(all[9]); err != nil {
		t.Fatal(err)
	}
	l.Close()
	b, _ = os.ReadFile(seg)
	clear(b[offs[8] : offs[8]+entryHeaderSize])
	os.WriteFile(seg, b, 0o644)
	l = mustOpenLog(t, dir, LogOptions{})
	if last, _ := l.Last(); last != all[7].Pos {
		t.Fatalf("lost header of entry 9: Last = %v, want %v", last, all[7].Pos)
	}
	// Another history's entry 9 of exactly the old one's size ends where
	// the old entry 10 began; the old 10 must not come back after it.
	other := *all[8]
	other.Pages = slices.Clone(other.Pages)
	other.Pages[0].Data = bytes.Clone(other.Pages[0].Data)
	other.Pages[0].Data[0]++
	other.Sum = other.Chain(all[7].Sum)
	if len(other.Encode(nil)) != len(all[8].Encode(nil)) {
		t.Fatal("replacement entry has another size; the test would test nothing")
	}
	if err := l.Append(&other); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpenLog(t, dir, LogOptions{})
	if last, sum := l.Last(); last != other.Pos || sum != other.Sum {
		t.Fatalf("after rewriting entry 9: Last = %v %x, want %v %x", last, sum, other.Pos, other.Sum)
	}
	checkRead(t, l, &other)
	l.Close()
	checkZeroFrom(t, seg, int64(offs[9]), defaultSegmentBytes)
}

// A reader at the end of the log, which is not the end of the file, gets
// io.EOF and then what is appended later, across segments and reopens.
func TestLogReaderAtLogicalEnd(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(37, 38))
	opt := LogOptions{SegmentBytes: 16 << 10}
	l := mustOpenLog(t, dir, opt)
	all := appendChained(t, l, rng, 3, 1024)
	l.Close()
	l = mustOpenLog(t, dir, opt)
	last, _ := l.Last()
	r, err := l.NewReader(last.TxID + 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("reader at the end: %v, want io.EOF", err)
	}
	if _, err := l.Read(last.TxID + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read past the end: %v", err)
	}
	if _, _, err := l.SumAt(last.TxID + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SumAt past the end: %v", err)
	}
	for range 40 { // several segments' worth
		txns := appendChained(t, l, rng, 1+rng.IntN(3), 1024)
		all = append(all, txns...)
		for _, want := range txns {
			got, err := r.Next()
			if err != nil {
				t.Fatalf("reader after append of %v: %v", want.Pos, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("reader returned %v, want %v", got.Pos, want.Pos)
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("reader at the end: %v, want io.EOF", err)
		}
	}
	if m, _ := segmentFiles(t, dir); len(m) < 3 {
		t.Fatalf("%d segments; the test wants the reader to cross several", len(m))
	}
}

// An entry bigger than a segment gets a segment of its own, grown to fit;
// the segments before and after it are preallocated as usual.
func TestLogBigEntryAmongSmallOnes(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(39, 40))
	opt := LogOptions{SegmentBytes: 16 << 10}
	l := mustOpenLog(t, dir, opt)
	all := appendChained(t, l, rng, 3, 1024)
	last, sum := l.Last()
	big := chainTxns(rng, last, sum, last.Epoch+1, 1, 0)[0]
	big.Pages = []Page{{No: 1, Data: make([]byte, 50<<10)}, {No: 2, Data: make([]byte, 30<<10)}}
	for i := range big.Pages[0].Data {
		big.Pages[0].Data[i] = byte(i)
	}
	big.Sum = big.Chain(sum)
	if err := l.Append(big); err != nil {
		t.Fatal(err)
	}
	all = append(all, big)
	all = append(all, appendChained(t, l, rng, 3, 1024)...)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	m, sizes := segmentFiles(t, dir)
	bigSize := int64(segHeaderSize + entryHeaderSize + len(big.Encode(nil)))
	want := []int64{opt.SegmentBytes, bigSize, opt.SegmentBytes}
	if !reflect.DeepEqual(sizes, want) {
		t.Fatalf("segments %v are %v bytes, want %v", m, sizes, want)
	}
	size := l.Size()
	l.Close()
	l = mustOpenLog(t, dir, opt)
	if l.Size() != size {
		t.Fatalf("reopened: size %d, want %d", l.Size(), size)
	}
	for _, txn := range all {
		checkRead(t, l, txn)
	}
	// A big entry that ends the log, in a segment of its own: reopening
	// finds its file longer than SegmentBytes and carries on after it.
	last, sum = l.Last()
	big2 := *big
	big2.Pos = Position{Epoch: last.Epoch, TxID: last.TxID + 1}
	big2.Sum = big2.Chain(sum)
	if err := l.Append(&big2); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpenLog(t, dir, opt)
	checkRead(t, l, &big2)
	small := appendChained(t, l, rng, 2, 1024)
	l.Close()
	l = mustOpenLog(t, dir, opt)
	for _, txn := range append(all, append([]*Txn{&big2}, small...)...) {
		checkRead(t, l, txn)
	}
	if _, sizes := segmentFiles(t, dir); sizes[len(sizes)-1] != opt.SegmentBytes {
		t.Fatalf("segment after the big entry is %d bytes, want %d", sizes[len(sizes)-1], opt.SegmentBytes)
	}
}

// Segment files written by older versions end with their last entry.
// They open as they are, except that the last one is grown with zeros
// to SegmentBytes so that appends write in place from then on.
func TestLogOpensUnpreallocatedSegments(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(41, 42))
	opt := LogOptions{SegmentBytes: 8 << 10}
	l := mustOpenLog(t, dir, opt)
	all := appendChained(t, l, rng, 20, 1024)
	l.Close()
	m, _ := segmentFiles(t, dir)
	if len(m) < 3 {
		t.Fatalf("%d segments, want several", len(m))
	}
	ends := make([]int64, len(m))
	for i, p := range m {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ends[i] = int64(entriesEnd(b))
		if err := os.Truncate(p, ends[i]); err != nil {
			t.Fatal(err)
		}
	}

	// Bigger segments now: the sealed ones stay as they are.
	opt.SegmentBytes = 32 << 10
	l = mustOpenLog(t, dir, opt)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
	_, sizes := segmentFiles(t, dir)
	want := append(slices.Clone(ends[:len(ends)-1]), opt.SegmentBytes)
	if !reflect.DeepEqual(sizes, want) {
		t.Fatalf("segment sizes %v, want %v", sizes, want)
	}
	all = append(all, appendChained(t, l, rng, 3, 1024)...)
	if _, sizes := segmentFiles(t, dir); sizes[len(sizes)-1] != opt.SegmentBytes {
		t.Fatalf("append grew the last segment to %d", sizes[len(sizes)-1])
	}
	l.Close()
	l = mustOpenLog(t, dir, opt)
	for _, txn := range all {
		checkRead(t, l, txn)
	}
}

func TestTxnEncodeDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, txn := range append(chainTxns(rng, Position{}, 0, 1, 5, 300),
		&Txn{Pos: Position{Epoch: 2, TxID: 9}, Kind: KindCreate, DB: "new"},
		&Txn{Pos: Position{Epoch: 2, TxID: 10}, Kind: KindDrop, DB: ""}) {
		b := txn.Encode([]byte("prefix"))
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatal("Encode dropped dst")
		}
		var got Txn
		if err := got.Decode(b[6:]); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, txn) {
			t.Fatalf("round trip changed %v", txn.Pos)
		}
		// Decode copies: scribbling over the input changes nothing.
		clear(b)
		if !reflect.DeepEqual(&got, txn) {
			t.Fatal("decoded txn aliases its input")
		}
		// Every truncation and many corruptions fail cleanly.
		enc := txn.Encode(nil)
		for i := range len(enc) {
			if err := new(Txn).Decode(enc[:i]); err == nil {
				t.Fatalf("decoded a txn truncated to %d of %d bytes", i, len(enc))
			}
		}
		for range 200 {
			bad := bytes.Clone(enc)
			bad[rng.IntN(len(bad))] = byte(rng.Uint32())
			new(Txn).Decode(bad) // must not panic
		}
	}
}

func FuzzTxnDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	f.Add(chainTxns(rng, Position{}, 0, 1, 1, 16)[0].Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var txn Txn
		if err := txn.Decode(b); err != nil {
			return
		}
		var again Txn
		if err := again.Decode(txn.Encode(nil)); err != nil || !reflect.DeepEqual(&again, &txn) {
			t.Fatalf("re-encoding a decoded txn does not round-trip: %v", err)
		}
	})
}

func BenchmarkLogAppendSync(b *testing.B) {
	rng := rand.New(rand.NewPCG(25, 26))
	l := mustOpenLog(b, b.TempDir(), LogOptions{})
	last, sum := l.Last()
	txns := chainTxns(rng, last, sum, 1, 1, 4096)
	tmpl := txns[0]
	b.SetBytes(int64(len(tmpl.Encode(nil))))
	b.ReportAllocs()
	for b.Loop() {
		t := *tmpl
		t.Pos = Position{Epoch: 1, TxID: last.TxID + 1}
		t.Sum = t.Chain(sum)
		if err := l.Append(&t); err != nil {
			b.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			b.Fatal(err)
		}
		last, sum = t.Pos, t.Sum
	}
}
