package sse

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateRootKey(t *testing.T) {
	t.Setenv(RootKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "root.key")
	// Loading never creates: a missing file is fs.ErrNotExist and stays
	// missing, so the caller decides whether a key may be generated.
	if _, _, err := LoadRootKey(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("load of a missing key file: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("load created %s: %v", dir, err)
	}
	key, err := CreateRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 || bytes.Equal(key, make([]byte, 32)) {
		t.Fatalf("key %x", key)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %v", di.Mode().Perm())
	}
	content, _ := os.ReadFile(path)
	if string(content) != hex.EncodeToString(key)+"\n" {
		t.Fatalf("key file holds %q", content)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".rootkey-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	again, fromEnv, err := LoadRootKey(path)
	if err != nil || fromEnv || !bytes.Equal(again, key) {
		t.Fatalf("reload = %x, %v, %v; want %x", again, fromEnv, err, key)
	}
	// Creating again never replaces the key: the existing one is returned.
	if again, err := CreateRootKey(path); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second create = %x, %v; want the existing %x", again, err, key)
	}
}

func TestRootKeyFileFormats(t *testing.T) {
	t.Setenv(RootKeyEnv, "")
	raw := bytes.Repeat([]byte{0xab}, 32)
	raw[0] = '\n' // raw keys may contain whitespace bytes; they are not trimmed
	good := map[string][]byte{
		"raw":         raw,
		"hex":         []byte(strings.Repeat("ab", 32)),
		"hex newline": []byte(strings.Repeat("AB", 32) + "\n"),
		"hex spaced":  []byte("  " + strings.Repeat("ab", 32) + "\r\n"),
	}
	for name, content := range good {
		path := filepath.Join(t.TempDir(), "k")
		os.WriteFile(path, content, 0o600)
		key, _, err := LoadRootKey(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := bytes.Repeat([]byte{0xab}, 32)
		if name == "raw" {
			want = raw
		}
		if !bytes.Equal(key, want) {
			t.Fatalf("%s: key %x", name, key)
		}
	}
	bad := map[string]string{
		"empty":      "",
		"short raw":  strings.Repeat("x", 31),
		"long raw":   strings.Repeat("x", 33),
		"short hex":  strings.Repeat("ab", 31),
		"not hex":    strings.Repeat("zz", 32),
		"zeros":      strings.Repeat("00", 32),
		"zeros raw":  string(make([]byte, 32)),
		"hex + junk": strings.Repeat("ab", 32) + "x",
	}
	for name, content := range bad {
		path := filepath.Join(t.TempDir(), "k")
		os.WriteFile(path, []byte(content), 0o600)
		if key, _, err := LoadRootKey(path); err == nil {
			t.Fatalf("%s: accepted, key %x", name, key)
		} else if content != "" && len(content) > 8 && strings.Contains(err.Error(), content) {
			t.Fatalf("%s: error leaks the file content: %v", name, err)
		}
		// A bad file is never replaced by a fresh key.
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Fatalf("%s: file rewritten", name)
		}
	}
}

func TestRootKeyEnv(t *testing.T) {
	want := bytes.Repeat([]byte{0x5a}, 32)
	t.Setenv(RootKeyEnv, hex.EncodeToString(want))
	path := filepath.Join(t.TempDir(), "root.key")
	key, fromEnv, err := LoadRootKey(path)
	if err != nil || !fromEnv || !bytes.Equal(key, want) {
		t.Fatalf("env key = %x, %v, %v", key, fromEnv, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file written despite env override: %v", err)
	}
	// The env wins over an existing file too.
	os.WriteFile(path, []byte(strings.Repeat("11", 32)), 0o600)
	if key, _, _ := LoadRootKey(path); !bytes.Equal(key, want) {
		t.Fatal("file won over env")
	}
	t.Setenv(RootKeyEnv, "not-hex")
	if _, _, err := LoadRootKey(path); err == nil || !strings.Contains(err.Error(), RootKeyEnv) {
		t.Fatalf("bad env: %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	root := bytes.Repeat([]byte{3}, 32)
	a, b := DeriveKey(root, "a"), DeriveKey(root, "b")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, DeriveKey(root, "a")) {
		t.Fatal("DeriveKey is not a deterministic per-purpose 32-byte key")
	}
	if bytes.Equal(a, DeriveKey(bytes.Repeat([]byte{4}, 32), "a")) {
		t.Fatal("DeriveKey ignores the root")
	}
	// Pin the construction (HKDF-SHA256, no salt, info = purpose) so a
	// refactor cannot silently change every derived key.
	if got := hex.EncodeToString(DeriveKey(root, "kura sse-s3 kek v1")); got != pinnedDerived {
		t.Fatalf("DeriveKey changed: %s", got)
	}
}

// pinnedDerived was computed independently (Python hmac: HKDF-Extract with a
// zero salt, then one Expand block).
const pinnedDerived = "edb15f7d93b192557a8f813f7b4cfaff108512f215bd76026f3147d63c3030c4"

func TestRootKeyCheck(t *testing.T) {
	root := bytes.Repeat([]byte{7}, 32)
	c, err := NewRootKeyCheck(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(root); err != nil {
		t.Fatalf("own key: %v", err)
	}
	other := bytes.Repeat([]byte{8}, 32)
	if err := c.Verify(other); !errors.Is(err, ErrRootKeyMismatch) {
		t.Fatalf("other key: %v", err)
	}
	if bytes.Contains(c.MAC, root) || bytes.Contains(c.Salt, root) {
		t.Fatal("the check holds the key")
	}
	again, _ := NewRootKeyCheck(root)
	if bytes.Equal(again.Salt, c.Salt) || bytes.Equal(again.MAC, c.MAC) {
		t.Fatal("two checks of one key are equal: the salt is not fresh")
	}
	for name, bad := range map[string]RootKeyCheck{
		"no salt":   {MAC: c.MAC},
		"short mac": {Salt: c.Salt, MAC: c.MAC[:16]},
		"empty":     {},
	} {
		if err := bad.Verify(root); err == nil || errors.Is(err, ErrRootKeyMismatch) {
			t.Fatalf("%s: %v, want a malformed-check error", name, err)
		}
	}
	if err := c.Verify(root[:16]); !errors.Is(err, ErrRootKeyMismatch) {
		t.Fatalf("short key: %v", err)
	}
	// Pin the construction: a refactor must not make every data dir
	// refuse its own key.
	fixed := RootKeyCheck{Salt: bytes.Repeat([]byte{1}, 32)}
	fixed.MAC = rootCheckMAC(root, fixed.Salt)
	if got := hex.EncodeToString(fixed.MAC); got != pinnedCheck {
		t.Fatalf("root key check changed: %s", got)
	}
}

// pinnedCheck was computed independently (Python hmac: HKDF-SHA256 of a
// root of 32 0x07 bytes with info "kura root key check v1", then
// HMAC-SHA256 of 32 0x01 bytes under it).
const pinnedCheck = "40c72781dba8bdb485acc995d79dd5a061a5a42fae977723c363373acff3b9a0"
