package pgcopy

import (
	"slices"
	"strings"
)

// ArgKind is the shape of an option's argument in the COPY grammar.
type ArgKind int

const (
	ArgNone   ArgKind = iota // bare option: HEADER, FREEZE, CSV
	ArgString                // string literal or keyword/identifier: 'x', csv, true, match
	ArgNumber                // numeric literal: HEADER 1
	ArgStar                  // FORCE_QUOTE *
	ArgList                  // (col, ...) or legacy FORCE QUOTE col, ...
)

// Option is one element of a COPY option list reduced to PostgreSQL's
// DefElem form, which both spellings share: (FORMAT csv, HEADER true) and
// the legacy WITH CSV HEADER QUOTE AS '"' FORCE NOT NULL a. The statement
// parser maps legacy keywords to the new names (CSV → format 'csv',
// BINARY → format 'binary', FORCE NOT NULL → force_not_null, ...).
type Option struct {
	Name  string // lower-case option name
	Kind  ArgKind
	Value string   // ArgString, ArgNumber
	List  []string // ArgList
}

// argString is defGetString.
func (o Option) argString() (string, error) {
	switch o.Kind {
	case ArgNone:
		return "", errorf(CodeSyntaxError, "%s requires a parameter", o.Name)
	case ArgStar:
		return "*", nil
	case ArgList:
		return strings.Join(o.List, "."), nil
	}
	return o.Value, nil
}

// argBool is defGetBoolean.
func (o Option) argBool() (bool, error) {
	switch o.Kind {
	case ArgNone:
		return true, nil
	case ArgNumber:
		switch o.Value {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
	case ArgString:
		switch strings.ToLower(o.Value) {
		case "true", "on":
			return true, nil
		case "false", "off":
			return false, nil
		}
	}
	return false, errorf(CodeSyntaxError, "%s requires a Boolean value", o.Name)
}

// ParseOptions is PostgreSQL 15's ProcessCopyOptions: it folds the option
// list into Options, rejecting unknown and repeated options as it goes, then
// runs the combination checks of Validate. Force column lists are returned by
// name; call ResolveColumns once the table's columns are known.
func ParseOptions(dir Direction, opts []Option) (Options, error) {
	var o Options
	o.Direction = dir
	var s spec
	s.dir = dir
	var formatSet, freezeSet, headerSet, encodingSet bool
	conflict := func() error { return errorf(CodeSyntaxError, "conflicting or redundant options") }
	for _, opt := range opts {
		switch opt.Name {
		case "format":
			if formatSet {
				return o, conflict()
			}
			formatSet = true
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			if o.Format, err = ParseFormat(v); err != nil {
				return o, err
			}
		case "freeze":
			if freezeSet {
				return o, conflict()
			}
			freezeSet = true
			b, err := opt.argBool()
			if err != nil {
				return o, err
			}
			o.Freeze = b
		case "delimiter":
			if s.delim != nil {
				return o, conflict()
			}
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			s.delim = &v
		case "null":
			if s.null != nil {
				return o, conflict()
			}
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			s.null = &v
		case "header":
			if headerSet {
				return o, conflict()
			}
			headerSet = true
			h, m, err := headerChoice(opt, dir)
			if err != nil {
				return o, err
			}
			o.Header, o.HeaderMatch = h, m
		case "quote":
			if s.quote != nil {
				return o, conflict()
			}
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			s.quote = &v
		case "escape":
			if s.escape != nil {
				return o, conflict()
			}
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			s.escape = &v
		case "force_quote":
			if o.forceQuoteSet() {
				return o, conflict()
			}
			switch opt.Kind {
			case ArgStar:
				o.ForceQuoteAll = true
			case ArgList:
				o.ForceQuoteNames = opt.List
			default:
				return o, errListArg(opt.Name)
			}
		case "force_not_null", "force_null":
			set := o.forceNotNullSet()
			dst := &o.ForceNotNullNames
			if opt.Name == "force_null" {
				set, dst = o.forceNullSet(), &o.ForceNullNames
			}
			if set {
				return o, conflict()
			}
			if opt.Kind != ArgList {
				return o, errListArg(opt.Name)
			}
			*dst = opt.List
		case "encoding":
			if encodingSet {
				return o, conflict()
			}
			encodingSet = true
			v, err := opt.argString()
			if err != nil {
				return o, err
			}
			if err := checkEncoding(v); err != nil {
				return o, err
			}
			o.Encoding = v
		default:
			return o, errorf(CodeSyntaxError, "option \"%s\" not recognized", opt.Name)
		}
	}
	s.format = o.Format
	s.header = o.Header || o.HeaderMatch
	s.headerMatch = o.HeaderMatch
	s.forceQuote = o.forceQuoteSet()
	s.forceNN = o.forceNotNullSet()
	s.forceNull = o.forceNullSet()
	if err := s.check(); err != nil {
		return o, err
	}
	// check has proven these are single bytes where they matter.
	if s.delim != nil {
		o.Delimiter = (*s.delim)[0]
	}
	if s.null != nil {
		o.Null, o.NullSet = *s.null, true
	}
	if s.quote != nil {
		o.Quote = (*s.quote)[0]
	}
	if s.escape != nil {
		o.Escape = (*s.escape)[0]
	}
	return o, nil
}

func errListArg(name string) error {
	return errorf(CodeInvalidParameterValue, "argument to option \"%s\" must be a list of column names", name)
}

// headerChoice is defGetCopyHeaderChoice: 0/1, true/false/on/off or match.
func headerChoice(opt Option, dir Direction) (header, match bool, err error) {
	switch opt.Kind {
	case ArgNone:
		return true, false, nil
	case ArgNumber:
		switch opt.Value {
		case "0":
			return false, false, nil
		case "1":
			return true, false, nil
		}
	default:
		v, _ := opt.argString()
		switch strings.ToLower(v) {
		case "true", "on":
			return true, false, nil
		case "false", "off":
			return false, false, nil
		case "match":
			if dir == To {
				return false, false, errorf(CodeFeatureNotSupported, "cannot use \"%s\" with HEADER in COPY TO", v)
			}
			return true, true, nil
		}
	}
	return false, false, errorf(CodeSyntaxError, "%s requires a Boolean value or \"match\"", opt.Name)
}

// checkEncoding accepts the encodings this server can honour without
// conversion. PostgreSQL would accept any of its ~40 encodings and
// transcode; a server that only speaks UTF8 rejects the rest plainly rather
// than mis-reading the data.
func checkEncoding(name string) error {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "utf8", "unicode":
		return nil
	case "":
		return errorf(CodeInvalidParameterValue, "argument to option \"encoding\" must be a valid encoding name")
	}
	return errorf(CodeFeatureNotSupported, "COPY encoding \"%s\" is not supported; only UTF8 is", name)
}

// ResolveColumns turns the Force*Names lists into 0-based indexes into
// copyCols, the columns the COPY transfers (its column list, or all of the
// table's columns in order). tableCols are all columns of the table and
// table its name; both only shape error messages, as in PostgreSQL, where an
// unknown name is reported before one that the COPY does not transfer. For
// COPY (query) TO pass table "" and tableCols = copyCols.
func (o *Options) ResolveColumns(table string, tableCols, copyCols []string) error {
	lists := []struct {
		names []string
		dst   *[]int
		label string
	}{
		{o.ForceQuoteNames, &o.ForceQuote, "FORCE_QUOTE"},
		{o.ForceNotNullNames, &o.ForceNotNull, "FORCE_NOT_NULL"},
		{o.ForceNullNames, &o.ForceNull, "FORCE_NULL"},
	}
	for _, l := range lists {
		if len(l.names) == 0 {
			continue
		}
		// CopyGetAttnums vets the whole list before membership is checked.
		for i, name := range l.names {
			if !slices.Contains(tableCols, name) {
				if table == "" {
					return errorf(CodeUndefinedColumn, "column \"%s\" does not exist", name)
				}
				return errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, table)
			}
			if slices.Contains(l.names[:i], name) {
				return errorf(CodeDuplicateColumn, "column \"%s\" specified more than once", name)
			}
		}
		var idx []int
		for _, name := range l.names {
			j := slices.Index(copyCols, name)
			if j < 0 {
				return errorf(CodeInvalidColumnReference, "%s column \"%s\" not referenced by COPY", l.label, name)
			}
			idx = append(idx, j)
		}
		*l.dst = idx
	}
	return nil
}
