package catalog

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// buildTableObjects derives a table's indexes and constraints from PRAGMA
// index_list/index_xinfo (authoritative for what exists) and the parsed
// CREATE TABLE text (for names, CHECK expressions and foreign keys).
func (m *schemaModel) buildTableObjects(r *relation, pt parsedTable, lists []listedIndex, idxCols map[string][]indexCol, rows map[string]*idxRow) {
	addCon := func(c *constraint) {
		c.rel = r
		c.oid = uint32(constraintLo + r.rowid<<8 + int64(len(r.cons)))
		r.cons = append(r.cons, c)
		m.cons = append(m.cons, c)
	}
	addIndex := func(ix *index) {
		ix.rel = r
		r.indexes = append(r.indexes, ix)
		m.indexes = append(m.indexes, ix)
	}
	indexOID := func(sqlName string) uint32 {
		if row, ok := rows[sqlName]; ok {
			return relOID(row.rowid)
		}
		return uint32(syntheticIndexLo + r.rowid)
	}
	colsOf := func(atts []int16) []indexCol {
		out := make([]indexCol, len(atts))
		for i, a := range atts {
			out[i] = indexCol{attnum: a, name: r.colName(a)}
		}
		return out
	}

	// Parsed constraints by kind, in declaration order.
	var parsedPK *parsedConstraint
	var parsedUnique, parsedOther []parsedConstraint
	for i := range pt.constraints {
		c := pt.constraints[i]
		switch c.kind {
		case 'p':
			if parsedPK == nil {
				parsedPK = &pt.constraints[i]
			}
		case 'u':
			parsedUnique = append(parsedUnique, c)
		default:
			parsedOther = append(parsedOther, c)
		}
	}

	// Primary key: an autoindex with origin "pk", or none for a rowid alias.
	if pk := r.pkColumns(); len(pk) > 0 {
		sqlName := ""
		for _, l := range lists {
			if l.origin == "pk" {
				sqlName = l.name
			}
		}
		ix := &index{oid: indexOID(sqlName), sqlName: sqlName, unique: true, primary: true, cols: colsOf(pk)}
		if sqlName != "" {
			if cols, ok := idxCols[sqlName]; ok && len(cols) == len(pk) {
				ix.cols = cols
			}
		}
		con := &constraint{kind: 'p', attnums: pk, index: ix}
		if parsedPK != nil {
			con.name = parsedPK.name
		}
		ix.con = con
		addIndex(ix)
		addCon(con)
	}

	// UNIQUE constraints: match each parsed one to an unused autoindex with
	// the same columns. Autoindexes SQLite made redundant are not listed.
	used := map[string]bool{}
	for _, pu := range parsedUnique {
		atts, ok := r.attnums(pu.cols)
		if !ok {
			continue
		}
		for _, l := range lists {
			if l.origin != "u" || used[l.name] {
				continue
			}
			cols := idxCols[l.name]
			la := make([]int16, len(cols))
			for i, c := range cols {
				la[i] = c.attnum
			}
			if !sameAttnums(la, atts) {
				continue
			}
			used[l.name] = true
			ix := &index{oid: indexOID(l.name), sqlName: l.name, unique: true, cols: cols}
			con := &constraint{kind: 'u', name: pu.name, attnums: atts, index: ix}
			ix.con = con
			addIndex(ix)
			addCon(con)
			break
		}
	}
	// Autoindexes whose constraint the parser missed still show as indexes.
	for _, l := range lists {
		if l.origin == "u" && !used[l.name] {
			ix := &index{oid: indexOID(l.name), sqlName: l.name, unique: true, cols: idxCols[l.name]}
			con := &constraint{kind: 'u', attnums: ix.attnums(), index: ix}
			ix.con = con
			addIndex(ix)
			addCon(con)
		}
	}
	// CREATE INDEX indexes.
	for _, l := range lists {
		if l.origin != "c" {
			continue
		}
		ix := &index{oid: indexOID(l.name), name: l.name, sqlName: l.name, unique: l.unique, cols: idxCols[l.name]}
		if row, ok := rows[l.name]; ok && row.hasSQL {
			pi := parseCreateIndex(row.sql)
			for i := range ix.cols {
				if ix.cols[i].attnum == 0 && i < len(pi.exprs) && pi.exprs[i] != "" {
					ix.cols[i].name = pi.exprs[i]
				}
			}
			ix.where = pi.where
		}
		addIndex(ix)
	}
	// CHECK and FOREIGN KEY constraints.
	for _, pc := range parsedOther {
		switch pc.kind {
		case 'c':
			if pc.expr == "" {
				continue
			}
			con := &constraint{kind: 'c', name: pc.name, expr: pc.expr}
			for _, id := range identsIn(pc.expr) {
				if c := r.colByName(id); c != nil {
					con.attnums = append(con.attnums, c.num)
				}
			}
			addCon(con)
		case 'f':
			atts, ok := r.attnums(pc.cols)
			if !ok {
				continue
			}
			ref := m.byName[strings.ToLower(pc.refTable)]
			con := &constraint{kind: 'f', name: pc.name, attnums: atts, ref: ref,
				onUpdate: fkAction(pc.onUpdate), onDelete: fkAction(pc.onDelete), deferred: pc.deferred}
			if ref != nil {
				if len(pc.refCols) > 0 {
					con.refAtts, _ = ref.attnums(pc.refCols)
				} else {
					con.refAtts = ref.pkColumns()
				}
			}
			addCon(con)
		}
	}
}

func (ix *index) attnums() []int16 {
	out := make([]int16, len(ix.cols))
	for i, c := range ix.cols {
		out[i] = c.attnum
	}
	return out
}

func fkAction(s string) byte {
	switch s {
	case "CASCADE":
		return 'c'
	case "RESTRICT":
		return 'r'
	case "SET NULL":
		return 'n'
	case "SET DEFAULT":
		return 'd'
	}
	return 'a'
}

// nameObjects gives every unnamed constraint and constraint index the name
// PostgreSQL would have chosen (ChooseRelationName/ChooseConstraintName):
// <table>_pkey, <table>_<cols>_key, <table>_<col>_check, <table>_<cols>_fkey,
// truncated to 63 bytes and made unique with a numeric suffix.
func (m *schemaModel) nameObjects() {
	relNames := map[string]bool{}
	conNames := map[string]bool{}
	for _, r := range m.rels {
		relNames[r.name] = true
	}
	for _, ix := range m.indexes {
		if ix.con == nil {
			relNames[ix.name] = true
		}
	}
	for _, c := range m.cons {
		if c.name != "" {
			conNames[c.name] = true
		}
	}
	for _, r := range m.rels {
		for _, c := range r.cons {
			if c.name == "" {
				switch c.kind {
				case 'p':
					c.name = chooseName(r.name, "", "pkey", relNames)
				case 'u':
					c.name = chooseName(r.name, r.joinColNames(c.attnums), "key", relNames)
				case 'c':
					col := ""
					if len(c.attnums) == 1 {
						col = r.colName(c.attnums[0])
					}
					c.name = chooseName(r.name, col, "check", conNames)
				case 'f':
					c.name = chooseName(r.name, r.joinColNames(c.attnums), "fkey", conNames)
				}
			}
			relNames[c.name] = true
			conNames[c.name] = true
			if c.index != nil {
				c.index.name = c.name
			}
		}
	}
}

func (r *relation) joinColNames(atts []int16) string {
	var b strings.Builder
	for i, a := range atts {
		if i > 0 {
			b.WriteByte('_')
		}
		b.WriteString(r.colName(a))
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// chooseName is PostgreSQL's ChooseRelationName/ChooseConstraintName.
func chooseName(name1, name2, label string, used map[string]bool) string {
	mod := label
	for pass := 1; ; pass++ {
		n := makeObjectName(name1, name2, mod)
		if !used[n] {
			used[n] = true
			return n
		}
		mod = label + strconv.Itoa(pass)
	}
}

// makeObjectName joins name1_name2_label, shortening the longer of name1 and
// name2 first so the result fits in NAMEDATALEN-1 (63) bytes.
func makeObjectName(name1, name2, label string) string {
	overhead := 0
	if label != "" {
		overhead += len(label) + 1
	}
	if name2 != "" {
		overhead++
	}
	avail := 63 - overhead
	n1, n2 := len(name1), len(name2)
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	out := clipUTF8(name1, n1)
	if name2 != "" {
		out += "_" + clipUTF8(name2, n2)
	}
	if label != "" {
		out += "_" + label
	}
	return out
}

func clipUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
