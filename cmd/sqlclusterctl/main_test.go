package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/admin/admintest"
)

// bin is the sqlclusterctl binary built by TestMain: the tests drive the
// real command, exit codes and all.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sqlclusterctl-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "sqlclusterctl")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sqlclusterctl: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs sqlclusterctl against the admin server at node.
func run(t *testing.T, node string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "SQLCLUSTER_NODE="+node)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running sqlclusterctl %v: %v", args, err)
	}
	return r
}

func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// fails checks exit code 1 and that stderr says want.
func (r result) fails(t *testing.T, want string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("want exit 1 with %q on stderr, got exit %d\nstdout: %s\nstderr: %s", want, r.code, r.stdout, r.stderr)
	}
}

type source struct{ st admin.Status }

func (s source) Status(ctx context.Context) admin.Status { return s.st }
func (s source) Ready() bool                             { return true }

func serve(t *testing.T, c admin.Cluster) string {
	t.Helper()
	return serveStatus(t, c, admin.Status{NodeID: "n1", Mode: "stream"})
}

func serveStatus(t *testing.T, c admin.Cluster, st admin.Status) string {
	t.Helper()
	srv := httptest.NewServer(admin.Handler(source{st}, prometheus.NewRegistry(), c))
	t.Cleanup(srv.Close)
	return srv.URL
}

func threeNodes() *admintest.Cluster {
	return admintest.New(
		admin.Member{ID: "n2", PeerAddr: "127.0.0.1:7002", PGAddr: "127.0.0.1:5002", Role: "replica", Voter: true, Alive: true, Position: "3/40", LagTxns: 2},
		admin.Member{ID: "n1", PeerAddr: "127.0.0.1:7001", PGAddr: "127.0.0.1:5001", Role: "primary", Voter: true, Alive: true, Leader: true, Position: "3/42"},
		admin.Member{ID: "n3", PeerAddr: "127.0.0.1:7003", Role: "spare", Alive: false},
	)
}

func snapshotBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	copy(b, snapshotMagic)
	return b
}

func TestMembers(t *testing.T) {
	node := serve(t, threeNodes())
	out := run(t, node, "members").ok(t).stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows:\n%s", out)
	}
	for i, want := range [][]string{
		{"ID", "ROLE", "VOTER", "ALIVE", "PG ADDRESS", "PEER ADDRESS", "POSITION", "LAG"},
		{"n1 *", "primary", "yes", "yes", "127.0.0.1:5001", "127.0.0.1:7001", "3/42", "-"},
		{"n2", "replica", "yes", "yes", "127.0.0.1:5002", "127.0.0.1:7002", "3/40", "2"},
		{"n3", "spare", "no", "no", "-", "127.0.0.1:7003", "-", "0"},
	} {
		if got := strings.Join(strings.Fields(lines[i]), " "); got != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want %q", i, got, strings.Join(want, " "))
		}
	}

	var ms []admin.Member
	js := run(t, node, "members", "--json").ok(t).stdout
	if err := json.Unmarshal([]byte(js), &ms); err != nil || len(ms) != 3 {
		t.Fatalf("members --json: %v\n%s", err, js)
	}
}

func TestLeader(t *testing.T) {
	r := run(t, serve(t, threeNodes()), "leader").ok(t)
	if r.stdout != "n1 127.0.0.1:5001\n" {
		t.Fatalf("leader printed %q", r.stdout)
	}
	run(t, serve(t, admintest.New(admin.Member{ID: "n1"})), "leader").fails(t, "no primary/leader is known right now")
}

func TestMembershipCommands(t *testing.T) {
	c := threeNodes()
	node := serve(t, c)
	// Flags after the arguments, as operators type them.
	r := run(t, node, "add", "n4", "10.0.0.4:7946", "--role", "standby").ok(t)
	if r.stdout != "added n4 (10.0.0.4:7946) as standby\n" {
		t.Fatalf("add printed %q", r.stdout)
	}
	if r := run(t, node, "add", "--role=spare", "n5").ok(t); r.stdout != "added n5 as spare\n" {
		t.Fatalf("add printed %q", r.stdout)
	}
	if r := run(t, node, "add", "n6").ok(t); r.stdout != "added n6 as voter\n" {
		t.Fatalf("add printed %q", r.stdout)
	}
	if r := run(t, node, "assign", "n4", "voter").ok(t); r.stdout != "n4 is now voter\n" {
		t.Fatalf("assign printed %q", r.stdout)
	}
	if r := run(t, node, "remove", "n5").ok(t); r.stdout != "removed n5 from the cluster\n" {
		t.Fatalf("remove printed %q", r.stdout)
	}
	if r := run(t, node, "transfer", "n2").ok(t); r.stdout != "n2 is now the primary/leader\n" {
		t.Fatalf("transfer printed %q", r.stdout)
	}
	ms, _ := c.Members(context.Background())
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s:%s:%v", m.ID, m.Role, m.Leader))
	}
	if s := strings.Join(got, " "); s != "n2:replica:true n1:primary:false n3:spare:false n4:voter:false n6:voter:false" {
		t.Fatalf("cluster after the commands: %s", s)
	}

	// The node's errors are printed as they are.
	run(t, node, "remove", "n2").fails(t, "sqlclusterctl: conflict: n2 is the primary/leader; transfer the role to another member first")
	run(t, node, "remove", "zz").fails(t, "zz is not a member; see sqlclusterctl members")
	run(t, node, "add", "n4").fails(t, "already a member")
	run(t, node, "transfer", "n3").fails(t, "not alive")
}

func TestUsageErrors(t *testing.T) {
	c := threeNodes()
	node := serve(t, c)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add"}, "missing node ID\nusage: sqlclusterctl add ID [ADDRESS]"},
		{[]string{"add", "n4", "--role", "boss"}, `unknown role "boss": use voter, standby, spare`},
		{[]string{"add", "n4", "a:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"assign", "n2"}, "missing role"},
		{[]string{"assign", "n2", "king"}, `unknown role "king"`},
		{[]string{"remove"}, "missing node ID"},
		{[]string{"transfer"}, "missing ID of the member that should take over"},
		{[]string{"backup"}, "missing FILE"},
		{[]string{"restore"}, "missing snapshot FILE"},
		{[]string{"members", "x"}, `unexpected argument "x"`},
		{[]string{"add", "n4", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		run(t, node, tc.args...).fails(t, tc.want)
	}
	if ms, _ := c.Members(context.Background()); len(ms) != 3 {
		t.Fatalf("a usage error changed the cluster: %d members", len(ms))
	}
}

func TestStatus(t *testing.T) {
	st := admin.Status{NodeID: "n1", Mode: "stream", Role: "primary", Cluster: &admin.ClusterStatus{
		Epoch: 7, Primary: "n1", Position: "7/1042", Applied: 1042, SyncReplica: "n2",
		Replicas: []admin.ReplicaStatus{
			{ID: "n2", Connected: true, AckedTxID: 1042, LastContact: time.Now().Add(-1500 * time.Millisecond)},
			{ID: "n3", Connected: false, AckedTxID: 1000, LagTxns: 42},
		},
	}}
	out := run(t, serveStatus(t, threeNodes(), st), "status").ok(t).stdout
	for _, want := range []string{"node:        n1", "epoch:     7", "primary:   n1", "position:  7/1042", "applied:   1042", "sync:      n2"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	fields := func(prefix string) string {
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == prefix {
				return strings.Join(f, " ")
			}
		}
		return ""
	}
	if got := fields("n2"); !strings.HasPrefix(got, "n2 yes 1042 0 1.5s ago") {
		t.Errorf("replica n2: %q\n%s", got, out)
	}
	if got := fields("n3"); got != "n3 no 1000 42 never" {
		t.Errorf("replica n3: %q\n%s", got, out)
	}

	// Raft mode: dqlite ids are 64-bit (exact, not 3.29e+18), an empty
	// list arrives as null, and stream mode's epoch/position are left out.
	raftSt := admin.Status{NodeID: "n1", Mode: "raft", Role: "leader", Cluster: &admin.ClusterStatus{
		Primary: "n1", Raft: map[string]any{"id": uint64(3297041220608546238), "standbys": []string(nil),
			"voters": []string{"172.18.0.4:7947", "172.18.0.2:7947"}},
	}}
	out = run(t, serveStatus(t, threeNodes(), raftSt), "status").ok(t).stdout
	for _, want := range []string{"primary:   n1", "id:       3297041220608546238", "standbys: -", "voters:   [172.18.0.4:7947 172.18.0.2:7947]"} {
		if !strings.Contains(out, want) {
			t.Errorf("raft status lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"epoch:", "position:", "applied:", "e+18", "<nil>"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("raft status has %q:\n%s", unwanted, out)
		}
	}

	single := run(t, serveStatus(t, nil, admin.Status{NodeID: "s", Mode: "single"}), "status").ok(t).stdout
	if strings.Contains(single, "cluster:") || !strings.Contains(single, "mode:        single") {
		t.Fatalf("single-mode status:\n%s", single)
	}
}

func TestSingleMode(t *testing.T) {
	node := serveStatus(t, nil, admin.Status{Mode: "single"})
	file := filepath.Join(t.TempDir(), "b.snap")
	for _, args := range [][]string{{"members"}, {"leader"}, {"add", "n2"}, {"transfer", "n2"}, {"backup", file}} {
		run(t, node, args...).fails(t, "node runs in single mode: cluster commands need --mode stream or raft")
	}
	assertAbsent(t, file)
	assertAbsent(t, file+".tmp")
}

func TestUnreachable(t *testing.T) {
	run(t, "127.0.0.1:1", "status").fails(t, "cannot reach the node's admin API at http://127.0.0.1:1")
}

func TestBackup(t *testing.T) {
	c := threeNodes()
	snap := snapshotBytes(5<<20 + 17)
	c.SetSnapshot(snap)
	node := serve(t, c)
	file := filepath.Join(t.TempDir(), "cluster.snap")
	os.WriteFile(file, []byte("previous backup"), 0o600)

	r := run(t, node, "backup", file).ok(t)
	got, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(got, snap) {
		t.Fatalf("backup file: %d bytes (%v), want the %d bytes sent", len(got), err, len(snap))
	}
	if want := fmt.Sprintf("backup: wrote %d bytes (5.2 MB) to %s", len(snap), file); !strings.Contains(r.stderr, want) {
		t.Fatalf("summary: want %q in\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Fatalf("progress drawn although stderr is not a terminal: %q", r.stderr)
	}
	assertAbsent(t, file+".tmp")
}

func assertAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists (%v)", path, err)
	}
}

func TestBackupFailures(t *testing.T) {
	dir := t.TempDir()
	t.Run("truncated", func(t *testing.T) {
		c := threeNodes()
		c.SetSnapshot(snapshotBytes(4 << 20))
		c.FailBackup(3<<20, errors.New("disk read error"))
		file := filepath.Join(dir, "truncated.snap")
		run(t, serve(t, c), "backup", file).fails(t, "backup failed after")
		assertAbsent(t, file)
		assertAbsent(t, file+".tmp")
	})
	t.Run("keeps the previous file", func(t *testing.T) {
		c := threeNodes()
		c.SetSnapshot(snapshotBytes(4 << 20))
		c.FailBackup(1<<20, errors.New("disk read error"))
		file := filepath.Join(dir, "previous.snap")
		os.WriteFile(file, []byte("previous backup"), 0o600)
		run(t, serve(t, c), "backup", file).fails(t, "was not written")
		if b, _ := os.ReadFile(file); string(b) != "previous backup" {
			t.Fatalf("previous backup overwritten by a failed one: %d bytes", len(b))
		}
		assertAbsent(t, file+".tmp")
	})
	t.Run("refused", func(t *testing.T) {
		c := threeNodes()
		c.SetSnapshot(snapshotBytes(1 << 20))
		c.FailBackup(0, fmt.Errorf("%w: no primary to take the snapshot from; retry after the election", admin.ErrNoLeader))
		file := filepath.Join(dir, "refused.snap")
		run(t, serve(t, c), "backup", file).fails(t, "sqlclusterctl: reading the database for the snapshot: no primary: no primary to take the snapshot from; retry after the election")
		assertAbsent(t, file)
		assertAbsent(t, file+".tmp")
	})
	t.Run("bad path", func(t *testing.T) {
		run(t, serve(t, threeNodes()), "backup", filepath.Join(dir, "nosuchdir", "x.snap")).fails(t, "creating the backup file")
		run(t, serve(t, threeNodes()), "backup", dir).fails(t, "is a directory")
	})
	t.Run("not a snapshot", func(t *testing.T) {
		c := threeNodes()
		c.SetSnapshot([]byte("<html>proxy login</html>"))
		file := filepath.Join(dir, "html.snap")
		run(t, serve(t, c), "backup", file).fails(t, "not a snapshot")
		assertAbsent(t, file)
		assertAbsent(t, file+".tmp")
	})
}

func TestRestore(t *testing.T) {
	c := threeNodes()
	node := serve(t, c)
	dir := t.TempDir()
	snap := snapshotBytes(6<<20 + 3)
	file := filepath.Join(dir, "good.snap")
	os.WriteFile(file, snap, 0o600)

	run(t, node, "restore", file).fails(t, "the cluster already has databases; restore with --force to replace them")
	if len(c.Snapshot()) != 0 {
		t.Fatal("a refused restore changed the cluster")
	}
	r := run(t, node, "restore", file, "--force").ok(t)
	if !bytes.Equal(c.Snapshot(), snap) || !c.LastRestoreForce() {
		t.Fatalf("the node holds %d bytes (force=%v) after restoring %d", len(c.Snapshot()), c.LastRestoreForce(), len(snap))
	}
	if want := fmt.Sprintf("restore: uploaded %d bytes (6.3 MB) from %s", len(snap), file); !strings.Contains(r.stderr, want) {
		t.Fatalf("summary: want %q in\n%s", want, r.stderr)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("restored the cluster from a %d-byte snapshot", len(snap))) {
		t.Fatalf("restore stdout: %q", r.stdout)
	}

	// A file without the magic is refused before anything is sent.
	bad := filepath.Join(dir, "bad.snap")
	os.WriteFile(bad, bytes.Repeat([]byte("x"), 1<<20), 0o600)
	c2 := threeNodes()
	run(t, serve(t, c2), "restore", "--force", bad).fails(t, "is not a sqlcluster snapshot")
	if len(c2.Snapshot()) != 0 {
		t.Fatal("a file without the magic was uploaded")
	}
	run(t, node, "restore", filepath.Join(dir, "missing.snap")).fails(t, "opening the snapshot")
	run(t, node, "restore", dir).fails(t, "not a regular file")

	// The node failing midway: its message reaches the operator.
	c3 := threeNodes()
	c3.FailRestore(1<<20, errors.New("snapshot checksum mismatch in database app"))
	run(t, serve(t, c3), "restore", "--force", file).fails(t, "snapshot checksum mismatch in database app")
}

// The default --timeout must not cut long operations; --op-timeout does.
func TestLongOperationsOutliveTimeout(t *testing.T) {
	c := threeNodes()
	snap := snapshotBytes(1 << 20)
	c.SetSnapshot(snap)
	c.SetBackupPace(128<<10, 150*time.Millisecond) // ~1 s in all
	c.SetTransferDelay(time.Second)
	node := serve(t, c)
	file := filepath.Join(t.TempDir(), "slow.snap")

	run(t, node, "--timeout", "200ms", "backup", file).ok(t)
	if got, _ := os.ReadFile(file); !bytes.Equal(got, snap) {
		t.Fatalf("slow backup: %d bytes", len(got))
	}
	run(t, node, "--timeout", "200ms", "transfer", "n2").ok(t)

	c.SetTransferDelay(time.Minute)
	start := time.Now()
	run(t, node, "--op-timeout", "300ms", "transfer", "n1").fails(t, "did not answer in time")
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("--op-timeout 300ms took %s", d)
	}
	c.SetBackupPace(64<<10, 100*time.Millisecond)
	other := filepath.Join(t.TempDir(), "cut.snap")
	run(t, node, "--op-timeout", "300ms", "backup", other).fails(t, "--op-timeout")
	assertAbsent(t, other)
	assertAbsent(t, other+".tmp")
}

func TestBackupInterrupted(t *testing.T) {
	c := threeNodes()
	c.SetSnapshot(snapshotBytes(8 << 20))
	c.SetBackupPace(32<<10, 50*time.Millisecond) // ~13 s unless interrupted
	node := serve(t, c)
	file := filepath.Join(t.TempDir(), "int.snap")

	cmd := exec.Command(bin, "backup", file)
	cmd.Env = append(os.Environ(), "SQLCLUSTER_NODE="+node)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(file + ".tmp"); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the backup never started writing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("interrupted backup: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("Ctrl-C did not stop the backup")
	}
	if !strings.Contains(stderr.String(), "backup interrupted after") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	assertAbsent(t, file)
	assertAbsent(t, file+".tmp")
}

func TestFlagsFirst(t *testing.T) {
	app := newApp()
	for _, tc := range []struct{ in, want string }{
		{"x add n4 addr --role standby", "x add --role standby n4 addr"},
		{"x --node h:1 add n4 --role=spare", "x --node h:1 add --role=spare n4"},
		{"x --timeout=1s restore f --force", "x --timeout=1s restore --force f"},
		{"x members --json", "x members --json"},
		{"x restore -- --odd-name --force", "x restore -- --odd-name --force"},
		{"x restore f -- --odd", "x restore -- f --odd"},
		{"x nosuch a --b", "x nosuch a --b"},
		{"x", "x"},
	} {
		got := strings.Join(flagsFirst(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The terminal path of the progress display, which the binary tests
// cannot reach (their stderr is a pipe).
func TestMeterDrawsOnTerminal(t *testing.T) {
	var buf lockedBuffer
	m := startMeter(&buf, true, 10*time.Millisecond, "backup", 4e6)
	r := m.Reader(bytes.NewReader(make([]byte, 2e6)))
	if _, err := r.Read(make([]byte, 2e6)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "backup: 2.0 MB of 4.0 MB (50%)") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress line drawn: %q", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	n, _ := m.Stop()
	if n != 2e6 || !strings.HasSuffix(buf.String(), "\r\033[K") || !strings.Contains(buf.String(), " MB/s") {
		t.Fatalf("n=%d output %q", n, buf.String())
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
