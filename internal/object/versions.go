package object

import (
	"context"
	"errors"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// NullVersion is the version id of objects written while versioning was
// never enabled or is suspended.
const NullVersion = "null"

// latest returns the current version of bucket/key (possibly a delete
// marker), or NoSuchKey.
func latest(tx meta.Tx, bucket, key string) (*kura.ObjectVersion, error) {
	v, err := meta.NewestVersion(tx, bucket, key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, s3err.NoSuchKey.With("Key", key)
	}
	return v, err
}

// findVersion returns the version with the given id, or NoSuchVersion.
func findVersion(tx meta.Tx, bucket, key, id string) (*kura.ObjectVersion, error) {
	notFound := s3err.NoSuchVersion.With("Key", key).With("VersionId", id)
	if id == NullVersion {
		vs, err := meta.VersionsOf(tx, bucket, key)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.VersionID == NullVersion {
				return v, nil
			}
		}
		return nil, notFound
	}
	seq, ok := seqOfVersionID(id)
	if !ok {
		return nil, s3err.InvalidArgument.WithMessage("Invalid version id specified").With("ArgumentName", "versionId").With("ArgumentValue", id)
	}
	ov, err := meta.GetVersion(tx, bucket, key, seq)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return nil, err
	}
	if err == nil && ov.VersionID == id {
		return ov, nil
	}
	// A replica from a linked deployment: its id's seq is the source's,
	// its place here another (meta.TableReplicaIDs).
	local, ok, err := meta.ReplicaSeq(tx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound
	}
	ov, err = meta.GetVersion(tx, bucket, key, local)
	if errors.Is(err, meta.ErrNotFound) || err == nil && ov.VersionID != id {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return ov, nil
}

// lookup resolves bucket/key[/versionID] inside a transaction. A current
// delete marker yields NoSuchKey with x-amz-delete-marker; addressing a
// delete marker by version id yields MethodNotAllowed, as S3 does.
func lookup(tx meta.Tx, bucket, key, versionID string) (*kura.ObjectVersion, error) {
	if _, err := getBucket(tx, bucket); err != nil {
		return nil, err
	}
	return lookupVersion(tx, bucket, key, versionID)
}

// lookupVersion is lookup in a bucket known to exist.
func lookupVersion(tx meta.Tx, bucket, key, versionID string) (*kura.ObjectVersion, error) {
	var v *kura.ObjectVersion
	var err error
	if versionID == "" {
		v, err = latest(tx, bucket, key)
	} else {
		v, err = findVersion(tx, bucket, key, versionID)
	}
	if err != nil {
		return nil, err
	}
	if v.DeleteMarker {
		lm := v.LastModified.Format("Mon, 02 Jan 2006 15:04:05 GMT")
		if versionID == "" {
			return nil, s3err.NoSuchKey.With("Key", key).WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", v.VersionID)
		}
		return nil, s3err.MethodNotAllowed.With("Method", "GET").With("ResourceType", "DeleteMarker").
			WithHeader("x-amz-delete-marker", "true").WithHeader("Last-Modified", lm).WithHeader("x-amz-version-id", v.VersionID)
	}
	return v, nil
}

// withMethod names method in the MethodNotAllowed that lookup gives for a
// delete marker addressed by version id (lookup words it for GET); other
// errors pass through.
func withMethod(err error, method string) error {
	var e *s3err.Error
	if !errors.As(err, &e) || e.Code != s3err.MethodNotAllowed.Code {
		return err
	}
	c := *e
	c.Extra = append([]s3err.Field(nil), e.Extra...)
	for i := range c.Extra {
		if c.Extra[i].Name == "Method" {
			c.Extra[i].Value = method
		}
	}
	return &c
}

// Head returns the metadata of an object version (the current one when
// versionID is empty).
func (s *Service) Head(ctx context.Context, bucket, key, versionID string) (*kura.ObjectVersion, error) {
	var v *kura.ObjectVersion
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		v, err = lookup(tx, bucket, key, versionID)
		return err
	})
	return v, s3err.Internal(err)
}

// install makes v the newest version of its key according to the bucket's
// versioning state, releasing the data of versions it replaces, and
// queues its replication: every write a user makes (PUT, CopyObject,
// CompleteMultipartUpload, a delete marker) commits through here.
func install(tx meta.Tx, b *kura.Bucket, v *kura.ObjectVersion, release func(...string) error) error {
	if err := queueReplication(tx, b, v); err != nil {
		return err
	}
	return installLocal(tx, b, v, release)
}

// installLocal is install without replication: for versions S3 does not
// replicate (delete markers a lifecycle rule places).
func installLocal(tx meta.Tx, b *kura.Bucket, v *kura.ObjectVersion, release func(...string) error) error {
	if b.Versioning == "Enabled" {
		return meta.PutVersion(tx, v)
	}
	// Unversioned or suspended: the new version is the null version and
	// replaces any existing null version.
	v.VersionID = NullVersion
	vs, err := meta.VersionsOf(tx, v.Bucket, v.Key)
	if err != nil {
		return err
	}
	for _, old := range vs {
		if old.VersionID == NullVersion {
			if err := meta.DeleteVersion(tx, old); err != nil {
				return err
			}
			if err := release(old.BlobIDs()...); err != nil {
				return err
			}
		}
	}
	return meta.PutVersion(tx, v)
}
