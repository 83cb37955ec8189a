package objecttest

import (
	"crypto/md5"
	"regexp"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var hexETag = regexp.MustCompile(`^[0-9a-f]{32}$`)

// The ETag of a PUT is the MD5 of the data under SSE-S3 and opaque under
// SSE-KMS, DSSE-KMS and SSE-C, as in S3: 32 hex digits, not the MD5, one
// version's (the same body PUT twice gets two), kept by HEAD and by
// re-keying, and accepted by integrity verification. Content-MD5 is still
// verified when the ETag is opaque.
func testOpaqueETags(t *testing.T, e *env) {
	e.bucket("bkt", "")
	arn := e.kmsKey()
	ck, ckReq := customerKey()
	body := randomBody(70_000)
	good := md5.Sum([]byte(body))
	bad := md5.Sum([]byte("something else"))
	for _, tc := range []struct {
		name   string
		req    object.SSERequest
		opaque bool
	}{
		{"SSE-S3", object.SSERequest{Type: kura.SSES3}, false},
		{"SSE-KMS", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn}, true},
		{"SSE-KMS with a bucket key", object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: yes()}, true},
		{"DSSE-KMS", object.SSERequest{Type: kura.SSEDSSE, KMSKeyID: arn}, true},
		{"SSE-C", ckReq, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "k-" + tc.name
			v1 := e.put("bkt", key, body, withSSE(tc.req))
			v2 := e.put("bkt", key, body, withSSE(tc.req), withMD5(good[:]))
			for _, v := range []*kura.ObjectVersion{v1, v2} {
				if !hexETag.MatchString(v.ETag) {
					t.Errorf("ETag %q, want 32 hex digits", v.ETag)
				}
				if (v.ETag != md5Hex(body)) != tc.opaque {
					t.Errorf("ETag %s, MD5 of the data %s: want opaque %v", v.ETag, md5Hex(body), tc.opaque)
				}
			}
			if tc.opaque && v1.ETag == v2.ETag {
				t.Errorf("two PUTs of the same body share the opaque ETag %s; it must be the version's", v1.ETag)
			}
			if h := e.mustHead("bkt", key, ""); h.ETag != v2.ETag {
				t.Errorf("HEAD ETag %s, PUT answered %s", h.ETag, v2.ETag)
			}
			_, err := e.tryPut("bkt", key, body, withSSE(tc.req), withMD5(bad[:]))
			wantCode(t, "a wrong Content-MD5", err, s3err.BadDigest)
			if tc.req.Type != kura.SSEC {
				vr := e.svc.VerifyVersion(e.ctx(), v2, nil)
				if !vr.Decrypted || len(vr.Problems) != 0 {
					t.Errorf("verification: decrypted %v, problems %+v; want the data and its ETag accepted", vr.Decrypted, vr.Problems)
				}
				forged := *v2
				forged.ETag = md5Hex("not this data")
				if vr := e.svc.VerifyVersion(e.ctx(), &forged, nil); len(vr.Problems) == 0 {
					t.Error("verification accepts an ETag that is neither the data's MD5 nor derived from its key")
				}
			}
			if got, _, err := e.tryGet("bkt", key, "", e.access(ck)); err != nil || got != body {
				t.Errorf("GET after PUT: %v", err)
			}
			// Re-keying keeps the ETag, which verification still accepts
			// (the same data key, sealed anew).
			if tc.req.Type == kura.SSEKMS {
				after, _, err := e.svc.UpdateEncryption(e.ctx(), "bkt", key, "", object.EncryptionTarget{KMSKeyARN: e.kmsKey()}, e.access())
				if err != nil {
					t.Fatalf("UpdateEncryption: %v", err)
				}
				if after.ETag != v2.ETag {
					t.Errorf("ETag after re-keying %s, before %s", after.ETag, v2.ETag)
				}
				if vr := e.svc.VerifyVersion(e.ctx(), after, nil); !vr.Decrypted || len(vr.Problems) != 0 {
					t.Errorf("verification after re-keying: decrypted %v, problems %+v", vr.Decrypted, vr.Problems)
				}
			}
		})
	}
}
