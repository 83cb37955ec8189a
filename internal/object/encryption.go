package object

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Encryption: the envelope (sse.Envelope) owns data keys and their seals —
// making, opening and re-sealing them, the KMS calls and the S3 Bucket Key
// cache. This package decides which encryption a write gets (the request
// or the bucket's default) and commits the sealed keys with the record.

// SSERequest is the server-side encryption a write asks for. The zero value
// means "the bucket default".
type SSERequest = sse.Request

// KeyAccess is what a request brings to use data keys: who is asking (the
// KMS checks and audits the caller) and, for SSE-C, the customer's key.
type KeyAccess = sse.Access

// resolveSSE applies the bucket's default encryption to a write and
// enforces its blocked encryption types.
func resolveSSE(req SSERequest, b *kura.Bucket, key string, acc KeyAccess, action string) (SSERequest, error) {
	def := b.Encryption
	if def.Blocks(req.Type) {
		return req, s3err.AccessDenied.WithMessage("User: %s is not authorized to perform: %s on resource: \"%s\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type",
			acc.Caller.Principal.ARN, action, objectARN(b.Name, key))
	}
	if req.Type == kura.SSENone {
		if def == nil {
			return SSERequest{Type: kura.SSES3}, nil
		}
		req.Type, req.KMSKeyID = def.Algorithm, def.KMSMasterKeyID
	}
	if req.BucketKey == nil && def != nil {
		req.BucketKey = &def.BucketKeyEnabled
	}
	return req, nil
}

// writeKeys creates the data key(s) of a new object version or upload of
// key in bucket b: the request's encryption, or the bucket default.
func (s *Service) writeKeys(ctx context.Context, b *kura.Bucket, key string, req SSERequest, acc KeyAccess) (sse.DataKeys, kura.Encryption, error) {
	req, err := resolveSSE(req, b, key, acc, "s3:PutObject")
	if err != nil {
		return sse.DataKeys{}, kura.Encryption{}, err
	}
	return s.env.NewKeys(ctx, req, b.Name, key, acc)
}

func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

// CheckCustomerKey verifies an SSE-C key against an object's or upload's
// encryption block, as S3 does before any read: a missing key is a 400, a
// wrong key a 403 (sse.CheckCustomerKey).
func CheckCustomerKey(enc kura.Encryption, key []byte) error { return sse.CheckCustomerKey(enc, key) }

// CheckKMSKeyID checks the form of a KMS key id given for a bucket's
// default encryption (sse.Envelope.CheckKeyID).
func (s *Service) CheckKMSKeyID(id string) error { return s.env.CheckKeyID(id) }

// BatchKey resolves KMS key keyID once for acc's caller's group of uses
// through S3 (sse.Envelope.BatchKey); nil when it cannot be batched.
func (s *Service) BatchKey(ctx context.Context, acc KeyAccess, keyID string) *sse.BatchedKey {
	return s.env.BatchKey(ctx, keyID, acc)
}

// KeyPermitted checks, without using the key, that acc's caller may
// perform each of actions on KMS key keyID through S3, with encCtx as the
// encryption context (sse.Envelope.KeyPermitted).
func (s *Service) KeyPermitted(ctx context.Context, acc KeyAccess, keyID string, encCtx map[string]string, actions ...string) error {
	return s.env.KeyPermitted(ctx, acc, keyID, encCtx, actions...)
}
