package object

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sort"
	"strings"

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
func (s *Service) CreateBucket(ctx context.Context, b meta.Bucket) error {
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
	rec, err := meta.Encode(b)
	if err != nil {
		return internal(err)
	}
	return internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		old, err := getBucket(tx, b.Name)
		switch {
		case err == nil && old.Owner == b.Owner && old.Region == "us-east-1":
			// S3's legacy rule for N. Virginia: re-creating a bucket you
			// own succeeds and "resets the bucket access control lists" to
			// the ACL the request gives (private without one); its objects,
			// configuration and policy stay. Everywhere else it is an error.
			old.ACL = b.ACL
			return putBucket(tx, old)
		case err == nil && old.Owner == b.Owner:
			return s3err.BucketAlreadyOwnedByYou.With("BucketName", b.Name)
		case err == nil:
			return s3err.BucketAlreadyExists.With("BucketName", b.Name)
		case !s3err.Is(err, s3err.NoSuchBucket):
			return err
		}
		return tx.Put(meta.TableBuckets, []byte(b.Name), rec)
	}))
}

func getBucket(tx meta.Tx, name string) (*meta.Bucket, error) {
	v, err := tx.Get(meta.TableBuckets, []byte(name))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, s3err.NoSuchBucket.With("BucketName", name)
	}
	if err != nil {
		return nil, err
	}
	var b meta.Bucket
	if err := meta.Decode(v, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func putBucket(tx meta.Tx, b *meta.Bucket) error {
	rec, err := meta.Encode(b)
	if err != nil {
		return err
	}
	return tx.Put(meta.TableBuckets, []byte(b.Name), rec)
}

// Bucket returns a bucket's record.
func (s *Service) Bucket(ctx context.Context, name string) (*meta.Bucket, error) {
	var b *meta.Bucket
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		b, err = getBucket(tx, name)
		return err
	})
	return b, internal(err)
}

// UpdateBucket applies fn to a bucket's record atomically.
func (s *Service) UpdateBucket(ctx context.Context, name string, fn func(b *meta.Bucket) error) error {
	return internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := getBucket(tx, name)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		return putBucket(tx, b)
	}))
}

// DeleteBucket removes an empty bucket and any multipart uploads left in it.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	return s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		prefix := meta.ObjectPrefix(name, "")
		if k, _ := tx.Cursor(meta.TableVersions).Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return s3err.BucketNotEmpty.With("BucketName", name)
		}
		var uploads [][]byte
		var ids []string
		c := tx.Cursor(meta.TableUploads)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var u meta.Upload
			if err := meta.Decode(v, &u); err != nil {
				return err
			}
			uploads = append(uploads, append([]byte(nil), k...))
			ids = append(ids, u.UploadID)
		}
		for i, k := range uploads {
			if err := deleteUploadParts(tx, ids[i], release); err != nil {
				return err
			}
			if err := tx.Delete(meta.TableUploads, k); err != nil {
				return err
			}
		}
		return tx.Delete(meta.TableBuckets, []byte(name))
	})
}

// ListBuckets returns the buckets owned by owner ("" for all), by name.
func (s *Service) ListBuckets(ctx context.Context, owner string) ([]meta.Bucket, error) {
	var out []meta.Bucket
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		c := tx.Cursor(meta.TableBuckets)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			var b meta.Bucket
			if err := meta.Decode(v, &b); err != nil {
				return err
			}
			if owner == "" || b.Owner == owner {
				out = append(out, b)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, internal(err)
}
