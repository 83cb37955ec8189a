package objecttest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func yes() *bool { b := true; return &b }

func testSSERoundTrips(t *testing.T, e *env) {
	e.bucket("bkt", "")
	arn := e.kmsKey()
	body := randomBody(100_000) // more than one encryption chunk
	tests := []struct {
		name      string
		req       object.SSERequest
		typ       kura.SSEType
		keyARN    string // "" : none; "aws/s3": the AWS managed key
		bucketKey bool
		layers    int // sealed keys in the record
	}{
		{"SSE-S3", object.SSERequest{Type: kura.SSES3}, kura.SSES3, "", false, 1},
		{"SSE-KMS with a key ARN", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn}, kura.SSEKMS, arn, false, 1},
		{"SSE-KMS with a key id", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn[strings.LastIndex(arn, "/")+1:]}, kura.SSEKMS, arn, false, 1},
		{"SSE-KMS with the AWS managed key", object.SSERequest{Type: kura.SSEKMS}, kura.SSEKMS, "aws/s3", false, 1},
		{"SSE-KMS with a bucket key", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: yes()}, kura.SSEKMS, arn, true, 1},
		{"SSE-KMS with an encryption context", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, Context: `{"dept":"finance"}`}, kura.SSEKMS, arn, false, 1},
		{"DSSE-KMS", object.SSERequest{Type: kura.SSEDSSE, KMSKeyID: arn}, kura.SSEDSSE, arn, false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "k-" + tc.name
			v := e.put("bkt", key, body, withSSE(tc.req))
			enc := e.mustHead("bkt", key, "").Encryption
			if enc.Type != tc.typ || enc.BucketKeyEnabled != tc.bucketKey {
				t.Errorf("encryption %s bucket key %v, want %s %v", enc.Type, enc.BucketKeyEnabled, tc.typ, tc.bucketKey)
			}
			switch tc.keyARN {
			case "":
				if enc.KMSKeyARN != "" {
					t.Errorf("KMS key %s on an %s object", enc.KMSKeyARN, tc.typ)
				}
			case "aws/s3":
				if !strings.HasPrefix(enc.KMSKeyARN, "arn:aws:kms:us-east-1:"+Account+":key/") || enc.KMSKeyARN == arn {
					t.Errorf("KMS key %q, want the account's AWS managed key", enc.KMSKeyARN)
				}
			default:
				if enc.KMSKeyARN != tc.keyARN {
					t.Errorf("KMS key %s, want %s", enc.KMSKeyARN, tc.keyARN)
				}
			}
			if len(enc.SealedKey) == 0 || (tc.layers == 2) != (len(enc.SealedKey2) > 0) {
				t.Errorf("sealed keys: %d and %d bytes, want %d layer(s)", len(enc.SealedKey), len(enc.SealedKey2), tc.layers)
			}
			if tc.req.Context != "" && enc.Context != tc.req.Context {
				t.Errorf("encryption context %q, want %q", enc.Context, tc.req.Context)
			}
			if got := e.get("bkt", key, ""); got != body {
				t.Error("GET does not return the bytes written")
			}
			if got, err := e.readRange(v, 70_000, 100, e.access()); err != nil || got != body[70_000:70_100] {
				t.Errorf("range read: %v", err)
			}
			// SSE-C parameters for an object that is not SSE-C are refused
			// (the front checks them before reading).
			wantCode(t, "an SSE-C key for a non-SSE-C object", object.CheckCustomerKey(v.Encryption, make([]byte, 32)), s3err.InvalidRequest)
			if err := object.CheckCustomerKey(v.Encryption, nil); err != nil {
				t.Errorf("no SSE-C key for a non-SSE-C object: %v", err)
			}
		})
	}
	_, err := e.tryPut("bkt", "nokey", "x", withSSE(object.SSERequest{Type: kura.SSEKMS, KMSKeyID: "arn:aws:kms:us-east-1:" + Account + ":key/00000000-0000-0000-0000-000000000000"}))
	if err == nil {
		t.Error("SSE-KMS with a key that does not exist succeeded")
	}
	if _, err := e.head("bkt", "nokey", ""); !s3err.Is(err, s3err.NoSuchKey) {
		t.Errorf("a write refused by KMS left an object: %v", err)
	}
}

func testSSECustomerKey(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	key, req := customerKey()
	other, _ := customerKey()
	body := randomBody(70_000)
	v := e.put("bkt", "k", body, withSSE(req))
	if v.Encryption.Type != kura.SSEC || v.Encryption.CustomerKeyMD5 != req.CustomerKeyMD5 {
		t.Fatalf("encryption %+v, want SSE-C with the key's MD5", v.Encryption)
	}
	// The key itself is never stored.
	enc := e.mustHead("bkt", "k", "").Encryption
	for _, field := range [][]byte{enc.SealedKey, enc.CustomerKeyHMAC, enc.CustomerKeySalt} {
		if bytes.Contains(field, key) {
			t.Fatal("the customer key is stored in the record")
		}
	}
	tests := []struct {
		name string
		acc  object.KeyAccess
		want *s3err.Error // nil: reads
	}{
		{"with its key", e.access(key), nil},
		{"without a key", e.access(), s3err.InvalidRequest},
		{"with another key", e.access(other), s3err.AccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.readRange(v, 0, v.Size, tc.acc)
			if tc.want != nil {
				wantCode(t, "read", err, tc.want)
				return
			}
			if err != nil || got != body {
				t.Errorf("read: %v", err)
			}
		})
	}
	// Multipart under SSE-C: every part needs the upload's key.
	u := e.createUpload("bkt", "mp", func(in *object.UploadInput) { in.SSE = req; in.Access.CustomerKey = key })
	_, err := e.tryPart(u, 1, "x", e.access())
	wantCode(t, "part without the key", err, s3err.InvalidRequest)
	_, err = e.tryPart(u, 1, "x", e.access(other))
	wantCode(t, "part with another key", err, s3err.InvalidRequest)
	p, err := e.tryPart(u, 1, "ssec part", e.access(key))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CompleteUpload(e.ctx(), object.CompleteInput{Bucket: "bkt", Key: "mp", UploadID: u.UploadID, Parts: []object.CompletePart{completePart(p)}, ObjectSize: -1})
	wantCode(t, "Complete without the key", err, s3err.InvalidRequest)
	mv, err := e.svc.CompleteUpload(e.ctx(), object.CompleteInput{Bucket: "bkt", Key: "mp", UploadID: u.UploadID, Parts: []object.CompletePart{completePart(p)}, ObjectSize: -1, CustomerKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.readRange(mv, 0, mv.Size, e.access(key)); err != nil || got != "ssec part" {
		t.Errorf("SSE-C multipart object: %q, %v", got, err)
	}
	// A bucket can block SSE-C writes.
	if err := e.svc.UpdateBucket(e.ctx(), "bkt", func(b *kura.Bucket) error {
		b.Encryption = &kura.BucketEncryption{Algorithm: kura.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.tryPut("bkt", "blocked", "x", withSSE(req))
	wantCode(t, "SSE-C write into a bucket that blocks it", err, s3err.AccessDenied)
}

func testSSEBucketDefault(t *testing.T, e *env) {
	arn := e.kmsKey()
	e.bucket("bkt", "")
	if err := e.svc.UpdateBucket(e.ctx(), "bkt", func(b *kura.Bucket) error {
		b.Encryption = &kura.BucketEncryption{Algorithm: kura.SSEKMS, KMSMasterKeyID: arn, BucketKeyEnabled: true}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		req       object.SSERequest
		typ       kura.SSEType
		bucketKey bool
	}{
		{"no encryption asked: the default", object.SSERequest{}, kura.SSEKMS, true},
		{"SSE-S3 asked", object.SSERequest{Type: kura.SSES3}, kura.SSES3, false},
		{"bucket key turned off by the request", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: new(bool)}, kura.SSEKMS, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := e.put("bkt", tc.name, "data", withSSE(tc.req))
			if v.Encryption.Type != tc.typ || v.Encryption.BucketKeyEnabled != tc.bucketKey {
				t.Errorf("encryption %s bucket key %v, want %s %v", v.Encryption.Type, v.Encryption.BucketKeyEnabled, tc.typ, tc.bucketKey)
			}
			if tc.typ == kura.SSEKMS && v.Encryption.KMSKeyARN != arn {
				t.Errorf("KMS key %s, want the default's %s", v.Encryption.KMSKeyARN, arn)
			}
			if e.get("bkt", tc.name, "") != "data" {
				t.Error("GET does not return the bytes written")
			}
		})
	}
	// Copies and uploads take the destination's default too.
	e.bucket("plain", "")
	e.put("plain", "src", "copied")
	c, err := e.tryCopy(object.CopyInput{Source: object.CopySource{Bucket: "plain", Key: "src"}, Bucket: "bkt", Key: "copy"})
	if err != nil || c.Encryption.Type != kura.SSEKMS || c.Encryption.KMSKeyARN != arn {
		t.Errorf("copy into a bucket with a KMS default: %+v, %v", c, err)
	}
	if u := e.createUpload("bkt", "mp"); u.Encryption.Type != kura.SSEKMS || u.Encryption.KMSKeyARN != arn {
		t.Errorf("upload in a bucket with a KMS default: %+v", u.Encryption)
	}
}

func testUpdateEncryption(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	arn, arn2 := e.kmsKey(), e.kmsKey()
	body := randomBody(80_000)
	mpBody := randomBody(object.MinPartSize)
	tests := []struct {
		name      string
		put       func(key string) *kura.ObjectVersion
		target    object.EncryptionTarget
		bucketKey bool
	}{
		{"SSE-S3 to SSE-KMS", func(k string) *kura.ObjectVersion { return e.put("bkt", k, body) }, object.EncryptionTarget{KMSKeyARN: arn}, false},
		{"SSE-S3 to SSE-KMS with a bucket key", func(k string) *kura.ObjectVersion { return e.put("bkt", k, body) }, object.EncryptionTarget{KMSKeyARN: arn, BucketKey: true}, true},
		{"SSE-KMS to another KMS key", func(k string) *kura.ObjectVersion {
			return e.put("bkt", k, body, withSSE(object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, Context: `{"a":"b"}`}))
		}, object.EncryptionTarget{KMSKeyARN: arn2}, false},
		{"SSE-KMS with a bucket key to plain SSE-KMS", func(k string) *kura.ObjectVersion {
			return e.put("bkt", k, body, withSSE(object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: yes()}))
		}, object.EncryptionTarget{KMSKeyARN: arn}, false},
		{"multipart object", func(k string) *kura.ObjectVersion {
			u := e.createUpload("bkt", k)
			p1, p2 := e.part(u, 1, mpBody), e.part(u, 2, body)
			v, err := e.tryComplete(u, completePart(p1), completePart(p2))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, object.EncryptionTarget{KMSKeyARN: arn2, BucketKey: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "k-" + tc.name
			v := tc.put(key)
			want := e.get("bkt", key, "")
			e.clock.add(time.Minute) // a changed Last-Modified would show
			after, before, err := e.svc.UpdateEncryption(e.ctx(), "bkt", key, "", tc.target, e.access())
			if err != nil {
				t.Fatalf("UpdateEncryption: %v", err)
			}
			if before.Type != v.Encryption.Type || before.KMSKeyARN != v.Encryption.KMSKeyARN {
				t.Errorf("reported previous encryption %s/%s, want %s/%s", before.Type, before.KMSKeyARN, v.Encryption.Type, v.Encryption.KMSKeyARN)
			}
			h := e.mustHead("bkt", key, "")
			if h.Encryption.Type != kura.SSEKMS || h.Encryption.KMSKeyARN != tc.target.KMSKeyARN || h.Encryption.BucketKeyEnabled != tc.bucketKey {
				t.Errorf("encryption after update %s/%s bucket key %v, want SSE-KMS/%s %v", h.Encryption.Type, h.Encryption.KMSKeyARN, h.Encryption.BucketKeyEnabled, tc.target.KMSKeyARN, tc.bucketKey)
			}
			if after.VersionID != h.VersionID || !sameKey(after.Encryption.SealedKey, h.Encryption.SealedKey) {
				t.Error("the returned version is not the stored one")
			}
			if v.Encryption.Context != "" && h.Encryption.Context != v.Encryption.Context {
				t.Errorf("encryption context %q after update, want %q kept", h.Encryption.Context, v.Encryption.Context)
			}
			// Only the seal changed: data, ETag, Last-Modified, version id,
			// size, checksum and blobs are the ones written.
			if h.ETag != v.ETag || !h.LastModified.Equal(v.LastModified) || h.VersionID != v.VersionID || h.Size != v.Size ||
				*h.Checksum != *v.Checksum || !sameData(h, v) || len(h.Parts) != len(v.Parts) {
				t.Errorf("UpdateEncryption changed more than the seal:\n before %+v\n after  %+v", v, h)
			}
			for i := range h.Parts {
				if h.Parts[i].BlobID != v.Parts[i].BlobID {
					t.Errorf("part %d's blob changed", i+1)
				}
			}
			if sameKey(h.Encryption.SealedKey, v.Encryption.SealedKey) {
				t.Error("the sealed data key did not change")
			}
			if got := e.get("bkt", key, ""); got != want {
				t.Error("the data reads differently after the update")
			}
		})
	}
	// A version addressed by id, not the current one.
	old := e.put("bkt", "versions", "old")
	e.put("bkt", "versions", "new")
	if _, _, err := e.svc.UpdateEncryption(e.ctx(), "bkt", "versions", old.VersionID, object.EncryptionTarget{KMSKeyARN: arn}, e.access()); err != nil {
		t.Fatal(err)
	}
	if h := e.mustHead("bkt", "versions", old.VersionID); h.Encryption.Type != kura.SSEKMS || e.get("bkt", "versions", old.VersionID) != "old" {
		t.Errorf("old version after update: %s", h.Encryption.Type)
	}
	if h := e.mustHead("bkt", "versions", ""); h.Encryption.Type != kura.SSES3 {
		t.Errorf("updating an old version changed the current one: %s", h.Encryption.Type)
	}
}

func sameKey(a, b []byte) bool { return bytes.Equal(a, b) }

func testUpdateEncryptionRefusals(t *testing.T, e *env) {
	e.lockBucket("bkt", nil)
	arn := e.kmsKey()
	_, ssec := customerKey()
	e.put("bkt", "plain", "x")
	e.put("bkt", "ssec", "x", withSSE(ssec))
	e.put("bkt", "dsse", "x", withSSE(object.SSERequest{Type: kura.SSEDSSE, KMSKeyID: arn}))
	e.put("bkt", "governed", "x", withLock(object.Lock{Retention: retention(object.Governance, time.Hour)}))
	e.put("bkt", "held", "x", withLock(object.Lock{LegalHold: on()}))
	e.put("bkt", "deleted", "x")
	dm := e.del("bkt", "deleted", "")
	otherAccount := "arn:aws:kms:us-east-1:444455556666:key/" + arn[strings.LastIndex(arn, "/")+1:]
	tests := []struct {
		name, key, version string
		target             object.EncryptionTarget
		want               *s3err.Error
	}{
		{"no key ARN", "plain", "", object.EncryptionTarget{}, object.ErrUOEMissingKeyARN},
		{"key id instead of an ARN", "plain", "", object.EncryptionTarget{KMSKeyARN: arn[strings.LastIndex(arn, "/")+1:]}, object.ErrUOEInvalidKeyARN},
		{"alias ARN", "plain", "", object.EncryptionTarget{KMSKeyARN: "arn:aws:kms:us-east-1:" + Account + ":alias/x"}, object.ErrUOEInvalidKeyARN},
		{"key of another account", "plain", "", object.EncryptionTarget{KMSKeyARN: otherAccount}, object.ErrUOEKeyAccount},
		{"SSE-C source", "ssec", "", object.EncryptionTarget{KMSKeyARN: arn}, object.ErrUOEUnsupportedSource},
		{"DSSE-KMS source", "dsse", "", object.EncryptionTarget{KMSKeyARN: arn}, object.ErrUOEUnsupportedSource},
		{"GOVERNANCE retention", "governed", "", object.EncryptionTarget{KMSKeyARN: arn}, object.ErrUOEObjectLock},
		{"legal hold", "held", "", object.EncryptionTarget{KMSKeyARN: arn}, object.ErrUOEObjectLock},
		{"missing key", "nope", "", object.EncryptionTarget{KMSKeyARN: arn}, s3err.NoSuchKey},
		{"current version is a delete marker", "deleted", "", object.EncryptionTarget{KMSKeyARN: arn}, s3err.NoSuchKey},
		{"delete marker by id", "deleted", dm.VersionID, object.EncryptionTarget{KMSKeyARN: arn}, s3err.MethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before *kura.ObjectVersion
			if tc.version == "" {
				before, _ = e.head("bkt", tc.key, "")
			}
			_, _, err := e.svc.UpdateEncryption(e.ctx(), "bkt", tc.key, tc.version, tc.target, e.access())
			if !s3err.Is(err, tc.want) || s3err.As(err).Message != tc.want.Message {
				t.Fatalf("UpdateEncryption: %v, want %v", err, tc.want)
			}
			if before != nil {
				if h := e.mustHead("bkt", tc.key, ""); !sameKey(h.Encryption.SealedKey, before.Encryption.SealedKey) {
					t.Error("a refused update changed the seal")
				}
			}
		})
	}
	// A key that does not exist is KMS's refusal, and changes nothing.
	missing := "arn:aws:kms:us-east-1:" + Account + ":key/00000000-0000-0000-0000-000000000000"
	if _, _, err := e.svc.UpdateEncryption(e.ctx(), "bkt", "plain", "", object.EncryptionTarget{KMSKeyARN: missing}, e.access()); err == nil {
		t.Error("UpdateEncryption to a key that does not exist succeeded")
	}
	if h := e.mustHead("bkt", "plain", ""); h.Encryption.Type != kura.SSES3 {
		t.Errorf("failed update left encryption %s", h.Encryption.Type)
	}
}

// testUpdateEncryptionMany: a group re-seal gives each item what
// UpdateEncryption would, commits once (stage is called for each item
// changed, inside the transaction), and leaves an item whose record
// changed under it (here: the same object twice) for a re-seal alone.
func testUpdateEncryptionMany(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	arn := e.kmsKey()
	a := e.put("bkt", "a", "aa")
	old := e.put("bkt", "b", "old")
	e.put("bkt", "b", "new")
	e.put("bkt", "plain", "p", withSSE(object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn}))
	items := []object.ResealItem{{Key: "a"}, {Key: "b", VersionID: old.VersionID}, {Key: "missing"}, {Key: "a"}}
	var staged []int
	out := e.svc.UpdateEncryptionMany(e.ctx(), "bkt", items, object.EncryptionTarget{KMSKeyARN: arn, BucketKey: true}, e.access(),
		func(_ meta.Tx, i int) error { staged = append(staged, i); return nil })
	if out[0].Err != nil || out[0].Before.Type != kura.SSES3 || out[0].After.Encryption.KMSKeyARN != arn || !out[0].After.Encryption.BucketKeyEnabled {
		t.Errorf("item a: %+v", out[0])
	}
	if out[1].Err != nil || out[1].After.VersionID != old.VersionID {
		t.Errorf("item b@old: %+v", out[1])
	}
	if !s3err.Is(out[2].Err, s3err.NoSuchKey) {
		t.Errorf("missing item: %v", out[2].Err)
	}
	if out[3].Err != object.ErrResealRetry {
		t.Errorf("the same object again: %v, want ErrResealRetry", out[3].Err)
	}
	if len(staged) < 2 || staged[len(staged)-2] != 0 || staged[len(staged)-1] != 1 {
		t.Errorf("staged %v, want items 0 and 1 (last run of the transaction)", staged)
	}
	if h := e.mustHead("bkt", "a", ""); h.Encryption.KMSKeyARN != arn || h.ETag != a.ETag || e.get("bkt", "a", "") != "aa" {
		t.Errorf("a after: %+v", h.Encryption)
	}
	if h := e.mustHead("bkt", "b", ""); h.Encryption.Type != kura.SSES3 {
		t.Errorf("the current b changed: %s", h.Encryption.Type)
	}
	if e.get("bkt", "b", old.VersionID) != "old" {
		t.Error("b@old reads differently")
	}
	// A key that does not exist fails every item that reaches its
	// re-seal (the key is looked up once a group, never trusted unseen),
	// and changes nothing.
	gone := arn[:strings.LastIndex(arn, "/")+1] + "00000000-0000-4000-8000-000000000000"
	e.put("bkt", "c", "cc")
	out = e.svc.UpdateEncryptionMany(e.ctx(), "bkt", []object.ResealItem{{Key: "c"}, {Key: "missing"}, {Key: "plain"}},
		object.EncryptionTarget{KMSKeyARN: gone}, e.access(), func(meta.Tx, int) error { return nil })
	if out[0].Err == nil || out[2].Err == nil || !s3err.Is(out[1].Err, s3err.NoSuchKey) {
		t.Errorf("a missing key: %v, %v, %v; want a KMS error, NoSuchKey, a KMS error", out[0].Err, out[1].Err, out[2].Err)
	}
	if h := e.mustHead("bkt", "c", ""); h.Encryption.Type != kura.SSES3 {
		t.Errorf("c changed under a missing key: %+v", h.Encryption)
	}
	// A locked object fails as UpdateEncryption does.
	e.lockBucket("vault", nil)
	e.put("vault", "held", "h", withLock(object.Lock{LegalHold: yes()}))
	out = e.svc.UpdateEncryptionMany(e.ctx(), "vault", []object.ResealItem{{Key: "held"}}, object.EncryptionTarget{KMSKeyARN: arn}, e.access(),
		func(meta.Tx, int) error { return nil })
	if out[0].Err != object.ErrUOEObjectLock {
		t.Errorf("locked: %v", out[0].Err)
	}
}
