package walstream

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
)

// ErrNoCommit is returned by Capture when no transaction has committed
// since the previous capture — a write transaction that changed nothing
// commits without writing a frame.
var ErrNoCommit = errors.New("walstream: no committed transaction in the WAL since the last capture")

// Captured is what one or more committed transactions did to a database:
// the last version of every page they wrote, sorted by page number, and the
// database size after the last of them.
type Captured struct {
	PageSize   uint32
	CommitSize uint32
	Pages      []Page
}

// Capturer reads the frames of each transaction from a database's WAL file
// right after SQLite commits it. It remembers where the last captured
// commit frame ended and the checksum chain up to there, so each capture
// reads only the new frames. The engine calls it while still holding the
// database's write lock, so the WAL cannot change underneath.
type Capturer struct {
	path string

	mu sync.Mutex
	f  *os.File
	br *bufio.Reader
	// Where the next transaction's frames start, if the WAL still holds the
	// generation identified by salt1/salt2; when !positioned, the next
	// capture reads the current generation from its first frame.
	positioned   bool
	salt1, salt2 uint32
	off          int64
	sum          walSum
}

// OpenCapturer opens the WAL at walPath and positions after its last valid
// commit frame: whatever is already there has been captured (or recovered
// with LastTxnInWAL) before. A missing or empty WAL is fine.
func OpenCapturer(walPath string) (*Capturer, error) {
	c := &Capturer{path: walPath}
	f, err := c.file()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return c, nil
	}
	hdr, err := readWALHeader(f)
	if errors.Is(err, errBadWALHeader) {
		return c, nil // SQLite ignores such a WAL and will rewrite it from the start
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("opening capturer on %s: %w", walPath, err)
	}
	s := newWALScanner(f, hdr, walHeaderSize, hdr.sum, c.br)
	off, sum := int64(walHeaderSize), hdr.sum
	for {
		fr, ok, err := s.next(false)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("opening capturer on %s: %w", walPath, err)
		}
		if !ok {
			break
		}
		if fr.commit != 0 {
			off, sum = s.off, s.sum
		}
	}
	c.setPosition(hdr, off, sum)
	return c, nil
}

// file returns the open WAL, reopening it if the path now names another
// file (SQLite deletes the WAL when the last connection closes and creates
// a new one later). It returns nil, nil if there is no WAL.
func (c *Capturer) file() (*os.File, error) {
	if c.f != nil {
		cur, err := c.f.Stat()
		if err == nil {
			st, err := os.Stat(c.path)
			if err == nil && os.SameFile(cur, st) {
				return c.f, nil
			}
		}
		c.f.Close()
		c.f = nil
		c.positioned = false
	}
	f, err := os.Open(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening WAL: %w", err)
	}
	c.f = f
	if c.br == nil {
		c.br = bufio.NewReaderSize(f, 64<<10)
	}
	return f, nil
}

func (c *Capturer) setPosition(hdr walHeader, off int64, sum walSum) {
	c.positioned = true
	c.salt1, c.salt2 = hdr.salt1, hdr.salt2
	c.off, c.sum = off, sum
}

// Capture returns the pages of the transactions committed since the
// previous capture (normally exactly one), up to and including the last
// valid commit frame. It returns ErrNoCommit if there is none.
//
// If the WAL's salts changed since the previous capture, SQLite restarted
// it (after a checkpoint, possibly truncating it first), and the new
// transactions start at the first frame. Frames past the last commit, or
// left over from an earlier generation, fail the salt or checksum check
// and are never taken.
func (c *Capturer) Capture() (Captured, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := c.file()
	if err != nil {
		return Captured{}, fmt.Errorf("capturing from %s: %w", c.path, err)
	}
	if f == nil {
		// In WAL mode the file exists from the first transaction on.
		return Captured{}, fmt.Errorf("capturing from %s: %w (is the database in WAL mode?)", c.path, os.ErrNotExist)
	}
	hdr, err := readWALHeader(f)
	if errors.Is(err, errBadWALHeader) {
		if st, serr := f.Stat(); serr == nil && st.Size() == 0 {
			// Truncated by wal_checkpoint(TRUNCATE) and not written since.
			return Captured{}, ErrNoCommit
		}
		// Right after a commit SQLite has always written a valid header;
		// calling this "no commit" could hide a transaction.
	}
	if err != nil {
		return Captured{}, fmt.Errorf("capturing from %s: %w", c.path, err)
	}
	off, sum := int64(walHeaderSize), hdr.sum
	if c.positioned && hdr.salt1 == c.salt1 && hdr.salt2 == c.salt2 {
		off, sum = c.off, c.sum
	}
	s := newWALScanner(f, hdr, off, sum, c.br)
	committed := make(map[uint32][]byte)
	var pending []walFrame
	var commitSize uint32
	for {
		fr, ok, err := s.next(true)
		if err != nil {
			return Captured{}, fmt.Errorf("capturing from %s: %w", c.path, err)
		}
		if !ok {
			break
		}
		pending = append(pending, fr)
		if fr.commit == 0 {
			continue
		}
		// Frames of one transaction are in write order, so a later frame
		// of the same page is the newer version.
		for _, p := range pending {
			committed[p.pgno] = p.data
		}
		pending = pending[:0]
		commitSize = fr.commit
		off, sum = s.off, s.sum
	}
	if commitSize == 0 {
		return Captured{}, ErrNoCommit
	}
	c.setPosition(hdr, off, sum)
	return Captured{PageSize: hdr.pageSize, CommitSize: commitSize, Pages: sortedPages(committed, commitSize)}, nil
}

// sortedPages returns the pages in m within the database size, in page
// order. A page beyond the size was written and then cut off by a
// truncating commit (VACUUM): it is not part of the database.
func sortedPages(m map[uint32][]byte, size uint32) []Page {
	pages := make([]Page, 0, len(m))
	for no, data := range m {
		if no <= size {
			pages = append(pages, Page{No: no, Data: data})
		}
	}
	slices.SortFunc(pages, func(a, b Page) int { return cmp.Compare(a.No, b.No) })
	return pages
}

// Close releases the WAL file.
func (c *Capturer) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	c.positioned = false
	return err
}

// LastTxnInWAL returns the last transaction committed in the WAL at
// walPath: the frames after the previous commit frame (or from the start
// of the current WAL generation) up to the last valid commit frame. ok is
// false if the WAL is missing, empty or holds no commit. At start-up this
// recovers a transaction that committed just before a crash but was never
// logged; nothing may write the WAL meanwhile.
func LastTxnInWAL(walPath string) (c Captured, ok bool, err error) {
	f, err := os.Open(walPath)
	if errors.Is(err, os.ErrNotExist) {
		return Captured{}, false, nil
	}
	if err != nil {
		return Captured{}, false, fmt.Errorf("opening WAL: %w", err)
	}
	defer f.Close()
	hdr, err := readWALHeader(f)
	if errors.Is(err, errBadWALHeader) {
		return Captured{}, false, nil
	}
	if err != nil {
		return Captured{}, false, fmt.Errorf("recovering last transaction from %s: %w", walPath, err)
	}
	// Scan without keeping pages, remembering where the newest version of
	// each page of the current transaction lies; read only the winners.
	s := newWALScanner(f, hdr, walHeaderSize, hdr.sum, nil)
	cur := make(map[uint32]int64)
	var last map[uint32]int64
	var commitSize uint32
	for {
		fr, ok, err := s.next(false)
		if err != nil {
			return Captured{}, false, fmt.Errorf("recovering last transaction from %s: %w", walPath, err)
		}
		if !ok {
			break
		}
		cur[fr.pgno] = fr.off
		if fr.commit != 0 {
			last, cur = cur, make(map[uint32]int64)
			commitSize = fr.commit
		}
	}
	if last == nil {
		return Captured{}, false, nil
	}
	pages := make(map[uint32][]byte, len(last))
	for no, off := range last {
		data := make([]byte, hdr.pageSize)
		if _, err := f.ReadAt(data, off+walFrameHeaderSize); err != nil {
			return Captured{}, false, fmt.Errorf("reading page %d from %s: %w", no, walPath, err)
		}
		pages[no] = data
	}
	return Captured{PageSize: hdr.pageSize, CommitSize: commitSize, Pages: sortedPages(pages, commitSize)}, true, nil
}
