package pgsql

// Translation from the PostgreSQL dialect to SQLite.
//
// The translator never builds a full parse tree. It lexes the statement,
// folds the tokens into a light tree in which every ( … ), [ … ] and
// CASE … END is a single group node whose children are the tokens inside,
// and then rewrites each nesting level with a handful of passes that look
// only at their immediate neighbourhood: a word and what follows it, the
// primary expression in front of a postfix `::`, the operands on either side
// of ILIKE / ~ / = ANY bounded by PostgreSQL's operator precedence. A
// rewritten stretch collapses into one opaque node holding finished SQLite
// text, so later passes treat it as a primary expression and rewrites
// compose (x::regtype::text, a ILIKE b::text, ARRAY[…] = ANY …).
//
// Invariants:
//   - Text the translator does not understand is copied byte for byte,
//     including whitespace and comments (each node carries the trivia that
//     precedes it), so SQLite sees exactly what the client wrote.
//   - Strings, quoted identifiers and comments are opaque tokens: nothing is
//     ever rewritten inside them (the lexer guarantees the boundaries).
//   - Translate is a pure function of its input and options, and never
//     panics: malformed input yields a *Error or, when PostgreSQL would have
//     accepted it but the shape is unexpected here, is passed through for
//     SQLite to reject.
//   - Most statements on a hot path (pgbench, ORM CRUD) contain nothing to
//     rewrite but $N placeholders; a token scan detects that and emits the
//     result without building the tree.

import (
	"strconv"
	"strings"
)

// TranslateOptions carries the session values that PostgreSQL exposes as
// SQL functions and that SQLite has no notion of.
type TranslateOptions struct {
	Database string // current_database(), current_catalog
	User     string // current_user, session_user, user, current_role
	Schema   string // current_schema(); "" means "public"
}

// Translation is the SQLite form of one PostgreSQL statement.
type Translation struct {
	SQL         string // SQLite SQL
	NumParams   int    // highest $N seen
	UsesCatalog bool   // references pg_catalog / information_schema objects or pg_* catalog functions: refresh the catalog first
}

// Codes for errors only the translator raises.
const (
	codeUndefinedObject = "42704" // undefined_object: unknown type name
	codeTooComplex      = "54001" // statement_too_complex
)

// maxSQLiteParam is SQLITE_MAX_VARIABLE_NUMBER's default; ?N beyond it
// cannot be bound.
const maxSQLiteParam = 32766

// maxNesting bounds the recursion over nested groups so a hostile statement
// made of thousands of parentheses cannot exhaust the stack.
const maxNesting = 1000

// Translate rewrites one PostgreSQL statement into SQLite SQL: $N
// placeholders become ?N, and the PostgreSQL-only syntax of queries, DML and
// CREATE/ALTER/DROP TABLE, INDEX and VIEW (casts, ILIKE, regex operators,
// ANY/ALL, arrays, table functions, session functions, column types,
// storage clauses, …) becomes its SQLite equivalent. Other statements
// (SET, BEGIN, CREATE SCHEMA, …) are the server's business and come back
// unchanged but for placeholders. Errors are *Error values with a
// PostgreSQL SQLSTATE: 42601 for syntax errors, 0A000 for constructs this
// server cannot express, 42704 for unknown type names.
func Translate(stmt string, opt TranslateOptions) (Translation, error) {
	toks, err := Lex(stmt)
	if err != nil {
		return Translation{}, err
	}
	if opt.Schema == "" {
		opt.Schema = "public"
	}
	var res Translation
	var need xneeds
	first := ""
	var prevSig *Token
	var open []byte // unclosed ( and [, checked here so the fast path reports them too
	for i := range toks {
		tk := &toks[i]
		switch tk.Kind {
		case TokSpace, TokComment, TokEOF:
			continue
		case TokParam:
			if tk.Num > maxSQLiteParam {
				return Translation{}, errAt(stmt, tk.Pos, CodeFeatureNotSupported,
					"parameter $%d exceeds the maximum of %d", tk.Num, maxSQLiteParam)
			}
			if tk.Num > res.NumParams {
				res.NumParams = tk.Num
			}
		case TokIdent, TokQuotedIdent:
			if first == "" && prevSig == nil && tk.Kind == TokIdent {
				first = tk.Str
			}
			if xcatalogWord(tk.Str) {
				res.UsesCatalog = true
			}
			if tk.Kind == TokIdent {
				need.word(tk.Str)
			} else if tk.Str == "public" || tk.Str == "pg_catalog" {
				need.slow = true
			}
		case TokString:
			if prevSig != nil && prevSig.Kind == TokIdent && (xtypeWords[prevSig.Str] || xtypeEndWords[prevSig.Str]) {
				need.slow = true // typed literal: timestamp '…'
			}
		case TokOp:
			need.op(tk.Str)
		case TokPunct:
			switch tk.Str {
			case "[":
				need.slow, need.postfix = true, true
				open = append(open, '[')
			case "(":
				open = append(open, '(')
			case ")", "]":
				want := byte('(')
				if tk.Str == "]" {
					want = '['
				}
				if len(open) == 0 || open[len(open)-1] != want {
					return Translation{}, errAt(stmt, tk.Pos, CodeSyntaxError, "syntax error at or near %q", tk.Str)
				}
				open = open[:len(open)-1]
			}
		}
		prevSig = tk
	}
	if len(open) > 0 {
		return Translation{}, errAt(stmt, len(stmt), CodeSyntaxError, "syntax error at end of input")
	}
	switch first {
	case "create":
		// Only CREATE TABLE / INDEX / VIEW need translating; CREATE SCHEMA,
		// EXTENSION, SEQUENCE, … are the server's business.
		need.slow = xcreateKind(toks) != ""
	case "alter":
		need.slow = xsecondWord(toks) == "table"
	case "drop":
		switch xsecondWord(toks) {
		case "table", "index", "view":
			need.slow = true
		default:
			need.slow = false
		}
	case "table":
		need.slow = true
	case "select", "with", "insert", "update", "delete", "values", "explain", "":
	default:
		// Utility statements (SET, SHOW, BEGIN, CREATE … handled above)
		// are the server's business; only placeholders change.
		need.slow = false
	}
	if !need.slow {
		res.SQL = xfast(stmt, toks)
		return res, nil
	}
	ns, tail, err := xbuild(stmt, toks)
	if err != nil {
		return Translation{}, err
	}
	t := &translator{opt: opt, src: stmt, need: need}
	if need.tablefunc {
		t.prescan(ns, 0)
	}
	switch first {
	case "create":
		ns, err = t.create(ns)
	case "alter":
		ns, err = t.alter(ns)
	case "drop":
		ns, err = t.drop(ns)
	case "table":
		ns[0] = xexpr(ns[0].lead, "SELECT * FROM", ns[0].pos)
		ns, err = t.seq(ns)
	default:
		ns, err = t.seq(ns)
	}
	if err != nil {
		return Translation{}, err
	}
	var b strings.Builder
	b.Grow(len(stmt) + 32)
	xwrite(&b, ns)
	b.WriteString(tail)
	res.SQL = b.String()
	return res, nil
}

// xneeds records, from a cheap token scan, which rewrites can possibly
// apply, so statements without them skip the tree and the passes.
type xneeds struct {
	slow      bool // anything beyond $N → ?N and string requoting
	postfix   bool // :: casts or [ ] subscripts
	limits    bool // OFFSET / FETCH / LIMIT ALL
	anyAll    bool // = ANY (…) and friends
	regex     bool // ~ !~ ~* !~*
	ilike     bool // ILIKE, ~~*
	tablefunc bool // unnest / generate_series in FROM
}

func (n *xneeds) word(w string) {
	switch w {
	case "ilike":
		n.slow, n.ilike = true, true
	case "any", "some", "all":
		n.slow, n.anyAll, n.limits = true, true, true
	case "offset", "fetch":
		n.slow, n.limits = true, true
	case "unnest", "generate_series", "pg_partition_ancestors":
		n.slow, n.tablefunc = true, true
	case "cast":
		n.slow, n.postfix = true, true
	case "array", "collate", "operator", "public", "pg_catalog", "current_user", "session_user",
		"user", "current_role", "current_catalog", "current_database", "current_schema",
		"current_schemas", "current_timestamp", "localtimestamp", "localtime", "current_date",
		"current_time", "transaction_timestamp", "statement_timestamp", "clock_timestamp", "is",
		"for", "array_agg", "trim", "substring", "position", "extract":
		n.slow = true
	}
}

func (n *xneeds) op(o string) {
	switch o {
	case "::":
		n.slow, n.postfix = true, true
	case "~", "!~", "~*", "!~*":
		n.slow, n.regex = true, true
	case "~~", "!~~":
		n.slow = true
	case "~~*", "!~~*":
		n.slow, n.ilike = true, true
	}
}

// xcatalogWord reports identifiers that make a statement read the emulated
// catalog.
func xcatalogWord(s string) bool {
	if strings.HasPrefix(s, "pg_") || s == "information_schema" {
		return true
	}
	switch s {
	case "format_type", "obj_description", "col_description", "shobj_description",
		"has_table_privilege", "has_database_privilege", "has_schema_privilege",
		"has_column_privilege", "has_function_privilege", "to_regclass", "to_regtype",
		"to_regproc", "to_regnamespace", "regclass", "regtype", "regproc", "regprocedure",
		"regnamespace", "regrole",
		// Session-dependent functions read the settings the engine hands
		// to the catalog on refresh; connections are pooled across
		// sessions, so the refresh must happen for this session.
		"current_setting", "set_config", "current_schemas", "version":
		return true
	}
	return false
}

// xfast emits stmt with only placeholders renumbered and non-standard string
// literals requoted; it returns stmt itself when nothing changes.
func xfast(stmt string, toks []Token) string {
	var b strings.Builder
	changed := false
	begin := func(pos int) {
		if !changed {
			changed = true
			b.Grow(len(stmt) + 16)
			b.WriteString(stmt[:pos])
		}
	}
	for i := range toks {
		tk := &toks[i]
		switch {
		case tk.Kind == TokParam:
			begin(tk.Pos)
			b.WriteByte('?')
			b.WriteString(strconv.Itoa(tk.Num))
		case tk.Kind == TokString && !xplainString(tk.Text, tk.Str):
			begin(tk.Pos)
			b.WriteString(xquote(tk.Str))
		case changed:
			b.WriteString(tk.Text)
		}
	}
	if !changed {
		return stmt
	}
	return b.String()
}

// xplainString reports whether text is already a standard '…' literal for
// value s (no E prefix, dollar quoting or continuation lines).
func xplainString(text, s string) bool {
	if len(text) < 2 || text[0] != '\'' {
		return false
	}
	return len(text)-2 == len(s)+strings.Count(s, "'")
}

// xquote renders s as a standard SQL string literal.
func xquote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// xquoteIdent renders s as a quoted identifier.
func xquoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// ---------------------------------------------------------------------------
// The token tree.

type xkind uint8

const (
	xIdent  xkind = iota // bare word; str is lower-cased
	xQuoted              // "quoted" identifier; str is the name
	xString              // string literal; str is the value
	xBits                // B'…' / X'…'
	xNumber
	xParam
	xOp
	xPunct
	xGroup // ( … ), [ … ] or CASE … END; text/end are the delimiters
	xExpr  // finished SQLite text standing for a primary expression
)

type xnode struct {
	kind    xkind
	post    bool   // a complete postfix clause (COLLATE BINARY) that belongs to the operand before it
	lead    string // whitespace and comments before the node
	text    string // source text, or the opening delimiter of a group
	str     string // lower-cased word, decoded literal, or a group's closing delimiter
	num     int
	pos     int     // byte offset in the statement
	kids    []xnode // a group's children; str holds its closing delimiter
	endLead string  // trivia before a group's closing delimiter
}

func (n *xnode) is(w string) bool      { return n.kind == xIdent && n.str == w }
func (n *xnode) isPunct(p string) bool { return n.kind == xPunct && n.text == p }
func (n *xnode) isOp(o string) bool    { return n.kind == xOp && n.text == o }
func (n *xnode) paren() bool           { return n.kind == xGroup && n.text == "(" }
func (n *xnode) bracket() bool         { return n.kind == xGroup && n.text == "[" }
func (n *xnode) caseGroup() bool       { return n.kind == xGroup && n.text != "(" && n.text != "[" }
func (n *xnode) name() bool            { return n.kind == xIdent || n.kind == xQuoted }
func xexpr(lead, text string, pos int) xnode {
	return xnode{kind: xExpr, lead: lead, text: text, pos: pos}
}

// xbuild folds tokens into the group tree. It returns the top-level nodes
// and the trivia after the last one. A first pass counts each group's
// children so every node lives in one exactly-sized arena: the tree costs a
// single allocation whatever its shape.
func xbuild(src string, toks []Token) ([]xnode, string, error) {
	// Pass 1: child counts per group, in opening order (0 is the top
	// level), and bracket matching.
	var countsBuf, stackBuf [32]int32
	var kindsBuf [32]byte
	counts := countsBuf[:1]
	stack := stackBuf[:0] // indexes into counts of the open groups
	kinds := kindsBuf[:0] // '(' '[' or 'c' (CASE) for each open group
	cur := int32(0)
	total := 0
	for i := range toks {
		tk := &toks[i]
		switch tk.Kind {
		case TokEOF, TokSpace, TokComment:
			continue
		case TokIdent:
			if tk.Str == "end" && len(kinds) > 0 && kinds[len(kinds)-1] == 'c' {
				cur, stack, kinds = stack[len(stack)-1], stack[:len(stack)-1], kinds[:len(kinds)-1]
				continue
			}
			if tk.Str == "case" {
				counts[cur]++
				total++
				stack, kinds = append(stack, cur), append(kinds, 'c')
				cur = int32(len(counts))
				counts = append(counts, 0)
				continue
			}
		case TokPunct:
			switch tk.Str {
			case "(", "[":
				counts[cur]++
				total++
				stack, kinds = append(stack, cur), append(kinds, tk.Str[0])
				cur = int32(len(counts))
				counts = append(counts, 0)
				continue
			case ")", "]":
				want := byte('(')
				if tk.Str == "]" {
					want = '['
				}
				if len(kinds) == 0 || kinds[len(kinds)-1] != want {
					return nil, "", errAt(src, tk.Pos, CodeSyntaxError, "syntax error at or near %q", tk.Str)
				}
				cur, stack, kinds = stack[len(stack)-1], stack[:len(stack)-1], kinds[:len(kinds)-1]
				continue
			}
		}
		counts[cur]++
		total++
	}
	if len(kinds) > 0 {
		return nil, "", errAt(src, len(src), CodeSyntaxError, "syntax error at end of input")
	}

	// Pass 2: fill the arena.
	arena := make([]xnode, total)
	off := int(counts[0])
	top := arena[:0:off]
	type frame struct {
		open   xnode
		parent []xnode
	}
	var framesBuf [16]frame
	frames := framesBuf[:0]
	list := top
	next := 1 // ordinal of the next group to open
	from := 0
	open := func(n xnode) {
		frames = append(frames, frame{open: n, parent: list})
		c := int(counts[next])
		next++
		list = arena[off : off : off+c]
		off += c
	}
	closeGroup := func(lead, text string) {
		f := frames[len(frames)-1]
		frames = frames[:len(frames)-1]
		g := f.open
		g.kids, g.endLead, g.str = list, lead, text
		list = append(f.parent, g)
	}
	for i := range toks {
		tk := &toks[i]
		if tk.Kind == TokEOF || tk.Kind == TokSpace || tk.Kind == TokComment {
			continue
		}
		lead := ""
		if tk.Pos >= from && tk.Pos <= len(src) {
			lead = src[from:tk.Pos]
		}
		from = tk.Pos + len(tk.Text)
		n := xnode{lead: lead, text: tk.Text, str: tk.Str, num: tk.Num, pos: tk.Pos}
		switch tk.Kind {
		case TokIdent:
			n.kind = xIdent
			if n.str == "case" {
				n.kind = xGroup
				open(n)
				continue
			}
			if n.str == "end" && len(frames) > 0 && frames[len(frames)-1].open.caseGroup() {
				closeGroup(lead, tk.Text)
				continue
			}
		case TokQuotedIdent:
			n.kind = xQuoted
		case TokString:
			n.kind = xString
		case TokBitString:
			n.kind = xBits
		case TokNumber:
			n.kind = xNumber
		case TokParam:
			n.kind = xParam
		case TokOp:
			n.kind = xOp
		default:
			n.kind = xPunct
			switch tk.Text {
			case "(", "[":
				n.kind = xGroup
				open(n)
				continue
			case ")", "]":
				closeGroup(lead, tk.Text)
				continue
			}
		}
		list = append(list, n)
	}
	if from > len(src) {
		from = len(src)
	}
	return list, src[from:], nil
}

func xwrite(b *strings.Builder, ns []xnode) {
	for i := range ns {
		b.WriteString(ns[i].lead)
		ns[i].writeBody(b)
	}
}

func (n *xnode) writeBody(b *strings.Builder) {
	b.WriteString(n.text)
	if n.kind == xGroup {
		xwrite(b, n.kids)
		b.WriteString(n.endLead)
		b.WriteString(n.str)
	}
}

// xjoin renders ns without the trivia in front of its first node.
func xjoin(ns []xnode) string {
	if len(ns) == 0 {
		return ""
	}
	if len(ns) == 1 && ns[0].kind != xGroup {
		return ns[0].text
	}
	var b strings.Builder
	ns[0].writeBody(&b)
	xwrite(&b, ns[1:])
	return b.String()
}

// xsplit splits a group's children on top-level commas.
func xsplit(ns []xnode) [][]xnode {
	parts, _ := xsplitSep(ns)
	return parts
}

// xsplitSep is xsplit that also returns the comma nodes, so a rewritten
// list can keep the original spacing.
func xsplitSep(ns []xnode) ([][]xnode, []xnode) {
	var parts [][]xnode
	var seps []xnode
	start := 0
	for i := range ns {
		if ns[i].isPunct(",") {
			parts = append(parts, ns[start:i])
			seps = append(seps, ns[i])
			start = i + 1
		}
	}
	if len(ns) > 0 {
		parts = append(parts, ns[start:])
	}
	return parts, seps
}

// xisQuery reports whether a group's children are a subquery.
func xisQuery(ns []xnode) bool {
	for len(ns) == 1 && ns[0].paren() {
		ns = ns[0].kids
	}
	return len(ns) > 0 && (ns[0].is("select") || ns[0].is("with") || ns[0].is("values") || ns[0].is("table"))
}

// ---------------------------------------------------------------------------
// Operator precedence and operand extents.

// xreserved holds words that cannot stand alone as an operand.
var xreserved = xset("all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"between", "both", "by", "case", "cast", "check", "collate", "column", "constraint",
	"create", "cross", "default", "deferrable", "delete", "desc", "distinct", "do", "else",
	"end", "escape", "except", "exists", "fetch", "filter", "for", "foreign", "from", "full",
	"grant", "group", "having", "ilike", "in", "initially", "inner", "insert", "intersect",
	"into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "natural",
	"not", "notnull", "offset", "on", "only", "or", "order", "outer", "over", "overlaps",
	"placing", "primary", "references", "returning", "right", "select", "set", "similar",
	"some", "symmetric", "table", "then", "to", "trailing", "union", "unique", "update",
	"using", "values", "variadic", "when", "where", "window", "with", "within", "ordinality")

// xnotFunc holds words that are never a function name in front of "(".
var xnotFunc = xset("and", "or", "not", "in", "is", "like", "ilike", "similar", "between", "as",
	"on", "using", "select", "from", "where", "having", "when", "then", "else", "values", "any",
	"all", "some", "over", "filter", "join", "into", "by", "set", "returning", "with", "union",
	"intersect", "except", "distinct", "escape", "table", "lateral", "within", "group", "window",
	"recursive", "materialized", "key", "unique", "check", "primary", "conflict", "do", "only",
	"ordinality", "case", "array", "cast", "default", "to", "for", "of", "limit", "offset", "fetch")

func xset(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// xcanEnd reports whether n can be the last node of an operand.
func xcanEnd(n *xnode) bool {
	switch n.kind {
	case xString, xNumber, xParam, xBits, xQuoted, xGroup, xExpr:
		return true
	case xIdent:
		return n.post || !xreserved[n.str]
	}
	return false
}

func xunaryOp(n *xnode) bool {
	return n.kind == xOp && (n.text == "-" || n.text == "+" || n.text == "~" || n.text == "@")
}

// xopPrec is PostgreSQL's binary operator precedence, higher binds tighter.
func xopPrec(o string) int {
	switch o {
	case "^":
		return 10
	case "*", "/", "%":
		return 9
	case "+", "-":
		return 8
	case "=", "<", ">", "<=", ">=", "<>", "!=":
		return 5
	case "::":
		return 0
	}
	return 7
}

// xbinPrec returns the precedence and width of a binary operator starting
// at ns[i], or 0 when ns[i] does not start one.
func xbinPrec(ns []xnode, i int) (int, int) {
	n := &ns[i]
	switch n.kind {
	case xOp:
		return xopPrec(n.text), 1
	case xIdent:
		if n.post {
			return 0, 0
		}
		switch n.str {
		case "like", "ilike", "similar", "between", "in":
			return 6, 1
		case "not":
			if i+1 < len(ns) {
				switch ns[i+1].str {
				case "like", "ilike", "similar", "between", "in":
					if ns[i+1].kind == xIdent {
						return 6, 2
					}
				}
			}
		case "is", "isnull", "notnull":
			return 4, 1
		case "and":
			return 2, 1
		case "or":
			return 1, 1
		}
	}
	return 0, 0
}

// xbinPrecBack returns the precedence and first index of a binary operator
// ending at ns[end-1].
func xbinPrecBack(ns []xnode, end int) (int, int) {
	if end <= 0 {
		return 0, end
	}
	p, w := xbinPrec(ns, end-1)
	if p == 6 && w == 1 && end >= 2 && ns[end-2].is("not") {
		return 6, end - 2
	}
	return p, end - 1
}

// xprimaryStart returns the index where the primary expression ending at
// ns[end-1] begins, or -1.
func xprimaryStart(ns []xnode, end int) int {
	k := end - 1
	for k > 0 && (ns[k].post || ns[k].bracket()) { // postfix COLLATE, subscripts
		k--
	}
	if k < 0 || ns[k].post || ns[k].bracket() {
		return -1
	}
	n := &ns[k]
	switch {
	case n.paren():
		if k == 0 {
			return k
		}
		p := &ns[k-1]
		if p.is("over") || p.is("filter") {
			return xprimaryStart(ns, k-1)
		}
		if p.is("group") && k >= 2 && ns[k-2].is("within") {
			return xprimaryStart(ns, k-2)
		}
		if p.is("exists") || p.kind == xQuoted || p.kind == xIdent && !xnotFunc[p.str] && !p.post {
			return xchainStart(ns, k-1)
		}
		return k
	case n.kind == xGroup, n.kind == xExpr, n.kind == xString, n.kind == xNumber,
		n.kind == xParam, n.kind == xBits:
		return k
	case n.kind == xQuoted, n.kind == xIdent && !xreserved[n.str]:
		if k > 0 && ns[k-1].is("over") { // OVER w
			return xprimaryStart(ns, k-1)
		}
		return xchainStart(ns, k)
	case n.isOp("*") && k >= 2 && ns[k-1].isPunct("."):
		return xchainStart(ns, k)
	}
	return -1
}

// xchainStart extends a name at ns[k] backwards over "schema." / "table."
// qualifiers.
func xchainStart(ns []xnode, k int) int {
	for k >= 2 && ns[k-1].isPunct(".") && ns[k-2].name() {
		k -= 2
	}
	return k
}

// xprimaryEnd returns the index just past the primary expression starting
// at ns[i], or -1.
func xprimaryEnd(ns []xnode, i int) int {
	if i >= len(ns) {
		return -1
	}
	n := &ns[i]
	switch {
	case n.kind == xQuoted, n.kind == xIdent && (!xreserved[n.str] || n.str == "exists" || n.str == "array"):
		i++
		for i+1 < len(ns) && ns[i].isPunct(".") && (ns[i+1].name() || ns[i+1].isOp("*")) {
			i += 2
		}
		if i < len(ns) && (ns[i].paren() || n.str == "array" && ns[i].bracket()) {
			i++
			for i < len(ns) {
				switch {
				case (ns[i].is("over") || ns[i].is("filter")) && i+1 < len(ns) && ns[i+1].paren():
					i += 2
					continue
				case ns[i].is("over") && i+1 < len(ns) && ns[i+1].name():
					i += 2
					continue
				case ns[i].is("within") && i+2 < len(ns) && ns[i+1].is("group") && ns[i+2].paren():
					i += 3
					continue
				}
				break
			}
		} else if n.kind == xIdent && (n.str == "exists" || n.str == "array") {
			return -1
		}
	case n.kind == xGroup && !n.bracket(), n.kind == xExpr, n.kind == xString, n.kind == xNumber,
		n.kind == xParam, n.kind == xBits:
		i++
	default:
		return -1
	}
	// Postfix clauses that bind tighter than any binary operator.
	for i < len(ns) {
		switch {
		case ns[i].post, ns[i].bracket():
			i++
		case ns[i].isOp("::"):
			_, j, ok := xparseType(ns, i+1)
			if !ok {
				return i
			}
			i = j
		case ns[i].is("collate") && i+1 < len(ns) && ns[i+1].name():
			i += 2
			for i+1 < len(ns) && ns[i].isPunct(".") && ns[i+1].name() {
				i += 2
			}
		default:
			return i
		}
	}
	return i
}

// xscanBack returns where the left operand of a binary operator at ns[end]
// starts, taking in operators of precedence >= minPrec; -1 if there is no
// operand.
func xscanBack(ns []xnode, end, minPrec int) int {
	i := end
	for {
		s := xprimaryStart(ns, i)
		if s < 0 {
			return -1
		}
		for s > 0 && xunaryOp(&ns[s-1]) && (s == 1 || !xcanEnd(&ns[s-2])) {
			s--
		}
		if p, os := xbinPrecBack(ns, s); p >= minPrec && p > 0 && os > 0 && xcanEnd(&ns[os-1]) {
			i = os
			continue
		}
		return s
	}
}

// xscanFwd returns the index just past the right operand starting at
// ns[start], taking in operators of precedence > minPrec; -1 if there is
// no operand.
func xscanFwd(ns []xnode, start, minPrec int) int {
	i := start
	for {
		for i < len(ns) && xunaryOp(&ns[i]) {
			i++
		}
		e := xprimaryEnd(ns, i)
		if e < 0 {
			return -1
		}
		i = e
		if i < len(ns) {
			if p, w := xbinPrec(ns, i); p > minPrec && i+w < len(ns) {
				i += w
				continue
			}
		}
		return i
	}
}

// ---------------------------------------------------------------------------
// Type names.

// xtype is a parsed PostgreSQL type name.
type xtype struct {
	name   string // canonical name (int4, varchar, timestamptz, …) or the name as written
	known  bool   // name is a PostgreSQL built-in type
	mod    string // type modifier as written, "(10,2)"
	array  bool
	multi  bool // spelled with several words
	qual   bool // schema-qualified
	serial bool // serial family: an int with an implicit sequence
}

// xtypeAlias maps every spelling of a built-in type to its canonical name.
var xtypeAlias = map[string]string{
	"int2": "int2", "smallint": "int2", "int4": "int4", "integer": "int4", "int": "int4",
	"int8": "int8", "bigint": "int8", "float4": "float4", "real": "float4", "float8": "float8",
	"float": "float8", "double precision": "float8", "numeric": "numeric", "decimal": "numeric",
	"dec": "numeric", "text": "text", "varchar": "varchar", "character varying": "varchar",
	"char varying": "varchar", "character": "bpchar", "char": "bpchar", "bpchar": "bpchar",
	"name": "name", "citext": "citext", "bool": "bool", "boolean": "bool", "bytea": "bytea",
	"date": "date", "time": "time", "time without time zone": "time", "timetz": "timetz",
	"time with time zone": "timetz", "timestamp": "timestamp",
	"timestamp without time zone": "timestamp", "timestamptz": "timestamptz",
	"timestamp with time zone": "timestamptz", "interval": "interval", "uuid": "uuid",
	"json": "json", "jsonb": "jsonb", "regclass": "regclass", "regtype": "regtype",
	"regproc": "regproc", "regnamespace": "regnamespace", "regrole": "regrole", "oid": "oid",
	"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8",
	"smallserial": "int2", "serial2": "int2", "xid": "xid", "cid": "cid", "xid8": "xid8",
	"money": "money", "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "macaddr8": "macaddr8",
	"point": "point", "line": "line", "lseg": "lseg", "box": "box", "path": "path",
	"polygon": "polygon", "circle": "circle", "bit": "bit", "varbit": "varbit",
	"bit varying": "varbit", "tsvector": "tsvector", "tsquery": "tsquery", "xml": "xml",
	"pg_lsn": "pg_lsn", "int4range": "int4range", "int8range": "int8range",
	"numrange": "numrange", "tsrange": "tsrange", "tstzrange": "tstzrange",
	"daterange": "daterange", "regprocedure": "regprocedure", "regoper": "regoper",
	"regoperator": "regoperator", "regconfig": "regconfig", "regdictionary": "regdictionary",
	"regcollation": "regcollation", "record": "record", "void": "void",
	"int2vector": "int2vector", "oidvector": "oidvector", "tid": "tid", "unknown": "unknown",
}

// xcastClass maps canonical names to the SQLite CAST target, or "pg" for
// types the catalog's pg_cast() converts. Types absent here exist in
// PostgreSQL but have no representation in this server.
var xcastClass = map[string]string{
	"int2": "INTEGER", "int4": "INTEGER", "int8": "INTEGER", "xid": "INTEGER", "cid": "INTEGER",
	"xid8": "INTEGER", "float4": "REAL", "float8": "REAL", "numeric": "NUMERIC",
	"text": "TEXT", "varchar": "TEXT", "bpchar": "TEXT", "name": "TEXT", "char": "TEXT",
	"citext": "TEXT", "unknown": "TEXT",
	"bool": "pg", "bytea": "pg", "date": "pg", "time": "pg", "timetz": "pg", "timestamp": "pg",
	"timestamptz": "pg", "interval": "pg", "uuid": "pg", "json": "pg", "jsonb": "pg",
	"regclass": "pg", "regtype": "pg", "regproc": "pg", "regnamespace": "pg", "regrole": "pg",
	"oid": "pg",
}

// xtypeWords holds words that can start a type name.
var xtypeWords = func() map[string]bool {
	m := map[string]bool{"double": true, "national": true}
	for k := range xtypeAlias {
		if !strings.Contains(k, " ") {
			m[k] = true
		}
	}
	return m
}()

// xtypeEndWords are the last words of multi-word type names, for the token
// scan's typed-literal check (timestamp with time zone '…').
var xtypeEndWords = xset("precision", "varying", "zone")

var xintervalFields = xset("year", "month", "day", "hour", "minute", "second")

// xparseType parses a type name starting at ns[i]; it returns the type and
// the index after it.
func xparseType(ns []xnode, i int) (xtype, int, bool) {
	var ty xtype
	if i >= len(ns) || !ns[i].name() {
		return ty, i, false
	}
	if i+2 < len(ns) && ns[i+1].isPunct(".") && ns[i+2].name() {
		ty.qual = true
		i += 2
	}
	n := &ns[i]
	i++
	if n.kind == xQuoted {
		ty.name = n.str
		if c, ok := xtypeAlias[n.str]; ok {
			if n.str == "char" {
				c = "char" // "char" is the internal one-byte type, not bpchar
			}
			ty.name, ty.known = c, true
		}
	} else {
		name := n.str
		switch name {
		case "double":
			if i < len(ns) && ns[i].is("precision") {
				name, ty.multi = "double precision", true
				i++
			}
		case "national":
			if i < len(ns) && (ns[i].is("character") || ns[i].is("char")) {
				name, ty.multi = ns[i].str, true
				i++
			}
		case "timestamp", "time":
			if i < len(ns) && ns[i].paren() {
				ty.mod = xjoin(ns[i : i+1])
				i++
			}
			if i+2 < len(ns) && (ns[i].is("with") || ns[i].is("without")) && ns[i+1].is("time") && ns[i+2].is("zone") {
				name += " " + ns[i].str + " time zone"
				ty.multi = true
				i += 3
			}
		case "interval":
			for i < len(ns) && ns[i].kind == xIdent && (xintervalFields[ns[i].str] || ns[i].str == "to") {
				ty.multi = true
				i++
			}
		}
		if (name == "character" || name == "char" || name == "bit") && i < len(ns) && ns[i].is("varying") {
			name += " varying"
			ty.multi = true
			i++
		}
		ty.name = name
		if c, ok := xtypeAlias[name]; ok {
			ty.name, ty.known = c, true
			ty.serial = strings.Contains(name, "serial")
		}
	}
	if ty.mod == "" && i < len(ns) && ns[i].paren() {
		ty.mod = xjoin(ns[i : i+1])
		i++
		if ty.name == "float8" {
			if p, err := strconv.Atoi(strings.TrimSpace(xjoin(ns[i-1].kids))); err == nil && p <= 24 {
				ty.name = "float4"
			}
		}
	}
	for i < len(ns) && ns[i].bracket() {
		ty.array = true
		i++
	}
	if i < len(ns) && ns[i].is("array") {
		ty.array = true
		i++
		if i < len(ns) && ns[i].bracket() {
			i++
		}
	}
	return ty, i, true
}

// castText renders CAST(expr AS …) or pg_cast(expr, '…') for a cast to ty.
func (t *translator) castText(expr string, ty xtype, pos int) (string, error) {
	if ty.array {
		if !ty.known {
			return "", errAt(t.src, pos, codeUndefinedObject, "type %q does not exist", ty.name)
		}
		if xcastClass[ty.name] == "" {
			return "", errAt(t.src, pos, CodeFeatureNotSupported, "type %s[] is not supported", ty.name)
		}
		return "pg_cast(" + expr + ", '" + ty.name + "[]')", nil
	}
	switch c := xcastClass[ty.name]; c {
	case "":
		if !ty.known {
			return "", errAt(t.src, pos, codeUndefinedObject, "type %q does not exist", ty.name)
		}
		return "", errAt(t.src, pos, CodeFeatureNotSupported, "type %s is not supported", ty.name)
	case "pg":
		return "pg_cast(" + expr + ", '" + ty.name + "')", nil
	default:
		return "CAST(" + expr + " AS " + c + ")", nil
	}
}

// ---------------------------------------------------------------------------
// The per-level rewrite passes.

// xcow builds a pass's output copy-on-write: until the first rewrite the
// output is the input itself, so passes that find nothing allocate nothing.
type xcow struct {
	src    []xnode
	out    []xnode
	copied bool
}

// prefix is the output so far when the pass is at src[i].
func (c *xcow) prefix(i int) []xnode {
	if c.copied {
		return c.out
	}
	return c.src[:i]
}

// materialize starts a private output holding src[:i].
func (c *xcow) materialize(i int) {
	if !c.copied {
		c.out = append(make([]xnode, 0, len(c.src)), c.src[:i]...)
		c.copied = true
	}
}

// keep passes src[i] through unchanged.
func (c *xcow) keep(i int, n xnode) {
	if c.copied {
		c.out = append(c.out, n)
	}
}

// set passes n, a modified src[i], through.
func (c *xcow) set(i int, n xnode) {
	if c.copied {
		c.out = append(c.out, n)
	} else {
		c.src[i] = n
	}
}

// replace materializes at i and substitutes n for the output's tail from
// index s.
func (c *xcow) replace(i, s int, n xnode) {
	c.materialize(i)
	c.out = append(c.out[:s], n)
}

func (c *xcow) result() []xnode {
	if c.copied {
		return c.out
	}
	return c.src
}

// xparamText avoids an allocation per placeholder for the common ?1…?99.
var xparamText = func() [100]string {
	var a [100]string
	for i := range a {
		a[i] = "?" + strconv.Itoa(i)
	}
	return a
}()

func xparam(n int) string {
	if n >= 0 && n < len(xparamText) {
		return xparamText[n]
	}
	return "?" + strconv.Itoa(n)
}

type translator struct {
	opt   TranslateOptions
	src   string
	need  xneeds
	depth int
	tfs   []xtfRefs // lateral unnest aliases whose column references change
	work  int       // bytes of rewritten text produced so far
}

// xworkFactor bounds the text rewrites may produce relative to the
// statement: nested rewrites (a[1][1]…, x::int::int…) copy their operand
// each time, so a hostile chain would otherwise cost quadratic time.
const xworkFactor = 16

// spend charges a rewrite's output against the budget.
func (t *translator) spend(text string) error {
	t.work += len(text)
	if t.work > xworkFactor*len(t.src)+1<<20 {
		return &Error{Code: codeTooComplex, Message: "statement is too complex to translate"}
	}
	return nil
}

// xtfRefs maps the column names a lateral unnest(…) AS alias(col) exposes to
// the json_each() expressions that replace them.
type xtfRefs struct {
	alias string
	cols  map[string]string
}

// seq translates one nesting level: the word pass (which recurses into
// groups) and then, when the token scan saw their triggers, the passes for
// postfix casts and subscripts, LIMIT/OFFSET, ANY/ALL, regex operators and
// ILIKE, in order of decreasing operator precedence so each pass sees the
// tighter-binding rewrites as finished operands.
func (t *translator) seq(ns []xnode) ([]xnode, error) {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > maxNesting {
		return nil, &Error{Code: codeTooComplex, Message: "statement is too deeply nested"}
	}
	ns, err := t.words(ns)
	if err != nil {
		return nil, err
	}
	if t.need.postfix {
		if ns, err = t.postfix(ns); err != nil {
			return nil, err
		}
	}
	if t.need.limits {
		ns = xlimits(ns)
	}
	if t.need.anyAll {
		if ns, err = t.anyAll(ns); err != nil {
			return nil, err
		}
	}
	if t.need.regex {
		if ns, err = t.regex(ns); err != nil {
			return nil, err
		}
	}
	if t.need.ilike {
		if ns, err = t.ilike(ns); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// words is the first pass: placeholders, literals, keywords and word-led
// constructs (CAST(…), ARRAY[…], OPERATOR(…), COLLATE, typed literals,
// session functions, table functions), recursing into groups.
func (t *translator) words(ns []xnode) ([]xnode, error) {
	c := xcow{src: ns}
	inFrom := false
	for i := 0; i < len(ns); i++ {
		n := ns[i]
		changed := true
		switch n.kind {
		case xParam:
			n.text = xparam(n.num)
		case xString:
			if xplainString(n.text, n.str) {
				changed = false
			} else {
				n.text = xquote(n.str)
			}
		case xOp:
			switch n.text {
			case "~~":
				n = xnode{kind: xIdent, str: "like", text: "LIKE", lead: n.lead, pos: n.pos}
			case "!~~":
				n = xnode{kind: xIdent, str: "like", text: "NOT LIKE", lead: n.lead, pos: n.pos}
			case "~~*":
				n = xnode{kind: xIdent, str: "ilike", text: "ILIKE", lead: n.lead, pos: n.pos}
			case "!~~*":
				c.emit(i, xnode{kind: xIdent, str: "not", text: "NOT", lead: n.lead, pos: n.pos})
				n = xnode{kind: xIdent, str: "ilike", text: "ILIKE", lead: " ", pos: n.pos}
			default:
				changed = false
			}
		case xGroup:
			kids, err := t.seq(n.kids)
			if err != nil {
				return nil, err
			}
			n.kids = kids
		case xIdent, xQuoted:
			j, done, err := t.word(ns, i, &c, &inFrom)
			if err != nil {
				return nil, err
			}
			if done {
				c.materialize(i)
				i = j
				continue
			}
			changed = false
		default:
			changed = false
		}
		if changed {
			c.set(i, n)
		} else {
			c.keep(i, n)
		}
	}
	return c.result(), nil
}

// emit materializes the output at src[i] and appends n.
func (c *xcow) emit(i int, n xnode) {
	c.materialize(i)
	c.out = append(c.out, n)
}

// word rewrites a construct led by the word ns[i]. When it handles one it
// appends the result to out and returns the index of the last node it
// consumed.
func (t *translator) word(ns []xnode, i int, c *xcow, inFrom *bool) (int, bool, error) {
	n := &ns[i]
	var prev *xnode
	if p := c.prefix(i); len(p) > 0 {
		prev = &p[len(p)-1]
		if prev.isPunct(".") {
			return i, false, nil // a column label: t.user, x.current_date
		}
	}
	at := func(k int) *xnode {
		if i+k < len(ns) {
			return &ns[i+k]
		}
		return &xnode{kind: xPunct}
	}
	emit := func(text string, last int) (int, bool, error) {
		if err := t.spend(text); err != nil {
			return 0, false, err
		}
		c.emit(i, xexpr(n.lead, text, n.pos))
		return last, true, nil
	}
	alias := prev != nil && (prev.is("as") || prev.isOp("::"))
	if n.str == "public" || n.str == "pg_catalog" {
		// public.t is SQLite's main.t; pg_catalog.f( is a plain function.
		if at(1).isPunct(".") && at(2).name() && (n.str == "public" || at(3).paren()) {
			ns[i+2].lead = n.lead
			return i + 1, true, nil
		}
		return i, false, nil
	}
	if len(t.tfs) > 0 && !alias {
		if j, text, ok := t.tfRef(ns, i); ok {
			return emit(text, j)
		}
	}
	if n.kind == xQuoted {
		return i, false, nil
	}
	switch n.str {
	case "from":
		*inFrom = true
	case "where", "group", "having", "order", "limit", "offset", "window", "union", "intersect",
		"except", "returning", "select", "values", "set":
		*inFrom = false
	case "operator":
		if g := at(1); g.paren() {
			for k := len(g.kids) - 1; k >= 0; k-- {
				if g.kids[k].kind == xOp {
					c.emit(i, xnode{kind: xOp, lead: n.lead, text: g.kids[k].text, str: g.kids[k].str, pos: n.pos})
					return i + 1, true, nil
				}
			}
		}
	case "cast":
		if g := at(1); g.paren() {
			text, err := t.castCall(n, g)
			if err != nil {
				return 0, false, err
			}
			return emit(text, i+1)
		}
	case "array":
		if g := at(1); g.bracket() {
			text, err := t.arrayLiteral(g)
			if err != nil {
				return 0, false, err
			}
			return emit(text, i+1)
		} else if g.paren() {
			kids, err := t.seq(g.kids)
			if err != nil {
				return 0, false, err
			}
			return emit("(WITH _a(v) AS ("+xjoin(kids)+") SELECT json_group_array(v) FROM _a)", i+1)
		}
	case "collate":
		return t.collate(ns, i, c)
	case "is":
		k := i + 1
		not := at(1).is("not")
		if not {
			k++
		}
		if k+1 < len(ns) && ns[k].is("distinct") && ns[k+1].is("from") {
			text := "IS NOT"
			if not {
				text = "IS"
			}
			c.emit(i, xnode{kind: xIdent, str: "is", text: text, lead: n.lead, pos: n.pos})
			return k + 1, true, nil
		}
	case "for":
		if j, ok := xlockClause(ns, i); ok {
			return j, true, nil
		}
	case "current_user", "session_user", "user", "current_role":
		if !alias && !at(1).paren() && !at(1).isPunct(".") {
			return emit(xquote(t.opt.User), i)
		}
	case "current_catalog":
		if !alias && !at(1).isPunct(".") {
			return emit(xquote(t.opt.Database), i)
		}
	case "current_database":
		if g := at(1); g.paren() && len(g.kids) == 0 {
			return emit(xquote(t.opt.Database), i+1)
		}
	case "current_schema":
		if g := at(1); g.paren() && len(g.kids) == 0 {
			return emit(xquote(t.opt.Schema), i+1)
		}
		if !alias && !at(1).isPunct(".") && !at(1).paren() {
			return emit(xquote(t.opt.Schema), i)
		}
	case "current_schemas":
		if g := at(1); g.paren() {
			list := `["` + strings.ReplaceAll(t.opt.Schema, `"`, `\"`) + `"]`
			if len(g.kids) == 1 && g.kids[0].is("true") {
				list = `["pg_catalog",` + list[1:]
			}
			return emit(xquote(list), i+1)
		}
	case "current_timestamp", "localtimestamp", "current_date", "current_time", "localtime":
		if alias || at(1).isPunct(".") {
			break
		}
		last := i
		if at(1).paren() {
			last = i + 1
		}
		switch n.str {
		case "current_date":
			return emit("pg_cast(now(), 'date')", i)
		case "current_time":
			return emit("pg_cast(now(), 'timetz')", last)
		case "localtime":
			return emit("pg_cast(now(), 'time')", last)
		}
		return emit("now()", last)
	case "transaction_timestamp", "statement_timestamp":
		if g := at(1); g.paren() && len(g.kids) == 0 {
			return emit("now()", i+1)
		}
	case "clock_timestamp":
		if g := at(1); g.paren() && len(g.kids) == 0 {
			return emit("pg_clock_timestamp()", i+1)
		}
	case "array_agg":
		if at(1).paren() {
			fn := *n
			fn.text = "json_group_array"
			c.emit(i, fn)
			return i, true, nil
		}
	case "unnest", "generate_series", "pg_partition_ancestors":
		if at(1).paren() && prev != nil && (prev.is("from") || prev.is("join") || prev.is("lateral") || prev.isPunct(",") && *inFrom) {
			return t.tableFunc(ns, i, c)
		}
	case "trim", "substring", "position", "extract":
		if g := at(1); g.paren() {
			text, ok, err := t.sqlSyntaxFunc(n.str, g)
			if err != nil {
				return 0, false, err
			}
			if ok {
				return emit(text, i+1)
			}
		}
	}
	if !alias && xtypeWords[n.str] {
		ty, j, ok := xparseType(ns, i)
		if ok && j < len(ns) && ns[j].kind == xString && !ty.array && !ty.qual {
			lit := ns[j].str
			last := j
			if ty.name == "interval" && j+1 < len(ns) && ns[j+1].kind == xIdent && xintervalFields[ns[j+1].str] {
				lit += " " + ns[j+1].str // interval '1' day
				last = j + 1
			}
			text, err := t.castText(xquote(lit), ty, n.pos)
			if err != nil {
				return 0, false, err
			}
			return emit(text, last)
		}
	}
	return i, false, nil
}

// castCall rewrites CAST(expr AS type).
func (t *translator) castCall(kw, g *xnode) (string, error) {
	k := -1
	for j := range g.kids {
		if g.kids[j].is("as") {
			k = j
			break
		}
	}
	if k <= 0 {
		return "", errAt(t.src, kw.pos, CodeSyntaxError, "syntax error at or near \"CAST\"")
	}
	ty, j, ok := xparseType(g.kids, k+1)
	if !ok || j != len(g.kids) {
		pos := kw.pos
		if j < len(g.kids) {
			pos = g.kids[j].pos
		}
		return "", errAt(t.src, pos, CodeSyntaxError, "syntax error in CAST type name")
	}
	inner, err := t.seq(g.kids[:k])
	if err != nil {
		return "", err
	}
	return t.castText(xjoin(inner), ty, g.kids[k+1].pos)
}

// arrayLiteral rewrites ARRAY[a, b] (and nested [c, d] rows) to json_array.
func (t *translator) arrayLiteral(g *xnode) (string, error) {
	kids := make([]xnode, 0, len(g.kids))
	for j := range g.kids {
		k := g.kids[j]
		if k.bracket() && (j == 0 || g.kids[j-1].isPunct(",")) {
			text, err := t.arrayLiteral(&k)
			if err != nil {
				return "", err
			}
			k = xexpr(k.lead, text, k.pos)
		}
		kids = append(kids, k)
	}
	kids, err := t.seq(kids)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("json_array(")
	xwrite(&b, kids)
	b.WriteString(g.endLead)
	b.WriteString(")")
	return b.String(), nil
}

// collate handles COLLATE name: PostgreSQL's default collation is dropped,
// "C"/"POSIX" become SQLite's BINARY, SQLite's own collations stay, and
// locale collations (which SQLite lacks) are dropped.
func (t *translator) collate(ns []xnode, i int, c *xcow) (int, bool, error) {
	k := i + 1
	if k >= len(ns) || !ns[k].name() {
		return i, false, nil
	}
	for k+2 < len(ns) && ns[k+1].isPunct(".") && ns[k+2].name() {
		k += 2
	}
	name := ns[k].str
	text := ""
	switch strings.ToLower(name) {
	case "c", "posix", "binary", "ucs_basic":
		text = "COLLATE BINARY"
	case "nocase", "rtrim":
		if ns[k].kind == xIdent {
			text = "COLLATE " + ns[k].text
		}
	}
	if text != "" {
		c.emit(i, xnode{kind: xIdent, post: true, str: "collate", text: text, lead: ns[i].lead, pos: ns[i].pos})
	}
	return k, true, nil
}

// xlockClause recognises FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE /
// FOR KEY SHARE [OF …] [NOWAIT | SKIP LOCKED], repeated; writes are
// serialized, so row locks mean nothing here.
func xlockClause(ns []xnode, i int) (int, bool) {
	last, found := i, false
	for i < len(ns) && ns[i].is("for") {
		k := i + 1
		switch {
		case k < len(ns) && (ns[k].is("update") || ns[k].is("share")):
			k++
		case k+2 < len(ns) && ns[k].is("no") && ns[k+1].is("key") && ns[k+2].is("update"):
			k += 3
		case k+1 < len(ns) && ns[k].is("key") && ns[k+1].is("share"):
			k += 2
		default:
			return last, found
		}
		if k < len(ns) && ns[k].is("of") {
			k++
			for k < len(ns) && ns[k].name() {
				k++
				for k+1 < len(ns) && ns[k].isPunct(".") && ns[k+1].name() {
					k += 2
				}
				if k+1 < len(ns) && ns[k].isPunct(",") && ns[k+1].name() {
					k++
					continue
				}
				break
			}
		}
		if k < len(ns) && ns[k].is("nowait") {
			k++
		} else if k+1 < len(ns) && ns[k].is("skip") && ns[k+1].is("locked") {
			k += 2
		}
		last, found, i = k-1, true, k
	}
	return last, found
}

// sqlSyntaxFunc rewrites the SQL-standard keyword argument forms
// trim(LEADING x FROM s), substring(s FROM a FOR b), position(a IN s) and
// extract(f FROM x). ok is false when g uses the plain call syntax.
func (t *translator) sqlSyntaxFunc(fn string, g *xnode) (string, bool, error) {
	kids := g.kids
	find := func(w string) int {
		for j := range kids {
			if kids[j].is(w) {
				return j
			}
		}
		return -1
	}
	sub := func(ns []xnode) (string, error) {
		r, err := t.seq(ns)
		if err != nil {
			return "", err
		}
		return xjoin(r), nil
	}
	switch fn {
	case "trim":
		f := "trim"
		k := 0
		if len(kids) > 0 {
			switch {
			case kids[0].is("leading"):
				f, k = "ltrim", 1
			case kids[0].is("trailing"):
				f, k = "rtrim", 1
			case kids[0].is("both"):
				k = 1
			}
		}
		from := find("from")
		if from < 0 && k == 0 {
			return "", false, nil
		}
		if from < 0 {
			s, err := sub(kids[k:])
			return f + "(" + s + ")", err == nil, err
		}
		s, err := sub(kids[from+1:])
		if err != nil {
			return "", false, err
		}
		if from == k {
			return f + "(" + s + ")", true, nil
		}
		chars, err := sub(kids[k:from])
		return f + "(" + s + ", " + chars + ")", err == nil, err
	case "substring":
		from, forAt := find("from"), find("for")
		if from < 0 && forAt < 0 {
			return "", false, nil
		}
		endS := len(kids)
		if from >= 0 {
			endS = from
		} else {
			endS = forAt
		}
		s, err := sub(kids[:endS])
		if err != nil {
			return "", false, err
		}
		start := "1"
		if from >= 0 {
			e := len(kids)
			if forAt > from {
				e = forAt
			}
			if start, err = sub(kids[from+1 : e]); err != nil {
				return "", false, err
			}
		}
		if forAt < 0 {
			return "substr(" + s + ", " + start + ")", true, nil
		}
		n, err := sub(kids[forAt+1:])
		return "substr(" + s + ", " + start + ", " + n + ")", err == nil, err
	case "position":
		in := find("in")
		if in <= 0 {
			return "", false, nil
		}
		a, err := sub(kids[:in])
		if err != nil {
			return "", false, err
		}
		s, err := sub(kids[in+1:])
		return "instr(" + s + ", " + a + ")", err == nil, err
	case "extract":
		from := find("from")
		if from != 1 || !kids[0].name() && kids[0].kind != xString {
			return "", false, nil
		}
		x, err := sub(kids[2:])
		return "date_part(" + xquote(strings.ToLower(kids[0].str)) + ", " + x + ")", err == nil, err
	}
	return "", false, nil
}

// ---------------------------------------------------------------------------
// Table functions in FROM.

// xtfShape is a parsed FROM-clause function call with its alias.
type xtfShape struct {
	fn      string
	args    [][]xnode
	ord     bool   // WITH ORDINALITY
	alias   string // alias as written (source text), or the function name
	key     string // alias as a name (lower-cased unless quoted)
	cols    []string
	end     int // index of the last node consumed
	lateral bool
}

func xtfParse(ns []xnode, i int) xtfShape {
	s := xtfShape{fn: ns[i].str, args: xsplit(ns[i+1].kids), alias: ns[i].str, key: ns[i].str}
	k := i + 2
	if k+1 < len(ns) && ns[k].is("with") && ns[k+1].is("ordinality") {
		s.ord = true
		k += 2
	}
	hasAs := k < len(ns) && ns[k].is("as")
	if hasAs {
		k++
	}
	if k < len(ns) && (ns[k].kind == xQuoted || ns[k].kind == xIdent && (hasAs || !xreserved[ns[k].str])) {
		s.alias, s.key = ns[k].text, ns[k].str
		k++
		if k < len(ns) && ns[k].paren() {
			for _, p := range xsplit(ns[k].kids) {
				if len(p) > 0 && p[0].name() {
					s.cols = append(s.cols, p[0].str)
				}
			}
			k++
		}
	}
	s.end = k - 1
	for _, a := range s.args {
		if xhasColumnRef(a, 0) {
			s.lateral = true
		}
	}
	return s
}

// xhasColumnRef reports whether ns mentions a column, i.e. whether a FROM
// function over it is lateral and must stay a table-valued json_each().
func xhasColumnRef(ns []xnode, depth int) bool {
	if depth > maxNesting {
		return true
	}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		switch {
		case n.isOp("::"):
			if _, j, ok := xparseType(ns, i+1); ok {
				i = j - 1
			}
		case n.kind == xGroup:
			if xhasColumnRef(n.kids, depth+1) {
				return true
			}
		case n.kind == xQuoted:
			if i+1 >= len(ns) || !ns[i+1].paren() {
				return true
			}
		case n.kind == xIdent:
			if xreserved[n.str] || n.str == "true" || n.str == "false" || n.str == "null" || i > 0 && ns[i-1].is("as") {
				continue
			}
			if i+1 < len(ns) && (ns[i+1].paren() || ns[i+1].kind == xString) {
				continue // a call or a typed literal
			}
			return true
		}
	}
	return false
}

// prescan finds lateral unnest(…) calls before translation so that the
// references to their alias, anywhere in the statement, can be rewritten
// to json_each's value column.
func (t *translator) prescan(ns []xnode, depth int) {
	if depth > maxNesting {
		return // seq reports the nesting error
	}
	for i := range ns {
		n := &ns[i]
		if n.kind == xGroup {
			t.prescan(n.kids, depth+1)
			continue
		}
		if !n.is("unnest") || i+1 >= len(ns) || !ns[i+1].paren() || i == 0 {
			continue
		}
		p := i - 1
		if ns[p].isPunct(".") && p >= 1 {
			p -= 2
		}
		if p < 0 || !(ns[p].is("from") || ns[p].is("join") || ns[p].is("lateral") || ns[p].isPunct(",")) {
			continue
		}
		s := xtfParse(ns, i)
		if !s.lateral || len(s.args) != 1 {
			continue
		}
		r := xtfRefs{alias: s.key, cols: map[string]string{}}
		col := s.key
		if len(s.cols) > 0 {
			col = s.cols[0]
		}
		r.cols[col] = s.alias + ".value"
		if s.ord {
			ord := "ordinality"
			if len(s.cols) > 1 {
				ord = s.cols[1]
			}
			r.cols[ord] = "(" + s.alias + ".key + 1)"
		}
		t.tfs = append(t.tfs, r)
	}
}

// tfRef rewrites a reference to a lateral unnest column (bare col or
// alias.col).
func (t *translator) tfRef(ns []xnode, i int) (int, string, bool) {
	n := &ns[i]
	next := func(k int) *xnode {
		if i+k < len(ns) {
			return &ns[i+k]
		}
		return &xnode{kind: xPunct}
	}
	if next(1).isPunct(".") {
		if !next(2).name() || next(3).paren() || next(3).isPunct(".") {
			return i, "", false
		}
		for _, r := range t.tfs {
			if r.alias == n.str {
				if text, ok := r.cols[next(2).str]; ok {
					return i + 2, text, true
				}
			}
		}
		return i, "", false
	}
	if next(1).paren() {
		return i, "", false
	}
	for _, r := range t.tfs {
		if text, ok := r.cols[n.str]; ok {
			return i, text, true
		}
	}
	return i, "", false
}

// tableFunc rewrites unnest(), generate_series() and
// pg_partition_ancestors() in FROM.
func (t *translator) tableFunc(ns []xnode, i int, c *xcow) (int, bool, error) {
	s := xtfParse(ns, i)
	args := make([]string, len(s.args))
	for k, a := range s.args {
		if len(a) == 1 && a[0].kind == xString {
			if j, ok := xpgArrayJSON(a[0].str); ok {
				args[k] = xquote(j)
				continue
			}
		}
		r, err := t.seq(a)
		if err != nil {
			return 0, false, err
		}
		args[k] = xjoin(r)
	}
	col := s.key
	if len(s.cols) > 0 {
		col = s.cols[0]
	}
	ord := "ordinality"
	if len(s.cols) > 1 {
		ord = s.cols[1]
	}
	var b strings.Builder
	switch s.fn {
	case "unnest":
		if len(args) != 1 {
			return 0, false, errAt(t.src, ns[i].pos, CodeFeatureNotSupported, "unnest() with %d arguments is not supported", len(args))
		}
		if s.lateral {
			b.WriteString("json_each(" + args[0] + ") AS " + s.alias)
			break
		}
		b.WriteString("(SELECT value AS " + xquoteIdent(col))
		if s.ord {
			b.WriteString(", key + 1 AS " + xquoteIdent(ord))
		}
		b.WriteString(" FROM json_each(" + args[0] + ")) AS " + s.alias)
	case "generate_series":
		if len(args) != 2 && len(args) != 3 {
			return 0, false, errAt(t.src, ns[i].pos, CodeFeatureNotSupported, "generate_series() with %d arguments is not supported", len(args))
		}
		lo, hi := "("+args[0]+")", "("+args[1]+")"
		step, cond0, condN := "1", lo+" <= "+hi, "v + 1 <= "+hi
		if len(args) == 3 {
			step = "(" + args[2] + ")"
			a := s.args[2]
			switch {
			case len(a) == 1 && a[0].kind == xNumber:
				cond0, condN = lo+" <= "+hi, "v + "+step+" <= "+hi
			case len(a) == 2 && a[0].isOp("-") && a[1].kind == xNumber:
				cond0, condN = lo+" >= "+hi, "v + "+step+" >= "+hi
			default:
				cond0 = "CASE WHEN " + step + " > 0 THEN " + lo + " <= " + hi + " WHEN " + step + " < 0 THEN " + lo + " >= " + hi + " ELSE 0 END"
				condN = "CASE WHEN " + step + " > 0 THEN v + " + step + " <= " + hi + " WHEN " + step + " < 0 THEN v + " + step + " >= " + hi + " ELSE 0 END"
			}
		}
		b.WriteString("(WITH RECURSIVE _gs(v) AS (SELECT " + lo + " WHERE " + cond0 +
			" UNION ALL SELECT v + " + step + " FROM _gs WHERE " + condN + ") SELECT v AS " + xquoteIdent(col))
		if s.ord {
			b.WriteString(", row_number() OVER () AS " + xquoteIdent(ord))
		}
		b.WriteString(" FROM _gs) AS " + s.alias)
	default: // pg_partition_ancestors: no partitioning here, a relation is its own only ancestor
		if len(args) != 1 {
			return i, false, nil
		}
		if len(s.cols) == 0 && s.key == s.fn {
			col = "relid"
		}
		b.WriteString("(SELECT " + args[0] + " AS " + xquoteIdent(col))
		if s.ord {
			b.WriteString(", 1 AS " + xquoteIdent(ord))
		}
		b.WriteString(") AS " + s.alias)
	}
	c.emit(i, xexpr(ns[i].lead, b.String(), ns[i].pos))
	return s.end, true, nil
}

// xpgArrayJSON converts a PostgreSQL array literal ('{1,2,"a b",NULL}') to
// the JSON array text this server stores arrays as.
func xpgArrayJSON(s string) (string, bool) {
	var b strings.Builder
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '{' {
		return "", false
	}
	depth := 0
	expectElem := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == '{':
			if !expectElem {
				return "", false
			}
			depth++
			b.WriteByte('[')
			i++
			if i < len(s) && s[i] == '}' {
				continue
			}
		case c == '}':
			if depth == 0 {
				return "", false
			}
			depth--
			b.WriteByte(']')
			i++
			expectElem = false
			if depth == 0 {
				for i < len(s) && s[i] == ' ' {
					i++
				}
				return b.String(), i == len(s)
			}
		case c == ',':
			if expectElem {
				return "", false
			}
			b.WriteByte(',')
			expectElem = true
			i++
		case c == ' ':
			i++
		case c == '"':
			var v strings.Builder
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				v.WriteByte(s[i])
				i++
			}
			if i >= len(s) {
				return "", false
			}
			i++
			b.WriteString(strconv.Quote(v.String()))
			expectElem = false
		default:
			j := i
			for j < len(s) && s[j] != ',' && s[j] != '}' {
				j++
			}
			v := strings.TrimSpace(s[i:j])
			i = j
			switch {
			case strings.EqualFold(v, "null"):
				b.WriteString("null")
			case xjsonNumber(v):
				b.WriteString(v)
			default:
				b.WriteString(strconv.Quote(v))
			}
			expectElem = false
		}
	}
	return "", false
}

// xjsonNumber reports whether v is a number JSON can carry verbatim.
func xjsonNumber(v string) bool {
	if v == "" {
		return false
	}
	i := 0
	if v[0] == '-' {
		i++
	}
	digits := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
		digits++
	}
	if digits == 0 || digits > 1 && v[0] == '0' || digits > 1 && v[0] == '-' && v[1] == '0' {
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		d := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
			d++
		}
		if d == 0 {
			return false
		}
	}
	return i == len(v)
}

// ---------------------------------------------------------------------------
// Postfix, LIMIT, ANY/ALL, regex and ILIKE passes.

// postfix rewrites expr::type casts and arr[i] subscripts.
func (t *translator) postfix(ns []xnode) ([]xnode, error) {
	c := xcow{src: ns}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		out := c.prefix(i)
		if n.isOp("::") {
			s := xprimaryStart(out, len(out))
			if s < 0 {
				return nil, errAt(t.src, n.pos, CodeSyntaxError, "syntax error at or near \"::\"")
			}
			ty, j, ok := xparseType(ns, i+1)
			if !ok {
				pos := len(t.src)
				if i+1 < len(ns) {
					pos = ns[i+1].pos
				}
				return nil, errAt(t.src, pos, CodeSyntaxError, "syntax error: type name expected after \"::\"")
			}
			text, err := t.castText(xjoin(out[s:]), ty, ns[i+1].pos)
			if err == nil {
				err = t.spend(text)
			}
			if err != nil {
				return nil, err
			}
			c.replace(i, s, xexpr(out[s].lead, text, out[s].pos))
			i = j - 1
			continue
		}
		if n.bracket() && len(out) > 0 {
			if last := &out[len(out)-1]; last.kind != xString && last.kind != xNumber && xcanEnd(last) {
				if s := xprimaryStart(out, len(out)); s >= 0 {
					text, err := t.subscript(out[s:], n)
					if err == nil {
						err = t.spend(text)
					}
					if err != nil {
						return nil, err
					}
					c.replace(i, s, xexpr(out[s].lead, text, out[s].pos))
					continue
				}
			}
		}
		c.keep(i, *n)
	}
	return c.result(), nil
}

// xzeroBased names catalog columns of the int2vector/oidvector types, which
// PostgreSQL subscripts from 0 rather than 1.
var xzeroBased = xset("indkey", "indclass", "indcollation", "indoption", "stxkeys", "tgattr",
	"proargtypes", "partattrs", "partclass", "partcollation")

// subscript rewrites base[i] as a json_extract on the JSON array text.
func (t *translator) subscript(base []xnode, g *xnode) (string, error) {
	for j := range g.kids {
		if g.kids[j].isPunct(":") {
			return "", errAt(t.src, g.pos, CodeFeatureNotSupported, "array slices are not supported")
		}
	}
	if len(g.kids) == 0 {
		return "", errAt(t.src, g.pos, CodeSyntaxError, "syntax error at or near \"]\"")
	}
	last := &base[len(base)-1]
	origin := 1
	if last.kind == xIdent && xzeroBased[last.str] {
		origin = 0
	}
	b := xjoin(base)
	if len(g.kids) == 1 && g.kids[0].kind == xNumber {
		if v, err := strconv.Atoi(g.kids[0].text); err == nil {
			if v-origin < 0 {
				return "NULL", nil
			}
			return "json_extract(" + b + ", '$[" + strconv.Itoa(v-origin) + "]')", nil
		}
	}
	idx := "(" + xjoin(g.kids) + ")"
	if origin == 1 {
		idx = "(" + idx + " - 1)"
	}
	return "json_extract(" + b + ", '$[' || " + idx + " || ']')", nil
}

// xlimits normalises LIMIT/OFFSET/FETCH into SQLite's LIMIT n OFFSET m.
func xlimits(ns []xnode) []xnode {
	type seg struct{ start, end int }
	var lim, off, fetch *seg
	var segs []seg
	order := true // LIMIT before OFFSET as SQLite wants
	stop := func(n *xnode) bool {
		return n.is("limit") || n.is("offset") || n.is("fetch") || n.is("for") || n.isPunct(";") ||
			n.is("union") || n.is("intersect") || n.is("except") || n.is("returning")
	}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		isFetch := n.is("fetch") && i+1 < len(ns) && (ns[i+1].is("first") || ns[i+1].is("next"))
		if !n.is("limit") && !n.is("offset") && !isFetch {
			continue
		}
		j := i + 1
		for j < len(ns) && !stop(&ns[j]) {
			j++
		}
		segs = append(segs, seg{i, j})
		sg := &segs[len(segs)-1]
		switch {
		case isFetch:
			fetch = sg
		case n.is("limit"):
			lim = sg
		default:
			off = sg
			if lim == nil {
				order = false
			}
		}
		i = j - 1
	}
	if len(segs) == 0 {
		return ns
	}
	body := func(s *seg, from int) []xnode {
		b := ns[from:s.end]
		for len(b) > 0 {
			l := &b[len(b)-1]
			if l.is("row") || l.is("rows") || l.is("only") {
				b = b[:len(b)-1]
				continue
			}
			if l.is("ties") && len(b) >= 2 && b[len(b)-2].is("with") {
				b = b[:len(b)-2]
				continue
			}
			break
		}
		return b
	}
	limAll := lim != nil && lim.end == lim.start+2 && ns[lim.start+1].is("all")
	offRows := off != nil && off.end > off.start+1 && (ns[off.end-1].is("row") || ns[off.end-1].is("rows"))
	if fetch == nil && order && !limAll && !offRows && (lim == nil || off == nil || lim.start < off.start) && (lim != nil || off == nil) {
		return ns
	}
	limText, offText := "", ""
	if lim != nil && !limAll {
		limText = xjoin(body(lim, lim.start+1))
	}
	if fetch != nil {
		b := body(fetch, fetch.start+2)
		limText = "1"
		if len(b) > 0 {
			limText = xjoin(b)
		}
	}
	if off != nil {
		offText = xjoin(body(off, off.start+1))
	}
	out := make([]xnode, 0, len(ns))
	out = append(out, ns[:segs[0].start]...)
	if limText != "" || offText != "" {
		if limText == "" {
			limText = "-1"
		}
		text := "LIMIT " + limText
		if offText != "" {
			text += " OFFSET " + offText
		}
		out = append(out, xexpr(ns[segs[0].start].lead, text, ns[segs[0].start].pos))
	}
	for k, s := range segs {
		end := len(ns)
		if k+1 < len(segs) {
			end = segs[k+1].start
		}
		out = append(out, ns[s.end:end]...)
	}
	return out
}

// anyAll rewrites x op ANY/SOME/ALL (array or subquery).
func (t *translator) anyAll(ns []xnode) ([]xnode, error) {
	c := xcow{src: ns}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		out := c.prefix(i)
		if n.kind == xOp && i+2 < len(ns) && (ns[i+1].is("any") || ns[i+1].is("some") || ns[i+1].is("all")) &&
			ns[i+2].paren() && len(out) > 0 && xcanEnd(&out[len(out)-1]) {
			if s := xscanBack(out, len(out), 6); s >= 0 {
				text, err := t.anyText(xjoin(out[s:]), n.text, ns[i+1].str == "all", &ns[i+2])
				if err == nil {
					err = t.spend(text)
				}
				if err != nil {
					return nil, err
				}
				c.replace(i, s, xexpr(out[s].lead, text, out[s].pos))
				i += 2
				continue
			}
		}
		c.keep(i, *n)
	}
	return c.result(), nil
}

func (t *translator) anyText(left, op string, all bool, g *xnode) (string, error) {
	inner := xjoin(g.kids)
	sub := xisQuery(g.kids)
	if len(g.kids) == 1 && g.kids[0].kind == xString {
		if j, ok := xpgArrayJSON(g.kids[0].str); ok {
			inner = xquote(j)
		}
	}
	set := "(SELECT value FROM json_each(" + inner + "))"
	if sub {
		set = "(" + inner + ")"
	}
	switch {
	case !all && op == "=":
		return "(" + left + " IN " + set + ")", nil
	case all && (op == "<>" || op == "!="):
		return "(" + left + " NOT IN " + set + ")", nil
	case sub:
		return "", errAt(t.src, g.pos, CodeFeatureNotSupported, "%s %s (subquery) is not supported", op, map[bool]string{true: "ALL", false: "ANY"}[all])
	}
	// left is evaluated inside the subquery, so json_each's own columns
	// (id, key, value, type, path, …) must not be visible there: a derived
	// table exposes only _v.
	cmp := left + " " + op + " _v"
	switch op {
	case "~", "!~", "~*", "!~*":
		cmp = "(" + left + " REGEXP _v)"
		if strings.HasSuffix(op, "*") {
			cmp = "(" + left + " REGEXP pg_regexp_ci(_v))"
		}
		if op[0] == '!' {
			cmp = "NOT " + cmp
		}
	}
	elems := "(SELECT value AS _v FROM json_each(" + inner + "))"
	if all {
		return "NOT EXISTS (SELECT 1 FROM " + elems + " WHERE NOT (" + cmp + "))", nil
	}
	return "EXISTS (SELECT 1 FROM " + elems + " WHERE " + cmp + ")", nil
}

// regex rewrites the POSIX regex operators to SQLite's REGEXP, which calls
// the catalog's regexp(pattern, text).
func (t *translator) regex(ns []xnode) ([]xnode, error) {
	c := xcow{src: ns}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		out := c.prefix(i)
		if n.kind == xOp && (n.text == "~" || n.text == "!~" || n.text == "~*" || n.text == "!~*") &&
			len(out) > 0 && xcanEnd(&out[len(out)-1]) {
			s := xscanBack(out, len(out), 7)
			e := xscanFwd(ns, i+1, 7)
			if s >= 0 && e > i+1 {
				l, r := xjoin(out[s:]), xjoin(ns[i+1:e])
				if strings.HasSuffix(n.text, "*") {
					r = "pg_regexp_ci(" + r + ")"
				}
				op := " REGEXP "
				if n.text[0] == '!' {
					op = " NOT REGEXP "
				}
				text := "(" + l + op + r + ")"
				if err := t.spend(text); err != nil {
					return nil, err
				}
				c.replace(i, s, xexpr(out[s].lead, text, out[s].pos))
				i = e - 1
				continue
			}
		}
		c.keep(i, *n)
	}
	return c.result(), nil
}

// ilike rewrites [NOT] ILIKE to the catalog's pg_ilike(text, pattern).
func (t *translator) ilike(ns []xnode) ([]xnode, error) {
	c := xcow{src: ns}
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		out := c.prefix(i)
		if !n.is("ilike") || len(out) == 0 {
			c.keep(i, *n)
			continue
		}
		left := out
		neg := false
		if left[len(left)-1].is("not") {
			neg = true
			left = left[:len(left)-1]
		}
		s := -1
		if len(left) > 0 && xcanEnd(&left[len(left)-1]) {
			s = xscanBack(left, len(left), 7)
		}
		e := xscanFwd(ns, i+1, 6)
		if s < 0 || e <= i+1 {
			c.keep(i, *n)
			continue
		}
		l, r := xjoin(left[s:]), xjoin(ns[i+1:e])
		var text string
		if e+1 < len(ns) && ns[e].is("escape") {
			if e2 := xscanFwd(ns, e+1, 6); e2 > e+1 {
				op := " LIKE "
				if neg {
					op = " NOT LIKE "
				}
				text = "(lower(" + l + ")" + op + "lower(" + r + ") ESCAPE " + xjoin(ns[e+1:e2]) + ")"
				e = e2
			}
		}
		if text == "" {
			text = "pg_ilike(" + l + ", " + r + ")"
			if neg {
				text = "(NOT " + text + ")"
			}
		}
		if err := t.spend(text); err != nil {
			return nil, err
		}
		c.replace(i, s, xexpr(left[s].lead, text, left[s].pos))
		i = e - 1
	}
	return c.result(), nil
}

// ---------------------------------------------------------------------------
// DDL.

// xsecondWord returns the statement's second word, lower-cased.
func xsecondWord(toks []Token) string {
	seen := 0
	for i := range toks {
		switch toks[i].Kind {
		case TokSpace, TokComment:
			continue
		case TokIdent:
			if seen++; seen == 2 {
				return toks[i].Str
			}
			continue
		}
		return ""
	}
	return ""
}

// xcreateModifiers are the words that may sit between CREATE and the kind
// of object.
var xcreateModifiers = xset("or", "replace", "global", "local", "temp", "temporary", "unlogged", "unique")

// xcreateKind returns "table", "index" or "view" for the CREATE statements
// the translator rewrites, "" for the others.
func xcreateKind(toks []Token) string {
	seen := 0
	for i := range toks {
		tk := &toks[i]
		if tk.Kind == TokSpace || tk.Kind == TokComment {
			continue
		}
		if tk.Kind != TokIdent {
			return ""
		}
		seen++
		if seen == 1 || xcreateModifiers[tk.Str] {
			continue
		}
		switch tk.Str {
		case "table", "index":
			return tk.Str
		case "view", "materialized", "recursive":
			return "view"
		}
		return ""
	}
	return ""
}

// create handles CREATE TABLE / INDEX / VIEW (xcreateKind filtered the
// rest out).
func (t *translator) create(ns []xnode) ([]xnode, error) {
	k := 1
	for k < len(ns) && ns[k].kind == xIdent && xcreateModifiers[ns[k].str] {
		k++
	}
	if k < len(ns) {
		switch ns[k].str {
		case "table":
			return t.createTable(ns, k)
		case "index":
			return t.createIndex(ns, k)
		}
	}
	return t.seq(ns)
}

// xcopyName copies a (possibly qualified) object name at ns[i] into out,
// dropping a public. qualifier; it returns the index after the name and the
// unqualified name.
func xcopyName(ns []xnode, i int, out *[]xnode) (int, string) {
	if i >= len(ns) || !ns[i].name() {
		return i, ""
	}
	if i+2 < len(ns) && ns[i].str == "public" && ns[i+1].isPunct(".") && ns[i+2].name() {
		n := ns[i+2]
		n.lead = ns[i].lead
		*out = append(*out, n)
		return i + 3, n.str
	}
	*out = append(*out, ns[i])
	name := ns[i].str
	i++
	for i+1 < len(ns) && ns[i].isPunct(".") && ns[i+1].name() {
		*out = append(*out, ns[i], ns[i+1])
		name = ns[i+1].str
		i += 2
	}
	return i, name
}

func (t *translator) createTable(ns []xnode, k int) ([]xnode, error) {
	out := make([]xnode, 0, len(ns))
	for j := 0; j < k; j++ {
		if ns[j].is("unlogged") || ns[j].is("global") || ns[j].is("local") {
			continue
		}
		out = append(out, ns[j])
	}
	out = append(out, ns[k])
	i := k + 1
	if i+2 < len(ns) && ns[i].is("if") && ns[i+1].is("not") && ns[i+2].is("exists") {
		out = append(out, ns[i:i+3]...)
		i += 3
	}
	i, _ = xcopyName(ns, i, &out)
	if i < len(ns) && ns[i].paren() && !(i+1 < len(ns) && ns[i+1].is("as")) {
		g := ns[i]
		kids, err := t.tableElements(g.kids)
		if err != nil {
			return nil, err
		}
		g.kids = kids
		out = append(out, g)
		i++
	}
	for i < len(ns) {
		n := &ns[i]
		switch {
		case n.is("with") && i+1 < len(ns) && ns[i+1].paren():
			i += 2
		case n.is("without") && i+1 < len(ns) && ns[i+1].is("oids"):
			i += 2
		case (n.is("tablespace") || n.is("using")) && i+1 < len(ns) && ns[i+1].name():
			i += 2
		case n.is("on") && i+1 < len(ns) && ns[i+1].is("commit"):
			i += 2
			if i < len(ns) && (ns[i].is("preserve") || ns[i].is("delete")) {
				i++
				if i < len(ns) && ns[i].is("rows") {
					i++
				}
			} else if i < len(ns) && ns[i].is("drop") {
				i++
			}
		case n.is("as"):
			rest, err := t.seq(ns[i:])
			if err != nil {
				return nil, err
			}
			return append(out, rest...), nil
		default:
			out = append(out, *n)
			i++
		}
	}
	return out, nil
}

// xcol is a column definition inside CREATE TABLE.
type xcol struct {
	name     string
	ty       xtype
	tyEnd    int // index in the element after the type
	auto     bool
	inlinePK bool
	addPK    bool
}

var xconstraintWords = xset("constraint", "primary", "unique", "check", "foreign", "exclude", "like")

// xclassifyColumn parses a column definition's name, type and the
// constraints that matter for rowid aliasing.
func xclassifyColumn(p []xnode) (xcol, bool) {
	var c xcol
	if len(p) < 2 || !p[0].name() {
		return c, false
	}
	ty, j, ok := xparseType(p, 1)
	if !ok {
		return c, false
	}
	c.name, c.ty, c.tyEnd, c.auto = p[0].str, ty, j, ty.serial && !ty.array
	for k := j; k < len(p); k++ {
		if p[k].is("primary") && k+1 < len(p) && p[k+1].is("key") {
			c.inlinePK = true
		}
		if p[k].is("generated") && xidentityAt(p, k) > k {
			c.auto = true
		}
	}
	return c, true
}

// xidentityAt returns the index after GENERATED {ALWAYS|BY DEFAULT} AS
// IDENTITY [( options )] at p[k], or k when p[k] does not start one.
func xidentityAt(p []xnode, k int) int {
	j := k + 1
	switch {
	case j < len(p) && p[j].is("always"):
		j++
	case j+1 < len(p) && p[j].is("by") && p[j+1].is("default"):
		j += 2
	default:
		return k
	}
	if j+1 < len(p) && p[j].is("as") && p[j+1].is("identity") {
		j += 2
		if j < len(p) && p[j].paren() {
			j++
		}
		return j
	}
	return k
}

// tableElements rewrites the column and constraint list of CREATE TABLE.
func (t *translator) tableElements(kids []xnode) ([]xnode, error) {
	parts, seps := xsplitSep(kids)
	cols := make([]*xcol, len(parts))
	var pkCols []string
	tablePK := false
	for pi, p := range parts {
		if len(p) == 0 {
			continue
		}
		if p[0].kind == xIdent && xconstraintWords[p[0].str] {
			for k := 0; k+2 < len(p); k++ {
				if p[k].is("primary") && p[k+1].is("key") && p[k+2].paren() {
					tablePK = true
					for _, c := range xsplit(p[k+2].kids) {
						if len(c) > 0 {
							pkCols = append(pkCols, c[0].str)
						}
					}
				}
			}
			continue
		}
		if c, ok := xclassifyColumn(p); ok {
			cols[pi] = &c
		}
	}
	pkOwner := ""
	if tablePK {
		pkOwner = "\x00composite"
		if len(pkCols) == 1 {
			pkOwner = pkCols[0]
		}
	}
	for _, c := range cols {
		if c != nil && c.inlinePK {
			pkOwner = c.name
		}
	}
	for pi, c := range cols {
		if c == nil || !c.auto {
			continue
		}
		if pkOwner == "" {
			c.addPK, pkOwner = true, c.name
			continue
		}
		if pkOwner != c.name {
			return nil, errAt(t.src, parts[pi][0].pos, CodeFeatureNotSupported,
				"column %q: serial and identity columns are only supported as the table's single-column primary key", c.name)
		}
	}
	out := make([]xnode, 0, len(kids))
	for pi, p := range parts {
		if pi > 0 {
			out = append(out, seps[pi-1])
		}
		if cols[pi] == nil {
			r, err := t.constraintElement(p)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
			continue
		}
		r, err := t.columnDef(p, cols[pi])
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// constraintElement rewrites a table constraint, dropping PostgreSQL-only
// storage clauses.
func (t *translator) constraintElement(p []xnode) ([]xnode, error) {
	keep := make([]xnode, 0, len(p))
	for k := 0; k < len(p); k++ {
		switch {
		case p[k].is("using") && k+2 < len(p) && p[k+1].is("index") && p[k+2].is("tablespace") && k+3 < len(p):
			k += 3
		case p[k].is("with") && k+1 < len(p) && p[k+1].paren():
			k++
		case p[k].is("not") && k+1 < len(p) && p[k+1].is("valid"):
			k++
		default:
			keep = append(keep, p[k])
		}
	}
	return t.seq(keep)
}

// columnDef rewrites one column definition: the type name, DEFAULT and
// identity clauses.
func (t *translator) columnDef(p []xnode, c *xcol) ([]xnode, error) {
	out := make([]xnode, 0, len(p)+2)
	out = append(out, p[0])
	typeText := xddlType(c.ty, p[1:c.tyEnd])
	if c.auto {
		typeText = "INTEGER"
	}
	out = append(out, xexpr(p[1].lead, typeText, p[1].pos))
	rest := p[c.tyEnd:]
	cons := make([]xnode, 0, len(rest))
	for j := 0; j < len(rest); j++ {
		r := &rest[j]
		switch {
		case r.is("default"):
			if j+1 < len(rest) && (rest[j+1].is("nextval") || rest[j+1].str == "pg_catalog" && j+3 < len(rest) && rest[j+3].is("nextval")) {
				return nil, errAt(t.src, rest[j+1].pos, CodeFeatureNotSupported,
					"DEFAULT nextval() is not supported; use serial or GENERATED AS IDENTITY")
			}
			e := xscanFwd(rest, j+1, 4)
			if e <= j+1 {
				cons = append(cons, *r)
				continue
			}
			expr, err := t.seq(rest[j+1 : e])
			if err != nil {
				return nil, err
			}
			text := xjoin(expr)
			if !xsimpleDefault(expr) {
				text = "(" + text + ")"
			}
			cons = append(cons, *r, xexpr(rest[j+1].lead, text, rest[j+1].pos))
			j = e - 1
		case r.is("generated") && xidentityAt(rest, j) > j:
			j = xidentityAt(rest, j) - 1
		default:
			cons = append(cons, *r)
		}
	}
	cons, err := t.seq(cons)
	if err != nil {
		return nil, err
	}
	out = append(out, cons...)
	if c.addPK {
		out = append(out, xexpr(" ", "PRIMARY KEY", 0))
	}
	return out, nil
}

// xsimpleDefault reports whether a translated DEFAULT expression is a
// literal SQLite accepts without parentheses.
func xsimpleDefault(e []xnode) bool {
	switch len(e) {
	case 1:
		n := &e[0]
		return n.kind == xNumber || n.kind == xString || n.is("null") || n.is("true") || n.is("false")
	case 2:
		return (e[0].isOp("-") || e[0].isOp("+")) && e[1].kind == xNumber
	}
	return false
}

// xddlType renders a column type SQLite can parse while keeping the
// declared name the server maps to a type OID.
func xddlType(ty xtype, raw []xnode) string {
	if ty.array {
		return xquoteIdent(ty.name + ty.mod + "[]")
	}
	if ty.multi {
		switch ty.name {
		case "timestamptz", "timestamp", "timetz", "time", "varchar", "varbit", "bpchar", "interval":
			if ty.name == "bpchar" {
				return "char" + ty.mod
			}
			return ty.name + ty.mod
		}
	}
	if ty.qual && len(raw) > 2 {
		return xjoin(raw[2:])
	}
	return xjoin(raw)
}

func (t *translator) createIndex(ns []xnode, k int) ([]xnode, error) {
	out := make([]xnode, 0, len(ns)+1)
	out = append(out, ns[:k+1]...)
	i := k + 1
	if i < len(ns) && ns[i].is("concurrently") {
		i++
	}
	if i+2 < len(ns) && ns[i].is("if") && ns[i+1].is("not") && ns[i+2].is("exists") {
		out = append(out, ns[i:i+3]...)
		i += 3
	}
	nameAt := -1
	if i < len(ns) && !ns[i].is("on") {
		i, _ = xcopyName(ns, i, &out)
	} else {
		nameAt = len(out)
	}
	if i >= len(ns) || !ns[i].is("on") {
		return t.seq(ns)
	}
	out = append(out, ns[i])
	i++
	if i < len(ns) && ns[i].is("only") {
		i++
	}
	var table string
	i, table = xcopyName(ns, i, &out)
	if i+1 < len(ns) && ns[i].is("using") && ns[i+1].name() {
		i += 2
	}
	var colNames []string
	if i < len(ns) && ns[i].paren() {
		g := ns[i]
		kids, names, err := t.indexElements(g.kids)
		if err != nil {
			return nil, err
		}
		g.kids, colNames = kids, names
		out = append(out, g)
		i++
	}
	for i < len(ns) {
		n := &ns[i]
		switch {
		case (n.is("include") || n.is("with")) && i+1 < len(ns) && ns[i+1].paren():
			i += 2
		case n.is("nulls") && i+1 < len(ns) && ns[i+1].is("distinct"):
			i += 2
		case n.is("nulls") && i+2 < len(ns) && ns[i+1].is("not") && ns[i+2].is("distinct"):
			i += 3
		case n.is("tablespace") && i+1 < len(ns):
			i += 2
		case n.is("where"):
			rest, err := t.seq(ns[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, rest...)
			i = len(ns)
		default:
			out = append(out, *n)
			i++
		}
	}
	if nameAt >= 0 {
		name := xquoteIdent(table + "_" + strings.Join(colNames, "_") + "_idx")
		out = append(out[:nameAt], append([]xnode{xexpr(" ", name, 0)}, out[nameAt:]...)...)
	}
	return out, nil
}

// indexElements rewrites index columns, dropping operator classes and NULLS
// FIRST/LAST, which SQLite's CREATE INDEX does not accept.
func (t *translator) indexElements(kids []xnode) ([]xnode, []string, error) {
	var out []xnode
	var names []string
	parts, seps := xsplitSep(kids)
	for pi, p := range parts {
		if pi > 0 {
			out = append(out, seps[pi-1])
		}
		if len(p) == 0 {
			continue
		}
		e := xscanFwd(p, 0, 0)
		if e < 0 {
			e = len(p)
		}
		if e == 1 && p[0].name() {
			names = append(names, p[0].str)
		} else {
			names = append(names, "expr")
		}
		keep := append([]xnode(nil), p[:e]...)
		for k := e; k < len(p); k++ {
			switch {
			case p[k].is("collate") && k+1 < len(p):
				keep = append(keep, p[k], p[k+1])
				k++
				for k+2 < len(p) && p[k+1].isPunct(".") && p[k+2].name() {
					keep = append(keep, p[k+1], p[k+2])
					k += 2
				}
			case p[k].is("asc") || p[k].is("desc"):
				keep = append(keep, p[k])
			case p[k].is("nulls") && k+1 < len(p):
				k++
			case p[k].paren(): // operator class parameters
			}
		}
		r, err := t.seq(keep)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r...)
	}
	return out, names, nil
}

// alter handles ALTER TABLE … ADD [COLUMN] definitions; other actions pass
// through for the server or SQLite to judge.
func (t *translator) alter(ns []xnode) ([]xnode, error) {
	if len(ns) < 2 || !ns[1].is("table") {
		return t.seq(ns)
	}
	out := append(make([]xnode, 0, len(ns)), ns[:2]...)
	i := 2
	if i+1 < len(ns) && ns[i].is("if") && ns[i+1].is("exists") {
		out = append(out, ns[i:i+2]...)
		i += 2
	}
	if i < len(ns) && ns[i].is("only") {
		i++
	}
	i, _ = xcopyName(ns, i, &out)
	if i < len(ns) && ns[i].is("add") {
		j := i + 1
		if j < len(ns) && ns[j].is("column") {
			j++
		}
		if j < len(ns) && !(ns[j].kind == xIdent && xconstraintWords[ns[j].str]) {
			p := ns[j:]
			if c, ok := xclassifyColumn(p); ok {
				if c.auto {
					return nil, errAt(t.src, ns[j].pos, CodeFeatureNotSupported,
						"adding a serial or identity column is not supported")
				}
				def, err := t.columnDef(p, &c)
				if err != nil {
					return nil, err
				}
				out = append(out, ns[i:j]...)
				return append(out, def...), nil
			}
		}
	}
	rest, err := t.seq(ns[i:])
	if err != nil {
		return nil, err
	}
	return append(out, rest...), nil
}

// drop strips CONCURRENTLY, CASCADE/RESTRICT and public. from DROP TABLE /
// INDEX / VIEW.
func (t *translator) drop(ns []xnode) ([]xnode, error) {
	if len(ns) < 2 || !(ns[1].is("table") || ns[1].is("index") || ns[1].is("view")) {
		return ns, nil
	}
	out := make([]xnode, 0, len(ns))
	for i := 0; i < len(ns); i++ {
		n := &ns[i]
		switch {
		case n.is("concurrently"):
		case (n.is("cascade") || n.is("restrict")) && (i+1 == len(ns) || ns[i+1].isPunct(";")):
		case n.str == "public" && n.name() && i+2 < len(ns) && ns[i+1].isPunct("."):
			ns[i+2].lead = n.lead
			i++
		default:
			out = append(out, *n)
		}
	}
	return out, nil
}
