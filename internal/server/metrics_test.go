package server_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// Every request is counted once, under the operation name its audit event
// carries, with its status, bytes and the KMS calls made for it.
func TestOperationMetrics(t *testing.T) {
	t.Parallel()
	skipInCluster(t, "it counts one process's S3 Bucket Key cache hits and misses, and the KMS calls they save")
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "metered")
	arn := createKey(t, k)
	body := bytes.Repeat([]byte("x"), 1000)
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("metered"), Key: aws.String("k"), Body: bytes.NewReader(body),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "metered", "k"); !bytes.Equal(got, body) {
		t.Fatal("object reads back wrong")
	}
	_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("metered"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	if _, err := k.Encrypt(cx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"bk1", "bk2"} {
		if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("metered"), Key: aws.String(key), Body: bytes.NewReader(body),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(arn), BucketKeyEnabled: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		sample string
		want   int64
	}{
		{`kura_operations_total{code="200",operation="PutObject",service="s3"}`, 3},
		{`kura_operations_total{code="200",operation="GetObject",service="s3"}`, 1},
		{`kura_operations_total{code="404",operation="GetObject",service="s3"}`, 1},
		{`kura_operations_total{code="200",operation="CreateKey",service="kms"}`, 1},
		{`kura_operation_duration_seconds_count{operation="GetObject",service="s3"}`, 2},
		{`kura_operation_received_bytes_total{operation="PutObject",service="s3"}`, 3000},
		// SSE-KMS without a bucket key: one GenerateDataKey to write, one
		// Decrypt to read; the two bucket-key PUTs share one bucket key.
		{`kura_operation_kms_calls_total{operation="PutObject",service="s3"}`, 2},
		{`kura_operation_kms_calls_total{operation="GetObject",service="s3"}`, 1},
		// The same calls by KMS operation and caller; the direct one is
		// the Encrypt below.
		{`kura_kms_calls_total{caller="s3",operation="GenerateDataKey"}`, 2},
		{`kura_kms_calls_total{caller="s3",operation="Decrypt"}`, 1},
		{`kura_kms_calls_total{caller="direct",operation="Encrypt"}`, 1},
		// Two bucket-key PUTs by one requester: the second from the cache.
		{`kura_bucket_key_cache_total{result="miss"}`, 1},
		{`kura_bucket_key_cache_total{result="hit"}`, 1},
		{`kura_audit_write_failures_total`, 0},
	} {
		if got := ts.metric(t, tc.sample); got != tc.want {
			t.Errorf("%s = %d, want %d", tc.sample, got, tc.want)
		}
	}
	// The body of the one GET and the XML error of the other.
	if got := ts.metric(t, `kura_operation_sent_bytes_total{operation="GetObject",service="s3"}`); got <= 1000+100 {
		t.Errorf("GetObject sent %d bytes, want the 1000-byte body and a NoSuchKey error document", got)
	}
}
