package pgsql

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTagsMatchPostgres checks Statement.Tag against command tags recorded
// from a real PostgreSQL 15.18 (testdata/tags_pg15.tsv).
func TestTagsMatchPostgres(t *testing.T) {
	f, err := os.Open("testdata/tags_pg15.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		stmt, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		n++
		s, err := Parse(stmt)
		if err != nil {
			t.Errorf("Parse(%q): %v", stmt, err)
			continue
		}
		if s.Tag != want {
			t.Errorf("Parse(%q).Tag = %q, want %q", stmt, s.Tag, want)
		}
	}
	if n < 100 {
		t.Fatalf("only %d statements in golden file", n)
	}
}

func mustParse(t *testing.T, in string) *Statement {
	t.Helper()
	s, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse(%q): %v", in, err)
	}
	return s
}

func TestParseClassify(t *testing.T) {
	tests := []struct {
		in        string
		kind      Kind
		tag       string
		readOnly  bool
		returning bool
	}{
		{"SELECT 1", KindSelect, "SELECT", true, false},
		{"  select * from t;  ", KindSelect, "SELECT", true, false},
		{"((SELECT 1)) UNION (SELECT 2)", KindSelect, "SELECT", true, false},
		{"VALUES (1), (2)", KindValues, "SELECT", true, false},
		{"TABLE t", KindSelect, "SELECT", true, false},
		{"/* hi */ -- there\nSELECT 1", KindSelect, "SELECT", true, false},
		{"WITH x AS (SELECT 1) SELECT * FROM x", KindSelect, "SELECT", true, false},
		{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 5) SELECT * FROM r", KindSelect, "SELECT", true, false},
		{"WITH x AS (INSERT INTO t VALUES (1) RETURNING a) SELECT * FROM x", KindSelect, "SELECT", false, false},
		{"WITH x AS MATERIALIZED ((DELETE FROM t RETURNING *)) SELECT 1", KindSelect, "SELECT", false, false},
		{"WITH x AS (SELECT 1), y AS NOT MATERIALIZED (UPDATE t SET a = 1 RETURNING a) SELECT 1", KindSelect, "SELECT", false, false},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x RETURNING *", KindInsert, "INSERT", false, true},
		{"SELECT * FROM t FOR UPDATE", KindSelect, "SELECT", false, false},
		{"SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED", KindSelect, "SELECT", false, false},
		{"SELECT * FROM (SELECT * FROM t FOR SHARE) s", KindSelect, "SELECT", false, false},
		{"SELECT substring('abc' FROM 1 FOR 2)", KindSelect, "SELECT", true, false},
		{"SELECT 1 AS a INTO newtable", KindSelect, "SELECT", false, false},
		{"SELECT nextval('s')", KindSelect, "SELECT", false, false},
		{"SELECT currval('s'), nextval", KindSelect, "SELECT", true, false},
		{"INSERT INTO t VALUES (1)", KindInsert, "INSERT", false, false},
		{"INSERT INTO t VALUES (1) RETURNING id", KindInsert, "INSERT", false, true},
		{"INSERT INTO t SELECT x FROM (SELECT 1 AS x) s", KindInsert, "INSERT", false, false},
		{"INSERT INTO t (a) VALUES ((SELECT 1)) ON CONFLICT (a) DO UPDATE SET a = excluded.a RETURNING *", KindInsert, "INSERT", false, true},
		{"UPDATE t SET a = 1 WHERE b IN (SELECT 1) RETURNING a, b", KindUpdate, "UPDATE", false, true},
		{"DELETE FROM t", KindDelete, "DELETE", false, false},
		{"DELETE FROM t WHERE 'RETURNING' = b", KindDelete, "DELETE", false, false},
		{"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", KindMerge, "MERGE", false, false},
		{"CREATE TABLE t (a int)", KindCreateTable, "CREATE TABLE", false, false},
		{"CREATE TABLE t AS SELECT 1", KindCreateTable, "SELECT", false, false},
		{"CREATE INDEX ON t (a)", KindCreateIndex, "CREATE INDEX", false, false},
		{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", KindCreateTrigger, "CREATE TRIGGER", false, false},
		{"CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", KindOther, "CREATE FUNCTION", false, false},
		{"DROP SCHEMA s CASCADE", KindDropSchema, "DROP SCHEMA", false, false},
		{"ALTER TABLE t ADD COLUMN b int", KindAlterTable, "ALTER TABLE", false, false},
		{"SHOW ALL", KindShow, "SHOW", true, false},
		{"EXPLAIN SELECT 1", KindExplain, "EXPLAIN", true, false},
		{"EXPLAIN INSERT INTO t VALUES (1)", KindExplain, "EXPLAIN", true, false},
		{"EXPLAIN ANALYZE INSERT INTO t VALUES (1)", KindExplain, "EXPLAIN", false, false},
		{"EXPLAIN ANALYZE SELECT 1", KindExplain, "EXPLAIN", true, false},
		{"EXPLAIN (ANALYZE false) DELETE FROM t", KindExplain, "EXPLAIN", true, false},
		{"COPY t TO STDOUT", KindCopy, "COPY", true, false},
		{"COPY t FROM STDIN", KindCopy, "COPY", false, false},
		{"COPY (DELETE FROM t RETURNING *) TO STDOUT", KindCopy, "COPY", false, false},
		{"LOCK t IN ACCESS SHARE MODE", KindLock, "LOCK TABLE", true, false},
		{"LOCK TABLE t", KindLock, "LOCK TABLE", false, false},
		{"VACUUM", KindVacuum, "VACUUM", false, false},
		{"ANALYSE t", KindAnalyze, "ANALYZE", false, false},
		{"CHECKPOINT", KindCheckpoint, "CHECKPOINT", false, false},
		{"CLUSTER", KindOther, "CLUSTER", false, false},
		{"COMMENT ON TABLE t IS 'x'", KindComment, "COMMENT", false, false},
		{"GRANT ALL ON t TO PUBLIC", KindGrant, "GRANT", false, false},
		{"REVOKE admin FROM bob", KindRevoke, "REVOKE ROLE", false, false},
		{"CALL p()", KindCall, "CALL", false, false},
		{"DO $$ BEGIN END $$", KindDo, "DO", false, false},
		{"EXECUTE p", KindExecute, "EXECUTE", false, false},
		{"DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", KindDeclare, "DECLARE CURSOR", false, false},
		{"DECLARE c CURSOR FOR SELECT 1", KindDeclare, "DECLARE CURSOR", true, false},
		{"LISTEN x", KindListen, "LISTEN", true, false},
		{"", KindEmpty, "", true, false},
		{" -- nothing\n ; ", KindEmpty, "", true, false},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if s.Kind != tt.kind || s.Tag != tt.tag || s.ReadOnly != tt.readOnly || s.Returning != tt.returning {
			t.Errorf("Parse(%q) = {%v %q ro=%v ret=%v}, want {%v %q ro=%v ret=%v}", tt.in,
				s.Kind, s.Tag, s.ReadOnly, s.Returning, tt.kind, tt.tag, tt.readOnly, tt.returning)
		}
	}
}

func TestParseSQLAndTokens(t *testing.T) {
	s := mustParse(t, "  SELECT 1 ;\n")
	if s.SQL != "SELECT 1" {
		t.Errorf("SQL = %q", s.SQL)
	}
	checkRoundTrip(t, s.SQL, s.Tokens)
}

func TestParseTransaction(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		tag  string
		want TransactionStmt
	}{
		{"BEGIN", KindBegin, "BEGIN", TransactionStmt{}},
		{"begin work", KindBegin, "BEGIN", TransactionStmt{}},
		{"BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE", KindBegin, "BEGIN",
			TransactionStmt{Options: TxOptions{Isolation: Serializable, ReadOnly: True, Deferrable: True}}},
		{"BEGIN READ WRITE ISOLATION LEVEL READ UNCOMMITTED NOT DEFERRABLE", KindBegin, "BEGIN",
			TransactionStmt{Options: TxOptions{Isolation: ReadUncommitted, ReadOnly: False, Deferrable: False}}},
		{"BEGIN ISOLATION LEVEL SERIALIZABLE ISOLATION LEVEL READ COMMITTED", KindBegin, "BEGIN",
			TransactionStmt{Options: TxOptions{Isolation: ReadCommitted}}},
		{"START TRANSACTION ISOLATION LEVEL REPEATABLE READ", KindBegin, "START TRANSACTION",
			TransactionStmt{Options: TxOptions{Isolation: RepeatableRead}}},
		{"COMMIT", KindCommit, "COMMIT", TransactionStmt{}},
		{"END TRANSACTION", KindCommit, "COMMIT", TransactionStmt{}},
		{"COMMIT AND NO CHAIN", KindCommit, "COMMIT", TransactionStmt{}},
		{"commit work and chain", KindCommit, "COMMIT", TransactionStmt{Chain: true}},
		{"ROLLBACK", KindRollback, "ROLLBACK", TransactionStmt{}},
		{"ABORT", KindRollback, "ROLLBACK", TransactionStmt{}},
		{"ROLLBACK TRANSACTION AND CHAIN", KindRollback, "ROLLBACK", TransactionStmt{Chain: true}},
		{"SAVEPOINT Sp1", KindSavepoint, "SAVEPOINT", TransactionStmt{Savepoint: "sp1"}},
		{`SAVEPOINT "Sp 1"`, KindSavepoint, "SAVEPOINT", TransactionStmt{Savepoint: "Sp 1"}},
		{"RELEASE sp", KindRelease, "RELEASE", TransactionStmt{Savepoint: "sp"}},
		{"RELEASE SAVEPOINT \"X\"", KindRelease, "RELEASE", TransactionStmt{Savepoint: "X"}},
		{"ROLLBACK TO sp", KindRollbackTo, "ROLLBACK", TransactionStmt{Savepoint: "sp"}},
		{"ROLLBACK WORK TO SAVEPOINT SP", KindRollbackTo, "ROLLBACK", TransactionStmt{Savepoint: "sp"}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.in)
		if s.Kind != tt.kind || s.Tag != tt.tag || !s.ReadOnly || s.Transaction == nil || *s.Transaction != tt.want {
			t.Errorf("Parse(%q) = %v %q %+v, want %v %q %+v", tt.in, s.Kind, s.Tag, s.Transaction, tt.kind, tt.tag, tt.want)
		}
	}
	if got := Serializable.String(); got != "serializable" {
		t.Errorf("Serializable.String() = %q", got)
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		tag  string
		want SetStmt
	}{
		{"SET work_mem = '8MB'", KindSet, "SET", SetStmt{Name: "work_mem", Value: "8MB", Args: []string{"8MB"}}},
		{"SET LOCAL work_mem TO 64", KindSet, "SET", SetStmt{Name: "work_mem", Value: "64", Args: []string{"64"}, Local: true}},
		{"SET SESSION statement_timeout = 0", KindSet, "SET", SetStmt{Name: "statement_timeout", Value: "0", Args: []string{"0"}}},
		{"SET sqlcluster.Read_Consistency = strong", KindSet, "SET",
			SetStmt{Name: "sqlcluster.read_consistency", Value: "strong", Args: []string{"strong"}}},
		{`SET "Application_Name" = "MiXed"`, KindSet, "SET", SetStmt{Name: "application_name", Value: "MiXed", Args: []string{"MiXed"}}},
		{"SET application_name = MiXed", KindSet, "SET", SetStmt{Name: "application_name", Value: "mixed", Args: []string{"mixed"}}},
		{"SET extra_float_digits = 007", KindSet, "SET", SetStmt{Name: "extra_float_digits", Value: "7", Args: []string{"7"}}},
		{"SET x.y = -1.5e3", KindSet, "SET", SetStmt{Name: "x.y", Value: "-1.5e3", Args: []string{"-1.5e3"}}},
		{"SET x.y = -0", KindSet, "SET", SetStmt{Name: "x.y", Value: "0", Args: []string{"0"}}},
		{"SET x.y = -2147483648", KindSet, "SET", SetStmt{Name: "x.y", Value: "-2147483648", Args: []string{"-2147483648"}}},
		{"SET x.y = +7", KindSet, "SET", SetStmt{Name: "x.y", Value: "7", Args: []string{"7"}}},
		{"SET x.y = ON", KindSet, "SET", SetStmt{Name: "x.y", Value: "on", Args: []string{"on"}}},
		{"SET x.y = 'it''s'", KindSet, "SET", SetStmt{Name: "x.y", Value: "it's", Args: []string{"it's"}}},
		{"SET datestyle = iso, 'MDY'", KindSet, "SET", SetStmt{Name: "datestyle", Value: "iso, MDY", Args: []string{"iso", "MDY"}}},
		{`SET search_path TO public, "My Schema", 'a,b', '', "$user"`, KindSet, "SET",
			SetStmt{Name: "search_path", Value: `public, "My Schema", "a,b", "", "$user"`, Args: []string{"public", "My Schema", "a,b", "", "$user"}}},
		{"SET search_path = DEFAULT", KindSet, "SET", SetStmt{Name: "search_path", Default: true}},
		{"SET TIME ZONE 'UTC'", KindSet, "SET", SetStmt{Name: "timezone", Value: "UTC", Args: []string{"UTC"}}},
		{"SET TIME ZONE -5", KindSet, "SET", SetStmt{Name: "timezone", Value: "-5", Args: []string{"-5"}}},
		{"SET LOCAL TIME ZONE LOCAL", KindSet, "SET", SetStmt{Name: "timezone", Local: true, Default: true}},
		{"SET NAMES 'UTF8'", KindSet, "SET", SetStmt{Name: "client_encoding", Value: "UTF8", Args: []string{"UTF8"}}},
		{"SET NAMES", KindSet, "SET", SetStmt{Name: "client_encoding", Default: true}},
		{"SET SCHEMA 'My'", KindSet, "SET", SetStmt{Name: "search_path", Value: `"My"`, Args: []string{"My"}}},
		{"SET ROLE NONE", KindSet, "SET", SetStmt{Name: "role", Value: "none", Args: []string{"none"}}},
		{"SET SESSION AUTHORIZATION DEFAULT", KindSet, "SET", SetStmt{Name: "session_authorization", Default: true}},
		{"SET XML OPTION CONTENT", KindSet, "SET", SetStmt{Name: "xmloption", Value: "content", Args: []string{"content"}}},
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", KindSet, "SET",
			SetStmt{Transaction: &TxOptions{Isolation: Serializable}}},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", KindSet, "SET",
			SetStmt{Transaction: &TxOptions{ReadOnly: True}, Session: true}},
		{"SET CONSTRAINTS ALL DEFERRED", KindSet, "SET CONSTRAINTS", SetStmt{Constraints: &SetConstraints{All: true, Deferred: true}}},
		{"SET CONSTRAINTS a, s.b IMMEDIATE", KindSet, "SET CONSTRAINTS",
			SetStmt{Constraints: &SetConstraints{Names: []ObjectName{{Name: "a"}, {Schema: "s", Name: "b"}}}}},
		{"RESET work_mem", KindReset, "RESET", SetStmt{Name: "work_mem", Default: true}},
		{"RESET ALL", KindReset, "RESET", SetStmt{Default: true, All: true}},
		{"RESET TIME ZONE", KindReset, "RESET", SetStmt{Name: "timezone", Default: true}},
		{"RESET sqlcluster.read_consistency", KindReset, "RESET", SetStmt{Name: "sqlcluster.read_consistency", Default: true}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.in)
		if s.Kind != tt.kind || s.Tag != tt.tag || !s.ReadOnly || s.Set == nil || !reflect.DeepEqual(*s.Set, tt.want) {
			t.Errorf("Parse(%q) = %v %q %#v\n want %v %q %#v", tt.in, s.Kind, s.Tag, s.Set, tt.kind, tt.tag, tt.want)
		}
	}
}

func TestParseShow(t *testing.T) {
	tests := map[string]ShowStmt{
		"SHOW work_mem":                    {Name: "work_mem"},
		"SHOW Server_Version":              {Name: "server_version"},
		"SHOW sqlcluster.read_consistency": {Name: "sqlcluster.read_consistency"},
		"SHOW ALL":                         {All: true},
		"SHOW TIME ZONE":                   {Name: "timezone"},
		"SHOW TRANSACTION ISOLATION LEVEL": {Name: "transaction_isolation"},
		"show session authorization":       {Name: "session_authorization"},
	}
	for in, want := range tests {
		s := mustParse(t, in)
		if s.Kind != KindShow || s.Show == nil || *s.Show != want {
			t.Errorf("Parse(%q) = %v %+v, want %+v", in, s.Kind, s.Show, want)
		}
	}
}

func TestParseCursors(t *testing.T) {
	s := mustParse(t, "DECLARE \"C1\" BINARY INSENSITIVE NO SCROLL CURSOR WITHOUT HOLD FOR SELECT * FROM t WHERE a = ';'")
	d := s.Declare
	if d == nil || d.Name != "C1" || !d.Binary || !d.Insensitive || d.Scroll != False || d.Hold ||
		d.Query != "SELECT * FROM t WHERE a = ';'" || d.Inner == nil || d.Inner.Kind != KindSelect {
		t.Errorf("DECLARE = %+v", d)
	}
	s = mustParse(t, "declare c scroll cursor with hold for values (1)")
	if d := s.Declare; d.Name != "c" || d.Scroll != True || !d.Hold || d.Query != "values (1)" {
		t.Errorf("DECLARE = %+v", d)
	}

	fetches := []struct {
		in   string
		kind Kind
		want FetchStmt
	}{
		{"FETCH c", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, Cursor: "c"}},
		{"FETCH NEXT FROM c", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, Cursor: "c"}},
		{"FETCH PRIOR IN c", KindFetch, FetchStmt{Direction: FetchBackward, Count: 1, Cursor: "c"}},
		{"FETCH FIRST c", KindFetch, FetchStmt{Direction: FetchAbsolute, Count: 1, Cursor: "c"}},
		{"FETCH LAST FROM c", KindFetch, FetchStmt{Direction: FetchAbsolute, Count: -1, Cursor: "c"}},
		{"FETCH ABSOLUTE -3 FROM c", KindFetch, FetchStmt{Direction: FetchAbsolute, Count: -3, Cursor: "c"}},
		{"FETCH RELATIVE 0 c", KindFetch, FetchStmt{Direction: FetchRelative, Count: 0, Cursor: "c"}},
		{"FETCH 100 FROM c", KindFetch, FetchStmt{Direction: FetchForward, Count: 100, Cursor: "c"}},
		{"FETCH -2 c", KindFetch, FetchStmt{Direction: FetchForward, Count: -2, Cursor: "c"}},
		{"FETCH ALL FROM c", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, All: true, Cursor: "c"}},
		{"FETCH FORWARD FROM c", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, Cursor: "c"}},
		{"FETCH FORWARD 5 IN c", KindFetch, FetchStmt{Direction: FetchForward, Count: 5, Cursor: "c"}},
		{"FETCH FORWARD ALL c", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, All: true, Cursor: "c"}},
		{"FETCH BACKWARD 2 FROM c", KindFetch, FetchStmt{Direction: FetchBackward, Count: 2, Cursor: "c"}},
		{"FETCH BACKWARD ALL FROM c", KindFetch, FetchStmt{Direction: FetchBackward, Count: 1, All: true, Cursor: "c"}},
		{"FETCH next", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, Cursor: "next"}},
		{"FETCH FROM \"My Cursor\"", KindFetch, FetchStmt{Direction: FetchForward, Count: 1, Cursor: "My Cursor"}},
		{"MOVE ALL IN c", KindMove, FetchStmt{Direction: FetchForward, Count: 1, All: true, Cursor: "c"}},
		{"MOVE BACKWARD 1 IN c", KindMove, FetchStmt{Direction: FetchBackward, Count: 1, Cursor: "c"}},
	}
	for _, tt := range fetches {
		s := mustParse(t, tt.in)
		if s.Kind != tt.kind || s.Fetch == nil || *s.Fetch != tt.want || !s.ReadOnly {
			t.Errorf("Parse(%q) = %v %+v, want %v %+v", tt.in, s.Kind, s.Fetch, tt.kind, tt.want)
		}
	}
	if s := mustParse(t, "CLOSE ALL"); s.Tag != "CLOSE CURSOR ALL" || !s.Close.All {
		t.Errorf("CLOSE ALL = %q %+v", s.Tag, s.Close)
	}
	if s := mustParse(t, "CLOSE Cur"); s.Tag != "CLOSE CURSOR" || s.Close.Cursor != "cur" || s.Close.All {
		t.Errorf("CLOSE = %q %+v", s.Tag, s.Close)
	}
}

func TestParseCopy(t *testing.T) {
	tests := []struct {
		in   string
		want CopyStmt
	}{
		{"COPY t FROM STDIN", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "text", Delimiter: "\t", Null: `\N`}},
		{"COPY public.\"T\" (a, \"B\") TO STDOUT", CopyStmt{Table: ObjectName{Schema: "public", Name: "T"},
			Columns: []string{"a", "B"}, Format: "text", Delimiter: "\t", Null: `\N`}},
		{"COPY t FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL', QUOTE '''', ESCAPE '\\', FORCE_NOT_NULL (a), FORCE_NULL (b, c), ENCODING 'UTF8', FREEZE)",
			CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "csv", Header: true, Delimiter: ";", Null: "NULL",
				Quote: "'", Escape: `\`, ForceNotNull: []string{"a"}, ForceNull: []string{"b", "c"}, Encoding: "UTF8", Freeze: true}},
		{"COPY t TO STDOUT (FORMAT 'csv', HEADER, FORCE_QUOTE *)", CopyStmt{Table: ObjectName{Name: "t"}, Format: "csv",
			Header: true, Delimiter: ",", Quote: `"`, Escape: `"`, ForceQuoteAll: true}},
		{"COPY t TO STDOUT WITH (FORMAT csv, FORCE_QUOTE (a, b), HEADER off)", CopyStmt{Table: ObjectName{Name: "t"}, Format: "csv",
			Delimiter: ",", Quote: `"`, Escape: `"`, ForceQuote: []string{"a", "b"}}},
		{"COPY t FROM STDIN (FORMAT binary)", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "binary"}},
		{"COPY t FROM STDIN (HEADER MATCH, FORMAT csv)", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "csv",
			Header: true, HeaderMatch: true, Delimiter: ",", Quote: `"`, Escape: `"`}},
		// Pre-9.0 option syntax.
		{"COPY t(a) FROM STDIN CSV HEADER DELIMITER AS ',' NULL AS ''", CopyStmt{Table: ObjectName{Name: "t"},
			Columns: []string{"a"}, From: true, Format: "csv", Header: true, Delimiter: ",", Quote: `"`, Escape: `"`}},
		{"COPY t TO STDOUT WITH CSV QUOTE AS '|' FORCE QUOTE a, b", CopyStmt{Table: ObjectName{Name: "t"}, Format: "csv",
			Delimiter: ",", Quote: "|", Escape: "|", ForceQuote: []string{"a", "b"}}},
		{"COPY t FROM STDIN WITH CSV FORCE NOT NULL a", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "csv",
			Delimiter: ",", Quote: `"`, Escape: `"`, ForceNotNull: []string{"a"}}},
		{"COPY BINARY t TO STDOUT", CopyStmt{Table: ObjectName{Name: "t"}, Format: "binary"}},
		{"COPY t TO STDOUT WITH BINARY", CopyStmt{Table: ObjectName{Name: "t"}, Format: "binary"}},
		{"COPY t TO STDOUT USING DELIMITERS '|'", CopyStmt{Table: ObjectName{Name: "t"}, Format: "text", Delimiter: "|", Null: `\N`}},
		{"COPY t FROM STDIN WHERE a > 1", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Format: "text",
			Delimiter: "\t", Null: `\N`, Where: "a > 1"}},
		// Server-side files and programs parse so the server can refuse them.
		{"COPY t FROM '/tmp/x.csv' (FORMAT csv)", CopyStmt{Table: ObjectName{Name: "t"}, From: true, Endpoint: CopyFile,
			Path: "/tmp/x.csv", Format: "csv", Delimiter: ",", Quote: `"`, Escape: `"`}},
		{"COPY t TO PROGRAM 'gzip > /tmp/x'", CopyStmt{Table: ObjectName{Name: "t"}, Endpoint: CopyProgram,
			Path: "gzip > /tmp/x", Format: "text", Delimiter: "\t", Null: `\N`}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.in)
		if s.Copy == nil {
			t.Errorf("Parse(%q): no Copy", tt.in)
			continue
		}
		if !reflect.DeepEqual(*s.Copy, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, *s.Copy, tt.want)
		}
	}
	s := mustParse(t, "COPY (SELECT a, ';' FROM t WHERE b) TO STDOUT WITH (FORMAT csv)")
	if c := s.Copy; c.Query != "SELECT a, ';' FROM t WHERE b" || c.Inner.Kind != KindSelect || c.Table != (ObjectName{}) || !s.ReadOnly {
		t.Errorf("COPY (query) = %+v", c)
	}
}

func TestParseMisc(t *testing.T) {
	s := mustParse(t, "PREPARE q (int, text[], character varying(10)) AS SELECT $1, $2, $3")
	if p := s.Prepare; p.Name != "q" || !reflect.DeepEqual(p.ParamTypes, []string{"int", "text[]", "character varying(10)"}) ||
		p.Query != "SELECT $1, $2, $3" || p.Inner.Kind != KindSelect {
		t.Errorf("PREPARE = %+v", p)
	}
	s = mustParse(t, "PREPARE ins AS INSERT INTO t VALUES ($1) RETURNING id")
	if p := s.Prepare; p.Name != "ins" || p.ParamTypes != nil || !p.Inner.Returning {
		t.Errorf("PREPARE = %+v", p)
	}
	s = mustParse(t, "EXECUTE q (1, 'a,b', f(2, 3))")
	if e := s.Execute; e.Name != "q" || !reflect.DeepEqual(e.Args, []string{"1", "'a,b'", "f(2, 3)"}) {
		t.Errorf("EXECUTE = %+v", e)
	}
	if s := mustParse(t, "DEALLOCATE PREPARE q"); s.Deallocate.Name != "q" || s.Tag != "DEALLOCATE" {
		t.Errorf("DEALLOCATE = %+v", s.Deallocate)
	}
	if s := mustParse(t, "DEALLOCATE ALL"); !s.Deallocate.All || s.Tag != "DEALLOCATE ALL" {
		t.Errorf("DEALLOCATE ALL = %+v", s.Deallocate)
	}
	for in, tag := range map[string]string{"DISCARD ALL": "DISCARD ALL", "DISCARD PLANS": "DISCARD PLANS",
		"DISCARD TEMPORARY": "DISCARD TEMP", "DISCARD SEQUENCES": "DISCARD SEQUENCES"} {
		if s := mustParse(t, in); s.Tag != tag || s.Kind != KindDiscard || "DISCARD "+s.Discard.Target != tag {
			t.Errorf("%s: tag %q %+v", in, s.Tag, s.Discard)
		}
	}
	s = mustParse(t, "TRUNCATE TABLE ONLY a, s.b * RESTART IDENTITY CASCADE")
	if tr := s.Truncate; !reflect.DeepEqual(tr.Tables, []ObjectName{{Name: "a"}, {Schema: "s", Name: "b"}}) ||
		!tr.RestartIdentity || !tr.Cascade || s.Tag != "TRUNCATE TABLE" {
		t.Errorf("TRUNCATE = %+v", tr)
	}
	s = mustParse(t, "truncate t")
	if tr := s.Truncate; len(tr.Tables) != 1 || tr.RestartIdentity || tr.Cascade {
		t.Errorf("TRUNCATE = %+v", tr)
	}
	s = mustParse(t, "CREATE DATABASE \"Db\" WITH OWNER = bob ENCODING 'UTF8' CONNECTION LIMIT -1 IS_TEMPLATE false")
	if d := s.Database; d.Name != "Db" || s.Kind != KindCreateDatabase || !reflect.DeepEqual(d.Options, []Option{
		{"owner", "bob"}, {"encoding", "UTF8"}, {"connection_limit", "-1"}, {"is_template", "false"}}) {
		t.Errorf("CREATE DATABASE = %+v", d)
	}
	s = mustParse(t, "DROP DATABASE IF EXISTS db WITH (FORCE)")
	if d := s.Database; d.Name != "db" || !d.IfExists || !d.Force || s.Kind != KindDropDatabase || s.Tag != "DROP DATABASE" {
		t.Errorf("DROP DATABASE = %+v", d)
	}
	if d := mustParse(t, "DROP DATABASE db").Database; d.Force || d.IfExists || d.Name != "db" {
		t.Errorf("DROP DATABASE = %+v", d)
	}
	s = mustParse(t, "EXPLAIN (ANALYZE, COSTS off, FORMAT JSON) UPDATE t SET a = 1")
	if e := s.Explain; !e.Analyze || e.Format != "json" || e.Query != "UPDATE t SET a = 1" || e.Inner.Kind != KindUpdate ||
		len(e.Options) != 3 || e.Options[1] != (Option{"costs", "off"}) || s.ReadOnly {
		t.Errorf("EXPLAIN = %+v", e)
	}
	s = mustParse(t, "EXPLAIN ANALYZE VERBOSE (SELECT 1)")
	if e := s.Explain; !e.Analyze || !e.Verbose || e.Query != "(SELECT 1)" {
		t.Errorf("EXPLAIN = %+v", e)
	}
	if e := mustParse(t, "EXPLAIN CREATE TABLE x AS SELECT 1").Explain; e.Inner.Kind != KindCreateTable {
		t.Errorf("EXPLAIN CTAS = %+v", e)
	}
	if n := mustParse(t, "LISTEN \"Chan\"").Notify; n.Channel != "Chan" {
		t.Errorf("LISTEN = %+v", n)
	}
	if n := mustParse(t, "UNLISTEN *").Notify; !n.All {
		t.Errorf("UNLISTEN = %+v", n)
	}
	if n := mustParse(t, "NOTIFY ch, 'hello'").Notify; n.Channel != "ch" || n.Payload != "hello" {
		t.Errorf("NOTIFY = %+v", n)
	}
	s = mustParse(t, "LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE NOWAIT")
	if l := s.Lock; len(l.Tables) != 2 || l.Mode != "SHARE ROW EXCLUSIVE" || !l.NoWait || s.ReadOnly {
		t.Errorf("LOCK = %+v", l)
	}
}

func TestParseDDL(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		tag  string
		want DDL
	}{
		{"CREATE TABLE IF NOT EXISTS s.\"T\" (a int GENERATED ALWAYS AS (1) STORED)", KindCreateTable, "CREATE TABLE",
			DDL{Verb: "CREATE", Object: "TABLE", Names: []ObjectName{{Schema: "s", Name: "T"}}, IfNotExists: true}},
		{"CREATE TEMP TABLE t AS SELECT 1 WITH NO DATA", KindCreateTable, "CREATE TABLE AS",
			DDL{Verb: "CREATE", Object: "TABLE", Names: []ObjectName{{Name: "t"}}, Temporary: true, AsQuery: "SELECT 1", WithNoData: true}},
		{"CREATE UNLOGGED TABLE t (a) AS VALUES (1) WITH DATA", KindCreateTable, "SELECT",
			DDL{Verb: "CREATE", Object: "TABLE", Names: []ObjectName{{Name: "t"}}, Unlogged: true, AsQuery: "VALUES (1)"}},
		{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY t (a)", KindCreateIndex, "CREATE INDEX",
			DDL{Verb: "CREATE", Object: "INDEX", Names: []ObjectName{{Name: "i"}}, Table: &ObjectName{Name: "t"},
				Unique: true, Concurrently: true, IfNotExists: true}},
		{"CREATE INDEX ON s.t USING btree (a)", KindCreateIndex, "CREATE INDEX",
			DDL{Verb: "CREATE", Object: "INDEX", Table: &ObjectName{Schema: "s", Name: "t"}}},
		{"CREATE OR REPLACE TEMP VIEW v (x) AS SELECT 1", KindCreateView, "CREATE VIEW",
			DDL{Verb: "CREATE", Object: "VIEW", Names: []ObjectName{{Name: "v"}}, OrReplace: true, Temporary: true, AsQuery: "SELECT 1"}},
		{"CREATE MATERIALIZED VIEW mv AS SELECT 1 WITH NO DATA", KindOther, "CREATE MATERIALIZED VIEW",
			DDL{Verb: "CREATE", Object: "MATERIALIZED VIEW", Names: []ObjectName{{Name: "mv"}}, AsQuery: "SELECT 1", WithNoData: true}},
		{"CREATE TRIGGER trg BEFORE UPDATE OF a, b ON s.t FOR EACH ROW EXECUTE FUNCTION f()", KindCreateTrigger, "CREATE TRIGGER",
			DDL{Verb: "CREATE", Object: "TRIGGER", Names: []ObjectName{{Name: "trg"}}, Table: &ObjectName{Schema: "s", Name: "t"}}},
		{"CREATE TEMP TRIGGER IF NOT EXISTS trg AFTER INSERT ON t BEGIN SELECT 1; END", KindCreateTrigger, "CREATE TRIGGER",
			DDL{Verb: "CREATE", Object: "TRIGGER", Names: []ObjectName{{Name: "trg"}}, Table: &ObjectName{Name: "t"}, Temporary: true, IfNotExists: true}},
		{"CREATE SCHEMA IF NOT EXISTS app", KindCreateSchema, "CREATE SCHEMA",
			DDL{Verb: "CREATE", Object: "SCHEMA", Names: []ObjectName{{Name: "app"}}, IfNotExists: true}},
		{"CREATE SCHEMA AUTHORIZATION bob", KindCreateSchema, "CREATE SCHEMA",
			DDL{Verb: "CREATE", Object: "SCHEMA", Names: []ObjectName{{Name: "bob"}}}},
		{"CREATE SEQUENCE s START 10", KindCreateSequence, "CREATE SEQUENCE",
			DDL{Verb: "CREATE", Object: "SEQUENCE", Names: []ObjectName{{Name: "s"}}}},
		{"CREATE USER bob", KindOther, "CREATE ROLE", DDL{Verb: "CREATE", Object: "ROLE", Names: []ObjectName{{Name: "bob"}}}},
		{"DROP TABLE IF EXISTS a, s.b CASCADE", KindDropTable, "DROP TABLE",
			DDL{Verb: "DROP", Object: "TABLE", Names: []ObjectName{{Name: "a"}, {Schema: "s", Name: "b"}}, IfExists: true, Cascade: true}},
		{"DROP INDEX CONCURRENTLY IF EXISTS i", KindDropIndex, "DROP INDEX",
			DDL{Verb: "DROP", Object: "INDEX", Names: []ObjectName{{Name: "i"}}, IfExists: true, Concurrently: true}},
		{"DROP TRIGGER IF EXISTS trg ON t RESTRICT", KindDropTrigger, "DROP TRIGGER",
			DDL{Verb: "DROP", Object: "TRIGGER", Names: []ObjectName{{Name: "trg"}}, Table: &ObjectName{Name: "t"}, IfExists: true}},
		{"DROP VIEW v", KindDropView, "DROP VIEW", DDL{Verb: "DROP", Object: "VIEW", Names: []ObjectName{{Name: "v"}}}},
		{"DROP FUNCTION f(int, text), g()", KindOther, "DROP FUNCTION",
			DDL{Verb: "DROP", Object: "FUNCTION", Names: []ObjectName{{Name: "f"}, {Name: "g"}}}},
		{"DROP OPERATOR CLASS c USING btree", KindOther, "DROP OPERATOR CLASS", DDL{Verb: "DROP", Object: "OPERATOR CLASS"}},
		{"DROP OPERATOR === (int, int)", KindOther, "DROP OPERATOR", DDL{Verb: "DROP", Object: "OPERATOR"}},
		{"DROP SEQUENCE s", KindDropSequence, "DROP SEQUENCE", DDL{Verb: "DROP", Object: "SEQUENCE", Names: []ObjectName{{Name: "s"}}}},
		{"ALTER TABLE IF EXISTS ONLY t RENAME TO u", KindAlterTable, "ALTER TABLE",
			DDL{Verb: "ALTER", Object: "TABLE", Names: []ObjectName{{Name: "t"}}, IfExists: true}},
		{"ALTER SEQUENCE s RESTART", KindOther, "ALTER SEQUENCE", DDL{Verb: "ALTER", Object: "SEQUENCE", Names: []ObjectName{{Name: "s"}}}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.in)
		if s.Kind != tt.kind || s.Tag != tt.tag || s.DDL == nil || !reflect.DeepEqual(*s.DDL, tt.want) || s.ReadOnly {
			t.Errorf("Parse(%q) = %v %q %#v\n want %v %q %#v", tt.in, s.Kind, s.Tag, s.DDL, tt.kind, tt.tag, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, code, msg string
		pos           int
	}{
		{"SELEC 1", "42601", `syntax error at or near "SELEC"`, 1},
		{"42", "42601", `syntax error at or near "42"`, 1},
		{"SELECT 1; SELECT 2", "42601", "cannot insert multiple commands into a prepared statement", 0},
		{"SELECT 'x", "42601", "unterminated quoted string", 8},
		{"BEGIN ISOLATION LEVEL FOO", "42601", `syntax error at or near "FOO"`, 23},
		{"BEGIN READ", "42601", "syntax error at end of input", 11},
		{"BEGIN READ ONLY,", "42601", "syntax error at end of input", 17},
		{"COMMIT AND", "42601", "syntax error at end of input", 11},
		{"SAVEPOINT", "42601", "syntax error at end of input", 10},
		{"SAVEPOINT select", "42601", `syntax error at or near "select"`, 11},
		{"RELEASE a b", "42601", `syntax error at or near "b"`, 11},
		{"ROLLBACK TO", "42601", "syntax error at end of input", 12},
		{"SET", "42601", "syntax error at end of input", 4},
		{"SET x TO", "42601", "syntax error at end of input", 9},
		{"SET x.y TO 1 2", "42601", `syntax error at or near "2"`, 14},
		{"SET x.y = null", "42601", `syntax error at or near "null"`, 11},
		{"SET x.y = default, 1", "42601", `syntax error at or near ","`, 18},
		{"SET CATALOG 'x'", "0A000", "current database cannot be changed", 13},
		{"SET TIME ZONE INTERVAL '+01:00' HOUR TO MINUTE", "0A000", "SET TIME ZONE INTERVAL is not supported", 0},
		{"SHOW", "42601", "syntax error at end of input", 5},
		{"RESET", "42601", "syntax error at end of input", 6},
		{"DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1", "42P11", "cannot specify both SCROLL and NO SCROLL", 0},
		{"DECLARE c CURSOR FOR INSERT INTO t VALUES (1)", "42601", `syntax error at or near "INSERT"`, 22},
		{"DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t FOR UPDATE", "0A000", "DECLARE CURSOR WITH HOLD ... FOR UPDATE is not supported", 0},
		{"DECLARE c SCROLL CURSOR FOR SELECT * FROM t FOR UPDATE", "0A000", "DECLARE SCROLL CURSOR ... FOR UPDATE is not supported", 0},
		{"DECLARE c CURSOR FOR", "42601", "syntax error at end of input", 21},
		{"DECLARE c CURSOR FOR SELECT 'x", "42601", "unterminated quoted string", 29},
		{"FETCH ABSOLUTE FROM c", "42601", `syntax error at or near "FROM"`, 16},
		{"FETCH", "42601", "syntax error at end of input", 6},
		{"FETCH ALL", "42601", `syntax error at or near "ALL"`, 7},
		{"CLOSE", "42601", "syntax error at end of input", 6},
		{"COPY t FROM STDIN WITH (FORMAT xml)", "22023", `COPY format "xml" not recognized`, 25},
		{"COPY t FROM STDIN WITH (FORMAT csv, FORMAT csv)", "42601", "conflicting or redundant options", 37},
		{"COPY t FROM STDIN WITH (DELIMITER ';;')", "0A000", "COPY delimiter must be a single one-byte character", 0},
		{"COPY t FROM STDIN WITH (FORMAT binary, DELIMITER ',')", "42601", "cannot specify DELIMITER in BINARY mode", 0},
		{"COPY t FROM STDIN WITH (QUOTE '\"')", "0A000", "COPY quote available only in CSV mode", 0},
		{"COPY t FROM STDIN WITH (FOO 1)", "42601", `option "foo" not recognized`, 25},
		{"COPY t TO STDOUT WITH (FORMAT csv, FORCE_NOT_NULL (a))", "0A000", "COPY force not null only available using COPY FROM", 0},
		{"COPY t FROM STDIN WITH (FORMAT csv, FORCE_QUOTE (a))", "0A000", "COPY force quote only available using COPY TO", 0},
		{"COPY t TO STDOUT WITH (FORMAT csv, HEADER match)", "0A000", `cannot use "match" with HEADER in COPY TO`, 0},
		{"COPY t TO STDOUT WITH (FORMAT binary, HEADER)", "0A000", "cannot specify HEADER in BINARY mode", 0},
		{"COPY t TO STDOUT WITH (FORMAT csv, DELIMITER '|', QUOTE '|')", "22023", "COPY delimiter and quote must be different", 0},
		{"COPY t TO STDOUT WITH (FORMAT csv, NULL 'a,b')", "0A000", "COPY delimiter must not appear in the NULL specification", 0},
		{"COPY t TO STDOUT WITH (DELIMITER E'\\n')", "22023", "COPY delimiter cannot be newline or carriage return", 0},
		{"COPY t TO STDOUT WITH (DELIMITER 'a')", "22023", `COPY delimiter cannot be "a"`, 0},
		{"COPY t TO STDOUT WITH (FORMAT csv, ESCAPE 'ab')", "0A000", "COPY escape must be a single one-byte character", 0},
		{"COPY (INSERT INTO t VALUES (1)) TO STDOUT", "0A000", "COPY query must have a RETURNING clause", 0},
		{"COPY (SELECT 1) FROM STDIN", "42601", `syntax error at or near "FROM"`, 17},
		{"COPY t TO STDOUT WHERE a > 1", "42601", "WHERE clause not allowed with COPY TO", 18},
		{"COPY t TO PROGRAM STDOUT", "42601", "STDIN/STDOUT not allowed with PROGRAM", 0},
		{"COPY t", "42601", "syntax error at end of input", 7},
		{"EXPLAIN (FOO) SELECT 1", "42601", `unrecognized EXPLAIN option "foo"`, 10},
		{"EXPLAIN VERBOSE ANALYZE SELECT 1", "42601", `syntax error at or near "ANALYZE"`, 17},
		{"EXPLAIN SHOW ALL", "42601", `syntax error at or near "SHOW"`, 9},
		{"DISCARD FOO", "42601", `syntax error at or near "FOO"`, 9},
		{"TRUNCATE", "42601", "syntax error at end of input", 9},
		{"LOCK t IN FOO MODE", "42601", `syntax error at or near "FOO"`, 11},
		{"PREPARE q2 AS SHOW all", "42601", `syntax error at or near "SHOW"`, 15},
		{"PREPARE TRANSACTION 'x'", "0A000", "PREPARE TRANSACTION is not supported", 0},
		{"COMMIT PREPARED 'x'", "0A000", "COMMIT PREPARED is not supported", 0},
		{"CREATE FOO bar", "42601", `syntax error at or near "FOO"`, 8},
		{"CREATE TABLE select (a int)", "42601", `syntax error at or near "select"`, 14},
		{"DROP TABLE", "42601", "syntax error at end of input", 11},
		{"DROP DATABASE db WITH (FOO)", "42601", `syntax error at or near "FOO"`, 24},
		{"NOTIFY ch, 1", "42601", `syntax error at or near "1"`, 12},
		{"CHECKPOINT now", "42601", `syntax error at or near "now"`, 12},
		{"EXPLAIN (ANALYZE maybe) SELECT 1", "42601", "analyze requires a Boolean value", 0},
		{"EXPLAIN SELECT 'x", "42601", "unterminated quoted string", 16},
		{"COPY ( SELECT 'x) TO STDOUT", "42601", "unterminated quoted string", 15},
		{"DROP TABLE a b", "42601", `syntax error at or near "b"`, 14},
		{"VALUES", "42601", "", 0}, // classification only: SQLite reports the details
	}
	for _, tt := range tests {
		if tt.msg == "" {
			continue
		}
		_, err := Parse(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) err = %v, want *Error", tt.in, err)
			continue
		}
		if e.Code != tt.code || !strings.Contains(e.Message, tt.msg) || e.Position != tt.pos {
			t.Errorf("Parse(%q) = %s %q pos %d; want %s %q pos %d", tt.in, e.Code, e.Message, e.Position, tt.code, tt.msg, tt.pos)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a_1": "a_1", "_x": "_x", "Abc": `"Abc"`, "1a": `"1a"`, "a b": `"a b"`, "": `""`,
		`a"b`: `"a""b"`, "select": `"select"`, "int": `"int"`, "left": `"left"`, "name": "name", "$user": `"$user"`,
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	if got := (ObjectName{Schema: "My", Name: "t"}).String(); got != `"My".t` {
		t.Errorf("ObjectName.String() = %s", got)
	}
}

// TestParseCorpus parses every captured real-client query: each must
// classify as a read-only SELECT (they are all catalog queries).
func TestParseCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/psql15/*.sql")
	if err != nil || len(files) < 30 {
		t.Fatalf("corpus missing: %v %d", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts, err := Split(string(b))
		if err != nil || len(stmts) != 1 {
			t.Errorf("%s: Split = %d stmts, %v", f, len(stmts), err)
			continue
		}
		s, err := Parse(stmts[0])
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if s.Kind != KindSelect || !s.ReadOnly {
			t.Errorf("%s: kind %v readOnly %v", f, s.Kind, s.ReadOnly)
		}
	}
}

// TestParseQueriesCorpus splits and parses every captured client query.
func TestParseQueriesCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/queries/*.sql")
	if err != nil || len(files) < 50 {
		t.Fatalf("corpus missing: %v %d", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts, err := Split(string(b))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, st := range stmts {
			s, err := Parse(st)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", f, st, err)
				continue
			}
			if s.Tag == "" {
				t.Errorf("%s: %q has no tag", f, st)
			}
		}
	}
}
