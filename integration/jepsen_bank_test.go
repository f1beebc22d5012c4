package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// bankWorkload: five accounts holding 500 in total. Transfers move money in
// SERIALIZABLE transactions (BEGIN; read both; UPDATE twice; COMMIT), retried on
// 40001; readers sum the balances. Every sum must be 500, no balance may go
// negative, and the converged total is 500: a torn or half-applied
// transaction, or a read of one, breaks the sum.
type bankWorkload struct {
	transferers, readers int
	h                    *history
	mu                   sync.Mutex
	bad                  []string // anomalous reads, as they happened
}

const (
	bankAccounts = 5
	bankTotal    = 500
)

func (w *bankWorkload) name() string { return "bank" }

func (w *bankWorkload) setup(ctx context.Context, conn *pgx.Conn) error {
	return execSetup(ctx, conn, "CREATE TABLE bank (id bigint PRIMARY KEY, balance bigint NOT NULL)",
		"INSERT INTO bank VALUES (0, 100), (1, 100), (2, 100), (3, 100), (4, 100)")
}

func (w *bankWorkload) convergeQuery() string { return "SELECT id, balance FROM bank ORDER BY id" }

func (w *bankWorkload) run(ctx context.Context, c *testCluster, h *history) {
	w.h = h
	tr, rd := w.transferers, w.readers
	if tr == 0 {
		tr, rd = 4, 3
	}
	runClients(tr+rd, func(i int) {
		// Stream mode: the first reader reads on the primary, the
		// others read their replica's local snapshot (also atomic).
		cl := &jclient{c: c, id: i}
		if i == tr {
			cl.consistency = "primary"
		}
		defer cl.close()
		for ctx.Err() == nil {
			conn, err := cl.get(ctx)
			if err != nil {
				return
			}
			if i < tr {
				err = w.transfer(conn, cl, i)
			} else {
				err = w.read(conn, cl, i)
			}
			cl.after(ctx, err)
		}
	})
}

// transfer moves a random amount between two accounts, retrying the whole
// transaction on a serialization failure.
func (w *bankWorkload) transfer(conn *pgx.Conn, cl *jclient, client int) error {
	from := rand.Int64N(bankAccounts)
	to := (from + 1 + rand.Int64N(bankAccounts-1)) % bankAccounts
	amount := 1 + rand.Int64N(20)
	op := jop{Client: client, Node: cl.nodeID(), F: "transfer", Key: from, To: to, Old: amount, Call: w.h.now()}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = w.transferOnce(conn, from, to, amount)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "40001" {
			break
		}
	}
	op.Return, op.Outcome, op.Err = w.h.now(), classify(err), errText(err)
	w.h.add(op)
	return err
}

var errInsufficient = errors.New("insufficient funds")

func (w *bankWorkload) transferOnce(conn *pgx.Conn, from, to, amount int64) error {
	ctx, cancel := opCtx()
	defer cancel()
	// READ COMMITTED (the default) would allow lost updates with these
	// read-then-write transfers, as in PostgreSQL; SERIALIZABLE makes the
	// second of two conflicting transfers fail with 40001.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	var a, b int64
	if err := tx.QueryRow(ctx, "SELECT balance FROM bank WHERE id = $1", from).Scan(&a); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, "SELECT balance FROM bank WHERE id = $1", to).Scan(&b); err != nil {
		return err
	}
	if a < amount {
		return nil // nothing to move; the transaction ends in a rollback
	}
	if _, err := tx.Exec(ctx, "UPDATE bank SET balance = $2 WHERE id = $1", from, a-amount); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE bank SET balance = $2 WHERE id = $1", to, b+amount); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (w *bankWorkload) read(conn *pgx.Conn, cl *jclient, client int) error {
	op := jop{Client: client, Node: cl.nodeID(), F: "sum"}
	ctx, cancel := opCtx()
	defer cancel()
	op.Call = w.h.now()
	var sum, neg int64
	err := conn.QueryRow(ctx, "SELECT sum(balance), sum(CASE WHEN balance < 0 THEN 1 ELSE 0 END) FROM bank").Scan(&sum, &neg)
	op.Return, op.Outcome, op.Err, op.Value = w.h.now(), classify(err), errText(err), sum
	w.h.add(op)
	if err == nil && (sum != bankTotal || neg != 0) {
		w.mu.Lock()
		w.bad = append(w.bad, fmt.Sprintf("bank: a read on %s (consistency %q) saw total %d with %d negative balances", op.Node, cl.consistency, sum, neg))
		w.mu.Unlock()
	}
	return err
}

func (w *bankWorkload) check(ctx context.Context, c *testCluster, _ func() string) []string {
	w.mu.Lock()
	anomalies := append([]string(nil), w.bad...)
	w.mu.Unlock()
	if len(anomalies) > 10 {
		anomalies = append(anomalies[:10], fmt.Sprintf("bank: … %d anomalous reads in all", len(w.bad)))
	}
	for _, n := range c.nodes {
		conn, err := n.connect(ctx)
		if err != nil {
			anomalies = append(anomalies, fmt.Sprintf("bank: connecting to %s: %v", n.id, err))
			continue
		}
		var sum, neg int64
		if c.mode == "stream" {
			_, err = conn.Exec(ctx, "SET sqlcluster.read_consistency = local")
		}
		if err == nil {
			err = conn.QueryRow(ctx, "SELECT sum(balance), sum(CASE WHEN balance < 0 THEN 1 ELSE 0 END) FROM bank").Scan(&sum, &neg)
		}
		conn.Close(ctx)
		if err != nil {
			anomalies = append(anomalies, fmt.Sprintf("bank: final read on %s: %v", n.id, err))
		} else if sum != bankTotal || neg != 0 {
			anomalies = append(anomalies, fmt.Sprintf("bank: final total on %s is %d with %d negative balances", n.id, sum, neg))
		}
	}
	c.t.Logf("bank: %d transfers committed, %d sums read", w.h.count("transfer", outcomeOK), w.h.count("sum", outcomeOK))
	return anomalies
}
