package ops

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// Multipart uploads as functions: create, upload a part (from a body or
// copied from an object), complete, abort, list the parts. Every
// operation on an upload names it (UploadTarget): its initiator bears on
// the decisions (a caller may abort and list the uploads it started).

var (
	specCreateUpload = spec{name: "CreateMultipartUpload", sub: "uploads", newObject: true, status: statusOK,
		actions: []string{"s3:PutObject"}}
	specUploadPart = spec{name: "UploadPart", status: statusOK,
		actions: []string{"s3:PutObject"}}
	specUploadPartCopy = spec{name: "UploadPartCopy", status: statusOK,
		actions: []string{"s3:PutObject"}}
	specCompleteUpload = spec{name: "CompleteMultipartUpload", status: statusOK,
		actions: []string{"s3:PutObject"}}
	specAbortUpload = spec{name: "AbortMultipartUpload", status: statusNoContent,
		actions: []string{"s3:AbortMultipartUpload"}}
	specListParts = spec{name: "ListParts", readOnly: true, status: statusOK,
		actions: []string{"s3:ListMultipartUploadParts"}}
)

// UploadTarget names a multipart upload of an object.
type UploadTarget struct {
	Target
	UploadID string
}

// beginUpload begins an operation on an upload: the upload id is in its
// event's requestParameters and in its decisions.
func (s *Service) beginUpload(ctx context.Context, call kura.Call, sp spec, t UploadTarget, conds map[string][]string) (*run, context.Context) {
	r, ctx := s.begin(ctx, call, sp, t.Target, conds)
	r.uploadID = t.UploadID
	if r.front == nil {
		r.rec.RequestParameters["uploadId"] = t.UploadID
	}
	return r, ctx
}

// uploadConditions gives an operation on an upload the encryption the
// upload was created with when the caller names none (UploadPart,
// UploadPartCopy and Complete carry no SSE-S3/SSE-KMS headers: a policy
// requiring encryption must not refuse every part of an encrypted
// upload), as the HTTP front does.
func (s *Service) uploadConditions(ctx context.Context, t UploadTarget) map[string][]string {
	m := map[string][]string{}
	u, err := s.obj.Upload(ctx, t.Bucket, t.Key, t.UploadID)
	if err != nil {
		return m // the operation reports NoSuchUpload
	}
	switch e := u.Encryption; e.Type {
	case kura.SSES3:
		m["s3:x-amz-server-side-encryption"] = []string{string(e.Type)}
	case kura.SSEKMS, kura.SSEDSSE:
		m["s3:x-amz-server-side-encryption"] = []string{string(e.Type)}
		if e.KMSKeyARN != "" {
			m["s3:x-amz-server-side-encryption-aws-kms-key-id"] = []string{e.KMSKeyARN}
		}
	}
	return m
}

// CreateUploadInput is CreateMultipartUpload's: what the object Complete
// makes will be.
type CreateUploadInput struct {
	Target
	Headers           kura.ContentHeaders
	Tags              []kura.Tag
	StorageClass      string
	ChecksumAlgorithm checksum.Algorithm
	// ChecksumType is COMPOSITE or FULL_OBJECT; "" picks the algorithm's
	// default.
	ChecksumType string
	// SSE is the upload's encryption (its data key is made now); the
	// zero value takes the bucket's default. An SSE-C key must come with
	// every part.
	SSE             object.SSERequest
	ACL             ObjectACL
	Lock            object.Lock
	RetainUntilDate string
}

// CreateUploadResult is the upload created.
type CreateUploadResult struct {
	UploadID          string
	ChecksumAlgorithm string
	ChecksumType      string
	// Encryption is the upload's, without key material.
	Encryption kura.Encryption
}

// CreateMultipartUpload starts a multipart upload, authorized as the
// PutObject of its object would be.
func (s *Service) CreateMultipartUpload(ctx context.Context, call kura.Call, in CreateUploadInput) (CreateUploadResult, error) {
	if rt := in.Lock.Retention; rt != nil && in.RetainUntilDate == "" {
		in.RetainUntilDate = rt.Until.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	conds := map[string][]string{}
	s.writeConditions(conds, call, newObject{SSE: in.SSE, StorageClass: in.StorageClass, ACL: in.ACL,
		Lock: in.Lock, RetainUntilDate: in.RetainUntilDate, Tags: in.Tags})
	r, ctx := s.begin(ctx, call, specCreateUpload, in.Target, conds)
	r.extra = writeActions(in.Lock, len(in.Tags) > 0, in.ACL)
	res, err := func() (CreateUploadResult, error) {
		if err := r.authorize(ctx); err != nil {
			return CreateUploadResult{}, err
		}
		p := PutInput{Target: in.Target, Headers: in.Headers, Tags: in.Tags, StorageClass: in.StorageClass,
			SSE: in.SSE, Lock: in.Lock, RetainUntilDate: in.RetainUntilDate}
		if err := checkPutInput(&p, s.obj.Now()); err != nil {
			return CreateUploadResult{}, err
		}
		if a := in.ChecksumAlgorithm; a != "" {
			if _, ok := checksum.Parse(string(a)); !ok {
				return CreateUploadResult{}, s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported. Please try again with any of the valid types: %s", checksum.Names)
			}
		}
		if err := CheckLockWrite(r.bucket, in.Lock, false, false); err != nil {
			return CreateUploadResult{}, err
		}
		owner, acl, err := s.NewObjectACL(ctx, r.call, r.bucket, in.ACL)
		if err != nil {
			return CreateUploadResult{}, err
		}
		// The initiator is recorded when it is not the owner (Object
		// Ownership gave the object to the bucket owner).
		initiator := ""
		if id := r.call.Principal.AccountID; !r.call.Principal.IsAnonymous() && id != owner {
			initiator = id
		}
		u, err := s.obj.CreateUpload(ctx, object.UploadInput{Bucket: in.Bucket, Key: in.Key, Headers: p.Headers, Tags: in.Tags,
			StorageClass: p.StorageClass, ChecksumAlgorithm: in.ChecksumAlgorithm, ChecksumType: in.ChecksumType, SSE: p.SSE,
			Owner: owner, Initiator: initiator, ACL: acl, Access: object.KeyAccess{Caller: r.call}, Lock: in.Lock})
		if err != nil {
			return CreateUploadResult{}, err
		}
		out := CreateUploadResult{UploadID: u.UploadID, ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
			Encryption: PublicEncryption(u.Encryption)}
		r.respondSSE(out.Encryption)
		if r.front == nil {
			if n := SSEApplied(in.SSE.Type, u.Encryption.Type); n != "" {
				r.rec.AdditionalEventData["SSEApplied"] = n
			}
		}
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// PartInput is UploadPart's: one part's data, streamed as it is read.
type PartInput struct {
	UploadTarget
	PartNumber int
	Body       io.Reader
	// Size is the body's length, -1 when unknown.
	Size       int64
	Checksum   object.ChecksumInput
	ContentMD5 []byte
	// CustomerKey is the upload's SSE-C key, when it has one.
	CustomerKey []byte
}

// PartResult is the part stored.
type PartResult struct {
	PartNumber   int
	ETag         string // unquoted
	LastModified time.Time
	Size         int64
	// ChecksumAlgorithm and Checksum are the part's checksum ("" when
	// none is kept in the upload's algorithm).
	ChecksumAlgorithm, Checksum string
	// SourceVersionID is the version UploadPartCopy copied from.
	SourceVersionID string
	// Encryption is the upload's, without key material.
	Encryption kura.Encryption
}

func partResult(p *kura.UploadPart, u *kura.Upload) PartResult {
	return PartResult{PartNumber: p.Number, ETag: p.ETag, LastModified: p.LastModified, Size: p.Size,
		ChecksumAlgorithm: p.ChecksumAlgorithm, Checksum: p.Checksum, Encryption: PublicEncryption(u.Encryption)}
}

// errPartNumber is S3's answer to a part number out of range.
func errPartNumber(n int) error {
	return s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").
		With("ArgumentName", "partNumber").With("ArgumentValue", strconv.Itoa(n))
}

// UploadPart stores one part of an upload (replacing an earlier part with
// the same number), authorized as s3:PutObject on the upload's object.
func (s *Service) UploadPart(ctx context.Context, call kura.Call, in PartInput) (PartResult, error) {
	var conds map[string][]string
	if frontOf(ctx) == nil {
		conds = s.uploadConditions(ctx, in.UploadTarget)
	}
	r, ctx := s.beginUpload(ctx, call, specUploadPart, in.UploadTarget, conds)
	res, err := func() (PartResult, error) {
		if err := r.authorize(ctx); err != nil {
			return PartResult{}, err
		}
		if in.PartNumber < 1 || in.PartNumber > object.MaxParts {
			return PartResult{}, errPartNumber(in.PartNumber)
		}
		if in.Body == nil {
			in.Body = eofReader{}
		}
		p, u, err := s.obj.UploadPart(ctx, object.PartInput{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID,
			Number: in.PartNumber, Body: in.Body, Size: in.Size, Checksum: in.Checksum, ContentMD5: in.ContentMD5,
			Access: object.KeyAccess{Caller: r.call, CustomerKey: in.CustomerKey}})
		if err != nil {
			return PartResult{}, err
		}
		r.rec.BytesIn = p.Size
		if r.front == nil {
			r.rec.AdditionalEventData["bytesTransferredIn"] = p.Size
		}
		out := partResult(p, u)
		r.respondSSE(out.Encryption)
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// PartCopyInput is UploadPartCopy's: a part copied from an object.
type PartCopyInput struct {
	UploadTarget
	PartNumber int
	Source     CopySource
	// Range is x-amz-copy-source-range ("bytes=first-last"), which must
	// fit the source exactly; "" copies the whole source.
	Range string
	// CustomerKey is the upload's SSE-C key, when it has one.
	CustomerKey []byte
}

// UploadPartCopy stores a range of an object as a part, authorized as
// s3:PutObject on the upload's object and s3:GetObject (or
// s3:GetObjectVersion) on the source, as CopyObject is.
func (s *Service) UploadPartCopy(ctx context.Context, call kura.Call, in PartCopyInput) (PartResult, error) {
	var conds map[string][]string
	if frontOf(ctx) == nil {
		conds = s.uploadConditions(ctx, in.UploadTarget)
		conds["s3:x-amz-copy-source"] = []string{in.Source.String()}
	}
	r, ctx := s.beginUpload(ctx, call, specUploadPartCopy, in.UploadTarget, conds)
	if r.front == nil {
		r.rec.RequestParameters["x-amz-copy-source"] = in.Source.String()
	}
	res, err := func() (PartResult, error) {
		if err := r.authorize(ctx); err != nil {
			return PartResult{}, err
		}
		if err := s.authorizeSource(ctx, r, in.Source); err != nil {
			return PartResult{}, err
		}
		if in.PartNumber < 1 || in.PartNumber > object.MaxParts {
			return PartResult{}, errPartNumber(in.PartNumber)
		}
		rng := in.Range
		p, u, sv, err := s.obj.UploadPartCopy(ctx, object.PartCopyInput{Source: in.Source.Object(r.call),
			Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID, Number: in.PartNumber,
			Access:   object.KeyAccess{Caller: r.call, CustomerKey: in.CustomerKey},
			Validate: func(v *kura.ObjectVersion) (int64, int64, error) { return CopySourceRange(rng, v.Size) }})
		if err != nil {
			return PartResult{}, err
		}
		out := partResult(p, u)
		out.SourceVersionID = sv.VersionID
		if sv.VersionID != object.NullVersion {
			r.respond("x-amz-copy-source-version-id", sv.VersionID)
		}
		r.respondSSE(out.Encryption)
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// CopySourceRange resolves x-amz-copy-source-range against the source's
// size: "" is all of it; otherwise bytes=first-last, which must fit the
// source exactly (S3 does not clamp copy ranges).
func CopySourceRange(v string, size int64) (off, n int64, err error) {
	if v == "" {
		return 0, size, nil
	}
	off, n, ok, err := ParseRange(v, size)
	if err != nil || !ok || n != copyRangeLen(v) {
		return 0, 0, s3err.InvalidArgument.WithMessage("Range specified is not valid for source object of size: %d", size).With("ArgumentName", "x-amz-copy-source-range")
	}
	return off, n, nil
}

// copyRangeLen is the length bytes=a-b asks for; -1 when it is not that
// form.
func copyRangeLen(v string) int64 {
	var first, last int64
	if _, err := fmt.Sscanf(v, "bytes=%d-%d", &first, &last); err != nil {
		return -1
	}
	return last - first + 1
}

// CompleteInput is CompleteMultipartUpload's.
type CompleteInput struct {
	UploadTarget
	Parts []object.CompletePart
	// Checksum is a whole-object checksum to verify, if given;
	// ChecksumType the type the caller expects ("" for the upload's).
	Checksum     object.ChecksumInput
	ChecksumType string
	// ObjectSize is the size the caller expects, -1 when not said.
	ObjectSize int64
	Cond       object.WriteConditions
	// CustomerKey is the upload's SSE-C key, when it has one.
	CustomerKey []byte
}

// CompleteResult is the object made.
type CompleteResult struct {
	VersionID string // object.NullVersion for the null version
	ETag      string // unquoted
	Checksum  *kura.Checksum
	// Encryption is the object's, without key material.
	Encryption kura.Encryption
}

// CompleteMultipartUpload assembles an upload's parts into a new object
// version, authorized as s3:PutObject on its object.
func (s *Service) CompleteMultipartUpload(ctx context.Context, call kura.Call, in CompleteInput) (CompleteResult, error) {
	var conds map[string][]string
	if frontOf(ctx) == nil {
		conds = s.uploadConditions(ctx, in.UploadTarget)
	}
	r, ctx := s.beginUpload(ctx, call, specCompleteUpload, in.UploadTarget, conds)
	res, err := func() (CompleteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return CompleteResult{}, err
		}
		if err := CheckWriteConditions(in.Cond); err != nil {
			return CompleteResult{}, err
		}
		v, err := s.obj.CompleteUpload(ctx, object.CompleteInput{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID,
			Parts: in.Parts, Checksum: in.Checksum, ChecksumType: in.ChecksumType, ObjectSize: in.ObjectSize,
			Cond: in.Cond, CustomerKey: in.CustomerKey})
		if err != nil {
			return CompleteResult{}, err
		}
		r.versionResult(v)
		out := CompleteResult{VersionID: v.VersionID, ETag: v.ETag, Checksum: v.Checksum, Encryption: PublicEncryption(v.Encryption)}
		r.respondSSE(out.Encryption)
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// AbortInput is AbortMultipartUpload's.
type AbortInput struct {
	UploadTarget
	// IfMatchInitiatedTime, when set, aborts only an upload initiated at
	// that time (to the second); a missing upload is then no error.
	IfMatchInitiatedTime time.Time
}

// AbortMultipartUpload removes an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, call kura.Call, in AbortInput) error {
	r, ctx := s.beginUpload(ctx, call, specAbortUpload, in.UploadTarget, nil)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		return s.obj.AbortUpload(ctx, in.Bucket, in.Key, in.UploadID, in.IfMatchInitiatedTime)
	}()
	return r.finish(r.spec.status, err)
}

// ListPartsInput is ListParts': a page of an upload's parts after
// PartNumberMarker, at most MaxParts (capped at 1000).
type ListPartsInput struct {
	UploadTarget
	PartNumberMarker int
	MaxParts         int
}

// ListParts lists an upload's parts. The page's Upload names its owner
// and initiator by account id.
func (s *Service) ListParts(ctx context.Context, call kura.Call, in ListPartsInput) (*object.PartsPage, error) {
	r, ctx := s.beginUpload(ctx, call, specListParts, in.UploadTarget, nil)
	page, err := func() (*object.PartsPage, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		if in.PartNumberMarker < 0 || in.MaxParts < 0 {
			return nil, s3err.InvalidArgument.WithMessage("Part number marker and max parts must not be negative.")
		}
		return s.obj.ListParts(ctx, in.Bucket, in.Key, in.UploadID, min(in.PartNumberMarker, object.MaxParts), min(in.MaxParts, 1000))
	}()
	return page, r.finish(r.spec.status, err)
}
