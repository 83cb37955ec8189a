// Package metrics counts what Kura's operations do, for Prometheus.
//
// Every operation — an S3 request over HTTP, and later a Batch Operations
// task or a replication step acting without one — ends in one call to
// Ops.Observe with its name, outcome, duration and bytes, so the figures
// mean the same whatever the caller. The KMS calls an operation makes are
// counted through its context (WithOp / CountKMS) because they happen deep
// in the envelope code, far from where the operation is finished.
package metrics

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Op is one finished operation.
type Op struct {
	// Service is the API the operation belongs to: s3, kms, iam or sts.
	Service string
	// Name is the API operation name as CloudTrail logs it (PutObject,
	// GenerateDataKey, AssumeRole); "Unknown" when the request never got
	// as far as naming one (a malformed or unauthenticated request).
	Name     string
	Status   int // HTTP status (or what it would have been)
	Duration time.Duration
	BytesIn  int64 // request body bytes read
	BytesOut int64 // response body bytes written
}

// Ops holds the per-operation metrics and the registry they are served
// from.
type Ops struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	kms      *prometheus.CounterVec
}

// New returns the operation metrics on a fresh registry that also carries
// the Go runtime and process collectors.
func New() *Ops {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	labels := []string{"service", "operation"}
	o := &Ops{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kura_operations_total",
			Help: "Operations finished, by API, operation and HTTP status code.",
		}, append(labels, "code")),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kura_operation_duration_seconds",
			Help: "Time from receiving an operation to finishing its response, by API and operation.",
			// 1 ms … ~33 s: metadata calls sit at the low end, large
			// transfers at the high end.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, labels),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kura_operation_received_bytes_total",
			Help: "Request body bytes read, by API and operation.",
		}, labels),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kura_operation_sent_bytes_total",
			Help: "Response body bytes written, by API and operation.",
		}, labels),
		kms: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kura_operation_kms_calls_total",
			Help: "KMS cryptographic calls (GenerateDataKey, Decrypt, Encrypt, ReEncrypt) made while serving an operation, by API and operation; what S3 Bucket Keys reduce.",
		}, labels),
	}
	reg.MustRegister(o.requests, o.latency, o.bytesIn, o.bytesOut, o.kms)
	return o
}

// Registry is where the operation metrics live; the server adds its own
// collectors to it and serves it.
func (o *Ops) Registry() *prometheus.Registry { return o.reg }

// Observe records one finished operation. kmsCalls is what the operation's
// context counted (see Tally). A nil *Ops records nothing.
func (o *Ops) Observe(op Op, kmsCalls int64) {
	if o == nil {
		return
	}
	if op.Name == "" {
		op.Name = "Unknown"
	}
	if op.Service == "" {
		op.Service = "s3"
	}
	o.requests.WithLabelValues(op.Service, op.Name, strconv.Itoa(op.Status)).Inc()
	o.latency.WithLabelValues(op.Service, op.Name).Observe(op.Duration.Seconds())
	if op.BytesIn > 0 {
		o.bytesIn.WithLabelValues(op.Service, op.Name).Add(float64(op.BytesIn))
	}
	if op.BytesOut > 0 {
		o.bytesOut.WithLabelValues(op.Service, op.Name).Add(float64(op.BytesOut))
	}
	if kmsCalls > 0 {
		o.kms.WithLabelValues(op.Service, op.Name).Add(float64(kmsCalls))
	}
}

// Tally counts what an operation does below the layer that finishes it.
type Tally struct {
	kms atomic.Int64
}

// KMSCalls is how many KMS cryptographic calls were counted.
func (t *Tally) KMSCalls() int64 {
	if t == nil {
		return 0
	}
	return t.kms.Load()
}

type tallyKey struct{}

// WithOp returns a context that counts into a new Tally for one operation.
func WithOp(ctx context.Context) (context.Context, *Tally) {
	t := &Tally{}
	return context.WithValue(ctx, tallyKey{}, t), t
}

// CountKMS notes one KMS cryptographic call against the operation ctx
// belongs to, if any.
func CountKMS(ctx context.Context) {
	if t, _ := ctx.Value(tallyKey{}).(*Tally); t != nil {
		t.kms.Add(1)
	}
}
