package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

// RestoreEncryptionInput is RestoreObjectEncryption's: the version a
// re-seal acted on, what it must still be, and the encryption it had
// before.
type RestoreEncryptionInput struct {
	Target
	Expect object.RestoreExpect
	// To is the encryption to put back: SSE-S3, or SSE-KMS under a key
	// ARN with or without a bucket key.
	To kura.Encryption
}

// RestoreObjectEncryption is Kura's own re-seal back to an object's
// previous encryption, the task of an undo job (internal/batch) and
// reachable only from there: no HTTP request maps to it, because S3's
// UpdateObjectEncryption offers only SSE-KMS as a target. It is
// authorized and audited as UpdateObjectEncryption — it undoes one —
// needing s3:UpdateObjectEncryption and s3:PutObject on the object, and
// for an SSE-KMS target the permissions UpdateObjectEncryption needs on
// that key; its event says restoredBy: undo. An object that changed since
// the re-seal is refused (object.ErrRestoreChanged) and left as it is.
func (s *Service) RestoreObjectEncryption(ctx context.Context, call kura.Call, in RestoreEncryptionInput) (EncryptionResult, error) {
	r, ctx := s.begin(ctx, call, specUpdateObjectEncryption, in.Target, nil)
	res, err := func() (EncryptionResult, error) {
		if err := r.authorize(ctx); err != nil {
			return EncryptionResult{}, err
		}
		if in.To.Type == kura.SSEKMS {
			t := object.EncryptionTarget{KMSKeyARN: in.To.KMSKeyARN, BucketKey: in.To.BucketKeyEnabled}
			if err := t.Validate(); err != nil {
				return EncryptionResult{}, err
			}
			if err := s.authorizeUOEKey(ctx, r, &t); err != nil {
				return EncryptionResult{}, err
			}
		}
		after, before, err := s.obj.RestoreEncryption(ctx, in.Bucket, in.Key, in.VersionID, in.Expect, in.To, object.KeyAccess{Caller: r.call})
		if err != nil {
			return EncryptionResult{}, err
		}
		r.note("restoredBy", "undo")
		r.note("previousEncryption", EncryptionAudit(before))
		r.note("newEncryption", EncryptionAudit(after.Encryption))
		return EncryptionResult{VersionID: after.VersionID, Before: before, After: after.Encryption, LastModified: after.LastModified}, nil
	}()
	return res, r.finish(r.spec.status, err)
}
