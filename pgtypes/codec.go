package pgtypes

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// Wire format codes of the Bind and RowDescription messages.
const (
	TextFormat   int16 = 0
	BinaryFormat int16 = 1
)

// Codec converts values between SQLite storage and the PostgreSQL wire for
// one session. It holds the session settings that change how values print
// (TimeZone) and a pgtype.Map that performs the binary encodings.
//
// A Codec is not safe for concurrent use: it keeps scratch values that are
// handed to pgtype by pointer so that encoding a row does not allocate.
type Codec struct {
	m      *pgtype.Map
	loc    *time.Location // session TimeZone
	tzName string         // TimeZone as SHOW prints it
	zones  map[string]*time.Location

	encPlans  map[uint32]pgtype.EncodePlan // binary plans for the scratch types below, by OID
	scanPlans map[uint32]pgtype.ScanPlan   // binary plans for the scratch types below, by OID

	// Scratch values, passed to pgtype by pointer: a pointer fits in an
	// interface without allocating, and every pgtype valuer/scanner interface
	// is implemented by the pointer types too.
	i8   pgtype.Int8
	u32  pgtype.Uint32
	f4   pgtype.Float4
	f8   pgtype.Float8
	bl   pgtype.Bool
	num  pgtype.Numeric
	uuid pgtype.UUID
	date pgtype.Date
	tm   pgtype.Time
	ts   pgtype.Timestamp
	tstz pgtype.Timestamptz
	iv   pgtype.Interval
}

// NewCodec returns a Codec with PostgreSQL's default settings: TimeZone UTC,
// DateStyle ISO (the only one supported), IntervalStyle postgres.
func NewCodec() *Codec {
	m := pgtype.NewMap()
	// pgtype does not know the reg* types; on the wire they are plain OIDs.
	for _, oid := range []uint32{RegprocOID, RegprocedureOID, RegoperOID, RegoperatorOID, RegclassOID,
		RegtypeOID, RegconfigOID, RegdictionaryOID, RegnamespaceOID, RegroleOID, RegcollationOID} {
		ti := infoByOID[oid]
		elem := &pgtype.Type{Name: ti.name, OID: oid, Codec: pgtype.Uint32Codec{}}
		m.RegisterType(elem)
		m.RegisterType(&pgtype.Type{Name: "_" + ti.name, OID: ti.array, Codec: &pgtype.ArrayCodec{ElementType: elem}})
	}
	return &Codec{
		m:         m,
		loc:       time.UTC,
		tzName:    "UTC",
		zones:     make(map[string]*time.Location),
		encPlans:  make(map[uint32]pgtype.EncodePlan),
		scanPlans: make(map[uint32]pgtype.ScanPlan),
	}
}

// family groups the OIDs that share a conversion path.
type family uint8

const (
	famText        family = iota // text, varchar, bpchar, name, unknown, xml, enums and other user types
	famUnspecified               // OID 0: infer from the value (Encode) or treat as text (Decode)
	famInt2
	famInt4
	famInt8
	famOID // oid, xid, cid, reg*: unsigned 32-bit
	famFloat4
	famFloat8
	famNumeric
	famBool
	famBytea
	famUUID
	famJSON
	famJSONB
	famDate
	famTime
	famTimestamp
	famTimestamptz
	famInterval
	famArray
	famOther // other built-in types (inet, point, money, ...): text as stored, binary through pgtype
)

func familyOf(oid uint32) family {
	switch oid {
	case 0:
		return famUnspecified
	case TextOID, VarcharOID, BPCharOID, NameOID, UnknownOID, XMLOID, JSONPathOID, QCharOID, CstringOID, PgNodeTreeOID, 1790 /* refcursor */ :
		return famText
	case Int2OID:
		return famInt2
	case Int4OID:
		return famInt4
	case Int8OID:
		return famInt8
	case OIDOID, XIDOID, CIDOID, RegprocOID, RegprocedureOID, RegoperOID, RegoperatorOID, RegclassOID,
		RegtypeOID, RegconfigOID, RegdictionaryOID, RegnamespaceOID, RegroleOID, RegcollationOID:
		return famOID
	case Float4OID:
		return famFloat4
	case Float8OID:
		return famFloat8
	case NumericOID:
		return famNumeric
	case BoolOID:
		return famBool
	case ByteaOID:
		return famBytea
	case UUIDOID:
		return famUUID
	case JSONOID:
		return famJSON
	case JSONBOID:
		return famJSONB
	case DateOID:
		return famDate
	case TimeOID:
		return famTime
	case TimestampOID:
		return famTimestamp
	case TimestamptzOID:
		return famTimestamptz
	case IntervalOID:
		return famInterval
	}
	ti, ok := infoByOID[oid]
	if !ok {
		return famText
	}
	if ti.elem != 0 && ti.category == 'A' && ti.len == -1 && ti.name[0] == '_' {
		return famArray
	}
	if ti.typtype == 'p' {
		return famText
	}
	return famOther
}

// vkind is the storage class of a SQLite value.
type vkind uint8

const (
	vNull vkind = iota
	vInt
	vFloat
	vText
	vBlob
	vTime
)

// sval is a SQLite value unpacked from its interface without copying, so
// the per-type encoders can switch on the storage class.
type sval struct {
	k      vkind
	isBool bool // vInt that came from a Go bool
	i      int64
	f      float64
	s      string
	b      []byte
	t      time.Time
	raw    any // the original value, reused when pgtype accepts it as is
}

func classify(v any) (sval, error) {
	switch x := v.(type) {
	case nil:
		return sval{k: vNull}, nil
	case int64:
		return sval{k: vInt, i: x, raw: v}, nil
	case float64:
		return sval{k: vFloat, f: x, raw: v}, nil
	case string:
		return sval{k: vText, s: x, raw: v}, nil
	case []byte:
		if x == nil {
			return sval{k: vNull}, nil
		}
		return sval{k: vBlob, b: x, raw: v}, nil
	case time.Time:
		return sval{k: vTime, t: x, raw: v}, nil
	case bool:
		var i int64
		if x {
			i = 1
		}
		return sval{k: vInt, i: i, isBool: true}, nil
	case int:
		return sval{k: vInt, i: int64(x)}, nil
	case int32:
		return sval{k: vInt, i: int64(x)}, nil
	case int16:
		return sval{k: vInt, i: int64(x)}, nil
	case int8:
		return sval{k: vInt, i: int64(x)}, nil
	case uint8:
		return sval{k: vInt, i: int64(x)}, nil
	case uint16:
		return sval{k: vInt, i: int64(x)}, nil
	case uint32:
		return sval{k: vInt, i: int64(x)}, nil
	case uint64:
		if x > math.MaxInt64 {
			return sval{k: vText, s: strconv.FormatUint(x, 10)}, nil
		}
		return sval{k: vInt, i: int64(x)}, nil
	case uint:
		return classify(uint64(x))
	case float32:
		return sval{k: vFloat, f: float64(x)}, nil
	case *string:
		if x == nil {
			return sval{k: vNull}, nil
		}
		return sval{k: vText, s: *x}, nil
	}
	return sval{}, errorf(CodeInternalError, "pgtypes: cannot convert Go value of type %T", v)
}

// text returns the value's textual form the way SQLite's CAST(x AS TEXT)
// would, for parsers that only understand text. It allocates for non-text
// values; the hot paths avoid it.
func (sv sval) text() string {
	switch sv.k {
	case vText:
		return sv.s
	case vBlob:
		return string(sv.b)
	case vInt:
		return strconv.FormatInt(sv.i, 10)
	case vFloat:
		return string(appendFloat8(nil, sv.f))
	case vTime:
		return sv.t.Format("2006-01-02 15:04:05.999999Z07:00")
	}
	return ""
}

// inferType is InferFromValue for an unpacked value.
func (sv sval) inferType() Type {
	switch sv.k {
	case vInt:
		if sv.isBool {
			return TypeBool
		}
		return TypeInt8
	case vFloat:
		return TypeFloat8
	case vBlob:
		return TypeBytea
	case vTime:
		return TypeTimestamptz
	}
	return TypeText
}

// Encode appends the wire form of a SQLite value v of column type t in the
// given format (TextFormat or BinaryFormat) to buf and returns the extended
// buffer. A NULL value (nil) returns (nil, nil) and leaves buf alone: the
// caller writes the -1 length. Any other value returns a non-nil slice, even
// when it appends nothing (the empty string).
//
// v is what the SQLite driver produced: int64, float64, string, []byte, nil,
// and also time.Time (modernc's DATE/DATETIME columns) and the other Go
// integer, float and bool types. Values stored in a shape other than the
// storage convention for t (see the package documentation) are converted,
// or rejected with an *Error carrying PostgreSQL's SQLSTATE.
func (c *Codec) Encode(buf []byte, t Type, format int16, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	sv, err := classify(v)
	if err != nil {
		return nil, err
	}
	if sv.k == vNull {
		return nil, nil
	}
	var out []byte
	switch format {
	case TextFormat:
		out, err = c.appendText(buf, t, sv)
	case BinaryFormat:
		out, err = c.appendBinary(buf, t, sv)
	default:
		return nil, errorf(CodeProtocolViolation, "unsupported format code: %d", format)
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// Decode converts a Bind parameter of type t, in the given format, into the
// value to bind in SQLite, following the storage conventions. A nil src (SQL
// NULL) returns nil. The result never aliases src, which the wire layer
// reuses. OID 0 or an unknown type in text format yields the string as is.
//
// When t carries a modifier (a parameter inferred from a varchar(n) or
// numeric(p,s) column), Decode applies it as an assignment would: strings
// longer than n fail with 22001, numerics are rounded to the scale and fail
// with 22003 if they exceed the precision. Pass Modifier -1 for parameters
// that are only compared.
func (c *Codec) Decode(t Type, format int16, src []byte) (any, error) {
	if src == nil {
		return nil, nil
	}
	switch format {
	case TextFormat:
		return c.decodeText(t, src)
	case BinaryFormat:
		return c.decodeBinary(t, src)
	}
	return nil, errorf(CodeProtocolViolation, "unsupported format code: %d", format)
}

// SupportsBinary reports whether Encode and Decode handle t in binary format.
func (c *Codec) SupportsBinary(t Type) bool {
	dt, registered := c.m.TypeForOID(t.OID)
	switch familyOf(t.OID) {
	case famText:
		// Types pgtype does not know (enums, domains of text) are sent as
		// their text bytes, which is their binary form too.
		return !registered || dt.Codec.FormatSupported(BinaryFormat)
	case famOther:
		return registered && dt.Codec.FormatSupported(BinaryFormat)
	case famArray:
		return registered && dt.Codec.FormatSupported(BinaryFormat) && c.SupportsBinary(t.Elem())
	}
	return true
}

// encodePlan returns pgtype's binary plan for t.OID and a scratch value
// type, cached per OID: each family always hands pgtype the same Go type.
func (c *Codec) encodePlan(oid uint32, value any) (pgtype.EncodePlan, error) {
	if p, ok := c.encPlans[oid]; ok {
		return p, nil
	}
	p := c.m.PlanEncode(oid, BinaryFormat, value)
	if p == nil {
		return nil, errorf(CodeUndefinedFunction, "no binary output function available for type %s", typeNameForOID(oid))
	}
	c.encPlans[oid] = p
	return p, nil
}

// scan decodes binary src into one of the scratch targets through pgtype.
func (c *Codec) scan(t Type, src []byte, target any) error {
	p, ok := c.scanPlans[t.OID]
	if !ok {
		p = c.m.PlanScan(t.OID, BinaryFormat, target)
		c.scanPlans[t.OID] = p
	}
	if err := p.Scan(src, target); err != nil {
		return binaryFormatError(t, err)
	}
	return nil
}

func typeNameForOID(oid uint32) string {
	if ti, ok := infoByOID[oid]; ok {
		return ti.display
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// checkText rejects what PostgreSQL's UTF8 database would: invalid UTF-8 and
// NUL bytes.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		return errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
	}
	for _, c := range b {
		if c == 0 {
			return errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
		}
	}
	return nil
}
