package pgsql

import "testing"

func TestParsePragma(t *testing.T) {
	for q, want := range map[string]string{
		"pragma integrity_check":       "",
		"PRAGMA main.table_info(t)":    "",
		"pragma journal_mode":          "",
		"pragma journal_mode = delete": "42501",
		"pragma synchronous(off)":      "0A000",
		"pragma writable_schema = on":  "42501",
		"pragma wal_checkpoint(FULL)":  "0A000",
	} {
		st, err := Parse(q)
		var code string
		if e, ok := err.(*Error); ok {
			code = e.Code
		} else if err != nil {
			code = err.Error()
		}
		if code != want {
			t.Errorf("%s: error code %q, want %q", q, code, want)
			continue
		}
		if err == nil && (st.Kind != KindPragma || !st.ReadOnly) {
			t.Errorf("%s: %+v", q, st)
		}
	}
}
