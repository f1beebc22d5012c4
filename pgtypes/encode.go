package pgtypes

import (
	"math"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// appendText appends the text-format output of a stored value, exactly as
// the type's PostgreSQL output function prints it.
func (c *Codec) appendText(buf []byte, t Type, sv sval) ([]byte, error) {
	f := familyOf(t.OID)
	if f == famUnspecified {
		t = sv.inferType()
		f = familyOf(t.OID)
	}
	switch f {
	case famText, famOther, famJSON:
		if t.OID == QCharOID {
			return appendQChar(buf, qcharFromText(sv.text())), nil
		}
		switch sv.k {
		case vText:
			switch {
			case t.OID == BPCharOID:
				return appendPadded(buf, t, sv.s), nil
			case t.OID == NameOID && len(sv.s) > 63:
				s, _ := checkLength(t, sv.s)
				return append(buf, s...), nil
			}
			return append(buf, sv.s...), nil
		case vBlob:
			if t.OID == BPCharOID {
				return appendPadded(buf, t, string(sv.b)), nil
			}
			return append(buf, sv.b...), nil
		case vInt:
			if sv.isBool {
				if sv.i != 0 {
					return append(buf, "true"...), nil
				}
				return append(buf, "false"...), nil
			}
			return appendPadded(buf, t, string(appendInt(nil, famInt8, sv.i))), nil
		case vFloat:
			return appendFloat8(buf, sv.f), nil
		case vTime:
			return c.appendTimestamptzText(buf, timeToPG(sv.t)), nil
		}
	case famInt2, famInt4, famInt8, famOID:
		n, err := intValue(t, sv)
		if err != nil {
			return nil, err
		}
		return appendInt(buf, f, n), nil
	case famFloat4:
		v, err := float4Value(t, sv)
		if err != nil {
			return nil, err
		}
		return appendFloat4(buf, v), nil
	case famFloat8:
		v, err := floatValue(t, sv)
		if err != nil {
			return nil, err
		}
		return appendFloat8(buf, v), nil
	case famNumeric:
		return appendNumericText(buf, t, sv)
	case famBool:
		b, err := boolValue(sv)
		if err != nil {
			return nil, err
		}
		if b {
			return append(buf, 't'), nil
		}
		return append(buf, 'f'), nil
	case famBytea:
		b, err := byteaValue(sv)
		if err != nil {
			return nil, err
		}
		return appendByteaHex(buf, b), nil
	case famUUID:
		if sv.k == vText && isCanonicalUUID(sv.s) {
			return append(buf, sv.s...), nil
		}
		u, err := uuidValue(sv)
		if err != nil {
			return nil, err
		}
		return appendUUID(buf, u), nil
	case famJSONB:
		return appendJSONBText(buf, sv)
	case famDate:
		days, inf, err := c.dateValue(t, sv)
		if err != nil {
			return nil, err
		}
		if inf != finite {
			return appendInfinity(buf, inf), nil
		}
		buf, bc := appendDate(buf, days)
		if bc {
			buf = append(buf, " BC"...)
		}
		return buf, nil
	case famTime:
		us, err := c.timeValue(t, sv)
		if err != nil {
			return nil, err
		}
		return appendClock(buf, roundTime(us, t.Modifier)), nil
	case famTimestamp:
		us, inf, err := c.wallValue(t, sv)
		if err != nil {
			return nil, err
		}
		if inf != finite {
			return appendInfinity(buf, inf), nil
		}
		return appendTimestamp(buf, roundTimestamp(us, t.Modifier), false, 0), nil
	case famTimestamptz:
		us, inf, err := c.instantValue(t, sv)
		if err != nil {
			return nil, err
		}
		if inf != finite {
			return appendInfinity(buf, inf), nil
		}
		return c.appendTimestamptzText(buf, roundTimestamp(us, t.Modifier)), nil
	case famInterval:
		iv, err := intervalValue(t, sv)
		if err != nil {
			return nil, err
		}
		return iv.appendTo(buf), nil
	case famArray:
		return c.appendArrayText(buf, t, sv)
	}
	return nil, errorf(CodeInternalError, "pgtypes: no text output for type %s", t.FormatType())
}

// float4Value returns a stored value as a float4; a finite double that does
// not fit is an error, as the float8 → float4 cast is.
func float4Value(t Type, sv sval) (float32, error) {
	v, err := floatValue(t, sv)
	if err != nil {
		return 0, err
	}
	f := float32(v)
	if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
		return 0, errorf(CodeNumericValueOutOfRange, "value out of range: overflow")
	}
	if f == 0 && v != 0 {
		return 0, errorf(CodeNumericValueOutOfRange, "value out of range: underflow")
	}
	return f, nil
}

// appendBinary appends the binary-format output of a stored value, encoded
// by pgtype.
func (c *Codec) appendBinary(buf []byte, t Type, sv sval) ([]byte, error) {
	f := familyOf(t.OID)
	if f == famUnspecified {
		t = sv.inferType()
		f = familyOf(t.OID)
	}
	if f == famArray {
		return c.appendArrayBinary(buf, t, sv)
	}
	v, err := c.binaryArg(t, sv)
	if err != nil {
		return nil, err
	}
	if isScratch(v) {
		plan, err := c.encodePlan(t.OID, v)
		if err != nil {
			return nil, err
		}
		out, err := plan.Encode(v, buf)
		if err != nil {
			return nil, errorf(CodeInternalError, "encoding %s: %v", t.FormatType(), err)
		}
		return out, nil
	}
	out, err := c.m.Encode(t.OID, BinaryFormat, v, buf)
	if err != nil {
		return nil, errorf(CodeInternalError, "encoding %s: %v", t.FormatType(), err)
	}
	return out, nil
}

func isScratch(v any) bool {
	switch v.(type) {
	case *pgtype.Int8, *pgtype.Uint32, *pgtype.Float4, *pgtype.Float8, *pgtype.Bool, *pgtype.Numeric,
		*pgtype.UUID, *pgtype.Date, *pgtype.Time, *pgtype.Timestamp, *pgtype.Timestamptz, *pgtype.Interval:
		return true
	}
	return false
}

// binaryArg converts a stored value into the Go value pgtype encodes for
// t. Fixed-size types come back as pointers to the Codec's scratch fields,
// which must be used (or detached) before the next call.
func (c *Codec) binaryArg(t Type, sv sval) (any, error) {
	f := familyOf(t.OID)
	if f == famUnspecified {
		t = sv.inferType()
		f = familyOf(t.OID)
	}
	switch f {
	case famText, famJSON:
		if t.OID == QCharOID {
			return qcharFromText(sv.text()), nil
		}
		switch {
		case sv.k == vText && t.OID != BPCharOID && !(t.OID == NameOID && len(sv.s) > 63):
			if sv.raw != nil {
				return sv.raw, nil
			}
			return sv.s, nil
		case sv.k == vBlob && t.OID != BPCharOID:
			if sv.raw != nil {
				return sv.raw, nil
			}
			return sv.b, nil
		}
		b, err := c.appendText(nil, t, sv)
		if err != nil {
			return nil, err
		}
		return b, nil
	case famJSONB:
		b, err := appendJSONBText(nil, sv)
		if err != nil {
			return nil, err
		}
		return b, nil
	case famInt2, famInt4, famInt8:
		n, err := intValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.i8 = pgtype.Int8{Int64: n, Valid: true}
		return &c.i8, nil
	case famOID:
		n, err := intValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.u32 = pgtype.Uint32{Uint32: uint32(n), Valid: true}
		return &c.u32, nil
	case famFloat4:
		v, err := float4Value(t, sv)
		if err != nil {
			return nil, err
		}
		c.f4 = pgtype.Float4{Float32: v, Valid: true}
		return &c.f4, nil
	case famFloat8:
		v, err := floatValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.f8 = pgtype.Float8{Float64: v, Valid: true}
		return &c.f8, nil
	case famNumeric:
		if _, _, hasMod := t.NumericPrecisionScale(); !hasMod && sv.k == vInt {
			c.num = pgtype.Numeric{Int: big.NewInt(sv.i), Valid: true}
			return &c.num, nil
		}
		d, err := decimalValue(t, sv)
		if err != nil {
			return nil, err
		}
		if c.num, err = d.pgNumeric(); err != nil {
			return nil, err
		}
		return &c.num, nil
	case famBool:
		b, err := boolValue(sv)
		if err != nil {
			return nil, err
		}
		c.bl = pgtype.Bool{Bool: b, Valid: true}
		return &c.bl, nil
	case famBytea:
		if sv.k == vBlob {
			if sv.raw != nil {
				return sv.raw, nil
			}
			return sv.b, nil
		}
		return byteaValue(sv)
	case famUUID:
		u, err := uuidValue(sv)
		if err != nil {
			return nil, err
		}
		c.uuid = pgtype.UUID{Bytes: u, Valid: true}
		return &c.uuid, nil
	case famDate:
		days, inf, err := c.dateValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.date = pgtype.Date{Time: time.Unix((days+pgEpochDays)*secPerDay, 0).UTC(), InfinityModifier: pgtype.InfinityModifier(inf), Valid: true}
		return &c.date, nil
	case famTime:
		us, err := c.timeValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.tm = pgtype.Time{Microseconds: roundTime(us, t.Modifier), Valid: true}
		return &c.tm, nil
	case famTimestamp:
		us, inf, err := c.wallValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.ts = pgtype.Timestamp{Time: pgToTime(roundTimestamp(us, t.Modifier)).UTC(), InfinityModifier: pgtype.InfinityModifier(inf), Valid: true}
		return &c.ts, nil
	case famTimestamptz:
		us, inf, err := c.instantValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.tstz = pgtype.Timestamptz{Time: pgToTime(roundTimestamp(us, t.Modifier)), InfinityModifier: pgtype.InfinityModifier(inf), Valid: true}
		return &c.tstz, nil
	case famInterval:
		iv, err := intervalValue(t, sv)
		if err != nil {
			return nil, err
		}
		c.iv = pgtype.Interval{Months: iv.months, Days: iv.days, Microseconds: iv.us, Valid: true}
		return &c.iv, nil
	case famOther:
		return c.genericBinaryArg(t, sv)
	case famArray:
		// Arrays of arrays do not exist in PostgreSQL; an array element type
		// is never an array.
		return nil, errorf(CodeFeatureNotSupported, "nested array type %s", t.FormatType())
	}
	return nil, errorf(CodeInternalError, "pgtypes: no binary output for type %s", t.FormatType())
}

// genericBinaryArg handles built-in types this package has no special
// knowledge of (inet, point, bit, ranges, ...): the stored text is parsed
// by pgtype's codec for the type and re-encoded by it.
func (c *Codec) genericBinaryArg(t Type, sv sval) (any, error) {
	dt, ok := c.m.TypeForOID(t.OID)
	if !ok {
		return nil, errorf(CodeUndefinedFunction, "no binary output function available for type %s", t.FormatType())
	}
	text, err := c.appendText(nil, t, sv)
	if err != nil {
		return nil, err
	}
	v, err := dt.Codec.DecodeValue(c.m, t.OID, TextFormat, text)
	if err != nil {
		return nil, syntaxError(t, string(text))
	}
	return v, nil
}

var pow10us = [7]int64{1_000_000, 100_000, 10_000, 1_000, 100, 10, 1}

// roundTimestamp applies a timestamp(p) typmod as AdjustTimestampForTypmod
// does: half away from zero (the value counts from 2000-01-01, as in
// PostgreSQL).
func roundTimestamp(us int64, mod int32) int64 {
	if mod < 0 || mod >= 6 {
		return us
	}
	scale := pow10us[mod]
	half := scale / 2
	if us >= 0 {
		return (us + half) / scale * scale
	}
	return -((-us + half) / scale * scale)
}

// roundTime applies a time(p) typmod (AdjustTimeForTypmod).
func roundTime(us int64, mod int32) int64 {
	if mod < 0 || mod >= 6 {
		return us
	}
	scale := pow10us[mod]
	return (us + scale/2) / scale * scale
}
