package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlcluster/sqlcluster/pgsql"
)

// corpusFailures are psql commands whose queries the emulation cannot run.
var corpusFailures = map[string]string{
	"dL":   "reads the tableoid system column (translator could substitute the catalog table's OID)",
	"dd":   "reads the tableoid system column (translator could substitute the catalog table's OID)",
	"sf_1": "\\sf resolves a function name through regproc; there is no pg_proc",
}

// TestPsqlCorpusExecutes runs every query psql 15's backslash commands send
// (pgsql/testdata/psql15, captured from a real server and shared with the translator tests) through the translator
// against the emulated catalog: each must execute without error, i.e. every
// table, column and function it names exists.
func TestPsqlCorpusExecutes(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(userSchemaSQL)
	tc.refresh()
	files, _ := filepath.Glob(filepath.Join("..", "pgsql", "testdata", "psql15", "*.sql"))
	if len(files) < 50 {
		t.Fatalf("only %d corpus files", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		t.Run(name, func(t *testing.T) {
			if reason, ok := corpusFailures[name]; ok {
				t.Skip(reason)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := pgsql.Translate(string(b), pgsql.TranslateOptions{Database: "catdb", User: "postgres"})
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			if _, err := tc.query(tr.SQL); err != nil {
				t.Fatalf("%v\n%s", err, tr.SQL)
			}
		})
	}
}
