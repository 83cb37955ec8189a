package ops_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// GetObject and HeadObject as a principal, without HTTP: s3:GetObject
// (s3:GetObjectVersion for a version) decided, the body streamed and
// decrypted as it is read, and the event and metrics recorded when the
// body is closed, with the bytes read.
func TestReadObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pub := e.put(bucket, "public/a.jpg") // "data"
	e.put(bucket, "secret.jpg")
	customerKey := []byte("0123456789abcdef0123456789abcdef")
	if _, err := e.ops.PutObject(ctx, call(root, "put-ssec"), ops.PutInput{Target: ops.Target{Bucket: bucket, Key: "c.txt"},
		Body: strings.NewReader("sealed"), Size: 6, SSE: object.SSERequest{Type: kura.SSEC, CustomerKey: customerKey}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops.PutObject(ctx, call(root, "put-kms"), ops.PutInput{Target: ops.Target{Bucket: bucket, Key: "k.txt"},
		Body: strings.NewReader("kms"), Size: 3, SSE: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: e.keyARN}}); err != nil {
		t.Fatal(err)
	}
	v, _ := e.obj.Head(ctx, bucket, "public/a.jpg", "")
	in := func(key string) ops.ReadInput { return ops.ReadInput{Target: ops.Target{Bucket: bucket, Key: key}} }
	with := func(r ops.ReadInput, f func(*ops.ReadInput)) ops.ReadInput { f(&r); return r }
	sigV2 := func(c kura.Call) kura.Call { c.Source.SignatureVersion = "SigV2"; return c }

	for _, tc := range []struct {
		name   string
		op     string // GetObject or HeadObject
		p      kura.Principal
		call   func(kura.Call) kura.Call
		in     ops.ReadInput
		want   *s3err.Error
		status int
		body   string // a GetObject's data
		check  func(t *testing.T, res ops.ReadResult)
	}{
		{name: "role reads an object", op: "GetObject", p: job, in: in("public/a.jpg"), status: 200, body: "data",
			check: func(t *testing.T, res ops.ReadResult) {
				if !res.Whole || res.Partial || res.Length != 4 || res.Version.VersionID != pub || res.Version.ETag != v.ETag {
					t.Errorf("result %+v, want the whole current version %s", res, pub)
				}
				if res.Version.Encryption.SealedKey != nil {
					t.Error("result carries key material")
				}
			}},
		{name: "a range", op: "GetObject", p: job, in: with(in("public/a.jpg"), func(r *ops.ReadInput) { r.Range = "bytes=1-2" }),
			status: 206, body: "at",
			check: func(t *testing.T, res ops.ReadResult) {
				if !res.Partial || res.Whole || res.Offset != 1 || res.Length != 2 {
					t.Errorf("result %+v, want bytes 1-2", res)
				}
			}},
		{name: "IAM user allowed to read", op: "GetObject", p: dave, in: in("public/a.jpg"), status: 200, body: "data"},
		{name: "IAM user denied", op: "GetObject", p: dave, in: in("secret.jpg"), want: s3err.AccessDenied, status: 403},
		{name: "a version needs s3:GetObjectVersion", op: "GetObject", p: dave, want: s3err.AccessDenied, status: 403,
			in: ops.ReadInput{Target: ops.Target{Bucket: bucket, Key: "public/a.jpg", VersionID: pub}}},
		{name: "a version by a role", op: "GetObject", p: job, status: 200, body: "data",
			in: ops.ReadInput{Target: ops.Target{Bucket: bucket, Key: "public/a.jpg", VersionID: pub}}},
		{name: "SSE-C with its key", op: "GetObject", p: job, status: 200, body: "sealed",
			in: with(in("c.txt"), func(r *ops.ReadInput) { r.CustomerKey = customerKey })},
		{name: "SSE-C without its key", op: "GetObject", p: job, in: in("c.txt"), want: s3err.InvalidRequest, status: 400},
		{name: "SSE-KMS to a SigV2 caller", op: "GetObject", p: job, call: sigV2, in: in("k.txt"), want: s3err.InvalidArgument, status: 400},
		{name: "SSE-KMS HEAD to a SigV2 caller", op: "HeadObject", p: job, call: sigV2, in: in("k.txt"), status: 200},
		{name: "not modified", op: "GetObject", p: job, want: s3err.NotModified, status: 304,
			in: with(in("public/a.jpg"), func(r *ops.ReadInput) { r.Cond.IfNoneMatch = `"` + v.ETag + `"` })},
		{name: "precondition failed", op: "HeadObject", p: job, want: s3err.PreconditionFailed, status: 412,
			in: with(in("public/a.jpg"), func(r *ops.ReadInput) { r.Cond.IfMatch = `"0000"` })},
		{name: "unsatisfiable range", op: "GetObject", p: job, want: s3err.InvalidRange, status: 416,
			in: with(in("public/a.jpg"), func(r *ops.ReadInput) { r.Range = "bytes=100-" })},
		{name: "part and range together", op: "GetObject", p: job, want: s3err.InvalidRequest, status: 400,
			in: with(in("public/a.jpg"), func(r *ops.ReadInput) { r.Range = "bytes=0-1"; r.PartNumber = 1 })},
		{name: "no such key", op: "HeadObject", p: job, in: in("nothing"), want: s3err.NoSuchKey, status: 404},
		{name: "HEAD", op: "HeadObject", p: job, in: in("public/a.jpg"), status: 200,
			check: func(t *testing.T, res ops.ReadResult) {
				if res.Body != nil || res.Length != 4 {
					t.Errorf("HEAD result %+v, want no body and the length", res)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			c := call(tc.p, id)
			if tc.call != nil {
				c = tc.call(c)
			}
			before := e.count(tc.op, tc.status)
			sentBefore := e.sample("kura_operation_sent_bytes_total", tc.op, 0)
			run := e.ops.HeadObject
			if tc.op == "GetObject" {
				run = e.ops.GetObject
			}
			res, err := run(ctx, c, tc.in)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !s3err.Is(err, tc.want):
				t.Fatalf("error %v, want %s", err, tc.want.Code)
			}
			if res.Body != nil {
				if e.eventByID(tc.op, id) != nil {
					t.Error("event recorded before the body was read and closed")
				}
				data, err := io.ReadAll(res.Body)
				if err != nil || string(data) != tc.body {
					t.Errorf("body %q (%v), want %q", data, err, tc.body)
				}
				if err := res.Body.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.check != nil {
				tc.check(t, res)
			}
			if got := e.count(tc.op, tc.status) - before; got != 1 {
				t.Errorf("kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", tc.op, tc.status, got)
			}
			if got := e.sample("kura_operation_sent_bytes_total", tc.op, 0) - sentBefore; got != float64(len(tc.body)) {
				t.Errorf("bytes sent counted: %v, want %d", got, len(tc.body))
			}
			ev := e.eventByID(tc.op, id)
			if ev == nil {
				t.Fatalf("no %s event with requestID %s in the trail", tc.op, id)
			}
			wantCode := ""
			if tc.want != nil {
				wantCode = tc.want.Code
			}
			if ev.ErrorCode != wantCode || ev.UserIdentity.ARN != tc.p.ARN || !ev.ReadOnly || len(ev.Resources) != 2 {
				t.Errorf("event errorCode %q identity %s readOnly %v resources %v, want %q, %s, a read of the object",
					ev.ErrorCode, ev.UserIdentity.ARN, ev.ReadOnly, ev.Resources, wantCode, tc.p.ARN)
			}
			if tc.op == "GetObject" && tc.want == nil && ev.AdditionalEventData["bytesTransferredOut"] != float64(len(tc.body)) {
				t.Errorf("bytesTransferredOut = %v, want %d", ev.AdditionalEventData["bytesTransferredOut"], len(tc.body))
			}
		})
	}
}

// GetObject called by a front decides nothing and records nothing; its
// body is the object's own.
func TestFrontGetObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "secret.jpg")
	decided := 0
	fctx := ops.WithFront(ctx, &ops.Front{Decide: func(context.Context, access.Request) error { decided++; return nil }})
	before := e.count("GetObject", 200)
	res, err := e.ops.GetObject(fctx, call(dave, "front-get"), ops.ReadInput{Target: ops.Target{Bucket: bucket, Key: "secret.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(data) != "data" {
		t.Errorf("body %q (%v), want data", data, err)
	}
	if decided != 0 {
		t.Errorf("front asked to decide %d checks, want none", decided)
	}
	if n := e.count("GetObject", 200) - before; n != 0 {
		t.Errorf("metrics counted %v operations, want none (the front counts)", n)
	}
	if evs := e.events("GetObject"); len(evs) != 0 {
		t.Errorf("%d events written, want none (the front writes)", len(evs))
	}
}
