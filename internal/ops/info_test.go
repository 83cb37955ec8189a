package ops_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The reads of what an object, upload or bucket is, as a principal:
// decided, recorded as reads, counted.
func TestInfoReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	until := e.now.Add(time.Hour).Truncate(time.Millisecond)
	e.put(locked, "held.pdf")
	e.put(locked, "plain.pdf")
	if _, err := e.obj.PutRetention(ctx, locked, "held.pdf", "", &kura.Retention{Mode: object.Governance, Until: until}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.obj.PutLegalHold(ctx, locked, "held.pdf", "", true); err != nil {
		t.Fatal(err)
	}
	e.put(bucket, "a.jpg")
	if _, err := e.ops.CreateMultipartUpload(ctx, call(root, "mpu"), ops.CreateUploadInput{Target: ops.Target{Bucket: bucket, Key: "up/1"}}); err != nil {
		t.Fatal(err)
	}
	tgt := func(b, k string) ops.Target { return ops.Target{Bucket: b, Key: k} }
	for _, tc := range []struct {
		name, op string
		p        kura.Principal
		run      func(kura.Call) error
		want     *s3err.Error
		status   int
		mgmt     bool
	}{
		{name: "retention", op: "GetObjectRetention", p: job, status: 200,
			run: func(c kura.Call) error {
				rt, err := e.ops.GetObjectRetention(ctx, c, tgt(locked, "held.pdf"))
				if err == nil && (rt.Mode != object.Governance || !rt.Until.Equal(until)) {
					t.Errorf("retention %+v, want GOVERNANCE until %s", rt, until)
				}
				return err
			}},
		{name: "no retention", op: "GetObjectRetention", p: job, want: s3err.NoSuchObjectLockConfiguration, status: 404,
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectRetention(ctx, c, tgt(locked, "plain.pdf"))
				return err
			}},
		{name: "retention without permission", op: "GetObjectRetention", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectRetention(ctx, c, tgt(locked, "held.pdf"))
				return err
			}},
		{name: "legal hold", op: "GetObjectLegalHold", p: job, status: 200,
			run: func(c kura.Call) error {
				on, err := e.ops.GetObjectLegalHold(ctx, c, tgt(locked, "held.pdf"))
				if err == nil && !on {
					t.Error("legal hold off, want on")
				}
				return err
			}},
		{name: "legal hold in a bucket without Object Lock", op: "GetObjectLegalHold", p: job, want: s3err.InvalidRequest, status: 400,
			run: func(c kura.Call) error { _, err := e.ops.GetObjectLegalHold(ctx, c, tgt(bucket, "a.jpg")); return err }},
		{name: "attributes", op: "GetObjectAttributes", p: job, status: 200,
			run: func(c kura.Call) error {
				v, err := e.ops.GetObjectAttributes(ctx, c, ops.AttributesInput{Target: tgt(bucket, "a.jpg")})
				if err == nil && (v.Size != 4 || v.ETag == "" || v.Encryption.SealedKey != nil) {
					t.Errorf("attributes %+v, want 4 bytes, an ETag, no key material", v)
				}
				return err
			}},
		{name: "attributes without permission", op: "GetObjectAttributes", p: dave, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectAttributes(ctx, c, ops.AttributesInput{Target: tgt(bucket, "a.jpg")})
				return err
			}},
		{name: "uploads", op: "ListMultipartUploads", p: job, status: 200,
			run: func(c kura.Call) error {
				page, err := e.ops.ListMultipartUploads(ctx, c, ops.UploadsInput{BucketTarget: ops.BucketTarget{Bucket: bucket}, MaxUploads: 1000})
				if err == nil && (len(page.Uploads) != 1 || page.Uploads[0].Key != "up/1" || page.Uploads[0].Encryption.SealedKey != nil) {
					t.Errorf("uploads %+v, want up/1 without key material", page.Uploads)
				}
				return err
			}},
		{name: "uploads by another account", op: "ListMultipartUploads", p: bob, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.ListMultipartUploads(ctx, c, ops.UploadsInput{BucketTarget: ops.BucketTarget{Bucket: bucket}, MaxUploads: 1000})
				return err
			}},
		{name: "location", op: "GetBucketLocation", p: job, status: 200, mgmt: true,
			run: func(c kura.Call) error {
				region, err := e.ops.GetBucketLocation(ctx, c, ops.BucketTarget{Bucket: bucket})
				if err == nil && region != "us-east-1" {
					t.Errorf("region %q, want us-east-1", region)
				}
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count(tc.op, tc.status)
			err := tc.run(call(tc.p, id))
			if tc.want == nil && err != nil || tc.want != nil && !s3err.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if n := e.count(tc.op, tc.status) - before; n != 1 {
				t.Errorf("kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", tc.op, tc.status, n)
			}
			ev := e.eventByID(tc.op, id)
			if ev == nil {
				t.Fatalf("no %s event with requestID %s", tc.op, id)
			}
			code := ""
			if tc.want != nil {
				code = tc.want.Code
			}
			if ev.ErrorCode != code || !ev.ReadOnly || ev.ManagementEvent != tc.mgmt {
				t.Errorf("event errorCode %q readOnly %v management %v, want %q, a read, management %v", ev.ErrorCode, ev.ReadOnly, ev.ManagementEvent, code, tc.mgmt)
			}
		})
	}
}
