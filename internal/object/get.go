package object

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Open returns the plaintext bytes [off, off+n) of an object version. Only
// the chunks covering the range are read and decrypted.
func (s *Service) Open(ctx context.Context, v *meta.ObjectVersion, off, n int64, acc KeyAccess) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > v.Size {
		return nil, s3err.InvalidRange
	}
	// Every read of object data comes through here (GET, copy sources), so
	// this is where an archived version without a restored copy is refused,
	// before any key is unsealed.
	if err := s.readable(v); err != nil {
		return nil, err
	}
	keys, err := s.dataKey(ctx, v.Encryption, v.Bucket, v.Key, acc)
	if err != nil {
		return nil, err
	}
	if v.BlobID != "" {
		r, err := s.openBlob(ctx, v.BlobID, v.Size, keys, off, n)
		if err != nil {
			return nil, err // not a nil *blobReader in a non-nil interface
		}
		return r, nil
	}
	return &partsReader{s: s, ctx: ctx, parts: v.Parts, keys: keys, off: off, remaining: n}, nil
}

// openBlob opens the plaintext range [off, off+n) of one blob holding size
// plaintext bytes. The blob's expected length comes from metadata, not from
// the blob store, so a truncated or extended blob fails authentication.
func (s *Service) openBlob(ctx context.Context, id string, size int64, keys dataKeys, off, n int64) (*blobReader, error) {
	r, err := s.blobs.Open(ctx, id)
	if errors.Is(err, blob.ErrNotFound) {
		// The version was deleted between reading its metadata and now.
		return nil, s3err.NoSuchKey
	}
	if err != nil {
		return nil, internal(err)
	}
	// The plaintext sits under one layer (DEK); DSSE-KMS adds an inner layer
	// (DEK2) whose blob is itself the plaintext of the outer one.
	var src io.ReaderAt = r
	dek := keys.DEK
	if keys.DEK2 != nil {
		src = &layer{r: r, size: sse.EncryptedSize(sse.EncryptedSize(size)), dek: keys.DEK}
		dek = keys.DEK2
	}
	pr, err := sse.DecryptRange(src, sse.EncryptedSize(size), dek, off, n)
	if err != nil {
		r.Close()
		return nil, s3err.InternalError.Wrap(err)
	}
	return &blobReader{r: pr.(decrypter), c: r}, nil
}

// decrypter is what sse.DecryptRange returns.
type decrypter interface {
	io.Reader
	io.WriterTo
}

// blobReader streams the plaintext of one blob range and closes the blob.
// It implements io.WriterTo by passing the sse reader's through: io.Copy
// into the response then writes each decrypted batch (256 KiB) straight
// from the buffer it was opened in, instead of copying it into a buffer of
// its own and writing that.
//
// An authentication failure while streaming becomes an internal error: the
// data at rest is corrupt or was tampered with.
type blobReader struct {
	r decrypter
	c io.Closer
}

func (b *blobReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	return n, authError(err)
}

func (b *blobReader) WriteTo(w io.Writer) (int64, error) {
	n, err := b.r.WriteTo(w)
	return n, authError(err)
}

func (b *blobReader) Close() error { return b.c.Close() }

func authError(err error) error {
	if err != nil && errors.Is(err, sse.ErrAuthentication) {
		return s3err.InternalError.Wrap(err)
	}
	return err
}

// partsReader streams a range spanning the parts of a multipart object,
// opening each part's blob only when the range reaches it.
type partsReader struct {
	s         *Service
	ctx       context.Context
	parts     []meta.Part
	keys      dataKeys
	off       int64 // offset of the next byte within the whole object
	remaining int64
	cur       *blobReader
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
	for _, part := range p.parts {
		if p.off < start+part.Size {
			within := p.off - start
			n := min(part.Size-within, p.remaining)
			r, err := p.s.openBlob(p.ctx, part.BlobID, part.Size, p.keys.forPart(part.Number), within, n)
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
func PartRange(v *meta.ObjectVersion, n int) (off, size int64, err error) {
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
