package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// commitRecordEnv names a directory where a stream-mode node appends one
// line per transaction it puts in its log — as the primary that made it,
// as a replica that applied it, or after a crash that it recovered — to
// <dir>/<node-id>.commits.jsonl. It is instrumentation for the fault suite
// (integration/jepsen_*), which merges every node's record after a run and
// fails on two different transactions at the same (epoch, txid): the
// property epochs exist to guarantee. Unlike the replication log, the
// record keeps what a deposed primary wrote and later discarded when it
// was reset by a snapshot, which is exactly where such a collision would
// hide. Like the seeded faults it is switched on by the environment only.
const commitRecordEnv = "SQLCLUSTER_TEST_COMMIT_RECORD"

// commitEntry is one line of the record.
type commitEntry struct {
	Node  string `json:"node"`
	Role  string `json:"role"` // primary, replica or recovered
	Epoch uint64 `json:"epoch"`
	TxID  uint64 `json:"txid"`
	Sum   string `json:"sum"` // the chained checksum: equal sums mean equal histories
	DB    string `json:"db"`
	Kind  string `json:"kind"`
}

var kindNames = map[walstream.Kind]string{walstream.KindPages: "pages", walstream.KindCreate: "create", walstream.KindDrop: "drop"}

type commitRecord struct {
	node string
	mu   sync.Mutex
	f    *os.File
	err  error
}

// openCommitRecord returns nil when the record is not asked for.
func openCommitRecord(nodeID string) (*commitRecord, error) {
	dir := os.Getenv(commitRecordEnv)
	if dir == "" {
		return nil, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, nodeID+".commits.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the commit record (%s): %w", commitRecordEnv, err)
	}
	return &commitRecord{node: nodeID, f: f}, nil
}

// add writes one line with a single write(2) on an O_APPEND file, so a
// kill -9 leaves whole lines behind (the reader drops a torn last one).
// The record is evidence, not state: a failed write is remembered and
// reported at close rather than failing the commit.
func (r *commitRecord) add(role string, t *walstream.Txn) {
	if r == nil {
		return
	}
	line, _ := json.Marshal(commitEntry{Node: r.node, Role: role, Epoch: t.Pos.Epoch, TxID: t.Pos.TxID,
		Sum: fmt.Sprintf("%016x", t.Sum), DB: t.DB, Kind: kindNames[t.Kind]})
	line = append(line, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.f.Write(line); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *commitRecord) close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	if r.err != nil {
		return fmt.Errorf("writing the commit record: %w", r.err)
	}
	return nil
}
