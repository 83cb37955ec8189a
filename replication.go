package kura

import (
	"strings"
	"time"
)

// ReplicationConfiguration is a bucket's S3 replication configuration
// (PutBucketReplication, botocore's V2 schema): the role the replicator
// acts as and the rules that pick which new versions are copied where.
// internal/replication replicates; a version matched by an enabled rule
// is queued in the transaction that commits it.
type ReplicationConfiguration struct {
	// Role is the IAM role ARN the replicator assumes as s3.amazonaws.com.
	Role  string
	Rules []ReplicationRule
}

// ReplicationRule is one rule of a replication configuration.
type ReplicationRule struct {
	ID string
	// Priority decides between rules that match the same object for the
	// same destination: the highest wins (V2 rules, those with a Filter).
	Priority int
	// Status is "Enabled" or "Disabled".
	Status string
	// Prefix is the V1 rule form (no Filter): keys starting with it.
	Prefix string
	// Filter, when set, makes the rule a V2 rule; nil is the V1 form.
	Filter *ReplicationFilter
	// DeleteMarkerReplication is "Enabled", "Disabled" or "" (absent: V1
	// rules replicate delete markers, V2 rules require it to be given).
	DeleteMarkerReplication string
	// ExistingObjectReplication is "Enabled", "Disabled" or "" — kept as
	// configured; existing objects are replicated by Batch Replication.
	ExistingObjectReplication string
	// SseKmsEncryptedObjects is "Enabled", "Disabled" or "": only when
	// Enabled are SSE-KMS and DSSE-KMS versions replicated (seed 001).
	SseKmsEncryptedObjects string
	// ReplicaModifications is "Enabled", "Disabled" or "": when Enabled,
	// metadata changes of replicas (tags, ACL, lock) are replicated back.
	ReplicaModifications string
	Destination          ReplicationDestination
}

// ReplicationFilter selects the objects of a V2 rule: a Prefix, a Tag, or
// an And of a prefix and tags (exactly one is set; all empty matches every
// object).
type ReplicationFilter struct {
	Prefix string
	Tag    *Tag
	And    *ReplicationAnd
}

// ReplicationAnd is a filter's conjunction.
type ReplicationAnd struct {
	Prefix string
	Tags   []Tag
}

// ReplicationDestination is where a rule's replicas go.
type ReplicationDestination struct {
	// Bucket is the destination bucket ARN (arn:aws:s3:::name).
	Bucket string
	// Account, when set, is the destination bucket owner's account.
	Account string
	// StorageClass is the replicas' storage class ("": the source's).
	StorageClass string
	// OwnerOverride is AccessControlTranslation's Owner=Destination: the
	// replica is owned by the destination bucket's owner.
	OwnerOverride bool
	// ReplicaKmsKeyID is the KMS key (of the destination's region) that
	// SSE-KMS and DSSE-KMS replicas are sealed under.
	ReplicaKmsKeyID string
	// ReplicationTime (S3 RTC) and Metrics are kept as configured:
	// ReplicationTimeMinutes is 0 when ReplicationTime is absent.
	ReplicationTimeStatus  string
	ReplicationTimeMinutes int
	MetricsStatus          string
	// MetricsThresholdMinutes is Metrics' EventThreshold (0: absent).
	MetricsThresholdMinutes int
}

// The replication status of a version (x-amz-replication-status).
const (
	ReplicationPending   = "PENDING"
	ReplicationCompleted = "COMPLETED"
	ReplicationFailed    = "FAILED"
	ReplicationReplica   = "REPLICA"
)

// DestinationBucket is the name of the rule's destination bucket, from its
// ARN.
func (d ReplicationDestination) DestinationBucket() string {
	name, _ := strings.CutPrefix(d.Bucket, BucketARNPrefix)
	return name
}

// Enabled says the rule replicates.
func (r ReplicationRule) Enabled() bool { return r.Status == "Enabled" }

// V2 says the rule is of the V2 schema (it has a Filter).
func (r ReplicationRule) V2() bool { return r.Filter != nil }

// ReplicatesDeleteMarkers says a delete marker matched by the rule is
// replicated: V1 rules always do, V2 rules when DeleteMarkerReplication is
// Enabled.
func (r ReplicationRule) ReplicatesDeleteMarkers() bool {
	if !r.V2() {
		return true
	}
	return r.DeleteMarkerReplication == "Enabled"
}

// Matches says the rule's filter selects key with tags.
func (r ReplicationRule) Matches(key string, tags []Tag) bool {
	if r.Filter == nil {
		return strings.HasPrefix(key, r.Prefix)
	}
	f := r.Filter
	switch {
	case f.Tag != nil:
		return hasTag(tags, *f.Tag)
	case f.And != nil:
		if !strings.HasPrefix(key, f.And.Prefix) {
			return false
		}
		for _, t := range f.And.Tags {
			if !hasTag(tags, t) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(key, f.Prefix)
}

// HasTagFilter says the rule's filter tests tags.
func (r ReplicationRule) HasTagFilter() bool {
	return r.Filter != nil && (r.Filter.Tag != nil || r.Filter.And != nil && len(r.Filter.And.Tags) > 0)
}

func hasTag(tags []Tag, want Tag) bool {
	for _, t := range tags {
		if t == want {
			return true
		}
	}
	return false
}

// ReplicationTarget is one destination a version is replicated to, with
// the rule that chose it.
type ReplicationTarget struct {
	Rule ReplicationRule
	// Bucket is the destination bucket name.
	Bucket string
}

// Targets returns where a new version of key with tags, encrypted as enc
// (a delete marker when deleteMarker), is replicated: per destination
// bucket, the enabled matching rule of highest priority (the first in
// configuration order on a tie), in configuration order. A rule that
// does not opt into SSE-KMS objects does not select them (seed 001), and
// a delete marker only goes where the chosen rule replicates delete
// markers.
func (c *ReplicationConfiguration) Targets(key string, tags []Tag, enc SSEType, deleteMarker bool) []ReplicationTarget {
	if c == nil {
		return nil
	}
	var out []ReplicationTarget
	best := map[string]int{} // destination bucket → index in out
	for _, r := range c.Rules {
		if !r.Enabled() || !r.Matches(key, tags) {
			continue
		}
		if (enc == SSEKMS || enc == SSEDSSE) && r.SseKmsEncryptedObjects != "Enabled" {
			continue
		}
		dst := r.Destination.DestinationBucket()
		if i, ok := best[dst]; ok {
			if r.Priority > out[i].Rule.Priority {
				out[i].Rule = r
			}
			continue
		}
		best[dst] = len(out)
		out = append(out, ReplicationTarget{Rule: r, Bucket: dst})
	}
	if deleteMarker {
		kept := out[:0]
		for _, t := range out {
			if t.Rule.ReplicatesDeleteMarkers() && !t.Rule.HasTagFilter() {
				kept = append(kept, t)
			}
		}
		out = kept
	}
	return out
}

// MetadataTargets returns where a metadata change (tags, ACL, Object Lock
// settings) of an existing version is replicated: for a replica, back
// through the rules with ReplicaModifications Enabled; for a version
// replication selected when it was written, where its object went.
func (c *ReplicationConfiguration) MetadataTargets(v *ObjectVersion) []ReplicationTarget {
	if c == nil || v.DeleteMarker || v.ReplicationStatus == "" || v.ReplicationStatus == ReplicationFailed {
		return nil // never replicated (or failed): no replica to update
	}
	ts := c.Targets(v.Key, v.Tags, v.Encryption.Type, false)
	if v.ReplicationStatus != ReplicationReplica {
		return ts
	}
	kept := ts[:0]
	for _, t := range ts {
		if t.Rule.ReplicaModifications == "Enabled" {
			kept = append(kept, t)
		}
	}
	return kept
}

// ReplicationRun is Kura's record of one version queued for replication
// to one destination (internal/replication drains them).
type ReplicationRun struct {
	Bucket, Key, VersionID string
	// Seq is the source version's seq.
	Seq uint64
	// RuleID and Destination are the rule that chose the destination and
	// the destination bucket's name.
	RuleID      string
	Destination string
	// DeleteMarker says the version is a delete marker.
	DeleteMarker bool
	// Metadata says only the version's metadata (tags, ACL, Object Lock
	// settings) changed since it was replicated: the replica's is
	// brought up to date, its data is not sent again.
	Metadata bool
	// Size is the version's size (the pending bytes metric).
	Size int64
	// Queued is when the version was committed and queued.
	Queued time.Time
	// Attempts counts the failed tries so far, NextAttempt is when the next
	// one is due (zero: at once), LastError why the last one failed.
	Attempts    int
	NextAttempt time.Time
	LastError   string
}
