package pgtypes

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A throwaway PostgreSQL 15 for the oracle tests. It is started on first use
// in a temporary directory, owned by an unprivileged user when the tests run
// as root (postgres refuses to run as root), and stopped by TestMain.
//
// Environment:
//
//	PGTYPES_PG_BIN   directory with initdb/pg_ctl (default /usr/lib/postgresql/15/bin)
//	PGTYPES_PG_USER  user to run postgres as when root (default: pgtest, then postgres)
//	PGTYPES_PG_DSN   use this server instead of starting one

type pgServer struct {
	dsn     string
	dir     string
	runAs   string
	bin     string
	skipMsg string
}

var (
	pgOnce sync.Once
	pgSrv  *pgServer
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgSrv != nil {
		pgSrv.stop()
	}
	os.Exit(code)
}

// oracleConn returns a connection to the reference PostgreSQL, or skips.
func oracleConn(t *testing.T) *pgx.Conn {
	t.Helper()
	if testing.Short() {
		t.Skip("oracle tests start PostgreSQL; skipped with -short")
	}
	pgOnce.Do(func() { pgSrv = startPG() })
	if pgSrv.skipMsg != "" {
		t.Skip(pgSrv.skipMsg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgSrv.dsn)
	if err != nil {
		t.Fatalf("connect to reference PostgreSQL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func startPG() *pgServer {
	if dsn := os.Getenv("PGTYPES_PG_DSN"); dsn != "" {
		return &pgServer{dsn: dsn}
	}
	bin := os.Getenv("PGTYPES_PG_BIN")
	if bin == "" {
		bin = "/usr/lib/postgresql/15/bin"
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		return &pgServer{skipMsg: "PostgreSQL binaries not found in " + bin + " (set PGTYPES_PG_BIN)"}
	}
	s := &pgServer{bin: bin}
	var uid, gid int = -1, -1
	if os.Geteuid() == 0 {
		cands := []string{"pgtest", "postgres"}
		if u := os.Getenv("PGTYPES_PG_USER"); u != "" {
			cands = []string{u}
		}
		for _, name := range cands {
			if u, err := user.Lookup(name); err == nil {
				s.runAs = name
				uid, _ = strconv.Atoi(u.Uid)
				gid, _ = strconv.Atoi(u.Gid)
				break
			}
		}
		if s.runAs == "" {
			return &pgServer{skipMsg: "running as root and no unprivileged user (pgtest/postgres) to run PostgreSQL"}
		}
	}
	s.reapStale()
	dir, err := os.MkdirTemp("", oracleDirPrefix)
	if err != nil {
		return &pgServer{skipMsg: "mkdtemp: " + err.Error()}
	}
	s.dir = dir
	// Record the owning test process, so that a later run can stop a
	// server this one leaves behind if it crashes before TestMain's stop.
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return &pgServer{skipMsg: "write owner.pid: " + err.Error()}
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			return &pgServer{skipMsg: "chown: " + err.Error()}
		}
	}
	port, err := freePort()
	if err != nil {
		return &pgServer{skipMsg: "no free port: " + err.Error()}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		s.skipMsg = fmt.Sprintf("initdb failed: %v\n%s", err, out)
		return s
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20", port, dir)
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		s.skipMsg = fmt.Sprintf("pg_ctl start failed: %v\n%s", err, out)
		return s
	}
	s.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return s
}

const oracleDirPrefix = "pgtypes-oracle-"

// reapStale stops and removes reference servers left by earlier test runs
// of this package whose test process no longer exists (a panic skips
// TestMain's cleanup).
func (s *pgServer) reapStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), oracleDirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue // unreadable, or the owner is still running
		}
		stale := &pgServer{dir: dir, bin: s.bin, runAs: s.runAs, dsn: "stale"}
		stale.stop()
	}
}

func (s *pgServer) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, prog)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func (s *pgServer) stop() {
	if s.dir == "" {
		return
	}
	if s.dsn != "" {
		s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
