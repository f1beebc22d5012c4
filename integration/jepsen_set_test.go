package integration

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// setWorkload: clients insert unique ids through every node. After the
// run, on every node: each acknowledged insert is present (no lost
// writes) and every row present was attempted by some client (no
// phantoms). Unknown-outcome inserts may be present or not.
type setWorkload struct {
	clients int
	pick    func(int) *clusterNode
	next    atomic.Int64
	h       *history
}

func (w *setWorkload) name() string { return "set" }

func (w *setWorkload) setup(ctx context.Context, conn *pgx.Conn) error {
	return execSetup(ctx, conn, "CREATE TABLE jset (id bigint PRIMARY KEY, client int NOT NULL)")
}

func (w *setWorkload) convergeQuery() string { return "SELECT id, client FROM jset ORDER BY id" }

func (w *setWorkload) run(ctx context.Context, c *testCluster, h *history) {
	w.h = h
	clients := w.clients
	if clients == 0 {
		clients = 6
	}
	runClients(clients, func(i int) {
		cl := &jclient{c: c, id: i, pick: w.pick}
		defer cl.close()
		for ctx.Err() == nil {
			conn, err := cl.get(ctx)
			if err != nil {
				return
			}
			op := jop{Client: i, Node: cl.nodeID(), F: "insert", Value: w.next.Add(1)}
			octx, cancel := opCtx()
			op.Call = h.now()
			_, err = conn.Exec(octx, "INSERT INTO jset (id, client) VALUES ($1, $2)", op.Value, i)
			op.Return = h.now()
			cancel()
			op.Outcome, op.Err = classify(err), errText(err)
			h.add(op)
			cl.after(ctx, err)
		}
	})
}

func (w *setWorkload) check(ctx context.Context, c *testCluster, _ func() string) []string {
	attempted, acked := map[int64]bool{}, map[int64]bool{}
	for _, op := range w.h.snapshot() {
		if op.Outcome != outcomeFail {
			attempted[op.Value] = true
		}
		if op.Outcome == outcomeOK {
			acked[op.Value] = true
		}
	}
	var anomalies []string
	for _, n := range c.nodes {
		present, err := readIDs(ctx, n, "SELECT id FROM jset")
		if err != nil {
			anomalies = append(anomalies, fmt.Sprintf("set: reading %s: %v", n.id, err))
			continue
		}
		var lost, phantom []int64
		for id := range acked {
			if !present[id] {
				lost = append(lost, id)
			}
		}
		for id := range present {
			if !attempted[id] {
				phantom = append(phantom, id)
			}
		}
		sort.Slice(lost, func(i, j int) bool { return lost[i] < lost[j] })
		sort.Slice(phantom, func(i, j int) bool { return phantom[i] < phantom[j] })
		if len(lost) > 0 {
			anomalies = append(anomalies, fmt.Sprintf("set: %d of %d acknowledged inserts missing on %s, e.g. %v", len(lost), len(acked), n.id, lost[:min(len(lost), 10)]))
		}
		if len(phantom) > 0 {
			anomalies = append(anomalies, fmt.Sprintf("set: %d rows on %s that no client attempted (or whose insert definitely failed), e.g. %v", len(phantom), n.id, phantom[:min(len(phantom), 10)]))
		}
	}
	c.t.Logf("set: %d acknowledged, %d attempted", len(acked), len(attempted))
	return anomalies
}

// readIDs reads a column of ids on node n, locally (the cluster has
// converged when this runs).
func readIDs(ctx context.Context, n *clusterNode, query string) (map[int64]bool, error) {
	conn, err := n.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if n.c.mode == "stream" {
		if _, err := conn.Exec(ctx, "SET sqlcluster.read_consistency = local"); err != nil {
			return nil, err
		}
	}
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
