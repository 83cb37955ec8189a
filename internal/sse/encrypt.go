package sse

import (
	"crypto/cipher"
	"io"
)

// EncryptReader returns a reader yielding the blob encoding of everything
// plaintext yields, under a key derived from dek and a fresh salt. It
// streams: memory is O(ChunkSize) whatever the size. Errors from plaintext
// are returned as is (so *s3err.Error from the body reader propagates), and
// only io.EOF from plaintext ends the blob: a plaintext reader failing with
// io.ErrUnexpectedEOF (a short request body) is an error, never a shorter,
// validly sealed blob.
//
// The returned reader also implements io.WriterTo, so io.Copy writes whole
// sealed chunks without an extra copy.
func EncryptReader(plaintext io.Reader, dek []byte) (io.Reader, error) {
	hdr, err := newHeader()
	if err != nil {
		return nil, err
	}
	return encryptWithHeader(plaintext, dek, hdr)
}

// encryptWithHeader is EncryptReader with a given header; tests use it to
// check the encoding against known answers.
func encryptWithHeader(plaintext io.Reader, dek []byte, hdr [headerSize]byte) (*encReader, error) {
	aead, err := blobAEAD(dek, hdr[:])
	if err != nil {
		return nil, err
	}
	e := &encReader{src: plaintext, aead: aead, hdr: hdr}
	e.out = e.hdr[:]
	return e, nil
}

type encReader struct {
	src   io.Reader
	aead  cipher.AEAD
	hdr   [headerSize]byte
	nonce [nonceSize]byte
	buf   *[]byte // one batch of chunks, sealed in place; nil before first use and after the end
	used  int     // bytes of *buf written since it was taken from the pool
	out   []byte  // sealed bytes not yet handed out (header, then one batch)
	idx   int64   // index of the next chunk to seal
	// The encoder must know whether a full chunk is the last one (its nonce
	// says so), so it reads ahead: within a batch, by reading the next
	// chunk; after the last chunk of a batch, by one byte, kept in peek.
	peek    [1]byte
	hasPeek bool
	srcEOF  bool  // plaintext has returned io.EOF (possibly with the peeked byte)
	done    bool  // the final chunk has been sealed
	err     error // sticky: io.EOF after the final chunk, or the first error
}

// Read fills as much of p as it can, sealing further batches as needed, so
// a caller copying through a large buffer (the blob store's) writes it
// whole. After an error from plaintext, the bytes already placed in p are
// returned first and the error on the next call.
func (e *encReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if len(e.out) == 0 {
			if e.err != nil {
				break
			}
			e.err = e.next()
			continue
		}
		m := copy(p[n:], e.out)
		e.out = e.out[m:]
		n += m
	}
	if len(e.out) == 0 && e.done && e.err == nil {
		// Done: hand the buffer back now rather than on the next Read.
		e.release()
		e.err = io.EOF
	}
	if n > 0 {
		return n, nil
	}
	return 0, e.err
}

func (e *encReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(e.out) > 0 {
			n, err := w.Write(e.out)
			total += int64(n)
			e.out = e.out[n:]
			if err != nil {
				return total, err
			}
			if len(e.out) > 0 {
				return total, io.ErrShortWrite
			}
		}
		if e.err != nil {
			if e.err == io.EOF {
				return total, nil
			}
			return total, e.err
		}
		e.err = e.next()
	}
}

// next seals the next batch of up to batchChunks chunks into e.out, or
// returns io.EOF once the final chunk has been handed out, or the error
// plaintext failed with. It is only called when e.out is empty, so the
// buffer is free for reuse.
//
// Chunk j of a batch is read and sealed in place at j*sealedChunk, so the
// sealed chunks come out contiguous, exactly as they are laid out in the
// blob.
func (e *encReader) next() error {
	if e.done {
		e.release() // the final chunk has been handed out
		return io.EOF
	}
	// The first batch is a single chunk, in a single-chunk buffer: most
	// objects are small, and a small object then never takes a batch
	// buffer. The buffer can change between batches because nothing is
	// left in it but e.out, which is drained (the look-ahead byte is in
	// e.peek).
	limit := batchChunks
	if e.idx == 0 {
		limit = 1
	}
	if e.buf == nil || len(*e.buf) < limit*sealedChunk {
		e.buf = getBuf(e.buf, e.used, limit)
		e.used = 0
	}
	var lens [batchChunks]int
	k := 0 // chunks filled
	final := false
	for k < limit {
		chunk := (*e.buf)[k*sealedChunk : k*sealedChunk+ChunkSize]
		e.used = max(e.used, k*sealedChunk+ChunkSize)
		n := 0
		if e.hasPeek {
			chunk[0] = e.peek[0]
			n = 1
			e.hasPeek = false
		}
		var m int
		var err error
		if e.srcEOF {
			err = io.EOF
		} else {
			m, err = readFull(e.src, chunk[n:])
		}
		n += m
		if err == io.EOF {
			e.srcEOF = true
			final = true
			// Nothing for this chunk means the one before it was the
			// last. (The first chunk of a batch always has a byte, the
			// peeked one, unless the whole plaintext is empty: then it is
			// the single empty final chunk.)
			if n > 0 || (k == 0 && e.idx == 0) {
				lens[k] = n
				k++
			}
			break
		}
		if err != nil {
			e.release()
			return err
		}
		lens[k] = n
		k++
	}
	if !final {
		// A batch of full chunks: the last is final only if nothing
		// follows. A reader may return the peeked byte together with
		// io.EOF.
		m, err := readFull(e.src, e.peek[:])
		e.hasPeek = m == 1
		switch {
		case err == io.EOF:
			e.srcEOF = true
			final = !e.hasPeek
		case err != nil:
			e.release()
			return err
		}
	}
	end := 0
	for j := range k {
		setNonce(&e.nonce, e.idx, final && j == k-1)
		chunk := (*e.buf)[j*sealedChunk:]
		end = j*sealedChunk + len(e.aead.Seal(chunk[:0], e.nonce[:], chunk[:lens[j]], e.hdr[:]))
		e.idx++
	}
	e.used = max(e.used, end)
	e.out = (*e.buf)[:end]
	if final {
		// The buffer stays ours until e.out is consumed; the next call to
		// next releases it.
		e.done = true
		e.src = nil
	}
	return nil
}

func (e *encReader) release() {
	if e.buf != nil {
		putBuf(e.buf, e.used)
		e.buf = nil
		e.used = 0
	}
	e.out = nil
	e.src = nil
}

// readFull is io.ReadFull except that it reports io.EOF, and only io.EOF, for
// a clean end of input, however many bytes were read. io.ReadFull turns a
// mid-buffer EOF into io.ErrUnexpectedEOF, which would be indistinguishable
// from a plaintext reader that itself fails with io.ErrUnexpectedEOF (for
// example a request body shorter than its Content-Length). Treating the
// latter as the end of input would seal a truncated object as valid.
func readFull(r io.Reader, b []byte) (int, error) {
	n, empty := 0, 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if empty++; empty >= 100 {
				// A reader that keeps returning (0, nil) is broken;
				// looping on it forever would hang the request.
				return n, io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
	return n, nil
}
