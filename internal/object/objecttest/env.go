// Package objecttest is a behaviour suite for the object service
// (*object.Service): S3 object semantics checked by calling the service
// directly, without HTTP, against whatever metadata and blob stores a test
// opens. It is to the object layer what internal/meta/metatest and
// internal/blob/blobtest are to the stores: a new metadata or blob backend
// (PostgreSQL, S3) plugs in by calling Run with an Opener for it.
//
//	func TestObjectService(t *testing.T) {
//		objecttest.Run(t, func(t *testing.T) objecttest.Stores { ... })
//	}
//
// The wire format (headers, XML, status codes) is not this suite's
// business: internal/server's tests cover the HTTP front through the real
// SDK. Every call the suite makes on the service goes through the few
// helpers in this file, so that a change of the service's signatures (a
// principal or call argument, say) touches them and not the tests.
package objecttest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Stores are the backends a Service runs on.
type Stores struct {
	Meta  meta.Store
	Blobs blob.Store
}

// Opener returns fresh, empty stores for one test; it closes them (or
// arranges t.Cleanup to) itself.
type Opener func(t *testing.T) Stores

// Account is the account that owns the suite's buckets and KMS keys.
const Account = "111122223333"

// start is the suite's clock at the start of every test: a fixed time, so
// retention periods and Last-Modified stamps are predictable.
var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable clock shared by the service and its KMS.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is one test's service and what it was built from.
type env struct {
	t     *testing.T
	svc   *object.Service
	blobs blob.Store // the service's, for tests that damage what it stored (blobtest.Rewrite)
	kms   *kms.Service
	clock *clock
}

// newEnv wires a Service as internal/server does (managed key for SSE-S3,
// the built-in KMS on the same metadata store for SSE-KMS), on stores from
// open, and runs Recover.
//
// inlineMax is object.Config.InlineMax: 0 the default threshold, negative
// no inline objects.
func newEnv(t *testing.T, open Opener, inlineMax int64) *env {
	t.Helper()
	st := open(t)
	c := &clock{t: start}
	root := make([]byte, 32)
	rand.Read(root)
	managed, err := sse.NewManagedKey("objecttest", root)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	keys, err := kms.New(kms.Config{Meta: st.Meta, RootKey: root, Region: "us-east-1", Now: c.now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: managed, KMS: keys,
		Region: "us-east-1", Now: c.now, Logger: log, RestoreDelay: -1, InlineMax: inlineMax})
	if err := svc.Recover(context.Background()); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	return &env{t: t, svc: svc, blobs: st.Blobs, kms: keys, clock: c}
}

func (e *env) ctx() context.Context { return context.Background() }

// caller is the principal every request of the suite runs as: the bucket
// owner's account root.
func (e *env) caller() kura.Call {
	return kura.Call{Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: Account,
		ARN: "arn:aws:iam::" + Account + ":root", AccessKeyID: "AKIAOBJECTTEST000001"}}
}

// access is the key access of a request (with an SSE-C key when given).
func (e *env) access(customerKey ...[]byte) object.KeyAccess {
	acc := object.KeyAccess{Caller: e.caller()}
	if len(customerKey) > 0 {
		acc.CustomerKey = customerKey[0]
	}
	return acc
}

// --- buckets -------------------------------------------------------------

func (e *env) tryBucket(b kura.Bucket) error {
	if b.Owner == "" {
		b.Owner = Account
	}
	return e.svc.CreateBucket(e.ctx(), b)
}

// bucket creates a bucket with versioning state versioning ("", "Enabled",
// "Suspended").
func (e *env) bucket(name, versioning string) {
	e.t.Helper()
	if err := e.tryBucket(kura.Bucket{Name: name}); err != nil {
		e.t.Fatalf("create bucket %s: %v", name, err)
	}
	if versioning != "" {
		e.versioning(name, versioning)
	}
}

func (e *env) versioning(name, state string) {
	e.t.Helper()
	if err := e.svc.UpdateBucket(e.ctx(), name, func(b *kura.Bucket) error { b.Versioning = state; return nil }); err != nil {
		e.t.Fatalf("versioning %s on %s: %v", state, name, err)
	}
}

// lockBucket creates a bucket with Object Lock (and so versioning) and the
// default retention rule (nil: none).
func (e *env) lockBucket(name string, rule *kura.LockRule) {
	e.t.Helper()
	if err := e.tryBucket(kura.Bucket{Name: name, ObjectLockEnabled: true}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.PutBucketLock(e.ctx(), name, rule); err != nil {
		e.t.Fatalf("PutBucketLock: %v", err)
	}
}

// --- writes --------------------------------------------------------------

// putOpt adjusts a PutInput.
type putOpt func(*object.PutInput)

func withHeaders(h kura.ContentHeaders) putOpt { return func(in *object.PutInput) { in.Headers = h } }
func withSSE(r object.SSERequest) putOpt {
	return func(in *object.PutInput) {
		in.SSE = r
		if r.CustomerKey != nil {
			in.Access.CustomerKey = r.CustomerKey
		}
	}
}
func withCond(c object.WriteConditions) putOpt { return func(in *object.PutInput) { in.Cond = c } }
func withLock(l object.Lock) putOpt            { return func(in *object.PutInput) { in.Lock = l } }
func withTags(tags ...kura.Tag) putOpt         { return func(in *object.PutInput) { in.Tags = tags } }
func withChecksum(c object.ChecksumInput) putOpt {
	return func(in *object.PutInput) { in.Checksum = c }
}
func withMD5(sum []byte) putOpt { return func(in *object.PutInput) { in.ContentMD5 = sum } }

// tryPut is the suite's one PutObject call.
func (e *env) tryPut(bucket, key, body string, opts ...putOpt) (*kura.ObjectVersion, error) {
	in := object.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body)),
		Access: e.access(), Owner: Account}
	for _, o := range opts {
		o(&in)
	}
	return e.svc.PutObject(e.ctx(), in)
}

func (e *env) put(bucket, key, body string, opts ...putOpt) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.tryPut(bucket, key, body, opts...)
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

func (e *env) tryDelete(in object.DeleteInput) (object.DeleteResult, error) {
	return e.svc.Delete(e.ctx(), in)
}

func (e *env) del(bucket, key, versionID string) object.DeleteResult {
	e.t.Helper()
	res, err := e.tryDelete(object.DeleteInput{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		e.t.Fatalf("delete %s/%s?versionId=%s: %v", bucket, key, versionID, err)
	}
	return res
}

func (e *env) tryCopy(in object.CopyInput) (*kura.ObjectVersion, error) {
	if in.Owner == "" {
		in.Owner = Account
	}
	if in.Access.Caller.Principal.ARN == "" {
		in.Access.Caller = e.caller()
	}
	if in.Source.Access.Caller.Principal.ARN == "" {
		in.Source.Access.Caller = e.caller()
	}
	v, _, err := e.svc.CopyObject(e.ctx(), in)
	return v, err
}

// --- reads ---------------------------------------------------------------

func (e *env) head(bucket, key, versionID string) (*kura.ObjectVersion, error) {
	return e.svc.Head(e.ctx(), bucket, key, versionID)
}

func (e *env) mustHead(bucket, key, versionID string) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.head(bucket, key, versionID)
	if err != nil {
		e.t.Fatalf("head %s/%s?versionId=%s: %v", bucket, key, versionID, err)
	}
	return v
}

// sameData reports whether two versions share their stored data: one
// blob, or the same inline ciphertext.
func sameData(a, b *kura.ObjectVersion) bool {
	if a.IsInline() || b.IsInline() {
		return bytes.Equal(a.Inline, b.Inline)
	}
	return a.BlobID == b.BlobID
}

// dataGone checks that v's data is no longer stored after an overwrite or
// delete removed v: its blob no longer reads (reading the old record fails
// as lost data, not with the old bytes), or, for an inline version, no
// version of its key holds its ciphertext any more.
func (e *env) dataGone(what string, v *kura.ObjectVersion) {
	e.t.Helper()
	if !v.IsInline() {
		if _, err := e.readRange(v, 0, v.Size, e.access()); err == nil {
			e.t.Errorf("%s: its data is still readable", what)
		}
		return
	}
	vs := e.listVersions(object.ListInput{Bucket: v.Bucket, Prefix: v.Key})
	for _, o := range vs.Objects {
		if o.Key == v.Key && bytes.Equal(o.Inline, v.Inline) {
			e.t.Errorf("%s: version %s still holds its inline data", what, o.VersionID)
		}
	}
}

// readRange is the suite's one Open call: bytes [off, off+n) of v.
func (e *env) readRange(v *kura.ObjectVersion, off, n int64, acc object.KeyAccess) (string, error) {
	r, err := e.svc.Open(e.ctx(), v, off, n, acc)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// tryGet is GET: look the version up, then read all of it.
func (e *env) tryGet(bucket, key, versionID string, acc object.KeyAccess) (string, *kura.ObjectVersion, error) {
	v, err := e.head(bucket, key, versionID)
	if err != nil {
		return "", nil, err
	}
	body, err := e.readRange(v, 0, v.Size, acc)
	return body, v, err
}

// get returns the body of bucket/key[/versionID].
func (e *env) get(bucket, key, versionID string) string {
	e.t.Helper()
	body, _, err := e.tryGet(bucket, key, versionID, e.access())
	if err != nil {
		e.t.Fatalf("get %s/%s?versionId=%s: %v", bucket, key, versionID, err)
	}
	return body
}

func (e *env) list(in object.ListInput) *object.ListResult {
	e.t.Helper()
	if in.MaxKeys == 0 {
		in.MaxKeys = 1000
	}
	res, err := e.svc.ListObjects(e.ctx(), in)
	if err != nil {
		e.t.Fatalf("list %+v: %v", in, err)
	}
	return res
}

func (e *env) listVersions(in object.ListInput) *object.ListResult {
	e.t.Helper()
	if in.MaxKeys == 0 {
		in.MaxKeys = 1000
	}
	res, err := e.svc.ListVersions(e.ctx(), in)
	if err != nil {
		e.t.Fatalf("list versions %+v: %v", in, err)
	}
	return res
}

// --- KMS -----------------------------------------------------------------

// kmsKey creates a KMS key in the suite's account and returns its ARN.
func (e *env) kmsKey() string {
	e.t.Helper()
	md, err := e.kms.CreateKey(e.ctx(), e.caller(), kms.CreateKeyInput{Description: "objecttest"})
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	return md.Arn
}

// --- assertions ----------------------------------------------------------

// wantCode fails unless err is the S3 error code.
func wantCode(t *testing.T, what string, err error, code *s3err.Error) {
	t.Helper()
	if !s3err.Is(err, code) {
		t.Fatalf("%s: %v, want %s", what, err, code.Code)
	}
}

// --- data ----------------------------------------------------------------

// randomBody returns n random bytes as a string.
func randomBody(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

// customerKey returns a fresh SSE-C key and its SSE request.
func customerKey() ([]byte, object.SSERequest) {
	k := make([]byte, 32)
	rand.Read(k)
	sum := md5.Sum(k)
	return k, object.SSERequest{Type: kura.SSEC, CustomerKey: k, CustomerKeyMD5: base64.StdEncoding.EncodeToString(sum[:])}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
