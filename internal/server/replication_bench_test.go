package server_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

// TestReplicationLinkedBench measures replication between linked
// deployments (docs/benchmarks.md): the lag from a PUT's answer at tokyo
// to its replica being listed at osaka, under KURA_REPL_BENCH_RATE PUT/s
// (100) of 64 KiB for KURA_REPL_BENCH_SECONDS (20); then the catch-up of
// KURA_REPL_BENCH_PENDING (10,000) 64 KiB versions written while the link
// was cut (for KURA_REPL_BENCH_CUT in all, e.g. 5m; default: the PUTs and
// 2 s). Skipped unless KURA_REPL_BENCH is set:
//
//	KURA_REPL_BENCH=1 go test ./internal/server/ -run TestReplicationLinkedBench -v -timeout 60m
func TestReplicationLinkedBench(t *testing.T) {
	if os.Getenv("KURA_REPL_BENCH") == "" {
		t.Skip("set KURA_REPL_BENCH=1 to run the replication lag and catch-up measurement")
	}
	env := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return v
		}
		return def
	}
	rate, seconds, pending := env("KURA_REPL_BENCH_RATE", 100), env("KURA_REPL_BENCH_SECONDS", 20), env("KURA_REPL_BENCH_PENDING", 10000)
	interval := time.Second // the shipped --replication-interval
	if d, err := time.ParseDuration(os.Getenv("KURA_REPL_BENCH_INTERVAL")); err == nil {
		interval = d
	}
	lp := startLinkedPair(t, func(c *server.Config) { c.ReplicationInterval = interval })
	lp.setup(t, linkedPolicy("ap-northeast-3"))
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	body := make([]byte, 64<<10)
	rand.Read(body)

	// arrivals polls osaka's listing for keys after start, in key order
	// (the queue is drained in key order), recording when each appeared.
	type seen struct {
		mu sync.Mutex
		at map[string]time.Time
	}
	watch := func(prefix string, n int) (*seen, chan struct{}) {
		s := &seen{at: map[string]time.Time{}}
		done := make(chan struct{})
		go func() {
			defer close(done)
			after := ""
			for {
				out, err := oc.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("dst"), Prefix: aws.String(prefix), StartAfter: aws.String(after)})
				now := time.Now()
				if err == nil {
					s.mu.Lock()
					for _, o := range out.Contents {
						k := aws.ToString(o.Key)
						if _, ok := s.at[k]; !ok {
							s.at[k] = now
						}
					}
					s.mu.Unlock()
				}
				s.mu.Lock()
				got := len(s.at)
				s.mu.Unlock()
				if got >= n {
					return
				}
				// Keys arrive in order: list from the first missing one.
				after = ""
				s.mu.Lock()
				for i := 0; i < n; i++ {
					k := fmt.Sprintf("%s%06d", prefix, i)
					if _, ok := s.at[k]; !ok {
						break
					}
					after = k
				}
				s.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
		return s, done
	}
	putAll := func(prefix string, n, workers int, pace time.Duration, then func(k string, i int)) map[string]time.Time {
		done := map[string]time.Time{}
		var mu sync.Mutex
		type job struct {
			k string
			i int
		}
		keys := make(chan job)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range keys {
					if _, err := tc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(j.k), Body: bytes.NewReader(body)}); err != nil {
						t.Errorf("PUT %s: %v", j.k, err)
						continue
					}
					mu.Lock()
					done[j.k] = time.Now()
					mu.Unlock()
					if then != nil {
						then(j.k, j.i)
					}
				}
			}()
		}
		var tick *time.Ticker
		if pace > 0 {
			tick = time.NewTicker(pace)
			defer tick.Stop()
		}
		for i := 0; i < n; i++ {
			if tick != nil {
				<-tick.C
			}
			keys <- job{fmt.Sprintf("%s%06d", prefix, i), i}
		}
		close(keys)
		wg.Wait()
		return done
	}

	// Lag under a steady rate: every 10th PUT is followed by HEADs of
	// its replica at osaka every 50 ms until it is there (lag ±50 ms; faster
	// probing loads the 2 cores the servers share).
	n := rate * seconds
	var lagMu sync.Mutex
	var lags []float64
	var probes sync.WaitGroup
	start := time.Now()
	putAll("lag/", n, 8, time.Second/time.Duration(rate), func(k string, i int) {
		if i%10 != 0 {
			return
		}
		probes.Add(1)
		go func() {
			defer probes.Done()
			st := time.Now()
			for time.Since(st) < 5*time.Minute {
				if _, err := oc.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String(k)}); err == nil {
					lagMu.Lock()
					lags = append(lags, time.Since(st).Seconds())
					lagMu.Unlock()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Errorf("lag: %s not replicated within 5 minutes", k)
		}()
	})
	putSecs := time.Since(start).Seconds()
	probes.Wait()
	sort.Float64s(lags)
	q := func(p float64) float64 { return lags[int(p*float64(len(lags)-1))] }
	t.Logf("lag: %d PUTs of 64 KiB in %.1fs (%.0f/s), replication interval %v, %d sampled: lag p50 %.3fs p90 %.3fs p99 %.3fs max %.3fs",
		n, putSecs, float64(n)/putSecs, interval, len(lags), q(0.5), q(0.9), q(0.99), lags[len(lags)-1])

	// Catch-up after a cut.
	lp.proxy.setCut(true)
	start = time.Now()
	putAll("cut/", pending, 8, 0, nil)
	cutSecs := time.Since(start).Seconds()
	t.Logf("catch-up: %d PUTs of 64 KiB with the link cut in %.1fs", pending, cutSecs)
	cut := 2 * time.Second // after the PUTs
	if d, err := time.ParseDuration(os.Getenv("KURA_REPL_BENCH_CUT")); err == nil {
		cut = time.Until(start.Add(d)) // the whole cut, PUTs included
	}
	time.Sleep(cut)
	s, watching := watch("cut/", pending)
	healed := time.Now()
	lp.proxy.setCut(false)
	select {
	case <-watching:
	case <-time.After(30 * time.Minute):
		t.Fatalf("catch-up: not every replica arrived within 30 minutes")
	}
	var first, last time.Time
	for _, at := range s.at {
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	t.Logf("catch-up: %d pending, link cut %.0fs: first replica %.1fs after healing, all %.1fs after healing (%.0f replicas/s from the first)",
		pending, time.Since(start).Seconds()-time.Since(healed).Seconds(), first.Sub(healed).Seconds(), last.Sub(healed).Seconds(),
		float64(pending)/last.Sub(first).Seconds())
}
