package wire

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// reportedSettings are PostgreSQL's GUC_REPORT parameters: sent after
// authentication and again whenever they change. Clients depend on them
// (psql picks its catalog queries by server_version, pgjdbc requires ISO
// DateStyle and UTF8, libpq's target_session_attrs reads the last two).
var reportedSettings = []string{
	"application_name", "client_encoding", "datestyle", "default_transaction_read_only",
	"in_hot_standby", "integer_datetimes", "intervalstyle", "is_superuser", "server_encoding",
	"server_version", "session_authorization", "standard_conforming_strings", "timezone",
}

type settingDef struct {
	name     string // canonical spelling
	def      string
	readOnly bool
	check    func(string) (string, error) // normalises or rejects a value
}

var settingDefs = func() map[string]*settingDef {
	defs := []*settingDef{
		{name: "application_name", def: ""},
		{name: "client_encoding", def: "UTF8", check: checkEncoding},
		{name: "DateStyle", def: "ISO, MDY", check: checkDateStyle},
		{name: "default_transaction_read_only", def: "off", check: checkBool},
		{name: "default_transaction_isolation", def: "read committed", check: checkIsolation},
		{name: "default_transaction_deferrable", def: "off", check: checkBool},
		{name: "transaction_isolation", def: "read committed", check: checkIsolation},
		{name: "transaction_read_only", def: "off", check: checkBool},
		{name: "in_hot_standby", def: "off", readOnly: true},
		// Where a replica's autocommit reads run in stream mode: local
		// (possibly stale), session (after this session's own forwarded
		// writes have been applied locally: read-your-writes) or primary.
		{name: "sqlcluster.read_consistency", def: "session", check: oneOf("local", "session", "primary")},
		{name: "integer_datetimes", def: "on", readOnly: true},
		{name: "IntervalStyle", def: "postgres", check: oneOf("postgres", "postgres_verbose", "sql_standard", "iso_8601")},
		{name: "is_superuser", def: "on", readOnly: true},
		{name: "server_encoding", def: "UTF8", readOnly: true},
		{name: "server_version", readOnly: true},
		{name: "server_version_num", readOnly: true},
		{name: "session_authorization"},
		{name: "standard_conforming_strings", def: "on", check: func(v string) (string, error) {
			if b, err := checkBool(v); err != nil || b != "on" {
				return "", &engine.Error{Code: "0A000", Message: "non-standard string literals are not supported"}
			}
			return "on", nil
		}},
		{name: "TimeZone", def: "UTC"},
		{name: "extra_float_digits", def: "1", check: checkInt(-15, 3)},
		{name: "search_path", def: `"$user", public`},
		{name: "statement_timeout", def: "0", check: checkDuration},
		{name: "lock_timeout", def: "0", check: checkDuration},
		{name: "idle_in_transaction_session_timeout", def: "0", check: checkDuration},
		{name: "idle_session_timeout", def: "0", check: checkDuration},
		{name: "client_min_messages", def: "notice"},
		{name: "max_identifier_length", def: "63", readOnly: true},
		{name: "bytea_output", def: "hex", check: oneOf("hex")},
		{name: "lc_messages", def: "C.UTF-8"},
		{name: "lc_monetary", def: "C.UTF-8"},
		{name: "lc_numeric", def: "C.UTF-8"},
		{name: "lc_time", def: "C.UTF-8"},
		{name: "lc_collate", def: "C.UTF-8", readOnly: true},
		{name: "lc_ctype", def: "C.UTF-8", readOnly: true},
		{name: "synchronous_commit", def: "on"},
		{name: "row_security", def: "on"},
		{name: "escape_string_warning", def: "on"},
		{name: "geqo", def: "on"},
		{name: "jit", def: "off"},
		{name: "work_mem", def: "4MB"},
		{name: "maintenance_work_mem", def: "64MB"},
		{name: "max_parallel_workers_per_gather", def: "0"},
		{name: "enable_seqscan", def: "on"},
		{name: "timezone_abbreviations", def: "Default"},
		{name: "xmloption", def: "content"},
		{name: "plan_cache_mode", def: "auto"},
		{name: "max_connections", def: "1000", readOnly: true},
		{name: "block_size", def: "4096", readOnly: true},
		{name: "data_directory_mode", def: "0750", readOnly: true},
		{name: "sqlcluster.read_consistency", def: "session", check: oneOf("local", "session", "primary")},
	}
	m := make(map[string]*settingDef, len(defs))
	for _, d := range defs {
		m[strings.ToLower(d.name)] = d
	}
	return m
}()

// settings holds a session's configuration parameters with PostgreSQL's
// transactional semantics: SET inside a transaction is undone by ROLLBACK,
// SET LOCAL lasts until the transaction ends.
type settings struct {
	values  map[string]string
	saved   map[string]string // values at BEGIN, restored by ROLLBACK
	local   map[string]string // values before SET LOCAL, restored at end
	changed []string          // reported settings changed since last drain
	sent    map[string]string // reported settings as last sent to the client
}

func newSettings(serverVersion, user string) *settings {
	s := &settings{values: map[string]string{}}
	for k, d := range settingDefs {
		s.values[k] = d.def
	}
	s.values["server_version"] = serverVersion
	s.values["server_version_num"] = versionNum(serverVersion)
	s.values["session_authorization"] = user
	return s
}

func versionNum(v string) string {
	major, minor, _ := strings.Cut(v, ".")
	ma, _ := strconv.Atoi(major)
	mi, _ := strconv.Atoi(strings.Fields(minor + " ")[0])
	return strconv.Itoa(ma*10000 + mi)
}

func (s *settings) canonicalName(name string) string {
	if d, ok := settingDefs[strings.ToLower(name)]; ok {
		return d.name
	}
	return name
}

func (s *settings) get(name string) string { return s.values[strings.ToLower(name)] }

// lookup serves current_setting() and pg_settings.
func (s *settings) lookup(name string) (string, bool) {
	v, ok := s.values[strings.ToLower(name)]
	return v, ok
}

func (s *settings) names() []string {
	out := make([]string, 0, len(s.values))
	for k := range s.values {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unknownSetting(name string) error {
	return &engine.Error{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", name)}
}

// set changes a parameter. Names with a dot are custom (extension-style)
// parameters and are accepted as PostgreSQL does.
func (s *settings) set(name, value string, local bool) error {
	key := strings.ToLower(name)
	d, ok := settingDefs[key]
	if !ok && !strings.Contains(key, ".") {
		return unknownSetting(name)
	}
	if ok && d.readOnly {
		return &engine.Error{Code: "55P02", Message: fmt.Sprintf("parameter %q cannot be changed", name)}
	}
	if ok && d.check != nil {
		v, err := d.check(value)
		if err != nil {
			return err
		}
		value = v
	}
	if local {
		if s.local == nil {
			s.local = map[string]string{}
		}
		if _, seen := s.local[key]; !seen {
			s.local[key] = s.values[key]
		}
	}
	if s.values[key] != value {
		s.values[key] = value
		s.markChanged(key)
	}
	return nil
}

func (s *settings) reset(name string) error {
	key := strings.ToLower(name)
	d, ok := settingDefs[key]
	if !ok {
		if _, custom := s.values[key]; custom {
			delete(s.values, key)
			return nil
		}
		return unknownSetting(name)
	}
	if d.readOnly {
		return &engine.Error{Code: "55P02", Message: fmt.Sprintf("parameter %q cannot be changed", name)}
	}
	if s.values[key] != d.def {
		s.values[key] = d.def
		s.markChanged(key)
	}
	return nil
}

func (s *settings) resetAll() {
	for k, d := range settingDefs {
		if !d.readOnly && k != "session_authorization" && s.values[k] != d.def {
			s.values[k] = d.def
			s.markChanged(k)
		}
	}
}

func (s *settings) markChanged(key string) {
	for _, r := range reportedSettings {
		if r == key {
			s.changed = append(s.changed, key)
		}
	}
}

// beginTx records the values that ROLLBACK restores.
func (s *settings) beginTx() {
	s.saved = make(map[string]string, len(s.values))
	for k, v := range s.values {
		s.saved[k] = v
	}
}

// endTx applies transaction end: ROLLBACK restores everything set in the
// transaction, COMMIT keeps SET but undoes SET LOCAL.
func (s *settings) endTx(commit bool) {
	restore := s.local
	if !commit && s.saved != nil {
		restore = s.saved
	}
	for k, v := range restore {
		if s.values[k] != v {
			s.values[k] = v
			s.markChanged(k)
		}
	}
	if !commit {
		for k := range s.values {
			if _, ok := s.saved[k]; !ok && s.saved != nil {
				delete(s.values, k)
			}
		}
	}
	s.saved, s.local = nil, nil
	s.values["transaction_isolation"] = s.values["default_transaction_isolation"]
	s.values["transaction_read_only"] = s.values["default_transaction_read_only"]
}

// drainChanged returns the reported settings whose value differs from what
// the client was last told, as PostgreSQL does before ReadyForQuery: a SET
// undone by ROLLBACK in the same round trip sends nothing.
func (s *settings) drainChanged() []string {
	if s.sent == nil {
		s.sent = map[string]string{}
		for _, k := range reportedSettings {
			s.sent[k] = s.values[k]
		}
		s.changed = nil
		return nil
	}
	var out []string
	for _, k := range s.changed {
		if v := s.values[k]; v != s.sent[k] {
			s.sent[k] = v
			out = append(out, k)
		}
	}
	s.changed = nil
	return out
}

func (s *settings) statementTimeout() time.Duration {
	d, _ := parseDuration(s.values["statement_timeout"])
	return d
}

func checkBool(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1", "t", "y":
		return "on", nil
	case "off", "false", "no", "0", "f", "n":
		return "off", nil
	}
	return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("parameter requires a Boolean value, not %q", v)}
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), "-", "")) {
	case "UTF8", "UNICODE", "SQL_ASCII":
		return "UTF8", nil
	}
	return "", &engine.Error{Code: "0A000", Message: fmt.Sprintf("client encoding %q is not supported: sqlcluster speaks UTF8 only", v)}
}

func checkDateStyle(v string) (string, error) {
	parts := strings.Split(strings.ToUpper(v), ",")
	order := "MDY"
	for _, p := range parts {
		switch p = strings.TrimSpace(p); p {
		case "ISO", "":
		case "MDY", "DMY", "YMD", "US", "NONEURO", "NONEUROPEAN":
			if p == "DMY" || p == "YMD" {
				order = p
			}
		case "EURO", "EUROPEAN":
			order = "DMY"
		default:
			return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("DateStyle %q is not supported: only ISO output is available", v)}
		}
	}
	return "ISO, " + order, nil
}

func checkIsolation(v string) (string, error) {
	l := strings.ToLower(strings.Join(strings.Fields(v), " "))
	switch l {
	case "read uncommitted", "read committed", "repeatable read", "serializable":
		return l, nil
	case "default":
		return "read committed", nil
	}
	return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("invalid value for parameter \"transaction_isolation\": %q", v)}
}

func checkInt(min, max int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("invalid value %q: an integer is required", v)}
		}
		if n < min || n > max {
			return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("%d is outside the valid range (%d .. %d)", n, min, max)}
		}
		return strconv.Itoa(n), nil
	}
}

func oneOf(vals ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		l := strings.ToLower(strings.TrimSpace(v))
		for _, x := range vals {
			if l == x {
				return x, nil
			}
		}
		return "", &engine.Error{Code: "22023", Message: fmt.Sprintf("invalid value %q: available values: %s", v, strings.Join(vals, ", "))}
	}
}

func checkDuration(v string) (string, error) {
	if _, err := parseDuration(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(v), nil
}

// parseDuration reads PostgreSQL time settings: a bare number is
// milliseconds; units ms, s, min, h, d are accepted.
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "0" {
		return 0, nil
	}
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil || n < 0 {
		return 0, &engine.Error{Code: "22023", Message: fmt.Sprintf("invalid value for a time parameter: %q", v)}
	}
	unit := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "us": time.Microsecond}
	u, ok := unit[strings.TrimSpace(v[i:])]
	if !ok {
		return 0, &engine.Error{Code: "22023", Message: fmt.Sprintf("invalid unit in time parameter %q: use ms, s, min, h or d", v)}
	}
	return time.Duration(n * float64(u)), nil
}
