package integration

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers database/sql driver "pgx"
	"github.com/lib/pq"
)

// longQuery runs for many seconds on PostgreSQL and on SQLite alike; tests
// cancel it and expect a prompt return.
const longQuery = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000000) SELECT count(*) FROM c`

// promptly bounds how long a cancelled query may take to return.
const promptly = 5 * time.Second

// matrix is every server configuration the clients run against.
var matrix = []serverConfig{
	{},
	{TLS: true},
	{Password: testPassword},
	{Password: testPassword, TLS: true},
}

// clientTests run in parallel against one server per matrix cell, each in
// its own database.
var clientTests = []struct {
	name string
	run  func(t *testing.T, s *server)
}{
	{"pgx", testPgx},
	{"pgx_stdlib", testPgxStdlib},
	{"lib_pq", testLibPQ},
	{"psql", testPsql},
	{"psycopg2", testPsycopg2},
	{"psycopg3", testPsycopg3},
	{"pgjdbc", testPgJDBC},
	{"pgbench", testPgbench},
}

// TestClients runs every real client against every server configuration.
func TestClients(t *testing.T) {
	for _, cfg := range matrix {
		t.Run(cfg.String(), func(t *testing.T) {
			srv := startServer(t, cfg)
			for _, ct := range clientTests {
				t.Run(ct.name, func(t *testing.T) {
					t.Parallel()
					ct.run(t, srv)
				})
			}
		})
	}
}

// testCtx is a context that ends with the test (or after two minutes).
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantPgErr fails unless err carries a PostgreSQL error with SQLSTATE code.
func wantPgErr(t testing.TB, err error, code string, what string) *pgconn.PgError {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("%s: want PgError %s, got %T: %v", what, code, err, err)
	}
	if pgErr.Code != code {
		t.Fatalf("%s: want SQLSTATE %s, got %s (%s)", what, code, pgErr.Code, pgErr.Message)
	}
	if pgErr.Severity != "ERROR" {
		t.Errorf("%s: severity %q, want ERROR", what, pgErr.Severity)
	}
	return pgErr
}

// pgxConnect opens a pgx connection to db and checks that the transport
// matches the server configuration.
func pgxConnect(t testing.TB, s *server, db string, adjust func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(s.URL(db))
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	if adjust != nil {
		adjust(cfg)
	}
	ctx := testCtx(t)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, isTLS := conn.PgConn().Conn().(*tls.Conn); isTLS != s.cfg.TLS {
		t.Fatalf("connection TLS = %v, want %v", isTLS, s.cfg.TLS)
	}
	return conn
}

func mustExec(t testing.TB, conn *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	t.Helper()
	tag, err := conn.Exec(testCtx(t), sql, args...)
	if err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
	return tag
}

func wantTxStatus(t testing.TB, conn *pgx.Conn, want byte) {
	t.Helper()
	if got := conn.PgConn().TxStatus(); got != want {
		t.Fatalf("ReadyForQuery status %q, want %q", got, want)
	}
}

// ---------------------------------------------------------------- pgx ----

func testPgx(t *testing.T, s *server) {
	db := s.CreateDatabase(t, "it_pgx")
	conn := pgxConnect(t, s, db, nil)
	sub := []struct {
		name string
		run  func(t *testing.T, s *server, db string, conn *pgx.Conn)
	}{
		{"session", pgxSession},
		{"auth", pgxAuth},
		{"handshake", rawHandshake},
		{"count_param", pgxCountParam},
		{"scan_error_then_retry", pgxScanErrorRetry},
		{"types", pgxTypes},
		{"batch", pgxBatch},
		{"copy_from", pgxCopyFrom},
		{"tx_error", pgxTxError},
		{"savepoint", pgxSavepoint},
		{"cancel", pgxCancel},
		{"errors", pgxErrors},
		{"statements", pgxStatements},
	}
	for _, st := range sub {
		t.Run(st.name, func(t *testing.T) { st.run(t, s, db, conn) })
	}
}

// pgxSession checks what the server announces after authentication: the
// ParameterStatus values clients depend on and BackendKeyData.
func pgxSession(t *testing.T, s *server, db string, conn *pgx.Conn) {
	pc := conn.PgConn()
	ver := pc.ParameterStatus("server_version")
	major, err := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
	if err != nil || major < 14 {
		t.Errorf("server_version %q: want a PostgreSQL-compatible version >= 14", ver)
	}
	want := map[string]string{
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
	}
	for k, v := range want {
		if got := pc.ParameterStatus(k); got != v {
			t.Errorf("ParameterStatus %s = %q, want %q", k, got, v)
		}
	}
	if ds := pc.ParameterStatus("DateStyle"); !strings.HasPrefix(ds, "ISO") {
		t.Errorf("DateStyle = %q, want ISO, ...", ds)
	}
	if pc.PID() == 0 || pc.SecretKey() == nil {
		t.Errorf("no BackendKeyData: pid %d", pc.PID())
	}
	wantTxStatus(t, conn, 'I')
	var cur string
	if err := conn.QueryRow(testCtx(t), "select current_database()").Scan(&cur); err != nil || cur != db {
		t.Errorf("current_database() = %q, %v; want %q", cur, err, db)
	}
}

// pgxAuth checks that password authentication is enforced when configured.
func pgxAuth(t *testing.T, s *server, db string, conn *pgx.Conn) {
	if s.cfg.Password == "" {
		t.Skip("trust authentication: nothing to reject")
	}
	for _, pw := range []string{"wrong-password", ""} {
		cfg, err := pgx.ParseConfig(s.URL(db))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Password = pw
		c, err := pgx.ConnectConfig(testCtx(t), cfg)
		if err == nil {
			c.Close(context.Background())
			t.Fatalf("connect with password %q succeeded", pw)
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			t.Errorf("connect with password %q: want SQLSTATE 28P01, got %v", pw, err)
		}
	}
}

// rawHandshake speaks the start of the protocol by hand: SSLRequest is
// answered 'S' with TLS configured and 'N' without (and the same socket
// then carries the plain StartupMessage); trust answers AuthenticationOk,
// a password server offers SCRAM-SHA-256 (and -PLUS only over TLS, where
// channel binding is possible); BackendKeyData precedes ReadyForQuery 'I'.
func rawHandshake(t *testing.T, s *server, db string, _ *pgx.Conn) {
	nc, err := net.DialTimeout("tcp", net.JoinHostPort(s.host, strconv.Itoa(s.port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	var conn net.Conn = nc
	sslReq, err := (&pgproto3.SSLRequest{}).Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(sslReq); err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, 1)
	if _, err := io.ReadFull(nc, answer); err != nil {
		t.Fatalf("read SSLRequest answer: %v", err)
	}
	switch {
	case s.cfg.TLS && answer[0] == 'S':
		tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		conn = tc
	case !s.cfg.TLS && answer[0] == 'N':
	default:
		t.Fatalf("SSLRequest answered %q with TLS=%v", answer, s.cfg.TLS)
	}
	fe := pgproto3.NewFrontend(conn, conn)
	fe.Send(&pgproto3.StartupMessage{
		ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters:      map[string]string{"user": testUser, "database": db},
	})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	msg, err := fe.Receive()
	if err != nil {
		t.Fatalf("first message after StartupMessage: %v", err)
	}
	if s.cfg.Password != "" {
		sasl, ok := msg.(*pgproto3.AuthenticationSASL)
		if !ok {
			t.Fatalf("password server answered StartupMessage with %T, want AuthenticationSASL", msg)
		}
		if !slices.Contains(sasl.AuthMechanisms, "SCRAM-SHA-256") {
			t.Errorf("SASL mechanisms %v lack SCRAM-SHA-256", sasl.AuthMechanisms)
		}
		if !s.cfg.TLS && slices.Contains(sasl.AuthMechanisms, "SCRAM-SHA-256-PLUS") {
			t.Errorf("SCRAM-SHA-256-PLUS offered without TLS: %v", sasl.AuthMechanisms)
		}
		return
	}
	if _, ok := msg.(*pgproto3.AuthenticationOk); !ok {
		t.Fatalf("trust server answered StartupMessage with %T, want AuthenticationOk", msg)
	}
	params := map[string]string{}
	keyData := false
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatalf("reading startup messages: %v", err)
		}
		switch m := msg.(type) {
		case *pgproto3.ParameterStatus:
			params[m.Name] = m.Value
		case *pgproto3.BackendKeyData:
			keyData = true
		case *pgproto3.ReadyForQuery:
			if m.TxStatus != 'I' {
				t.Errorf("ReadyForQuery status %q, want I", m.TxStatus)
			}
			if !keyData {
				t.Error("no BackendKeyData before ReadyForQuery")
			}
			for _, name := range []string{"server_version", "server_encoding", "client_encoding", "DateStyle",
				"integer_datetimes", "standard_conforming_strings", "TimeZone"} {
				if params[name] == "" {
					t.Errorf("no ParameterStatus %s before ReadyForQuery (got %v)", name, params)
				}
			}
			fe.Send(&pgproto3.Terminate{})
			fe.Flush()
			return
		case *pgproto3.ErrorResponse:
			t.Fatalf("startup error: %s %s", m.Code, m.Message)
		}
	}
}

// pgxCountParam is toy test 1: count(*) must be described as int8 so that
// it scans into a Go int, and $1 must be typed from the comparison.
func pgxCountParam(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table cnt_t (id integer primary key, v text)")
	if tag := mustExec(t, conn, "insert into cnt_t values (1, 'a'), (2, 'b'), (3, 'c')"); tag.String() != "INSERT 0 3" {
		t.Fatalf("tag %q, want INSERT 0 3", tag)
	}
	var n int
	if err := conn.QueryRow(ctx, "select count(*) from cnt_t where id > $1", 0).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 3 {
		t.Fatalf("count = %d, want 3", n)
	}
	if err := conn.QueryRow(ctx, "select count(*) from cnt_t where id > $1", 2).Scan(&n); err != nil || n != 1 {
		t.Fatalf("count where id > 2 = %d, %v; want 1", n, err)
	}
	rows, err := conn.Query(ctx, "select count(*) from cnt_t where id > $1", 0)
	if err != nil {
		t.Fatal(err)
	}
	fds := rows.FieldDescriptions()
	rows.Close()
	if len(fds) != 1 || fds[0].Name != "count" || fds[0].DataTypeOID != pgtype.Int8OID {
		t.Fatalf("count(*) described as %+v, want one column \"count\" of type int8", fds)
	}
}

// pgxScanErrorRetry is toy test 2: after a client-side scan error pgx
// closes the statement (Close S + Sync) and the same SQL must work again.
func pgxScanErrorRetry(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table scan_t (id integer primary key, name text)")
	mustExec(t, conn, "insert into scan_t values (1, 'alpha')")
	const q = "select name from scan_t where id = $1"
	var n int
	err := conn.QueryRow(ctx, q, 1).Scan(&n)
	if err == nil {
		t.Fatal("scanning 'alpha' into int succeeded")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		t.Fatalf("scan error came from the server: %v", err)
	}
	for i := 0; i < 3; i++ {
		var name string
		if err := conn.QueryRow(ctx, q, 1).Scan(&name); err != nil || name != "alpha" {
			t.Fatalf("retry %d: %q, %v; want alpha", i, name, err)
		}
	}
	wantTxStatus(t, conn, 'I')
}

// typeCols lists the round-trip columns: declared type and the OID the
// server must describe it with.
var typeCols = []struct {
	col, decl string
	oid       uint32
}{
	{"c_int2", "smallint", pgtype.Int2OID},
	{"c_int4", "integer", pgtype.Int4OID},
	{"c_int8", "bigint", pgtype.Int8OID},
	{"c_float4", "real", pgtype.Float4OID},
	{"c_float8", "double precision", pgtype.Float8OID},
	{"c_numeric", "numeric(12,3)", pgtype.NumericOID},
	{"c_text", "text", pgtype.TextOID},
	{"c_varchar", "varchar(20)", pgtype.VarcharOID},
	{"c_bool", "boolean", pgtype.BoolOID},
	{"c_bytea", "bytea", pgtype.ByteaOID},
	{"c_date", "date", pgtype.DateOID},
	{"c_ts", "timestamp", pgtype.TimestampOID},
	{"c_tstz", "timestamptz", pgtype.TimestamptzOID},
	{"c_uuid", "uuid", pgtype.UUIDOID},
	{"c_json", "json", pgtype.JSONOID},
	{"c_jsonb", "jsonb", pgtype.JSONBOID},
}

// queryModes are the ways pgx moves values: binary parameters and results
// (cached prepared statement), text parameters with OID 0 and text results
// (unnamed statement), and client-side interpolation over the simple
// protocol.
var queryModes = []struct {
	name string
	mode pgx.QueryExecMode
}{
	{"binary", pgx.QueryExecModeCacheStatement},
	{"text", pgx.QueryExecModeExec},
	{"simple", pgx.QueryExecModeSimpleProtocol},
}

// pgxTypes inserts one row per query mode and reads every row back in every
// mode, checking the described type OIDs and each value exactly.
func pgxTypes(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	var cols, decls, params []string
	for i, c := range typeCols {
		cols = append(cols, c.col)
		decls = append(decls, c.col+" "+c.decl)
		params = append(params, "$"+strconv.Itoa(i+2))
	}
	mustExec(t, conn, "create table types_t (id integer primary key, "+strings.Join(decls, ", ")+")")
	insert := "insert into types_t (id, " + strings.Join(cols, ", ") + ") values ($1, " + strings.Join(params, ", ") + ")"
	sel := "select " + strings.Join(cols, ", ") + " from types_t where id = $1"

	tstz := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.FixedZone("", 2*3600))
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	date := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	const (
		text    = "héllo, wörld ✓ 'quoted' \\back\\slash"
		varchar = "varchar-value"
		uuid    = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
		jsonDoc = `{"a": [1, 2.5, {"b": null}], "s": "x"}`
	)
	bytea := []byte{0x00, 0x01, 0x7f, 0x80, 0xff, '\\', '\''}
	numeric := pgtype.Numeric{Int: big.NewInt(12345678), Exp: -3, Valid: true}
	args := func(id int) []any {
		return []any{id, int16(-12345), int32(2147483647), int64(-9223372036854775808), float32(1.5),
			0.1 + 0.2, numeric, text, varchar, true, bytea,
			pgtype.Date{Time: date, Valid: true}, pgtype.Timestamp{Time: ts, Valid: true}, tstz,
			uuid, jsonDoc, jsonDoc}
	}
	var wantJSON map[string]any
	if err := json.Unmarshal([]byte(jsonDoc), &wantJSON); err != nil {
		t.Fatal(err)
	}

	for i, m := range queryModes {
		tag, err := conn.Exec(ctx, insert, append([]any{m.mode}, args(i+1)...)...)
		if err != nil {
			t.Fatalf("insert in %s mode: %v", m.name, err)
		}
		if tag.String() != "INSERT 0 1" {
			t.Fatalf("insert in %s mode: tag %q", m.name, tag)
		}
	}
	nullArgs := []any{100}
	for range typeCols {
		nullArgs = append(nullArgs, nil)
	}
	mustExec(t, conn, insert, nullArgs...)

	for i, wm := range queryModes {
		for _, rm := range queryModes {
			t.Run(wm.name+"_to_"+rm.name, func(t *testing.T) {
				rows, err := conn.Query(ctx, sel, rm.mode, i+1)
				if err != nil {
					t.Fatalf("select: %v", err)
				}
				defer rows.Close()
				fds := rows.FieldDescriptions()
				if len(fds) != len(typeCols) {
					t.Fatalf("%d columns described, want %d", len(fds), len(typeCols))
				}
				for j, c := range typeCols {
					if fds[j].Name != c.col || fds[j].DataTypeOID != c.oid {
						t.Errorf("column %d described as %s oid %d, want %s oid %d", j, fds[j].Name, fds[j].DataTypeOID, c.col, c.oid)
					}
				}
				if !rows.Next() {
					t.Fatalf("no row: %v", rows.Err())
				}
				var (
					i2                int16
					i4                int32
					i8                int64
					f4                float32
					f8                float64
					num               pgtype.Numeric
					txt, vc, uid      string
					b                 bool
					by                []byte
					dt, tsv, tstzv    time.Time
					jsonVal, jsonbVal map[string]any
				)
				if err := rows.Scan(&i2, &i4, &i8, &f4, &f8, &num, &txt, &vc, &b, &by, &dt, &tsv, &tstzv, &uid, &jsonVal, &jsonbVal); err != nil {
					t.Fatalf("scan: %v", err)
				}
				if rows.Next() {
					t.Fatal("more than one row")
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if tag := rows.CommandTag().String(); tag != "SELECT 1" {
					t.Errorf("tag %q, want SELECT 1", tag)
				}
				check := func(name string, got, want any) {
					t.Helper()
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s = %#v, want %#v", name, got, want)
					}
				}
				check("int2", i2, int16(-12345))
				check("int4", i4, int32(2147483647))
				check("int8", i8, int64(-9223372036854775808))
				check("float4", f4, float32(1.5))
				check("float8", f8, 0.1+0.2)
				if !numericEquals(num, "12345.678") {
					t.Errorf("numeric = %v e%d, want 12345.678", num.Int, num.Exp)
				}
				check("text", txt, text)
				check("varchar", vc, varchar)
				check("bool", b, true)
				check("bytea", by, bytea)
				if !dt.Equal(date) {
					t.Errorf("date = %v, want %v", dt, date)
				}
				if !tsv.Equal(ts) {
					t.Errorf("timestamp = %v, want %v", tsv, ts)
				}
				if !tstzv.Equal(tstz) {
					t.Errorf("timestamptz = %v, want %v", tstzv, tstz)
				}
				check("uuid", uid, uuid)
				check("json", jsonVal, wantJSON)
				check("jsonb", jsonbVal, wantJSON)
			})
		}
	}
	for _, rm := range queryModes {
		dest := make([]any, len(typeCols))
		ptrs := make([]any, len(typeCols))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		if err := conn.QueryRow(ctx, sel, rm.mode, 100).Scan(ptrs...); err != nil {
			t.Fatalf("select NULL row in %s mode: %v", rm.name, err)
		}
		for i, v := range dest {
			if v != nil {
				t.Errorf("%s mode: %s = %#v, want NULL", rm.name, typeCols[i].col, v)
			}
		}
	}
}

// numericEquals compares a numeric exactly with a decimal string.
func numericEquals(n pgtype.Numeric, want string) bool {
	if !n.Valid || n.NaN || n.Int == nil {
		return false
	}
	got := new(big.Rat).SetInt(n.Int)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n.Exp))), nil))
	if n.Exp < 0 {
		got.Quo(got, scale)
	} else {
		got.Mul(got, scale)
	}
	w, ok := new(big.Rat).SetString(want)
	return ok && got.Cmp(w) == 0
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// pgxBatch pipelines several statements per Sync and checks every result,
// then checks that an error inside a pipelined batch rolls back the
// statements before it (one Sync = one implicit transaction).
func pgxBatch(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table batch_t (id integer primary key, v text)")
	b := &pgx.Batch{}
	b.Queue("insert into batch_t values ($1, $2)", 1, "one")
	b.Queue("insert into batch_t values ($1, $2)", 2, "two")
	b.Queue("update batch_t set v = v || $1 where id = $2", "!", 1)
	b.Queue("select id, v from batch_t order by id")
	b.Queue("select count(*) from batch_t where id > $1", 0)
	br := conn.SendBatch(ctx, b)
	for _, want := range []string{"INSERT 0 1", "INSERT 0 1", "UPDATE 1"} {
		tag, err := br.Exec()
		if err != nil || tag.String() != want {
			t.Fatalf("batch result %q, %v; want %s", tag, err, want)
		}
	}
	rows, err := br.Query()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID int32
		V  string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	if want := []row{{1, "one!"}, {2, "two"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batch select = %v, want %v", got, want)
	}
	var n int64
	if err := br.QueryRow().Scan(&n); err != nil || n != 2 {
		t.Fatalf("batch count = %d, %v; want 2", n, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}

	b = &pgx.Batch{}
	b.Queue("insert into batch_t values ($1, $2)", 3, "three")
	b.Queue("insert into batch_t values ($1, $2)", 1, "duplicate")
	b.Queue("select 1")
	br = conn.SendBatch(ctx, b)
	if tag, err := br.Exec(); err != nil || tag.String() != "INSERT 0 1" {
		t.Fatalf("first insert of failing batch: %q, %v", tag, err)
	}
	_, err = br.Exec()
	wantPgErr(t, err, "23505", "duplicate insert in batch")
	if _, err := br.Exec(); err == nil {
		t.Error("statement after the failed one in the same pipeline succeeded")
	}
	br.Close()
	wantTxStatus(t, conn, 'I')
	if err := conn.QueryRow(ctx, "select count(*) from batch_t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after failed batch count = %d, %v; want 2 (the batch's implicit transaction must roll back)", n, err)
	}
}

// pgxCopyFrom loads rows with binary COPY FROM STDIN and checks them, then
// checks that a COPY hitting a duplicate key fails as a whole with 23505.
func pgxCopyFrom(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, `create table copy_t (id integer primary key, name text, amount double precision,
		flag boolean, created timestamptz, payload bytea)`)
	base := time.Date(2023, 6, 1, 12, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := 1; i <= 1000; i++ {
		var name any = fmt.Sprintf("name-%04d", i)
		if i%10 == 0 {
			name = nil
		}
		rows = append(rows, []any{int32(i), name, float64(i) / 4, i%2 == 0, base.Add(time.Duration(i) * time.Minute), []byte{byte(i), byte(i >> 8)}})
	}
	cols := []string{"id", "name", "amount", "flag", "created", "payload"}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"copy_t"}, cols, pgx.CopyFromRows(rows))
	if err != nil || n != 1000 {
		t.Fatalf("CopyFrom = %d, %v; want 1000", n, err)
	}
	var count, named, sumID, flagged int64
	var sumAmount float64
	err = conn.QueryRow(ctx, `select count(*), count(name), sum(id), sum(amount),
		sum(case when flag then 1 else 0 end) from copy_t`).Scan(&count, &named, &sumID, &sumAmount, &flagged)
	if err != nil {
		t.Fatal(err)
	}
	if count != 1000 || named != 900 || sumID != 500500 || sumAmount != 500500.0/4 || flagged != 500 {
		t.Fatalf("aggregates count=%d named=%d sum(id)=%d sum(amount)=%v flagged=%d", count, named, sumID, sumAmount, flagged)
	}
	var (
		name    string
		amount  float64
		flag    bool
		created time.Time
		payload []byte
	)
	err = conn.QueryRow(ctx, "select name, amount, flag, created, payload from copy_t where id = $1", 777).
		Scan(&name, &amount, &flag, &created, &payload)
	if err != nil {
		t.Fatal(err)
	}
	if name != "name-0777" || amount != 194.25 || flag || !created.Equal(base.Add(777*time.Minute)) || !reflect.DeepEqual(payload, []byte{0x09, 0x03}) {
		t.Fatalf("row 777 = %q %v %v %v %x", name, amount, flag, created, payload)
	}

	dup := [][]any{{int32(2001), "new", 1.0, true, base, []byte{}}, {int32(5), "dup", 1.0, true, base, []byte{}}}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"copy_t"}, cols, pgx.CopyFromRows(dup))
	wantPgErr(t, err, "23505", "COPY with duplicate key")
	if err := conn.QueryRow(ctx, "select count(*) from copy_t").Scan(&count); err != nil || count != 1000 {
		t.Fatalf("after failed COPY count = %d, %v; want 1000", count, err)
	}
}

// pgxTxError: an error inside a transaction aborts it — status E, 25P02
// for every later statement, COMMIT answers ROLLBACK — and ROLLBACK
// recovers.
func pgxTxError(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table tx_t (id integer primary key)")
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTxStatus(t, conn, 'T')
	if _, err := tx.Exec(ctx, "insert into tx_t values ($1)", 1); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "select * from no_such_table_tx")
	wantPgErr(t, err, "42P01", "select from missing table in tx")
	wantTxStatus(t, conn, 'E')
	_, err = tx.Exec(ctx, "select 1")
	wantPgErr(t, err, "25P02", "simple-protocol statement in failed tx")
	var one int
	err = tx.QueryRow(ctx, "select $1::int", 1).Scan(&one)
	wantPgErr(t, err, "25P02", "extended-protocol statement in failed tx")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	wantTxStatus(t, conn, 'I')
	var n int64
	if err := conn.QueryRow(ctx, "select count(*) from tx_t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after rollback count = %d, %v; want 0", n, err)
	}

	// COMMIT of a failed transaction is answered with the ROLLBACK tag,
	// which pgx reports as ErrTxCommitRollback.
	tx, err = conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(ctx, "insert into tx_t values ($1)", 2)
	_, err = tx.Exec(ctx, "insert into tx_t values ($1)", 2)
	wantPgErr(t, err, "23505", "duplicate in tx")
	if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
		t.Fatalf("commit of failed tx: %v, want ErrTxCommitRollback", err)
	}
	wantTxStatus(t, conn, 'I')
	if err := conn.QueryRow(ctx, "select count(*) from tx_t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after failed commit count = %d, %v; want 0", n, err)
	}
	if tag := mustExec(t, conn, "begin"); tag.String() != "BEGIN" {
		t.Errorf("tag %q, want BEGIN", tag)
	}
	mustExec(t, conn, "insert into tx_t values (3)")
	if tag := mustExec(t, conn, "commit"); tag.String() != "COMMIT" {
		t.Errorf("tag %q, want COMMIT", tag)
	}
	if err := conn.QueryRow(ctx, "select count(*) from tx_t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after commit count = %d, %v; want 1", n, err)
	}
}

// pgxSavepoint: rolling back to a savepoint undoes only the work after it
// and clears the error state.
func pgxSavepoint(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table sp_t (id integer primary key)")
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "insert into sp_t values ($1)", 1); err != nil {
		t.Fatal(err)
	}
	nested, err := tx.Begin(ctx) // SAVEPOINT
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nested.Exec(ctx, "insert into sp_t values ($1)", 2); err != nil {
		t.Fatal(err)
	}
	_, err = nested.Exec(ctx, "insert into sp_t values ($1)", 1)
	wantPgErr(t, err, "23505", "duplicate inside savepoint")
	wantTxStatus(t, conn, 'E')
	if err := nested.Rollback(ctx); err != nil { // ROLLBACK TO SAVEPOINT
		t.Fatalf("rollback to savepoint: %v", err)
	}
	wantTxStatus(t, conn, 'T')
	if _, err := tx.Exec(ctx, "insert into sp_t values ($1)", 3); err != nil {
		t.Fatal(err)
	}
	for _, step := range [][2]string{
		{"SAVEPOINT s2", "SAVEPOINT"},
		{"insert into sp_t values (4)", "INSERT 0 1"},
		{"RELEASE SAVEPOINT s2", "RELEASE"},
		{"SAVEPOINT s3", "SAVEPOINT"},
		{"insert into sp_t values (5)", "INSERT 0 1"},
		{"ROLLBACK TO SAVEPOINT s3", "ROLLBACK"},
	} {
		tag, err := tx.Exec(ctx, step[0])
		if err != nil || tag.String() != step[1] {
			t.Fatalf("%s: %q, %v; want tag %s", step[0], tag, err, step[1])
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "select id from sp_t order by id")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 3, 4}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
}

// pgxCancel: a context deadline stops a long query promptly. pgx's default
// closes the socket (the server must notice and abort); the pool must stay
// usable. With the CancelRequest handler the server must answer 57014 and
// keep the connection.
func pgxCancel(t *testing.T, s *server, db string, conn *pgx.Conn) {
	pcfg, err := pgxpool.ParseConfig(s.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	pcfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(testCtx(t), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// Connect first, so the deadline below hits a running query rather
	// than the connection handshake.
	if err := pool.Ping(testCtx(t)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	start := time.Now()
	var n int64
	err = pool.QueryRow(ctx, longQuery).Scan(&n)
	cancel()
	if err == nil {
		t.Fatalf("long query finished with %d before the deadline", n)
	}
	if d := time.Since(start); d > promptly {
		t.Fatalf("cancelled query returned after %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	for i := 0; i < 4; i++ {
		qctx, qcancel := context.WithTimeout(testCtx(t), promptly)
		var v int32
		err := pool.QueryRow(qctx, "select $1::int + 1", i).Scan(&v)
		qcancel()
		if err != nil || v != int32(i+1) {
			t.Fatalf("pool after cancel: %d, %v; want %d", v, err, i+1)
		}
	}

	c := pgxConnect(t, s, db, func(cfg *pgx.ConnConfig) {
		cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 2 * promptly}
		}
	})
	ctx, cancel = context.WithTimeout(testCtx(t), 300*time.Millisecond)
	start = time.Now()
	err = c.QueryRow(ctx, longQuery).Scan(&n)
	cancel()
	if d := time.Since(start); d > promptly {
		t.Fatalf("CancelRequest: query returned after %v", d)
	}
	wantPgErr(t, err, "57014", "query cancelled by CancelRequest")
	var v int32
	if err := c.QueryRow(testCtx(t), "select $1::int + 1", 1).Scan(&v); err != nil || v != 2 {
		t.Fatalf("connection after CancelRequest: %d, %v; want 2", v, err)
	}
}

// pgxErrors checks SQLSTATEs for common failures and that each leaves the
// connection idle and usable.
func pgxErrors(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	mustExec(t, conn, "create table err_t (id integer primary key, name text not null)")
	mustExec(t, conn, "insert into err_t values (1, 'a')")
	_, err := conn.Exec(ctx, "insert into err_t values ($1, $2)", 1, "b")
	wantPgErr(t, err, "23505", "unique violation")
	_, err = conn.Exec(ctx, "insert into err_t values ($1, $2)", 2, nil)
	wantPgErr(t, err, "23502", "not-null violation")
	var x int
	err = conn.QueryRow(ctx, "select id from no_such_table where id = $1", 1).Scan(&x)
	wantPgErr(t, err, "42P01", "QueryRow on missing table")
	err = conn.QueryRow(ctx, "select no_such_column from err_t").Scan(&x)
	wantPgErr(t, err, "42703", "missing column")
	_, err = conn.Exec(ctx, "selec 1")
	wantPgErr(t, err, "42601", "syntax error")
	_, err = conn.Exec(ctx, "create table err_t (id integer)")
	wantPgErr(t, err, "42P07", "duplicate table")
	wantTxStatus(t, conn, 'I')

	var v int32
	if err := conn.QueryRow(ctx, "select $1::int + 1", 41).Scan(&v); err != nil || v != 42 {
		t.Fatalf("select $1::int + 1 = %d, %v; want 42", v, err)
	}
}

// pgxStatements exercises named and unnamed prepared statements at the
// protocol level: descriptions, reuse, replacement, duplicates and
// deallocation.
func pgxStatements(t *testing.T, s *server, db string, conn *pgx.Conn) {
	ctx := testCtx(t)
	pc := conn.PgConn()
	sd, err := conn.Prepare(ctx, "double_it", "select $1::int8 * 2 as doubled")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sd.ParamOIDs, []uint32{pgtype.Int8OID}) || len(sd.Fields) != 1 ||
		sd.Fields[0].Name != "doubled" || sd.Fields[0].DataTypeOID != pgtype.Int8OID {
		t.Fatalf("named statement described as params %v fields %+v", sd.ParamOIDs, sd.Fields)
	}
	for i := int64(1); i <= 3; i++ {
		var n int64
		if err := conn.QueryRow(ctx, "double_it", i*7).Scan(&n); err != nil || n != i*14 {
			t.Fatalf("execute double_it(%d) = %d, %v", i*7, n, err)
		}
	}
	_, err = pc.Prepare(ctx, "double_it", "select 1", nil)
	wantPgErr(t, err, "42P05", "Parse of an existing statement name")
	if err := conn.Deallocate(ctx, "double_it"); err != nil {
		t.Fatal(err)
	}
	_, err = pc.ExecPrepared(ctx, "double_it", [][]byte{[]byte("1")}, nil, nil).Close()
	wantPgErr(t, err, "26000", "Bind to a deallocated statement")

	// The unnamed statement is replaced by the next unnamed Parse.
	sd, err = pc.Prepare(ctx, "", "select $1::text || '-a'", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sd.ParamOIDs, []uint32{pgtype.TextOID}) || sd.Fields[0].DataTypeOID != pgtype.TextOID {
		t.Fatalf("unnamed text statement described as %v %+v", sd.ParamOIDs, sd.Fields)
	}
	res := pc.ExecPrepared(ctx, "", [][]byte{[]byte("x")}, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 || string(res.Rows[0][0]) != "x-a" {
		t.Fatalf("unnamed statement result %q, %v", res.Rows, res.Err)
	}
	if _, err := pc.Prepare(ctx, "", "select $1::int4 + 100", nil); err != nil {
		t.Fatal(err)
	}
	res = pc.ExecPrepared(ctx, "", [][]byte{[]byte("5")}, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 || string(res.Rows[0][0]) != "105" {
		t.Fatalf("replaced unnamed statement result %q, %v", res.Rows, res.Err)
	}
	// Describe-then-execute through the unnamed statement.
	var p int32
	if err := conn.QueryRow(ctx, "select $1::int4 * $2::int4", pgx.QueryExecModeDescribeExec, 6, 7).Scan(&p); err != nil || p != 42 {
		t.Fatalf("describe-exec = %d, %v; want 42", p, err)
	}
	// An untyped parameter is described as text.
	sd, err = pc.Prepare(ctx, "", "select $1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sd.ParamOIDs, []uint32{pgtype.TextOID}) {
		t.Errorf("select $1 parameter described as %v, want [25]", sd.ParamOIDs)
	}
	wantTxStatus(t, conn, 'I')
}

// ------------------------------------------------------- database/sql ----

func testPgxStdlib(t *testing.T, s *server) {
	db := s.CreateDatabase(t, "it_pgx_stdlib")
	testDatabaseSQL(t, s, "pgx", s.URL(db), func(err error) string {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return pgErr.Code
		}
		return ""
	})
}

func testLibPQ(t *testing.T, s *server) {
	db := s.CreateDatabase(t, "it_libpq")
	testDatabaseSQL(t, s, "postgres", s.URL(db), func(err error) string {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) {
			return string(pqErr.Code)
		}
		return ""
	})
}

// testDatabaseSQL runs the database/sql checks shared by pgx stdlib and
// lib/pq; sqlstate extracts the driver's SQLSTATE from an error.
func testDatabaseSQL(t *testing.T, s *server, driver, dsn string, sqlstate func(error) string) {
	ctx := testCtx(t)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(4)
	wantState := func(err error, code, what string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: succeeded, want SQLSTATE %s", what, code)
		}
		if got := sqlstate(err); got != code {
			t.Fatalf("%s: want SQLSTATE %s, got %q (%T: %v)", what, code, got, err, err)
		}
	}
	mustAffect := func(res sql.Result, err error, want int64, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != want {
			t.Fatalf("%s: RowsAffected = %d, %v; want %d", what, n, err, want)
		}
	}

	t.Run("ping", func(t *testing.T) {
		// Toy test 3: Ping sends an empty query ("-- ping" or ";") and
		// needs EmptyQueryResponse.
		for i := 0; i < 3; i++ {
			if err := db.PingContext(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
		}
	})

	t.Run("crud", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "create table crud_t (id integer primary key, name text not null, score double precision, active boolean)"); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			id     int
			name   string
			score  float64
			active bool
		}{{1, "ann", 9.5, true}, {2, "bob", 7.25, false}, {3, "cy", 3, true}} {
			res, err := db.ExecContext(ctx, "insert into crud_t (id, name, score, active) values ($1, $2, $3, $4)", r.id, r.name, r.score, r.active)
			mustAffect(res, err, 1, "insert")
		}
		res, err := db.ExecContext(ctx, "update crud_t set score = score + $1 where id >= $2", 0.5, 2)
		mustAffect(res, err, 2, "update")
		var (
			name   string
			score  float64
			active bool
		)
		if err := db.QueryRowContext(ctx, "select name, score, active from crud_t where id = $1", 2).Scan(&name, &score, &active); err != nil {
			t.Fatal(err)
		}
		if name != "bob" || score != 7.75 || active {
			t.Fatalf("row 2 = %q %v %v; want bob 7.75 false", name, score, active)
		}
		rows, err := db.QueryContext(ctx, "select id, name from crud_t where active = $1 order by id", true)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id int
			var n string
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d:%s", id, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if want := []string{"1:ann", "3:cy"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("active rows = %v, want %v", got, want)
		}
		res, err = db.ExecContext(ctx, "delete from crud_t where id = $1", 1)
		mustAffect(res, err, 1, "delete")
		res, err = db.ExecContext(ctx, "delete from crud_t where id = $1", 1)
		mustAffect(res, err, 0, "delete of a missing row")
		var n int64
		if err := db.QueryRowContext(ctx, "select count(*) from crud_t").Scan(&n); err != nil || n != 2 {
			t.Fatalf("count = %d, %v; want 2", n, err)
		}
		_, err = db.ExecContext(ctx, "insert into crud_t (id, name) values ($1, $2)", 2, "dup")
		wantState(err, "23505", "duplicate insert")
		var nothing string
		err = db.QueryRowContext(ctx, "select name from crud_t where id = $1", 99).Scan(&nothing)
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("select of missing row: %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("tx", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "create table dtx_t (id integer primary key)"); err != nil {
			t.Fatal(err)
		}
		// lib/pq sends BEGIN READ WRITE here, pgx plain BEGIN.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tx.ExecContext(ctx, "insert into dtx_t values ($1)", 1)
		mustAffect(res, err, 1, "insert in tx")
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{2, 3} {
			res, err := tx.ExecContext(ctx, "insert into dtx_t values ($1)", id)
			mustAffect(res, err, 1, "insert in tx")
		}
		var inTx int64
		if err := tx.QueryRowContext(ctx, "select count(*) from dtx_t").Scan(&inTx); err != nil || inTx != 2 {
			t.Fatalf("count inside tx = %d, %v; want 2", inTx, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var ids []int
		rows, err := db.QueryContext(ctx, "select id from dtx_t order by id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int
			rows.Scan(&id)
			ids = append(ids, id)
		}
		if !reflect.DeepEqual(ids, []int{2, 3}) {
			t.Fatalf("ids after rollback+commit = %v, want [2 3]", ids)
		}

		// BEGIN READ ONLY: writes fail with 25006.
		tx, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "select count(*) from dtx_t").Scan(&n); err != nil || n != 2 {
			t.Fatalf("read in read-only tx = %d, %v", n, err)
		}
		_, err = tx.ExecContext(ctx, "insert into dtx_t values ($1)", 4)
		wantState(err, "25006", "insert in READ ONLY transaction")
		tx.Rollback()
	})

	t.Run("cancel", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start := time.Now()
		var n int64
		err := db.QueryRowContext(cctx, longQuery).Scan(&n)
		cancel()
		if d := time.Since(start); d > promptly {
			t.Fatalf("cancelled query returned after %v", d)
		}
		if err == nil {
			t.Fatalf("long query finished with %d", n)
		}
		if driver == "postgres" {
			// lib/pq sends a CancelRequest and reports the server's error.
			wantState(err, "57014", "lib/pq query cancelled by context")
		} else if !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
			t.Fatalf("want a deadline error, got %v", err)
		}
		for i := 0; i < 4; i++ {
			var v int
			qctx, qcancel := context.WithTimeout(ctx, promptly)
			err := db.QueryRowContext(qctx, "select $1::int + 1", i).Scan(&v)
			qcancel()
			if err != nil || v != i+1 {
				t.Fatalf("after cancel: %d, %v; want %d", v, err, i+1)
			}
		}
	})
}

// --------------------------------------------------------------- psql ----

// psqlRun runs psql against db with -X (no psqlrc) and ON_ERROR_STOP, so
// a failing statement makes psql exit non-zero.
func psqlRun(t *testing.T, s *server, db, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := lookPath(t, "psql")
	args = append([]string{"-X", "-v", "ON_ERROR_STOP=1"}, args...)
	return runClient(t, time.Minute, s.LibpqEnv(db), stdin, bin, args...)
}

// psqlOK is psqlRun that fails the test on a non-zero exit.
func psqlOK(t *testing.T, s *server, db string, args ...string) string {
	t.Helper()
	out, errOut, err := psqlRun(t, s, db, "", args...)
	if err != nil {
		t.Fatalf("psql %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

func wantOutput(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got\n%s\nwant\n%s", what, got, want)
	}
}

// wantLines fails unless every pattern matches some line of out.
func wantLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for _, l := range lines {
			if re.MatchString(l) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no line matches %q in\n%s", what, p, out)
		}
	}
}

// writeScript writes a client script into the test's temporary directory.
func writeScript(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testPsql(t *testing.T, s *server) {
	lookPath(t, "psql")
	db := s.CreateDatabase(t, "it_psql")

	t.Run("crud", func(t *testing.T) {
		out := psqlOK(t, s, db, "-At", "-c",
			"create table items (id integer primary key, name text not null, qty integer default 7, note varchar(40)); "+
				"create unique index items_name_key on items (name)")
		wantOutput(t, "create", out, "CREATE TABLE\nCREATE INDEX\n")
		// Several statements in one simple Query: psql 15 prints every result.
		out = psqlOK(t, s, db, "-At", "-c",
			"insert into items (id, name) values (1, 'alpha'); insert into items (id, name, qty, note) values (2, 'beta', 3, 'n2'), (3, 'gamma', 4, 'n3')")
		wantOutput(t, "insert", out, "INSERT 0 1\nINSERT 0 2\n")
		out = psqlOK(t, s, db, "-At", "-c", "select id, name, qty, note from items order by id")
		wantOutput(t, "select", out, "1|alpha|7|\n2|beta|3|n2\n3|gamma|4|n3\n")
		out = psqlOK(t, s, db, "-At", "-c", "update items set qty = qty + 1 where id >= 2")
		wantOutput(t, "update", out, "UPDATE 2\n")
		out = psqlOK(t, s, db, "-At", "-c", "delete from items where id = 3")
		wantOutput(t, "delete", out, "DELETE 1\n")
		out = psqlOK(t, s, db, "-At", "-c", "select count(*), sum(qty) from items")
		wantOutput(t, "aggregate", out, "2|11\n")
	})

	t.Run("describe", func(t *testing.T) {
		// Toy test 9: \d NAME runs ~11 catalog queries.
		out := psqlOK(t, s, db, "-c", `\d items`)
		wantLines(t, `\d items`, out,
			`Table "public\.items"`,
			`^\s*Column\s*\|\s*Type\s*\|\s*Collation\s*\|\s*Nullable\s*\|\s*Default\s*$`,
			`^\s*id\s*\|\s*integer\s*\|\s*\|\s*not null\s*\|\s*$`,
			`^\s*name\s*\|\s*text\s*\|\s*\|\s*not null\s*\|\s*$`,
			`^\s*qty\s*\|\s*integer\s*\|\s*\|\s*\|\s*7\s*$`,
			`^\s*note\s*\|\s*character varying\(40\)\s*\|\s*\|\s*\|\s*$`,
			`^Indexes:$`,
			`^\s+"[^"]+" PRIMARY KEY, btree \(id\)$`,
			`^\s+"items_name_key" UNIQUE, btree \(name\)$`,
		)
		out = psqlOK(t, s, db, "-At", "-c", `\dt`)
		wantLines(t, `\dt`, out, `^public\|items\|table\|`)
		out = psqlOK(t, s, db, "-At", "-c", `\di`)
		wantLines(t, `\di`, out, `^public\|items_name_key\|index\|[^|]*\|items$`, `^public\|[^|]+\|index\|[^|]*\|items$`)
		out = psqlOK(t, s, db, "-At", "-c", `\d`)
		wantLines(t, `\d`, out, `^public\|items\|table\|`)
		out = psqlOK(t, s, db, "-At", "-c", `\dn`)
		wantLines(t, `\dn`, out, `^public\|`)
		out = psqlOK(t, s, db, "-At", "-c", `\l`)
		wantLines(t, `\l`, out, `^postgres\|[^|]*\|UTF8\|`, `^`+db+`\|[^|]*\|UTF8\|`)
		out = psqlOK(t, s, db, "-At", "-c", `\conninfo`)
		if s.cfg.TLS {
			wantLines(t, `\conninfo`, out, `^SSL connection \(protocol: TLSv1\.[23]`)
		} else if strings.Contains(out, "SSL connection") {
			t.Errorf(`\conninfo reports SSL on a plain server: %s`, out)
		}
	})

	t.Run("script_copy", func(t *testing.T) {
		script := strings.Join([]string{
			`create table c (id integer primary key, name text, note text);`,
			`begin;`,
			`COPY c (id, name, note) FROM STDIN;`,
			"1\tone\t\\N",
			"2\ttab\\there\tback\\\\slash",
			`\.`,
			`COPY c FROM STDIN WITH (FORMAT csv);`,
			`3,"three, with comma",`,
			`4,"quote ""q""",x`,
			`\.`,
			`commit;`,
			`COPY c TO STDOUT;`,
			`COPY (select id, name from c where id > 2 order by id) TO STDOUT WITH (FORMAT csv, HEADER);`,
			`select count(*), count(note), max(length(name)) from c;`,
			``,
		}, "\n")
		out, errOut, err := psqlRun(t, s, db, "", "-At", "-f", writeScript(t, "copy.sql", script))
		if err != nil {
			t.Fatalf("psql script: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		want := strings.Join([]string{
			"CREATE TABLE",
			"BEGIN",
			"COPY 2",
			"COPY 2",
			"COMMIT",
			"1\tone\t\\N",
			"2\ttab\\there\tback\\\\slash",
			"3\tthree, with comma\t\\N",
			"4\tquote \"q\"\tx",
			"id,name",
			`3,"three, with comma"`,
			`4,"quote ""q"""`,
			"4|2|17",
			"",
		}, "\n")
		wantOutput(t, "script with COPY", out, want)
		out = psqlOK(t, s, db, "-At", "-c", `select name from c where id = 2`)
		wantOutput(t, "text COPY escape decoding", out, "tab\there\n")
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ sql, code string }{
			{"select * from no_such_table;", "42P01"},
			{"insert into items (id, name) values (1, 'dup');", "23505"},
			{"select no_such_column from items;", "42703"},
			{"selec 1;", "42601"},
		} {
			script := "\\set VERBOSITY verbose\nselect 1;\n" + tc.sql + "\nselect 2;\n"
			out, errOut, err := psqlRun(t, s, db, "", "-At", "-f", writeScript(t, "error.sql", script))
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
				t.Errorf("%s: exit %v, want status 3 (ON_ERROR_STOP)", tc.sql, err)
			}
			if out != "1\n" {
				t.Errorf("%s: stdout %q, want only the first result (stop on error)", tc.sql, out)
			}
			if !strings.Contains(errOut, "ERROR:  "+tc.code+": ") {
				t.Errorf("%s: stderr lacks \"ERROR:  %s: \":\n%s", tc.sql, tc.code, errOut)
			}
		}
	})

	t.Run("cancel", func(t *testing.T) {
		// Ctrl-C: psql sends a CancelRequest and the server answers 57014.
		ctx, cancel := context.WithTimeout(testCtx(t), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, lookPath(t, "psql"), "-X", "-v", "VERBOSITY=verbose", "-c", longQuery)
		cmd.Env = s.LibpqEnv(db)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		start := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(promptly):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("psql still running %v after Ctrl-C\nstderr:\n%s", promptly, errOut.String())
		}
		t.Logf("psql returned %v after SIGINT", time.Since(start))
		if !strings.Contains(errOut.String(), "ERROR:  57014: ") {
			t.Fatalf("stderr lacks 57014:\n%s\nstdout:\n%s", errOut.String(), out.String())
		}
	})
}

// ------------------------------------------------------------- python ----

// systemPython is the interpreter the Debian psycopg packages belong to;
// a python3 earlier on PATH (pyenv, venv) usually lacks them.
func systemPython() string {
	if p := os.Getenv("SQLCLUSTER_TEST_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// runPythonChecks runs testdata/clients/<script> against a fresh database;
// module is the import the script needs.
func runPythonChecks(t *testing.T, s *server, dbName, module, script string) {
	py, err := exec.LookPath(systemPython())
	requireClient(t, systemPython(), err)
	if out, err := exec.Command(py, "-c", "import "+module).CombinedOutput(); err != nil {
		requireClient(t, "python module "+module, fmt.Errorf("%s -c 'import %s': %v: %s", py, module, err, strings.TrimSpace(string(out))))
	}
	db := s.CreateDatabase(t, dbName)
	path, err := filepath.Abs(filepath.Join("testdata", "clients", script))
	if err != nil {
		t.Fatal(err)
	}
	expectSSL := "0"
	if s.cfg.TLS {
		expectSSL = "1"
	}
	env := append(s.LibpqEnv(db), "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8")
	out, errOut, err := runClient(t, 2*time.Minute, env, "", py, path, s.URL(db), expectSSL)
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", script, err, out, errOut)
	}
	t.Logf("%s:\n%s", script, out)
}

func testPsycopg2(t *testing.T, s *server) {
	runPythonChecks(t, s, "it_psycopg2", "psycopg2", "psycopg2_test.py")
}

func testPsycopg3(t *testing.T, s *server) {
	runPythonChecks(t, s, "it_psycopg3", "psycopg", "psycopg3_test.py")
}

// ------------------------------------------------------------- pgjdbc ----

// pgjdbcJar is the driver jar the Java checks compile and run against.
func pgjdbcJar() string {
	if p := os.Getenv("SQLCLUSTER_TEST_PGJDBC"); p != "" {
		return p
	}
	return "/usr/share/java/postgresql.jar"
}

// javaClasses compiles testdata/clients/JdbcTest.java once per run.
func (s *suite) javaClasses(javac, jar string) (string, error) {
	s.javaOnce.Do(func() {
		src, err := filepath.Abs(filepath.Join("testdata", "clients", "JdbcTest.java"))
		if err != nil {
			s.javaErr = err
			return
		}
		dir := filepath.Join(s.scratch, "java")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			s.javaErr = err
			return
		}
		out, err := exec.Command(javac, "-encoding", "UTF-8", "-cp", jar, "-d", dir, src).CombinedOutput()
		if err != nil {
			s.javaErr = fmt.Errorf("javac JdbcTest.java: %v\n%s", err, out)
			return
		}
		s.javaDir = dir
	})
	return s.javaDir, s.javaErr
}

func testPgJDBC(t *testing.T, s *server) {
	java := lookPath(t, "java")
	javac := lookPath(t, "javac")
	jar := pgjdbcJar()
	if _, err := os.Stat(jar); err != nil {
		requireClient(t, "pgjdbc", err)
	}
	classes, err := theSuite.javaClasses(javac, jar)
	if err != nil {
		t.Fatal(err)
	}
	db := s.CreateDatabase(t, "it_pgjdbc")
	out, errOut, err := runClient(t, 2*time.Minute, os.Environ(), "", java,
		"-Duser.timezone=UTC", "-Dfile.encoding=UTF-8", "-cp", classes+string(os.PathListSeparator)+jar,
		"JdbcTest", s.JDBCURL(db), testUser, s.cfg.Password)
	if err != nil {
		t.Fatalf("JdbcTest: %v\n%s%s", err, out, errOut)
	}
	t.Logf("JdbcTest:\n%s", out)
}

// ------------------------------------------------------------ pgbench ----

// tpcbScript is a TPC-B-like transaction over tables the test creates with
// plain SQL (pgbench -i uses PostgreSQL-only DDL). One branch makes every
// transaction contend for the same row.
const tpcbScript = `\set aid random(1, 1000)
\set bid 1
\set tid random(1, 10)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
`

var (
	pgbenchProcessed = regexp.MustCompile(`(?m)^number of transactions actually processed: (\d+)`)
	pgbenchFailed    = regexp.MustCompile(`(?m)^number of failed transactions: (\d+)`)
	pgbenchTPS       = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
)

// testPgbench is toy test 10: pgbench in every query mode completes with
// no failed transactions, and afterwards the TPC-B balances agree — every
// committed transaction applied all of its updates and its history row.
func testPgbench(t *testing.T, s *server) {
	bin := lookPath(t, "pgbench")
	db := s.CreateDatabase(t, "it_pgbench")
	conn := pgxConnect(t, s, db, nil)
	mustExec(t, conn, `create table pgbench_branches (bid integer primary key, bbalance integer not null, filler text)`)
	mustExec(t, conn, `create table pgbench_tellers (tid integer primary key, bid integer not null, tbalance integer not null, filler text)`)
	mustExec(t, conn, `create table pgbench_accounts (aid integer primary key, bid integer not null, abalance integer not null, filler text)`)
	mustExec(t, conn, `create table pgbench_history (tid integer, bid integer, aid integer, delta integer, mtime timestamp, filler text)`)
	mustExec(t, conn, `insert into pgbench_branches values (1, 0, null)`)
	var vals []string
	for i := 1; i <= 10; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 1, 0, null)", i))
	}
	mustExec(t, conn, "insert into pgbench_tellers values "+strings.Join(vals, ", "))
	vals = vals[:0]
	for i := 1; i <= 1000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 1, 0, null)", i))
	}
	if tag := mustExec(t, conn, "insert into pgbench_accounts values "+strings.Join(vals, ", ")); tag.RowsAffected() != 1000 {
		t.Fatalf("loaded %d accounts", tag.RowsAffected())
	}
	script := writeScript(t, "tpcb.sql", tpcbScript)

	var total int64
	for _, mode := range []string{"simple", "extended", "prepared"} {
		out, errOut, err := runClient(t, 2*time.Minute, s.LibpqEnv(db), "", bin,
			"-n", "-c", "4", "-j", "2", "-T", "5", "-M", mode, "--max-tries=10", "-f", script)
		if err != nil {
			t.Fatalf("pgbench -M %s: %v\nstdout:\n%s\nstderr:\n%s", mode, err, out, errOut)
		}
		processed := pgbenchProcessed.FindStringSubmatch(out)
		failed := pgbenchFailed.FindStringSubmatch(out)
		tps := pgbenchTPS.FindStringSubmatch(out)
		if processed == nil || failed == nil || tps == nil {
			t.Fatalf("pgbench -M %s: unexpected output:\n%s\nstderr:\n%s", mode, out, errOut)
		}
		n, _ := strconv.ParseInt(processed[1], 10, 64)
		rate, _ := strconv.ParseFloat(tps[1], 64)
		if failed[1] != "0" {
			t.Errorf("pgbench -M %s: %s failed transactions\n%s\nstderr:\n%s", mode, failed[1], out, errOut)
		}
		if n <= 0 || rate <= 0 {
			t.Errorf("pgbench -M %s: %d transactions, %v tps", mode, n, rate)
		}
		t.Logf("pgbench -M %s: %d transactions, %.1f tps", mode, n, rate)
		total += n
	}

	var history, sumDelta, sumA, sumT, sumB int64
	err := conn.QueryRow(testCtx(t), `select (select count(*) from pgbench_history),
		(select coalesce(sum(delta), 0) from pgbench_history),
		(select sum(abalance) from pgbench_accounts),
		(select sum(tbalance) from pgbench_tellers),
		(select sum(bbalance) from pgbench_branches)`).Scan(&history, &sumDelta, &sumA, &sumT, &sumB)
	if err != nil {
		t.Fatal(err)
	}
	if history != total {
		t.Errorf("pgbench_history has %d rows, pgbench reported %d committed transactions", history, total)
	}
	if sumA != sumDelta || sumT != sumDelta || sumB != sumDelta {
		t.Errorf("balances disagree: history %d, accounts %d, tellers %d, branches %d", sumDelta, sumA, sumT, sumB)
	}
}
