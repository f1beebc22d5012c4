package wire

import (
	"context"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// prepared is a parsed statement: a named or unnamed prepared statement of
// the extended protocol, or one statement of a simple Query.
type prepared struct {
	name   string
	sql    string // the client's PostgreSQL text
	stmt   *pgsql.Statement
	engine bool              // runs in the engine (vs. handled here)
	tr     pgsql.Translation // SQLite text, when engine
	opts   engine.StmtOptions

	params []pgtypes.Type
	// cols is the result shape; nil until described, noRows once known to
	// return none. A Describe answer never changes afterwards.
	cols      []resultCol
	described bool
}

// resultCol is one RowDescription field before result formats apply.
type resultCol struct {
	name     string
	typ      pgtypes.Type
	tableOID uint32
	attNum   int16
}

// prepare parses and translates one statement. paramOIDs are the types the
// client declared in Parse (0 = unspecified).
func (c *clientConn) prepare(ctx context.Context, name, sql string, paramOIDs []uint32) (*prepared, error) {
	st, err := pgsql.Parse(sql)
	if err != nil {
		return nil, err
	}
	p := &prepared{name: name, sql: sql, stmt: st}
	p.engine = runsInEngine(st)
	n := len(paramOIDs)
	if p.engine {
		p.tr, err = pgsql.Translate(sql, pgsql.TranslateOptions{Database: c.database, User: c.user, Schema: "public"})
		if err != nil {
			return nil, err
		}
		p.opts = engine.StmtOptions{ReadOnly: st.ReadOnly, UsesCatalog: p.tr.UsesCatalog, Standalone: st.Kind == pgsql.KindVacuum}
		n = max(n, p.tr.NumParams)
	}
	p.params = make([]pgtypes.Type, n)
	var hints map[int]string
	for i := range p.params {
		if i < len(paramOIDs) && paramOIDs[i] != 0 {
			if t, ok := pgtypes.ByOID(paramOIDs[i]); ok {
				p.params[i] = t
				continue
			}
			p.params[i] = pgtypes.Type{OID: paramOIDs[i], Name: "unknown", Size: -1, Modifier: -1}
			continue
		}
		if hints == nil && p.engine {
			hints = pgsql.ParamHints(sql, func(table, column string) (string, bool) {
				return c.sess.ColumnType(ctx, table, column)
			})
			if hints == nil {
				hints = map[int]string{}
			}
		}
		// Parameters carry no typmod in PostgreSQL: a varchar(5) column
		// compared with a longer value is a comparison, not an error.
		p.params[i] = typeFromHint(hints[i+1])
		p.params[i].Modifier = -1
	}
	return p, nil
}

// typeFromHint maps a parameter hint (a PG type name or a SQLite declared
// type) to a type; no hint means text, as PostgreSQL says for `SELECT $1`.
func typeFromHint(h string) pgtypes.Type {
	if h == "" {
		t, _ := pgtypes.ByName("text")
		return t
	}
	if t, ok := pgtypes.ByName(h); ok {
		return t
	}
	return pgtypes.FromDecl(h)
}

// runsInEngine reports whether SQLite executes the statement, as opposed to
// the protocol layer (transactions, settings, cursors, COPY, …).
func runsInEngine(st *pgsql.Statement) bool {
	switch st.Kind {
	case pgsql.KindBegin, pgsql.KindCommit, pgsql.KindRollback, pgsql.KindSavepoint, pgsql.KindRelease,
		pgsql.KindRollbackTo, pgsql.KindSet, pgsql.KindShow, pgsql.KindReset, pgsql.KindDeclare,
		pgsql.KindFetch, pgsql.KindMove, pgsql.KindClose, pgsql.KindCopy, pgsql.KindDeallocate,
		pgsql.KindPrepare, pgsql.KindExecute, pgsql.KindDiscard, pgsql.KindTruncate,
		pgsql.KindCreateDatabase, pgsql.KindDropDatabase, pgsql.KindAnalyze, pgsql.KindCheckpoint,
		pgsql.KindListen, pgsql.KindUnlisten, pgsql.KindNotify, pgsql.KindLock, pgsql.KindComment,
		pgsql.KindGrant, pgsql.KindRevoke, pgsql.KindCreateSchema, pgsql.KindEmpty, pgsql.KindDropSchema,
		pgsql.KindCreateSequence, pgsql.KindDropSequence, pgsql.KindCall, pgsql.KindDo, pgsql.KindExplain:
		return false
	}
	return true
}

// describe fills p.cols: from the engine for SQL it runs, from the statement
// itself for utility commands that return rows.
func (c *clientConn) describe(ctx context.Context, p *prepared) error {
	if p.described {
		return nil
	}
	switch {
	case p.engine:
		d, err := c.sess.Describe(ctx, p.tr.SQL, p.opts)
		if err != nil {
			return err
		}
		if len(d.Columns) > 0 {
			p.cols = c.resultColumns(ctx, p.sql, d.Columns, nil)
		}
		if d.NumParams > len(p.params) {
			for len(p.params) < d.NumParams {
				p.params = append(p.params, typeFromHint(""))
			}
		}
	case p.stmt.Kind == pgsql.KindShow:
		p.cols = showColumns(p.stmt)
	case p.stmt.Kind == pgsql.KindExplain:
		text, _ := pgtypes.ByName("text")
		p.cols = explainColumns(text)
	case p.stmt.Kind == pgsql.KindFetch:
		cur, err := c.cursor(p.stmt.Fetch.Cursor)
		if err != nil {
			return err
		}
		p.cols = cur.cols
	}
	p.described = true
	return nil
}

// resultColumns types each engine column: the declared type when SQLite
// knows it, else what the PostgreSQL text says about the expression, else
// (with a first row at hand, simple protocol only) the value's type, else
// text.
func (c *clientConn) resultColumns(ctx context.Context, sql string, cols []engine.Column, firstRow []any) []resultCol {
	hints := pgsql.OutputHints(sql)
	hints = alignHints(hints, len(cols))
	out := make([]resultCol, len(cols))
	for i, col := range cols {
		rc := resultCol{name: col.Name, tableOID: col.TableOID, attNum: col.AttNum}
		var h *pgsql.OutputHint
		if hints != nil {
			h = &hints[i]
			if !h.Star && h.Name != "" {
				rc.name = h.Name
			}
		}
		switch {
		case col.DeclType != "" && (h == nil || h.Type == "" || h.Column != ""):
			rc.typ = pgtypes.FromDecl(col.DeclType)
		case h != nil && h.Type != "":
			rc.typ = typeFromHint(h.Type)
		case h != nil && h.Column != "":
			decl, ok := c.sess.ColumnType(ctx, h.Table, h.Column)
			if ok {
				rc.typ = aggregateType(h.Func, pgtypes.FromDecl(decl))
			} else {
				rc.typ = typeFromHint("")
			}
		case firstRow != nil:
			rc.typ = pgtypes.InferFromValue(firstRow[i])
		default:
			rc.typ = typeFromHint("")
		}
		out[i] = rc
	}
	return out
}

// alignHints matches select-list items to result columns. A `*` expands to
// an unknown number of columns, so hints are only trusted positionally
// when there is none, or when the stars can be sized by subtraction.
func alignHints(h []pgsql.OutputHint, n int) []pgsql.OutputHint {
	if h == nil {
		return nil
	}
	stars := 0
	for _, x := range h {
		if x.Star {
			stars++
		}
	}
	if stars == 0 {
		if len(h) != n {
			return nil
		}
		return h
	}
	if stars > 1 || n < len(h)-1 {
		return nil
	}
	out := make([]pgsql.OutputHint, 0, n)
	for _, x := range h {
		if x.Star {
			for k := 0; k < n-(len(h)-1); k++ {
				out = append(out, pgsql.OutputHint{Star: true})
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// aggregateType applies PostgreSQL's result types for aggregates.
func aggregateType(fn string, t pgtypes.Type) pgtypes.Type {
	switch strings.ToLower(fn) {
	case "sum":
		switch t.Name {
		case "int2", "int4":
			return typeFromHint("int8")
		case "int8", "numeric":
			return typeFromHint("numeric")
		}
	case "avg":
		switch t.Name {
		case "float4", "float8":
			return typeFromHint("float8")
		default:
			return typeFromHint("numeric")
		}
	}
	return t
}

// rowDescription renders cols with the given result format codes (one code
// for all, or one per column, as in Bind).
func rowDescription(cols []resultCol, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, col := range cols {
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.name),
			TableOID:             col.tableOID,
			TableAttributeNumber: uint16(col.attNum),
			DataTypeOID:          col.typ.OID,
			DataTypeSize:         col.typ.Size,
			TypeModifier:         col.typ.Modifier,
			Format:               formatFor(formats, i),
		}
	}
	return rd
}

func formatFor(formats []int16, i int) int16 {
	switch len(formats) {
	case 0:
		return 0
	case 1:
		return formats[0]
	}
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

func paramDescription(params []pgtypes.Type) *pgproto3.ParameterDescription {
	pd := &pgproto3.ParameterDescription{ParameterOIDs: make([]uint32, len(params))}
	for i, t := range params {
		pd.ParameterOIDs[i] = t.OID
	}
	return pd
}
