package sqlite

import (
	"bytes"
	"context"
	"testing"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/snapshot"
)

func execAll(t *testing.T, e *Engine, qs ...string) {
	t.Helper()
	s, err := e.Open(context.Background(), "postgres", engine.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range qs {
		r, err := s.Query(context.Background(), q, nil, engine.StmtOptions{})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		r.Close()
	}
}

// Installing a snapshot over a database with other content leaves the
// writer and the readers working on the new file.
func TestInstallThenWrite(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	execAll(t, a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL SELECT value+1 FROM g WHERE value < 200) INSERT INTO t SELECT value, printf('%.300c', 'x') FROM g")
	snap, err := a.OpenSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snapshot.Write(ctx, &buf, snapshot.Header{}, snap, nil); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	b, _ := Open(ctx, Config{DataDir: t.TempDir()})
	defer b.Close()
	execAll(t, b, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL SELECT value+1 FROM g WHERE value < 200) INSERT INTO t SELECT value, printf('%.300c', 'x') FROM g", "DELETE FROM t WHERE id < 100", "CREATE TABLE later (x int)")
	warm, _ := b.Open(ctx, "postgres", engine.SessionInfo{})
	for i := 0; i < 8; i++ {
		rows, err := warm.Query(ctx, "SELECT count(*) FROM later", nil, engine.StmtOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	warm.Close()
	if _, err := snapshot.Read(ctx, &buf, b.Installer(), nil); err != nil {
		t.Fatal(err)
	}
	// Readers were warmed on the old file's schema; they must see the new one.
	rs, _ := b.Open(ctx, "postgres", engine.SessionInfo{})
	defer rs.Close()
	for i := 0; i < 8; i++ {
		rows, err := rs.Query(ctx, "SELECT count(*) FROM t", nil, engine.StmtOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		row := make([]any, 1)
		if err := rows.Next(row); err != nil || row[0].(int64) != 200 {
			t.Fatalf("reader after install: %v %v", row[0], err)
		}
		rows.Close()
		if _, err := rs.Query(ctx, "SELECT * FROM later", nil, engine.StmtOptions{ReadOnly: true}); err == nil {
			t.Fatal("a table the snapshot lacks is still visible")
		}
	}
	execAll(t, b, "INSERT INTO t VALUES (1000, 'after')")
}
