package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// commitEntry is a line of a node's commit record (node/commitrecord.go):
// a transaction the node put in its replication log.
type commitEntry struct {
	Node  string `json:"node"`
	Role  string `json:"role"`
	Epoch uint64 `json:"epoch"`
	TxID  uint64 `json:"txid"`
	Sum   string `json:"sum"`
	DB    string `json:"db"`
	Kind  string `json:"kind"`
}

// checkCommitRecords merges every node's commit record and returns an
// anomaly for each (epoch, txid) that names two different transactions:
// epochs are fencing tokens, so one primary at most ever writes at a
// position, and every node that logs that position logs the same
// transaction (the chained sum covers the transaction and all before it).
// A record with nothing in it while clients saw commits means the record
// is not wired, which would make this checker pass vacuously.
func checkCommitRecords(t *testing.T, dir string, commits bool) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*.commits.jsonl"))
	if err != nil {
		return []string{fmt.Sprintf("reading the commit records: %v", err)}
	}
	type pos struct{ epoch, txid uint64 }
	seen := map[pos]map[string][]string{} // position -> sum -> "node(role)"
	lines := 0
	for _, f := range files {
		entries, err := readCommitRecord(f)
		if err != nil {
			return []string{err.Error()}
		}
		for _, e := range entries {
			p := pos{e.Epoch, e.TxID}
			if seen[p] == nil {
				seen[p] = map[string][]string{}
			}
			seen[p][e.Sum] = append(seen[p][e.Sum], e.Node+"("+e.Role+" "+e.DB+" "+e.Kind+")")
			lines++
		}
	}
	var anomalies []string
	if lines == 0 && commits {
		anomalies = append(anomalies, fmt.Sprintf("the commit records in %s are empty although clients saw commits", dir))
	}
	var bad []pos
	for p, sums := range seen {
		if len(sums) > 1 {
			bad = append(bad, p)
		}
	}
	slices.SortFunc(bad, func(a, b pos) int {
		if a.epoch != b.epoch {
			return int(a.epoch) - int(b.epoch)
		}
		return int(a.txid) - int(b.txid)
	})
	for i, p := range bad {
		if i == 5 {
			anomalies = append(anomalies, fmt.Sprintf("... and %d more positions with different commits", len(bad)-5))
			break
		}
		var parts []string
		for sum, who := range seen[p] {
			parts = append(parts, fmt.Sprintf("sum %s on %s", sum, strings.Join(who, ", ")))
		}
		slices.Sort(parts)
		anomalies = append(anomalies, fmt.Sprintf("different commits at the same (epoch, txid) %d/%d: %s", p.epoch, p.txid, strings.Join(parts, "; ")))
	}
	t.Logf("commit records: %d entries over %d positions from %d nodes, %d positions with different commits", lines, len(seen), len(files), len(bad))
	return anomalies
}

// readCommitRecord reads one node's record; a torn last line (kill -9
// while writing it) is dropped.
func readCommitRecord(path string) ([]commitEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading a commit record: %w", err)
	}
	defer f.Close()
	var out []commitEntry
	sc := bufio.NewScanner(f)
	var torn string
	for sc.Scan() {
		if torn != "" {
			return nil, fmt.Errorf("%s: a line that is not JSON before the end: %q", path, torn)
		}
		var e commitEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			torn = sc.Text()
			continue
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// The run-level checks that have no seeded server bug are checked on
// crafted input: a checker that cannot fail is no checker.
func TestJepsenCheckersOnCraftedInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("n1.commits.jsonl", `{"node":"n1","role":"primary","epoch":2,"txid":7,"sum":"aa","db":"postgres","kind":"pages"}`+"\n")
	write("n2.commits.jsonl", `{"node":"n2","role":"replica","epoch":2,"txid":7,"sum":"aa","db":"postgres","kind":"pages"}`+"\n"+`{"node":"n2","role":"primary","epoch":2,"txid":8,"sum":"bb"`)
	if a := checkCommitRecords(t, dir, true); len(a) != 0 {
		t.Errorf("agreeing records with a torn last line: %v", a)
	}
	write("n3.commits.jsonl", `{"node":"n3","role":"primary","epoch":2,"txid":7,"sum":"cc","db":"postgres","kind":"pages"}`+"\n")
	if a := checkCommitRecords(t, dir, true); len(a) != 1 || !strings.Contains(a[0], "2/7") {
		t.Errorf("two commits at 2/7: got %v", a)
	}
	if a := checkCommitRecords(t, t.TempDir(), true); len(a) != 1 || !strings.Contains(a[0], "empty") {
		t.Errorf("no records although clients committed: got %v", a)
	}

	log := filepath.Join(dir, "server.log")
	n := &clusterNode{id: "n1", logPath: log}
	write("server.log", "time=x level=INFO msg=\"role changed\"\n")
	if a := panicsIn(n); len(a) != 0 {
		t.Errorf("a clean log: %v", a)
	}
	write("server.log", "time=x level=ERROR msg=\"panic serving connection\" panic=boom\npanic: runtime error\n")
	if a := panicsIn(n); len(a) != 2 {
		t.Errorf("a recovered and a fatal panic: got %v", a)
	}
}
