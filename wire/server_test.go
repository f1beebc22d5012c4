package wire_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/wire"
)

// startServer runs a wire server over a fresh engine on a loopback port.
func startServer(t *testing.T, cfg wire.Config) string {
	t.Helper()
	eng, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Engine = eng
	srv := wire.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		eng.Close()
	})
	return ln.Addr().String()
}

func connect(t *testing.T, addr string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), "postgres://postgres@"+addr+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// rawConn is a protocol-level client for exercising message sequences that
// drivers never produce.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)
	rc := &rawConn{t: t, nc: nc, fe: fe}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "postgres", "database": "postgres"}})
	rc.until('Z')
	return rc
}

func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf); err != nil {
			rc.t.Fatal(err)
		}
	}
	if _, err := rc.nc.Write(buf); err != nil {
		rc.t.Fatal(err)
	}
}

// until collects message type letters up to and including one of type
// stop; ErrorResponse codes are appended as "E:CODE".
func (rc *rawConn) until(stop byte) []string {
	rc.t.Helper()
	var got []string
	for {
		m, err := rc.fe.Receive()
		if err != nil {
			rc.t.Fatalf("receive after %v: %v", got, err)
		}
		var s string
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			s = "E:" + m.Code
		case *pgproto3.ReadyForQuery:
			s = "Z:" + string(m.TxStatus)
		case *pgproto3.CommandComplete:
			s = "C:" + string(m.CommandTag)
		default:
			s = strings.TrimPrefix(strings.TrimPrefix(typeName(m), "*pgproto3."), "pgproto3.")
		}
		got = append(got, s)
		if strings.HasPrefix(s, string(stop)+":") || (stop != 'Z' && stop != 'C' && stop != 'E' && len(s) > 0 && s[0] == stop) {
			return got
		}
	}
}

func typeName(m pgproto3.BackendMessage) string {
	switch m.(type) {
	case *pgproto3.ParseComplete:
		return "ParseComplete"
	case *pgproto3.BindComplete:
		return "BindComplete"
	case *pgproto3.CloseComplete:
		return "CloseComplete"
	case *pgproto3.RowDescription:
		return "RowDescription"
	case *pgproto3.DataRow:
		return "DataRow"
	case *pgproto3.PortalSuspended:
		return "PortalSuspended"
	case *pgproto3.NoData:
		return "NoData"
	case *pgproto3.ParameterDescription:
		return "ParameterDescription"
	case *pgproto3.EmptyQueryResponse:
		return "EmptyQueryResponse"
	case *pgproto3.NoticeResponse:
		return "NoticeResponse"
	case *pgproto3.ParameterStatus:
		return "ParameterStatus"
	}
	return "other"
}

func eq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// After an error in a pipeline the server skips to Sync; Close of unknown
// names succeeds; the unnamed statement can be replaced.
func TestPipelineSkipsToSync(t *testing.T) {
	rc := dialRaw(t, startServer(t, wire.Config{}))
	rc.send(&pgproto3.Query{String: "CREATE TABLE t (id int primary key, v text)"})
	eq(t, rc.until('Z'), "C:CREATE TABLE", "Z:I")
	rc.send(
		&pgproto3.Parse{Query: "INSERT INTO t VALUES ($1, $2)"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("1"), []byte("a")}},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT * FROM missing"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "INSERT INTO t VALUES (2, 'b')"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	eq(t, rc.until('Z'), "ParseComplete", "BindComplete", "C:INSERT 0 1", "E:42P01", "Z:I")
	// The pipeline was one implicit transaction: the first insert is gone.
	rc.send(&pgproto3.Query{String: "SELECT count(*) FROM t"})
	got := rc.until('Z')
	eq(t, got, "RowDescription", "DataRow", "C:SELECT 1", "Z:I")
	rc.send(&pgproto3.Close{ObjectType: 'S', Name: "nope"}, &pgproto3.Close{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	eq(t, rc.until('Z'), "CloseComplete", "CloseComplete", "Z:I")
}

// Execute with a row limit suspends the portal; inside a transaction the
// portal survives Sync.
func TestPortalSuspension(t *testing.T) {
	rc := dialRaw(t, startServer(t, wire.Config{}))
	rc.send(&pgproto3.Query{String: "CREATE TABLE t (id int); INSERT INTO t VALUES (1),(2),(3),(4),(5); BEGIN"})
	eq(t, rc.until('Z'), "C:CREATE TABLE", "C:INSERT 0 5", "C:BEGIN", "Z:T")
	rc.send(&pgproto3.Parse{Name: "s", Query: "SELECT id FROM t ORDER BY id"},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	eq(t, rc.until('Z'), "ParseComplete", "BindComplete", "DataRow", "DataRow", "PortalSuspended", "Z:T")
	rc.send(&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	eq(t, rc.until('Z'), "DataRow", "DataRow", "PortalSuspended", "Z:T")
	rc.send(&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	eq(t, rc.until('Z'), "DataRow", "C:SELECT 1", "Z:T")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	eq(t, rc.until('Z'), "C:COMMIT", "Z:I")
}

// PostgreSQL's failed-transaction rules: E status, 25P02 until ROLLBACK,
// COMMIT of a failed transaction reports ROLLBACK.
func TestFailedTransaction(t *testing.T) {
	rc := dialRaw(t, startServer(t, wire.Config{}))
	rc.send(&pgproto3.Query{String: "BEGIN"})
	eq(t, rc.until('Z'), "C:BEGIN", "Z:T")
	rc.send(&pgproto3.Query{String: "SELECT * FROM missing"})
	eq(t, rc.until('Z'), "E:42P01", "Z:E")
	rc.send(&pgproto3.Query{String: "SELECT 1"})
	eq(t, rc.until('Z'), "E:25P02", "Z:E")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	eq(t, rc.until('Z'), "C:ROLLBACK", "Z:I")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	eq(t, rc.until('Z'), "NoticeResponse", "C:COMMIT", "Z:I")
	rc.send(&pgproto3.Query{String: ""})
	eq(t, rc.until('Z'), "EmptyQueryResponse", "Z:I")
	rc.send(&pgproto3.Query{String: "-- ping"})
	eq(t, rc.until('Z'), "EmptyQueryResponse", "Z:I")
}

// A message over the size limit gets an error and the connection closes;
// the server keeps serving others.
func TestOversizedMessage(t *testing.T) {
	addr := startServer(t, wire.Config{MaxMessageSize: 1024})
	rc := dialRaw(t, addr)
	rc.send(&pgproto3.Query{String: "SELECT '" + strings.Repeat("x", 4096) + "'"})
	m, err := rc.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	er, ok := m.(*pgproto3.ErrorResponse)
	if !ok || er.Code != "54000" || er.Severity != "FATAL" {
		t.Fatalf("got %#v", m)
	}
	if _, err := rc.fe.Receive(); err == nil {
		t.Fatal("connection stayed open")
	}
	conn := connect(t, addr)
	var n int
	if err := conn.QueryRow(context.Background(), "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}

// Garbage instead of a startup packet never crashes the server.
func TestMalformedStartup(t *testing.T) {
	addr := startServer(t, wire.Config{})
	for _, junk := range [][]byte{
		{0, 0, 0, 3},
		{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
		{0, 0, 0, 8, 0, 1, 0, 0},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write(junk)
		buf := make([]byte, 512)
		nc.Read(buf)
		nc.Close()
	}
	conn := connect(t, addr)
	if err := conn.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// SCRAM-SHA-256 accepts the right password and rejects a wrong one with
// 28P01.
func TestSCRAM(t *testing.T) {
	addr := startServer(t, wire.Config{Password: "s3cret"})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://alice:s3cret@"+addr+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	_, err = pgx.Connect(ctx, "postgres://alice:wrong@"+addr+"/postgres?sslmode=disable")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Fatalf("wrong password: %v", err)
	}
	for _, method := range []string{"md5", "password"} {
		addr := startServer(t, wire.Config{Password: "pw", AuthMethod: method})
		conn, err := pgx.Connect(ctx, "postgres://bob:pw@"+addr+"/postgres?sslmode=disable")
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		conn.Close(ctx)
	}
}

// Connecting to a database that does not exist is FATAL 3D000.
func TestMissingDatabase(t *testing.T) {
	addr := startServer(t, wire.Config{})
	_, err := pgx.Connect(context.Background(), "postgres://postgres@"+addr+"/nope?sslmode=disable")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" || pe.Severity != "FATAL" {
		t.Fatalf("got %v", err)
	}
}

// failingOpen is an engine whose sessions cannot be opened, as raft mode's
// while the leader is gone: the error wraps the network error of the
// engine's own connection to the leader.
type failingOpen struct {
	*sqlite.Engine
	err error
}

func (f failingOpen) Open(context.Context, string, engine.SessionInfo) (engine.Session, error) {
	return nil, f.err
}

// An engine error at connection start is FATAL with its SQLSTATE even when
// it wraps a network error or a timeout: only the client's own socket
// failing means there is nobody to tell.
func TestOpenErrorWrappingNetworkError(t *testing.T) {
	eng, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, want := range []*engine.Error{
		{Code: "57P03", Message: "no raft leader available", Err: dial},
		{Code: "40001", Message: "the raft leader changed", Err: fmt.Errorf("connecting to the leader: %w", dial)},
		{Code: "57014", Message: "canceling statement due to statement timeout", Err: context.DeadlineExceeded},
	} {
		srv := wire.New(wire.Config{Engine: failingOpen{eng, want}})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		_, err = pgx.Connect(context.Background(), "postgres://postgres@"+ln.Addr().String()+"/postgres?sslmode=disable")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != want.Code || pe.Severity != "FATAL" || pe.Message != want.Message {
			t.Errorf("Open failing with %s (%v): client got %v, want FATAL %s", want.Code, want.Err, err, want.Code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(ctx)
		cancel()
	}
}
