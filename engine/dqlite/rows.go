package dqlite

import (
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// streamRows adapts a go-dqlite result set to engine.Rows. release runs
// once, when the rows are done with their connection (a pooled connection
// goes back to the pool; a pinned one stays with its transaction).
type streamRows struct {
	cols    []engine.Column
	c       *conn
	r       *driverRows
	vals    []driver.Value
	release func()

	// After materialize, the remaining rows are served from memory.
	buffered bool
	buf      [][]any
	pos      int
	err      error // error met while buffering, reported after the rows

	count int64
	isDML bool
	done  bool
}

func newStreamRows(c *conn, r *driverRows, cols []engine.Column, isDML bool, release func()) *streamRows {
	s := &streamRows{cols: cols, c: c, r: r, release: release, isDML: isDML,
		vals: make([]driver.Value, len(r.inner.Columns()))}
	c.active = s
	return s
}

func (s *streamRows) Columns() []engine.Column { return s.cols }

func (s *streamRows) Next(dest []any) error {
	if s.buffered {
		if s.pos < len(s.buf) {
			copy(dest, s.buf[s.pos])
			s.pos++
			s.count++
			return nil
		}
		if s.err != nil {
			return s.err
		}
		return io.EOF
	}
	if s.done {
		return io.EOF
	}
	if err := s.r.next(s.vals); err != nil {
		s.finish()
		if err == io.EOF {
			return io.EOF
		}
		return translateError(err)
	}
	s.fill(dest)
	s.count++
	return nil
}

func (s *streamRows) fill(dest []any) {
	for i, v := range s.vals {
		if i >= len(dest) {
			break
		}
		decl := ""
		if i < len(s.cols) {
			decl = s.cols[i].DeclType
		}
		dest[i] = normalizeValue(v, decl)
	}
}

// materialize reads the rest of the result into memory and frees the
// connection for other requests.
func (s *streamRows) materialize() error {
	if s.buffered || s.done {
		return nil
	}
	s.buffered = true
	for {
		if err := s.r.next(s.vals); err != nil {
			if err != io.EOF {
				s.err = translateError(err)
			}
			break
		}
		row := make([]any, len(s.vals))
		s.fill(row)
		s.buf = append(s.buf, row)
	}
	s.finish()
	return nil
}

// abandon is called when the connection closes under the rows.
func (s *streamRows) abandon() {
	if !s.done {
		s.buffered = true
		s.err = engine.Errorf("08006", "connection to the raft leader closed")
		s.r.close()
		s.done = true
		s.c.active = nil
	}
}

// finish closes the driver rows and lets go of the connection.
func (s *streamRows) finish() {
	if s.done {
		return
	}
	s.done = true
	if err := s.r.close(); err != nil && s.err == nil && !errors.Is(err, io.EOF) {
		s.err = translateError(err)
	}
	if s.c.active == s {
		s.c.active = nil
	}
	if s.release != nil {
		s.release()
		s.release = nil
	}
}

func (s *streamRows) RowsAffected() int64 {
	if s.isDML {
		return s.count
	}
	return 0
}

func (s *streamRows) Close() error {
	if !s.done {
		s.finish()
	}
	if s.release != nil {
		s.release()
		s.release = nil
	}
	s.buf = nil
	return nil
}

// bufferedRows is a result read completely before it is returned: writes
// finish (and commit) before the client sees their rows.
type bufferedRows struct {
	cols     []engine.Column
	data     [][]any
	pos      int
	affected int64
}

func (r *bufferedRows) Columns() []engine.Column { return r.cols }
func (r *bufferedRows) Next(dest []any) error {
	if r.pos >= len(r.data) {
		return io.EOF
	}
	copy(dest, r.data[r.pos])
	r.pos++
	return nil
}
func (r *bufferedRows) RowsAffected() int64 { return r.affected }
func (r *bufferedRows) Close() error        { r.data = nil; return nil }

// normalizeValue undoes go-dqlite's conversions so that every layer above
// sees what SQLite stores, as in single mode: go-dqlite turns text in
// DATE/DATETIME/TIMESTAMP columns into time.Time, integers there into
// local-time time.Time, and integers in BOOLEAN columns into bool.
func normalizeValue(v driver.Value, decl string) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		if x.Location() == time.Local && time.Local != time.UTC {
			// Decoded from an integer (Unix seconds).
			return x.Unix()
		}
		if strings.EqualFold(decl, "date") {
			return x.Format("2006-01-02")
		}
		if _, off := x.Zone(); off != 0 {
			return x.Format("2006-01-02 15:04:05.999999-07:00")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return v
}
