// Package prom is the Prometheus side of the operation metrics: the
// metrics.Observer the server hands to every layer that finishes
// operations, and the registry /metrics serves.
package prom

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kurastore/kura/internal/metrics"
)

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
// context counted (see metrics.Tally). A nil *Ops records nothing.
func (o *Ops) Observe(op metrics.Op, kmsCalls int64) {
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
