package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sqlcluster/sqlcluster/engine"
)

// syncer makes commits durable in groups. The writer runs SQLite with
// synchronous=NORMAL, so COMMIT appends its frames to the WAL without an
// fsync; a commit is acknowledged only after syncer.wait has seen an
// fdatasync of the WAL that started after the commit was written. One
// fdatasync covers every frame written before it, so commits that finish
// while a sync is in flight share the next one, and the write lock is not
// held while the disk flushes: the next transaction runs during the fsync
// of the previous ones.
//
// The cost of this design: another session may read a committed row before
// that commit is durable (and so before it is acknowledged); after a power
// loss the row can be gone although it was read. Acknowledged commits are
// never lost. SQLite itself syncs the WAL before every checkpoint, so a
// checkpoint never copies unsynced frames into the database file.
//
// An fdatasync failure is sticky, as PostgreSQL treats it: the page cache
// may have dropped the dirty pages, so nothing written since can be trusted
// to be on disk, and the database refuses further commits until restarted.
type syncer struct {
	walPath string
	dirPath string
	fsyncs  *atomic.Uint64

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	written uint64 // last commit whose frames are in the WAL
	synced  uint64 // last commit known durable
	syncing bool
	err     error
}

func newSyncer(dbPath string, fsyncs *atomic.Uint64) *syncer {
	s := &syncer{walPath: dbPath + "-wal", dirPath: filepath.Dir(dbPath), fsyncs: fsyncs}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// committed records that commit seq has been written to the WAL.
func (s *syncer) committed(seq uint64) {
	s.mu.Lock()
	if seq > s.written {
		s.written = seq
	}
	s.mu.Unlock()
}

// failed returns the sticky sync error, if any.
func (s *syncer) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// wait returns once commit seq is durable.
func (s *syncer) wait(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.synced < seq && s.err == nil {
		if s.syncing {
			s.cond.Wait()
			continue
		}
		s.syncing = true
		target := s.written
		s.mu.Unlock()
		err := s.sync()
		s.mu.Lock()
		s.syncing = false
		if err != nil {
			s.err = &engine.Error{Code: "58030", Message: "could not fsync the write-ahead log; the database refuses commits until the server restarts",
				Detail: err.Error(), Err: err}
		} else if target > s.synced {
			s.synced = target
		}
		s.cond.Broadcast()
	}
	return s.err
}

func (s *syncer) sync() error {
	if s.f == nil {
		f, err := os.OpenFile(s.walPath, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("opening %s: %w", s.walPath, err)
		}
		// The WAL file was created by SQLite without a directory sync;
		// make its directory entry durable once.
		if err := syncDir(s.dirPath); err != nil {
			f.Close()
			return err
		}
		s.f = f
	}
	s.fsyncs.Add(1)
	return syscall.Fdatasync(int(s.f.Fd()))
}

func (s *syncer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
