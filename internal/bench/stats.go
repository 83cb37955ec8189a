package bench

import (
	"math"
	"slices"
	"time"
)

// Latency summarises the latencies of the successful operations of one
// phase. Every duration is recorded and sorted rather than bucketed: at
// most a few million samples per phase (8 bytes each), and exact
// percentiles avoid arguing about histogram resolution.
type Latency struct {
	Min  time.Duration
	Mean time.Duration
	P50  time.Duration
	P90  time.Duration
	P99  time.Duration
	Max  time.Duration
}

// Percentile returns the p-th percentile (0 < p <= 100) of an ascending
// slice using the nearest-rank method: the smallest sample such that at
// least p% of the samples are <= it. It is always an observed value, so
// p99 of a phase with 10 operations is simply the slowest one.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// The epsilon absorbs float error (99.9*1000 is not exactly 99900), so
	// an exact rank is not pushed up to the next sample by ceil.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = max(rank, 1)
	return sorted[min(rank, n)-1]
}

// Summarize sorts d in place and computes its latency summary.
func Summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Latency{
		Min:  d[0],
		Mean: sum / time.Duration(len(d)),
		P50:  Percentile(d, 50),
		P90:  Percentile(d, 90),
		P99:  Percentile(d, 99),
		Max:  d[len(d)-1],
	}
}
