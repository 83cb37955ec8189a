package kms

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/metrics"
)

// The cryptographic operations. Each counts once in CallCount and records
// one audit event with the key, the encryption context and the key material
// id, never plaintext or ciphertext.

const (
	algSymmetric     = "SYMMETRIC_DEFAULT"
	ignoreCiphertext = "IGNORE_CIPHERTEXT"
)

// EncryptInput is Encrypt's request.
type EncryptInput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionContext   map[string]string `json:",omitempty"`
	EncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens         []string          `json:",omitempty"`
	DryRun              bool              `json:",omitempty"`
}

// EncryptOutput is Encrypt's response; KeyId is the key ARN.
type EncryptOutput struct {
	CiphertextBlob      []byte
	KeyId               string
	EncryptionAlgorithm string
}

// GenerateDataKeyInput is the request of GenerateDataKey and
// GenerateDataKeyWithoutPlaintext: exactly one of KeySpec (AES_256,
// AES_128) and NumberOfBytes (1 to 1024) must be set.
type GenerateDataKeyInput struct {
	KeyId             string
	EncryptionContext map[string]string `json:",omitempty"`
	NumberOfBytes     int               `json:",omitempty"`
	KeySpec           string            `json:",omitempty"`
	GrantTokens       []string          `json:",omitempty"`
	DryRun            bool              `json:",omitempty"`
}

// GenerateDataKeyOutput is the response of GenerateDataKey (and, without
// Plaintext, of GenerateDataKeyWithoutPlaintext); KeyId is the key ARN.
type GenerateDataKeyOutput struct {
	CiphertextBlob []byte
	Plaintext      []byte `json:",omitempty"`
	KeyId          string
	KeyMaterialId  string
}

// DecryptInput is Decrypt's request. KeyId is optional: the key is named by
// the ciphertext, and a KeyId naming another key is an
// IncorrectKeyException.
type DecryptInput struct {
	CiphertextBlob      []byte            `json:",omitempty"`
	EncryptionContext   map[string]string `json:",omitempty"`
	KeyId               string            `json:",omitempty"`
	EncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens         []string          `json:",omitempty"`
	DryRun              bool              `json:",omitempty"`
	DryRunModifiers     []string          `json:",omitempty"`
}

// DecryptOutput is Decrypt's response; KeyId is the key ARN.
type DecryptOutput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionAlgorithm string
	KeyMaterialId       string
}

// Encrypt encrypts up to 4096 bytes under a key (any identifier form) and
// returns the ciphertext blob and the key ARN.
func (s *Service) Encrypt(ctx context.Context, c kura.Call, keyID string, plaintext []byte, encCtx map[string]string) (blob []byte, keyARN string, err error) {
	out, err := s.EncryptWith(ctx, c, EncryptInput{KeyId: keyID, Plaintext: plaintext, EncryptionContext: encCtx})
	return out.CiphertextBlob, out.KeyId, err
}

// EncryptWith is Encrypt with every request parameter.
func (s *Service) EncryptWith(ctx context.Context, c kura.Call, in EncryptInput) (EncryptOutput, error) {
	s.count("Encrypt", c)
	metrics.CountKMS(ctx)
	return run(ctx, s, c, "Encrypt", true, func(ctx context.Context, o *op) (EncryptOutput, error) {
		o.param("keyId", in.KeyId)
		paramCrypto(o, "encryptionContext", in.EncryptionContext, in.EncryptionAlgorithm, in.DryRun)
		if len(in.Plaintext) < 1 || len(in.Plaintext) > maxPlaintext {
			return EncryptOutput{}, errConstraint("plaintext", "", "Member must have length between 1 and 4096")
		}
		if err := checkCryptoParams(in.EncryptionAlgorithm, in.GrantTokens); err != nil {
			return EncryptOutput{}, err
		}
		o.crypto(in.EncryptionContext, in.EncryptionAlgorithm)
		rec, err := s.usableKey(ctx, o, in.KeyId, "Encrypt")
		if err != nil {
			return EncryptOutput{}, err
		}
		blob, mid, err := s.encryptUnder(rec, in.Plaintext, in.EncryptionContext)
		if err != nil {
			return EncryptOutput{}, err
		}
		o.extra("keyMaterialId", mid)
		if in.DryRun {
			return EncryptOutput{}, errDryRun()
		}
		return EncryptOutput{CiphertextBlob: blob, KeyId: s.arn(rec), EncryptionAlgorithm: algSymmetric}, nil
	})
}

// GenerateDataKey returns a new random data key of numBytes bytes (32 for
// S3's AES_256) in plaintext and encrypted under keyID, bound to encCtx,
// and the key ARN. The caller must never store the plaintext.
func (s *Service) GenerateDataKey(ctx context.Context, c kura.Call, keyID string, encCtx map[string]string, numBytes int) (plaintext, blob []byte, keyARN string, err error) {
	in := GenerateDataKeyInput{KeyId: keyID, EncryptionContext: encCtx}
	switch numBytes {
	case 32:
		in.KeySpec = "AES_256"
	case 16:
		in.KeySpec = "AES_128"
	default:
		in.NumberOfBytes = numBytes
	}
	out, err := s.GenerateDataKeyWith(ctx, c, in)
	return out.Plaintext, out.CiphertextBlob, out.KeyId, err
}

// GenerateDataKeyWith is GenerateDataKey with every request parameter.
func (s *Service) GenerateDataKeyWith(ctx context.Context, c kura.Call, in GenerateDataKeyInput) (GenerateDataKeyOutput, error) {
	return s.generateDataKey(ctx, c, "GenerateDataKey", in, true)
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey that returns only the
// encrypted data key.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, c kura.Call, in GenerateDataKeyInput) (GenerateDataKeyOutput, error) {
	return s.generateDataKey(ctx, c, "GenerateDataKeyWithoutPlaintext", in, false)
}

func (s *Service) generateDataKey(ctx context.Context, c kura.Call, name string, in GenerateDataKeyInput, withPlaintext bool) (GenerateDataKeyOutput, error) {
	s.count(name, c)
	metrics.CountKMS(ctx)
	return run(ctx, s, c, name, true, func(ctx context.Context, o *op) (GenerateDataKeyOutput, error) {
		o.param("keyId", in.KeyId)
		if in.KeySpec != "" {
			o.param("keySpec", in.KeySpec)
		}
		if in.NumberOfBytes != 0 {
			o.param("numberOfBytes", in.NumberOfBytes)
		}
		paramCrypto(o, "encryptionContext", in.EncryptionContext, "", in.DryRun)
		n, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
		if err != nil {
			return GenerateDataKeyOutput{}, err
		}
		if err := checkCryptoParams("", in.GrantTokens); err != nil {
			return GenerateDataKeyOutput{}, err
		}
		o.crypto(in.EncryptionContext, "")
		rec, err := s.usableKey(ctx, o, in.KeyId, name)
		if err != nil {
			return GenerateDataKeyOutput{}, err
		}
		dk := make([]byte, n)
		if _, err := rand.Read(dk); err != nil {
			return GenerateDataKeyOutput{}, fmt.Errorf("generate data key: %w", err)
		}
		blob, mid, err := s.encryptUnder(rec, dk, in.EncryptionContext)
		if err != nil {
			return GenerateDataKeyOutput{}, err
		}
		o.extra("keyMaterialId", mid)
		if in.DryRun {
			clear(dk)
			return GenerateDataKeyOutput{}, errDryRun()
		}
		out := GenerateDataKeyOutput{CiphertextBlob: blob, KeyId: s.arn(rec), KeyMaterialId: mid}
		if withPlaintext {
			out.Plaintext = dk
		} else {
			clear(dk)
		}
		return out, nil
	})
}

func dataKeySize(keySpec string, numberOfBytes int) (int, error) {
	if (keySpec == "") == (numberOfBytes == 0) {
		return 0, errValidation("Please specify either number of bytes or key spec, but not both.")
	}
	switch keySpec {
	case "":
	case "AES_256":
		return 32, nil
	case "AES_128":
		return 16, nil
	default:
		return 0, errConstraint("keySpec", keySpec, "Member must satisfy enum value set: [AES_256, AES_128]")
	}
	if numberOfBytes < 1 || numberOfBytes > 1024 {
		return 0, errConstraint("numberOfBytes", fmt.Sprint(numberOfBytes), "Member must have value between 1 and 1024")
	}
	return numberOfBytes, nil
}

// Decrypt decrypts a ciphertext blob with the key and key material it names
// and the encryption context it was made with. It returns the plaintext and
// the key ARN.
func (s *Service) Decrypt(ctx context.Context, c kura.Call, blob []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error) {
	out, err := s.DecryptWith(ctx, c, DecryptInput{CiphertextBlob: blob, EncryptionContext: encCtx})
	return out.Plaintext, out.KeyId, err
}

// DecryptWith is Decrypt with every request parameter.
func (s *Service) DecryptWith(ctx context.Context, c kura.Call, in DecryptInput) (DecryptOutput, error) {
	s.count("Decrypt", c)
	metrics.CountKMS(ctx)
	return run(ctx, s, c, "Decrypt", true, func(ctx context.Context, o *op) (DecryptOutput, error) {
		if in.KeyId != "" {
			o.param("keyId", in.KeyId)
		}
		paramCrypto(o, "encryptionContext", in.EncryptionContext, in.EncryptionAlgorithm, in.DryRun)
		if err := checkCryptoParams(in.EncryptionAlgorithm, in.GrantTokens); err != nil {
			return DecryptOutput{}, err
		}
		ignore, err := checkDryRunModifiers(in.DryRun, in.DryRunModifiers)
		if err != nil {
			return DecryptOutput{}, err
		}
		o.crypto(in.EncryptionContext, in.EncryptionAlgorithm)
		if ignore {
			if in.KeyId == "" {
				return DecryptOutput{}, errValidation("KeyId is required with the IGNORE_CIPHERTEXT dry-run modifier.")
			}
			rec, err := s.findKey(ctx, o, in.KeyId, true, "Decrypt")
			if err == nil {
				err = s.checkUsable(rec)
			}
			if err != nil {
				return DecryptOutput{}, err
			}
			return DecryptOutput{}, errDryRun()
		}
		pt, rec, mid, secret, err := s.decryptBlob(ctx, o, in.CiphertextBlob, in.EncryptionContext, in.KeyId, "Decrypt")
		clear(secret)
		if err != nil {
			return DecryptOutput{}, err
		}
		o.extra("keyMaterialId", mid)
		if in.DryRun {
			clear(pt)
			return DecryptOutput{}, errDryRun()
		}
		return DecryptOutput{KeyId: s.arn(rec), Plaintext: pt,
			EncryptionAlgorithm: algSymmetric, KeyMaterialId: mid}, nil
	})
}

// usableKey resolves a key for a cryptographic operation, checks its state
// and performs a due automatic rotation first, so the current material is
// the one to use.
func (s *Service) usableKey(ctx context.Context, o *op, keyID, action string) (*keyRecord, error) {
	rec, err := s.findKey(ctx, o, keyID, true, action)
	if err != nil {
		return nil, err
	}
	if err := s.checkUsable(rec); err != nil {
		return nil, err
	}
	if rec.rotationDue(s.clock()) {
		rec, _, err = s.rotate(ctx, rec, RotationAutomatic)
	}
	return rec, err
}

// encryptUnder seals plaintext with the key's current material.
func (s *Service) encryptUnder(rec *keyRecord, plaintext []byte, encCtx map[string]string) ([]byte, string, error) {
	return s.encryptWith(rec, "", nil, plaintext, encCtx)
}

// encryptWith is encryptUnder given the opened material openID, open, if
// that is the key's current one (ReEncrypt within one material): the
// material is then not unsealed again.
func (s *Service) encryptWith(rec *keyRecord, openID string, open, plaintext []byte, encCtx map[string]string) ([]byte, string, error) {
	m := rec.current()
	secret := open
	if open == nil || m.ID != openID {
		var err error
		if secret, err = s.openMaterial(rec.ID, m); err != nil {
			return nil, "", err
		}
		defer clear(secret)
	}
	blob, err := sealBlob(rec.ID, m.ID, secret, plaintext, encCtx)
	if err != nil {
		return nil, "", err
	}
	return blob, m.ID, nil
}

// decryptBlob authenticates and decrypts a blob for the caller. Anything
// wrong with the blob itself, including a key or material it names that
// does not exist, is InvalidCiphertextException. It also returns the
// opened key material, which the caller must clear (ReEncrypt seals with
// it again when the destination is the same material).
func (s *Service) decryptBlob(ctx context.Context, o *op, blob []byte, encCtx map[string]string, keyID, action string) (pt []byte, rec *keyRecord, materialID string, secret []byte, err error) {
	ref, err := parseBlob(blob)
	if err != nil {
		return nil, nil, "", nil, errInvalidCiphertext()
	}
	if k := o.known; k != nil && k.ID == ref.keyID {
		rec = k // usable when the batch was made: not due for deletion
	} else {
		if err := s.meta.View(ctx, func(tx meta.Tx) error {
			var err error
			rec, err = getKeyRecord(tx, ref.keyID)
			return err
		}); err != nil {
			return nil, nil, "", nil, err
		}
		if rec == nil {
			return nil, nil, "", nil, errInvalidCiphertext()
		}
		if rec.deletionDue(s.clock()) {
			if err := s.reap(ctx, rec); err != nil {
				return nil, nil, "", nil, err
			}
			return nil, nil, "", nil, errInvalidCiphertext()
		}
		rec.arn = KeyARN(s.region, rec.Account, rec.ID)
	}
	o.resource(rec)
	o.read = rec
	if err := s.authorize(ctx, o, rec, action); err != nil {
		return nil, nil, "", nil, err
	}
	if keyID != "" {
		want, err := s.findKey(ctx, o, keyID, true, action)
		if err != nil {
			return nil, nil, "", nil, err
		}
		if want.ID != rec.ID {
			return nil, nil, "", nil, newError(IncorrectKeyException,
				"The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	if err := s.checkUsable(rec); err != nil {
		return nil, nil, "", nil, err
	}
	m, ok := rec.materialByID(ref.materialID)
	if !ok {
		return nil, nil, "", nil, errInvalidCiphertext()
	}
	if secret, err = s.openMaterial(rec.ID, m); err != nil {
		return nil, nil, "", nil, err
	}
	if pt, err = openBlob(secret, blob, encCtx); err != nil {
		clear(secret)
		return nil, nil, "", nil, errInvalidCiphertext()
	}
	return pt, rec, m.ID, secret, nil
}

func paramCrypto(o *op, ctxName string, encCtx map[string]string, alg string, dryRun bool) {
	if len(encCtx) > 0 {
		o.param(ctxName, encCtx)
	}
	if alg != "" {
		o.param("encryptionAlgorithm", alg)
	}
	if dryRun {
		o.param("dryRun", true)
	}
}

func checkCryptoParams(alg string, grantTokens []string) error {
	switch alg {
	case "", algSymmetric:
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE":
		return newError(InvalidKeyUsageException, "The encryption algorithm %s is not supported by symmetric encryption keys.", alg)
	default:
		return errConstraint("encryptionAlgorithm", alg,
			"Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]")
	}
	if len(grantTokens) > 10 {
		return errConstraint("grantTokens", "", "Member must have length less than or equal to 10")
	}
	return nil
}

func checkDryRunModifiers(dryRun bool, mods []string) (ignore bool, err error) {
	for _, m := range mods {
		if m != ignoreCiphertext {
			return false, errConstraint("dryRunModifiers", m, "Member must satisfy enum value set: [IGNORE_CIPHERTEXT]")
		}
	}
	return dryRun && slices.Contains(mods, ignoreCiphertext), nil
}

func errDryRun() *Error {
	return newError(DryRunOperationException, "The request would have succeeded, but the DryRun option is set.")
}
