package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kurastore/kura/internal/accesslog"
	"github.com/kurastore/kura/internal/netlimit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/replication"
)

// registerMetrics adds the server's own gauges and counters to the
// operation metrics' registry (internal/metrics): the KMS cryptographic
// calls S3 made or served (what S3 Bucket Keys reduce), integrity errors met
// reading object data, damage found in the metadata file while serving, and
// the connection caps and slow bodies of internal/netlimit. They are read
// at scrape time from the counters their packages keep.
func (s *Server) registerMetrics(reg *prometheus.Registry) {
	reg.MustRegister(replicationCollector{s.Replication}, countsCollector{s})
	counter := func(name, help string, labels prometheus.Labels, f func() int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f()) }))
	}
	gauge := func(name, help string, f func() int64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(f()) }))
	}
	counter("kura_kms_crypto_calls_total",
		"KMS cryptographic operations (Encrypt, Decrypt, GenerateDataKey*, ReEncrypt), direct or on behalf of S3.",
		nil, s.KMS.CallCount)
	counter("kura_bucket_key_cache_total", "S3 Bucket Key look-ups answered from the cache (result=hit, no KMS call) or by asking the KMS (result=miss).",
		prometheus.Labels{"result": "hit"}, func() int64 { h, _ := s.Objects.BucketKeyCacheStats(); return h })
	counter("kura_bucket_key_cache_total", "S3 Bucket Key look-ups answered from the cache (result=hit, no KMS call) or by asking the KMS (result=miss).",
		prometheus.Labels{"result": "miss"}, func() int64 { _, m := s.Objects.BucketKeyCacheStats(); return m })
	counter("kura_audit_write_failures_total",
		"Audit events that could not be appended to the trail (each logged; an event of a change is shipped from the outbox at the next start).",
		nil, s.audit.WriteFailures)
	const integrityHelp = "Reads of object data that found a blob missing, damaged (failing authentication) or unreadable; each answered 500 or aborted its response."
	for kind, f := range map[string]func(object.IntegrityCounts) int64{
		object.IntegrityMissing:    func(c object.IntegrityCounts) int64 { return c.Missing },
		object.IntegrityDamaged:    func(c object.IntegrityCounts) int64 { return c.Damaged },
		object.IntegrityUnreadable: func(c object.IntegrityCounts) int64 { return c.Unreadable },
	} {
		counter("kura_integrity_errors_total", integrityHelp, prometheus.Labels{"kind": kind},
			func() int64 { return f(s.Objects.IntegrityErrors()) })
	}
	if f, ok := s.meta.(interface{ Faults() int64 }); ok { // the embedded store (meta/bolt/health.go)
		counter("kura_metadata_damage_total",
			"Metadata transactions that met a damaged page of meta.db (each failed; the file is checked at the next start).",
			nil, f.Faults)
	}
	conns := func() netlimit.Stats {
		if s.conns == nil {
			return netlimit.Stats{}
		}
		return s.conns.Stats()
	}
	gauge("kura_connections_open", "Open S3 connections.", func() int64 { return int64(conns().Open) })
	gauge("kura_connections_max", "The cap on open S3 connections in force (after the open-file limit); 0: none.",
		func() int64 { return int64(max(conns().MaxConnections, 0)) })
	const refusedHelp = "Connections closed on accept for being over a cap (cap: total or per_client)."
	counter("kura_connections_refused_total", refusedHelp, prometheus.Labels{"cap": "total"},
		func() int64 { return int64(conns().RefusedTotal) })
	counter("kura_connections_refused_total", refusedHelp, prometheus.Labels{"cap": "per_client"},
		func() int64 { return int64(conns().RefusedPerClient) })
	const accessHelp = "Server access log records (PutBucketLogging), by outcome: spooled when their request finished; delivered into the target bucket; dropped because the target refused the logging service or is gone; lost because the spool could not be written or the bucket's configuration could not be read."
	for outcome, f := range map[string]func(accesslog.Stats) int64{
		"spooled":   func(st accesslog.Stats) int64 { return st.Records },
		"delivered": func(st accesslog.Stats) int64 { return st.Delivered },
		"dropped":   func(st accesslog.Stats) int64 { return st.Dropped },
		"lost":      func(st accesslog.Stats) int64 { return st.SpoolErrors },
	} {
		counter("kura_access_log_records_total", accessHelp, prometheus.Labels{"outcome": outcome},
			func() int64 { return f(s.AccessLog.Stats()) })
	}
	counter("kura_access_log_objects_total", "Server access log objects delivered into target buckets.", nil,
		func() int64 { return s.AccessLog.Stats().Objects })
	counter("kura_request_timeouts_total", "Requests answered 400 RequestTimeout because their body arrived too slowly.",
		nil, func() int64 { return int64(s.bodies.Timeouts()) })
}

// countsCollector exposes counts kept in maps: KMS calls by operation and
// caller, Batch Operations tasks by operation and result.
type countsCollector struct{ s *Server }

var (
	kmsCalls   = prometheus.NewDesc("kura_kms_calls_total", "KMS cryptographic calls by operation and caller: s3 (made by S3 for its caller: SSE-KMS, bucket keys, UpdateObjectEncryption, replication) or direct (a client of the KMS API).", []string{"operation", "caller"}, nil)
	batchTasks = prometheus.NewDesc("kura_batch_tasks_total", "Batch Operations tasks run by this process, by job operation and result (succeeded, failed), counted as their checkpoint commits.", []string{"operation", "result"}, nil)
)

func (c countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- kmsCalls; ch <- batchTasks }

func (c countsCollector) Collect(ch chan<- prometheus.Metric) {
	for k, n := range c.s.KMS.CallCounts() {
		ch <- prometheus.MustNewConstMetric(kmsCalls, prometheus.CounterValue, float64(n), k[0], k[1])
	}
	if c.s.Batch != nil {
		for k, n := range c.s.Batch.TaskCounts() {
			ch <- prometheus.MustNewConstMetric(batchTasks, prometheus.CounterValue, float64(n), k[0], k[1])
		}
	}
}

// replicationCollector exposes the replicator's per-rule figures (S3's
// replication metrics: operations and bytes pending, latency, failures).
type replicationCollector struct{ r *replication.Replicator }

var (
	replLabels       = []string{"bucket", "rule"}
	replPendingOps   = prometheus.NewDesc("kura_replication_pending_operations", "Versions queued for replication and not yet replicated, per source bucket and rule (as of the last pass over the queue).", replLabels, nil)
	replPendingBytes = prometheus.NewDesc("kura_replication_pending_bytes", "Bytes of the versions queued for replication, per source bucket and rule.", replLabels, nil)
	replCompleted    = prometheus.NewDesc("kura_replication_completed_total", "Versions replicated (source COMPLETED for that destination).", replLabels, nil)
	replFailed       = prometheus.NewDesc("kura_replication_failed_total", "Versions whose replication failed (source FAILED), by S3 failure reason.", []string{"bucket", "rule", "reason"}, nil)
	replRetries      = prometheus.NewDesc("kura_replication_retries_total", "Replication attempts that failed transiently and were scheduled again (backing off).", replLabels, nil)
	replLatency      = prometheus.NewDesc("kura_replication_latency_seconds_total", "Summed time from a version's commit to its replica, over the completed replications (divide by kura_replication_completed_total for the mean).", replLabels, nil)
)

func (c replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{replPendingOps, replPendingBytes, replCompleted, replFailed, replRetries, replLatency} {
		ch <- d
	}
}

func (c replicationCollector) Collect(ch chan<- prometheus.Metric) {
	if c.r == nil {
		return
	}
	for _, st := range c.r.Stats() {
		ch <- prometheus.MustNewConstMetric(replPendingOps, prometheus.GaugeValue, float64(st.PendingOps), st.Bucket, st.RuleID)
		ch <- prometheus.MustNewConstMetric(replPendingBytes, prometheus.GaugeValue, float64(st.PendingBytes), st.Bucket, st.RuleID)
		ch <- prometheus.MustNewConstMetric(replCompleted, prometheus.CounterValue, float64(st.Completed), st.Bucket, st.RuleID)
		ch <- prometheus.MustNewConstMetric(replRetries, prometheus.CounterValue, float64(st.Retries), st.Bucket, st.RuleID)
		ch <- prometheus.MustNewConstMetric(replLatency, prometheus.CounterValue, st.LatencySeconds, st.Bucket, st.RuleID)
		for reason, n := range st.Failures {
			ch <- prometheus.MustNewConstMetric(replFailed, prometheus.CounterValue, float64(n), st.Bucket, st.RuleID, reason)
		}
	}
}
