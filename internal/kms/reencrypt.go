package kms

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/metrics"
)

// ReEncryptInput is ReEncrypt's request. SourceKeyId is optional (the
// ciphertext names its key); DestinationKeyId is required.
type ReEncryptInput struct {
	CiphertextBlob                 []byte            `json:",omitempty"`
	SourceEncryptionContext        map[string]string `json:",omitempty"`
	SourceKeyId                    string            `json:",omitempty"`
	DestinationKeyId               string
	DestinationEncryptionContext   map[string]string `json:",omitempty"`
	SourceEncryptionAlgorithm      string            `json:",omitempty"`
	DestinationEncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens                    []string          `json:",omitempty"`
	DryRun                         bool              `json:",omitempty"`
	DryRunModifiers                []string          `json:",omitempty"`
}

// ReEncryptOutput is ReEncrypt's response; SourceKeyId and KeyId are ARNs.
type ReEncryptOutput struct {
	CiphertextBlob                 []byte
	SourceKeyId                    string
	KeyId                          string
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
	SourceKeyMaterialId            string
	DestinationKeyMaterialId       string
}

// ReEncrypt decrypts blob (made under any key of the caller, with srcCtx)
// and encrypts the plaintext under dstKeyID with dstCtx, without the
// plaintext leaving KMS. It returns the new blob and both key ARNs.
func (s *Service) ReEncrypt(ctx context.Context, c kura.Call, blob []byte, srcCtx map[string]string, dstKeyID string, dstCtx map[string]string) (newBlob []byte, srcKeyARN, dstKeyARN string, err error) {
	out, err := s.ReEncryptWith(ctx, c, ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: srcCtx,
		DestinationKeyId: dstKeyID, DestinationEncryptionContext: dstCtx})
	return out.CiphertextBlob, out.SourceKeyId, out.KeyId, err
}

// ReEncryptWith is ReEncrypt with every request parameter.
func (s *Service) ReEncryptWith(ctx context.Context, c kura.Call, in ReEncryptInput) (ReEncryptOutput, error) {
	return s.reEncrypt(ctx, c, in, nil)
}

// reEncrypt is ReEncryptWith; known, when not nil, is a key record
// already resolved for the caller (a key batch's), which the operation
// takes instead of reading that key again (op.known).
func (s *Service) reEncrypt(ctx context.Context, c kura.Call, in ReEncryptInput, known *keyRecord) (ReEncryptOutput, error) {
	s.count("ReEncrypt", c)
	metrics.CountKMS(ctx)
	return run(ctx, s, c, "ReEncrypt", true, func(ctx context.Context, o *op) (ReEncryptOutput, error) {
		o.known = known
		if in.SourceKeyId != "" {
			o.param("sourceKeyId", in.SourceKeyId)
		}
		o.param("destinationKeyId", in.DestinationKeyId)
		paramCrypto(o, "sourceEncryptionContext", in.SourceEncryptionContext, in.SourceEncryptionAlgorithm, in.DryRun)
		if len(in.DestinationEncryptionContext) > 0 {
			o.param("destinationEncryptionContext", in.DestinationEncryptionContext)
		}
		if in.DestinationEncryptionAlgorithm != "" {
			o.param("destinationEncryptionAlgorithm", in.DestinationEncryptionAlgorithm)
		}
		if err := checkCryptoParams(in.SourceEncryptionAlgorithm, in.GrantTokens); err != nil {
			return ReEncryptOutput{}, err
		}
		if err := checkCryptoParams(in.DestinationEncryptionAlgorithm, nil); err != nil {
			return ReEncryptOutput{}, err
		}
		ignore, err := checkDryRunModifiers(in.DryRun, in.DryRunModifiers)
		if err != nil {
			return ReEncryptOutput{}, err
		}
		var pt, secret []byte
		var src *keyRecord
		var srcMID string
		o.crypto(in.SourceEncryptionContext, in.SourceEncryptionAlgorithm)
		if ignore {
			if in.SourceKeyId == "" {
				return ReEncryptOutput{}, errValidation("SourceKeyId is required with the IGNORE_CIPHERTEXT dry-run modifier.")
			}
			if src, err = s.findKey(ctx, o, in.SourceKeyId, true, "ReEncryptFrom"); err == nil {
				err = s.checkUsable(src)
			}
		} else {
			pt, src, srcMID, secret, err = s.decryptBlob(ctx, o, in.CiphertextBlob, in.SourceEncryptionContext, in.SourceKeyId, "ReEncryptFrom")
		}
		if err != nil {
			return ReEncryptOutput{}, err
		}
		defer clear(pt)
		defer clear(secret)
		o.crypto(in.DestinationEncryptionContext, in.DestinationEncryptionAlgorithm)
		dst, err := s.usableKey(ctx, o, in.DestinationKeyId, "ReEncryptTo")
		if err != nil {
			return ReEncryptOutput{}, err
		}
		if ignore || in.DryRun {
			return ReEncryptOutput{}, errDryRun()
		}
		var open []byte // the source's material, if the destination is the same key
		if dst.ID == src.ID {
			open = secret
		}
		blob, dstMID, err := s.encryptWith(dst, srcMID, open, pt, in.DestinationEncryptionContext)
		if err != nil {
			return ReEncryptOutput{}, err
		}
		o.extra("sourceKeyMaterialId", srcMID)
		o.extra("destinationKeyMaterialId", dstMID)
		return ReEncryptOutput{
			CiphertextBlob: blob,
			SourceKeyId:    s.arn(src), KeyId: s.arn(dst),
			SourceEncryptionAlgorithm: algSymmetric, DestinationEncryptionAlgorithm: algSymmetric,
			SourceKeyMaterialId: srcMID, DestinationKeyMaterialId: dstMID,
		}, nil
	})
}
