package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

func TestParseCreateTable(t *testing.T) {
	sql := `CREATE TABLE "Mixed Case" (
		"Col A" integer CONSTRAINT pk_a PRIMARY KEY, -- comment, with a comma
		b text CONSTRAINT b_u UNIQUE CHECK (length(b) > 0 AND b <> ')'),
		c int REFERENCES other (x) ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
		d numeric(10, 2) DEFAULT (1 + 2) NOT NULL,
		e text GENERATED ALWAYS AS (upper(b)) STORED,
		/* block */ CONSTRAINT two UNIQUE (b, c),
		CHECK (d > 0),
		FOREIGN KEY (c, d) REFERENCES other
	) WITHOUT ROWID`
	pt := parseCreateTable(sql)
	want := []parsedConstraint{
		{name: "pk_a", kind: 'p', cols: []string{"Col A"}},
		{name: "b_u", kind: 'u', cols: []string{"b"}},
		{kind: 'c', cols: []string{"b"}, expr: "length(b) > 0 AND b <> ')'"},
		{kind: 'f', cols: []string{"c"}, refTable: "other", refCols: []string{"x"}, onDelete: "SET NULL", onUpdate: "CASCADE", deferred: true},
		{name: "two", kind: 'u', cols: []string{"b", "c"}},
		{kind: 'c', expr: "d > 0"},
		{kind: 'f', cols: []string{"c", "d"}, refTable: "other"},
	}
	if !reflect.DeepEqual(pt.constraints, want) {
		t.Errorf("constraints:\n got %+v\nwant %+v", pt.constraints, want)
	}
	if pt.generated["e"] != "upper(b)" {
		t.Errorf("generated: %v", pt.generated)
	}
	if !isWithoutRowid(sql) {
		t.Error("WITHOUT ROWID not detected")
	}
	pi := parseCreateIndex(`CREATE UNIQUE INDEX i ON t (lower(name), qty DESC, "x" COLLATE NOCASE) WHERE qty > 0 AND name <> 'a'`)
	if !reflect.DeepEqual(pi.exprs, []string{"lower(name)", "", ""}) || pi.where != "qty > 0 AND name <> 'a'" {
		t.Errorf("index: %+v", pi)
	}
	if got := viewSelect(`CREATE VIEW v (a, b) AS SELECT 1, 2`); got != "SELECT 1, 2" {
		t.Errorf("viewSelect = %q", got)
	}
}

func TestMakeObjectName(t *testing.T) {
	long := strings.Repeat("t", 40)
	cols := strings.Repeat("c", 40)
	got := makeObjectName(long, cols, "key")
	if len(got) != 63 || !strings.HasSuffix(got, "_key") {
		t.Errorf("makeObjectName = %q (%d bytes)", got, len(got))
	}
	// PostgreSQL shortens the longer part first: 29+29 bytes + "_" + "_key".
	if got != strings.Repeat("t", 29)+"_"+strings.Repeat("c", 29)+"_key" {
		t.Errorf("makeObjectName = %q", got)
	}
	used := map[string]bool{"t_a_key": true}
	if got := chooseName("t", "a", "key", used); got != "t_a_key1" {
		t.Errorf("chooseName = %q", got)
	}
	if got := chooseName("t", "a", "key", used); got != "t_a_key2" {
		t.Errorf("second chooseName = %q", got)
	}
	if got := makeObjectName("t", "", "pkey"); got != "t_pkey" {
		t.Errorf("pkey name = %q", got)
	}
}

func TestRenderDefault(t *testing.T) {
	codec := pgtypes.NewCodec()
	cases := []struct {
		dflt string
		decl string
		want string
	}{
		{"0", "integer", "0"}, {"-1", "integer", "'-1'::integer"}, {"-1.5", "numeric", "'-1.5'::numeric"},
		{"1.5", "double precision", "1.5"}, {"5000000000", "bigint", "'5000000000'::bigint"}, {"1e3", "numeric", "'1000'::numeric"},
		{"'it''s'", "text", "'it''s'::text"}, {"'ab'", "varchar(5)", "'ab'::character varying"}, {"'x'", "char(3)", "'x'::bpchar"},
		{"true", "boolean", "true"}, {"FALSE", "bool", "false"}, {"'t'", "boolean", "true"}, {"'7'", "integer", "7"},
		{"'3'", "smallint", "'3'::smallint"}, {"'{}'", "jsonb", "'{}'::jsonb"}, {"'2020-1-2'", "date", "'2020-01-02'::date"},
		{"CURRENT_TIMESTAMP", "timestamptz", "CURRENT_TIMESTAMP"}, {"current_date", "date", "CURRENT_DATE"},
		{"(now())", "timestamptz", "now()"}, {"now()", "timestamptz", "now()"}, {"(1 + 2)", "integer", "(1 + 2)"},
		{"NULL", "text", ""}, {"(gen_random_uuid())", "uuid", "gen_random_uuid()"},
	}
	for _, c := range cases {
		if got := renderDefault(codec, c.dflt, typeFromDecl(c.decl)); got != c.want {
			t.Errorf("renderDefault(%q, %s) = %q, want %q", c.dflt, c.decl, got, c.want)
		}
	}
}

func TestSchemaEdgeCases(t *testing.T) {
	tc := openTestConn(t, newTestDriver(t), "")
	tc.execScript(`
CREATE TABLE "Mixed Case" ("Col A" integer PRIMARY KEY, b text UNIQUE, "Sel" int);
CREATE TABLE wr (a int, b text, c int GENERATED ALWAYS AS (a * 2) VIRTUAL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v text);
CREATE TABLE base (x int);
CREATE VIEW broken AS SELECT x FROM base;
DROP TABLE base;
CREATE TABLE trg_t (a int);
CREATE TRIGGER trg AFTER INSERT ON trg_t BEGIN SELECT 1; END;
CREATE TABLE dup (a int UNIQUE, b int, UNIQUE (a))`)
	tc.refresh()

	rows := tc.mustQuery(`SELECT relname, relkind FROM pg_catalog.pg_class WHERE oid >= 16384 ORDER BY relname`)
	var got []string
	for _, r := range rows {
		got = append(got, r[0]+":"+r[1])
	}
	want := "Mixed Case:r Mixed Case_b_key:i Mixed Case_pkey:i broken:v dup:r dup_a_key:i seq:r seq_pkey:i trg_t:r wr:r wr_pkey:i"
	if strings.Join(got, " ") != want {
		t.Errorf("relations:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if got := tc.one(`SELECT pg_get_indexdef((SELECT oid FROM pg_catalog.pg_class WHERE relname = 'Mixed Case_b_key'))`); got != `CREATE UNIQUE INDEX "Mixed Case_b_key" ON public."Mixed Case" USING btree (b)` {
		t.Errorf("indexdef = %s", got)
	}
	if got := tc.one(`SELECT pg_get_constraintdef((SELECT oid FROM pg_catalog.pg_constraint WHERE conname = 'Mixed Case_pkey'))`); got != `PRIMARY KEY ("Col A")` {
		t.Errorf("constraintdef = %s", got)
	}
	// WITHOUT ROWID: the primary key index has no schema row but an OID;
	// the generated column is marked.
	rows = tc.mustQuery(`SELECT a.attname, a.attnotnull, a.attgenerated, pg_get_expr(d.adbin, d.adrelid)
		FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'wr') ORDER BY a.attnum`)
	if len(rows) != 3 || rows[2][0] != "c" || rows[2][2] != "s" || rows[2][3] != "(a * 2)" || rows[0][1] != "1" || rows[1][1] != "1" {
		t.Errorf("wr attributes: %v", rows)
	}
	if got := tc.one(`SELECT indkey FROM pg_catalog.pg_index WHERE indexrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'wr_pkey')`); got != "[1,2]" {
		t.Errorf("wr_pkey indkey = %s", got)
	}
	// Triggers appear in pg_trigger with their definition.
	if got := tc.one(`SELECT pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger WHERE tgname = 'trg'`); !strings.HasPrefix(got, "CREATE TRIGGER trg") {
		t.Errorf("triggerdef = %s", got)
	}
	// The broken view is listed without columns rather than failing Refresh.
	if got := tc.one(`SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'broken')`); got != "0" {
		t.Errorf("broken view has %s attributes", got)
	}
	// information_schema agrees.
	if got := tc.one(`SELECT group_concat(column_name || ':' || data_type || ':' || is_nullable, ',') FROM (SELECT * FROM information_schema.columns WHERE table_name = 'Mixed Case' ORDER BY ordinal_position)`); got != "Col A:integer:NO,b:text:YES,Sel:integer:YES" {
		t.Errorf("information_schema.columns = %s", got)
	}
	if got := tc.one(`SELECT group_concat(constraint_name || ':' || constraint_type, ',') FROM (SELECT * FROM information_schema.table_constraints WHERE table_name = 'dup' ORDER BY 3)`); got != "dup_a_key:UNIQUE" {
		t.Errorf("table_constraints = %s", got)
	}
}
