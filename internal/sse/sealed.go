package sse

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealed key format v1 (see docs/formats.md):
//
//	version(1) = 1 | idLen(1) | id(idLen) | nonce(12) | AES-256-GCM ciphertext | tag(16)
//
// The GCM additional data is version|idLen|id followed by the caller's aad,
// so neither the key id nor the purpose can be altered without Open failing.
// The prefix is self-delimiting, so the concatenation is unambiguous.
const (
	sealedV1      = 1
	maxKeyIDLen   = 255
	sealedMinSize = 2 + nonceSize + tagSize
)

// ErrKeyMismatch is returned (wrapped, naming both ids) by ManagedKey.Open for
// a key sealed under a different managed key id, e.g. one since rotated.
// Use SealedKeyID to find which key is needed.
var ErrKeyMismatch = errors.New("sse: sealed under a different key")

// ManagedKey is the store's SSE-S3 wrapping key (a KEK). Seal/Open wrap a
// DEK with AES-256-GCM; the sealed form carries a version byte, a key id
// (so the managed key can be rotated later), and a random nonce. aad binds
// the sealed key to a purpose string supplied by the caller. A ManagedKey is
// safe for concurrent use.
type ManagedKey struct {
	id   string
	aead cipher.AEAD
}

// NewManagedKey returns a managed key. id is 1 to 255 bytes and is stored in
// the clear in every sealed key; key is 32 bytes (typically
// DeriveKey(root, "kura sse-s3 kek v1")). The key bytes are not retained.
func NewManagedKey(id string, key []byte) (*ManagedKey, error) {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return nil, fmt.Errorf("sse: managed key id must be 1 to %d bytes", maxKeyIDLen)
	}
	if len(key) != 32 {
		return nil, errors.New("sse: managed key must be 32 bytes")
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &ManagedKey{id: id, aead: aead}, nil
}

// ID returns the key id recorded in keys this key seals.
func (m *ManagedKey) ID() string { return m.id }

// Seal wraps a 32-byte DEK under m, bound to aad.
func (m *ManagedKey) Seal(dek, aad []byte) ([]byte, error) {
	if len(dek) != DEKSize {
		return nil, errDEKSize
	}
	return seal(m.aead, m.id, dek, aad)
}

// Open unwraps a key sealed by Seal with the same aad. It returns an error
// wrapping ErrKeyMismatch if the key was sealed under another key id, and
// one wrapping ErrAuthentication if the sealed bytes are damaged or the aad
// differs.
func (m *ManagedKey) Open(sealed, aad []byte) ([]byte, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if id != m.id {
		return nil, fmt.Errorf("%w: key id %q, have %q", ErrKeyMismatch, id, m.id)
	}
	return open(m.aead, sealed, aad)
}

// SealWithKey wraps secret (normally a DEK) under a 32-byte key encryption
// key, bound to aad, in the sealed key format with an empty key id. It is
// for keys that are not ManagedKeys, such as an SSE-C customer key or a key
// from a KMS; the caller is responsible for knowing which kek to use.
func SealWithKey(kek, secret, aad []byte) ([]byte, error) {
	aead, err := kekAEAD(kek)
	if err != nil {
		return nil, err
	}
	return seal(aead, "", secret, aad)
}

// OpenWithKey unwraps a key sealed by SealWithKey (or by a ManagedKey with the
// same key bytes: the id, whatever it is, is authenticated but not
// compared). Failure wraps ErrAuthentication.
func OpenWithKey(kek, sealed, aad []byte) ([]byte, error) {
	aead, err := kekAEAD(kek)
	if err != nil {
		return nil, err
	}
	return open(aead, sealed, aad)
}

// SealedKeyID returns the key id recorded in a sealed key ("" for
// SealWithKey), so a holder of several managed keys can pick the right one.
// The id is not authenticated until Open succeeds.
func SealedKeyID(sealed []byte) (string, error) {
	idLen, err := parseSealed(sealed)
	if err != nil {
		return "", err
	}
	return string(sealed[2 : 2+idLen]), nil
}

// KEK is a key encryption key set up once for many uses of SealWithKey's
// format: Seal and Open are SealWithKey and OpenWithKey without setting up
// AES-GCM on every call (the KMS unseals its key material on every
// cryptographic operation). It is safe for concurrent use.
type KEK struct{ aead cipher.AEAD }

// NewKEK returns kek (32 bytes) ready for use. The key bytes are not
// retained.
func NewKEK(kek []byte) (*KEK, error) {
	aead, err := kekAEAD(kek)
	if err != nil {
		return nil, err
	}
	return &KEK{aead: aead}, nil
}

// Seal is SealWithKey under k.
func (k *KEK) Seal(secret, aad []byte) ([]byte, error) { return seal(k.aead, "", secret, aad) }

// Open is OpenWithKey under k.
func (k *KEK) Open(sealed, aad []byte) ([]byte, error) { return open(k.aead, sealed, aad) }

func kekAEAD(kek []byte) (cipher.AEAD, error) {
	if len(kek) != 32 {
		return nil, errors.New("sse: key encryption key must be 32 bytes")
	}
	return newGCM(kek)
}

func seal(aead cipher.AEAD, id string, secret, aad []byte) ([]byte, error) {
	prefix := 2 + len(id)
	out := make([]byte, prefix+nonceSize, prefix+nonceSize+len(secret)+tagSize)
	out[0] = sealedV1
	out[1] = byte(len(id))
	copy(out[2:], id)
	// Random 96-bit nonces are safe here: a KEK seals one DEK per object
	// version, far below the 2^32 messages per key that bounds collision risk.
	if _, err := rand.Read(out[prefix:]); err != nil {
		return nil, fmt.Errorf("sse: generating nonce: %w", err)
	}
	return aead.Seal(out, out[prefix:], secret, sealedAAD(out[:prefix], aad)), nil
}

func open(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	idLen, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	prefix := 2 + idLen
	nonce := sealed[prefix : prefix+nonceSize]
	ct := sealed[prefix+nonceSize:]
	secret, err := aead.Open(nil, nonce, ct, sealedAAD(sealed[:prefix], aad))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed key does not open", ErrAuthentication)
	}
	return secret, nil
}

// parseSealed checks the framing of a sealed key and returns its id length.
func parseSealed(sealed []byte) (int, error) {
	if len(sealed) < sealedMinSize {
		return 0, fmt.Errorf("%w: sealed key too short", ErrAuthentication)
	}
	if sealed[0] != sealedV1 {
		return 0, fmt.Errorf("%w: unsupported sealed key version %d", ErrAuthentication, sealed[0])
	}
	idLen := int(sealed[1])
	if len(sealed) < sealedMinSize+idLen {
		return 0, fmt.Errorf("%w: sealed key too short", ErrAuthentication)
	}
	return idLen, nil
}

func sealedAAD(prefix, aad []byte) []byte {
	b := make([]byte, 0, len(prefix)+len(aad))
	return append(append(b, prefix...), aad...)
}
