package pgsql

import (
	"errors"
	"testing"
)

// FuzzTranslate checks that Translate never panics, reports errors only as
// *Error with a SQLSTATE, and is deterministic; and that the describe-time
// hints never panic on the same input.
func FuzzTranslate(f *testing.F) {
	seedCorpus(f)
	for _, c := range pgbenchTPCB {
		f.Add(c.in)
	}
	for _, s := range []string{
		"SELECT x::regtype::text, a ILIKE b, c ~* d, e = ANY(f), ARRAY[1,2][1]",
		"SELECT * FROM unnest(a) WITH ORDINALITY u(v, n), generate_series(1, 3) s LIMIT ALL OFFSET 2",
		"CREATE TABLE t (id serial, a timestamp with time zone DEFAULT now(), b int[]) WITH (fillfactor=90)",
		"CREATE INDEX ON t USING gin (a NULLS FIRST)", "SELECT CAST(x AS double precision)",
		"SELECT trim(leading 'x' from y) FOR UPDATE", "ALTER TABLE t ADD COLUMN c serial",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, h := range OutputHints(in) {
			if h.Name == "" {
				t.Fatalf("OutputHints(%q): empty name", in)
			}
		}
		for n, typ := range ParamHints(in, testLookup) {
			if n <= 0 || typ == "" {
				t.Fatalf("ParamHints(%q): %d → %q", in, n, typ)
			}
		}
		r, err := Translate(in, testOpts)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Code) != 5 || e.Message == "" {
				t.Fatalf("Translate(%q) returned %v, want *Error with SQLSTATE", in, err)
			}
			return
		}
		r2, err2 := Translate(in, testOpts)
		if err2 != nil || r2 != r {
			t.Fatalf("Translate(%q) is not deterministic", in)
		}
		if r.NumParams < 0 {
			t.Fatalf("NumParams %d", r.NumParams)
		}
	})
}
