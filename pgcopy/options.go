package pgcopy

import (
	"fmt"
	"strings"
)

// Format is a COPY data format.
type Format int

const (
	Text Format = iota
	CSV
	Binary
)

func (f Format) String() string {
	switch f {
	case Text:
		return "text"
	case CSV:
		return "csv"
	case Binary:
		return "binary"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat maps a FORMAT option value to a Format. Like PostgreSQL it is
// case-sensitive: the grammar has already down-cased an unquoted keyword.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return Text, nil
	case "csv":
		return CSV, nil
	case "binary":
		return Binary, nil
	}
	return 0, errorf(CodeInvalidParameterValue, "COPY format \"%s\" not recognized", s)
}

// Direction says whether options are for COPY FROM or COPY TO. Some options
// are legal in one direction only; DirectionAny skips those checks.
type Direction int

const (
	DirectionAny Direction = iota
	From
	To
)

// DefaultMaxRowSize bounds one text/csv line or binary tuple, mirroring
// PostgreSQL's 1 GB StringInfo limit.
const DefaultMaxRowSize = 1 << 30

// Options configures a Decoder or Encoder. The zero value is COPY's default
// text format. Byte options use 0 for "not specified", which is safe because
// a PostgreSQL option string cannot contain NUL.
type Options struct {
	Format    Format
	Direction Direction

	// Delimiter defaults to '\t' (text) or ',' (csv).
	Delimiter byte
	// Null is the NULL marker, used only when NullSet is true so that an
	// explicit empty marker can be told apart from "not specified"; the
	// default is `\N` (text) or "" (csv).
	Null    string
	NullSet bool

	// Header reads (and discards) or writes a header line; text and csv.
	// HeaderMatch (COPY FROM only) additionally checks the header against
	// the column names given to Decoder.SetColumnNames.
	Header      bool
	HeaderMatch bool

	// Quote and Escape are csv-only; Quote defaults to '"' and Escape to
	// Quote.
	Quote  byte
	Escape byte

	// ForceQuote and ForceQuoteAll (csv, COPY TO) quote non-NULL values of
	// the given 0-based columns, or of all columns.
	ForceQuote    []int
	ForceQuoteAll bool
	// ForceNotNull (csv, COPY FROM) reads the NULL marker as the string
	// itself in the given columns; ForceNull reads a quoted marker as NULL.
	ForceNotNull []int
	ForceNull    []int

	// Column-name forms of the Force lists, as written in the statement;
	// ResolveColumns turns them into the index forms above.
	ForceQuoteNames   []string
	ForceNotNullNames []string
	ForceNullNames    []string

	// Freeze and Encoding are accepted for compatibility and carried for
	// the caller; they do not change the data format.
	Freeze   bool
	Encoding string

	// SkipEncodingCheck disables UTF-8 validation of text and csv input.
	// PostgreSQL always validates; this exists for SQL_ASCII-style use.
	SkipEncodingCheck bool

	// MaxRowSize bounds a single row in bytes (0: DefaultMaxRowSize).
	MaxRowSize int
}

func (o *Options) forceQuoteSet() bool {
	return o.ForceQuoteAll || len(o.ForceQuote) > 0 || len(o.ForceQuoteNames) > 0
}
func (o *Options) forceNotNullSet() bool {
	return len(o.ForceNotNull) > 0 || len(o.ForceNotNullNames) > 0
}
func (o *Options) forceNullSet() bool {
	return len(o.ForceNull) > 0 || len(o.ForceNullNames) > 0
}

// Validate reports the first invalid option combination with the SQLSTATE
// and message of PostgreSQL's ProcessCopyOptions.
func (o *Options) Validate() error {
	s := spec{
		format:      o.Format,
		dir:         o.Direction,
		header:      o.Header || o.HeaderMatch,
		headerMatch: o.HeaderMatch,
		forceQuote:  o.forceQuoteSet(),
		forceNN:     o.forceNotNullSet(),
		forceNull:   o.forceNullSet(),
	}
	if o.Format < Text || o.Format > Binary {
		return errorf(CodeInvalidParameterValue, "COPY format \"%d\" not recognized", int(o.Format))
	}
	if o.Delimiter != 0 {
		d := string([]byte{o.Delimiter})
		s.delim = &d
	}
	if o.NullSet {
		n := o.Null
		s.null = &n
	}
	if o.Quote != 0 {
		q := string([]byte{o.Quote})
		s.quote = &q
	}
	if o.Escape != 0 {
		e := string([]byte{o.Escape})
		s.escape = &e
	}
	if o.HeaderMatch && o.Direction == To {
		return errorf(CodeFeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
	}
	for _, l := range [][]int{o.ForceQuote, o.ForceNotNull, o.ForceNull} {
		for _, i := range l {
			if i < 0 {
				return errorf(CodeInvalidColumnReference, "invalid column index %d in COPY FORCE option", i)
			}
		}
	}
	return s.check()
}

// spec holds options as PostgreSQL sees them after parsing — strings that
// may be absent — so that length checks and "specified in BINARY mode"
// checks happen exactly where ProcessCopyOptions does them.
type spec struct {
	format                         Format
	dir                            Direction
	delim, null, quote, escape     *string
	header, headerMatch            bool
	forceQuote, forceNN, forceNull bool
}

// check is the tail of ProcessCopyOptions, in its order.
func (s *spec) check() error {
	csv := s.format == CSV
	binary := s.format == Binary
	if binary && s.delim != nil {
		return errorf(CodeSyntaxError, "cannot specify DELIMITER in BINARY mode")
	}
	if binary && s.null != nil {
		return errorf(CodeSyntaxError, "cannot specify NULL in BINARY mode")
	}
	delim := "\t"
	if csv {
		delim = ","
	}
	if s.delim != nil {
		delim = *s.delim
	}
	null := `\N`
	if csv {
		null = ""
	}
	if s.null != nil {
		null = *s.null
	}
	quote, escape := "", ""
	if csv {
		quote = `"`
		if s.quote != nil {
			quote = *s.quote
		}
		escape = quote
		if s.escape != nil {
			escape = *s.escape
		}
	}
	if len(delim) != 1 {
		return errorf(CodeFeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if strings.ContainsAny(delim, "\r\n") {
		return errorf(CodeInvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(null, "\r\n") {
		return errorf(CodeInvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	// Backslash would be ambiguous, and letters and digits collide with
	// backslash escapes that COPY IN interprets.
	if !csv && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, delim) {
		return errorf(CodeInvalidParameterValue, "COPY delimiter cannot be \"%s\"", delim)
	}
	if binary && s.header {
		return errorf(CodeFeatureNotSupported, "cannot specify HEADER in BINARY mode")
	}
	if !csv && s.quote != nil {
		return errorf(CodeFeatureNotSupported, "COPY quote available only in CSV mode")
	}
	if csv && len(quote) != 1 {
		return errorf(CodeFeatureNotSupported, "COPY quote must be a single one-byte character")
	}
	if csv && delim[0] == quote[0] {
		return errorf(CodeInvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if !csv && s.escape != nil {
		return errorf(CodeFeatureNotSupported, "COPY escape available only in CSV mode")
	}
	if csv && len(escape) != 1 {
		return errorf(CodeFeatureNotSupported, "COPY escape must be a single one-byte character")
	}
	if !csv && s.forceQuote {
		return errorf(CodeFeatureNotSupported, "COPY force quote available only in CSV mode")
	}
	if s.forceQuote && s.dir == From {
		return errorf(CodeFeatureNotSupported, "COPY force quote only available using COPY TO")
	}
	if !csv && s.forceNN {
		return errorf(CodeFeatureNotSupported, "COPY force not null available only in CSV mode")
	}
	if s.forceNN && s.dir == To {
		return errorf(CodeFeatureNotSupported, "COPY force not null only available using COPY FROM")
	}
	if !csv && s.forceNull {
		return errorf(CodeFeatureNotSupported, "COPY force null available only in CSV mode")
	}
	if s.forceNull && s.dir == To {
		return errorf(CodeFeatureNotSupported, "COPY force null only available using COPY FROM")
	}
	if strings.IndexByte(null, delim[0]) >= 0 {
		return errorf(CodeFeatureNotSupported, "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.IndexByte(null, quote[0]) >= 0 {
		return errorf(CodeFeatureNotSupported, "CSV quote character must not appear in the NULL specification")
	}
	return nil
}

// config is Options with defaults applied, in the form the hot loops want.
type config struct {
	format      Format
	delim       byte
	null        []byte
	quote       byte
	escape      byte
	header      bool
	headerMatch bool
	checkEnc    bool
	maxRow      int

	forceQuoteAll bool
	forceQuote    []bool // by column index
	forceNotNull  []bool
	forceNull     []bool
}

func newConfig(o Options) config {
	c := config{
		format:        o.Format,
		delim:         o.Delimiter,
		quote:         o.Quote,
		escape:        o.Escape,
		header:        (o.Header || o.HeaderMatch) && o.Format != Binary,
		headerMatch:   o.HeaderMatch && o.Format != Binary,
		checkEnc:      !o.SkipEncodingCheck,
		maxRow:        o.MaxRowSize,
		forceQuoteAll: o.ForceQuoteAll,
		forceQuote:    flags(o.ForceQuote),
		forceNotNull:  flags(o.ForceNotNull),
		forceNull:     flags(o.ForceNull),
	}
	csv := o.Format == CSV
	if c.delim == 0 {
		c.delim = '\t'
		if csv {
			c.delim = ','
		}
	}
	switch {
	case o.NullSet:
		c.null = []byte(o.Null)
	case csv:
		c.null = []byte{}
	default:
		c.null = []byte(`\N`)
	}
	if c.quote == 0 {
		c.quote = '"'
	}
	if c.escape == 0 {
		c.escape = c.quote
	}
	if c.maxRow <= 0 {
		c.maxRow = DefaultMaxRowSize
	}
	return c
}

func flags(idx []int) []bool {
	n := 0
	for _, i := range idx {
		// Column counts are tiny (PostgreSQL allows 1600); a huge index is
		// a caller bug and must not turn into a huge allocation.
		if i >= 0 && i < 1<<16 && i+1 > n {
			n = i + 1
		}
	}
	if n == 0 {
		return nil
	}
	f := make([]bool, n)
	for _, i := range idx {
		if i >= 0 && i < n {
			f[i] = true
		}
	}
	return f
}

func flagAt(f []bool, i int) bool { return i < len(f) && f[i] }

// ProtocolFormat is the format code for CopyInResponse and CopyOutResponse:
// 1 for binary, 0 for text and csv (overall and for every column).
func (f Format) ProtocolFormat() int16 {
	if f == Binary {
		return 1
	}
	return 0
}
