package catalog

import (
	"strings"
)

// SQLite's PRAGMAs report columns, NOT NULL, defaults, primary keys and
// indexes, but not what PostgreSQL's catalog also needs: constraint names,
// CHECK expressions, which UNIQUE constraint an autoindex implements, the
// expressions and WHERE clause of an index. Those come from the CREATE
// statement text SQLite keeps in sqlite_schema, read by the small tolerant
// parser below. It never fails: anything it does not understand is skipped,
// and the PRAGMA data stays authoritative.

type tokKind uint8

const (
	tkIdent  tokKind = iota // bare word (keywords included)
	tkQIdent                // "quoted", `quoted` or [quoted] identifier
	tkString                // 'string'
	tkNumber
	tkPunct // ( ) , ; .
	tkOp    // anything else
)

type token struct {
	kind tokKind
	text string // source text
	val  string // identifier value (unquoted) or string contents
	pos  int    // byte offset of text in the source
	end  int
}

// is reports whether t is the bare keyword kw (case-insensitive).
func (t token) is(kw string) bool {
	return t.kind == tkIdent && strings.EqualFold(t.text, kw)
}

func (t token) isPunct(p string) bool { return t.kind == tkPunct && t.text == p }

// name returns the identifier a token denotes, or "" if it is not one.
func (t token) name() string {
	switch t.kind {
	case tkIdent, tkQIdent, tkString:
		return t.val
	}
	return ""
}

// lexSQL splits SQLite SQL into tokens, dropping whitespace and comments.
func lexSQL(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closeCh := c
			if c == '[' {
				closeCh = ']'
			}
			j := i + 1
			var b strings.Builder
			for j < len(s) {
				if s[j] == closeCh {
					if closeCh != ']' && j+1 < len(s) && s[j+1] == closeCh {
						b.WriteByte(closeCh)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			end := j + 1
			if end > len(s) {
				end = len(s)
			}
			k := tkQIdent
			if c == '\'' {
				k = tkString
			}
			toks = append(toks, token{kind: k, text: s[i:end], val: b.String(), pos: i, end: end})
			i = end
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{kind: tkIdent, text: s[i:j], val: s[i:j], pos: i, end: j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.' ||
				(s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			toks = append(toks, token{kind: tkNumber, text: s[i:j], val: s[i:j], pos: i, end: j})
			i = j
		case c == '(' || c == ')' || c == ',' || c == ';' || c == '.':
			toks = append(toks, token{kind: tkPunct, text: s[i : i+1], pos: i, end: i + 1})
			i++
		default:
			j := i + 1
			for j < len(s) && strings.IndexByte("<>=!|&~+-*/%^@#:", s[j]) >= 0 &&
				strings.IndexByte("<>=!|&~+-*/%^@#:", c) >= 0 {
				j++
			}
			toks = append(toks, token{kind: tkOp, text: s[i:j], val: s[i:j], pos: i, end: j})
			i = j
		}
	}
	return toks
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

// parsedTable is what the CREATE TABLE text tells beyond the PRAGMAs.
type parsedTable struct {
	constraints []parsedConstraint
	generated   map[string]string // column (lower case) → generation expression
}

// parsedConstraint is a PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY
// constraint, from a column definition or the table's constraint list.
type parsedConstraint struct {
	name     string // "" if not named
	kind     byte   // 'p', 'u', 'c', 'f'
	cols     []string
	expr     string // CHECK expression text
	refTable string
	refCols  []string
	onUpdate string // SQLite action words, upper case: "CASCADE", "SET NULL", …
	onDelete string
	deferred bool
}

// parseCreateTable extracts constraints from a CREATE TABLE statement.
func parseCreateTable(sql string) parsedTable {
	pt := parsedTable{generated: map[string]string{}}
	toks := lexSQL(sql)
	// Find the opening parenthesis of the definition list.
	i := 0
	for i < len(toks) && !toks[i].isPunct("(") {
		if toks[i].is("AS") {
			return pt // CREATE TABLE … AS SELECT
		}
		i++
	}
	if i >= len(toks) {
		return pt
	}
	end := matchParen(toks, i)
	for _, item := range splitTopLevel(toks[i+1 : end]) {
		if len(item) == 0 {
			continue
		}
		if isTableConstraint(item) {
			if c, ok := parseTableConstraint(sql, item); ok {
				pt.constraints = append(pt.constraints, c)
			}
			continue
		}
		parseColumnDef(sql, item, &pt)
	}
	return pt
}

func isTableConstraint(item []token) bool {
	t := item[0]
	if t.kind != tkIdent {
		return false
	}
	switch strings.ToUpper(t.text) {
	case "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN":
		// A column may be named like a keyword only when quoted, so a bare
		// keyword here starts a table constraint — except "primary"/"unique"
		// … followed by a type, which SQLite would reject anyway.
		return true
	}
	return false
}

// parseTableConstraint handles "[CONSTRAINT name] PRIMARY KEY (…)" etc.
func parseTableConstraint(src string, item []token) (parsedConstraint, bool) {
	var c parsedConstraint
	i := 0
	if item[0].is("CONSTRAINT") && len(item) > 1 {
		c.name = item[1].name()
		i = 2
	}
	if i >= len(item) {
		return c, false
	}
	switch {
	case item[i].is("PRIMARY"):
		c.kind = 'p'
		c.cols = parenNames(item, i+2)
	case item[i].is("UNIQUE"):
		c.kind = 'u'
		c.cols = parenNames(item, i+1)
	case item[i].is("CHECK"):
		c.kind = 'c'
		c.expr = parenText(src, item, i+1)
	case item[i].is("FOREIGN"):
		c.kind = 'f'
		c.cols = parenNames(item, i+2)
		j := i + 2
		if j < len(item) && item[j].isPunct("(") {
			j = matchParen(item, j) + 1
		}
		parseReferences(item, j, &c)
	default:
		return c, false
	}
	return c, true
}

// parseColumnDef reads the constraints of one column definition.
func parseColumnDef(src string, item []token, pt *parsedTable) {
	col := item[0].name()
	if col == "" {
		return
	}
	name := ""
	for i := 1; i < len(item); i++ {
		t := item[i]
		switch {
		case t.is("CONSTRAINT") && i+1 < len(item):
			name = item[i+1].name()
			i++
			continue
		case t.is("PRIMARY"):
			pt.constraints = append(pt.constraints, parsedConstraint{name: name, kind: 'p', cols: []string{col}})
		case t.is("UNIQUE"):
			pt.constraints = append(pt.constraints, parsedConstraint{name: name, kind: 'u', cols: []string{col}})
		case t.is("CHECK") && i+1 < len(item) && item[i+1].isPunct("("):
			pt.constraints = append(pt.constraints, parsedConstraint{name: name, kind: 'c', cols: []string{col}, expr: parenText(src, item, i+1)})
			i = matchParen(item, i+1)
		case t.is("REFERENCES"):
			c := parsedConstraint{name: name, kind: 'f', cols: []string{col}}
			i = parseReferences(item, i, &c) - 1
			pt.constraints = append(pt.constraints, c)
		case t.is("AS") && i+1 < len(item) && item[i+1].isPunct("("):
			pt.generated[strings.ToLower(col)] = parenText(src, item, i+1)
			i = matchParen(item, i+1)
		case t.isPunct("("):
			// type modifiers, DEFAULT (expr), COLLATE … — skip the group.
			i = matchParen(item, i)
		}
		if !t.is("CONSTRAINT") {
			name = ""
		}
	}
}

// parseReferences parses "REFERENCES t [(cols)] [actions…]" starting at
// item[i] (the REFERENCES keyword) and returns the index after it.
func parseReferences(item []token, i int, c *parsedConstraint) int {
	if i >= len(item) || !item[i].is("REFERENCES") {
		return i
	}
	i++
	if i < len(item) {
		c.refTable = item[i].name()
		i++
	}
	if i+1 < len(item) && item[i].isPunct(".") {
		c.refTable = item[i+1].name()
		i += 2
	}
	if i < len(item) && item[i].isPunct("(") {
		c.refCols = parenNames(item, i)
		i = matchParen(item, i) + 1
	}
	for i < len(item) {
		t := item[i]
		switch {
		case t.is("ON") && i+2 < len(item):
			action, n := readAction(item, i+2)
			if item[i+1].is("DELETE") {
				c.onDelete = action
			} else if item[i+1].is("UPDATE") {
				c.onUpdate = action
			}
			i += 2 + n
		case t.is("MATCH") && i+1 < len(item):
			i += 2
		case t.is("DEFERRABLE"):
			i++
			if i+1 < len(item) && item[i].is("INITIALLY") && item[i+1].is("DEFERRED") {
				c.deferred = true
				i += 2
			}
		case t.is("NOT") && i+1 < len(item) && item[i+1].is("DEFERRABLE"):
			i += 2
		case t.is("INITIALLY") && i+1 < len(item):
			i += 2
		default:
			return i
		}
	}
	return i
}

func readAction(item []token, i int) (string, int) {
	switch {
	case item[i].is("SET") && i+1 < len(item):
		return "SET " + strings.ToUpper(item[i+1].text), 2
	case item[i].is("NO") && i+1 < len(item):
		return "NO ACTION", 2
	default:
		return strings.ToUpper(item[i].text), 1
	}
}

// matchParen returns the index of the ")" matching the "(" at toks[i], or
// len(toks) if it is unbalanced.
func matchParen(toks []token, i int) int {
	depth := 0
	for j := i; j < len(toks); j++ {
		switch {
		case toks[j].isPunct("("):
			depth++
		case toks[j].isPunct(")"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(toks)
}

// splitTopLevel splits tokens at commas outside parentheses.
func splitTopLevel(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for j, t := range toks {
		switch {
		case t.isPunct("("):
			depth++
		case t.isPunct(")"):
			depth--
		case t.isPunct(",") && depth == 0:
			out = append(out, toks[start:j])
			start = j + 1
		}
	}
	return append(out, toks[start:])
}

// parenNames reads "(a, b DESC, c COLLATE x)" at toks[i] as column names.
func parenNames(toks []token, i int) []string {
	if i >= len(toks) || !toks[i].isPunct("(") {
		return nil
	}
	end := matchParen(toks, i)
	var names []string
	for _, part := range splitTopLevel(toks[i+1 : end]) {
		if len(part) > 0 {
			names = append(names, part[0].name())
		}
	}
	return names
}

// parenText returns the source text inside the parenthesis at toks[i].
func parenText(src string, toks []token, i int) string {
	if i >= len(toks) || !toks[i].isPunct("(") {
		return ""
	}
	end := matchParen(toks, i)
	if end >= len(toks) {
		return strings.TrimSpace(src[toks[i].end:])
	}
	return strings.TrimSpace(src[toks[i].end:toks[end].pos])
}

// parsedIndex is what CREATE INDEX text adds to PRAGMA index_xinfo: the
// expressions of expression columns and the partial-index predicate.
type parsedIndex struct {
	exprs []string // per indexed column: "" for plain columns, else the expression
	where string
}

func parseCreateIndex(sql string) parsedIndex {
	var pi parsedIndex
	toks := lexSQL(sql)
	i := 0
	for i < len(toks) && !toks[i].is("ON") {
		i++
	}
	for i < len(toks) && !toks[i].isPunct("(") {
		i++
	}
	if i >= len(toks) {
		return pi
	}
	end := matchParen(toks, i)
	for _, part := range splitTopLevel(toks[i+1 : end]) {
		// Drop trailing ASC/DESC and COLLATE x.
		for len(part) > 0 {
			last := part[len(part)-1]
			if last.is("ASC") || last.is("DESC") {
				part = part[:len(part)-1]
				continue
			}
			if len(part) >= 2 && part[len(part)-2].is("COLLATE") {
				part = part[:len(part)-2]
				continue
			}
			break
		}
		if len(part) == 1 && (part[0].kind == tkIdent || part[0].kind == tkQIdent) {
			pi.exprs = append(pi.exprs, "")
		} else if len(part) > 0 {
			pi.exprs = append(pi.exprs, strings.TrimSpace(sql[part[0].pos:part[len(part)-1].end]))
		} else {
			pi.exprs = append(pi.exprs, "")
		}
	}
	for j := end + 1; j < len(toks); j++ {
		if toks[j].is("WHERE") && j+1 < len(toks) {
			pi.where = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql[toks[j+1].pos:]), ";"))
			break
		}
	}
	return pi
}

// viewSelect returns the query text of a CREATE VIEW statement.
func viewSelect(sql string) string {
	toks := lexSQL(sql)
	depth := 0
	for _, t := range toks {
		switch {
		case t.isPunct("("):
			depth++
		case t.isPunct(")"):
			depth--
		case depth == 0 && t.is("AS"):
			return strings.TrimSpace(sql[t.end:])
		}
	}
	return sql
}

// identsIn returns the distinct bare or quoted identifiers in an expression,
// lower-cased, in order of appearance (used to name CHECK constraints the
// way PostgreSQL does: after the single column they reference).
func identsIn(expr string) []string {
	var out []string
	seen := map[string]bool{}
	toks := lexSQL(expr)
	for j, t := range toks {
		if t.kind != tkIdent && t.kind != tkQIdent {
			continue
		}
		if j+1 < len(toks) && toks[j+1].isPunct("(") {
			continue // function name
		}
		n := strings.ToLower(t.val)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
