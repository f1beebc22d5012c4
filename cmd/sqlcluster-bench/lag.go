package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// lagMetric is the primary's histogram of the time from a commit being
// logged to a replica acknowledging it.
const lagMetric = "sqlcluster_replication_lag_seconds"

// bucket is one cumulative histogram bucket: Count observations ≤ Upper.
type bucket struct {
	Upper float64 // +Inf for the last
	Count float64
}

// parseHistogram extracts the buckets of the unlabelled histogram name from
// a Prometheus text exposition, sorted by upper bound. A histogram that is
// absent is an error: a node without it is not a stream-mode primary.
func parseHistogram(text []byte, name string) ([]bucket, error) {
	var out []bucket
	prefix := name + "_bucket{"
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("malformed bucket line %q", line)
		}
		le, ok := labelValue(line[len(prefix):end], "le")
		if !ok {
			return nil, fmt.Errorf("bucket line without le: %q", line)
		}
		upper, err := strconv.ParseFloat(le, 64) // accepts "+Inf"
		if err != nil {
			return nil, fmt.Errorf("bucket bound %q: %w", le, err)
		}
		// The value, optionally followed by a timestamp.
		fields := strings.Fields(line[end+1:])
		if len(fields) == 0 {
			return nil, fmt.Errorf("bucket line without value: %q", line)
		}
		count, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("bucket count %q: %w", fields[0], err)
		}
		out = append(out, bucket{Upper: upper, Count: count})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s histogram in the metrics", name)
	}
	slices.SortFunc(out, func(a, b bucket) int {
		switch {
		case a.Upper < b.Upper:
			return -1
		case a.Upper > b.Upper:
			return 1
		}
		return 0
	})
	if !math.IsInf(out[len(out)-1].Upper, 1) {
		return nil, fmt.Errorf("%s has no +Inf bucket", name)
	}
	for i := 1; i < len(out); i++ {
		if out[i].Upper == out[i-1].Upper {
			return nil, fmt.Errorf("%s has two buckets le=%g (labelled series are not supported)", name, out[i].Upper)
		}
	}
	return out, nil
}

// labelValue finds key="value" in a label list (values without escapes,
// which is all le ever holds).
func labelValue(labels, key string) (string, bool) {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && k == key {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// bucketDelta is after minus before, bucket by bucket: the observations made
// between two scrapes of the same histogram.
func bucketDelta(before, after []bucket) ([]bucket, error) {
	if len(before) != len(after) {
		return nil, fmt.Errorf("histogram buckets changed between scrapes (%d, then %d)", len(before), len(after))
	}
	out := make([]bucket, len(after))
	for i := range after {
		if before[i].Upper != after[i].Upper {
			return nil, fmt.Errorf("histogram bucket bounds changed between scrapes")
		}
		d := after[i].Count - before[i].Count
		if d < 0 {
			return nil, fmt.Errorf("histogram went backwards at le=%g (server restarted between scrapes?)", after[i].Upper)
		}
		out[i] = bucket{Upper: after[i].Upper, Count: d}
	}
	return out, nil
}

// quantile estimates the q-quantile (0 < q ≤ 1) of cumulative buckets the
// way Prometheus' histogram_quantile does: find the bucket holding rank
// q·total and interpolate linearly inside it, the first bucket starting at
// 0. A rank in the +Inf bucket has no upper bound to interpolate to, so the
// largest finite bound is returned with atLeast set: the true value is
// above it.
func quantile(bs []bucket, q float64) (v float64, atLeast bool, err error) {
	if len(bs) == 0 || !math.IsInf(bs[len(bs)-1].Upper, 1) {
		return 0, false, fmt.Errorf("histogram has no +Inf bucket")
	}
	total := bs[len(bs)-1].Count
	if total <= 0 {
		return 0, false, fmt.Errorf("no observations")
	}
	rank := q * total
	i := 0
	for bs[i].Count < rank {
		i++ // stops at +Inf at the latest: its Count is total ≥ rank
	}
	if i >= len(bs)-1 {
		if len(bs) < 2 {
			return 0, true, nil
		}
		return bs[len(bs)-2].Upper, true, nil
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = bs[i-1].Upper, bs[i-1].Count
	}
	in := bs[i].Count - below
	if in <= 0 {
		return bs[i].Upper, false, nil
	}
	return lower + (bs[i].Upper-lower)*(rank-below)/in, false, nil
}

// scrapeHistogram fetches GET /metrics from adminAddr and returns the
// buckets of lagMetric.
func scrapeHistogram(ctx context.Context, client *http.Client, adminAddr string) ([]bucket, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+adminAddr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	// The classic text format: what parseHistogram reads.
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading /metrics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseHistogram(body, lagMetric)
}

// lagFromScrapes turns two scrapes of the lag histogram into a result.
func lagFromScrapes(before, after []bucket) lagStats {
	d, err := bucketDelta(before, after)
	if err != nil {
		return lagStats{Status: statusError, Error: err.Error()}
	}
	s := lagStats{Status: statusOK, Observations: int64(d[len(d)-1].Count)}
	for _, q := range []struct {
		q       float64
		v       *float64
		atLeast *bool
	}{{0.50, &s.P50MS, &s.P50AtLeast}, {0.99, &s.P99MS, &s.P99AtLeast}} {
		v, atLeast, err := quantile(d, q.q)
		if err != nil {
			return lagStats{Status: statusError, Error: err.Error()}
		}
		*q.v, *q.atLeast = v*1000, atLeast
	}
	return s
}
