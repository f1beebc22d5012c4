package snapshot

import (
	"context"
	"fmt"
	"sort"
)

// PageQuerier reads one SQLite database through a connection that holds an
// open read transaction (BEGIN and a first read establish its snapshot), so
// that every call sees the same state of the file. QueryPage runs
// `SELECT data FROM sqlite_dbpage WHERE pgno = ?`; PageCount and PageSize
// run the pragmas of the same names.
type PageQuerier interface {
	QueryPage(ctx context.Context, pgno uint32) ([]byte, error)
	PageCount(ctx context.Context) (uint32, error)
	PageSize(ctx context.Context) (uint32, error)
}

// NewSQLiteSource returns a Source over the databases in dbs, named by
// their keys and written in name order. It reads every database's page
// size and count now, inside the callers' read transactions; those must
// stay open until Write returns.
//
// A database with no pages (a file SQLite never wrote) is refused: it could
// not be installed through sqlite_dbpage, which cannot shrink a database
// below one page.
func NewSQLiteSource(ctx context.Context, dbs map[string]PageQuerier) (Source, error) {
	src := &sqliteSource{byName: make(map[string]sqliteDB, len(dbs))}
	for name, q := range dbs {
		ps, err := q.PageSize(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the page size of database %q: %w", name, err)
		}
		pc, err := q.PageCount(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the page count of database %q: %w", name, err)
		}
		info := DBInfo{Name: name, PageSize: ps, Pages: pc}
		if err := info.validate(); err != nil {
			return nil, err
		}
		if pc == 0 {
			return nil, fmt.Errorf("database %q has no pages", name)
		}
		src.infos = append(src.infos, info)
		src.byName[name] = sqliteDB{info, q}
	}
	sort.Slice(src.infos, func(i, j int) bool { return src.infos[i].Name < src.infos[j].Name })
	return src, nil
}

type sqliteDB struct {
	info DBInfo
	q    PageQuerier
}

type sqliteSource struct {
	infos  []DBInfo
	byName map[string]sqliteDB
}

func (s *sqliteSource) Databases() []DBInfo { return append([]DBInfo(nil), s.infos...) }

func (s *sqliteSource) ReadPage(ctx context.Context, db string, pgno uint32) ([]byte, error) {
	d, ok := s.byName[db]
	if !ok {
		return nil, fmt.Errorf("no database %q in this snapshot", db)
	}
	if pgno < 1 || pgno > d.info.Pages {
		return nil, fmt.Errorf("page %d of database %q is outside its %d pages", pgno, db, d.info.Pages)
	}
	data, err := d.q.QueryPage(ctx, pgno)
	if err != nil {
		return nil, err
	}
	if len(data) != int(d.info.PageSize) {
		// sqlite_dbpage returns no row past the end of the file: the
		// connection is not holding the read transaction it must.
		return nil, fmt.Errorf("sqlite_dbpage returned %d bytes for page %d of database %q, want %d (is the read transaction still open?)", len(data), pgno, db, d.info.PageSize)
	}
	return data, nil
}
