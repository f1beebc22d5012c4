package pgcopy

import (
	"errors"
	"reflect"
	"testing"
)

func errString(err error) string {
	if err == nil {
		return ""
	}
	var pe *Error
	if !errors.As(err, &pe) {
		return "not *Error: " + err.Error()
	}
	return pe.Code + ": " + pe.Message
}

func TestParseOptionsCases(t *testing.T) {
	for _, c := range optionCases {
		t.Run(c.name, func(t *testing.T) {
			o, err := ParseOptions(c.dir, c.opts)
			if got := errString(err); got != c.err {
				t.Fatalf("got %q, want %q", got, c.err)
			}
			if err == nil {
				// A parsed result always passes Validate.
				if err := o.Validate(); err != nil {
					t.Fatalf("Validate after ParseOptions: %v", err)
				}
			}
		})
	}
}

func TestParseOptionsValues(t *testing.T) {
	o, err := ParseOptions(From, []Option{str("format", "csv"), str("delimiter", ";"), str("null", ""),
		str("header", "match"), str("quote", "'"), str("escape", "\\"), list("force_not_null", "b"),
		list("force_null", "a", "b"), bare("freeze"), str("encoding", "utf8")})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Format: CSV, Direction: From, Delimiter: ';', Null: "", NullSet: true, Header: true,
		HeaderMatch: true, Quote: '\'', Escape: '\\', ForceNotNullNames: []string{"b"},
		ForceNullNames: []string{"a", "b"}, Freeze: true, Encoding: "utf8"}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("\n got %+v\nwant %+v", o, want)
	}
	if err := o.ResolveColumns("t", []string{"a", "b", "c"}, []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.ForceNotNull, []int{0}) || !reflect.DeepEqual(o.ForceNull, []int{1, 0}) {
		t.Fatalf("resolved %v %v", o.ForceNotNull, o.ForceNull)
	}
}

func TestResolveColumns(t *testing.T) {
	table := []string{"a", "b", "c"}
	for _, tc := range []struct {
		names []string
		copy  []string
		rel   string
		err   string
	}{
		{names: []string{"c", "a"}, copy: table, rel: "t"},
		{names: []string{"a", "zz"}, copy: []string{"b"}, rel: "t", err: `42703: column "zz" of relation "t" does not exist`},
		{names: []string{"zz"}, copy: table, rel: "", err: `42703: column "zz" does not exist`},
		{names: []string{"a", "a"}, copy: table, rel: "t", err: `42701: column "a" specified more than once`},
		{names: []string{"a"}, copy: []string{"b"}, rel: "t", err: `42P10: FORCE_QUOTE column "a" not referenced by COPY`},
	} {
		o := Options{Format: CSV, ForceQuoteNames: tc.names}
		if got := errString(o.ResolveColumns(tc.rel, table, tc.copy)); got != tc.err {
			t.Errorf("%v: got %q, want %q", tc.names, got, tc.err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o   Options
		err string
	}{
		{Options{}, ""},
		{Options{Format: CSV, Null: "", NullSet: true}, ""},
		{Options{Format: Binary, NullSet: true}, "42601: cannot specify NULL in BINARY mode"},
		{Options{Format: Binary, Delimiter: ','}, "42601: cannot specify DELIMITER in BINARY mode"},
		{Options{Format: Binary, Header: true}, "0A000: cannot specify HEADER in BINARY mode"},
		{Options{Delimiter: '\n'}, "22023: COPY delimiter cannot be newline or carriage return"},
		{Options{Delimiter: 'a'}, `22023: COPY delimiter cannot be "a"`},
		{Options{Quote: '\''}, "0A000: COPY quote available only in CSV mode"},
		{Options{Format: CSV, Quote: ','}, "22023: COPY delimiter and quote must be different"},
		{Options{Format: CSV, Null: `"`, NullSet: true}, "0A000: CSV quote character must not appear in the NULL specification"},
		{Options{Format: CSV, Direction: From, ForceQuoteAll: true}, "0A000: COPY force quote only available using COPY TO"},
		{Options{Format: CSV, ForceQuoteAll: true, ForceNotNull: []int{0}}, ""},
		{Options{Format: CSV, Direction: To, ForceNotNull: []int{0}}, "0A000: COPY force not null only available using COPY FROM"},
		{Options{Direction: To, HeaderMatch: true}, `0A000: cannot use "match" with HEADER in COPY TO`},
		{Options{Format: Format(7)}, `22023: COPY format "7" not recognized`},
	} {
		if got := errString(tc.o.Validate()); got != tc.err {
			t.Errorf("%+v: got %q, want %q", tc.o, got, tc.err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"text": Text, "csv": CSV, "binary": Binary} {
		if f, err := ParseFormat(s); err != nil || f != want || f.String() != s {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("CSV"); errString(err) != `22023: COPY format "CSV" not recognized` {
		t.Errorf("err = %v", err)
	}
}
