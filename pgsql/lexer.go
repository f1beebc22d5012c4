package pgsql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// TokenKind classifies a lexical token.
type TokenKind uint8

const (
	TokEOF         TokenKind = iota
	TokSpace                 // whitespace run
	TokComment               // -- line comment or /* nested block */ comment
	TokIdent                 // bare identifier or keyword; Str is lower-cased
	TokQuotedIdent           // "quoted" identifier; Str is the unescaped name (case kept)
	TokString                // '...', E'...', $tag$...$tag$, U&'...' ; Str is the decoded value
	TokBitString             // B'...' / X'...' (Str is the raw digits; Text has the prefix)
	TokNumber                // 42, 3.14, 1e10, .5 ; Str == Text
	TokParam                 // $1 ; Num holds the number
	TokOp                    // operator (longest match per PG rules), including ::
	TokPunct                 // ( ) [ ] , ; . :
)

var tokenKindNames = [...]string{
	TokEOF:         "EOF",
	TokSpace:       "Space",
	TokComment:     "Comment",
	TokIdent:       "Ident",
	TokQuotedIdent: "QuotedIdent",
	TokString:      "String",
	TokBitString:   "BitString",
	TokNumber:      "Number",
	TokParam:       "Param",
	TokOp:          "Op",
	TokPunct:       "Punct",
}

func (k TokenKind) String() string {
	if int(k) < len(tokenKindNames) {
		return tokenKindNames[k]
	}
	return "TokenKind(" + strconv.Itoa(int(k)) + ")"
}

// Token is one lexical token of a SQL string.
type Token struct {
	Kind TokenKind
	Text string // exact source text of the token
	Str  string // decoded value (see kinds); for Op/Punct/Number equal to Text
	Num  int    // parameter number for TokParam
	Pos  int    // byte offset in the source
}

// Lex tokenizes the whole input. Concatenating every Token.Text gives back
// the input exactly. The returned slice always ends with a single TokEOF
// token (empty Text, Pos == len(sql)) so that parsers can peek without
// bounds checks.
//
// An unterminated string, quoted identifier, comment or dollar quote returns
// *Error{Code: "42601"}; so does trailing junk after a number or parameter
// ("123abc", "$1a"), exactly as PostgreSQL 15 rejects them. An E” or U&”
// escape that produces invalid UTF-8 or a bad surrogate returns the code PG
// uses (22021 / 22025 / 42601). On error the tokens lexed so far are
// returned along with it.
func Lex(sql string) ([]Token, error) {
	l := lexer{src: sql}
	toks := make([]Token, 0, len(sql)/3+2)
	for l.pos < len(sql) {
		start := l.pos
		t, err := l.next()
		if err != nil {
			return toks, err
		}
		t.Pos = start
		t.Text = sql[start:l.pos]
		toks = append(toks, t)
	}
	toks = append(toks, Token{Kind: TokEOF, Pos: len(sql)})
	return toks, nil
}

// lexer is a hand-written port of the relevant parts of PostgreSQL's
// src/backend/parser/scan.l, assuming standard_conforming_strings = on
// (the only mode modern clients use). It works on bytes: every byte >= 0x80
// is an identifier character, as in PG, so multi-byte UTF-8 letters never
// split.
type lexer struct {
	src string
	pos int
}

func (l *lexer) peek(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// isOpChar reports membership in scan.l's op_chars.
func isOpChar(c byte) bool {
	return strings.IndexByte("~!@#^&|`?+-*/%<>=", c) >= 0
}

// lowerASCII is PG's downcase_identifier for a UTF-8 database: only ASCII
// letters are folded.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func (l *lexer) next() (Token, error) {
	c := l.src[l.pos]
	switch {
	case isSpace(c):
		for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
			l.pos++
		}
		return Token{Kind: TokSpace}, nil
	case c == '-' && l.peek(1) == '-':
		l.skipLineComment()
		return Token{Kind: TokComment}, nil
	case c == '/' && l.peek(1) == '*':
		if err := l.skipBlockComment(); err != nil {
			return Token{}, err
		}
		return Token{Kind: TokComment}, nil
	case c == '\'':
		return l.lexString(l.pos, l.pos, quoteStandard)
	case c == '"':
		return l.lexQuotedIdent(l.pos, l.pos, false)
	case c == '$':
		if isDigit(l.peek(1)) {
			return l.lexParam()
		}
		if t, ok, err := l.lexDollarQuote(); ok || err != nil {
			return t, err
		}
		l.pos++
		return Token{Kind: TokPunct, Str: "$"}, nil
	case isDigit(c) || c == '.' && isDigit(l.peek(1)):
		return l.lexNumber()
	case isIdentStart(c):
		start := l.pos
		switch c {
		case 'e', 'E':
			if l.peek(1) == '\'' {
				l.pos++
				return l.lexString(start, l.pos, quoteEscape)
			}
		case 'n', 'N':
			if l.peek(1) == '\'' {
				l.pos++
				return l.lexString(start, l.pos, quoteStandard)
			}
		case 'b', 'B', 'x', 'X':
			if l.peek(1) == '\'' {
				l.pos++
				mode := quoteBit
				if c == 'x' || c == 'X' {
					mode = quoteHex
				}
				return l.lexString(start, l.pos, mode)
			}
		case 'u', 'U':
			if l.peek(1) == '&' && l.peek(2) == '\'' {
				l.pos += 2
				return l.lexString(start, l.pos, quoteUnicode)
			}
			if l.peek(1) == '&' && l.peek(2) == '"' {
				l.pos += 2
				return l.lexQuotedIdent(start, l.pos, true)
			}
		}
		for l.pos < len(l.src) && isIdentCont(l.src[l.pos]) {
			l.pos++
		}
		return Token{Kind: TokIdent, Str: lowerASCII(l.src[start:l.pos])}, nil
	case c == ':':
		if n := l.peek(1); n == ':' || n == '=' {
			l.pos += 2
			return Token{Kind: TokOp, Str: l.src[l.pos-2 : l.pos]}, nil
		}
		l.pos++
		return Token{Kind: TokPunct, Str: ":"}, nil
	case c == '.' && l.peek(1) == '.':
		// scan.l's DOT_DOT; never valid SQL, but it must not become ".2".
		l.pos += 2
		return Token{Kind: TokPunct, Str: ".."}, nil
	case strings.IndexByte("()[],;.", c) >= 0:
		l.pos++
		return Token{Kind: TokPunct, Str: l.src[l.pos-1 : l.pos]}, nil
	case isOpChar(c):
		return l.lexOperator(), nil
	default:
		// PG's scanner hands any other byte to the grammar, which rejects
		// it with a syntax error; the lexer itself must not fail.
		l.pos++
		return Token{Kind: TokPunct, Str: l.src[l.pos-1 : l.pos]}, nil
	}
}

// skipLineComment consumes "--" up to, not including, the end of the line;
// like scan.l, a CR ends the line as well as an LF.
func (l *lexer) skipLineComment() {
	if i := strings.IndexAny(l.src[l.pos:], "\r\n"); i >= 0 {
		l.pos += i
	} else {
		l.pos = len(l.src)
	}
}

func (l *lexer) skipBlockComment() error {
	start := l.pos
	depth := 0
	for l.pos < len(l.src) {
		switch {
		case l.src[l.pos] == '/' && l.peek(1) == '*':
			depth++
			l.pos += 2
		case l.src[l.pos] == '*' && l.peek(1) == '/':
			depth--
			l.pos += 2
			if depth == 0 {
				return nil
			}
		default:
			l.pos++
		}
	}
	l.pos = start
	return errAt(l.src, start, CodeSyntaxError, "unterminated /* comment at or near \"%s\"", nearText(l.src[start:]))
}

const maxOperatorScan = 64

// lexOperator implements scan.l's {operator} rule: take the longest run of
// op_chars, cut it at an embedded comment start, and drop trailing + or -
// unless the operator contains a character that cannot appear in SQL
// standard operators (so "2*-1" is "*" "-" "1" but "@-" stays whole).
func (l *lexer) lexOperator() Token {
	start := l.pos
	end := start
	// PG rejects operators longer than NAMEDATALEN-1 bytes, so looking
	// further cannot change the outcome for any valid input, and it keeps
	// long runs like "+-+-+-..." (each "+" or "-" a token) linear.
	for end < len(l.src) && end-start < maxOperatorScan && isOpChar(l.src[end]) {
		end++
	}
	text := l.src[start:end]
	n := len(text)
	if i := strings.Index(text, "/*"); i >= 0 {
		n = i
	}
	if i := strings.Index(text, "--"); i >= 0 && i < n {
		n = i
	}
	if n > 1 && (text[n-1] == '+' || text[n-1] == '-') {
		if !strings.ContainsAny(text[:n-1], "~!@#^&|`?%") {
			for n > 1 && (text[n-1] == '+' || text[n-1] == '-') {
				n--
			}
		}
	}
	if n < 1 { // cannot happen: comments are matched before operators
		n = 1
	}
	l.pos = start + n
	return Token{Kind: TokOp, Str: text[:n]}
}

func (l *lexer) lexParam() (Token, error) {
	start := l.pos
	l.pos++
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.pos < len(l.src) && isIdentStart(l.src[l.pos]) {
		end := l.pos
		for end < len(l.src) && isIdentCont(l.src[end]) {
			end++
		}
		return Token{}, errAt(l.src, start, CodeSyntaxError, "trailing junk after parameter at or near \"%s\"", l.src[start:end])
	}
	digits := l.src[start+1 : l.pos]
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil || n == 0 {
		return Token{}, errAt(l.src, start, CodeUndefinedParameter, "there is no parameter $%s", digits)
	}
	return Token{Kind: TokParam, Str: l.src[start:l.pos], Num: int(n)}, nil
}

// lexNumber follows PG 15: integers, decimals (".5", "1.", "1.5"), and
// reals with an exponent. "1..2" lexes as 1 followed by "..". Anything
// identifier-like glued onto a number, including a dangling exponent
// marker ("1e", "1e+") or PG 16 syntax ("1_000", "0x1F"), is the
// "trailing junk" error PG 15 raises.
func (l *lexer) lexNumber() (Token, error) {
	start := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.peek(0) == '.' && l.peek(1) != '.' {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if c := l.peek(0); c == 'e' || c == 'E' {
		save := l.pos
		l.pos++
		if c := l.peek(0); c == '+' || c == '-' {
			l.pos++
		}
		if !isDigit(l.peek(0)) {
			l.pos = save
			return Token{}, l.numberJunk(start)
		}
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.src) && isIdentStart(l.src[l.pos]) {
		return Token{}, l.numberJunk(start)
	}
	return Token{Kind: TokNumber, Str: l.src[start:l.pos]}, nil
}

func (l *lexer) numberJunk(start int) error {
	end := l.pos
	for end < len(l.src) && (isIdentCont(l.src[end]) || l.src[end] == '+' || l.src[end] == '-') && end-l.pos < 64 {
		c := l.src[end]
		if (c == '+' || c == '-') && !(end > start && (l.src[end-1] == 'e' || l.src[end-1] == 'E')) {
			break
		}
		end++
	}
	return errAt(l.src, start, CodeSyntaxError, "trailing junk after numeric literal at or near \"%s\"", l.src[start:end])
}

type quoteMode uint8

const (
	quoteStandard quoteMode = iota // '...'  and N'...'
	quoteEscape                    // E'...'
	quoteBit                       // B'...'
	quoteHex                       // X'...'
	quoteUnicode                   // U&'...'
)

// lexString scans a single-quoted literal whose opening quote is at q
// (tokStart is where the token, including any prefix, begins). It follows
// PG's continuation rule: a closing quote followed by whitespace that
// contains a newline and then another quote continues the same literal,
// so the token's Text spans all the pieces and Str is their concatenation.
func (l *lexer) lexString(tokStart, q int, mode quoteMode) (Token, error) {
	var buf strings.Builder
	l.pos = q + 1
	for {
		if l.pos >= len(l.src) {
			return Token{}, l.unterminated(tokStart, mode)
		}
		c := l.src[l.pos]
		switch {
		case c == '\'':
			if l.peek(1) == '\'' {
				buf.WriteByte('\'')
				l.pos += 2
				continue
			}
			l.pos++
			if next, ok := l.continuation(); ok {
				l.pos = next + 1
				continue
			}
			return l.finishString(tokStart, mode, buf.String())
		case c == '\\' && mode == quoteEscape:
			if err := l.escape(&buf); err != nil {
				return Token{}, err
			}
		default:
			buf.WriteByte(c)
			l.pos++
		}
	}
}

func (l *lexer) unterminated(start int, mode quoteMode) error {
	what := "quoted string"
	switch mode {
	case quoteBit:
		what = "bit string literal"
	case quoteHex:
		what = "hexadecimal string literal"
	}
	return errAt(l.src, start, CodeSyntaxError, "unterminated %s at or near \"%s\"", what, nearText(l.src[start:]))
}

// continuation reports whether the text at l.pos is whitespace containing a
// newline (with optional -- comments) followed by a quote, returning the
// quote's offset. This is scan.l's {quotecontinue}.
func (l *lexer) continuation() (int, bool) {
	isNewline := func(c byte) bool { return c == '\n' || c == '\r' }
	// skipComment returns the offset of the newline ending a -- comment
	// at i, or -1 if the input ends first.
	skipComment := func(i int) int {
		j := strings.IndexAny(l.src[i:], "\r\n")
		if j < 0 {
			return -1
		}
		return i + j
	}
	i := l.pos
	// horiz_whitespace*: spaces, tabs, form feeds and -- comments.
	for i < len(l.src) {
		c := l.src[i]
		if c == ' ' || c == '\t' || c == '\f' || c == '\v' {
			i++
		} else if c == '-' && i+1 < len(l.src) && l.src[i+1] == '-' {
			if i = skipComment(i); i < 0 {
				return 0, false
			}
		} else {
			break
		}
	}
	if i >= len(l.src) || !isNewline(l.src[i]) {
		return 0, false
	}
	// special_whitespace*: any spaces, or -- comments ending in a newline.
	for i < len(l.src) {
		c := l.src[i]
		if isSpace(c) {
			i++
		} else if c == '-' && i+1 < len(l.src) && l.src[i+1] == '-' {
			if i = skipComment(i); i < 0 {
				return 0, false
			}
		} else {
			break
		}
	}
	if i < len(l.src) && l.src[i] == '\'' {
		return i, true
	}
	return 0, false
}

func (l *lexer) finishString(start int, mode quoteMode, s string) (Token, error) {
	switch mode {
	case quoteBit, quoteHex:
		return Token{Kind: TokBitString, Str: s}, nil
	case quoteUnicode:
		u, err := l.unicodeSuffix(start, s)
		if err != nil {
			return Token{}, err
		}
		return Token{Kind: TokString, Str: u}, nil
	case quoteEscape:
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return Token{}, badEncoding(s)
		}
	}
	return Token{Kind: TokString, Str: s}, nil
}

// badEncoding reproduces PG's 22021 for an escape string that decodes to
// bytes that are not valid UTF-8 (or contain NUL).
func badEncoding(s string) error {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if s[i] == 0 || r == utf8.RuneError && n <= 1 {
			end := i + 1
			for end < len(s) && end < i+4 && !utf8.RuneStart(s[end]) {
				end++
			}
			var hex []string
			for _, b := range []byte(s[i:end]) {
				hex = append(hex, "0x"+strconv.FormatUint(uint64(b)|0x100, 16)[1:])
			}
			return &Error{Code: CodeCharacterNotInRepertoire,
				Message: `invalid byte sequence for encoding "UTF8": ` + strings.Join(hex, " ")}
		}
		i += n
	}
	return &Error{Code: CodeCharacterNotInRepertoire, Message: `invalid byte sequence for encoding "UTF8"`}
}

// escape decodes one backslash escape of an E” string at l.pos.
func (l *lexer) escape(buf *strings.Builder) error {
	start := l.pos
	l.pos++ // the backslash
	if l.pos >= len(l.src) {
		return l.unterminated(start, quoteEscape)
	}
	c := l.src[l.pos]
	l.pos++
	switch c {
	case 'b':
		buf.WriteByte('\b')
	case 'f':
		buf.WriteByte('\f')
	case 'n':
		buf.WriteByte('\n')
	case 'r':
		buf.WriteByte('\r')
	case 't':
		buf.WriteByte('\t')
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v := int(c - '0')
		for k := 0; k < 2 && isOctal(l.peek(0)); k++ {
			v = v*8 + int(l.src[l.pos]-'0')
			l.pos++
		}
		buf.WriteByte(byte(v))
	case 'x':
		if !isHex(l.peek(0)) {
			buf.WriteByte('x')
			break
		}
		v := 0
		for k := 0; k < 2 && isHex(l.peek(0)); k++ {
			v = v*16 + hexVal(l.src[l.pos])
			l.pos++
		}
		buf.WriteByte(byte(v))
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		r, ok := l.hexDigits(n)
		if !ok {
			return errAt(l.src, start, CodeInvalidEscapeSequence, "invalid Unicode escape")
		}
		if isHighSurrogate(r) {
			// Must be followed by a \u low surrogate.
			if l.peek(0) == '\\' && (l.peek(1) == 'u' || l.peek(1) == 'U') {
				save := l.pos
				m := 4
				if l.peek(1) == 'U' {
					m = 8
				}
				l.pos += 2
				lo, ok := l.hexDigits(m)
				if ok && isLowSurrogate(lo) {
					r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
					buf.WriteRune(r)
					return nil
				}
				l.pos = save
			}
			return errAt(l.src, l.pos, CodeSyntaxError, "invalid Unicode surrogate pair")
		}
		if isLowSurrogate(r) || r > utf8.MaxRune || r == 0 {
			if r == 0 || r > utf8.MaxRune {
				return errAt(l.src, start, CodeInvalidEscapeSequence, "invalid Unicode escape value")
			}
			return errAt(l.src, l.pos, CodeSyntaxError, "invalid Unicode surrogate pair")
		}
		buf.WriteRune(r)
	default:
		// Any other character stands for itself (\\, \', \q ...). A
		// multi-byte character is copied whole by the main loop anyway.
		buf.WriteByte(c)
	}
	return nil
}

func (l *lexer) hexDigits(n int) (rune, bool) {
	if l.pos+n > len(l.src) {
		return 0, false
	}
	var v rune
	for i := 0; i < n; i++ {
		c := l.src[l.pos+i]
		if !isHex(c) {
			return 0, false
		}
		v = v*16 + rune(hexVal(c))
		if v > 0x7FFFFFFF/16 && i < n-1 {
			return 0, false
		}
	}
	l.pos += n
	return v, true
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }

// lexQuotedIdent scans "..." (or U&"...") with "" as the escaped quote.
func (l *lexer) lexQuotedIdent(tokStart, q int, unicode bool) (Token, error) {
	l.pos = q + 1
	var buf strings.Builder
	for {
		i := strings.IndexByte(l.src[l.pos:], '"')
		if i < 0 {
			return Token{}, errAt(l.src, tokStart, CodeSyntaxError, "unterminated quoted identifier at or near \"%s\"", nearText(l.src[tokStart:]))
		}
		buf.WriteString(l.src[l.pos : l.pos+i])
		l.pos += i + 1
		if l.peek(0) == '"' {
			buf.WriteByte('"')
			l.pos++
			continue
		}
		break
	}
	name := buf.String()
	if unicode {
		var err error
		if name, err = l.unicodeSuffix(tokStart, name); err != nil {
			return Token{}, err
		}
	}
	if name == "" {
		return Token{}, errAt(l.src, tokStart, CodeSyntaxError, "zero-length delimited identifier at or near \"%s\"", l.src[tokStart:l.pos])
	}
	return Token{Kind: TokQuotedIdent, Str: name}, nil
}

// unicodeSuffix consumes an optional UESCAPE 'c' clause after a U& literal
// (making it part of the token) and decodes the Unicode escapes in raw.
func (l *lexer) unicodeSuffix(tokStart int, raw string) (string, error) {
	esc := byte('\\')
	i := l.skipSpaceAndComments(l.pos)
	if i+7 <= len(l.src) && strings.EqualFold(l.src[i:i+7], "uescape") &&
		(i+7 == len(l.src) || !isIdentCont(l.src[i+7])) {
		j := l.skipSpaceAndComments(i + 7)
		if j+3 <= len(l.src) && l.src[j] == '\'' && l.src[j+2] == '\'' && l.src[j+1] != '\'' {
			e := l.src[j+1]
			if isHex(e) || e == '+' || e == '"' || isSpace(e) || e >= 0x80 {
				return "", errAt(l.src, j, CodeSyntaxError, "invalid Unicode escape character")
			}
			esc = e
			l.pos = j + 3
		} else {
			return "", errAt(l.src, i, CodeSyntaxError, "UESCAPE must be followed by a simple string literal")
		}
	}
	var buf strings.Builder
	for k := 0; k < len(raw); {
		c := raw[k]
		if c != esc {
			buf.WriteByte(c)
			k++
			continue
		}
		if k+1 < len(raw) && raw[k+1] == esc {
			buf.WriteByte(esc)
			k += 2
			continue
		}
		var r rune
		var n int
		if k+1 < len(raw) && raw[k+1] == '+' {
			n = 6
			k += 2
		} else {
			n = 4
			k++
		}
		if k+n > len(raw) || !allHex(raw[k:k+n]) {
			return "", errAt(l.src, tokStart, CodeInvalidEscapeSequence, "invalid Unicode escape")
		}
		v, _ := strconv.ParseUint(raw[k:k+n], 16, 32)
		r = rune(v)
		k += n
		if isHighSurrogate(r) {
			if k+5 <= len(raw) && raw[k] == esc && allHex(raw[k+1:k+5]) {
				lo, _ := strconv.ParseUint(raw[k+1:k+5], 16, 32)
				if isLowSurrogate(rune(lo)) {
					buf.WriteRune((r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000)
					k += 5
					continue
				}
			}
			return "", errAt(l.src, tokStart, CodeSyntaxError, "invalid Unicode surrogate pair")
		}
		if isLowSurrogate(r) {
			return "", errAt(l.src, tokStart, CodeSyntaxError, "invalid Unicode surrogate pair")
		}
		if r == 0 || r > utf8.MaxRune {
			return "", errAt(l.src, tokStart, CodeInvalidEscapeSequence, "invalid Unicode escape value")
		}
		buf.WriteRune(r)
	}
	return buf.String(), nil
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// skipSpaceAndComments returns the offset of the first byte at or after i
// that is neither whitespace nor part of a complete comment.
func (l *lexer) skipSpaceAndComments(i int) int {
	for i < len(l.src) {
		switch {
		case isSpace(l.src[i]):
			i++
		case strings.HasPrefix(l.src[i:], "--"):
			j := strings.IndexAny(l.src[i:], "\r\n")
			if j < 0 {
				return len(l.src)
			}
			i += j
		case strings.HasPrefix(l.src[i:], "/*"):
			sub := lexer{src: l.src, pos: i}
			if sub.skipBlockComment() != nil {
				return i
			}
			i = sub.pos
		default:
			return i
		}
	}
	return i
}

// lexDollarQuote scans $tag$...$tag$ at l.pos. ok is false (and nothing is
// consumed) if the text at l.pos is not a dollar-quote opener.
func (l *lexer) lexDollarQuote() (Token, bool, error) {
	start := l.pos
	i := start + 1
	if i < len(l.src) && isIdentStart(l.src[i]) {
		i++
		for i < len(l.src) && isIdentCont(l.src[i]) && l.src[i] != '$' {
			i++
		}
	}
	if i >= len(l.src) || l.src[i] != '$' {
		return Token{}, false, nil
	}
	delim := l.src[start : i+1]
	body := i + 1
	end := strings.Index(l.src[body:], delim)
	if end < 0 {
		return Token{}, true, errAt(l.src, start, CodeSyntaxError, "unterminated dollar-quoted string at or near \"%s\"", nearText(l.src[start:]))
	}
	l.pos = body + end + len(delim)
	return Token{Kind: TokString, Str: l.src[body : body+end]}, true, nil
}
