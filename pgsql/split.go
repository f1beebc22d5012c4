package pgsql

// Split splits a simple-Query string into its statements on top-level
// semicolons. Each statement is the exact source text between separators
// with surrounding whitespace trimmed (comments inside or around it are
// kept). Pieces holding nothing but whitespace and comments are dropped, so
// zero statements means the query was empty and the server must answer
// with EmptyQueryResponse.
//
// Semicolons inside literals, quoted identifiers, comments and dollar
// quotes never split. Neither do semicolons inside a compound body: the
// BEGIN … END of a SQLite-style CREATE TRIGGER and the BEGIN ATOMIC … END
// of a SQL-standard CREATE FUNCTION/PROCEDURE are tracked the way psql
// does it, by counting BEGIN/CASE against END once the statement is known
// to be such a CREATE.
//
// A lexical error (unterminated string, etc.) is returned as *Error with
// its position relative to sql.
func Split(sql string) ([]string, error) {
	stmts, _, err := SplitOffsets(sql)
	return stmts, err
}

// SplitOffsets is Split that also returns the byte offset in sql at which
// each statement starts. PostgreSQL positions errors relative to the whole
// query string; ShiftError(err, sql, offsets[i]) converts an error about
// statement i accordingly.
func SplitOffsets(sql string) (stmts []string, offsets []int, err error) {
	toks, err := Lex(sql)
	if err != nil {
		return nil, nil, err
	}
	spans := splitTokens(sql, toks)
	if len(spans) == 0 {
		return nil, nil, nil
	}
	stmts = make([]string, len(spans))
	offsets = make([]int, len(spans))
	for i, sp := range spans {
		stmts[i], offsets[i] = sql[sp.start:sp.end], sp.start
	}
	return stmts, offsets, nil
}

// span is a statement's byte range in the query, whitespace-trimmed.
type span struct{ start, end int }

// splitTokens does the work of Split on an already lexed query.
func splitTokens(sql string, toks []Token) []span {
	var (
		out      []span
		start    = 0     // byte offset where the current statement begins
		content  = false // current piece has a token other than space/comment
		words    []string
		compound = false // statement is CREATE [OR REPLACE] [TEMP] TRIGGER/FUNCTION/PROCEDURE
		depth    = 0     // BEGIN/CASE nesting inside a compound statement
	)
	flush := func(end int) {
		if content {
			s, e := start, end
			for s < e && isSpace(sql[s]) {
				s++
			}
			for e > s && isSpace(sql[e-1]) {
				e--
			}
			out = append(out, span{s, e})
		}
		start, content, words, compound, depth = end, false, words[:0], false, 0
	}
	for _, t := range toks {
		switch t.Kind {
		case TokEOF:
			flush(len(sql))
		case TokSpace, TokComment:
		case TokPunct:
			if t.Str == ";" && depth == 0 {
				// Exclude the semicolon itself; the next piece starts after it.
				flush(t.Pos)
				start = t.Pos + 1
				continue
			}
			content = true
			if len(words) < 4 {
				words = append(words, "")
			}
		case TokIdent:
			content = true
			if len(words) < 4 {
				words = append(words, t.Str)
				if !compound {
					compound = isCompoundCreate(words)
				}
			}
			if compound {
				switch t.Str {
				case "begin", "case":
					depth++
				case "end":
					if depth > 0 {
						depth--
					}
				}
			}
		default:
			content = true
			if len(words) < 4 {
				// Only a leading run of keywords decides compound-ness.
				words = append(words, "")
			}
		}
	}
	return out
}

// isCompoundCreate reports whether the leading keywords of a statement
// introduce a CREATE whose body may contain semicolons.
func isCompoundCreate(w []string) bool {
	if len(w) < 2 || w[0] != "create" {
		return false
	}
	for _, x := range w[1:] {
		switch x {
		case "trigger", "function", "procedure":
			return true
		case "or", "replace", "temp", "temporary", "constraint":
			continue
		default:
			return false
		}
	}
	return false
}
