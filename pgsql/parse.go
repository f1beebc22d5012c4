package pgsql

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind classifies a statement by what a server has to do with it.
type Kind uint8

const (
	KindOther  Kind = iota // anything else; Tag and, for DDL, DDL are still set
	KindEmpty              // only whitespace/comments: answer EmptyQueryResponse
	KindSelect             // SELECT, TABLE, (SELECT ...), WITH ... SELECT
	KindValues             // VALUES ...
	KindInsert
	KindUpdate
	KindDelete
	KindMerge
	KindCreateTable // includes CREATE TABLE AS (Tag "SELECT")
	KindCreateIndex
	KindCreateView
	KindCreateTrigger
	KindCreateSchema
	KindCreateSequence
	KindCreateDatabase
	KindDropDatabase
	KindDropTable
	KindDropIndex
	KindDropView
	KindDropTrigger
	KindDropSchema
	KindDropSequence
	KindAlterTable
	KindBegin    // BEGIN, START TRANSACTION
	KindCommit   // COMMIT, END
	KindRollback // ROLLBACK, ABORT
	KindSavepoint
	KindRelease
	KindRollbackTo
	KindSet // SET, SET LOCAL, SET TRANSACTION, SET SESSION CHARACTERISTICS, SET CONSTRAINTS
	KindShow
	KindReset
	KindDeclare
	KindFetch
	KindMove
	KindClose
	KindCopy
	KindDeallocate
	KindPrepare
	KindExecute
	KindDiscard
	KindTruncate
	KindVacuum
	KindAnalyze
	KindCheckpoint
	KindListen
	KindUnlisten
	KindNotify
	KindExplain
	KindLock
	KindComment
	KindGrant
	KindRevoke
	KindCall
	KindDo
	KindPragma // SQLite PRAGMA (diagnostics); ReadOnly unless it assigns
)

var kindNames = [...]string{
	KindOther: "Other", KindEmpty: "Empty", KindSelect: "Select", KindValues: "Values",
	KindInsert: "Insert", KindUpdate: "Update", KindDelete: "Delete", KindMerge: "Merge",
	KindCreateTable: "CreateTable", KindCreateIndex: "CreateIndex", KindCreateView: "CreateView",
	KindCreateTrigger: "CreateTrigger", KindCreateSchema: "CreateSchema",
	KindCreateSequence: "CreateSequence", KindCreateDatabase: "CreateDatabase",
	KindDropDatabase: "DropDatabase", KindDropTable: "DropTable", KindDropIndex: "DropIndex",
	KindDropView: "DropView", KindDropTrigger: "DropTrigger", KindDropSchema: "DropSchema",
	KindDropSequence: "DropSequence", KindAlterTable: "AlterTable", KindBegin: "Begin",
	KindCommit: "Commit", KindRollback: "Rollback", KindSavepoint: "Savepoint",
	KindRelease: "Release", KindRollbackTo: "RollbackTo", KindSet: "Set", KindShow: "Show",
	KindReset: "Reset", KindDeclare: "Declare", KindFetch: "Fetch", KindMove: "Move",
	KindClose: "Close", KindCopy: "Copy", KindDeallocate: "Deallocate", KindPrepare: "Prepare",
	KindExecute: "Execute", KindDiscard: "Discard", KindTruncate: "Truncate",
	KindVacuum: "Vacuum", KindAnalyze: "Analyze", KindCheckpoint: "Checkpoint",
	KindListen: "Listen", KindUnlisten: "Unlisten", KindNotify: "Notify", KindExplain: "Explain",
	KindLock: "Lock", KindComment: "Comment", KindGrant: "Grant", KindRevoke: "Revoke",
	KindCall: "Call", KindDo: "Do", KindPragma: "Pragma",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Statement is one classified SQL statement. Exactly one of the detail
// pointers is set for the kinds that have one (documented per field); the
// rest are nil.
type Statement struct {
	Kind Kind
	// Tag is the command-tag verb PostgreSQL 15 sends in CommandComplete,
	// without row counts: "SELECT", "INSERT", "CREATE TABLE", "FETCH",
	// "CLOSE CURSOR ALL", ... The server appends counts where PG does
	// ("INSERT 0 n", "SELECT n", "FETCH n", "COPY n", "MOVE n", "UPDATE n",
	// "DELETE n", "MERGE n"), sends "ROLLBACK" for a COMMIT of a failed
	// transaction, and replaces "EXECUTE" with the prepared statement's tag.
	Tag string
	// ReadOnly is true only when running the statement cannot change
	// stored data: queries without SELECT INTO / FOR UPDATE / data-modifying
	// CTEs / nextval(), SHOW, EXPLAIN without ANALYZE, COPY TO, and
	// session or transaction control (SET, BEGIN, COMMIT, FETCH, ...).
	// It is what PostgreSQL would allow inside a READ ONLY transaction,
	// except that VACUUM/ANALYZE/CHECKPOINT count as writes (on SQLite they
	// rewrite the file or the statistics tables) and EXECUTE/CALL/DO are
	// conservatively writes.
	ReadOnly bool
	// Returning is set for INSERT/UPDATE/DELETE with a top-level RETURNING.
	Returning bool

	SQL    string  // the statement text, trimmed, without a trailing ';'
	Tokens []Token // Lex(SQL): every token including space, comments and the final EOF

	DDL         *DDL             // CREATE / ALTER / DROP of any object
	Transaction *TransactionStmt // Begin, Commit, Rollback, Savepoint, Release, RollbackTo
	Set         *SetStmt         // Set, Reset
	Show        *ShowStmt        // Show
	Declare     *DeclareStmt     // Declare
	Fetch       *FetchStmt       // Fetch, Move
	Close       *CloseStmt       // Close
	Copy        *CopyStmt        // Copy
	Prepare     *PrepareStmt     // Prepare
	Execute     *ExecuteStmt     // Execute
	Deallocate  *DeallocateStmt  // Deallocate
	Discard     *DiscardStmt     // Discard
	Truncate    *TruncateStmt    // Truncate
	Database    *DatabaseStmt    // CreateDatabase, DropDatabase
	Explain     *ExplainStmt     // Explain
	Notify      *NotifyStmt      // Listen, Unlisten, Notify
	Lock        *LockStmt        // Lock
}

// ObjectName is a possibly qualified name: [[catalog.]schema.]name. Bare
// identifiers are lower-cased, quoted ones keep their case.
type ObjectName struct {
	Catalog, Schema, Name string
}

func (n ObjectName) String() string {
	var b strings.Builder
	if n.Catalog != "" {
		b.WriteString(QuoteIdent(n.Catalog) + ".")
	}
	if n.Schema != "" {
		b.WriteString(QuoteIdent(n.Schema) + ".")
	}
	b.WriteString(QuoteIdent(n.Name))
	return b.String()
}

// Option is a name/value pair from an option list (EXPLAIN (...), CREATE
// DATABASE ... WITH ...). Name is lower-cased; Value is the decoded value
// ("" when the option was given without one).
type Option struct {
	Name, Value string
}

// DDL describes any CREATE, ALTER or DROP statement.
type DDL struct {
	Verb   string // "CREATE", "ALTER" or "DROP"
	Object string // as in the tag: "TABLE", "MATERIALIZED VIEW", "ROLE" (for USER/GROUP), ...
	// Names are the objects named by the statement; DROP may list several,
	// CREATE INDEX may have none.
	Names []ObjectName
	// Table is the table an index/trigger/rule/policy is defined on.
	Table *ObjectName

	IfExists, IfNotExists, OrReplace bool
	Temporary, Unlogged, Unique      bool
	Concurrently, Cascade            bool
	// AsQuery is the query text of CREATE TABLE/VIEW/MATERIALIZED VIEW ... AS
	// (without a trailing WITH [NO] DATA).
	AsQuery    string
	WithNoData bool
}

// IsolationLevel is a transaction isolation level.
type IsolationLevel uint8

const (
	IsolationDefault IsolationLevel = iota // not specified
	ReadUncommitted
	ReadCommitted
	RepeatableRead
	Serializable
)

// String returns the level as PostgreSQL shows it in transaction_isolation.
func (l IsolationLevel) String() string {
	switch l {
	case ReadUncommitted:
		return "read uncommitted"
	case ReadCommitted:
		return "read committed"
	case RepeatableRead:
		return "repeatable read"
	case Serializable:
		return "serializable"
	}
	return ""
}

// Tristate is an optional boolean.
type Tristate int8

const (
	Unset Tristate = iota
	True
	False
)

// TxOptions are the transaction modes of BEGIN, START TRANSACTION, SET
// TRANSACTION and SET SESSION CHARACTERISTICS AS TRANSACTION. Later modes
// override earlier ones, as in PostgreSQL.
type TxOptions struct {
	Isolation  IsolationLevel
	ReadOnly   Tristate // READ ONLY = True, READ WRITE = False
	Deferrable Tristate
}

// TransactionStmt details transaction control.
type TransactionStmt struct {
	Options   TxOptions // Begin
	Chain     bool      // COMMIT/END/ROLLBACK/ABORT AND CHAIN
	Savepoint string    // Savepoint, Release, RollbackTo
}

// SetStmt details SET and RESET.
type SetStmt struct {
	// Name is the lower-cased, possibly dotted parameter name, with SQL
	// syntax mapped to the parameter it sets: TIME ZONE -> "timezone",
	// NAMES -> "client_encoding", SCHEMA -> "search_path", ROLE -> "role",
	// SESSION AUTHORIZATION -> "session_authorization", XML OPTION ->
	// "xmloption", RESET TRANSACTION ISOLATION LEVEL -> "transaction_isolation".
	// Empty for RESET ALL, SET TRANSACTION and SET CONSTRAINTS.
	Name string
	// Value is the new value as PostgreSQL stores it: quotes removed, list
	// elements joined with ", ", elements of list parameters such as
	// search_path passed through quote_ident.
	Value string
	// Args holds each decoded value of the list (not quoted).
	Args    []string
	Local   bool // SET LOCAL
	Default bool // SET ... TO DEFAULT / LOCAL, or RESET: restore the default
	All     bool // RESET ALL

	// Transaction is set for SET TRANSACTION and SET SESSION
	// CHARACTERISTICS AS TRANSACTION (Session true).
	Transaction *TxOptions
	Session     bool

	// Constraints is set for SET CONSTRAINTS.
	Constraints *SetConstraints
}

// SetConstraints details SET CONSTRAINTS {ALL | name, ...} {DEFERRED | IMMEDIATE}.
type SetConstraints struct {
	All      bool
	Names    []ObjectName
	Deferred bool
}

// ShowStmt details SHOW.
type ShowStmt struct {
	Name string // lower-cased; TIME ZONE -> "timezone", TRANSACTION ISOLATION LEVEL -> "transaction_isolation", SESSION AUTHORIZATION -> "session_authorization"
	All  bool
}

// DeclareStmt details DECLARE name ... CURSOR ... FOR query.
type DeclareStmt struct {
	Name        string
	Binary      bool
	Insensitive bool
	Scroll      Tristate // SCROLL = True, NO SCROLL = False
	Hold        bool
	Query       string     // exact text of the query
	Inner       *Statement // the parsed query
}

// FetchDirection is the normalized direction of FETCH/MOVE.
type FetchDirection uint8

const (
	FetchForward  FetchDirection = iota // NEXT, n, ALL, FORWARD ...
	FetchBackward                       // PRIOR, BACKWARD ...
	FetchAbsolute                       // FIRST (1), LAST (-1), ABSOLUTE n
	FetchRelative                       // RELATIVE n
)

// FetchStmt details FETCH and MOVE, normalized as PostgreSQL does: NEXT is
// Forward 1, PRIOR Backward 1, FIRST Absolute 1, LAST Absolute -1, a bare
// count n is Forward n (n may be negative), ALL is Forward with All set.
type FetchStmt struct {
	Direction FetchDirection
	Count     int64
	All       bool // ALL, FORWARD ALL, BACKWARD ALL
	Cursor    string
}

// CloseStmt details CLOSE name | ALL.
type CloseStmt struct {
	Cursor string
	All    bool
}

// CopyEndpoint is where COPY reads or writes.
type CopyEndpoint uint8

const (
	CopyStdio   CopyEndpoint = iota // STDIN / STDOUT: the client, via CopyIn/CopyOut
	CopyFile                        // a server-side file: Path
	CopyProgram                     // PROGRAM 'cmd': Path holds the command
)

// CopyStmt details COPY. Options are validated as PostgreSQL's
// ProcessCopyOptions does and defaults are filled in, so Delimiter, Null,
// Quote and Escape are always the effective values.
type CopyStmt struct {
	Table   ObjectName // zero when Query is set
	Columns []string
	Query   string     // COPY (query) TO: the query text
	Inner   *Statement // COPY (query) TO: the parsed query

	From     bool // COPY FROM (otherwise COPY TO)
	Endpoint CopyEndpoint
	Path     string // file name or program for CopyFile / CopyProgram

	Format        string // "text", "csv" or "binary"
	Delimiter     string
	Null          string
	Header        bool
	HeaderMatch   bool // HEADER MATCH (COPY FROM only)
	Quote         string
	Escape        string
	ForceQuote    []string
	ForceQuoteAll bool
	ForceNotNull  []string
	ForceNull     []string
	Encoding      string
	Freeze        bool
	Where         string // COPY FROM ... WHERE condition (text)
}

// PrepareStmt details PREPARE name [(types)] AS statement.
type PrepareStmt struct {
	Name       string
	ParamTypes []string // type names as written, e.g. "int", "character varying(10)"
	Query      string
	Inner      *Statement
}

// ExecuteStmt details EXECUTE name [(args)].
type ExecuteStmt struct {
	Name string
	Args []string // argument expressions as written
}

// DeallocateStmt details DEALLOCATE [PREPARE] name | ALL.
type DeallocateStmt struct {
	Name string
	All  bool
}

// DiscardStmt details DISCARD; Target is "ALL", "PLANS", "SEQUENCES" or "TEMP".
type DiscardStmt struct {
	Target string
}

// TruncateStmt details TRUNCATE.
type TruncateStmt struct {
	Tables          []ObjectName
	RestartIdentity bool
	Cascade         bool
}

// DatabaseStmt details CREATE DATABASE and DROP DATABASE.
type DatabaseStmt struct {
	Name     string
	Options  []Option // CREATE DATABASE options; CONNECTION LIMIT is "connection_limit"
	IfExists bool
	Force    bool // DROP DATABASE ... WITH (FORCE)
}

// ExplainStmt details EXPLAIN.
type ExplainStmt struct {
	Analyze bool
	Verbose bool
	Format  string   // "text" unless FORMAT was given (lower-cased)
	Options []Option // all options from the parenthesized form
	Query   string
	Inner   *Statement
}

// NotifyStmt details LISTEN, UNLISTEN and NOTIFY.
type NotifyStmt struct {
	Channel string
	All     bool   // UNLISTEN *
	Payload string // NOTIFY channel, 'payload'
}

// LockStmt details LOCK [TABLE].
type LockStmt struct {
	Tables []ObjectName
	Mode   string // upper case, e.g. "ACCESS EXCLUSIVE" (the default)
	NoWait bool
}

// Parse classifies one statement (as returned by Split, a trailing ';' is
// tolerated) and parses the utility statements a server implements itself.
// Syntax errors are *Error with SQLSTATE 42601 and the position of the
// offending token; recognized but unsupported features are 0A000. Parsing
// more than one statement is an error, as it is for PostgreSQL's extended
// protocol.
func Parse(stmt string) (*Statement, error) {
	toks, err := Lex(stmt)
	if err != nil {
		return nil, err
	}
	spans := splitTokens(stmt, toks)
	switch {
	case len(spans) > 1:
		return nil, &Error{Code: CodeSyntaxError, Message: "cannot insert multiple commands into a prepared statement"}
	case len(spans) == 0:
		return &Statement{Kind: KindEmpty, ReadOnly: true, SQL: "", Tokens: []Token{{Kind: TokEOF}}}, nil
	}
	text := stmt[spans[0].start:spans[0].end]
	if text != stmt {
		if toks, err = Lex(text); err != nil {
			return nil, err
		}
	}
	s := &Statement{SQL: text, Tokens: toks}
	p := newParser(text, toks)
	if err := p.statement(s); err != nil {
		return nil, err
	}
	return s, nil
}

// parser walks the significant (non-space, non-comment) tokens of one
// statement. Its helpers report syntax errors the way PostgreSQL words
// them, positioned at the offending token.
type parser struct {
	src  string
	toks []Token // significant tokens, ending with TokEOF
	i    int
}

func newParser(src string, all []Token) *parser {
	sig := make([]Token, 0, len(all))
	for _, t := range all {
		if t.Kind != TokSpace && t.Kind != TokComment {
			sig = append(sig, t)
		}
	}
	if len(sig) == 0 || sig[len(sig)-1].Kind != TokEOF {
		sig = append(sig, Token{Kind: TokEOF, Pos: len(src)})
	}
	return &parser{src: src, toks: sig}
}

func (p *parser) peek() Token { return p.peekN(0) }

func (p *parser) peekN(n int) Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() Token {
	t := p.toks[p.i]
	if t.Kind != TokEOF {
		p.i++
	}
	return t
}

func (p *parser) atEOF() bool { return p.peek().Kind == TokEOF }

func (t Token) isKw(w string) bool { return t.Kind == TokIdent && t.Str == w }

func (t Token) isPunct(s string) bool {
	return (t.Kind == TokPunct || t.Kind == TokOp) && t.Str == s
}

// isKw reports whether the next tokens are the given keywords.
func (p *parser) isKw(words ...string) bool {
	for i, w := range words {
		if !p.peekN(i).isKw(w) {
			return false
		}
	}
	return true
}

func (p *parser) acceptKw(words ...string) bool {
	if !p.isKw(words...) {
		return false
	}
	p.i += len(words)
	return true
}

func (p *parser) expectKw(words ...string) error {
	for _, w := range words {
		if !p.peek().isKw(w) {
			return p.errHere()
		}
		p.next()
	}
	return nil
}

func (p *parser) acceptPunct(s string) bool {
	if p.peek().isPunct(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.errHere()
	}
	return nil
}

func (p *parser) expectEOF() error {
	if !p.atEOF() {
		return p.errHere()
	}
	return nil
}

func (p *parser) errHere() *Error { return syntaxError(p.src, p.peek()) }

// syntaxError is PostgreSQL's generic parser error for token t.
func syntaxError(src string, t Token) *Error {
	if t.Kind == TokEOF {
		return &Error{Code: CodeSyntaxError, Message: "syntax error at end of input", Position: charPos(src, len(src))}
	}
	return &Error{Code: CodeSyntaxError, Message: `syntax error at or near "` + t.Text + `"`, Position: charPos(src, t.Pos)}
}

func (p *parser) errorf(t Token, code, format string, args ...any) *Error {
	return errAt(p.src, t.Pos, code, format, args...)
}

func notSupported(what string) *Error {
	return &Error{Code: CodeFeatureNotSupported, Message: what + " is not supported"}
}

// rest returns the source text from the current token to the end.
func (p *parser) rest() string {
	return strings.TrimSpace(p.src[p.peek().Pos:])
}

// textFrom returns the source text from token index i to the current token.
func (p *parser) textFrom(i int) string {
	return strings.TrimSpace(p.src[p.toks[i].Pos:p.peek().Pos])
}

// colID accepts a ColId: a quoted identifier, or a bare one that is not a
// reserved or type/function-name keyword.
func (p *parser) colID() (string, error) {
	t := p.peek()
	switch {
	case t.Kind == TokQuotedIdent:
	case t.Kind == TokIdent && !reservedKeywords[t.Str] && !typeFuncKeywords[t.Str]:
	default:
		return "", p.errHere()
	}
	p.next()
	return t.Str, nil
}

// colLabel accepts any identifier, keywords included.
func (p *parser) colLabel() (string, error) {
	t := p.peek()
	if t.Kind != TokIdent && t.Kind != TokQuotedIdent {
		return "", p.errHere()
	}
	p.next()
	return t.Str, nil
}

func (p *parser) qualifiedName() (ObjectName, error) {
	var parts []string
	first := p.peek()
	for {
		var s string
		var err error
		if len(parts) == 0 {
			s, err = p.colID()
		} else {
			s, err = p.colLabel()
		}
		if err != nil {
			return ObjectName{}, err
		}
		parts = append(parts, s)
		if !p.peek().isPunct(".") {
			break
		}
		p.next()
	}
	switch len(parts) {
	case 1:
		return ObjectName{Name: parts[0]}, nil
	case 2:
		return ObjectName{Schema: parts[0], Name: parts[1]}, nil
	case 3:
		return ObjectName{Catalog: parts[0], Schema: parts[1], Name: parts[2]}, nil
	}
	return ObjectName{}, p.errorf(first, CodeSyntaxError, "improper qualified name (too many dotted names): %s", p.textFrom(p.i-2*len(parts)+1))
}

// skipGroup skips a balanced (...) or [...] group starting at the current
// token, which must be the opener.
func (p *parser) skipGroup() error {
	depth := 0
	for {
		t := p.next()
		switch {
		case t.Kind == TokEOF:
			return p.errHere()
		case t.isPunct("(") || t.isPunct("["):
			depth++
		case t.isPunct(")") || t.isPunct("]"):
			depth--
		}
		if depth <= 0 {
			return nil
		}
	}
}

// list parses "( item, item, ... )" returning each item's text; items
// may contain nested groups.
func (p *parser) list() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var items []string
	start := p.i
	depth := 0
	for {
		t := p.peek()
		switch {
		case t.Kind == TokEOF:
			return nil, p.errHere()
		case t.isPunct("(") || t.isPunct("["):
			depth++
		case (t.isPunct(")") || t.isPunct("]")) && depth > 0:
			depth--
		case depth == 0 && (t.isPunct(",") || t.isPunct(")")):
			if p.i == start {
				return nil, p.errHere()
			}
			items = append(items, p.textFrom(start))
			p.next()
			if t.isPunct(")") {
				return items, nil
			}
			start = p.i
			continue
		}
		p.next()
	}
}

// identList parses "( colid, ... )".
func (p *parser) identList() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		s, err := p.colID()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if p.acceptPunct(")") {
			return out, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

// statement dispatches on the leading keyword.
func (p *parser) statement(s *Statement) error {
	t := p.peek()
	if t.isPunct("(") {
		return p.query(s)
	}
	if t.Kind != TokIdent {
		return p.errHere()
	}
	switch t.Str {
	case "select", "values", "table", "with", "insert", "update", "delete", "merge":
		return p.query(s)
	case "create", "alter", "drop":
		return p.ddl(s)
	case "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release":
		return p.transaction(s)
	case "set":
		return p.set(s)
	case "reset":
		return p.reset(s)
	case "show":
		return p.show(s)
	case "declare":
		return p.declare(s)
	case "fetch", "move":
		return p.fetch(s)
	case "close":
		return p.close(s)
	case "copy":
		return p.copy(s)
	case "prepare":
		return p.prepare(s)
	case "execute":
		return p.execute(s)
	case "deallocate":
		return p.deallocate(s)
	case "discard":
		return p.discard(s)
	case "truncate":
		return p.truncate(s)
	case "explain":
		return p.explain(s)
	case "listen", "unlisten", "notify":
		return p.notify(s)
	case "lock":
		return p.lock(s)
	case "checkpoint":
		p.next()
		s.Kind, s.Tag = KindCheckpoint, "CHECKPOINT"
		return p.expectEOF()
	}
	if k, ok := simpleKinds[t.Str]; ok {
		s.Kind, s.Tag = k.kind, k.tag
		switch t.Str {
		case "pragma":
			return p.pragma(s)
		case "grant", "revoke":
			if !p.hasTopLevelKw("on") {
				s.Tag += " ROLE"
			}
		case "security":
			if !p.isKw("security", "label") {
				return syntaxError(p.src, p.peekN(1))
			}
		case "import":
			if !p.isKw("import", "foreign", "schema") {
				return syntaxError(p.src, p.peekN(1))
			}
		case "refresh":
			if !p.isKw("refresh", "materialized", "view") {
				return syntaxError(p.src, p.peekN(1))
			}
		case "reassign":
			if !p.isKw("reassign", "owned") {
				return syntaxError(p.src, p.peekN(1))
			}
		}
		if p.peekN(1).Kind == TokEOF && t.Str != "vacuum" && t.Str != "analyze" && t.Str != "analyse" && t.Str != "cluster" {
			return syntaxError(p.src, p.peekN(1))
		}
		return nil
	}
	return p.errHere()
}

// simpleKinds are statements classified by their first keyword alone; a
// server hands them to the translator or rejects them.
var simpleKinds = map[string]struct {
	kind Kind
	tag  string
}{
	"vacuum":   {KindVacuum, "VACUUM"},
	"analyze":  {KindAnalyze, "ANALYZE"},
	"analyse":  {KindAnalyze, "ANALYZE"},
	"comment":  {KindComment, "COMMENT"},
	"grant":    {KindGrant, "GRANT"},
	"revoke":   {KindRevoke, "REVOKE"},
	"call":     {KindCall, "CALL"},
	"do":       {KindDo, "DO"},
	"reindex":  {KindOther, "REINDEX"},
	"cluster":  {KindOther, "CLUSTER"},
	"load":     {KindOther, "LOAD"},
	"refresh":  {KindOther, "REFRESH MATERIALIZED VIEW"},
	"security": {KindOther, "SECURITY LABEL"},
	"import":   {KindOther, "IMPORT FOREIGN SCHEMA"},
	"reassign": {KindOther, "REASSIGN OWNED"},
	"pragma":   {KindPragma, "PRAGMA"},
}

// hasTopLevelKw reports whether keyword w occurs outside parentheses
// anywhere after the current token.
func (p *parser) hasTopLevelKw(w string) bool {
	depth := 0
	for _, t := range p.toks[p.i:] {
		switch {
		case t.isPunct("("):
			depth++
		case t.isPunct(")"):
			depth--
		case depth == 0 && t.isKw(w):
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------
// Queries and DML

var mainVerbs = map[string]Kind{
	"select": KindSelect, "table": KindSelect, "values": KindValues,
	"insert": KindInsert, "update": KindUpdate, "delete": KindDelete, "merge": KindMerge,
}

// query classifies SELECT/VALUES/TABLE/WITH/INSERT/UPDATE/DELETE/MERGE and
// works out ReadOnly and Returning from the token stream, without a full
// grammar: a data-modifying CTE body, SELECT ... INTO, a row-locking
// clause or a call to nextval()/setval() makes a query a writer.
func (p *parser) query(s *Statement) error {
	writes := false
	// Skip the parentheses that may wrap a whole SELECT.
	for p.peek().isPunct("(") {
		p.next()
	}
	if p.acceptKw("with") {
		p.acceptKw("recursive")
		for {
			// name [(cols)] AS [NOT] [MATERIALIZED] ( body ) [SEARCH ...] [CYCLE ...]
			if _, err := p.colID(); err != nil {
				return err
			}
			if p.peek().isPunct("(") {
				if _, err := p.identList(); err != nil {
					return err
				}
			}
			if err := p.expectKw("as"); err != nil {
				return err
			}
			p.acceptKw("not")
			p.acceptKw("materialized")
			if !p.peek().isPunct("(") {
				return p.errHere()
			}
			body := p.i + 1
			for body < len(p.toks) && p.toks[body].isPunct("(") {
				body++
			}
			if k, ok := mainVerbs[p.toks[body].Str]; ok && p.toks[body].Kind == TokIdent && k >= KindInsert {
				writes = true
			}
			if err := p.skipGroup(); err != nil {
				return err
			}
			// SEARCH/CYCLE clauses run until the next CTE or the main verb.
			for p.isKw("search") || p.isKw("cycle") {
				for !p.atEOF() && !p.peek().isPunct(",") && !p.peek().isPunct("(") {
					if _, ok := mainVerbs[p.peek().Str]; ok && p.peek().Kind == TokIdent {
						break
					}
					p.next()
				}
			}
			if !p.acceptPunct(",") {
				break
			}
		}
		for p.peek().isPunct("(") {
			p.next()
		}
	}
	verb := p.peek()
	kind, ok := mainVerbs[verb.Str]
	if !ok || verb.Kind != TokIdent {
		return p.errHere()
	}
	s.Kind = kind
	switch kind {
	case KindSelect, KindValues:
		s.Tag = "SELECT"
	default:
		s.Tag = strings.ToUpper(verb.Str)
		writes = true
	}
	depth := 0
	for i := p.i; i < len(p.toks); i++ {
		t := p.toks[i]
		switch {
		case t.isPunct("(") || t.isPunct("["):
			depth++
		case t.isPunct(")") || t.isPunct("]"):
			depth--
		case t.Kind != TokIdent:
		case t.Str == "returning" && depth <= 0 && kind >= KindInsert:
			s.Returning = true
		case t.Str == "into" && kind == KindSelect:
			writes = true // SELECT ... INTO creates a table
		case t.Str == "for" && i+1 < len(p.toks):
			n := p.toks[i+1]
			if n.isKw("update") || n.isKw("share") || n.isKw("no") || n.isKw("key") {
				writes = true
			}
		case t.Str == "nextval" || t.Str == "setval":
			if i+1 < len(p.toks) && p.toks[i+1].isPunct("(") {
				writes = true
			}
		}
	}
	s.ReadOnly = !writes
	return nil
}

// ---------------------------------------------------------------------
// CREATE / ALTER / DROP

// ddlObjects maps the words naming an object type to the object part of
// the command tag, longest phrases first so "FOREIGN TABLE" wins over
// nothing and "USER MAPPING" over "USER".
var ddlObjects = []struct {
	words  []string
	object string
}{
	{[]string{"text", "search", "configuration"}, "TEXT SEARCH CONFIGURATION"},
	{[]string{"text", "search", "dictionary"}, "TEXT SEARCH DICTIONARY"},
	{[]string{"text", "search", "parser"}, "TEXT SEARCH PARSER"},
	{[]string{"text", "search", "template"}, "TEXT SEARCH TEMPLATE"},
	{[]string{"foreign", "data", "wrapper"}, "FOREIGN DATA WRAPPER"},
	{[]string{"access", "method"}, "ACCESS METHOD"},
	{[]string{"default", "privileges"}, "DEFAULT PRIVILEGES"},
	{[]string{"event", "trigger"}, "EVENT TRIGGER"},
	{[]string{"foreign", "table"}, "FOREIGN TABLE"},
	{[]string{"large", "object"}, "LARGE OBJECT"},
	{[]string{"materialized", "view"}, "MATERIALIZED VIEW"},
	{[]string{"operator", "class"}, "OPERATOR CLASS"},
	{[]string{"operator", "family"}, "OPERATOR FAMILY"},
	{[]string{"user", "mapping"}, "USER MAPPING"},
	{[]string{"aggregate"}, "AGGREGATE"},
	{[]string{"cast"}, "CAST"},
	{[]string{"collation"}, "COLLATION"},
	{[]string{"conversion"}, "CONVERSION"},
	{[]string{"database"}, "DATABASE"},
	{[]string{"domain"}, "DOMAIN"},
	{[]string{"extension"}, "EXTENSION"},
	{[]string{"function"}, "FUNCTION"},
	{[]string{"group"}, "ROLE"},
	{[]string{"index"}, "INDEX"},
	{[]string{"language"}, "LANGUAGE"},
	{[]string{"operator"}, "OPERATOR"},
	{[]string{"owned"}, "OWNED"},
	{[]string{"policy"}, "POLICY"},
	{[]string{"procedure"}, "PROCEDURE"},
	{[]string{"publication"}, "PUBLICATION"},
	{[]string{"role"}, "ROLE"},
	{[]string{"routine"}, "ROUTINE"},
	{[]string{"rule"}, "RULE"},
	{[]string{"schema"}, "SCHEMA"},
	{[]string{"sequence"}, "SEQUENCE"},
	{[]string{"server"}, "SERVER"},
	{[]string{"statistics"}, "STATISTICS"},
	{[]string{"subscription"}, "SUBSCRIPTION"},
	{[]string{"system"}, "SYSTEM"},
	{[]string{"table"}, "TABLE"},
	{[]string{"tablespace"}, "TABLESPACE"},
	{[]string{"transform"}, "TRANSFORM"},
	{[]string{"trigger"}, "TRIGGER"},
	{[]string{"type"}, "TYPE"},
	{[]string{"user"}, "ROLE"},
	{[]string{"view"}, "VIEW"},
}

var ddlKinds = map[string]Kind{
	"CREATE TABLE": KindCreateTable, "CREATE INDEX": KindCreateIndex, "CREATE VIEW": KindCreateView,
	"CREATE TRIGGER": KindCreateTrigger, "CREATE SCHEMA": KindCreateSchema,
	"CREATE SEQUENCE": KindCreateSequence, "CREATE DATABASE": KindCreateDatabase,
	"DROP DATABASE": KindDropDatabase, "DROP TABLE": KindDropTable, "DROP INDEX": KindDropIndex,
	"DROP VIEW": KindDropView, "DROP TRIGGER": KindDropTrigger, "DROP SCHEMA": KindDropSchema,
	"DROP SEQUENCE": KindDropSequence, "ALTER TABLE": KindAlterTable,
}

func (p *parser) ddl(s *Statement) error {
	d := &DDL{Verb: strings.ToUpper(p.next().Str)}
	s.DDL = d
	// Modifiers between the verb and the object type.
	for d.Verb == "CREATE" {
		switch {
		case p.acceptKw("or", "replace"):
			d.OrReplace = true
		case p.acceptKw("temp"), p.acceptKw("temporary"):
			d.Temporary = true
		case p.isKw("global", "temp"), p.isKw("global", "temporary"),
			p.isKw("local", "temp"), p.isKw("local", "temporary"):
			p.i += 2
			d.Temporary = true
		case p.acceptKw("unlogged"):
			d.Unlogged = true
		case p.acceptKw("unique"):
			d.Unique = true
		case p.acceptKw("recursive"), p.acceptKw("constraint"), p.acceptKw("trusted"),
			p.acceptKw("procedural"), p.isKw("default", "conversion") && p.acceptKw("default"):
		default:
			goto object
		}
	}
object:
	for _, o := range ddlObjects {
		if p.acceptKw(o.words...) {
			d.Object = o.object
			break
		}
	}
	if d.Object == "" {
		return p.errHere()
	}
	s.Tag = d.Verb + " " + d.Object
	s.Kind = ddlKinds[s.Tag]
	switch {
	case s.Tag == "DROP OWNED":
		s.Kind = KindOther
		return nil
	case d.Object == "DATABASE":
		return p.database(s)
	case d.Object == "SYSTEM" || d.Object == "DEFAULT PRIVILEGES" || d.Object == "LARGE OBJECT" ||
		d.Object == "CAST" || d.Object == "TRANSFORM" || d.Object == "USER MAPPING":
		return nil // no simple name to extract
	}
	if d.Object == "INDEX" && p.acceptKw("concurrently") {
		d.Concurrently = true
	}
	if d.Verb == "CREATE" && p.acceptKw("if", "not", "exists") {
		d.IfNotExists = true
	} else if d.Verb != "CREATE" && p.acceptKw("if", "exists") {
		d.IfExists = true
	}

	switch {
	case d.Verb == "CREATE" && d.Object == "INDEX":
		if !p.isKw("on") {
			n, err := p.qualifiedName()
			if err != nil {
				return err
			}
			d.Names = append(d.Names, n)
		} else if d.IfNotExists {
			return p.errHere() // IF NOT EXISTS requires a name
		}
		if err := p.expectKw("on"); err != nil {
			return err
		}
		p.acceptKw("only")
		tbl, err := p.qualifiedName()
		if err != nil {
			return err
		}
		d.Table = &tbl
		return nil
	case d.Verb == "CREATE" && d.Object == "SCHEMA":
		if p.acceptKw("authorization") {
			role, err := p.colID()
			if err != nil {
				return err
			}
			d.Names = []ObjectName{{Name: role}}
			return nil
		}
		n, err := p.colID()
		if err != nil {
			return err
		}
		d.Names = []ObjectName{{Name: n}}
		return nil
	case d.Verb == "ALTER" && d.Object == "TABLE":
		if p.isKw("all", "in") {
			return nil
		}
		p.acceptKw("only")
	case d.Verb == "DROP":
		save := p.i
		err := p.dropNames(d)
		if err != nil && !strictDrop[d.Object] {
			// DROP OPERATOR +(int, int), DROP OPERATOR CLASS c USING m, ...:
			// classification is all a server needs for these.
			p.i, d.Names, d.Table = save, nil, nil
			return nil
		}
		return err
	}

	n, err := p.qualifiedName()
	if err != nil {
		if d.Verb == "CREATE" && (d.Object == "TABLE" || d.Object == "VIEW" || d.Object == "SEQUENCE" ||
			d.Object == "TRIGGER" || d.Object == "MATERIALIZED VIEW") {
			return err
		}
		return nil // exotic objects: the classification is all we need
	}
	d.Names = []ObjectName{n}

	if d.Verb != "CREATE" {
		return nil
	}
	switch d.Object {
	case "TRIGGER", "RULE", "POLICY":
		// The ON table; a trigger's event list may contain "UPDATE OF a, b".
		for !p.atEOF() && !p.peek().isKw("on") {
			if p.peek().isPunct("(") {
				if err := p.skipGroup(); err != nil {
					return err
				}
				continue
			}
			p.next()
		}
		if p.acceptKw("on") {
			if tbl, err := p.qualifiedName(); err == nil {
				d.Table = &tbl
			}
		}
	case "TABLE", "VIEW", "MATERIALIZED VIEW":
		p.createAs(s)
	}
	return nil
}

// createAs finds a top-level AS (CREATE TABLE/VIEW ... AS query) and
// records the query; for CREATE TABLE AS and CREATE MATERIALIZED VIEW the
// tag becomes "SELECT" (it reports the row count) unless WITH NO DATA.
func (p *parser) createAs(s *Statement) {
	d := s.DDL
	depth := 0
	for ; !p.atEOF(); p.next() {
		t := p.peek()
		switch {
		case t.isPunct("("):
			depth++
		case t.isPunct(")"):
			depth--
		case depth == 0 && t.isKw("as"):
			p.next()
			start := p.peek().Pos
			end := len(p.src)
			n := len(p.toks)
			if n >= 4 && p.toks[n-2].isKw("data") && p.toks[n-4].isKw("with") && p.toks[n-3].isKw("no") {
				d.WithNoData = true
				end = p.toks[n-4].Pos
			} else if n >= 3 && p.toks[n-2].isKw("data") && p.toks[n-3].isKw("with") {
				end = p.toks[n-3].Pos
			}
			if start > end {
				start = end
			}
			d.AsQuery = strings.TrimSpace(p.src[start:end])
			if d.Object != "VIEW" {
				if d.WithNoData {
					if d.Object == "TABLE" {
						s.Tag = "CREATE TABLE AS"
					}
				} else {
					s.Tag = "SELECT"
				}
			}
			return
		}
	}
}

// strictDrop are the objects whose DROP syntax is fully checked.
var strictDrop = map[string]bool{
	"TABLE": true, "INDEX": true, "VIEW": true, "MATERIALIZED VIEW": true, "SEQUENCE": true,
	"SCHEMA": true, "TRIGGER": true, "TYPE": true, "DOMAIN": true, "EXTENSION": true,
	"FUNCTION": true, "PROCEDURE": true, "ROLE": true, "FOREIGN TABLE": true,
}

// dropNames parses DROP's name list and trailing options.
func (p *parser) dropNames(d *DDL) error {
	for {
		n, err := p.qualifiedName()
		if err != nil {
			return err
		}
		d.Names = append(d.Names, n)
		if p.peek().isPunct("(") { // DROP FUNCTION f(int)
			if err := p.skipGroup(); err != nil {
				return err
			}
		}
		if d.Object == "TRIGGER" || d.Object == "RULE" || d.Object == "POLICY" {
			if err := p.expectKw("on"); err != nil {
				return err
			}
			tbl, err := p.qualifiedName()
			if err != nil {
				return err
			}
			d.Table = &tbl
			break
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	switch {
	case p.acceptKw("cascade"):
		d.Cascade = true
	case p.acceptKw("restrict"):
	}
	return p.expectEOF()
}

// database parses CREATE DATABASE name [[WITH] opt [=] value ...] and
// DROP DATABASE [IF EXISTS] name [[WITH] (FORCE)].
func (p *parser) database(s *Statement) error {
	db := &DatabaseStmt{}
	s.Database = db
	d := s.DDL
	if d.Verb == "DROP" && p.acceptKw("if", "exists") {
		db.IfExists, d.IfExists = true, true
	}
	if d.Verb == "ALTER" {
		if name, err := p.colID(); err == nil {
			db.Name = name
			d.Names = []ObjectName{{Name: name}}
		}
		return nil
	}
	name, err := p.colID()
	if err != nil {
		return err
	}
	db.Name = name
	d.Names = []ObjectName{{Name: name}}
	if d.Verb == "DROP" {
		if p.atEOF() {
			return nil
		}
		p.acceptKw("with")
		if err := p.expectPunct("("); err != nil {
			return err
		}
		for {
			if err := p.expectKw("force"); err != nil {
				return err
			}
			db.Force = true
			if p.acceptPunct(")") {
				break
			}
			if err := p.expectPunct(","); err != nil {
				return err
			}
		}
		return p.expectEOF()
	}
	p.acceptKw("with")
	for !p.atEOF() {
		var opt Option
		switch {
		case p.acceptKw("connection", "limit"):
			opt.Name = "connection_limit"
		default:
			t := p.peek()
			if t.Kind != TokIdent {
				return p.errHere()
			}
			p.next()
			opt.Name = t.Str
		}
		p.acceptPunct("=")
		v, err := p.optionValue()
		if err != nil {
			return err
		}
		opt.Value = v
		db.Options = append(db.Options, opt)
	}
	return nil
}

// optionValue parses a boolean/string/number/identifier option value.
func (p *parser) optionValue() (string, error) {
	t := p.peek()
	switch {
	case t.Kind == TokString || t.Kind == TokIdent || t.Kind == TokQuotedIdent || t.Kind == TokNumber:
		p.next()
		return t.Str, nil
	case t.isPunct("-") || t.isPunct("+"):
		p.next()
		n := p.peek()
		if n.Kind != TokNumber {
			return "", p.errHere()
		}
		p.next()
		if t.Str == "-" {
			return "-" + n.Str, nil
		}
		return n.Str, nil
	}
	return "", p.errHere()
}

// ---------------------------------------------------------------------
// Transaction control

func (p *parser) transaction(s *Statement) error {
	tx := &TransactionStmt{}
	s.Transaction = tx
	s.ReadOnly = true
	switch w := p.next().Str; w {
	case "begin", "start":
		s.Kind, s.Tag = KindBegin, "BEGIN"
		if w == "start" {
			if err := p.expectKw("transaction"); err != nil {
				return err
			}
			s.Tag = "START TRANSACTION"
		} else if !p.acceptKw("work") {
			p.acceptKw("transaction")
		}
		if err := p.txModes(&tx.Options, true); err != nil {
			return err
		}
		return p.expectEOF()
	case "commit", "end":
		s.Kind, s.Tag = KindCommit, "COMMIT"
		if w == "commit" && p.isKw("prepared") {
			return notSupported("COMMIT PREPARED")
		}
		return p.txEnd(tx)
	case "rollback", "abort":
		s.Kind, s.Tag = KindRollback, "ROLLBACK"
		if w == "rollback" && p.isKw("prepared") {
			return notSupported("ROLLBACK PREPARED")
		}
		if !p.acceptKw("work") {
			p.acceptKw("transaction")
		}
		if w == "rollback" && p.acceptKw("to") {
			s.Kind = KindRollbackTo
			p.acceptKw("savepoint")
			name, err := p.colID()
			if err != nil {
				return err
			}
			tx.Savepoint = name
			return p.expectEOF()
		}
		return p.txEnd(tx)
	case "savepoint":
		s.Kind, s.Tag = KindSavepoint, "SAVEPOINT"
		name, err := p.colID()
		if err != nil {
			return err
		}
		tx.Savepoint = name
		return p.expectEOF()
	case "release":
		s.Kind, s.Tag = KindRelease, "RELEASE"
		p.acceptKw("savepoint")
		name, err := p.colID()
		if err != nil {
			return err
		}
		tx.Savepoint = name
		return p.expectEOF()
	}
	return p.errHere()
}

// txEnd parses [WORK|TRANSACTION] [AND [NO] CHAIN] after COMMIT/ROLLBACK.
func (p *parser) txEnd(tx *TransactionStmt) error {
	if !p.acceptKw("work") {
		p.acceptKw("transaction")
	}
	if p.acceptKw("and") {
		tx.Chain = !p.acceptKw("no")
		if err := p.expectKw("chain"); err != nil {
			return err
		}
	}
	return p.expectEOF()
}

// txModes parses a transaction mode list; with optional set, an empty list
// is allowed.
func (p *parser) txModes(o *TxOptions, optional bool) error {
	first := true
	for {
		switch {
		case p.acceptKw("isolation", "level"):
			switch {
			case p.acceptKw("read", "uncommitted"):
				o.Isolation = ReadUncommitted
			case p.acceptKw("read", "committed"):
				o.Isolation = ReadCommitted
			case p.acceptKw("repeatable", "read"):
				o.Isolation = RepeatableRead
			case p.acceptKw("serializable"):
				o.Isolation = Serializable
			default:
				if p.isKw("read") {
					p.next()
				}
				return p.errHere()
			}
		case p.acceptKw("read", "only"):
			o.ReadOnly = True
		case p.acceptKw("read", "write"):
			o.ReadOnly = False
		case p.acceptKw("deferrable"):
			o.Deferrable = True
		case p.acceptKw("not", "deferrable"):
			o.Deferrable = False
		default:
			// A half-written mode is an error at the word after it.
			if p.isKw("read") || p.isKw("isolation") || p.isKw("not") {
				p.next()
				return p.errHere()
			}
			if first && optional {
				return nil
			}
			return p.errHere()
		}
		first = false
		if !p.acceptPunct(",") && !p.isKw("isolation") && !p.isKw("read") &&
			!p.isKw("deferrable") && !p.isKw("not") {
			return nil
		}
	}
}

// ---------------------------------------------------------------------
// SET / RESET / SHOW

// listQuoteGUCs are PostgreSQL's GUC_LIST_QUOTE parameters, whose list
// elements SET stores through quote_ident.
var listQuoteGUCs = map[string]bool{
	"search_path": true, "temp_tablespaces": true, "session_preload_libraries": true,
	"shared_preload_libraries": true, "local_preload_libraries": true,
}

func (p *parser) set(s *Statement) error {
	p.next()
	s.Kind, s.Tag, s.ReadOnly = KindSet, "SET", true
	st := &SetStmt{}
	s.Set = st
	if p.acceptKw("session", "characteristics", "as", "transaction") {
		st.Transaction, st.Session = &TxOptions{}, true
		if err := p.txModes(st.Transaction, false); err != nil {
			return err
		}
		return p.expectEOF()
	}
	if p.acceptKw("constraints") {
		s.Tag = "SET CONSTRAINTS"
		c := &SetConstraints{}
		st.Constraints = c
		if p.acceptKw("all") {
			c.All = true
		} else {
			for {
				n, err := p.qualifiedName()
				if err != nil {
					return err
				}
				c.Names = append(c.Names, n)
				if !p.acceptPunct(",") {
					break
				}
			}
		}
		switch {
		case p.acceptKw("deferred"):
			c.Deferred = true
		case p.acceptKw("immediate"):
		default:
			return p.errHere()
		}
		return p.expectEOF()
	}
	if p.isKw("local") || (p.isKw("session") && !p.isKw("session", "authorization")) {
		st.Local = p.next().Str == "local"
	}
	switch {
	case p.acceptKw("transaction"):
		if p.isKw("snapshot") {
			return notSupported("SET TRANSACTION SNAPSHOT")
		}
		st.Transaction = &TxOptions{}
		if err := p.txModes(st.Transaction, false); err != nil {
			return err
		}
		return p.expectEOF()
	case p.acceptKw("time", "zone"):
		st.Name = "timezone"
		switch {
		case p.acceptKw("local"), p.acceptKw("default"):
			st.Default = true
		case p.isKw("interval"):
			return notSupported("SET TIME ZONE INTERVAL")
		default:
			v, err := p.setValue()
			if err != nil {
				return err
			}
			st.Args, st.Value = []string{v}, v
		}
		return p.expectEOF()
	case p.isKw("catalog") && p.peekN(1).Kind == TokString:
		return p.errorf(p.peekN(1), CodeFeatureNotSupported, "current database cannot be changed")
	case p.isKw("schema") && p.peekN(1).Kind == TokString:
		p.next()
		st.Name = "search_path"
		v := p.next().Str
		st.Args, st.Value = []string{v}, QuoteIdent(v)
		return p.expectEOF()
	case p.acceptKw("names"):
		st.Name = "client_encoding"
		switch {
		case p.atEOF(), p.acceptKw("default"):
			st.Default = true
		default:
			v, err := p.setValue()
			if err != nil {
				return err
			}
			st.Args, st.Value = []string{v}, v
		}
		return p.expectEOF()
	case p.acceptKw("role"):
		st.Name = "role"
		v, err := p.setValue()
		if err != nil {
			return err
		}
		st.Args, st.Value = []string{v}, v
		return p.expectEOF()
	case p.acceptKw("session", "authorization"):
		st.Name = "session_authorization"
		if p.acceptKw("default") {
			st.Default = true
			return p.expectEOF()
		}
		v, err := p.setValue()
		if err != nil {
			return err
		}
		st.Args, st.Value = []string{v}, v
		return p.expectEOF()
	case p.acceptKw("xml", "option"):
		st.Name = "xmloption"
		switch {
		case p.acceptKw("document"):
			st.Value = "document"
		case p.acceptKw("content"):
			st.Value = "content"
		default:
			return p.errHere()
		}
		st.Args = []string{st.Value}
		return p.expectEOF()
	}
	name, err := p.varName()
	if err != nil {
		return err
	}
	st.Name = name
	if !p.acceptKw("to") && !p.acceptPunct("=") {
		return p.errHere()
	}
	if p.acceptKw("default") {
		st.Default = true
		return p.expectEOF()
	}
	var shown []string
	for {
		isString := p.peek().Kind != TokNumber && !p.peek().isPunct("-") && !p.peek().isPunct("+")
		v, err := p.setValue()
		if err != nil {
			return err
		}
		st.Args = append(st.Args, v)
		if listQuoteGUCs[name] && isString {
			v = QuoteIdent(v)
		}
		shown = append(shown, v)
		if !p.acceptPunct(",") {
			break
		}
	}
	st.Value = strings.Join(shown, ", ")
	return p.expectEOF()
}

// varName parses a possibly dotted configuration parameter name.
func (p *parser) varName() (string, error) {
	var parts []string
	for {
		n, err := p.colID()
		if err != nil {
			return "", err
		}
		parts = append(parts, strings.ToLower(n))
		if !p.acceptPunct(".") {
			return strings.Join(parts, "."), nil
		}
	}
}

// setValue parses one var_value: a string, a non-reserved word, TRUE,
// FALSE, ON, or a signed number. Integers are normalized the way PG's
// "%d" formatting does ("007" -> "7"); other numbers keep their spelling.
func (p *parser) setValue() (string, error) {
	t := p.peek()
	switch {
	case t.Kind == TokString || t.Kind == TokQuotedIdent:
		p.next()
		return t.Str, nil
	case t.Kind == TokIdent:
		if reservedKeywords[t.Str] && t.Str != "true" && t.Str != "false" && t.Str != "on" {
			return "", p.errHere()
		}
		p.next()
		return t.Str, nil
	case t.Kind == TokNumber, t.isPunct("-"), t.isPunct("+"):
		neg := false
		if t.Kind == TokOp {
			neg = t.Str == "-"
			p.next()
			t = p.peek()
			if t.Kind != TokNumber {
				return "", p.errHere()
			}
		}
		p.next()
		// Integers that fit int32 are PG Iconsts, printed with "%d";
		// anything else is an FCONST kept as written.
		if n, err := strconv.ParseInt(t.Str, 10, 32); err == nil {
			if neg {
				n = -n
			}
			return strconv.FormatInt(n, 10), nil
		}
		if neg {
			return "-" + t.Str, nil
		}
		return t.Str, nil
	}
	return "", p.errHere()
}

func (p *parser) reset(s *Statement) error {
	p.next()
	s.Kind, s.Tag, s.ReadOnly = KindReset, "RESET", true
	st := &SetStmt{Default: true}
	s.Set = st
	var err error
	if st.Name, st.All, err = p.paramNameOrAll(); err != nil {
		return err
	}
	return p.expectEOF()
}

// paramNameOrAll reads the parameter of RESET and SHOW: ALL, a dotted
// name, or one of the SQL spellings that stand for a parameter.
func (p *parser) paramNameOrAll() (name string, all bool, err error) {
	switch {
	case p.acceptKw("all"):
		return "", true, nil
	case p.acceptKw("time", "zone"):
		return "timezone", false, nil
	case p.acceptKw("transaction", "isolation", "level"):
		return "transaction_isolation", false, nil
	case p.acceptKw("session", "authorization"):
		return "session_authorization", false, nil
	}
	name, err = p.varName()
	return name, false, err
}

func (p *parser) show(s *Statement) error {
	p.next()
	s.Kind, s.Tag, s.ReadOnly = KindShow, "SHOW", true
	sh := &ShowStmt{}
	s.Show = sh
	var err error
	if sh.Name, sh.All, err = p.paramNameOrAll(); err != nil {
		return err
	}
	return p.expectEOF()
}

// ---------------------------------------------------------------------
// Cursors

func (p *parser) declare(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindDeclare, "DECLARE CURSOR"
	d := &DeclareStmt{}
	s.Declare = d
	name, err := p.colID()
	if err != nil {
		return err
	}
	d.Name = name
	for !p.isKw("cursor") {
		switch {
		case p.acceptKw("binary"):
			d.Binary = true
		case p.acceptKw("insensitive"):
			d.Insensitive = true
		case p.acceptKw("asensitive"):
		case p.acceptKw("scroll"):
			if d.Scroll == False {
				return &Error{Code: "42P11", Message: "cannot specify both SCROLL and NO SCROLL"}
			}
			d.Scroll = True
		case p.acceptKw("no", "scroll"):
			if d.Scroll == True {
				return &Error{Code: "42P11", Message: "cannot specify both SCROLL and NO SCROLL"}
			}
			d.Scroll = False
		default:
			return p.errHere()
		}
	}
	p.next()
	switch {
	case p.acceptKw("with", "hold"):
		d.Hold = true
	case p.acceptKw("without", "hold"):
	}
	if err := p.expectKw("for"); err != nil {
		return err
	}
	inner, err := p.subStatement(queryWords, KindSelect, KindValues)
	if err != nil {
		return err
	}
	d.Query, d.Inner = inner.SQL, inner
	if !inner.ReadOnly && p.hasRowLock(inner) {
		if d.Hold {
			return &Error{Code: CodeFeatureNotSupported, Message: "DECLARE CURSOR WITH HOLD ... FOR UPDATE is not supported"}
		}
		if d.Scroll == True {
			return &Error{Code: CodeFeatureNotSupported, Message: "DECLARE SCROLL CURSOR ... FOR UPDATE is not supported"}
		}
	}
	s.ReadOnly = inner.ReadOnly
	return nil
}

// hasRowLock reports whether a query has a FOR UPDATE/SHARE clause.
func (p *parser) hasRowLock(s *Statement) bool {
	toks := newParser(s.SQL, s.Tokens).toks
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].isKw("for") {
			n := toks[i+1]
			if n.isKw("update") || n.isKw("share") || n.isKw("no") || n.isKw("key") {
				return true
			}
		}
	}
	return false
}

// Leading words of the statements that may be nested in another.
var (
	queryWords       = wordSet("select values table with")
	preparableWords  = wordSet("select values table with insert update delete merge")
	explainableWords = wordSet("select values table with insert update delete merge declare execute create refresh")
	copyQueryWords   = wordSet("select values table with insert update delete")
)

// leadingWord returns the first keyword at or after token index i,
// skipping opening parentheses, and its index.
func (p *parser) leadingWord(i int) (string, int) {
	for i < len(p.toks)-1 && p.toks[i].isPunct("(") {
		i++
	}
	if p.toks[i].Kind == TokIdent {
		return p.toks[i].Str, i
	}
	return "", i
}

// subStatement parses the rest of the input as a nested statement that must
// be one of kinds. The leading word is checked against allowed first, so
// that nesting (EXPLAIN EXPLAIN ..., PREPARE a AS PREPARE ...) fails in
// linear time instead of recursing once per level.
func (p *parser) subStatement(allowed map[string]bool, kinds ...Kind) (*Statement, error) {
	start := p.peek()
	if start.Kind == TokEOF {
		return nil, p.errHere()
	}
	if w, i := p.leadingWord(p.i); !allowed[w] {
		return nil, syntaxError(p.src, p.toks[i])
	}
	text := p.src[start.Pos:]
	inner, err := Parse(text)
	if err != nil {
		return nil, ShiftError(err, p.src, start.Pos)
	}
	for _, k := range kinds {
		if inner.Kind == k {
			p.i = len(p.toks) - 1
			return inner, nil
		}
	}
	return nil, p.errHere()
}

func (p *parser) fetch(s *Statement) error {
	verb := p.next().Str
	if verb == "move" {
		s.Kind, s.Tag = KindMove, "MOVE"
	} else {
		s.Kind, s.Tag = KindFetch, "FETCH"
	}
	s.ReadOnly = true
	f := &FetchStmt{Direction: FetchForward, Count: 1}
	s.Fetch = f
	fromIn := false
	switch {
	case p.peek().Kind == TokIdent && p.peekN(1).Kind == TokEOF:
		// "FETCH next" fetches from a cursor named next, as in PG's grammar.
	case p.acceptKw("next"):
	case p.acceptKw("prior"):
		f.Direction = FetchBackward
	case p.acceptKw("first"):
		f.Direction = FetchAbsolute
	case p.acceptKw("last"):
		f.Direction, f.Count = FetchAbsolute, -1
	case p.acceptKw("absolute"), p.acceptKw("relative"):
		if p.toks[p.i-1].Str == "absolute" {
			f.Direction = FetchAbsolute
		} else {
			f.Direction = FetchRelative
		}
		n, err := p.signedInt()
		if err != nil {
			return err
		}
		f.Count = n
	case p.acceptKw("all"):
		f.All = true
	case p.acceptKw("forward"), p.acceptKw("backward"):
		if p.toks[p.i-1].Str == "backward" {
			f.Direction = FetchBackward
		}
		switch {
		case p.acceptKw("all"):
			f.All = true
		case p.peek().Kind == TokNumber || p.peek().isPunct("-") || p.peek().isPunct("+"):
			n, err := p.signedInt()
			if err != nil {
				return err
			}
			f.Count = n
		}
	case p.peek().Kind == TokNumber || p.peek().isPunct("-") || p.peek().isPunct("+"):
		n, err := p.signedInt()
		if err != nil {
			return err
		}
		f.Count = n
	case p.acceptKw("from"), p.acceptKw("in"):
		fromIn = true
	}
	if !fromIn && !p.acceptKw("from") {
		p.acceptKw("in")
	}
	name, err := p.colID()
	if err != nil {
		return err
	}
	f.Cursor = name
	return p.expectEOF()
}

func (p *parser) signedInt() (int64, error) {
	neg := false
	if p.peek().isPunct("-") || p.peek().isPunct("+") {
		neg = p.next().Str == "-"
	}
	t := p.peek()
	if t.Kind != TokNumber {
		return 0, p.errHere()
	}
	n, err := strconv.ParseInt(t.Str, 10, 64)
	if err != nil {
		return 0, p.errHere()
	}
	p.next()
	if neg {
		n = -n
	}
	return n, nil
}

func (p *parser) close(s *Statement) error {
	p.next()
	s.Kind, s.Tag, s.ReadOnly = KindClose, "CLOSE CURSOR", true
	c := &CloseStmt{}
	s.Close = c
	var err error
	c.Cursor, c.All, err = p.nameOrAll()
	if c.All {
		s.Tag = "CLOSE CURSOR ALL"
	}
	return err
}

// nameOrAll reads the operand of CLOSE and DEALLOCATE, ALL or a name, and
// then the end of the statement.
func (p *parser) nameOrAll() (name string, all bool, err error) {
	if p.acceptKw("all") {
		return "", true, p.expectEOF()
	}
	if name, err = p.colID(); err != nil {
		return "", false, err
	}
	return name, false, p.expectEOF()
}

// ---------------------------------------------------------------------
// PREPARE / EXECUTE / DEALLOCATE / DISCARD

func (p *parser) prepare(s *Statement) error {
	p.next()
	if p.isKw("transaction") {
		return notSupported("PREPARE TRANSACTION")
	}
	s.Kind, s.Tag, s.ReadOnly = KindPrepare, "PREPARE", true
	pr := &PrepareStmt{}
	s.Prepare = pr
	name, err := p.colID()
	if err != nil {
		return err
	}
	pr.Name = name
	if p.peek().isPunct("(") {
		if pr.ParamTypes, err = p.list(); err != nil {
			return err
		}
	}
	if err := p.expectKw("as"); err != nil {
		return err
	}
	inner, err := p.subStatement(preparableWords, KindSelect, KindValues, KindInsert, KindUpdate, KindDelete, KindMerge)
	if err != nil {
		return err
	}
	pr.Query, pr.Inner = inner.SQL, inner
	return nil
}

func (p *parser) execute(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindExecute, "EXECUTE"
	ex := &ExecuteStmt{}
	s.Execute = ex
	name, err := p.colID()
	if err != nil {
		return err
	}
	ex.Name = name
	if p.peek().isPunct("(") {
		if ex.Args, err = p.list(); err != nil {
			return err
		}
	}
	return p.expectEOF()
}

func (p *parser) deallocate(s *Statement) error {
	p.next()
	s.Kind, s.Tag, s.ReadOnly = KindDeallocate, "DEALLOCATE", true
	d := &DeallocateStmt{}
	s.Deallocate = d
	p.acceptKw("prepare")
	var err error
	d.Name, d.All, err = p.nameOrAll()
	if d.All {
		s.Tag = "DEALLOCATE ALL"
	}
	return err
}

func (p *parser) discard(s *Statement) error {
	p.next()
	s.Kind, s.ReadOnly = KindDiscard, true
	var target string
	switch {
	case p.acceptKw("all"):
		target = "ALL"
	case p.acceptKw("plans"):
		target = "PLANS"
	case p.acceptKw("sequences"):
		target = "SEQUENCES"
	case p.acceptKw("temp"), p.acceptKw("temporary"):
		target = "TEMP"
	default:
		return p.errHere()
	}
	s.Discard = &DiscardStmt{Target: target}
	s.Tag = "DISCARD " + target
	return p.expectEOF()
}

// ---------------------------------------------------------------------
// TRUNCATE / LOCK / EXPLAIN / LISTEN / NOTIFY

// tableList parses "[ONLY] name [*], ..." as used by TRUNCATE and LOCK.
func (p *parser) tableList() ([]ObjectName, error) {
	var out []ObjectName
	for {
		p.acceptKw("only")
		n, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		p.acceptPunct("*")
		out = append(out, n)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func (p *parser) truncate(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindTruncate, "TRUNCATE TABLE"
	tr := &TruncateStmt{}
	s.Truncate = tr
	p.acceptKw("table")
	tables, err := p.tableList()
	if err != nil {
		return err
	}
	tr.Tables = tables
	switch {
	case p.acceptKw("restart", "identity"):
		tr.RestartIdentity = true
	case p.acceptKw("continue", "identity"):
	}
	switch {
	case p.acceptKw("cascade"):
		tr.Cascade = true
	case p.acceptKw("restrict"):
	}
	return p.expectEOF()
}

var lockModes = [][]string{
	{"access", "share"}, {"row", "share"}, {"row", "exclusive"}, {"share", "update", "exclusive"},
	{"share", "row", "exclusive"}, {"share"}, {"access", "exclusive"}, {"exclusive"},
}

func (p *parser) lock(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindLock, "LOCK TABLE"
	l := &LockStmt{Mode: "ACCESS EXCLUSIVE"}
	s.Lock = l
	p.acceptKw("table")
	tables, err := p.tableList()
	if err != nil {
		return err
	}
	l.Tables = tables
	if p.acceptKw("in") {
		found := false
		for _, m := range lockModes {
			if p.acceptKw(m...) {
				l.Mode = strings.ToUpper(strings.Join(m, " "))
				found = true
				break
			}
		}
		if !found {
			return p.errHere()
		}
		if err := p.expectKw("mode"); err != nil {
			return err
		}
	}
	l.NoWait = p.acceptKw("nowait")
	// PG allows the modes that conflict with no reader in a READ ONLY
	// transaction.
	switch l.Mode {
	case "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE":
		s.ReadOnly = true
	}
	return p.expectEOF()
}

var explainOptions = map[string]bool{
	"analyze": true, "verbose": true, "costs": true, "settings": true, "buffers": true,
	"wal": true, "timing": true, "summary": true, "format": true,
}

func (p *parser) explain(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindExplain, "EXPLAIN"
	ex := &ExplainStmt{Format: "text"}
	s.Explain = ex
	if p.peek().isPunct("(") && !p.isSelectParen() {
		p.next()
		for {
			nt := p.peek()
			name, err := p.colLabel()
			if err != nil {
				return err
			}
			if name == "analyse" {
				name = "analyze"
			}
			opt := Option{Name: name}
			if !p.peek().isPunct(",") && !p.peek().isPunct(")") {
				if opt.Value, err = p.optionValue(); err != nil {
					return err
				}
			}
			if !explainOptions[name] {
				return p.errorf(nt, CodeSyntaxError, "unrecognized EXPLAIN option \"%s\"", name)
			}
			b, isBool := parseBool(opt.Value)
			if opt.Value == "" {
				b, isBool = true, true
			}
			if name != "format" && !isBool {
				return &Error{Code: CodeSyntaxError, Message: name + " requires a Boolean value"}
			}
			switch name {
			case "analyze":
				ex.Analyze = b
			case "verbose":
				ex.Verbose = b
			case "format":
				ex.Format = strings.ToLower(opt.Value)
				switch ex.Format {
				case "text", "xml", "json", "yaml":
				default:
					return p.errorf(nt, CodeInvalidParameterValue, "unrecognized value for EXPLAIN option \"format\": \"%s\"", opt.Value)
				}
			}
			ex.Options = append(ex.Options, opt)
			if p.acceptPunct(")") {
				break
			}
			if err := p.expectPunct(","); err != nil {
				return err
			}
		}
	} else {
		if p.acceptKw("analyze") || p.acceptKw("analyse") {
			ex.Analyze = true
		}
		if p.acceptKw("verbose") {
			ex.Verbose = true
		}
	}
	inner, err := p.subStatement(explainableWords, KindSelect, KindValues, KindInsert, KindUpdate, KindDelete,
		KindMerge, KindDeclare, KindExecute, KindCreateTable, KindOther)
	if err != nil {
		return err
	}
	if inner.Kind == KindCreateTable && inner.DDL.AsQuery == "" ||
		inner.Kind == KindOther && !(inner.Tag == "REFRESH MATERIALIZED VIEW" ||
			inner.DDL != nil && inner.DDL.Object == "MATERIALIZED VIEW" && inner.DDL.Verb == "CREATE") {
		return syntaxError(inner.SQL, inner.Tokens[0])
	}
	ex.Query, ex.Inner = inner.SQL, inner
	s.ReadOnly = !ex.Analyze || inner.ReadOnly
	return nil
}

// isSelectParen tells EXPLAIN's option list "(" apart from a parenthesized
// query "(SELECT ...".
func (p *parser) isSelectParen() bool {
	n := p.peekN(1)
	return n.isPunct("(") || n.isKw("select") || n.isKw("values") || n.isKw("with") || n.isKw("table")
}

// parseBool accepts PostgreSQL's boolean spellings.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "t", "true", "on", "yes", "y", "1":
		return true, true
	case "f", "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

func (p *parser) notify(s *Statement) error {
	verb := p.next().Str
	n := &NotifyStmt{}
	s.Notify, s.ReadOnly = n, true
	switch verb {
	case "listen":
		s.Kind, s.Tag = KindListen, "LISTEN"
	case "unlisten":
		s.Kind, s.Tag = KindUnlisten, "UNLISTEN"
		if p.acceptPunct("*") {
			n.All = true
			return p.expectEOF()
		}
	default:
		s.Kind, s.Tag = KindNotify, "NOTIFY"
	}
	ch, err := p.colID()
	if err != nil {
		return err
	}
	n.Channel = ch
	if verb == "notify" && p.acceptPunct(",") {
		t := p.peek()
		if t.Kind != TokString {
			return p.errHere()
		}
		p.next()
		n.Payload = t.Str
	}
	return p.expectEOF()
}

// ---------------------------------------------------------------------
// COPY

func (p *parser) copy(s *Statement) error {
	p.next()
	s.Kind, s.Tag = KindCopy, "COPY"
	c := &CopyStmt{}
	s.Copy = c
	oldBinary := p.acceptKw("binary")
	if p.peek().isPunct("(") {
		open := p.i
		if w, i := p.leadingWord(open + 1); !copyQueryWords[w] {
			return syntaxError(p.src, p.toks[i])
		}
		if err := p.skipGroup(); err != nil {
			return err
		}
		raw := p.src[p.toks[open].Pos+1 : p.toks[p.i-1].Pos]
		text := strings.TrimSpace(raw)
		inner, err := Parse(text)
		if err != nil {
			lead := len(raw) - len(strings.TrimLeft(raw, " \t\n\r\f\v"))
			return ShiftError(err, p.src, p.toks[open].Pos+1+lead)
		}
		switch inner.Kind {
		case KindSelect, KindValues:
		case KindInsert, KindUpdate, KindDelete:
			if !inner.Returning {
				return &Error{Code: CodeFeatureNotSupported, Message: "COPY query must have a RETURNING clause"}
			}
		default:
			return syntaxError(p.src, p.toks[open+1])
		}
		c.Query, c.Inner = text, inner
	} else {
		n, err := p.qualifiedName()
		if err != nil {
			return err
		}
		c.Table = n
		if p.peek().isPunct("(") {
			if c.Columns, err = p.identList(); err != nil {
				return err
			}
		}
	}
	switch {
	case p.acceptKw("from"):
		if c.Query != "" {
			return syntaxError(p.src, p.toks[p.i-1])
		}
		c.From = true
	case p.acceptKw("to"):
	default:
		return p.errHere()
	}
	if p.acceptKw("program") {
		c.Endpoint = CopyProgram
	}
	switch t := p.peek(); {
	case t.Kind == TokString:
		p.next()
		c.Path = t.Str
		if c.Endpoint != CopyProgram {
			c.Endpoint = CopyFile
		}
	case c.Endpoint == CopyProgram && (t.isKw("stdin") || t.isKw("stdout")):
		return &Error{Code: CodeSyntaxError, Message: "STDIN/STDOUT not allowed with PROGRAM"}
	case c.Endpoint == CopyProgram:
		return p.errHere()
	case t.isKw("stdin") || t.isKw("stdout"):
		p.next()
	default:
		return p.errHere()
	}
	o := copyOpts{seen: map[string]bool{}}
	if oldBinary {
		o.set("format", "binary")
	}
	// [USING] DELIMITERS 'x' (pre-7.3 syntax that PG still accepts).
	if p.acceptKw("using", "delimiters") || p.acceptKw("delimiters") {
		t := p.peek()
		if t.Kind != TokString {
			return p.errHere()
		}
		p.next()
		if err := o.set("delimiter", t.Str); err != nil {
			return err
		}
	}
	p.acceptKw("with")
	if p.peek().isPunct("(") {
		if err := p.copyNewOptions(&o); err != nil {
			return err
		}
	} else if err := p.copyOldOptions(&o); err != nil {
		return err
	}
	if p.acceptKw("where") {
		if !c.From {
			return p.errorf(p.toks[p.i-1], CodeSyntaxError, "WHERE clause not allowed with COPY TO")
		}
		if p.atEOF() {
			return p.errHere()
		}
		c.Where = p.rest()
		p.i = len(p.toks) - 1
	}
	if err := p.expectEOF(); err != nil {
		return err
	}
	if err := o.apply(c); err != nil {
		return err
	}
	s.ReadOnly = !c.From && (c.Inner == nil || c.Inner.ReadOnly)
	return nil
}

// copyOpts accumulates COPY options in either syntax before validation.
type copyOpts struct {
	seen          map[string]bool
	format        string
	delimiter     *string
	null          *string
	quote         *string
	escape        *string
	encoding      string
	header        bool
	headerMatch   bool
	freeze        bool
	forceQuote    []string
	forceQuoteAll bool
	forceNotNull  []string
	forceNull     []string
}

func errRedundant() *Error {
	return &Error{Code: CodeSyntaxError, Message: "conflicting or redundant options"}
}

// set records a scalar option; name is PG's option name.
func (o *copyOpts) set(name, value string) error {
	if o.seen[name] {
		return errRedundant()
	}
	o.seen[name] = true
	v := value
	switch name {
	case "format":
		o.format = strings.ToLower(value)
		switch o.format {
		case "text", "csv", "binary":
		default:
			return &Error{Code: CodeInvalidParameterValue, Message: "COPY format \"" + value + "\" not recognized"}
		}
	case "delimiter":
		o.delimiter = &v
	case "null":
		o.null = &v
	case "quote":
		o.quote = &v
	case "escape":
		o.escape = &v
	case "encoding":
		o.encoding = value
	case "header":
		if strings.EqualFold(value, "match") {
			o.header, o.headerMatch = true, true
			break
		}
		b, ok := parseBool(value)
		if value == "" {
			b, ok = true, true
		}
		if !ok {
			return &Error{Code: CodeSyntaxError, Message: "header requires a Boolean value or \"match\""}
		}
		o.header = b
	case "freeze":
		b, ok := parseBool(value)
		if value == "" {
			b, ok = true, true
		}
		if !ok {
			return &Error{Code: CodeSyntaxError, Message: "freeze requires a Boolean value"}
		}
		o.freeze = b
	default:
		return &Error{Code: CodeSyntaxError, Message: "option \"" + name + "\" not recognized"}
	}
	return nil
}

// copyNewOptions parses "( name [arg], ... )".
func (p *parser) copyNewOptions(o *copyOpts) error {
	p.next() // (
	for {
		nameTok := p.peek()
		name, err := p.colLabel()
		if err != nil {
			return err
		}
		switch name {
		case "force_quote", "force_not_null", "force_null":
			if o.seen[name] {
				return p.errorf(nameTok, CodeSyntaxError, "conflicting or redundant options")
			}
			o.seen[name] = true
			var cols []string
			switch {
			case p.acceptPunct("*"):
				if name != "force_quote" {
					return p.errorf(nameTok, CodeSyntaxError, "argument to option \"%s\" must be a list of column names", name)
				}
				o.forceQuoteAll = true
			case p.peek().isPunct("("):
				if cols, err = p.identList(); err != nil {
					return err
				}
			default:
				return p.errorf(nameTok, CodeSyntaxError, "argument to option \"%s\" must be a list of column names", name)
			}
			switch name {
			case "force_quote":
				o.forceQuote = cols
			case "force_not_null":
				o.forceNotNull = cols
			default:
				o.forceNull = cols
			}
		default:
			value := ""
			if !p.peek().isPunct(",") && !p.peek().isPunct(")") {
				if value, err = p.optionValue(); err != nil {
					return err
				}
			}
			if err := o.set(name, value); err != nil {
				if e, ok := err.(*Error); ok {
					e.Position = charPos(p.src, nameTok.Pos)
				}
				return err
			}
		}
		if p.acceptPunct(")") {
			return nil
		}
		if err := p.expectPunct(","); err != nil {
			return err
		}
	}
}

// copyOldOptions parses the pre-9.0 unparenthesized option list.
func (p *parser) copyOldOptions(o *copyOpts) error {
	str := func(name string) error {
		p.acceptKw("as")
		t := p.peek()
		if t.Kind != TokString {
			return p.errHere()
		}
		p.next()
		return o.set(name, t.Str)
	}
	cols := func() ([]string, error) {
		var out []string
		for {
			c, err := p.colID()
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			if !p.acceptPunct(",") {
				return out, nil
			}
		}
	}
	for {
		var err error
		switch {
		case p.acceptKw("binary"):
			err = o.set("format", "binary")
		case p.acceptKw("csv"):
			err = o.set("format", "csv")
		case p.acceptKw("header"):
			err = o.set("header", "true")
		case p.acceptKw("freeze"):
			err = o.set("freeze", "true")
		case p.acceptKw("delimiter"):
			err = str("delimiter")
		case p.acceptKw("null"):
			err = str("null")
		case p.acceptKw("quote"):
			err = str("quote")
		case p.acceptKw("escape"):
			err = str("escape")
		case p.acceptKw("encoding"):
			err = str("encoding")
		case p.acceptKw("force", "quote"):
			if o.seen["force_quote"] {
				return errRedundant()
			}
			o.seen["force_quote"] = true
			if p.acceptPunct("*") {
				o.forceQuoteAll = true
			} else {
				o.forceQuote, err = cols()
			}
		case p.acceptKw("force", "not", "null"):
			if o.seen["force_not_null"] {
				return errRedundant()
			}
			o.seen["force_not_null"] = true
			o.forceNotNull, err = cols()
		case p.acceptKw("force", "null"):
			if o.seen["force_null"] {
				return errRedundant()
			}
			o.seen["force_null"] = true
			o.forceNull, err = cols()
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// apply validates the options as ProcessCopyOptions does (same messages and
// SQLSTATEs, same order) and stores the effective values in c.
func (o *copyOpts) apply(c *CopyStmt) error {
	fail := func(code, msg string) error { return &Error{Code: code, Message: msg} }
	c.Format = o.format
	if c.Format == "" {
		c.Format = "text"
	}
	csv, binary := c.Format == "csv", c.Format == "binary"
	if binary && o.delimiter != nil {
		return fail(CodeSyntaxError, "cannot specify DELIMITER in BINARY mode")
	}
	if binary && o.null != nil {
		return fail(CodeSyntaxError, "cannot specify NULL in BINARY mode")
	}
	if o.headerMatch && !c.From {
		return fail(CodeFeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
	}
	c.Delimiter, c.Null = "\t", `\N`
	if csv {
		c.Delimiter, c.Null = ",", ""
	}
	if binary {
		c.Delimiter, c.Null = "", ""
	}
	if o.delimiter != nil {
		c.Delimiter = *o.delimiter
	}
	if o.null != nil {
		c.Null = *o.null
	}
	if csv {
		c.Quote = `"`
		if o.quote != nil {
			c.Quote = *o.quote
		}
		c.Escape = c.Quote
		if o.escape != nil {
			c.Escape = *o.escape
		}
	}
	if !binary && len(c.Delimiter) != 1 {
		return fail(CodeFeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if strings.ContainsAny(c.Delimiter, "\r\n") {
		return fail(CodeInvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(c.Null, "\r\n") {
		return fail(CodeInvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	if !csv && !binary && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, c.Delimiter) {
		return fail(CodeInvalidParameterValue, "COPY delimiter cannot be \""+c.Delimiter+"\"")
	}
	if binary && o.header {
		return fail(CodeFeatureNotSupported, "cannot specify HEADER in BINARY mode")
	}
	if !csv && o.quote != nil {
		return fail(CodeFeatureNotSupported, "COPY quote available only in CSV mode")
	}
	if csv && len(c.Quote) != 1 {
		return fail(CodeFeatureNotSupported, "COPY quote must be a single one-byte character")
	}
	if csv && c.Delimiter == c.Quote {
		return fail(CodeInvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if !csv && o.escape != nil {
		return fail(CodeFeatureNotSupported, "COPY escape available only in CSV mode")
	}
	if csv && len(c.Escape) != 1 {
		return fail(CodeFeatureNotSupported, "COPY escape must be a single one-byte character")
	}
	if !csv && (o.forceQuote != nil || o.forceQuoteAll) {
		return fail(CodeFeatureNotSupported, "COPY force quote available only in CSV mode")
	}
	if (o.forceQuote != nil || o.forceQuoteAll) && c.From {
		return fail(CodeFeatureNotSupported, "COPY force quote only available using COPY TO")
	}
	if !csv && o.forceNotNull != nil {
		return fail(CodeFeatureNotSupported, "COPY force not null available only in CSV mode")
	}
	if o.forceNotNull != nil && !c.From {
		return fail(CodeFeatureNotSupported, "COPY force not null only available using COPY FROM")
	}
	if !csv && o.forceNull != nil {
		return fail(CodeFeatureNotSupported, "COPY force null available only in CSV mode")
	}
	if o.forceNull != nil && !c.From {
		return fail(CodeFeatureNotSupported, "COPY force null only available using COPY FROM")
	}
	if !binary && strings.Contains(c.Null, c.Delimiter) {
		return fail(CodeFeatureNotSupported, "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.Contains(c.Null, c.Quote) {
		return fail(CodeFeatureNotSupported, "CSV quote character must not appear in the NULL specification")
	}
	c.Header, c.HeaderMatch, c.Freeze, c.Encoding = o.header, o.headerMatch, o.freeze, o.encoding
	c.ForceQuote, c.ForceQuoteAll = o.forceQuote, o.forceQuoteAll
	c.ForceNotNull, c.ForceNull = o.forceNotNull, o.forceNull
	return nil
}

// ---------------------------------------------------------------------
// Keywords and quoting

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// Keyword categories of PostgreSQL 15 (pg_get_keywords()). Reserved words
// and type/function-name words cannot be bare column or table names;
// reserved words cannot be bare SET values.
var (
	reservedKeywords = wordSet(`all analyse analyze and any array as asc asymmetric both case cast
		check collate column constraint create current_catalog current_date current_role
		current_time current_timestamp current_user default deferrable desc distinct do else end
		except false fetch for foreign from grant group having in initially intersect into lateral
		leading limit localtime localtimestamp not null offset on only or order placing primary
		references returning select session_user some symmetric table then to trailing true union
		unique user using variadic when where window with`)
	typeFuncKeywords = wordSet(`authorization binary collation concurrently cross current_schema
		freeze full ilike inner is isnull join left like natural notnull outer overlaps right
		similar tablesample verbose`)
	colNameKeywords = wordSet(`between bigint bit boolean char character coalesce dec decimal
		exists extract float greatest grouping inout int integer interval least national nchar
		none normalize nullif numeric out overlay position precision real row setof smallint
		substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement
		xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`)
)

// QuoteIdent quotes an identifier exactly when PostgreSQL's quote_ident
// would: unless it is all lower-case letters, digits and underscores, does
// not start with a digit, and is not a non-unreserved keyword.
func QuoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && (reservedKeywords[s] || typeFuncKeywords[s] || colNameKeywords[s]) {
		safe = false
	}
	if safe {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// readOnlyPragmas are the SQLite pragmas a client may run: they report on
// the database and change nothing. Assignments and the others would change
// storage settings (journal mode, synchronous, foreign keys) shared by
// every session, so they are refused.
var readOnlyPragmas = map[string]bool{
	"integrity_check": true, "quick_check": true, "foreign_key_check": true,
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true,
	"index_info": true, "index_xinfo": true, "foreign_key_list": true,
	"database_list": true, "collation_list": true, "function_list": true,
	"pragma_list": true, "compile_options": true, "page_count": true, "page_size": true,
	"freelist_count": true, "schema_version": true, "user_version": true,
	"data_version": true, "journal_mode": true, "encoding": true, "application_id": true,
}

// pragma parses PRAGMA [schema.]name [(arg)]; only the read-only pragmas
// above are accepted, and never with "= value".
func (p *parser) pragma(s *Statement) error {
	var name string
	for _, t := range p.toks[p.i+1:] {
		if t.Kind == TokIdent || t.Kind == TokQuotedIdent {
			name = strings.ToLower(t.Str)
		}
		if t.Kind == TokOp && t.Text == "=" {
			return &Error{Code: CodeInsufficientPrivilege, Message: "PRAGMA assignments are not allowed: they would change storage settings shared by every session"}
		}
		if t.Kind == TokPunct && (t.Text == "(" || t.Text == ";") {
			break
		}
	}
	if !readOnlyPragmas[name] {
		return &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("PRAGMA %s is not allowed; read-only diagnostics such as integrity_check and table_info are", name)}
	}
	s.ReadOnly = true
	return nil
}
