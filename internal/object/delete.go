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
	var res DeleteResult
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		b, err := getBucket(tx, in.Bucket)
		if err != nil {
			return err
		}
		var refused error
		res, refused, err = s.deleteIn(tx, b, in, release)
		if err != nil {
			return err
		}
		return refused
	})
	return res, s3err.Internal(err)
}

// DeleteOutcome is one key's outcome in DeleteMany.
type DeleteOutcome struct {
	DeleteResult
	Err error // as Delete would have returned it
}

// DeleteMany deletes keys of one bucket, each as Delete would, in one
// metadata transaction (one commit, instead of one per key: issue 18).
// The outcomes are in the order of ins. A key refused before anything
// was written for it (Object Lock, an S3 error reading it) is that key's
// outcome and does not stop the others. If the transaction itself fails,
// the keys are deleted one by one with Delete, so every key still gets
// the outcome it would have had alone.
func (s *Service) DeleteMany(ctx context.Context, ins []DeleteInput) []DeleteOutcome {
	out := make([]DeleteOutcome, len(ins))
	if len(ins) == 0 {
		return out
	}
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		clear(out) // fn may be retried under group commit
		var b *kura.Bucket
		for i, in := range ins {
			if b == nil || b.Name != in.Bucket {
				var err error
				if b, err = getBucket(tx, in.Bucket); err != nil {
					return err
				}
			}
			res, refused, err := s.deleteIn(tx, b, in, release)
			if err != nil {
				return err
			}
			out[i] = DeleteOutcome{DeleteResult: res, Err: refused}
		}
		return nil
	})
	if err != nil {
		for i, in := range ins {
			res, err := s.Delete(ctx, in)
			out[i] = DeleteOutcome{DeleteResult: res, Err: err}
		}
	}
	return out
}

// deleteIn is Delete's work inside a transaction. refused is the key's
// S3 answer when it is refused before anything was written for it (the
// transaction may go on with other keys); err is any other failure, after
// which the transaction must be abandoned.
func (s *Service) deleteIn(tx meta.Tx, b *kura.Bucket, in DeleteInput, release func(...string) error) (res DeleteResult, refused, err error) {
	bucket, key, versionID := in.Bucket, in.Key, in.VersionID
	// before sorts an error met before any write: an S3 answer the key
	// may get alone, or a failure that ends the transaction.
	before := func(err error) (DeleteResult, error, error) {
		if e := s3err.As(err); e != nil && e.Status < 500 {
			return DeleteResult{}, err, nil
		}
		return DeleteResult{}, nil, err
	}
	if versionID != "" {
		v, err := findVersion(tx, bucket, key, versionID)
		if s3err.Is(err, s3err.NoSuchVersion) {
			return DeleteResult{VersionID: versionID}, nil, nil
		}
		if err != nil {
			return before(err)
		}
		if err := checkDelete(v, s.now(), in.BypassGovernance); err != nil {
			return before(err)
		}
		if err := meta.DeleteVersion(tx, v); err != nil {
			return DeleteResult{}, nil, err
		}
		return DeleteResult{VersionID: v.VersionID, DeleteMarker: v.DeleteMarker}, nil, release(v.BlobIDs()...)
	}
	if b.Versioning == "" {
		cur, err := latest(tx, bucket, key)
		if s3err.Is(err, s3err.NoSuchKey) {
			return DeleteResult{}, nil, nil
		}
		if err != nil {
			return before(err)
		}
		if err := meta.DeleteVersion(tx, cur); err != nil {
			return DeleteResult{}, nil, err
		}
		return DeleteResult{}, nil, release(cur.BlobIDs()...)
	}
	dm := &kura.ObjectVersion{Bucket: bucket, Key: key, DeleteMarker: true, LastModified: s.stamp()}
	if err := allocate(tx, dm); err != nil {
		return DeleteResult{}, nil, err
	}
	if err := install(tx, b, dm, release); err != nil {
		return DeleteResult{}, nil, err
	}
	return DeleteResult{VersionID: dm.VersionID, DeleteMarker: true}, nil, nil
}
