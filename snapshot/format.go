package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"time"
	"unicode/utf8"
)

// FormatVersion is the format version Write produces and Read accepts.
const FormatVersion = 1

const (
	headerMagic  = "SQCSNAP1"
	trailerMagic = "SQCSEND1"

	// Limits on what a stream may declare. They bound the memory a corrupt
	// or hostile header can make Read allocate before its CRC is checked.
	maxIDLen     = 1024
	maxNameLen   = 1024
	maxDatabases = 1 << 16
	minPageSize  = 512
	maxPageSize  = 65536
	maxPages     = 4294967294 // SQLite's largest page number
	// maxStreamSize keeps every length computation far from overflowing.
	maxStreamSize = 1 << 60

	fixedHeaderLen = 8 + 2 + 2 + 8 + 8 + 8 + 8
	trailerLen     = 8 + 8 + 8
)

// ErrCorrupt is wrapped by every error about the stream's content: a bad
// magic number, an impossible field, a checksum mismatch or a truncation.
var ErrCorrupt = errors.New("corrupt snapshot")

var crcTable = crc64.MakeTable(crc64.ECMA)

// Header describes a snapshot: where it was taken and what it holds.
type Header struct {
	Version   int // FormatVersion; set by Write
	Created   time.Time
	NodeID    string
	ClusterID string
	// Epoch and TxID are the replicated position every database is at;
	// Sum is the chained checksum at that position.
	Epoch, TxID, Sum uint64
	Databases        int // len(DBs); set by Write
	// DBs lists the databases in stream order. Write fills it from the
	// Source; Read and ReadHeader from the stream's directory.
	DBs []DBInfo
}

// DBInfo describes one database of a snapshot.
type DBInfo struct {
	Name     string
	PageSize uint32
	Pages    uint32
}

// Size is the database's size in bytes.
func (d DBInfo) Size() int64 { return int64(d.PageSize) * int64(d.Pages) }

func (d DBInfo) validate() error {
	if err := validateName(d.Name); err != nil {
		return err
	}
	if d.PageSize < minPageSize || d.PageSize > maxPageSize || d.PageSize&(d.PageSize-1) != 0 {
		return fmt.Errorf("database %q: page size %d is not a power of two between %d and %d", d.Name, d.PageSize, minPageSize, maxPageSize)
	}
	if d.Pages > maxPages {
		return fmt.Errorf("database %q: %d pages is more than SQLite allows", d.Name, d.Pages)
	}
	return nil
}

func validateName(name string) error {
	switch {
	case name == "":
		return errors.New("empty database name")
	case len(name) > maxNameLen:
		return fmt.Errorf("database name of %d bytes is longer than %d", len(name), maxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("database name %q is not UTF-8", name)
	}
	return nil
}

// validateDBs checks a directory as both Write and Read require it.
func validateDBs(dbs []DBInfo) error {
	if len(dbs) > maxDatabases {
		return fmt.Errorf("%d databases is more than %d", len(dbs), maxDatabases)
	}
	seen := make(map[string]bool, len(dbs))
	var size int64
	for _, d := range dbs {
		if err := d.validate(); err != nil {
			return err
		}
		// Each database is below 2^48 bytes, so the sum cannot overflow
		// before it is checked.
		if size += d.Size(); size > maxStreamSize {
			return fmt.Errorf("databases larger than %d bytes in total", int64(maxStreamSize))
		}
		if seen[d.Name] {
			return fmt.Errorf("database %q appears twice", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

func descriptorLen(d DBInfo) int64 { return 2 + int64(len(d.Name)) + 4 + 4 }

func headerLen(h *Header) int64 {
	n := int64(fixedHeaderLen) + 2 + int64(len(h.NodeID)) + 2 + int64(len(h.ClusterID)) + 4
	for _, d := range h.DBs {
		n += descriptorLen(d)
	}
	return n + 8
}

// streamLen is the exact length of the stream h describes.
func streamLen(h *Header) int64 {
	n := headerLen(h)
	for _, d := range h.DBs {
		n += descriptorLen(d) + d.Size() + 8
	}
	return n + trailerLen
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendDescriptor(b []byte, d DBInfo) []byte {
	b = appendString(b, d.Name)
	b = binary.LittleEndian.AppendUint32(b, d.PageSize)
	return binary.LittleEndian.AppendUint32(b, d.Pages)
}

// encodeHeader returns the header's bytes up to (not including) its CRC.
func encodeHeader(h *Header) []byte {
	b := make([]byte, 0, headerLen(h))
	b = append(b, headerMagic...)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Version))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Created.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, h.Epoch)
	b = binary.LittleEndian.AppendUint64(b, h.TxID)
	b = binary.LittleEndian.AppendUint64(b, h.Sum)
	b = appendString(b, h.NodeID)
	b = appendString(b, h.ClusterID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.DBs)))
	for _, d := range h.DBs {
		b = appendDescriptor(b, d)
	}
	return b
}

// sectionReader reads the stream exactly (never past the snapshot's last
// byte), keeps a running CRC of the current section and counts bytes for
// progress reports.
type sectionReader struct {
	r        io.Reader
	crc      uint64
	n        int64
	total    int64
	reported int64
	progress func(done, total int64)
	buf      [16]byte
}

// read fills p, naming what in the error when the stream ends early.
func (s *sectionReader) read(p []byte, what string) error {
	n, err := io.ReadFull(s.r, p)
	s.n += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: stream ends in %s: %w", ErrCorrupt, what, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("reading %s: %w", what, err)
	}
	s.crc = crc64.Update(s.crc, crcTable, p)
	return nil
}

func (s *sectionReader) u16(what string) (uint16, error) {
	if err := s.read(s.buf[:2], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(s.buf[:2]), nil
}

func (s *sectionReader) u32(what string) (uint32, error) {
	if err := s.read(s.buf[:4], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(s.buf[:4]), nil
}

func (s *sectionReader) u64(what string) (uint64, error) {
	if err := s.read(s.buf[:8], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(s.buf[:8]), nil
}

func (s *sectionReader) str(max int, what string) (string, error) {
	n, err := s.u16(what)
	if err != nil {
		return "", err
	}
	if int(n) > max {
		return "", fmt.Errorf("%w: %s is %d bytes long, more than %d", ErrCorrupt, what, n, max)
	}
	b := make([]byte, n)
	if err := s.read(b, what); err != nil {
		return "", err
	}
	return string(b), nil
}

// checkCRC reads a stored CRC (outside the running one) and compares it
// with the section's.
func (s *sectionReader) checkCRC(what string) (uint64, error) {
	want := s.crc
	got, err := s.u64(what + " checksum")
	if err != nil {
		return 0, err
	}
	if got != want {
		return 0, fmt.Errorf("%w: %s checksum mismatch (stored %016x, computed %016x)", ErrCorrupt, what, got, want)
	}
	return want, nil
}

func (s *sectionReader) report(force bool) {
	if s.progress == nil || s.total == 0 {
		return
	}
	if force || s.n-s.reported >= progressEvery {
		s.reported = s.n
		s.progress(s.n, s.total)
	}
}

// progressEvery throttles progress callbacks: often enough for a progress
// bar, rarely enough that a logging callback is harmless.
const progressEvery = 256 << 10

// readHeader reads and verifies the header, returning its CRC.
func readHeader(s *sectionReader) (Header, uint64, error) {
	var h Header
	s.crc = 0
	var fixed [fixedHeaderLen]byte
	if err := s.read(fixed[:], "header"); err != nil {
		return h, 0, err
	}
	if string(fixed[:8]) != headerMagic {
		return h, 0, fmt.Errorf("%w: not a snapshot (magic %q, want %q)", ErrCorrupt, fixed[:8], headerMagic)
	}
	h.Version = int(binary.LittleEndian.Uint16(fixed[8:]))
	if h.Version != FormatVersion {
		return h, 0, fmt.Errorf("%w: unsupported format version %d (this build reads %d)", ErrCorrupt, h.Version, FormatVersion)
	}
	if flags := binary.LittleEndian.Uint16(fixed[10:]); flags != 0 {
		return h, 0, fmt.Errorf("%w: unknown header flags %#x", ErrCorrupt, flags)
	}
	h.Created = time.Unix(0, int64(binary.LittleEndian.Uint64(fixed[12:])))
	h.Epoch = binary.LittleEndian.Uint64(fixed[20:])
	h.TxID = binary.LittleEndian.Uint64(fixed[28:])
	h.Sum = binary.LittleEndian.Uint64(fixed[36:])
	var err error
	if h.NodeID, err = s.str(maxIDLen, "node id"); err != nil {
		return h, 0, err
	}
	if h.ClusterID, err = s.str(maxIDLen, "cluster id"); err != nil {
		return h, 0, err
	}
	n, err := s.u32("database count")
	if err != nil {
		return h, 0, err
	}
	if n > maxDatabases {
		return h, 0, fmt.Errorf("%w: %d databases is more than %d", ErrCorrupt, n, maxDatabases)
	}
	h.Databases = int(n)
	for i := 0; i < int(n); i++ {
		d, err := readDescriptor(s, fmt.Sprintf("directory entry %d", i))
		if err != nil {
			return h, 0, err
		}
		h.DBs = append(h.DBs, d)
	}
	sum, err := s.checkCRC("header")
	if err != nil {
		return h, 0, err
	}
	// Only now, with the CRC verified, is a bad directory a real one.
	if err := validateDBs(h.DBs); err != nil {
		return h, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return h, sum, nil
}

func readDescriptor(s *sectionReader, what string) (DBInfo, error) {
	var d DBInfo
	var err error
	if d.Name, err = s.str(maxNameLen, what+" name"); err != nil {
		return d, err
	}
	if d.PageSize, err = s.u32(what + " page size"); err != nil {
		return d, err
	}
	if d.Pages, err = s.u32(what + " page count"); err != nil {
		return d, err
	}
	return d, nil
}

func leUint64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
