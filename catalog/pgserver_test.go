package catalog

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The oracle tests compare the emulated catalog with a real PostgreSQL 15.
// Set CATALOG_TEST_PG to a connection string to use a running server (it
// must allow creating databases); otherwise a throwaway server is started
// from /usr/lib/postgresql/15/bin (as user "pgtest" when running as root).
// Without either, the oracle tests are skipped.

const pgBinDir = "/usr/lib/postgresql/15/bin"

// startPostgres returns a connection string for a PostgreSQL 15 server.
func startPostgres(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("oracle test needs PostgreSQL; skipped in -short mode")
	}
	if dsn := os.Getenv("CATALOG_TEST_PG"); dsn != "" {
		return dsn
	}
	if _, err := os.Stat(filepath.Join(pgBinDir, "postgres")); err != nil {
		t.Skipf("PostgreSQL 15 binaries not found in %s", pgBinDir)
	}
	var runAs []string
	dir, err := os.MkdirTemp("", "catalog-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Getuid() == 0 {
		// Debian's postgresql package (scripts/install-deps.sh) creates
		// the postgres user, so a fresh CI machine has one.
		var u *user.User
		for _, name := range []string{"pgtest", "postgres"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if u == nil {
			t.Skip("running as root and no pgtest or postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runAs = []string{"runuser", "-u", u.Username, "--"}
	}
	run := func(args ...string) error {
		full := append(append([]string{}, runAs...), args...)
		cmd := exec.Command(full[0], full[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %w\n%s", args, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(filepath.Join(pgBinDir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		t.Skipf("initdb failed: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
	if err := run(filepath.Join(pgBinDir, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "start"); err != nil {
		t.Skipf("pg_ctl start failed: %v", err)
	}
	t.Cleanup(func() { run(filepath.Join(pgBinDir, "pg_ctl"), "-D", data, "-m", "immediate", "stop") })
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", port)
}

// createOracleDB creates a fresh database on the server and returns a
// connection to it with schema applied.
func createOracleDB(t *testing.T, dsn, schema string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Skipf("cannot connect to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("catalog_oracle_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, schema, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("schema on PostgreSQL: %v", err)
	}
	return conn
}

// pgResult is a result set in text form, with column type OIDs.
type pgResult struct {
	cols  []string
	types []uint32
	rows  [][]*string
}

func pgQuery(ctx context.Context, conn *pgx.Conn, sql string) (*pgResult, error) {
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &pgResult{}
	for _, fd := range rows.FieldDescriptions() {
		res.cols = append(res.cols, fd.Name)
		res.types = append(res.types, fd.DataTypeOID)
	}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, b := range raw {
			if b != nil {
				s := string(b)
				row[i] = &s
			}
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}
