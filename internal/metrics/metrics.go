// Package metrics counts what Kura's operations do, for Prometheus.
//
// Every operation — an S3 request over HTTP, a Batch Operations task or a
// replication step acting without one (internal/ops) — ends in one call
// to Observer.Observe with its name, outcome, duration and bytes, so the
// figures mean the same whatever the caller. This package knows nothing
// of Prometheus (nor, through it, of net/http): the layers below the HTTP
// front depend on it; metrics/prom is the Prometheus Observer. The KMS calls an operation makes are
// counted through its context (WithOp / CountKMS) because they happen deep
// in the envelope code, far from where the operation is finished.
package metrics

import (
	"context"
	"sync/atomic"
	"time"
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

// Observer records finished operations: the Prometheus metrics
// (metrics/prom) in the server. Every operation ends in one Observe call
// (ops.Record.Finish).
type Observer interface {
	// Observe records one finished operation; kmsCalls is what the
	// operation's context counted (see Tally).
	Observe(op Op, kmsCalls int64)
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
