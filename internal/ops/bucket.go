package ops

import (
	"context"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket operations as functions (the ones a console and a job's
// manifest or report writer need): create, head, delete, list, and the
// versioning and tagging configurations. They are management events.

var (
	specCreateBucket = spec{name: "CreateBucket", management: true, noBucket: true, status: statusOK,
		actions: []string{"s3:CreateBucket"}}
	specHeadBucket = spec{name: "HeadBucket", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:ListBucket"}}
	specDeleteBucket = spec{name: "DeleteBucket", management: true, status: statusNoContent,
		actions: []string{"s3:DeleteBucket"}}
	specListBuckets = spec{name: "ListBuckets", management: true, noBucket: true, readOnly: true, status: statusOK,
		actions: []string{"s3:ListAllMyBuckets"}}
	specPutBucketVersioning = spec{name: "PutBucketVersioning", sub: "versioning", management: true, status: statusOK,
		actions: []string{"s3:PutBucketVersioning"}}
	specGetBucketVersioning = spec{name: "GetBucketVersioning", sub: "versioning", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketVersioning"}}
	specPutBucketTagging = spec{name: "PutBucketTagging", sub: "tagging", management: true, status: statusNoContent,
		actions: []string{"s3:PutBucketTagging"}}
	specGetBucketTagging = spec{name: "GetBucketTagging", sub: "tagging", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketTagging"}}
	// S3 has no separate permission to delete a bucket's tags.
	specDeleteBucketTagging = spec{name: "DeleteBucketTagging", sub: "tagging", management: true, status: statusNoContent,
		actions: []string{"s3:PutBucketTagging"}}
)

// BucketTarget names a bucket an operation acts on.
type BucketTarget struct {
	Bucket string
	// ExpectedBucketOwner, when set, is the account the caller expects to
	// own the bucket; another owner is AccessDenied.
	ExpectedBucketOwner string
}

func (t BucketTarget) target() Target {
	return Target{Bucket: t.Bucket, ExpectedBucketOwner: t.ExpectedBucketOwner}
}

// CreateBucketInput is CreateBucket's.
type CreateBucketInput struct {
	Bucket string
	// LocationConstraint is the region asked for; "" or the
	// deployment's own region (a Kura deployment serves one).
	LocationConstraint string
	ObjectLockEnabled  bool
	// ObjectOwnership is BucketOwnerEnforced, BucketOwnerPreferred or
	// ObjectWriter; "" is S3's default, BucketOwnerEnforced (the HTTP
	// front passes its deployment's default instead).
	ObjectOwnership string
	// ACL is the bucket's ACL; under BucketOwnerEnforced only a private
	// one is accepted.
	ACL  ObjectACL
	Tags []kura.Tag
}

// CreateBucketResult is the bucket made.
type CreateBucketResult struct {
	Bucket, Region, ARN string
}

// CreateBucket creates a bucket owned by the caller's account.
func (s *Service) CreateBucket(ctx context.Context, call kura.Call, in CreateBucketInput) (CreateBucketResult, error) {
	var conds map[string][]string
	if in.ACL.Canned != "" {
		conds = map[string][]string{"s3:x-amz-acl": {in.ACL.Canned}}
	}
	r, ctx := s.begin(ctx, call, specCreateBucket, Target{Bucket: in.Bucket}, conds)
	res, err := func() (CreateBucketResult, error) {
		if err := r.authorize(ctx); err != nil {
			return CreateBucketResult{}, err
		}
		if lc := in.LocationConstraint; lc != "" && lc != s.region {
			return CreateBucketResult{}, s3err.InvalidLocationConstraint.With("LocationConstraint", lc)
		}
		ownership := in.ObjectOwnership
		switch ownership {
		case "":
			ownership = kura.BucketOwnerEnforced
		case kura.BucketOwnerEnforced, kura.BucketOwnerPreferred, kura.ObjectWriter:
		default:
			return CreateBucketResult{}, s3err.InvalidArgument.WithMessage("Invalid x-amz-object-ownership header: %s", ownership).
				With("ArgumentName", "x-amz-object-ownership").With("ArgumentValue", ownership)
		}
		acl, err := s.bucketACL(ctx, r.call, ownership, in.ACL)
		if err != nil {
			return CreateBucketResult{}, err
		}
		// Tags given at creation are the bucket's tags from the start,
		// under PutBucketTagging's rules.
		if len(in.Tags) > 0 {
			if err := object.ValidateTags(in.Tags, 50); err != nil {
				return CreateBucketResult{}, err
			}
		}
		if s.names != nil {
			// Linked deployments share one bucket namespace; the name is
			// reserved for this deployment first (docs/replication.md).
			if err := s.names.Reserve(ctx, in.Bucket); err != nil {
				return CreateBucketResult{}, err
			}
		}
		err = s.obj.CreateBucket(ctx, kura.Bucket{Name: in.Bucket, Owner: r.call.Principal.AccountID, Region: s.region,
			ObjectLockEnabled: in.ObjectLockEnabled, ObjectOwnership: ownership, ACL: acl, Tags: in.Tags})
		if err != nil {
			return CreateBucketResult{}, err
		}
		return CreateBucketResult{Bucket: in.Bucket, Region: s.region, ARN: "arn:aws:s3:::" + in.Bucket}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// bucketACL is the stored ACL of a bucket the caller creates with
// Object Ownership ownership.
func (s *Service) bucketACL(ctx context.Context, call kura.Call, ownership string, a ObjectACL) (*kura.ACL, error) {
	if !a.Given() {
		return nil, nil
	}
	if a.Canned != "" && len(a.Grants) > 0 {
		return nil, ErrACLBothWays
	}
	ownerID := s.ownerID(ctx, call, call.Principal.AccountID)
	grants := a.Grants
	if a.Canned != "" {
		var ok bool
		if grants, ok = CannedACL(a.Canned, ACLParties{Owner: ownerID, BucketOwner: ownerID, Bucket: true}); !ok {
			return nil, ErrUnknownCannedACL(a.Canned)
		}
	} else {
		var err error
		if grants, err = ResolveGrants(ctx, s.accounts, grants); err != nil {
			return nil, err
		}
	}
	if ownership == kura.BucketOwnerEnforced && !IsPrivateACL(grants, ownerID) {
		return nil, s3err.InvalidBucketAclWithObjectOwnership
	}
	return StoredACL(grants, ownerID), nil
}

// BucketResult is what HeadBucket says of a bucket.
type BucketResult struct {
	Bucket, Region, ARN string
}

// HeadBucket says whether the bucket exists and the caller may list it.
func (s *Service) HeadBucket(ctx context.Context, call kura.Call, in BucketTarget) (BucketResult, error) {
	r, ctx := s.begin(ctx, call, specHeadBucket, in.target(), nil)
	res, err := func() (BucketResult, error) {
		if err := r.authorize(ctx); err != nil {
			return BucketResult{}, err
		}
		return BucketResult{Bucket: r.bucket.Name, Region: r.bucket.Region, ARN: "arn:aws:s3:::" + r.bucket.Name}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// DeleteBucket removes an empty bucket (and the multipart uploads left in
// it).
func (s *Service) DeleteBucket(ctx context.Context, call kura.Call, in BucketTarget) error {
	r, ctx := s.begin(ctx, call, specDeleteBucket, in.target(), nil)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		if err := s.obj.DeleteBucket(ctx, in.Bucket); err != nil {
			return err
		}
		if s.names != nil {
			// The bucket is gone; a name the primary cannot release now
			// stays this deployment's (it can be made again here only).
			if err := s.names.Release(ctx, in.Bucket); err != nil {
				s.log.Warn("link: the bucket is deleted but its name is still reserved for this deployment", "bucket", in.Bucket, "err", err)
			}
		}
		return nil
	}()
	return r.finish(r.spec.status, err)
}

// ListBucketsInput is ListBuckets': the caller's buckets whose names
// start with Prefix, after ContinuationToken (a bucket name), at most
// MaxBuckets (1 to 10000; 0 is 10000).
type ListBucketsInput struct {
	Prefix            string
	ContinuationToken string
	MaxBuckets        int
}

// BucketEntry is one bucket of a listing.
type BucketEntry struct {
	Name    string
	Created time.Time
	Region  string
}

// ListBucketsResult is a page of the caller's buckets.
type ListBucketsResult struct {
	Buckets []BucketEntry
	// ContinuationToken, when set, continues the listing.
	ContinuationToken string
}

// ListBuckets lists the buckets of the caller's account, by name.
func (s *Service) ListBuckets(ctx context.Context, call kura.Call, in ListBucketsInput) (ListBucketsResult, error) {
	r, ctx := s.begin(ctx, call, specListBuckets, Target{}, nil)
	res, err := func() (ListBucketsResult, error) {
		if err := r.authorize(ctx); err != nil {
			return ListBucketsResult{}, err
		}
		max := in.MaxBuckets
		if max == 0 {
			max = 10000
		}
		if max < 1 || max > 10000 {
			return ListBucketsResult{}, s3err.InvalidArgument.WithMessage("max-buckets must be an integer between 1 and 10000").With("ArgumentName", "max-buckets")
		}
		all, err := s.obj.ListBuckets(ctx, r.call.Principal.AccountID)
		if err != nil {
			return ListBucketsResult{}, err
		}
		var out ListBucketsResult
		for _, b := range all {
			if !strings.HasPrefix(b.Name, in.Prefix) || (in.ContinuationToken != "" && b.Name <= in.ContinuationToken) {
				continue
			}
			if len(out.Buckets) == max {
				out.ContinuationToken = out.Buckets[len(out.Buckets)-1].Name
				break
			}
			out.Buckets = append(out.Buckets, BucketEntry{Name: b.Name, Created: b.Created, Region: b.Region})
		}
		return out, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// VersioningInput is PutBucketVersioning's: Status Enabled or Suspended.
// MFA delete is not supported.
type VersioningInput struct {
	BucketTarget
	Status    string
	MFADelete bool
}

// PutBucketVersioning enables or suspends versioning.
func (s *Service) PutBucketVersioning(ctx context.Context, call kura.Call, in VersioningInput) error {
	r, ctx := s.begin(ctx, call, specPutBucketVersioning, in.target(), nil)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		switch in.Status {
		case "Enabled", "Suspended":
		case "":
			return s3err.IllegalVersioningConfig
		default:
			// S3 checks Status against its schema's enumeration, so an
			// unknown value is MalformedXML, not
			// IllegalVersioningConfiguration.
			return s3err.MalformedXML
		}
		if in.MFADelete {
			return s3err.NotImplemented.WithMessage("MFA delete is not supported.")
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			if b.ObjectLockEnabled && in.Status != "Enabled" {
				return s3err.InvalidBucketState.WithMessage("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
			}
			b.Versioning = in.Status
			return nil
		})
	}()
	return r.finish(r.spec.status, err)
}

// GetBucketVersioning returns the bucket's versioning state: Enabled,
// Suspended, or "" for a bucket that never had versioning.
func (s *Service) GetBucketVersioning(ctx context.Context, call kura.Call, in BucketTarget) (string, error) {
	r, ctx := s.begin(ctx, call, specGetBucketVersioning, in.target(), nil)
	status, err := func() (string, error) {
		if err := r.authorize(ctx); err != nil {
			return "", err
		}
		return r.bucket.Versioning, nil
	}()
	return status, r.finish(r.spec.status, err)
}

// BucketTaggingInput is PutBucketTagging's: the tag set that replaces
// the bucket's (at most 50 tags).
type BucketTaggingInput struct {
	BucketTarget
	Tags []kura.Tag
}

// PutBucketTagging replaces the bucket's tags.
func (s *Service) PutBucketTagging(ctx context.Context, call kura.Call, in BucketTaggingInput) error {
	r, ctx := s.begin(ctx, call, specPutBucketTagging, in.target(), nil)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		if err := object.ValidateTags(in.Tags, 50); err != nil {
			return err
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.Tags = in.Tags; return nil })
	}()
	return r.finish(r.spec.status, err)
}

// GetBucketTagging returns the bucket's tags; a bucket without any is
// NoSuchTagSet.
func (s *Service) GetBucketTagging(ctx context.Context, call kura.Call, in BucketTarget) ([]kura.Tag, error) {
	r, ctx := s.begin(ctx, call, specGetBucketTagging, in.target(), nil)
	tags, err := func() ([]kura.Tag, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		if len(r.bucket.Tags) == 0 {
			return nil, s3err.NoSuchTagSet.With("BucketName", r.bucket.Name)
		}
		return r.bucket.Tags, nil
	}()
	return tags, r.finish(r.spec.status, err)
}

// DeleteBucketTagging removes the bucket's tags.
func (s *Service) DeleteBucketTagging(ctx context.Context, call kura.Call, in BucketTarget) error {
	r, ctx := s.begin(ctx, call, specDeleteBucketTagging, in.target(), nil)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.Tags = nil; return nil })
	}()
	return r.finish(r.spec.status, err)
}
