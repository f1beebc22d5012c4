package snapshot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testInfos = []DBInfo{
	{Name: "main", PageSize: 4096, Pages: 40},
	{Name: "empty", PageSize: 512, Pages: 0},
	{Name: "big-pages", PageSize: 65536, Pages: 5},
	{Name: "tiny", PageSize: 512, Pages: 3},
}

var testHeader = Header{
	Created:   time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC),
	NodeID:    "node-a",
	ClusterID: "cluster-1",
	Epoch:     7,
	TxID:      12345,
	Sum:       0xdeadbeefcafef00d,
}

func writeSnapshot(t testing.TB, src Source) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, testHeader, src, nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func checkHeader(t *testing.T, got Header) {
	t.Helper()
	want := testHeader
	want.Version = FormatVersion
	want.Databases = len(testInfos)
	want.DBs = testInfos
	if !got.Created.Equal(want.Created) {
		t.Errorf("Created = %v, want %v", got.Created, want.Created)
	}
	got.Created = want.Created
	if !reflect.DeepEqual(got, want) {
		t.Errorf("header = %+v\nwant %+v", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	src := newMemSource(1, testInfos...)
	data := writeSnapshot(t, src)

	h, err := ReadHeader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	checkHeader(t, h)

	inst := newMemInstaller()
	h, err = Read(context.Background(), bytes.NewReader(data), inst, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	checkHeader(t, h)
	for _, d := range testInfos {
		got := inst.committed[d.Name]
		if len(got) != int(d.Pages) {
			t.Fatalf("%s: %d pages committed, want %d", d.Name, len(got), d.Pages)
		}
		for i := range got {
			if !bytes.Equal(got[i], src.pages[d.Name][i]) {
				t.Fatalf("%s: page %d differs", d.Name, i+1)
			}
		}
	}
	// Every database is committed only after all were read.
	want := []string{"begin main", "begin empty", "begin big-pages", "begin tiny", "commit main", "commit empty", "commit big-pages", "commit tiny"}
	if !reflect.DeepEqual(inst.events, want) {
		t.Errorf("events = %q, want %q", inst.events, want)
	}
}

func TestWriteFillsHeaderDefaults(t *testing.T) {
	var buf bytes.Buffer
	before := time.Now()
	if err := Write(context.Background(), &buf, Header{Databases: 99}, newMemSource(1, testInfos[3]), nil); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h.Created.Before(before.Add(-time.Second)) || h.Version != FormatVersion || h.Databases != 1 {
		t.Fatalf("header = %+v", h)
	}
}

func TestNoDatabases(t *testing.T) {
	data := writeSnapshot(t, &memSource{})
	h, err := Read(context.Background(), bytes.NewReader(data), newMemInstaller(), nil)
	if err != nil || h.Databases != 0 || len(h.DBs) != 0 || h.TxID != testHeader.TxID {
		t.Fatalf("Read of a snapshot without databases: %+v, %v", h, err)
	}
}

func TestReadConsumesExactly(t *testing.T) {
	data := writeSnapshot(t, newMemSource(2, testInfos...))
	r := bytes.NewReader(append(bytes.Clone(data), "NEXT MESSAGE"...))
	if _, err := Read(context.Background(), r, newMemInstaller(), nil); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "NEXT MESSAGE" {
		t.Fatalf("left %q after the snapshot", rest)
	}
}

// checkProgress verifies that a sequence of progress calls is monotonic and
// ends at the total.
func checkProgress(t *testing.T, what string, calls [][2]int64, total int64) {
	t.Helper()
	if len(calls) < 3 {
		t.Fatalf("%s: only %d progress calls", what, len(calls))
	}
	var last int64 = -1
	for _, c := range calls {
		if c[1] != total {
			t.Fatalf("%s: total %d, want %d", what, c[1], total)
		}
		if c[0] < last || c[0] > total {
			t.Fatalf("%s: progress %d after %d (total %d)", what, c[0], last, total)
		}
		last = c[0]
	}
	if last != total {
		t.Fatalf("%s: last progress %d, want %d", what, last, total)
	}
}

func TestProgress(t *testing.T) {
	src := newMemSource(3, DBInfo{"a", 4096, 300}, DBInfo{"b", 1024, 700})
	var buf bytes.Buffer
	var wcalls [][2]int64
	err := Write(context.Background(), &buf, testHeader, src, func(done, total int64) {
		wcalls = append(wcalls, [2]int64{done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	if wcalls[0][0] != 0 {
		t.Errorf("Write's first progress is %d, want 0", wcalls[0][0])
	}
	checkProgress(t, "Write", wcalls, int64(buf.Len()))

	var rcalls [][2]int64
	_, err = Read(context.Background(), &buf, newMemInstaller(), func(done, total int64) {
		rcalls = append(rcalls, [2]int64{done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, "Read", rcalls, wcalls[len(wcalls)-1][1])
}

// noCommits checks that a failed Read committed nothing and aborted every
// database it began.
func noCommits(t *testing.T, inst *memInstaller) {
	t.Helper()
	if n := inst.commits(); n != 0 {
		t.Fatalf("%d databases committed: %q", n, inst.events)
	}
	begun, aborted := 0, 0
	for _, e := range inst.events {
		switch {
		case strings.HasPrefix(e, "begin "):
			begun++
		case strings.HasPrefix(e, "abort "):
			aborted++
		}
	}
	if begun != aborted {
		t.Fatalf("begun %d databases, aborted %d: %q", begun, aborted, inst.events)
	}
}

func TestCorruptPage(t *testing.T) {
	data := writeSnapshot(t, newMemSource(4, testInfos...))
	h, _ := ReadHeader(bytes.NewReader(data))
	// A byte in page 2 of the third database ("big-pages").
	off := headerLen(&h)
	for _, d := range h.DBs[:2] {
		off += descriptorLen(d) + d.Size() + 8
	}
	off += descriptorLen(h.DBs[2]) + int64(h.DBs[2].PageSize) + 100
	bad := bytes.Clone(data)
	bad[off] ^= 0x20

	inst := newMemInstaller()
	_, err := Read(context.Background(), bytes.NewReader(bad), inst, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `database "big-pages" checksum mismatch`) {
		t.Fatalf("Read of a corrupt page: %v", err)
	}
	noCommits(t, inst)
}

func TestTruncated(t *testing.T) {
	data := writeSnapshot(t, newMemSource(5, testInfos...))
	h, _ := ReadHeader(bytes.NewReader(data))
	var cuts []int
	for n := 0; n < int(headerLen(&h))+16; n++ { // every byte of the header and the first section start
		cuts = append(cuts, n)
	}
	for n := int(headerLen(&h)); n < len(data)-trailerLen; n += 997 { // through the pages
		cuts = append(cuts, n)
	}
	for n := len(data) - trailerLen - 9; n < len(data); n++ { // the last CRC and the trailer
		cuts = append(cuts, n)
	}
	for _, n := range cuts {
		inst := newMemInstaller()
		_, err := Read(context.Background(), bytes.NewReader(data[:n]), inst, nil)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Read of %d of %d bytes: %v", n, len(data), err)
		}
		noCommits(t, inst)
	}
}

func TestBadHeader(t *testing.T) {
	data := writeSnapshot(t, newMemSource(6, testInfos...))
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	version := bytes.Clone(data)
	version[8] = 2
	epoch := bytes.Clone(data)
	epoch[20] ^= 1
	h, err := ReadHeader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dirEntry := bytes.Clone(data)
	dirEntry[headerLen(&h)-8-1] ^= 0x80 // the top byte of the last directory entry's page count
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", "stream ends in header"},
		{"garbage", string(garbage), "not a snapshot"},
		{"text", "SELECT * FROM t; -- definitely not a snapshot", "not a snapshot"},
		{"version", string(version), "unsupported format version 2"},
		{"epoch flipped", string(epoch), "header checksum mismatch"},
		{"directory flipped", string(dirEntry), "header checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadHeader(strings.NewReader(tt.input)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadHeader: %v, want %q", err, tt.want)
			}
			inst := newMemInstaller()
			_, err := Read(context.Background(), strings.NewReader(tt.input), inst, nil)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read: %v, want %q", err, tt.want)
			}
			if len(inst.events) != 0 {
				t.Fatalf("a bad header reached the installer: %q", inst.events)
			}
		})
	}
}

func TestBadTrailer(t *testing.T) {
	data := writeSnapshot(t, newMemSource(7, testInfos...))
	for _, off := range []int{len(data) - 24, len(data) - 16, len(data) - 1} {
		bad := bytes.Clone(data)
		bad[off] ^= 1
		inst := newMemInstaller()
		_, err := Read(context.Background(), bytes.NewReader(bad), inst, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "trailer") && !strings.Contains(err.Error(), "stream") {
			t.Fatalf("flipped byte %d of %d: %v", off, len(data), err)
		}
		noCommits(t, inst)
	}
}

func TestReadCancelled(t *testing.T) {
	data := writeSnapshot(t, newMemSource(8, DBInfo{"a", 4096, 400}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inst := newMemInstaller()
	_, err := Read(ctx, bytes.NewReader(data), inst, func(done, total int64) {
		if done > total/2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Read: %v", err)
	}
	noCommits(t, inst)
}

func TestWriteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var buf bytes.Buffer
	err := Write(ctx, &buf, testHeader, newMemSource(8, DBInfo{"a", 4096, 400}), func(done, total int64) {
		if done > total/2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v", err)
	}
	if _, err := Read(context.Background(), &buf, newMemInstaller(), nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read of a cancelled Write's output: %v", err)
	}
}

func TestWriteRejectsBadSource(t *testing.T) {
	for _, infos := range [][]DBInfo{
		{{Name: "a", PageSize: 1000, Pages: 1}},
		{{Name: "a", PageSize: 256, Pages: 1}},
		{{Name: "", PageSize: 4096, Pages: 1}},
		{{Name: "a", PageSize: 4096, Pages: 1}, {Name: "a", PageSize: 4096, Pages: 1}},
	} {
		src := &memSource{infos: infos}
		if err := Write(context.Background(), io.Discard, testHeader, src, nil); err == nil {
			t.Errorf("Write accepted %+v", infos)
		}
	}
	// A source that returns a short page.
	src := newMemSource(1, DBInfo{"a", 4096, 2})
	src.pages["a"][1] = src.pages["a"][1][:100]
	if err := Write(context.Background(), io.Discard, testHeader, src, nil); err == nil || !strings.Contains(err.Error(), "got 100 bytes") {
		t.Errorf("Write of a short page: %v", err)
	}
}

func TestInstallerFailures(t *testing.T) {
	data := writeSnapshot(t, newMemSource(9, testInfos...))

	inst := newMemInstaller()
	inst.failBegin = "big-pages"
	if _, err := Read(context.Background(), bytes.NewReader(data), inst, nil); err == nil || !strings.Contains(err.Error(), "begin refused") {
		t.Fatalf("Read with a failing Begin: %v", err)
	}
	noCommits(t, inst)

	inst = newMemInstaller()
	inst.failCommt = "big-pages"
	_, err := Read(context.Background(), bytes.NewReader(data), inst, nil)
	if err == nil || !strings.Contains(err.Error(), "commit refused") || !strings.Contains(err.Error(), `["main" "empty"] were already committed`) {
		t.Fatalf("Read with a failing Commit: %v", err)
	}
	want := []string{"begin main", "begin empty", "begin big-pages", "begin tiny", "commit main", "commit empty", "commit-failed big-pages", "abort tiny"}
	if !reflect.DeepEqual(inst.events, want) {
		t.Errorf("events = %q, want %q", inst.events, want)
	}
}

func FuzzRead(f *testing.F) {
	data := writeSnapshot(f, newMemSource(10, DBInfo{"a", 512, 3}, DBInfo{"b", 1024, 1}))
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(headerMagic))
	f.Fuzz(func(t *testing.T, in []byte) {
		inst := newMemInstaller()
		h, err := Read(context.Background(), bytes.NewReader(in), inst, nil)
		if err != nil {
			if inst.commits() != 0 && !strings.Contains(err.Error(), "already committed") {
				t.Fatalf("failed Read committed: %v", err)
			}
			return
		}
		if int64(len(in)) < streamLen(&h) {
			t.Fatalf("Read succeeded on %d bytes of a %d-byte stream", len(in), streamLen(&h))
		}
	})
}
