package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Open returns the plaintext bytes [off, off+n) of an object version. Only
// the chunks covering the range are read and decrypted.
//
// Lost or damaged data is an InternalError, logged and counted
// (integrity.go). Open finds what it can before the caller commits to a
// response: every blob the range needs (or the inline data) must exist
// with the length the metadata implies, and the first chunks of the range
// are authenticated. Damage further in is reported by Read
// (the caller must then abort the response).
func (s *Service) Open(ctx context.Context, v *kura.ObjectVersion, off, n int64, acc KeyAccess) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > v.Size {
		return nil, s3err.InvalidRange
	}
	// Every read of object data comes through here (GET, copy sources), so
	// this is where an archived version without a restored copy is refused,
	// before any key is unsealed.
	if err := s.readable(v); err != nil {
		return nil, err
	}
	keys, err := s.env.Open(ctx, v.Encryption, v.Bucket, v.Key, acc)
	if err != nil {
		if errors.Is(err, sse.ErrAuthentication) || errors.Is(err, sse.ErrKeyMismatch) {
			// The sealed data key in the record does not open under the
			// key that sealed it: the record is damaged (or the root key
			// is not the one the data was written with).
			return nil, s.integrityFailure(dataRef(v), IntegrityDamaged, fmt.Errorf("sealed data key: %w", err))
		}
		return nil, err
	}
	if v.BlobID != "" || v.IsInline() {
		r, err := s.openBlob(ctx, dataRef(v), v.Size, keys, off, n)
		if err != nil {
			return nil, err // not a nil *blobReader in a non-nil interface
		}
		return r, nil
	}
	p := &partsReader{s: s, ctx: ctx, v: v, keys: keys, off: off, remaining: n}
	if err := p.check(); err != nil {
		return nil, err
	}
	if n > 0 {
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// encryptedSize is the length of the blob holding size plaintext bytes
// under keys: one layer, or two for DSSE-KMS.
func encryptedSize(size int64, keys sse.DataKeys) int64 {
	if keys.DEK2 != nil {
		return sse.EncryptedSize(sse.EncryptedSize(size))
	}
	return sse.EncryptedSize(size)
}

// dataRef names the data of a single-part version: its blob, or the
// ciphertext inline in its record.
func dataRef(v *kura.ObjectVersion) blobRef {
	if v.IsInline() {
		return blobRef{v: v, inline: v.Inline}
	}
	return blobRef{v: v, id: v.BlobID}
}

// openData opens the ciphertext ref names: its blob, or its inline bytes
// (no blob store call).
func (s *Service) openData(ctx context.Context, ref blobRef) (blob.Reader, error) {
	if ref.inline != nil {
		return inlineReader{bytes.NewReader(ref.inline)}, nil
	}
	return s.blobs.Open(ctx, ref.id)
}

// inlineReader reads a version's inline ciphertext as a blob.
type inlineReader struct{ *bytes.Reader }

func (inlineReader) Close() error { return nil }

// openBlob opens the plaintext range [off, off+n) of one blob (or inline
// ciphertext) holding size plaintext bytes, checks its length against the
// one size implies and authenticates the range's first chunks. A blob (or
// inline data) truncated or extended is damaged, whatever the range.
func (s *Service) openBlob(ctx context.Context, ref blobRef, size int64, keys sse.DataKeys, off, n int64) (*blobReader, error) {
	r, err := s.openData(ctx, ref)
	if err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return nil, s.integrityFailure(ref, IntegrityMissing, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.integrityFailure(ref, IntegrityUnreadable, err)
	}
	// The length is checked outright, whatever the range: authentication
	// reads only as far as the range goes, and never past the length the
	// metadata implies, so it would pass bytes appended to a blob, and a
	// range clear of a truncation, as intact. A blob store knows the length
	// once the blob is open (a stat, a HEAD), so this costs no read.
	if got, want := r.Size(), encryptedSize(size, keys); got != want {
		r.Close()
		what := "blob"
		if ref.inline != nil {
			what = "inline data"
		}
		return nil, s.integrityFailure(ref, IntegrityDamaged, fmt.Errorf("%w: the %s holds %d bytes, its size needs %d", sse.ErrAuthentication, what, got, want))
	}
	// The plaintext sits under one layer (DEK); DSSE-KMS adds an inner layer
	// (DEK2) whose blob is itself the plaintext of the outer one.
	var src io.ReaderAt = blobSource{r}
	dek := keys.DEK
	if keys.DEK2 != nil {
		src = &layer{r: src, size: encryptedSize(size, keys), dek: keys.DEK}
		dek = keys.DEK2
	}
	pr, err := sse.DecryptRange(src, sse.EncryptedSize(size), dek, off, n)
	if err == nil {
		err = pr.(decrypter).Prefetch()
	}
	if err != nil {
		r.Close()
		if kind := classify(err); kind != "" {
			return nil, s.integrityFailure(ref, kind, err)
		}
		return nil, blobStoreError(err)
	}
	return &blobReader{s: s, ref: ref, r: pr.(decrypter), c: r}, nil
}

// decrypter is what sse.DecryptRange returns.
type decrypter interface {
	io.Reader
	io.WriterTo
	Prefetch() error
}

// blobReader streams the plaintext of one blob range and closes the blob.
// It implements io.WriterTo by passing the sse reader's through: io.Copy
// into the response then writes each decrypted batch (256 KiB) straight
// from the buffer it was opened in, instead of copying it into a buffer of
// its own and writing that.
//
// A failure of the data while streaming (authentication, the blob store
// failing to read) becomes an InternalError, logged and counted once; the
// caller aborts the response. Failures of the writer pass through as they
// are.
type blobReader struct {
	s        *Service
	ref      blobRef
	r        decrypter
	c        io.Closer
	reported error
}

func (b *blobReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	return n, b.check(err)
}

func (b *blobReader) WriteTo(w io.Writer) (int64, error) {
	n, err := b.r.WriteTo(w)
	return n, b.check(err)
}

func (b *blobReader) Close() error { return b.c.Close() }

func (b *blobReader) check(err error) error {
	if b.reported != nil && err != nil && err != io.EOF {
		return b.reported
	}
	if kind := classify(err); kind != "" {
		b.reported = b.s.integrityFailure(b.ref, kind, err)
		return b.reported
	}
	return err
}

// partsReader streams a range spanning the parts of a multipart object,
// opening each part's blob only when the range reaches it.
type partsReader struct {
	s         *Service
	ctx       context.Context
	v         *kura.ObjectVersion
	keys      sse.DataKeys
	off       int64 // offset of the next byte within the whole object
	remaining int64
	cur       *blobReader
}

// check makes sure, before anything is streamed, that the parts add up to
// the version's size and that every blob the range needs exists with the
// length its part's size implies, so that a lost or truncated part is a
// 500 rather than a response cut short. It opens each blob once and
// closes it again (a stat, on a local directory).
func (p *partsReader) check() error {
	var start, end int64
	for _, part := range p.v.Parts {
		start, end = end, end+part.Size
		if p.remaining == 0 || end <= p.off || start >= p.off+p.remaining {
			continue
		}
		ref := blobRef{v: p.v, id: part.BlobID, part: part.Number}
		r, err := p.s.blobs.Open(p.ctx, part.BlobID)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			return p.s.integrityFailure(ref, IntegrityMissing, err)
		case err != nil && p.ctx.Err() != nil:
			return p.ctx.Err()
		case err != nil:
			return p.s.integrityFailure(ref, IntegrityUnreadable, err)
		}
		got := r.Size()
		r.Close()
		if want := encryptedSize(part.Size, p.keys); got != want {
			return p.s.integrityFailure(ref, IntegrityDamaged, fmt.Errorf("%w: blob holds %d bytes, its part's size needs %d", sse.ErrAuthentication, got, want))
		}
	}
	if end != p.v.Size {
		return p.s.integrityFailure(blobRef{v: p.v}, IntegrityDamaged, fmt.Errorf("the version's parts hold %d bytes, its size is %d", end, p.v.Size))
	}
	return nil
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.remaining == 0 {
			return 0, io.EOF
		}
		if p.cur == nil {
			if err := p.next(); err != nil {
				return 0, err
			}
		}
		if int64(len(b)) > p.remaining {
			b = b[:p.remaining]
		}
		n, err := p.cur.Read(b)
		p.off += int64(n)
		p.remaining -= int64(n)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// WriteTo streams the rest of the range part by part, through each part's
// WriteTo.
func (p *partsReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for p.remaining > 0 {
		if p.cur == nil {
			if err := p.next(); err != nil {
				return total, err
			}
		}
		n, err := p.cur.WriteTo(w)
		total += n
		p.off += n
		p.remaining -= n
		p.cur.Close()
		p.cur = nil
		if err != nil {
			return total, err
		}
		if n == 0 {
			// A part that yields nothing for a non-empty range: metadata
			// and blob disagree. Never loop on it.
			return total, io.ErrUnexpectedEOF
		}
	}
	return total, nil
}

// next opens the part containing p.off.
func (p *partsReader) next() error {
	var start int64
	for _, part := range p.v.Parts {
		if p.off < start+part.Size {
			within := p.off - start
			n := min(part.Size-within, p.remaining)
			r, err := p.s.openBlob(p.ctx, blobRef{v: p.v, id: part.BlobID, part: part.Number}, part.Size, p.keys.ForPart(part.Number), within, n)
			if err != nil {
				return err
			}
			p.cur = r
			return nil
		}
		start += part.Size
	}
	return io.ErrUnexpectedEOF
}

func (p *partsReader) Close() error {
	if p.cur != nil {
		err := p.cur.Close()
		p.cur = nil
		return err
	}
	return nil
}

// PartRange returns the byte range of part number n of a version: for a
// multipart object the part's bytes, for any other object part 1 is the
// whole object.
func PartRange(v *kura.ObjectVersion, n int) (off, size int64, err error) {
	if len(v.Parts) == 0 {
		if n == 1 {
			return 0, v.Size, nil
		}
		return 0, 0, s3err.InvalidPartNumber
	}
	for _, p := range v.Parts {
		if p.Number == n {
			return off, p.Size, nil
		}
		off += p.Size
	}
	return 0, 0, s3err.InvalidPartNumber
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// layer presents the plaintext of an encrypted blob as an io.ReaderAt, so a
// second encryption layer inside it can be range-read (DSSE-KMS).
type layer struct {
	r    io.ReaderAt
	size int64 // size of the outer blob
	dek  []byte
}

func (l *layer) ReadAt(p []byte, off int64) (int, error) {
	plain, _ := sse.PlaintextSize(l.size)
	if off >= plain {
		return 0, io.EOF
	}
	n := min(int64(len(p)), plain-off)
	r, err := sse.DecryptRange(l.r, l.size, l.dek, off, n)
	if err != nil {
		return 0, err
	}
	got, err := io.ReadFull(r, p[:n])
	if err == nil && n < int64(len(p)) {
		err = io.EOF
	}
	return got, err
}
