package kms

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/sse"
)

// The built-in KMS as the envelope's key service (sse.KeyService): the
// calls S3 makes on a caller's behalf, taking the caller as a kura.Call.
// Each is the KMS operation of the same meaning, authorized, audited and
// counted like it.

var _ sse.OfflineKeyService = (*Service)(nil)

// NewDataKey is GenerateDataKey of a 256-bit key (KeySpec AES_256).
func (s *Service) NewDataKey(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string) (plaintext, sealed []byte, keyARN string, err error) {
	return s.GenerateDataKey(ctx, call, keyID, encCtx, 32)
}

// OpenDataKey is Decrypt.
func (s *Service) OpenDataKey(ctx context.Context, call kura.Call, sealed []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error) {
	return s.Decrypt(ctx, call, sealed, encCtx)
}

// SealDataKey is Encrypt.
func (s *Service) SealDataKey(ctx context.Context, call kura.Call, keyID string, plaintext []byte, encCtx map[string]string) (sealed []byte, keyARN string, err error) {
	return s.Encrypt(ctx, call, keyID, plaintext, encCtx)
}

// ResealDataKey is ReEncrypt; it returns the destination key's ARN.
func (s *Service) ResealDataKey(ctx context.Context, call kura.Call, sealed []byte, srcCtx map[string]string, dstKeyID string, dstCtx map[string]string) (resealed []byte, dstKeyARN string, err error) {
	resealed, _, dstKeyARN, err = s.ReEncrypt(ctx, call, sealed, srcCtx, dstKeyID, dstCtx)
	return resealed, dstKeyARN, err
}

// ResolveKey is ResolveKeyARN.
func (s *Service) ResolveKey(ctx context.Context, call kura.Call, keyID string) (string, error) {
	return s.ResolveKeyARN(ctx, call, keyID)
}

// CheckKeyUse is Permitted.
func (s *Service) CheckKeyUse(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string, actions ...string) error {
	return s.Permitted(ctx, call, keyID, encCtx, actions...)
}

// CheckKeyID checks the form of a key identifier in the service's region
// (the package function CheckKeyID).
func (s *Service) CheckKeyID(keyID string) error { return CheckKeyID(s.region, keyID) }

// ErrorCode, ErrorMessage and HTTPStatusCode make an *Error an
// sse.KMSException.
func (e *Error) ErrorCode() string    { return e.Type }
func (e *Error) ErrorMessage() string { return e.Message }
func (e *Error) HTTPStatusCode() int  { return e.Status }
