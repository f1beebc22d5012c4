package wire

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
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
		// The engine interrupts a statement's first step on cancellation;
		// between rows the check is ours.
		if err := ctx.Err(); err != nil {
			pt.close()
			return true, n, context.Cause(ctx)
		}
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
	var buf []byte
	dr := &pgproto3.DataRow{}
	offs := make([]int, 0, len(pt.cols)+1)
	return func(vals []any) error {
		buf = buf[:0]
		offs = offs[:0]
		nulls := make([]bool, len(vals))
		for i, v := range vals {
			offs = append(offs, len(buf))
			if v == nil {
				nulls[i] = true
				continue
			}
			var err error
			buf, err = c.codec.Encode(buf, pt.cols[i].typ, formatFor(pt.formats, i), v)
			if err != nil {
				return err
			}
		}
		offs = append(offs, len(buf))
		dr.Values = dr.Values[:0]
		for i := range vals {
			if nulls[i] {
				dr.Values = append(dr.Values, nil)
			} else {
				dr.Values = append(dr.Values, buf[offs[i]:offs[i+1]:offs[i+1]])
			}
		}
		c.send(dr)
		return nil
	}
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
