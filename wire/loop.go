package wire

import (
	"context"
	"fmt"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
)

// loop processes frontend messages until Terminate or disconnect.
func (c *clientConn) loop() error {
	// skipToSync is set after an error in the extended protocol: PostgreSQL
	// discards messages until Sync so that a pipeline stops at the first
	// failure.
	skipToSync := false
	for {
		// A draining server ends a connection only at a ready point: after
		// ReadyForQuery with no transaction open, so a pipeline is never
		// cut between its Execute and its Sync.
		if c.draining.Load() && c.txStatus == 'I' && c.ready {
			c.send(errorResponseFatal(errShutdown))
			c.flush()
			return nil
		}
		// Output is flushed at ReadyForQuery and Flush only: a client cannot
		// expect anything before those, and one write per round trip is
		// what makes small queries cheap.
		f, err := c.next()
		if err != nil {
			if pe, ok := err.(*protocolError); ok {
				c.send(errorResponseFatal(pe))
				c.flush()
			}
			if err == errIdleInTransaction {
				c.send(errorResponseFatal(err))
				c.flush()
				return nil
			}
			return err
		}
		if f.typ == 'X' {
			return nil
		}
		c.ready = false
		if skipToSync && f.typ != 'S' {
			continue
		}
		msg, err := decodeFrontend(f)
		if err != nil {
			c.send(errorResponseFatal(err))
			c.flush()
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
		case *pgproto3.Sync:
			skipToSync = false
			c.sync()
		case *pgproto3.Flush:
			if err := c.flush(); err != nil {
				return err
			}
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Stray COPY data after a failed COPY: PostgreSQL ignores it.
		case *pgproto3.PasswordMessage:
			c.send(errorResponseFatal(&protocolError{"08P01", "unexpected password message"}))
			c.flush()
			return fmt.Errorf("unexpected password message")
		default:
			if err := c.extended(msg); err != nil {
				c.reportError(err)
				c.afterError(c.ctx)
				skipToSync = true
			}
		}
	}
}

// reportError sends err to the client unless it was reported already.
func (c *clientConn) reportError(err error) {
	if err != errAlreadySent {
		c.send(errorResponse(err))
	}
}

func errorResponseFatal(err error) *pgproto3.ErrorResponse {
	er := errorResponse(err)
	er.Severity, er.SeverityUnlocalized = "FATAL", "FATAL"
	return er
}

// simpleQuery runs a Query message: every statement in it, inside an
// implicit transaction when there are several, stopping at the first error.
func (c *clientConn) simpleQuery(sql string) {
	defer c.readyForQuery()
	stmts, err := pgsql.Split(sql)
	if err != nil {
		c.send(errorResponse(err))
		c.afterError(c.ctx)
		return
	}
	if len(stmts) == 0 {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	// The unnamed portal and statement do not survive a simple Query.
	c.dropUnnamed()
	if len(stmts) > 1 {
		if err := c.beginImplicit(c.ctx); err != nil {
			c.send(errorResponse(err))
			return
		}
	}
	for _, text := range stmts {
		if err := c.simpleStatement(text); err != nil {
			c.reportError(err)
			c.afterError(c.ctx)
			return
		}
	}
	if err := c.endImplicit(c.ctx, true); err != nil {
		c.send(errorResponse(err))
	}
}

func (c *clientConn) simpleStatement(text string) error {
	ctx, done := c.statementContext()
	defer done()
	p, err := c.prepare(ctx, "", text, nil)
	if err != nil {
		return err
	}
	pt := &portal{p: p}
	_, err = c.run(ctx, pt, 0, true)
	return c.contextError(ctx, err)
}

// contextError replaces a cancellation error with its cause (user cancel,
// timeout, shutdown) so the client learns why.
func (c *clientConn) contextError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled && isCancel(err) {
		return cause
	}
	return err
}

func (c *clientConn) dropUnnamed() {
	if pt, ok := c.portals[""]; ok {
		pt.close()
		delete(c.portals, "")
	}
	delete(c.stmts, "")
}

// sync ends an extended-protocol batch: it commits the implicit
// transaction, closes portals that do not outlive it, and reports
// ReadyForQuery.
func (c *clientConn) sync() {
	if c.implicit {
		if err := c.endImplicit(c.ctx, true); err != nil {
			c.send(errorResponse(err))
		}
	}
	if c.txStatus == 'I' {
		c.closePortals(false)
	}
	c.readyForQuery()
}

// extended handles Parse, Bind, Describe, Execute and Close.
func (c *clientConn) extended(msg pgproto3.FrontendMessage) error {
	switch m := msg.(type) {
	case *pgproto3.Parse:
		return c.parse(m)
	case *pgproto3.Bind:
		return c.bind(m)
	case *pgproto3.Describe:
		return c.describeMsg(m)
	case *pgproto3.Execute:
		return c.execute(m)
	case *pgproto3.Close:
		if m.ObjectType == 'S' {
			delete(c.stmts, m.Name)
		} else if pt, ok := c.portals[m.Name]; ok {
			pt.close()
			delete(c.portals, m.Name)
		}
		// Closing a name that does not exist is not an error.
		c.send(&pgproto3.CloseComplete{})
		return nil
	}
	return &protocolError{"08P01", fmt.Sprintf("unexpected message %T", msg)}
}

func (c *clientConn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return &engine.Error{Code: "42P05", Message: fmt.Sprintf("prepared statement %q already exists", m.Name)}
		}
	}
	ctx, done := c.statementContext()
	defer done()
	p, err := c.prepare(ctx, m.Name, m.Query, m.ParameterOIDs)
	if err != nil {
		return err
	}
	if c.txStatus == 'E' && !allowedInFailedTx(p.stmt.Kind) {
		return errInFailedTx
	}
	// Validate now, as PostgreSQL does at Parse: a missing table is
	// reported here, not at Execute.
	if p.engine {
		if err := c.describe(ctx, p); err != nil {
			return err
		}
	}
	c.stmts[m.Name] = p
	c.send(&pgproto3.ParseComplete{})
	return nil
}

func (c *clientConn) bind(m *pgproto3.Bind) error {
	p, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return &engine.Error{Code: "26000", Message: fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)}
	}
	if len(m.Parameters) != len(p.params) {
		return &protocolError{"08P01", fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, len(p.params))}
	}
	if n := len(m.ParameterFormatCodes); n > 1 && n != len(m.Parameters) {
		return &protocolError{"08P01", fmt.Sprintf("bind message has %d parameter formats but %d parameters", n, len(m.Parameters))}
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			return &engine.Error{Code: "42P03", Message: fmt.Sprintf("portal %q already exists", m.DestinationPortal)}
		}
	}
	ctx, done := c.statementContext()
	defer done()
	if err := c.describe(ctx, p); err != nil {
		return err
	}
	if n := len(m.ResultFormatCodes); n > 1 && n != len(p.cols) {
		return &protocolError{"08P01", fmt.Sprintf("bind message has %d result formats but query has %d columns", n, len(p.cols))}
	}
	args := make([]any, len(m.Parameters))
	for i, raw := range m.Parameters {
		if raw == nil {
			continue
		}
		v, err := c.codec.Decode(p.params[i], formatFor(m.ParameterFormatCodes, i), raw)
		if err != nil {
			return withParamContext(err, i+1)
		}
		args[i] = v
	}
	if old, ok := c.portals[m.DestinationPortal]; ok {
		old.close()
	}
	c.portals[m.DestinationPortal] = &portal{
		name: m.DestinationPortal, p: p, args: args, formats: m.ResultFormatCodes, cols: p.cols,
		inTx: c.txStatus != 'I',
	}
	c.send(&pgproto3.BindComplete{})
	return nil
}

// withParamContext says which parameter failed to decode.
func withParamContext(err error, n int) error {
	er := errorResponse(err)
	return &engine.Error{Code: er.Code, Message: fmt.Sprintf("%s (parameter $%d)", er.Message, n), Err: err}
}

// portal finds a protocol portal, or a cursor: in PostgreSQL a DECLAREd
// cursor is a portal too, and psycopg describes it through the protocol.
func (c *clientConn) portal(name string) (*portal, bool) {
	if pt, ok := c.portals[name]; ok {
		return pt, true
	}
	pt, ok := c.cursors[name]
	return pt, ok
}

func (c *clientConn) describeMsg(m *pgproto3.Describe) error {
	ctx, done := c.statementContext()
	defer done()
	switch m.ObjectType {
	case 'S':
		p, ok := c.stmts[m.Name]
		if !ok {
			return &engine.Error{Code: "26000", Message: fmt.Sprintf("prepared statement %q does not exist", m.Name)}
		}
		if err := c.describe(ctx, p); err != nil {
			return err
		}
		c.send(paramDescription(p.params))
		if len(p.cols) == 0 {
			c.send(&pgproto3.NoData{})
		} else {
			c.send(rowDescription(p.cols, nil))
		}
	case 'P':
		pt, ok := c.portal(m.Name)
		if !ok {
			return &engine.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Name)}
		}
		if len(pt.cols) == 0 {
			c.send(&pgproto3.NoData{})
		} else {
			c.send(rowDescription(pt.cols, pt.formats))
		}
	default:
		return &protocolError{"08P01", fmt.Sprintf("invalid DESCRIBE message subtype %d", m.ObjectType)}
	}
	return nil
}

func (c *clientConn) execute(m *pgproto3.Execute) error {
	pt, ok := c.portal(m.Portal)
	if !ok {
		return &engine.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Portal)}
	}
	if pt.p.stmt.Kind == pgsql.KindEmpty {
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if pt.done && pt.started {
		// Re-executing a finished portal returns no more rows.
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(pt.p.stmt, 0))})
		return nil
	}
	ctx, done := c.statementContext()
	defer done()
	if pt.p.engine && !pt.started && c.txStatus == 'I' && !c.implicit {
		// Several statements before Sync run as one implicit transaction;
		// a lone statement runs in autocommit and can share a group commit.
		if typ, ok := c.peekType(); !ok || typ != 'S' {
			if err := c.beginImplicit(ctx); err != nil {
				return err
			}
		}
	}
	max := int64(m.MaxRows)
	_, err := c.run(ctx, pt, max, false)
	return c.contextError(ctx, err)
}
