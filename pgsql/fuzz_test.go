package pgsql

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedCorpus adds the lexer test inputs and every captured real query under
// testdata to f, so fuzzing starts from real client traffic.
func seedCorpus(f *testing.F) {
	seeds := []string{
		"", ";", "SELECT 1", "select 'a'\n'b'", "E'\\x41'", "$$a;b$$", "$tag$ $x$ $tag$",
		"/* a /* b */ c */", "-- x", "1+-2", "a::int[]", `U&'\0061' UESCAPE '!'`, "1..2",
		"CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END; SELECT 2",
		"COPY t FROM STDIN WITH (FORMAT csv)", "BEGIN ISOLATION LEVEL SERIALIZABLE",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	for _, dir := range []string{"testdata/psql15", "testdata/queries"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
}

func FuzzLex(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, in string) {
		toks, err := Lex(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("Lex(%q) returned non-*Error %v", in, err)
			}
			return
		}
		checkRoundTrip(t, in, toks)
		for _, tok := range toks {
			if tok.Kind == TokParam && tok.Num < 1 {
				t.Fatalf("param %q has Num %d", tok.Text, tok.Num)
			}
		}
	})
}

func FuzzSplitParse(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, in string) {
		stmts, err := Split(in)
		_, lexErr := Lex(in)
		if (err == nil) != (lexErr == nil) {
			t.Fatalf("Split err %v but Lex err %v", err, lexErr)
		}
		if err != nil {
			return
		}
		for _, st := range stmts {
			if _, err := Lex(st); err != nil {
				t.Fatalf("piece %q of %q does not lex: %v", st, in, err)
			}
			// A piece is a fixed point of Split.
			again, err := Split(st)
			if err != nil || len(again) != 1 || again[0] != st {
				t.Fatalf("Split(%q) = %q, %v; want the piece itself", st, again, err)
			}
			s, err := Parse(st)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code == "" {
					t.Fatalf("Parse(%q) returned non-*Error %v", st, err)
				}
				if e.Message == "cannot insert multiple commands into a prepared statement" {
					t.Fatalf("Parse(%q) saw several statements in one piece", st)
				}
				continue
			}
			if s.SQL != st || s.Kind == KindEmpty || s.Tag == "" {
				t.Fatalf("Parse(%q) = %+v", st, s)
			}
		}
	})
}

// TestNoQuadraticBlowup guards against inputs that make the lexer, Split or
// Parse superlinear (nested EXPLAIN/PREPARE/COPY once recursed per level,
// long operator runs rescanned per character). It compares the best of
// several timings at n and 16n: linear code grows ~16x (up to ~50x with
// cache and allocation effects), quadratic code ~256x. A ratio keeps the
// test meaningful on a loaded machine.
func TestNoQuadraticBlowup(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	cases := map[string]func(n int) string{
		"ops":      func(n int) string { return strings.Repeat("+-", n/2) },
		"ops2":     func(n int) string { return strings.Repeat("+", n) },
		"parens":   func(n int) string { return "SELECT " + strings.Repeat("(", n/2) + strings.Repeat(")", n/2) },
		"lparens":  func(n int) string { return strings.Repeat("(", n) },
		"comments": func(n int) string { return strings.Repeat("/*", n/2) },
		"ncomment": func(n int) string { return strings.Repeat("/*", n/4) + strings.Repeat("*/", n/4) },
		"semis":    func(n int) string { return strings.Repeat(";", n) },
		"strs":     func(n int) string { return strings.Repeat("'a'\n", n/4) },
		"dollar":   func(n int) string { return strings.Repeat("$a$", n/3) },
		"explain":  func(n int) string { return strings.Repeat("EXPLAIN ", n/8) + "SELECT 1" },
		"copy":     func(n int) string { return strings.Repeat("COPY (", n/6) + "SELECT 1" + strings.Repeat(")", n/6) },
		"with": func(n int) string {
			return "WITH " + strings.Repeat("a AS (SELECT 1), ", n/17) + "x AS (SELECT 1) SELECT 1"
		},
		"trigger": func(n int) string { return "CREATE TRIGGER t BEGIN " + strings.Repeat("CASE ", n/5) },
		"uescape": func(n int) string { return strings.Repeat("U&'a' ", n/6) },
		"prepare": func(n int) string { return strings.Repeat("PREPARE a AS ", n/13) + "SELECT 1" },
		"declare": func(n int) string { return strings.Repeat("DECLARE c CURSOR FOR ", n/21) + "SELECT 1" },
		"set":     func(n int) string { return "SET a = " + strings.Repeat("1, ", n/3) + "1" },
		"idents":  func(n int) string { return strings.Repeat("a.", n/2) },
	}
	run := func(in string) time.Duration {
		best := time.Duration(1<<63 - 1)
		for i := 0; i < 5; i++ {
			start := time.Now()
			Lex(in)
			stmts, _ := Split(in)
			for _, s := range stmts {
				Parse(s)
			}
			Parse(in)
			d := time.Since(start)
			if d < best {
				best = d
			}
			if d > time.Second {
				break // hopeless: do not wait for four more
			}
		}
		return best
	}
	const n = 500
	for name, gen := range cases {
		// 16x the input is 16x the time when linear and 256x when
		// quadratic; the bound sits between, leaving room for a busy CI
		// machine. Retry: one slow sample must not fail the test,
		// while a quadratic path fails every attempt.
		var ratio float64
		for attempt := 0; attempt < 3; attempt++ {
			small, big := run(gen(n)), run(gen(16*n))
			if small < 50*time.Microsecond {
				small = 50 * time.Microsecond // below timer noise
			}
			if ratio = float64(big) / float64(small); ratio <= 180 || big > time.Second {
				break
			}
		}
		if ratio > 180 {
			t.Errorf("%s: time grows x%.0f for 16x the input: superlinear", name, ratio)
		}
	}
}
