package sse

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// rootCheckPurpose derives the key of the root key check. Changing it makes
// every data directory refuse its own root key.
const rootCheckPurpose = "kura root key check v1"

// RootKeyCheck lets a data directory recognise the root key it was created
// with without holding the key or anything that helps to guess it: a random
// salt and HMAC-SHA256(DeriveKey(root, "kura root key check v1"), salt).
// HKDF is one-way and the root key has 256 bits of entropy, so the check
// reveals nothing a brute-force search could use.
type RootKeyCheck struct {
	Salt []byte
	MAC  []byte
}

const rootCheckSaltSize = 32

// NewRootKeyCheck makes a check for root with a fresh random salt.
func NewRootKeyCheck(root []byte) (RootKeyCheck, error) {
	if len(root) != RootKeySize {
		return RootKeyCheck{}, fmt.Errorf("sse: root key must be %d bytes", RootKeySize)
	}
	salt := make([]byte, rootCheckSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return RootKeyCheck{}, fmt.Errorf("sse: root key check salt: %w", err)
	}
	return RootKeyCheck{Salt: salt, MAC: rootCheckMAC(root, salt)}, nil
}

// ErrRootKeyMismatch is returned by Verify when the key is not the one the
// check was made for.
var ErrRootKeyMismatch = errors.New("sse: root key does not match the root key check")

// Verify reports whether root is the key c was made for, comparing in
// constant time. A malformed check is an error of its own, never a match.
func (c RootKeyCheck) Verify(root []byte) error {
	if len(c.Salt) != rootCheckSaltSize || len(c.MAC) != sha256.Size {
		return errors.New("sse: root key check is malformed")
	}
	if len(root) != RootKeySize || !hmac.Equal(rootCheckMAC(root, c.Salt), c.MAC) {
		return ErrRootKeyMismatch
	}
	return nil
}

func rootCheckMAC(root, salt []byte) []byte {
	k := DeriveKey(root, rootCheckPurpose)
	defer clear(k)
	m := hmac.New(sha256.New, k)
	m.Write(salt)
	return m.Sum(nil)
}
