package pgtypes

import (
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// decodeText converts a text-format parameter with the type's input
// function rules into its storage value.
func (c *Codec) decodeText(t Type, src []byte) (any, error) {
	f := familyOf(t.OID)
	switch f {
	case famBytea:
		// bytea input is ASCII escapes; its content need not be UTF-8 text,
		// but the message itself must be.
		if err := checkText(src); err != nil {
			return nil, err
		}
		return parseByteaText(string(src))
	}
	if err := checkText(src); err != nil {
		return nil, err
	}
	s := string(src)
	switch f {
	case famUnspecified, famText:
		if t.OID == QCharOID {
			return string(appendQChar(nil, qcharFromText(s))), nil
		}
		return checkLength(t, s)
	case famOther:
		// Stored as given, after checking that pgtype's codec for the type
		// (where there is one) can read it.
		if dt, ok := c.m.TypeForOID(t.OID); ok {
			if _, err := dt.Codec.DecodeValue(c.m, t.OID, TextFormat, src); err != nil {
				return nil, syntaxError(t, s)
			}
		}
		return s, nil
	case famJSON:
		if err := checkJSON(src); err != nil {
			return nil, err
		}
		return s, nil
	case famJSONB:
		return normalizeJSONB(s)
	case famInt2, famInt4, famInt8, famOID:
		n, err := parseIntText(t, s)
		if err != nil {
			return nil, err
		}
		if f == famOID && n < 0 {
			n = int64(uint32(n))
		}
		return n, nil
	case famFloat4, famFloat8:
		v, err := parseFloatText(t, s)
		if err != nil {
			return nil, err
		}
		return floatStorage(v), nil
	case famNumeric:
		d, ok := parseDecimal(s)
		if !ok {
			return nil, syntaxError(t, s)
		}
		d, err := d.applyTypmod(t)
		if err != nil {
			return nil, err
		}
		return d.storage(), nil
	case famBool:
		b, ok := parseBoolText(s)
		if !ok {
			return nil, syntaxError(t, s)
		}
		return boolStorage(b), nil
	case famUUID:
		u, ok := parseUUID(s)
		if !ok {
			return nil, syntaxError(t, s)
		}
		return string(appendUUID(make([]byte, 0, 36), u)), nil
	case famDate:
		days, inf, err := c.parseDate(t, s)
		if err != nil {
			return nil, err
		}
		return storageDate(days, inf), nil
	case famTime:
		us, err := c.parseTime(t, s)
		if err != nil {
			return nil, err
		}
		return storageTime(roundTime(us, t.Modifier)), nil
	case famTimestamp:
		us, inf, err := c.parseTimestamp(t, s)
		if err != nil {
			return nil, err
		}
		return storageTimestamp(roundTimestamp(us, t.Modifier), inf), nil
	case famTimestamptz:
		// A parameter without an offset is in the session time zone.
		us, inf, err := c.parseTimestamptz(t, s, c.loc)
		if err != nil {
			return nil, err
		}
		return storageTimestamptz(roundTimestamp(us, t.Modifier), inf), nil
	case famInterval:
		iv, err := intervalValue(t, sval{k: vText, s: s})
		if err != nil {
			return nil, err
		}
		return iv.String(), nil
	case famArray:
		return c.decodeArray(t, TextFormat, src)
	}
	return s, nil
}

func boolStorage(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// decodeBinary converts a binary-format parameter, decoded by pgtype, into
// its storage value.
func (c *Codec) decodeBinary(t Type, src []byte) (any, error) {
	switch familyOf(t.OID) {
	case famUnspecified:
		// PostgreSQL cannot read a binary value of unknown type either; keep
		// the bytes rather than guess.
		return append([]byte{}, src...), nil
	case famText, famJSON:
		if t.OID == QCharOID {
			if len(src) > 1 {
				return nil, binaryFormatError(t, nil)
			}
			var b byte
			if len(src) == 1 {
				b = src[0]
			}
			return string(appendQChar(nil, b)), nil
		}
		if err := checkText(src); err != nil {
			return nil, err
		}
		if t.OID == JSONOID {
			if err := checkJSON(src); err != nil {
				return nil, err
			}
		}
		return checkLength(t, string(src))
	case famJSONB:
		if len(src) == 0 || src[0] != 1 {
			return nil, binaryFormatError(t, nil)
		}
		if err := checkText(src[1:]); err != nil {
			return nil, err
		}
		return normalizeJSONB(string(src[1:]))
	case famInt2, famInt4, famInt8:
		if err := c.scan(t, src, &c.i8); err != nil {
			return nil, err
		}
		return c.i8.Int64, nil
	case famOID:
		if err := c.scan(t, src, &c.u32); err != nil {
			return nil, err
		}
		return int64(c.u32.Uint32), nil
	case famFloat4:
		if err := c.scan(t, src, &c.f4); err != nil {
			return nil, err
		}
		return floatStorage(float64(c.f4.Float32)), nil
	case famFloat8:
		if err := c.scan(t, src, &c.f8); err != nil {
			return nil, err
		}
		return floatStorage(c.f8.Float64), nil
	case famNumeric:
		if err := c.scan(t, src, &c.num); err != nil {
			return nil, err
		}
		d := decimalFromPg(c.num)
		if d.digits == "0" && !d.nan && d.inf == 0 && len(src) >= 8 {
			// pgtype drops the display scale of a zero ("0.00").
			dscale := int(int16(uint16(src[6])<<8 | uint16(src[7])))
			if dscale < 0 || dscale > 1000 {
				return nil, binaryFormatError(t, nil)
			}
			d.scale = dscale
		}
		d, err := d.applyTypmod(t)
		if err != nil {
			return nil, err
		}
		return d.storage(), nil
	case famBool:
		if err := c.scan(t, src, &c.bl); err != nil {
			return nil, err
		}
		return boolStorage(c.bl.Bool), nil
	case famBytea:
		return append([]byte{}, src...), nil
	case famUUID:
		if err := c.scan(t, src, &c.uuid); err != nil {
			return nil, err
		}
		return string(appendUUID(make([]byte, 0, 36), c.uuid.Bytes)), nil
	case famDate:
		if err := c.scan(t, src, &c.date); err != nil {
			return nil, err
		}
		if c.date.InfinityModifier != pgtype.Finite {
			return storageDate(0, int(c.date.InfinityModifier)), nil
		}
		days, _ := floorDiv(c.date.Time.Unix(), secPerDay)
		days -= pgEpochDays
		return storageDate(days, finite), nil
	case famTime:
		if err := c.scan(t, src, &c.tm); err != nil {
			return nil, err
		}
		if c.tm.Microseconds < 0 || c.tm.Microseconds > usPerDay {
			return nil, errorf(CodeDatetimeFieldOverflow, "time out of range")
		}
		return storageTime(roundTime(c.tm.Microseconds, t.Modifier)), nil
	case famTimestamp:
		if err := c.scan(t, src, &c.ts); err != nil {
			return nil, err
		}
		if c.ts.InfinityModifier != pgtype.Finite {
			return storageTimestamp(0, int(c.ts.InfinityModifier)), nil
		}
		us, err := checkTimestampRange(c.ts.Time)
		if err != nil {
			return nil, err
		}
		return storageTimestamp(roundTimestamp(us, t.Modifier), finite), nil
	case famTimestamptz:
		if err := c.scan(t, src, &c.tstz); err != nil {
			return nil, err
		}
		if c.tstz.InfinityModifier != pgtype.Finite {
			return storageTimestamptz(0, int(c.tstz.InfinityModifier)), nil
		}
		us, err := checkTimestampRange(c.tstz.Time)
		if err != nil {
			return nil, err
		}
		return storageTimestamptz(roundTimestamp(us, t.Modifier), finite), nil
	case famInterval:
		if err := c.scan(t, src, &c.iv); err != nil {
			return nil, err
		}
		return interval{months: c.iv.Months, days: c.iv.Days, us: c.iv.Microseconds}.round(t.Modifier).String(), nil
	case famArray:
		return c.decodeArray(t, BinaryFormat, src)
	case famOther:
		return c.decodeGenericBinary(t, src)
	}
	return nil, binaryFormatError(t, nil)
}

func checkTimestampRange(tm time.Time) (int64, error) {
	if tm.Year() > 294277 || tm.Year() < -4714 {
		return 0, errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
	}
	us := timeToPG(tm)
	if us < minTimestampUS || us >= endTimestampUS {
		return 0, errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
	}
	return us, nil
}

// decodeGenericBinary reads a binary value of a type this package does not
// know in detail through pgtype, and stores PostgreSQL's text form of it.
func (c *Codec) decodeGenericBinary(t Type, src []byte) (any, error) {
	dt, ok := c.m.TypeForOID(t.OID)
	if !ok {
		return nil, errorf(CodeUndefinedFunction, "no binary input function available for type %s", t.FormatType())
	}
	v, err := dt.Codec.DecodeValue(c.m, t.OID, BinaryFormat, src)
	if err != nil {
		return nil, binaryFormatError(t, err)
	}
	// inet prints a host address without its full-length mask, unlike
	// pgtype's text form.
	if p, ok := v.(netip.Prefix); ok && t.OID == InetOID && p.Bits() == p.Addr().BitLen() {
		return p.Addr().String(), nil
	}
	out, err := c.m.Encode(t.OID, TextFormat, v, nil)
	if err != nil || out == nil {
		return nil, binaryFormatError(t, err)
	}
	return string(out), nil
}
