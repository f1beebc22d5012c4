package catalog

import (
	"container/list"
	"database/sql/driver"
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Pattern matching with PostgreSQL semantics. LIKE is case-sensitive with
// '\' as the default escape (SQLite's is case-insensitive without one), so
// like() is overridden; ILIKE and the regex operators arrive from the
// translator as pg_ilike() and REGEXP. PostgreSQL's regular expressions
// (ARE) are close to RE2 for what clients use; the differences handled are
// that '.' matches newlines and the \y \m \M word-boundary escapes.

func matchFunctions() []sqlFunc {
	return []sqlFunc{
		fixed("regexp", 2, true, fnRegexp),
		fixed("pg_regexp_ci", 1, true, fnRegexpCI),
		ranged("like", 2, 3, true, fnLike),
		ranged("pg_ilike", 2, 3, true, fnILike),
		ranged("regexp_replace", 3, 4, true, fnRegexpReplace),
		ranged("regexp_match", 2, 3, true, fnRegexpMatch),
	}
}

// regexp(pattern, text): SQLite calls it for "text REGEXP pattern".
func fnRegexp(c *call) (driver.Value, error) {
	pat, ok1 := argText(c.args[0])
	s, ok2 := argText(c.args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	re, err := c.r.regexes.get(pat)
	if err != nil {
		return nil, err
	}
	return boolValue(re.MatchString(s)), nil
}

func fnRegexpCI(c *call) (driver.Value, error) {
	pat, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	return "(?i)" + pat, nil
}

// like(pattern, text[, escape]): SQLite's argument order for "text LIKE
// pattern [ESCAPE e]".
func fnLike(c *call) (driver.Value, error) {
	return likeCall(c.args[1], c.args[0], c.args[2:], false)
}

// pg_ilike(text, pattern[, escape]).
func fnILike(c *call) (driver.Value, error) {
	return likeCall(c.args[0], c.args[1], c.args[2:], true)
}

func likeCall(textV, patV driver.Value, escV []driver.Value, fold bool) (driver.Value, error) {
	s, ok1 := argText(textV)
	p, ok2 := argText(patV)
	if !ok1 || !ok2 {
		return nil, nil
	}
	esc := '\\'
	if len(escV) > 0 {
		e, ok := argText(escV[0])
		if !ok {
			return nil, nil
		}
		switch utf8.RuneCountInString(e) {
		case 0:
			esc = -1
		case 1:
			esc, _ = utf8.DecodeRuneInString(e)
		default:
			return nil, errorf(codeInvalidEscape, "invalid escape string")
		}
	}
	m, err := likeMatch(s, p, esc, fold)
	if err != nil {
		return nil, err
	}
	return boolValue(m), nil
}

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind byte // 'c' literal rune, '_' any rune, '%' any sequence, 'E' dangling escape
	r    rune
}

func compileLike(p string, esc rune) ([]likeTok, error) {
	toks := make([]likeTok, 0, len(p))
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		switch {
		case esc >= 0 && r == esc:
			if i >= len(p) {
				// PostgreSQL complains only when matching reaches it.
				toks = append(toks, likeTok{kind: 'E'})
				continue
			}
			r, n = utf8.DecodeRuneInString(p[i:])
			i += n
			toks = append(toks, likeTok{kind: 'c', r: r})
		case r == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != '%' {
				toks = append(toks, likeTok{kind: '%'})
			}
		case r == '_':
			toks = append(toks, likeTok{kind: '_'})
		default:
			toks = append(toks, likeTok{kind: 'c', r: r})
		}
	}
	return toks, nil
}

// likeMatch reports whether s matches the LIKE pattern p. It backtracks
// only to the most recent %, which is sufficient for LIKE (no nested
// groups) and keeps the worst case at O(len(s)·len(p)).
func likeMatch(s, p string, esc rune, fold bool) (bool, error) {
	toks, err := compileLike(p, esc)
	if err != nil {
		return false, err
	}
	rs := []rune(s)
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		if pi < len(toks) {
			t := toks[pi]
			switch t.kind {
			case '%':
				starP, starS = pi, si
				pi++
				continue
			case '_':
				si++
				pi++
				continue
			case 'E':
				return false, errorf(codeInvalidEscape, "LIKE pattern must not end with escape character")
			case 'c':
				if runeEq(rs[si], t.r, fold) {
					si++
					pi++
					continue
				}
			}
		}
		if starP < 0 {
			return false, nil
		}
		starS++
		si, pi = starS, starP+1
	}
	for pi < len(toks) && toks[pi].kind == '%' {
		pi++
	}
	return pi == len(toks), nil
}

func runeEq(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}

// regexCache is a small LRU of compiled patterns shared by the driver's
// connections (compiled regexps are safe for concurrent use).
type regexCache struct {
	mu    sync.Mutex
	cap   int
	ll    *list.List
	items map[string]*list.Element
}

type regexEntry struct {
	pat string
	re  *regexp.Regexp
	err error
}

func newRegexCache(capacity int) *regexCache {
	return &regexCache{cap: capacity, ll: list.New(), items: map[string]*list.Element{}}
}

func (rc *regexCache) get(pat string) (*regexp.Regexp, error) {
	rc.mu.Lock()
	if e, ok := rc.items[pat]; ok {
		rc.ll.MoveToFront(e)
		ent := e.Value.(*regexEntry)
		rc.mu.Unlock()
		return ent.re, ent.err
	}
	rc.mu.Unlock()
	re, err := compilePGRegex(pat)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.items[pat]; !ok {
		rc.items[pat] = rc.ll.PushFront(&regexEntry{pat: pat, re: re, err: err})
		for rc.ll.Len() > rc.cap {
			old := rc.ll.Back()
			rc.ll.Remove(old)
			delete(rc.items, old.Value.(*regexEntry).pat)
		}
	}
	return re, err
}

// compilePGRegex compiles a PostgreSQL ARE with Go's RE2.
func compilePGRegex(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)")
	flags := ""
	// PostgreSQL embedded options at the very start: (?i), (?n) etc.
	if strings.HasPrefix(pat, "(?") {
		if end := strings.IndexByte(pat, ')'); end > 2 {
			opts := pat[2:end]
			if strings.Trim(opts, "bcegimnpqstwx") == "" {
				for _, o := range opts {
					switch o {
					case 'i':
						flags += "i"
					case 'n', 'w':
						flags += "m"
					}
				}
				pat = pat[end+1:]
			}
		}
	}
	if flags != "" {
		b.WriteString("(?" + flags + ")")
	}
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		if c == '\\' && i+1 < len(pat) {
			switch pat[i+1] {
			case 'y', 'm', 'M':
				b.WriteString(`\b`)
				i++
				continue
			case 'Z':
				b.WriteString(`\z`)
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(pat[i+1])
			i++
			continue
		}
		if strings.HasPrefix(pat[i:], "[[:<:]]") || strings.HasPrefix(pat[i:], "[[:>:]]") {
			b.WriteString(`\b`)
			i += 6
			continue
		}
		b.WriteByte(c)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, errorf(codeInvalidRegex, "invalid regular expression: %s", regexErrText(err))
	}
	return re, nil
}

func regexErrText(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	return err.Error()
}

// regexp_replace(source, pattern, replacement[, flags]).
func fnRegexpReplace(c *call) (driver.Value, error) {
	src, ok1 := argText(c.args[0])
	pat, ok2 := argText(c.args[1])
	rep, ok3 := argText(c.args[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, nil
	}
	global := false
	if len(c.args) > 3 {
		flags, ok := argText(c.args[3])
		if !ok {
			return nil, nil
		}
		if strings.Contains(flags, "i") {
			pat = "(?i)" + pat
		}
		global = strings.Contains(flags, "g")
	}
	re, err := c.r.regexes.get(pat)
	if err != nil {
		return nil, err
	}
	// PostgreSQL's \1..\9 and \& become Go's ${1}..${9} and ${0}.
	var rb strings.Builder
	for i := 0; i < len(rep); i++ {
		if rep[i] == '\\' && i+1 < len(rep) {
			n := rep[i+1]
			switch {
			case n >= '1' && n <= '9':
				rb.WriteString("${" + string(n) + "}")
				i++
				continue
			case n == '&':
				rb.WriteString("${0}")
				i++
				continue
			case n == '\\':
				rb.WriteByte('\\')
				i++
				continue
			}
		}
		if rep[i] == '$' {
			rb.WriteString("$$")
			continue
		}
		rb.WriteByte(rep[i])
	}
	template := rb.String()
	if global {
		return re.ReplaceAllString(src, template), nil
	}
	loc := re.FindStringSubmatchIndex(src)
	if loc == nil {
		return src, nil
	}
	out := re.ExpandString(nil, template, src, loc)
	return src[:loc[0]] + string(out) + src[loc[1]:], nil
}

// regexp_match(string, pattern[, flags]) → text[] (JSON) of the captures,
// or the whole match when the pattern has no groups.
func fnRegexpMatch(c *call) (driver.Value, error) {
	s, ok1 := argText(c.args[0])
	pat, ok2 := argText(c.args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	if len(c.args) > 2 {
		if flags, ok := argText(c.args[2]); ok && strings.Contains(flags, "i") {
			pat = "(?i)" + pat
		}
	}
	re, err := c.r.regexes.get(pat)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	var out []any
	if len(m) == 2 {
		out = append(out, s[m[0]:m[1]])
	}
	for i := 2; i < len(m); i += 2 {
		if m[i] < 0 {
			out = append(out, nil)
		} else {
			out = append(out, s[m[i]:m[i+1]])
		}
	}
	return jsonArray(out), nil
}
