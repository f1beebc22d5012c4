package forward

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

func TestValueCodecRoundTrip(t *testing.T) {
	zone := time.FixedZone("", -(3*3600 + 30*60 + 15))
	in := []any{
		nil, int64(0), int64(math.MinInt64), int64(math.MaxInt64), int64(-1),
		float64(0), math.Copysign(0, -1), math.Inf(-1), math.NaN(), 1.0 / 3,
		true, false, "", "héllo\x00wörld", []byte{}, []byte(nil), []byte{0, 1, 255},
		time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC),
		time.Date(1969, 7, 20, 20, 17, 40, 1, zone),
		time.Time{},
		time.Now(), // monotonic reading and Local zone
		nil,
	}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		in = append(in, time.Date(2021, 3, 14, 3, 30, 0, 0, ny))
	}
	b, err := appendValues(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(in))
	if err := decodeValues(b, out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		want, got := in[i], out[i]
		switch w := want.(type) {
		case float64:
			if g, ok := got.(float64); !ok || math.Float64bits(g) != math.Float64bits(w) {
				t.Fatalf("value %d: got %#v, want %#v", i, got, want)
			}
		case []byte:
			g, ok := got.([]byte)
			if !ok || !bytes.Equal(g, w) || (g == nil) != (w == nil) {
				t.Fatalf("value %d: got %#v, want %#v", i, got, want)
			}
		case time.Time:
			g, ok := got.(time.Time)
			wn, wo := w.Zone()
			gn, gotOff := g.Zone()
			if !ok || !g.Equal(w) || gotOff != wo || gn != wn {
				t.Fatalf("value %d: got %v, want %v", i, got, want)
			}
		default:
			if got != want {
				t.Fatalf("value %d: got %#v (%T), want %#v (%T)", i, got, got, want, want)
			}
		}
	}
}

func TestValueCodecWidensAndRejects(t *testing.T) {
	b, err := appendValues(nil, []any{int(7), int32(-8), uint8(9), uint64(10), float32(0.5)})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, 5)
	if err := decodeValues(b, out); err != nil {
		t.Fatal(err)
	}
	want := []any{int64(7), int64(-8), int64(9), int64(10), float64(0.5)}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("value %d: got %#v, want %#v", i, out[i], want[i])
		}
	}
	for _, v := range []any{uint64(math.MaxUint64), struct{}{}, []string{"x"}} {
		if _, err := appendValue(nil, v); err == nil {
			t.Fatalf("%T encoded", v)
		}
	}
}

// Bad input is an error, never a panic or a huge allocation.
func TestValueCodecBadInput(t *testing.T) {
	good, _ := appendValues(nil, []any{"abc", []byte{1, 2}, time.Now(), 3.5, int64(-300)})
	for cut := range len(good) {
		if err := decodeValues(good[:cut], make([]any, 5)); err == nil {
			t.Fatalf("truncated at %d: no error", cut)
		}
	}
	if err := decodeValues(append(good, 0), make([]any, 5)); err == nil {
		t.Fatal("stray byte accepted")
	}
	if err := decodeValues([]byte{99}, make([]any, 1)); err == nil {
		t.Fatal("unknown tag accepted")
	}
	huge := []byte{tagString, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if err := decodeValues(huge, make([]any, 1)); err == nil {
		t.Fatal("huge length accepted")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.UintN(12))
		}
		decodeValues(b, make([]any, r.IntN(5)))
	}
}

func TestErrorConversion(t *testing.T) {
	ee := &engine.Error{Code: "23505", Message: "m", Detail: "d", Hint: "h", Err: errors.New("cause")}
	got := toWire(ee).engineError()
	if got.Code != "23505" || got.Message != "m" || got.Detail != "d" || got.Hint != "h" {
		t.Fatalf("engine error: %+v", got)
	}
	got = toWire(errors.Join(errors.New("wrapped"), ee)).engineError()
	if got.Code != "23505" {
		t.Fatalf("wrapped engine error: %+v", got)
	}
	got = toWire(errors.New("plain")).engineError()
	if got.Code != "XX000" || got.Message != "plain" {
		t.Fatalf("plain error: %+v", got)
	}
}
