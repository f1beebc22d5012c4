package pgcopy

import (
	"errors"
	"fmt"
)

// Decoder turns the concatenated payloads of a COPY FROM STDIN into rows.
//
// Feed each CopyData payload to Write and then call Next until it returns
// ok=false; at CopyDone call Finish and drain Next once more, which yields a
// final row that lacks a trailing newline and then (nil, false, nil) for the
// clean end of the data. Errors surface from Next in input order, so a bad
// final row is never reported ahead of an earlier one.
type Decoder struct {
	cfg   config
	ncols int
	names []string

	buf   []byte // input; buf[pos:] is not yet consumed
	pos   int
	eof   bool  // Finish was called: no more input
	ended bool  // end-of-data marker (\.) or binary trailer consumed
	done  bool  // Next has returned its last row
	err   error // sticky

	line int64 // PostgreSQL's cur_lineno, for error contexts

	// Encoding verification runs ahead of the line reader: buf[:verified]
	// is valid UTF-8, and bad says buf[verified:] starts an invalid
	// sequence. Text and csv only.
	verified int
	bad      bool

	lr         lineState
	eol        eolType
	special    [256]bool // bytes the line reader must look at
	lineEsc    byte      // csv escape as CopyReadLineText sees it (0 if = quote)
	headerDone bool

	attr   []byte   // de-escaped text/csv field bytes
	fields [][]byte // the row Next returns
	nulls  []byte   // cfg.null as a non-nil field value for FORCE_NOT_NULL

	bin binState
}

// shrinkAbove is the buffer capacity beyond which a mostly idle buffer is
// reallocated smaller.
const shrinkAbove = 4 << 20

// ErrWriteAfterFinish is returned by Write once Finish has been called.
var ErrWriteAfterFinish = errors.New("pgcopy: Write after Finish")

// NewDecoder returns a decoder for rows of ncols columns. Options should
// have passed Validate; an invalid combination yields a decoder that
// behaves deterministically but not usefully.
func NewDecoder(opt Options, ncols int) *Decoder {
	if ncols < 0 {
		ncols = 0
	}
	d := &Decoder{cfg: newConfig(opt), ncols: ncols}
	d.nulls = make([]byte, len(d.cfg.null))
	copy(d.nulls, d.cfg.null)
	d.special['\\'] = true
	d.special['\r'] = true
	d.special['\n'] = true
	if d.cfg.format == CSV {
		// CopyReadLineText ignores the escape when it equals the quote by
		// setting it to NUL; mirror that, NUL matching included.
		d.lineEsc = d.cfg.escape
		if d.lineEsc == d.cfg.quote {
			d.lineEsc = 0
		}
		d.special[d.cfg.quote] = true
		d.special[d.lineEsc] = true
	}
	return d
}

// SetColumnNames gives the names of the columns being loaded, in COPY order.
// They are used in "missing data for column" messages, binary field error
// contexts and HEADER MATCH; without them columns are named by position and
// HEADER MATCH checks only the field count.
func (d *Decoder) SetColumnNames(names []string) { d.names = names }

// Line returns PostgreSQL's line counter: the number of the line (text,
// csv) or tuple (binary) last read, counting a header line. After Next
// returns a row it is that row's line, which is what the CONTEXT of a type
// conversion error for the row must say.
func (d *Decoder) Line() int64 { return d.line }

// Done reports that no further rows will be produced: the end-of-data
// marker or binary trailer has been read, or the input has been finished
// and drained.
func (d *Decoder) Done() bool { return d.done || d.ended }

// Write buffers one CopyData payload. The decoder keeps its own copy.
// Input after a text/csv end-of-data marker is discarded, as PostgreSQL
// does; input after a binary trailer is an error.
func (d *Decoder) Write(p []byte) error {
	if d.err != nil {
		return d.err
	}
	if d.eof {
		return ErrWriteAfterFinish
	}
	if len(p) == 0 {
		return nil
	}
	if d.ended {
		if d.cfg.format == Binary {
			d.err = d.atLine(errorf(CodeBadCopyFileFormat, "received copy data after EOF marker"))
			return d.err
		}
		return nil
	}
	d.compact()
	d.buf = append(d.buf, p...)
	return nil
}

// compact drops consumed input once it is at least as large as what is
// left, so a long row arriving in many chunks is moved O(1) times per byte
// on average rather than once per chunk.
func (d *Decoder) compact() {
	if d.pos == 0 || d.pos < len(d.buf)-d.pos {
		return
	}
	rest := d.buf[d.pos:]
	if cap(d.buf) > shrinkAbove && len(rest) < cap(d.buf)/4 {
		// One huge row must not pin its buffer for the rest of the COPY.
		d.buf = append(make([]byte, 0, max(2*len(rest), 64<<10)), rest...)
	} else {
		d.buf = d.buf[:copy(d.buf, rest)]
	}
	d.lr.scan -= d.pos
	d.verified -= d.pos
	d.pos = 0
}

// Finish marks the end of input (CopyDone). Buffered rows, including a
// final line without a newline, remain available from Next.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	d.eof = true
	return nil
}

// Next returns the next complete row. ok is false when more input is needed
// or, after Finish, when the data has ended. A nil field is SQL NULL. The
// returned slices are valid until the next call of any Decoder method.
func (d *Decoder) Next() (fields [][]byte, ok bool, err error) {
	if d.err != nil {
		return nil, false, d.err
	}
	if d.done {
		return nil, false, nil
	}
	if d.cfg.format == Binary {
		fields, ok, err = d.nextBinary()
	} else {
		fields, ok, err = d.nextText()
	}
	if err != nil {
		d.err = err
		return nil, false, err
	}
	return fields, ok, nil
}

// atLine attaches the current line number to e.
func (d *Decoder) atLine(e *Error) *Error {
	e.Line = d.line
	return e
}

// withLine attaches the current line and its text, for errors raised after
// the line was read in full.
func (d *Decoder) withLine(e *Error, line []byte) *Error {
	e.Line = d.line
	e.LineText = string(line)
	e.HasLineText = true
	return e
}

// columnName names column i for messages.
func (d *Decoder) columnName(i int) string {
	if i >= 0 && i < len(d.names) {
		return d.names[i]
	}
	return fmt.Sprintf("%d", i+1)
}
