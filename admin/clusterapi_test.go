package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/admin/admintest"
)

type source struct{}

func (source) Status(ctx context.Context) admin.Status {
	return admin.Status{NodeID: "n1", Mode: "stream"}
}
func (source) Ready() bool { return true }

func threeNodes() *admintest.Cluster {
	return admintest.New(
		admin.Member{ID: "n1", PeerAddr: "127.0.0.1:7001", PGAddr: "127.0.0.1:5001", Role: "primary", Voter: true, Alive: true, Leader: true, Epoch: 3, Position: "3/42"},
		admin.Member{ID: "n2", PeerAddr: "127.0.0.1:7002", PGAddr: "127.0.0.1:5002", Role: "replica", Voter: true, Alive: true, Position: "3/40", LagTxns: 2},
		admin.Member{ID: "n3", PeerAddr: "127.0.0.1:7003", PGAddr: "127.0.0.1:5003", Role: "replica", Voter: true, Alive: false},
	)
}

func serve(t *testing.T, c admin.Cluster) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(admin.Handler(source{}, prometheus.NewRegistry(), c))
	t.Cleanup(srv.Close)
	return srv
}

// call does one request and returns the status and the whole body.
func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// errorOf decodes a {"error": ...} body, failing the test on any other shape.
func errorOf(t *testing.T, b []byte) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body is not JSON: %q", b)
	}
	msg, ok := e["error"].(string)
	if !ok || msg == "" || len(e) != 1 {
		t.Fatalf(`error body is not {"error": "..."}: %s`, b)
	}
	return msg
}

func TestMembersAndLeader(t *testing.T) {
	c := threeNodes()
	srv := serve(t, c)

	code, h, b := call(t, srv, "GET", "/cluster/members", "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("members: %d %s %s", code, h.Get("Content-Type"), b)
	}
	// The field names are API: check the raw shape, not just a round trip.
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3 {
		t.Fatalf("want 3 members, got %s", b)
	}
	for _, k := range []string{"id", "peer_addr", "pg_addr", "admin_addr", "role", "voter", "alive", "leader", "epoch", "position"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("member JSON lacks %q: %v", k, raw[0])
		}
	}
	if raw[0]["id"] != "n1" || raw[0]["leader"] != true || raw[1]["lag_txns"] != float64(2) {
		t.Errorf("unexpected members: %s", b)
	}

	code, _, b = call(t, srv, "GET", "/cluster/leader", "")
	var m admin.Member
	if code != 200 || json.Unmarshal(b, &m) != nil || m.ID != "n1" || m.PGAddr != "127.0.0.1:5001" {
		t.Fatalf("leader: %d %s", code, b)
	}

	// No leader: 503 with a JSON error.
	empty := serve(t, admintest.New(admin.Member{ID: "n1", Alive: true}))
	code, _, b = call(t, empty, "GET", "/cluster/leader", "")
	if code != 503 || !strings.Contains(errorOf(t, b), "no primary/leader") {
		t.Fatalf("leader with none: %d %s", code, b)
	}
	// No members at all is an empty array, not null.
	code, _, b = call(t, serve(t, admintest.New()), "GET", "/cluster/members", "")
	if code != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("empty members: %d %q", code, b)
	}
}

func TestMembershipOperations(t *testing.T) {
	c := threeNodes()
	srv := serve(t, c)
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string // substring of message or error
	}{
		{"add", "POST", "/cluster/members", `{"id":"n4","address":"127.0.0.1:7004","role":"standby"}`, 200, "added n4 (127.0.0.1:7004) as standby"},
		{"add default role", "POST", "/cluster/members", `{"id":"n5"}`, 200, "added n5 as voter"},
		{"add existing", "POST", "/cluster/members", `{"id":"n4"}`, 409, "already a member"},
		{"add bad role", "POST", "/cluster/members", `{"id":"n6","role":"boss"}`, 400, `unknown role "boss"`},
		{"add without id", "POST", "/cluster/members", `{"address":"x:1"}`, 400, `missing "id"`},
		{"add empty body", "POST", "/cluster/members", ``, 400, "body is empty"},
		{"add bad json", "POST", "/cluster/members", `{"id":`, 400, "reading the JSON request body"},
		{"add unknown field", "POST", "/cluster/members", `{"id":"n7","rol":"voter"}`, 400, `unknown field "rol"`},
		{"add trailing data", "POST", "/cluster/members", `{"id":"n7"} {"id":"n8"}`, 400, "unexpected data"},
		{"assign", "POST", "/cluster/members/n4/role", `{"role":"spare"}`, 200, "n4 is now spare"},
		{"assign unknown", "POST", "/cluster/members/n9/role", `{"role":"spare"}`, 404, "n9 is not a member"},
		{"assign no role", "POST", "/cluster/members/n4/role", `{}`, 400, `missing "role"`},
		{"remove", "DELETE", "/cluster/members/n4", ``, 200, "removed n4"},
		{"remove again", "DELETE", "/cluster/members/n4", ``, 404, "n4 is not a member"},
		{"remove leader", "DELETE", "/cluster/members/n1", ``, 409, "transfer the role"},
		{"remove escaped id", "DELETE", "/cluster/members/a%2Fb", ``, 404, "a/b is not a member"},
		{"transfer to dead", "POST", "/cluster/transfer", `{"id":"n3"}`, 409, "not alive"},
		{"transfer unknown", "POST", "/cluster/transfer", `{"id":"zz"}`, 404, "zz is not a member"},
		{"transfer no id", "POST", "/cluster/transfer", `{}`, 400, `missing "id"`},
		{"transfer", "POST", "/cluster/transfer", `{"id":"n2"}`, 200, "n2 is now the primary/leader"},
		{"wrong method", "PUT", "/cluster/members", `{}`, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := call(t, srv, tc.method, tc.path, tc.body)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, b)
			}
			switch {
			case tc.code == 200:
				var ack map[string]string
				if err := json.Unmarshal(b, &ack); err != nil || !strings.Contains(ack["message"], tc.want) {
					t.Fatalf(`want {"message": ~%q}, got %s`, tc.want, b)
				}
			case tc.want != "":
				if msg := errorOf(t, b); !strings.Contains(msg, tc.want) {
					t.Fatalf("error %q does not mention %q", msg, tc.want)
				}
			}
		})
	}
	ms, _ := c.Members(context.Background())
	var ids []string
	for _, m := range ms {
		ids = append(ids, fmt.Sprintf("%s:%v", m.ID, m.Leader))
	}
	if got := strings.Join(ids, " "); got != "n1:false n2:true n3:false n5:false" {
		t.Fatalf("cluster after operations: %s", got)
	}
}

func TestStatusCode(t *testing.T) {
	for err, want := range map[error]int{
		fmt.Errorf("x: %w", admin.ErrNotFound):   404,
		fmt.Errorf("x: %w", admin.ErrConflict):   409,
		fmt.Errorf("x: %w", admin.ErrNoLeader):   503,
		fmt.Errorf("x: %w", admin.ErrBadRequest): 400,
		errors.New("disk on fire"):               500,
		context.DeadlineExceeded:                 500,
	} {
		if got := admin.StatusCode(err); got != want {
			t.Errorf("StatusCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func randomSnapshot(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	copy(b, "SQCSNAP1")
	return b
}

func TestBackupStreams(t *testing.T) {
	c := threeNodes()
	snap := randomSnapshot(t, 5<<20+123)
	c.SetSnapshot(snap)
	srv := serve(t, c)
	code, h, b := call(t, srv, "GET", "/cluster/backup", "")
	if code != 200 || h.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("backup: %d %q", code, h.Get("Content-Type"))
	}
	if !bytes.Equal(b, snap) {
		t.Fatalf("backup body differs: got %d bytes, want %d", len(b), len(snap))
	}
}

// gatedBackup writes the first half of a snapshot, then waits for the test
// before writing the rest: the client must already have the first half.
type gatedBackup struct {
	*admintest.Cluster
	snap []byte
	gate chan struct{}
}

func (g gatedBackup) Backup(ctx context.Context, w io.Writer) error {
	half := len(g.snap) / 2
	if _, err := w.Write(g.snap[:half]); err != nil {
		return err
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := w.Write(g.snap[half:])
	return err
}

func TestBackupIsNotBuffered(t *testing.T) {
	g := gatedBackup{Cluster: threeNodes(), snap: randomSnapshot(t, 4<<20), gate: make(chan struct{})}
	srv := serve(t, g)
	resp, err := srv.Client().Get(srv.URL + "/cluster/backup")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1<<20)
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(resp.Body, first); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first MB of the backup did not arrive while Backup was still running: the response is buffered")
	}
	close(g.gate)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(first, rest...), g.snap) {
		t.Fatal("backup body differs")
	}
}

func TestBackupFailure(t *testing.T) {
	t.Run("before the first byte", func(t *testing.T) {
		c := threeNodes()
		c.SetSnapshot(randomSnapshot(t, 1<<20))
		c.FailBackup(0, fmt.Errorf("%w: no primary to read from; retry after the election", admin.ErrNoLeader))
		code, h, b := call(t, serve(t, c), "GET", "/cluster/backup", "")
		if code != 503 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("Content-Disposition") != "" {
			t.Fatalf("backup failing early: %d %v %s", code, h, b)
		}
		if msg := errorOf(t, b); !strings.Contains(msg, "retry after the election") {
			t.Fatalf("error %q", msg)
		}
	})
	t.Run("midway", func(t *testing.T) {
		c := threeNodes()
		snap := randomSnapshot(t, 4<<20)
		c.SetSnapshot(snap)
		c.FailBackup(3<<20, errors.New("disk read error"))
		srv := serve(t, c)
		resp, err := srv.Client().Get(srv.URL + "/cluster/backup")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		b, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("a backup that failed after %d bytes reached the client as a complete %d-byte body", 3<<20, len(b))
		}
		if len(b) > 3<<20 || !bytes.Equal(b, snap[:len(b)]) {
			t.Fatalf("got %d bytes, not a prefix of the snapshot", len(b))
		}
	})
}

func TestRestore(t *testing.T) {
	c := threeNodes()
	srv := serve(t, c)
	snap := randomSnapshot(t, 6<<20+7)

	code, _, b := call(t, srv, "POST", "/cluster/restore", string(snap))
	if code != 409 || !strings.Contains(errorOf(t, b), "--force") {
		t.Fatalf("restore without force over data: %d %s", code, b)
	}
	code, _, b = call(t, srv, "POST", "/cluster/restore?force=maybe", string(snap))
	if code != 400 || !strings.Contains(errorOf(t, b), "force=1") {
		t.Fatalf("restore with force=maybe: %d %s", code, b)
	}
	code, _, b = call(t, srv, "POST", "/cluster/restore?force=1", string(snap))
	var ack admin.Ack
	if code != 200 || json.Unmarshal(b, &ack) != nil || !strings.Contains(ack.Message, fmt.Sprint(len(snap))) {
		t.Fatalf("restore: %d %s", code, b)
	}
	if !bytes.Equal(c.Snapshot(), snap) || !c.LastRestoreForce() {
		t.Fatalf("restored %d bytes (force=%v), want %d with force", len(c.Snapshot()), c.LastRestoreForce(), len(snap))
	}

	// Empty cluster: no force needed.
	c2 := threeNodes()
	c2.SetHasData(false)
	code, _, b = call(t, serve(t, c2), "POST", "/cluster/restore", string(snap[:1<<20]))
	if code != 200 || c2.LastRestoreForce() || len(c2.Snapshot()) != 1<<20 {
		t.Fatalf("restore into an empty cluster: %d %s", code, b)
	}

	// Failing after reading part of a large upload: the client still gets
	// the JSON error, not a broken pipe.
	c3 := threeNodes()
	c3.FailRestore(1<<20, errors.New("snapshot checksum mismatch"))
	srv3 := serve(t, c3)
	code, _, b = call(t, srv3, "POST", "/cluster/restore?force=true", string(snap))
	if code != 500 || !strings.Contains(errorOf(t, b), "checksum mismatch") {
		t.Fatalf("failing restore: %d %s", code, b)
	}
	// The same with "Expect: 100-continue", as curl and sqlclusterctl send.
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", srv3.URL+"/cluster/restore?force=1", bytes.NewReader(snap))
		req.Header.Set("Expect", "100-continue")
		resp, err := srv3.Client().Do(req)
		if err != nil {
			t.Fatalf("failing restore with Expect: 100-continue: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 500 || !strings.Contains(errorOf(t, b), "checksum mismatch") {
			t.Fatalf("failing restore with Expect: 100-continue: %d %v %s", resp.StatusCode, err, b)
		}
	}
}

// ctxTransfer records how Transfer's context ended.
type ctxTransfer struct {
	*admintest.Cluster
	ended chan error
}

func (c ctxTransfer) Transfer(ctx context.Context, id string) error {
	<-ctx.Done()
	c.ended <- ctx.Err()
	return ctx.Err()
}

func TestTransferUsesRequestContext(t *testing.T) {
	c := ctxTransfer{Cluster: threeNodes(), ended: make(chan error, 1)}
	srv := serve(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/cluster/transfer", strings.NewReader(`{"id":"n2"}`))
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("transfer returned although it never finishes")
	}
	select {
	case err := <-c.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Transfer's context ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Transfer kept running after the client went away")
	}
}

func TestSingleMode(t *testing.T) {
	srv := serve(t, nil)
	for _, r := range []struct{ method, path string }{
		{"GET", "/cluster/members"}, {"GET", "/cluster/leader"}, {"POST", "/cluster/members"},
		{"DELETE", "/cluster/members/n1"}, {"POST", "/cluster/members/n1/role"}, {"POST", "/cluster/transfer"},
		{"GET", "/cluster/backup"}, {"POST", "/cluster/restore?force=1"},
	} {
		code, _, b := call(t, srv, r.method, r.path, `{"id":"n1"}`)
		if code != 501 {
			t.Errorf("%s %s in single mode: %d %s", r.method, r.path, code, b)
			continue
		}
		if msg := errorOf(t, b); msg != "node runs in single mode: cluster commands need --mode stream or raft" {
			t.Errorf("%s %s: message %q", r.method, r.path, msg)
		}
	}
	// The rest of the API is unaffected.
	if code, _, b := call(t, srv, "GET", "/health", ""); code != 200 {
		t.Fatalf("/health: %d %s", code, b)
	}
	code, _, b := call(t, srv, "GET", "/status", "")
	if code != 200 || bytes.Contains(b, []byte(`"cluster"`)) {
		t.Fatalf("/status: %d %s", code, b)
	}
}
