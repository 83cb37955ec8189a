package sse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
)

// Known answers from testdata/kat.py, an independent implementation of
// docs/formats.md using Python's cryptography package. They freeze the
// on-disk format: if these change, stored data no longer decrypts.
var blobKAT = []struct {
	plain  int
	size   int64
	sha256 string
}{
	{0, 54, "da54b5728ab352eed1bcf7703f3c3e2762e1598dab75f8cea4b6eafa07396a02"},
	{5, 59, "f6e82aa7515292ff47a9f9f690d4d9565498d012658cfd42f235a9ae58ae3078"},
	{ChunkSize, 65590, "850e6ae9f4806cea902517a9a1544aa8a702afe17ba2c9d753cd2cc686c90b69"},
	{2*ChunkSize + 5, 131163, "3d5b9f7a4e4b3b1f9cadf2b6dd18ad71b7288b43e7840d3b9355a90ea8b47f27"},
}

const sealedKAT = "01087373652d73332d31000102030405060708090a0bd8207dea079e42cbdeeb3cb257e7de86c5ab19def8e4ad4a1922b6d21a954c7ecafa06e621aede1f6c783d89382053f2"

func seq(start, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

func TestBlobKnownAnswers(t *testing.T) {
	dek := seq(0, 32)
	var hdr [headerSize]byte
	copy(hdr[:], "KURB\x01\x10")
	copy(hdr[6:], seq(100, 32))
	for _, kat := range blobKAT {
		plain := testPlain(kat.plain)
		r, err := encryptWithHeader(bytes.NewReader(plain), dek, hdr)
		if err != nil {
			t.Fatal(err)
		}
		blob, _ := io.ReadAll(onlyReader{r})
		sum := sha256.Sum256(blob)
		if int64(len(blob)) != kat.size || hex.EncodeToString(sum[:]) != kat.sha256 {
			t.Fatalf("plaintext %d: blob of %d bytes, sha256 %x; want %d, %s", kat.plain, len(blob), sum, kat.size, kat.sha256)
		}
		if got, err := decryptAll(blob, dek); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("plaintext %d: decrypt: %v", kat.plain, err)
		}
	}
}

func TestSealedKnownAnswer(t *testing.T) {
	sealed, _ := hex.DecodeString(sealedKAT)
	m, err := NewManagedKey("sse-s3-1", seq(200, 32))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Open(sealed, []byte("purpose"))
	if err != nil || !bytes.Equal(got, seq(0, 32)) {
		t.Fatalf("Open = %x, %v", got, err)
	}
}
