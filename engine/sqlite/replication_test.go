package sqlite

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/walstream"
)

// recorder is a Replication that keeps every captured transaction, as the
// replication log would.
type recorder struct {
	mu   sync.Mutex
	last uint64
	txns []*walstream.Txn
}

func (r *recorder) BeginCommit(ctx context.Context, db string) (uint64, error) {
	r.mu.Lock()
	return r.last + 1, nil
}

func (r *recorder) EndCommit(db string, txid uint64, c *walstream.Captured, err error) func(context.Context) error {
	defer r.mu.Unlock()
	if err != nil || c == nil {
		return func(context.Context) error { return err }
	}
	r.last = txid
	r.txns = append(r.txns, &walstream.Txn{Pos: walstream.Position{Epoch: 1, TxID: txid}, Kind: walstream.KindPages, DB: db,
		PageSize: c.PageSize, CommitSize: c.CommitSize, Pages: c.Pages})
	return func(context.Context) error { return nil }
}

func (r *recorder) Schema(ctx context.Context, kind walstream.Kind, db string, apply func() error) (func(context.Context) error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last++
	r.txns = append(r.txns, &walstream.Txn{Pos: walstream.Position{Epoch: 1, TxID: r.last}, Kind: kind, DB: db})
	return func(context.Context) error { return nil }, apply()
}

func query(t *testing.T, e engine.Engine, db, q string) string {
	t.Helper()
	s, err := e.Open(context.Background(), db, engine.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(context.Background(), q, nil, engine.StmtOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := ""
	row := make([]any, len(rows.Columns()))
	for {
		if err := rows.Next(row); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintln(row...)
	}
}

// Every commit is captured — including the first one after pages were
// applied from elsewhere (a replica that just became primary) — and
// replaying the captured transactions elsewhere reproduces the database.
func TestCapturedCommitsReplay(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	a, err := Open(ctx, Config{DataDir: t.TempDir(), Replication: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	execAll(t, a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'one')")
	// A replica applying a transaction, then committing its own first one.
	if err := a.ApplyTxn(ctx, rec.txns[len(rec.txns)-1]); err != nil {
		t.Fatal(err)
	}
	execAll(t, a, "CREATE TABLE u (x TEXT)", "INSERT INTO u VALUES ('first after apply')")
	if err := a.CreateDatabase(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	for _, txn := range rec.txns {
		if txn.Kind == walstream.KindPages && len(txn.Pages) == 0 {
			t.Fatalf("transaction %s captured no pages", txn.Pos)
		}
	}
	b, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, txn := range rec.txns {
		if err := b.ApplyTxn(ctx, txn); err != nil {
			t.Fatalf("applying %s: %v", txn.Pos, err)
		}
	}
	for _, q := range []string{"SELECT * FROM t ORDER BY id", "SELECT * FROM u", "PRAGMA integrity_check"} {
		if got, want := query(t, b, "postgres", q), query(t, a, "postgres", q); got != want {
			t.Errorf("%s: replayed %q, primary %q", q, got, want)
		}
	}
	ids, err := b.HeaderTxIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids["postgres"] != rec.txns[len(rec.txns)-2].Pos.TxID {
		t.Errorf("header txid %d, want %d", ids["postgres"], rec.txns[len(rec.txns)-2].Pos.TxID)
	}
	if _, ok := ids["other"]; !ok {
		t.Error("CREATE DATABASE was not replayed")
	}
}
