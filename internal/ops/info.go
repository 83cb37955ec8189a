package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// Reads of what an object, an upload or a bucket is — not its data:
// retention, legal hold, attributes, in-progress uploads, the bucket's
// region.

var (
	specGetObjectRetention = spec{name: "GetObjectRetention", sub: "retention", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObjectRetention"}}
	specGetObjectLegalHold = spec{name: "GetObjectLegalHold", sub: "legal-hold", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObjectLegalHold"}}
	specGetObjectAttributes = spec{name: "GetObjectAttributes", sub: "attributes", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObjectAttributes"}, versionActions: []string{"s3:GetObjectVersionAttributes"}}
	specListUploads = spec{name: "ListMultipartUploads", sub: "uploads", readOnly: true, status: statusOK,
		actions: []string{"s3:ListBucketMultipartUploads"}}
	specGetBucketLocation = spec{name: "GetBucketLocation", sub: "location", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketLocation"}}
)

// GetObjectRetention returns an object version's retention in a bucket
// with Object Lock; a version without one is
// NoSuchObjectLockConfiguration.
func (s *Service) GetObjectRetention(ctx context.Context, call kura.Call, in Target) (kura.Retention, error) {
	r, ctx := s.begin(ctx, call, specGetObjectRetention, in, nil)
	res, err := func() (kura.Retention, error) {
		if err := r.authorize(ctx); err != nil {
			return kura.Retention{}, err
		}
		v, err := s.obj.LockedVersion(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return kura.Retention{}, err
		}
		if v.Retention == nil {
			return kura.Retention{}, s3err.NoSuchObjectLockConfiguration
		}
		return *v.Retention, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// GetObjectLegalHold says whether an object version is under a legal
// hold; a version on which none was ever placed is
// NoSuchObjectLockConfiguration.
func (s *Service) GetObjectLegalHold(ctx context.Context, call kura.Call, in Target) (bool, error) {
	r, ctx := s.begin(ctx, call, specGetObjectLegalHold, in, nil)
	on, err := func() (bool, error) {
		if err := r.authorize(ctx); err != nil {
			return false, err
		}
		v, err := s.obj.LockedVersion(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return false, err
		}
		if !v.LegalHold && !v.LegalHoldSet {
			return false, s3err.NoSuchObjectLockConfiguration
		}
		return v.LegalHold, nil
	}()
	return on, r.finish(r.spec.status, err)
}

// AttributesInput is GetObjectAttributes'.
type AttributesInput struct {
	Target
	// CustomerKey is the SSE-C key of an object stored with one: S3
	// requires it to describe the object too.
	CustomerKey []byte
}

// GetObjectAttributes returns an object version's record (its ETag,
// size, storage class, checksum and parts) without key material.
func (s *Service) GetObjectAttributes(ctx context.Context, call kura.Call, in AttributesInput) (*kura.ObjectVersion, error) {
	r, ctx := s.begin(ctx, call, specGetObjectAttributes, in.Target, nil)
	res, err := func() (*kura.ObjectVersion, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return nil, err
		}
		if err := object.CheckCustomerKey(v.Encryption, in.CustomerKey); err != nil {
			return nil, err
		}
		pub := *v
		pub.Encryption = PublicEncryption(v.Encryption)
		return &pub, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// UploadsInput is ListMultipartUploads': a bucket's uploads in progress
// under Prefix, rolled up at Delimiter, after KeyMarker (and
// UploadIDMarker), at most MaxUploads (capped at 1000).
type UploadsInput struct {
	BucketTarget
	Prefix, Delimiter         string
	KeyMarker, UploadIDMarker string
	MaxUploads                int
}

// ListMultipartUploads lists a bucket's uploads in progress, by key and
// then initiation. The uploads listed carry no key material and name
// their owner and initiator by account id.
func (s *Service) ListMultipartUploads(ctx context.Context, call kura.Call, in UploadsInput) (*object.UploadsPage, error) {
	r, ctx := s.begin(ctx, call, specListUploads, in.target(), nil)
	res, err := func() (*object.UploadsPage, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		page, err := s.obj.ListUploads(ctx, object.UploadsInput{Bucket: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter,
			KeyMarker: in.KeyMarker, UploadIDMarker: in.UploadIDMarker, Max: min(max(in.MaxUploads, 0), 1000)})
		if err != nil {
			return nil, err
		}
		// Each listing decodes its own records: scrubbing them in place
		// touches no one else's.
		for _, u := range page.Uploads {
			u.Encryption = PublicEncryption(u.Encryption)
		}
		return page, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// GetBucketLocation returns the region the bucket is in.
func (s *Service) GetBucketLocation(ctx context.Context, call kura.Call, in BucketTarget) (string, error) {
	r, ctx := s.begin(ctx, call, specGetBucketLocation, in.target(), nil)
	region, err := func() (string, error) {
		if err := r.authorize(ctx); err != nil {
			return "", err
		}
		return r.bucket.Region, nil
	}()
	return region, r.finish(r.spec.status, err)
}
