package pgsql

import (
	"errors"
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \n\t", nil},
		{";", nil},
		{" ; ;; ", nil},
		{"-- just a comment", nil},
		{"/* c */ ; -- x\n;", nil},
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1;", []string{"SELECT 1"}},
		{"  SELECT 1 ;  SELECT 2;\n", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1; /* only a comment */ ; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"-- lead\nSELECT 1; SELECT 2 -- trail", []string{"-- lead\nSELECT 1", "SELECT 2 -- trail"}},
		{"SELECT ';'; SELECT 'a'';b'", []string{"SELECT ';'", "SELECT 'a'';b'"}},
		{`SELECT ";"; SELECT E'\';'`, []string{`SELECT ";"`, `SELECT E'\';'`}},
		{"SELECT $$;$$; SELECT $f$ $$; $f$", []string{"SELECT $$;$$", "SELECT $f$ $$; $f$"}},
		{"SELECT 1 /* ; /* ; */ ; */; SELECT 2 -- ;\n", []string{"SELECT 1 /* ; /* ; */ ; */", "SELECT 2 -- ;"}},
		{"SELECT 'a'\n';'; SELECT 3", []string{"SELECT 'a'\n';'", "SELECT 3"}},
		// SQLite trigger bodies stay whole, including CASE ... END inside.
		{"CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = CASE WHEN new.a THEN 1 ELSE 2 END; DELETE FROM z; END; SELECT 1",
			[]string{"CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = CASE WHEN new.a THEN 1 ELSE 2 END; DELETE FROM z; END", "SELECT 1"}},
		{"create temp trigger if not exists t before delete on x for each row begin select raise(abort, 'no'); end;begin;commit",
			[]string{"create temp trigger if not exists t before delete on x for each row begin select raise(abort, 'no'); end", "begin", "commit"}},
		// PostgreSQL-style trigger: no body, ends at the first semicolon.
		{"CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW WHEN (CASE WHEN true THEN true END) EXECUTE FUNCTION f(); BEGIN; SELECT 1; END",
			[]string{"CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW WHEN (CASE WHEN true THEN true END) EXECUTE FUNCTION f()", "BEGIN", "SELECT 1", "END"}},
		// SQL-standard function bodies.
		{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT f()",
			[]string{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END", "SELECT f()"}},
		{"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT 2",
			[]string{"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql", "SELECT 2"}},
		// Transaction BEGIN/END are ordinary statements.
		{"BEGIN; INSERT INTO t VALUES (1); END;", []string{"BEGIN", "INSERT INTO t VALUES (1)", "END"}},
		{"SELECT CASE WHEN a THEN 1 END; SELECT 2", []string{"SELECT CASE WHEN a THEN 1 END", "SELECT 2"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if err != nil {
			t.Errorf("Split(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	for _, in := range []string{"SELECT 1; SELECT 'oops", "SELECT $$", "/* x", `SELECT "a`} {
		_, err := Split(in)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeSyntaxError {
			t.Errorf("Split(%q) err = %v, want 42601", in, err)
		}
	}
}

func TestSplitOffsetsAndShiftError(t *testing.T) {
	q := "SELECT 'é';\n  SELEC 2; SELECT 3"
	stmts, offs, err := SplitOffsets(q)
	if err != nil || len(stmts) != 3 {
		t.Fatalf("SplitOffsets = %q %v %v", stmts, offs, err)
	}
	for i, s := range stmts {
		if q[offs[i]:offs[i]+len(s)] != s {
			t.Errorf("offset %d of %q wrong: %d", i, s, offs[i])
		}
	}
	_, err = Parse(stmts[1])
	var e *Error
	if !errors.As(ShiftError(err, q, offs[1]), &e) || e.Position != 15 {
		t.Fatalf("shifted error = %+v, want position 15 (characters, not bytes)", e)
	}
	if err2 := ShiftError(errors.New("x"), q, 3); err2.Error() != "x" {
		t.Errorf("non-*Error changed: %v", err2)
	}
}
