package wire

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine/sqlite"
)

// seedTraffic is what real clients send after startup: psql's simple
// queries, pgx's prepare/describe/bind/execute pipelines, COPY data.
func seedTraffic() [][]byte {
	enc := func(msgs ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range msgs {
			b, _ = m.Encode(b)
		}
		return b
	}
	return [][]byte{
		enc(&pgproto3.Query{String: "select 1; select 'a'::text, now()"}),
		enc(&pgproto3.Query{String: "create table t (id int primary key, v text)"},
			&pgproto3.Parse{Name: "stmtcache_1", Query: "insert into t values ($1, $2)", ParameterOIDs: []uint32{23, 25}},
			&pgproto3.Describe{ObjectType: 'S', Name: "stmtcache_1"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "stmtcache_1", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 1}, []byte("x")}},
			&pgproto3.Execute{}, &pgproto3.Sync{}),
		enc(&pgproto3.Parse{Query: "select * from t where id > $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("0")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Close{ObjectType: 'S', Name: "nope"}, &pgproto3.Sync{}),
		enc(&pgproto3.Query{String: "begin; declare c cursor for select 1; fetch 2 from c; commit"}),
		enc(&pgproto3.Query{String: "copy t from stdin"}, &pgproto3.CopyData{Data: []byte("5\tfive\n6\t\\N\n")}, &pgproto3.CopyDone{}),
		enc(&pgproto3.Query{String: "copy t to stdout (format csv, header)"}),
		enc(&pgproto3.Query{String: "set application_name = 'x'; show all; reset all"}),
	}
}

// FuzzReadFrame checks the frame reader and message decoder never panic
// and never allocate past the size limit.
func FuzzReadFrame(f *testing.F) {
	for _, s := range seedTraffic() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for {
			fr, err := readFrame(r, 1<<16)
			if err != nil {
				return
			}
			if len(fr.body) > 1<<16 {
				t.Fatalf("frame of %d bytes passed a 64 KiB limit", len(fr.body))
			}
			decodeFrontend(fr)
		}
	})
}

var (
	fuzzOnce sync.Once
	fuzzAddr string
	panicked atomic.Value
)

// FuzzServer sends arbitrary bytes after a valid startup to a live server:
// it must answer or close, never panic or hang, and stay up for the next
// client.
func FuzzServer(f *testing.F) {
	for _, s := range seedTraffic() {
		f.Add(s)
	}
	fuzzOnce.Do(func() {
		eng, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: f.TempDir()})
		if err != nil {
			f.Fatal(err)
		}
		srv := New(Config{Engine: eng, MaxMessageSize: 1 << 20, OnPanic: func(r any) {
			panicked.Store(fmt.Sprint(r) + "\n" + string(debug.Stack()))
		}})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Fatal(err)
		}
		go srv.Serve(ln)
		fuzzAddr = ln.Addr().String()
	})
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "fuzz", "database": "postgres"}}).Encode(nil)
	terminate, _ := (&pgproto3.Terminate{}).Encode(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		nc, err := net.Dial("tcp", fuzzAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		nc.Write(startup)
		nc.Write(data)
		nc.Write(terminate)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		buf := make([]byte, 64<<10)
		for {
			if _, err := nc.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("server neither answered nor closed within 10s")
				}
				break
			}
		}
		if p := panicked.Load(); p != nil {
			t.Fatalf("server panicked: %v", p)
		}
		// The server is still alive for the next client.
		probe, err := net.DialTimeout("tcp", fuzzAddr, 2*time.Second)
		if err != nil {
			t.Fatalf("server stopped accepting: %v", err)
		}
		probe.Close()
	})
}
