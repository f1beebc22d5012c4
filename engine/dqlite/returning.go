package dqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
)

// dqlite 1.11 replicates only what runs through its EXEC request; a write
// sent as a QUERY (which is how a statement that returns rows is sent)
// changes the leader's copy and nothing else, and an EXEC of a statement
// that yields rows stops at the first one. So INSERT, UPDATE and DELETE …
// RETURNING never reach dqlite as written. Inside a transaction (the
// statement's own or the client's), under a savepoint:
//
//   - INSERT/UPDATE: a temporary AFTER trigger records the rowid of every
//     row the statement writes (temp objects are connection-local and not
//     replicated); the statement runs through EXEC without its RETURNING
//     clause; then the RETURNING expressions are selected from the table
//     for the recorded rowids, in the order they were written.
//   - DELETE: the RETURNING expressions are selected with the statement's
//     WHERE clause, then the DELETE runs without RETURNING.
//
// The result must be exactly what SQLite would have returned, so the
// emulation refuses (SQLSTATE 0A000, before writing) what it cannot
// reproduce: WITHOUT ROWID tables, tables with triggers, ON CONFLICT DO
// UPDATE, RETURNING expressions that are not pure functions of the row
// (random(), subqueries, the time), and checks afterwards that the rows
// read match the rows changed one for one — rolling back to the savepoint
// and refusing if not.

const (
	retSavepoint = "_sqlcluster_ret"
	retTable     = "_sqlcluster_ret"
	retTrigger   = "_sqlcluster_ret_trg"
)

// retTableDDL creates the temp table the triggers fill; the mirror has it
// too so that the reading statement compiles there.
const retTableDDL = "CREATE TEMP TABLE IF NOT EXISTS " + retTable + "(_sqlcluster_seq INTEGER PRIMARY KEY, _sqlcluster_rid INTEGER)"

// retPlan is how one RETURNING statement is emulated.
type retPlan struct {
	verb  string // insert, update or delete
	table string // target table
	dml   string // the statement without its RETURNING clause
	sel   string // the statement that reads the returned rows
	// Parameters bound to dml and sel (SQLite numbers them ?1…?n and
	// counts the highest used).
	dmlParams, selParams int
}

// unsupportedReturning is the error for a RETURNING statement the engine
// cannot run exactly.
func unsupportedReturning(why string) *engine.Error {
	return &engine.Error{Code: "0A000",
		Message: "RETURNING is not supported for this statement in raft mode: " + why,
		Hint:    "Run the statement without RETURNING and read the rows with a SELECT in the same transaction."}
}

// volatileWords make an expression's value depend on more than the row.
var volatileWords = map[string]bool{
	"random": true, "randomblob": true, "changes": true, "total_changes": true,
	"last_insert_rowid": true, "current_timestamp": true, "current_time": true,
	"current_date": true, "select": true, "sqlite_offset": true,
}

type sigToken struct {
	pgsql.Token
	depth int
}

// planReturning parses a write statement with result columns. It returns
// nil (and no error) for statements that are not INSERT/UPDATE/DELETE, and
// an *engine.Error for those it cannot emulate.
func planReturning(query string) (*retPlan, error) {
	all, err := pgsql.Lex(query)
	if err != nil {
		return nil, unsupportedReturning("cannot parse the statement")
	}
	var toks []sigToken
	depth := 0
	for _, t := range all {
		switch t.Kind {
		case pgsql.TokSpace, pgsql.TokComment, pgsql.TokEOF:
			continue
		}
		if t.Kind == pgsql.TokPunct && (t.Str == ")" || t.Str == "]") {
			depth--
		}
		toks = append(toks, sigToken{t, depth})
		if t.Kind == pgsql.TokPunct && (t.Str == "(" || t.Str == "[") {
			depth++
		}
	}
	word := func(i int, w string) bool {
		return i < len(toks) && toks[i].Kind == pgsql.TokIdent && toks[i].depth == 0 && toks[i].Str == w
	}
	i := 0
	if word(0, "with") {
		for i = 1; i < len(toks); i++ {
			if word(i, "insert") || word(i, "replace") || word(i, "update") || word(i, "delete") || word(i, "select") || word(i, "values") {
				break
			}
		}
	}
	if i >= len(toks) || toks[i].Kind != pgsql.TokIdent {
		return nil, nil
	}
	// From here on the statement writes: anything not understood is
	// refused, never sent as a query.
	unparsed := unsupportedReturning("cannot parse the statement")
	p := &retPlan{verb: toks[i].Str}
	switch p.verb {
	case "insert":
		i++
		if word(i, "or") {
			i += 2
		}
		if !word(i, "into") {
			return nil, unparsed
		}
		i++
	case "replace":
		p.verb = "insert"
		i++
		if !word(i, "into") {
			return nil, unparsed
		}
		i++
	case "update":
		i++
		if word(i, "or") {
			i += 2
		}
	case "delete":
		i++
		if !word(i, "from") {
			return nil, unparsed
		}
		i++
	default:
		return nil, nil
	}
	name := func(i int) (string, bool) {
		if i < len(toks) && (toks[i].Kind == pgsql.TokIdent || toks[i].Kind == pgsql.TokQuotedIdent) {
			return toks[i].Str, true
		}
		return "", false
	}
	table, ok := name(i)
	if !ok {
		return nil, unsupportedReturning("cannot find the target table")
	}
	i++
	if i+1 < len(toks) && toks[i].Kind == pgsql.TokPunct && toks[i].Str == "." {
		if !strings.EqualFold(table, "main") {
			return nil, unsupportedReturning("the target table must be in the main schema")
		}
		if table, ok = name(i + 1); !ok {
			return nil, unsupportedReturning("cannot find the target table")
		}
		i += 2
	}
	p.table = table
	alias := quoteIdent(table)
	if word(i, "as") {
		a, ok := name(i + 1)
		if !ok {
			return nil, unsupportedReturning("cannot read the table alias")
		}
		alias = quoteIdent(a)
		i += 2
	}
	ret := -1
	where := -1
	for j := i; j < len(toks); j++ {
		switch {
		case word(j, "returning"):
			ret = j
		case word(j, "where") && where < 0 && ret < 0:
			where = j
		case word(j, "do") && word(j+1, "update"):
			return nil, unsupportedReturning("ON CONFLICT DO UPDATE")
		case p.verb == "delete" && ret < 0 && (word(j, "order") || word(j, "limit")):
			return nil, unsupportedReturning("DELETE with ORDER BY or LIMIT")
		}
		if ret >= 0 {
			break
		}
	}
	if ret < 0 {
		return nil, unsupportedReturning("cannot find the RETURNING clause")
	}
	for _, t := range toks[ret+1:] {
		if volatile(t.Token) {
			return nil, unsupportedReturning("the RETURNING list must depend only on the returned row (no subqueries, random() or current time)")
		}
	}
	retText := strings.TrimRight(strings.TrimSpace(query[toks[ret].Pos+len(toks[ret].Text):]), "; \t\r\n")
	p.dml = strings.TrimSpace(query[:toks[ret].Pos])
	target := "main." + quoteIdent(table) + " AS " + alias
	if p.verb == "delete" {
		whereText := ""
		if where >= 0 {
			for _, t := range toks[where+1 : ret] {
				if volatile(t.Token) && t.Str != "select" {
					return nil, unsupportedReturning("the WHERE clause of DELETE … RETURNING must be deterministic")
				}
			}
			whereText = " " + strings.TrimSpace(query[toks[where].Pos:toks[ret].Pos])
		}
		prefix := ""
		if word(0, "with") {
			// Find the DELETE keyword again: the prefix is everything
			// before it.
			for j := range toks {
				if word(j, "delete") {
					prefix = query[:toks[j].Pos]
					break
				}
			}
		}
		p.sel = prefix + "SELECT " + retText + " FROM " + target + whereText
		return p, nil
	}
	p.sel = "SELECT (SELECT count(*) FROM temp." + retTable + "), (SELECT count(DISTINCT _sqlcluster_rid) FROM temp." + retTable + "), " +
		retText + " FROM " + target +
		" WHERE " + alias + ".rowid IN (SELECT _sqlcluster_rid FROM temp." + retTable + ")" +
		" ORDER BY (SELECT _sqlcluster_seq FROM temp." + retTable + " WHERE _sqlcluster_rid = " + alias + ".rowid)"
	return p, nil
}

func volatile(t pgsql.Token) bool {
	switch t.Kind {
	case pgsql.TokIdent:
		return volatileWords[t.Str]
	case pgsql.TokString:
		return strings.EqualFold(strings.TrimSpace(t.Str), "now")
	}
	return false
}

// checkReturning completes a plan against the schema mirror: the table must
// be an ordinary rowid table without triggers, and both statements must
// compile (which also counts their parameters).
func checkReturning(ctx context.Context, m *mirror, p *retPlan) error {
	rowid, triggers, err := m.tableFacts(ctx, p.table)
	if err != nil {
		return err
	}
	switch {
	case !rowid:
		return unsupportedReturning(fmt.Sprintf("%s is not an ordinary rowid table (WITHOUT ROWID tables, views and virtual tables are not supported)", quoteIdent(p.table)))
	case triggers > 0:
		return unsupportedReturning(fmt.Sprintf("table %s has triggers", quoteIdent(p.table)))
	}
	dml := m.info(p.dml)
	if dml.err != nil {
		return translateError(dml.err)
	}
	sel := m.info(p.sel)
	if sel.err != nil {
		if errors.Is(sel.err, errMirrorClosed) {
			return sel.err
		}
		return unsupportedReturning(fmt.Sprintf("cannot read the returned rows back (%v)", mirrorMessage(sel.err.Error())))
	}
	p.dmlParams, p.selParams = paramCount(p.dml), paramCount(p.sel)
	if hasRowidColumn(ctx, m, p.table) {
		return unsupportedReturning(fmt.Sprintf("table %s has a column named rowid", quoteIdent(p.table)))
	}
	return nil
}

func hasRowidColumn(ctx context.Context, m *mirror, table string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return false
	}
	rows, err := m.query(ctx, "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE name = 'rowid' COLLATE NOCASE", []any{table})
	if err != nil || len(rows) == 0 {
		return false
	}
	n, _ := rows[0][0].(int64)
	return n > 0
}

// paramCount is the number of parameters SQLite counts in query: the
// highest ?N (a bare ? takes the next number). dqlite refuses more
// arguments than that.
func paramCount(query string) int {
	toks, err := pgsql.Lex(query)
	if err != nil {
		return -1
	}
	n := 0
	for i, t := range toks {
		if t.Kind != pgsql.TokOp || !strings.HasSuffix(t.Text, "?") {
			continue
		}
		if i+1 < len(toks) && toks[i+1].Kind == pgsql.TokNumber && toks[i+1].Pos == t.Pos+len(t.Text) {
			if k, err := strconv.Atoi(toks[i+1].Text); err == nil {
				n = max(n, k)
				continue
			}
		}
		n++
	}
	return n
}

func bindArgs(args []any, n int) []any {
	if n < 0 || n > len(args) {
		return args
	}
	return args[:n]
}

// runReturning executes a planned statement on c, which is inside a write
// transaction, and returns its rows.
func runReturning(ctx context.Context, c *conn, p *retPlan, args []any, cols []engine.Column) (*bufferedRows, error) {
	undo := func() {
		// Best effort: if the connection is gone, so is the transaction.
		c.exec(context.WithoutCancel(ctx), "ROLLBACK TO "+retSavepoint+"; RELEASE "+retSavepoint, nil)
	}
	var rows [][]any
	var n int64
	if p.verb == "delete" {
		if _, err := c.exec(ctx, "SAVEPOINT "+retSavepoint, nil); err != nil {
			return nil, err
		}
		raw, err := c.queryAll(ctx, p.sel, bindArgs(args, p.selParams))
		if err != nil {
			undo()
			return nil, err
		}
		if n, err = c.exec(ctx, p.dml, bindArgs(args, p.dmlParams)); err != nil {
			undo()
			return nil, err
		}
		if int64(len(raw)) != n {
			undo()
			return nil, unsupportedReturning(fmt.Sprintf("the statement deleted %d rows but %d matched beforehand", n, len(raw)))
		}
		if _, err := c.exec(ctx, "RELEASE "+retSavepoint, nil); err != nil {
			return nil, err
		}
		rows = normalizeRows(raw, cols, 0)
		return &bufferedRows{cols: cols, data: rows, affected: n}, nil
	}
	event := "INSERT"
	if p.verb == "update" {
		event = "UPDATE"
	}
	setup := "SAVEPOINT " + retSavepoint + "; " + retTableDDL + "; DELETE FROM temp." + retTable + "; " +
		"CREATE TEMP TRIGGER " + retTrigger + " AFTER " + event + " ON main." + quoteIdent(p.table) +
		" BEGIN INSERT INTO " + retTable + "(_sqlcluster_rid) VALUES (new.rowid); END"
	if _, err := c.exec(ctx, setup, nil); err != nil {
		undo()
		return nil, err
	}
	n, err := c.exec(ctx, p.dml, bindArgs(args, p.dmlParams))
	if err != nil {
		undo()
		return nil, err
	}
	raw, err := c.queryAll(ctx, p.sel, bindArgs(args, p.selParams))
	if err != nil {
		undo()
		return nil, err
	}
	exact := int64(len(raw)) == n
	if exact && n > 0 {
		captured, _ := raw[0][0].(int64)
		distinct, _ := raw[0][1].(int64)
		exact = captured == n && distinct == n
	}
	if !exact {
		undo()
		return nil, unsupportedReturning(fmt.Sprintf("the statement changed %d rows but they could not be read back one for one", n))
	}
	if _, err := c.exec(ctx, "DROP TRIGGER temp."+retTrigger+"; DELETE FROM temp."+retTable+"; RELEASE "+retSavepoint, nil); err != nil {
		return nil, err
	}
	rows = normalizeRows(raw, cols, 2)
	return &bufferedRows{cols: cols, data: rows, affected: n}, nil
}

// normalizeRows drops the first skip columns of each row and converts the
// values as normalizeValue does.
func normalizeRows(raw [][]driver.Value, cols []engine.Column, skip int) [][]any {
	out := make([][]any, len(raw))
	for i, r := range raw {
		row := make([]any, len(r)-skip)
		for j := range row {
			decl := ""
			if j < len(cols) {
				decl = cols[j].DeclType
			}
			row[j] = normalizeValue(r[j+skip], decl)
		}
		out[i] = row
	}
	return out
}
