package catalog

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// renderDefault turns a column default as SQLite keeps it (the expression
// text) into what PostgreSQL's pg_get_expr(adbin, adrelid) prints for the
// same default: constants carry PostgreSQL's decoration ('x'::text,
// '-1'::integer, 1.5), SQL-standard value functions are upper case, and
// other expressions are parenthesised. It returns "" for DEFAULT NULL,
// which PostgreSQL does not store. codec may be nil.
func renderDefault(codec *pgtypes.Codec, dflt string, t pgType) string {
	s := stripOuterParens(dflt)
	toks := lexSQL(s)
	if len(toks) == 0 {
		return ""
	}
	if len(toks) == 1 || (len(toks) == 2 && toks[0].kind == tkOp && (toks[0].text == "-" || toks[0].text == "+") && toks[1].kind == tkNumber) {
		last := toks[len(toks)-1]
		switch {
		case last.is("NULL"):
			return ""
		case last.is("TRUE"), last.is("FALSE"):
			return strings.ToLower(last.text)
		case last.kind == tkNumber:
			neg := len(toks) == 2 && toks[0].text == "-"
			return numericConst(last.text, neg)
		case last.kind == tkString:
			return typedConst(codec, last.val, t)
		case last.kind == tkIdent && sqlValueFunctions[strings.ToUpper(last.text)]:
			return strings.ToUpper(last.text)
		}
	}
	return nonPrettyExpr(s)
}

// nonPrettyExpr renders an expression as pg_get_expr does without pretty
// printing: parenthesised unless it is a single token or a function call.
// Catalog expression columns (adbin, indpred, conbin) hold this form.
func nonPrettyExpr(expr string) string {
	s := stripOuterParens(expr)
	if len(lexSQL(s)) <= 1 || isFuncCall(s) {
		return s
	}
	return "(" + s + ")"
}

var sqlValueFunctions = map[string]bool{
	"CURRENT_TIMESTAMP": true, "CURRENT_DATE": true, "CURRENT_TIME": true, "LOCALTIME": true,
	"LOCALTIMESTAMP": true, "CURRENT_USER": true, "SESSION_USER": true, "CURRENT_ROLE": true,
	"CURRENT_CATALOG": true, "CURRENT_SCHEMA": true, "USER": true,
}

// numericConst prints a numeric literal as PostgreSQL's deparser does for
// the constant the parser made of it: integers that fit int4 are int4
// (bare unless negative), larger ones int8, others numeric (bare when the
// output has a '.' or exponent and no sign).
func numericConst(lit string, neg bool) string {
	sign := ""
	if neg {
		sign = "-"
	}
	if !strings.ContainsAny(lit, ".eE") {
		if n, err := strconv.ParseInt(sign+lit, 10, 64); err == nil {
			switch {
			case n >= -1<<31 && n < 1<<31 && !neg:
				return strconv.FormatInt(n, 10)
			case n >= -1<<31 && n < 1<<31:
				return "'" + strconv.FormatInt(n, 10) + "'::integer"
			default:
				return "'" + strconv.FormatInt(n, 10) + "'::bigint"
			}
		}
	}
	out := numericOut(lit)
	if !neg && strings.ContainsAny(out, ".eE") {
		return out
	}
	return "'" + sign + out + "'::numeric"
}

// numericOut is numeric_out of a decimal literal: plain notation, with the
// scale the literal implies (digits after the point minus the exponent).
func numericOut(lit string) string {
	mant, exp := lit, 0
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mant = lit[:i]
		e, err := strconv.Atoi(lit[i+1:])
		if err != nil {
			return lit
		}
		exp = e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	scale -= exp
	if scale < 0 {
		scale = 0
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return lit
	}
	return r.FloatString(scale)
}

// typedConst prints a string literal coerced to the column's type.
func typedConst(codec *pgtypes.Codec, val string, t pgType) string {
	switch t.OID {
	case oidInt4:
		if n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 32); err == nil {
			return numericConst(strconv.FormatInt(abs64(n), 10), n < 0)
		}
	case oidBool:
		if b, err := parseBool(val); err == nil {
			if b {
				return "true"
			}
			return "false"
		}
	case oidNumeric:
		v := strings.TrimSpace(val)
		neg := strings.HasPrefix(v, "-")
		v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
		if _, ok := new(big.Rat).SetString(v); ok {
			return numericConst(v, neg)
		}
	}
	out := val
	if codec != nil && t.OID != oidText && t.OID != oidVarchar && t.OID != oidBpchar && t.OID != oidName {
		pt := pgtypes.Type{OID: t.OID, Name: t.Name, Size: t.Size, Modifier: -1}
		if stored, err := codec.Decode(pt, pgtypes.TextFormat, []byte(val)); err == nil {
			if b, err := codec.Encode(nil, pt, pgtypes.TextFormat, stored); err == nil {
				out = string(b)
			}
		}
	}
	return "'" + strings.ReplaceAll(out, "'", "''") + "'::" + formatType(t.OID, -1, true)
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
