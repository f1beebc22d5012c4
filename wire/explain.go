package wire

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// explain answers EXPLAIN with SQLite's query plan, one "QUERY PLAN" row
// per plan step, indented by depth the way PostgreSQL's text format nests.
func (c *clientConn) explain(ctx context.Context, pt *portal, simple bool) error {
	ex := pt.p.stmt.Explain
	if ex.Analyze {
		return &engine.Error{Code: "0A000", Message: "EXPLAIN ANALYZE is not supported; EXPLAIN shows SQLite's query plan"}
	}
	tr, err := pgsql.Translate(ex.Query, pgsql.TranslateOptions{Database: c.database, User: c.user, Schema: "public"})
	if err != nil {
		return err
	}
	rows, err := c.sess.Query(ctx, "EXPLAIN QUERY PLAN "+tr.SQL, pt.args, engine.StmtOptions{ReadOnly: true, UsesCatalog: tr.UsesCatalog})
	if err != nil {
		return err
	}
	defer rows.Close()
	text, _ := pgtypes.ByName("text")
	cols := explainColumns(text)
	if simple {
		c.send(rowDescription(cols, nil))
	}
	depth := map[int64]int{0: -1}
	vals := make([]any, len(rows.Columns()))
	n := 0
	for {
		if err := rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		id, _ := vals[0].(int64)
		parent, _ := vals[1].(int64)
		detail, _ := vals[3].(string)
		d := depth[parent] + 1
		depth[id] = d
		line := detail
		if d > 0 {
			line = strings.Repeat("  ", d) + "->  " + detail
		}
		c.send(&pgproto3.DataRow{Values: [][]byte{[]byte(line)}})
		n++
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte("EXPLAIN")})
	return nil
}

func explainColumns(text pgtypes.Type) []resultCol {
	return []resultCol{{name: "QUERY PLAN", typ: text}}
}
