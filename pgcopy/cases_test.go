package pgcopy

import (
	"encoding/binary"
	"strings"
)

// The tables in this file are the package's specification. Every expected
// value was observed on PostgreSQL 15.18 (UTF8 database): pg_test.go replays
// each case against a live server when PGCOPY_TEST_DSN is set, so a drift
// between the table and PostgreSQL fails loudly there, and decoder_test.go /
// encoder_test.go hold this package to the same table.

// nul stands for SQL NULL in expected rows.
const nul = "\x00NULL\x00"

type decodeCase struct {
	name  string
	opts  Options
	ncols int
	names []string // default a, b, c, ...
	in    string
	rows  [][]string
	err   string // "SQLSTATE: message"
	where string // expected Error.Context("t")
}

func (c decodeCase) colNames() []string {
	if c.names != nil {
		return c.names
	}
	n := make([]string, c.ncols)
	for i := range n {
		n[i] = string(rune('a' + i))
	}
	return n
}

var (
	csvOpt = Options{Format: CSV}
	binOpt = Options{Format: Binary}
)

func withNull(o Options, null string) Options { o.NullSet, o.Null = true, null; return o }

// bin builds binary COPY input: the standard header, then each tuple of
// fields (nul = NULL), then the trailer when trailer is set.
func bin(trailer bool, tuples ...[]string) string {
	var b []byte
	b = append(b, binarySignature...)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 0)
	for _, t := range tuples {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		for _, f := range t {
			if f == nul {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
			b = append(b, f...)
		}
	}
	if trailer {
		b = append(b, 0xff, 0xff)
	}
	return string(b)
}

func be32(v int32) string { return string(binary.BigEndian.AppendUint32(nil, uint32(v))) }
func be16(v int16) string { return string(binary.BigEndian.AppendUint16(nil, uint16(v))) }

var sig = string(binarySignature)

var decodeCases = []decodeCase{
	// ---- text ----
	{name: "text/basic", ncols: 2, in: "1\t2\n3\t4\n", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "text/empty input", ncols: 2, in: ""},
	{name: "text/no final newline", ncols: 2, in: "1\t2\n3\t4", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "text/null and escaped null", ncols: 3, in: "\\N\t\\\\N\t\n", rows: [][]string{{nul, `\N`, ""}}},
	{name: "text/null marker is raw", ncols: 2, in: "\\N\\N\tN\n", rows: [][]string{{"NN", "N"}}},
	{name: "text/c escapes", ncols: 1, in: `a\bb\fc\nd\re\tf\vg\\h\qi\Nj` + "\n",
		rows: [][]string{{"a\bb\fc\nd\re\tf\vg\\hqiNj"}}},
	{name: "text/octal nul", ncols: 4, in: "\\101\t\\1010\t\\7x\t\\08\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0x00`, where: `COPY t, line 1: "\101	\1010	\7x	\08"`},
	{name: "text/octal ok", ncols: 3, in: "\\101\t\\1010\t\\7x\n", rows: [][]string{{"A", "A0", "\ax"}}},
	{name: "text/hex", ncols: 5, in: "\\x41\t\\x4g\t\\xg\t\\x\t\\x414\n", rows: [][]string{{"A", "\x04g", "xg", "x", "A4"}}},
	{name: "text/escaped utf8 bytes", ncols: 2, in: "\\303\\251\t\\xC3\\xa9\n", rows: [][]string{{"é", "é"}}},
	{name: "text/escaped invalid utf8", ncols: 2, in: "ok\t\\377\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xff`, where: `COPY t, line 1: "ok	\377"`},
	{name: "text/escaped truncated utf8", ncols: 1, in: "a\\303\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xc3`, where: `COPY t, line 1: "a\303"`},
	{name: "text/escaped invalid in null field ok", opts: withNull(Options{}, `\377`), ncols: 1, in: "\\377\n", rows: [][]string{{nul}}},
	{name: "text/utf8 passthrough", ncols: 2, in: "héllo\t日本\n", rows: [][]string{{"héllo", "日本"}}},
	{name: "text/invalid utf8", ncols: 2, in: "1\t2\na\xff\tb\n",
		rows: [][]string{{"1", "2"}},
		err:  `22021: invalid byte sequence for encoding "UTF8": 0xff`, where: `COPY t, line 2`},
	{name: "text/truncated utf8 shows next bytes", ncols: 1, in: "\xe2\x82\nabc\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xe2 0x82 0x0a`, where: `COPY t, line 1`},
	{name: "text/truncated utf8 at eof", ncols: 1, in: "ab\xe2\x82",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xe2 0x82`, where: `COPY t, line 1`},
	{name: "text/raw nul byte", ncols: 1, in: "a\x00b\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0x00`, where: `COPY t, line 1`},
	{name: "text/invalid utf8 after marker ignored", ncols: 1, in: "a\n\\.\n\xff\xfe", rows: [][]string{{"a"}}},
	{name: "text/trailing backslash at eof", ncols: 2, in: "a\tb\\", rows: [][]string{{"a", "b"}}},
	{name: "text/backslash newline is data", ncols: 2, in: "a\\\nb\tc\n", rows: [][]string{{"a\nb", "c"}}},
	{name: "text/backslash cr is data", ncols: 2, in: "a\\\rb\tc\n", rows: [][]string{{"a\rb", "c"}}},
	{name: "text/crlf", ncols: 2, in: "1\t2\r\n3\t4\r\n", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "text/cr", ncols: 2, in: "1\t2\r3\t4\r", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "text/crlf then lf", ncols: 2, in: "1\t2\r\n3\t4\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: literal newline found in data", where: "COPY t, line 2"},
	{name: "text/lf then cr", ncols: 2, in: "1\t2\n3\t4\r\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: literal carriage return found in data", where: "COPY t, line 2"},
	{name: "text/cr then lf", ncols: 2, in: "1\t2\r3\t4\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: literal newline found in data", where: "COPY t, line 2"},
	{name: "text/crlf then bare cr", ncols: 2, in: "1\t2\r\n3\r4\r\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: literal carriage return found in data", where: "COPY t, line 2"},
	{name: "text/crlf then cr at eof", ncols: 2, in: "1\t2\r\n3\t4\r",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: literal carriage return found in data", where: "COPY t, line 2"},
	{name: "text/marker", ncols: 2, in: "1\t2\n\\.\n3\t4\n", rows: [][]string{{"1", "2"}}},
	{name: "text/marker crlf", ncols: 2, in: "1\t2\r\n\\.\r\ngarbage", rows: [][]string{{"1", "2"}}},
	{name: "text/marker cr", ncols: 2, in: "1\t2\r\\.\rgarbage", rows: [][]string{{"1", "2"}}},
	{name: "text/marker first line", ncols: 2, in: "\\.\n1\t2\n"},
	{name: "text/marker first line crlf", ncols: 2, in: "\\.\r\n1\t2\n"},
	{name: "text/marker after data on line", ncols: 2, in: "1\t2\\.\n3\t4\n", rows: [][]string{{"1", "2"}}},
	{name: "text/marker at eof", ncols: 2, in: "1\t2\n\\.",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: end-of-copy marker corrupt", where: "COPY t, line 2"},
	{name: "text/marker corrupt", ncols: 2, in: "1\t2\n\\.x\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: end-of-copy marker corrupt", where: "COPY t, line 2"},
	{name: "text/marker mid line corrupt", ncols: 1, in: "ab\\.cd\n",
		err: "22P04: end-of-copy marker corrupt", where: "COPY t, line 1"},
	{name: "text/marker newline style lf vs crlf", ncols: 2, in: "1\t2\n\\.\r\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: end-of-copy marker does not match previous newline style", where: "COPY t, line 2"},
	{name: "text/marker newline style crlf vs lf", ncols: 2, in: "1\t2\r\n\\.\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: end-of-copy marker does not match previous newline style", where: "COPY t, line 2"},
	{name: "text/marker newline style cr vs lf", ncols: 2, in: "1\t2\r\\.\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: end-of-copy marker does not match previous newline style", where: "COPY t, line 2"},
	{name: "text/escaped backslash dot", ncols: 1, in: "\\\\.\n", rows: [][]string{{`\.`}}},
	{name: "text/empty line one column", ncols: 1, in: "\n\n", rows: [][]string{{""}, {""}}},
	{name: "text/empty line two columns", ncols: 2, in: "\n",
		err: `22P04: missing data for column "b"`, where: `COPY t, line 1: ""`},
	{name: "text/missing column", ncols: 3, names: []string{"x", "y", "z"}, in: "1\t2\t3\n1\t2\n",
		rows: [][]string{{"1", "2", "3"}},
		err:  `22P04: missing data for column "z"`, where: `COPY t, line 2: "1	2"`},
	{name: "text/extra column", ncols: 2, in: "1\t2\t3\n",
		err: "22P04: extra data after last expected column", where: `COPY t, line 1: "1	2	3"`},
	{name: "text/extra empty column", ncols: 2, in: "1\t2\t\n",
		err: "22P04: extra data after last expected column", where: `COPY t, line 1: "1	2	"`},
	{name: "text/encoding error beats extra data", ncols: 1, in: "1\t\\377\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xff`, where: `COPY t, line 1: "1	\377"`},
	{name: "text/long line context truncated", ncols: 1, in: strings.Repeat("é", 60) + "\t1\n",
		err: "22P04: extra data after last expected column", where: `COPY t, line 1: "` + strings.Repeat("é", 50) + `..."`},
	{name: "text/delimiter and null", opts: Options{Delimiter: '|', Null: "", NullSet: true}, ncols: 3,
		in: "a|\\||\n", rows: [][]string{{"a", "|", nul}}},
	{name: "text/escaped delimiter default", ncols: 2, in: "a\\\tb\tc\n", rows: [][]string{{"a\tb", "c"}}},
	{name: "text/control delimiter", opts: Options{Delimiter: 0x01}, ncols: 2, in: "a\x01b\n", rows: [][]string{{"a", "b"}}},
	{name: "text/space delimiter", opts: Options{Delimiter: ' '}, ncols: 3, in: "a b \n", rows: [][]string{{"a", "b", ""}}},
	{name: "text/header skipped", opts: Options{Header: true}, ncols: 2, in: "x\ty\n1\t2\n", rows: [][]string{{"1", "2"}}},
	{name: "text/header only", opts: Options{Header: true}, ncols: 2, in: "x\ty"},
	{name: "text/header bad utf8", opts: Options{Header: true}, ncols: 1, in: "\xff\n1\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xff`, where: "COPY t, line 1"},
	{name: "text/header match", opts: Options{HeaderMatch: true}, ncols: 2, in: "a\tb\n1\t2\n", rows: [][]string{{"1", "2"}}},
	{name: "text/header match mismatch", opts: Options{HeaderMatch: true}, ncols: 2, in: "a\tc\n1\t2\n",
		err: `22P04: column name mismatch in header line field 2: got "c", expected "b"`, where: `COPY t, line 1: "a	c"`},
	{name: "text/header match null", opts: Options{HeaderMatch: true}, ncols: 2, in: "\\N\tb\n",
		err: `22P04: column name mismatch in header line field 1: got null value ("\N"), expected "a"`, where: `COPY t, line 1: "\N	b"`},
	{name: "text/header match count", opts: Options{HeaderMatch: true}, ncols: 2, in: "a\n",
		err: "22P04: wrong number of fields in header line: got 1, expected 2", where: `COPY t, line 1: "a"`},
	{name: "text/header match empty input", opts: Options{HeaderMatch: true}, ncols: 2, in: "",
		err: "22P04: wrong number of fields in header line: got 1, expected 2", where: `COPY t, line 1: ""`},
	{name: "text/header match escaped", opts: Options{HeaderMatch: true}, ncols: 1, names: []string{"a\tb"}, in: "a\\tb\n1\n",
		rows: [][]string{{"1"}}},
	{name: "text/zero columns", ncols: 0, in: "\n\n", rows: [][]string{{}, {}}},
	{name: "text/zero columns extra", ncols: 0, in: "\nx\n",
		rows: [][]string{{}},
		err:  "22P04: extra data after last expected column", where: `COPY t, line 2: "x"`},

	// ---- csv ----
	{name: "csv/basic", opts: csvOpt, ncols: 2, in: "1,2\n3,4\n", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "csv/quoted", opts: csvOpt, ncols: 3, in: "\"a,b\",\"c\"\"d\",\"\"\n", rows: [][]string{{"a,b", `c"d`, ""}}},
	{name: "csv/null vs empty", opts: csvOpt, ncols: 3, in: ",\"\",\n", rows: [][]string{{nul, "", nul}}},
	{name: "csv/partial quotes", opts: csvOpt, ncols: 2, in: "a\"b,\"c,\"d\" e\n", rows: [][]string{{"ab,c", "d e"}}},
	{name: "csv/embedded newlines", opts: csvOpt, ncols: 2, in: "\"a\nb\",\"c\r\nd\"\n2,3\n",
		rows: [][]string{{"a\nb", "c\r\nd"}, {"2", "3"}}},
	{name: "csv/backslash is data", opts: csvOpt, ncols: 2, in: "a\\,\\N\n", rows: [][]string{{`a\`, `\N`}}},
	{name: "csv/unterminated quote", opts: csvOpt, ncols: 1, in: "\"abc\n",
		err: "22P04: unterminated CSV quoted field", where: `COPY t, line 1: ""abc` + "\n" + `"`},
	{name: "csv/unterminated quote line count", opts: csvOpt, ncols: 2, in: "1,2\n\"a\nb\nc",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: unterminated CSV quoted field", where: "COPY t, line 4: \"\"a\nb\nc\""},
	// An embedded newline before the newline style is known is not counted.
	{name: "csv/line count after embedded newline", opts: csvOpt, ncols: 2, in: "\"a\nb\",1\n2\n",
		rows: [][]string{{"a\nb", "1"}},
		err:  `22P04: missing data for column "b"`, where: `COPY t, line 2: "2"`},
	{name: "csv/line count after style known", opts: csvOpt, ncols: 2, in: "0,0\n\"a\nb\",1\n2\n",
		rows: [][]string{{"0", "0"}, {"a\nb", "1"}},
		err:  `22P04: missing data for column "b"`, where: `COPY t, line 4: "2"`},
	{name: "csv/crlf", opts: csvOpt, ncols: 2, in: "1,2\r\n3,4\r\n", rows: [][]string{{"1", "2"}, {"3", "4"}}},
	{name: "csv/unquoted cr", opts: csvOpt, ncols: 2, in: "1,2\na\rb,c\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: unquoted carriage return found in data", where: "COPY t, line 2"},
	{name: "csv/unquoted newline", opts: csvOpt, ncols: 2, in: "1,2\r\na\nb,c\r\n",
		rows: [][]string{{"1", "2"}},
		err:  "22P04: unquoted newline found in data", where: "COPY t, line 2"},
	{name: "csv/marker", opts: csvOpt, ncols: 1, in: "a\n\\.\nb\n", rows: [][]string{{"a"}}},
	{name: "csv/marker crlf", opts: csvOpt, ncols: 1, in: "a\r\n\\.\r\nb\n", rows: [][]string{{"a"}}},
	{name: "csv/marker style mismatch", opts: csvOpt, ncols: 1, in: "a\n\\.\r\n",
		rows: [][]string{{"a"}},
		err:  "22P04: end-of-copy marker does not match previous newline style", where: "COPY t, line 2"},
	{name: "csv/marker crlf then lf is data", opts: csvOpt, ncols: 1, in: "a\r\n\\.\nb\r\n",
		rows: [][]string{{"a"}},
		err:  "22P04: unquoted newline found in data", where: "COPY t, line 2"},
	{name: "csv/dot data", opts: csvOpt, ncols: 1, in: "\\.x\n\"\\.\"\nx\\.\n", rows: [][]string{{`\.x`}, {`\.`}, {`x\.`}}},
	{name: "csv/marker at eof is data", opts: csvOpt, ncols: 1, in: "a\n\\.", rows: [][]string{{"a"}, {`\.`}}},
	{name: "csv/backslash at eof", opts: csvOpt, ncols: 1, in: "a\n\\", rows: [][]string{{"a"}, {`\`}}},
	{name: "csv/marker inside quotes is data", opts: csvOpt, ncols: 1, in: "\"a\n\\.\n\"\n", rows: [][]string{{"a\n\\.\n"}}},
	{name: "csv/marker then two columns", opts: csvOpt, ncols: 2, in: "\\.,b\n", rows: [][]string{{`\.`, "b"}}},
	{name: "csv/null string", opts: withNull(csvOpt, "NULL"), ncols: 3, in: "NULL,\"NULL\",\n",
		rows: [][]string{{nul, "NULL", ""}}},
	{name: "csv/escape", opts: Options{Format: CSV, Escape: '\\'}, ncols: 2, in: "\"a\\\"b\\\\c\\d\",e\\\n",
		rows: [][]string{{`a"b\c\d`, `e\`}}},
	// Outside quotes the escape is data and escapes nothing, so this quote
	// opens a quoted section that never closes.
	{name: "csv/escape outside quotes", opts: Options{Format: CSV, Escape: '\\'}, ncols: 2, in: "a,e\\\"\n",
		err: "22P04: unterminated CSV quoted field", where: "COPY t, line 1: \"a,e\\\"\n\""},
	{name: "csv/escape hides quote from line reader", opts: Options{Format: CSV, Escape: '\\'}, ncols: 1,
		in: "\"a\\\"\nb\"\n", rows: [][]string{{"a\"\nb"}}},
	{name: "csv/quote and delimiter", opts: Options{Format: CSV, Quote: '\'', Delimiter: ';'}, ncols: 2,
		in: "'a;b';'it''s'\n", rows: [][]string{{"a;b", "it's"}}},
	{name: "csv/tab delimiter", opts: Options{Format: CSV, Delimiter: '\t'}, ncols: 2, in: "a\t\"b\tc\"\n",
		rows: [][]string{{"a", "b\tc"}}},
	{name: "csv/force not null", opts: Options{Format: CSV, ForceNotNull: []int{1}}, ncols: 3, in: ",,\n",
		rows: [][]string{{nul, "", nul}}},
	{name: "csv/force null", opts: Options{Format: CSV, ForceNull: []int{0, 1}}, ncols: 3, in: "\"\",\"\",\"\"\n",
		rows: [][]string{{nul, nul, ""}}},
	{name: "csv/force null custom", opts: Options{Format: CSV, Null: "N", NullSet: true, ForceNull: []int{0}, ForceNotNull: []int{1}},
		ncols: 2, in: "\"N\",N\n", rows: [][]string{{nul, "N"}}},
	{name: "csv/header", opts: Options{Format: CSV, Header: true}, ncols: 2, in: "a,\"b\nc\"\n1,2\n", rows: [][]string{{"1", "2"}}},
	{name: "csv/header match", opts: Options{Format: CSV, HeaderMatch: true}, ncols: 2, names: []string{"A b", "c,d"},
		in: "A b,\"c,d\"\n1,2\n", rows: [][]string{{"1", "2"}}},
	{name: "csv/header match null", opts: Options{Format: CSV, HeaderMatch: true}, ncols: 2, in: "a,\n",
		err: `22P04: column name mismatch in header line field 2: got null value (""), expected "b"`, where: `COPY t, line 1: "a,"`},
	{name: "csv/extra", opts: csvOpt, ncols: 1, in: "a,\n",
		err: "22P04: extra data after last expected column", where: `COPY t, line 1: "a,"`},
	{name: "csv/unterminated beats extra", opts: csvOpt, ncols: 1, in: "a,\"b\n",
		err: "22P04: unterminated CSV quoted field", where: "COPY t, line 1: \"a,\"b\n\""},
	{name: "csv/invalid utf8 in quotes", opts: csvOpt, ncols: 1, in: "\"a\xc3(\"\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xc3 0x28`, where: "COPY t, line 1"},
	{name: "csv/encoding error counts embedded newlines", opts: csvOpt, ncols: 2, in: "a,b\n\"\n00\xc90",
		rows: [][]string{{"a", "b"}}, err: `22021: invalid byte sequence for encoding "UTF8": 0xc9 0x30`, where: "COPY t, line 3"},
	{name: "csv/encoding error waits for whole sequence", opts: csvOpt, ncols: 1, in: "\xec000\n",
		err: `22021: invalid byte sequence for encoding "UTF8": 0xec 0x30 0x30`, where: "COPY t, line 1"},
	{name: "csv/backslash quote", opts: Options{Format: CSV, Quote: '\\'}, ncols: 2, in: "\\a,b\\,c\nx,\\\\\n",
		rows: [][]string{{"a,b", "c"}, {"x", ""}}},
	{name: "csv/backslash quote marker", opts: Options{Format: CSV, Quote: '\\'}, ncols: 1, in: "a\n\\.\nb\n",
		rows: [][]string{{"a"}}},
	{name: "csv/backslash delimiter", opts: Options{Format: CSV, Delimiter: '\\'}, ncols: 2, in: "a\\b\n\\.\nc\\d\n",
		rows: [][]string{{"a", "b"}}},
	{name: "csv/backslash delimiter dot field", opts: Options{Format: CSV, Delimiter: '\\'}, ncols: 2, in: "\\.x\n",
		rows: [][]string{{nul, ".x"}}},
	{name: "csv/zero columns", opts: csvOpt, ncols: 0, in: "\n", rows: [][]string{{}}},

	// ---- binary ----
	{name: "binary/basic", opts: binOpt, ncols: 2, in: bin(true, []string{"ab", nul}, []string{"", "c"}),
		rows: [][]string{{"ab", nul}, {"", "c"}}},
	{name: "binary/no trailer", opts: binOpt, ncols: 1, in: bin(false, []string{"x"}), rows: [][]string{{"x"}}},
	{name: "binary/half trailer", opts: binOpt, ncols: 1, in: bin(false, []string{"x"}) + "\xff", rows: [][]string{{"x"}}},
	{name: "binary/raw bytes", opts: binOpt, ncols: 1, in: bin(true, []string{"a\tb\n\\"}), rows: [][]string{{"a\tb\n\\"}}},
	{name: "binary/zero columns", opts: binOpt, ncols: 0, in: bin(true, []string{}, []string{}), rows: [][]string{{}, {}}},
	{name: "binary/header extension", opts: binOpt, ncols: 1,
		in: sig + be32(0) + be32(3) + "xyz" + be16(1) + be32(1) + "q" + be16(-1), rows: [][]string{{"q"}}},
	{name: "binary/low flags ignored", opts: binOpt, ncols: 1,
		in: sig + be32(0x0000ffff) + be32(0) + be16(-1)},
	{name: "binary/empty input", opts: binOpt, ncols: 1, in: "",
		err: "22P04: COPY file signature not recognized"},
	{name: "binary/bad signature", opts: binOpt, ncols: 1, in: "PGCOPY\n\xff\r\n\x01" + be32(0) + be32(0),
		err: "22P04: COPY file signature not recognized"},
	{name: "binary/text input", opts: binOpt, ncols: 1, in: "1\n2\n",
		err: "22P04: COPY file signature not recognized"},
	{name: "binary/missing flags", opts: binOpt, ncols: 1, in: sig + "\x00\x00",
		err: "22P04: invalid COPY file header (missing flags)"},
	{name: "binary/oids", opts: binOpt, ncols: 1, in: sig + be32(1<<16) + be32(0),
		err: "22P04: invalid COPY file header (WITH OIDS)"},
	{name: "binary/critical flags", opts: binOpt, ncols: 1, in: sig + be32(1<<17) + be32(0),
		err: "22P04: unrecognized critical flags in COPY file header"},
	{name: "binary/missing length", opts: binOpt, ncols: 1, in: sig + be32(0) + "\x00",
		err: "22P04: invalid COPY file header (missing length)"},
	{name: "binary/negative length", opts: binOpt, ncols: 1, in: sig + be32(0) + be32(-5),
		err: "22P04: invalid COPY file header (missing length)"},
	{name: "binary/wrong length", opts: binOpt, ncols: 1, in: sig + be32(0) + be32(10) + "abc",
		err: "22P04: invalid COPY file header (wrong length)"},
	{name: "binary/field count", opts: binOpt, ncols: 2, in: bin(true, []string{"a", "b"}, []string{"a"}),
		rows: [][]string{{"a", "b"}}, err: "22P04: row field count is 1, expected 2", where: "COPY t, line 2"},
	{name: "binary/invalid field size", opts: binOpt, ncols: 2, in: bin(false) + be16(2) + be32(1) + "a" + be32(-2),
		err: "22P04: invalid field size", where: "COPY t, line 1, column b"},
	{name: "binary/eof in field", opts: binOpt, ncols: 2, in: bin(false) + be16(2) + be32(1) + "a" + be32(5) + "ab",
		err: "22P04: unexpected EOF in COPY data", where: "COPY t, line 1, column b"},
	{name: "binary/eof before field", opts: binOpt, ncols: 2, in: bin(false) + be16(2) + be32(1) + "a",
		err: "22P04: unexpected EOF in COPY data", where: "COPY t, line 1, column b"},
	{name: "binary/data after trailer", opts: binOpt, ncols: 1, in: bin(true, []string{"a"}) + "x",
		rows: [][]string{{"a"}}, err: "22P04: received copy data after EOF marker", where: "COPY t, line 2"},
	{name: "binary/invalid utf8 passes", opts: binOpt, ncols: 1, in: bin(true, []string{"\xff"}),
		rows: [][]string{{"\xff"}}, err: `22021: invalid byte sequence for encoding "UTF8": 0xff`, where: "COPY t, line 1, column a"},
}

// pgOnlyErr marks decode cases whose PostgreSQL error comes from the column
// type's input or receive function, which is the type layer's job: this
// package must return the rows, PostgreSQL reports the error.
func (c decodeCase) pgOnlyErr() bool { return c.name == "binary/invalid utf8 passes" }

type encodeCase struct {
	name  string
	opts  Options
	names []string
	rows  [][]string
	want  string
}

var encodeCases = []encodeCase{
	{name: "text/basic", names: []string{"a", "b"}, rows: [][]string{{"1", "x y"}, {nul, ""}}, want: "1\tx y\n\\N\t\n"},
	{name: "text/escapes", names: []string{"a"},
		rows: [][]string{{"t\tn\nr\rb\bf\fv\vbs\\x\x01e\x1b"}}, want: "t\\tn\\nr\\rb\\bf\\fv\\vbs\\\\x\x01e\x1b\n"},
	{name: "text/null look-alike", names: []string{"a", "b"}, rows: [][]string{{`\N`, `\.`}}, want: "\\\\N\t\\\\.\n"},
	{name: "text/utf8", names: []string{"a"}, rows: [][]string{{"日本é"}}, want: "日本é\n"},
	{name: "text/custom delimiter", opts: Options{Delimiter: '|', Null: "", NullSet: true}, names: []string{"a", "b", "c"},
		rows: [][]string{{"a|b", nul, "\t"}}, want: "a\\|b||\\t\n"},
	{name: "text/control delimiter", opts: Options{Delimiter: 0x01}, names: []string{"a", "b"},
		rows: [][]string{{"x\x01y", "\t"}}, want: "x\\\x01y\x01\\t\n"},
	{name: "text/header", opts: Options{Header: true}, names: []string{"a", "b c", "d\te"},
		rows: [][]string{{"1", "2", "3"}}, want: "a\tb c\td\\te\n1\t2\t3\n"},
	{name: "csv/basic", opts: csvOpt, names: []string{"a", "b", "c"},
		rows: [][]string{{"1", "x y", "é"}, {nul, "", " "}}, want: "1,x y,é\n,\"\", \n"},
	{name: "csv/needs quotes", opts: csvOpt, names: []string{"a", "b", "c", "d", "e"},
		rows: [][]string{{"a,b", `say "hi"`, "l1\nl2", "c\rr", `\`}}, want: "\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",\"c\rr\",\\\n"},
	{name: "csv/dot single column", opts: csvOpt, names: []string{"a"},
		rows: [][]string{{`\.`}, {`\.x`}, {`x\.`}}, want: "\"\\.\"\n\\.x\nx\\.\n"},
	{name: "csv/dot two columns", opts: csvOpt, names: []string{"a", "b"}, rows: [][]string{{`\.`, `\.`}}, want: "\\.,\\.\n"},
	{name: "csv/null string", opts: withNull(csvOpt, "NULL"), names: []string{"a", "b", "c"},
		rows: [][]string{{"NULL", nul, ""}}, want: "\"NULL\",NULL,\n"},
	{name: "csv/force quote", opts: Options{Format: CSV, ForceQuote: []int{1}}, names: []string{"a", "b"},
		rows: [][]string{{"1", "2"}, {"3", nul}}, want: "1,\"2\"\n3,\n"},
	{name: "csv/force quote all", opts: Options{Format: CSV, ForceQuoteAll: true}, names: []string{"a", "b"},
		rows: [][]string{{"1", ""}, {nul, "x"}}, want: "\"1\",\"\"\n,\"x\"\n"},
	{name: "csv/escape", opts: Options{Format: CSV, Escape: '\\'}, names: []string{"a", "b"},
		rows: [][]string{{`a"b\c`, `d\e`}}, want: "\"a\\\"b\\\\c\",d\\e\n"},
	{name: "csv/quote", opts: Options{Format: CSV, Quote: '\'', Delimiter: ';'}, names: []string{"a", "b"},
		rows: [][]string{{"it's", `a"b;`}}, want: "'it''s';'a\"b;'\n"},
	{name: "csv/header", opts: Options{Format: CSV, Header: true}, names: []string{"a", "b,c", `d"e`},
		rows: [][]string{{"1", "2", "3"}}, want: "a,\"b,c\",\"d\"\"e\"\n1,2,3\n"},
	{name: "csv/header single dot", opts: Options{Format: CSV, Header: true}, names: []string{`\.`},
		rows: [][]string{{"1"}}, want: "\"\\.\"\n1\n"},
	{name: "csv/header null look-alike", opts: Options{Format: CSV, Header: true, Null: "a", NullSet: true}, names: []string{"a", "b"},
		rows: [][]string{{"a", nul}}, want: "\"a\",b\n\"a\",a\n"},
	{name: "binary/basic", opts: binOpt, names: []string{"a", "b"},
		rows: [][]string{{"ab", nul}, {"", "\n"}}, want: bin(true, []string{"ab", nul}, []string{"", "\n"})},
	{name: "binary/header ignored", opts: Options{Format: Binary}, names: []string{"a"},
		rows: [][]string{{"x"}}, want: bin(true, []string{"x"})},
}

type optionCase struct {
	name string
	dir  Direction
	opts []Option
	err  string
}

func str(name, v string) Option { return Option{Name: name, Kind: ArgString, Value: v} }
func bare(name string) Option   { return Option{Name: name} }
func list(name string, cols ...string) Option {
	return Option{Name: name, Kind: ArgList, List: cols}
}

var optionCases = []optionCase{
	{name: "defaults", dir: From},
	{name: "csv all", dir: From, opts: []Option{str("format", "csv"), str("delimiter", ";"), str("null", "N"),
		bare("header"), str("quote", "'"), str("escape", "\\"), list("force_not_null", "a"), list("force_null", "b")}},
	{name: "multibyte delimiter", dir: From, opts: []Option{str("delimiter", "ab")},
		err: "0A000: COPY delimiter must be a single one-byte character"},
	{name: "non-ascii delimiter", dir: From, opts: []Option{str("delimiter", "é")},
		err: "0A000: COPY delimiter must be a single one-byte character"},
	{name: "empty delimiter", dir: From, opts: []Option{str("format", "csv"), str("delimiter", "")},
		err: "0A000: COPY delimiter must be a single one-byte character"},
	{name: "newline delimiter", dir: From, opts: []Option{str("delimiter", "\n")},
		err: "22023: COPY delimiter cannot be newline or carriage return"},
	{name: "cr delimiter", dir: To, opts: []Option{str("delimiter", "\r")},
		err: "22023: COPY delimiter cannot be newline or carriage return"},
	{name: "newline null", dir: From, opts: []Option{str("null", "a\nb")},
		err: "22023: COPY null representation cannot use newline or carriage return"},
	{name: "backslash delimiter", dir: From, opts: []Option{str("delimiter", `\`)},
		err: `22023: COPY delimiter cannot be "\"`},
	{name: "letter delimiter", dir: From, opts: []Option{str("delimiter", "r")}, err: `22023: COPY delimiter cannot be "r"`},
	{name: "digit delimiter", dir: From, opts: []Option{str("delimiter", "7")}, err: `22023: COPY delimiter cannot be "7"`},
	{name: "dot delimiter", dir: From, opts: []Option{str("delimiter", ".")}, err: `22023: COPY delimiter cannot be "."`},
	{name: "uppercase delimiter in null", dir: From, opts: []Option{str("delimiter", "N")},
		err: "0A000: COPY delimiter must not appear in the NULL specification"},
	{name: "csv letter delimiter ok", dir: From, opts: []Option{str("format", "csv"), str("delimiter", "r")}},
	{name: "binary delimiter", dir: From, opts: []Option{str("format", "binary"), str("delimiter", ",")},
		err: "42601: cannot specify DELIMITER in BINARY mode"},
	{name: "binary null", dir: From, opts: []Option{str("format", "binary"), str("null", "x")},
		err: "42601: cannot specify NULL in BINARY mode"},
	{name: "binary header", dir: From, opts: []Option{str("format", "binary"), bare("header")},
		err: "0A000: cannot specify HEADER in BINARY mode"},
	{name: "binary header false ok", dir: From, opts: []Option{str("format", "binary"), str("header", "false")}},
	{name: "text quote", dir: From, opts: []Option{str("quote", `"`)}, err: "0A000: COPY quote available only in CSV mode"},
	{name: "text escape", dir: From, opts: []Option{str("escape", `"`)}, err: "0A000: COPY escape available only in CSV mode"},
	{name: "long quote", dir: From, opts: []Option{str("format", "csv"), str("quote", "ab")},
		err: "0A000: COPY quote must be a single one-byte character"},
	{name: "long escape", dir: From, opts: []Option{str("format", "csv"), str("escape", "")},
		err: "0A000: COPY escape must be a single one-byte character"},
	{name: "delimiter is quote", dir: From, opts: []Option{str("format", "csv"), str("delimiter", `"`)},
		err: "22023: COPY delimiter and quote must be different"},
	{name: "delimiter is escape ok", dir: From, opts: []Option{str("format", "csv"), str("escape", ",")}},
	{name: "quote in null", dir: From, opts: []Option{str("format", "csv"), str("null", `a"`)},
		err: "0A000: CSV quote character must not appear in the NULL specification"},
	{name: "delimiter in null", dir: From, opts: []Option{str("format", "csv"), str("null", `a,b`)},
		err: "0A000: COPY delimiter must not appear in the NULL specification"},
	{name: "text force quote", dir: To, opts: []Option{list("force_quote", "a")},
		err: "0A000: COPY force quote available only in CSV mode"},
	{name: "force quote from", dir: From, opts: []Option{str("format", "csv"), list("force_quote", "a")},
		err: "0A000: COPY force quote only available using COPY TO"},
	{name: "force quote star", dir: To, opts: []Option{str("format", "csv"), {Name: "force_quote", Kind: ArgStar}}},
	{name: "force not null to", dir: To, opts: []Option{str("format", "csv"), list("force_not_null", "a")},
		err: "0A000: COPY force not null only available using COPY FROM"},
	{name: "text force not null", dir: From, opts: []Option{list("force_not_null", "a")},
		err: "0A000: COPY force not null available only in CSV mode"},
	{name: "text force null", dir: From, opts: []Option{list("force_null", "a")},
		err: "0A000: COPY force null available only in CSV mode"},
	{name: "force null to", dir: To, opts: []Option{str("format", "csv"), list("force_null", "a")},
		err: "0A000: COPY force null only available using COPY FROM"},
	{name: "unknown format", dir: From, opts: []Option{str("format", "xml")}, err: `22023: COPY format "xml" not recognized`},
	{name: "redundant", dir: From, opts: []Option{str("delimiter", ","), str("delimiter", ",")},
		err: "42601: conflicting or redundant options"},
	{name: "redundant format", dir: From, opts: []Option{str("format", "csv"), str("format", "csv")},
		err: "42601: conflicting or redundant options"},
	{name: "unknown option", dir: From, opts: []Option{str("nonsense", "1")}, err: `42601: option "nonsense" not recognized`},
	{name: "header match text", dir: From, opts: []Option{str("header", "match")}},
	{name: "header MATCH case", dir: From, opts: []Option{str("header", "MATCH")}},
	{name: "header match to", dir: To, opts: []Option{str("header", "match")},
		err: `0A000: cannot use "match" with HEADER in COPY TO`},
	{name: "header text to", dir: To, opts: []Option{bare("header")}},
	{name: "header number", dir: From, opts: []Option{{Name: "header", Kind: ArgNumber, Value: "0"}}},
	{name: "header number 2", dir: From, opts: []Option{{Name: "header", Kind: ArgNumber, Value: "2"}},
		err: `42601: header requires a Boolean value or "match"`},
	{name: "header bad", dir: From, opts: []Option{str("header", "foo")},
		err: `42601: header requires a Boolean value or "match"`},
	{name: "freeze bad", dir: From, opts: []Option{str("freeze", "foo")}, err: "42601: freeze requires a Boolean value"},
	{name: "freeze on", dir: From, opts: []Option{str("freeze", "on")}},
	{name: "null requires parameter", dir: From, opts: []Option{bare("null")}, err: "42601: null requires a parameter"},
	{name: "force not null star", dir: From, opts: []Option{str("format", "csv"), {Name: "force_not_null", Kind: ArgStar}},
		err: `22023: argument to option "force_not_null" must be a list of column names`},
	{name: "encoding utf8", dir: From, opts: []Option{str("encoding", "UTF-8")}},
	{name: "order: binary delimiter before length", dir: From, opts: []Option{str("format", "binary"), str("delimiter", "ab")},
		err: "42601: cannot specify DELIMITER in BINARY mode"},
	{name: "order: delimiter before quote", dir: From, opts: []Option{str("delimiter", "\n"), str("quote", "x")},
		err: "22023: COPY delimiter cannot be newline or carriage return"},
}
