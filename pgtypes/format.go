package pgtypes

import (
	"strconv"

	"github.com/sqlcluster/sqlcluster/pgsql"
)

// rowByOID indexes pgTypeRows.
var rowByOID = func() map[uint32]*Row {
	m := make(map[uint32]*Row, len(pgTypeRows))
	for i := range pgTypeRows {
		m[pgTypeRows[i].OID] = &pgTypeRows[i]
	}
	return m
}()

// isArray reports whether r is a true array type (as opposed to a
// fixed-length type with subscripting such as name or point, or the plain
// vector types int2vector/oidvector), which is how format_type decides to
// print "elem[]".
func (r *Row) isArray() bool {
	return r.Elem != 0 && r.Len == -1 && r.Storage != 'p'
}

// FormatType renders a type the way PostgreSQL's format_type(oid, typmod)
// does. typmodGiven distinguishes format_type(x, -1) from format_type(x,
// NULL), which PostgreSQL prints differently for bpchar and bit.
func FormatType(oid uint32, typmod int32, typmodGiven bool) string {
	if oid == 0 {
		return "-"
	}
	t, ok := rowByOID[oid]
	if !ok {
		return "???"
	}
	if t.isArray() {
		if et, ok := rowByOID[t.Elem]; ok {
			return FormatType(et.OID, typmod, typmodGiven) + "[]"
		}
	}
	withMod := typmodGiven && typmod >= 0
	switch oid {
	case BitOID:
		if withMod {
			return "bit" + typmodOut(oid, typmod)
		} else if !typmodGiven {
			return "bit"
		}
	case BoolOID:
		return "boolean"
	case BPCharOID:
		if withMod {
			return "character" + typmodOut(oid, typmod)
		} else if !typmodGiven {
			return "character"
		}
	case Float4OID:
		return "real"
	case Float8OID:
		return "double precision"
	case Int2OID:
		return "smallint"
	case Int4OID:
		return "integer"
	case Int8OID:
		return "bigint"
	case NumericOID:
		if withMod {
			return "numeric" + typmodOut(oid, typmod)
		}
		return "numeric"
	case IntervalOID:
		if withMod {
			return "interval" + typmodOut(oid, typmod)
		}
		return "interval"
	case TimeOID:
		if withMod {
			return "time" + typmodOut(oid, typmod)
		}
		return "time without time zone"
	case TimetzOID:
		if withMod {
			return "time" + typmodOut(oid, typmod)
		}
		return "time with time zone"
	case TimestampOID:
		if withMod {
			return "timestamp" + typmodOut(oid, typmod)
		}
		return "timestamp without time zone"
	case TimestamptzOID:
		if withMod {
			return "timestamp" + typmodOut(oid, typmod)
		}
		return "timestamp with time zone"
	case VarbitOID:
		if withMod {
			return "bit varying" + typmodOut(oid, typmod)
		}
		return "bit varying"
	case VarcharOID:
		if withMod {
			return "character varying" + typmodOut(oid, typmod)
		}
		return "character varying"
	}
	name := pgsql.QuoteIdent(t.Name)
	if withMod && t.ModOut != "-" {
		name += typmodOut(oid, typmod)
	}
	return name
}

// typmodOut is the typmodout function of the built-in types that have one.
func typmodOut(oid uint32, typmod int32) string {
	switch oid {
	case VarcharOID, BPCharOID:
		if typmod <= 4 {
			return ""
		}
		return "(" + strconv.Itoa(int(typmod-4)) + ")"
	case NumericOID:
		v := typmod - 4
		prec := (v >> 16) & 0xffff
		scale := ((v & 0x7ff) ^ 1024) - 1024
		return "(" + strconv.Itoa(int(prec)) + "," + strconv.Itoa(int(scale)) + ")"
	case BitOID, VarbitOID:
		return "(" + strconv.Itoa(int(typmod)) + ")"
	case TimeOID:
		return "(" + strconv.Itoa(int(typmod)) + ") without time zone"
	case TimetzOID:
		return "(" + strconv.Itoa(int(typmod)) + ") with time zone"
	case TimestampOID:
		return "(" + strconv.Itoa(int(typmod)) + ") without time zone"
	case TimestamptzOID:
		return "(" + strconv.Itoa(int(typmod)) + ") with time zone"
	case IntervalOID:
		return intervalTypmodOut(typmod)
	}
	return ""
}

// intervalTypmodOut mirrors PostgreSQL's intervaltypmodout: the field
// restriction (" year", " day to second", …) then the precision.
func intervalTypmodOut(typmod int32) string {
	const (
		month  = 1 << 1
		year   = 1 << 2
		day    = 1 << 3
		hour   = 1 << 10
		minute = 1 << 11
		second = 1 << 12
		full   = 0x7fff
	)
	fields := (typmod >> 16) & 0x7fff
	prec := typmod & 0xffff
	var f string
	switch fields {
	case year:
		f = " year"
	case month:
		f = " month"
	case day:
		f = " day"
	case hour:
		f = " hour"
	case minute:
		f = " minute"
	case second:
		f = " second"
	case year | month:
		f = " year to month"
	case day | hour:
		f = " day to hour"
	case day | hour | minute:
		f = " day to minute"
	case day | hour | minute | second:
		f = " day to second"
	case hour | minute:
		f = " hour to minute"
	case hour | minute | second:
		f = " hour to second"
	case minute | second:
		f = " minute to second"
	case full:
		f = ""
	}
	if prec != 0xffff {
		return f + "(" + strconv.Itoa(int(prec)) + ")"
	}
	return f
}
