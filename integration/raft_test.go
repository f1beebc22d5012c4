package integration

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Raft mode end to end: writes through every node, kill -9 of the leader
// under a concurrent insert workload (no acknowledged insert lost), the
// killed node catching up, leadership transfer, a fourth node joining and
// being made a voter, removal, and a full restart keeping the data.
func TestRaftCluster(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3, mode: "raft"})
	leader := c.waitPrimary(30 * time.Second)
	ctx := context.Background()
	mustExec(t, c.nodes[1].mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	for i, n := range c.nodes {
		conn := n.mustConnect(t)
		mustExec(t, conn, "INSERT INTO t VALUES ($1, $2)", -1-i, n.id)
		var v string
		if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE id = $1", -1-i).Scan(&v); err != nil || v != n.id {
			t.Fatalf("read after write through %s: %q %v", n.id, v, err)
		}
	}
	// CURRENT_TIMESTAMP / CURRENT_DATE (PostgreSQL functions dqlite's
	// SQLite lacks) work in writes and reads.
	var ts time.Time
	var day time.Time
	if err := c.nodes[0].mustConnect(t).QueryRow(ctx, "SELECT CURRENT_TIMESTAMP, CURRENT_DATE").Scan(&ts, &day); err != nil || time.Since(ts).Abs() > time.Minute {
		t.Errorf("CURRENT_TIMESTAMP in raft mode: %v %v", ts, err)
	}
	mustExec(t, c.nodes[0].mustConnect(t), "INSERT INTO t VALUES (-50, CURRENT_TIMESTAMP)")
	var ret int64
	if err := c.nodes[2].mustConnect(t).QueryRow(ctx, "INSERT INTO t VALUES (-100, 'returning') RETURNING id * 2").Scan(&ret); err != nil || ret != -200 {
		t.Fatalf("INSERT … RETURNING: %d %v", ret, err)
	}
	resp, err := http.Get(leader.adminURL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"sqlcluster_raft_is_leader 1", "sqlcluster_raft_voters 3", "sqlcluster_raft_leader_changes_total", "sqlcluster_commits_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("leader /metrics lacks %q", want)
		}
	}
	if st, err := leader.status(); err != nil || st.Role != "leader" || st.Cluster.Primary != leader.id {
		t.Errorf("leader /status: %+v %v", st, err)
	}
	out, err := ctl(t, c.nodes[0], "leader")
	if err != nil || !strings.Contains(out, leader.id) {
		t.Errorf("sqlclusterctl leader: %v\n%s", err, out)
	}
	// Eight concurrent writers see no BUSY errors, then the leader dies.
	w := newInsertWorkload(c)
	for _, id := range []int64{-1, -2, -3, -50, -100} { // written above
		w.tried[id], w.acked[id] = true, true
	}
	wctx, cancel := context.WithCancel(ctx)
	wg := w.run(wctx, 8)
	time.Sleep(2 * time.Second)
	w.mu.Lock()
	for msg := range w.errs {
		if strings.Contains(strings.ToLower(msg), "locked") || strings.Contains(strings.ToLower(msg), "busy") {
			t.Errorf("a client saw %q", msg)
		}
	}
	w.mu.Unlock()
	before := w.okCount.Load()
	killed := time.Now()
	leader.kill9()
	var next *clusterNode
	for next == nil || next == leader {
		next = c.waitPrimary(20 * time.Second)
	}
	for w.okCount.Load() < before+20 {
		if time.Since(killed) > 30*time.Second {
			cancel()
			wg.Wait()
			t.Fatalf("writes did not resume after the leader died (errors %v)", w.errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("new leader %s; writes resumed %v after the kill", next.id, time.Since(killed).Round(time.Millisecond))
	leader.start()
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()
	w.check(t, leader)
	w.check(t, next)
	// Transfer leadership to the restarted node.
	if out, err := ctl(t, next, "transfer", leader.id); err != nil {
		t.Fatalf("sqlclusterctl transfer: %v\n%s", err, out)
	}
	if p := c.waitPrimary(20 * time.Second); p != leader {
		t.Errorf("leader after transfer = %s, want %s", p.id, leader.id)
	}
	// A fourth node joins and becomes a voter; another is removed.
	n4 := c.addNode("n4")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err = ctl(t, n4, "add", "n4", "--role", "voter")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sqlclusterctl add n4: %v\n%s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	out, err = ctl(t, n4, "members", "--json")
	if err != nil || strings.Count(out, `"voter": true`) < 4 {
		t.Errorf("members after add: %v\n%s", err, out)
	}
	mustExec(t, n4.mustConnect(t), "INSERT INTO t VALUES (-4, 'n4')")
	var victim *clusterNode
	for _, n := range c.nodes[:3] {
		if n != leader && victim == nil {
			victim = n
		}
	}
	out, err = ctl(t, n4, "remove", leader.id)
	if err == nil || !strings.Contains(out, "transfer") {
		t.Errorf("removing the leader should say to transfer first: %v\n%s", err, out)
	}
	if out, err := ctl(t, n4, "remove", victim.id); err != nil {
		t.Fatalf("sqlclusterctl remove: %v\n%s", err, out)
	}
	victim.stop()
	c.nodes = removeNode(c.nodes, victim)
	// A full restart keeps the data.
	var want int
	if err := n4.mustConnect(t).QueryRow(ctx, "SELECT count(*) FROM t").Scan(&want); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		n.stop()
	}
	for _, n := range c.nodes {
		n.launch()
	}
	for _, n := range c.nodes {
		n.waitUp()
	}
	c.waitPrimary(60 * time.Second)
	var got int
	if err := c.nodes[0].mustConnect(t).QueryRow(ctx, "SELECT count(*) FROM t").Scan(&got); err != nil || got != want {
		t.Fatalf("after a full restart %d rows (%v), want %d", got, err, want)
	}
	// Backup, change, restore: refused without --force, then exact.
	file := t.TempDir() + "/raft.sqcsnap"
	if out, err := ctl(t, c.nodes[0], "backup", file); err != nil {
		t.Fatalf("sqlclusterctl backup: %v\n%s", err, out)
	}
	conn := c.nodes[1].mustConnect(t)
	mustExec(t, conn, "DELETE FROM t WHERE id > 0")
	mustExec(t, conn, "CREATE TABLE later (x int)")
	if out, err := ctl(t, c.nodes[0], "restore", file); err == nil || !strings.Contains(out, "--force") {
		t.Errorf("restore over data should need --force: %v\n%s", err, out)
	}
	if out, err := ctl(t, c.nodes[0], "restore", file, "--force"); err != nil {
		t.Fatalf("sqlclusterctl restore: %v\n%s", err, out)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&got); err != nil || got != want {
		t.Errorf("after restore %d rows (%v), want %d", got, err, want)
	}
	if _, err := conn.Exec(ctx, "SELECT * FROM later"); err == nil {
		t.Error("a table created after the backup survived the restore")
	}
}

func removeNode(nodes []*clusterNode, victim *clusterNode) []*clusterNode {
	var out []*clusterNode
	for _, n := range nodes {
		if n != victim {
			out = append(out, n)
		}
	}
	return out
}

// A rolling restart soon after the cluster formed: every node rejoins.
// go-dqlite finds the leader only through a node store it refreshes every
// 30 s; the bootstrap node's store lists only itself until then, and in a
// five-node cluster its graceful stop (handover) demotes it to spare, so
// on restart nothing told it where the leader was and it never became
// ready. Found by the fault suite's rolling restart.
func TestRaftBootstrapNodeRestart(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 5, mode: "raft"})
	c.waitPrimary(30 * time.Second)
	// A rolling restart, the bootstrap node (lowest id) last: the others'
	// handovers move leadership and roles around before it goes.
	for _, id := range []string{"n4", "n2", "n3", "n5", "n1"} {
		n := c.node(id)
		n.stop()
		began := time.Now()
		n.start() // fails the test if the node is not up within startTimeout
		t.Logf("%s restarted in %v", id, time.Since(began).Round(100*time.Millisecond))
	}
	n1 := c.node("n1")
	out, err := ctl(t, n1, "members")
	if err != nil {
		t.Fatalf("sqlclusterctl members: %v\n%s", err, out)
	}
	if alive := strings.Count(out, " yes "); alive < 5 {
		t.Errorf("members after the restart (want 5 alive):\n%s", out)
	}
	conn := n1.mustConnect(t)
	mustExec(t, conn, "CREATE TABLE after_restart (id bigint PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO after_restart VALUES (1)")
}
