package forward

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Value tags. Each value is one tag byte followed by its payload.
const (
	tagNil      = 0
	tagInt      = 1 // zigzag varint
	tagFloat    = 2 // IEEE 754 bits, little-endian: NaN payloads survive
	tagFalse    = 3
	tagTrue     = 4
	tagString   = 5 // uvarint length + bytes
	tagBytes    = 6 // uvarint length + bytes
	tagNilBytes = 7 // []byte(nil), distinct from an empty blob
	tagTime     = 8 // varint unix seconds, uvarint nanoseconds, varint offset, zone name as a string
	tagTimeUTC  = 9 // varint unix seconds, uvarint nanoseconds
)

// appendValue encodes v. The types the engine deals in round-trip exactly;
// other integer and float kinds are widened to int64 and float64, which
// is what the SQLite driver does with them anyway.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNil), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt), x), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		if x == nil {
			return append(b, tagNilBytes), nil
		}
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(x)))
		return append(b, x...), nil
	case time.Time:
		// Not MarshalBinary: it loses offsets that are not whole minutes.
		// The instant and the zone's name and offset survive; a named
		// location becomes a fixed zone, since the two nodes' zone
		// databases (and Local) may differ.
		if x.Location() == time.UTC {
			b = binary.AppendVarint(append(b, tagTimeUTC), x.Unix())
			return binary.AppendUvarint(b, uint64(x.Nanosecond())), nil
		}
		name, off := x.Zone()
		b = binary.AppendVarint(append(b, tagTime), x.Unix())
		b = binary.AppendUvarint(b, uint64(x.Nanosecond()))
		b = binary.AppendVarint(b, int64(off))
		b = binary.AppendUvarint(b, uint64(len(name)))
		return append(b, name...), nil
	case int:
		return appendValue(b, int64(x))
	case int8:
		return appendValue(b, int64(x))
	case int16:
		return appendValue(b, int64(x))
	case int32:
		return appendValue(b, int64(x))
	case uint8:
		return appendValue(b, int64(x))
	case uint16:
		return appendValue(b, int64(x))
	case uint32:
		return appendValue(b, int64(x))
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("value %d overflows int64", x)
		}
		return appendValue(b, int64(x))
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("value %d overflows int64", x)
		}
		return appendValue(b, int64(x))
	case float32:
		return appendValue(b, float64(x))
	}
	return nil, fmt.Errorf("cannot forward a value of type %T", v)
}

// appendValues encodes vs one after the other (the count travels
// separately).
func appendValues(b []byte, vs []any) ([]byte, error) {
	for _, v := range vs {
		var err error
		if b, err = appendValue(b, v); err != nil {
			return nil, err
		}
	}
	return b, nil
}

var (
	errTruncated = errors.New("truncated value")
	errBadTime   = errors.New("malformed time value")
)

// decodeValues decodes exactly len(dst) values from b into dst.
func decodeValues(b []byte, dst []any) error {
	for i := range dst {
		if len(b) == 0 {
			return errTruncated
		}
		tag := b[0]
		b = b[1:]
		switch tag {
		case tagNil:
			dst[i] = nil
		case tagInt:
			x, n := binary.Varint(b)
			if n <= 0 {
				return errTruncated
			}
			dst[i], b = x, b[n:]
		case tagFloat:
			if len(b) < 8 {
				return errTruncated
			}
			dst[i], b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
		case tagFalse:
			dst[i] = false
		case tagTrue:
			dst[i] = true
		case tagString, tagBytes:
			var p []byte
			if p, b = readBytes(b); p == nil {
				return errTruncated
			}
			if tag == tagString {
				dst[i] = string(p)
			} else {
				dst[i] = append([]byte{}, p...)
			}
		case tagTime, tagTimeUTC:
			sec, n := binary.Varint(b)
			if n <= 0 {
				return errTruncated
			}
			b = b[n:]
			nsec, n := binary.Uvarint(b)
			if n <= 0 || nsec >= 1e9 {
				return errBadTime
			}
			b = b[n:]
			t := time.Unix(sec, int64(nsec))
			if tag == tagTimeUTC {
				dst[i] = t.UTC()
				break
			}
			off, n := binary.Varint(b)
			if n <= 0 || off < -1e6 || off > 1e6 {
				return errBadTime
			}
			b = b[n:]
			var name []byte
			if name, b = readBytes(b); name == nil {
				return errTruncated
			}
			dst[i] = t.In(time.FixedZone(string(name), int(off)))
		case tagNilBytes:
			dst[i] = []byte(nil)
		default:
			return fmt.Errorf("unknown value tag %d", tag)
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("%d stray bytes after values", len(b))
	}
	return nil
}

// readBytes reads a uvarint length and that many bytes; the result is nil
// (not empty) when b is too short.
func readBytes(b []byte) (p, rest []byte) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, b
	}
	return b[n : n+int(l) : n+int(l)], b[n+int(l):]
}
