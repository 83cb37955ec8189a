package server_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura/internal/audit"
)

// TestUOEKMSCallsAndEvents counts the KMS calls each transition makes (the
// bucket key cache is shared with PUT) and finds their KMS audit events,
// made by S3 on the caller's behalf, with the right encryption context.
func TestUOEKMSCallsAndEvents(t *testing.T) {
	t.Parallel()
	skipInCluster(t, "the KMS calls of each step depend on one process's S3 Bucket Key cache, which another node does not share")
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "calls")
	keyA, keyB := createKey(t, k), createKey(t, k)
	put(t, c, "calls", "s3", randBytes(100))
	for _, key := range []string{"kms1", "kms2"} {
		if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("calls"), Key: aws.String(key), Body: bytes.NewReader(randBytes(100)),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyA)}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name, key, keyARN string
		bk                bool
		calls             int64
		events            []string
	}{
		{"SSE-S3 to KMS: Encrypt", "s3", keyA, false, 1, []string{"Encrypt"}},
		{"KMS to KMS: ReEncrypt", "kms1", keyB, false, 1, []string{"ReEncrypt"}},
		{"KMS to bucket key: Decrypt + GenerateDataKey", "kms2", keyB, true, 2, []string{"Decrypt", "GenerateDataKey"}},
		{"KMS to the cached bucket key: Decrypt only", "kms1", keyB, true, 1, []string{"Decrypt"}},
		{"bucket key to KMS: cached bucket key + Encrypt", "kms2", keyA, false, 1, []string{"Encrypt"}},
	}
	for _, s := range steps {
		before := ts.KMS.CallCount()
		reqID := mustUOE(t, c, "calls", s.key, "", s.keyARN, s.bk)
		if got := ts.KMS.CallCount() - before; got != s.calls {
			t.Errorf("%s: %d KMS calls, want %d", s.name, got, s.calls)
		}
		if reqID == "" {
			t.Fatal("no x-amz-request-id in the response")
		}
		// S3 passes its request id to KMS, so the KMS events of one
		// UpdateObjectEncryption carry it.
		var names []string
		err := ts.auditQuery(audit.Filter{}, func(ev audit.Event) error {
			if ev.RequestID != reqID || ev.EventSource == "s3.amazonaws.com" {
				return nil // the S3 event of the request itself is another test's
			}
			if ev.EventSource != "kms.amazonaws.com" || ev.UserIdentity.InvokedBy != "s3.amazonaws.com" || ev.ErrorCode != "" || !mentions(ev, "calls", s.key) {
				t.Errorf("%s: unexpected event %s from %s (invokedBy %q, error %q, parameters %v)", s.name, ev.EventName, ev.EventSource,
					ev.UserIdentity.InvokedBy, ev.ErrorCode, ev.RequestParameters)
				return nil
			}
			names = append(names, ev.EventName)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.events, names); diff != "" {
			t.Errorf("%s: KMS events for the re-key (-want +got):\n%s", s.name, diff)
		}
	}
}

// mentions reports whether a KMS event's encryption context names the
// object (or, under a bucket key, the bucket).
func mentions(ev audit.Event, bucket, key string) bool {
	for _, p := range []string{"encryptionContext", "sourceEncryptionContext", "destinationEncryptionContext"} {
		m, _ := ev.RequestParameters[p].(map[string]any)
		switch m["aws:s3:arn"] {
		case "arn:aws:s3:::" + bucket + "/" + key, "arn:aws:s3:::" + bucket:
			return true
		}
	}
	return false
}

// TestUOEAuditEvent: the UpdateObjectEncryption data event records the
// previous and the new encryption (never key material).
func TestUOEAuditEvent(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	mustBucket(t, c, "trail")
	keyA := createKey(t, k)
	put(t, c, "trail", "obj", randBytes(100))
	mustUOE(t, c, "trail", "obj", "", keyA, true)
	var found []audit.Event
	err := ts.auditQuery(audit.Filter{EventName: "UpdateObjectEncryption"}, func(ev audit.Event) error {
		found = append(found, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("%d UpdateObjectEncryption events, want 1", len(found))
	}
	ev := found[0]
	if ev.EventSource != "s3.amazonaws.com" || ev.ErrorCode != "" || ev.ReadOnly {
		t.Errorf("event = source %s, error %q, readOnly %v", ev.EventSource, ev.ErrorCode, ev.ReadOnly)
	}
	want := map[string]any{
		"previousEncryption": map[string]any{"type": "SSE-S3"},
		"newEncryption":      map[string]any{"type": "SSE-KMS", "kmsKeyArn": keyA, "bucketKeyEnabled": true},
	}
	for k, v := range want {
		if diff := cmp.Diff(v, ev.AdditionalEventData[k]); diff != "" {
			t.Errorf("additionalEventData[%s] (-want +got):\n%s", k, diff)
		}
	}
	seal := sealedKey(t, ts, "trail", "obj", "")
	line := ev.Line()
	for _, secret := range [][]byte{seal.SealedKey, seal.BucketKeyBlob} {
		if bytes.Contains(line, []byte(base64.StdEncoding.EncodeToString(secret))) {
			t.Fatal("the audit event contains key material")
		}
	}
}
