package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// buildDynamic produces every row that depends on the schema or the
// session, for the tables listed in dynamicTables.
func buildDynamic(m *schemaModel, info Info, settings map[string]string) []*rowSet {
	codec := pgtypes.NewCodec()
	if tz := settings["timezone"]; tz != "" {
		codec.SetTimeZone(tz) // an unknown zone leaves UTC, as good a guess as any
	}
	b := &dynBuilder{m: m, info: info, settings: settings, codec: codec,
		class: newRowSet("pg_catalog", "pg_class"), attr: newRowSet("pg_catalog", "pg_attribute"),
		attrdef: newRowSet("pg_catalog", "pg_attrdef"), index: newRowSet("pg_catalog", "pg_index"),
		con: newRowSet("pg_catalog", "pg_constraint"), trig: newRowSet("pg_catalog", "pg_trigger"),
		rewrite: newRowSet("pg_catalog", "pg_rewrite"), tables: newRowSet("pg_catalog", "pg_tables"),
		views: newRowSet("pg_catalog", "pg_views"), indexes: newRowSet("pg_catalog", "pg_indexes"),
		isTables: newRowSet("information_schema", "tables"), isColumns: newRowSet("information_schema", "columns"),
		isViews: newRowSet("information_schema", "views"), isTC: newRowSet("information_schema", "table_constraints"),
		isKCU: newRowSet("information_schema", "key_column_usage"), isRC: newRowSet("information_schema", "referential_constraints"),
		isCCU: newRowSet("information_schema", "constraint_column_usage"), isCheck: newRowSet("information_schema", "check_constraints"),
	}
	b.relations()
	b.catalogInfoSchema()
	out := []*rowSet{b.class, b.attr, b.attrdef, b.index, b.con, b.trig, b.rewrite, b.tables, b.views, b.indexes,
		b.isTables, b.isColumns, b.isViews, b.isTC, b.isKCU, b.isRC, b.isCCU, b.isCheck}
	return append(out, sessionRows(info, settings)...)
}

type dynBuilder struct {
	m        *schemaModel
	codec    *pgtypes.Codec
	info     Info
	settings map[string]string

	class, attr, attrdef, index, con, trig, rewrite, tables, views, indexes *rowSet
	isTables, isColumns, isViews, isTC, isKCU, isRC, isCCU, isCheck         *rowSet
}

func (b *dynBuilder) relations() {
	referenced := map[*relation]bool{}
	for _, c := range b.m.cons {
		if c.kind == 'f' && c.ref != nil {
			referenced[c.ref] = true
			referenced[c.rel] = true
		}
	}
	for _, r := range b.m.rels {
		checks := 0
		for _, c := range r.cons {
			if c.kind == 'c' {
				checks++
			}
		}
		row := map[string]any{
			"oid": r.oid, "relname": r.name, "relnamespace": nspPublic, "reltype": 0, "reloftype": 0,
			"relowner": roleUser, "relam": 2, "relfilenode": r.oid, "reltablespace": 0,
			"relpages": 0, "reltuples": -1, "relallvisible": 0, "reltoastrelid": 0,
			"relhasindex": len(r.indexes) > 0, "relisshared": false, "relpersistence": "p",
			"relkind": char(r.kind), "relnatts": len(r.cols), "relchecks": checks,
			"relhasrules": r.kind == 'v', "relhastriggers": len(r.trigs) > 0 || referenced[r],
			"relhassubclass": false, "relrowsecurity": false, "relforcerowsecurity": false,
			"relispopulated": true, "relreplident": "d", "relispartition": false, "relrewrite": 0,
			"relfrozenxid": 0, "relminmxid": 0,
		}
		if r.kind == 'v' {
			row["relam"] = 0
			row["relfilenode"] = 0
			row["relreplident"] = "n"
			row["relhasrules"] = true
		}
		b.class.add(row)
		b.columns(r)
		if r.kind == 'v' {
			def := viewSelect(r.sql)
			b.rewrite.add(map[string]any{"oid": r.oid + 1, "rulename": "_RETURN", "ev_class": r.oid,
				"ev_type": "1", "ev_enabled": "O", "is_instead": true, "ev_action": def})
			b.views.add(map[string]any{"schemaname": "public", "viewname": r.name, "viewowner": b.info.User, "definition": def})
			b.isViews.add(map[string]any{"table_catalog": b.info.Database, "table_schema": "public", "table_name": r.name,
				"view_definition": def, "check_option": "NONE", "is_updatable": "NO", "is_insertable_into": "NO",
				"is_trigger_updatable": "NO", "is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO"})
			b.isTables.add(map[string]any{"table_catalog": b.info.Database, "table_schema": "public", "table_name": r.name,
				"table_type": "VIEW", "is_insertable_into": "NO", "is_typed": "NO"})
		} else {
			b.tables.add(map[string]any{"schemaname": "public", "tablename": r.name, "tableowner": b.info.User,
				"hasindexes": len(r.indexes) > 0, "hasrules": false, "hastriggers": len(r.trigs) > 0})
			b.isTables.add(map[string]any{"table_catalog": b.info.Database, "table_schema": "public", "table_name": r.name,
				"table_type": "BASE TABLE", "is_insertable_into": "YES", "is_typed": "NO"})
		}
		for _, ix := range r.indexes {
			b.indexRows(r, ix)
		}
		for _, c := range r.cons {
			b.constraintRows(r, c)
		}
		for _, t := range r.trigs {
			b.trig.add(map[string]any{"oid": t.oid, "tgrelid": r.oid, "tgparentid": 0, "tgname": t.name,
				"tgfoid": 0, "tgtype": 0, "tgenabled": "O", "tgisinternal": false, "tgnargs": 0,
				"tgattr": "[]", "tgargs": ""})
		}
	}
}

func (b *dynBuilder) columns(r *relation) {
	for _, col := range r.cols {
		t := typeFromDecl(col.decl)
		tr := typeByOID[t.OID]
		// PostgreSQL primary key columns are always NOT NULL, even where
		// SQLite would accept a NULL (non-INTEGER keys of rowid tables).
		notNull := col.notNull || (col.pk > 0 && r.kind == 'r')
		dflt := ""
		if col.dflt != nil {
			dflt = renderDefault(b.codec, *col.dflt, t)
		}
		serial := isSerialDecl(col.decl)
		if serial {
			notNull = true
			if dflt == "" {
				dflt = fmt.Sprintf("nextval('%s'::regclass)", makeObjectName(r.name, col.name, "seq"))
			}
		}
		generated := ""
		if col.generated != "" {
			generated = "s"
			dflt = nonPrettyExpr(col.generated)
		}
		b.attr.add(attributeRow(r.oid, col.num, col.name, t, tr, notNull, dflt != "", generated))
		if dflt != "" {
			b.attrdef.add(map[string]any{"oid": uint32(attrdefLo + r.rowid<<8 + int64(col.num)),
				"adrelid": r.oid, "adnum": col.num, "adbin": dflt})
		}
		b.isColumns.add(b.infoColumn(r, col, t, notNull, dflt, generated))
	}
}

func (b *dynBuilder) infoColumn(r *relation, col *column, t pgType, notNull bool, dflt, generated string) map[string]any {
	row := map[string]any{
		"table_catalog": b.info.Database, "table_schema": "public", "table_name": r.name,
		"column_name": col.name, "ordinal_position": col.num, "is_nullable": yesNo(!notNull),
		"udt_catalog": b.info.Database, "udt_schema": "pg_catalog", "udt_name": t.Name,
		"dtd_identifier": strconv.Itoa(int(col.num)), "is_self_referencing": "NO",
		"is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER", "is_updatable": yesNo(r.kind == 'r'),
	}
	if dflt != "" && generated == "" {
		row["column_default"] = dflt
	}
	if generated != "" {
		row["is_generated"] = "ALWAYS"
		row["generation_expression"] = dflt
	}
	tr := typeByOID[t.OID]
	switch {
	case tr != nil && tr.isArray():
		row["data_type"] = "ARRAY"
	default:
		row["data_type"] = formatType(t.OID, -1, false)
	}
	if tr != nil && tr.collation != 0 {
		row["collation_catalog"] = nil
	}
	switch t.OID {
	case oidVarchar, oidBpchar:
		if t.Modifier >= 4 {
			row["character_maximum_length"] = t.Modifier - 4
			row["character_octet_length"] = (t.Modifier - 4) * 4
		} else {
			row["character_octet_length"] = 1073741824
		}
	case oidText:
		row["character_octet_length"] = 1073741824
	case oidInt2:
		row["numeric_precision"], row["numeric_precision_radix"], row["numeric_scale"] = 16, 2, 0
	case oidInt4:
		row["numeric_precision"], row["numeric_precision_radix"], row["numeric_scale"] = 32, 2, 0
	case oidInt8:
		row["numeric_precision"], row["numeric_precision_radix"], row["numeric_scale"] = 64, 2, 0
	case oidFloat4:
		row["numeric_precision"], row["numeric_precision_radix"] = 24, 2
	case oidFloat8:
		row["numeric_precision"], row["numeric_precision_radix"] = 53, 2
	case oidNumeric:
		row["numeric_precision_radix"] = 10
		if t.Modifier >= 4 {
			v := t.Modifier - 4
			row["numeric_precision"] = (v >> 16) & 0xffff
			row["numeric_scale"] = ((v & 0x7ff) ^ 1024) - 1024
		}
	case oidDate:
		row["datetime_precision"] = 0
	case oidTime, oidTimetz, oidTimestamp, oidTimestamptz, oidInterval:
		p := int32(6)
		if t.Modifier >= 0 && t.OID != oidInterval {
			p = t.Modifier
		}
		row["datetime_precision"] = p
	}
	return row
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func (b *dynBuilder) indexRows(r *relation, ix *index) {
	b.class.add(map[string]any{
		"oid": ix.oid, "relname": ix.name, "relnamespace": nspPublic, "relowner": roleUser, "relam": 403,
		"relfilenode": ix.oid, "relpages": 1, "reltuples": 0, "relpersistence": "p", "relkind": "i",
		"relnatts": len(ix.cols), "relreplident": "n", "relispopulated": true,
	})
	keys := make([]int16, len(ix.cols))
	opts := make([]int16, len(ix.cols))
	colls := make([]uint32, len(ix.cols))
	class := make([]uint32, len(ix.cols))
	var exprs []string
	used := map[string]bool{}
	for i, c := range ix.cols {
		keys[i] = c.attnum
		if c.desc {
			opts[i] = 3 // INDOPTION_DESC | INDOPTION_NULLS_FIRST
		}
		name := c.name
		t := pgType{OID: oidText, Name: "text", Size: -1, Modifier: -1}
		if c.attnum > 0 {
			if int(c.attnum) <= len(r.cols) {
				t = typeFromDecl(r.cols[c.attnum-1].decl)
			}
		} else {
			exprs = append(exprs, c.name)
			name = indexExprColname(c.name)
		}
		// PostgreSQL's ChooseIndexColumnNames: make names unique with a
		// numeric suffix.
		for n, base := 1, name; used[name]; n++ {
			name = base + strconv.Itoa(n)
		}
		used[name] = true
		tr := typeByOID[t.OID]
		if tr != nil {
			colls[i] = tr.collation
		}
		b.attr.add(attributeRow(ix.oid, int16(i+1), name, t, tr, false, false, ""))
	}
	row := map[string]any{
		"indexrelid": ix.oid, "indrelid": r.oid, "indnatts": len(ix.cols), "indnkeyatts": len(ix.cols),
		"indisunique": ix.unique, "indnullsnotdistinct": false, "indisprimary": ix.primary,
		"indisexclusion": false, "indimmediate": true, "indisclustered": false, "indisvalid": true,
		"indcheckxmin": false, "indisready": true, "indislive": true, "indisreplident": false,
		"indkey": jsonArray(keys), "indcollation": jsonArray(colls), "indclass": jsonArray(class),
		"indoption": jsonArray(opts),
	}
	if len(exprs) > 0 {
		for i := range exprs {
			exprs[i] = nonPrettyExpr(exprs[i])
		}
		row["indexprs"] = strings.Join(exprs, ", ")
	}
	if ix.where != "" {
		row["indpred"] = nonPrettyExpr(ix.where)
	}
	b.index.add(row)
	b.indexes.add(map[string]any{"schemaname": "public", "tablename": r.name, "indexname": ix.name, "indexdef": snapIndexOf(ix).def(false)})
}

var constraintTypeNames = map[byte]string{'p': "PRIMARY KEY", 'u': "UNIQUE", 'c': "CHECK", 'f': "FOREIGN KEY"}

func (b *dynBuilder) constraintRows(r *relation, c *constraint) {
	row := map[string]any{
		"oid": c.oid, "conname": c.name, "connamespace": nspPublic, "contype": char(c.kind),
		"condeferrable": c.deferred, "condeferred": c.deferred, "convalidated": true, "conrelid": r.oid,
		"contypid": 0, "conindid": 0, "conparentid": 0, "confrelid": 0, "confupdtype": " ",
		"confdeltype": " ", "confmatchtype": " ", "conislocal": true, "coninhcount": 0,
		"connoinherit": false, "conkey": jsonArray(c.attnums),
	}
	if c.index != nil {
		row["conindid"] = c.index.oid
	}
	if c.kind == 'c' {
		row["conbin"] = nonPrettyExpr(c.expr)
	}
	if c.kind == 'f' {
		row["confupdtype"] = char(c.onUpdate)
		row["confdeltype"] = char(c.onDelete)
		row["confmatchtype"] = "s"
		row["confkey"] = jsonArray(c.refAtts)
		if c.ref != nil {
			row["confrelid"] = c.ref.oid
			if ix := c.ref.uniqueIndexOn(c.refAtts); ix != nil {
				row["conindid"] = ix.oid
			}
		}
	}
	b.con.add(row)

	db := b.info.Database
	base := map[string]any{"constraint_catalog": db, "constraint_schema": "public", "constraint_name": c.name}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tc := with(map[string]any{"table_catalog": db, "table_schema": "public", "table_name": r.name,
		"constraint_type": constraintTypeNames[c.kind], "is_deferrable": yesNo(c.deferred),
		"initially_deferred": yesNo(c.deferred), "enforced": "YES"})
	if c.kind == 'p' || c.kind == 'u' {
		tc["nulls_distinct"] = "YES"
	}
	b.isTC.add(tc)
	switch c.kind {
	case 'p', 'u', 'f':
		for i, a := range c.attnums {
			kcu := with(map[string]any{"table_catalog": db, "table_schema": "public", "table_name": r.name,
				"column_name": r.colName(a), "ordinal_position": i + 1})
			if c.kind == 'f' {
				kcu["position_in_unique_constraint"] = i + 1
			}
			b.isKCU.add(kcu)
		}
	case 'c':
		b.isCheck.add(with(map[string]any{"check_clause": "((" + c.expr + "))"}))
	}
	ccuRel, ccuAtts := r, c.attnums
	if c.kind == 'f' {
		ccuRel, ccuAtts = c.ref, c.refAtts
	}
	if ccuRel != nil {
		for _, a := range ccuAtts {
			b.isCCU.add(with(map[string]any{"table_catalog": db, "table_schema": "public",
				"table_name": ccuRel.name, "column_name": ccuRel.colName(a)}))
		}
	}
	if c.kind == 'f' {
		rc := with(map[string]any{"unique_constraint_catalog": db, "unique_constraint_schema": "public",
			"match_option": "NONE", "update_rule": ruleName(c.onUpdate), "delete_rule": ruleName(c.onDelete)})
		if c.ref != nil {
			if ix := c.ref.uniqueIndexOn(c.refAtts); ix != nil && ix.con != nil {
				rc["unique_constraint_name"] = ix.con.name
			}
		}
		b.isRC.add(rc)
	}
}

func ruleName(a byte) string {
	switch a {
	case 'c':
		return "CASCADE"
	case 'r':
		return "RESTRICT"
	case 'n':
		return "SET NULL"
	case 'd':
		return "SET DEFAULT"
	}
	return "NO ACTION"
}

// uniqueIndexOn finds the unique index a foreign key references.
func (r *relation) uniqueIndexOn(atts []int16) *index {
	for _, ix := range r.indexes {
		if ix.unique && sameAttnums(ix.attnums(), atts) {
			return ix
		}
	}
	return nil
}

// catalogInfoSchema lists the catalog relations in information_schema.tables,
// as PostgreSQL does for a superuser.
func (b *dynBuilder) catalogInfoSchema() {
	for i := range catalogRels {
		d := &catalogRels[i]
		typ := "BASE TABLE"
		if d.kind == 'v' {
			typ = "VIEW"
		}
		b.isTables.add(map[string]any{"table_catalog": b.info.Database, "table_schema": d.schema, "table_name": d.name,
			"table_type": typ, "is_insertable_into": yesNo(d.kind == 'r'), "is_typed": "NO"})
	}
}

// sessionRows are the rows that come from Info: databases, roles, settings.
func sessionRows(info Info, settings map[string]string) []*rowSet {
	dbs := newRowSet("pg_catalog", "pg_database")
	names := info.Databases
	if len(names) == 0 {
		names = []string{info.Database}
	}
	for i, name := range names {
		dbs.add(map[string]any{"oid": 16300 + i, "datname": name, "datdba": roleUser, "encoding": 6,
			"datlocprovider": "c", "datistemplate": false, "datallowconn": true, "datconnlimit": -1,
			"datfrozenxid": 0, "datminmxid": 1, "dattablespace": 1663, "datcollate": "C.UTF-8",
			"datctype": "C.UTF-8"})
	}

	authid := newRowSet("pg_catalog", "pg_authid")
	roles := newRowSet("pg_catalog", "pg_roles")
	users := newRowSet("pg_catalog", "pg_user")
	for _, r := range []struct {
		oid   uint32
		name  string
		super bool
		login bool
	}{{roleUser, info.User, true, true}, {roleDatabaseOwner, "pg_database_owner", false, false}} {
		common := map[string]any{"rolname": r.name, "rolsuper": r.super, "rolinherit": true,
			"rolcreaterole": r.super, "rolcreatedb": r.super, "rolcanlogin": r.login,
			"rolreplication": r.super, "rolbypassrls": r.super, "rolconnlimit": -1, "oid": r.oid}
		authid.add(common)
		rr := map[string]any{"rolpassword": "********"}
		for k, v := range common {
			rr[k] = v
		}
		roles.add(rr)
		if r.login {
			users.add(map[string]any{"usename": r.name, "usesysid": r.oid, "usecreatedb": r.super,
				"usesuper": r.super, "userepl": r.super, "usebypassrls": r.super, "passwd": "********"})
		}
	}

	set := newRowSet("pg_catalog", "pg_settings")
	for _, s := range knownSettings {
		v := settings[strings.ToLower(s.name)]
		set.add(map[string]any{"name": s.name, "setting": v, "unit": nilIfEmpty(s.unit), "category": s.category,
			"short_desc": "", "context": s.context, "vartype": s.vartype, "source": "default",
			"boot_val": s.value, "reset_val": v, "pending_restart": false})
	}

	schemata := newRowSet("information_schema", "schemata")
	for _, n := range []struct{ name, owner string }{
		{"information_schema", info.User}, {"pg_catalog", info.User}, {"pg_toast", info.User}, {"public", "pg_database_owner"},
	} {
		schemata.add(map[string]any{"catalog_name": info.Database, "schema_name": n.name, "schema_owner": n.owner})
	}
	activity := newRowSet("pg_catalog", "pg_stat_activity")
	activity.add(map[string]any{"datname": info.Database, "usename": info.User, "usesysid": roleUser,
		"application_name": settings["application_name"], "state": "active", "backend_type": "client backend"})
	return []*rowSet{dbs, authid, roles, users, set, schemata, activity}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// indexExprColname is the attribute name PostgreSQL gives an expression
// index column: the function name for a function call, else "expr".
func indexExprColname(expr string) string {
	if isFuncCall(expr) {
		return strings.ToLower(lexSQL(expr)[0].val)
	}
	return "expr"
}
