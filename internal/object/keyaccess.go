package object

import (
	"context"

	"github.com/kurastore/kura/internal/s3err"
)

// KeyPermitted checks, without using the key, that acc's caller may
// perform each of actions ("Encrypt", "ReEncryptTo", …) on KMS key keyID
// through S3, with encCtx as the encryption context. Operations that call
// KMS several times on the caller's behalf use it to refuse a missing
// permission before they change anything (UpdateObjectEncryption). A KMS
// refusal is S3's 403 AccessDenied, other KMS errors their KMS.* form.
func (s *Service) KeyPermitted(ctx context.Context, acc KeyAccess, keyID string, encCtx map[string]string, actions ...string) error {
	if s.kms == nil {
		return s3err.NotImplemented.WithMessage("SSE-KMS needs the built-in KMS, which this server was started without.")
	}
	if err := s.kms.Permitted(ctx, s.viaS3(acc.Caller), keyID, encCtx, actions...); err != nil {
		return kmsError(err)
	}
	return nil
}
