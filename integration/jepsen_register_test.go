package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// registerWorkload: five integer registers (keys 0..4), read, written and
// compare-and-set by concurrent clients. Every written value is unique. An
// unknown-outcome write stays in the history as a call that returns at the
// end of time (it may have happened at any point after it was invoked).
// The history is checked with porcupine, one partition per key.
type registerWorkload struct {
	clients int
	// pickRead/pickWrite choose nodes for reads and writes; nil spreads
	// both over every node. The stale-reads seeded test reads through
	// replicas and writes through the primary.
	pickRead, pickWrite func(int) *clusterNode
	next                atomic.Int64
	h                   *history
	kept                string // set when the check failed: the visualization's path
}

const registerKeys = 5

func (w *registerWorkload) name() string { return "register" }

func (w *registerWorkload) setup(ctx context.Context, conn *pgx.Conn) error {
	return execSetup(ctx, conn, "CREATE TABLE reg (k bigint PRIMARY KEY, v bigint NOT NULL)",
		"INSERT INTO reg VALUES (0, 0), (1, 0), (2, 0), (3, 0), (4, 0)")
}

func (w *registerWorkload) convergeQuery() string { return "SELECT k, v FROM reg ORDER BY k" }

func (w *registerWorkload) run(ctx context.Context, c *testCluster, h *history) {
	w.h = h
	clients := w.clients
	if clients == 0 {
		clients = 6
	}
	runClients(clients, func(i int) {
		// Separate connections for reads and writes when the seeded
		// test routes them differently; one connection otherwise.
		rd := &jclient{c: c, id: i, pick: w.pickRead, consistency: "primary"}
		wr := rd
		if w.pickWrite != nil {
			wr = &jclient{c: c, id: i, pick: w.pickWrite, consistency: "primary"}
		}
		defer rd.close()
		defer wr.close()
		last := map[int64]int64{} // last value this client saw per key
		for ctx.Err() == nil {
			k := rand.Int64N(registerKeys)
			op := jop{Client: i, Key: k}
			cl := rd
			switch r := rand.IntN(10); {
			case r < 5:
				op.F = "read"
			case r < 8:
				op.F, op.Value, cl = "write", w.next.Add(1), wr
			default:
				op.F, op.Old, op.Value, cl = "cas", last[k], w.next.Add(1), wr
			}
			conn, err := cl.get(ctx)
			if err != nil {
				return
			}
			op.Node = cl.nodeID()
			octx, cancel := opCtx()
			op.Call = h.now()
			switch op.F {
			case "read":
				err = conn.QueryRow(octx, "SELECT v FROM reg WHERE k = $1", k).Scan(&op.Value)
			case "write":
				_, err = conn.Exec(octx, "UPDATE reg SET v = $2 WHERE k = $1", k, op.Value)
			case "cas":
				var tag pgconn.CommandTag
				tag, err = conn.Exec(octx, "UPDATE reg SET v = $3 WHERE k = $1 AND v = $2", k, op.Old, op.Value)
				if err == nil && tag.RowsAffected() != 1 {
					op.Outcome = outcomeFail
				}
			}
			op.Return = h.now()
			cancel()
			if op.Outcome == "" {
				op.Outcome = classify(err)
			}
			op.Err = errText(err)
			if op.Outcome == outcomeOK {
				last[k] = op.Value
			}
			h.add(op)
			cl.after(ctx, err)
		}
	})
}

// regInput and regOutput are what porcupine sees of an operation.
type regInput struct {
	f      string
	k      int64
	v, old int64
}

type regOutput struct {
	v       int64
	ok      bool // cas: whether it applied
	unknown bool
}

// registerModel is a single integer register (the history is partitioned
// by key). An unknown-outcome write or cas is a call without a return: it
// may take effect at any point after its invocation, or never (at the end).
var registerModel = porcupine.Model{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		by := map[int64][]porcupine.Operation{}
		for _, op := range ops {
			k := op.Input.(regInput).k
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for k := int64(0); k < registerKeys; k++ {
			if len(by[k]) > 0 {
				out = append(out, by[k])
			}
		}
		return out
	},
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(int64), input.(regInput), output.(regOutput)
		switch in.f {
		case "read":
			return out.v == s, s
		case "write":
			return true, in.v
		default: // cas
			if out.unknown {
				if s == in.old {
					return true, in.v
				}
				return true, s
			}
			if out.ok {
				return s == in.old, in.v
			}
			return s != in.old, s
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		res := ""
		if out.unknown {
			res = " → ?"
		}
		switch in.f {
		case "read":
			return fmt.Sprintf("read(%d) → %d", in.k, out.v)
		case "write":
			return fmt.Sprintf("write(%d, %d)%s", in.k, in.v, res)
		default:
			if !out.unknown {
				res = fmt.Sprintf(" → %v", out.ok)
			}
			return fmt.Sprintf("cas(%d, %d→%d)%s", in.k, in.old, in.v, res)
		}
	},
	DescribeState: func(state any) string { return fmt.Sprint(state.(int64)) },
}

// operations turns the history into porcupine operations: failed
// operations and failed reads vanish, and unknown writes and cas return at
// the end of time (they may have taken effect at any point after their
// call).
func registerOperations(ops []jop) []porcupine.Operation {
	var end int64
	for _, op := range ops {
		end = max(end, op.Return)
	}
	var out []porcupine.Operation
	for _, op := range ops {
		in := regInput{f: op.F, k: op.Key, v: op.Value, old: op.Old}
		o := porcupine.Operation{ClientId: op.Client, Input: in, Call: op.Call, Return: op.Return}
		switch {
		case op.Outcome == outcomeOK:
			o.Output = regOutput{v: op.Value, ok: true}
		case op.Outcome == outcomeFail && op.F == "cas" && op.Err == "":
			o.Output = regOutput{ok: false} // ran, did not apply
		case op.Outcome == outcomeUnknown && op.F != "read":
			// Kept even when no read returned its value: a failed cas
			// can prove that it happened (the register no longer held
			// the old value), so dropping it would flag a correct
			// history.
			o.Output, o.Return = regOutput{unknown: true}, end+1
		default:
			continue
		}
		out = append(out, o)
	}
	return out
}

// check runs porcupine; on a violation the HTML visualization is written to
// dir.
func (w *registerWorkload) check(ctx context.Context, c *testCluster, dir func() string) []string {
	ops := registerOperations(w.h.snapshot())
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, 60*time.Second)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		c.t.Logf("register: the linearizability check timed out on %d operations (not counted as an anomaly)", len(ops))
		return nil
	}
	path := filepath.Join(dir(), "register.html")
	if err := porcupine.VisualizePath(registerModel, info, path); err != nil {
		c.t.Logf("writing the porcupine visualization: %v", err)
	}
	w.kept = path
	return []string{fmt.Sprintf("register history of %d operations is not linearizable, keys %v (visualization: %s)", len(ops), failingKeys(ops), path)}
}

// failingKeys names the registers whose own history is not linearizable.
func failingKeys(ops []porcupine.Operation) []int64 {
	var keys []int64
	for _, part := range registerModel.Partition(ops) {
		if porcupine.CheckOperationsTimeout(registerModel, part, 30*time.Second) == porcupine.Illegal {
			keys = append(keys, part[0].Input.(regInput).k)
		}
	}
	return keys
}

// TestJepsenCheckHistory re-checks a kept register history:
// SQLCLUSTER_JEPSEN_HISTORY=/tmp/sqlcluster-jepsen-…/history.json.
func TestJepsenCheckHistory(t *testing.T) {
	path := os.Getenv("SQLCLUSTER_JEPSEN_HISTORY")
	if path == "" {
		t.Skip("SQLCLUSTER_JEPSEN_HISTORY not set")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ops []jop
	if err := json.Unmarshal(b, &ops); err != nil {
		t.Fatal(err)
	}
	pops := registerOperations(ops)
	keys := failingKeys(pops)
	t.Logf("%d operations, failing keys %v", len(pops), keys)
	for _, k := range keys {
		for _, op := range ops {
			if op.Key == k && (op.F != "cas" || op.Outcome == outcomeOK || op.Outcome == outcomeUnknown) && op.F != "transfer" {
				t.Logf("%+v", op)
			}
		}
	}
}
