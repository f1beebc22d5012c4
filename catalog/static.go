package catalog

import (
	"context"
)

// insertStatic fills the catalog rows that do not depend on the database or
// the session: built-in types, namespaces, access methods, collations,
// tablespaces, languages, and pg_class/pg_attribute rows describing the
// catalog relations themselves (so 'pg_class'::regclass and RowDescription
// lookups on catalog queries resolve).
//
// Rows of tables in catalog schema are written to SQLite schema target.
func insertStatic(ctx context.Context, q querier, schema, target string) error {
	sets := []*rowSet{staticTypes(), staticNamespaces(), staticAMs(), staticCollations(),
		staticTablespaces(), staticLanguages()}
	sets = append(sets, staticCatalogRelations()...)
	for _, rs := range sets {
		if rs.def.schema != schema {
			continue
		}
		if err := rs.insertInto(ctx, q, target); err != nil {
			return err
		}
	}
	return nil
}

func char(b byte) string { return string([]byte{b}) }

func staticTypes() *rowSet {
	rs := newRowSet("pg_catalog", "pg_type")
	for i := range builtinTypes {
		t := &builtinTypes[i]
		analyze := "-"
		if t.isArray() {
			analyze = "array_typanalyze"
		}
		rs.add(map[string]any{
			"oid": t.oid, "typname": t.name, "typnamespace": nspCatalog, "typowner": roleUser,
			"typlen": t.length, "typbyval": t.byVal, "typtype": char(t.typtype),
			"typcategory": char(t.category), "typispreferred": t.preferred, "typisdefined": true,
			"typdelim": char(t.delim), "typrelid": 0, "typsubscript": t.subscripting,
			"typelem": t.elem, "typarray": t.array, "typinput": t.input, "typoutput": t.output,
			"typreceive": t.receive, "typsend": t.send, "typmodin": t.modin, "typmodout": t.modout,
			"typanalyze": analyze, "typalign": char(t.align), "typstorage": char(t.storage),
			"typnotnull": false, "typbasetype": 0, "typtypmod": -1, "typndims": 0,
			"typcollation": t.collation,
		})
	}
	return rs
}

func staticNamespaces() *rowSet {
	rs := newRowSet("pg_catalog", "pg_namespace")
	rs.add(map[string]any{"oid": nspCatalog, "nspname": "pg_catalog", "nspowner": roleUser})
	rs.add(map[string]any{"oid": nspToast, "nspname": "pg_toast", "nspowner": roleUser})
	rs.add(map[string]any{"oid": nspPublic, "nspname": "public", "nspowner": roleDatabaseOwner})
	rs.add(map[string]any{"oid": nspInfo, "nspname": "information_schema", "nspowner": roleUser})
	return rs
}

func staticAMs() *rowSet {
	rs := newRowSet("pg_catalog", "pg_am")
	for _, am := range []struct {
		oid     uint32
		name, h string
		typ     string
	}{
		{2, "heap", "heap_tableam_handler", "t"},
		{403, "btree", "bthandler", "i"},
		{405, "hash", "hashhandler", "i"},
		{783, "gist", "gisthandler", "i"},
		{2742, "gin", "ginhandler", "i"},
		{4000, "spgist", "spghandler", "i"},
		{3580, "brin", "brinhandler", "i"},
	} {
		rs.add(map[string]any{"oid": am.oid, "amname": am.name, "amhandler": am.h, "amtype": am.typ})
	}
	return rs
}

func staticCollations() *rowSet {
	rs := newRowSet("pg_catalog", "pg_collation")
	for _, c := range []struct {
		oid            uint32
		name, provider string
		collate, ctype any
		deterministic  bool
		encoding       int
	}{
		{100, "default", "d", nil, nil, true, -1},
		{950, "C", "c", "C", "C", true, -1},
		{951, "POSIX", "c", "POSIX", "POSIX", true, -1},
	} {
		rs.add(map[string]any{"oid": c.oid, "collname": c.name, "collnamespace": nspCatalog,
			"collowner": roleUser, "collprovider": c.provider, "collisdeterministic": c.deterministic,
			"collencoding": c.encoding, "collcollate": c.collate, "collctype": c.ctype})
	}
	return rs
}

func staticTablespaces() *rowSet {
	rs := newRowSet("pg_catalog", "pg_tablespace")
	rs.add(map[string]any{"oid": 1663, "spcname": "pg_default", "spcowner": roleUser})
	rs.add(map[string]any{"oid": 1664, "spcname": "pg_global", "spcowner": roleUser})
	return rs
}

func staticLanguages() *rowSet {
	rs := newRowSet("pg_catalog", "pg_language")
	for _, l := range []struct {
		oid         uint32
		name        string
		pl, trusted bool
	}{
		{12, "internal", false, false},
		{13, "c", false, false},
		{14, "sql", false, true},
		{13563, "plpgsql", true, true},
	} {
		rs.add(map[string]any{"oid": l.oid, "lanname": l.name, "lanowner": roleUser,
			"lanispl": l.pl, "lanpltrusted": l.trusted})
	}
	return rs
}

// staticCatalogRelations describes the emulated catalog relations in
// pg_class and pg_attribute.
func staticCatalogRelations() []*rowSet {
	classes := newRowSet("pg_catalog", "pg_class")
	attrs := newRowSet("pg_catalog", "pg_attribute")
	for i := range catalogRels {
		d := &catalogRels[i]
		am := uint32(2)
		if d.kind == 'v' {
			am = 0
		}
		classes.add(map[string]any{
			"oid": d.oid, "relname": d.name, "relnamespace": nspOID(d.schema), "relowner": roleUser,
			"relam": am, "relfilenode": 0, "relpages": 0, "reltuples": -1, "relhasindex": d.kind == 'r',
			"relpersistence": "p", "relkind": char(d.kind), "relnatts": len(d.cols),
			"relreplident": "n", "relispopulated": true,
		})
		for j, c := range d.cols {
			t := typeFromDecl(c.decl)
			tr := typeByOID[t.OID]
			attrs.add(attributeRow(d.oid, int16(j+1), c.name, t, tr, false, false, ""))
		}
	}
	return []*rowSet{classes, attrs}
}

// attributeRow builds a pg_attribute row.
func attributeRow(rel uint32, num int16, name string, t pgType, tr *typeRow, notNull, hasDef bool, generated string) map[string]any {
	row := map[string]any{
		"attrelid": rel, "attname": name, "atttypid": t.OID, "attstattarget": -1,
		"attlen": t.Size, "attnum": num, "attndims": 0, "attcacheoff": -1, "atttypmod": t.Modifier,
		"attnotnull": notNull, "atthasdef": hasDef, "atthasmissing": false, "attidentity": "",
		"attgenerated": generated, "attisdropped": false, "attislocal": true, "attinhcount": 0,
		"attcompression": "",
	}
	if tr != nil {
		row["attbyval"] = tr.byVal
		row["attalign"] = char(tr.align)
		row["attstorage"] = char(tr.storage)
		row["attcollation"] = tr.collation
		if tr.isArray() {
			row["attndims"] = 1
			if et := typeByOID[tr.elem]; et != nil {
				row["attcollation"] = et.collation
			}
		}
	}
	return row
}
