package snapshot

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"testing"
)

type discardInstaller struct{}

func (discardInstaller) Begin(context.Context, DBInfo) (DBWriter, error) { return discardWriter{}, nil }

type discardWriter struct{}

func (discardWriter) WritePage(context.Context, uint32, []byte) error { return nil }
func (discardWriter) Commit(context.Context) error                    { return nil }
func (discardWriter) Abort() error                                    { return nil }

// pipeRoundTrip streams a snapshot of src through a pipe into inst, the way
// a replica is bootstrapped over a peer connection.
func pipeRoundTrip(b *testing.B, src Source, inst func() Installer) {
	ctx := context.Background()
	var total int64
	for _, d := range src.Databases() {
		total += d.Size()
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		pr, pw := io.Pipe()
		errc := make(chan error, 1)
		go func() {
			err := Write(ctx, pw, Header{}, src, nil)
			pw.CloseWithError(err)
			errc <- err
		}()
		if _, err := Read(ctx, pr, inst(), nil); err != nil {
			b.Fatal(err)
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteRead measures the format alone: framing and checksums.
func BenchmarkWriteRead(b *testing.B) {
	src := newMemSource(1, DBInfo{"a", 4096, 4096}, DBInfo{"b", 65536, 256})
	pipeRoundTrip(b, src, func() Installer { return discardInstaller{} })
}

// BenchmarkSQLiteWriteRead reads pages out of one SQLite file through
// sqlite_dbpage and installs them into another.
func BenchmarkSQLiteWriteRead(b *testing.B) {
	dir := b.TempDir()
	srcDB := openWAL(b, filepath.Join(dir, "src.db"))
	mustExec(b, srcDB, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
	mustExec(b, srcDB, "INSERT INTO t(v) SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 4000) SELECT i FROM n)")
	src, _, release := openSource(b, map[string]*sql.DB{"main": srcDB})
	defer release()
	dst := openWAL(b, filepath.Join(dir, "dst.db"))
	c := conn(b, dst)
	pipeRoundTrip(b, src, func() Installer { return sqlInstaller{map[string]*sql.Conn{"main": c}} })
}
