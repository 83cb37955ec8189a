package replication

import (
	"sort"
	"sync"
	"time"

	"github.com/kurastore/kura"
)

// RuleStats are the replication figures of one rule of one source bucket
// (S3's replication metrics): operations and bytes pending as of the last
// pass over the queue, and counts and latency since the process started.
type RuleStats struct {
	Bucket, RuleID string
	PendingOps     int64
	PendingBytes   int64
	Completed      int64
	Failed         int64
	Retries        int64
	// LatencySeconds is the summed time from commit to replica of the
	// completed replications (with Completed, the mean latency).
	LatencySeconds float64
	// Failures counts the failed replications by failure reason.
	Failures map[string]int64
}

type ruleKey struct{ bucket, rule string }

type pendingCount struct{ ops, bytes int64 }

type pendingMap map[ruleKey]*pendingCount

func (m pendingMap) add(run kura.ReplicationRun) {
	k := ruleKey{run.Bucket, run.RuleID}
	c := m[k]
	if c == nil {
		c = &pendingCount{}
		m[k] = c
	}
	c.ops++
	c.bytes += run.Size
}

type stats struct {
	mu    sync.Mutex
	rules map[ruleKey]*RuleStats
}

func (s *stats) rule(k ruleKey) *RuleStats {
	if s.rules == nil {
		s.rules = map[ruleKey]*RuleStats{}
	}
	r := s.rules[k]
	if r == nil {
		r = &RuleStats{Bucket: k.bucket, RuleID: k.rule, Failures: map[string]int64{}}
		s.rules[k] = r
	}
	return r
}

func (s *stats) setPending(m pendingMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.rules {
		if m[k] == nil {
			r.PendingOps, r.PendingBytes = 0, 0
		}
	}
	for k, c := range m {
		r := s.rule(k)
		r.PendingOps, r.PendingBytes = c.ops, c.bytes
	}
}

func (s *stats) completed(k ruleKey, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rule(k)
	r.Completed++
	r.LatencySeconds += latency.Seconds()
}

func (s *stats) failed(k ruleKey, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rule(k)
	r.Failed++
	r.Failures[reason]++
}

func (s *stats) retried(k ruleKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rule(k).Retries++
}

// Stats returns the figures of every rule seen, by bucket and rule id.
func (r *Replicator) Stats() []RuleStats {
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	out := make([]RuleStats, 0, len(r.stats.rules))
	for _, s := range r.stats.rules {
		c := *s
		c.Failures = make(map[string]int64, len(s.Failures))
		for k, v := range s.Failures {
			c.Failures[k] = v
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bucket != out[j].Bucket {
			return out[i].Bucket < out[j].Bucket
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}
