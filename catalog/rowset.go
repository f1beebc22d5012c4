package catalog

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
)

// rowSet accumulates rows for one catalog table and inserts them with as
// few statements as SQLite's parameter limit allows.
type rowSet struct {
	def  *relDef
	idx  map[string]int
	rows [][]any
	err  error
}

func newRowSet(schema, name string) *rowSet {
	d := relDefOf(schema, name)
	rs := &rowSet{def: d, idx: map[string]int{}}
	if d == nil {
		rs.err = fmt.Errorf("catalog: no relation %s.%s", schema, name)
		return rs
	}
	for i, c := range d.cols {
		rs.idx[c.name] = i
	}
	return rs
}

// add appends a row; columns not named take their zero value.
func (rs *rowSet) add(vals map[string]any) {
	if rs.def == nil {
		return
	}
	row := make([]any, len(rs.def.cols))
	for i, c := range rs.def.cols {
		row[i] = c.zeroValue()
	}
	for k, v := range vals {
		i, ok := rs.idx[k]
		if !ok {
			if rs.err == nil {
				rs.err = fmt.Errorf("catalog: %s has no column %q", rs.def.name, k)
			}
			continue
		}
		row[i] = v
	}
	rs.rows = append(rs.rows, row)
}

// insertSQL is the single-row INSERT statement for the table in SQLite
// schema target.
func (rs *rowSet) insertSQL(target string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `INSERT INTO %s."%s" (`, target, rs.def.name)
	for i, c := range rs.def.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + c.name + `"`)
	}
	b.WriteString(") VALUES (")
	b.WriteString(strings.TrimSuffix(strings.Repeat("?,", len(rs.def.cols)), ","))
	b.WriteString(")")
	return b.String()
}

// insert writes the accumulated rows through one prepared statement:
// parsing dominates SQLite's cost for small rows, so the statement is
// compiled once and only bound and stepped per row.
func (rs *rowSet) insert(ctx context.Context, c querier) error {
	return rs.insertInto(ctx, c, rs.def.schema)
}

// insertInto is insert into another SQLite schema (template building).
func (rs *rowSet) insertInto(ctx context.Context, c querier, target string) error {
	if rs.err != nil {
		return rs.err
	}
	if len(rs.rows) == 0 {
		return nil
	}
	p, ok := c.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("catalog: connection cannot prepare statements")
	}
	stmt, err := p.PrepareContext(ctx, rs.insertSQL(target))
	if err != nil {
		return fmt.Errorf("catalog: fill %s.%s: %w", rs.def.schema, rs.def.name, err)
	}
	defer stmt.Close()
	ex, ok := stmt.(driver.StmtExecContext)
	if !ok {
		return fmt.Errorf("catalog: statement cannot execute with context")
	}
	args := make([]driver.NamedValue, len(rs.def.cols))
	for _, row := range rs.rows {
		for i, v := range row {
			args[i] = driver.NamedValue{Ordinal: i + 1, Value: sqlValue(v)}
		}
		if _, err := ex.ExecContext(ctx, args); err != nil {
			return fmt.Errorf("catalog: fill %s.%s: %w", rs.def.schema, rs.def.name, err)
		}
	}
	return nil
}

// sqlValue converts a row value to one the driver binds.
func sqlValue(v any) driver.Value {
	switch x := v.(type) {
	case nil, int64, float64, string, []byte:
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case byte:
		return int64(x)
	}
	return fmt.Sprint(v)
}

// jsonArray encodes a PostgreSQL array value the way the rest of the server
// stores arrays: as JSON array text.
func jsonArray[T any](xs []T) string {
	if xs == nil {
		xs = []T{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}
