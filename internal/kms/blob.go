package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"
)

// Ciphertext blob format v1 (docs/formats.md, "KMS ciphertext format"):
//
//	blob  = version(1) = 1 | key id(16, raw UUID) | material id(32, raw) | nonce(12) | ciphertext | tag(16)
//	key   = HKDF-SHA256(secret = key material, salt = nonce, info = "kura kms ciphertext v1")
//	aad   = version | key id | material id | canonical(encryption context)
//
// The key id and material id let Decrypt find the key and the material
// version from the blob alone, so blobs made before a rotation still
// decrypt. A key is derived per blob so that the 96-bit random nonce is never
// the only thing standing between heavy use of one material and a GCM nonce
// collision (2^32 random nonces under one AES key is a few days of SSE-KMS
// traffic at 10k requests/s).
const (
	blobVersion    = 1
	blobHeaderLen  = 1 + 16 + 32
	blobNonceLen   = 12
	blobTagLen     = 16
	blobOverhead   = blobHeaderLen + blobNonceLen + blobTagLen
	maxPlaintext   = 4096
	maxCiphertext  = 6144
	blobKeyInfo    = "kura kms ciphertext v1"
	materialIDSize = 32
)

var errBlob = errors.New("malformed ciphertext blob")

// blobRef is what a blob says about itself before it is authenticated.
type blobRef struct {
	keyID      string
	materialID string
}

// parseBlob reads the header of a ciphertext blob. Nothing it returns is
// authenticated until openBlob succeeds.
func parseBlob(b []byte) (blobRef, error) {
	if len(b) < blobOverhead || len(b) > maxCiphertext || b[0] != blobVersion {
		return blobRef{}, errBlob
	}
	id, err := uuid.FromBytes(b[1:17])
	if err != nil {
		return blobRef{}, errBlob
	}
	return blobRef{keyID: id.String(), materialID: hex.EncodeToString(b[17:blobHeaderLen])}, nil
}

// sealBlob encrypts plaintext under one key material.
func sealBlob(keyID, materialID string, secret, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return nil, fmt.Errorf("key id %q: %w", keyID, err)
	}
	mid, err := hex.DecodeString(materialID)
	if err != nil || len(mid) != materialIDSize {
		return nil, fmt.Errorf("material id %q is not 64 hex characters", materialID)
	}
	out := make([]byte, blobHeaderLen+blobNonceLen, blobOverhead+len(plaintext))
	out[0] = blobVersion
	copy(out[1:17], id[:])
	copy(out[17:blobHeaderLen], mid)
	nonce := out[blobHeaderLen : blobHeaderLen+blobNonceLen]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	aead, err := blobAEAD(secret, nonce)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, nonce, plaintext, blobAAD(out[:blobHeaderLen], encCtx)), nil
}

// openBlob decrypts and authenticates a blob whose header parseBlob read,
// with the material the header names.
func openBlob(secret, blob []byte, encCtx map[string]string) ([]byte, error) {
	nonce := blob[blobHeaderLen : blobHeaderLen+blobNonceLen]
	aead, err := blobAEAD(secret, nonce)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, blob[blobHeaderLen+blobNonceLen:], blobAAD(blob[:blobHeaderLen], encCtx))
	if err != nil {
		return nil, errBlob
	}
	return pt, nil
}

func blobAEAD(secret, nonce []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, nonce, blobKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func blobAAD(header []byte, encCtx map[string]string) []byte {
	return append(append([]byte(nil), header...), canonicalContext(encCtx)...)
}

// canonicalContext encodes an encryption context so that equal maps give
// equal bytes whatever their order, and distinct maps never collide:
//
//	uint32(count) | for each pair in byte order of keys: uint32(len k) | k | uint32(len v) | v
//
// The empty and the absent context are the same (count 0).
func canonicalContext(encCtx map[string]string) []byte {
	keys := make([]string, 0, len(encCtx))
	n := 4
	for k, v := range encCtx {
		keys = append(keys, k)
		n += 8 + len(k) + len(v)
	}
	sort.Strings(keys)
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		v := encCtx[k]
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}
