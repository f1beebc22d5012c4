package catalog

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// sqlErrCode runs a one-value query and returns its value or the SQLSTATE
// of its error ("ERR:<code>", or "ERR:<message>" without one).
func (tc *testConn) valueOrCode(sql string, args ...any) string {
	tc.t.Helper()
	rows, err := tc.query(sql, args...)
	if err != nil {
		if code, _, ok := ErrorCode(err.Error()); ok {
			return "ERR:" + code
		}
		return "ERR:" + err.Error()
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		tc.t.Fatalf("%s: want one value, got %v", sql, rows)
	}
	return rows[0][0]
}

// formatTypeCases were produced by PostgreSQL 15.18 (format_type(oid,
// typmod) and format_type(oid, NULL)).
var formatTypeCases = []struct {
	oid          uint32
	typmod       int64
	want, wantNo string
}{
	{16, -1, "boolean", "boolean"}, {17, -1, "bytea", "bytea"}, {18, -1, `"char"`, `"char"`},
	{19, -1, "name", "name"}, {20, -1, "bigint", "bigint"}, {21, -1, "smallint", "smallint"},
	{23, -1, "integer", "integer"}, {25, -1, "text", "text"}, {26, -1, "oid", "oid"},
	{114, -1, "json", "json"}, {700, -1, "real", "real"}, {701, -1, "double precision", "double precision"},
	{1042, -1, "bpchar", "character"}, {1042, 5, "character(1)", "character"},
	{1043, -1, "character varying", "character varying"}, {1043, 24, "character varying(20)", "character varying"},
	{1082, -1, "date", "date"}, {1083, -1, "time without time zone", "time without time zone"},
	{1083, 3, "time(3) without time zone", "time without time zone"},
	{1114, -1, "timestamp without time zone", "timestamp without time zone"},
	{1114, 0, "timestamp(0) without time zone", "timestamp without time zone"},
	{1184, -1, "timestamp with time zone", "timestamp with time zone"},
	{1184, 6, "timestamp(6) with time zone", "timestamp with time zone"},
	{1186, -1, "interval", "interval"}, {1186, 2147418115, "interval(3)", "interval"},
	{1186, 327679, "interval year", "interval"}, {1186, 470351871, "interval day to second", "interval"},
	{1186, 470286339, "interval day to second(3)", "interval"},
	{1266, -1, "time with time zone", "time with time zone"}, {1266, 2, "time(2) with time zone", "time with time zone"},
	{1560, -1, `"bit"`, "bit"}, {1560, 8, "bit(8)", "bit"}, {1562, -1, "bit varying", "bit varying"},
	{1562, 16, "bit varying(16)", "bit varying"}, {1700, -1, "numeric", "numeric"},
	{1700, 655366, "numeric(10,2)", "numeric"}, {1700, 655364, "numeric(10,0)", "numeric"},
	{2205, -1, "regclass", "regclass"}, {2206, -1, "regtype", "regtype"}, {2950, -1, "uuid", "uuid"},
	{3802, -1, "jsonb", "jsonb"}, {1000, -1, "boolean[]", "boolean[]"}, {1007, -1, "integer[]", "integer[]"},
	{1015, 24, "character varying(20)[]", "character varying[]"}, {1009, -1, "text[]", "text[]"},
	{1231, 655366, "numeric(10,2)[]", "numeric[]"},
	{1185, -1, "timestamp with time zone[]", "timestamp with time zone[]"},
	{22, -1, "int2vector", "int2vector"}, {30, -1, "oidvector", "oidvector"}, {1002, -1, `"char"[]`, `"char"[]`},
	{0, -1, "-", "-"}, {99999, -1, "???", "???"}, {2249, -1, "record", "record"}, {2277, -1, "anyarray", "anyarray"},
	{1033, -1, "aclitem", "aclitem"}, {869, -1, "inet", "inet"}, {3904, -1, "int4range", "int4range"},
	{5038, -1, "pg_snapshot", "pg_snapshot"}, {1014, -1, "bpchar[]", "character[]"}, {1014, 8, "character(4)[]", "character[]"},
}

func TestFormatType(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	for _, c := range formatTypeCases {
		if got := tc.one(`SELECT format_type(?1, ?2)`, int64(c.oid), c.typmod); got != c.want {
			t.Errorf("format_type(%d, %d) = %q, want %q", c.oid, c.typmod, got, c.want)
		}
		if got := tc.one(`SELECT format_type(?1, NULL)`, int64(c.oid)); got != c.wantNo {
			t.Errorf("format_type(%d, NULL) = %q, want %q", c.oid, got, c.wantNo)
		}
	}
	if got := tc.one(`SELECT format_type(NULL, 4)`); got != "NULL" {
		t.Errorf("format_type(NULL, 4) = %q", got)
	}
}

func TestPgCast(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(userSchemaSQL)
	tc.refresh()
	usersOID, err := tc.cat.RelationOID(context.Background(), "users")
	if err != nil {
		t.Fatal(err)
	}
	u := strconv.FormatUint(uint64(usersOID), 10)
	cases := []struct {
		v    any
		typ  string
		want string
	}{
		{"t", "bool", "1"}, {"yes", "boolean", "1"}, {" On ", "bool", "1"}, {"of", "bool", "0"},
		{"FALSE", "pg_catalog.bool", "0"}, {"1", "bool", "1"}, {int64(0), "bool", "0"}, {int64(7), "bool", "1"},
		{"o", "bool", "ERR:22P02"}, {"maybe", "bool", "ERR:22P02"}, {"", "bool", "ERR:22P02"},
		{`\x4142`, "bytea", `\x4142`}, {`\xZZ`, "bytea", "ERR:22023"}, {[]byte("AB"), "bytea", `\x4142`},
		{"2020-01-02 03:04:05+02", "timestamptz", "2020-01-02 01:04:05+00:00"},
		{"2020-01-02 03:04:05.5", "timestamp with time zone", "2020-01-02 03:04:05.5+00:00"},
		{"2020-01-02 03:04:05.25", "timestamp", "2020-01-02 03:04:05.25"},
		{"2020-01-02", "date", "2020-01-02"}, {"2020-13-01", "date", "ERR:22008"}, {"garbage", "date", "ERR:22007"},
		{"10:11:12", "time", "10:11:12"}, {"1 day 2 hours", "interval", "1 day 02:00:00"},
		{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"xyz", "uuid", "ERR:22P02"},
		{`{"a": 1}`, "json", `{"a": 1}`}, {`{"b":1, "a":2}`, "jsonb", `{"a": 2, "b": 1}`},
		{`{bad`, "json", "ERR:22P02"}, {`{bad`, "jsonb", "ERR:22P02"},
		{"users", "regclass", u}, {"public.users", "regclass", u}, {"USERS", "regclass", u},
		{`"USERS"`, "regclass", "ERR:42P01"}, {"nosuch", "regclass", "ERR:42P01"},
		{"pg_class", "pg_catalog.regclass", "1259"}, {"pg_catalog.pg_attribute", "regclass", "1249"},
		{u, "regclass", u}, {int64(usersOID), "regclass", "users"}, {int64(1259), "regclass", "pg_class"},
		{int64(424242), "regclass", "424242"},
		{int64(23), "regtype", "integer"}, {int64(1043), "regtype", "character varying"},
		{"character varying(20)", "regtype", "1043"}, {"int4[]", "regtype", "1007"}, {"nosuch", "regtype", "ERR:42704"},
		{int64(2200), "regnamespace", "public"}, {"pg_catalog", "regnamespace", "11"}, {"nope", "regnamespace", "ERR:3F000"}, {"nosuch", "regrole", "ERR:42704"},
		{int64(10), "regrole", "postgres"}, {"postgres", "regrole", "10"},
		{"42", "oid", "42"}, {"x42", "oid", "ERR:22P02"}, {int64(-1), "oid", "4294967295"},
		{"{1,2}", "int2[]", "[1,2]"}, {"[1,2]", "int4[]", "[1,2]"}, {`{a,"b c",NULL}`, "text[]", `["a","b c",null]`},
		{"{1,2", "int4[]", "ERR:22P02"},
		{"abcdef", "varchar(3)", "abc"}, {"ab", "char(4)", "ab  "}, {[]byte("AB"), "text", `\x4142`},
		{"99999", "int2", "ERR:22003"}, {"12x", "int4", "ERR:22P02"}, {"12", "int8", "12"}, {2.5, "int4", "2"},
		{-2.5, "int4", "-2"}, {3.5, "int4", "4"}, {int64(1) << 40, "int4", "ERR:22003"},
		{"12.345", "numeric(10,2)", "12.35"}, {"NaN", "float8", "NaN"},
		{nil, "bool", "NULL"}, {"x", "nosuchtype", "ERR:42704"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(`SELECT pg_cast(?1, ?2)`, c.v, c.typ); got != c.want {
			t.Errorf("pg_cast(%#v, %q) = %q, want %q", c.v, c.typ, got, c.want)
		}
	}
}

func TestLike(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT 'abc' LIKE 'a%'`, "1"}, {`SELECT 'ABC' LIKE 'a%'`, "0"}, {`SELECT 'abc' LIKE 'ABC'`, "0"},
		{`SELECT 'abc' LIKE '_b_'`, "1"}, {`SELECT 'abc' LIKE '_b'`, "0"}, {`SELECT '' LIKE '%'`, "1"},
		{`SELECT 'a_c' LIKE 'a\_c'`, "1"}, {`SELECT 'abc' LIKE 'a\_c'`, "0"}, {`SELECT 'a%c' LIKE 'a\%c'`, "1"},
		{`SELECT 'a\c' LIKE 'a\\c'`, "1"}, {`SELECT 'abc' LIKE 'ab\'`, "ERR:22025"}, {`SELECT 'ab' LIKE 'ab\'`, "0"},
		{`SELECT 'abc' LIKE '%\'`, "ERR:22025"},
		{`SELECT 'a_c' LIKE 'a#_c' ESCAPE '#'`, "1"}, {`SELECT 'a\c' LIKE 'a\c' ESCAPE ''`, "1"},
		{`SELECT 'abc' LIKE 'a%' ESCAPE 'xy'`, "ERR:22025"},
		{`SELECT 'héllo wörld' LIKE 'h_llo w%'`, "1"}, {`SELECT 'aaa' LIKE '%a%a%a%'`, "1"}, {`SELECT 'aa' LIKE '%a%a%a%'`, "0"},
		{`SELECT 'abc' NOT LIKE 'a%'`, "0"}, {`SELECT NULL LIKE 'a'`, "NULL"}, {`SELECT 'a' LIKE NULL`, "NULL"},
		{`SELECT pg_ilike('ABC', 'a%')`, "1"}, {`SELECT pg_ilike('ÄBC', 'äb_')`, "1"}, {`SELECT pg_ilike('abc', 'a\%')`, "0"},
		{`SELECT pg_ilike('A%', 'a\%')`, "1"}, {`SELECT pg_ilike('xyz', 'a%')`, "0"}, {`SELECT pg_ilike('A_', 'a!_', '!')`, "1"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestRegexp(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT 'users' REGEXP '^(users)$'`, "1"}, {`SELECT 'users2' REGEXP '^(users)$'`, "0"},
		{`SELECT 'pg_toast' REGEXP '^pg_'`, "1"}, {`SELECT 'public' NOT REGEXP '^pg_'`, "1"},
		{`SELECT 'ABC' REGEXP 'abc'`, "0"}, {`SELECT 'ABC' REGEXP pg_regexp_ci('abc')`, "1"},
		{"SELECT 'a' || char(10) || 'b' REGEXP 'a.b'", "1"}, {`SELECT 'the cat' REGEXP '\ycat\y'`, "1"},
		{`SELECT 'concat' REGEXP '\ycat\y'`, "0"}, {`SELECT 'x' REGEXP '('`, "ERR:2201B"},
		{`SELECT 'x' REGEXP NULL`, "NULL"}, {`SELECT regexp_replace('foobarbaz', 'b(..)', 'X\1Y')`, "fooXarYbaz"},
		{`SELECT regexp_replace('foobarbaz', 'b(..)', 'X\1Y', 'g')`, "fooXarYXazY"},
		{`SELECT regexp_match('foobar', 'o(b)(a)')`, `["b","a"]`},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestTextFunctions(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT left('abcdé', 2)`, "ab"}, {`SELECT left('abcdé', -2)`, "abc"}, {`SELECT right('abcdé', 2)`, "dé"},
		{`SELECT right('abc', -1)`, "bc"}, {`SELECT strpos('héllo', 'llo')`, "3"}, {`SELECT position('x', 'abc')`, "0"},
		{`SELECT split_part('a,b,c', ',', 2)`, "b"}, {`SELECT split_part('a,b,c', ',', -1)`, "c"},
		{`SELECT split_part('a,b,c', ',', 5)`, ""}, {`SELECT split_part('a,b', ',', 0)`, "ERR:22023"},
		{`SELECT btrim('  x  ')`, "x"}, {`SELECT btrim('xxaxx', 'x')`, "a"},
		{`SELECT lpad('hi', 5, 'xy')`, "xyxhi"}, {`SELECT rpad('hi', 5)`, "hi   "}, {`SELECT lpad('hello', 2)`, "he"},
		{`SELECT md5('abc')`, "900150983cd24fb0d6963f7d28e17f72"},
		{`SELECT greatest(1, NULL, 3, 2)`, "3"}, {`SELECT least(1, NULL, 3, 2)`, "1"}, {`SELECT greatest(NULL, NULL)`, "NULL"},
		{`SELECT greatest('a', 'b')`, "b"},
		{`SELECT quote_ident('abc')`, "abc"}, {`SELECT quote_ident('Abc')`, `"Abc"`}, {`SELECT quote_ident('select')`, `"select"`},
		{`SELECT quote_ident('a"b')`, `"a""b"`}, {`SELECT quote_ident('left')`, `"left"`}, {`SELECT quote_ident('name')`, "name"},
		{`SELECT quote_literal('it''s')`, "'it''s'"}, {`SELECT quote_literal('back\slash')`, `E'back\\slash'`},
		{`SELECT quote_nullable(NULL)`, "NULL"},
		{`SELECT pg_size_pretty(10239)`, "10239 bytes"}, {`SELECT pg_size_pretty(10240)`, "10 kB"},
		{`SELECT pg_size_pretty(10485759)`, "10 MB"}, {`SELECT pg_size_pretty(1073741824)`, "1024 MB"},
		{`SELECT pg_size_pretty(1125899906842624)`, "1024 TB"}, {`SELECT pg_size_pretty(-10240)`, "-10 kB"},
		{`SELECT pg_size_pretty(9223372036854775807)`, "8192 PB"},
		{`SELECT upper('héllo')`, "HÉLLO"}, {`SELECT lower('ÀB')`, "àb"}, {`SELECT initcap('hello wORLD-x')`, "Hello World-X"},
		{`SELECT reverse('abc')`, "cba"}, {`SELECT repeat('ab', 3)`, "ababab"}, {`SELECT char_length('héllo')`, "5"},
		{`SELECT translate('12345', '143', 'ax')`, "a2x5"}, {`SELECT to_hex(255)`, "ff"}, {`SELECT starts_with('abc', 'ab')`, "1"},
		{`SELECT length(gen_random_uuid())`, "36"}, {`SELECT substr(gen_random_uuid(), 15, 1)`, "4"},
		{`SELECT pg_typeof(1)`, "integer"}, {`SELECT pg_typeof('x')`, "text"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestArrayFunctions(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT array_to_string('[1,2,3]', ',')`, "1,2,3"}, {`SELECT array_to_string('["a",null,"c"]', '-')`, "a-c"},
		{`SELECT array_to_string('["a",null,"c"]', '-', '*')`, "a-*-c"}, {`SELECT array_to_string('{x,y}', ' ')`, "x y"},
		{`SELECT array_to_string('[true,false]', ',')`, "t,f"}, {`SELECT array_to_string(NULL, ',')`, "NULL"},
		{`SELECT array_upper('[1,2,3]', 1)`, "3"}, {`SELECT array_upper('[]', 1)`, "NULL"}, {`SELECT array_lower('[5]', 1)`, "1"},
		{`SELECT array_length('[[1,2],[3,4]]', 2)`, "2"}, {`SELECT array_length('[1]', 2)`, "NULL"},
		{`SELECT cardinality('[[1,2],[3,4]]')`, "4"}, {`SELECT cardinality('[]')`, "0"}, {`SELECT array_upper('1 2 3', 1)`, "3"},
		{`SELECT string_to_array('a,b,,c', ',')`, `["a","b","","c"]`}, {`SELECT string_to_array('a,b,x', ',', 'x')`, `["a","b",null]`},
		{`SELECT array_append('[1,2]', 3)`, "[1,2,3]"}, {`SELECT array_prepend(0, '[1]')`, "[0,1]"},
		{`SELECT array_cat('[1]', '[2,3]')`, "[1,2,3]"}, {`SELECT array_remove('[1,2,1]', 1)`, "[2]"},
		{`SELECT array_position('["a","b"]', 'b')`, "2"}, {`SELECT current_schemas(1)`, `["pg_catalog","public"]`},
		{`SELECT array_to_string('{1,2', ',')`, "ERR:22P02"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestCatalogFunctions(t *testing.T) {
	d := newTestDriver(t)
	tc := openTestConn(t, d, "")
	tc.execScript(userSchemaSQL)
	tc.info.User = "alice"
	tc.info.Settings = func(name string) (string, bool) {
		switch name {
		case "server_version":
			return "15.4", true
		case "application_name":
			return "psql", true
		case "TimeZone":
			return "Europe/Paris", true
		}
		return "", false
	}
	tc.refresh()
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT version()`, "PostgreSQL 15.4 (sqlcluster) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"},
		{`SELECT current_setting('server_version')`, "15.4"}, {`SELECT current_setting('APPLICATION_NAME')`, "psql"},
		{`SELECT current_setting('TimeZone')`, "Europe/Paris"}, {`SELECT current_setting('standard_conforming_strings')`, "on"},
		{`SELECT current_setting('no.such')`, "ERR:42704"}, {`SELECT current_setting('no.such', 1)`, "NULL"},
		{`SELECT set_config('my.var', 'v1', 0)`, "v1"}, {`SELECT current_setting('my.var')`, "v1"},
		{`SELECT setting FROM pg_catalog.pg_settings WHERE name = 'TimeZone'`, "Europe/Paris"},
		{`SELECT pg_get_userbyid(10)`, "alice"}, {`SELECT pg_get_userbyid(6171)`, "pg_database_owner"},
		{`SELECT pg_get_userbyid(77)`, "unknown (OID=77)"}, {`SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10`, "alice"},
		{`SELECT pg_encoding_to_char(6)`, "UTF8"}, {`SELECT pg_encoding_to_char(0)`, "SQL_ASCII"},
		{`SELECT pg_table_is_visible((SELECT oid FROM pg_catalog.pg_class WHERE relname = 'users'))`, "1"},
		{`SELECT pg_table_is_visible(1259)`, "1"}, {`SELECT pg_table_is_visible(13425)`, "0"}, {`SELECT pg_table_is_visible(1)`, "NULL"},
		{`SELECT current_database()`, "catdb"}, {`SELECT current_user()`, "alice"},
		{`SELECT pg_get_expr('(a + 1)', 0, 1)`, "a + 1"}, {`SELECT pg_get_expr('(a + 1)', 0)`, "(a + 1)"},
		{`SELECT pg_get_viewdef((SELECT oid FROM pg_catalog.pg_class WHERE relname = 'active_users'))`, " SELECT id, name FROM users WHERE active;"},
		{`SELECT has_table_privilege('users', 'SELECT')`, "1"}, {`SELECT obj_description(1, 'pg_class')`, "NULL"},
		{`SELECT pg_get_indexdef((SELECT oid FROM pg_catalog.pg_class WHERE relname = 'orders_user_id_note_key'), 2, 0)`, "note"},
		{`SELECT count(*) FROM pg_catalog.pg_database`, "2"}, {`SELECT datname FROM pg_catalog.pg_database ORDER BY 1 LIMIT 1`, "catdb"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}

	// Session state is per connection: a second connection of the same
	// driver sees its own settings and user.
	tc2 := openTestConn(t, d, "")
	tc2.info.User = "bob"
	tc2.refresh()
	if got := tc2.one(`SELECT pg_get_userbyid(10)`); got != "bob" {
		t.Errorf("second connection user = %q", got)
	}
	if got := tc2.valueOrCode(`SELECT current_setting('my.var')`); got != "ERR:42704" {
		t.Errorf("set_config leaked to another connection: %q", got)
	}
	if got := tc.one(`SELECT pg_get_userbyid(10)`); got != "alice" {
		t.Errorf("first connection user = %q after second attached", got)
	}
}

func TestErrorCode(t *testing.T) {
	code, msg, ok := ErrorCode(`SQL logic error: [22P02] invalid input syntax for type boolean: "x" (1)`)
	if !ok || code != "22P02" || msg != `invalid input syntax for type boolean: "x"` {
		t.Errorf("ErrorCode = %q %q %v", code, msg, ok)
	}
	if _, _, ok := ErrorCode("no such table: x"); ok {
		t.Error("ErrorCode matched a plain SQLite error")
	}
	if !strings.Contains(errorf("42P01", "relation %q", "x").Error(), "[42P01]") {
		t.Error("errorf does not embed the code")
	}
}

func TestCastInCheckConstraint(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.exec(`CREATE TABLE c (x text CHECK (pg_cast(x, 'bool') = 1))`)
	tc.exec(`INSERT INTO c VALUES ('yes')`)
	if got := tc.valueOrCode(`INSERT INTO c VALUES ('maybe') RETURNING x`); got != "ERR:22P02" {
		t.Errorf("bad input in CHECK: %s", got)
	}
	tc.exec(`CREATE INDEX c_idx ON c (pg_cast(x, 'bool'))`)
}

func TestDateFunctions(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.info.Settings = func(name string) (string, bool) {
		if name == "TimeZone" {
			return "America/New_York", true
		}
		return "", false
	}
	tc.refresh()
	cases := []struct {
		sql  string
		want string
	}{
		{`SELECT date_trunc('month', '2020-05-17 13:14:15.5')`, "2020-05-01 00:00:00"},
		{`SELECT date_trunc('hour', '2020-05-17 13:14:15.5')`, "2020-05-17 13:00:00"},
		{`SELECT date_trunc('week', '2020-05-17 13:14:15')`, "2020-05-11 00:00:00"},
		{`SELECT date_trunc('quarter', '2020-05-17 13:14:15')`, "2020-04-01 00:00:00"},
		// Truncation of a timestamptz happens in the session's zone.
		{`SELECT date_trunc('day', '2020-05-17 02:00:00+00:00')`, "2020-05-16 04:00:00+00:00"},
		{`SELECT date_trunc('day', '2020-05-17 02:00:00+00:00', 'UTC')`, "2020-05-17 00:00:00+00:00"},
		{`SELECT date_trunc('fortnight', '2020-05-17')`, "ERR:22023"},
		{`SELECT date_part('year', '2020-05-17 13:14:15')`, "2020"}, {`SELECT date_part('dow', '2020-05-17')`, "0"},
		{`SELECT date_part('isodow', '2020-05-17')`, "7"}, {`SELECT date_part('second', '2020-05-17 13:14:15.5')`, "15.5"},
		{`SELECT date_part('epoch', '1970-01-02 00:00:00+00:00')`, "86400"}, {`SELECT date_part('hour', '2020-05-17 02:00:00+00:00')`, "22"},
		{`SELECT date_part('doy', '2020-02-01')`, "32"}, {`SELECT date_part('century', '2000-12-31')`, "20"},
		{`SELECT date_part('year', 'garbage')`, "ERR:22007"},
		{`SELECT pg_cast('2020-01-02 03:04:05', 'timestamptz')`, "2020-01-02 08:04:05+00:00"},
	}
	for _, c := range cases {
		if got := tc.valueOrCode(c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}
