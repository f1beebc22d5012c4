package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// These tests drive the sqlclusterd binary itself: configuration sources,
// the admin API and sqlclusterctl, the data-directory lock, graceful
// shutdown and crash recovery. They have no PostgreSQL counterpart.

type daemon struct {
	t       *testing.T
	dir     string
	pg      string
	admin   string
	proc    *process
	logPath string
}

func requireSQLCluster(t *testing.T) {
	if theSuite.target != targetSQLCluster {
		t.Skip("sqlclusterd-only test")
	}
}

// startDaemon runs sqlclusterd on dataDir with extra args and env; it
// waits for the pg port when wait is true.
func startDaemon(t *testing.T, dataDir string, extraArgs, env []string, wait bool) (*daemon, error) {
	t.Helper()
	bin, err := theSuite.sqlclusterdBinary()
	if err != nil {
		t.Fatal(err)
	}
	pgPort, _ := freePort()
	adminPort, _ := freePort()
	d := &daemon{t: t, dir: dataDir,
		pg:    net.JoinHostPort("127.0.0.1", strconv.Itoa(pgPort)),
		admin: net.JoinHostPort("127.0.0.1", strconv.Itoa(adminPort)),
	}
	d.logPath = filepath.Join(t.TempDir(), "server.log")
	args := append([]string{"--data-dir", dataDir, "--pg-addr", d.pg, "--admin-addr", d.admin, "--log-level", "debug"}, extraArgs...)
	d.proc, err = startProcess(bin, args, d.logPath, nil, syscall.SIGTERM, env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.proc.stop(stopTimeout)
		if t.Failed() {
			b, _ := os.ReadFile(d.logPath)
			t.Logf("---- sqlclusterd log ----\n%s", b)
		}
	})
	if !wait {
		return d, nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.proc.done:
			b, _ := os.ReadFile(d.logPath)
			return d, fmt.Errorf("sqlclusterd exited: %v\n%s", d.proc.err, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", d.pg, time.Second); err == nil {
			c.Close()
			return d, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d, errors.New("sqlclusterd did not open its pg port within 30s")
}

func (d *daemon) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), "postgres://postgres@"+d.pg+"/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (d *daemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + d.admin + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Admin endpoints, metrics and sqlclusterctl status.
func TestAdminAPI(t *testing.T) {
	requireSQLCluster(t)
	d, err := startDaemon(t, filepath.Join(t.TempDir(), "data"), []string{"--node-id", "n1"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	conn := d.connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "create table t (id int primary key)"); err != nil {
		t.Fatal(err)
	}
	conn.Exec(ctx, "insert into t values (1)")
	conn.Exec(ctx, "insert into t values (1)") // 23505 for the error metric
	if code, body := d.get(t, "/health"); code != 200 {
		t.Fatalf("/health: %d %s", code, body)
	}
	if code, body := d.get(t, "/ready"); code != 200 {
		t.Fatalf("/ready: %d %s", code, body)
	}
	code, body := d.get(t, "/status")
	var st struct {
		NodeID      string   `json:"node_id"`
		Mode        string   `json:"mode"`
		Role        string   `json:"role"`
		Databases   []string `json:"databases"`
		Connections int      `json:"connections"`
	}
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("/status: %d %s %v", code, body, err)
	}
	if st.NodeID != "n1" || st.Mode != "single" || st.Role != "primary" || st.Connections != 1 || strings.Join(st.Databases, ",") != "postgres" {
		t.Fatalf("/status: %+v", st)
	}
	_, metrics := d.get(t, "/metrics")
	for _, want := range []string{
		"sqlcluster_connections 1",
		`sqlcluster_statements_total{command="CREATE TABLE"} 1`,
		`sqlcluster_errors_total{sqlstate="23505"} 1`,
		"sqlcluster_statement_duration_seconds_bucket",
		"sqlcluster_commits_total",
		"sqlcluster_fsyncs_total",
		"sqlcluster_bytes_received_total",
		"sqlcluster_bytes_sent_total",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	ctl := buildCtl(t)
	out, err := exec.Command(ctl, "--node", d.admin, "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "node:        n1") || !strings.Contains(string(out), "mode:        single") {
		t.Fatalf("sqlclusterctl status: %v\n%s", err, out)
	}
	out, err = exec.Command(ctl, "--node", d.admin, "status", "--json").CombinedOutput()
	if err != nil || !json.Valid(out) {
		t.Fatalf("sqlclusterctl status --json: %v\n%s", err, out)
	}
	out, err = exec.Command(ctl, "--node", "127.0.0.1:1", "status").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cannot reach the node's admin API") {
		t.Fatalf("sqlclusterctl against a dead node: %v\n%s", err, out)
	}
}

var ctlOnce struct {
	sync.Once
	path string
	err  error
}

func buildCtl(t *testing.T) string {
	ctlOnce.Do(func() {
		ctlOnce.path = filepath.Join(theSuite.scratch, "bin", "sqlclusterctl")
		out, err := exec.Command("go", "build", "-o", ctlOnce.path, "github.com/sqlcluster/sqlcluster/cmd/sqlclusterctl").CombinedOutput()
		if err != nil {
			ctlOnce.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if ctlOnce.err != nil {
		t.Fatal(ctlOnce.err)
	}
	return ctlOnce.path
}

// Settings come from a TOML file, the environment and flags, in that
// order of precedence; bad values are refused with a message naming them.
func TestConfigSources(t *testing.T) {
	requireSQLCluster(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sqlcluster.toml")
	os.WriteFile(cfg, []byte("password = \"from-file\"\nnode-id = \"file-node\"\n"), 0o600)
	d, err := startDaemon(t, filepath.Join(dir, "data"), []string{"--config", cfg}, []string{"SQLCLUSTER_NODE_ID=env-node"}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if c, err := pgx.Connect(ctx, "postgres://u:from-file@"+d.pg+"/postgres?sslmode=disable"); err != nil {
		t.Fatalf("password from the TOML file: %v", err)
	} else {
		c.Close(ctx)
	}
	_, body := d.get(t, "/status")
	if !strings.Contains(body, `"node_id": "env-node"`) {
		t.Fatalf("environment should override the file: %s", body)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "paxos"}, `unknown --mode "paxos"`},
		{[]string{"--log-format", "xml"}, `invalid --log-format "xml"`},
		{[]string{"--tls-cert", "/nonexistent"}, "--tls-cert and --tls-key must be given together"},
		{[]string{"--pg-addr", "256.0.0.1:1"}, "--pg-addr"},
	} {
		bin, _ := theSuite.sqlclusterdBinary()
		args := append([]string{"--data-dir", filepath.Join(t.TempDir(), "d"), "--admin-addr", "127.0.0.1:0", "--pg-addr", "127.0.0.1:0"}, tc.args...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: err %v, output %q lacks %q", tc.args, err, out, tc.want)
		}
	}
}

// A second server on the same data directory is refused while the first
// runs, and the lock dies with the process.
func TestDataDirLocked(t *testing.T) {
	requireSQLCluster(t)
	data := filepath.Join(t.TempDir(), "data")
	first, err := startDaemon(t, data, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := startDaemon(t, data, nil, nil, false)
	select {
	case <-second.proc.done:
	case <-time.After(20 * time.Second):
		t.Fatal("second server on the same data dir kept running")
	}
	b, _ := os.ReadFile(second.logPath)
	if !strings.Contains(string(b), "is in use by another sqlclusterd") {
		t.Fatalf("second server's error: %s", b)
	}
	first.proc.kill()
	if _, err := startDaemon(t, data, nil, nil, true); err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
}

// SIGTERM lets a running statement finish, rolls back an open transaction,
// and the data survives the restart.
func TestGracefulShutdown(t *testing.T) {
	requireSQLCluster(t)
	data := filepath.Join(t.TempDir(), "data")
	d, err := startDaemon(t, data, []string{"--shutdown-timeout", "20s"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, b := d.connect(t), d.connect(t)
	mustExec(t, a, "create table t (id int primary key)")
	mustExec(t, a, "insert into t values (1)")
	tx, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "insert into t values (2)"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- a.QueryRow(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1500000) SELECT count(*) FROM c`).Scan(&n)
	}()
	time.Sleep(200 * time.Millisecond)
	d.proc.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Fatalf("in-flight statement during shutdown: %v", err)
	}
	select {
	case <-d.proc.done:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if d.proc.err != nil {
		b, _ := os.ReadFile(d.logPath)
		t.Fatalf("shutdown ended with %v (a failed final checkpoint exits non-zero):\n%s", d.proc.err, b)
	}
	if _, err := net.DialTimeout("tcp", d.pg, time.Second); err == nil {
		t.Fatal("pg port still open after shutdown")
	}
	d2, err := startDaemon(t, data, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	rows, _ := d2.connect(t).Query(ctx, "select id from t order by id")
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[1]" {
		t.Fatalf("after restart: ids %v, want [1] (the open transaction rolled back)", ids)
	}
}

// Every insert acknowledged before kill -9 is there after restart, and
// the database passes integrity_check.
func TestCrashRecovery(t *testing.T) {
	requireSQLCluster(t)
	data := filepath.Join(t.TempDir(), "data")
	d, err := startDaemon(t, data, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustExec(t, d.connect(t), "create table acked (id bigint primary key, w int)")
	var mu sync.Mutex
	var acked []int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, "postgres://postgres@"+d.pg+"/postgres?sslmode=disable")
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(ctx)
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := int64(w)<<32 | i
				if _, err := conn.Exec(ctx, "insert into acked values ($1, $2)", id, w); err != nil {
					var pe *pgconn.PgError
					if errors.As(err, &pe) {
						t.Errorf("insert: %v", err)
					}
					return // the server died
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	d.proc.kill()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no insert was acknowledged before the kill")
	}
	d2, err := startDaemon(t, data, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	conn := d2.connect(t)
	have := map[int64]bool{}
	rows, err := conn.Query(ctx, "select id from acked")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		have[id] = true
	}
	missing := 0
	for _, id := range acked {
		if !have[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged inserts lost after kill -9", missing, len(acked))
	}
	var check string
	if err := conn.QueryRow(ctx, "pragma integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	t.Logf("%d acknowledged inserts, all present after kill -9", len(acked))
}
