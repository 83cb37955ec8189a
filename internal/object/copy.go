package object

import (
	"context"
	"io"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/s3err"
)

// CopySource names the source of CopyObject and UploadPartCopy.
type CopySource struct {
	Bucket, Key, VersionID string
	// Access unseals the source's data key (its CustomerKey is the
	// x-amz-copy-source-…-customer-key).
	Access KeyAccess
	// Check validates the source version (copy-source-if-* conditions)
	// before any data is read.
	Check func(*kura.ObjectVersion) error
}

// CopyInput is a CopyObject request.
type CopyInput struct {
	Source            CopySource
	Bucket, Key       string
	ReplaceMetadata   bool // MetadataDirective REPLACE
	Headers           kura.ContentHeaders
	ReplaceTags       bool // TaggingDirective REPLACE
	Tags              []kura.Tag
	StorageClass      string
	ChecksumAlgorithm checksum.Algorithm
	SSE               SSERequest
	SSEGiven          bool      // the request named an encryption explicitly
	Access            KeyAccess // for the destination
	Owner             string
	ACL               *kura.ACL // the copy's; a copy never inherits the source's
	Cond              WriteConditions
	// Lock is the request's own lock settings: a copy never inherits the
	// source's retention or legal hold.
	Lock Lock
	// WebsiteRedirect, when not empty, is the copy's
	// x-amz-website-redirect-location whatever the metadata directive: S3
	// takes it from the request also when the rest is copied, and counts
	// it as a change for a copy onto the source itself.
	WebsiteRedirect string
}

// source looks up and checks a copy source.
func (s *Service) source(ctx context.Context, src CopySource) (*kura.ObjectVersion, error) {
	v, err := s.Head(ctx, src.Bucket, src.Key, src.VersionID)
	if err != nil {
		if s3err.Is(err, s3err.MethodNotAllowed) {
			// A delete marker named as a copy source is invalid, not a
			// method problem.
			return nil, s3err.InvalidRequest.WithMessage("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return nil, err
	}
	if src.Check != nil {
		if err := src.Check(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// CopyObject copies an object version into a new version of Bucket/Key. The
// data is decrypted and re-encrypted under a fresh data key: the copy is a
// new object and gets the destination's encryption.
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (*kura.ObjectVersion, *kura.ObjectVersion, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, nil, err
	}
	src, err := s.source(ctx, in.Source)
	if err != nil {
		return nil, nil, err
	}
	if src.Size > MaxPutSize {
		return nil, nil, s3err.InvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	if in.Source.Bucket == in.Bucket && in.Source.Key == in.Key && in.Source.VersionID == "" &&
		!in.ReplaceMetadata && in.StorageClass == "" && !in.SSEGiven && in.ChecksumAlgorithm == "" && in.WebsiteRedirect == "" {
		return nil, nil, s3err.InvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	b, err := s.Bucket(ctx, in.Bucket)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckLock(b, in.Lock); err != nil {
		return nil, nil, err
	}
	r, err := s.Open(ctx, src, 0, src.Size, in.Source.Access)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	alg := in.ChecksumAlgorithm
	if alg == "" && src.Checksum != nil {
		alg = checksum.Algorithm(src.Checksum.Algorithm)
	}
	keys, enc, err := s.writeKeys(ctx, b, in.Key, in.SSE, in.Access)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.store(ctx, r, src.Size, MaxPutSize, keys, ChecksumInput{Algorithm: alg}, nil, true, true)
	if err != nil {
		return nil, nil, err
	}
	defer s.writes.done(st.blobID)
	headers, tags := src.ContentHeaders, src.Tags
	if in.ReplaceMetadata {
		headers = in.Headers
	}
	if in.WebsiteRedirect != "" {
		headers.WebsiteRedirect = in.WebsiteRedirect
	}
	if in.ReplaceTags {
		tags = in.Tags
	}
	// S3 does not carry the source's storage class over: a copy is STANDARD
	// unless x-amz-storage-class says otherwise. That is how a restored
	// GLACIER object is made permanently readable.
	class := in.StorageClass
	if class == ClassStandard {
		class = ""
	}
	v := &kura.ObjectVersion{
		Bucket: in.Bucket, Key: in.Key,
		LastModified: s.stamp(), Owner: in.Owner, Size: st.size, ETag: md5HexOf(st.md5),
		StorageClass: class, Checksum: st.checksum, ContentHeaders: headers, Tags: tags,
		BlobID: st.blobID, Inline: st.inline, Encryption: enc, ACL: in.ACL,
	}
	in.Lock.stamp(&v.Retention, &v.LegalHold, &v.LegalHoldSet)
	if err := s.commitVersion(ctx, v, in.Cond); err != nil {
		s.discard(st.blobID)
		return nil, nil, err
	}
	return v, src, nil
}

// PartCopyInput is an UploadPartCopy request.
type PartCopyInput struct {
	Source                CopySource
	Bucket, Key, UploadID string
	Number                int
	Access                KeyAccess // for the destination upload
	// Offset and Length select x-amz-copy-source-range; Length -1 copies the
	// whole source.
	Offset, Length int64
	// Validate checks the range against the source size.
	Validate func(src *kura.ObjectVersion) (off, n int64, err error)
}

// UploadPartCopy stores a range of an existing object as a part. It
// returns the part, the upload it belongs to and the source version.
func (s *Service) UploadPartCopy(ctx context.Context, in PartCopyInput) (*kura.UploadPart, *kura.Upload, *kura.ObjectVersion, error) {
	src, err := s.source(ctx, in.Source)
	if err != nil {
		return nil, nil, nil, err
	}
	off, n := int64(0), src.Size
	if in.Validate != nil {
		if off, n, err = in.Validate(src); err != nil {
			return nil, nil, nil, err
		}
	}
	if n > MaxPutSize {
		return nil, nil, nil, s3err.InvalidRequest.WithMessage("The specified copy range is larger than the maximum allowable size for a copy part.")
	}
	if _, err := s.Upload(ctx, in.Bucket, in.Key, in.UploadID); err != nil {
		return nil, nil, nil, err
	}
	r, err := s.Open(ctx, src, off, n, in.Source.Access)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	p, u, err := s.UploadPart(ctx, PartInput{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID, Number: in.Number, Body: io.Reader(r), Size: n, Access: in.Access,
		copied: true})
	return p, u, src, err
}

func md5HexOf(sum []byte) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, len(sum)*2)
	for i, c := range sum {
		b[2*i], b[2*i+1] = hexdigits[c>>4], hexdigits[c&15]
	}
	return string(b)
}
