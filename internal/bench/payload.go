package bench

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
)

// streamThreshold is the object size from which PUT bodies are generated
// on the fly by repeating a small random block instead of being held in
// memory. A variable so tests can exercise the streaming path cheaply.
var streamThreshold int64 = 256 << 20

// repeatBlockSize is the period of a streamed body. 1 MiB of random data
// is far larger than any compressor's window, so repetition does not make
// the body compressible, and it is small enough not to matter in RAM.
const repeatBlockSize = 1 << 20

// payload hands out PUT bodies of one size. The random content is
// generated once per size and shared read-only by all workers, so the
// generator never allocates or fills a full object per request.
type payload struct {
	size  int64
	data  []byte // the whole object, when size < streamThreshold
	block []byte // the repeated block, otherwise
}

func newPayload(size int64) *payload {
	p := &payload{size: size}
	if size < streamThreshold {
		p.data = make([]byte, size)
		_, _ = rand.Read(p.data) // crypto/rand.Read never fails (Go 1.24+)
	} else {
		p.block = make([]byte, repeatBlockSize)
		_, _ = rand.Read(p.block)
	}
	return p
}

// reader returns a fresh body. Both kinds are io.ReadSeeker: the SDK
// seeks to measure the length and, with signed payloads, to rewind after
// hashing the body.
func (p *payload) reader() io.ReadSeeker {
	if p.data != nil || p.size == 0 {
		return bytes.NewReader(p.data)
	}
	return &repeatReader{block: p.block, size: p.size}
}

// repeatReader is a seekable, read-only view of size bytes consisting of
// block repeated end to end.
type repeatReader struct {
	block []byte
	size  int64
	off   int64
}

func (r *repeatReader) Read(b []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	total := 0
	for len(b) > 0 && r.off < r.size {
		bo := r.off % int64(len(r.block))
		n := int64(len(r.block)) - bo
		n = min(n, r.size-r.off, int64(len(b)))
		copy(b, r.block[bo:bo+n])
		b = b[n:]
		r.off += n
		total += int(n)
	}
	return total, nil
}

func (r *repeatReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("repeatReader: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("repeatReader: negative position")
	}
	r.off = abs
	return abs, nil
}
