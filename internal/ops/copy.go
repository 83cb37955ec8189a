package ops

import (
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var specCopyObject = spec{name: "CopyObject", newObject: true, status: statusOK,
	actions: []string{"s3:PutObject"}}

// The directives of CopyObject's metadata and tags.
const (
	DirectiveCopy    = "COPY"
	DirectiveReplace = "REPLACE"
)

// CopySource names the object a copy reads and the conditions it must
// meet.
type CopySource struct {
	Bucket, Key string
	// VersionID is the version copied; "" for the current one.
	VersionID string
	// ExpectedBucketOwner, when set, is the account the caller expects to
	// own the source bucket (x-amz-source-expected-bucket-owner); another
	// owner is AccessDenied.
	ExpectedBucketOwner string
	// CustomerKey is the source's SSE-C key (32 bytes) when it is stored
	// with one; it is only ever used to open the source, never kept or
	// logged.
	CustomerKey []byte
	// The x-amz-copy-source-if-* conditions; empty or zero when not set.
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// String is the source as x-amz-copy-source names it (unencoded):
// bucket/key, with ?versionId= when a version is named.
func (c CopySource) String() string {
	s := c.Bucket + "/" + c.Key
	if c.VersionID != "" {
		s += "?versionId=" + url.QueryEscape(c.VersionID)
	}
	return s
}

// Conditions checks a source version against the copy's conditions, in
// S3's order: if-match before if-unmodified-since, if-none-match before
// if-modified-since; S3 compares times to the second.
func (c CopySource) Conditions(etag string, mtime time.Time) error {
	mtime = mtime.Truncate(time.Second)
	fail := s3err.PreconditionFailed
	if c.IfMatch != "" {
		if !object.ETagMatches(c.IfMatch, etag) {
			return fail.With("Condition", "x-amz-copy-source-If-Match")
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mtime.After(c.IfUnmodifiedSince) {
		return fail.With("Condition", "x-amz-copy-source-If-Unmodified-Since")
	}
	if c.IfNoneMatch != "" {
		if object.ETagMatches(c.IfNoneMatch, etag) {
			return fail.With("Condition", "x-amz-copy-source-If-None-Match")
		}
	} else if !c.IfModifiedSince.IsZero() && !mtime.After(c.IfModifiedSince) {
		return fail.With("Condition", "x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// Object is the source as the object service reads it, for call: its
// version is checked against the conditions and the SSE-C key before any
// data is read.
func (c CopySource) Object(call kura.Call) object.CopySource {
	key := c.CustomerKey
	return object.CopySource{Bucket: c.Bucket, Key: c.Key, VersionID: c.VersionID,
		Access: object.KeyAccess{Caller: call, CustomerKey: key},
		Check: func(v *kura.ObjectVersion) error {
			if err := c.Conditions(v.ETag, v.LastModified); err != nil {
				return err
			}
			return object.CheckCustomerKey(v.Encryption, key)
		}}
}

// CopyInput is CopyObject's. Target names the new object (its VersionID
// must be empty: a copy always makes a new version).
type CopyInput struct {
	Target
	Source CopySource

	// MetadataDirective is COPY ("" too: the source's content headers and
	// metadata) or REPLACE (Headers instead).
	MetadataDirective string
	Headers           kura.ContentHeaders
	// WebsiteRedirect, when set, is the copy's website redirect location
	// whatever the directive (S3 takes it from the request also when the
	// rest is copied).
	WebsiteRedirect string
	// TaggingDirective is COPY ("" too: the source's tags) or REPLACE
	// (Tags instead).
	TaggingDirective string
	Tags             []kura.Tag

	// ACL is the copy's ACL; a copy never inherits the source's.
	ACL ObjectACL
	// StorageClass is the copy's; "" is STANDARD (a copy does not keep
	// the source's class). Naming STANDARD counts as a change for a copy
	// onto the source itself.
	StorageClass string
	// ChecksumAlgorithm computes the copy's checksum with another
	// algorithm than the source's.
	ChecksumAlgorithm checksum.Algorithm
	// SSE is the copy's encryption; the zero value takes the bucket's
	// default. Its CustomerKey (SSE-C) is used to seal the copy, never
	// kept or logged.
	SSE object.SSERequest
	// Lock is the copy's own Object Lock settings: a copy never inherits
	// the source's retention or legal hold. RetainUntilDate is the date as
	// the caller wrote it, for the condition keys and errors ("" writes
	// Lock.Retention.Until in ISO 8601).
	Lock            object.Lock
	RetainUntilDate string
	// Cond are the conditions on the target (If-Match, If-None-Match).
	Cond object.WriteConditions
}

// CopyResult is what CopyObject made.
type CopyResult struct {
	// VersionID is the new version; object.NullVersion for the null
	// version (S3 then names none).
	VersionID string
	// SourceVersionID is the version copied; object.NullVersion for the
	// null version.
	SourceVersionID string
	// ETag is the copy's entity tag, unquoted.
	ETag         string
	LastModified time.Time
	Size         int64
	// Checksum is the copy's, when it has one.
	Checksum *kura.Checksum
	// Encryption is the copy's, without key material (PublicEncryption).
	Encryption kura.Encryption
}

// copyConditions are the condition keys a copy's input carries, as the
// HTTP front's headers would.
func (s *Service) copyConditions(call kura.Call, in CopyInput) map[string][]string {
	m := map[string][]string{"s3:x-amz-copy-source": {in.Source.String()}}
	if d := in.MetadataDirective; d != "" {
		m["s3:x-amz-metadata-directive"] = []string{d}
	}
	var tags []kura.Tag
	if in.TaggingDirective == DirectiveReplace {
		tags = in.Tags
	}
	s.writeConditions(m, call, newObject{SSE: in.SSE, StorageClass: in.StorageClass, ACL: in.ACL,
		Lock: in.Lock, RetainUntilDate: in.RetainUntilDate, Tags: tags})
	return m
}

// checkCopyInput checks what the HTTP front's header grammar would
// otherwise have refused, for callers that build the input themselves.
func checkCopyInput(in *CopyInput, now time.Time) error {
	if in.VersionID != "" {
		return s3err.InvalidArgument.WithMessage("A copy makes a new version: name the version to copy in the source, not the target.").
			With("ArgumentName", "versionId")
	}
	if in.Source.Bucket == "" || in.Source.Key == "" {
		return s3err.InvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
			With("ArgumentName", "x-amz-copy-source")
	}
	switch d := in.MetadataDirective; d {
	case "", DirectiveCopy, DirectiveReplace:
	default:
		return s3err.InvalidArgument.WithMessage("Unknown metadata directive.").With("ArgumentName", "x-amz-metadata-directive").With("ArgumentValue", d)
	}
	switch d := in.TaggingDirective; d {
	case "", DirectiveCopy, DirectiveReplace:
	default:
		return s3err.InvalidArgument.WithMessage("Unknown tagging directive.").With("ArgumentName", "x-amz-tagging-directive").With("ArgumentValue", d)
	}
	if err := CheckWebsiteRedirect(in.WebsiteRedirect); err != nil {
		return err
	}
	if in.MetadataDirective == DirectiveReplace {
		if err := CheckWebsiteRedirect(in.Headers.WebsiteRedirect); err != nil {
			return err
		}
		if err := checkMetadata(in.Headers.Metadata); err != nil {
			return err
		}
	}
	if in.TaggingDirective == DirectiveReplace {
		if err := object.ValidateTags(in.Tags, 10); err != nil {
			return err
		}
	}
	if err := CheckStorageClass(in.StorageClass); err != nil {
		return err
	}
	if a := in.ChecksumAlgorithm; a != "" {
		if _, ok := checksum.Parse(string(a)); !ok {
			return s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported.")
		}
	}
	if err := checkSSE(&in.SSE); err != nil {
		return err
	}
	return checkLock(in.Lock, in.RetainUntilDate, now)
}

// CopyObject copies an object version into a new version of the target:
// the source's data is decrypted and re-encrypted under a fresh data key
// with the target's encryption. Without a front it is authorized as S3
// authorizes a copy: s3:PutObject on the target (and s3:PutObjectTagging,
// s3:PutObjectAcl, s3:PutObjectRetention, s3:PutObjectLegalHold when the
// input sets those), then s3:GetObject (s3:GetObjectVersion for a named
// version) on the source, in the source bucket's account and under its
// policy and ACLs.
func (s *Service) CopyObject(ctx context.Context, call kura.Call, in CopyInput) (CopyResult, error) {
	if rt := in.Lock.Retention; rt != nil && in.RetainUntilDate == "" {
		in.RetainUntilDate = rt.Until.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	r, ctx := s.begin(ctx, call, specCopyObject, in.Target, s.copyConditions(call, in))
	tags := in.TaggingDirective == DirectiveReplace && len(in.Tags) > 0
	r.extra = writeActions(in.Lock, tags, in.ACL)
	if r.front == nil {
		r.rec.RequestParameters["x-amz-copy-source"] = in.Source.String()
		// The source object is the event's second resource, before the
		// bucket, as the HTTP front lists it.
		r.rec.Resources = slices.Insert(r.rec.Resources, 1,
			audit.Resource{Type: "AWS::S3::Object", ARN: access.ObjectARN(in.Source.Bucket, in.Source.Key)})
		if t := in.SSE.Type; t != kura.SSENone && t != kura.SSEC {
			r.rec.RequestParameters["x-amz-server-side-encryption"] = string(t)
		}
	}
	res, err := func() (CopyResult, error) {
		if err := r.authorize(ctx); err != nil {
			return CopyResult{}, err
		}
		if err := s.authorizeSource(ctx, r, in.Source); err != nil {
			return CopyResult{}, err
		}
		if err := checkCopyInput(&in, s.obj.Now()); err != nil {
			return CopyResult{}, err
		}
		owner, acl, err := s.NewObjectACL(ctx, r.call, r.bucket, in.ACL)
		if err != nil {
			return CopyResult{}, err
		}
		if err := CheckLockWrite(r.bucket, in.Lock, false, false); err != nil {
			return CopyResult{}, err
		}
		ci := object.CopyInput{Source: in.Source.Object(r.call), Bucket: in.Bucket, Key: in.Key,
			ReplaceMetadata: in.MetadataDirective == DirectiveReplace, Headers: in.Headers,
			ReplaceTags: in.TaggingDirective == DirectiveReplace, Tags: in.Tags,
			StorageClass: in.StorageClass, ChecksumAlgorithm: in.ChecksumAlgorithm,
			SSE: in.SSE, SSEGiven: in.SSE.Type != kura.SSENone, Access: object.KeyAccess{Caller: r.call},
			Owner: owner, ACL: acl, Cond: in.Cond, Lock: in.Lock, WebsiteRedirect: in.WebsiteRedirect}
		v, sv, err := s.obj.CopyObject(ctx, ci)
		if err != nil {
			return CopyResult{}, err
		}
		out := CopyResult{VersionID: v.VersionID, SourceVersionID: sv.VersionID, ETag: v.ETag,
			LastModified: v.LastModified, Size: v.Size, Checksum: v.Checksum, Encryption: PublicEncryption(v.Encryption)}
		r.versionResult(v)
		if sv.VersionID != object.NullVersion {
			r.respond("x-amz-copy-source-version-id", sv.VersionID)
		}
		r.respondSSE(out.Encryption)
		if r.front == nil {
			if n := SSEApplied(in.SSE.Type, v.Encryption.Type); n != "" {
				r.rec.AdditionalEventData["SSEApplied"] = n
			}
		}
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// authorizeSource loads the copy's source bucket (NoSuchBucket when
// there is none), checks its owner is the one the caller expects, and
// (without a front, which decided it) decides the read of the source.
func (s *Service) authorizeSource(ctx context.Context, r *run, src CopySource) error {
	sb, err := s.obj.Bucket(ctx, src.Bucket)
	if err != nil {
		return err
	}
	if want := src.ExpectedBucketOwner; want != "" && want != sb.Owner {
		return s3err.AccessDenied
	}
	if r.front != nil {
		return nil
	}
	action := "s3:GetObject"
	conds := make(map[string][]string, len(r.conds)+1)
	for k, v := range r.conds {
		conds[k] = v
	}
	if src.VersionID != "" {
		action = "s3:GetObjectVersion"
		conds["s3:versionid"] = []string{src.VersionID}
	}
	arn := access.ObjectARN(src.Bucket, src.Key)
	return Denial(s.authz.Authorize(ctx, access.Request{Call: r.call, Action: action, Resource: arn,
		Bucket: sb, Key: src.Key, VersionID: src.VersionID, Conditions: conds, Memo: &r.memo,
		// A copy onto itself reads the object it writes.
		CopySource: arn != access.ObjectARN(r.target.Bucket, r.target.Key)}))
}

// respondSSE adds the encryption response headers of a write's new
// object to its responseElements, as S3 sends them.
func (r *run) respondSSE(e kura.Encryption) {
	switch e.Type {
	case kura.SSES3:
		r.respond("x-amz-server-side-encryption", string(e.Type))
	case kura.SSEKMS, kura.SSEDSSE:
		r.respond("x-amz-server-side-encryption", string(e.Type))
		r.respond("x-amz-server-side-encryption-aws-kms-key-id", e.KMSKeyARN)
		if e.BucketKeyEnabled {
			r.respond("x-amz-server-side-encryption-bucket-key-enabled", "true")
		}
	case kura.SSEC:
		r.respond("x-amz-server-side-encryption-customer-algorithm", "AES256")
	}
}
