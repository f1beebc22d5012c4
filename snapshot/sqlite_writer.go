package snapshot

import (
	"context"
	"errors"
	"fmt"
)

// Execer runs one statement on a SQLite connection.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) error
}

// NewSQLiteDBWriter installs a database through x, a connection to the
// target file, using the sqlite_dbpage virtual table inside one write
// transaction (BEGIN IMMEDIATE, taken here). x must not be in a transaction
// and must not be used by anyone else until Commit or Abort returns.
//
// How the writes are ordered follows from sqlite_dbpage:
//
//   - INSERT INTO sqlite_dbpage(pgno, data) replaces a page, or appends it
//     past the end of the file, so the same statement installs into an
//     empty file and over an existing one.
//   - The database is shrunk to the snapshot's size with
//     INSERT (Pages+1, NULL), which truncates at commit. Any later page
//     write cancels a pending truncation, so it is the very last write.
//   - Page 1 is held back and written last, in the same statement as the
//     truncation. A statement prepared after page 1 changed reloads the
//     schema from it, and inside this transaction that fails ("malformed
//     database schema ... invalid rootpage"): sqlite_dbpage writes below
//     the b-tree layer, whose idea of the database size stays the old one
//     until the commit. Until page 1 is written the connection sees the old,
//     self-consistent schema.
//   - A page's size cannot change. The snapshot's page size is set with
//     PRAGMA page_size before the transaction, which only takes effect on a
//     zero-length file; any other file must already have the snapshot's
//     page size, or the first write fails.
//   - The lock-byte page (the one holding file offset 1 GiB) is never
//     written: SQLite refuses to touch it and reads it as zeros.
//
// Readers of the target keep the snapshot their read transaction started
// with and see the new content from their next transaction. But a
// connection caches the schema and only reloads it when the schema cookie
// (page 1, offset 40) changes, and the installed file's cookie may equal the
// old one: Commit resets x's schema cache with PRAGMA writable_schema=RESET,
// and every other connection to the file must do the same (or be reopened)
// before it is used again.
func NewSQLiteDBWriter(ctx context.Context, x Execer, info DBInfo) (DBWriter, error) {
	if err := info.validate(); err != nil {
		return nil, err
	}
	if info.Pages == 0 {
		return nil, fmt.Errorf("database %q: cannot install a database with no pages through sqlite_dbpage", info.Name)
	}
	if err := x.Exec(ctx, fmt.Sprintf("PRAGMA page_size = %d", info.PageSize)); err != nil {
		return nil, fmt.Errorf("setting the page size of database %q: %w", info.Name, err)
	}
	if err := x.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("beginning to install database %q: %w", info.Name, err)
	}
	return &sqliteDBWriter{x: x, info: info, next: 1, lockPage: lockBytePage(info.PageSize)}, nil
}

// lockBytePage is the page that holds SQLite's lock bytes (PENDING_BYTE).
func lockBytePage(pageSize uint32) uint32 { return 0x40000000/pageSize + 1 }

const insertPage = "INSERT INTO sqlite_dbpage(pgno, data) VALUES (?, ?)"

type sqliteDBWriter struct {
	x        Execer
	info     DBInfo
	next     uint32 // the page WritePage expects
	lockPage uint32
	page1    []byte
	done     bool
}

func (w *sqliteDBWriter) WritePage(ctx context.Context, pgno uint32, data []byte) error {
	switch {
	case w.done:
		return fmt.Errorf("database %q: write after commit or abort", w.info.Name)
	case pgno != w.next || pgno > w.info.Pages:
		return fmt.Errorf("database %q: got page %d, want page %d of %d", w.info.Name, pgno, w.next, w.info.Pages)
	case len(data) != int(w.info.PageSize):
		return fmt.Errorf("database %q: page %d has %d bytes, want %d", w.info.Name, pgno, len(data), w.info.PageSize)
	}
	w.next++
	switch pgno {
	case 1:
		w.page1 = append([]byte(nil), data...)
		return nil
	case w.lockPage:
		return nil
	}
	return w.write(ctx, pgno, data)
}

func (w *sqliteDBWriter) write(ctx context.Context, pgno uint32, data []byte) error {
	if err := w.x.Exec(ctx, insertPage, int64(pgno), data); err != nil {
		return fmt.Errorf("writing page %d of database %q (%d-byte pages) through sqlite_dbpage: %w", pgno, w.info.Name, w.info.PageSize, err)
	}
	return nil
}

func (w *sqliteDBWriter) Commit(ctx context.Context) error {
	if w.done {
		return fmt.Errorf("database %q: commit after commit or abort", w.info.Name)
	}
	if err := w.commit(ctx); err != nil {
		// A failed Commit leaves the database as it was, like Abort.
		if aerr := w.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return err
	}
	w.done = true
	if err := w.x.Exec(ctx, "PRAGMA writable_schema = RESET"); err != nil {
		return fmt.Errorf("database %q was installed, but resetting the connection's schema cache failed: %w", w.info.Name, err)
	}
	return nil
}

func (w *sqliteDBWriter) commit(ctx context.Context) error {
	if w.next != w.info.Pages+1 {
		return fmt.Errorf("database %q: commit after %d of %d pages", w.info.Name, w.next-1, w.info.Pages)
	}
	// Page 1 and the truncation in one statement: prepared while page 1
	// is still the old one, it cannot trip over the new schema.
	q, args := insertPage, []any{int64(1), w.page1}
	if w.info.Pages < maxPages {
		q, args = insertPage+", (?, NULL)", append(args, int64(w.info.Pages)+1)
	}
	if err := w.x.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("writing page 1 of database %q and truncating it to %d pages: %w", w.info.Name, w.info.Pages, err)
	}
	if err := w.x.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("committing database %q: %w", w.info.Name, err)
	}
	return nil
}

func (w *sqliteDBWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	// ROLLBACK never waits for a lock, so it needs no deadline; it must
	// run even when the context that failed the install is cancelled.
	if err := w.x.Exec(context.Background(), "ROLLBACK"); err != nil {
		return fmt.Errorf("rolling back database %q: %w", w.info.Name, err)
	}
	return nil
}
