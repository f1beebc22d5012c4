package wire

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgcopy"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// copy runs COPY … FROM STDIN or COPY … TO STDOUT. Data files on the
// server and PROGRAM are refused: they would let any client read or run
// things on the server host.
func (c *clientConn) copy(ctx context.Context, pt *portal) error {
	cs := pt.p.stmt.Copy
	if cs.Endpoint != pgsql.CopyStdio {
		return &engine.Error{Code: "42501", Message: "COPY to or from a server file or program is not allowed",
			Hint: "Use COPY … FROM STDIN / TO STDOUT (psql's \\copy does this)."}
	}
	dir := pgcopy.To
	if cs.From {
		dir = pgcopy.From
	}
	opts, err := copyOptions(cs, dir)
	if err != nil {
		return err
	}
	if cs.From {
		return c.copyIn(ctx, pt.p.stmt, opts)
	}
	return c.copyOut(ctx, pt.p.stmt, opts)
}

// copyOptions carries the parsed COPY options (already defaulted and
// checked by the parser) over to the data codec.
func copyOptions(cs *pgsql.CopyStmt, dir pgcopy.Direction) (pgcopy.Options, error) {
	f, err := pgcopy.ParseFormat(cs.Format)
	if err != nil {
		return pgcopy.Options{}, err
	}
	o := pgcopy.Options{
		Format: f, Direction: dir, Null: cs.Null, NullSet: true,
		Header: cs.Header, HeaderMatch: cs.HeaderMatch,
		ForceQuoteNames: cs.ForceQuote, ForceQuoteAll: cs.ForceQuoteAll,
		ForceNotNullNames: cs.ForceNotNull, ForceNullNames: cs.ForceNull,
		Freeze: cs.Freeze, Encoding: cs.Encoding,
	}
	if f == pgcopy.Binary {
		o.NullSet = false
	}
	if cs.Delimiter != "" {
		o.Delimiter = cs.Delimiter[0]
	}
	if cs.Quote != "" {
		o.Quote = cs.Quote[0]
	}
	if cs.Escape != "" {
		o.Escape = cs.Escape[0]
	}
	if cs.Where != "" {
		return o, &engine.Error{Code: "0A000", Message: "COPY FROM … WHERE is not supported"}
	}
	return o, o.Validate()
}

// tableColumns returns the columns of table in order with their types.
func (c *clientConn) tableColumns(ctx context.Context, table string) ([]string, []pgtypes.Type, error) {
	d, err := c.sess.Describe(ctx, "SELECT * FROM "+pgsql.QuoteIdent(table), engine.StmtOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(d.Columns))
	types := make([]pgtypes.Type, len(d.Columns))
	for i, col := range d.Columns {
		names[i] = col.Name
		types[i] = pgtypes.FromDecl(col.DeclType)
	}
	return names, types, nil
}

func (c *clientConn) copyIn(ctx context.Context, st *pgsql.Statement, opts pgcopy.Options) error {
	cs := st.Copy
	all, allTypes, err := c.tableColumns(ctx, cs.Table.Name)
	if err != nil {
		return err
	}
	cols := cs.Columns
	if len(cols) == 0 {
		cols = all
	}
	types := make([]pgtypes.Type, len(cols))
	for i, name := range cols {
		j := indexFold(all, name)
		if j < 0 {
			return &engine.Error{Code: "42703", Message: fmt.Sprintf("column %q of relation %q does not exist", name, cs.Table.Name)}
		}
		types[i] = allTypes[j]
	}
	if err := opts.ResolveColumns(cs.Table.Name, all, cols); err != nil {
		return err
	}
	format := int16(0)
	if opts.Format == pgcopy.Binary {
		format = 1
	}
	colFormats := make([]uint16, len(cols))
	for i := range colFormats {
		colFormats[i] = uint16(format)
	}
	c.send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: colFormats})
	if err := c.flush(); err != nil {
		return err
	}

	// COPY is atomic: all rows or none.
	own := c.txStatus == 'I' && !c.implicit
	if own {
		if err := c.sess.Begin(ctx, engine.TxOptions{}); err != nil {
			return c.abortCopyIn(err)
		}
	}
	n, err := c.copyInRows(ctx, cs.Table.Name, cols, types, format, opts)
	if err != nil {
		if own {
			c.sess.Rollback(context.WithoutCancel(ctx))
		}
		return err
	}
	if own {
		if err := c.sess.Commit(ctx); err != nil {
			return err
		}
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(fmt.Sprintf("COPY %d", n))})
	return nil
}

func (c *clientConn) copyInRows(ctx context.Context, table string, cols []string, types []pgtypes.Type, format int16, opts pgcopy.Options) (int64, error) {
	dec := pgcopy.NewDecoder(opts, len(cols))
	dec.SetColumnNames(cols)
	marks := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, col := range cols {
		marks[i] = fmt.Sprintf("?%d", i+1)
		quoted[i] = pgsql.QuoteIdent(col)
	}
	insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", pgsql.QuoteIdent(table), strings.Join(quoted, ", "), strings.Join(marks, ", "))
	var n int64
	args := make([]any, len(cols))
	flushRows := func() error {
		for {
			fields, ok, err := dec.Next()
			if err != nil {
				return copyContext(err, table, dec.Line())
			}
			if !ok {
				return nil
			}
			for i, f := range fields {
				if f == nil {
					args[i] = nil
					continue
				}
				v, err := c.codec.Decode(types[i], format, f)
				if err != nil {
					return copyContext(err, table, dec.Line())
				}
				args[i] = v
			}
			rows, err := c.sess.Query(ctx, insert, args, engine.StmtOptions{})
			if err != nil {
				return copyContext(err, table, dec.Line())
			}
			rows.Close()
			n++
		}
	}
	for {
		f, err := c.next()
		if err != nil {
			return n, err
		}
		switch f.typ {
		case 'd':
			if err := dec.Write(f.body); err != nil {
				return n, c.abortCopyIn(copyContext(err, table, dec.Line()))
			}
			if err := flushRows(); err != nil {
				return n, c.abortCopyIn(err)
			}
		case 'c':
			if err := dec.Finish(); err != nil {
				return n, copyContext(err, table, dec.Line())
			}
			if err := flushRows(); err != nil {
				return n, err
			}
			return n, nil
		case 'f':
			var m pgproto3.CopyFail
			m.Decode(f.body)
			return n, &engine.Error{Code: "57014", Message: "COPY from stdin failed: " + m.Message}
		case 'H', 'S':
			// Flush/Sync during COPY are ignored, as in PostgreSQL.
		default:
			return n, &protocolError{"08P01", fmt.Sprintf("unexpected message type %q during COPY from stdin", f.typ)}
		}
	}
}

// abortCopyIn reports err and then discards the rest of the client's COPY
// data: the client keeps sending until it sees the error, and those bytes
// must not be read as commands.
func (c *clientConn) abortCopyIn(err error) error {
	c.send(errorResponse(err))
	c.flush()
	for {
		f, rerr := c.next()
		if rerr != nil {
			return rerr
		}
		if f.typ == 'c' || f.typ == 'f' {
			return errAlreadySent
		}
		if f.typ != 'd' && f.typ != 'H' && f.typ != 'S' {
			c.pending = &f
			return errAlreadySent
		}
	}
}

// errAlreadySent marks an error whose ErrorResponse went out already.
var errAlreadySent = &engine.Error{Code: "00000", Message: "error already reported"}

func copyContext(err error, table string, line int64) error {
	er := errorResponse(err)
	return &engine.Error{Code: er.Code, Message: er.Message, Detail: fmt.Sprintf("COPY %s, line %d", table, line), Err: err}
}

func (c *clientConn) copyOut(ctx context.Context, st *pgsql.Statement, opts pgcopy.Options) error {
	cs := st.Copy
	query := cs.Query
	if query == "" {
		cols := "*"
		if len(cs.Columns) > 0 {
			q := make([]string, len(cs.Columns))
			for i, col := range cs.Columns {
				q[i] = pgsql.QuoteIdent(col)
			}
			cols = strings.Join(q, ", ")
		}
		query = "SELECT " + cols + " FROM " + pgsql.QuoteIdent(cs.Table.Name)
	}
	p, err := c.prepare(ctx, "", query, nil)
	if err != nil {
		return err
	}
	if !p.engine || !p.stmt.ReadOnly {
		return &engine.Error{Code: "0A000", Message: "COPY (query) TO supports SELECT and VALUES queries only"}
	}
	if err := c.describe(ctx, p); err != nil {
		return err
	}
	names := make([]string, len(p.cols))
	for i, col := range p.cols {
		names[i] = col.name
	}
	if err := opts.ResolveColumns(cs.Table.Name, names, names); err != nil {
		return err
	}
	format := int16(0)
	if opts.Format == pgcopy.Binary {
		format = 1
	}
	colFormats := make([]uint16, len(p.cols))
	for i := range colFormats {
		colFormats[i] = uint16(format)
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(format), ColumnFormatCodes: colFormats})
	enc := pgcopy.NewEncoder(opts)
	// The header travels with the first row, as PostgreSQL sends it:
	// psycopg parses the binary signature and the first tuple from one
	// CopyData message.
	buf := enc.Header(nil, names)
	if opts.Format != pgcopy.Binary && len(buf) > 0 {
		c.send(&pgproto3.CopyData{Data: buf})
		buf = buf[:0]
	}
	pending := len(buf)
	pt := &portal{p: p, cols: p.cols}
	re := &rowEncoder{codec: c.codec, cols: p.cols, formats: []int16{format}}
	_, n, err := c.fetch(ctx, pt, 0, func(row []any) error {
		fields, err := re.encode(row)
		if err != nil {
			return err
		}
		buf = enc.Row(buf[:pending], fields)
		pending = 0
		c.send(&pgproto3.CopyData{Data: buf})
		return nil
	})
	if err != nil {
		// CopyOut cannot be aborted cleanly: PostgreSQL sends the error and
		// the client ends COPY mode on it.
		return err
	}
	if tr := enc.Trailer(buf[:pending]); len(tr) > 0 {
		c.send(&pgproto3.CopyData{Data: tr})
	}
	c.send(&pgproto3.CopyDone{})
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(fmt.Sprintf("COPY %d", n))})
	return nil
}

func indexFold(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}
