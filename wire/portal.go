package wire

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// portal is a statement bound to parameters and result formats, possibly
// part-way through its rows: an extended-protocol portal or a cursor.
type portal struct {
	name    string
	p       *prepared
	args    []any
	formats []int16
	cols    []resultCol

	rows     engine.Rows
	started  bool
	done     bool
	sent     int64 // rows sent so far (FETCH/SELECT counts)
	holdable bool  // WITH HOLD cursor: survives COMMIT
	inTx     bool  // belongs to an explicit transaction
}

func (pt *portal) close() {
	if pt.rows != nil {
		pt.rows.Close()
		pt.rows = nil
	}
	pt.done = true
}

// rowSink receives result rows; the protocol and COPY TO use different ones.
type rowSink func(vals []any) error

// fetch runs (or continues) the portal, passing at most max rows to sink
// (max <= 0: all). It reports whether the portal is exhausted and the row
// count of this call.
func (c *clientConn) fetch(ctx context.Context, pt *portal, max int64, sink rowSink) (exhausted bool, n int64, err error) {
	if pt.done {
		return true, 0, nil
	}
	if !pt.started {
		pt.started = true
		rows, err := c.sess.Query(ctx, pt.p.tr.SQL, pt.args, pt.p.opts)
		if err != nil {
			pt.done = true
			return true, 0, err
		}
		pt.rows = rows
	}
	if pt.rows == nil {
		return true, 0, nil
	}
	ncols := len(pt.rows.Columns())
	if pt.cols != nil {
		ncols = len(pt.cols)
	}
	vals := make([]any, ncols)
	for max <= 0 || n < max {
		if err := pt.rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				affected := pt.rows.RowsAffected()
				pt.close()
				if len(vals) == 0 {
					// Statements without result columns report changed rows.
					pt.sent = affected
				}
				return true, n, nil
			}
			pt.close()
			return true, n, err
		}
		if err := sink(vals); err != nil {
			pt.close()
			return true, n, err
		}
		n++
		pt.sent++
	}
	return false, n, nil
}

// dataRowSink encodes rows as DataRow messages in the portal's formats.
func (c *clientConn) dataRowSink(pt *portal) rowSink {
	re := &rowEncoder{codec: c.codec, cols: pt.cols, formats: pt.formats}
	dr := &pgproto3.DataRow{}
	return func(vals []any) error {
		fields, err := re.encode(vals)
		if err != nil {
			return err
		}
		dr.Values = fields
		c.send(dr)
		return nil
	}
}

// rowEncoder renders rows in their wire formats into one reused buffer, for
// DataRow and COPY TO alike. The returned fields alias the buffer until the
// next call; a nil field is SQL NULL.
type rowEncoder struct {
	codec   *pgtypes.Codec
	cols    []resultCol
	formats []int16
	buf     []byte
	offs    []int
	fields  [][]byte
}

func (e *rowEncoder) encode(vals []any) ([][]byte, error) {
	e.buf, e.offs, e.fields = e.buf[:0], e.offs[:0], e.fields[:0]
	for i, v := range vals {
		e.offs = append(e.offs, len(e.buf))
		if v == nil {
			continue
		}
		var err error
		if e.buf, err = e.codec.Encode(e.buf, e.cols[i].typ, formatFor(e.formats, i), v); err != nil {
			return nil, err
		}
	}
	e.offs = append(e.offs, len(e.buf))
	for i, v := range vals {
		if v == nil {
			e.fields = append(e.fields, nil)
		} else {
			e.fields = append(e.fields, e.buf[e.offs[i]:e.offs[i+1]:e.offs[i+1]])
		}
	}
	return e.fields, nil
}

// commandTag renders the CommandComplete tag for a finished statement.
func commandTag(st *pgsql.Statement, n int64) string {
	count := strconv.FormatInt(n, 10)
	switch st.Kind {
	case pgsql.KindInsert:
		return "INSERT 0 " + count
	case pgsql.KindUpdate, pgsql.KindDelete, pgsql.KindMerge:
		return st.Tag + " " + count
	case pgsql.KindSelect, pgsql.KindValues, pgsql.KindPragma:
		return "SELECT " + count
	case pgsql.KindFetch, pgsql.KindMove, pgsql.KindCopy:
		return st.Tag + " " + count
	}
	if st.Tag == "SELECT" { // CREATE TABLE AS, SELECT INTO
		return "SELECT " + count
	}
	return st.Tag
}
