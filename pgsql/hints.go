package pgsql

// Describe-time inference on the PostgreSQL text of a statement.
//
// SQLite reports a declared type only for result columns that are plain
// column references, and nothing at all for parameters, yet clients choose
// their encodings from the type OIDs in RowDescription and
// ParameterDescription. These functions recover what PostgreSQL's parser
// would have known from the statement alone: the output column names it
// derives (FigureColname), the types that literals, casts, operators and
// well-known functions fix, and for the rest the column whose declared type
// the server should look up.
//
// The analysis works on the translator's token tree with a small
// precedence-climbing expression parser. It is best-effort by design: an
// expression it cannot follow yields an empty hint, never an error, so the
// server falls back to text exactly as it would without hints.

import (
	"strconv"
	"strings"
)

// OutputHint describes one item of the top-level SELECT list (or RETURNING
// list).
type OutputHint struct {
	Name   string // the column name PostgreSQL reports
	Star   bool   // * or t.*
	Type   string // canonical PG type name when the expression alone determines it; "" when it depends on a column
	Column string // when Type == "": the column whose type the item follows
	Table  string // table Column belongs to when known (qualifier or alias resolved, or the only table in FROM); "" = any referenced table
	Func   string // aggregate applied to Column, if any: "sum", "avg", "max", "min"
}

// OutputHints describes the result columns of a SELECT, VALUES, TABLE or
// INSERT/UPDATE/DELETE … RETURNING statement. It returns nil for other
// statements and for text that does not lex.
func OutputHints(stmt string) []OutputHint {
	toks, err := Lex(stmt)
	if err != nil {
		return nil
	}
	ns, _, err := xbuild(stmt, toks)
	if err != nil {
		return nil
	}
	return houtputs(ns, 0)
}

// ParamHints infers PostgreSQL type names for $N parameters from their
// context. lookup returns the declared SQLite type of table.column (table ""
// means any table the statement references); column-derived hints are that
// declared type verbatim, the others canonical PG names ("int8", "text", …).
// Column "#k" asks lookup for the k-th column of table (INSERT without a
// column list).
func ParamHints(stmt string, lookup func(table, column string) (decltype string, ok bool)) map[int]string {
	toks, err := Lex(stmt)
	if err != nil {
		return nil
	}
	hasParam := false
	for i := range toks {
		if toks[i].Kind == TokParam {
			hasParam = true
			break
		}
	}
	if !hasParam {
		return nil
	}
	ns, _, err := xbuild(stmt, toks)
	if err != nil {
		return nil
	}
	ph := &hparams{lookup: lookup, found: map[int]hcand{}, scope: hscope{alias: map[string]string{}}}
	ph.scope.collect(ns, 0)
	ph.insert(ns)
	ph.walk(ns, 0)
	if len(ph.found) == 0 {
		return nil
	}
	out := make(map[int]string, len(ph.found))
	for n, c := range ph.found {
		out[n] = c.typ
	}
	return out
}

// maxHintDepth bounds recursion into nested groups and subqueries.
const maxHintDepth = 200

// ---------------------------------------------------------------------------
// Expressions.

type hkind uint8

const (
	hOther hkind = iota
	hLit
	hParam
	hCol
	hStar
	hFunc
	hCast
	hNeg       // unary + - ~
	hArith     // + - * / % ^
	hBool      // comparisons, LIKE, IN, IS, NOT, AND, OR, EXISTS
	hConcat    // ||
	hCase      // args are the THEN/ELSE results
	hSub       // scalar subquery; sub holds its nodes
	hArray     // ARRAY[…]; args are the elements
	hRow       // ROW(…) or (a, b)
	hSubscript // args[0][…]
)

type hexpr struct {
	kind hkind
	lit  string // hLit: "int4", "int8", "numeric", "text", "bool", "null"
	name string // column / function name, cast target type
	qual string // column qualifier
	op   string
	num  int // parameter number
	args []*hexpr
	sub  []xnode
}

var hother = &hexpr{kind: hOther}

// hparser parses one expression from a node list.
type hparser struct {
	ns    []xnode
	i     int
	depth int
}

func (p *hparser) peek(k int) *xnode {
	if p.i+k < len(p.ns) {
		return &p.ns[p.i+k]
	}
	return &xnode{kind: xPunct}
}

func (p *hparser) done() bool { return p.i >= len(p.ns) }

// hparse parses ns as a single expression, returning it and the index
// after it.
func hparse(ns []xnode, depth int) (*hexpr, int) {
	p := &hparser{ns: ns, depth: depth}
	e := p.expr(1)
	return e, p.i
}

func (p *hparser) expr(min int) *hexpr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxHintDepth {
		p.i = len(p.ns)
		return hother
	}
	left := p.unary()
	for !p.done() {
		prec, w := xbinPrec(p.ns, p.i)
		if prec == 0 || prec < min {
			break
		}
		n := p.peek(0)
		switch {
		case n.is("is"):
			p.i++
			if p.peek(0).is("not") {
				p.i++
			}
			if p.peek(0).is("distinct") && p.peek(1).is("from") {
				p.i += 2
				r := p.expr(5)
				left = &hexpr{kind: hBool, op: "distinct", args: []*hexpr{left, r}}
				continue
			}
			if p.peek(0).is("of") && p.peek(1).paren() {
				p.i += 2
			} else if !p.done() {
				p.i++ // NULL, TRUE, FALSE, UNKNOWN, DOCUMENT, NORMALIZED
			}
			left = &hexpr{kind: hBool, op: "is", args: []*hexpr{left}}
		case n.is("isnull"), n.is("notnull"):
			p.i++
			left = &hexpr{kind: hBool, op: "is", args: []*hexpr{left}}
		case p.peek(w - 1).is("between"):
			p.i += w
			if p.peek(0).is("symmetric") || p.peek(0).is("asymmetric") {
				p.i++
			}
			a := p.expr(7)
			if p.peek(0).is("and") {
				p.i++
			}
			b := p.expr(7)
			left = &hexpr{kind: hBool, op: "between", args: []*hexpr{left, a, b}}
		case p.peek(w - 1).is("in"):
			p.i += w
			e := &hexpr{kind: hBool, op: "in", args: []*hexpr{left}}
			if g := p.peek(0); g.paren() {
				p.i++
				if !xisQuery(g.kids) {
					for _, part := range xsplit(g.kids) {
						a, _ := hparse(part, p.depth)
						e.args = append(e.args, a)
					}
				}
			}
			left = e
		case p.peek(w - 1).is("like"), p.peek(w - 1).is("ilike"), p.peek(w - 1).is("similar"):
			p.i += w
			if p.peek(0).is("to") {
				p.i++
			}
			r := p.expr(7)
			if p.peek(0).is("escape") {
				p.i++
				p.expr(7)
			}
			left = &hexpr{kind: hBool, op: "like", args: []*hexpr{left, r}}
		case n.kind == xOp && (p.peek(1).is("any") || p.peek(1).is("some") || p.peek(1).is("all")) && p.peek(2).paren():
			p.i += 3
			left = &hexpr{kind: hBool, op: n.text, args: []*hexpr{left}}
		case n.is("and"), n.is("or"):
			p.i++
			r := p.expr(prec + 1)
			left = &hexpr{kind: hBool, op: n.str, args: []*hexpr{left, r}}
		case n.kind == xOp:
			p.i++
			r := p.expr(prec + 1)
			switch {
			case n.text == "||":
				left = &hexpr{kind: hConcat, args: []*hexpr{left, r}}
			case strings.Contains("+-*/%^", n.text):
				left = &hexpr{kind: hArith, op: n.text, args: []*hexpr{left, r}}
			case n.text == "->" || n.text == "#>" || n.text == "->>" || n.text == "#>>":
				left = &hexpr{kind: hOther, op: n.text, args: []*hexpr{left, r}}
			default:
				left = &hexpr{kind: hBool, op: n.text, args: []*hexpr{left, r}}
			}
		default:
			return left
		}
	}
	return left
}

func (p *hparser) unary() *hexpr {
	if p.done() {
		return hother
	}
	n := p.peek(0)
	if xunaryOp(n) {
		p.i++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxHintDepth {
			p.i = len(p.ns)
			return hother
		}
		e := p.unary()
		if n.text == "-" && e.kind == hLit {
			return e
		}
		return &hexpr{kind: hNeg, op: n.text, args: []*hexpr{e}}
	}
	if n.is("not") {
		p.i++
		return &hexpr{kind: hBool, op: "not", args: []*hexpr{p.expr(4)}}
	}
	return p.postfix(p.primary())
}

func (p *hparser) postfix(e *hexpr) *hexpr {
	for chain := 0; !p.done(); chain++ {
		if chain > maxHintDepth {
			// Deeper chains than any real statement has: give up on the
			// item rather than recurse over it later.
			p.i = len(p.ns)
			return hother
		}
		n := p.peek(0)
		switch {
		case n.isOp("::"):
			ty, j, ok := xparseType(p.ns, p.i+1)
			if !ok {
				p.i++
				return hother
			}
			p.i = j
			e = &hexpr{kind: hCast, name: htypeName(ty), args: []*hexpr{e}}
		case n.bracket():
			p.i++
			e = &hexpr{kind: hSubscript, args: []*hexpr{e}}
		case n.is("collate") && p.peek(1).name():
			p.i += 2
			for p.peek(0).isPunct(".") && p.peek(1).name() {
				p.i += 2
			}
		case n.is("at") && p.peek(1).is("time") && p.peek(2).is("zone"):
			p.i += 3
			p.unary()
			e = hother
		default:
			return e
		}
	}
	return e
}

// hvalueFuncs are the SQL value functions written without parentheses.
var hvalueFuncs = xset("current_date", "current_time", "current_timestamp", "localtime",
	"localtimestamp", "current_user", "session_user", "user", "current_role", "current_catalog",
	"current_schema")

func (p *hparser) primary() *hexpr {
	n := p.peek(0)
	p.i++
	switch n.kind {
	case xNumber:
		return &hexpr{kind: hLit, lit: hnumberType(n.text)}
	case xString:
		return &hexpr{kind: hLit, lit: "text"}
	case xParam:
		return &hexpr{kind: hParam, num: n.num}
	case xGroup:
		switch {
		case n.paren():
			if xisQuery(n.kids) {
				return &hexpr{kind: hSub, sub: n.kids}
			}
			parts := xsplit(n.kids)
			if len(parts) == 1 {
				e, _ := hparse(parts[0], p.depth)
				return e
			}
			return &hexpr{kind: hRow}
		case n.caseGroup():
			return hcase(n.kids, p.depth)
		}
		return hother
	case xOp:
		if n.text == "*" {
			return &hexpr{kind: hStar}
		}
		return hother
	case xIdent:
		switch n.str {
		case "null":
			return &hexpr{kind: hLit, lit: "null"}
		case "true", "false":
			return &hexpr{kind: hLit, lit: "bool"}
		case "exists":
			if p.peek(0).paren() {
				p.i++
			}
			return &hexpr{kind: hFunc, name: "exists"}
		case "array":
			e := &hexpr{kind: hArray}
			if g := p.peek(0); g.bracket() {
				p.i++
				for _, part := range xsplit(g.kids) {
					a, _ := hparse(part, p.depth)
					e.args = append(e.args, a)
				}
			} else if g.paren() {
				p.i++
				if hs := houtputs(g.kids, p.depth+1); len(hs) > 0 && hs[0].Type != "" {
					e.args = []*hexpr{{kind: hCast, name: hs[0].Type}}
				}
			}
			return e
		case "cast":
			if g := p.peek(0); g.paren() {
				p.i++
				for k := range g.kids {
					if g.kids[k].is("as") {
						ty, _, ok := xparseType(g.kids, k+1)
						if !ok {
							return hother
						}
						arg, _ := hparse(g.kids[:k], p.depth)
						return &hexpr{kind: hCast, name: htypeName(ty), args: []*hexpr{arg}}
					}
				}
			}
			return hother
		case "row":
			if p.peek(0).paren() {
				p.i++
				return &hexpr{kind: hRow, name: "row"}
			}
		}
		if xtypeWords[n.str] {
			if ty, j, ok := xparseType(p.ns, p.i-1); ok && j < len(p.ns) && p.ns[j].kind == xString && !ty.qual {
				p.i = j + 1
				if ty.name == "interval" && p.peek(0).kind == xIdent && xintervalFields[p.peek(0).str] {
					p.i++
				}
				return &hexpr{kind: hCast, name: htypeName(ty), args: []*hexpr{{kind: hLit, lit: "text"}}}
			}
		}
		if hvalueFuncs[n.str] && !p.peek(0).isPunct(".") {
			if p.peek(0).paren() {
				p.i++
			}
			return &hexpr{kind: hFunc, name: n.str}
		}
		if xreserved[n.str] {
			return hother
		}
		return p.name(n)
	case xQuoted:
		return p.name(n)
	}
	return hother
}

// name parses a column reference, t.*, or a function call starting with
// the already-consumed n.
func (p *hparser) name(n *xnode) *hexpr {
	parts := []string{n.str}
	for p.peek(0).isPunct(".") {
		m := p.peek(1)
		if m.isOp("*") {
			p.i += 2
			return &hexpr{kind: hStar, qual: parts[len(parts)-1]}
		}
		if !m.name() {
			break
		}
		parts = append(parts, m.str)
		p.i += 2
	}
	last := parts[len(parts)-1]
	if g := p.peek(0); g.paren() {
		p.i++
		e := &hexpr{kind: hFunc, name: last}
		e.args = hcallArgs(last, g.kids, p.depth)
		for {
			switch {
			case (p.peek(0).is("over") || p.peek(0).is("filter")) && p.peek(1).paren():
				p.i += 2
				continue
			case p.peek(0).is("over") && p.peek(1).name():
				p.i += 2
				continue
			case p.peek(0).is("within") && p.peek(1).is("group") && p.peek(2).paren():
				p.i += 3
				continue
			}
			break
		}
		if last == "trim" && len(g.kids) > 0 {
			switch {
			case g.kids[0].is("leading"):
				e.name = "ltrim"
			case g.kids[0].is("trailing"):
				e.name = "rtrim"
			default:
				e.name = "btrim"
			}
		}
		return e
	}
	e := &hexpr{kind: hCol, name: last}
	if len(parts) > 1 {
		e.qual = parts[len(parts)-2]
	}
	return e
}

// hcallArgs parses a call's arguments, skipping DISTINCT/ALL and an
// aggregate's ORDER BY, and the keyword forms of extract/trim/substring.
func hcallArgs(fn string, kids []xnode, depth int) []*hexpr {
	if len(kids) == 1 && kids[0].isOp("*") {
		return []*hexpr{{kind: hStar}}
	}
	var args []*hexpr
	for _, part := range xsplit(kids) {
		for k := range part {
			if part[k].is("order") && k+1 < len(part) && part[k+1].is("by") {
				part = part[:k]
				break
			}
		}
		if len(part) > 0 && (part[0].is("distinct") || part[0].is("all")) {
			part = part[1:]
		}
		if fn == "extract" || fn == "trim" || fn == "substring" {
			for k := range part {
				if part[k].is("from") {
					part = part[k+1:]
					break
				}
			}
		}
		a, _ := hparse(part, depth)
		args = append(args, a)
	}
	return args
}

// hcase parses the children of CASE … END into the list of result
// expressions.
func hcase(kids []xnode, depth int) *hexpr {
	e := &hexpr{kind: hCase}
	start := -1
	for k := 0; k <= len(kids); k++ {
		boundary := k == len(kids) || kids[k].is("when") || kids[k].is("then") || kids[k].is("else")
		if !boundary {
			continue
		}
		if start >= 0 {
			a, _ := hparse(kids[start:k], depth)
			e.args = append(e.args, a)
			start = -1
		}
		if k < len(kids) && (kids[k].is("then") || kids[k].is("else")) {
			start = k + 1
		}
	}
	return e
}

// hnumberType is the type PostgreSQL gives a numeric literal.
func hnumberType(s string) string {
	if strings.ContainsAny(s, ".eE") {
		return "numeric"
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	switch {
	case err != nil:
		return "numeric"
	case v <= 1<<31-1:
		return "int4"
	}
	return "int8"
}

// htypeName is the canonical name of a parsed type, arrays as "int4[]".
func htypeName(ty xtype) string {
	if ty.array {
		return ty.name + "[]"
	}
	return ty.name
}

// ---------------------------------------------------------------------------
// Output columns.

// hscope resolves table qualifiers and aliases to table names.
type hscope struct {
	alias  map[string]string // alias or table name → table name ("" for subqueries)
	tables []string          // tables in order of appearance
}

func (s *hscope) resolve(qual string) string {
	if qual == "" {
		if len(s.tables) == 1 {
			return s.tables[0]
		}
		return ""
	}
	if t, ok := s.alias[qual]; ok {
		return t
	}
	return qual
}

// hclause ends a FROM list (or a DML target) at the same nesting level.
var hclause = xset("where", "group", "having", "window", "order", "limit", "offset", "fetch", "for",
	"union", "intersect", "except", "returning", "on", "using", "set", "values", "select",
	"default", "overriding", "do", "conflict")

// hjoinWords separate FROM items.
var hjoinWords = xset("join", "inner", "left", "right", "full", "outer", "cross", "natural", "lateral")

// tableRefs records the table references of a FROM list starting at
// ns[i]: names with their aliases, skipping join conditions, up to the end
// of the clause.
func (s *hscope) tableRefs(ns []xnode, i int) {
	expect := true // at the start of a FROM item
	for i < len(ns) {
		n := &ns[i]
		switch {
		case n.is("on") || n.is("using"):
			for i++; i < len(ns); i++ {
				m := &ns[i]
				if m.isPunct(",") || m.kind == xIdent && (hjoinWords[m.str] || hclause[m.str] && !m.is("on") && !m.is("using")) {
					break
				}
			}
		case n.kind == xIdent && hclause[n.str]:
			return
		case n.isPunct(",") || n.kind == xIdent && hjoinWords[n.str]:
			expect = true
			i++
		case n.is("only"):
			i++
		case expect && n.name():
			j, name := hqualName(ns, i)
			if j < len(ns) && ns[j].paren() { // a table function
				j++
				name = ""
			}
			s.add(name)
			i = s.aliasAt(ns, j, name)
			expect = false
		case expect && n.paren():
			i = s.aliasAt(ns, i+1, "")
			expect = false
		default:
			i++
		}
	}
}

// hqualName reads a possibly qualified name at ns[i], returning the index
// after it and its last part.
func hqualName(ns []xnode, i int) (int, string) {
	name := ns[i].str
	j := i + 1
	for j+1 < len(ns) && ns[j].isPunct(".") && ns[j+1].name() {
		name = ns[j+1].str
		j += 2
	}
	return j, name
}

func (s *hscope) add(table string) {
	if table == "" {
		return
	}
	if _, ok := s.alias[table]; !ok || s.alias[table] != table {
		s.tables = append(s.tables, table)
	}
	s.alias[table] = table
}

// aliasAt records "[AS] alias [(cols)]" at ns[j] for table and returns the
// index after it.
func (s *hscope) aliasAt(ns []xnode, j int, table string) int {
	if j+1 < len(ns) && ns[j].is("with") && ns[j+1].is("ordinality") {
		j += 2
	}
	hasAs := j < len(ns) && ns[j].is("as")
	if hasAs {
		j++
	}
	if j < len(ns) && (ns[j].kind == xQuoted || ns[j].kind == xIdent && (hasAs || !xreserved[ns[j].str] && !hclause[ns[j].str] && !hjoinWords[ns[j].str])) {
		s.alias[ns[j].str] = table
		j++
		if j < len(ns) && ns[j].paren() {
			j++
		}
	}
	return j
}

// collect records every table reference in the statement, at all levels.
func (s *hscope) collect(ns []xnode, depth int) {
	if depth > maxHintDepth {
		return
	}
	for i := range ns {
		n := &ns[i]
		switch {
		case n.kind == xGroup:
			s.collect(n.kids, depth+1)
		case n.is("from") || n.is("join"):
			s.tableRefs(ns, i+1)
		case n.is("using") && ns[0].is("delete"):
			s.tableRefs(ns, i+1)
		case n.is("update") && i+1 < len(ns) && !ns[i+1].is("set"):
			s.tableRefs(ns, i+1)
		case n.is("into") && i > 0 && ns[i-1].is("insert") && i+1 < len(ns) && ns[i+1].name():
			s.target(ns, i+1)
		}
	}
}

// target records the table of INSERT INTO t [AS alias], whose following
// parenthesis is a column list rather than a function call.
func (s *hscope) target(ns []xnode, i int) {
	j, name := hqualName(ns, i)
	s.add(name)
	if j+1 < len(ns) && ns[j].is("as") && ns[j+1].name() {
		s.alias[ns[j+1].str] = name
	}
}

// hskipWith returns the index after a leading WITH clause at ns[i].
func hskipWith(ns []xnode, i int) int {
	if i >= len(ns) || !ns[i].is("with") {
		return i
	}
	i++
	if i < len(ns) && ns[i].is("recursive") {
		i++
	}
	for i < len(ns) {
		// name [(cols)] AS [NOT] [MATERIALIZED] (query)
		i++
		if i < len(ns) && ns[i].paren() {
			i++
		}
		if i < len(ns) && ns[i].is("as") {
			i++
		}
		for i < len(ns) && (ns[i].is("not") || ns[i].is("materialized")) {
			i++
		}
		if i < len(ns) && ns[i].paren() {
			i++
		}
		// SEARCH / CYCLE clauses are rare; stop at the comma.
		if i < len(ns) && ns[i].isPunct(",") {
			i++
			continue
		}
		return i
	}
	return i
}

// hselectEnd are the words that end a select list.
var hselectEnd = xset("from", "into", "where", "group", "having", "window", "order", "limit",
	"offset", "fetch", "for", "union", "intersect", "except")

func houtputs(ns []xnode, depth int) []OutputHint {
	if depth > maxHintDepth {
		return nil
	}
	for len(ns) > 0 && ns[len(ns)-1].isPunct(";") {
		ns = ns[:len(ns)-1]
	}
	i := hskipWith(ns, 0)
	if i >= len(ns) {
		return nil
	}
	n := &ns[i]
	scope := &hscope{alias: map[string]string{}}
	var items [][]xnode
	switch {
	case n.paren():
		return houtputs(n.kids, depth+1)
	case n.is("select"):
		j := i + 1
		if j < len(ns) && ns[j].is("distinct") {
			j++
			if j+1 < len(ns) && ns[j].is("on") && ns[j+1].paren() {
				j += 2
			}
		} else if j < len(ns) && ns[j].is("all") {
			j++
		}
		e := j
		for e < len(ns) && !(ns[e].kind == xIdent && hselectEnd[ns[e].str]) {
			e++
		}
		if e > j {
			items = xsplit(ns[j:e])
		}
		for k := e; k < len(ns); k++ {
			if ns[k].is("from") {
				scope.tableRefs(ns, k+1)
				break
			}
			if ns[k].is("union") || ns[k].is("intersect") || ns[k].is("except") {
				break
			}
		}
	case n.is("values"):
		if i+1 < len(ns) && ns[i+1].paren() {
			var hs []OutputHint
			for k, part := range xsplit(ns[i+1].kids) {
				e, _ := hparse(part, depth)
				h := hdescribe(e, scope, depth)
				h.Name = "column" + strconv.Itoa(k+1)
				hs = append(hs, h)
			}
			return hs
		}
		return nil
	case n.is("table"):
		return []OutputHint{{Name: "*", Star: true}}
	case n.is("insert") || n.is("update") || n.is("delete"):
		r := -1
		for k := i + 1; k < len(ns); k++ {
			if ns[k].is("returning") {
				r = k
				break
			}
		}
		if r < 0 || r+1 >= len(ns) {
			return nil
		}
		switch {
		case n.is("insert") && i+2 < len(ns) && ns[i+1].is("into"):
			scope.target(ns, i+2)
		case n.is("update"):
			scope.tableRefs(ns, i+1)
		case n.is("delete") && i+2 < len(ns) && ns[i+1].is("from"):
			scope.tableRefs(ns, i+2)
		}
		items = xsplit(ns[r+1:])
	default:
		return nil
	}
	hs := make([]OutputHint, 0, len(items))
	for _, item := range items {
		hs = append(hs, hitem(item, scope, depth))
	}
	return hs
}

// hitem describes one select-list item, alias included.
func hitem(item []xnode, scope *hscope, depth int) OutputHint {
	if len(item) == 0 {
		return OutputHint{Name: "?column?"}
	}
	e, j := hparse(item, depth)
	h := hdescribe(e, scope, depth)
	switch {
	case j+1 < len(item) && item[j].is("as") && item[j+1].name():
		h.Name = item[j+1].str
	case j+1 == len(item) && item[j].name() && !(item[j].kind == xIdent && xreserved[item[j].str]):
		h.Name = item[j].str
	}
	return h
}

// hdescribe derives a hint from a parsed expression.
func hdescribe(e *hexpr, scope *hscope, depth int) OutputHint {
	if e.kind == hStar {
		return OutputHint{Name: "*", Star: true, Table: scope.resolveStar(e.qual)}
	}
	name, _ := hname(e, depth)
	t := htypeOf(e, scope, depth)
	return OutputHint{Name: name, Type: t.typ, Column: t.col, Table: t.table, Func: t.fn}
}

func (s *hscope) resolveStar(qual string) string {
	if qual == "" {
		return ""
	}
	return s.resolve(qual)
}

// hname is PostgreSQL's FigureColname: the name and its strength (2 for a
// real name, 1 for a fallback such as "case", 0 for none).
func hname(e *hexpr, depth int) (string, int) {
	switch e.kind {
	case hCol, hFunc:
		return e.name, 2
	case hCast:
		if len(e.args) > 0 {
			if n, s := hname(e.args[0], depth); s > 1 {
				return n, s
			}
		}
		return strings.TrimSuffix(e.name, "[]"), 1
	case hCase:
		return "case", 1
	case hArray:
		return "array", 2
	case hRow:
		if e.name == "row" {
			return "row", 2
		}
	case hSubscript:
		if len(e.args) > 0 {
			return hname(e.args[0], depth)
		}
	case hSub:
		if hs := houtputs(e.sub, depth+1); len(hs) > 0 && hs[0].Name != "?column?" {
			return hs[0].Name, 2
		}
	}
	return "?column?", 0
}

// htype is an inferred type: a PG type name, or the column (and aggregate)
// it follows.
type htype struct{ typ, table, col, fn string }

// hintRank orders the numeric types for operator result promotion.
var hintRank = map[string]int{"int2": 1, "int4": 2, "int8": 3, "numeric": 4, "float4": 5, "float8": 6}

// hfuncType lists functions whose result type is fixed.
var hfuncType = map[string]string{
	"count": "int8", "row_number": "int8", "rank": "int8", "dense_rank": "int8", "ntile": "int4",
	"percent_rank": "float8", "cume_dist": "float8", "random": "float8", "pi": "float8",
	"now": "timestamptz", "current_timestamp": "timestamptz", "transaction_timestamp": "timestamptz",
	"statement_timestamp": "timestamptz", "clock_timestamp": "timestamptz", "to_timestamp": "timestamptz",
	"localtimestamp": "timestamp", "current_date": "date", "current_time": "timetz",
	"localtime": "time", "to_date": "date", "age": "interval", "date_part": "float8",
	"extract": "numeric", "to_number": "numeric", "version": "text", "current_user": "text",
	"session_user": "text", "user": "text", "current_role": "text", "current_catalog": "text",
	"current_database": "text", "current_schema": "text", "current_setting": "text",
	"set_config": "text", "lower": "text", "upper": "text", "initcap": "text", "concat": "text",
	"concat_ws": "text", "substr": "text", "substring": "text", "btrim": "text", "ltrim": "text",
	"rtrim": "text", "replace": "text", "translate": "text", "repeat": "text", "lpad": "text",
	"rpad": "text", "left": "text", "right": "text", "reverse": "text", "split_part": "text",
	"regexp_replace": "text", "to_char": "text", "md5": "text", "string_agg": "text",
	"quote_ident": "text", "quote_literal": "text", "quote_nullable": "text", "format": "text",
	"array_to_string": "text", "format_type": "text", "pg_get_expr": "text",
	"pg_get_indexdef": "text", "pg_get_constraintdef": "text", "pg_get_viewdef": "text",
	"pg_get_triggerdef": "text", "pg_get_functiondef": "text", "pg_get_ruledef": "text",
	"obj_description": "text", "col_description": "text", "shobj_description": "text",
	"pg_size_pretty": "text", "chr": "text", "encode": "text", "decode": "bytea",
	"pg_get_userbyid": "name", "pg_encoding_to_char": "name", "length": "int4",
	"char_length": "int4", "character_length": "int4", "octet_length": "int4",
	"bit_length": "int4", "position": "int4", "strpos": "int4", "ascii": "int4",
	"array_length": "int4", "array_upper": "int4", "array_lower": "int4", "cardinality": "int4",
	"array_ndims": "int4", "pg_backend_pid": "int4", "txid_current": "int8", "nextval": "int8",
	"currval": "int8", "setval": "int8", "lastval": "int8", "pg_relation_size": "int8",
	"pg_table_size": "int8", "pg_total_relation_size": "int8", "pg_indexes_size": "int8",
	"pg_database_size": "int8", "gen_random_uuid": "uuid", "uuid_generate_v4": "uuid",
	"to_json": "json", "json_build_object": "json", "json_build_array": "json", "json_agg": "json",
	"json_object_agg": "json", "row_to_json": "json", "array_to_json": "json", "to_jsonb": "jsonb",
	"jsonb_build_object": "jsonb", "jsonb_build_array": "jsonb", "jsonb_agg": "jsonb",
	"jsonb_object_agg": "jsonb", "jsonb_set": "jsonb", "bool_and": "bool", "bool_or": "bool",
	"every": "bool", "exists": "bool", "pg_table_is_visible": "bool", "pg_type_is_visible": "bool",
	"pg_function_is_visible": "bool", "has_table_privilege": "bool",
	"has_database_privilege": "bool", "has_schema_privilege": "bool",
	"has_column_privilege": "bool", "pg_relation_is_publishable": "bool",
	"pg_is_in_recovery": "bool", "starts_with": "bool", "pg_typeof": "regtype",
	"pg_postmaster_start_time": "timestamptz", "inet_client_addr": "inet",
	"json_typeof": "text", "jsonb_typeof": "text", "pg_column_size": "int4",
}

func htypeOf(e *hexpr, scope *hscope, depth int) htype {
	arg := func(k int) htype {
		if k < len(e.args) {
			return htypeOf(e.args[k], scope, depth)
		}
		return htype{}
	}
	switch e.kind {
	case hLit:
		if e.lit == "null" {
			return htype{typ: "text"}
		}
		return htype{typ: e.lit}
	case hCol:
		return htype{col: e.name, table: scope.resolve(e.qual)}
	case hCast:
		return htype{typ: e.name}
	case hNeg:
		return arg(0)
	case hBool:
		return htype{typ: "bool"}
	case hConcat:
		return htype{typ: "text"}
	case hArith:
		// An untyped parameter takes the other operand's type, as
		// PostgreSQL resolves "col + $1".
		l, r := arg(0), arg(1)
		switch {
		case len(e.args) == 2 && e.args[1].kind == hParam:
			r = l
		case len(e.args) == 2 && e.args[0].kind == hParam:
			l = r
		}
		return harith(e.op, l, r)
	case hCase:
		return hcommon(e.args, scope, depth)
	case hSub:
		if hs := houtputs(e.sub, depth+1); len(hs) > 0 && !hs[0].Star {
			return htype{typ: hs[0].Type, col: hs[0].Column, table: hs[0].Table, fn: hs[0].Func}
		}
	case hArray:
		if len(e.args) > 0 {
			if t := arg(0); t.typ != "" && !strings.HasSuffix(t.typ, "[]") {
				return htype{typ: t.typ + "[]"}
			}
		}
	case hSubscript:
		if t := arg(0); strings.HasSuffix(t.typ, "[]") {
			return htype{typ: strings.TrimSuffix(t.typ, "[]")}
		}
	case hFunc:
		return hfunc(e, scope, depth, arg)
	}
	return htype{}
}

func hfunc(e *hexpr, scope *hscope, depth int, arg func(int) htype) htype {
	switch e.name {
	case "sum", "avg", "max", "min":
		a := arg(0)
		switch {
		case a.typ != "":
			return htype{typ: haggType(e.name, a.typ)}
		case a.col != "" && a.fn == "":
			return htype{col: a.col, table: a.table, fn: e.name}
		}
		return htype{}
	case "coalesce", "greatest", "least", "nullif":
		args := e.args
		if e.name == "nullif" && len(args) > 1 {
			args = args[:1]
		}
		return hcommon(args, scope, depth)
	case "abs", "lag", "lead", "first_value", "last_value", "nth_value", "date_trunc":
		k := 0
		if e.name == "date_trunc" {
			k = 1
		}
		return arg(k)
	case "round", "trunc", "ceil", "ceiling", "floor", "sign", "sqrt", "exp", "ln", "power":
		a := arg(0)
		switch {
		case a.typ == "numeric" || e.name == "round" && len(e.args) == 2:
			return htype{typ: "numeric"}
		case hintRank[a.typ] > 0:
			return htype{typ: "float8"}
		}
		return htype{}
	case "array_agg":
		if a := arg(0); a.typ != "" && !strings.HasSuffix(a.typ, "[]") {
			return htype{typ: a.typ + "[]"}
		}
		return htype{}
	}
	if t, ok := hfuncType[e.name]; ok {
		return htype{typ: t}
	}
	if strings.HasSuffix(e.name, "_is_visible") {
		return htype{typ: "bool"}
	}
	return htype{}
}

// haggType is the result type of sum/avg/max/min over a known type.
func haggType(fn, t string) string {
	switch fn {
	case "sum":
		switch t {
		case "int2", "int4":
			return "int8"
		case "int8", "numeric":
			return "numeric"
		}
	case "avg":
		switch t {
		case "int2", "int4", "int8", "numeric":
			return "numeric"
		case "float4", "float8":
			return "float8"
		}
	}
	return t
}

// harith is the result of an arithmetic operator.
func harith(op string, l, r htype) htype {
	if l.typ != "" && r.typ != "" {
		rl, rr := hintRank[l.typ], hintRank[r.typ]
		if rl == 0 || rr == 0 {
			return htype{}
		}
		if op == "^" {
			if rl == 4 || rr == 4 {
				return htype{typ: "numeric"}
			}
			return htype{typ: "float8"}
		}
		if rl >= rr {
			return htype{typ: l.typ}
		}
		return htype{typ: r.typ}
	}
	intLit := func(t htype) bool { return t.typ == "int4" || t.typ == "int2" }
	switch {
	case l.col != "" && l.fn == "" && (intLit(r) || r == l):
		return l
	case r.col != "" && r.fn == "" && intLit(l):
		return r
	}
	return htype{}
}

// hcommon is the type shared by the alternatives of CASE / COALESCE, as
// PostgreSQL resolves it: NULLs and parameters are ignored, untyped string
// literals and small integer literals adopt the type of the other
// alternatives, and known numeric types promote. An unknown or conflicting
// mix yields no hint.
func hcommon(args []*hexpr, scope *hscope, depth int) htype {
	var res htype
	set := false
	var lits []string
	for _, a := range args {
		switch {
		case a.kind == hLit && a.lit == "null", a.kind == hParam:
			continue
		case a.kind == hLit:
			lits = append(lits, a.lit)
			continue
		}
		t := htypeOf(a, scope, depth)
		switch {
		case t == (htype{}):
			return htype{}
		case !set:
			res, set = t, true
		case t == res:
		case t.typ != "" && hintRank[t.typ] > 0 && hintRank[res.typ] > 0:
			if hintRank[t.typ] > hintRank[res.typ] {
				res = t
			}
		default:
			return htype{}
		}
	}
	if !set {
		// Literals only: text unless they are all numbers or booleans.
		res = htype{typ: "text"}
		for k, l := range lits {
			switch {
			case k == 0 && l != "text":
				res.typ = l
			case hintRank[l] > 0 && hintRank[res.typ] > 0:
				if hintRank[l] > hintRank[res.typ] {
					res.typ = l
				}
			case l != res.typ:
				return htype{typ: "text"}
			}
		}
		return res
	}
	for _, l := range lits {
		switch {
		case l == "text", l == res.typ:
		case res.col != "" && l == "int4":
			// An integer literal takes the column's (numeric) type.
		case res.typ != "" && hintRank[l] > 0 && hintRank[res.typ] > 0:
			if hintRank[l] > hintRank[res.typ] {
				res = htype{typ: l}
			}
		default:
			return htype{}
		}
	}
	return res
}

// ---------------------------------------------------------------------------
// Parameters.

// hcand is a parameter type with the confidence of the context it came
// from: an explicit cast beats a column position, which beats an operator
// neighbour.
type hcand struct {
	typ  string
	prio int
}

const (
	hprioNeighbor = 1
	hprioColumn   = 2
	hprioCast     = 3
)

type hparams struct {
	lookup func(table, column string) (string, bool)
	found  map[int]hcand
	scope  hscope
}

func (ph *hparams) set(num int, typ string, prio int) {
	if typ == "" || num <= 0 {
		return
	}
	if c, ok := ph.found[num]; ok && c.prio >= prio {
		return
	}
	ph.found[num] = hcand{typ, prio}
}

// column returns the declared type of a column, searching the referenced
// tables when the reference is unqualified.
func (ph *hparams) column(table, col string) string {
	if ph.lookup == nil {
		return ""
	}
	if table != "" {
		if t, ok := ph.scope.alias[table]; ok {
			if t == "" {
				return ""
			}
			table = t
		}
		if d, ok := ph.lookup(table, col); ok {
			return d
		}
		return ""
	}
	for _, t := range ph.scope.tables {
		if d, ok := ph.lookup(t, col); ok {
			return d
		}
	}
	if d, ok := ph.lookup("", col); ok {
		return d
	}
	return ""
}

// typeOfRange infers the type of the expression ns[s:e] for a parameter
// compared or combined with it.
func (ph *hparams) typeOfRange(ns []xnode, depth int) string {
	if len(ns) == 0 {
		return ""
	}
	e, j := hparse(ns, depth)
	if j != len(ns) {
		return ""
	}
	var t htype
	if e.kind == hCol {
		t = htype{col: e.name, table: e.qual}
	} else {
		t = htypeOf(e, &hscope{alias: map[string]string{}}, depth)
		if t.col != "" {
			t.table = "" // resolved below against the statement's tables
			if e.kind == hArith || e.kind == hNeg || e.kind == hCase || e.kind == hFunc {
				if q := hcolQual(e); q != "" {
					t.table = q
				}
			}
		}
	}
	switch {
	case t.typ != "":
		return t.typ
	case t.col != "" && t.fn == "":
		return ph.column(t.table, t.col)
	}
	return ""
}

// hcolQual finds the qualifier of the first column inside e.
func hcolQual(e *hexpr) string {
	if e.kind == hCol {
		return e.qual
	}
	for _, a := range e.args {
		if q := hcolQual(a); q != "" {
			return q
		}
	}
	return ""
}

// insert maps INSERT INTO t (cols) VALUES (…)/SELECT … positions to the
// target columns.
func (ph *hparams) insert(ns []xnode) {
	i := hskipWith(ns, 0)
	if i+2 >= len(ns) || !ns[i].is("insert") || !ns[i+1].is("into") {
		return
	}
	i += 2
	var tmp []xnode
	i, table := xcopyName(ns, i, &tmp)
	if i+1 < len(ns) && ns[i].is("as") {
		i += 2
	}
	if i >= len(ns) {
		return
	}
	// Without a column list the values fill the table's columns in order;
	// the lookup resolves "#k" as the k-th column (1-based).
	var cols []string
	positional := !ns[i].paren() || xisQuery(ns[i].kids)
	if !positional {
		for _, p := range xsplit(ns[i].kids) {
			if len(p) == 0 || !p[0].name() {
				return
			}
			cols = append(cols, p[0].str)
		}
		i++
	}
	if i+2 < len(ns) && ns[i].is("overriding") {
		i += 3
	}
	at := func(k int, item []xnode) {
		if len(item) != 1 || item[0].kind != xParam {
			return
		}
		switch {
		case positional:
			ph.set(item[0].num, ph.column(table, "#"+strconv.Itoa(k+1)), hprioColumn)
		case k < len(cols):
			ph.set(item[0].num, ph.column(table, cols[k]), hprioColumn)
		}
	}
	switch {
	case i < len(ns) && ns[i].is("values"):
		for i++; i < len(ns); i++ {
			if ns[i].paren() {
				for k, item := range xsplit(ns[i].kids) {
					at(k, item)
				}
			} else if !ns[i].isPunct(",") {
				break
			}
		}
	case i < len(ns) && (ns[i].is("select") || ns[i].paren() && len(ns[i].kids) > 0 && ns[i].kids[0].is("select")):
		sel := ns[i:]
		if ns[i].paren() {
			sel = ns[i].kids
		}
		j := 1
		if j < len(sel) && (sel[j].is("distinct") || sel[j].is("all")) {
			j++
		}
		e := j
		for e < len(sel) && !(sel[e].kind == xIdent && hselectEnd[sel[e].str]) {
			e++
		}
		if e > j {
			for k, item := range xsplit(sel[j:e]) {
				at(k, item)
			}
		}
	}
}

// walk visits every level looking at each parameter's neighbourhood.
func (ph *hparams) walk(ns []xnode, depth int) {
	if depth > maxHintDepth {
		return
	}
	for i := range ns {
		n := &ns[i]
		switch {
		case n.kind == xParam:
			ph.param(ns, i, depth)
		case n.kind == xGroup:
			if n.paren() && i > 0 && ns[i-1].is("in") {
				ph.inList(ns, i, depth)
			}
			if n.paren() && i > 0 && ns[i-1].is("cast") {
				k := 0
				for k < len(n.kids) && xunaryOp(&n.kids[k]) {
					k++
				}
				if k+1 < len(n.kids) && n.kids[k].kind == xParam && n.kids[k+1].is("as") {
					if ty, _, ok := xparseType(n.kids, k+2); ok {
						ph.set(n.kids[k].num, htypeName(ty), hprioCast)
					}
				}
			}
			ph.walk(n.kids, depth+1)
		}
	}
}

// inList hints the parameters of x [NOT] IN ($1, $2) from x.
func (ph *hparams) inList(ns []xnode, g, depth int) {
	opStart := g - 1
	if opStart > 0 && ns[opStart-1].is("not") {
		opStart--
	}
	s := xscanBack(ns, opStart, 7)
	if s < 0 {
		return
	}
	var typ string
	resolved := false
	for _, item := range xsplit(ns[g].kids) {
		if len(item) == 1 && item[0].kind == xParam {
			if !resolved {
				typ, resolved = ph.typeOfRange(ns[s:opStart], depth), true
			}
			ph.set(item[0].num, typ, hprioNeighbor)
		}
	}
}

// param hints $N at ns[i] from a cast, LIMIT/OFFSET, BETWEEN or the operand
// on the other side of an operator.
func (ph *hparams) param(ns []xnode, i, depth int) {
	num := ns[i].num
	if i+1 < len(ns) && ns[i+1].isOp("::") {
		if ty, _, ok := xparseType(ns, i+2); ok {
			ph.set(num, htypeName(ty), hprioCast)
			return
		}
	}
	if i > 0 && (ns[i-1].is("limit") || ns[i-1].is("offset")) ||
		i > 1 && ns[i-2].is("fetch") && (ns[i-1].is("first") || ns[i-1].is("next")) {
		ph.set(num, "int8", hprioColumn)
		return
	}
	// BETWEEN $1 AND $2
	if b := hbetweenFor(ns, i); b >= 0 {
		opStart := b
		if b > 0 && ns[b-1].is("not") {
			opStart = b - 1
		}
		if s := xscanBack(ns, opStart, 7); s >= 0 {
			ph.set(num, ph.typeOfRange(ns[s:opStart], depth), hprioNeighbor)
		}
		return
	}
	// Operand neighbours: the tighter-binding operator wins, as in
	// PostgreSQL's bottom-up resolution.
	l := i
	for l > 0 && xunaryOp(&ns[l-1]) && (l == 1 || !xcanEnd(&ns[l-2])) {
		l--
	}
	lp, rp := 0, 0
	var lt, rt string
	if p, os := xbinPrecBack(ns, l); p >= 5 && os > 0 && xcanEnd(&ns[os-1]) {
		if s := xscanBack(ns, os, p+1); s >= 0 {
			lp, lt = p, ph.typeOfRange(ns[s:os], depth)
		}
	}
	if i+1 < len(ns) {
		if p, w := xbinPrec(ns, i+1); p >= 5 && i+1+w < len(ns) && !ns[i+1+w-1].is("between") && !ns[i+1+w-1].is("in") {
			if e := xscanFwd(ns, i+1+w, p); e > i+1+w {
				rp, rt = p, ph.typeOfRange(ns[i+1+w:e], depth)
			}
		}
	}
	switch {
	case lt != "" && (rt == "" || lp >= rp):
		ph.set(num, lt, hprioNeighbor)
	case rt != "":
		ph.set(num, rt, hprioNeighbor)
	}
}

// hbetweenFor returns the index of the BETWEEN whose bound ns[i] is, or -1.
func hbetweenFor(ns []xnode, i int) int {
	if i == 0 {
		return -1
	}
	k := i - 1
	if ns[k].is("symmetric") || ns[k].is("asymmetric") {
		k--
	}
	if k >= 0 && ns[k].is("between") {
		return k
	}
	if !ns[i-1].is("and") {
		return -1
	}
	for k = i - 2; k >= 0; k-- {
		switch {
		case ns[k].is("between"):
			return k
		case ns[k].is("and"), ns[k].is("or"), ns[k].kind == xIdent && hclause[ns[k].str]:
			return -1
		}
	}
	return -1
}
