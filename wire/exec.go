package wire

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
)

// allowedInFailedTx are the statements PostgreSQL accepts after an error
// inside a transaction block; everything else gets 25P02.
func allowedInFailedTx(k pgsql.Kind) bool {
	switch k {
	case pgsql.KindRollback, pgsql.KindCommit, pgsql.KindRollbackTo:
		return true
	}
	return false
}

var errInFailedTx = &engine.Error{Code: "25P02", Message: "current transaction is aborted, commands ignored until end of transaction block"}

// run executes portal pt, writing its results. In the simple protocol
// (simple=true) a RowDescription precedes the rows and everything runs to
// completion; in the extended protocol at most max rows are sent and the
// portal may be suspended.
func (c *clientConn) run(ctx context.Context, pt *portal, max int64, simple bool) (suspended bool, err error) {
	p := pt.p
	if c.txStatus == 'E' && !allowedInFailedTx(p.stmt.Kind) {
		return false, errInFailedTx
	}
	m := c.srv.cfg.Metrics
	start := time.Now()
	defer func() {
		kind := p.stmt.Tag
		m.statements.WithLabelValues(kind).Inc()
		m.latency.Observe(time.Since(start).Seconds())
		if err != nil {
			m.errors.WithLabelValues(sqlState(err)).Inc()
		}
	}()
	if !p.engine {
		return false, c.utility(ctx, pt, simple)
	}
	if simple {
		return false, c.runSimple(ctx, pt)
	}
	exhausted, n, err := c.fetch(ctx, pt, max, c.dataRowSink(pt))
	if err != nil {
		return false, err
	}
	if !exhausted {
		c.send(&pgproto3.PortalSuspended{})
		return true, nil
	}
	if len(pt.cols) == 0 {
		n = pt.sent
	} else if max <= 0 {
		n = pt.sent
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(p.stmt, n))})
	return false, nil
}

// runSimple runs an engine statement for the simple protocol: the result
// shape is only known once the statement runs, so the first row is read
// before RowDescription is sent and can inform untyped expressions.
func (c *clientConn) runSimple(ctx context.Context, pt *portal) error {
	p := pt.p
	rows, err := c.sess.Query(ctx, p.tr.SQL, pt.args, p.opts)
	if err != nil {
		return err
	}
	pt.started, pt.rows = true, rows
	defer pt.close()
	ecols := rows.Columns()
	if len(ecols) == 0 {
		var none []any
		if err := rows.Next(none); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(p.stmt, rows.RowsAffected()))})
		return nil
	}
	first := make([]any, len(ecols))
	err = rows.Next(first)
	hasFirst := err == nil
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !hasFirst {
		first = nil
	}
	pt.cols = c.resultColumns(ctx, p.sql, ecols, first)
	c.send(rowDescription(pt.cols, nil))
	sink := c.dataRowSink(pt)
	var n int64
	if hasFirst {
		if err := sink(first); err != nil {
			return err
		}
		n = 1
		_, more, err := c.fetch(ctx, pt, 0, sink)
		if err != nil {
			return err
		}
		n += more
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(p.stmt, n))})
	return nil
}

// afterError applies PostgreSQL's transaction rules to a failed statement:
// an explicit transaction becomes failed ('E'); an implicit one (a
// multi-statement Query or a pipeline) is rolled back.
func (c *clientConn) afterError(ctx context.Context) {
	switch {
	case c.implicit:
		c.endImplicit(ctx, false)
	case c.txStatus == 'T':
		c.txStatus = 'E'
	}
}

// beginImplicit opens the engine transaction that makes a multi-statement
// Query or a pipeline atomic, as PostgreSQL's implicit transaction block.
func (c *clientConn) beginImplicit(ctx context.Context) error {
	if c.txStatus != 'I' || c.implicit {
		return nil
	}
	if err := c.sess.Begin(ctx, engine.TxOptions{}); err != nil {
		return err
	}
	c.implicit = true
	return nil
}

func (c *clientConn) endImplicit(ctx context.Context, commit bool) error {
	if !c.implicit {
		return nil
	}
	c.implicit = false
	c.closePortals(false)
	if commit {
		return c.sess.Commit(ctx)
	}
	return c.sess.Rollback(ctx)
}

// closePortals drops portals at transaction end, keeping WITH HOLD cursors
// (materialised first) when the transaction committed.
func (c *clientConn) closePortals(committed bool) {
	for name, pt := range c.portals {
		pt.close()
		delete(c.portals, name)
	}
	for name, cur := range c.cursors {
		if committed && cur.holdable {
			if err := c.materialize(cur); err == nil {
				continue
			}
		}
		cur.close()
		delete(c.cursors, name)
	}
}

// reportChanges sends ParameterStatus for reported settings that changed.
func (c *clientConn) reportChanges() {
	for _, key := range c.settings.drainChanged() {
		c.send(&pgproto3.ParameterStatus{Name: c.settings.canonicalName(key), Value: c.settings.get(key)})
	}
}

func (c *clientConn) readyForQuery() {
	c.reportChanges()
	status := c.txStatus
	c.send(&pgproto3.ReadyForQuery{TxStatus: status})
	c.ready = true
	if err := c.flush(); err != nil {
		c.cancelConn()
	}
}

// syncTimeZone keeps the value codec on the session's TimeZone, which SET,
// RESET, ROLLBACK and DISCARD may all change.
func (c *clientConn) syncTimeZone() {
	if tz := c.settings.get("timezone"); tz != c.codecTZ {
		if c.codec.SetTimeZone(tz) == nil {
			c.codecTZ = tz
		}
	}
}
