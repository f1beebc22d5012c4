package main

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The fixtures are two real scrapes of a stream-mode primary's /metrics,
// 100 autocommit INSERTs (200 replica acknowledgements) apart; they hold
// other histograms too (sqlcluster_statement_duration_seconds), which must
// not be mixed in.
func TestLagFromFixtureScrapes(t *testing.T) {
	before, err := parseHistogram(readFixture(t, "metrics-before.txt"), lagMetric)
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseHistogram(readFixture(t, "metrics-after.txt"), lagMetric)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 17 || !math.IsInf(before[16].Upper, 1) || before[16].Count != 412 || after[16].Count != 612 {
		t.Fatalf("parsed %d buckets, +Inf %v/%v→%v", len(before), before[16].Upper, before[16].Count, after[16].Count)
	}
	l := lagFromScrapes(before, after)
	if l.Status != statusOK || l.Observations != 200 {
		t.Fatalf("lag = %+v, want ok with 200 observations", l)
	}
	// Deltas: le 0.0008: 52, 0.0016: 184, 0.0032: 199, …, +Inf: 200.
	// p50: rank 100 in (0.0008, 0.0016]: 0.8 + 0.8·48/132 ms.
	// p99: rank 198 in (0.0016, 0.0032]: 1.6 + 1.6·14/15 ms.
	if want := 0.8 + 0.8*48/132; math.Abs(l.P50MS-want) > 1e-9 || l.P50AtLeast {
		t.Errorf("p50 = %v ms (at least %v), want %v", l.P50MS, l.P50AtLeast, want)
	}
	if want := 1.6 + 1.6*14/15; math.Abs(l.P99MS-want) > 1e-9 || l.P99AtLeast {
		t.Errorf("p99 = %v ms (at least %v), want %v", l.P99MS, l.P99AtLeast, want)
	}

	// Scrapes in the wrong order look like a counter reset.
	if l := lagFromScrapes(after, before); l.Status != statusError || !strings.Contains(l.Error, "backwards") {
		t.Errorf("reversed scrapes = %+v, want error", l)
	}
	// No writes between the scrapes: nothing to take quantiles of.
	if l := lagFromScrapes(after, after); l.Status != statusError || !strings.Contains(l.Error, "no observations") {
		t.Errorf("identical scrapes = %+v, want error", l)
	}
}

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	bs := []bucket{{0.001, 10}, {0.002, 30}, {0.004, 90}, {inf, 100}}
	for _, tc := range []struct {
		q       float64
		want    float64
		atLeast bool
	}{
		{0.05, 0.0005, false},                // first bucket starts at 0
		{0.10, 0.001, false},                 // exactly at a bound
		{0.20, 0.0015, false},                // middle of the second bucket
		{0.60, 0.002 + 0.002*30/60.0, false}, // inside the third
		{0.90, 0.004, false},
		{0.99, 0.004, true}, // in +Inf: the largest finite bound, as a floor
	} {
		got, atLeast, err := quantile(bs, tc.q)
		if err != nil || math.Abs(got-tc.want) > 1e-12 || atLeast != tc.atLeast {
			t.Errorf("quantile(%v) = %v, %v, %v; want %v, %v", tc.q, got, atLeast, err, tc.want, tc.atLeast)
		}
	}
	// Empty buckets below the rank are skipped, not interpolated into.
	got, _, _ := quantile([]bucket{{1, 0}, {2, 0}, {4, 4}, {inf, 4}}, 0.5)
	if got != 3 {
		t.Errorf("quantile over leading empty buckets = %v, want 3", got)
	}
	if _, _, err := quantile([]bucket{{1, 5}}, 0.5); err == nil {
		t.Error("quantile without +Inf bucket accepted")
	}
}

func TestParseHistogramErrors(t *testing.T) {
	for name, text := range map[string]string{
		"absent":       "sqlcluster_statement_duration_seconds_bucket{le=\"+Inf\"} 3\n",
		"no +Inf":      lagMetric + "_bucket{le=\"0.1\"} 3\n",
		"bad count":    lagMetric + "_bucket{le=\"+Inf\"} many\n",
		"no value":     lagMetric + "_bucket{le=\"+Inf\"}\n",
		"no le":        lagMetric + "_bucket{node=\"n1\"} 3\n",
		"bad bound":    lagMetric + "_bucket{le=\"soon\"} 3\n",
		"two series":   lagMetric + "_bucket{r=\"a\",le=\"+Inf\"} 3\n" + lagMetric + "_bucket{r=\"b\",le=\"+Inf\"} 4\n",
		"unterminated": lagMetric + "_bucket{le=\"+Inf\" 3\n",
	} {
		if b, err := parseHistogram([]byte(text), lagMetric); err == nil {
			t.Errorf("%s: parsed %v", name, b)
		}
	}
	// A timestamp after the value is allowed by the format.
	b, err := parseHistogram([]byte(lagMetric+"_bucket{le=\"+Inf\"} 7 1700000000000\n"), lagMetric)
	if err != nil || len(b) != 1 || b[0].Count != 7 {
		t.Errorf("with timestamp: %v %v", b, err)
	}
	if _, err := bucketDelta([]bucket{{1, 1}}, []bucket{{1, 2}, {math.Inf(1), 2}}); err == nil {
		t.Error("delta of differently bucketed scrapes accepted")
	}
}

// scrapeHistogram over HTTP, with the fixture served as /metrics is.
func TestScrapeHistogram(t *testing.T) {
	body := readFixture(t, "metrics-after.txt")
	var gone atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" || gone.Load() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(body)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	bs, err := scrapeHistogram(context.Background(), srv.Client(), addr)
	if err != nil || len(bs) != 17 || bs[16].Count != 612 {
		t.Fatalf("scrape = %v, %v", bs, err)
	}
	gone.Store(true)
	if _, err := scrapeHistogram(context.Background(), srv.Client(), addr); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("scrape of a 404 = %v", err)
	}
}
