package objecttest

import (
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// testRestoreEncryption: RestoreEncryption (an undo job's task) puts an
// object's previous encryption back — SSE-S3, or SSE-KMS under its key
// and bucket-key setting — changing only the seal, and refuses (412,
// nothing changed) a version that is not what the re-seal left.
func testRestoreEncryption(t *testing.T, e *env) {
	e.bucket("rbkt", "Enabled")
	arn, arn2 := e.kmsKey(), e.kmsKey()
	// reseal puts key under SSE-S3 or kms (from), re-seals it to arn2
	// with a bucket key, and returns the version before and the
	// expectation of the restore.
	reseal := func(key string, from *object.SSERequest) (*kura.ObjectVersion, object.RestoreExpect) {
		var v *kura.ObjectVersion
		if from != nil {
			v = e.put("rbkt", key, "data "+key, withSSE(*from))
		} else {
			v = e.put("rbkt", key, "data "+key)
		}
		after, _, err := e.svc.UpdateEncryption(e.ctx(), "rbkt", key, "", object.EncryptionTarget{KMSKeyARN: arn2, BucketKey: true}, e.access())
		if err != nil {
			t.Fatal(err)
		}
		return v, object.RestoreExpect{Encryption: after.Encryption, LastModified: after.LastModified, Current: true}
	}
	for _, tc := range []struct {
		name string
		from *object.SSERequest
	}{
		{"back to SSE-S3", nil},
		{"back to SSE-KMS", &object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn}},
		{"back to SSE-KMS with a bucket key", &object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: yes()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "r-" + tc.name
			v, x := reseal(key, tc.from)
			after, before, err := e.svc.RestoreEncryption(e.ctx(), "rbkt", key, v.VersionID, x, v.Encryption, e.access())
			if err != nil {
				t.Fatalf("RestoreEncryption: %v", err)
			}
			h := e.mustHead("rbkt", key, "")
			if before.KMSKeyARN != arn2 || h.Encryption.Type != v.Encryption.Type || h.Encryption.KMSKeyARN != v.Encryption.KMSKeyARN ||
				h.Encryption.BucketKeyEnabled != v.Encryption.BucketKeyEnabled || after.VersionID != v.VersionID {
				t.Errorf("after restore %+v (before %+v), want %+v", h.Encryption, before, v.Encryption)
			}
			if h.ETag != v.ETag || !h.LastModified.Equal(v.LastModified) || !sameData(h, v) || e.get("rbkt", key, "") != "data "+key {
				t.Error("RestoreEncryption changed more than the seal")
			}
		})
	}
	t.Run("changed since", func(t *testing.T) {
		v, x := reseal("rekeyed", nil)
		if _, _, err := e.svc.UpdateEncryption(e.ctx(), "rbkt", "rekeyed", "", object.EncryptionTarget{KMSKeyARN: arn}, e.access()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.RestoreEncryption(e.ctx(), "rbkt", "rekeyed", v.VersionID, x, v.Encryption, e.access()); !s3err.Is(err, object.ErrRestoreChanged) {
			t.Errorf("re-keyed since: %v, want PreconditionFailed", err)
		}
		if h := e.mustHead("rbkt", "rekeyed", ""); h.Encryption.KMSKeyARN != arn {
			t.Errorf("a refused restore changed the object: %+v", h.Encryption)
		}
		v, x = reseal("newer", nil)
		e.put("rbkt", "newer", "a newer version")
		if _, _, err := e.svc.RestoreEncryption(e.ctx(), "rbkt", "newer", v.VersionID, x, v.Encryption, e.access()); !s3err.Is(err, object.ErrRestoreChanged) {
			t.Errorf("a newer version: %v, want PreconditionFailed", err)
		}
		if _, _, err := e.svc.RestoreEncryption(e.ctx(), "rbkt", "gone", v.VersionID, x, v.Encryption, e.access()); !s3err.Is(err, object.ErrRestoreChanged) {
			t.Errorf("a missing version: %v, want PreconditionFailed", err)
		}
	})
}
