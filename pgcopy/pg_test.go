package pgcopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// The tests in this file replay the case tables against a real PostgreSQL
// 15 so that the expectations stay PostgreSQL's, not this package's. They
// run only when PGCOPY_TEST_DSN points at a scratch database (UTF8), e.g.
//
//	PGCOPY_TEST_DSN=postgres://postgres@127.0.0.1:55450/postgres go test ./pgcopy -run PG
//
// Each case uses a table named t, dropped and recreated.

func pgConnect(t *testing.T) *pgconn.PgConn {
	dsn := os.Getenv("PGCOPY_TEST_DSN")
	if dsn == "" {
		t.Skip("PGCOPY_TEST_DSN not set")
	}
	conn, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func pgExec(t *testing.T, conn *pgconn.PgConn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql).ReadAll(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// lit renders bytes as an E” literal with every byte hex-escaped, so any
// delimiter or NULL string survives the trip.
func lit(s string) string {
	var b strings.Builder
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\x%02x", s[i])
	}
	b.WriteString("'")
	return b.String()
}

func optsSQL(o Options, names []string) string {
	parts := []string{"FORMAT " + o.Format.String()}
	if o.Delimiter != 0 {
		parts = append(parts, "DELIMITER "+lit(string([]byte{o.Delimiter})))
	}
	if o.NullSet {
		parts = append(parts, "NULL "+lit(o.Null))
	}
	if o.HeaderMatch {
		parts = append(parts, "HEADER MATCH")
	} else if o.Header {
		parts = append(parts, "HEADER")
	}
	if o.Quote != 0 {
		parts = append(parts, "QUOTE "+lit(string([]byte{o.Quote})))
	}
	if o.Escape != 0 {
		parts = append(parts, "ESCAPE "+lit(string([]byte{o.Escape})))
	}
	cols := func(idx []int) string {
		var c []string
		for _, i := range idx {
			c = append(c, ident(names[i]))
		}
		return "(" + strings.Join(c, ", ") + ")"
	}
	if o.ForceQuoteAll {
		parts = append(parts, "FORCE_QUOTE *")
	} else if len(o.ForceQuote) > 0 {
		parts = append(parts, "FORCE_QUOTE "+cols(o.ForceQuote))
	}
	if len(o.ForceNotNull) > 0 {
		parts = append(parts, "FORCE_NOT_NULL "+cols(o.ForceNotNull))
	}
	if len(o.ForceNull) > 0 {
		parts = append(parts, "FORCE_NULL "+cols(o.ForceNull))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func createTable(t *testing.T, conn *pgconn.PgConn, names []string) {
	pgExec(t, conn, "DROP TABLE IF EXISTS t")
	if len(names) == 0 {
		pgExec(t, conn, "CREATE TABLE t ()")
		return
	}
	var cols []string
	for _, n := range names {
		cols = append(cols, ident(n)+" text")
	}
	pgExec(t, conn, "CREATE TABLE t (_ord serial, "+strings.Join(cols, ", ")+")")
}

func colList(names []string) string {
	var c []string
	for _, n := range names {
		c = append(c, ident(n))
	}
	return strings.Join(c, ", ")
}

func TestPGDecodeCases(t *testing.T) {
	conn := pgConnect(t)
	ctx := context.Background()
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			names := c.colNames()
			createTable(t, conn, names)
			sql := "COPY t FROM STDIN " + optsSQL(c.opts, names)
			if len(names) > 0 {
				sql = "COPY t (" + colList(names) + ") FROM STDIN " + optsSQL(c.opts, names)
			}
			var got decodeResult
			_, err := conn.CopyFrom(ctx, strings.NewReader(c.in), sql)
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe):
				got.err = pe.Code + ": " + pe.Message
				got.where = pe.Where
			case err != nil:
				t.Fatalf("copy: %v", err)
			case len(names) == 0:
				rr := conn.ExecParams(ctx, "SELECT count(*) FROM t", nil, nil, nil, nil).Read()
				if rr.Err != nil {
					t.Fatal(rr.Err)
				}
				var n int
				fmt.Sscan(string(rr.Rows[0][0]), &n)
				for i := 0; i < n; i++ {
					got.rows = append(got.rows, []string{})
				}
			default:
				rr := conn.ExecParams(ctx, "SELECT "+colList(names)+" FROM t ORDER BY _ord", nil, nil, nil, nil).Read()
				if rr.Err != nil {
					t.Fatal(rr.Err)
				}
				for _, r := range rr.Rows {
					got.rows = append(got.rows, rowStrings(r))
				}
			}
			want := decodeResult{rows: c.rows, err: c.err, where: c.where}
			if want.err != "" {
				// The failed COPY rolled back whatever it had inserted.
				want.rows = nil
			}
			if !sameResult(got, want) {
				t.Errorf("PostgreSQL disagrees:\n  pg %v\ncase %v", got, want)
			}
		})
	}
}

func TestPGEncodeCases(t *testing.T) {
	conn := pgConnect(t)
	ctx := context.Background()
	for _, c := range encodeCases {
		t.Run(c.name, func(t *testing.T) {
			createTable(t, conn, c.names)
			ph := make([]string, len(c.names))
			for i := range ph {
				ph[i] = fmt.Sprintf("$%d", i+1)
			}
			ins := "INSERT INTO t (" + colList(c.names) + ") VALUES (" + strings.Join(ph, ", ") + ")"
			for _, r := range c.rows {
				if _, err := conn.ExecParams(ctx, ins, fieldsOf(r), nil, nil, nil).Close(); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			sql := "COPY (SELECT " + colList(c.names) + " FROM t ORDER BY _ord) TO STDOUT " + optsSQL(c.opts, c.names)
			if _, err := conn.CopyTo(ctx, &out, sql); err != nil {
				t.Fatal(err)
			}
			if out.String() != c.want {
				t.Errorf("PostgreSQL disagrees:\n  pg %q\ncase %q", out.String(), c.want)
			}
		})
	}
}

func optionSQL(o Option) string {
	switch o.Kind {
	case ArgString:
		return o.Name + " " + lit(o.Value)
	case ArgNumber:
		return o.Name + " " + o.Value
	case ArgStar:
		return o.Name + " *"
	case ArgList:
		return o.Name + " (" + colList(o.List) + ")"
	}
	return o.Name
}

func TestPGOptionCases(t *testing.T) {
	conn := pgConnect(t)
	ctx := context.Background()
	createTable(t, conn, []string{"a", "b"})
	// Errors raised after option processing (data errors, FREEZE on an old
	// table) mean the options themselves were accepted.
	optionCodes := map[string]bool{CodeInvalidParameterValue: true, CodeSyntaxError: true, CodeFeatureNotSupported: true}
	for _, c := range optionCases {
		t.Run(c.name, func(t *testing.T) {
			var parts []string
			for _, o := range c.opts {
				// The header option spelled as a string literal would not
				// be the keyword; PostgreSQL treats both the same.
				parts = append(parts, optionSQL(o))
			}
			list := ""
			if len(parts) > 0 {
				list = " (" + strings.Join(parts, ", ") + ")"
			}
			var err error
			if c.dir == To {
				_, err = conn.CopyTo(ctx, &bytes.Buffer{}, "COPY t (a, b) TO STDOUT"+list)
			} else {
				_, err = conn.CopyFrom(ctx, strings.NewReader(""), "COPY t (a, b) FROM STDIN"+list)
			}
			got := ""
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				if optionCodes[pe.Code] {
					got = pe.Code + ": " + pe.Message
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got != c.err {
				t.Errorf("PostgreSQL disagrees:\n  pg %q\ncase %q", got, c.err)
			}
		})
	}
}
