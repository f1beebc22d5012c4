package wire

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// utility runs the statements that the protocol layer implements itself:
// transaction control, settings, cursors, COPY and database management.
func (c *clientConn) utility(ctx context.Context, pt *portal, simple bool) error {
	defer c.syncTimeZone()
	st := pt.p.stmt
	tag := st.Tag
	switch st.Kind {
	case pgsql.KindEmpty:
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	case pgsql.KindBegin:
		if err := c.begin(ctx, st); err != nil {
			return err
		}
	case pgsql.KindCommit:
		var err error
		if tag, err = c.commit(ctx, st); err != nil {
			return err
		}
	case pgsql.KindRollback:
		c.rollback(ctx)
	case pgsql.KindSavepoint, pgsql.KindRelease, pgsql.KindRollbackTo:
		if err := c.savepoint(ctx, st); err != nil {
			return err
		}
	case pgsql.KindSet:
		if err := c.set(st); err != nil {
			return err
		}
	case pgsql.KindReset:
		if err := c.resetSetting(st); err != nil {
			return err
		}
	case pgsql.KindShow:
		return c.show(pt, simple)
	case pgsql.KindExplain:
		return c.explain(ctx, pt, simple)
	case pgsql.KindDiscard:
		c.discard()
	case pgsql.KindDeallocate:
		if st.Deallocate.All {
			c.stmts = map[string]*prepared{}
		} else if _, ok := c.stmts[st.Deallocate.Name]; !ok {
			return &engine.Error{Code: "26000", Message: fmt.Sprintf("prepared statement %q does not exist", st.Deallocate.Name)}
		} else {
			delete(c.stmts, st.Deallocate.Name)
		}
	case pgsql.KindDeclare:
		if err := c.declare(ctx, st); err != nil {
			return err
		}
	case pgsql.KindFetch, pgsql.KindMove:
		return c.fetchCursor(ctx, pt, simple)
	case pgsql.KindClose:
		if err := c.closeCursor(st); err != nil {
			return err
		}
	case pgsql.KindCopy:
		return c.copy(ctx, pt)
	case pgsql.KindTruncate:
		if err := c.truncate(ctx, st); err != nil {
			return err
		}
	case pgsql.KindCreateDatabase:
		if c.txStatus != 'I' || c.implicit {
			return &engine.Error{Code: "25001", Message: "CREATE DATABASE cannot run inside a transaction block"}
		}
		if err := c.srv.cfg.Engine.CreateDatabase(ctx, st.Database.Name); err != nil {
			return err
		}
	case pgsql.KindDropDatabase:
		if c.txStatus != 'I' || c.implicit {
			return &engine.Error{Code: "25001", Message: "DROP DATABASE cannot run inside a transaction block"}
		}
		if st.Database.Name == c.database {
			return &engine.Error{Code: "55006", Message: "cannot drop the currently open database"}
		}
		if err := c.srv.cfg.Engine.DropDatabase(ctx, st.Database.Name, st.Database.IfExists); err != nil {
			return err
		}
	case pgsql.KindAnalyze, pgsql.KindCheckpoint, pgsql.KindListen, pgsql.KindUnlisten, pgsql.KindNotify,
		pgsql.KindLock, pgsql.KindComment, pgsql.KindGrant, pgsql.KindRevoke:
		// Accepted for compatibility: SQLite has no equivalent to run, and
		// writes are serialized so LOCK is already satisfied.
	case pgsql.KindCreateSchema:
		return &engine.Error{Code: "0A000", Message: "CREATE SCHEMA is not supported: sqlcluster has the single schema \"public\"; use another database (CREATE DATABASE) instead"}
	case pgsql.KindPrepare, pgsql.KindExecute:
		return &engine.Error{Code: "0A000", Message: "SQL-level PREPARE/EXECUTE is not supported; use the extended query protocol (every driver does)"}
	default:
		return &engine.Error{Code: "0A000", Message: fmt.Sprintf("%s is not supported", tag)}
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

func (c *clientConn) begin(ctx context.Context, st *pgsql.Statement) error {
	if c.implicit {
		// BEGIN inside a multi-statement query turns the implicit block
		// into an explicit one, as in PostgreSQL.
		c.implicit = false
		c.txStatus = 'T'
		c.settings.beginTx()
		return nil
	}
	if c.txStatus != 'I' {
		c.send(notice("WARNING", "25001", "there is already a transaction in progress"))
		return nil
	}
	opt := engine.TxOptions{}
	iso := c.settings.get("default_transaction_isolation")
	readOnly := c.settings.get("default_transaction_read_only") == "on"
	if t := st.Transaction; t != nil {
		if t.Options.Isolation != pgsql.IsolationDefault {
			iso = t.Options.Isolation.String()
		}
		switch t.Options.ReadOnly {
		case pgsql.True:
			readOnly = true
		case pgsql.False:
			readOnly = false
		}
	}
	opt.Snapshot = iso == "repeatable read" || iso == "serializable"
	opt.ReadOnly = readOnly
	if err := c.sess.Begin(ctx, opt); err != nil {
		return err
	}
	c.settings.beginTx()
	c.settings.values["transaction_isolation"] = iso
	c.settings.values["transaction_read_only"] = map[bool]string{true: "on", false: "off"}[readOnly]
	c.txStatus = 'T'
	return nil
}

// commit ends the transaction; a failed transaction is rolled back and
// reported as ROLLBACK, as PostgreSQL does.
func (c *clientConn) commit(ctx context.Context, st *pgsql.Statement) (string, error) {
	switch {
	case c.implicit:
		c.settings.endTx(true)
		return st.Tag, c.endImplicit(ctx, true)
	case c.txStatus == 'I':
		c.send(notice("WARNING", "25P01", "there is no transaction in progress"))
		return st.Tag, nil
	case c.txStatus == 'E':
		c.rollback(ctx)
		return "ROLLBACK", nil
	}
	// Holdable cursors must be read before the transaction's snapshot goes.
	err := c.sess.Commit(ctx)
	c.txStatus = 'I'
	c.settings.endTx(err == nil)
	c.closePortals(err == nil)
	return st.Tag, err
}

func (c *clientConn) rollback(ctx context.Context) {
	if c.implicit {
		c.settings.endTx(false)
		c.endImplicit(ctx, false)
		return
	}
	if c.txStatus == 'I' {
		c.send(notice("WARNING", "25P01", "there is no transaction in progress"))
		return
	}
	c.sess.Rollback(ctx)
	c.txStatus = 'I'
	c.settings.endTx(false)
	c.closePortals(false)
}

func (c *clientConn) savepoint(ctx context.Context, st *pgsql.Statement) error {
	if c.txStatus == 'I' && !c.implicit {
		what := map[pgsql.Kind]string{pgsql.KindSavepoint: "SAVEPOINT", pgsql.KindRelease: "RELEASE SAVEPOINT", pgsql.KindRollbackTo: "ROLLBACK TO SAVEPOINT"}[st.Kind]
		return &engine.Error{Code: "25P01", Message: what + " can only be used in transaction blocks"}
	}
	name := st.Transaction.Savepoint
	switch st.Kind {
	case pgsql.KindSavepoint:
		return c.sess.Savepoint(ctx, name)
	case pgsql.KindRelease:
		return c.sess.ReleaseSavepoint(ctx, name)
	default:
		if err := c.sess.RollbackToSavepoint(ctx, name); err != nil {
			return err
		}
		if c.txStatus == 'E' {
			c.txStatus = 'T'
		}
		return nil
	}
}

func (c *clientConn) set(st *pgsql.Statement) error {
	s := st.Set
	if s.Transaction != nil {
		return c.setTransaction(s)
	}
	if s.Constraints != nil {
		return nil // constraints are never deferred here; nothing to change
	}
	if s.Default {
		return c.settings.reset(s.Name)
	}
	name := s.Name
	if name == "timezone" {
		// Validate before accepting, so a bad zone is an error now rather
		// than garbage output later.
		if err := pgtypes.NewCodec().SetTimeZone(s.Value); err != nil {
			return err
		}
	}
	if name == "transaction_isolation" || name == "transaction_read_only" {
		if c.txStatus == 'I' && !c.implicit {
			// PostgreSQL warns and ignores outside a transaction block.
			c.send(notice("WARNING", "25P01", "SET TRANSACTION can only be used in transaction blocks"))
			return nil
		}
	}
	return c.settings.set(name, s.Value, s.Local)
}

func (c *clientConn) resetSetting(st *pgsql.Statement) error {
	if st.Set.All {
		c.settings.resetAll()
		return nil
	}
	return c.settings.reset(st.Set.Name)
}

// setTransaction handles SET TRANSACTION and SET SESSION CHARACTERISTICS AS
// TRANSACTION. Changing isolation after the transaction has run a query is
// refused by PostgreSQL; here the engine fixes the mode at BEGIN, so SET
// TRANSACTION can only narrow it to read-only.
func (c *clientConn) setTransaction(s *pgsql.SetStmt) error {
	o := s.Transaction
	if s.Session {
		if o.Isolation != pgsql.IsolationDefault {
			c.settings.set("default_transaction_isolation", o.Isolation.String(), false)
		}
		switch o.ReadOnly {
		case pgsql.True:
			c.settings.set("default_transaction_read_only", "on", false)
		case pgsql.False:
			c.settings.set("default_transaction_read_only", "off", false)
		}
		return nil
	}
	if c.txStatus == 'I' && !c.implicit {
		c.send(notice("WARNING", "25P01", "SET TRANSACTION can only be used in transaction blocks"))
		return nil
	}
	if o.Isolation != pgsql.IsolationDefault && o.Isolation.String() != c.settings.get("transaction_isolation") {
		return &engine.Error{Code: "0A000", Message: "the isolation level can only be chosen at BEGIN in sqlcluster",
			Hint: "Use BEGIN ISOLATION LEVEL " + strings.ToUpper(o.Isolation.String()) + "."}
	}
	if o.ReadOnly == pgsql.True {
		c.settings.values["transaction_read_only"] = "on"
	}
	return nil
}

func showColumns(st *pgsql.Statement) []resultCol {
	text, _ := pgtypes.ByName("text")
	if st.Show.All {
		return []resultCol{{name: "name", typ: text}, {name: "setting", typ: text}, {name: "description", typ: text}}
	}
	return []resultCol{{name: st.Show.Name, typ: text}}
}

func (c *clientConn) show(pt *portal, simple bool) error {
	st := pt.p.stmt
	cols := showColumns(st)
	if simple {
		c.send(rowDescription(cols, nil))
	}
	var rows [][]byte
	if st.Show.All {
		for _, name := range c.settings.names() {
			c.send(&pgproto3.DataRow{Values: [][]byte{[]byte(c.settings.canonicalName(name)), []byte(c.settings.get(name)), nil}})
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte("SHOW")})
		return nil
	}
	v, ok := c.settings.lookup(st.Show.Name)
	if !ok {
		return unknownSetting(st.Show.Name)
	}
	rows = append(rows, []byte(v))
	c.send(&pgproto3.DataRow{Values: rows})
	c.send(&pgproto3.CommandComplete{CommandTag: []byte("SHOW")})
	return nil
}

// discard implements DISCARD ALL: the session returns to its initial state.
func (c *clientConn) discard() {
	if c.txStatus == 'I' {
		c.closePortals(false)
		for name, cur := range c.cursors {
			cur.close()
			delete(c.cursors, name)
		}
		c.stmts = map[string]*prepared{}
		c.settings.resetAll()
	}
}

// truncate empties tables; PostgreSQL's TRUNCATE a, b is one atomic
// statement, so it runs as one transaction.
func (c *clientConn) truncate(ctx context.Context, st *pgsql.Statement) error {
	own := c.txStatus == 'I' && !c.implicit
	if own {
		if err := c.sess.Begin(ctx, engine.TxOptions{}); err != nil {
			return err
		}
	}
	for _, table := range st.Truncate.Tables {
		rows, err := c.sess.Query(ctx, "DELETE FROM "+pgsql.QuoteIdent(table.Name), nil, engine.StmtOptions{})
		if err != nil {
			if own {
				c.sess.Rollback(ctx)
			}
			return err
		}
		rows.Close()
	}
	if own {
		return c.sess.Commit(ctx)
	}
	return nil
}
