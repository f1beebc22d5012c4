package walstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Execer runs one SQL statement. It is one SQLite connection held
// exclusively by the caller for the duration of ApplyPages, so that BEGIN,
// the page writes and COMMIT all run on it.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) error
}

// dbpageTable is a connection-private instance of sqlite_dbpage in the
// temp schema. Statements on the eponymous sqlite_dbpage belong to the main
// schema, so each one first compares main's schema cookie; once page 1 with
// a new cookie is written, the next one would reload the schema from a
// half-applied transaction, with a page count SQLite has not caught up
// with, and fail. Statements on a temp table check only temp's cookie.
const dbpageTable = "temp.walstream_dbpage"

// applyBatch is how many pages go into one INSERT statement: fewer
// statements to run, while staying far below SQLite's limit of bound
// parameters per statement.
const applyBatch = 64

// ApplyPages writes the pages of t into the database behind x through the
// sqlite_dbpage virtual table, in one write transaction, and leaves the
// database exactly t.CommitSize pages long. Because the writes go through
// SQLite's pager, readers on other connections keep their snapshots and
// see the whole transaction or nothing of it, exactly as if it had been
// executed locally.
//
// How sqlite_dbpage behaves (its source, dbpage.c, and experiments with
// SQLite 3.54): INSERT and UPDATE both overwrite a page, INSERT also past
// the end, and the data must be exactly one page. INSERTing page N with
// NULL data schedules a cut to N-1 pages, carried out at COMMIT only if
// N-1 is below the page count the b-tree layer believes, and cancelled by
// any later page write. That belief is re-read from page 1 (header offset
// 28) whenever a statement journal closes, which multi-row statements open
// inside a transaction. So the other pages go in multi-row batches, then
// page 1 alone, then the cut alone: a transaction that shrinks the
// database really shrinks it.
//
// The database must use t.PageSize, unless it is empty (zero pages, as a
// brand-new file is), in which case it takes t.PageSize.
func ApplyPages(ctx context.Context, x Execer, t *Txn) (err error) {
	if err := checkApplicable(t); err != nil {
		return fmt.Errorf("walstream: applying %v to %q: %w", t.Pos, t.DB, err)
	}
	// Sets the page size of a database that has no page yet; a no-op for
	// any other (SQLite fixes the page size once the file has content).
	if err := x.Exec(ctx, "PRAGMA page_size = "+strconv.FormatUint(uint64(t.PageSize), 10)); err != nil {
		return fmt.Errorf("walstream: applying %v to %q: setting page size: %w", t.Pos, t.DB, err)
	}
	if err := x.Exec(ctx, "CREATE VIRTUAL TABLE IF NOT EXISTS "+dbpageTable+" USING sqlite_dbpage"); err != nil {
		return fmt.Errorf("walstream: applying %v to %q: creating %s: %w", t.Pos, t.DB, dbpageTable, err)
	}
	if err := x.Exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("walstream: applying %v to %q: beginning transaction: %w", t.Pos, t.DB, err)
	}
	defer func() {
		if err == nil {
			return
		}
		// The transaction must not stay open even if ctx is what failed.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := x.Exec(rctx, "ROLLBACK"); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
	}()

	var page1 *Page
	rest := make([]Page, 0, len(t.Pages))
	for i := range t.Pages {
		if t.Pages[i].No == 1 {
			page1 = &t.Pages[i]
		} else {
			rest = append(rest, t.Pages[i])
		}
	}
	for len(rest) > 0 {
		n := min(len(rest), applyBatch)
		if err := insertPages(ctx, x, rest[:n]); err != nil {
			return fmt.Errorf("walstream: applying %v to %q: %w", t.Pos, t.DB, explainApplyErr(err, t))
		}
		rest = rest[n:]
	}
	// A transaction that changes the database size always carries page 1,
	// which records the size (header offset 28); one without page 1 keeps
	// the size, and cutting would only force page 1 to be rewritten.
	if page1 != nil {
		if err := insertPages(ctx, x, []Page{*page1}); err != nil {
			return fmt.Errorf("walstream: applying %v to %q: writing page 1: %w", t.Pos, t.DB, explainApplyErr(err, t))
		}
		// Single-row statements need no statement journal, so the b-tree
		// still believes the old size here and the cut is not skipped.
		// (The tests check the replica's size; this relies on internals.)
		if err := x.Exec(ctx, "INSERT INTO "+dbpageTable+"(schema, pgno, data) VALUES ('main', ?, NULL)", int64(t.CommitSize)+1); err != nil {
			return fmt.Errorf("walstream: applying %v to %q: truncating to %d pages: %w", t.Pos, t.DB, t.CommitSize, err)
		}
	}
	if err := x.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("walstream: applying %v to %q: committing: %w", t.Pos, t.DB, err)
	}
	return nil
}

// insertPages writes pages with one INSERT.
func insertPages(ctx context.Context, x Execer, pages []Page) error {
	var q strings.Builder
	q.WriteString("INSERT INTO " + dbpageTable + "(schema, pgno, data) VALUES ")
	args := make([]any, 0, 2*len(pages))
	for i, p := range pages {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("('main', ?, ?)")
		args = append(args, int64(p.No), p.Data)
	}
	if err := x.Exec(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("writing pages %d..%d: %w", pages[0].No, pages[len(pages)-1].No, err)
	}
	return nil
}

// explainApplyErr turns sqlite_dbpage's terse refusal of a page of the
// wrong length into the actual cause: t was checked to carry pages of
// t.PageSize, so the target database uses another page size.
func explainApplyErr(err error, t *Txn) error {
	if strings.Contains(err.Error(), "bad page value") {
		return fmt.Errorf("page size %d differs from the target database's page size: %w", t.PageSize, err)
	}
	return err
}

// checkApplicable rejects a transaction that would corrupt the database
// rather than relying on SQLite to notice.
func checkApplicable(t *Txn) error {
	if t.Kind != KindPages {
		return fmt.Errorf("kind %d is not a page transaction", t.Kind)
	}
	if !validPageSize(t.PageSize) {
		return fmt.Errorf("invalid page size %d", t.PageSize)
	}
	if t.CommitSize == 0 || t.CommitSize == ^uint32(0) {
		return fmt.Errorf("invalid database size %d pages", t.CommitSize)
	}
	seen := make(map[uint32]struct{}, len(t.Pages))
	for _, p := range t.Pages {
		if p.No == 0 || p.No > t.CommitSize {
			return fmt.Errorf("page %d outside a database of %d pages", p.No, t.CommitSize)
		}
		if len(p.Data) != int(t.PageSize) {
			return fmt.Errorf("page %d is %d bytes, want %d", p.No, len(p.Data), t.PageSize)
		}
		if _, dup := seen[p.No]; dup {
			return fmt.Errorf("page %d appears twice", p.No)
		}
		seen[p.No] = struct{}{}
	}
	return nil
}
