package forward

import (
	"context"
	"fmt"
	"io"

	"github.com/sqlcluster/sqlcluster/engine"
)

// remoteRows reads a result batch by batch. The server holds the engine's
// rows under cursor until they are exhausted or closed.
type remoteRows struct {
	s      *Session
	ctx    context.Context // the Query's: cancelling it interrupts fetches too
	cols   []engine.Column
	cursor uint64 // nonzero while the server has more

	buf      []any // n rows of len(cols) values
	n, pos   int
	err      error // what ended the rows, returned after buf
	affected int64
	closed   bool
}

func (r *remoteRows) Columns() []engine.Column { return r.cols }

// load takes in one batch.
func (r *remoteRows) load(rep *reply) error {
	r.cursor = rep.Cursor
	r.n, r.pos = rep.NRows, 0
	width := len(r.cols)
	// Every value takes at least one byte, which bounds the count; rows
	// without columns do not occur, so a small bound will do for them.
	if r.n < 0 || width > 0 && r.n > len(rep.Rows)/width || width == 0 && r.n > defaultBatchRows {
		return r.protocolError(fmt.Errorf("batch of %d rows in %d bytes", r.n, len(rep.Rows)))
	}
	r.buf = make([]any, r.n*width)
	if err := decodeValues(rep.Rows, r.buf); err != nil {
		return r.protocolError(fmt.Errorf("decoding rows: %w", err))
	}
	if rep.RowsErr != nil {
		r.err = rep.RowsErr.engineError()
	}
	if r.cursor == 0 {
		r.affected = rep.Affected
	}
	return nil
}

// protocolError breaks the session: the stream cannot be trusted.
func (r *remoteRows) protocolError(err error) error {
	r.s.mu.Lock()
	inTx := r.s.inTx
	r.s.mu.Unlock()
	r.s.fail(err)
	r.cursor, r.n, r.buf = 0, 0, nil
	r.err = lostError(classRead, inTx, err)
	return r.err
}

func (r *remoteRows) Next(dest []any) error {
	for r.pos >= r.n {
		if r.closed || r.cursor == 0 {
			if r.err != nil {
				return r.err
			}
			return io.EOF
		}
		rep, err := r.s.call(r.ctx, &request{Type: msgFetch, Cursor: r.cursor}, classRead)
		if err != nil {
			r.cursor, r.err = 0, err
			return err
		}
		if err := r.load(rep); err != nil {
			return err
		}
	}
	w := len(r.cols)
	copy(dest, r.buf[r.pos*w:(r.pos+1)*w])
	r.pos++
	return nil
}

func (r *remoteRows) RowsAffected() int64 { return r.affected }

// Close releases the server's cursor without waiting for an answer: the
// server handles requests in order, so the next call finds it closed.
func (r *remoteRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.buf, r.n, r.pos = nil, 0, 0
	if r.cursor == 0 {
		return nil
	}
	id := r.cursor
	r.cursor = 0
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.broken.Load() {
		return nil
	}
	if err := s.send(&request{Type: msgCloseRows, Cursor: id}); err != nil {
		s.fail(err)
	}
	return nil
}
