package wire

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
)

// Cursors (DECLARE/FETCH/MOVE/CLOSE) are portals named in SQL. They read
// forward only; a WITH HOLD cursor is materialised when its transaction
// commits, as PostgreSQL does, so it no longer needs the transaction.

func (c *clientConn) cursor(name string) (*portal, error) {
	cur, ok := c.cursors[name]
	if !ok {
		return nil, &engine.Error{Code: "34000", Message: fmt.Sprintf("cursor %q does not exist", name)}
	}
	return cur, nil
}

func (c *clientConn) declare(ctx context.Context, st *pgsql.Statement) error {
	d := st.Declare
	inTx := c.txStatus != 'I' || c.implicit
	if !inTx && !d.Hold {
		return &engine.Error{Code: "25P01", Message: "DECLARE CURSOR can only be used in transaction blocks"}
	}
	if _, ok := c.cursors[d.Name]; ok {
		return &engine.Error{Code: "42P03", Message: fmt.Sprintf("cursor %q already exists", d.Name)}
	}
	p, err := c.prepare(ctx, "", d.Query, nil)
	if err != nil {
		return err
	}
	if !p.engine || !p.stmt.ReadOnly {
		return &engine.Error{Code: "42601", Message: "cursor query must be a SELECT or VALUES statement"}
	}
	if err := c.describe(ctx, p); err != nil {
		return err
	}
	cur := &portal{name: d.Name, p: p, cols: p.cols, holdable: d.Hold, inTx: inTx}
	if d.Binary {
		cur.formats = []int16{1}
	}
	if !inTx {
		if err := c.materialize(cur); err != nil {
			return err
		}
	}
	c.cursors[d.Name] = cur
	return nil
}

// materialize reads the rest of a cursor into memory.
func (c *clientConn) materialize(cur *portal) error {
	if _, ok := cur.rows.(*memRows); ok {
		return nil
	}
	m := &memRows{cols: make([]engine.Column, len(cur.cols))}
	_, _, err := c.fetch(c.ctx, cur, 0, func(vals []any) error {
		m.data = append(m.data, append([]any(nil), vals...))
		return nil
	})
	if err != nil {
		return err
	}
	cur.rows, cur.done, cur.started = m, false, true
	return nil
}

func (c *clientConn) fetchCursor(ctx context.Context, pt *portal, simple bool) error {
	f := pt.p.stmt.Fetch
	cur, err := c.cursor(f.Cursor)
	if err != nil {
		return err
	}
	if f.Direction != pgsql.FetchForward || f.Count < 0 {
		return &engine.Error{Code: "55000", Message: "cursor can only scan forward", Hint: "Declare it with SCROLL option to enable backward scan."}
	}
	move := pt.p.stmt.Kind == pgsql.KindMove
	count := f.Count
	if f.All {
		count = 0 // no limit
	}
	formats := cur.formats
	if !simple && len(pt.formats) > 0 {
		formats = pt.formats
	}
	if simple && !move {
		c.send(rowDescription(cur.cols, formats))
	}
	sink := func([]any) error { return nil }
	if !move {
		view := &portal{cols: cur.cols, formats: formats}
		sink = c.dataRowSink(view)
	}
	if count == 0 && f.Count == 0 && !f.All {
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(pt.p.stmt, 0))})
		return nil
	}
	_, n, err := c.fetch(ctx, cur, count, sink)
	if err != nil {
		return err
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(pt.p.stmt, n))})
	return nil
}

func (c *clientConn) closeCursor(st *pgsql.Statement) error {
	if st.Close.All {
		for name, cur := range c.cursors {
			cur.close()
			delete(c.cursors, name)
		}
		return nil
	}
	cur, err := c.cursor(st.Close.Cursor)
	if err != nil {
		return err
	}
	cur.close()
	delete(c.cursors, st.Close.Cursor)
	return nil
}

// memRows replays rows kept in memory (a materialised cursor).
type memRows struct {
	cols []engine.Column
	data [][]any
}

func (m *memRows) Columns() []engine.Column { return m.cols }
func (m *memRows) Next(dest []any) error {
	if len(m.data) == 0 {
		return io.EOF
	}
	copy(dest, m.data[0])
	m.data = m.data[1:]
	return nil
}
func (m *memRows) RowsAffected() int64 { return 0 }
func (m *memRows) Close() error        { m.data = nil; return nil }
