package catalog

import (
	"context"
	"path/filepath"
	"testing"
)

func BenchmarkAttach(b *testing.B) {
	d := newTestDriver(b)
	dsn := filepath.Join(b.TempDir(), "b.db")
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		raw, err := d.Open(dsn)
		if err != nil {
			b.Fatal(err)
		}
		c, err := Attach(ctx, raw)
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
		raw.Close()
	}
}

func benchConn(b *testing.B) *testConn {
	tc := openTestConn(b, newTestDriver(b), "")
	tc.execScript(userSchemaSQL)
	return tc
}

func BenchmarkRefreshUnchanged(b *testing.B) {
	tc := benchConn(b)
	tc.refresh()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tc.refresh()
	}
}

func BenchmarkRefreshRebuild(b *testing.B) {
	tc := benchConn(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tc.cat.built = false
		tc.refresh()
	}
}

func BenchmarkRelationOID(b *testing.B) {
	tc := benchConn(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tc.cat.RelationOID(ctx, "orders"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLike(b *testing.B) {
	for i := 0; i < b.N; i++ {
		likeMatch("the quick brown fox jumps", "%qu_ck%fox%", '\\', false)
	}
}
