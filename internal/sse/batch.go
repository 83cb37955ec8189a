package sse

import (
	"context"

	"github.com/kurastore/kura"
)

// KeyBatcher is implemented by a KeyService that can serve many uses of
// one key by one caller with one lookup of the key (the built-in KMS):
// a Batch Operations group re-seal to SSE-KMS without a bucket key makes
// one Encrypt an object. Every use is still authorized with its own
// encryption context, audited and counted as one KMS call; only the
// key's lookup (record, key policy, the caller's policies) is shared.
type KeyBatcher interface {
	// BatchKey resolves keyID for call's uses of it, failing as a use
	// would when the key cannot be used now.
	BatchKey(ctx context.Context, call kura.Call, keyID string) (KeyBatch, error)
}

// KeyBatch is one key resolved for one caller's burst of uses.
type KeyBatch interface {
	// SealDataKey is KeyService.SealDataKey under the batch's key.
	SealDataKey(ctx context.Context, plaintext []byte, encCtx map[string]string) (sealed []byte, keyARN string, err error)
	// ResealDataKey is KeyService.ResealDataKey to the batch's key.
	ResealDataKey(ctx context.Context, sealed []byte, srcCtx, dstCtx map[string]string) (resealed []byte, keyARN string, err error)
	// CheckKeyUse is KeyService.CheckKeyUse on the batch's key.
	CheckKeyUse(ctx context.Context, encCtx map[string]string, actions ...string) error
	// KeyARN is the batch's key's ARN: what KeyService.ResolveKey would
	// answer for it (the batch was made only if the key was usable).
	KeyARN() string
}

// BatchedKey is a KMS key resolved once for one caller's uses through S3
// (Envelope.BatchKey): a group of re-seals under one key passes it in
// Request.Batch and checks permissions with Permitted. It lives for one
// group.
type BatchedKey struct{ b KeyBatch }

// BatchKey returns keyID resolved for acc's caller's uses through S3, or
// nil when the KMS does not batch or the key cannot be batched now (then
// every use looks the key up itself and fails, if it must, as it would
// alone).
func (e *Envelope) BatchKey(ctx context.Context, keyID string, acc Access) *BatchedKey {
	kb, ok := e.kms.(KeyBatcher)
	if !ok || e.kms == nil {
		return nil
	}
	b, err := kb.BatchKey(ctx, e.viaS3(acc.Caller), kmsKeyID(keyID))
	if err != nil {
		return nil
	}
	return &BatchedKey{b: b}
}

// ARN is the batched key's ARN, resolved when the batch was made.
func (k *BatchedKey) ARN() string { return k.b.KeyARN() }

// Permitted is Envelope.KeyPermitted on the batched key.
func (k *BatchedKey) Permitted(ctx context.Context, encCtx map[string]string, actions ...string) error {
	if err := k.b.CheckKeyUse(ctx, encCtx, actions...); err != nil {
		return kmsError(err)
	}
	return nil
}
