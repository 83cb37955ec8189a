package sse

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"math/rand/v2"
	"testing"
)

const benchSize = 64 << 20

func BenchmarkEncrypt64MiB(b *testing.B) {
	dek := testDEK(b)
	plain := make([]byte, benchSize)
	src := bytes.NewReader(plain)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(plain)
		r, err := EncryptReader(src, dek)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt64MiB(b *testing.B) {
	dek := testDEK(b)
	blob := encrypt(b, make([]byte, benchSize), dek)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptRange4KiB reads 4 KiB at random offsets: each read must
// authenticate the whole 64 KiB chunk (or two) holding it, so MB/s counts
// only the 4 KiB delivered.
func BenchmarkDecryptRange4KiB(b *testing.B) {
	dek := testDEK(b)
	blob := encrypt(b, make([]byte, benchSize), dek)
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		off := rng.Int64N(benchSize - 4096)
		r, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, off, 4096)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawGCM64KiB is the ceiling: AES-256-GCM sealing 64 KiB chunks in
// place with no I/O around it.
func BenchmarkRawGCM64KiB(b *testing.B) {
	block, _ := aes.NewCipher(make([]byte, 32))
	aead, _ := cipher.NewGCM(block)
	buf := make([]byte, ChunkSize+tagSize)
	nonce := make([]byte, nonceSize)
	b.SetBytes(ChunkSize)
	for b.Loop() {
		aead.Seal(buf[:0], nonce, buf[:ChunkSize], nil)
	}
}
