package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Installer receives a snapshot database by database.
type Installer interface {
	// Begin starts installing db. Read may begin the next database before
	// committing this one: every DBWriter of a snapshot stays open until
	// the whole stream has been verified.
	Begin(ctx context.Context, db DBInfo) (DBWriter, error)
}

// DBWriter installs one database. Read calls WritePage for pages 1..Pages
// in order, then exactly one of Commit or Abort.
type DBWriter interface {
	// WritePage writes one page. data is only valid during the call.
	WritePage(ctx context.Context, pgno uint32, data []byte) error
	// Commit makes the database the snapshot's. Read calls it only after
	// this database's checksum and the stream's trailer verified. A Commit
	// that fails must leave the database as it was (Read does not call
	// Abort after it).
	Commit(ctx context.Context) error
	// Abort discards everything written; the database is left as it was.
	Abort() error
}

// ReadHeader reads and verifies a snapshot's header (including its
// directory of databases) and nothing after it.
func ReadHeader(r io.Reader) (Header, error) {
	h, _, err := readHeader(&sectionReader{r: r})
	if err != nil {
		return Header{}, fmt.Errorf("reading snapshot header: %w", err)
	}
	return h, nil
}

// Read reads a snapshot from r and installs it through inst, committing
// every database only once the whole stream verified (see the package
// documentation). It reads exactly the snapshot's bytes from r.
//
// progress, if not nil, is called with the bytes read so far and the
// stream's total length. total is only known once the header (with its
// directory) has been read, so Read makes its first call then; a progress
// callback shared with other sources should treat total 0 as unknown. The
// last call has done == total.
//
// The returned Header is the snapshot's whenever its header could be read,
// even if Read then fails.
func Read(ctx context.Context, r io.Reader, inst Installer, progress func(done, total int64)) (Header, error) {
	s := &sectionReader{r: r, progress: progress}
	h, hsum, err := readHeader(s)
	if err != nil {
		return Header{}, fmt.Errorf("reading snapshot header: %w", err)
	}
	s.total = streamLen(&h)
	s.report(true)

	type pending struct {
		name string
		w    DBWriter
	}
	var open []pending
	abortFrom := func(i int, cause error) error {
		for _, p := range open[i:] {
			if err := p.w.Abort(); err != nil {
				cause = errors.Join(cause, fmt.Errorf("aborting database %q: %w", p.name, err))
			}
		}
		return cause
	}

	stream := chainSum(0, hsum)
	for i, d := range h.DBs {
		w, sum, err := readDatabase(ctx, s, inst, i, d)
		if err != nil {
			return h, abortFrom(0, err)
		}
		open = append(open, pending{d.Name, w})
		stream = chainSum(stream, sum)
	}
	if err := readTrailer(s, stream); err != nil {
		return h, abortFrom(0, err)
	}

	for i, p := range open {
		if err := ctx.Err(); err != nil {
			return h, abortFrom(i, partial(i, h, err))
		}
		if err := p.w.Commit(ctx); err != nil {
			// This database's transaction failed as a whole; the ones
			// still open are rolled back. Earlier ones stay committed.
			return h, abortFrom(i+1, partial(i, h, fmt.Errorf("committing database %q: %w", p.name, err)))
		}
	}
	s.report(true)
	return h, nil
}

// partial describes a failure after the first committed databases.
func partial(committed int, h Header, err error) error {
	if committed == 0 {
		return err
	}
	names := make([]string, committed)
	for i := range names {
		names[i] = h.DBs[i].Name
	}
	return fmt.Errorf("%w (databases %q were already committed from the snapshot)", err, names)
}

// readDatabase reads database i's section into a new DBWriter and verifies
// its checksum. On error the DBWriter, if any, has been aborted.
func readDatabase(ctx context.Context, s *sectionReader, inst Installer, i int, want DBInfo) (_ DBWriter, _ uint64, err error) {
	s.crc = 0
	got, err := readDescriptor(s, fmt.Sprintf("database %q", want.Name))
	if err != nil {
		return nil, 0, err
	}
	if got != want {
		return nil, 0, fmt.Errorf("%w: section %d describes %+v but the directory says %+v", ErrCorrupt, i, got, want)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("installing database %q: %w", want.Name, err)
	}
	w, err := inst.Begin(ctx, want)
	if err != nil {
		return nil, 0, fmt.Errorf("beginning to install database %q: %w", want.Name, err)
	}
	defer func() {
		if err != nil {
			if aerr := w.Abort(); aerr != nil {
				err = errors.Join(err, fmt.Errorf("aborting database %q: %w", want.Name, aerr))
			}
		}
	}()

	page := make([]byte, want.PageSize)
	for pgno := uint32(1); pgno <= want.Pages; pgno++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("installing database %q: %w", want.Name, err)
		}
		if err := s.read(page, fmt.Sprintf("page %d of database %q", pgno, want.Name)); err != nil {
			return nil, 0, err
		}
		if err := w.WritePage(ctx, pgno, page); err != nil {
			return nil, 0, fmt.Errorf("installing page %d of database %q: %w", pgno, want.Name, err)
		}
		s.report(false)
	}
	sum, err := s.checkCRC(fmt.Sprintf("database %q", want.Name))
	if err != nil {
		return nil, 0, err
	}
	return w, sum, nil
}

func readTrailer(s *sectionReader, stream uint64) error {
	end := s.n + trailerLen
	var t [trailerLen]byte
	if err := s.read(t[:], "trailer"); err != nil {
		return err
	}
	if string(t[:8]) != trailerMagic {
		return fmt.Errorf("%w: bad trailer magic %q", ErrCorrupt, t[:8])
	}
	if n := int64(leUint64(t[8:])); n != end {
		return fmt.Errorf("%w: trailer says the stream is %d bytes long, read %d", ErrCorrupt, n, end)
	}
	if got := leUint64(t[16:]); got != stream {
		return fmt.Errorf("%w: stream checksum mismatch (stored %016x, computed %016x)", ErrCorrupt, got, stream)
	}
	return nil
}
