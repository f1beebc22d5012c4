package pgsql

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// tk is a compact expected token: kind, text, decoded Str.
type tk struct {
	k    TokenKind
	text string
	str  string
}

// significant drops whitespace, comments and EOF so tests can focus on the
// meaningful tokens.
func significant(toks []Token) []Token {
	var out []Token
	for _, t := range toks {
		if t.Kind != TokSpace && t.Kind != TokComment && t.Kind != TokEOF {
			out = append(out, t)
		}
	}
	return out
}

func TestLexTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []tk
	}{
		{"SELECT Foo, \"Bar\"\"x\" FROM t", []tk{
			{TokIdent, "SELECT", "select"}, {TokIdent, "Foo", "foo"}, {TokPunct, ",", ","},
			{TokQuotedIdent, `"Bar""x"`, `Bar"x`}, {TokIdent, "FROM", "from"}, {TokIdent, "t", "t"}}},
		{"a$b _x1 é1", []tk{{TokIdent, "a$b", "a$b"}, {TokIdent, "_x1", "_x1"}, {TokIdent, "é1", "é1"}}},
		{"ÉCOLE", []tk{{TokIdent, "ÉCOLE", "École"}}}, // only ASCII folds, like PG with UTF8
		{"'it''s'", []tk{{TokString, "'it''s'", "it's"}}},
		{`'a\nb'`, []tk{{TokString, `'a\nb'`, `a\nb`}}}, // standard_conforming_strings
		{"'a'\n'b'", []tk{{TokString, "'a'\n'b'", "ab"}}},
		{"'a' -- c\n  -- d\n 'b'", []tk{{TokString, "'a' -- c\n  -- d\n 'b'", "ab"}}},
		{"'a'\r'b' -- x\r'c'", []tk{{TokString, "'a'\r'b' -- x\r'c'", "abc"}}},
		{"'a' 'b'", []tk{{TokString, "'a'", "a"}, {TokString, "'b'", "b"}}},
		{"'a'/*c*/\n'b'", []tk{{TokString, "'a'", "a"}, {TokString, "'b'", "b"}}},
		{`E'\x41\101\u0041\U0001F600\t\'\\\q'`, []tk{{TokString, `E'\x41\101\u0041\U0001F600\t\'\\\q'`, "AAA😀\t'\\q"}}},
		{`e'\ud83d\ude00' E'\x4g'`, []tk{{TokString, `e'\ud83d\ude00'`, "😀"}, {TokString, `E'\x4g'`, "\x04g"}}},
		{"E'a'\n'\\n'", []tk{{TokString, "E'a'\n'\\n'", "a\n"}}},
		{"N'x'", []tk{{TokString, "N'x'", "x"}}},
		{`U&'d\0061t\+000061'`, []tk{{TokString, `U&'d\0061t\+000061'`, "data"}}},
		{`U&'d!0061t' UESCAPE '!'`, []tk{{TokString, `U&'d!0061t' UESCAPE '!'`, "dat"}}},
		{`u&"d\0061t"`, []tk{{TokQuotedIdent, `u&"d\0061t"`, "dat"}}},
		{"B'101' x'1F'", []tk{{TokBitString, "B'101'", "101"}, {TokBitString, "x'1F'", "1F"}}},
		{"$$a;b$$ $tag$x$$y$tag$ $a$$b$ $a$", []tk{{TokString, "$$a;b$$", "a;b"},
			{TokString, "$tag$x$$y$tag$", "x$$y"}, {TokString, "$a$$b$ $a$", "$b$ "}}},
		{"$1 + $23", []tk{{TokParam, "$1", "$1"}, {TokOp, "+", "+"}, {TokParam, "$23", "$23"}}},
		{"42 3.14 .5 1. 1e10 1.5E-3 1.e5", []tk{{TokNumber, "42", "42"}, {TokNumber, "3.14", "3.14"},
			{TokNumber, ".5", ".5"}, {TokNumber, "1.", "1."}, {TokNumber, "1e10", "1e10"},
			{TokNumber, "1.5E-3", "1.5E-3"}, {TokNumber, "1.e5", "1.e5"}}},
		{"1..2", []tk{{TokNumber, "1", "1"}, {TokPunct, "..", ".."}, {TokNumber, "2", "2"}}},
		{"a::int[]", []tk{{TokIdent, "a", "a"}, {TokOp, "::", "::"}, {TokIdent, "int", "int"},
			{TokPunct, "[", "["}, {TokPunct, "]", "]"}}},
		{"x := 1 => :y", []tk{{TokIdent, "x", "x"}, {TokOp, ":=", ":="}, {TokNumber, "1", "1"},
			{TokOp, "=>", "=>"}, {TokPunct, ":", ":"}, {TokIdent, "y", "y"}}},
		// PG's trailing +/- rule.
		{"2+-1", []tk{{TokNumber, "2", "2"}, {TokOp, "+", "+"}, {TokOp, "-", "-"}, {TokNumber, "1", "1"}}},
		{"2*-1", []tk{{TokNumber, "2", "2"}, {TokOp, "*", "*"}, {TokOp, "-", "-"}, {TokNumber, "1", "1"}}},
		{"a @- b", []tk{{TokIdent, "a", "a"}, {TokOp, "@-", "@-"}, {TokIdent, "b", "b"}}},
		{"a <=- b", []tk{{TokIdent, "a", "a"}, {TokOp, "<=", "<="}, {TokOp, "-", "-"}, {TokIdent, "b", "b"}}},
		{"a !~* b <> c != d || e", []tk{{TokIdent, "a", "a"}, {TokOp, "!~*", "!~*"}, {TokIdent, "b", "b"},
			{TokOp, "<>", "<>"}, {TokIdent, "c", "c"}, {TokOp, "!=", "!="}, {TokIdent, "d", "d"},
			{TokOp, "||", "||"}, {TokIdent, "e", "e"}}},
		{"j @> '{}' #>> '{a}'", []tk{{TokIdent, "j", "j"}, {TokOp, "@>", "@>"}, {TokString, "'{}'", "{}"},
			{TokOp, "#>>", "#>>"}, {TokString, "'{a}'", "{a}"}}},
		// Comments cut operators.
		{"1+/*x*/2", []tk{{TokNumber, "1", "1"}, {TokOp, "+", "+"}, {TokNumber, "2", "2"}}},
		{"1*--x\n2", []tk{{TokNumber, "1", "1"}, {TokOp, "*", "*"}, {TokNumber, "2", "2"}}},
		{"a.b.c", []tk{{TokIdent, "a", "a"}, {TokPunct, ".", "."}, {TokIdent, "b", "b"},
			{TokPunct, ".", "."}, {TokIdent, "c", "c"}}},
		{"1 $ 2 \\", []tk{{TokNumber, "1", "1"}, {TokPunct, "$", "$"}, {TokNumber, "2", "2"}, {TokPunct, "\\", "\\"}}},
	}
	for _, tt := range tests {
		toks, err := Lex(tt.in)
		if err != nil {
			t.Errorf("Lex(%q): %v", tt.in, err)
			continue
		}
		got := significant(toks)
		if len(got) != len(tt.want) {
			t.Errorf("Lex(%q): got %d tokens %+v, want %d", tt.in, len(got), got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			g := got[i]
			if g.Kind != w.k || g.Text != w.text || g.Str != w.str {
				t.Errorf("Lex(%q)[%d] = {%v %q %q}, want {%v %q %q}", tt.in, i, g.Kind, g.Text, g.Str, w.k, w.text, w.str)
			}
		}
		checkRoundTrip(t, tt.in, toks)
	}
}

func TestLexParamNum(t *testing.T) {
	toks, err := Lex("$7")
	if err != nil || toks[0].Kind != TokParam || toks[0].Num != 7 {
		t.Fatalf("got %+v, %v", toks, err)
	}
}

func TestLexCommentsAndSpace(t *testing.T) {
	in := "/* a /* nested */ still */ -- line\r\n\tx"
	toks, err := Lex(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []TokenKind{TokComment, TokSpace, TokComment, TokSpace, TokIdent, TokEOF}
	if len(toks) != len(want) {
		t.Fatalf("got %+v", toks)
	}
	for i, k := range want {
		if toks[i].Kind != k {
			t.Errorf("tok %d kind %v want %v (%q)", i, toks[i].Kind, k, toks[i].Text)
		}
	}
	if toks[0].Text != "/* a /* nested */ still */" || toks[2].Text != "-- line" || toks[3].Text != "\r\n\t" {
		t.Errorf("texts: %q %q %q", toks[0].Text, toks[2].Text, toks[3].Text)
	}
	if last := toks[len(toks)-1]; last.Pos != len(in) || last.Text != "" {
		t.Errorf("EOF token %+v", last)
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		in, code, msg string
		pos           int
	}{
		{"select 'abc", "42601", `unterminated quoted string at or near "'abc"`, 8},
		{"select E'abc\\'", "42601", "unterminated quoted string", 8},
		{`select "abc`, "42601", `unterminated quoted identifier at or near ""abc"`, 8},
		{"select /* a /* b */", "42601", "unterminated /* comment", 8},
		{"select $x$abc$y$", "42601", `unterminated dollar-quoted string at or near "$x$abc$y$"`, 8},
		{"select b'01", "42601", "unterminated bit string literal", 8},
		{"select x'01", "42601", "unterminated hexadecimal string literal", 8},
		{`select ""`, "42601", `zero-length delimited identifier at or near """"`, 8},
		{"select 123abc", "42601", `trailing junk after numeric literal at or near "123abc"`, 8},
		{"select 1e", "42601", `trailing junk after numeric literal at or near "1e"`, 8},
		{"select 1e+", "42601", `trailing junk after numeric literal at or near "1e+"`, 8},
		{"select 1_000", "42601", "trailing junk after numeric literal", 8},
		{"select 0x1f", "42601", "trailing junk after numeric literal", 8},
		{"select $1a", "42601", `trailing junk after parameter at or near "$1a"`, 8},
		{"select $99999999999", "42P02", "there is no parameter $99999999999", 8},
		{`select E'\xff'`, "22021", `invalid byte sequence for encoding "UTF8": 0xff`, 0},
		{`select E'\0'`, "22021", `invalid byte sequence for encoding "UTF8": 0x00`, 0},
		{`select E'\ud800'`, "42601", "invalid Unicode surrogate pair", 16},
		{`select U&'d\00zz'`, "22025", "invalid Unicode escape", 8},
		{`select U&'\d800'`, "42601", "invalid Unicode surrogate pair", 8},
		{"select 'é' || 'x", "42601", "unterminated quoted string", 15}, // character, not byte, position
	}
	for _, tt := range tests {
		_, err := Lex(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Lex(%q) err = %v, want *Error", tt.in, err)
			continue
		}
		if e.Code != tt.code || !strings.Contains(e.Message, tt.msg) || e.Position != tt.pos {
			t.Errorf("Lex(%q) = %s %q pos %d; want %s %q pos %d", tt.in, e.Code, e.Message, e.Position, tt.code, tt.msg, tt.pos)
		}
	}
}

func checkRoundTrip(t testing.TB, in string, toks []Token) {
	t.Helper()
	var b strings.Builder
	pos := 0
	for i, tok := range toks {
		if tok.Pos != pos {
			t.Fatalf("token %d (%q) at Pos %d, want %d", i, tok.Text, tok.Pos, pos)
		}
		if tok.Kind != TokEOF && tok.Text == "" {
			t.Fatalf("token %d is empty: %+v", i, tok)
		}
		b.WriteString(tok.Text)
		pos += len(tok.Text)
	}
	if b.String() != in {
		t.Fatalf("round trip mismatch:\n got %q\nwant %q", b.String(), in)
	}
	if len(toks) == 0 || toks[len(toks)-1].Kind != TokEOF {
		t.Fatalf("missing EOF token")
	}
}

func BenchmarkLexPsqlD(b *testing.B) {
	src, _ := os.ReadFile("testdata/psql15/d_table_9.sql")
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		Lex(string(src))
	}
}

func BenchmarkParseUpdate(b *testing.B) {
	src := "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"
	for i := 0; i < b.N; i++ {
		Parse(src)
	}
}

func BenchmarkLexOps(b *testing.B) {
	src := strings.Repeat("+-", 100000)
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		Lex(src)
	}
}
