// Package sse implements Kura's encryption at rest: the blob format that
// object bytes are stored in (AES-256-GCM in fixed 64 KiB chunks under a
// per-blob key derived from a per-object data key), the sealed form in which
// data keys are kept in metadata, the envelope (Envelope: data keys made,
// opened and re-sealed for SSE-S3, SSE-KMS with or without an S3 Bucket
// Key, DSSE-KMS and SSE-C, with the KMS behind KeyService), and the root
// key from which the store's own keys derive.
//
// sse only transforms streams and byte slices and asks the KMS it is
// given. It must never write plaintext object data or a plaintext key
// anywhere: not to disk, not to logs, not into error messages; the
// records it returns hold keys only sealed, and callers commit them. The only file it ever writes is the root key file, and only when
// asked to create one. Callers own all storage; sse hands them readers.
//
// Blob layout (see docs/formats.md for the normative description):
//
//	header  = "KURB" | version(1) | chunk-size exponent(16) | salt(32)
//	chunk i = AES-256-GCM(key, nonce(i, final), plaintext[i*64KiB : ...], aad = header)
//	key     = HKDF-SHA256(secret = DEK, salt = salt, info = "kura blob v1")
//	nonce   = uint64be(i) | uint32be(1 if final chunk else 0)
//
// Every chunk but the last holds exactly ChunkSize plaintext bytes; the last
// holds 1..ChunkSize bytes, or 0 bytes when the whole plaintext is empty.
package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// ChunkSize is the number of plaintext bytes in every chunk of a blob except
// the last.
const ChunkSize = 64 << 10

// DEKSize is the length of a data key.
const DEKSize = 32

const (
	chunkShift = 16 // log2(ChunkSize); stored in the header
	blobMagic  = "KURB"
	blobV1     = 1
	saltSize   = 32
	headerSize = 4 + 1 + 1 + saltSize // magic, version, exponent, salt: 38
	tagSize    = 16
	nonceSize  = 12
	// sealedChunk is the on-disk size of a full chunk.
	sealedChunk = ChunkSize + tagSize
	blobKeyInfo = "kura blob v1"
)

// ErrAuthentication is returned whenever ciphertext fails to authenticate:
// a modified, reordered, truncated or extended blob; a damaged header; the
// wrong key. Some call sites wrap it with detail, so test with errors.Is.
var ErrAuthentication = errors.New("sse: blob authentication failed")

// errDEKSize is a caller bug, not tampering, so it is not ErrAuthentication.
var errDEKSize = fmt.Errorf("sse: data key must be %d bytes", DEKSize)

// NewDEK returns a fresh random 32-byte data key.
func NewDEK() ([]byte, error) {
	dek := make([]byte, DEKSize)
	if _, err := rand.Read(dek); err != nil {
		return nil, fmt.Errorf("sse: generating data key: %w", err)
	}
	return dek, nil
}

// EncryptedSize returns the blob size for a plaintext size, or -1 if plain is
// negative or too large to encode in an int64.
func EncryptedSize(plain int64) int64 {
	if plain < 0 || plain > maxPlain {
		return -1
	}
	chunks := (plain + ChunkSize - 1) / ChunkSize
	if chunks == 0 {
		chunks = 1 // the empty plaintext still has one (empty) final chunk
	}
	return int64(headerSize) + plain + chunks*tagSize
}

// maxPlain keeps EncryptedSize from overflowing; it is ~8 EiB, far beyond
// any object S3 allows.
const maxPlain = (math.MaxInt64 - int64(headerSize)) / sealedChunk * ChunkSize

// PlaintextSize returns the plaintext size for a blob size, or an error
// wrapping ErrAuthentication if no blob can have that size (which means the
// blob or the recorded size is damaged).
func PlaintextSize(blobSize int64) (int64, error) {
	r := blobSize - int64(headerSize)
	if blobSize < int64(headerSize)+tagSize {
		return 0, fmt.Errorf("%w: blob size %d is too small", ErrAuthentication, blobSize)
	}
	full, rem := r/sealedChunk, r%sealedChunk
	switch {
	case rem == 0:
		// The last chunk is a full one.
		return full * ChunkSize, nil
	case full == 0 && rem >= tagSize:
		return rem - tagSize, nil // includes the empty blob, rem == tagSize
	case rem > tagSize:
		return full*ChunkSize + rem - tagSize, nil
	}
	// A non-empty remainder of <= tagSize after full chunks would be an
	// empty final chunk, which the encoder never produces for a non-empty
	// plaintext.
	return 0, fmt.Errorf("%w: blob size %d is impossible", ErrAuthentication, blobSize)
}

// layout describes the chunks of a blob whose plaintext size is known.
type layout struct {
	plain  int64 // plaintext size
	chunks int64 // number of chunks, >= 1
}

func newLayout(plain int64) layout {
	n := (plain + ChunkSize - 1) / ChunkSize
	if n == 0 {
		n = 1
	}
	return layout{plain: plain, chunks: n}
}

// chunk returns the blob offset and sealed length of chunk i.
func (l layout) chunk(i int64) (off int64, sealedLen int) {
	off = int64(headerSize) + i*sealedChunk
	if i < l.chunks-1 {
		return off, sealedChunk
	}
	return off, int(l.plain-i*ChunkSize) + tagSize
}

// newHeader returns a fresh v1 header with a random salt.
func newHeader() ([headerSize]byte, error) {
	var h [headerSize]byte
	copy(h[:], blobMagic)
	h[4] = blobV1
	h[5] = chunkShift
	if _, err := rand.Read(h[6:]); err != nil {
		return h, fmt.Errorf("sse: generating blob salt: %w", err)
	}
	return h, nil
}

// checkHeader validates the fixed fields of a header. The salt cannot be
// checked here; a wrong salt surfaces as an authentication failure of the
// first chunk read, since every chunk is sealed with the header as AAD.
func checkHeader(h []byte) error {
	switch {
	case string(h[:4]) != blobMagic:
		return fmt.Errorf("%w: not a kura blob (bad magic)", ErrAuthentication)
	case h[4] != blobV1:
		return fmt.Errorf("%w: unsupported blob version %d", ErrAuthentication, h[4])
	case h[5] != chunkShift:
		return fmt.Errorf("%w: unsupported chunk size exponent %d", ErrAuthentication, h[5])
	}
	return nil
}

// blobAEAD derives the content key of one blob from the DEK and the salt in
// its header. The salt makes every blob's key unique even when blobs share a
// DEK (the parts of a multipart upload), so chunk nonces, which restart at 0
// in every blob, are never reused under one key.
func blobAEAD(dek, header []byte) (cipher.AEAD, error) {
	if len(dek) != DEKSize {
		return nil, errDEKSize
	}
	key, err := hkdf.Key(sha256.New, dek, header[6:headerSize], blobKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("sse: deriving blob key: %w", err)
	}
	return newGCM(key)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sse: %w", err)
	}
	return cipher.NewGCM(block)
}

// setNonce writes the nonce of chunk i into n. The final flag makes the last
// chunk distinguishable from any other, so dropping trailing chunks (or
// appending one) breaks authentication; the index stops reordering.
func setNonce(n *[nonceSize]byte, i int64, final bool) {
	binary.BigEndian.PutUint64(n[:8], uint64(i))
	var f uint32
	if final {
		f = 1
	}
	binary.BigEndian.PutUint32(n[8:], f)
}

// batchChunks is how many chunks a reader handles per batch: a decrypting
// reader reads them with one ReadAt and hands out their plaintext as one
// slice; an encrypting reader seals them into one contiguous slice. Chunks
// stay 64 KiB on disk (the format does not change); batching only cuts the
// number of system calls around them: moving 256 KiB instead of 64 KiB per
// pread, per file write and per socket write (docs/benchmarks.md has the
// numbers). Only the chunks a range needs are read, so short range reads
// still read one chunk.
const batchChunks = 4

// bufPool and chunkPool recycle buffers between readers so that a busy
// server does not allocate one per request: bufPool holds batch buffers
// (batchChunks sealed chunks), chunkPool single-chunk ones for streams that
// need only one chunk at a time (small objects, short ranges, the first
// chunk of an upload), which keeps many concurrent small requests at 64 KiB
// each. Buffers hold ciphertext or plaintext; the part that was used is
// cleared before they go back, so plaintext does not linger in pooled
// memory longer than needed.
var (
	bufPool = sync.Pool{New: func() any {
		b := make([]byte, batchChunks*sealedChunk)
		return &b
	}}
	chunkPool = sync.Pool{New: func() any {
		b := make([]byte, sealedChunk)
		return &b
	}}
)

// getBuf returns a buffer of at least chunks sealed chunks (1 or
// batchChunks), reusing b when it is large enough and otherwise handing it
// back, cleared up to used, and taking a larger one.
func getBuf(b *[]byte, used, chunks int) *[]byte {
	if b != nil && len(*b) >= chunks*sealedChunk {
		return b
	}
	if b != nil {
		putBuf(b, used)
	}
	if chunks == 1 {
		return chunkPool.Get().(*[]byte)
	}
	return bufPool.Get().(*[]byte)
}

// putBuf clears the first used bytes of b (everything a reader wrote into
// it) and returns it to its pool.
func putBuf(b *[]byte, used int) {
	clear((*b)[:used])
	if len(*b) == sealedChunk {
		chunkPool.Put(b)
	} else {
		bufPool.Put(b)
	}
}
