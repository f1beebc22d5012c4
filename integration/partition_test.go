package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// epochWatch polls every node's /status and remembers which nodes claimed
// the primary role in which epoch: two primaries in one epoch is the split
// brain the epochs exist to prevent.
type epochWatch struct {
	mu      sync.Mutex
	holders map[uint64]map[string]bool
	stop    chan struct{}
	done    chan struct{}
}

func watchEpochs(c *testCluster) *epochWatch {
	w := &epochWatch{holders: map[uint64]map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for _, n := range c.nodes {
				if !n.alive() {
					continue
				}
				st, err := n.status()
				if err != nil || st.Role != "primary" {
					continue
				}
				w.mu.Lock()
				if w.holders[st.Cluster.Epoch] == nil {
					w.holders[st.Cluster.Epoch] = map[string]bool{}
				}
				w.holders[st.Cluster.Epoch][n.id] = true
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *epochWatch) check(t *testing.T) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for epoch, nodes := range w.holders {
		if len(nodes) > 1 {
			t.Errorf("epoch %d had %d primaries: %v", epoch, len(nodes), nodes)
		}
	}
	t.Logf("primaries by epoch: %v", w.holders)
}

// A partition that isolates the primary: the majority elects a new
// primary and keeps committing, the isolated primary commits nothing that
// is acknowledged, no epoch ever has two primaries, and after healing the
// old primary rejoins (reset if it diverged) and every node converges with
// every acknowledged insert present.
func TestStreamPartitionIsolatesPrimary(t *testing.T) {
	c := startCluster(t, clusterOpts{n: 3, netns: true})
	watch := watchEpochs(c)
	old := c.waitPrimary(15 * time.Second)
	mustExec(t, old.mustConnect(t), "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	w := newInsertWorkload(c)
	ctx, cancel := context.WithCancel(context.Background())
	wg := w.run(ctx, 6)
	time.Sleep(2 * time.Second)
	before := w.okCount.Load()
	isolated := old.mustConnect(t)
	for _, n := range c.nodes {
		if n != old {
			c.lab.cut(old.host, n.host)
		}
	}
	cut := time.Now()
	// A write that reaches the isolated primary commits there but can
	// never be acknowledged: it must fail, and vanish after the heal.
	isolatedErr := make(chan error, 1)
	go func() {
		ictx, icancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer icancel()
		_, err := isolated.Exec(ictx, "INSERT INTO t VALUES (-1, 'isolated')")
		isolatedErr <- err
	}()
	// The majority side elects a new primary.
	var fresh *clusterNode
	deadline := time.Now().Add(20 * time.Second)
	for fresh == nil {
		for _, n := range c.nodes {
			if st, err := n.status(); n != old && err == nil && st.Role == "primary" {
				fresh = n
			}
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("no new primary on the majority side")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The isolated primary steps down.
	deadline = time.Now().Add(10 * time.Second)
	for {
		st, err := old.status()
		if err == nil && st.Role != "primary" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the isolated primary %s did not step down", old.id)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("new primary %s elected %v after the cut", fresh.id, time.Since(cut).Round(time.Millisecond))
	for w.okCount.Load() < before+50 {
		if time.Since(cut) > 30*time.Second {
			t.Fatalf("the majority did not keep committing (errors %v)", w.errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-isolatedErr; err == nil {
		t.Errorf("a write to the isolated primary was acknowledged")
	} else {
		t.Logf("write to the isolated primary: %v", err)
	}
	time.Sleep(2 * time.Second)
	c.lab.heal(len(c.nodes))
	time.Sleep(3 * time.Second)
	cancel()
	wg.Wait()
	watch.check(t)
	c.waitConverged("SELECT id, v FROM t ORDER BY id", 40*time.Second)
	w.check(t, fresh)
	w.check(t, old)
	var n int
	if err := old.mustConnect(t).QueryRow(context.Background(), "SELECT count(*) FROM t WHERE id = -1").Scan(&n); err != nil || n != 0 {
		t.Errorf("the unacknowledged write of the isolated primary survived: %d %v", n, err)
	}
	if log, _ := readFile(old.logPath); !strings.Contains(log, "installing a snapshot from the primary") {
		t.Errorf("the old primary, which had a transaction nobody else has, was not reset by a snapshot")
	}
}
