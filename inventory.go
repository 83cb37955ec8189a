package kura

import (
	"strings"
	"time"
)

// InventoryConfiguration is one S3 Inventory configuration of a bucket
// (PutBucketInventoryConfiguration): which objects to list, which fields
// to report, how often, and where to deliver the report. A bucket holds up
// to 1,000 of them, each named by its ID.
type InventoryConfiguration struct {
	ID        string
	IsEnabled bool
	// FilterPrefix, when set, lists only keys that start with it (nil: the
	// whole bucket).
	FilterPrefix *string
	Destination  InventoryDestination
	// Frequency is the schedule: "Daily" or "Weekly".
	Frequency string
	// IncludedObjectVersions is "Current" (current versions only) or "All"
	// (every version and delete marker).
	IncludedObjectVersions string
	// OptionalFields are the InventoryOptionalField names to report, as
	// configured; the report writes them in S3's column order.
	OptionalFields []string
	// Last is the last report generated for this configuration (nil: none
	// yet). It is Kura's bookkeeping, not part of S3's configuration: a
	// PUT of the same ID keeps it, so the scheduler neither repeats nor
	// skips a delivery across restarts.
	Last *InventoryRun
}

// InventoryDestination is where an inventory report is delivered.
type InventoryDestination struct {
	// BucketARN is the destination bucket as configured:
	// arn:aws:s3:::bucket.
	BucketARN string
	// AccountID, if set, is the account expected to own the destination
	// bucket; a report is not delivered to a bucket someone else owns.
	AccountID string
	Prefix    string
	// Format is "CSV", "ORC" or "Parquet".
	Format string
	// Encryption is how the report files are encrypted (nil: the
	// destination bucket's default encryption).
	Encryption *InventoryEncryption
}

// InventoryEncryption is the server-side encryption of the report files:
// SSE-S3 (Type SSES3) or SSE-KMS with KMSKeyID (Type SSEKMS).
type InventoryEncryption struct {
	Type     SSEType
	KMSKeyID string
}

// InventoryRun is the outcome of one report of a configuration.
type InventoryRun struct {
	// Started is when the scan began: the report's timestamp, which names
	// its manifest folder (YYYY-MM-DDTHH-MMZ).
	Started time.Time
	// Finished is when the run ended, delivered or not.
	Finished time.Time
	// ManifestKey is the key of the delivered manifest.json ("" if the run
	// failed).
	ManifestKey string
	// Objects is the number of rows reported.
	Objects int64
	// Error says why the run failed ("" if it delivered).
	Error string
}

// InventoryOptionalFields are the optional fields an inventory report can
// carry (botocore's InventoryOptionalField enum), in the order S3 writes
// their columns after Bucket, Key and, for all versions, VersionId,
// IsLatest and IsDeleteMarker.
var InventoryOptionalFields = []string{
	"Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "ReplicationStatus",
	"EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
	"IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm", "ObjectAccessControlList",
	"ObjectOwner", "LifecycleExpirationDate",
}

// BucketARNPrefix starts every S3 bucket ARN.
const BucketARNPrefix = "arn:aws:s3:::"

// Bucket is the name of the destination bucket, from its ARN ("" if
// BucketARN is not a bucket ARN).
func (d InventoryDestination) Bucket() string {
	name, ok := strings.CutPrefix(d.BucketARN, BucketARNPrefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return ""
	}
	return name
}

// InventoryConfig returns the bucket's inventory configuration id, nil if there
// is none.
func (b *Bucket) InventoryConfig(id string) *InventoryConfiguration {
	for i := range b.Inventory {
		if b.Inventory[i].ID == id {
			return &b.Inventory[i]
		}
	}
	return nil
}
