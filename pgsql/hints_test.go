package pgsql

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// testSchema holds declared column types as SQLite stores them after
// translation.
var testSchema = map[string]map[string]string{
	"t": {"id": "integer", "name": "text", "price": "numeric(10,2)", "qty": "bigint", "f": "double precision",
		"created": "timestamptz", "flag": "boolean", "tags": "text[]"},
	"u":                {"id": "int", "t_id": "int", "note": "varchar(20)"},
	"pgbench_accounts": {"aid": "int", "bid": "int", "abalance": "int", "filler": "char(84)"},
	"pgbench_tellers":  {"tid": "int", "bid": "int", "tbalance": "int", "filler": "char(84)"},
	"pgbench_branches": {"bid": "int", "bbalance": "int", "filler": "char(88)"},
	"pgbench_history":  {"tid": "int", "bid": "int", "aid": "int", "delta": "int", "mtime": "timestamp", "filler": "char(22)"},
}

func testLookup(table, column string) (string, bool) {
	if table == "" {
		for _, cols := range testSchema {
			if d, ok := cols[column]; ok {
				return d, true
			}
		}
		return "", false
	}
	d, ok := testSchema[table][column]
	return d, ok
}

// hintString renders hints compactly: name|type, or name|{table.col fn} for
// column-derived ones, and * for stars.
func hintString(hs []OutputHint) string {
	var parts []string
	for _, h := range hs {
		s := h.Name + "|" + h.Type
		if h.Column != "" || h.Table != "" {
			s += "{" + h.Table + "." + h.Column
			if h.Func != "" {
				s += " " + h.Func
			}
			s += "}"
		}
		if h.Star {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// The expectations below were checked against PostgreSQL 15 with psql's
// \gdesc (names, and types where the expression alone fixes them).
func TestOutputHints(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select count(*) from t where id > $1", "count|int8"},
		{"SELECT t.id, t.name, u.note AS n, count(*) c FROM t JOIN u ON u.t_id = t.id GROUP BY 1,2,3",
			"id|{t.id}; name|{t.name}; n|{u.note}; c|int8"},
		{"select 1, 1.5, 'a', true, null, 3000000000, 1e3, -7",
			"?column?|int4; ?column?|numeric; ?column?|text; ?column?|bool; ?column?|text; ?column?|int8; ?column?|numeric; ?column?|int4"},
		{"select 1::int, 'a'::text, id::text, cast(id as bigint), cast('1' as numeric(5,1)), '2024-01-01'::date, now()::date from t",
			"int4|int4; text|text; id|text; id|int8; numeric|numeric; date|date; now|date"},
		{"select x::pg_catalog.regtype::pg_catalog.text, 'a'::varchar(3), 1::double precision, 2::\"char\", 3::int[] from t",
			"x|text; varchar|varchar; float8|float8; char|char; int4|int4[]"},
		{"select id + 1, id * 2.0, price * 2, qty + id, -id, f / 2, 2 ^ 3, 7 / 2, 1 + 2.5 from t",
			"?column?|{t.id}; ?column?|; ?column?|{t.price}; ?column?|; ?column?|{t.id}; ?column?|{t.f}; ?column?|float8; ?column?|int4; ?column?|numeric"},
		{"select id = 1, name like 'x', id in (1,2), exists(select 1), not flag, flag and true, id is null, name ~ 'a', name ilike 'b', id between 1 and 2, a is distinct from b from t",
			"?column?|bool; ?column?|bool; ?column?|bool; exists|bool; ?column?|bool; ?column?|bool; ?column?|bool; ?column?|bool; ?column?|bool; ?column?|bool; ?column?|bool"},
		{"select sum(id), sum(qty), avg(f), max(name), min(created), count(distinct id), sum(1), avg(2.5::float8) from t",
			"sum|{t.id sum}; sum|{t.qty sum}; avg|{t.f avg}; max|{t.name max}; min|{t.created min}; count|int8; sum|int8; avg|float8"},
		{"select coalesce(name, 'x'), coalesce(price, 0), abs(id), nullif(id, 0), greatest(1, 2), coalesce(max(id), 0) from t",
			"coalesce|{t.name}; coalesce|{t.price}; abs|{t.id}; nullif|{t.id}; greatest|int4; coalesce|{t.id max}"},
		{"select name || 'x', lower(name), length(name), random(), gen_random_uuid(), pg_backend_pid() from t",
			"?column?|text; lower|text; length|int4; random|float8; gen_random_uuid|uuid; pg_backend_pid|int4"},
		{"select now(), current_timestamp, current_date, localtimestamp, version(), current_user, current_database(), pg_catalog.current_schema()",
			"now|timestamptz; current_timestamp|timestamptz; current_date|date; localtimestamp|timestamp; version|text; current_user|text; current_database|text; current_schema|text"},
		{"select case when flag then 1 else 2 end, case when flag then id end, case when flag then 'a' else 'b' end, case when flag then 1 end::text from t",
			"case|int4; case|{t.id}; case|text; text|text"},
		{"select (select max(id) from t), (select 1), (select u.note from u), array[1,2], ARRAY(select 1), t.*, * from t",
			"max|{t.id max}; ?column?|int4; note|{u.note}; array|int4[]; array|int4[]; *|{t.}*; *|*"},
		{"select row_number() over (order by id), rank() over w, count(*) filter (where flag) from t window w as (order by id)",
			"row_number|int8; rank|int8; count|int8"},
		{`select id as "ID", name "Nm", 1 one, 2 AS Two from t`, "ID|{t.id}; Nm|{t.name}; one|int4; two|int4"},
		{"select round(price, 1), round(2.5), floor(1), ceil(f) from t", "round|numeric; round|numeric; floor|float8; ceil|"},
		{"select extract(year from created), date_part('year', created), to_char(created, 'YYYY'), trim(name), trim(leading 'x' from name), substring(name from 1 for 2), position('a' in name) from t",
			"extract|numeric; date_part|float8; to_char|text; btrim|text; ltrim|text; substring|text; position|int4"},
		{"select date '2024-01-01', interval '1 day', timestamp with time zone '2024-01-01', x.y from (select 1 as y) x",
			"date|date; interval|interval; timestamptz|timestamptz; y|{.y}"},
		{"select distinct on (id) id, name from t", "id|{t.id}; name|{t.name}"},
		{"select a.relname, pg_catalog.format_type(a.atttypid, a.atttypmod), pg_catalog.pg_get_userbyid(1) from pg_catalog.pg_class a",
			"relname|{pg_class.relname}; format_type|text; pg_get_userbyid|name"},
		{"WITH x AS (SELECT 1 AS a) SELECT a FROM x", "a|{x.a}"},
		{"(SELECT 1 AS a) UNION (SELECT 2)", "a|int4"},
		{"SELECT id FROM t UNION ALL SELECT id FROM u ORDER BY 1", "id|{t.id}"},
		{"VALUES (1, 'a'), (2, 'b')", "column1|int4; column2|text"},
		{"TABLE t", "*|*"},
		{"INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id, name AS n, *", "id|{t.id}; n|{t.name}; *|*"},
		{"UPDATE t AS x SET name = 'a' RETURNING x.id, now()", "id|{t.id}; now|timestamptz"},
		{"DELETE FROM u WHERE id = 1 RETURNING note;", "note|{u.note}"},
		{"SELECT $1, $2::int4", "?column?|; int4|int4"},
		{"select 1 from t for update", "?column?|int4"},
	}
	for _, c := range cases {
		if got := hintString(OutputHints(c.in)); got != c.want {
			t.Errorf("OutputHints(%q)\n got: %s\nwant: %s", c.in, got, c.want)
		}
	}
}

func TestOutputHintsNone(t *testing.T) {
	for _, in := range []string{"", "BEGIN", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "SET x = 1",
		"CREATE TABLE t (a int)", "SELECT 'unterminated", "SELECT (1", "DELETE FROM t"} {
		if hs := OutputHints(in); hs != nil {
			t.Errorf("OutputHints(%q) = %v, want nil", in, hs)
		}
	}
}

func TestOutputHintsPsql15(t *testing.T) {
	// Every captured psql query is a SELECT: each must yield one hint per
	// select-list item, named as psql expects.
	for _, p := range psql15Files(t) {
		b := readFile(t, p)
		if hs := OutputHints(b); len(hs) == 0 {
			t.Errorf("%s: no hints", p)
		}
	}
	got := hintString(OutputHints(readFile(t, "testdata/psql15/d_table_1.sql")))
	if want := "oid|{pg_class.oid}; nspname|{pg_namespace.nspname}; relname|{pg_class.relname}"; got != want {
		t.Errorf("d_table_1: got %s, want %s", got, want)
	}
	got = hintString(OutputHints(readFile(t, "testdata/psql15/d_table_8.sql")))
	if want := "oid|{pg_statistic_ext.oid}; stxrelid|regclass; nsp|text; stxname|{pg_statistic_ext.stxname}; columns|; ndist_enabled|bool; deps_enabled|bool; mcv_enabled|bool; stxstattarget|{pg_statistic_ext.stxstattarget}"; got != want {
		t.Errorf("d_table_8: got %s\nwant %s", got, want)
	}
}

func TestParamHints(t *testing.T) {
	cases := []struct {
		in   string
		want map[int]string
	}{
		// The pgwire reference example.
		{"select count(*) from t where id > $1", map[int]string{1: "integer"}},
		{"select * from t where $1 = name and price < $2 and qty <> $3", map[int]string{1: "text", 2: "numeric(10,2)", 3: "bigint"}},
		{"insert into t (id, name, price, created) values ($1, $2, $3, $4), ($5, $6, 1, now())",
			map[int]string{1: "integer", 2: "text", 3: "numeric(10,2)", 4: "timestamptz", 5: "integer", 6: "text"}},
		{"insert into public.t AS x (id, name) select $1, $2", map[int]string{1: "integer", 2: "text"}},
		{"update t set name = $1, price = price + $2 where id = $3", map[int]string{1: "text", 2: "numeric(10,2)", 3: "integer"}},
		{"select * from t where id in ($1, $2) and name not like $3 and f between $4 and $5",
			map[int]string{1: "integer", 2: "integer", 3: "text", 4: "double precision", 5: "double precision"}},
		{"select * from t a join u b on b.t_id = a.id where a.name = $1 and b.note = $2 and b.id <= $3", map[int]string{1: "text", 2: "varchar(20)", 3: "int"}},
		{"select $1::int, cast($2 as timestamptz), $3::text[], CAST(-$4 AS bigint)", map[int]string{1: "int4", 2: "timestamptz", 3: "text[]", 4: "int8"}},
		{"select * from t limit $1 offset $2", map[int]string{1: "int8", 2: "int8"}},
		{"select * from t fetch first $1 rows only", map[int]string{1: "int8"}},
		{"select $1 + 1, $2 || 'x'", map[int]string{1: "int4", 2: "text"}},
		{"select * from t where lower(name) = $1 and id * 2 = $2", map[int]string{1: "text", 2: "integer"}},
		{"delete from t where created < $1 returning id", map[int]string{1: "timestamptz"}},
		{"insert into t (id, name) values ($1, $2) on conflict (id) do update set name = $3", map[int]string{1: "integer", 2: "text", 3: "text"}},
		{"select * from t where name ilike $1 or t.qty = -$2", map[int]string{1: "text", 2: "bigint"}},
		{"select * from t where id = $1::int8 and id = $1", map[int]string{1: "int8"}},
		{"select * from t where id = (select max(id) from u where u.note = $1)", map[int]string{1: "varchar(20)"}},
		{"select $1, $2 from t", nil},
		{"select * from t where x = 1", nil},
		{"select * from nosuch where a = $1", nil},
	}
	for _, c := range cases {
		got := ParamHints(c.in, testLookup)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParamHints(%q)\n got: %v\nwant: %v", c.in, got, c.want)
		}
	}
}

func TestParamHintsPgbench(t *testing.T) {
	want := []map[int]string{
		{1: "int", 2: "int"},
		{1: "int"},
		{1: "int", 2: "int"},
		{1: "int", 2: "int"},
		{1: "int", 2: "int", 3: "int", 4: "int"},
	}
	for i, w := range want {
		if got := ParamHints(pgbenchTPCB[i].in, testLookup); !reflect.DeepEqual(got, w) {
			t.Errorf("ParamHints(%q) = %v, want %v", pgbenchTPCB[i].in, got, w)
		}
	}
}

// TestParamHintsLookup checks which tables the lookup is asked about:
// qualified columns by their alias's table, unqualified ones by each table
// the statement references, then "".
func TestParamHintsLookup(t *testing.T) {
	var calls []string
	lookup := func(table, col string) (string, bool) {
		calls = append(calls, table+"."+col)
		return "", false
	}
	ParamHints("SELECT * FROM t AS a, u WHERE a.x = $1 AND y = $2", lookup)
	if want := []string{"t.x", "t.y", "u.y", ".y"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("lookups %v, want %v", calls, want)
	}
	if ParamHints("SELECT $1", nil) != nil || ParamHints("SELECT 'unterminated", testLookup) != nil {
		t.Error("want nil")
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
