package integration

import (
	"strings"
	"testing"
	"time"
)

// The seeded-bug tests prove that the checkers can fail: each runs the
// server with a deliberate bug (node/faults.go, SQLCLUSTER_TEST_FAULT) and
// passes only when the checker reports the anomaly that bug causes. An
// anomaly may need luck (a read landing in a replica's lag window, a kill
// landing between a commit and its replication), so each retries a bounded
// number of times.

const seededAttempts = 4

func seeded(t *testing.T, fault string, want string, run func(t *testing.T, attempt int) jepsenResult) {
	if testing.Short() {
		t.Skip("seeded fault runs skipped in -short mode")
	}
	for attempt := 1; attempt <= seededAttempts; attempt++ {
		var res jepsenResult
		t.Run("attempt"+string(rune('0'+attempt)), func(t *testing.T) {
			res = run(t, attempt)
		})
		for _, a := range res.anomalies {
			if strings.Contains(a, want) {
				t.Logf("%s detected on attempt %d: %s", fault, attempt, a)
				return
			}
		}
		t.Logf("attempt %d: %s not detected (anomalies: %v)", attempt, fault, res.anomalies)
	}
	t.Errorf("the checker never detected the seeded bug %s in %d attempts", fault, seededAttempts)
}

// stale-reads: replicas answer reads locally although the session asked
// for 'primary' consistency; with writes through the primary and reads
// through replicas, a read misses a write that completed before it began.
func TestSeededStaleReads(t *testing.T) {
	seeded(t, "stale-reads", "not linearizable", func(t *testing.T, _ int) jepsenResult {
		var primary *clusterNode
		w := &registerWorkload{clients: 8}
		w.pickWrite = func(int) *clusterNode { return primary }
		w.pickRead = func(i int) *clusterNode {
			// Replicas only.
			for j := 0; j < len(primary.c.nodes); j++ {
				if n := primary.c.nodes[(i+j)%len(primary.c.nodes)]; n != primary {
					return n
				}
			}
			return nil
		}
		return runJepsen(t, jepsenRun{mode: "stream", fault: "none", workload: w, duration: 6 * time.Second,
			env:     []string{"SQLCLUSTER_TEST_FAULT=stale-reads"},
			onStart: func(c *testCluster) { primary = c.waitPrimary(10 * time.Second) }})
	})
}

// ack-before-replication: the primary acknowledges commits nobody else
// holds; kill -9 of the primary loses them. The window between a commit and
// its replication is short on loopback, so attempts alternate with a
// partition of the primary, during which it acknowledges commits until its
// lease runs out; they are lost when it rejoins and is reset.
func TestSeededAckBeforeReplication(t *testing.T) {
	seeded(t, "ack-before-replication", "acknowledged inserts missing", func(t *testing.T, attempt int) jepsenResult {
		fault := "kill"
		if attempt%2 == 0 {
			fault = "partition"
		}
		return runJepsen(t, jepsenRun{mode: "stream", fault: fault, workload: &setWorkload{clients: 8}, duration: 6 * time.Second,
			env: []string{"SQLCLUSTER_TEST_FAULT=ack-before-replication"}})
	})
}

// skip-epoch-check: a new primary writes in its predecessor's epoch and
// replicas do not compare epochs. With asynchronous replication
// (--sync-replicas 0) a partitioned primary keeps committing until its
// lease runs out; its successor then writes the same txids in the same
// epoch: the commit records show two different transactions at one
// (epoch, txid). (With synchronous replication the partitioned primary's
// clients all wait for acknowledgements of commits the replicas already
// hold, so it rarely commits anything they lack.)
func TestSeededSkipEpochCheck(t *testing.T) {
	seeded(t, "skip-epoch-check", "different commits at the same (epoch, txid)", func(t *testing.T, _ int) jepsenResult {
		return runJepsen(t, jepsenRun{mode: "stream", fault: "partition", workload: &setWorkload{clients: 8}, duration: 6 * time.Second,
			env: []string{"SQLCLUSTER_TEST_FAULT=skip-epoch-check"}, args: []string{"--sync-replicas", "0"}})
	})
}
