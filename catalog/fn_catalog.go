package catalog

import (
	"database/sql/driver"
	"fmt"
	"runtime"
	"strings"
)

// System information and catalog-introspection functions: what psql's
// backslash commands and the JDBC metadata queries call.

func catalogFunctions() []sqlFunc {
	return []sqlFunc{
		ranged("format_type", 1, 2, true, fnFormatType),
		ranged("pg_get_expr", 2, 3, false, fnGetExpr),
		ranged("pg_get_indexdef", 1, 3, false, fnGetIndexdef),
		ranged("pg_get_constraintdef", 1, 2, false, fnGetConstraintdef),
		ranged("pg_get_viewdef", 1, 2, false, fnGetViewdef),
		ranged("pg_get_triggerdef", 1, 2, false, fnGetTriggerdef),
		fixed("pg_get_userbyid", 1, false, fnGetUserByID),
		fixed("pg_table_is_visible", 1, false, fnTableIsVisible),
		fixed("pg_type_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_function_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_collation_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_operator_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_opclass_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_opfamily_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_conversion_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_statistics_obj_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_ts_config_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_ts_dict_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_ts_parser_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_ts_template_is_visible", 1, false, fnTrueIfNotNull),
		fixed("pg_encoding_to_char", 1, true, fnEncodingToChar),
		fixed("pg_char_to_encoding", 1, true, fnCharToEncoding),
		fixed("current_schemas", 1, false, fnCurrentSchemas),
		fixed("current_schema", 0, false, constant("public")),
		fixed("current_database", 0, false, func(c *call) (driver.Value, error) { return c.r.snap(c.fc).Database, nil }),
		fixed("current_user", 0, false, func(c *call) (driver.Value, error) { return c.r.snap(c.fc).User, nil }),
		fixed("session_user", 0, false, func(c *call) (driver.Value, error) { return c.r.snap(c.fc).User, nil }),
		fixed("pg_get_statisticsobjdef_columns", 1, false, constant(nil)),
		fixed("pg_get_partkeydef", 1, false, constant(nil)),
		ranged("pg_get_ruledef", 1, 2, false, constant(nil)),
		fixed("pg_get_function_result", 1, false, constant(nil)),
		fixed("pg_get_function_arguments", 1, false, constant(nil)),
		fixed("pg_get_function_identity_arguments", 1, false, constant(nil)),
		fixed("pg_get_functiondef", 1, false, constant(nil)),
		fixed("pg_tablespace_location", 1, false, constant("")),
		fixed("pg_get_serial_sequence", 2, false, constant(nil)),
		fixed("pg_relation_is_publishable", 1, false, fnRelationIsPublishable),
		fixed("pg_partition_ancestors", 1, false, fnPartitionAncestors),
		fixed("pg_partition_root", 1, false, fnPartitionAncestors),
		ranged("obj_description", 1, 2, false, constant(nil)),
		fixed("col_description", 2, false, constant(nil)),
		fixed("shobj_description", 2, false, constant(nil)),
		fixed("version", 0, false, fnVersion),
		ranged("current_setting", 1, 2, false, fnCurrentSetting),
		fixed("set_config", 3, false, fnSetConfig),
		fixed("pg_backend_pid", 0, false, constant(int64(0))),
		fixed("pg_is_in_recovery", 0, false, constant(int64(0))),
		fixed("txid_current", 0, false, constant(int64(0))),
		fixed("pg_current_xact_id", 0, false, constant(int64(0))),
		fixed("pg_postmaster_start_time", 0, false, func(c *call) (driver.Value, error) {
			return storageTimestamptz(c.r.started), nil
		}),
		fixed("pg_conf_load_time", 0, false, func(c *call) (driver.Value, error) {
			return storageTimestamptz(c.r.started), nil
		}),
		fixed("pg_database_size", 1, false, constant(int64(0))),
		ranged("pg_relation_size", 1, 2, false, constant(int64(0))),
		fixed("pg_table_size", 1, false, constant(int64(0))),
		fixed("pg_indexes_size", 1, false, constant(int64(0))),
		fixed("pg_total_relation_size", 1, false, constant(int64(0))),
		ranged("has_table_privilege", 2, 3, false, constant(int64(1))),
		ranged("has_schema_privilege", 2, 3, false, constant(int64(1))),
		ranged("has_database_privilege", 2, 3, false, constant(int64(1))),
		ranged("has_column_privilege", 3, 4, false, constant(int64(1))),
		ranged("has_function_privilege", 2, 3, false, constant(int64(1))),
		ranged("has_sequence_privilege", 2, 3, false, constant(int64(1))),
		ranged("has_any_column_privilege", 2, 3, false, constant(int64(1))),
		ranged("pg_has_role", 2, 3, false, constant(int64(1))),
	}
}

func constant(v driver.Value) func(*call) (driver.Value, error) {
	return func(*call) (driver.Value, error) { return v, nil }
}

func fnTrueIfNotNull(c *call) (driver.Value, error) {
	if c.args[0] == nil {
		return nil, nil
	}
	return int64(1), nil
}

// format_type(oid, typmod): typmod NULL and typmod -1 differ (see
// formatType).
func fnFormatType(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	var typmod int64 = -1
	given := false
	if len(c.args) > 1 {
		typmod, given, err = argInt(c.args[1])
		if err != nil {
			return nil, err
		}
		if !given {
			typmod = -1
		}
	}
	return formatType(oid, int32(typmod), given), nil
}

// pg_get_expr(expr, relid[, pretty]): catalog expression columns hold the
// expression text already, in pg_get_expr's non-pretty form; pretty mode
// drops the outermost parentheses as PostgreSQL's does.
func fnGetExpr(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	if len(c.args) > 2 {
		if pretty, _ := argBool(c.args[2]); pretty {
			return stripOuterParens(s), nil
		}
	}
	return s, nil
}

// stripOuterParens removes parentheses that enclose the whole expression.
func stripOuterParens(s string) string {
	for {
		t := strings.TrimSpace(s)
		toks := lexSQL(t)
		if len(toks) < 2 || !toks[0].isPunct("(") || matchParen(toks, 0) != len(toks)-1 || toks[len(toks)-1].end != len(t) {
			return t
		}
		s = t[1 : len(t)-1]
	}
}

func fnGetIndexdef(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	ix, found := c.r.snap(c.fc).Indexes[oid]
	if !found {
		return nil, nil
	}
	var col int64
	pretty := false
	if len(c.args) > 1 {
		col, _, err = argInt(c.args[1])
		if err != nil {
			return nil, err
		}
	}
	if len(c.args) > 2 {
		pretty, _ = argBool(c.args[2])
	}
	if col == 0 {
		return ix.def(pretty), nil
	}
	if col < 1 || int(col) > len(ix.Cols) {
		return "", nil
	}
	return ix.Cols[col-1], nil
}

func fnGetConstraintdef(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	con, found := c.r.snap(c.fc).Cons[oid]
	if !found {
		return nil, nil
	}
	pretty := false
	if len(c.args) > 1 {
		pretty, _ = argBool(c.args[1])
	}
	return con.def(pretty), nil
}

// pg_get_viewdef(view[, pretty]): the view's query as written. The view may
// be given by OID or by name.
func fnGetViewdef(c *call) (driver.Value, error) {
	if c.args[0] == nil {
		return nil, nil
	}
	s := c.r.snap(c.fc)
	oid, ok, err := argOID(c.args[0])
	if err != nil {
		name, _ := argText(c.args[0])
		if oid, ok = c.lookupRel(name); !ok {
			return nil, errorf(codeUndefinedTable, "relation \"%s\" does not exist", name)
		}
	}
	if !ok {
		return nil, nil
	}
	def, found := s.Views[oid]
	if !found {
		return nil, nil
	}
	def = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(def), ";"))
	return " " + def + ";", nil
}

func fnGetTriggerdef(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	def, found := c.r.snap(c.fc).Triggers[oid]
	if !found {
		return nil, nil
	}
	return def, nil
}

func fnGetUserByID(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	switch oid {
	case roleUser:
		return c.r.snap(c.fc).User, nil
	case roleDatabaseOwner:
		return "pg_database_owner", nil
	}
	return fmt.Sprintf("unknown (OID=%d)", oid), nil
}

// pg_table_is_visible: relations in public and pg_catalog are on the search
// path; information_schema's are not; unknown OIDs give NULL as in
// PostgreSQL.
func fnTableIsVisible(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	if _, found := c.r.snap(c.fc).Rels[oid]; found {
		return int64(1), nil
	}
	if d, found := catalogRelByOID[oid]; found {
		return boolValue(d.schema == "pg_catalog"), nil
	}
	return nil, nil
}

func fnRelationIsPublishable(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	r, found := c.r.snap(c.fc).Rels[oid]
	return boolValue(found && r.Kind == "r"), nil
}

// pg_partition_ancestors(rel): there are no partitions, so a relation's only
// "ancestor" is itself — which is what PostgreSQL returns for a plain table.
func fnPartitionAncestors(c *call) (driver.Value, error) {
	oid, ok, err := argOID(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	return int64(oid), nil
}

func fnEncodingToChar(c *call) (driver.Value, error) {
	n, ok, err := argInt(c.args[0])
	if err != nil || !ok {
		return nil, err
	}
	switch n {
	case 0:
		return "SQL_ASCII", nil
	case 6:
		return "UTF8", nil
	}
	return "", nil
}

func fnCharToEncoding(c *call) (driver.Value, error) {
	s, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	switch strings.ToUpper(strings.ReplaceAll(s, "-", "")) {
	case "SQL_ASCII":
		return int64(0), nil
	case "UTF8", "UNICODE":
		return int64(6), nil
	}
	return int64(-1), nil
}

func fnCurrentSchemas(c *call) (driver.Value, error) {
	implicit, ok := argBool(c.args[0])
	if !ok {
		return nil, nil
	}
	if implicit {
		return `["pg_catalog","public"]`, nil
	}
	return `["public"]`, nil
}

func fnVersion(c *call) (driver.Value, error) {
	v, _ := c.r.setting(c.fc, "server_version")
	if i := strings.IndexByte(v, ' '); i > 0 {
		v = v[:i]
	}
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	return fmt.Sprintf("PostgreSQL %s (sqlcluster) on %s-pc-%s-gnu, compiled by Go, 64-bit", v, arch, runtime.GOOS), nil
}

func fnCurrentSetting(c *call) (driver.Value, error) {
	name, ok := argText(c.args[0])
	if !ok {
		return nil, nil
	}
	if v, found := c.r.setting(c.fc, name); found {
		return v, nil
	}
	if len(c.args) > 1 {
		if missingOK, _ := argBool(c.args[1]); missingOK {
			return nil, nil
		}
	}
	return nil, errorf(codeUndefinedObject, "unrecognized configuration parameter \"%s\"", name)
}

// set_config(name, value, is_local) records the value for current_setting
// on this connection. It does not reach the session's own settings (SET
// goes through the server), so it is visible to SQL functions only.
func fnSetConfig(c *call) (driver.Value, error) {
	name, ok := argText(c.args[0])
	if !ok {
		return nil, errorf(codeInvalidParameter, "SET requires parameter name")
	}
	value, _ := argText(c.args[1])
	if st := c.r.state(c.fc); st != nil {
		st.mu.Lock()
		if st.overrides == nil {
			st.overrides = map[string]string{}
		}
		st.overrides[strings.ToLower(name)] = value
		st.mu.Unlock()
	}
	return value, nil
}
