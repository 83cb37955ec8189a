package replication

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Local is the Destination of buckets of this deployment: the replica is
// written by the same object service, its data key sealed by the same
// envelope (SSE-S3: the managed key; SSE-KMS: the built-in KMS, which
// authorizes kms:Encrypt / kms:GenerateDataKey on the replica key as the
// role, through S3 in this region).
type Local struct {
	Objects    *object.Service
	Authorizer *access.Authorizer
	// Remote marks the Local a link's Receiver stores with: its replicas
	// come from a linked deployment and take seqs of this store
	// (object.ReplicaInput.LocalSeq).
	Remote bool
}

var _ Destination = (*Local)(nil)

// bucket loads the destination bucket and checks what S3 checks before
// writing a replica: it exists, has versioning enabled and, when the rule
// names an account, is that account's.
func (l *Local) bucket(ctx context.Context, name, account string) (*kura.Bucket, error) {
	b, err := l.Objects.Bucket(ctx, name)
	if s3err.Is(err, s3err.NoSuchBucket) {
		return nil, &Failure{Reason: "DstBucketNotFound", Err: err}
	}
	if err != nil {
		return nil, err
	}
	if b.Versioning != "Enabled" {
		return nil, &Failure{Reason: "DstBucketUnversioned", Err: object.ErrDestinationNotVersioned}
	}
	if account != "" && account != b.Owner {
		return nil, &Failure{Reason: "DstBucketOwnerMismatch", Err: s3err.AccessDenied.WithMessage("The destination bucket is not owned by the account the replication rule names.")}
	}
	return b, nil
}

func (l *Local) authorize(ctx context.Context, as kura.Call, b *kura.Bucket, v *kura.ObjectVersion, action, reason string) error {
	return authorize(ctx, l.Authorizer, access.Request{Call: as, Action: action, Resource: access.ObjectARN(b.Name, v.Key),
		Bucket: b, Key: v.Key, NewObject: true}, reason)
}

// PutReplica stores r after deciding s3:ReplicateObject (and
// s3:ReplicateTags for a tagged version) on the destination object.
func (l *Local) PutReplica(ctx context.Context, as kura.Call, r Replica) error {
	b, err := l.bucket(ctx, r.Bucket, r.Account)
	if err != nil {
		return err
	}
	if err := l.authorize(ctx, as, b, r.Version, "s3:ReplicateObject", "DstPutObjectNotPermitted"); err != nil {
		return err
	}
	if (r.Version.Retention != nil || r.Version.LegalHold) && !b.ObjectLockEnabled {
		// The replica keeps the source's retention and legal hold, which
		// only a bucket with Object Lock can hold.
		return &Failure{Reason: "DstBucketObjectLockConfigMissing", Err: s3err.InvalidRequest.WithMessage("The destination bucket must have Object Lock enabled to hold a replica with a retention period or legal hold.")}
	}
	if len(r.Version.Tags) > 0 {
		if err := l.authorize(ctx, as, b, r.Version, "s3:ReplicateTags", "DstPutTaggingNotPermitted"); err != nil {
			return err
		}
	}
	in := object.ReplicaInput{Bucket: b.Name, Version: r.Version, StorageClass: r.StorageClass,
		Keys: r.Keys, Encryption: r.Seal.Keep, Ciphertext: r.Ciphertext, Access: object.KeyAccess{Caller: as}, LocalSeq: l.Remote,
		Target: sse.Request{Type: r.Seal.Type, KMSKeyID: r.Seal.KMSKeyID, Context: r.Seal.Context}}
	if r.OwnerOverride {
		in.Owner = b.Owner
	}
	if _, err := l.Objects.PutReplica(ctx, in); err != nil {
		if s3err.Is(err, s3err.AccessDenied) {
			return fail("DstKmsKeyEncryptNotPermitted", err)
		}
		if e := s3err.As(err); e != nil && e.Code == "KMS.NotFoundException" {
			return fail("DstKmsKeyNotFound", err)
		}
		return err
	}
	return nil
}

// PutDeleteMarker stores the replica of a delete marker after deciding
// s3:ReplicateDelete.
func (l *Local) PutDeleteMarker(ctx context.Context, as kura.Call, bucket string, dm *kura.ObjectVersion) error {
	b, err := l.bucket(ctx, bucket, "")
	if err != nil {
		return err
	}
	if err := l.authorize(ctx, as, b, dm, "s3:ReplicateDelete", "DstDelObjNotPermitted"); err != nil {
		return err
	}
	_, err = l.Objects.PutReplicaDeleteMarker(ctx, bucket, dm, l.Remote)
	return err
}

// PutMetadata applies v's metadata to its copy in bucket after deciding
// s3:ReplicateObject (and s3:ReplicateTags when v has tags).
func (l *Local) PutMetadata(ctx context.Context, as kura.Call, bucket string, v *kura.ObjectVersion, ownerOverride bool) error {
	b, err := l.bucket(ctx, bucket, "")
	if err != nil {
		return err
	}
	if err := l.authorize(ctx, as, b, v, "s3:ReplicateObject", "DstPutObjectNotPermitted"); err != nil {
		return err
	}
	if len(v.Tags) > 0 {
		if err := l.authorize(ctx, as, b, v, "s3:ReplicateTags", "DstPutTaggingNotPermitted"); err != nil {
			return err
		}
	}
	if (v.Retention != nil || v.LegalHold) && !b.ObjectLockEnabled {
		return &Failure{Reason: "DstBucketObjectLockConfigMissing", Err: s3err.InvalidRequest.WithMessage("The destination bucket must have Object Lock enabled to hold a replica with a retention period or legal hold.")}
	}
	if _, err := l.Objects.ApplyReplicaMetadata(ctx, bucket, v, ownerOverride); err != nil {
		if s3err.Is(err, s3err.NoSuchVersion) {
			return &Failure{Reason: "DstObjectNotFound", Err: err}
		}
		return err
	}
	return nil
}
