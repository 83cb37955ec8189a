package prom

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kurastore/kura/internal/metrics"
)

func TestObserve(t *testing.T) {
	o := New()
	ctx, tally := metrics.WithOp(context.Background())
	metrics.CountKMS(ctx)
	metrics.CountKMS(ctx)
	metrics.CountKMS(context.Background()) // no operation: counted nowhere
	o.Observe(metrics.Op{Name: "PutObject", Status: 200, Duration: 3 * time.Millisecond, BytesIn: 10}, tally.KMSCalls())
	o.Observe(metrics.Op{Name: "PutObject", Status: 403}, 0)
	o.Observe(metrics.Op{Service: "kms", Status: 400}, 0) // unnamed: Unknown
	var none *Ops
	none.Observe(metrics.Op{Name: "GetObject"}, 1) // a nil *Ops records nothing, and does not panic

	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"200 PutObject", testutil.ToFloat64(o.requests.WithLabelValues("s3", "PutObject", "200")), 1},
		{"403 PutObject", testutil.ToFloat64(o.requests.WithLabelValues("s3", "PutObject", "403")), 1},
		{"unnamed kms", testutil.ToFloat64(o.requests.WithLabelValues("kms", "Unknown", "400")), 1},
		{"bytes in", testutil.ToFloat64(o.bytesIn.WithLabelValues("s3", "PutObject")), 10},
		{"kms calls", testutil.ToFloat64(o.kms.WithLabelValues("s3", "PutObject")), 2},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(o.latency, "kura_operation_duration_seconds"); n != 2 {
		t.Errorf("latency series = %d, want 2 (s3 PutObject, kms Unknown)", n)
	}
	const want = `
# HELP kura_operation_kms_calls_total KMS cryptographic calls (GenerateDataKey, Decrypt, Encrypt, ReEncrypt) made while serving an operation, by API and operation; what S3 Bucket Keys reduce.
# TYPE kura_operation_kms_calls_total counter
kura_operation_kms_calls_total{operation="PutObject",service="s3"} 2
`
	if err := testutil.CollectAndCompare(o.kms, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
