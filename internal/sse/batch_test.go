package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// Readers work on batches of batchChunks chunks; these tests cover sizes
// and damage around and across batch boundaries, which the single-batch
// sizes of the other tests do not reach.

// batchSizes straddle one, two and three batches.
var batchSizes = []int{
	batchChunks*ChunkSize - 1, batchChunks * ChunkSize, batchChunks*ChunkSize + 1,
	2*batchChunks*ChunkSize - 1, 2 * batchChunks * ChunkSize, 2*batchChunks*ChunkSize + 1,
	3*batchChunks*ChunkSize + ChunkSize/2,
}

// referenceBlob encodes plain one chunk at a time, straight from the format
// description, under a fixed header: the batching encoder must produce
// exactly these bytes.
func referenceBlob(t *testing.T, plain, dek []byte, hdr [headerSize]byte) []byte {
	t.Helper()
	aead, err := blobAEAD(dek, hdr[:])
	if err != nil {
		t.Fatal(err)
	}
	lay := newLayout(int64(len(plain)))
	out := bytes.Clone(hdr[:])
	var nonce [nonceSize]byte
	for i := range lay.chunks {
		setNonce(&nonce, i, i == lay.chunks-1)
		end := min(int64(len(plain)), (i+1)*ChunkSize)
		out = aead.Seal(out, nonce[:], plain[i*ChunkSize:end], hdr[:])
	}
	return out
}

func TestBatchEncodingMatchesReference(t *testing.T) {
	dek := seq(0, 32)
	var hdr [headerSize]byte
	copy(hdr[:], "KURB\x01\x10")
	copy(hdr[6:], seq(100, 32))
	for _, size := range append(batchSizes, 0, 1, ChunkSize) {
		plain := testPlain(size)
		want := referenceBlob(t, plain, dek, hdr)
		sources := map[string]func() io.Reader{
			"whole":   func() io.Reader { return bytes.NewReader(plain) },
			"choppy":  func() io.Reader { return newChoppy(bytes.NewReader(plain), uint64(size)) },
			"dataEOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(plain)) },
			"halves":  func() io.Reader { return iotest.HalfReader(bytes.NewReader(plain)) },
		}
		for name, src := range sources {
			// Through Read with a buffer that does not divide the batch.
			r, err := encryptWithHeader(src(), dek, hdr)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := io.CopyBuffer(&got, onlyReader{r}, make([]byte, 100_003)); err != nil {
				t.Fatalf("size %d %s: %v", size, name, err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("size %d %s: Read output differs from the reference encoding", size, name)
			}
			// Through WriteTo.
			r, _ = encryptWithHeader(src(), dek, hdr)
			got.Reset()
			if _, err := io.Copy(&got, r); err != nil || !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("size %d %s: WriteTo output differs from the reference encoding (%v)", size, name, err)
			}
		}
		if dec, err := decryptAll(want, dek); err != nil || !bytes.Equal(dec, plain) {
			t.Fatalf("size %d: decrypt: %v", size, err)
		}
	}
}

// TestEncryptReadFillsBuffer: Read fills the caller's buffer across
// batches, so the blob store writes whole buffers.
func TestEncryptReadFillsBuffer(t *testing.T) {
	size := 3*batchChunks*ChunkSize + 5
	r, err := EncryptReader(bytes.NewReader(testPlain(size)), testDEK(t))
	if err != nil {
		t.Fatal(err)
	}
	total := EncryptedSize(int64(size))
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m != len(buf) && n != total {
			t.Fatalf("short Read of %d bytes at %d of %d", m, n-int64(m), total)
		}
	}
	if n != total {
		t.Fatalf("read %d bytes, want %d", n, total)
	}
}

func TestBatchRanges(t *testing.T) {
	dek := testDEK(t)
	const size = 2*batchChunks*ChunkSize + 300
	plain := testPlain(size)
	blob := encrypt(t, plain, dek)
	lay := newLayout(size)
	for _, off := range []int64{0, 1, ChunkSize, batchChunks*ChunkSize - 1, batchChunks * ChunkSize, size - 1, size} {
		for _, n := range []int64{0, 1, ChunkSize, batchChunks * ChunkSize, batchChunks*ChunkSize + 1, -1} {
			if n > size-off {
				continue
			}
			end := off + n
			if n == -1 {
				end = size
			}
			for _, viaWriteTo := range []bool{false, true} {
				rec := &recordingReaderAt{r: bytes.NewReader(blob)}
				r, err := DecryptRange(rec, int64(len(blob)), dek, off, n)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				if viaWriteTo {
					var b bytes.Buffer
					_, err = io.Copy(&b, r)
					got = b.Bytes()
				} else {
					got, err = io.ReadAll(onlyReader{r})
				}
				if err != nil || !bytes.Equal(got, plain[off:end]) {
					t.Fatalf("[%d,+%d) writeTo=%v: wrong plaintext (%v)", off, n, viaWriteTo, err)
				}
				// Reads cover exactly the needed chunks, contiguously.
				first := min(off/ChunkSize, lay.chunks-1)
				last := first
				if end > off {
					last = (end - 1) / ChunkSize
				}
				fo, _ := lay.chunk(first)
				lo, ll := lay.chunk(last)
				next, reads := fo, int64(0)
				for _, c := range rec.calls[1:] {
					if c[0] != next || c[1] > batchChunks*sealedChunk {
						t.Fatalf("[%d,+%d): ReadAt calls %v", off, n, rec.calls)
					}
					next += c[1]
					reads++
				}
				if next != lo+int64(ll) || reads != (last-first)/batchChunks+1 {
					t.Fatalf("[%d,+%d): ReadAt calls %v", off, n, rec.calls)
				}
			}
		}
	}
}

// TestBatchDamage damages a chunk in the middle of a later batch: every
// chunk before it, including those of its own batch, is still handed out,
// and then the read fails.
func TestBatchDamage(t *testing.T) {
	dek := testDEK(t)
	const chunks = 3*batchChunks + 1
	const size = chunks*ChunkSize - 7
	plain := testPlain(size)
	blob := encrypt(t, plain, dek)
	lay := newLayout(size)
	for _, bad := range []int64{0, 1, batchChunks - 1, batchChunks, batchChunks + 2, chunks - 1} {
		o, l := lay.chunk(bad)
		flipped := bytes.Clone(blob)
		flipped[o+int64(l)/2] ^= 1
		truncated := blob[:o+int64(l)-1]
		for what, b := range map[string][]byte{"flipped": flipped, "truncated": truncated} {
			for _, viaWriteTo := range []bool{false, true} {
				r, err := DecryptRange(bytes.NewReader(b), int64(len(blob)), dek, 0, -1)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				if viaWriteTo {
					var w bytes.Buffer
					_, err = io.Copy(&w, r)
					got = w.Bytes()
				} else {
					got, err = io.ReadAll(onlyReader{r})
				}
				name := fmt.Sprintf("chunk %d %s writeTo=%v", bad, what, viaWriteTo)
				if !errors.Is(err, ErrAuthentication) {
					t.Fatalf("%s: err = %v", name, err)
				}
				if !bytes.Equal(got, plain[:bad*ChunkSize]) {
					t.Fatalf("%s: got %d bytes before the error, want the %d before the damaged chunk", name, len(got), bad*ChunkSize)
				}
				// Once failed, it stays failed.
				if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrAuthentication) {
					t.Fatalf("%s: Read after failure: %v", name, err)
				}
			}
		}
	}
}

// TestBatchPlaintextError: an error from plaintext in the middle of a batch
// is returned as is, and no blob ending is produced.
func TestBatchPlaintextError(t *testing.T) {
	dek := testDEK(t)
	custom := errors.New("body failed")
	for _, after := range []int{batchChunks*ChunkSize - 1, batchChunks * ChunkSize, batchChunks*ChunkSize + 1, 2*ChunkSize + 3} {
		r, _ := EncryptReader(&errAfter{n: after, err: custom}, dek)
		if _, err := io.ReadAll(onlyReader{r}); err != custom {
			t.Fatalf("after %d: err = %v", after, err)
		}
	}
}
