package ops_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// dave may write anything into photos and read only photos/public/*: a
// copy he makes is decided on both ends.
var dave = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/dave",
	PrincipalID: "AIDADAVE", UserName: "dave", AccessKeyID: "AKIADAVE"}

func init() {
	identityPolicies[dave.ARN] = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"},
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/public/*"}]}`
}

// CopyObject as a principal, without HTTP: s3:PutObject (and what the
// input sets) on the target, s3:GetObject or s3:GetObjectVersion on the
// source, one event naming both objects, and the metrics.
func TestCopyObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	srcV := e.put(bucket, "public/a.jpg")
	e.put(bucket, "secret.jpg")
	e.put(plain, "p.txt")
	if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: "bobs", Owner: other}); err != nil {
		t.Fatal(err)
	}
	future := e.now.Add(48 * time.Hour).Truncate(time.Millisecond)
	src := func(b, key string) ops.CopySource { return ops.CopySource{Bucket: b, Key: key} }
	to := func(b, key string) ops.Target { return ops.Target{Bucket: b, Key: key} }
	var last ops.CopyResult
	cp := func(in ops.CopyInput) func(kura.Call) error {
		return func(c kura.Call) error {
			res, err := e.ops.CopyObject(ctx, c, in)
			last = res
			return err
		}
	}
	head := func(t *testing.T, b, key string) *kura.ObjectVersion {
		t.Helper()
		v, err := e.obj.Head(ctx, b, key, "")
		if err != nil {
			t.Fatalf("head %s/%s after the copy: %v", b, key, err)
		}
		return v
	}
	on := true

	for _, tc := range []struct {
		name    string
		p       kura.Principal
		run     func(c kura.Call) error
		want    *s3err.Error
		status  int
		changes bool
		check   func(t *testing.T)
	}{
		{name: "owner copies within a bucket", p: root, status: 200, changes: true,
			run: cp(ops.CopyInput{Target: to(bucket, "copy.jpg"), Source: src(bucket, "public/a.jpg")}),
			check: func(t *testing.T) {
				v := head(t, bucket, "copy.jpg")
				if last.VersionID != v.VersionID || last.SourceVersionID != srcV || last.ETag != v.ETag ||
					!last.LastModified.Equal(v.LastModified) || last.Size != 4 || last.Encryption.Type != kura.SSES3 {
					t.Errorf("result %+v, want the new version %s of 4 bytes (SSE-S3) copied from %s", last, v.VersionID, srcV)
				}
				if last.Encryption.SealedKey != nil {
					t.Error("result carries key material")
				}
				ev := e.lastEvent("CopyObject")
				if ev.RequestParameters["x-amz-copy-source"] != bucket+"/public/a.jpg" {
					t.Errorf("requestParameters = %v, want x-amz-copy-source", ev.RequestParameters)
				}
				if r := ev.ResponseElements; r["x-amz-version-id"] != v.VersionID || r["x-amz-copy-source-version-id"] != srcV ||
					r["x-amz-server-side-encryption"] != "AES256" {
					t.Errorf("responseElements = %v, want both version ids and the encryption", r)
				}
				if ev.AdditionalEventData["SSEApplied"] != "Default_SSE_S3" {
					t.Errorf("SSEApplied = %v, want Default_SSE_S3", ev.AdditionalEventData["SSEApplied"])
				}
				want := []string{"arn:aws:s3:::photos/copy.jpg", "arn:aws:s3:::photos/public/a.jpg", "arn:aws:s3:::photos"}
				var got []string
				for _, r := range ev.Resources {
					got = append(got, r.ARN)
				}
				if !slices.Equal(got, want) || ev.Resources[2].AccountID != owner {
					t.Errorf("resources = %+v, want %v with the bucket's owner", ev.Resources, want)
				}
			}},
		{name: "IAM user reads the source and writes the target", p: dave, status: 200, changes: true,
			run: cp(ops.CopyInput{Target: to(bucket, "dave.jpg"), Source: src(bucket, "public/a.jpg"),
				MetadataDirective: ops.DirectiveReplace, Headers: kura.ContentHeaders{ContentType: "image/jpeg", Metadata: map[string]string{"by": "dave"}}}),
			check: func(t *testing.T) {
				if v := head(t, bucket, "dave.jpg"); v.ContentHeaders.ContentType != "image/jpeg" || v.ContentHeaders.Metadata["by"] != "dave" || v.Owner != owner {
					t.Errorf("copy's headers %+v owner %s, want the replaced ones", v.ContentHeaders, v.Owner)
				}
			}},
		{name: "denied on the source", p: dave, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(bucket, "dave2.jpg"), Source: src(bucket, "secret.jpg")})},
		{name: "a named source version needs s3:GetObjectVersion", p: dave, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(bucket, "dave3.jpg"), Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg", VersionID: srcV}})},
		{name: "denied on the target", p: dave, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(plain, "from-photos"), Source: src(bucket, "public/a.jpg")})},
		{name: "new tags need s3:PutObjectTagging", p: dave, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(bucket, "dave4.jpg"), Source: src(bucket, "public/a.jpg"),
				TaggingDirective: ops.DirectiveReplace, Tags: []kura.Tag{{Key: "k", Value: "v"}}})},
		{name: "another account's source not granted", p: bob, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to("bobs", "stolen.jpg"), Source: src(bucket, "public/a.jpg")})},
		{name: "tags denied by s3:RequestObjectTag on the target", p: job, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(bucket, "t.jpg"), Source: src(bucket, "public/a.jpg"),
				TaggingDirective: ops.DirectiveReplace, Tags: []kura.Tag{{Key: "class", Value: "secret"}}})},
		{name: "role copies a version with new tags, an ACL and SSE-KMS", p: root, status: 200, changes: true,
			run: cp(ops.CopyInput{Target: to(bucket, "kms.jpg"), Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg", VersionID: srcV},
				TaggingDirective: ops.DirectiveReplace, Tags: []kura.Tag{{Key: "class", Value: "public"}},
				ACL: ops.ObjectACL{Canned: "public-read"}, SSE: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: e.keyARN}}),
			check: func(t *testing.T) {
				v := head(t, bucket, "kms.jpg")
				if v.Encryption.Type != kura.SSEKMS || v.Encryption.KMSKeyARN != e.keyARN || last.Encryption.KMSKeyARN != e.keyARN {
					t.Errorf("copy's encryption %+v (result %+v), want SSE-KMS under %s", v.Encryption, last.Encryption, e.keyARN)
				}
				if len(v.Tags) != 1 || v.Tags[0].Value != "public" || v.ACL == nil || len(v.ACL.Grants) != 2 {
					t.Errorf("copy's tags %v ACL %+v, want class=public and public-read", v.Tags, v.ACL)
				}
				ev := e.lastEvent("CopyObject")
				if ev.AdditionalEventData["SSEApplied"] != "SSE_KMS" || ev.ResponseElements["x-amz-server-side-encryption-aws-kms-key-id"] != e.keyARN {
					t.Errorf("event %v / %v, want SSE_KMS under the key", ev.AdditionalEventData, ev.ResponseElements)
				}
				if n := e.sample("kura_operation_kms_calls_total", "CopyObject", 0); n < 1 {
					t.Errorf("KMS calls counted for the copy: %v, want at least one", n)
				}
			}},
		{name: "retention and legal hold on the copy", p: job, status: 200, changes: true,
			run: cp(ops.CopyInput{Target: to(locked, "copy.pdf"), Source: src(bucket, "public/a.jpg"),
				Lock: object.Lock{Retention: &kura.Retention{Mode: object.Governance, Until: future}, LegalHold: &on}}),
			check: func(t *testing.T) {
				v := head(t, locked, "copy.pdf")
				if v.Retention == nil || !v.Retention.Until.Equal(future) || !v.LegalHold {
					t.Errorf("copy's retention %+v hold %v, want GOVERNANCE until %s and a hold", v.Retention, v.LegalHold, future)
				}
			}},
		{name: "COMPLIANCE denied by s3:object-lock-mode", p: job, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(locked, "c.pdf"), Source: src(bucket, "public/a.jpg"),
				Lock: object.Lock{Retention: &kura.Retention{Mode: object.Compliance, Until: future}}})},
		{name: "retention in a bucket without Object Lock", p: job, want: object.ErrLockNotEnabled, status: 400,
			run: cp(ops.CopyInput{Target: to(bucket, "r.jpg"), Source: src(bucket, "public/a.jpg"),
				Lock: object.Lock{Retention: &kura.Retention{Mode: object.Governance, Until: future}}})},
		{name: "source condition not met", p: job, want: s3err.PreconditionFailed, status: 412,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg", IfMatch: `"0000"`}})},
		{name: "source unmodified since yesterday", p: job, want: s3err.PreconditionFailed, status: 412,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg",
				IfUnmodifiedSince: e.now.Add(-24 * time.Hour)}})},
		{name: "source bucket of another owner than expected", p: job, want: s3err.AccessDenied, status: 403,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg", ExpectedBucketOwner: other}})},
		{name: "no such source bucket", p: job, want: s3err.NoSuchBucket, status: 404,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: src("nowhere", "a.jpg")})},
		{name: "no such source key", p: job, want: s3err.NoSuchKey, status: 404,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: src(bucket, "nothing.jpg")})},
		{name: "copy onto itself without a change", p: job, want: s3err.InvalidRequest, status: 400,
			run: cp(ops.CopyInput{Target: to(bucket, "public/a.jpg"), Source: src(bucket, "public/a.jpg")})},
		{name: "unknown metadata directive", p: job, want: s3err.InvalidArgument, status: 400,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: src(bucket, "public/a.jpg"), MetadataDirective: "MERGE"})},
		{name: "unknown storage class", p: job, want: s3err.InvalidStorageClass, status: 400,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: src(bucket, "public/a.jpg"), StorageClass: "FAST"})},
		{name: "SSE-C key of the wrong size", p: job, want: s3err.InvalidArgument, status: 400,
			run: cp(ops.CopyInput{Target: to(bucket, "c.jpg"), Source: src(bucket, "public/a.jpg"),
				SSE: object.SSERequest{Type: kura.SSEC, CustomerKey: []byte("short")}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count("CopyObject", tc.status)
			err := tc.run(call(tc.p, id))
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !s3err.Is(err, tc.want):
				t.Fatalf("error %v, want %s", err, tc.want.Code)
			}
			if got := e.count("CopyObject", tc.status) - before; got != 1 {
				t.Errorf("kura_operations_total{operation=\"CopyObject\",code=\"%d\"} grew by %v, want 1", tc.status, got)
			}
			ev := e.eventByID("CopyObject", id)
			if ev == nil {
				t.Fatalf("no CopyObject event with requestID %s in the trail", id)
			}
			wantCode := ""
			if tc.want != nil {
				wantCode = tc.want.Code
			}
			if ev.ErrorCode != wantCode || ev.UserIdentity.ARN != tc.p.ARN || ev.ReadOnly || ev.EventCategory != "Data" {
				t.Errorf("event errorCode %q identity %s readOnly %v category %s, want %q, %s, a data write",
					ev.ErrorCode, ev.UserIdentity.ARN, ev.ReadOnly, ev.EventCategory, wantCode, tc.p.ARN)
			}
			if len(ev.Resources) != 3 {
				t.Errorf("resources = %+v, want the target, the source and the bucket", ev.Resources)
			}
			if _, staged := e.commits.stagedEvent(ev.EventID); staged != tc.changes {
				t.Errorf("event in the audit outbox at commit: %v, want %v", staged, tc.changes)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}

// CopyObject called by a front decides neither end (the front decided
// the target's actions and the source's read) and records nothing; it
// still looks up the source bucket and applies the copy's rules.
func TestFrontCopyObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "secret.jpg")
	for _, tc := range []struct {
		name    string
		in      ops.CopyInput
		wantErr *s3err.Error
	}{
		{name: "copy", in: ops.CopyInput{Target: ops.Target{Bucket: bucket, Key: "c.jpg"}, Source: ops.CopySource{Bucket: bucket, Key: "secret.jpg"}}},
		{name: "no such source bucket", wantErr: s3err.NoSuchBucket,
			in: ops.CopyInput{Target: ops.Target{Bucket: bucket, Key: "c.jpg"}, Source: ops.CopySource{Bucket: "nowhere", Key: "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decided := 0
			fctx := ops.WithFront(ctx, &ops.Front{Decide: func(context.Context, access.Request) error { decided++; return nil }})
			before := e.count("CopyObject", 200) + e.count("CopyObject", 404)
			// dave may not read secret.jpg: only the front's word lets
			// the copy run.
			_, err := e.ops.CopyObject(fctx, call(dave, "front-copy"), tc.in)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !s3err.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if decided != 0 {
				t.Errorf("front asked to decide %d checks, want none", decided)
			}
			if n := e.count("CopyObject", 200) + e.count("CopyObject", 404) - before; n != 0 {
				t.Errorf("metrics counted %v operations, want none (the front counts)", n)
			}
			if evs := e.events("CopyObject"); len(evs) != 0 {
				t.Errorf("%d events written, want none (the front writes)", len(evs))
			}
		})
	}
}

// lastEvent is the trail's last event named name.
func (e *env) lastEvent(name string) audit.Event {
	e.t.Helper()
	evs := e.events(name)
	if len(evs) == 0 {
		e.t.Fatalf("no %s event in the trail", name)
	}
	return evs[len(evs)-1]
}

// eventByID is the event named name with request id id, nil if none.
func (e *env) eventByID(name, id string) *audit.Event {
	for _, ev := range e.events(name) {
		if ev.RequestID == id {
			return &ev
		}
	}
	return nil
}
