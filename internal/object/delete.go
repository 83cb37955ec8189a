package object

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// DeleteResult says what a DeleteObject did.
type DeleteResult struct {
	VersionID    string // the version removed, or the delete marker created
	DeleteMarker bool   // a delete marker was created or removed
}

// DeleteInput is a DeleteObject request (or one entry of DeleteObjects).
type DeleteInput struct {
	Bucket, Key, VersionID string
	// BypassGovernance lets a version under GOVERNANCE retention be
	// deleted: the request asked to and the caller may.
	BypassGovernance bool
}

// DeleteObject deletes bucket/key[/versionID] without bypassing
// GOVERNANCE retention; see Delete.
func (s *Service) DeleteObject(ctx context.Context, bucket, key, versionID string) (DeleteResult, error) {
	return s.Delete(ctx, DeleteInput{Bucket: bucket, Key: key, VersionID: versionID})
}

// Delete deletes in.Bucket/in.Key. Without a version id it follows the
// bucket's versioning state: remove the null version (unversioned), or add
// a delete marker (enabled, suspended). With one, it removes that version
// permanently, unless Object Lock protects it. Deleting something absent
// succeeds, as in S3.
func (s *Service) Delete(ctx context.Context, in DeleteInput) (DeleteResult, error) {
	bucket, key, versionID := in.Bucket, in.Key, in.VersionID
	var res DeleteResult
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		res = DeleteResult{}
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		if versionID != "" {
			v, err := findVersion(tx, bucket, key, versionID)
			if s3err.Is(err, s3err.NoSuchVersion) {
				res.VersionID = versionID
				return nil
			}
			if err != nil {
				return err
			}
			if err := checkDelete(v, s.now(), in.BypassGovernance); err != nil {
				return err
			}
			res = DeleteResult{VersionID: v.VersionID, DeleteMarker: v.DeleteMarker}
			if err := meta.DeleteVersion(tx, v); err != nil {
				return err
			}
			return release(v.BlobIDs()...)
		}
		if b.Versioning == "" {
			cur, err := latest(tx, bucket, key)
			if s3err.Is(err, s3err.NoSuchKey) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := meta.DeleteVersion(tx, cur); err != nil {
				return err
			}
			return release(cur.BlobIDs()...)
		}
		dm := &kura.ObjectVersion{Bucket: bucket, Key: key, DeleteMarker: true, LastModified: s.stamp()}
		if err := allocate(tx, dm); err != nil {
			return err
		}
		if err := install(tx, b, dm, release); err != nil {
			return err
		}
		res = DeleteResult{VersionID: dm.VersionID, DeleteMarker: true}
		return nil
	})
	return res, s3err.Internal(err)
}
