package meta

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
)

// recordVersion is the first byte of a JSON record (Encode, and buckets);
// version, upload and part records are written in the binary version 2
// (version_v2.go, upload_v2.go) and read in either (docs/formats.md).
const recordVersion = 1

// kuraPkg is the import path of the domain types, which Encode refuses:
// they have no storage tags, so encoding one directly would write a record
// nothing can read back as the format says.
var kuraPkg = reflect.TypeFor[kura.Bucket]().PkgPath()

// Encode serializes a record: a version byte, then JSON. It is the framing
// for records whose owner keeps its own record types (kms, iam, audit,
// the system table); buckets, versions, uploads and parts go through
// EncodeBucket, EncodeVersion, EncodeUpload and EncodeUploadPart.
func Encode(v any) ([]byte, error) {
	t := reflect.TypeOf(v)
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t != nil && t.PkgPath() == kuraPkg {
		return nil, fmt.Errorf("meta: Encode of a %s: use its typed encoder (meta/codec.go)", t)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordVersion}, j...), nil
}

// AppendJSONHeader appends the framing Encode puts before the JSON, for
// an owner that encodes its JSON itself (without reflection, for a record
// written on every request, like the audit outbox's): the result is what
// Encode would have given for the same JSON.
func AppendJSONHeader(b []byte) []byte { return append(b, recordVersion) }

// Decode parses a record written by Encode.
func Decode(b []byte, v any) error {
	if len(b) == 0 || b[0] != recordVersion {
		return fmt.Errorf("meta: unknown record version")
	}
	return json.Unmarshal(b[1:], v)
}

func encodeRecord(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordVersion}, j...), nil
}

// EncodeBucket serializes a bucket record (TableBuckets).
func EncodeBucket(b *kura.Bucket) ([]byte, error) { return encodeRecord(bucketToRecord(b)) }

// DecodeBucket parses a bucket record.
func DecodeBucket(raw []byte) (*kura.Bucket, error) {
	var r bucketRecord
	if err := Decode(raw, &r); err != nil {
		return nil, err
	}
	return r.kura(), nil
}

// EncodeVersion serializes an object version record (TableVersions) in the
// binary record version 2 (version_v2.go; docs/formats.md): the record
// read on every GET, HEAD, listed entry and re-key.
func EncodeVersion(v *kura.ObjectVersion) ([]byte, error) {
	return appendVersion(make([]byte, 0, 512), v)
}

// DecodeVersion parses an object version record of either version: 2
// (binary), or 1 (JSON), which every data directory written before
// version 2 holds and which no one rewrites.
func DecodeVersion(raw []byte) (*kura.ObjectVersion, error) {
	if len(raw) > 0 && raw[0] == versionRecordV2 {
		return decodeVersionV2(raw[1:])
	}
	var r versionRecord
	if err := Decode(raw, &r); err != nil {
		return nil, err
	}
	v := r.kura()
	emptyToNil(v)
	return v, nil
}

// emptyToNil makes the lists a JSON version record leaves out when empty
// (omitempty) nil when a record spelled them empty ("parts":[]), which no
// encoder of Kura ever wrote: so a JSON record reads as the same value
// whatever encoding is written next (FuzzDecodeVersion).
func emptyToNil(v *kura.ObjectVersion) {
	if len(v.Tags) == 0 {
		v.Tags = nil
	}
	if len(v.Parts) == 0 {
		v.Parts = nil
	}
	if len(v.Metadata) == 0 {
		v.Metadata = nil
	}
	if len(v.Inline) == 0 {
		v.Inline = nil // "inline":"" is no inline data, as version 2 has it
	}
	encryptionEmptyToNil(&v.Encryption)
}

// encryptionEmptyToNil does emptyToNil's work for the byte strings of an
// encryption block that JSON leaves out when empty (all but sealedKey).
func encryptionEmptyToNil(e *kura.Encryption) {
	for _, b := range []*[]byte{&e.SealedKey2, &e.BucketKeyBlob, &e.CustomerKeySalt, &e.CustomerKeyHMAC} {
		if len(*b) == 0 {
			*b = nil
		}
	}
}

// EncodeVersionV1 is the JSON record version 1 of an object version, which
// EncodeVersion wrote before version 2: for tests that need records as a
// data directory written by an older Kura holds them. Nothing else writes
// version 1.
func EncodeVersionV1(v *kura.ObjectVersion) ([]byte, error) {
	return encodeRecord(versionToRecord(v))
}

// EncodeUpload serializes a multipart upload record (TableUploads) in the
// binary record version 2 (upload_v2.go; docs/formats.md).
func EncodeUpload(u *kura.Upload) ([]byte, error) {
	return appendUpload(make([]byte, 0, 512), u)
}

// DecodeUpload parses a multipart upload record of either version: 2
// (binary), or 1 (JSON), which uploads begun before version 2 hold.
func DecodeUpload(raw []byte) (*kura.Upload, error) {
	if len(raw) > 0 && raw[0] == uploadRecordV2 {
		return decodeUploadV2(raw[1:])
	}
	var r uploadRecord
	if err := Decode(raw, &r); err != nil {
		return nil, err
	}
	u := r.kura()
	// As for versions (emptyToNil): what JSON leaves out when empty reads
	// as nil however the record spelled it.
	if len(u.Tags) == 0 {
		u.Tags = nil
	}
	if len(u.Metadata) == 0 {
		u.Metadata = nil
	}
	encryptionEmptyToNil(&u.Encryption)
	return u, nil
}

// EncodeUploadV1 is the JSON record version 1 of an upload, which
// EncodeUpload wrote before version 2: for tests that need records as a
// data directory written by an older Kura holds them (EncodeVersionV1).
func EncodeUploadV1(u *kura.Upload) ([]byte, error) { return encodeRecord(uploadToRecord(u)) }

// EncodeUploadPart serializes an upload part record (TableParts) in the
// binary record version 2 (upload_v2.go): CompleteMultipartUpload and
// ListParts read one per part.
func EncodeUploadPart(p *kura.UploadPart) ([]byte, error) {
	return appendUploadPart(make([]byte, 0, partRecordSize(p)), p)
}

// DecodeUploadPart parses an upload part record of either version: 2
// (binary) or 1 (JSON).
func DecodeUploadPart(raw []byte) (*kura.UploadPart, error) {
	if len(raw) > 0 && raw[0] == partRecordV2 {
		return decodeUploadPartV2(raw[1:])
	}
	var r uploadPartRecord
	if err := Decode(raw, &r); err != nil {
		return nil, err
	}
	p := kura.UploadPart(r)
	return &p, nil
}

// EncodeUploadPartV1 is the JSON record version 1 of a part, which
// EncodeUploadPart wrote before version 2: for tests (EncodeVersionV1).
func EncodeUploadPartV1(p *kura.UploadPart) ([]byte, error) {
	return encodeRecord(uploadPartRecord(*p))
}

// Conversions between records and kura values. Nil stays nil and empty
// stays empty: for fields without omitempty the encoding tells them apart
// ("grants":null and "grants":[]), and a record must re-encode to its
// own bytes.

func bucketToRecord(b *kura.Bucket) bucketRecord {
	return bucketRecord{
		Name: b.Name, Created: b.Created, Region: b.Region, Owner: b.Owner, Versioning: b.Versioning,
		ObjectLockEnabled: b.ObjectLockEnabled,
		Tags:              conv.Slice(b.Tags, tagToRecord),
		Encryption:        conv.Ptr(b.Encryption, func(e kura.BucketEncryption) bucketEncryptionRecord { return bucketEncryptionRecord(e) }),
		ObjectLockRule:    conv.Ptr(b.ObjectLockRule, func(l kura.LockRule) lockRuleRecord { return lockRuleRecord(l) }),
		Policy:            b.Policy,
		CORS:              conv.Slice(b.CORS, func(c kura.CORSRule) corsRuleRecord { return corsRuleRecord(c) }),
		Lifecycle:         conv.Slice(b.Lifecycle, lifecycleRuleToRecord),
		ObjectOwnership:   b.ObjectOwnership,
		ACL:               conv.Ptr(b.ACL, aclToRecord),
		PublicAccessBlock: conv.Ptr(b.PublicAccessBlock, func(p kura.PublicAccessBlock) publicAccessBlockRecord { return publicAccessBlockRecord(p) }),
		Website:           conv.Ptr(b.Website, websiteToRecord),
		Inventory:         conv.Slice(b.Inventory, inventoryToRecord),
		Replication:       conv.Ptr(b.Replication, replicationToRecord),
		Logging:           conv.Ptr(b.Logging, loggingToRecord),
	}
}

func (r *bucketRecord) kura() *kura.Bucket {
	return &kura.Bucket{
		Name: r.Name, Created: r.Created, Region: r.Region, Owner: r.Owner, Versioning: r.Versioning,
		ObjectLockEnabled: r.ObjectLockEnabled,
		Tags:              conv.Slice(r.Tags, tagRecord.kura),
		Encryption:        conv.Ptr(r.Encryption, func(e bucketEncryptionRecord) kura.BucketEncryption { return kura.BucketEncryption(e) }),
		ObjectLockRule:    conv.Ptr(r.ObjectLockRule, func(l lockRuleRecord) kura.LockRule { return kura.LockRule(l) }),
		Policy:            r.Policy,
		CORS:              conv.Slice(r.CORS, func(c corsRuleRecord) kura.CORSRule { return kura.CORSRule(c) }),
		Lifecycle:         conv.Slice(r.Lifecycle, lifecycleRuleRecord.kura),
		ObjectOwnership:   r.ObjectOwnership,
		ACL:               conv.Ptr(r.ACL, aclRecord.kura),
		PublicAccessBlock: conv.Ptr(r.PublicAccessBlock, func(p publicAccessBlockRecord) kura.PublicAccessBlock { return kura.PublicAccessBlock(p) }),
		Website:           conv.Ptr(r.Website, websiteRecord.kura),
		Inventory:         conv.Slice(r.Inventory, inventoryRecord.kura),
		Replication:       conv.Ptr(r.Replication, replicationRecord.kura),
		Logging:           conv.Ptr(r.Logging, loggingRecord.kura),
	}
}

func versionToRecord(v *kura.ObjectVersion) versionRecord {
	return versionRecord{
		Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, Seq: v.Seq, DeleteMarker: v.DeleteMarker,
		LastModified: v.LastModified, Owner: v.Owner,
		Size: v.Size, ETag: v.ETag, StorageClass: v.StorageClass,
		Checksum:             conv.Ptr(v.Checksum, func(c kura.Checksum) checksumRecord { return checksumRecord(c) }),
		contentHeadersRecord: contentHeadersRecord(v.ContentHeaders),
		Tags:                 conv.Slice(v.Tags, tagToRecord),
		BlobID:               v.BlobID,
		Inline:               v.Inline,
		Parts:                conv.Slice(v.Parts, func(p kura.Part) partRecord { return partRecord(p) }),
		Encryption:           encryptionRecord(v.Encryption),
		UploadID:             v.UploadID,
		Retention:            conv.Ptr(v.Retention, retentionToRecord),
		LegalHold:            v.LegalHold, LegalHoldSet: v.LegalHoldSet,
		Restore: conv.Ptr(v.Restore, func(r kura.Restore) restoreRecord { return restoreRecord(r) }),
		ACL:     conv.Ptr(v.ACL, aclToRecord),

		ReplicationStatus: v.ReplicationStatus,
	}
}

func (r *versionRecord) kura() *kura.ObjectVersion {
	return &kura.ObjectVersion{
		Bucket: r.Bucket, Key: r.Key, VersionID: r.VersionID, Seq: r.Seq, DeleteMarker: r.DeleteMarker,
		LastModified: r.LastModified, Owner: r.Owner,
		Size: r.Size, ETag: r.ETag, StorageClass: r.StorageClass,
		Checksum:       conv.Ptr(r.Checksum, func(c checksumRecord) kura.Checksum { return kura.Checksum(c) }),
		ContentHeaders: kura.ContentHeaders(r.contentHeadersRecord),
		Tags:           conv.Slice(r.Tags, tagRecord.kura),
		BlobID:         r.BlobID,
		Inline:         r.Inline,
		Parts:          conv.Slice(r.Parts, func(p partRecord) kura.Part { return kura.Part(p) }),
		Encryption:     kura.Encryption(r.Encryption),
		UploadID:       r.UploadID,
		Retention:      conv.Ptr(r.Retention, retentionRecord.kura),
		LegalHold:      r.LegalHold, LegalHoldSet: r.LegalHoldSet,
		Restore: conv.Ptr(r.Restore, func(x restoreRecord) kura.Restore { return kura.Restore(x) }),
		ACL:     conv.Ptr(r.ACL, aclRecord.kura),

		ReplicationStatus: r.ReplicationStatus,
	}
}

func uploadToRecord(u *kura.Upload) uploadRecord {
	return uploadRecord{
		Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated, Owner: u.Owner,
		Initiator: u.Initiator, StorageClass: u.StorageClass,
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
		contentHeadersRecord: contentHeadersRecord(u.ContentHeaders),
		Tags:                 conv.Slice(u.Tags, tagToRecord),
		Encryption:           encryptionRecord(u.Encryption),
		Retention:            conv.Ptr(u.Retention, retentionToRecord),
		LegalHold:            u.LegalHold, LegalHoldSet: u.LegalHoldSet,
		ACL: conv.Ptr(u.ACL, aclToRecord),
	}
}

func (r *uploadRecord) kura() *kura.Upload {
	return &kura.Upload{
		Bucket: r.Bucket, Key: r.Key, UploadID: r.UploadID, Initiated: r.Initiated, Owner: r.Owner,
		Initiator: r.Initiator, StorageClass: r.StorageClass,
		ChecksumAlgorithm: r.ChecksumAlgorithm, ChecksumType: r.ChecksumType,
		ContentHeaders: kura.ContentHeaders(r.contentHeadersRecord),
		Tags:           conv.Slice(r.Tags, tagRecord.kura),
		Encryption:     kura.Encryption(r.Encryption),
		Retention:      conv.Ptr(r.Retention, retentionRecord.kura),
		LegalHold:      r.LegalHold, LegalHoldSet: r.LegalHoldSet,
		ACL: conv.Ptr(r.ACL, aclRecord.kura),
	}
}

func websiteToRecord(w kura.Website) websiteRecord {
	return websiteRecord{
		IndexDocument: w.IndexDocument, ErrorDocument: w.ErrorDocument,
		RedirectAllRequestsTo: conv.Ptr(w.RedirectAllRequestsTo, func(r kura.WebsiteRedirectAll) websiteRedirectAllRecord {
			return websiteRedirectAllRecord(r)
		}),
		RoutingRules: conv.Slice(w.RoutingRules, func(r kura.RoutingRule) routingRuleRecord {
			return routingRuleRecord{
				Condition: conv.Ptr(r.Condition, func(c kura.RoutingCondition) routingConditionRecord { return routingConditionRecord(c) }),
				Redirect:  routingRedirectRecord(r.Redirect),
			}
		}),
	}
}

func (r websiteRecord) kura() kura.Website {
	return kura.Website{
		IndexDocument: r.IndexDocument, ErrorDocument: r.ErrorDocument,
		RedirectAllRequestsTo: conv.Ptr(r.RedirectAllRequestsTo, func(x websiteRedirectAllRecord) kura.WebsiteRedirectAll {
			return kura.WebsiteRedirectAll(x)
		}),
		RoutingRules: conv.Slice(r.RoutingRules, func(x routingRuleRecord) kura.RoutingRule {
			return kura.RoutingRule{
				Condition: conv.Ptr(x.Condition, func(c routingConditionRecord) kura.RoutingCondition { return kura.RoutingCondition(c) }),
				Redirect:  kura.RoutingRedirect(x.Redirect),
			}
		}),
	}
}

func tagToRecord(t kura.Tag) tagRecord { return tagRecord(t) }
func (r tagRecord) kura() kura.Tag     { return kura.Tag(r) }

func retentionToRecord(r kura.Retention) retentionRecord { return retentionRecord(r) }
func (r retentionRecord) kura() kura.Retention           { return kura.Retention(r) }

func aclToRecord(a kura.ACL) aclRecord {
	return aclRecord{Grants: conv.Slice(a.Grants, func(g kura.Grant) grantRecord { return grantRecord(g) })}
}

func (r aclRecord) kura() kura.ACL {
	return kura.ACL{Grants: conv.Slice(r.Grants, func(g grantRecord) kura.Grant { return kura.Grant(g) })}
}

func loggingToRecord(l kura.BucketLogging) loggingRecord {
	return loggingRecord{TargetBucket: l.TargetBucket, TargetPrefix: l.TargetPrefix,
		TargetGrants:      conv.Slice(l.TargetGrants, func(g kura.Grant) grantRecord { return grantRecord(g) }),
		PartitionedPrefix: l.PartitionedPrefix, PartitionDateSource: l.PartitionDateSource}
}

func (r loggingRecord) kura() kura.BucketLogging {
	return kura.BucketLogging{TargetBucket: r.TargetBucket, TargetPrefix: r.TargetPrefix,
		TargetGrants:      conv.Slice(r.TargetGrants, func(g grantRecord) kura.Grant { return kura.Grant(g) }),
		PartitionedPrefix: r.PartitionedPrefix, PartitionDateSource: r.PartitionDateSource}
}

func lifecycleRuleToRecord(l kura.LifecycleRule) lifecycleRuleRecord {
	return lifecycleRuleRecord{
		ID: l.ID,
		Filter: conv.Ptr(l.Filter, func(f kura.LifecycleFilter) lifecycleFilterRecord {
			return lifecycleFilterRecord{
				Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagToRecord),
				ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan,
				And: conv.Ptr(f.And, func(a kura.LifecycleAnd) lifecycleAndRecord {
					return lifecycleAndRecord{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagToRecord),
						ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				}),
			}
		}),
		Prefix:     l.Prefix,
		Status:     l.Status,
		Expiration: conv.Ptr(l.Expiration, func(e kura.LifecycleExpiration) lifecycleExpirationRecord { return lifecycleExpirationRecord(e) }),
		Transitions: conv.Slice(l.Transitions, func(t kura.LifecycleTransition) lifecycleTransitionRecord {
			return lifecycleTransitionRecord(t)
		}),
		NoncurrentVersionTransitions: conv.Slice(l.NoncurrentVersionTransitions, func(t kura.NoncurrentVersionTransition) noncurrentTransitionRecord {
			return noncurrentTransitionRecord(t)
		}),
		NoncurrentVersionExpiration: conv.Ptr(l.NoncurrentVersionExpiration, func(e kura.NoncurrentVersionExpiration) noncurrentExpirationRecord {
			return noncurrentExpirationRecord(e)
		}),
		AbortIncompleteMultipartUpload: conv.Ptr(l.AbortIncompleteMultipartUpload, func(a kura.AbortIncompleteMultipartUpload) abortIncompleteMultipartRecord {
			return abortIncompleteMultipartRecord(a)
		}),
	}
}

func (r lifecycleRuleRecord) kura() kura.LifecycleRule {
	return kura.LifecycleRule{
		ID: r.ID,
		Filter: conv.Ptr(r.Filter, func(f lifecycleFilterRecord) kura.LifecycleFilter {
			return kura.LifecycleFilter{
				Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagRecord.kura),
				ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan,
				And: conv.Ptr(f.And, func(a lifecycleAndRecord) kura.LifecycleAnd {
					return kura.LifecycleAnd{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagRecord.kura),
						ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				}),
			}
		}),
		Prefix:     r.Prefix,
		Status:     r.Status,
		Expiration: conv.Ptr(r.Expiration, func(e lifecycleExpirationRecord) kura.LifecycleExpiration { return kura.LifecycleExpiration(e) }),
		Transitions: conv.Slice(r.Transitions, func(t lifecycleTransitionRecord) kura.LifecycleTransition {
			return kura.LifecycleTransition(t)
		}),
		NoncurrentVersionTransitions: conv.Slice(r.NoncurrentVersionTransitions, func(t noncurrentTransitionRecord) kura.NoncurrentVersionTransition {
			return kura.NoncurrentVersionTransition(t)
		}),
		NoncurrentVersionExpiration: conv.Ptr(r.NoncurrentVersionExpiration, func(e noncurrentExpirationRecord) kura.NoncurrentVersionExpiration {
			return kura.NoncurrentVersionExpiration(e)
		}),
		AbortIncompleteMultipartUpload: conv.Ptr(r.AbortIncompleteMultipartUpload, func(a abortIncompleteMultipartRecord) kura.AbortIncompleteMultipartUpload {
			return kura.AbortIncompleteMultipartUpload(a)
		}),
	}
}

func inventoryToRecord(c kura.InventoryConfiguration) inventoryRecord {
	d := c.Destination
	return inventoryRecord{
		ID: c.ID, IsEnabled: c.IsEnabled, FilterPrefix: c.FilterPrefix,
		Destination: inventoryDestinationRecord{
			BucketARN: d.BucketARN, AccountID: d.AccountID, Prefix: d.Prefix, Format: d.Format,
			Encryption: conv.Ptr(d.Encryption, func(e kura.InventoryEncryption) inventoryEncryptionRecord { return inventoryEncryptionRecord(e) }),
		},
		Frequency: c.Frequency, IncludedObjectVersions: c.IncludedObjectVersions, OptionalFields: c.OptionalFields,
		Last: conv.Ptr(c.Last, func(r kura.InventoryRun) inventoryRunRecord { return inventoryRunRecord(r) }),
	}
}

func (r inventoryRecord) kura() kura.InventoryConfiguration {
	d := r.Destination
	return kura.InventoryConfiguration{
		ID: r.ID, IsEnabled: r.IsEnabled, FilterPrefix: r.FilterPrefix,
		Destination: kura.InventoryDestination{
			BucketARN: d.BucketARN, AccountID: d.AccountID, Prefix: d.Prefix, Format: d.Format,
			Encryption: conv.Ptr(d.Encryption, func(e inventoryEncryptionRecord) kura.InventoryEncryption { return kura.InventoryEncryption(e) }),
		},
		Frequency: r.Frequency, IncludedObjectVersions: r.IncludedObjectVersions, OptionalFields: r.OptionalFields,
		Last: conv.Ptr(r.Last, func(x inventoryRunRecord) kura.InventoryRun { return kura.InventoryRun(x) }),
	}
}

func replicationToRecord(c kura.ReplicationConfiguration) replicationRecord {
	return replicationRecord{Role: c.Role, Rules: conv.Slice(c.Rules, func(r kura.ReplicationRule) replicationRuleRecord {
		return replicationRuleRecord{
			ID: r.ID, Priority: r.Priority, Status: r.Status, Prefix: r.Prefix,
			Filter: conv.Ptr(r.Filter, func(f kura.ReplicationFilter) replicationFilterRecord {
				return replicationFilterRecord{Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagToRecord),
					And: conv.Ptr(f.And, func(a kura.ReplicationAnd) replicationAndRecord {
						return replicationAndRecord{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagToRecord)}
					})}
			}),
			DeleteMarkerReplication: r.DeleteMarkerReplication, ExistingObjectReplication: r.ExistingObjectReplication,
			SseKmsEncryptedObjects: r.SseKmsEncryptedObjects, ReplicaModifications: r.ReplicaModifications,
			Destination: replicationDestinationRecord(r.Destination),
		}
	})}
}

func (r replicationRecord) kura() kura.ReplicationConfiguration {
	return kura.ReplicationConfiguration{Role: r.Role, Rules: conv.Slice(r.Rules, func(x replicationRuleRecord) kura.ReplicationRule {
		return kura.ReplicationRule{
			ID: x.ID, Priority: x.Priority, Status: x.Status, Prefix: x.Prefix,
			Filter: conv.Ptr(x.Filter, func(f replicationFilterRecord) kura.ReplicationFilter {
				return kura.ReplicationFilter{Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagRecord.kura),
					And: conv.Ptr(f.And, func(a replicationAndRecord) kura.ReplicationAnd {
						return kura.ReplicationAnd{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagRecord.kura)}
					})}
			}),
			DeleteMarkerReplication: x.DeleteMarkerReplication, ExistingObjectReplication: x.ExistingObjectReplication,
			SseKmsEncryptedObjects: x.SseKmsEncryptedObjects, ReplicaModifications: x.ReplicaModifications,
			Destination: kura.ReplicationDestination(x.Destination),
		}
	})}
}
