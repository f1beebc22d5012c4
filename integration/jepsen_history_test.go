package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// outcome is what a client knows about an operation once it returned.
type outcome string

const (
	outcomeOK      outcome = "ok"      // acknowledged
	outcomeFail    outcome = "fail"    // definitely did not take effect
	outcomeUnknown outcome = "unknown" // may or may not have taken effect
)

// jop is one operation of a history, as invoked and as it returned.
type jop struct {
	Client  int     `json:"client"`
	Node    string  `json:"node"`
	F       string  `json:"f"` // read, write, cas, insert, transfer, sum
	Key     int64   `json:"key"`
	Value   int64   `json:"value"`         // written / read / inserted value
	Old     int64   `json:"old,omitempty"` // cas: expected value; transfer: amount
	To      int64   `json:"to,omitempty"`  // transfer: destination account
	Call    int64   `json:"call_ns"`       // since the start of the history
	Return  int64   `json:"return_ns"`
	Outcome outcome `json:"outcome"`
	Err     string  `json:"err,omitempty"`
}

// history records the operations of one run, from every client.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []jop
	errs  map[string]int
}

func newHistory() *history { return &history{start: time.Now(), errs: map[string]int{}} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(op jop) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
	if op.Err != "" {
		msg := op.Err
		if len(msg) > 80 {
			msg = msg[:80]
		}
		h.errs[msg]++
	}
}

func (h *history) snapshot() []jop {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]jop(nil), h.ops...)
}

func (h *history) count(f string, o outcome) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, op := range h.ops {
		if (f == "" || op.F == f) && op.Outcome == o {
			n++
		}
	}
	return n
}

func (h *history) writeJSON(path string) error {
	b, err := json.MarshalIndent(h.snapshot(), "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// classify decides what an error says about an operation's effect. Only
// errors that the server raises before anything was executed, or after a
// rollback, count as definite failures; every other error (a lost
// connection, a timeout, 08007, an internal error) leaves the outcome
// unknown, which the checkers must allow either way.
func classify(err error) outcome {
	if err == nil {
		return outcomeOK
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "57P03", pe.Code == "25006", pe.Code == "25P02",
			strings.HasPrefix(pe.Code, "23"), strings.HasPrefix(pe.Code, "42"), strings.HasPrefix(pe.Code, "22"):
			return outcomeFail
		}
	}
	return outcomeUnknown
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + " " + pe.Message
	}
	return err.Error()
}

// jclient is one workload client: a connection to some node, replaced by
// a connection to another node (chosen by pick) whenever it fails.
type jclient struct {
	c           *testCluster
	id          int
	pick        func(attempt int) *clusterNode // nil: round-robin over the nodes
	consistency string                         // stream mode: sqlcluster.read_consistency
	conn        *pgx.Conn
	node        *clusterNode
	attempt     int
}

// get returns a live connection, dialing nodes in turn until one answers
// or ctx ends.
func (cl *jclient) get(ctx context.Context) (*pgx.Conn, error) {
	for cl.conn == nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var n *clusterNode
		if cl.pick != nil {
			n = cl.pick(cl.attempt)
		} else {
			n = cl.c.nodes[(cl.id+cl.attempt)%len(cl.c.nodes)]
		}
		cl.attempt++
		if n == nil || !n.alive() {
			sleepCtx(ctx, 20*time.Millisecond)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := n.connect(cctx)
		if err == nil && cl.consistency != "" && cl.c.mode == "stream" {
			_, err = conn.Exec(cctx, "SET sqlcluster.read_consistency = '"+cl.consistency+"'")
			if err != nil {
				conn.Close(context.Background())
			}
		}
		cancel()
		if err != nil {
			sleepCtx(ctx, 50*time.Millisecond)
			continue
		}
		cl.conn, cl.node = conn, n
	}
	return cl.conn, nil
}

// after handles an operation's error: a connection that may be broken is
// dropped so that the next operation dials again, after a short pause that
// keeps a failing node from flooding the history with unknown outcomes.
func (cl *jclient) after(ctx context.Context, err error) {
	if err == nil {
		return
	}
	var pe *pgconn.PgError
	if cl.conn != nil && (cl.conn.IsClosed() || !errors.As(err, &pe) || strings.HasPrefix(pe.Code, "08") || pe.Code == "57P03" || pe.Code == "25006") {
		cl.close()
	}
	sleepCtx(ctx, 100*time.Millisecond)
}

func (cl *jclient) close() {
	if cl.conn != nil {
		cl.conn.Close(context.Background())
		cl.conn, cl.node = nil, nil
	}
}

func (cl *jclient) nodeID() string {
	if cl.node == nil {
		return ""
	}
	return cl.node.id
}

// runClients runs client(i) for i in [0, n) concurrently and waits for
// all of them: every workload's clients.
func runClients(n int, client func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client(i)
		}()
	}
	wg.Wait()
}

// execSetup runs a workload's setup statements on conn.
func execSetup(ctx context.Context, conn *pgx.Conn, stmts ...string) error {
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("workload setup %q: %w", q, err)
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// opCtx bounds one operation: a partitioned node must not hold a client
// forever, and a timed-out operation is recorded as unknown.
func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}
