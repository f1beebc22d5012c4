package walstream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestProtoRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	txns := streamTxns(rng, Position{Epoch: 3, TxID: 41}, 0xfeed, 3, 5)
	txns = append(txns, &Txn{Pos: Position{Epoch: 3, TxID: 47}, Kind: KindCreate, DB: "other"})

	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	hello := helloMsg{Version: ProtocolVersion, NodeID: "r1", Last: Position{Epoch: 2, TxID: 9}, Sum: 77}
	welcome := welcomeMsg{Epoch: 3, NodeID: "p", Start: 10}
	hb := heartbeatMsg{Epoch: 3, Last: 99, Wall: time.Now().UnixNano()}
	for _, m := range []struct {
		t msgType
		p []byte
	}{
		{msgHello, hello.appendTo(nil)},
		{msgWelcome, welcome.appendTo(nil)},
		{msgNeedSnapshot, appendString(nil, "because")},
		{msgTxns, appendTxns(nil, txns)},
		{msgHeartbeat, hb.appendTo(nil)},
		{msgAck, appendAck(nil, 12345)},
		{msgError, appendString(nil, "oops")},
	} {
		if err := protoWrite(w, m.t, m.p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	r := bufio.NewReader(&buf)
	next := func(want msgType) []byte {
		t.Helper()
		got, p, err := protoRead(r)
		if err != nil {
			t.Fatalf("reading %v: %v", want, err)
		}
		if got != want {
			t.Fatalf("read %v, want %v", got, want)
		}
		return p
	}
	if got, err := decodeHello(next(msgHello)); err != nil || got != hello {
		t.Fatalf("Hello: %+v, %v", got, err)
	}
	if got, err := decodeWelcome(next(msgWelcome)); err != nil || got != welcome {
		t.Fatalf("Welcome: %+v, %v", got, err)
	}
	if got, err := decodeReason(msgNeedSnapshot, next(msgNeedSnapshot)); err != nil || got != "because" {
		t.Fatalf("NeedSnapshot: %q, %v", got, err)
	}
	got, err := decodeTxns(next(msgTxns))
	if err != nil {
		t.Fatalf("Txns: %v", err)
	}
	if !reflect.DeepEqual(got, txns) {
		t.Fatalf("Txns differ after a round trip:\n got %+v\nwant %+v", got, txns)
	}
	for _, x := range got[:len(got)-1] {
		if x.Chain(0) == 0 || x.Sum != txns[x.Pos.TxID-42].Sum {
			t.Fatalf("sum of txid %d lost", x.Pos.TxID)
		}
	}
	if got, err := decodeHeartbeat(next(msgHeartbeat)); err != nil || got != hb {
		t.Fatalf("Heartbeat: %+v, %v", got, err)
	}
	if got, err := decodeAck(next(msgAck)); err != nil || got != 12345 {
		t.Fatalf("Ack: %d, %v", got, err)
	}
	if got, err := decodeReason(msgError, next(msgError)); err != nil || got != "oops" {
		t.Fatalf("Error: %q, %v", got, err)
	}
	if _, _, err := protoRead(r); !errors.Is(err, io.EOF) {
		t.Fatalf("read past the end: %v, want io.EOF", err)
	}
}

func TestProtoReadRefusesBadLengths(t *testing.T) {
	for _, n := range []uint32{0, maxMessageBytes + 1, 1<<32 - 1} {
		var hdr [5]byte
		binary.LittleEndian.PutUint32(hdr[:], n)
		hdr[4] = byte(msgTxns)
		_, _, err := protoRead(bufio.NewReader(bytes.NewReader(hdr[:])))
		if !errors.Is(err, errProtocol) {
			t.Errorf("length %d: err = %v, want a protocol error", n, err)
		}
	}
	// A plausible length with too few bytes behind it: the reader must
	// report truncation, not allocate the claimed size and wait forever.
	var hdr [5]byte
	binary.LittleEndian.PutUint32(hdr[:], 512<<20)
	hdr[4] = byte(msgTxns)
	_, _, err := protoRead(bufio.NewReader(io.MultiReader(bytes.NewReader(hdr[:]), strings.NewReader("short"))))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated large message: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

// Every prefix and random corruption of valid payloads must decode to an
// error or a value, never a panic.
func TestProtoDecodeGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	valid := appendTxns(nil, streamTxns(rng, Position{Epoch: 1}, 0, 1, 4))
	for i := 0; i < len(valid); i++ {
		if _, err := decodeTxns(valid[:i]); err == nil {
			t.Fatalf("decoding a %d byte prefix of a %d byte Txns message succeeded", i, len(valid))
		}
	}
	for i := 0; i < 5000; i++ {
		b := bytes.Clone(valid)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		_, _ = decodeTxns(b)
		_, _ = decodeHello(b)
		_, _ = decodeWelcome(b)
		_, _ = decodeHeartbeat(b)
		_, _ = decodeReason(msgError, b)
	}
	// Counts that claim far more elements than the bytes can hold are
	// refused before anything is allocated for them.
	huge := binary.LittleEndian.AppendUint32(nil, 1<<31)
	if _, err := decodeTxns(huge); !errors.Is(err, errProtocol) {
		t.Fatalf("huge count: %v", err)
	}
	if _, err := decodeHello([]byte{ProtocolVersion, 0xff, 0xff, 0xff, 0xff}); !errors.Is(err, errProtocol) {
		t.Fatalf("huge string: %v", err)
	}
}

func FuzzDecodeTxns(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	f.Add(appendTxns(nil, streamTxns(rng, Position{Epoch: 1}, 0, 1, 2)))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		txns, err := decodeTxns(b)
		if err != nil {
			return
		}
		// What decodes must survive a round trip unchanged.
		again, err := decodeTxns(appendTxns(nil, txns))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(again, txns) {
			t.Fatalf("round trip changed the transactions")
		}
	})
}

// A primary must not wait forever for a Hello, and must refuse a replica
// speaking another protocol version with a reason.
func TestShipperHandshakeErrors(t *testing.T) {
	p := startStreamPrimary(t, openStreamLog(t, t.TempDir()), 1, func(cfg *ShipperConfig) {
		cfg.Timeout = 300 * time.Millisecond
	})

	t.Run("silent", func(t *testing.T) {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("primary sent something to a silent client")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("primary kept a silent client for %v", d)
		}
		if err := p.serveErr(t); err == nil || !strings.Contains(err.Error(), "Hello") {
			t.Fatalf("ServeReplica: %v, want a Hello read error", err)
		}
	})

	t.Run("version", func(t *testing.T) {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		bw := bufio.NewWriter(c)
		h := helloMsg{Version: ProtocolVersion + 1, NodeID: "r1"}
		if err := protoWrite(bw, msgHello, h.appendTo(nil)); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, payload, err := protoRead(bufio.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		reason, _ := decodeReason(typ, payload)
		if typ != msgError || !strings.Contains(reason, "version") {
			t.Fatalf("got %v %q, want an Error about the version", typ, reason)
		}
		if err := p.serveErr(t); !errors.Is(err, errProtocol) {
			t.Fatalf("ServeReplica: %v, want a protocol error", err)
		}
	})

	t.Run("garbage", func(t *testing.T) {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := p.serveErr(t); err == nil {
			t.Fatal("ServeReplica accepted garbage")
		}
	})
}
