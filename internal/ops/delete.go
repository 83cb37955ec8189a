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

var specDeleteObjects = spec{name: "DeleteObjects", sub: "delete", status: statusOK}

// MaxDeleteObjects is how many keys one DeleteObjects may name.
const MaxDeleteObjects = 1000

// ObjectIdentifier names one object (and version) of a DeleteObjects.
type ObjectIdentifier struct {
	Key string
	// VersionID is the version deleted; "" deletes by the bucket's
	// versioning state, as DeleteObject does.
	VersionID string
}

// DeleteObjectsInput is DeleteObjects': keys of one bucket.
type DeleteObjectsInput struct {
	Bucket string
	// ExpectedBucketOwner, when set, is the account the caller expects to
	// own the bucket; another owner is AccessDenied.
	ExpectedBucketOwner string
	Objects             []ObjectIdentifier
	// BypassGovernance asks to delete versions under GOVERNANCE retention
	// (x-amz-bypass-governance-retention: true) for every key; it counts
	// only if the caller holds s3:BypassGovernanceRetention on the
	// bucket's objects. A bucket without Object Lock refuses it.
	BypassGovernance bool
}

// DeletedObject is one key's outcome in a DeleteObjects.
type DeletedObject struct {
	ObjectIdentifier
	// DeleteMarker: a delete marker was created (no version named) or
	// the version removed was one.
	DeleteMarker bool
	// DeleteMarkerVersionID is the version id of the marker created when
	// no version was named.
	DeleteMarkerVersionID string
	// Err is the key's error (refused or failed), nil when deleted. One
	// key's error does not stop the others.
	Err *s3err.Error
}

// DeleteObjectsResult is what DeleteObjects did, key by key in the order
// asked.
type DeleteObjectsResult struct {
	Objects []DeletedObject
}

// DeleteObjects deletes up to MaxDeleteObjects keys of one bucket. Each
// key is decided as its DeleteObject would be (s3:DeleteObject, or
// s3:DeleteObjectVersion for a version) and deleted as its DeleteObject
// would delete it, all in one metadata transaction: a key's refusal or
// failure is its result, not the operation's error. The
// operation fails as a whole only for what concerns every key (no such
// bucket, a bucket owner other than expected, an empty or too long list,
// the bypass in a bucket without Object Lock).
func (s *Service) DeleteObjects(ctx context.Context, call kura.Call, in DeleteObjectsInput) (DeleteObjectsResult, error) {
	r, ctx := s.begin(ctx, call, specDeleteObjects, Target{Bucket: in.Bucket, ExpectedBucketOwner: in.ExpectedBucketOwner}, nil)
	res, err := func() (DeleteObjectsResult, error) {
		if err := r.authorize(ctx); err != nil {
			return DeleteObjectsResult{}, err
		}
		if len(in.Objects) == 0 || len(in.Objects) > MaxDeleteObjects {
			return DeleteObjectsResult{}, s3err.MalformedXML
		}
		// The bypass is asked once for every key, and decided once on
		// the bucket's objects.
		bypass := false
		if in.BypassGovernance {
			if !r.bucket.ObjectLockEnabled {
				return DeleteObjectsResult{}, errBypassWithoutLock
			}
			bypass = r.check(ctx, "s3:BypassGovernanceRetention", access.ObjectARN(in.Bucket, "*"), nil) == nil
		}
		// Every key is decided first; the keys allowed are then deleted
		// in one metadata transaction (object.DeleteMany), each with the
		// outcome its own DeleteObject would have had.
		out := DeleteObjectsResult{Objects: make([]DeletedObject, len(in.Objects))}
		allowed := make([]object.DeleteInput, 0, len(in.Objects))
		at := make([]int, 0, len(in.Objects)) // allowed[j] is in.Objects[at[j]]
		for i, o := range in.Objects {
			out.Objects[i].ObjectIdentifier = o
			if err := r.checkDelete(ctx, o); err != nil {
				out.Objects[i].Err = s3err.As(err)
				continue
			}
			allowed = append(allowed, object.DeleteInput{Bucket: in.Bucket, Key: o.Key, VersionID: o.VersionID, BypassGovernance: bypass})
			at = append(at, i)
		}
		for j, res := range s.obj.DeleteMany(ctx, allowed) {
			d, o := &out.Objects[at[j]], in.Objects[at[j]]
			if res.Err != nil {
				d.Err = s3err.As(res.Err)
				if d.Err.Status >= 500 {
					s.log.Error("delete of one key failed", "operation", r.spec.name, "bucket", in.Bucket, "key", o.Key,
						"principal", r.call.Principal.ARN, "err", res.Err)
				}
				continue
			}
			d.DeleteMarker = res.DeleteMarker
			if res.DeleteMarker && o.VersionID == "" {
				d.DeleteMarkerVersionID = res.VersionID
			}
		}
		r.rec.Deleted = out.Objects // a front records its own (s3api)
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// checkDelete decides the delete of one key of a DeleteObjects, as a
// DeleteObject of that key would need it.
func (r *run) checkDelete(ctx context.Context, o ObjectIdentifier) error {
	req := access.Request{Action: "s3:DeleteObject", Resource: access.ObjectARN(r.target.Bucket, o.Key), Bucket: r.bucket,
		Key: o.Key, VersionID: o.VersionID}
	if o.VersionID == "" {
		return r.decide(ctx, req, nil)
	}
	req.Action = "s3:DeleteObjectVersion"
	return r.decide(ctx, req, map[string][]string{"s3:versionid": {o.VersionID}})
}
