package object

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// ValidBucketName applies S3's general-purpose bucket naming rules.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// CreateBucket creates a bucket owned by owner.
func (s *Service) CreateBucket(ctx context.Context, b kura.Bucket) error {
	if !ValidBucketName(b.Name) {
		return s3err.InvalidBucketName.With("BucketName", b.Name)
	}
	b.Created = s.stamp()
	if b.Region == "" {
		b.Region = s.region
	}
	if b.ObjectLockEnabled {
		b.Versioning = "Enabled"
	}
	return s3err.Internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		old, err := getBucket(tx, b.Name)
		switch {
		case err == nil && old.Owner == b.Owner && old.Region == "us-east-1":
			// S3's legacy rule for N. Virginia: re-creating a bucket you
			// own succeeds and "resets the bucket access control lists" to
			// the ACL the request gives (private without one); its objects,
			// configuration and policy stay. Everywhere else it is an error.
			old.ACL = b.ACL
			return meta.PutBucket(tx, old)
		case err == nil && old.Owner == b.Owner:
			return s3err.BucketAlreadyOwnedByYou.With("BucketName", b.Name)
		case err == nil:
			return s3err.BucketAlreadyExists.With("BucketName", b.Name)
		case !s3err.Is(err, s3err.NoSuchBucket):
			return err
		}
		return meta.PutBucket(tx, &b)
	}))
}

// getBucket returns the bucket name, or NoSuchBucket.
func getBucket(tx meta.Tx, name string) (*kura.Bucket, error) {
	b, err := meta.GetBucket(tx, name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, s3err.NoSuchBucket.With("BucketName", name)
	}
	return b, err
}

// Bucket returns a bucket's record.
func (s *Service) Bucket(ctx context.Context, name string) (*kura.Bucket, error) {
	var b *kura.Bucket
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		b, err = getBucket(tx, name)
		return err
	})
	return b, s3err.Internal(err)
}

// UpdateBucket applies fn to a bucket's record atomically.
func (s *Service) UpdateBucket(ctx context.Context, name string, fn func(b *kura.Bucket) error) error {
	return s3err.Internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := getBucket(tx, name)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		return meta.PutBucket(tx, b)
	}))
}

// DeleteBucket removes an empty bucket and any multipart uploads left in it.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	return s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		b, err := getBucket(tx, name)
		if err != nil {
			return err
		}
		if meta.HasVersions(tx, name) {
			if b.Versioning != "" {
				// S3's wording for a bucket whose remaining objects may be
				// old versions and delete markers, invisible in a listing.
				return s3err.BucketNotEmpty.With("BucketName", name).
					WithMessage("The bucket you tried to delete is not empty. You must delete all versions in the bucket.")
			}
			return s3err.BucketNotEmpty.With("BucketName", name)
		}
		uploads, err := meta.Uploads(tx, name, "")
		if err != nil {
			return err
		}
		for _, u := range uploads {
			if err := deleteUploadParts(tx, u.UploadID, release); err != nil {
				return err
			}
			if err := meta.DeleteUpload(tx, u.Bucket, u.Key, u.UploadID); err != nil {
				return err
			}
		}
		return meta.DeleteBucket(tx, name)
	})
}

// ListBuckets returns the buckets owned by owner ("" for all), by name.
func (s *Service) ListBuckets(ctx context.Context, owner string) ([]kura.Bucket, error) {
	var out []kura.Bucket
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		out = out[:0]
		all, err := meta.Buckets(tx)
		if err != nil {
			return err
		}
		for _, b := range all {
			if owner == "" || b.Owner == owner {
				out = append(out, *b)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, s3err.Internal(err)
}
