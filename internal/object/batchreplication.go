package object

import (
	"context"
	"errors"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// QueueBatchReplication is S3 Batch Replication's object side (a
// S3ReplicateObject task): it queues the version of bucket/key named by
// versionID ("" the newest, delete markers included) for replication to
// every destination its bucket's current replication configuration
// selects, whatever its replication status — never replicated (an object
// that existed before the configuration), FAILED, COMPLETED (replicated
// again) or REPLICA (a replica sent on to the bucket's own destinations,
// as S3 allows) — in one transaction. A source version becomes PENDING;
// a replica stays REPLICA.
//
// The entries are claimed until claim: the replicator's own passes leave
// them alone until then, so the caller attempts them at once
// (replication.Replicator.ReplicateQueued) and, if it dies, the replicator
// takes them over afterwards. An entry already queued for the version and
// destination is claimed and attempted again (its attempts are kept).
//
// Errors: NoSuchBucket, NoSuchKey, NoSuchVersion;
// ReplicationConfigurationNotFoundError when the bucket has none;
// InvalidRequest when its versioning is not Enabled or no enabled rule
// selects the version.
func (s *Service) QueueBatchReplication(ctx context.Context, bucket, key, versionID string, claim time.Time) ([]kura.ReplicationRun, error) {
	var runs []kura.ReplicationRun
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		runs = nil
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		if b.Replication == nil {
			return s3err.ReplicationConfigurationNotFound.With("BucketName", bucket)
		}
		if b.Versioning != "Enabled" {
			return s3err.InvalidRequest.WithMessage("Bucket %s cannot replicate: its versioning is not Enabled.", bucket)
		}
		var v *kura.ObjectVersion
		if versionID == "" {
			v, err = latest(tx, bucket, key)
		} else {
			v, err = findVersion(tx, bucket, key, versionID)
		}
		if err != nil {
			return err
		}
		targets := b.Replication.Targets(v.Key, v.Tags, v.Encryption.Type, v.DeleteMarker)
		if len(targets) == 0 {
			return s3err.InvalidRequest.WithMessage("No enabled replication rule of bucket %s selects version %s of %q (its prefix, tags, encryption or delete-marker setting).",
				bucket, v.VersionID, key)
		}
		for _, t := range targets {
			run := kura.ReplicationRun{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, Seq: v.Seq,
				RuleID: t.Rule.ID, Destination: t.Bucket, DeleteMarker: v.DeleteMarker, Size: v.Size, Queued: s.now()}
			if old, err := meta.ReplicationQueued(tx, &run); err == nil {
				run.Attempts, run.LastError = old.Attempts, old.LastError
				if !old.Metadata {
					run.Queued = old.Queued
				}
			} else if !errors.Is(err, meta.ErrNotFound) {
				return err
			}
			run.NextAttempt = claim.UTC()
			if err := meta.QueueReplication(tx, &run); err != nil {
				return err
			}
			runs = append(runs, run)
		}
		if v.ReplicationStatus == kura.ReplicationReplica || v.ReplicationStatus == kura.ReplicationPending {
			return nil
		}
		v.ReplicationStatus = kura.ReplicationPending
		return meta.PutVersion(tx, v)
	})
	return runs, s3err.Internal(err)
}
