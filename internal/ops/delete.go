package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var (
	specDeleteObject = spec{name: "DeleteObject", status: statusNoContent,
		actions: []string{"s3:DeleteObject"}, versionActions: []string{"s3:DeleteObjectVersion"}}
	specGetObjectTagging = spec{name: "GetObjectTagging", sub: "tagging", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObjectTagging"}, versionActions: []string{"s3:GetObjectVersionTagging"}}
)

// DeleteInput is DeleteObject's. There is no MFA: Kura does not support
// MFA delete (PutBucketVersioning refuses to enable it), and the HTTP
// front ignores x-amz-mfa as it always has.
type DeleteInput struct {
	Target
	// BypassGovernance asks to delete a version under GOVERNANCE
	// retention (x-amz-bypass-governance-retention: true); it counts only
	// if the caller holds s3:BypassGovernanceRetention on the object. A
	// bucket without Object Lock refuses it (InvalidArgument), as S3
	// refuses the header.
	BypassGovernance bool
}

// DeleteResult is what DeleteObject did.
type DeleteResult struct {
	// VersionID is the version removed or the delete marker created;
	// object.NullVersion for the null version, "" when nothing was
	// there (an unversioned bucket without the key).
	VersionID string
	// DeleteMarker: a delete marker was created (no version named) or
	// the version removed was one.
	DeleteMarker bool
}

// errBypassWithoutLock is S3's answer to the bypass header on a bucket
// without Object Lock.
var errBypassWithoutLock = s3err.InvalidArgument.WithMessage("x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.").
	With("ArgumentName", "x-amz-bypass-governance-retention")

// ErrBypassWithoutLock is that answer, for the HTTP front (which checks
// the header before the operation runs, and may be configured to ignore
// it instead).
func ErrBypassWithoutLock() error { return errBypassWithoutLock }

// DeleteObject deletes an object: without a version, by the bucket's
// versioning state (remove the null version, or add a delete marker);
// with one, that version (or delete marker), which Object Lock may
// protect.
func (s *Service) DeleteObject(ctx context.Context, call kura.Call, in DeleteInput) (DeleteResult, error) {
	r, ctx := s.begin(ctx, call, specDeleteObject, in.Target, nil)
	res, err := func() (DeleteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return DeleteResult{}, err
		}
		bypass := false
		if in.BypassGovernance {
			if !r.bucket.ObjectLockEnabled {
				return DeleteResult{}, errBypassWithoutLock
			}
			bypass = r.check(ctx, "s3:BypassGovernanceRetention", access.ObjectARN(in.Bucket, in.Key), nil) == nil
		}
		d, err := s.obj.Delete(ctx, object.DeleteInput{Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID,
			BypassGovernance: bypass})
		if err != nil {
			return DeleteResult{}, err
		}
		if d.DeleteMarker {
			r.respond("x-amz-delete-marker", "true")
		}
		// S3 names the version only when it is a marker or was asked for.
		if d.VersionID != "" && (d.DeleteMarker || in.VersionID != "") {
			r.respond("x-amz-version-id", d.VersionID)
		}
		return DeleteResult{VersionID: d.VersionID, DeleteMarker: d.DeleteMarker}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// TagsResult is GetObjectTagging's.
type TagsResult struct {
	VersionID string
	Tags      []kura.Tag
}

// GetObjectTagging returns the tags of an object version.
func (s *Service) GetObjectTagging(ctx context.Context, call kura.Call, in Target) (TagsResult, error) {
	r, ctx := s.begin(ctx, call, specGetObjectTagging, in, nil)
	res, err := func() (TagsResult, error) {
		if err := r.authorize(ctx); err != nil {
			return TagsResult{}, err
		}
		v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return TagsResult{}, err
		}
		return TagsResult{VersionID: v.VersionID, Tags: v.Tags}, nil
	}()
	return res, r.finish(r.spec.status, err)
}
