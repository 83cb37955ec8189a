package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
)

// choppyReader returns short reads of 0..7 bytes (0 with a nil error now and
// then), the worst behaviour io.Reader allows short of failing.
type choppyReader struct {
	r   io.Reader
	rng *rand.Rand
}

func newChoppy(r io.Reader, seed uint64) *choppyReader {
	return &choppyReader{r: r, rng: rand.New(rand.NewPCG(seed, 1))}
}

func (c *choppyReader) Read(p []byte) (int, error) {
	n := c.rng.IntN(8)
	if n == 0 {
		return 0, nil
	}
	return c.r.Read(p[:min(n, len(p))])
}

// onlyReader hides WriterTo so io.Copy/ReadAll go through Read.
type onlyReader struct{ io.Reader }

func testPlain(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = plainByte(int64(i))
	}
	return b
}

// plainByte is the plaintext all tests and fuzz seeds use, so a successful
// decryption can be checked without knowing which seed it came from.
func plainByte(i int64) byte { return byte(i*31 ^ i>>9 ^ i>>17) }

func testDEK(t testing.TB) []byte {
	t.Helper()
	dek, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	return dek
}

func encrypt(t testing.TB, plain, dek []byte) []byte {
	t.Helper()
	r, err := EncryptReader(bytes.NewReader(plain), dek)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decryptAll(blob, dek []byte) ([]byte, error) {
	r, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, -1)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(onlyReader{r})
}

var roundTripSizes = []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, 1<<20 + 7}

func TestRoundTrip(t *testing.T) {
	dek := testDEK(t)
	for _, size := range roundTripSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			plain := testPlain(size)
			// Encrypt through tiny reads on both sides of the encoder.
			er, err := EncryptReader(newChoppy(bytes.NewReader(plain), 1), dek)
			if err != nil {
				t.Fatal(err)
			}
			blob, err := io.ReadAll(newChoppy(er, 2))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := int64(len(blob)), EncryptedSize(int64(size)); got != want {
				t.Fatalf("blob is %d bytes, EncryptedSize says %d", got, want)
			}
			if got, err := PlaintextSize(int64(len(blob))); err != nil || got != int64(size) {
				t.Fatalf("PlaintextSize = %d, %v; want %d", got, err, size)
			}
			// Decrypt through tiny reads, then again through WriteTo.
			dr, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(newChoppy(dr, 3))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatal("plaintext mismatch (Read)")
			}
			dr, _ = DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, -1)
			var buf bytes.Buffer
			if n, err := io.Copy(&buf, dr); err != nil || n != int64(size) || !bytes.Equal(buf.Bytes(), plain) {
				t.Fatalf("WriteTo: n=%d err=%v equal=%v", n, err, bytes.Equal(buf.Bytes(), plain))
			}
			// The WriteTo path of the encoder yields a blob just as good.
			if got, err := decryptAll(encrypt(t, plain, dek), dek); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("encoder WriteTo: %v", err)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	for plain := int64(0); plain < 3*ChunkSize+40; plain++ {
		b := EncryptedSize(plain)
		if p, err := PlaintextSize(b); err != nil || p != plain {
			t.Fatalf("PlaintextSize(EncryptedSize(%d)=%d) = %d, %v", plain, b, p, err)
		}
	}
	// Every blob size that is not EncryptedSize of something is impossible.
	valid := map[int64]bool{}
	for plain := int64(0); plain < 3*ChunkSize; plain++ {
		valid[EncryptedSize(plain)] = true
	}
	for b := int64(-1); b < EncryptedSize(3*ChunkSize-1); b++ {
		_, err := PlaintextSize(b)
		if valid[b] != (err == nil) {
			t.Fatalf("PlaintextSize(%d): err=%v, valid=%v", b, err, valid[b])
		}
		if err != nil && !errors.Is(err, ErrAuthentication) {
			t.Fatalf("PlaintextSize(%d): %v is not ErrAuthentication", b, err)
		}
	}
	if EncryptedSize(-1) != -1 || EncryptedSize(maxPlain+1) != -1 || EncryptedSize(maxPlain) < 0 {
		t.Fatal("EncryptedSize bounds")
	}
	if EncryptedSize(0) != 38+16 {
		t.Fatalf("EncryptedSize(0) = %d", EncryptedSize(0))
	}
}

// recordingReaderAt records every ReadAt call.
type recordingReaderAt struct {
	r     io.ReaderAt
	mu    sync.Mutex
	calls [][2]int64 // off, len
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	r.calls = append(r.calls, [2]int64{off, int64(len(p))})
	r.mu.Unlock()
	return r.r.ReadAt(p, off)
}

func TestDecryptRange(t *testing.T) {
	dek := testDEK(t)
	for _, size := range []int64{0, 1, 2 * ChunkSize, 3*ChunkSize + 100} {
		plain := testPlain(int(size))
		blob := encrypt(t, plain, dek)
		lay := newLayout(size)
		points := []int64{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2*ChunkSize - 1, 2 * ChunkSize,
			2*ChunkSize + 1, 3 * ChunkSize, size - 1, size}
		lengths := []int64{0, 1, 2, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2*ChunkSize + 5, -1}
		for _, off := range points {
			if off < 0 || off > size {
				continue
			}
			ns := slices.Clone(lengths)
			for _, end := range points {
				if end >= off {
					ns = append(ns, end-off)
				}
			}
			for _, n := range ns {
				if n > size-off {
					continue
				}
				rec := &recordingReaderAt{r: bytes.NewReader(blob)}
				r, err := DecryptRange(rec, int64(len(blob)), dek, off, n)
				if err != nil {
					t.Fatalf("size %d [%d,+%d): %v", size, off, n, err)
				}
				got, err := io.ReadAll(onlyReader{r})
				if err != nil {
					t.Fatalf("size %d [%d,+%d): %v", size, off, n, err)
				}
				end := off + n
				if n == -1 {
					end = size
				}
				if !bytes.Equal(got, plain[off:end]) {
					t.Fatalf("size %d [%d,+%d): wrong plaintext", size, off, n)
				}
				// The header, then exactly the chunks covering the range (for an
				// empty range, the one holding off), batchChunks of them per
				// ReadAt.
				want := [][2]int64{{0, headerSize}}
				first := min(off/ChunkSize, lay.chunks-1)
				last := first
				if end > off {
					last = (end - 1) / ChunkSize
				}
				for i := first; i <= last; i += batchChunks {
					o, _ := lay.chunk(i)
					lo, ll := lay.chunk(min(i+batchChunks-1, last))
					want = append(want, [2]int64{o, lo + int64(ll) - o})
				}
				if !slices.Equal(rec.calls, want) {
					t.Fatalf("size %d [%d,+%d): ReadAt calls %v, want %v", size, off, n, rec.calls, want)
				}
			}
		}
		// Out-of-range requests are caller errors, not authentication failures.
		for _, bad := range [][2]int64{{-1, 1}, {0, -2}, {size + 1, 0}, {size + 1, -1}, {0, size + 1}, {size, 1}, {1, size}} {
			_, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, bad[0], bad[1])
			if !errors.Is(err, ErrRange) {
				t.Fatalf("size %d [%d,+%d): err = %v, want ErrRange", size, bad[0], bad[1], err)
			}
		}
	}
}

// mustFail checks that decrypting blob, in whole and in every single-chunk
// range, fails with ErrAuthentication and never hands out a byte that is not
// the original plaintext.
func mustFail(t *testing.T, what string, blob []byte, blobSize int64, dek, plain []byte) {
	t.Helper()
	r, err := DecryptRange(bytes.NewReader(blob), blobSize, dek, 0, -1)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(onlyReader{r})
		if !bytes.HasPrefix(plain, got) {
			t.Fatalf("%s: returned bytes that are not the plaintext", what)
		}
	}
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("%s: err = %v, want ErrAuthentication", what, err)
	}
}

func TestTamper(t *testing.T) {
	dek := testDEK(t)
	const size = 3*ChunkSize + 100
	plain := testPlain(size)
	blob := encrypt(t, plain, dek)
	lay := newLayout(size)
	n := int64(len(blob))
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(blob)) }

	for i := range headerSize {
		for _, bit := range []byte{0x01, 0x80} {
			b := mod(func(b []byte) []byte { b[i] ^= bit; return b })
			mustFail(t, fmt.Sprintf("header byte %d ^ %#x", i, bit), b, n, dek, plain)
		}
	}
	for i := range lay.chunks {
		o, l := lay.chunk(i)
		for _, at := range []int64{0, int64(l) / 2, int64(l) - tagSize - 1, int64(l) - tagSize, int64(l) - 1} {
			b := mod(func(b []byte) []byte { b[o+at] ^= 4; return b })
			what := fmt.Sprintf("chunk %d byte %d", i, at)
			mustFail(t, what, b, n, dek, plain)
			// A range read of just the damaged chunk fails too.
			r, err := DecryptRange(bytes.NewReader(b), n, dek, i*ChunkSize, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(r); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("%s: range read err = %v", what, err)
			}
		}
	}
	o0, l0 := lay.chunk(0)
	o1, _ := lay.chunk(1)
	swapped := mod(func(b []byte) []byte {
		c0 := bytes.Clone(b[o0 : o0+int64(l0)])
		copy(b[o0:], b[o1:o1+int64(l0)])
		copy(b[o1:], c0)
		return b
	})
	mustFail(t, "swap chunks 0 and 1", swapped, n, dek, plain)

	oLast, _ := lay.chunk(lay.chunks - 1)
	mustFail(t, "drop last chunk", blob[:oLast], oLast, dek, plain)
	for _, cut := range []int64{0, 1, headerSize - 1, headerSize, headerSize + 15, headerSize + 16, o1, o1 + 17, n - 17, n - 1} {
		mustFail(t, fmt.Sprintf("truncate to %d", cut), blob[:cut], cut, dek, plain)
		// The blob store lost bytes but metadata still has the right size.
		mustFail(t, fmt.Sprintf("truncate to %d, full size", cut), blob[:cut], n, dek, plain)
	}
	mustFail(t, "append garbage", append(bytes.Clone(blob), 1, 2, 3), n+3, dek, plain)
	mustFail(t, "append garbage chunk", append(bytes.Clone(blob), make([]byte, sealedChunk)...), n+sealedChunk, dek, plain)

	// Two full chunks; appending a copy of the last makes a valid-looking
	// three-chunk layout whose middle chunk was sealed as final.
	plain2 := testPlain(2 * ChunkSize)
	blob2 := encrypt(t, plain2, dek)
	ext := append(bytes.Clone(blob2), blob2[headerSize+sealedChunk:]...)
	mustFail(t, "append copy of last chunk", ext, int64(len(ext)), dek, plain2)
	ext = append(bytes.Clone(blob2), blob2[headerSize:headerSize+sealedChunk]...)
	mustFail(t, "append copy of first chunk", ext, int64(len(ext)), dek, plain2)

	mustFail(t, "wrong DEK", blob, n, testDEK(t), plain)

	// Same DEK, same plaintext, another blob's header (and so salt).
	other := encrypt(t, plain, dek)
	spliced := append(bytes.Clone(other[:headerSize]), blob[headerSize:]...)
	mustFail(t, "salt from another blob", spliced, n, dek, plain)
	// A chunk moved between blobs that share a DEK.
	spliced = mod(func(b []byte) []byte { copy(b[o1:o1+sealedChunk], other[o1:]); return b })
	mustFail(t, "chunk from another blob", spliced, n, dek, plain)

	// The empty object: its single empty chunk is authenticated even though
	// there are no bytes to return.
	empty := encrypt(t, nil, dek)
	for i := range empty {
		b := bytes.Clone(empty)
		b[i] ^= 1
		mustFail(t, fmt.Sprintf("empty blob byte %d", i), b, int64(len(b)), dek, nil)
	}
	mustFail(t, "empty blob, wrong DEK", empty, int64(len(empty)), testDEK(t), nil)
	mustFail(t, "empty blob, header only", empty[:headerSize], headerSize, dek, nil)
}

func TestFreshSalt(t *testing.T) {
	dek := testDEK(t)
	plain := testPlain(1000)
	a, b := encrypt(t, plain, dek), encrypt(t, plain, dek)
	if bytes.Equal(a, b) || bytes.Equal(a[6:headerSize], b[6:headerSize]) {
		t.Fatal("two encryptions of the same plaintext under one DEK are equal")
	}
	if !bytes.Equal(a[:6], []byte("KURB\x01\x10")) {
		t.Fatalf("header prefix %q", a[:6])
	}
}

type errAfter struct {
	n   int
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, e.err
	}
	m := min(len(p), e.n)
	clear(p[:m])
	e.n -= m
	return m, nil
}

func TestPlaintextErrorPropagates(t *testing.T) {
	dek := testDEK(t)
	custom := errors.New("body failed")
	for _, err := range []error{custom, io.ErrUnexpectedEOF} {
		for _, after := range []int{0, 10, ChunkSize, ChunkSize + 1, 3 * ChunkSize} {
			r, e := EncryptReader(&errAfter{n: after, err: err}, dek)
			if e != nil {
				t.Fatal(e)
			}
			if _, got := io.ReadAll(onlyReader{r}); got != err {
				t.Fatalf("after %d: Read err = %v, want %v as is", after, got, err)
			}
			r, _ = EncryptReader(&errAfter{n: after, err: err}, dek)
			if _, got := io.Copy(io.Discard, r); got != err {
				t.Fatalf("after %d: WriteTo err = %v, want %v as is", after, got, err)
			}
		}
	}
}

func TestBadDEK(t *testing.T) {
	if _, err := EncryptReader(bytes.NewReader(nil), make([]byte, 16)); err == nil {
		t.Fatal("EncryptReader accepted a 16-byte DEK")
	}
	blob := encrypt(t, nil, testDEK(t))
	if _, err := DecryptRange(bytes.NewReader(blob), int64(len(blob)), nil, 0, -1); err == nil {
		t.Fatal("DecryptRange accepted a nil DEK")
	}
}

// ioErrReaderAt fails every ReadAt after the first (the header).
type ioErrReaderAt struct {
	r     io.ReaderAt
	calls int
}

var errDisk = errors.New("disk on fire")

func (e *ioErrReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if e.calls++; e.calls > 1 {
		return 0, errDisk
	}
	return e.r.ReadAt(p, off)
}

func TestReadAtErrorPropagates(t *testing.T) {
	dek := testDEK(t)
	blob := encrypt(t, testPlain(100), dek)
	r, err := DecryptRange(&ioErrReaderAt{r: bytes.NewReader(blob)}, int64(len(blob)), dek, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != errDisk {
		t.Fatalf("err = %v, want the ReadAt error as is", err)
	}
}

func TestNoChunkAllocations(t *testing.T) {
	dek := testDEK(t)
	// Per-stream setup (key derivation, cipher) allocates a little; per-chunk
	// work must not. A per-chunk allocation would add 15 between a 1-chunk and
	// a 16-chunk stream; a couple of extra allocations are tolerated because
	// the race detector and buffer pools shift setup costs between runs.
	allocs := func(chunks int) (enc, dec float64) {
		plain := testPlain(chunks * ChunkSize)
		blob := encrypt(t, plain, dek)
		src := bytes.NewReader(plain)
		enc = testing.AllocsPerRun(10, func() {
			src.Reset(plain)
			r, _ := EncryptReader(src, dek)
			io.Copy(io.Discard, r)
		})
		dec = testing.AllocsPerRun(10, func() {
			r, _ := DecryptRange(bytes.NewReader(blob), int64(len(blob)), dek, 0, -1)
			io.Copy(io.Discard, r)
		})
		return enc, dec
	}
	e1, d1 := allocs(1)
	e16, d16 := allocs(16)
	if e16 > e1+2 || d16 > d1+2 {
		t.Fatalf("allocations grow with chunks: encrypt %v -> %v, decrypt %v -> %v", e1, e16, d1, d16)
	}
	t.Logf("allocations per stream: encrypt %v, decrypt %v", e16, d16)
}

// TestEncryptDataWithEOF feeds readers that return their last bytes
// together with io.EOF, as HTTP body readers do, at every size around a
// chunk boundary.
func TestEncryptDataWithEOF(t *testing.T) {
	dek, _ := NewDEK()
	for _, size := range []int{ChunkSize - 1, ChunkSize, ChunkSize + 1, 2*ChunkSize + 1, 3 * ChunkSize} {
		plain := bytes.Repeat([]byte{7, 1, 9}, size/3+1)[:size]
		enc, err := EncryptReader(iotest.DataErrReader(bytes.NewReader(plain)), dek)
		if err != nil {
			t.Fatal(err)
		}
		blob, err := io.ReadAll(enc)
		if err != nil {
			t.Fatal(err)
		}
		r, err := DecryptRange(bytes.NewReader(blob), EncryptedSize(int64(size)), dek, 0, -1)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip failed: %v", size, err)
		}
	}
}

// Prefetch reports damage in the first batch of a range before any Read,
// also when it lies in a later chunk of that batch, and leaves an intact
// range readable in full.
func TestPrefetch(t *testing.T) {
	dek := testDEK(t)
	const size = (batchChunks+2)*ChunkSize + 100
	plain := testPlain(size)
	blob := encrypt(t, plain, dek)
	n := int64(len(blob))
	lay := newLayout(size)
	prefetch := func(b []byte, off, length int64) (io.Reader, error) {
		t.Helper()
		r, err := DecryptRange(bytes.NewReader(b), n, dek, off, length)
		if err != nil {
			t.Fatal(err)
		}
		return r, r.(interface{ Prefetch() error }).Prefetch()
	}
	for _, tc := range []struct {
		name          string
		chunk         int64 // chunk to damage, -1 for none
		off, length   int64
		wantPrefetchE bool
	}{
		{"intact", -1, 0, size, false},
		{"intact, empty range at end", -1, size, 0, false},
		{"first chunk", 0, 0, size, true},
		{"last chunk of first batch", batchChunks - 1, 0, size, true},
		{"beyond first batch", batchChunks, 0, size, false},
		{"range starting at damage", batchChunks, batchChunks * ChunkSize, 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(blob)
			if tc.chunk >= 0 {
				o, _ := lay.chunk(tc.chunk)
				b[o+5] ^= 1
			}
			r, err := prefetch(b, tc.off, tc.length)
			if tc.wantPrefetchE {
				if !errors.Is(err, ErrAuthentication) {
					t.Fatalf("Prefetch = %v, want ErrAuthentication", err)
				}
				if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrAuthentication) {
					t.Fatalf("Read after failed Prefetch = %v, want ErrAuthentication", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prefetch = %v", err)
			}
			got, err := io.ReadAll(onlyReader{r})
			if tc.chunk >= 0 {
				if !errors.Is(err, ErrAuthentication) {
					t.Fatalf("ReadAll = %v, want ErrAuthentication", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, plain[tc.off:tc.off+tc.length]) {
				t.Fatalf("ReadAll after Prefetch: %d bytes, %v", len(got), err)
			}
		})
	}
}
