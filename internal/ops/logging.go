package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

var (
	specPutBucketLogging = spec{name: "PutBucketLogging", sub: "logging", management: true, status: statusOK,
		actions: []string{"s3:PutBucketLogging"}}
	specGetBucketLogging = spec{name: "GetBucketLogging", sub: "logging", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketLogging"}}
)

// Refusals of PutBucketLogging's target (S3's texts).
var (
	errLogTargetMissing = s3err.InvalidTargetBucketForLogging
	errLogTargetOwner   = s3err.InvalidTargetBucketForLogging.WithMessage("The owner for the bucket to be logged and the target bucket must be the same.")
	errLogTargetGrants  = s3err.InvalidTargetBucketForLogging.WithMessage("Target grants are not supported for buckets with the bucket owner enforced setting for Object Ownership.")
)

// LoggingInput is PutBucketLogging's: the bucket's LoggingEnabled, or nil
// to turn server access logging off.
type LoggingInput struct {
	BucketTarget
	Logging *kura.BucketLogging
}

// PutBucketLogging sets (or, with a nil Logging, removes) the bucket's
// server access logging. The target bucket must exist and have the same
// owner; whether the target lets the logging service write is checked at
// each delivery, as S3 does (a bucket policy allowing
// logging.s3.amazonaws.com s3:PutObject, or the LogDelivery group's WRITE
// in its ACL).
func (s *Service) PutBucketLogging(ctx context.Context, call kura.Call, in LoggingInput) error {
	return s.bucketOp(ctx, call, specPutBucketLogging, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		l := in.Logging
		if l != nil {
			if err := s.checkLogTarget(ctx, r.bucket, l); err != nil {
				return err
			}
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			b.Logging = l
			return nil
		})
	})
}

func (s *Service) checkLogTarget(ctx context.Context, src *kura.Bucket, l *kura.BucketLogging) error {
	switch l.PartitionDateSource {
	case "", "EventTime", "DeliveryTime":
	default:
		return s3err.MalformedXML
	}
	if l.PartitionDateSource != "" && !l.PartitionedPrefix {
		return s3err.MalformedXML
	}
	for _, g := range l.TargetGrants {
		switch g.Permission {
		case kura.PermissionFullControl, kura.PermissionRead, kura.PermissionWrite:
		default:
			return s3err.MalformedXML
		}
	}
	if l.TargetBucket == "" {
		return errLogTargetMissing
	}
	dst, err := s.obj.Bucket(ctx, l.TargetBucket)
	if s3err.Is(err, s3err.NoSuchBucket) {
		return errLogTargetMissing.With("TargetBucket", l.TargetBucket)
	}
	if err != nil {
		return err
	}
	if dst.Owner != src.Owner {
		return errLogTargetOwner.With("TargetBucket", l.TargetBucket)
	}
	if len(l.TargetGrants) > 0 && !dst.ACLsEnabled() {
		return errLogTargetGrants.With("TargetBucket", l.TargetBucket)
	}
	return nil
}

// GetBucketLogging returns the bucket's server access logging; nil means
// logging is off (S3 answers an empty BucketLoggingStatus, not an error).
func (s *Service) GetBucketLogging(ctx context.Context, call kura.Call, in BucketTarget) (*kura.BucketLogging, error) {
	return bucketRead(ctx, s, call, specGetBucketLogging, in, func(ctx context.Context, r *run) (*kura.BucketLogging, error) {
		return r.bucket.Logging, nil
	})
}
