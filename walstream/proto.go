package walstream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ProtocolVersion is sent in Hello; a primary refuses replicas speaking
// another version rather than guessing at their framing.
const ProtocolVersion = 1

// Every message is framed as
//
//	length uint32 (little endian; counts the type byte and the payload)
//	type   byte
//	payload
//
// Integers are little endian like the rest of the package; strings and
// byte slices are a uint32 length followed by the bytes.
type msgType byte

const (
	msgHello        msgType = iota + 1 // replica → primary: version, node id, last position, its sum
	msgWelcome                         // primary → replica: epoch, node id, first TxID to be sent
	msgNeedSnapshot                    // primary → replica: reason; the stream ends
	msgTxns                            // primary → replica: a batch of consecutive Txns
	msgHeartbeat                       // primary → replica: epoch, primary's last TxID, wall time
	msgAck                             // replica → primary: highest TxID durably in the replica's log
	msgError                           // either way: why the sender is hanging up
)

func (t msgType) String() string {
	switch t {
	case msgHello:
		return "Hello"
	case msgWelcome:
		return "Welcome"
	case msgNeedSnapshot:
		return "NeedSnapshot"
	case msgTxns:
		return "Txns"
	case msgHeartbeat:
		return "Heartbeat"
	case msgAck:
		return "Ack"
	case msgError:
		return "Error"
	}
	return fmt.Sprintf("msgType(%d)", byte(t))
}

const (
	// maxMessageBytes bounds one message. A transaction is shipped whole,
	// so this is also the largest transaction the stream can carry.
	maxMessageBytes = 1 << 30
	// batchBytes is the size at which the shipper stops adding Txns to a
	// message: large enough to amortise a replica's fsync during catch-up,
	// small enough that heartbeats are not stuck behind it for long.
	batchBytes = 1 << 20
	// eagerAllocBytes is the largest message buffer allocated from the
	// length prefix alone; beyond it the buffer grows as bytes arrive, so
	// a corrupt or hostile length cannot make us allocate a gigabyte.
	eagerAllocBytes = 1 << 20
)

// errProtocol marks malformed or unexpected messages.
var errProtocol = errors.New("walstream: protocol error")

type helloMsg struct {
	Version uint8
	NodeID  string
	Last    Position
	Sum     uint64
}

type welcomeMsg struct {
	Epoch  uint64
	NodeID string
	Start  uint64
}

type heartbeatMsg struct {
	Epoch uint64
	Last  uint64
	Wall  int64 // primary's clock, Unix nanoseconds
}

// protoWrite frames payload as a message of type t into w. It does not
// flush: callers flush once they have nothing more to send right now.
func protoWrite(w *bufio.Writer, t msgType, payload []byte) error {
	if len(payload)+1 > maxMessageBytes {
		return fmt.Errorf("writing %v message: %d bytes exceeds the %d byte limit", t, len(payload)+1, maxMessageBytes)
	}
	var hdr [5]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(payload)+1))
	hdr[4] = byte(t)
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("writing %v message: %w", t, err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("writing %v message: %w", t, err)
	}
	return nil
}

// protoRead reads one message. The payload is freshly allocated, so
// decoded values may alias it.
func protoRead(r *bufio.Reader) (msgType, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		// A clean io.EOF here means the peer hung up between messages.
		return 0, nil, fmt.Errorf("reading message header: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	t := msgType(hdr[4])
	if n == 0 || n > maxMessageBytes {
		return 0, nil, fmt.Errorf("%w: message length %d out of range (1..%d)", errProtocol, n, maxMessageBytes)
	}
	size := int(n) - 1
	if size <= eagerAllocBytes {
		payload := make([]byte, size)
		if _, err := io.ReadFull(r, payload); err != nil {
			return 0, nil, fmt.Errorf("reading %d byte %v message: %w", size, t, unexpectedEOF(err))
		}
		return t, payload, nil
	}
	var buf bytes.Buffer
	buf.Grow(eagerAllocBytes)
	if _, err := io.CopyN(&buf, r, int64(size)); err != nil {
		return 0, nil, fmt.Errorf("reading %d byte %v message: %w", size, t, unexpectedEOF(err))
	}
	return t, buf.Bytes(), nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func (m *helloMsg) appendTo(b []byte) []byte {
	b = append(b, m.Version)
	b = appendString(b, m.NodeID)
	b = binary.LittleEndian.AppendUint64(b, m.Last.Epoch)
	b = binary.LittleEndian.AppendUint64(b, m.Last.TxID)
	return binary.LittleEndian.AppendUint64(b, m.Sum)
}

func decodeHello(p []byte) (helloMsg, error) {
	d := protoDecoder{b: p}
	var m helloMsg
	m.Version = d.u8()
	if d.err == nil && m.Version != ProtocolVersion {
		// Stop before the rest: another version may lay it out differently.
		return m, nil
	}
	m.NodeID = d.str()
	m.Last.Epoch = d.u64()
	m.Last.TxID = d.u64()
	m.Sum = d.u64()
	return m, d.finish(msgHello)
}

func (m *welcomeMsg) appendTo(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, m.Epoch)
	b = appendString(b, m.NodeID)
	return binary.LittleEndian.AppendUint64(b, m.Start)
}

func decodeWelcome(p []byte) (welcomeMsg, error) {
	d := protoDecoder{b: p}
	var m welcomeMsg
	m.Epoch = d.u64()
	m.NodeID = d.str()
	m.Start = d.u64()
	return m, d.finish(msgWelcome)
}

func (m *heartbeatMsg) appendTo(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, m.Epoch)
	b = binary.LittleEndian.AppendUint64(b, m.Last)
	return binary.LittleEndian.AppendUint64(b, uint64(m.Wall))
}

func decodeHeartbeat(p []byte) (heartbeatMsg, error) {
	d := protoDecoder{b: p}
	var m heartbeatMsg
	m.Epoch = d.u64()
	m.Last = d.u64()
	m.Wall = int64(d.u64())
	return m, d.finish(msgHeartbeat)
}

func appendAck(b []byte, txid uint64) []byte {
	return binary.LittleEndian.AppendUint64(b, txid)
}

func decodeAck(p []byte) (uint64, error) {
	d := protoDecoder{b: p}
	txid := d.u64()
	return txid, d.finish(msgAck)
}

// NeedSnapshot and Error both carry one string.
func decodeReason(t msgType, p []byte) (string, error) {
	d := protoDecoder{b: p}
	s := d.str()
	return s, d.finish(t)
}

// txnWireSize estimates the encoded size of t, to cut batches.
func txnWireSize(t *Txn) int {
	n := 4 + txnFixedSize + 2*binary.MaxVarintLen32 + len(t.DB)
	for _, p := range t.Pages {
		n += 4 + binary.MaxVarintLen32 + len(p.Data)
	}
	return n
}

// A Txns payload is a count, then each transaction as a length-prefixed
// Txn.Encode: the log and the stream share one encoding.
func appendTxns(b []byte, txns []*Txn) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(txns)))
	for _, t := range txns {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = t.Encode(b)
		binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b
}

// decodeTxns decodes a Txns payload. Page data aliases p, which must not
// be reused.
func decodeTxns(p []byte) ([]*Txn, error) {
	d := protoDecoder{b: p}
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b))/(4+txnFixedSize) {
		return nil, fmt.Errorf("%w: Txns message claims %d transactions in %d bytes", errProtocol, n, len(d.b))
	}
	if d.err == nil && n == 0 {
		return nil, fmt.Errorf("%w: empty Txns message", errProtocol)
	}
	txns := make([]*Txn, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		raw := d.bytes()
		if d.err != nil {
			break
		}
		t := new(Txn)
		if err := t.decode(raw, true); err != nil {
			return nil, fmt.Errorf("%w: Txns message, transaction %d of %d: %w", errProtocol, i+1, n, err)
		}
		txns = append(txns, t)
	}
	return txns, d.finish(msgTxns)
}

// protoDecoder reads fields from a payload with a sticky error, so a
// decode function checks bounds once at the end instead of per field.
type protoDecoder struct {
	b   []byte
	err error
}

func (d *protoDecoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if len(d.b) < n {
		d.err = io.ErrUnexpectedEOF
		return false
	}
	return true
}

func (d *protoDecoder) u8() uint8 {
	if !d.need(1) {
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *protoDecoder) u32() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *protoDecoder) u64() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *protoDecoder) bytes() []byte {
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)) {
		d.err = io.ErrUnexpectedEOF
	}
	if d.err != nil {
		return nil
	}
	// Cap the capacity so an append by the receiver cannot scribble over
	// the next field.
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *protoDecoder) str() string { return string(d.bytes()) }

func (d *protoDecoder) finish(t msgType) error {
	if d.err != nil {
		return fmt.Errorf("%w: decoding %v message: truncated", errProtocol, t)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: decoding %v message: %d trailing bytes", errProtocol, t, len(d.b))
	}
	return nil
}
