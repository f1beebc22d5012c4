package pgcopy

import (
	"bytes"
	"encoding/binary"
)

// binarySignature starts every binary COPY stream.
var binarySignature = []byte("PGCOPY\n\377\r\n\x00")

// Header stages of the binary format.
const (
	binSignature = iota
	binFlags
	binExtLen
	binExt
	binTuples
)

// binState is the resumable part of binary decoding. A tuple is parsed
// incrementally — field headers already seen are kept in spans — so a wide
// tuple trickling in costs linear time.
type binState struct {
	stage   int
	extLeft int64 // header extension bytes still to skip

	inTuple bool
	off     int    // bytes of the current tuple parsed, from pos
	spans   []span // fields parsed so far
}

// span locates a field relative to the tuple start; n < 0 is NULL.
type span struct{ start, n int }

// binaryHeader consumes the file header (ReceiveCopyBinaryHeader). The
// extension area is skipped as it arrives rather than buffered, so its
// declared length cannot be used to make the decoder hold memory.
func (d *Decoder) binaryHeader() (ok bool, err error) {
	b := &d.bin
	for b.stage != binTuples {
		avail := d.buf[d.pos:]
		switch b.stage {
		case binSignature:
			if len(avail) < len(binarySignature) {
				if d.eof {
					return false, errorf(CodeBadCopyFileFormat, "COPY file signature not recognized")
				}
				return false, nil
			}
			if !bytes.Equal(avail[:len(binarySignature)], binarySignature) {
				return false, errorf(CodeBadCopyFileFormat, "COPY file signature not recognized")
			}
			d.pos += len(binarySignature)
			b.stage = binFlags
		case binFlags:
			if len(avail) < 4 {
				if d.eof {
					return false, errorf(CodeBadCopyFileFormat, "invalid COPY file header (missing flags)")
				}
				return false, nil
			}
			flags := int32(binary.BigEndian.Uint32(avail))
			if flags&(1<<16) != 0 {
				return false, errorf(CodeBadCopyFileFormat, "invalid COPY file header (WITH OIDS)")
			}
			flags &^= 1 << 16
			if flags>>16 != 0 {
				return false, errorf(CodeBadCopyFileFormat, "unrecognized critical flags in COPY file header")
			}
			d.pos += 4
			b.stage = binExtLen
		case binExtLen:
			if len(avail) < 4 {
				if d.eof {
					return false, errorf(CodeBadCopyFileFormat, "invalid COPY file header (missing length)")
				}
				return false, nil
			}
			n := int32(binary.BigEndian.Uint32(avail))
			if n < 0 {
				return false, errorf(CodeBadCopyFileFormat, "invalid COPY file header (missing length)")
			}
			d.pos += 4
			b.extLeft = int64(n)
			b.stage = binExt
		case binExt:
			k := min(b.extLeft, int64(len(avail)))
			d.pos += int(k)
			b.extLeft -= k
			if b.extLeft > 0 {
				if d.eof {
					return false, errorf(CodeBadCopyFileFormat, "invalid COPY file header (wrong length)")
				}
				return false, nil
			}
			b.stage = binTuples
		}
	}
	return true, nil
}

// nextBinary is the binary branch of NextCopyFrom.
func (d *Decoder) nextBinary() ([][]byte, bool, error) {
	if ok, err := d.binaryHeader(); !ok || err != nil {
		return nil, false, err
	}
	if d.ended {
		// PostgreSQL waits for CopyDone after the trailer and rejects
		// anything else.
		if d.pos < len(d.buf) {
			return nil, false, d.atLine(errorf(CodeBadCopyFileFormat, "received copy data after EOF marker"))
		}
		if d.eof {
			d.done = true
		}
		return nil, false, nil
	}
	b := &d.bin
	avail := d.buf[d.pos:]
	if !b.inTuple {
		if len(avail) < 2 {
			// A missing trailer, or even half of one, is an orderly end
			// for PostgreSQL.
			if d.eof {
				d.done = true
			}
			return nil, false, nil
		}
		d.line++
		n := int16(binary.BigEndian.Uint16(avail))
		if n == -1 {
			d.pos += 2
			d.ended = true
			return d.nextBinary()
		}
		if int(n) != d.ncols {
			return nil, false, d.atLine(errorf(CodeBadCopyFileFormat, "row field count is %d, expected %d", n, d.ncols))
		}
		b.inTuple = true
		b.off = 2
		b.spans = b.spans[:0]
	}
	for len(b.spans) < d.ncols {
		if len(avail) < b.off+4 {
			return d.binaryNeed()
		}
		n := int32(binary.BigEndian.Uint32(avail[b.off:]))
		if n == -1 {
			b.spans = append(b.spans, span{n: -1})
			b.off += 4
			continue
		}
		if n < 0 {
			return nil, false, d.binaryFieldErr(errorf(CodeBadCopyFileFormat, "invalid field size"))
		}
		if int64(b.off)+4+int64(n) > int64(d.cfg.maxRow) {
			return nil, false, d.binaryFieldErr(errTooLong(b.off+4, int(n)))
		}
		if len(avail) < b.off+4+int(n) {
			return d.binaryNeed()
		}
		b.spans = append(b.spans, span{start: b.off + 4, n: int(n)})
		b.off += 4 + int(n)
	}
	if cap(d.fields) < d.ncols {
		d.fields = make([][]byte, d.ncols)
	}
	d.fields = d.fields[:d.ncols]
	for i, s := range b.spans {
		if s.n < 0 {
			d.fields[i] = nil
			continue
		}
		d.fields[i] = avail[s.start : s.start+s.n : s.start+s.n]
	}
	d.pos += b.off
	b.inTuple = false
	return d.fields, true, nil
}

// binaryNeed waits for the rest of the current tuple, or reports that the
// input ended inside it.
func (d *Decoder) binaryNeed() ([][]byte, bool, error) {
	if d.eof {
		return nil, false, d.binaryFieldErr(errorf(CodeBadCopyFileFormat, "unexpected EOF in COPY data"))
	}
	return nil, false, nil
}

// binaryFieldErr attaches the line and the column being read, as
// PostgreSQL's error context does while it reads a binary attribute.
func (d *Decoder) binaryFieldErr(e *Error) *Error {
	d.atLine(e)
	e.Column = d.columnName(len(d.bin.spans))
	return e
}
