package pgtypes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// oracleInputs are PostgreSQL input literals per declared type. For every
// one, in every session time zone, the oracle test checks that
//
//   - Decode (text) accepts exactly what PostgreSQL accepts, failing with the
//     same SQLSTATE otherwise;
//   - Encode of the stored value prints, in text and binary, byte for byte
//     what PostgreSQL 15 sends for the same value;
//   - Decode of PostgreSQL's binary output stores a value that prints the same;
//   - the literal stored as is (a value that bypassed Decode) prints the same
//     (UTC session only, where a zone-less timestamptz means the same to both).
var oracleInputs = []struct {
	typ    string
	inputs []string
}{
	{"bool", []string{"t", "f", "yes", "off", " 1 ", "TRUE", "of", "x", "o"}},
	{"int2", []string{"0", "-32768", "32767", "99999", " 12 ", "+5", "1.5", ""}},
	{"int4", []string{"42", " -7 ", "2147483647", "-2147483648", "2147483648", "x", "1e3"}},
	{"int8", []string{"9223372036854775807", "-9223372036854775808", "9223372036854775808", "007"}},
	{"float4", []string{"0.1", "1e6", "123456", "1.17549435e-38", "3.4028235e38", "NaN", "-Infinity", "1e-5", "16777217", "-0", "1e40", "1.1", "inf", "100000", "3.14159", "1.5e-45", "1e-46", "999999", "1234567", "0.0001", "0.00001"}},
	{"float8", []string{"0.1", "1e100", "1e15", "1e14", "123456789012345678", "1e-4", "1e-5", "inf", "-0", "NaN",
		"2.5e-308", "1.7976931348623157e308", "0.30000000000000004", "1e400", " 3.25 ", "abc", "-1.5e-10", "12345.678", "5e-324", "1e-400", "9007199254740993", "123456789012345", "1234567890123456", "0.001", "1e-5", "-1e300"}},
	{"numeric", []string{"12.50", "1e3", "1.50e1", "-0.00", ".5", "007", "NaN", "Infinity", "-Infinity",
		"123456789012345678901234567890.123456789", "0.000001", "-1.5", "1.5e-3", "0e5", "x", "1.", " 42 ", "-0"}},
	{"numeric(10,2)", []string{"12.5", "12.345", "12.355", "-12.355", "0.001", "99999999.995", "123456789.1", "7"}},
	{"numeric(5)", []string{"12.5", "99999", "100000", "-3.5"}},
	{"numeric(5,-2)", []string{"12345", "12355.5", "-150", "10000000"}},
	{"numeric(3,5)", []string{"0.001234", "0.01"}},
	{"text", []string{"hello", "", "ünïcode", "a\tb", "quote\"back\\slash"}},
	{"varchar(10)", []string{"abc", "ünï"}},
	{"char(5)", []string{"ab", "abcde", ""}},
	{`"char"`, []string{"abc", "", `\101`, "é", `\201`, "\\"}},
	{"name", []string{"pg_class", strings.Repeat("é", 40)}},
	{"bytea", []string{`\x0a0b`, "abc", `\\`, `a\000b`, `\xzz`, `\x0`, `\X0A 0B`, `\q`, ""}},
	{"uuid", []string{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11", "x", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"}},
	{"json", []string{`{"b":1, "a":2}`, `[1, 2]`, `"x"`, `{`, ` 1.50 `}},
	{"jsonb", []string{`{"b":1, "a":[1, 2 ,{"c" : null}], "aa": "x"}`, `{"a":1,"a":2}`, `1.50`, `"\u00e9\n\u0001<>&"`,
		`[1e3, 1E-2, -0, 0.0]`, `{`, `{"a":"\u0000"}`, `[]`, `{}`, `"\ud83d\ude00"`, `true`, `null`, `[1,]`}},
	{"date", []string{"2024-01-01", "0001-01-01 BC", "infinity", "-infinity", "2024-02-29", "2023-02-29", "20240102",
		"Jan 8 1999", "01/02/2024", "2024-01-01 10:00:00+02", "5874897-12-31", "4714-11-24 BC", "4714-11-23 BC", "x", "epoch",
		"1999-Jan-08", "08-Jan-1999", "January 8, 1999", "0000-01-01", "2024-13-01", "99-01-02"}},
	{"time", []string{"04:05:06.120", "24:00", "00:00", "10:00:00+02", "23:59:59.9999995", "allballs", "10:00 pm", "12:00 am",
		"25:00", "x", "2024-01-01 10:11:12", "1:2:3", "10:00:00.123456789"}},
	{"time(2)", []string{"04:05:06.125", "04:05:06.999"}},
	{"timestamp", []string{"2024-01-01 10:00:00.5", "0044-03-15 BC", "2024-01-01T10:00:00Z", "2024-01-01 12:00:00+02", "infinity",
		"-infinity", "epoch", "294276-12-31 23:59:59.999999", "294277-01-01", "2024-01-01 10:00:00.1234565", "2024-01-01 10:00:00.1234575",
		"2024-01-01", "10:00", "Mon Jan 01 2024 10:00:00", "2024-1-2 3:4:5", "2024-01-01 24:00:00"}},
	{"timestamp(0)", []string{"2024-01-01 10:00:00.5", "2024-01-01 10:00:00.4", "1990-01-01 10:00:00.5"}},
	{"timestamptz", []string{"2024-01-02 03:04:05.123456+00", "2024-01-01 10:00:00+02", "2024-01-01T10:00:00Z", "2024-01-01", "2024-01-01 10:00",
		"1850-01-01 10:00:00+00", "0001-01-01 00:00:00+00 BC", "10000-01-01 00:00:00+00", "infinity", "-infinity",
		"2024-07-01 10:00 Europe/Paris", "2024-01-01 10:00 PST", "2024-01-01 10:00 EST", "2024-01-01 10:00 CET", "2024-01-01 10:00 IST",
		"2024-11-03 01:30 America/New_York", "2024-03-10 02:30 America/New_York", "2024-01-01 12:00:00 +0530",
		"2024-01-01 12:00:00-03:30:15", "Jan 8 1999 10:00", "2024-01-01 10:00 pm", "2024-01-01 23:59:60", "garbage",
		"2024-13-01", "2024-01-01T10:00:00.5+01", "20240102 101112", "2024-01-01 10:00:00 UTC+3", "2024-01-01 10:00:00 GMT+2",
		"2024-01-01 10:00:00 Z", "2024-07-01 12:00", "2024-03-31 02:30", "2024-10-27 02:30", "1900-01-01 00:00",
		"4714-11-24 00:00:00+00 BC", "2024-01-01 10:00:00 europe/paris", "2024-06-15 12:00:00 Asia/Kathmandu",
		"2024-12-31 23:59:59.9999999", "0099-01-01 00:00:00+00", "1969-12-31 23:59:59.999999+00", "2024-01-01 10:00:00.000001-00:30",
		"1883-11-18 12:00 America/New_York", "2038-01-19 03:14:08+00", "1901-12-13 20:45:51+00"}},
	{"timestamptz(3)", []string{"2024-01-02 03:04:05.1235+00"}},
	{"interval", []string{"1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds", "-1 day", "0", "1 day -1 hour",
		"-1 year -2 mons +3 days", "100 hours", "-00:00:01.5", "P1Y2M3DT4H5M6S", "1 week", "@ 1 day ago", "1.5 days",
		"1.5 months", "1 12:00:00", "5", "1-2", "1.5 years", "-1.5 days", "1 day 1 second ago", "1 millisecond",
		"PT1.5S", "x", "-1 mons 1 day -1 hours 1 second", "1 year -1 day", "178000000 years", "1:30", "-1:30",
		"1 day -1:30", "P-1D", "@ 1 minute", "P1W", "10 microseconds", "1 decade", "2 hours 30 minutes",
		"-178000000 years", "1 year 1 year", "1 hour 30", "3 days 04:05:06.789", "0.5 seconds", "-0.5 seconds", "1 mon -1 day", "1.5 hours", "100 days ago", "1 week 1 day", "1 hour 01:00", "1 second 1 millisecond",
		"1 century 1 decade", "01:00 1 second", "1 mon 1 month", "1 year 1-2", "1 day 2 days ago",
		"99999999999 days", "2147483648 days", "2562047788 hours", "1e300 years"}},
	{"interval(2)", []string{"1.125 seconds", "-1.125 seconds", "1 day 00:00:00.555"}},
	{"oid", []string{"12345", "4294967295", "-1", "4294967296", "x"}},
	{"int4[]", []string{"{1,2,3}", "{}", "{{1,2},{3,4}}", "{1,NULL,3}", "{{1,2},{3}}", "{1,x}", " { 1 , 2 } ", "{{{1}}}", "{"}},
	{"int8[]", []string{"{9223372036854775807,-1}"}},
	{"int2[]", []string{"{1,-2}", "{40000}"}},
	{"text[]", []string{`{a,"b c",NULL,"","\"q\"","x,y","NULL","back\\slash",null}`, `{"{}"}`, `{{a,b},{c,d}}`}},
	{"varchar[]", []string{`{a,b}`}},
	{"bool[]", []string{"{t,f,NULL}"}},
	{"float8[]", []string{"{1.5,2,NaN,-Infinity,1e100}"}},
	{"float4[]", []string{"{0.1,1e6}"}},
	{"numeric[]", []string{"{1.50,2,NaN}"}},
	{"timestamptz[]", []string{`{"2024-01-01 10:00:00+00",infinity}`}},
	{"timestamp[]", []string{`{"2024-01-01 10:00:00"}`}},
	{"date[]", []string{`{2024-01-01,NULL}`}},
	{"bytea[]", []string{`{"\\x01",abc}`}},
	{"jsonb[]", []string{`{"{\"b\":1,\"a\":2}"}`}},
	{"json[]", []string{`{"{\"b\":1}"}`}},
	{"uuid[]", []string{`{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}`}},
	{"interval[]", []string{`{"1 day","-1 hour"}`}},
	{"inet", []string{"192.168.0.1/24", "::1"}},
	{"point", []string{"(1,2)"}},
}

var oracleZones = []string{"UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York", "+02:00", "5.5", "europe/paris"}

type pgResult struct {
	text, bin []byte
	err       *pgconn.PgError
}

func queryPG(ctx context.Context, conn *pgconn.PgConn, typ, input string) (pgResult, error) {
	rr := conn.ExecParams(ctx, "SELECT $1::"+typ+", $1::"+typ, [][]byte{[]byte(input)}, []uint32{0}, []int16{0}, []int16{0, 1})
	var res pgResult
	for rr.NextRow() {
		res.text = append([]byte{}, rr.Values()[0]...)
		res.bin = append([]byte{}, rr.Values()[1]...)
	}
	_, err := rr.Close()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		res.err = pgErr
		return res, nil
	}
	return res, err
}

func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "not *Error: " + err.Error()
}

func TestOracleValues(t *testing.T) {
	conn := oracleConn(t)
	ctx := context.Background()
	pg := conn.PgConn()
	for _, zone := range oracleZones {
		if _, err := pg.Exec(ctx, "SET TimeZone = '"+zone+"'").ReadAll(); err != nil {
			t.Fatalf("SET TimeZone %s: %v", zone, err)
		}
		var pgZone string
		if err := conn.QueryRow(ctx, "SHOW TimeZone").Scan(&pgZone); err != nil {
			t.Fatal(err)
		}
		c := NewCodec()
		if err := c.SetTimeZone(zone); err != nil {
			t.Fatalf("SetTimeZone(%q): %v", zone, err)
		}
		if c.TimeZone() != pgZone {
			t.Errorf("SetTimeZone(%q): TimeZone() = %q, PostgreSQL shows %q", zone, c.TimeZone(), pgZone)
		}
		for _, tc := range oracleInputs {
			typ := FromDecl(tc.typ)
			for _, in := range tc.inputs {
				name := fmt.Sprintf("tz=%s %s %q", zone, tc.typ, in)
				want, err := queryPG(ctx, pg, tc.typ, in)
				if err != nil {
					t.Fatalf("%s: query: %v", name, err)
				}
				checkOracle(t, c, name, typ, in, want, zone == "UTC")
			}
		}
	}
}

func checkOracle(t *testing.T, c *Codec, name string, typ Type, in string, want pgResult, rawToo bool) {
	t.Helper()
	stored, err := c.Decode(typ, TextFormat, []byte(in))
	if want.err != nil {
		if err == nil {
			t.Errorf("%s: Decode = %#v, PostgreSQL fails with %s %s", name, stored, want.err.Code, want.err.Message)
		} else if errCode(err) != want.err.Code {
			t.Errorf("%s: Decode error %v, PostgreSQL fails with %s %s", name, err, want.err.Code, want.err.Message)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: Decode: %v (PostgreSQL prints %q)", name, err, want.text)
		return
	}
	got, err := c.Encode(nil, typ, TextFormat, stored)
	if err != nil || !bytes.Equal(got, want.text) {
		t.Errorf("%s: stored %#v, text Encode = %q, %v; PostgreSQL prints %q", name, stored, got, err, want.text)
	}
	if c.SupportsBinary(typ) {
		got, err = c.Encode(nil, typ, BinaryFormat, stored)
		if typ.OID == NumericOID || typ.Elem().OID == NumericOID {
			// pgtype's numeric encoding carries the same value and display
			// scale as PostgreSQL's but may keep trailing zero base-10000
			// digits: compare what a client decodes.
			back, derr := c.Decode(typ, BinaryFormat, got)
			text, terr := c.Encode(nil, typ, TextFormat, back)
			if err != nil || derr != nil || terr != nil || !bytes.Equal(text, want.text) {
				t.Errorf("%s: stored %#v, binary Encode = %x (%v) reads back as %q (%v %v); PostgreSQL prints %q", name, stored, got, err, text, derr, terr, want.text)
			}
		} else if err != nil || !bytes.Equal(got, want.bin) {
			t.Errorf("%s: stored %#v, binary Encode = %x, %v; PostgreSQL sends %x", name, stored, got, err, want.bin)
		}
		stored2, err := c.Decode(typ, BinaryFormat, want.bin)
		if err != nil {
			t.Errorf("%s: Decode of PostgreSQL's binary %x: %v", name, want.bin, err)
		} else if got, err = c.Encode(nil, typ, TextFormat, stored2); err != nil || !bytes.Equal(got, want.text) {
			t.Errorf("%s: binary Decode stored %#v, which prints %q, %v; want %q", name, stored2, got, err, want.text)
		}
	}
	if rawToo && !strings.Contains(strings.ToLower(in), "now") {
		got, err = c.Encode(nil, typ, TextFormat, in)
		if err != nil || !bytes.Equal(got, want.text) {
			t.Errorf("%s: literal stored as is prints %q, %v; PostgreSQL prints %q", name, got, err, want.text)
		}
	}
}

var typmodRE = regexp.MustCompile(`\(\d+(,\d+)?\)`)

// TestOracleDecl compares FromDecl with the type, typmod and format_type
// PostgreSQL gives a column declared the same way.
func TestOracleDecl(t *testing.T) {
	conn := oracleConn(t)
	ctx := context.Background()
	decls := []string{"integer", "int", "int4", "bigint", "int8", "smallint", "int2", "serial", "bigserial", "smallserial",
		"varchar(20)", "character varying(20)", "varchar", "char(3)", "char", "character", "bpchar", "text", "boolean", "bool",
		"real", "float4", "double precision", "float8", "float", "float(10)", "float(30)", "numeric(10,2)", "numeric(5)",
		"numeric", "decimal", "decimal(12,4)", "bytea", "date", "timestamp", "timestamp(3)", "timestamptz", "timestamp with time zone",
		"timestamp(3) with time zone", "timestamp without time zone", "time", "time(0)", "time with time zone", "timetz", "interval",
		"interval(2)", "uuid", "json", "jsonb", "name", "oid", "regclass", "int4[]", "text[]", "varchar(5)[]", "numeric(4,1)[]",
		"integer array", "int[3]", "int[][]", "_int4", "bit(5)", "bit", "bit varying(7)", "varbit", "inet", "money", "xml",
		`"char"`, "tsvector", "int4range", "pg_lsn", "macaddr", "point"}
	for _, decl := range decls {
		var oid uint32
		var mod int32
		var formatted string
		if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS decl_probe; CREATE TABLE decl_probe (c "+decl+")"); err != nil {
			t.Fatalf("%s: %v", decl, err)
		}
		err := conn.QueryRow(ctx, `SELECT atttypid, atttypmod, format_type(atttypid, atttypmod)
			FROM pg_attribute WHERE attrelid = 'decl_probe'::regclass AND attname = 'c'`).Scan(&oid, &mod, &formatted)
		if err != nil {
			t.Fatalf("%s: %v", decl, err)
		}
		got := FromDecl(decl)
		if got.OID != oid || got.Modifier != mod || got.FormatType() != formatted {
			t.Errorf("FromDecl(%q) = {%d %q mod %d} %q; PostgreSQL: oid %d mod %d %q", decl, got.OID, got.Name, got.Modifier, got.FormatType(), oid, mod, formatted)
		}
		var typname string
		var typlen int16
		if err := conn.QueryRow(ctx, "SELECT typname, typlen FROM pg_type WHERE oid = $1", oid).Scan(&typname, &typlen); err != nil {
			t.Fatal(err)
		}
		if got.Name != typname || got.Size != typlen {
			t.Errorf("FromDecl(%q): name %q size %d; pg_type: %q %d", decl, got.Name, got.Size, typname, typlen)
		}
		if byName, ok := ByName(typmodRE.ReplaceAllString(formatted, "")); !ok || byName.OID != oid {
			t.Errorf("ByName(%q) = %d, want %d", formatted, byName.OID, oid)
		}
	}
}

// TestOracleZoneAbbrevs checks the abbreviations timestamp input accepts
// against PostgreSQL's default timezone_abbreviations.
func TestOracleZoneAbbrevs(t *testing.T) {
	conn := oracleConn(t)
	for abbrev, off := range zoneAbbrevs {
		var pgOff int
		err := conn.QueryRow(context.Background(),
			"SELECT extract(epoch FROM utc_offset)::int FROM pg_timezone_abbrevs WHERE lower(abbrev) = $1", abbrev).Scan(&pgOff)
		if err != nil {
			t.Errorf("abbreviation %q: %v", abbrev, err)
		} else if pgOff != off {
			t.Errorf("abbreviation %q: offset %d, PostgreSQL %d", abbrev, off, pgOff)
		}
	}
}

// TestOracleTimeZones checks SetTimeZone's acceptance and naming against SET.
func TestOracleTimeZones(t *testing.T) {
	conn := oracleConn(t)
	ctx := context.Background()
	pg := conn.PgConn()
	for _, zone := range []string{"UTC", "utc", "GMT", "Z", "bogus", "Europe/Paris", "america/new_york", "EST5EDT", "EST",
		"Etc/GMT-3", "etc/gmt+3", "+02:00", "-03:30", "UTC+3", "<+0330>-03:30", "FOO+3", "5", "5.5", "-3.25", "+02", "16", "Local", "",
		"Asia/Kathmandu", "PST8PDT", "America/Argentina/Buenos_Aires", "america/port-au-prince", "Europe/Dublin"} {
		_, pgErr := pg.Exec(ctx, "SET TimeZone = '"+zone+"'").ReadAll()
		c := NewCodec()
		err := c.SetTimeZone(zone)
		if (pgErr != nil) != (err != nil) {
			t.Errorf("SetTimeZone(%q) error %v; PostgreSQL: %v", zone, err, pgErr)
			continue
		}
		if err != nil {
			if errCode(err) != CodeInvalidParameterValue {
				t.Errorf("SetTimeZone(%q): code %s", zone, errCode(err))
			}
			continue
		}
		var show string
		if err := conn.QueryRow(ctx, "SHOW TimeZone").Scan(&show); err != nil {
			t.Fatal(err)
		}
		if c.TimeZone() != show {
			t.Errorf("SetTimeZone(%q): TimeZone() %q, PostgreSQL %q", zone, c.TimeZone(), show)
		}
		for _, ts := range []string{"2024-01-15 12:00:00+00", "2024-07-15 12:00:00+00", "1890-01-01 00:00:00+00", "2038-06-01 00:00:00+00"} {
			want, err := queryPG(ctx, pg, "timestamptz", ts)
			if err != nil || want.err != nil {
				t.Fatalf("%s %s: %v %v", zone, ts, err, want.err)
			}
			stored, err := c.Decode(TypeTimestamptz, TextFormat, []byte(ts))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Encode(nil, TypeTimestamptz, TextFormat, stored)
			if err != nil || string(got) != string(want.text) {
				t.Errorf("tz %q: %s prints %q, %v; PostgreSQL %q", zone, ts, got, err, want.text)
			}
		}
	}
}
