package pgsql

import "testing"

// INSERT without a column list types its values by position.
func TestParamHintsInsertPositional(t *testing.T) {
	cols := map[string]string{"#1": "integer", "#2": "text", "#3": "timestamptz"}
	lookup := func(table, column string) (string, bool) {
		if table != "t" {
			return "", false
		}
		d, ok := cols[column]
		return d, ok
	}
	got := ParamHints("insert into t values ($1, $2, $3), ($4, 'x', $5)", lookup)
	want := map[int]string{1: "integer", 2: "text", 3: "timestamptz", 4: "integer", 5: "timestamptz"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("$%d: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	got = ParamHints("insert into t select $1, $2", lookup)
	if got[1] != "integer" || got[2] != "text" {
		t.Errorf("INSERT … SELECT: %v", got)
	}
}

// "col + $1" follows the column's type, as PostgreSQL resolves it.
func TestOutputHintsArithmeticWithParam(t *testing.T) {
	h := OutputHints("select v + $1, $2 * v from ap_t")
	if len(h) != 2 || h[0].Column != "v" || h[1].Column != "v" {
		t.Fatalf("got %+v", h)
	}
}
