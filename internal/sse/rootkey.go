package sse

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RootKeySize is the length of the root key.
const RootKeySize = 32

// RootKeyEnv names the environment variable that, when set and non-empty,
// supplies the root key as 64 hex characters instead of the key file.
const RootKeyEnv = "KURA_ROOT_KEY"

// LoadRootKey returns the root key: the secret everything else derives
// from. If KURA_ROOT_KEY is set (64 hex chars) it wins and no file is read
// (fromEnv is then true). Otherwise it reads path, which must hold exactly
// 32 raw bytes or 64 hex characters (surrounding whitespace allowed).
//
// LoadRootKey never creates anything: a missing file is an error wrapping
// fs.ErrNotExist, and only the caller can tell whether that is a fresh data
// directory (CreateRootKey) or a lost key (refuse to start).
func LoadRootKey(path string) (key []byte, fromEnv bool, err error) {
	if v := os.Getenv(RootKeyEnv); v != "" {
		key, err := parseRootKey([]byte(v))
		if err != nil {
			return nil, true, fmt.Errorf("sse: %s: %w", RootKeyEnv, err)
		}
		return key, true, nil
	}
	key, err = readRootKey(path)
	return key, false, err
}

func readRootKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sse: reading root key: %w", err)
	}
	key, err := parseRootKey(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("sse: root key file %s: %w", path, err)
	}
	return key, nil
}

// parseRootKey accepts 32 raw bytes or 64 hex characters. The two cannot be
// confused: raw is exactly 32 bytes, hex at least 64. Errors never include
// the input, which is secret.
func parseRootKey(b []byte) ([]byte, error) {
	var key []byte
	if len(b) == RootKeySize {
		key = bytes.Clone(b)
	} else {
		s := strings.TrimSpace(string(b))
		if len(s) != 2*RootKeySize {
			return nil, fmt.Errorf("root key must be %d raw bytes or %d hex characters", RootKeySize, 2*RootKeySize)
		}
		var err error
		if key, err = hex.DecodeString(s); err != nil {
			return nil, errors.New("root key is not valid hex")
		}
	}
	// An all-zero key is a placeholder someone forgot to replace, not a
	// secret.
	if bytes.Equal(key, make([]byte, RootKeySize)) {
		return nil, errors.New("root key is all zeros")
	}
	return key, nil
}

// CreateRootKey creates path with 0600 permissions (parent directory
// created 0700 if missing) holding a fresh key from crypto/rand as hex plus
// a newline, fsyncs it and its directory, and returns the key.
//
// Losing this key loses every object, so creation never replaces an existing
// file: the key is written to a temporary file and linked into place, and if
// another process created path meanwhile, its key is loaded instead.
func CreateRootKey(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sse: creating root key directory: %w", err)
	}
	key := make([]byte, RootKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sse: generating root key: %w", err)
	}
	// CreateTemp makes the file 0600 from the start, so the key is never
	// readable by others, not even briefly.
	tmp, err := os.CreateTemp(dir, ".rootkey-*")
	if err != nil {
		return nil, fmt.Errorf("sse: creating root key: %w", err)
	}
	defer os.Remove(tmp.Name())
	text := make([]byte, 2*RootKeySize+1)
	hex.Encode(text, key)
	text[len(text)-1] = '\n'
	_, err = tmp.Write(text)
	clear(text)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("sse: writing root key: %w", err)
	}
	// Link, unlike rename, fails if path exists: a concurrent creator's key
	// (which may already protect data) is never overwritten.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readRootKey(path)
		}
		return nil, fmt.Errorf("sse: installing root key: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("sse: syncing root key directory: %w", err)
	}
	return key, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// DeriveKey derives a purpose-specific 32-byte key from the root key with
// HKDF-SHA256 (no salt, info = purpose). Distinct purposes give independent
// keys; use a versioned, unique string per use, e.g. "kura sse-s3 kek v1".
func DeriveKey(root []byte, purpose string) []byte {
	key, err := hkdf.Key(sha256.New, root, nil, purpose, 32)
	if err != nil {
		// Only possible for an output length HKDF-SHA256 cannot produce.
		panic("sse: DeriveKey: " + err.Error())
	}
	return key
}
