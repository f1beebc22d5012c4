package catalog

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sqlcluster/sqlcluster/pgsql"
)

// TestOracleClientQueries runs the catalog queries psql 15 and pgjdbc 42.5
// send (captured from a real server's log into testdata/queries) against
// PostgreSQL and, translated, against the emulated catalog, and requires
// the same results once OIDs are replaced by the objects they name. The
// per-table queries (\d NAME, getColumns, ResultSetMetaData) are replayed
// for every table, view and index of testdata/schema.sql and
// testdata/schema_extra.sql.
func TestOracleClientQueries(t *testing.T) {
	dsn := startPostgres(t)
	schema := readTestdata(t, "schema.sql") + readTestdata(t, "schema_extra.sql")
	pg := createOracleDB(t, dsn, schema)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	o := &oracle{t: t, ctx: ctx, pg: pg, requireUsesCatalog: true}
	if err := pg.QueryRow(ctx, "SELECT current_database()").Scan(&o.db); err != nil {
		t.Fatal(err)
	}
	o.tc = openTestConn(t, newTestDriver(t), "")
	o.tc.execScript(schema) // the schema files are valid SQLite as written
	o.tc.info = Info{Databases: []string{o.db}, Database: o.db, User: "postgres"}
	o.tc.refresh()
	var err error
	if o.pgNames, err = pgObjectNames(ctx, pg); err != nil {
		t.Fatal(err)
	}
	o.liteNames = liteObjectNames(t, o.tc)

	files, _ := filepath.Glob(filepath.Join("testdata", "queries", "*.sql"))
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no captured queries in testdata/queries")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		o.run(name, src)
		if lite, err := os.ReadFile(strings.TrimSuffix(f, ".sql") + ".sqlite"); err == nil {
			// A hand translation where the translator falls short: it checks
			// the catalog side on its own.
			o.runWith(name+"#manual", src, string(lite))
			for _, rel := range []string{"users", "items", "item_notes"} {
				o.runWith(name+"#manual@"+rel, retarget(src, "orders", rel), retarget(string(lite), "orders", rel))
			}
		}
		// Replay per-object queries for the other objects.
		switch {
		case strings.HasPrefix(name, "psql_d_users_") && !strings.HasPrefix(name, "psql_d_users_pkey"),
			name == "jdbc_getColumns_01", name == "jdbc_rsmd_01":
			for _, rel := range []string{"items", "item_notes", "cheap_items"} {
				o.run(name+"@"+rel, retarget(src, "users", rel))
			}
		case strings.HasPrefix(name, "psql_d_users_pkey_"):
			for _, ix := range []string{"items_pk", "items_title_lower", "items_qty_desc", "items_partial", "users_email_key", "orders_user_id_note_key"} {
				o.run(name+"@"+ix, retarget(src, "users_pkey", ix))
			}
		}
	}
}

// retarget points a captured per-object query at another object.
func retarget(src, from, to string) string {
	r := strings.NewReplacer("{{oid:"+from+"}}", "{{oid:"+to+"}}", "'^("+from+")$'", "'^("+to+")$'",
		"LIKE '"+from+"'", "LIKE '"+to+"'", "relname = '"+from+"'", "relname = '"+to+"'")
	return r.Replace(src)
}

type oracle struct {
	t                  *testing.T
	ctx                context.Context
	pg                 *pgx.Conn
	tc                 *testConn
	db                 string
	pgNames, liteNames map[string]string
	requireUsesCatalog bool // the queries all read the catalog
}

func (o *oracle) run(name, src string) { o.runWith(name, src, "") }

// runWith compares src on PostgreSQL with its translation on SQLite, or
// with lite (already SQLite SQL) when given.
func (o *oracle) runWith(name, src, lite string) {
	o.t.Run(name, func(t *testing.T) {
		if reason, ok := oracleSkips[strings.SplitN(name, "@", 2)[0]]; ok && lite == "" {
			t.Skip(reason)
		}
		ctx, pg, tc := o.ctx, o.pg, o.tc
		pgSQL, err := substituteOIDs(src, func(rel string) (uint32, error) {
			var oid uint32
			err := pg.QueryRow(ctx, "SELECT oid FROM pg_class WHERE relname = $1", rel).Scan(&oid)
			return oid, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if lite == "" {
			lite = src
		}
		liteSrc, err := substituteOIDs(lite, func(rel string) (uint32, error) {
			return tc.cat.RelationOID(ctx, rel)
		})
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgQuery(ctx, pg, pgSQL)
		if err != nil {
			t.Fatalf("PostgreSQL: %v", err)
		}
		tr := pgsql.Translation{SQL: liteSrc, UsesCatalog: true}
		if !strings.Contains(name, "#manual") {
			if tr, err = pgsql.Translate(liteSrc, pgsql.TranslateOptions{Database: o.db, User: "postgres"}); err != nil {
				t.Fatalf("translate: %v", err)
			}
			if o.requireUsesCatalog && !tr.UsesCatalog {
				t.Errorf("translation does not report UsesCatalog")
			}
		}
		if err := tc.cat.Refresh(ctx, tc.info); err != nil {
			t.Fatal(err)
		}
		got, err := liteQuery(ctx, tc.q, tr.SQL)
		if err != nil {
			t.Fatalf("SQLite: %v\n%s", err, tr.SQL)
		}
		var keep func([]string) bool
		if f := oracleRowFilters[name]; f != nil {
			keep = func(row []string) bool { return f(row, o.db) }
		}
		wantRows := normalizeRows(want.rows, want.types, o.pgNames, keep)
		gotRows := normalizeRows(got, want.types, o.liteNames, keep)
		if !strings.Contains(strings.ToUpper(src), "ORDER BY") {
			// Without ORDER BY the row order is the plan's business.
			sort.Strings(wantRows)
			sort.Strings(gotRows)
		}
		if d := diffRows(wantRows, gotRows); d != "" {
			t.Errorf("results differ (columns %v):\n%s\nSQLite SQL:\n%s", want.cols, d, tr.SQL)
		}
	})
}

// oracleSkips are captured queries the translator cannot handle yet; a
// hand translation next to them (.sqlite) still checks the catalog side.
var oracleSkips = map[string]string{
	"jdbc_getPrimaryKeys_01": "uses information_schema._pg_expandarray (set-returning composite) — translator gap",
	"jdbc_getIndexInfo_01":   "uses information_schema._pg_expandarray (set-returning composite) — translator gap",
}

// oracleRowFilters keep only rows the emulation is expected to reproduce:
// \l lists template databases the server has and the emulation does not.
var oracleRowFilters = map[string]func(row []string, db string) bool{
	"psql_l_01": func(row []string, db string) bool { return row[0] == db },
}

var placeholderRE = regexp.MustCompile(`\{\{oid:([a-z_]+)\}\}`)

func substituteOIDs(src string, lookup func(string) (uint32, error)) (string, error) {
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(src, func(m string) string {
		rel := placeholderRE.FindStringSubmatch(m)[1]
		oid, err := lookup(rel)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("oid of %s: %w", rel, err)
		}
		return strconv.FormatUint(uint64(oid), 10)
	})
	return out, firstErr
}

// pgObjectNames maps the OIDs of user objects to stable symbolic names.
func pgObjectNames(ctx context.Context, pg *pgx.Conn) (map[string]string, error) {
	m := map[string]string{}
	for _, q := range []string{
		"SELECT oid::text, 'rel:' || relname FROM pg_class WHERE oid >= 16384",
		"SELECT oid::text, 'con:' || conname FROM pg_constraint WHERE oid >= 16384",
		"SELECT oid::text, 'db:' || datname FROM pg_database WHERE oid >= 16384",
	} {
		rows, err := pg.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return nil, err
			}
			m[k] = v
		}
		rows.Close()
	}
	return m, nil
}

func liteObjectNames(t *testing.T, tc *testConn) map[string]string {
	m := map[string]string{}
	for _, q := range []string{
		"SELECT oid, 'rel:' || relname FROM pg_catalog.pg_class WHERE oid >= 16384",
		"SELECT oid, 'con:' || conname FROM pg_catalog.pg_constraint",
		"SELECT oid, 'db:' || datname FROM pg_catalog.pg_database",
	} {
		for _, r := range tc.mustQuery(q) {
			m[r[0]] = r[1]
		}
	}
	return m
}

// liteQuery runs a query on the SQLite connection, rendering values as
// text the way the server's wire layer would for text columns.
func liteQuery(ctx context.Context, q querier, sql string) ([][]*string, error) {
	rows, err := q.QueryContext(ctx, sql, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]*string
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		err := rows.Next(dest)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		row := make([]*string, len(dest))
		for i, v := range dest {
			if v != nil {
				s := render(v)
				if f, ok := v.(float64); ok {
					s = formatFloat8(f)
				}
				row[i] = &s
			}
		}
		out = append(out, row)
	}
}

var castRE = regexp.MustCompile(`\(([0-9.]+)\)::[a-z ]+|'(-?[0-9.]+)'::[a-z ]+|::[a-z ]+`)

// normalizeRows renders rows for comparison: booleans as t/f (SQLite
// stores 1/0), user-object OIDs as the objects' names, and CHECK
// constraint text without PostgreSQL's inserted casts.
func normalizeRows(rows [][]*string, types []uint32, names map[string]string, keep func([]string) bool) []string {
	var out []string
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, p := range r {
			if p == nil {
				cells[i] = "NULL"
				continue
			}
			s := *p
			if i < len(types) && types[i] == oidBool {
				switch s {
				case "1":
					s = "t"
				case "0":
					s = "f"
				}
			}
			if i < len(types) && types[i] == oidOid {
				if n, ok := names[s]; ok {
					s = n
				}
			}
			if strings.HasPrefix(s, "CHECK ") {
				s = castRE.ReplaceAllString(s, "$1$2")
			}
			cells[i] = s
		}
		if keep != nil && !keep(cells) {
			continue
		}
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

func diffRows(want, got []string) string {
	if strings.Join(want, "\n") == strings.Join(got, "\n") {
		return ""
	}
	var b strings.Builder
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := " "
		if w != g {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s want: %s\n%s  got: %s\n", mark, w, mark, g)
	}
	return b.String()
}

// TestOracleFunctions evaluates expressions with PostgreSQL and with the
// translated SQL on SQLite and requires identical text results.
func TestOracleFunctions(t *testing.T) {
	dsn := startPostgres(t)
	pg := createOracleDB(t, dsn, "SELECT 1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o := &oracle{t: t, ctx: ctx, pg: pg, pgNames: map[string]string{}, liteNames: map[string]string{}}
	if err := pg.QueryRow(ctx, "SELECT current_database()").Scan(&o.db); err != nil {
		t.Fatal(err)
	}
	o.tc = openTestConn(t, newTestDriver(t), "")
	o.tc.info = Info{Databases: []string{o.db}, Database: o.db, User: "postgres"}
	o.tc.refresh()

	var oids []string
	for _, ty := range builtinTypes {
		oids = append(oids, strconv.FormatUint(uint64(ty.oid), 10))
	}
	in := strings.Join(oids, ",")
	queries := map[string]string{
		"format_type": "SELECT oid, format_type(oid, NULL), format_type(oid, -1), typname, typlen, typelem, typarray, typcategory FROM pg_catalog.pg_type WHERE oid IN (" + in + ") ORDER BY oid",
		"format_type_mods": `SELECT format_type(1043, 4), format_type(1043, 260), format_type(1042, 14), format_type(1700, 1310724),
			format_type(1700, 65540), format_type(1184, 0), format_type(1083, 6), format_type(1562, 1), format_type(1015, 14), format_type(1231, 65540)`,
		"like": `SELECT 'abc' LIKE 'a%', 'ABC' LIKE 'a%', 'abc' LIKE '_b_', 'a_c' LIKE 'a\_c', 'abc' LIKE 'a\_c', 'a%c' LIKE 'a\%c',
			'héllo' LIKE 'h_llo', 'aaa' LIKE '%a%a%a%', 'aa' LIKE '%a%a%a%', 'a_c' LIKE 'a#_c' ESCAPE '#', 'abc' NOT LIKE 'a%', '' LIKE '%', 'x' LIKE ''`,
		"ilike": `SELECT 'ABC' ILIKE 'a%', 'ÄBC' ILIKE 'äb_', 'abc' ILIKE 'a\%', 'A%' ILIKE 'a\%', 'xyz' ILIKE 'a%', 'abc' NOT ILIKE 'A%'`,
		"regex": `SELECT 'users' ~ '^(users)$', 'pg_toast' ~ '^pg_', 'public' !~ '^pg_', 'ABC' ~* 'abc', 'ABC' !~* 'abc', 'the cat' ~ '\ycat\y', 'concat' ~ '\ycat\y',
			'a1b2' ~ '[[:digit:]]b', 'users' OPERATOR(pg_catalog.~) '^(users)$'`,
		"text": `SELECT left('abcdé', 2), left('abcdé', -2), right('abcdé', 2), right('abc', -1), strpos('héllo', 'llo'), split_part('a,b,c', ',', 2),
			split_part('a,b,c', ',', -1), split_part('a,b,c', ',', 5), btrim('xxaxx', 'x'), lpad('hi', 5, 'xy'), rpad('hi', 5), lpad('hello', 2), md5('abc'),
			greatest(1, NULL, 3, 2), least(1, NULL, 3, 2), quote_ident('Abc'), quote_ident('select'), quote_ident('a"b'), quote_ident('left'), quote_ident('name'),
			quote_literal('it''s'), upper('héllo'), initcap('hello wORLD-x'), reverse('abc'), repeat('ab', 3), char_length('héllo'), translate('12345', '143', 'ax'),
			to_hex(255), concat_ws(',', 'a', NULL, 'b'), length('héllo'), replace('abc', 'b', 'x')`,
		"size_pretty": `SELECT pg_size_pretty(0::bigint), pg_size_pretty(10239::bigint), pg_size_pretty(10240::bigint), pg_size_pretty(10485759::bigint),
			pg_size_pretty(10485760::bigint), pg_size_pretty(1073741824::bigint), pg_size_pretty(1099511627776::bigint), pg_size_pretty(1125899906842624::bigint),
			pg_size_pretty(-10240::bigint), pg_size_pretty(-5::bigint), pg_size_pretty(9223372036854775807::bigint), pg_size_pretty(123456789::bigint)`,
		"session": `SELECT current_database() = '` + o.db + `', pg_encoding_to_char(6), pg_get_userbyid(10), pg_get_userbyid(6171),
			has_table_privilege('pg_class', 'SELECT'), current_setting('standard_conforming_strings'), current_setting('DateStyle'), current_setting('integer_datetimes')`,
		"catalog_rows": `SELECT n.nspname, n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname IN ('pg_catalog', 'public', 'information_schema', 'pg_toast') ORDER BY 1`,
		"am":           `SELECT oid, amname, amtype FROM pg_catalog.pg_am ORDER BY oid`,
		"regclass": `SELECT 'pg_class'::regclass::oid, 'pg_catalog.pg_type'::regclass::oid, 'pg_attribute'::regclass::oid, 1259::regclass::text, 'int4'::regtype::oid, 23::regtype::text,
			'pg_catalog'::regnamespace::oid, 2200::regnamespace::text`,
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o.run(n, queries[n])
	}
}
