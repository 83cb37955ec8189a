package sse

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// ErrRange is returned by DecryptRange for a range that does not lie within
// the plaintext. It is a caller bug (ranges must be resolved against the
// object size first), not tampering.
var ErrRange = errors.New("sse: range out of bounds")

// DecryptRange returns a reader of plaintext bytes [off, off+n) of the blob,
// reading and authenticating only the chunks that cover the range (via
// ReadAt). Any tampering (modified, swapped, truncated chunk or header; wrong
// key) yields ErrAuthentication from Read, or from DecryptRange when the
// header or blobSize is bad. n may be -1 meaning "to the end". Test errors
// with errors.Is: some carry detail.
//
// Reads are authenticated a chunk at a time, so a failing Read may come
// after earlier Reads returned authentic bytes of earlier chunks; callers
// streaming to a client must abort the response on error. No byte is
// returned before the chunk holding it has authenticated.
//
// An empty range (n == 0, including off == size) still reads and
// authenticates one chunk, the one holding off (the final chunk if off is
// the end), so that even a GET of an empty object checks the key and
// detects a damaged blob.
//
// blobSize should be EncryptedSize of the plaintext size recorded in
// metadata rather than the size the blob store reports: then a blob that was
// truncated or extended on disk fails to authenticate instead of being read
// with a layout of its own choosing.
//
// The returned reader also implements io.WriterTo. It is not safe for
// concurrent use; separate DecryptRange readers over one blob are.
func DecryptRange(blob io.ReaderAt, blobSize int64, dek []byte, off, n int64) (io.Reader, error) {
	if len(dek) != DEKSize {
		return nil, errDEKSize
	}
	plain, err := PlaintextSize(blobSize)
	if err != nil {
		return nil, err
	}
	if n == -1 && off >= 0 && off <= plain {
		n = plain - off
	}
	if off < 0 || n < 0 || off > plain || n > plain-off {
		return nil, fmt.Errorf("%w: [%d, %d+%d) of %d bytes", ErrRange, off, off, n, plain)
	}
	d := &decReader{src: blob, lay: newLayout(plain), remaining: n}
	if err := readChunk(blob, d.hdr[:], 0); err != nil {
		return nil, err
	}
	if err := checkHeader(d.hdr[:]); err != nil {
		return nil, err
	}
	if d.aead, err = blobAEAD(dek, d.hdr[:]); err != nil {
		return nil, err
	}
	// Chunks first..last cover the range. For an empty range last == first,
	// the chunk holding off, clamped to the final chunk when off == plain.
	d.idx = min(off/ChunkSize, d.lay.chunks-1)
	d.skip = int(off - d.idx*ChunkSize)
	d.last = d.idx
	if n > 0 {
		d.last = (off + n - 1) / ChunkSize
	}
	return d, nil
}

type decReader struct {
	src       io.ReaderAt
	aead      cipher.AEAD
	lay       layout
	hdr       [headerSize]byte
	nonce     [nonceSize]byte
	buf       *[]byte // one chunk, opened in place
	out       []byte  // authenticated plaintext not yet handed out
	idx, last int64   // next chunk to read; last chunk to read
	skip      int     // plaintext bytes to drop from the front of chunk idx
	remaining int64   // plaintext bytes still to hand out after out
	err       error   // sticky: io.EOF at the end, or the first error
}

func (d *decReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.err = d.next()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	if len(d.out) == 0 && d.idx > d.last && d.err == nil {
		// Done: hand the buffer back now rather than on the next Read,
		// which callers like io.ReadFull never make.
		d.release()
		d.err = io.EOF
	}
	return n, nil
}

func (d *decReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(d.out) > 0 {
			n, err := w.Write(d.out)
			total += int64(n)
			d.out = d.out[n:]
			if err != nil {
				return total, err
			}
			if len(d.out) > 0 {
				return total, io.ErrShortWrite
			}
		}
		if d.err != nil {
			if d.err == io.EOF {
				return total, nil
			}
			return total, d.err
		}
		d.err = d.next()
	}
}

// next reads and opens chunk d.idx into d.out. It is only called when d.out
// is empty, so the buffer is free for reuse.
func (d *decReader) next() error {
	if d.idx > d.last {
		d.release()
		return io.EOF
	}
	if d.buf == nil {
		d.buf = getBuf()
	}
	off, sealedLen := d.lay.chunk(d.idx)
	buf := (*d.buf)[:sealedLen]
	if err := readChunk(d.src, buf, off); err != nil {
		d.release()
		return err
	}
	setNonce(&d.nonce, d.idx, d.idx == d.lay.chunks-1)
	plain, err := d.aead.Open(buf[:0], d.nonce[:], buf, d.hdr[:])
	if err != nil {
		d.release()
		return ErrAuthentication
	}
	plain = plain[d.skip:]
	d.skip = 0
	if int64(len(plain)) > d.remaining {
		plain = plain[:d.remaining]
	}
	d.remaining -= int64(len(plain))
	d.out = plain
	d.idx++
	return nil
}

func (d *decReader) release() {
	if d.buf != nil {
		putBuf(d.buf)
		d.buf = nil
	}
	d.out = nil
	d.src = nil
}

// readChunk fills b from r at off. Running out of blob before b is full
// means the blob is shorter than blobSize claimed: truncation, reported as
// ErrAuthentication. Other errors (I/O, cancellation) are returned as is.
func readChunk(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) && (err == nil || err == io.EOF) {
		return nil // ReadAt may return io.EOF along with the last bytes
	}
	if err == nil || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: blob is truncated", ErrAuthentication)
	}
	return err
}
