package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// ChecksumInput is what a write says about its checksum.
type ChecksumInput struct {
	// Algorithm to compute; empty means CRC64NVME, S3's default.
	Algorithm checksum.Algorithm
	// Value is the expected base64 value from a header, if any.
	Value string
	// Trailer returns the expected value from an aws-chunked trailer once
	// the body has been read; nil when there is none.
	Trailer func() string
}

// PutInput is a PutObject request.
type PutInput struct {
	Bucket, Key  string
	Body         io.Reader
	Size         int64 // -1 when unknown
	Headers      kura.ContentHeaders
	Tags         []kura.Tag
	StorageClass string
	Checksum     ChecksumInput
	ContentMD5   []byte // decoded Content-MD5, nil when absent
	SSE          SSERequest
	Access       KeyAccess
	Owner        string
	ACL          *kura.ACL // nil: the owner's FULL_CONTROL only
	Cond         WriteConditions
	Lock         Lock
}

// WriteConditions are S3's conditional writes.
type WriteConditions struct {
	IfNoneMatch string // only "*" is supported, as in S3
	IfMatch     string
}

// ValidKey checks an object key.
func ValidKey(key string) error {
	switch {
	case key == "":
		return s3err.InvalidArgument.WithMessage("Object key must not be empty")
	case len(key) > MaxKeyLength:
		return s3err.KeyTooLong.With("Size", itoa(len(key))).With("MaxSizeAllowed", itoa(MaxKeyLength))
	case !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return s3err.InvalidArgument.WithMessage("Object key must be valid UTF-8 without NUL characters")
	}
	return nil
}

// stored is the outcome of streaming a body into an encrypted blob, or
// into ciphertext held in memory for the version record (inline).
type stored struct {
	blobID   string // "" when inline
	inline   []byte // the ciphertext of an inline body; nil for a blob
	size     int64
	md5      []byte
	checksum *kura.Checksum
	sum      []byte // raw checksum digest
}

// store streams body, encrypted under dek, into a new blob, computing the
// checksum (and the MD5 when withMD5 or when the client sent contentMD5)
// and verifying what the client declared. On any error no
// blob is left behind. On success the blob is registered as a pending
// write, which keeps the orphan sweep away from it: the caller calls
// s.writes.done(blobID) once it has committed the metadata naming the blob
// or discarded the blob (see SweepOrphans).
//
// With inline set, a body that ends within the inline threshold
// (Config.InlineMax) is not written to the blob store: it is encrypted in
// memory, exactly as its blob would be, and returned as stored.inline for
// the caller to put in the version record (blobID is then ""). A body of
// unknown size is read up to one byte past the threshold to tell.
func (s *Service) store(ctx context.Context, body io.Reader, size, limit int64, keys sse.DataKeys, ck ChecksumInput, contentMD5 []byte, withMD5, inline bool) (*stored, error) {
	alg := ck.Algorithm
	if alg == "" {
		alg = checksum.CRC64NVME
	}
	h := checksum.NewHashes(alg, withMD5 || contentMD5 != nil)
	counted := &countingReader{r: io.TeeReader(body, h), limit: limit}
	// check verifies what the client declared once the body has been read.
	check := func() (*stored, error) {
		if size >= 0 && counted.n != size {
			return nil, s3err.IncompleteBody
		}
		if contentMD5 != nil && !bytes.Equal(contentMD5, h.MD5()) {
			return nil, s3err.BadDigest
		}
		want := ck.Value
		if want == "" && ck.Trailer != nil {
			want = ck.Trailer()
		}
		got := checksum.Encode(h.Sum())
		if want != "" && want != got {
			return nil, s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", strings.ToLower(string(alg)))
		}
		return &stored{
			size:     counted.n,
			md5:      h.MD5(),
			sum:      h.Sum(),
			checksum: &kura.Checksum{Algorithm: string(alg), Type: checksum.FullObject, Value: got},
		}, nil
	}
	var plain io.Reader = counted
	if inline && s.inlineMax > 0 && size <= s.inlineMax {
		st, rest, err := s.storeInline(counted, size, keys, check)
		if st != nil || err != nil {
			return st, err
		}
		plain = rest // longer than the threshold: on to a blob
	}
	enc, err := encryptLayers(plain, keys)
	if err != nil {
		return nil, s3err.Internal(err)
	}
	id := s.newBlobID()
	s.writes.add(id)
	if _, err := s.blobs.Put(ctx, id, enc); err != nil {
		s.writes.done(id)
		if counted.tooLarge {
			return nil, s3err.EntityTooLarge.With("MaxSizeAllowed", itoa64(limit))
		}
		return nil, blobStoreError(err)
	}
	st, err := check()
	if err != nil {
		s.discard(id)
		s.writes.done(id)
		return nil, err
	}
	st.blobID = id
	return st, nil
}

// storeInline reads body (size bytes, or -1: unknown) up to one byte past
// the inline threshold. When it ends within the threshold it is encrypted
// in memory into st.inline; otherwise storeInline returns a reader that
// yields the whole body again (what it read, then the rest), for a blob.
func (s *Service) storeInline(body *countingReader, size int64, keys sse.DataKeys, check func() (*stored, error)) (st *stored, rest io.Reader, err error) {
	n := s.inlineMax + 1
	if size >= 0 {
		n = size + 1 // a body that claims less but yields more fails check
	}
	buf := make([]byte, n)
	got, err := io.ReadFull(body, buf)
	switch {
	case err == nil:
		// More than the threshold (or than size, which check reports).
		return nil, io.MultiReader(bytes.NewReader(buf), body), nil
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, nil, blobStoreError(err)
	}
	defer clear(buf) // plaintext: not left to the garbage collector
	if st, err = check(); err != nil {
		return nil, nil, err
	}
	enc, err := encryptLayers(bytes.NewReader(buf[:got]), keys)
	if err != nil {
		return nil, nil, s3err.Internal(err)
	}
	// The encoding's length is known (encryptedSize, which every reader
	// relies on too): read it into a slice of exactly that size, then make
	// sure the encoder has nothing more.
	ct := make([]byte, encryptedSize(int64(got), keys))
	if _, err := io.ReadFull(enc, ct); err != nil {
		return nil, nil, s3err.Internal(err)
	}
	var extra [1]byte
	if n, _ := enc.Read(extra[:]); n != 0 {
		return nil, nil, s3err.Internal(errors.New("object: the encrypted body is longer than its size implies"))
	}
	st.inline = ct
	return st, nil, nil
}

// PutObject stores a new object version.
func (s *Service) PutObject(ctx context.Context, in PutInput) (*kura.ObjectVersion, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, err
	}
	if in.Size > MaxPutSize {
		return nil, s3err.EntityTooLarge.With("MaxSizeAllowed", itoa64(MaxPutSize))
	}
	b, err := s.Bucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := CheckLock(b, in.Lock); err != nil {
		return nil, err
	}
	keys, enc, err := s.writeKeys(ctx, b, in.Key, in.SSE, in.Access)
	if err != nil {
		return nil, err
	}
	opaque := OpaqueETag(enc.Type)
	st, err := s.store(ctx, in.Body, in.Size, MaxPutSize, keys, in.Checksum, in.ContentMD5, !opaque, true)
	if err != nil {
		return nil, err
	}
	defer s.writes.done(st.blobID)
	etag := hex.EncodeToString(st.md5)
	if opaque {
		etag = keys.OpaqueETag()
	}
	v := &kura.ObjectVersion{
		Bucket: in.Bucket, Key: in.Key,
		LastModified: s.stamp(), Owner: in.Owner,
		Size: st.size, ETag: etag, StorageClass: in.StorageClass,
		Checksum: st.checksum, ContentHeaders: in.Headers, Tags: in.Tags,
		BlobID: st.blobID, Inline: st.inline, Encryption: enc, ACL: in.ACL,
	}
	in.Lock.stamp(&v.Retention, &v.LegalHold, &v.LegalHoldSet)
	if err := s.commitVersion(ctx, v, in.Cond); err != nil {
		s.discard(st.blobID)
		return nil, err
	}
	return v, nil
}

// OpaqueETag reports whether a PutObject under SSE type t gets an opaque
// ETag rather than the MD5 of its data: SSE-KMS, DSSE-KMS and SSE-C, as in
// S3 ("Objects encrypted by SSE-C or SSE-KMS have ETags that are not an
// MD5 digest of their object data"). Such a PUT computes no MD5 unless the
// client sent Content-MD5, which is still verified. Copies, parts and
// multipart objects keep their MD5-based ETags (sse.DataKeys.OpaqueETag).
func OpaqueETag(t kura.SSEType) bool {
	return t == kura.SSEKMS || t == kura.SSEDSSE || t == kura.SSEC
}

// commitVersion installs a new version after checking the bucket still
// exists and any write conditions hold; it gives v its seq and version id.
func (s *Service) commitVersion(ctx context.Context, v *kura.ObjectVersion, cond WriteConditions) error {
	return s3err.Internal(s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		b, err := getBucket(tx, v.Bucket)
		if err != nil {
			return err
		}
		if err := checkWriteConditions(tx, v.Bucket, v.Key, cond); err != nil {
			return err
		}
		if err := lockNewVersion(b, v); err != nil {
			return err
		}
		if err := allocate(tx, v); err != nil {
			return err
		}
		return install(tx, b, v, release)
	}))
}

func checkWriteConditions(tx meta.Tx, bucket, key string, cond WriteConditions) error {
	if cond.IfNoneMatch == "" && cond.IfMatch == "" {
		return nil
	}
	cur, err := latest(tx, bucket, key)
	exists := err == nil && !cur.DeleteMarker
	if err != nil && !s3err.Is(err, s3err.NoSuchKey) {
		return err
	}
	if cond.IfNoneMatch != "" && exists {
		return s3err.PreconditionFailed.With("Condition", "If-None-Match")
	}
	if cond.IfMatch != "" {
		if !exists {
			return s3err.NoSuchKey.With("Key", key)
		}
		if !ETagMatches(cond.IfMatch, cur.ETag) {
			return s3err.PreconditionFailed.With("Condition", "If-Match")
		}
	}
	return nil
}

// ETagMatches reports whether an If-Match style list matches etag.
func ETagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

// encryptLayers encrypts plaintext into the blob encoding: one layer under
// DEK, and for DSSE-KMS first an inner layer under DEK2.
func encryptLayers(plaintext io.Reader, keys sse.DataKeys) (io.Reader, error) {
	if keys.DEK2 != nil {
		inner, err := sse.EncryptReader(plaintext, keys.DEK2)
		if err != nil {
			return nil, err
		}
		plaintext = inner
	}
	return sse.EncryptReader(plaintext, keys.DEK)
}

// countingReader counts bytes and fails once more than limit are read.
type countingReader struct {
	r        io.Reader
	n, limit int64
	tooLarge bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		c.tooLarge = true
		return n, s3err.EntityTooLarge
	}
	return n, err
}

// md5Hex returns the hex MD5 of b.
func md5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
