package ops_test

import (
	"context"
	"crypto/md5"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// PutObject as a principal, without HTTP: the body streamed in, the
// actions the input calls for decided with its condition keys, one event
// and the metrics (bytes in included).
func TestPutObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "taken.jpg")
	future := e.now.Add(48 * time.Hour).Truncate(time.Millisecond)
	customerKey := []byte("0123456789abcdef0123456789abcdef")
	body := "hello, batch"
	sum := md5.Sum([]byte(body))
	in := func(b, key string) ops.PutInput {
		return ops.PutInput{Target: ops.Target{Bucket: b, Key: key}, Body: strings.NewReader(body), Size: int64(len(body))}
	}
	with := func(p ops.PutInput, f func(*ops.PutInput)) ops.PutInput { f(&p); return p }
	var last ops.PutResult
	read := func(t *testing.T, b, key string, acc object.KeyAccess) (*kura.ObjectVersion, string) {
		t.Helper()
		v, err := e.obj.Head(ctx, b, key, "")
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.obj.Open(ctx, v, 0, v.Size, acc)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return v, string(data)
	}

	for _, tc := range []struct {
		name    string
		p       kura.Principal
		in      ops.PutInput
		want    *s3err.Error
		status  int
		changes bool
		check   func(t *testing.T)
	}{
		{name: "role writes an object", p: job, status: 200, changes: true,
			in: with(in(bucket, "new.txt"), func(p *ops.PutInput) {
				p.Headers = kura.ContentHeaders{ContentType: "text/plain"}
				p.Tags = []kura.Tag{{Key: "class", Value: "public"}}
			}),
			check: func(t *testing.T) {
				v, data := read(t, bucket, "new.txt", object.KeyAccess{})
				if data != body || v.ContentHeaders.ContentType != "text/plain" || len(v.Tags) != 1 || v.Owner != owner {
					t.Errorf("stored %q %+v tags %v owner %s, want the body, its headers and tags", data, v.ContentHeaders, v.Tags, v.Owner)
				}
				if last.VersionID != v.VersionID || last.ETag != v.ETag || last.Size != int64(len(body)) || last.Encryption.Type != kura.SSES3 {
					t.Errorf("result %+v, want version %s, etag %s", last, v.VersionID, v.ETag)
				}
				ev := e.lastEvent("PutObject")
				if ev.ResponseElements["x-amz-version-id"] != v.VersionID || ev.AdditionalEventData["SSEApplied"] != "Default_SSE_S3" {
					t.Errorf("event %v / %v, want the version id and SSEApplied", ev.ResponseElements, ev.AdditionalEventData)
				}
				if n := e.sample("kura_operation_received_bytes_total", "PutObject", 0); n < float64(len(body)) {
					t.Errorf("bytes in counted: %v, want at least %d", n, len(body))
				}
			}},
		{name: "IAM user without s3:PutObject", p: alice, want: s3err.AccessDenied, status: 403, in: in(bucket, "a.txt")},
		{name: "tags need s3:PutObjectTagging", p: dave, want: s3err.AccessDenied, status: 403,
			in: with(in(bucket, "d.txt"), func(p *ops.PutInput) { p.Tags = []kura.Tag{{Key: "k", Value: "v"}} })},
		{name: "IAM user with s3:PutObject", p: dave, status: 200, changes: true, in: in(bucket, "d.txt")},
		{name: "tag denied by s3:RequestObjectTag", p: job, want: s3err.AccessDenied, status: 403,
			in: with(in(bucket, "s.txt"), func(p *ops.PutInput) { p.Tags = []kura.Tag{{Key: "class", Value: "secret"}} })},
		{name: "retention without an integrity value", p: job, want: s3err.InvalidRequest, status: 400,
			in: with(in(locked, "l.txt"), func(p *ops.PutInput) {
				p.Lock = object.Lock{Retention: &kura.Retention{Mode: object.Governance, Until: future}}
			})},
		{name: "retention with Content-MD5", p: job, status: 200, changes: true,
			in: with(in(locked, "l.txt"), func(p *ops.PutInput) {
				p.Lock = object.Lock{Retention: &kura.Retention{Mode: object.Governance, Until: future}}
				p.ContentMD5 = sum[:]
			}),
			check: func(t *testing.T) {
				if v, _ := read(t, locked, "l.txt", object.KeyAccess{}); v.Retention == nil || !v.Retention.Until.Equal(future) {
					t.Errorf("retention %+v, want GOVERNANCE until %s", v.Retention, future)
				}
			}},
		{name: "SSE-C", p: job, status: 200, changes: true,
			in: with(in(bucket, "c.txt"), func(p *ops.PutInput) { p.SSE = object.SSERequest{Type: kura.SSEC, CustomerKey: customerKey} }),
			check: func(t *testing.T) {
				if _, data := read(t, bucket, "c.txt", object.KeyAccess{CustomerKey: customerKey}); data != body {
					t.Errorf("read back %q with the customer key, want %q", data, body)
				}
				if last.Encryption.Type != kura.SSEC || last.Encryption.CustomerKeyMD5 == "" || last.Encryption.SealedKey != nil || last.Encryption.CustomerKeyHMAC != nil {
					t.Errorf("result encryption %+v, want SSE-C with the key's MD5 and no key material", last.Encryption)
				}
			}},
		{name: "create-only on an existing key", p: job, want: s3err.PreconditionFailed, status: 412,
			in: with(in(bucket, "taken.jpg"), func(p *ops.PutInput) { p.Cond.IfNoneMatch = "*" })},
		{name: "If-None-Match with an ETag", p: job, want: s3err.NotImplemented, status: 501,
			in: with(in(bucket, "taken.jpg"), func(p *ops.PutInput) { p.Cond.IfNoneMatch = `"abc"` })},
		{name: "body shorter than its size", p: job, want: s3err.IncompleteBody, status: 400,
			in: with(in(bucket, "short.txt"), func(p *ops.PutInput) { p.Size = 100 })},
		{name: "wrong Content-MD5", p: job, want: s3err.BadDigest, status: 400,
			in: with(in(bucket, "bad.txt"), func(p *ops.PutInput) { p.ContentMD5 = make([]byte, 16) })},
		{name: "no such bucket", p: job, want: s3err.NoSuchBucket, status: 404, in: in("nowhere", "x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count("PutObject", tc.status)
			res, err := e.ops.PutObject(ctx, call(tc.p, id), tc.in)
			last = res
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !s3err.Is(err, tc.want):
				t.Fatalf("error %v, want %s", err, tc.want.Code)
			}
			if got := e.count("PutObject", tc.status) - before; got != 1 {
				t.Errorf("kura_operations_total{operation=\"PutObject\",code=\"%d\"} grew by %v, want 1", tc.status, got)
			}
			ev := e.eventByID("PutObject", id)
			if ev == nil {
				t.Fatalf("no PutObject event with requestID %s in the trail", id)
			}
			wantCode := ""
			if tc.want != nil {
				wantCode = tc.want.Code
			}
			if ev.ErrorCode != wantCode || ev.UserIdentity.ARN != tc.p.ARN || ev.ReadOnly || len(ev.Resources) != 2 {
				t.Errorf("event errorCode %q identity %s readOnly %v resources %v, want %q, %s, a write of the object",
					ev.ErrorCode, ev.UserIdentity.ARN, ev.ReadOnly, ev.Resources, wantCode, tc.p.ARN)
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
