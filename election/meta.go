package election

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// nodeMeta is what every node gossips about itself (memberlist NodeMeta,
// at most 512 bytes). Layout, version 1:
//
//	"EL" 0x01 | cluster tag [8] | id, peer, pg, admin (uvarint len + bytes)
//	| role u8 | flags u8 | epoch, pos.epoch, pos.txid (uvarint)
//	| lease u8 (0/1) [ lease epoch uvarint | expiry unix ms varint ]
type nodeMeta struct {
	Tag                             clusterTag
	ID, PeerAddr, PGAddr, AdminAddr string
	Role                            RoleKind
	Flags                           uint8
	Epoch                           uint64
	Pos                             walstream.Position
	Lease                           *Lease // Node is ID
}

const (
	metaVersion = 1
	// flagStandAside: the node will not claim for now.
	flagStandAside uint8 = 1 << 0
)

// metaMaxLen is memberlist's limit on node metadata.
const metaMaxLen = 512

// clusterTag identifies the cluster in every member's metadata, so a node
// of another cluster that somehow reaches gossip is still not accepted.
type clusterTag [8]byte

func tagOf(clusterID string) clusterTag {
	sum := sha256.Sum256([]byte("sqlcluster cluster id\x00" + clusterID))
	var t clusterTag
	copy(t[:], sum[:])
	return t
}

func (m *nodeMeta) encode() []byte {
	b := make([]byte, 0, 128)
	b = append(b, 'E', 'L', metaVersion)
	b = append(b, m.Tag[:]...)
	for _, s := range []string{m.ID, m.PeerAddr, m.PGAddr, m.AdminAddr} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, byte(m.Role), m.Flags)
	b = binary.AppendUvarint(b, m.Epoch)
	b = binary.AppendUvarint(b, m.Pos.Epoch)
	b = binary.AppendUvarint(b, m.Pos.TxID)
	if m.Lease == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, m.Lease.Epoch)
		b = binary.AppendVarint(b, m.Lease.Expiry.UnixMilli())
	}
	return b
}

// worstMetaLen is the encoded size with every number at its widest; Start
// checks it against metaMaxLen so NodeMeta can never exceed the limit.
func worstMetaLen(id, peer, pg, admin string) int {
	n := 3 + len(clusterTag{})
	for _, s := range []string{id, peer, pg, admin} {
		n += binary.MaxVarintLen64 + len(s)
	}
	return n + 2 + 3*binary.MaxVarintLen64 + 1 + 2*binary.MaxVarintLen64
}

var errBadMeta = errors.New("malformed node metadata")

func decodeMeta(b []byte) (*nodeMeta, error) {
	d := metaDecoder{b: b}
	if len(b) < 3+len(clusterTag{}) || b[0] != 'E' || b[1] != 'L' {
		return nil, fmt.Errorf("%w: not sqlcluster metadata", errBadMeta)
	}
	if b[2] != metaVersion {
		return nil, fmt.Errorf("%w: unknown version %d", errBadMeta, b[2])
	}
	d.b = b[3:]
	m := &nodeMeta{}
	copy(m.Tag[:], d.next(len(m.Tag)))
	m.ID = d.str()
	m.PeerAddr = d.str()
	m.PGAddr = d.str()
	m.AdminAddr = d.str()
	rf := d.next(2)
	if rf != nil {
		m.Role, m.Flags = RoleKind(rf[0]), rf[1]
	}
	m.Epoch = d.uvarint()
	m.Pos.Epoch = d.uvarint()
	m.Pos.TxID = d.uvarint()
	if has := d.next(1); has != nil && has[0] == 1 {
		l := &Lease{Node: m.ID, Epoch: d.uvarint()}
		l.Expiry = time.UnixMilli(d.varint())
		m.Lease = l
	} else if has != nil && has[0] != 0 {
		d.err = fmt.Errorf("%w: bad lease flag %d", errBadMeta, has[0])
	}
	if d.err != nil {
		return nil, d.err
	}
	if m.ID == "" {
		return nil, fmt.Errorf("%w: empty node id", errBadMeta)
	}
	if m.Role < RoleNone || m.Role > RolePrimary {
		return nil, fmt.Errorf("%w: unknown role %d", errBadMeta, m.Role)
	}
	return m, nil
}

// metaDecoder reads fields and remembers the first error, so decodeMeta
// reads straight through and checks once.
type metaDecoder struct {
	b   []byte
	err error
}

func (d *metaDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", errBadMeta, what)
	}
	d.b = nil
}

func (d *metaDecoder) next(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.fail("field")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *metaDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *metaDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *metaDecoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > maxField {
		d.err = fmt.Errorf("%w: string of %d bytes", errBadMeta, n)
		return ""
	}
	return string(d.next(int(n)))
}

// member converts gossiped metadata into the public view.
func (m *nodeMeta) member(alive bool, gossipAddr string, now time.Time) Member {
	mb := Member{
		ID: m.ID, PeerAddr: m.PeerAddr, PGAddr: m.PGAddr, AdminAddr: m.AdminAddr,
		Role: m.Role.String(), Epoch: m.Epoch, Pos: m.Pos, Alive: alive,
		GossipAddr: gossipAddr, StandingAside: m.Flags&flagStandAside != 0,
	}
	if m.Lease.live(now) {
		l := *m.Lease
		mb.Lease = &l
	}
	return mb
}
