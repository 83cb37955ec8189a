package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// Fuzz inputs are sealed only ever under these keys, over plainByte
// plaintext and fuzzAAD, so any success the fuzzer finds must return exactly
// that: the fuzzer cannot forge GCM tags, only replay and splice seed bytes.
var (
	fuzzDEK = seq(0, 32)
	fuzzKEK = seq(32, 32)
	fuzzAAD = []byte("purpose")
)

func FuzzDecryptRange(f *testing.F) {
	for _, n := range []int{0, 1, 100, ChunkSize + 10} {
		blob := encrypt(f, testPlain(n), fuzzDEK)
		f.Add(blob, int64(0), int64(-1))
		f.Add(blob, int64(n/2), int64(1))
		f.Add(blob, int64(n), int64(0))
	}
	f.Fuzz(func(t *testing.T, blob []byte, off, n int64) {
		checkDecrypt(t, blob, off, n)
		// Also try the range folded into bounds, so mutated offsets keep
		// exercising the reading path rather than only argument checks.
		if plain, err := PlaintextSize(int64(len(blob))); err == nil {
			off = mod(off, plain+1)
			n = mod(n, plain-off+2) - 1 // -1 .. plain-off
			checkDecrypt(t, blob, off, n)
		}
	})
}

func mod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

func checkDecrypt(t *testing.T, blob []byte, off, n int64) {
	r, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), fuzzDEK, off, n)
	if err != nil {
		if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrRange) {
			t.Fatalf("DecryptRange: unexpected error %v", err)
		}
		return
	}
	got, err := io.ReadAll(onlyReader{r})
	// Whatever was returned, even before an error, must be the plaintext.
	for j, b := range got {
		if b != plainByte(off+int64(j)) {
			t.Fatalf("byte %d of [%d,+%d) is not authentic (err %v)", j, off, n, err)
		}
	}
	if err != nil {
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("Read: unexpected error %v", err)
		}
		return
	}
	plain, _ := PlaintextSize(int64(len(blob)))
	if n == -1 {
		n = plain - off
	}
	if int64(len(got)) != n {
		t.Fatalf("got %d bytes, want %d", len(got), n)
	}
}

func FuzzOpenSealed(f *testing.F) {
	m, err := NewManagedKey("k1", fuzzKEK)
	if err != nil {
		f.Fatal(err)
	}
	s, _ := m.Seal(fuzzDEK, fuzzAAD)
	f.Add(s, fuzzAAD)
	s, _ = SealWithKey(fuzzKEK, fuzzDEK, fuzzAAD)
	f.Add(s, fuzzAAD)
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		check := func(got []byte, err error) {
			if err != nil {
				if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrKeyMismatch) {
					t.Fatalf("unexpected error %v", err)
				}
				if got != nil {
					t.Fatal("data returned with an error")
				}
				return
			}
			if !bytes.Equal(got, fuzzDEK) || !bytes.Equal(aad, fuzzAAD) {
				t.Fatalf("opened %x under aad %q: not what was sealed", got, aad)
			}
		}
		check(m.Open(sealed, aad))
		check(OpenWithKey(fuzzKEK, sealed, aad))
		SealedKeyID(sealed)
	})
}
