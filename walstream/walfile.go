package walstream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// SQLite WAL file format (https://www.sqlite.org/fileformat2.html#walformat).
const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682 // checksum words are little-endian
	walMagicBE         = 0x377f0683 // checksum words are big-endian
	walFormatVersion   = 3007000
)

// walHeader is the 32-byte header at the start of a WAL file. Its salts
// identify one WAL generation: SQLite picks new ones every time it restarts
// the WAL from the beginning, so a frame whose salts differ belongs to an
// older generation, whatever its position.
type walHeader struct {
	bigEndian bool
	pageSize  uint32
	ckptSeq   uint32
	salt1     uint32
	salt2     uint32
	sum       walSum // checksum of bytes 0..23; seeds the frame checksum chain
}

// walSum is SQLite's cumulative (Fletcher-like) WAL checksum.
type walSum [2]uint32

// errBadWALHeader means the header is not (yet) a valid WAL header. SQLite
// treats such a WAL as empty, and so do we.
var errBadWALHeader = errors.New("invalid WAL header")

func parseWALHeader(b []byte) (walHeader, error) {
	if len(b) < walHeaderSize {
		return walHeader{}, fmt.Errorf("%w: %d bytes", errBadWALHeader, len(b))
	}
	var h walHeader
	switch magic := binary.BigEndian.Uint32(b[0:]); magic {
	case walMagicLE:
	case walMagicBE:
		h.bigEndian = true
	default:
		return walHeader{}, fmt.Errorf("%w: magic %#x", errBadWALHeader, magic)
	}
	if v := binary.BigEndian.Uint32(b[4:]); v != walFormatVersion {
		return walHeader{}, fmt.Errorf("%w: format version %d", errBadWALHeader, v)
	}
	h.pageSize = binary.BigEndian.Uint32(b[8:])
	if !validPageSize(h.pageSize) {
		return walHeader{}, fmt.Errorf("%w: page size %d", errBadWALHeader, h.pageSize)
	}
	h.ckptSeq = binary.BigEndian.Uint32(b[12:])
	h.salt1 = binary.BigEndian.Uint32(b[16:])
	h.salt2 = binary.BigEndian.Uint32(b[20:])
	h.sum = walChecksum(h.bigEndian, walSum{}, b[:24])
	if h.sum[0] != binary.BigEndian.Uint32(b[24:]) || h.sum[1] != binary.BigEndian.Uint32(b[28:]) {
		return walHeader{}, fmt.Errorf("%w: checksum mismatch", errBadWALHeader)
	}
	return h, nil
}

// validPageSize reports whether n is a page size SQLite can use.
func validPageSize(n uint32) bool {
	return n >= 512 && n <= 65536 && n&(n-1) == 0
}

// walChecksum continues checksum s over b, whose length must be a multiple
// of 8. The byte order of the words follows the WAL header's magic, not the
// host: a WAL stays readable when copied between machines.
func walChecksum(bigEndian bool, s walSum, b []byte) walSum {
	s0, s1 := s[0], s[1]
	if bigEndian {
		for ; len(b) >= 8; b = b[8:] {
			s0 += binary.BigEndian.Uint32(b) + s1
			s1 += binary.BigEndian.Uint32(b[4:]) + s0
		}
	} else {
		for ; len(b) >= 8; b = b[8:] {
			s0 += binary.LittleEndian.Uint32(b) + s1
			s1 += binary.LittleEndian.Uint32(b[4:]) + s0
		}
	}
	return walSum{s0, s1}
}

// walFrame is one valid frame as walScanner returns it.
type walFrame struct {
	off    int64  // offset of the frame header in the file
	pgno   uint32 // page number
	commit uint32 // database size in pages after the commit, or 0 if not a commit frame
	data   []byte // page contents
}

// walScanner walks the frames of one WAL generation in order, checking
// each one the way SQLite's recovery does: the salts must match the
// header's and the cumulative checksum, chained from the previous frame,
// must match. The first frame that fails ends the log — it is a torn
// write, a frame of a rolled-back transaction, or a leftover of an older
// generation — and so does the end of the file.
type walScanner struct {
	hdr  walHeader
	br   *bufio.Reader
	off  int64  // offset of the next frame
	sum  walSum // checksum chain up to (excluding) the next frame
	fhdr [walFrameHeaderSize]byte
	page []byte // reused page buffer when the caller does not keep pages
	done bool
}

// newWALScanner starts reading frames of the generation described by hdr at
// off, with sum being the checksum of everything before off (hdr.sum for
// the first frame). br may be nil; it is reset to read r from off.
func newWALScanner(r io.ReaderAt, hdr walHeader, off int64, sum walSum, br *bufio.Reader) *walScanner {
	sr := io.NewSectionReader(r, off, 1<<62)
	if br == nil {
		br = bufio.NewReaderSize(sr, 256<<10)
	} else {
		br.Reset(sr)
	}
	return &walScanner{hdr: hdr, br: br, off: off, sum: sum}
}

// next returns the next valid frame, or ok == false at the end of the
// valid log. With keep, the frame's data is a fresh slice the caller may
// retain; otherwise it is only valid until the next call. err is set only
// for read failures other than the file ending.
func (s *walScanner) next(keep bool) (f walFrame, ok bool, err error) {
	if s.done {
		return walFrame{}, false, nil
	}
	var data []byte
	if keep {
		data = make([]byte, s.hdr.pageSize)
	} else {
		if len(s.page) != int(s.hdr.pageSize) {
			s.page = make([]byte, s.hdr.pageSize)
		}
		data = s.page
	}
	if _, err := io.ReadFull(s.br, s.fhdr[:]); err != nil {
		return s.stop(err)
	}
	if _, err := io.ReadFull(s.br, data); err != nil {
		return s.stop(err)
	}
	h := s.fhdr[:]
	pgno := binary.BigEndian.Uint32(h[0:])
	commit := binary.BigEndian.Uint32(h[4:])
	if pgno == 0 || binary.BigEndian.Uint32(h[8:]) != s.hdr.salt1 || binary.BigEndian.Uint32(h[12:]) != s.hdr.salt2 {
		s.done = true
		return walFrame{}, false, nil
	}
	sum := walChecksum(s.hdr.bigEndian, s.sum, h[:8])
	sum = walChecksum(s.hdr.bigEndian, sum, data)
	if sum[0] != binary.BigEndian.Uint32(h[16:]) || sum[1] != binary.BigEndian.Uint32(h[20:]) {
		s.done = true
		return walFrame{}, false, nil
	}
	f = walFrame{off: s.off, pgno: pgno, commit: commit, data: data}
	s.sum = sum
	s.off += walFrameHeaderSize + int64(s.hdr.pageSize)
	return f, true, nil
}

func (s *walScanner) stop(err error) (walFrame, bool, error) {
	s.done = true
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return walFrame{}, false, nil
	}
	return walFrame{}, false, fmt.Errorf("reading WAL frame at offset %d: %w", s.off, err)
}

// readWALHeader reads and parses the header of the WAL open as r. A file
// shorter than a header yields errBadWALHeader like any invalid header.
func readWALHeader(r io.ReaderAt) (walHeader, error) {
	var b [walHeaderSize]byte
	n, err := r.ReadAt(b[:], 0)
	if n < walHeaderSize {
		if err != nil && !errors.Is(err, io.EOF) {
			return walHeader{}, fmt.Errorf("reading WAL header: %w", err)
		}
		return walHeader{}, fmt.Errorf("%w: file is %d bytes", errBadWALHeader, n)
	}
	return parseWALHeader(b[:])
}
