package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile of 100 samples is exactly p ms.
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{
		0: 1, 1: 1, 50: 50, 90: 90, 99: 99, 99.5: 100, 100: 100, 0.5: 1,
	} {
		if got := Percentile(d, p); got != want*time.Millisecond {
			t.Errorf("p%v of 1..100 = %v, want %vms", p, got, int64(want))
		}
	}

	// 1000 samples: float error in 99.9*1000 must not skip a rank.
	d = d[:0]
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	if got := Percentile(d, 99.9); got != 999 {
		t.Errorf("p99.9 of 1..1000 = %v, want 999", got)
	}

	small := []time.Duration{10, 20, 30}
	for p, want := range map[float64]time.Duration{50: 20, 66: 20, 67: 30, 99: 30, 33: 10, 34: 20} {
		if got := Percentile(small, p); got != want {
			t.Errorf("p%v of %v = %v, want %v", p, small, got, want)
		}
	}
	if got := Percentile([]time.Duration{42}, 99); got != 42 {
		t.Errorf("p99 of one sample = %v", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	// Shuffled input: Summarize must sort.
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Microsecond)
	}
	rand.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
	got := Summarize(d)
	want := Latency{
		Min:  1 * time.Microsecond,
		Mean: 100500 * time.Nanosecond,
		P50:  100 * time.Microsecond,
		P90:  180 * time.Microsecond,
		P99:  198 * time.Microsecond,
		Max:  200 * time.Microsecond,
	}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if got := Summarize(nil); got != (Latency{}) {
		t.Errorf("Summarize(nil) = %+v", got)
	}
}
