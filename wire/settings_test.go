package wire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sqlcluster/sqlcluster/wire"
)

// SET of a reported parameter echoes ParameterStatus; SET inside a
// rolled-back transaction is undone, as in PostgreSQL.
func TestSetEchoAndTransactionalSettings(t *testing.T) {
	rc := dialRaw(t, startServer(t, wire.Config{}))
	rc.send(&pgproto3.Query{String: "SET application_name = 'demo'"})
	eq(t, rc.until('Z'), "C:SET", "ParameterStatus", "Z:I")
	rc.send(&pgproto3.Query{String: "BEGIN; SET TimeZone = 'Europe/Paris'; ROLLBACK"})
	// Undone before ReadyForQuery: nothing to report.
	eq(t, rc.until('Z'), "C:BEGIN", "C:SET", "C:ROLLBACK", "Z:I")
	rc.send(&pgproto3.Query{String: "SHOW timezone"})
	got := rc.until('Z')
	eq(t, got, "RowDescription", "DataRow", "C:SHOW", "Z:I")

	rc.send(&pgproto3.Query{String: "SET no_such_setting = 1"})
	eq(t, rc.until('Z'), "E:42704", "Z:I")
	rc.send(&pgproto3.Query{String: "BEGIN"})
	rc.until('Z')
	rc.send(&pgproto3.Query{String: "BEGIN"})
	eq(t, rc.until('Z'), "NoticeResponse", "C:BEGIN", "Z:T")
	rc.send(&pgproto3.Query{String: "ROLLBACK"})
	rc.until('Z')
}

// statement_timeout cancels a long statement with 57014 and the session
// stays usable.
func TestStatementTimeout(t *testing.T) {
	conn := connect(t, startServer(t, wire.Config{}))
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "SET statement_timeout = '200ms'"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var n int64
	err := conn.QueryRow(ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c").Scan(&n)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("session after timeout: %v", err)
	}
}

// Timestamps render in the session TimeZone, and in the restored one after
// a ROLLBACK undid a SET.
func TestTimeZoneRendering(t *testing.T) {
	conn := connect(t, startServer(t, wire.Config{}))
	ctx := context.Background()
	render := func() string {
		t.Helper()
		var s string
		if err := conn.QueryRow(ctx, "select '2024-01-01 12:00:00+00'::timestamptz", pgx.QueryExecModeSimpleProtocol).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := render(); got != "2024-01-01 12:00:00+00" {
		t.Fatalf("UTC: %q", got)
	}
	conn.Exec(ctx, "set timezone = 'Asia/Kolkata'")
	if got := render(); got != "2024-01-01 17:30:00+05:30" {
		t.Fatalf("Asia/Kolkata: %q", got)
	}
	conn.Exec(ctx, "begin; set timezone = 'UTC'; rollback")
	if got := render(); got != "2024-01-01 17:30:00+05:30" {
		t.Fatalf("after rollback of SET: %q", got)
	}
}

// idle_in_transaction_session_timeout ends a session idling in an open
// transaction (FATAL 25P03), rolls it back, and frees the write lock.
func TestIdleInTransactionTimeout(t *testing.T) {
	addr := startServer(t, wire.Config{})
	ctx := context.Background()
	a, b := connect(t, addr), connect(t, addr)
	if _, err := a.Exec(ctx, "create table t (id int primary key)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "set idle_in_transaction_session_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "insert into t values (1)"); err != nil {
		t.Fatal(err)
	}
	// b's write waits for a's write lock until the timeout ends a.
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := b.Exec(wctx, "insert into t values (2)"); err != nil {
		t.Fatalf("writer behind an idle transaction: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("second writer did not wait for the idle transaction (%v)", d)
	}
	_, err := a.Exec(ctx, "commit")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25P03" {
		t.Fatalf("idle session's next statement: %v", err)
	}
	var n int
	if err := b.QueryRow(ctx, "select count(*) from t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows: %d %v (the idle transaction must be rolled back)", n, err)
	}
}
