package object

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/sse"
)

// Verification of stored data, for `kura fsck`: every blob a version or an
// upload part names is read in full and checked against its metadata. It
// unseals data keys offline (sse.Envelope.OpenOffline: no authorization,
// no audit), so it must never serve a request.

// ProblemKeyDeleted is a Problem kind beside the Integrity* ones: the KMS
// key that sealed the data key was deleted, so the data is unreadable by
// design rather than damaged.
const ProblemKeyDeleted = "key-deleted"

// Problem is one thing Verify found wrong with stored data.
type Problem struct {
	Kind   string // IntegrityMissing, IntegrityDamaged, IntegrityUnreadable or ProblemKeyDeleted
	BlobID string // empty when the problem is not one blob's
	Part   int    // part number; 0 for a single-part object
	Detail string
}

// Verification is what Verify found about one version or upload part.
type Verification struct {
	Problems []Problem
	// Decrypted is true when every blob was decrypted and authenticated
	// and the plaintext compared with the recorded size, ETag and
	// checksum. It is false for SSE-C (Kura never stores the key: only
	// presence, header and length are checked) and when the data key
	// could not be recovered.
	Decrypted bool
}

func (vr *Verification) add(kind, blobID string, part int, format string, args ...any) {
	vr.Problems = append(vr.Problems, Problem{Kind: kind, BlobID: blobID, Part: part, Detail: fmt.Sprintf(format, args...)})
}

// keysFor recovers the data keys for verification, recording why not when
// it cannot. It returns nil when the data cannot be decrypted.
func (s *Service) keysFor(ctx context.Context, vr *Verification, enc kura.Encryption, bucket, key string) *sse.DataKeys {
	keys, err := s.env.OpenOffline(ctx, enc, bucket, key)
	switch {
	case err == nil:
		return &keys
	case errors.Is(err, sse.ErrCustomerKeyNeeded):
	case errors.Is(err, sse.ErrKeyDeleted):
		vr.add(ProblemKeyDeleted, "", 0, "%v", err)
	default:
		vr.add(IntegrityDamaged, "", 0, "the sealed data key does not open: %v", err)
	}
	return nil
}

// VerifyVersion reads every blob of v and checks it against the record:
// present; as long as the size implies; authenticating under the
// version's data key; and, decrypted, matching the MD5 ETag (per part and
// as the multipart ETag) and the stored checksum (full-object, or
// per-part and composite). progress, when not nil, is called with the
// number of blob bytes each step read.
func (s *Service) VerifyVersion(ctx context.Context, v *kura.ObjectVersion, progress func(int64)) Verification {
	var vr Verification
	keys := s.keysFor(ctx, &vr, v.Encryption, v.Bucket, v.Key)
	alg, typ := checksumOf(v.Checksum)
	whole := newDigest(alg) // the full-object checksum runs across parts
	if v.BlobID != "" || v.IsInline() {
		d := s.verifyData(ctx, &vr, dataRef(v), v.Size, v.Encryption.Type, keys, io.MultiWriter(whole.w()...), progress)
		if d && keys != nil {
			vr.Decrypted = true
			// An opaque ETag (sse.DataKeys.OpaqueETag) is checked against
			// the data key instead of the data.
			if isMD5(v.ETag) && whole.md5Hex() != v.ETag && v.ETag != keys.OpaqueETag() {
				vr.add(IntegrityDamaged, v.BlobID, 0, "the data's MD5 is %s, its ETag says %s", whole.md5Hex(), v.ETag)
			}
			if typ == checksum.FullObject && whole.sum() != v.Checksum.Value {
				vr.add(IntegrityDamaged, v.BlobID, 0, "the data's %s is %s, the record says %s", alg, whole.sum(), v.Checksum.Value)
			}
		}
		return vr
	}
	var total int64
	var etags []string
	var sums [][]byte
	allRead := true
	for _, p := range v.Parts {
		total += p.Size
		part := newDigest(alg)
		var pk *sse.DataKeys
		if keys != nil {
			k := keys.ForPart(p.Number)
			pk = &k
		}
		d := s.verifyBlob(ctx, &vr, p.BlobID, p.Number, p.Size, v.Encryption.Type, pk, io.MultiWriter(append(part.w(), whole.h)...), progress)
		if !d || pk == nil {
			allRead = false
			continue
		}
		if part.md5Hex() != p.ETag {
			vr.add(IntegrityDamaged, p.BlobID, p.Number, "the part's MD5 is %s, its ETag says %s", part.md5Hex(), p.ETag)
		}
		if p.Checksum != "" && alg != "" && part.sum() != p.Checksum {
			vr.add(IntegrityDamaged, p.BlobID, p.Number, "the part's %s is %s, the record says %s", alg, part.sum(), p.Checksum)
		}
		etags = append(etags, part.md5Hex())
		sums = append(sums, part.raw())
	}
	if total != v.Size {
		vr.add(IntegrityDamaged, "", 0, "the parts hold %d bytes, the version's size is %d", total, v.Size)
	}
	if !allRead || keys == nil {
		return vr
	}
	vr.Decrypted = true
	if m := multipartETag(etags); isMultipartETag(v.ETag) && m != v.ETag {
		vr.add(IntegrityDamaged, "", 0, "the parts' ETags make %s, the version's ETag is %s", m, v.ETag)
	}
	switch typ {
	case checksum.FullObject:
		if whole.sum() != v.Checksum.Value {
			vr.add(IntegrityDamaged, "", 0, "the data's full-object %s is %s, the record says %s", alg, whole.sum(), v.Checksum.Value)
		}
	case checksum.Composite:
		if c, err := checksum.CompositeOf(alg, sums); err == nil && c != v.Checksum.Value {
			vr.add(IntegrityDamaged, "", 0, "the parts' %s make the composite %s, the record says %s", alg, c, v.Checksum.Value)
		}
	}
	return vr
}

// VerifyPart reads the blob of part p of upload u and checks it like a
// version's part: present, of the right length, authenticating, matching
// its MD5 ETag, its checksum and its CRC64NVME.
func (s *Service) VerifyPart(ctx context.Context, u *kura.Upload, p *kura.UploadPart, progress func(int64)) Verification {
	var vr Verification
	keys := s.keysFor(ctx, &vr, u.Encryption, u.Bucket, u.Key)
	var pk *sse.DataKeys
	if keys != nil {
		k := keys.ForPart(p.Number)
		pk = &k
	}
	alg := checksum.Algorithm(p.ChecksumAlgorithm)
	if !alg.Valid() {
		alg = ""
	}
	d, crc := newDigest(alg), newDigest(checksum.CRC64NVME)
	ok := s.verifyBlob(ctx, &vr, p.BlobID, p.Number, p.Size, u.Encryption.Type, pk, io.MultiWriter(append(d.w(), crc.h)...), progress)
	if !ok || pk == nil {
		return vr
	}
	vr.Decrypted = true
	if d.md5Hex() != p.ETag {
		vr.add(IntegrityDamaged, p.BlobID, p.Number, "the part's MD5 is %s, its ETag says %s", d.md5Hex(), p.ETag)
	}
	if alg != "" && p.Checksum != "" && d.sum() != p.Checksum {
		vr.add(IntegrityDamaged, p.BlobID, p.Number, "the part's %s is %s, the record says %s", alg, d.sum(), p.Checksum)
	}
	if p.CRC64NVME != "" && crc.sum() != p.CRC64NVME {
		vr.add(IntegrityDamaged, p.BlobID, p.Number, "the part's CRC64NVME is %s, the record says %s", crc.sum(), p.CRC64NVME)
	}
	return vr
}

// verifyBlob checks one blob holding size plaintext bytes: present and as
// long as its size implies; with keys, decrypted in full into w; without,
// its header checked. It reports whether the blob passed.
func (s *Service) verifyBlob(ctx context.Context, vr *Verification, id string, part int, size int64, typ kura.SSEType, keys *sse.DataKeys, w io.Writer, progress func(int64)) bool {
	return s.verifyData(ctx, vr, blobRef{id: id, part: part}, size, typ, keys, w, progress)
}

// verifyData is verifyBlob for the data ref names: a blob, or a version's
// inline ciphertext (checked the same way; a problem with it names no blob).
func (s *Service) verifyData(ctx context.Context, vr *Verification, ref blobRef, size int64, typ kura.SSEType, keys *sse.DataKeys, w io.Writer, progress func(int64)) bool {
	id, part := ref.id, ref.part
	if progress == nil {
		progress = func(int64) {}
	}
	want := sse.EncryptedSize(size)
	if typ == kura.SSEDSSE {
		want = sse.EncryptedSize(want)
	}
	if id == "" && ref.inline == nil {
		vr.add(IntegrityDamaged, "", part, "the record names no blob")
		return false
	}
	r, err := s.openData(ctx, ref)
	switch {
	case errors.Is(err, blob.ErrNotFound):
		vr.add(IntegrityMissing, id, part, "the blob does not exist")
		return false
	case err != nil:
		vr.add(IntegrityUnreadable, id, part, "opening the blob failed: %v", err)
		return false
	}
	defer r.Close()
	if got := r.Size(); got != want {
		what := "the blob"
		if ref.inline != nil {
			what = "the inline data"
		}
		vr.add(IntegrityDamaged, id, part, "%s holds %d bytes, %d plaintext bytes need %d", what, got, size, want)
		progress(r.Size())
		return false
	}
	src := &countingReaderAt{r: blobSource{r}, progress: progress}
	if keys == nil {
		err := sse.CheckHeader(src)
		progress(want - src.n)
		if err != nil {
			vr.add(problemKind(err), id, part, "%v", err)
			return false
		}
		return true
	}
	var from io.ReaderAt = src
	dek := keys.DEK
	if keys.DEK2 != nil {
		from = &layer{r: src, size: want, dek: keys.DEK}
		dek = keys.DEK2
	}
	pr, err := sse.DecryptRange(from, sse.EncryptedSize(size), dek, 0, size)
	if err == nil {
		_, err = io.Copy(w, pr)
	}
	if err != nil {
		vr.add(problemKind(err), id, part, "%v", err)
		return false
	}
	return true
}

// problemKind is the kind of a failure reading a blob.
func problemKind(err error) string {
	if k := classify(err); k != "" {
		return k
	}
	return IntegrityUnreadable
}

// countingReaderAt reports the bytes read through it.
type countingReaderAt struct {
	r        io.ReaderAt
	n        int64
	progress func(int64)
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	c.progress(int64(n))
	return n, err
}

// digest computes the MD5 and (if alg is set) one checksum of what is
// written to it.
type digest struct {
	md5 hash.Hash
	h   hash.Hash // nil without alg; a discarding writer stands in
	alg checksum.Algorithm
}

func newDigest(alg checksum.Algorithm) *digest {
	d := &digest{md5: md5.New(), alg: alg}
	if alg != "" {
		d.h = alg.New()
	} else {
		d.h = discardHash{}
	}
	return d
}

func (d *digest) w() []io.Writer { return []io.Writer{d.md5, d.h} }
func (d *digest) md5Hex() string { return hex.EncodeToString(d.md5.Sum(nil)) }
func (d *digest) raw() []byte    { return d.h.Sum(nil) }
func (d *digest) sum() string    { return checksum.Encode(d.h.Sum(nil)) }

type discardHash struct{}

func (discardHash) Write(p []byte) (int, error) { return len(p), nil }
func (discardHash) Sum(b []byte) []byte         { return b }
func (discardHash) Reset()                      {}
func (discardHash) Size() int                   { return 0 }
func (discardHash) BlockSize() int              { return 1 }

// checksumOf returns a version's checksum algorithm and type, or "" when
// it has none Kura can recompute.
func checksumOf(c *kura.Checksum) (checksum.Algorithm, string) {
	if c == nil {
		return "", ""
	}
	a := checksum.Algorithm(c.Algorithm)
	if !a.Valid() {
		return "", ""
	}
	return a, c.Type
}

var (
	md5ETag       = regexp.MustCompile(`^[0-9a-f]{32}$`)
	multipartETRe = regexp.MustCompile(`^[0-9a-f]{32}-[0-9]+$`)
)

func isMD5(etag string) bool           { return md5ETag.MatchString(etag) }
func isMultipartETag(etag string) bool { return multipartETRe.MatchString(etag) }
