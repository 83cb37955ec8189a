package sse

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testManagedKey(t testing.TB, id string) *ManagedKey {
	t.Helper()
	m, err := NewManagedKey(id, DeriveKey(bytes.Repeat([]byte{7}, 32), "test kek "+id))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManagedKeyRoundTrip(t *testing.T) {
	m := testManagedKey(t, "sse-s3-1")
	if m.ID() != "sse-s3-1" {
		t.Fatalf("ID() = %q", m.ID())
	}
	dek := testDEK(t)
	aad := []byte("bucket/key@version")
	sealed, err := m.Seal(dek, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 2+len("sse-s3-1")+12+32+16 {
		t.Fatalf("sealed key is %d bytes", len(sealed))
	}
	if bytes.Contains(sealed, dek) {
		t.Fatal("sealed key contains the DEK")
	}
	got, err := m.Open(sealed, aad)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Open = %x, %v", got, err)
	}
	if id, err := SealedKeyID(sealed); err != nil || id != "sse-s3-1" {
		t.Fatalf("SealedKeyID = %q, %v", id, err)
	}
	again, _ := m.Seal(dek, aad)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one DEK are equal (nonce reuse)")
	}
}

func TestManagedKeyFailures(t *testing.T) {
	m := testManagedKey(t, "k1")
	dek := testDEK(t)
	aad := []byte("purpose A")
	sealed, _ := m.Seal(dek, aad)

	authFail := func(what string, k *ManagedKey, s, aad []byte) {
		t.Helper()
		got, err := k.Open(s, aad)
		if !errors.Is(err, ErrAuthentication) || got != nil {
			t.Fatalf("%s: Open = %x, %v; want ErrAuthentication", what, got, err)
		}
	}
	authFail("wrong aad", m, sealed, []byte("purpose B"))
	authFail("nil aad", m, sealed, nil)
	// Same id, different key bytes.
	other, _ := NewManagedKey("k1", DeriveKey(bytes.Repeat([]byte{8}, 32), "x"))
	authFail("wrong key", other, sealed, aad)
	for i := range sealed {
		for _, bit := range []byte{1, 0x80} {
			b := bytes.Clone(sealed)
			b[i] ^= bit
			got, err := m.Open(b, aad)
			if got != nil || err == nil {
				t.Fatalf("byte %d ^ %#x: opened", i, bit)
			}
			// Flipping id bytes gives a key-id mismatch; everything else,
			// including the version and id length, fails authentication.
			if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("byte %d: err = %v", i, err)
			}
		}
	}
	for n := range len(sealed) {
		authFail("truncated", m, sealed[:n], aad)
	}
	authFail("extended", m, append(bytes.Clone(sealed), 0), aad)

	v2 := bytes.Clone(sealed)
	v2[0] = 2
	if _, err := m.Open(v2, aad); !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("version 2: %v", err)
	}

	rotated := testManagedKey(t, "k2")
	_, err := rotated.Open(sealed, aad)
	if !errors.Is(err, ErrKeyMismatch) || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("other key id: %v", err)
	}
	// An id forged to match does not help: the id is authenticated.
	forged := append([]byte{1, 2, 'k', '2'}, sealed[4:]...)
	authFail("forged id", rotated, forged, aad)
}

func TestManagedKeyArgs(t *testing.T) {
	if _, err := NewManagedKey("", make([]byte, 32)); err == nil {
		t.Fatal("empty id accepted")
	}
	if _, err := NewManagedKey(strings.Repeat("x", 256), make([]byte, 32)); err == nil {
		t.Fatal("256-byte id accepted")
	}
	if _, err := NewManagedKey("k", make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
	m, err := NewManagedKey(strings.Repeat("x", 255), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Seal(make([]byte, 31), nil); err == nil {
		t.Fatal("31-byte DEK sealed")
	}
	dek := testDEK(t)
	s, _ := m.Seal(dek, nil)
	if got, err := m.Open(s, nil); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("255-byte id: %v", err)
	}
}

// TestKEK: a KEK seals and opens exactly as SealWithKey and OpenWithKey
// with the same key bytes, in both directions.
func TestKEK(t *testing.T) {
	kek := DeriveKey(bytes.Repeat([]byte{2}, 32), "kms material kek")
	k, err := NewKEK(kek)
	if err != nil {
		t.Fatal(err)
	}
	dek := testDEK(t)
	aad := []byte("material aad")
	sealed, err := k.Seal(dek, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenWithKey(kek, sealed, aad); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("OpenWithKey of a KEK seal: %v", err)
	}
	old, err := SealWithKey(kek, dek, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(old, aad); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("KEK Open of a SealWithKey seal: %v", err)
	}
	if _, err := k.Open(old, []byte("other aad")); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong aad: %v", err)
	}
	other, _ := NewKEK(DeriveKey(kek, "other"))
	if _, err := other.Open(sealed, aad); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong kek: %v", err)
	}
	if _, err := NewKEK(kek[:16]); err == nil {
		t.Fatal("16-byte kek accepted")
	}
}

func TestSealWithKey(t *testing.T) {
	kek := DeriveKey(bytes.Repeat([]byte{1}, 32), "customer key")
	dek := testDEK(t)
	sealed, err := SealWithKey(kek, dek, []byte("sse-c"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := SealedKeyID(sealed); id != "" {
		t.Fatalf("id %q", id)
	}
	got, err := OpenWithKey(kek, sealed, []byte("sse-c"))
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("OpenWithKey: %v", err)
	}
	if _, err := OpenWithKey(DeriveKey(kek, "other"), sealed, []byte("sse-c")); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong kek: %v", err)
	}
	if _, err := OpenWithKey(kek, sealed, nil); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("wrong aad: %v", err)
	}
	if _, err := SealWithKey(kek[:16], dek, nil); err == nil {
		t.Fatal("16-byte kek accepted")
	}
	// A ManagedKey's sealed form opens with the same key bytes via
	// OpenWithKey, but an id-less seal does not pass for a managed one.
	m, _ := NewManagedKey("k", kek)
	ms, _ := m.Seal(dek, nil)
	if got, err := OpenWithKey(kek, ms, nil); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("OpenWithKey of managed seal: %v", err)
	}
	s, _ := SealWithKey(kek, dek, nil)
	if _, err := m.Open(s, nil); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("managed Open of id-less seal: %v", err)
	}
}
