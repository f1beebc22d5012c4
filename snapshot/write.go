package snapshot

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"io"
	"time"
)

// Source is a consistent, read-only view of a node's databases: the engine
// provides it with a read transaction held open on every database.
type Source interface {
	// Databases lists the databases and their sizes at the snapshot.
	Databases() []DBInfo
	// ReadPage returns page pgno (1-based) of db, exactly PageSize bytes.
	// The slice is only used until the next call.
	ReadPage(ctx context.Context, db string, pgno uint32) ([]byte, error)
}

// Write writes a snapshot of src to w. Version, Databases and DBs of h are
// set from src; a zero Created becomes the current time. progress, if not
// nil, is called with the bytes written so far and the stream's exact total
// length, first with done 0 and last with done == total.
//
// If Write fails, w holds a prefix of a snapshot that Read rejects.
func Write(ctx context.Context, w io.Writer, h Header, src Source, progress func(done, total int64)) error {
	h.DBs = append([]DBInfo(nil), src.Databases()...)
	h.Databases = len(h.DBs)
	h.Version = FormatVersion
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	if err := validateDBs(h.DBs); err != nil {
		return fmt.Errorf("checking the source's databases: %w", err)
	}
	if len(h.NodeID) > maxIDLen || len(h.ClusterID) > maxIDLen {
		return fmt.Errorf("node or cluster id longer than %d bytes", maxIDLen)
	}

	sw := &sectionWriter{w: bufio.NewWriterSize(w, 256<<10), total: streamLen(&h), progress: progress}
	sw.report(true)
	if err := sw.write(encodeHeader(&h)); err != nil {
		return fmt.Errorf("writing the header: %w", err)
	}
	hsum, err := sw.endSection()
	if err != nil {
		return fmt.Errorf("writing the header: %w", err)
	}
	stream := chainSum(0, hsum)
	for _, d := range h.DBs {
		sum, err := writeDatabase(ctx, sw, src, d)
		if err != nil {
			return err
		}
		stream = chainSum(stream, sum)
	}

	t := make([]byte, 0, trailerLen)
	t = append(t, trailerMagic...)
	t = binary.LittleEndian.AppendUint64(t, uint64(sw.total))
	t = binary.LittleEndian.AppendUint64(t, stream)
	if err := sw.write(t); err != nil {
		return fmt.Errorf("writing the trailer: %w", err)
	}
	if err := sw.w.Flush(); err != nil {
		return fmt.Errorf("writing the trailer: %w", err)
	}
	if sw.n != sw.total {
		// A bug in the length arithmetic would make Read reject every
		// snapshot; fail here where it is obvious.
		return fmt.Errorf("wrote %d bytes, expected %d", sw.n, sw.total)
	}
	sw.report(true)
	return nil
}

func writeDatabase(ctx context.Context, sw *sectionWriter, src Source, d DBInfo) (uint64, error) {
	if err := sw.write(appendDescriptor(nil, d)); err != nil {
		return 0, fmt.Errorf("writing database %q: %w", d.Name, err)
	}
	for pgno := uint32(1); pgno <= d.Pages; pgno++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("writing database %q: %w", d.Name, err)
		}
		data, err := src.ReadPage(ctx, d.Name, pgno)
		if err != nil {
			return 0, fmt.Errorf("reading page %d of database %q: %w", pgno, d.Name, err)
		}
		if len(data) != int(d.PageSize) {
			return 0, fmt.Errorf("reading page %d of database %q: got %d bytes, want %d", pgno, d.Name, len(data), d.PageSize)
		}
		if err := sw.write(data); err != nil {
			return 0, fmt.Errorf("writing page %d of database %q: %w", pgno, d.Name, err)
		}
		sw.report(false)
	}
	sum, err := sw.endSection()
	if err != nil {
		return 0, fmt.Errorf("writing database %q: %w", d.Name, err)
	}
	return sum, nil
}

// chainSum folds a section's CRC into the stream CRC.
func chainSum(stream, section uint64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], section)
	return crc64.Update(stream, crcTable, b[:])
}

// sectionWriter is the writing twin of sectionReader.
type sectionWriter struct {
	w        *bufio.Writer
	crc      uint64
	n        int64
	total    int64
	reported int64
	progress func(done, total int64)
}

func (s *sectionWriter) write(p []byte) error {
	s.crc = crc64.Update(s.crc, crcTable, p)
	n, err := s.w.Write(p)
	s.n += int64(n)
	return err
}

// endSection writes the current section's CRC and starts the next section.
func (s *sectionWriter) endSection() (uint64, error) {
	sum := s.crc
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], sum)
	n, err := s.w.Write(b[:])
	s.n += int64(n)
	s.crc = 0
	return sum, err
}

func (s *sectionWriter) report(force bool) {
	if s.progress == nil {
		return
	}
	if force || s.n-s.reported >= progressEvery {
		s.reported = s.n
		s.progress(s.n, s.total)
	}
}
