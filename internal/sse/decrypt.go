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
// ReadAt, up to batchChunks adjacent chunks per call). Any tampering (modified, swapped, truncated chunk or header; wrong
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
// The returned reader also implements io.WriterTo and Prefetch() error
// (see decReader.Prefetch). It is not safe for concurrent use; separate
// DecryptRange readers over one blob are.
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

// CheckHeader reads a blob's header and checks what can be checked without
// its data key: magic, format version and chunk size. (An SSE-C blob, whose
// key is never stored, can be checked no further than this and its length,
// PlaintextSize.)
func CheckHeader(blob io.ReaderAt) error {
	var h [headerSize]byte
	if err := readChunk(blob, h[:], 0); err != nil {
		return err
	}
	return checkHeader(h[:])
}

type decReader struct {
	src       io.ReaderAt
	aead      cipher.AEAD
	lay       layout
	hdr       [headerSize]byte
	nonce     [nonceSize]byte
	buf       *[]byte // one batch of chunks, opened in place; nil when not held
	used      int     // bytes of *buf written since it was taken from the pool
	out       []byte  // authenticated plaintext not yet handed out
	idx, last int64   // next chunk to read; last chunk to read
	skip      int     // plaintext bytes to drop from the front of chunk idx
	remaining int64   // plaintext bytes still to hand out after out
	pending   error   // error to report once out is drained (damage mid-batch)
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

// Prefetch reads and authenticates the first batch of chunks of the range
// now instead of at the first Read, so that damage at the start of the range
// (for a small object, anywhere in it) is reported before a caller commits
// to a response. It returns the error Read would have returned for that
// batch, including damage found in a later chunk of the batch; after an
// error every Read fails with it. Calling it more than once, or after Read,
// does nothing.
func (d *decReader) Prefetch() error {
	if len(d.out) > 0 || d.err != nil {
		return nil
	}
	if err := d.next(); err != nil {
		d.err = err
		if err == io.EOF {
			return nil
		}
		return err
	}
	if d.pending != nil {
		d.err, d.pending = d.pending, nil
		d.release()
		return d.err
	}
	return nil
}

// WriteTo hands w the plaintext a batch at a time, straight from the buffer
// it was opened in: no copy, and up to batchChunks*ChunkSize bytes per
// Write, which is what makes a GET cheap (one large socket write per batch).
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

// next reads chunks d.idx.. (up to batchChunks of them, never past d.last)
// with one ReadAt, opens each in place and moves the plaintext together at
// the front of the buffer, which becomes d.out. It is only called when d.out
// is empty, so the buffer is free for reuse.
//
// If a chunk fails to authenticate, or the blob ends before a chunk does,
// the plaintext of the chunks before it in the batch is still handed out
// and the error is reported after it, as if the chunks had been read one
// at a time. Any other ReadAt error is returned as is, at once.
func (d *decReader) next() error {
	if d.pending != nil {
		err := d.pending
		d.pending = nil
		d.release()
		return err
	}
	if d.idx > d.last {
		d.release()
		return io.EOF
	}
	k := min(d.last-d.idx+1, batchChunks)
	if d.buf == nil || len(*d.buf) < int(k)*sealedChunk {
		d.buf = getBuf(d.buf, d.used, int(k))
		d.used = 0
	}
	off, _ := d.lay.chunk(d.idx)
	lastOff, lastLen := d.lay.chunk(d.idx + k - 1)
	buf := (*d.buf)[:int(lastOff-off)+lastLen]
	d.used = max(d.used, len(buf))
	got, err := readBatch(d.src, buf, off)
	if err != nil && !errors.Is(err, ErrAuthentication) {
		d.release()
		return err
	}
	plainEnd := 0
	for j := range int(k) {
		start := j * sealedChunk
		end := min(start+sealedChunk, len(buf))
		if end > got {
			break // not (completely) read: err says why
		}
		setNonce(&d.nonce, d.idx, d.idx == d.lay.chunks-1)
		plain, oerr := d.aead.Open(buf[start:start], d.nonce[:], buf[start:end], d.hdr[:])
		if oerr != nil {
			err = ErrAuthentication
			break
		}
		plain = plain[d.skip:]
		d.skip = 0
		if int64(len(plain)) > d.remaining {
			plain = plain[:d.remaining]
		}
		d.remaining -= int64(len(plain))
		// Chunk j's plaintext starts 16*j bytes (one tag per chunk before
		// it, plus any skip) after where it belongs; copy is a memmove.
		plainEnd += copy(buf[plainEnd:], plain)
		d.idx++
	}
	d.out = buf[:plainEnd]
	if err != nil {
		if plainEnd == 0 {
			d.release()
			return err
		}
		d.pending = err
	}
	return nil
}

func (d *decReader) release() {
	if d.buf != nil {
		putBuf(d.buf, d.used)
		d.buf = nil
		d.used = 0
	}
	d.out = nil
	d.src = nil
}

// readBatch reads b from r at off. It returns how many bytes it read and
// either nil (b is full), an error wrapping ErrAuthentication if the blob
// ended early (it is shorter than blobSize claimed: truncation), or another
// error (I/O, cancellation) as is.
func readBatch(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	if n == len(b) && (err == nil || err == io.EOF) {
		return n, nil // ReadAt may return io.EOF along with the last bytes
	}
	if err == nil || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return max(0, min(n, len(b))), fmt.Errorf("%w: blob is truncated", ErrAuthentication)
	}
	return 0, err
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
