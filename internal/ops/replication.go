package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var (
	specPutBucketReplication = spec{name: "PutBucketReplication", sub: "replication", management: true, status: statusOK,
		actions: []string{"s3:PutReplicationConfiguration"}}
	specGetBucketReplication = spec{name: "GetBucketReplication", sub: "replication", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetReplicationConfiguration"}}
	// S3 has no separate permission to delete a configuration.
	specDeleteBucketReplication = spec{name: "DeleteBucketReplication", sub: "replication", management: true, status: statusNoContent,
		actions: []string{"s3:PutReplicationConfiguration"}}
	// The replicator's figures of a bucket's rules are part of reading
	// its configuration (Kura's own operation).
	specGetBucketReplicationStatus = spec{name: "KuraGetBucketReplicationStatus", sub: "replication", management: true, readOnly: true,
		status: statusOK, actions: []string{"s3:GetReplicationConfiguration"}}
)

// Refusals of PutBucketReplication's destinations (S3's texts).
var (
	ErrReplicationVersioning = s3err.InvalidRequest.WithMessage("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
	errDestinationMissing    = s3err.InvalidRequest.WithMessage("Destination bucket must exist.")
	errDestinationIsSource   = s3err.InvalidRequest.WithMessage("Destination bucket cannot be the same as the source bucket.")
)

// ReplicationInput is PutBucketReplication's: the configuration, already
// checked as a document by the caller (the wire's parser).
type ReplicationInput struct {
	BucketTarget
	Config *kura.ReplicationConfiguration
}

// PutBucketReplication sets the bucket's replication configuration. The
// bucket must be versioned, and so must every destination of this
// deployment; a destination of a linked deployment is checked by the
// replicator when it replicates.
func (s *Service) PutBucketReplication(ctx context.Context, call kura.Call, in ReplicationInput) error {
	return s.bucketOp(ctx, call, specPutBucketReplication, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		if r.bucket.Versioning != "Enabled" {
			return ErrReplicationVersioning
		}
		// Whoever names the role S3 is to act as must be allowed to pass
		// it (AWS: "Setting up permissions for live replication"), so that
		// a user cannot borrow a role's permissions they lack. Decided on
		// the caller's identity policies alone: no bucket policy grants an
		// IAM action.
		if err := r.decide(ctx, access.Request{Action: "iam:PassRole", Resource: in.Config.Role}, nil); err != nil {
			return err
		}
		for _, rule := range in.Config.Rules {
			dst, err := s.obj.Bucket(ctx, rule.Destination.DestinationBucket())
			if s3err.Is(err, s3err.NoSuchBucket) && s.names != nil {
				// A bucket of a linked deployment (cross-region).
				v, err := s.names.RemoteVersioning(ctx, rule.Destination.DestinationBucket())
				if s3err.Is(err, s3err.NoSuchBucket) {
					return errDestinationMissing
				}
				if err != nil {
					return s3err.ServiceUnavailable.WithMessage("The destination bucket is at a linked deployment that cannot be reached to check it (%v); try again later.", err)
				}
				if v != "Enabled" {
					return object.ErrDestinationNotVersioned
				}
				continue
			}
			if s3err.Is(err, s3err.NoSuchBucket) {
				return errDestinationMissing
			}
			if err != nil {
				return err
			}
			if dst.Versioning != "Enabled" {
				return object.ErrDestinationNotVersioned
			}
			if dst.Name == r.bucket.Name {
				return errDestinationIsSource
			}
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			if b.Versioning != "Enabled" {
				return ErrReplicationVersioning
			}
			b.Replication = in.Config
			return nil
		})
	})
}

// GetBucketReplication returns the bucket's replication configuration;
// a bucket without one is ReplicationConfigurationNotFoundError.
func (s *Service) GetBucketReplication(ctx context.Context, call kura.Call, in BucketTarget) (*kura.ReplicationConfiguration, error) {
	return s.readReplication(ctx, call, specGetBucketReplication, in)
}

// GetBucketReplicationStatus is GetBucketReplication for Kura's
// KuraGetBucketReplicationStatus: the caller adds the replicator's
// figures for the rules it returns.
func (s *Service) GetBucketReplicationStatus(ctx context.Context, call kura.Call, in BucketTarget) (*kura.ReplicationConfiguration, error) {
	return s.readReplication(ctx, call, specGetBucketReplicationStatus, in)
}

func (s *Service) readReplication(ctx context.Context, call kura.Call, sp spec, in BucketTarget) (*kura.ReplicationConfiguration, error) {
	return bucketRead(ctx, s, call, sp, in, func(ctx context.Context, r *run) (*kura.ReplicationConfiguration, error) {
		if r.bucket.Replication == nil {
			return nil, s3err.ReplicationConfigurationNotFound.With("BucketName", r.bucket.Name)
		}
		return r.bucket.Replication, nil
	})
}

// DeleteBucketReplication removes the bucket's replication configuration
// (none is not an error). Versions already queued are failed by the
// replicator, which finds no rule for them.
func (s *Service) DeleteBucketReplication(ctx context.Context, call kura.Call, in BucketTarget) error {
	return s.bucketOp(ctx, call, specDeleteBucketReplication, in, nil, func(ctx context.Context, r *run) error {
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			b.Replication = nil
			return nil
		})
	})
}
