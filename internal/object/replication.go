package object

import (
	"context"
	"errors"
	"io"
	"reflect"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Replication, the object side: a version a replication rule selects is
// queued in the transaction that commits it (queueReplication, called by
// install), so a crash can never lose it; internal/replication drains the
// queue and comes back here to read the source (ReplicationSource,
// OpenCiphertext), to store a replica (PutReplica, PutReplicaDeleteMarker)
// and to record the outcome (FinishReplication, RetryReplication).

// queueReplication marks v PENDING and queues one replication entry per
// destination its bucket's rules select, inside the transaction that
// installs v. Replicas (REPLICA) are never queued again: bidirectional
// rules do not loop.
func queueReplication(tx meta.Tx, b *kura.Bucket, v *kura.ObjectVersion) error {
	if b.Replication == nil || b.Versioning != "Enabled" || v.ReplicationStatus == kura.ReplicationReplica {
		return nil
	}
	targets := b.Replication.Targets(v.Key, v.Tags, v.Encryption.Type, v.DeleteMarker)
	if len(targets) == 0 {
		return nil
	}
	v.ReplicationStatus = kura.ReplicationPending
	for _, t := range targets {
		run := &kura.ReplicationRun{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, Seq: v.Seq,
			RuleID: t.Rule.ID, Destination: t.Bucket, DeleteMarker: v.DeleteMarker, Size: v.Size, Queued: v.LastModified}
		if err := meta.QueueReplication(tx, run); err != nil {
			return err
		}
	}
	return nil
}

// queueMetadataReplication queues the replication of a metadata change of
// v (tags, ACL, retention, legal hold; before is v as it was), in the
// transaction that makes it: to v's replicas, or — v being a replica —
// back through its bucket's rules with ReplicaModifications Enabled. A
// change the replicator applies (ApplyReplicaMetadata) does not come
// through here, so a bidirectional pair does not loop. An entry already
// queued for the version and destination carries the change too (the
// replicator reads the version when it runs).
func queueMetadataReplication(tx meta.Tx, before, v *kura.ObjectVersion) error {
	if sameReplicatedMetadata(before, v) {
		return nil
	}
	b, err := getBucket(tx, v.Bucket)
	if err != nil {
		return err
	}
	if b.Versioning != "Enabled" {
		return nil
	}
	for _, t := range b.Replication.MetadataTargets(v) {
		run := &kura.ReplicationRun{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, Seq: v.Seq,
			RuleID: t.Rule.ID, Destination: t.Bucket, Metadata: true, Queued: v.LastModified}
		if _, err := meta.ReplicationQueued(tx, run); err == nil {
			continue
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if err := meta.QueueReplication(tx, run); err != nil {
			return err
		}
		if v.ReplicationStatus != kura.ReplicationReplica {
			v.ReplicationStatus = kura.ReplicationPending
		}
	}
	return nil
}

// sameReplicatedMetadata says a version's replicated metadata did not
// change: its tags, ACL, retention and legal hold.
func sameReplicatedMetadata(a, b *kura.ObjectVersion) bool {
	return reflect.DeepEqual(a.Tags, b.Tags) && reflect.DeepEqual(a.ACL, b.ACL) &&
		reflect.DeepEqual(a.Retention, b.Retention) && a.LegalHold == b.LegalHold && a.LegalHoldSet == b.LegalHoldSet
}

// ApplyReplicaMetadata brings the version of bucket with src's version id
// up to date with src's tags, ACL, retention and legal hold (a metadata
// change replicated to a replica, or back from one). It is not queued for
// replication again. NoSuchVersion when the version is not there (its
// object was not replicated).
func (s *Service) ApplyReplicaMetadata(ctx context.Context, bucket string, src *kura.ObjectVersion, keepACL bool) (*kura.ObjectVersion, error) {
	var out *kura.ObjectVersion
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		// By version id: a replica from a linked deployment is stored
		// under a seq of its own (findVersion).
		v, err := findVersion(tx, bucket, src.Key, src.VersionID)
		if err != nil {
			return err
		}
		v.Tags, v.Retention, v.LegalHold, v.LegalHoldSet = src.Tags, src.Retention, src.LegalHold, src.LegalHoldSet
		if !keepACL {
			v.ACL = src.ACL
		}
		out = v
		return meta.PutVersion(tx, v)
	})
	return out, s3err.Internal(err)
}

// ReplicationQueue returns up to limit queued replications after after
// (nil: from the first) and whether the queue was read to its end.
func (s *Service) ReplicationQueue(ctx context.Context, after *kura.ReplicationRun, limit int) ([]kura.ReplicationRun, bool, error) {
	var page []kura.ReplicationRun
	var done bool
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		page, done, err = meta.ReplicationQueue(tx, after, limit)
		return err
	})
	return page, done, err
}

// ReplicationSource returns the source version of a queued replication,
// delete markers included; NoSuchVersion when it is gone (a version
// delete, which S3 never replicates).
func (s *Service) ReplicationSource(ctx context.Context, run kura.ReplicationRun) (*kura.ObjectVersion, error) {
	var v *kura.ObjectVersion
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		got, err := meta.GetVersion(tx, run.Bucket, run.Key, run.Seq)
		if errors.Is(err, meta.ErrNotFound) || err == nil && got.VersionID != run.VersionID {
			return s3err.NoSuchVersion.With("Key", run.Key).With("VersionId", run.VersionID)
		}
		v = got
		return err
	})
	return v, s3err.Internal(err)
}

// OpenKeys opens the data keys of version v as acc (SSE-KMS and DSSE-KMS
// ask the KMS: kms:Decrypt as acc.Caller through S3). The keys stay in
// memory; the caller clears them.
func (s *Service) OpenKeys(ctx context.Context, v *kura.ObjectVersion, acc KeyAccess) (sse.DataKeys, error) {
	return s.env.Open(ctx, v.Encryption, v.Bucket, v.Key, acc)
}

// OpenCiphertext reads a stored blob as it is: ciphertext, never
// decrypted. Replication copies it to the replica's own blob.
func (s *Service) OpenCiphertext(ctx context.Context, blobID string) (io.ReadCloser, error) {
	r, err := s.blobs.Open(ctx, blobID)
	if err != nil {
		return nil, s3err.Internal(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(r, 0, r.Size()), r}, nil
}

// ReplicaInput is a replica to store: a version of another bucket whose
// data stays encrypted under its data keys.
type ReplicaInput struct {
	// Bucket is the destination bucket.
	Bucket string
	// Version is the source version's metadata (its Bucket is the
	// source's): key, version id and seq, Last-Modified, ETag, size,
	// checksum, headers, tags, Object Lock settings and parts are kept.
	Version *kura.ObjectVersion
	// StorageClass, when set, replaces the source's; Owner, when set,
	// owns the replica (owner override).
	StorageClass, Owner string
	// Keys are the source's plaintext data keys, sealed here for Target;
	// or, with Keys empty, Encryption is stored as it is (SSE-C: the seal
	// only the customer's key opens, bound to the source bucket).
	Keys       sse.DataKeys
	Target     sse.Request
	Encryption *kura.Encryption
	// Ciphertext reads a source blob as stored.
	Ciphertext func(ctx context.Context, blobID string) (io.ReadCloser, error)
	// Access is who seals (the replication role: kms:Encrypt,
	// kms:GenerateDataKey through S3).
	Access KeyAccess
	// LocalSeq stores the replica under a seq of this store, not the
	// source's, and indexes its version id (meta.TableReplicaIDs): the
	// source is a linked deployment, whose seqs come from another counter.
	LocalSeq bool
}

// ErrDestinationNotVersioned refuses a replica for a bucket whose
// versioning is not Enabled.
var ErrDestinationNotVersioned = s3err.InvalidRequest.WithMessage("Destination bucket must have versioning enabled.")

// PutReplica stores a replica in in.Bucket with the source's version id,
// status REPLICA. The data is copied as ciphertext; only the data key's
// seal is made for the destination. A replica of that version already
// there is kept (a retry after a crash does not duplicate it).
func (s *Service) PutReplica(ctx context.Context, in ReplicaInput) (*kura.ObjectVersion, error) {
	b, err := s.Bucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.Versioning != "Enabled" {
		return nil, ErrDestinationNotVersioned
	}
	src := in.Version
	if have, err := s.replicaOf(ctx, in.Bucket, src); have != nil || err != nil {
		return have, err
	}
	v := *src
	v.Bucket, v.ReplicationStatus, v.Restore, v.UploadID = in.Bucket, kura.ReplicationReplica, nil, ""
	if in.StorageClass != "" {
		v.StorageClass = in.StorageClass
		if v.StorageClass == ClassStandard {
			v.StorageClass = ""
		}
	}
	if in.Owner != "" {
		v.Owner, v.ACL = in.Owner, nil
	}
	if in.Encryption != nil {
		v.Encryption = *in.Encryption
	} else {
		if in.Target.Type == kura.SSEKMS && in.Target.BucketKey == nil && b.Encryption != nil {
			in.Target.BucketKey = &b.Encryption.BucketKeyEnabled
		}
		if v.Encryption, err = s.env.Seal(ctx, in.Keys, in.Target, in.Bucket, v.Key, in.Access); err != nil {
			return nil, err
		}
	}
	var written []string
	defer func() {
		for _, id := range written {
			s.writes.done(id)
		}
	}()
	copyBlob := func(id string) (string, error) {
		r, err := in.Ciphertext(ctx, id)
		if err != nil {
			return "", err
		}
		defer r.Close()
		nid := s.newBlobID()
		s.writes.add(nid)
		written = append(written, nid)
		if _, err := s.blobs.Put(ctx, nid, r); err != nil {
			return "", blobStoreError(err)
		}
		return nid, nil
	}
	discard := func() {
		for _, id := range written {
			s.discard(id)
		}
	}
	if v.BlobID != "" {
		if v.BlobID, err = copyBlob(v.BlobID); err != nil {
			discard()
			return nil, err
		}
	}
	v.Parts = append([]kura.Part(nil), v.Parts...)
	for i := range v.Parts {
		if v.Parts[i].BlobID, err = copyBlob(v.Parts[i].BlobID); err != nil {
			discard()
			return nil, err
		}
	}
	if err := s.commitReplica(ctx, &v, in.LocalSeq); err != nil {
		discard()
		return nil, err
	}
	return &v, nil
}

// PutReplicaDeleteMarker stores the replica of a delete marker.
// localSeq stores it under a seq of this store (a replica from a linked
// deployment, see PutReplica's LocalSeq).
func (s *Service) PutReplicaDeleteMarker(ctx context.Context, bucket string, src *kura.ObjectVersion, localSeq bool) (*kura.ObjectVersion, error) {
	b, err := s.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if b.Versioning != "Enabled" {
		return nil, ErrDestinationNotVersioned
	}
	if have, err := s.replicaOf(ctx, bucket, src); have != nil || err != nil {
		return have, err
	}
	dm := &kura.ObjectVersion{Bucket: bucket, Key: src.Key, VersionID: src.VersionID, Seq: src.Seq, DeleteMarker: true,
		LastModified: src.LastModified, Owner: src.Owner, ReplicationStatus: kura.ReplicationReplica}
	return dm, s.commitReplica(ctx, dm, localSeq)
}

// replicaOf returns the replica of src already in bucket, if any.
func (s *Service) replicaOf(ctx context.Context, bucket string, src *kura.ObjectVersion) (*kura.ObjectVersion, error) {
	var have *kura.ObjectVersion
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		v, err := findVersion(tx, bucket, src.Key, src.VersionID)
		if s3err.Is(err, s3err.NoSuchVersion) {
			return nil
		}
		if err != nil {
			return err
		}
		have = v
		return nil
	})
	return have, s3err.Internal(err)
}

// commitReplica installs a replica under the source's seq and version id
// (seqs come from one store-wide counter, so the source's is free in the
// destination; a remote destination will need its own, see
// docs/replication.md). It is not queued for replication again.
func (s *Service) commitReplica(ctx context.Context, v *kura.ObjectVersion, localSeq bool) error {
	return s3err.Internal(s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		b, err := getBucket(tx, v.Bucket)
		if err != nil {
			return err
		}
		if b.Versioning != "Enabled" {
			return ErrDestinationNotVersioned
		}
		if _, err := findVersion(tx, v.Bucket, v.Key, v.VersionID); err == nil {
			return nil // a concurrent attempt stored it
		} else if !s3err.Is(err, s3err.NoSuchVersion) {
			return err
		}
		if localSeq {
			// From a linked deployment: the id's seq is another
			// counter's; the replica is the newest version here, under a
			// seq of this store, found by its id through the index.
			seq, err := meta.NextVersionSeq(tx, v.Bucket, v.Key)
			if err != nil {
				return err
			}
			v.Seq = seq
			if err := meta.PutReplicaSeq(tx, v.Bucket, v.Key, v.VersionID, seq); err != nil {
				return err
			}
		}
		return meta.PutVersion(tx, v)
	}))
}

// FinishReplication records the outcome of a queued replication: the
// entry goes, and the source version becomes FAILED (failed non-nil) or,
// once no other destination is pending, COMPLETED — in one transaction.
// A source version deleted meanwhile only loses its entry.
func (s *Service) FinishReplication(ctx context.Context, run kura.ReplicationRun, failed error) error {
	return s3err.Internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := meta.UnqueueReplication(tx, &run); err != nil {
			return err
		}
		v, err := meta.GetVersion(tx, run.Bucket, run.Key, run.Seq)
		if errors.Is(err, meta.ErrNotFound) || err == nil && v.VersionID != run.VersionID {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case v.ReplicationStatus == kura.ReplicationReplica:
			return nil // a replica's metadata synced back: it stays REPLICA
		case failed != nil:
			v.ReplicationStatus = kura.ReplicationFailed
		case v.ReplicationStatus == kura.ReplicationFailed:
			return nil
		default:
			rest, err := meta.PendingReplications(tx, run.Bucket, run.Key, run.Seq)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return nil
			}
			v.ReplicationStatus = kura.ReplicationCompleted
		}
		return meta.PutVersion(tx, v)
	}))
}

// RetryReplication keeps a queued replication for another attempt at
// next, recording why this one failed.
func (s *Service) RetryReplication(ctx context.Context, run kura.ReplicationRun, why error, next time.Time) error {
	return s3err.Internal(s.meta.Update(ctx, func(tx meta.Tx) error {
		if _, err := meta.ReplicationQueued(tx, &run); errors.Is(err, meta.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		run.Attempts++
		run.NextAttempt, run.LastError = next.UTC(), why.Error()
		return meta.QueueReplication(tx, &run)
	}))
}
