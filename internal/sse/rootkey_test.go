package sse

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateRootKey(t *testing.T) {
	t.Setenv(RootKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "root.key")
	key, err := LoadOrCreateRootKey(path)
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
	again, err := LoadOrCreateRootKey(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("reload = %x, %v; want %x", again, err, key)
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
		key, err := LoadOrCreateRootKey(path)
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
		if key, err := LoadOrCreateRootKey(path); err == nil {
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
	key, err := LoadOrCreateRootKey(path)
	if err != nil || !bytes.Equal(key, want) {
		t.Fatalf("env key = %x, %v", key, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file written despite env override: %v", err)
	}
	// The env wins over an existing file too.
	os.WriteFile(path, []byte(strings.Repeat("11", 32)), 0o600)
	if key, _ := LoadOrCreateRootKey(path); !bytes.Equal(key, want) {
		t.Fatal("file won over env")
	}
	t.Setenv(RootKeyEnv, "not-hex")
	if _, err := LoadOrCreateRootKey(path); err == nil || !strings.Contains(err.Error(), RootKeyEnv) {
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
