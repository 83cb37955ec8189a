package ops

import (
	"context"
	"io"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var specPutObject = spec{name: "PutObject", newObject: true, status: statusOK,
	actions: []string{"s3:PutObject"}}

// PutInput is PutObject's. Target names the new object (its VersionID
// must be empty: a write always makes a new version).
type PutInput struct {
	Target
	// Body is the object's data, streamed into the blob store as it is
	// read (never buffered whole); Size is its length, -1 when unknown.
	Body io.Reader
	Size int64
	// Headers are the content headers and user metadata stored with it.
	Headers      kura.ContentHeaders
	Tags         []kura.Tag
	StorageClass string
	// Checksum is the checksum to compute and, when given, verify;
	// ContentMD5 the body's MD5 to verify (nil: none given). Either makes
	// the body's integrity known, which Object Lock requires.
	Checksum   object.ChecksumInput
	ContentMD5 []byte
	// SSE is the object's encryption; the zero value takes the bucket's
	// default. Its CustomerKey (SSE-C) seals the object and is never kept
	// or logged.
	SSE object.SSERequest
	ACL ObjectACL
	// Lock is the object's Object Lock settings; RetainUntilDate the
	// date as the caller wrote it ("" writes Lock.Retention.Until).
	Lock            object.Lock
	RetainUntilDate string
	// Cond are the conditions on the key (If-None-Match: "*" only, as in
	// S3; If-Match).
	Cond object.WriteConditions
}

// PutResult is what PutObject wrote.
type PutResult struct {
	// VersionID is the new version; object.NullVersion for the null
	// version (S3 then names none).
	VersionID    string
	ETag         string // unquoted
	LastModified time.Time
	Size         int64
	Checksum     *kura.Checksum
	// Encryption is the object's, without key material (PublicEncryption).
	Encryption kura.Encryption
}

// CheckWriteConditions refuses what S3 does not implement on writes
// (PutObject, CompleteMultipartUpload): If-None-Match takes only "*"
// (create-only); with an ETag S3 answers 501 NotImplemented (aws-sdk-ruby
// issue 3144), it does not compare it.
func CheckWriteConditions(c object.WriteConditions) error {
	if c.IfNoneMatch != "" && c.IfNoneMatch != "*" {
		return s3err.NotImplemented.With("Header", "If-None-Match")
	}
	return nil
}

// checkPutInput checks what the HTTP front's header grammar would
// otherwise have refused, for callers that build the input themselves.
func checkPutInput(in *PutInput, now time.Time) error {
	if in.VersionID != "" {
		return s3err.InvalidArgument.WithMessage("A write makes a new version: it cannot name one.").With("ArgumentName", "versionId")
	}
	if in.Body == nil {
		in.Body = eofReader{}
	}
	if err := CheckWebsiteRedirect(in.Headers.WebsiteRedirect); err != nil {
		return err
	}
	if err := checkMetadata(in.Headers.Metadata); err != nil {
		return err
	}
	if err := object.ValidateTags(in.Tags, 10); err != nil {
		return err
	}
	if err := CheckStorageClass(in.StorageClass); err != nil {
		return err
	}
	if in.StorageClass == object.ClassStandard {
		in.StorageClass = ""
	}
	if err := checkSSE(&in.SSE); err != nil {
		return err
	}
	return checkLock(in.Lock, in.RetainUntilDate, now)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// PutObject stores a new object version from a body read as a stream.
// Without a front it is authorized as S3 authorizes a PUT: s3:PutObject
// on the object (and s3:PutObjectTagging, s3:PutObjectAcl,
// s3:PutObjectRetention, s3:PutObjectLegalHold when the input sets
// those), with the condition keys the input carries.
func (s *Service) PutObject(ctx context.Context, call kura.Call, in PutInput) (PutResult, error) {
	if rt := in.Lock.Retention; rt != nil && in.RetainUntilDate == "" {
		in.RetainUntilDate = rt.Until.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	conds := map[string][]string{}
	s.writeConditions(conds, call, newObject{SSE: in.SSE, StorageClass: in.StorageClass, ACL: in.ACL,
		Lock: in.Lock, RetainUntilDate: in.RetainUntilDate, Tags: in.Tags})
	r, ctx := s.begin(ctx, call, specPutObject, in.Target, conds)
	r.extra = writeActions(in.Lock, len(in.Tags) > 0, in.ACL)
	if r.front == nil {
		if t := in.SSE.Type; t != kura.SSENone && t != kura.SSEC {
			r.rec.RequestParameters["x-amz-server-side-encryption"] = string(t)
		}
	}
	res, err := func() (PutResult, error) {
		if err := r.authorize(ctx); err != nil {
			return PutResult{}, err
		}
		if err := checkPutInput(&in, s.obj.Now()); err != nil {
			return PutResult{}, err
		}
		owner, acl, err := s.NewObjectACL(ctx, r.call, r.bucket, in.ACL)
		if err != nil {
			return PutResult{}, err
		}
		integrity := in.ContentMD5 != nil || in.Checksum.Value != "" || in.Checksum.Trailer != nil
		if err := CheckLockWrite(r.bucket, in.Lock, true, integrity); err != nil {
			return PutResult{}, err
		}
		if err := CheckWriteConditions(in.Cond); err != nil {
			return PutResult{}, err
		}
		v, err := s.obj.PutObject(ctx, object.PutInput{Bucket: in.Bucket, Key: in.Key, Body: in.Body, Size: in.Size,
			Headers: in.Headers, Tags: in.Tags, StorageClass: in.StorageClass, Checksum: in.Checksum, ContentMD5: in.ContentMD5,
			SSE: in.SSE, Access: object.KeyAccess{Caller: r.call}, Owner: owner, ACL: acl, Cond: in.Cond, Lock: in.Lock})
		if err != nil {
			return PutResult{}, err
		}
		r.rec.BytesIn = v.Size
		r.versionResult(v)
		out := PutResult{VersionID: v.VersionID, ETag: v.ETag, LastModified: v.LastModified, Size: v.Size,
			Checksum: v.Checksum, Encryption: PublicEncryption(v.Encryption)}
		r.respondSSE(out.Encryption)
		if r.front == nil {
			r.rec.AdditionalEventData["bytesTransferredIn"] = v.Size
			if n := SSEApplied(in.SSE.Type, v.Encryption.Type); n != "" {
				r.rec.AdditionalEventData["SSEApplied"] = n
			}
		}
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}
