package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// insertWorkload inserts unique ids through the nodes of a cluster from
// several clients and records which inserts were acknowledged.
type insertWorkload struct {
	c       *testCluster
	next    atomic.Int64
	mu      sync.Mutex
	acked   map[int64]bool
	tried   map[int64]bool
	errs    map[string]int
	okCount atomic.Int64
}

func newInsertWorkload(c *testCluster) *insertWorkload {
	return &insertWorkload{c: c, acked: map[int64]bool{}, tried: map[int64]bool{}, errs: map[string]int{}}
}

// run inserts until ctx ends, from workers clients spread over the nodes;
// a client whose node fails moves to another node.
func (w *insertWorkload) run(ctx context.Context, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn *pgx.Conn
			defer func() {
				if conn != nil {
					conn.Close(context.Background())
				}
			}()
			k := i
			for ctx.Err() == nil {
				if conn == nil {
					n := w.c.nodes[k%len(w.c.nodes)]
					k++
					if !n.alive() {
						continue
					}
					cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					c, err := n.connect(cctx)
					cancel()
					if err != nil {
						w.noteErr(err)
						time.Sleep(20 * time.Millisecond)
						continue
					}
					conn = c
				}
				id := w.next.Add(1)
				w.mu.Lock()
				w.tried[id] = true
				w.mu.Unlock()
				sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				_, err := conn.Exec(sctx, "INSERT INTO t (id, v) VALUES ($1, $2)", id, fmt.Sprintf("w%d", i))
				cancel()
				if err == nil {
					w.mu.Lock()
					w.acked[id] = true
					w.mu.Unlock()
					w.okCount.Add(1)
					continue
				}
				w.noteErr(err)
				if conn.IsClosed() || !isSQLError(err) {
					conn.Close(context.Background())
					conn = nil
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return &wg
}

func isSQLError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

func (w *insertWorkload) noteErr(err error) {
	msg := err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg = pe.Code + " " + pe.Message
	}
	if len(msg) > 80 {
		msg = msg[:80]
	}
	w.mu.Lock()
	w.errs[msg]++
	w.mu.Unlock()
}

// check verifies on node n that every acknowledged insert is present and
// nothing appears that was never attempted.
func (w *insertWorkload) check(t *testing.T, n *clusterNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := n.mustConnect(t)
	rows, err := conn.Query(ctx, "SELECT id FROM t")
	if err != nil {
		t.Fatal(err)
	}
	present := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		present[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var lost, phantom []int64
	for id := range w.acked {
		if !present[id] {
			lost = append(lost, id)
		}
	}
	for id := range present {
		if !w.tried[id] {
			phantom = append(phantom, id)
		}
	}
	t.Logf("workload: %d acknowledged, %d present, errors seen: %v", len(w.acked), len(present), w.errs)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged inserts are missing on %s, e.g. %v", len(lost), n.id, lost[:min(len(lost), 10)])
	}
	if len(phantom) > 0 {
		t.Errorf("%d rows were never inserted by a client: %v", len(phantom), phantom[:min(len(phantom), 10)])
	}
}

// Writes through every node reach the primary, reads after writes see
// them on the same node, results/tags/SQLSTATEs/transaction status are the
// primary's, and every node converges to identical contents.
func TestStreamReplication(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	var replica *clusterNode
	for _, n := range c.nodes {
		if n != primary {
			replica = n
		}
	}
	ctx := context.Background()
	rc := replica.mustConnect(t)
	if got := rc.PgConn().ParameterStatus("in_hot_standby"); got != "on" {
		t.Errorf("replica in_hot_standby = %q, want on", got)
	}
	pc := primary.mustConnect(t)
	if got := pc.PgConn().ParameterStatus("in_hot_standby"); got != "off" {
		t.Errorf("primary in_hot_standby = %q, want off", got)
	}
	// libpq's multi-host strings pick the primary or a replica by
	// in_hot_standby, whatever the order of the hosts.
	psql := lookPath(t, "psql")
	var hosts, ports []string
	for _, n := range []*clusterNode{replica, primary, c.nodes[0]} {
		hosts, ports = append(hosts, n.ip), append(ports, strconv.Itoa(n.pgPort))
	}
	for attrs, want := range map[string]string{"read-write": "off", "standby": "on"} {
		dsn := fmt.Sprintf("host=%s port=%s user=%s dbname=postgres sslmode=disable target_session_attrs=%s",
			strings.Join(hosts, ","), strings.Join(ports, ","), testUser, attrs)
		out, stderr, err := runClient(t, 30*time.Second, nil, "", psql, dsn, "-Atc", "SHOW in_hot_standby")
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("psql target_session_attrs=%s: %q %v %s", attrs, out, err, stderr)
		}
	}
	// DDL and writes through a replica.
	mustExec(t, rc, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	tag := mustExec(t, rc, "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	if tag.String() != "INSERT 0 2" {
		t.Errorf("tag = %q", tag)
	}
	// Read-your-writes on the replica, immediately.
	var n int
	if err := rc.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("replica read after its write: n=%d err=%v", n, err)
	}
	// RETURNING and errors keep their shape.
	var ret string
	if err := rc.QueryRow(ctx, "INSERT INTO t VALUES (3, 'c') RETURNING v || '!'").Scan(&ret); err != nil || ret != "c!" {
		t.Fatalf("RETURNING through a replica: %q %v", ret, err)
	}
	_, err := rc.Exec(ctx, "INSERT INTO t VALUES (1, 'dup')")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("duplicate key through a replica: %v", err)
	}
	// An explicit transaction through a replica, with a savepoint.
	tx, err := rc.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustTx := func(sql string) {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustTx("INSERT INTO t VALUES (10, 'tx')")
	mustTx("SAVEPOINT s")
	mustTx("INSERT INTO t VALUES (11, 'undone')")
	mustTx("ROLLBACK TO SAVEPOINT s")
	if rc.PgConn().TxStatus() != 'T' {
		t.Errorf("tx status in a forwarded transaction = %c", rc.PgConn().TxStatus())
	}
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM t WHERE id >= 10").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read inside a forwarded transaction: %d %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// A failed transaction: aborted state, then rollback.
	tx, _ = rc.Begin(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (1, 'dup')"); err == nil {
		t.Fatal("duplicate accepted")
	}
	if rc.PgConn().TxStatus() != 'E' {
		t.Errorf("tx status after an error = %c, want E", rc.PgConn().TxStatus())
	}
	tx.Rollback(ctx)
	// Writes through every node.
	for i, nd := range c.nodes {
		conn := nd.mustConnect(t)
		for j := 0; j < 20; j++ {
			mustExec(t, conn, "INSERT INTO t VALUES ($1, $2)", 100+i*100+j, nd.id)
		}
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM t WHERE v = $1", nd.id).Scan(&n); err != nil || n != 20 {
			t.Fatalf("%s reads its 20 writes: %d %v", nd.id, n, err)
		}
	}
	// A database created through a replica exists everywhere.
	mustExec(t, rc, "CREATE DATABASE other")
	oc, err := pgx.Connect(ctx, primary.url("other"))
	if err != nil {
		t.Fatalf("database created through a replica: %v", err)
	}
	mustExec(t, oc, "CREATE TABLE o (x int)")
	oc.Close(ctx)
	rows := c.waitConverged("SELECT id, v FROM t ORDER BY id", 20*time.Second)
	if rows != 64 {
		t.Errorf("converged on %d rows, want 64", rows)
	}
	// Where replica reads run.
	if _, err := rc.Exec(ctx, "SET sqlcluster.read_consistency = bogus"); err == nil || !strings.Contains(err.Error(), "22023") {
		t.Errorf("invalid read_consistency: %v", err)
	}
	for _, mode := range []string{"local", "primary", "session"} {
		mustExec(t, rc, "SET sqlcluster.read_consistency = '"+mode+"'")
		if err := rc.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Errorf("read with read_consistency=%s: %v", mode, err)
		}
	}
	// Replication series on the primary's /metrics.
	resp, err := http.Get(primary.adminURL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"sqlcluster_replication_lag_seconds_bucket", "sqlcluster_epoch 1", "sqlcluster_is_primary 1",
		"sqlcluster_replica_lag_transactions{replica=", "sqlcluster_replicated_bytes_total", "sqlcluster_elections_won_total 1", "sqlcluster_snapshot_installs_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("primary /metrics lacks %q", want)
		}
	}
	// Operator view.
	out, err := ctl(t, replica, "leader")
	if err != nil || !strings.Contains(out, primary.id) {
		t.Errorf("sqlclusterctl leader: %v\n%s", err, out)
	}
	out, err = ctl(t, replica, "members")
	if err != nil || strings.Count(out, "\n") < 4 {
		t.Errorf("sqlclusterctl members: %v\n%s", err, out)
	}
	for _, nd := range c.nodes {
		if !strings.Contains(out, nd.id) {
			t.Errorf("members lacks %s:\n%s", nd.id, out)
		}
	}
}

// kill -9 of the primary under a concurrent insert workload: a new primary
// takes over, no acknowledged insert is lost, the old primary restarts and
// converges.
func TestStreamFailover(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	w := newInsertWorkload(c)
	ctx, cancel := context.WithCancel(context.Background())
	wg := w.run(ctx, 8)
	time.Sleep(2 * time.Second)
	before := w.okCount.Load()
	killed := time.Now()
	primary.kill9()
	t.Logf("killed primary %s after %d acknowledged inserts", primary.id, before)
	// A new primary, and writes succeed again.
	var newPrimary *clusterNode
	for newPrimary == nil || newPrimary == primary {
		newPrimary = c.waitPrimary(15 * time.Second)
	}
	deadline := time.Now().Add(15 * time.Second)
	for w.okCount.Load() <= before+10 {
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("writes did not resume after failover (errors: %v)", w.errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("new primary %s; writes resumed %v after the kill", newPrimary.id, time.Since(killed).Round(time.Millisecond))
	time.Sleep(time.Second)
	primary.start()
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second)
	w.check(t, newPrimary)
	w.check(t, primary)
}

// A replica that was down catches up from the log; a new node joins by
// snapshot and is added as a voter with sqlclusterctl.
func TestStreamCatchUpAndJoin(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	pc := primary.mustConnect(t)
	mustExec(t, pc, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	var replica *clusterNode
	for _, n := range c.nodes {
		if n != primary {
			replica = n
		}
	}
	replica.kill9()
	for i := 0; i < 300; i++ {
		mustExec(t, pc, "INSERT INTO t VALUES ($1, repeat('x', 200))", i)
	}
	replica.start()
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second)
	if out, err := ctl(t, primary, "status"); err != nil || !strings.Contains(out, "primary") {
		t.Errorf("sqlclusterctl status on the primary: %v\n%s", err, out)
	}
	n4 := c.addNode("n4")
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second)
	if b, _ := readFile(n4.logPath); !strings.Contains(b, "installed a snapshot") {
		t.Errorf("n4 did not bootstrap from a snapshot")
	}
	out, err := ctl(t, n4, "add", "n4")
	if err != nil {
		t.Fatalf("sqlclusterctl add n4: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err = ctl(t, n4, "members", "--json")
		if err == nil && strings.Count(out, `"voter": true`)+strings.Count(out, `"voter":true`) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n4 is not a voter: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// With four voters a commit needs three nodes; with one replica down it
	// still commits.
	c.node(replica.id).kill9()
	mustExec(t, pc, "INSERT INTO t VALUES (1000, 'after join')")
	out, err = ctl(t, primary, "remove", primary.id)
	if err == nil || !strings.Contains(out, "transfer") {
		t.Errorf("removing the primary should say to transfer first: %v\n%s", err, out)
	}
	out, err = ctl(t, primary, "remove", replica.id)
	if err != nil {
		t.Fatalf("sqlclusterctl remove: %v\n%s", err, out)
	}
	mustExec(t, pc, "INSERT INTO t VALUES (1001, 'after remove')")
}

// Leadership transfer loses no acknowledged write.
func TestStreamTransfer(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	var target *clusterNode
	for _, n := range c.nodes {
		if n != primary {
			target = n
			break
		}
	}
	w := newInsertWorkload(c)
	ctx, cancel := context.WithCancel(context.Background())
	wg := w.run(ctx, 4)
	time.Sleep(time.Second)
	out, err := ctl(t, c.nodes[rand.IntN(3)], "transfer", target.id)
	if err != nil {
		cancel()
		wg.Wait()
		t.Fatalf("sqlclusterctl transfer: %v\n%s", err, out)
	}
	if p := c.waitPrimary(10 * time.Second); p != target {
		t.Errorf("primary after transfer = %s, want %s", p.id, target.id)
	}
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second)
	w.check(t, target)
}

// A transaction whose primary steps down before COMMIT is rolled back and
// reported as 40001, which client retry loops retry, whether it ran on the
// primary itself or was forwarded there from a replica; the retry then
// succeeds on the new primary.
func TestStreamCommitAfterStepDown(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	ctx := testCtx(t)
	// First on the primary itself, then through a replica (forwarded to
	// the primary). One at a time: an open write transaction holds the
	// primary's write lock.
	for i, how := range []string{"on the primary", "forwarded from a replica"} {
		p := c.waitPrimary(10 * time.Second)
		via := p
		if i == 1 {
			via = c.other(p)
		}
		target := c.other(p, via)
		conn := via.mustConnect(t)
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "INSERT INTO t VALUES ($1, 'in a transaction')", i+1)
		// A transfer waits for commits in progress, not for open
		// transactions: this one is still open when the primary steps
		// down.
		if out, err := ctl(t, p, "transfer", target.id); err != nil {
			t.Fatalf("%s: sqlclusterctl transfer: %v\n%s", how, err, out)
		}
		if np := c.waitPrimary(10 * time.Second); np != target {
			t.Fatalf("%s: primary after transfer = %s, want %s", how, np.id, target.id)
		}
		_, err := conn.Exec(ctx, "COMMIT")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "40001" {
			t.Errorf("%s: COMMIT after the primary stepped down: got %v, want SQLSTATE 40001", how, err)
		}
		if st := conn.PgConn().TxStatus(); st != 'I' {
			t.Errorf("%s: transaction status %c after the failed COMMIT, want I (rolled back)", how, st)
		}
		// The retry a client makes on 40001 succeeds.
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, "INSERT INTO t VALUES ($1, 'retried')", i+1)
		mustExec(t, conn, "COMMIT")
	}
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second)
	var n, all int
	if err := c.waitPrimary(10*time.Second).mustConnect(t).QueryRow(ctx, "SELECT count(*) FILTER (WHERE v = 'retried'), count(*) FROM t").Scan(&n, &all); err != nil || n != 2 || all != 2 {
		t.Errorf("rows after the retries: %d retried of %d (%v), want the 2 retried ones only", n, all, err)
	}
}

// A transaction forwarded from a replica lives in one session on the
// primary. If the primary dies while the transaction is open, its next
// statement must fail (40001: rolled back) rather than run, outside any
// transaction, on the new primary; ROLLBACK then succeeds, and nothing of
// the transaction is committed anywhere.
func TestStreamForwardedTxLostWithPrimary(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	via := c.other(primary)
	ctx := testCtx(t)
	conn := via.mustConnect(t)
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO t VALUES (1, 'first half')")
	primary.kill9()
	np := c.waitPrimary(20 * time.Second)
	// Long enough for the replica's forwarded session to notice the lost
	// connection on its own (heartbeats), before the next statement.
	time.Sleep(3 * time.Second)
	// The simple protocol: nothing is asked of the primary before the
	// statement itself runs.
	_, err := conn.Exec(ctx, "INSERT INTO t VALUES (2, 'second half')")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Errorf("a statement of a transaction whose primary died: got %v, want SQLSTATE 40001", err)
	}
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		t.Errorf("ROLLBACK after the transaction was lost: %v", err)
	}
	// The session goes on: a new transaction runs on the new primary.
	mustExec(t, conn, "INSERT INTO t VALUES (3, 'after')")
	var ids []int64
	rows, err := np.mustConnect(t).Query(ctx, "SELECT id FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if rows.Err() != nil || !slices.Equal(ids, []int64{3}) {
		t.Errorf("rows on the new primary: %v (%v), want [3]: nothing of the lost transaction", ids, rows.Err())
	}
}

// A node with the wrong secret or cluster id neither joins nor gets data.
func TestStreamWrongSecretOrCluster(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 1})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	mustExec(t, primary.mustConnect(t), "INSERT INTO t VALUES (1, 'secret')")
	for _, tc := range []struct{ name, flag, value string }{
		{"wrong secret", "--cluster-secret", newSecret(t)},
		{"wrong cluster id", "--cluster-id", "another-cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := c.newNode("intruder", primary.ip, 0)
			n.extra = []string{tc.flag, tc.value}
			c.nodes = append(c.nodes, n)
			n.start()
			time.Sleep(4 * time.Second)
			out, err := ctl(t, primary, "members")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, "intruder") {
				t.Errorf("intruder joined:\n%s", out)
			}
			conn := n.mustConnect(t)
			var cnt int
			err = conn.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&cnt)
			if err == nil {
				t.Errorf("intruder has the table (%d rows)", cnt)
			}
			n.kill9()
			c.nodes = c.nodes[:len(c.nodes)-1]
		})
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// sqlclusterctl backup and restore: a restore is cluster-wide, refused on a
// non-empty cluster without --force, and every node converges to the
// backup's contents.
func TestStreamBackupRestore(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	var replica *clusterNode
	for _, n := range c.nodes {
		if n != primary {
			replica = n
		}
	}
	pc := primary.mustConnect(t)
	mustExec(t, pc, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	for i := 0; i < 200; i++ {
		mustExec(t, pc, "INSERT INTO t VALUES ($1, repeat('b', 300))", i)
	}
	mustExec(t, pc, "CREATE DATABASE extra")
	file := t.TempDir() + "/backup.sqcsnap"
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 20*time.Second)
	out, err := ctl(t, replica, "backup", file)
	if err != nil {
		t.Fatalf("sqlclusterctl backup: %v\n%s", err, out)
	}
	mustExec(t, pc, "DELETE FROM t WHERE id < 100")
	mustExec(t, pc, "CREATE TABLE later (x int)")
	mustExec(t, pc, "DROP DATABASE extra")
	out, err = ctl(t, primary, "restore", file)
	if err == nil || !strings.Contains(out, "--force") {
		t.Fatalf("restore over data should need --force: %v\n%s", err, out)
	}
	out, err = ctl(t, replica, "restore", file, "--force")
	if err == nil || !strings.Contains(out, primary.adminAddr()) {
		t.Fatalf("restore through a replica should name the primary: %v\n%s", err, out)
	}
	out, err = ctl(t, primary, "restore", file, "--force")
	if err != nil {
		t.Fatalf("sqlclusterctl restore: %v\n%s", err, out)
	}
	if n := c.waitConverged("SELECT id, v FROM t ORDER BY id", 30*time.Second); n != 200 {
		t.Errorf("after restore %d rows, want 200", n)
	}
	for _, n := range c.nodes {
		conn := n.mustConnect(t)
		var cnt int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = 'extra'").Scan(&cnt); err != nil || cnt != 1 {
			t.Errorf("%s: database extra after restore: %d %v", n.id, cnt, err)
		}
		if _, err := conn.Exec(context.Background(), "SELECT * FROM later"); err == nil {
			t.Errorf("%s: table created after the backup survived the restore", n.id)
		}
	}
	// The cluster keeps working: writes through a replica.
	mustExec(t, replica.mustConnect(t), "INSERT INTO t VALUES (1000, 'after restore')")
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 20*time.Second)
}

// With no primary electable (two of three nodes down), a write waits a
// bounded time and fails with a clear, retryable error; local reads go on.
func TestStreamNoPrimary(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3})
	primary := c.waitPrimary(10 * time.Second)
	mustExec(t, primary.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	mustExec(t, primary.mustConnect(t), "INSERT INTO t VALUES (1, 'before')")
	var survivor *clusterNode
	for _, n := range c.nodes {
		if n != primary && survivor == nil {
			survivor = n
		}
	}
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 10*time.Second)
	for _, n := range c.nodes {
		if n != survivor {
			n.kill9()
		}
	}
	conn := survivor.mustConnect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := conn.Exec(ctx, "INSERT INTO t VALUES (2, 'no primary')")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || (pe.Code != "57P03" && pe.Code != "25006" && pe.Code != "08007") {
		t.Fatalf("write without a primary: %v, want 57P03", err)
	}
	t.Logf("write without a primary failed after %v: %s %s (hint: %s)", time.Since(start).Round(time.Millisecond), pe.Code, pe.Message, pe.Hint)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Errorf("local read without a primary: %d %v", n, err)
	}
}
