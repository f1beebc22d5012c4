package walstream

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
	"slices"
)

// Position names one replicated transaction. TxID is global to the node
// (all databases share one sequence) and grows by exactly one per
// transaction; Epoch is the epoch of the primary that wrote it. Histories
// are compared Raft-style: the later Epoch wins, then the higher TxID.
type Position struct {
	Epoch uint64
	TxID  uint64
}

// Less reports whether p is older than q in election order.
func (p Position) Less(q Position) bool {
	if p.Epoch != q.Epoch {
		return p.Epoch < q.Epoch
	}
	return p.TxID < q.TxID
}

func (p Position) String() string { return fmt.Sprintf("%d/%d", p.Epoch, p.TxID) }

// Kind says what a transaction does to its database.
type Kind uint8

const (
	// KindPages writes Pages and sets the database size to CommitSize pages.
	KindPages Kind = iota + 1
	// KindCreate creates the empty database DB.
	KindCreate
	// KindDrop removes database DB.
	KindDrop
)

// Page is one database page as the primary committed it.
type Page struct {
	No   uint32
	Data []byte
}

// Txn is one committed transaction of one database: the set of pages it
// changed (last version of each) and the database size after it.
type Txn struct {
	Pos        Position
	Kind       Kind
	DB         string
	PageSize   uint32
	CommitSize uint32 // database size in pages after the transaction
	Pages      []Page
	// Sum chains every transaction to its predecessor: Sum = Chain(prev).
	// Two nodes with the same Sum at the same TxID hold the same history.
	Sum uint64
}

// Chain returns the checksum of t chained onto prev, the Sum of the
// transaction before it (or of the snapshot it follows). It is xxHash64
// over prev, the header fields and every page: a non-cryptographic
// fingerprint that tells histories apart (peers are authenticated by the
// transport), at memory speed, because every commit pays for it.
func (t *Txn) Chain(prev uint64) uint64 {
	var hdr [8 + 8 + 8 + 1 + 4 + 4 + 4]byte
	binary.LittleEndian.PutUint64(hdr[0:], prev)
	binary.LittleEndian.PutUint64(hdr[8:], t.Pos.Epoch)
	binary.LittleEndian.PutUint64(hdr[16:], t.Pos.TxID)
	hdr[24] = byte(t.Kind)
	binary.LittleEndian.PutUint32(hdr[25:], t.PageSize)
	binary.LittleEndian.PutUint32(hdr[29:], t.CommitSize)
	binary.LittleEndian.PutUint32(hdr[33:], uint32(len(t.Pages)))
	d := xxhash.New()
	d.Write(hdr[:])
	d.WriteString(t.DB)
	var no [4]byte
	for _, p := range t.Pages {
		binary.LittleEndian.PutUint32(no[:], p.No)
		d.Write(no[:])
		d.Write(p.Data)
	}
	return d.Sum64()
}

// txnEncodingVersion is the first byte of an encoded Txn.
const txnEncodingVersion = 1

// txnFixedSize is the fixed-size prefix of an encoded Txn: version, kind,
// epoch, txid, sum, page size, commit size.
const txnFixedSize = 1 + 1 + 8 + 8 + 8 + 4 + 4

// Encode appends the binary encoding of t to dst and returns the extended
// slice. The layout is explicit and stable (all integers little-endian):
//
//	version u8 | kind u8 | epoch u64 | txid u64 | sum u64 | page size u32 |
//	commit size u32 | uvarint len(DB) | DB | uvarint len(Pages) |
//	per page: number u32 | uvarint len(Data) | Data
func (t *Txn) Encode(dst []byte) []byte {
	n := txnFixedSize + binary.MaxVarintLen64*2 + len(t.DB)
	for _, p := range t.Pages {
		n += 4 + binary.MaxVarintLen64 + len(p.Data)
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, txnEncodingVersion, byte(t.Kind))
	dst = binary.LittleEndian.AppendUint64(dst, t.Pos.Epoch)
	dst = binary.LittleEndian.AppendUint64(dst, t.Pos.TxID)
	dst = binary.LittleEndian.AppendUint64(dst, t.Sum)
	dst = binary.LittleEndian.AppendUint32(dst, t.PageSize)
	dst = binary.LittleEndian.AppendUint32(dst, t.CommitSize)
	dst = binary.AppendUvarint(dst, uint64(len(t.DB)))
	dst = append(dst, t.DB...)
	dst = binary.AppendUvarint(dst, uint64(len(t.Pages)))
	for _, p := range t.Pages {
		dst = binary.LittleEndian.AppendUint32(dst, p.No)
		dst = binary.AppendUvarint(dst, uint64(len(p.Data)))
		dst = append(dst, p.Data...)
	}
	return dst
}

// Decode sets t from an encoding made by Encode. t keeps no reference to
// b. Malformed input yields an error, never a panic or an allocation
// larger than b.
func (t *Txn) Decode(b []byte) error {
	return t.decode(b, false)
}

// decode is Decode; with alias, page data points into b instead of being
// copied, for callers that own a fresh b.
func (t *Txn) decode(b []byte, alias bool) error {
	if len(b) < txnFixedSize {
		return fmt.Errorf("decoding txn: %d bytes is too short", len(b))
	}
	if b[0] != txnEncodingVersion {
		return fmt.Errorf("decoding txn: unknown encoding version %d", b[0])
	}
	kind := Kind(b[1])
	if kind < KindPages || kind > KindDrop {
		return fmt.Errorf("decoding txn: unknown kind %d", kind)
	}
	d := Txn{
		Kind:       kind,
		Pos:        Position{Epoch: binary.LittleEndian.Uint64(b[2:]), TxID: binary.LittleEndian.Uint64(b[10:])},
		Sum:        binary.LittleEndian.Uint64(b[18:]),
		PageSize:   binary.LittleEndian.Uint32(b[26:]),
		CommitSize: binary.LittleEndian.Uint32(b[30:]),
	}
	if !alias {
		// One copy of everything instead of one allocation per page.
		b = bytes.Clone(b)
	}
	r := b[txnFixedSize:]
	length := func(what string) (int, error) {
		v, n := binary.Uvarint(r)
		if n <= 0 || v > uint64(len(r)-n) {
			return 0, fmt.Errorf("decoding txn %v: bad %s length", d.Pos, what)
		}
		r = r[n:]
		return int(v), nil
	}
	n, err := length("database name")
	if err != nil {
		return err
	}
	d.DB, r = string(r[:n]), r[n:]
	// Each page takes at least 5 bytes, which bounds the allocation.
	v, vn := binary.Uvarint(r)
	if vn <= 0 || v > uint64(len(r)-vn)/5 {
		return fmt.Errorf("decoding txn %v: bad page count", d.Pos)
	}
	r = r[vn:]
	if v > 0 {
		d.Pages = make([]Page, v)
	}
	for i := range d.Pages {
		if len(r) < 4 {
			return fmt.Errorf("decoding txn %v: page %d truncated", d.Pos, i)
		}
		d.Pages[i].No, r = binary.LittleEndian.Uint32(r), r[4:]
		n, err := length("page")
		if err != nil {
			return err
		}
		d.Pages[i].Data, r = r[:n:n], r[n:]
	}
	if len(r) != 0 {
		return fmt.Errorf("decoding txn %v: %d trailing bytes", d.Pos, len(r))
	}
	*t = d
	return nil
}
