package sqlite

import (
	"context"
	"database/sql/driver"
	"io"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// streamRows adapts open SQLite rows to engine.Rows. done runs exactly once,
// when the rows are closed, to give the connection back.
type streamRows struct {
	ctx   context.Context
	cols  []engine.Column
	rows  driver.Rows
	vals  []driver.Value
	done  func()
	count int64
	isDML bool
}

func (r *streamRows) Columns() []engine.Column { return r.cols }

func (r *streamRows) Next(dest []any) error {
	if r.rows == nil {
		return io.EOF
	}
	if r.vals == nil {
		r.vals = make([]driver.Value, len(r.cols))
	}
	// modernc interrupts only the first step on cancellation (it runs
	// inside QueryContext); between rows the check is ours.
	if r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return translateError(err)
		}
	}
	if err := r.rows.Next(r.vals); err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return translateError(err)
	}
	for i, v := range r.vals {
		dest[i] = normalizeValue(v, r.cols[i].DeclType)
	}
	r.count++
	return nil
}

func (r *streamRows) RowsAffected() int64 {
	if r.isDML {
		return r.count
	}
	return 0
}

func (r *streamRows) Close() error {
	if r.rows == nil {
		return nil
	}
	err := r.rows.Close()
	r.rows = nil
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return translateError(err)
}

// bufferedRows holds a result that was read completely before the statement
// committed (writes run to completion inside the writer so that their locks
// are not held while a client reads slowly).
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

// drain reads all of res into a bufferedRows and releases the statement.
func drain(res runResult, cols []engine.Column) (*bufferedRows, error) {
	if res.rows == nil {
		return &bufferedRows{cols: cols, affected: res.affected}, nil
	}
	// Reading a statement's rows to the end counts them as affected, which
	// is what a DML statement's RETURNING reports.
	return drainRows(&streamRows{cols: cols, rows: res.rows, isDML: true, done: res.release})
}

// normalizeValue undoes modernc's conversion of DATE/DATETIME/TIMESTAMP text
// into time.Time so that every layer above sees what SQLite stores.
func normalizeValue(v driver.Value, decl string) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	if strings.EqualFold(decl, "date") {
		return t.Format("2006-01-02")
	}
	if _, off := t.Zone(); off != 0 {
		return t.Format("2006-01-02 15:04:05.999999-07:00")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

func columnsOf(info []columnInfo) []engine.Column {
	cols := make([]engine.Column, len(info))
	for i, c := range info {
		cols[i] = engine.Column{Name: c.Name, DeclType: c.DeclType, Table: c.TableName, Origin: c.OriginName}
	}
	return cols
}
