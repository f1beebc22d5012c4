package election

import (
	"bytes"
	"encoding/gob"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/walstream"
)

func TestMetaRoundTrip(t *testing.T) {
	exp := time.UnixMilli(1_700_000_000_123)
	for _, m := range []nodeMeta{
		{Tag: tagOf("x"), ID: "a"},
		{Tag: tagOf("x"), ID: "node-1", PeerAddr: "10.0.0.1:7001", PGAddr: "10.0.0.1:5432", AdminAddr: "10.0.0.1:8080",
			Role: RolePrimary, Flags: flagStandAside, Epoch: 7, Pos: walstream.Position{Epoch: 6, TxID: 99},
			Lease: &Lease{Node: "node-1", Epoch: 7, Expiry: exp}},
	} {
		got, err := decodeMeta(m.encode())
		if err != nil {
			t.Fatalf("decode %+v: %v", m, err)
		}
		if got.ID != m.ID || got.PeerAddr != m.PeerAddr || got.PGAddr != m.PGAddr || got.AdminAddr != m.AdminAddr ||
			got.Role != m.Role || got.Flags != m.Flags || got.Epoch != m.Epoch || got.Pos != m.Pos || got.Tag != m.Tag ||
			(got.Lease == nil) != (m.Lease == nil) {
			t.Errorf("round trip: %+v -> %+v", m, got)
		}
		if m.Lease != nil && (*got.Lease != *m.Lease) {
			t.Errorf("lease: %+v -> %+v", *m.Lease, *got.Lease)
		}
	}
}

func TestMetaWorstCaseFits(t *testing.T) {
	long := strings.Repeat("x", maxField)
	m := nodeMeta{ID: long, PeerAddr: long, PGAddr: long, AdminAddr: long, Role: RolePrimary, Flags: 0xff,
		Epoch: math.MaxUint64, Pos: walstream.Position{Epoch: math.MaxUint64, TxID: math.MaxUint64},
		Lease: &Lease{Epoch: math.MaxUint64, Expiry: time.UnixMilli(math.MinInt64)}}
	n := len(m.encode())
	if w := worstMetaLen(long, long, long, long); n > w || w > metaMaxLen {
		t.Errorf("encoded %d, worst case %d, limit %d", n, w, metaMaxLen)
	}
	if _, err := (&Config{NodeID: long + "y", BindAddr: ":0", StateDir: t.TempDir(), Vote: netTransport{}}).withDefaults(); err == nil {
		t.Error("an overlong node id was accepted")
	}
}

// TestDecodersNeverPanic feeds truncations and random mutations of valid
// encodings to every decoder.
func TestDecodersNeverPanic(t *testing.T) {
	meta := (&nodeMeta{Tag: tagOf("x"), ID: "n", PeerAddr: "p", Role: RoleReplica, Epoch: 3,
		Lease: &Lease{Epoch: 3, Expiry: time.Now()}}).encode()
	req, _ := VoteRequest{Epoch: 4, Candidate: "c", Pos: walstream.Position{Epoch: 1, TxID: 2}, Transfer: true}.MarshalBinary()
	resp, _ := VoteResponse{Epoch: 4, Reason: "because"}.MarshalBinary()
	for _, valid := range [][]byte{meta, req, resp} {
		for i := range len(valid) {
			try(valid[:i])
		}
		for range 2000 {
			b := bytes.Clone(valid)
			for range 1 + rand.N(3) {
				b[rand.N(len(b))] = byte(rand.N(256))
			}
			try(b)
		}
	}
	for i := range len(meta) {
		if _, err := decodeMeta(meta[:i]); err == nil {
			t.Errorf("truncated metadata (%d of %d bytes) decoded", i, len(meta))
		}
	}
	for i := range len(req) {
		var r VoteRequest
		if err := r.UnmarshalBinary(req[:i]); err == nil {
			t.Errorf("truncated request (%d of %d bytes) decoded", i, len(req))
		}
	}
}

func try(b []byte) {
	_, _ = decodeMeta(b)
	var q VoteRequest
	_ = q.UnmarshalBinary(b)
	var s VoteResponse
	_ = s.UnmarshalBinary(b)
}

func TestVoteEncoding(t *testing.T) {
	req := VoteRequest{Epoch: 12, Candidate: "node-3", Pos: walstream.Position{Epoch: 11, TxID: 1 << 40}, Transfer: true, PreVote: true}
	b, err := req.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got VoteRequest
	if err := got.UnmarshalBinary(b); err != nil || got != req {
		t.Fatalf("request round trip: %+v, %v", got, err)
	}
	resp := VoteResponse{Epoch: 12, Granted: true, Reason: strings.Repeat("r", 5000)}
	b, _ = resp.MarshalBinary()
	var gotResp VoteResponse
	if err := gotResp.UnmarshalBinary(b); err != nil || gotResp.Epoch != 12 || !gotResp.Granted || len(gotResp.Reason) != maxReasonLen {
		t.Fatalf("response round trip: %+v, %v", gotResp, err)
	}
	if err := got.UnmarshalBinary(append(b, 0)); err == nil {
		t.Error("a response decoded as a request")
	}
	if _, err := (VoteRequest{Candidate: strings.Repeat("c", maxCandidateLen+1)}).MarshalBinary(); err == nil {
		t.Error("overlong candidate encoded")
	}

	// gob uses the binary encoding, as the node's peer transport does.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(req); err != nil {
		t.Fatal(err)
	}
	var viaGob VoteRequest
	if err := gob.NewDecoder(&buf).Decode(&viaGob); err != nil || viaGob != req {
		t.Fatalf("gob: %+v, %v", viaGob, err)
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	if ep, err := LoadEpoch(dir); err != nil || ep != 0 {
		t.Fatalf("empty dir: %d, %v", ep, err)
	}
	st := voteState{NodeID: "a", Epoch: 9, VotedFor: "b", Bootstrap: []string{"a", "b", "c"}}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := readState(dir)
	if err != nil || got.Epoch != 9 || got.VotedFor != "b" || len(got.Bootstrap) != 3 || got.NodeID != "a" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if ep, _ := LoadEpoch(dir); ep != 9 {
		t.Errorf("LoadEpoch %d", ep)
	}
}
