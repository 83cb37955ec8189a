package kms

import (
	"context"
	"errors"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/sse"
)

// A key batch serves the many uses one caller makes of one key in a
// short burst — a Batch Operations group re-seal of up to 64 objects to
// SSE-KMS without a bucket key, one Encrypt each — with one lookup of the
// key: its record (state, material, policy) is read and decoded, its key
// policy parsed and the caller's identity policies loaded once for the
// batch instead of once a call. Nothing else is shared: every use is
// still its own KMS operation, decided by the same function with its own
// encryption context in the conditions (kms:EncryptionContext:*,
// kms:ViaService, …), recorded with its own audit event and counted as
// one KMS call. The batch sees the key as it was when the batch began,
// as a lone call sees it as it was when that call began: a batch lives
// for one group (milliseconds), and a key disabled or a policy changed
// meanwhile applies from the next group on.

var _ sse.KeyBatcher = (*Service)(nil)

// errBatchUnavailable says the key cannot be batched now (a rotation is
// due): the caller uses the key call by call, which rotates it.
var errBatchUnavailable = errors.New("kms: key cannot be used in a batch now")

type keyBatch struct {
	s         *Service
	c         kura.Call
	keyID     string // as the caller named it (the events' keyId)
	rec       *keyRecord
	keyPolicy *policy.Document
	alias     string
	memo      access.Memo
}

// BatchKey resolves keyID for call's many uses of it (sse.KeyBatcher).
// It fails as a use would when the key is missing, disabled or pending
// deletion; it authorizes nothing (each use does) and writes no event.
func (s *Service) BatchKey(ctx context.Context, call kura.Call, keyID string) (sse.KeyBatch, error) {
	if !policy.IsAccountID(call.Principal.AccountID) || call.Principal.ARN == "" {
		return nil, internalError(errors.New("kms: caller has no valid account id or ARN"))
	}
	o := s.check(call)
	rec, err := s.lookupKey(ctx, o, keyID, true, "Encrypt")
	if err != nil {
		return nil, asError(err)
	}
	if err := s.checkUsable(rec); err != nil {
		return nil, asError(err)
	}
	if rec.rotationDue(s.clock()) {
		return nil, errBatchUnavailable
	}
	keyPolicy, err := s.policies.Parse(rec.Policy, policy.Resource)
	if err != nil {
		keyPolicy = nil // allows nobody, as authorize does
	}
	return &keyBatch{s: s, c: call, keyID: keyID, rec: rec, keyPolicy: keyPolicy, alias: o.cond.alias}, nil
}

func (b *keyBatch) arn() string { return b.s.arn(b.rec) }

// KeyARN is the batch's key's ARN (sse.KeyBatch): BatchKey checked the
// key as ResolveKeyARN does, so this is ResolveKeyARN's answer.
func (b *keyBatch) KeyARN() string { return b.arn() }

// decide is authorize of each of actions with the batch's key policy
// and memo: one request's permissions, decided in turn with one request
// context (access.AuthorizeEach).
func (b *keyBatch) decide(ctx context.Context, o *op, actions ...string) error {
	kmsActions := make([]string, len(actions))
	for i, action := range actions {
		if !crossAccountAction(action) && b.rec.Account != b.c.Principal.AccountID {
			return errAccessDenied(b.c, action, b.arn())
		}
		kmsActions[i] = "kms:" + action
	}
	r := access.Request{Call: o.c, Resource: b.arn(), LazyConditions: o.cond.lazy(), Memo: &b.memo,
		KMSKey: &access.KMSKey{Account: b.rec.Account, Policy: b.keyPolicy}}
	return denial(b.s.access.AuthorizeEach(ctx, r, kmsActions...))
}

// SealDataKey is Encrypt of a data key under the batch's key: one KMS
// operation, authorized (kms:Encrypt with encCtx), audited and counted
// exactly as Service.Encrypt.
func (b *keyBatch) SealDataKey(ctx context.Context, plaintext []byte, encCtx map[string]string) ([]byte, string, error) {
	s := b.s
	s.calls.Add(1)
	metrics.CountKMS(ctx)
	out, err := run(ctx, s, b.c, "Encrypt", true, func(ctx context.Context, o *op) (EncryptOutput, error) {
		o.param("keyId", b.keyID)
		paramCrypto(o, "encryptionContext", encCtx, "", false)
		if len(plaintext) < 1 || len(plaintext) > maxPlaintext {
			return EncryptOutput{}, errConstraint("plaintext", "", "Member must have length between 1 and 4096")
		}
		o.crypto(encCtx, "")
		o.resource(b.rec)
		o.cond.alias = b.alias
		if err := b.decide(ctx, o, "Encrypt"); err != nil {
			return EncryptOutput{}, err
		}
		blob, mid, err := s.encryptUnder(b.rec, plaintext, encCtx)
		if err != nil {
			return EncryptOutput{}, err
		}
		o.extra("keyMaterialId", mid)
		return EncryptOutput{CiphertextBlob: blob, KeyId: b.arn(), EncryptionAlgorithm: algSymmetric}, nil
	})
	return out.CiphertextBlob, out.KeyId, err
}

// ResealDataKey is ReEncrypt of a data key sealed under any of the
// caller's keys to the batch's key: one KMS operation, authorized (both
// halves), audited and counted exactly as Service.ReEncrypt; the batch's
// key record serves as the destination, and as the source when the blob
// is under the same key, instead of being read again.
func (b *keyBatch) ResealDataKey(ctx context.Context, sealed []byte, srcCtx, dstCtx map[string]string) ([]byte, string, error) {
	out, err := b.s.reEncrypt(ctx, b.c, ReEncryptInput{CiphertextBlob: sealed, SourceEncryptionContext: srcCtx,
		DestinationKeyId: b.keyID, DestinationEncryptionContext: dstCtx}, b.rec)
	return out.CiphertextBlob, out.KeyId, err
}

// CheckKeyUse is Permitted on the batch's key: no use, no event.
func (b *keyBatch) CheckKeyUse(ctx context.Context, encCtx map[string]string, actions ...string) error {
	o := b.s.check(b.c)
	o.crypto(encCtx, "")
	o.cond.alias = b.alias
	if err := b.decide(ctx, o, actions...); err != nil {
		return asError(err)
	}
	return nil
}
