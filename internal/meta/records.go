package meta

import (
	"time"

	"github.com/kurastore/kura"
)

// The records as stored: the JSON field names and their order are the
// on-disk format (docs/formats.md, "Metadata records"), so nothing here may
// be renamed, reordered or have its omitempty changed without a new
// recordVersion. codec.go converts them to and from the kura types; the
// golden test (codec_test.go, testdata/records) holds the bytes.
//
// Records whose fields are all plain values have exactly the fields of
// their kura type, so a Go conversion maps one onto the other and a field
// added to the kura type without its record fails to compile.

type bucketRecord struct {
	Name              string                   `json:"name"`
	Created           time.Time                `json:"created"`
	Region            string                   `json:"region"`
	Owner             string                   `json:"owner"`
	Versioning        string                   `json:"versioning,omitempty"`
	ObjectLockEnabled bool                     `json:"objectLock,omitempty"`
	Tags              []tagRecord              `json:"tags,omitempty"`
	Encryption        *bucketEncryptionRecord  `json:"encryption,omitempty"`
	ObjectLockRule    *lockRuleRecord          `json:"lockRule,omitempty"`
	Policy            string                   `json:"policy,omitempty"`
	CORS              []corsRuleRecord         `json:"cors,omitempty"`
	Lifecycle         []lifecycleRuleRecord    `json:"lifecycle,omitempty"`
	ObjectOwnership   string                   `json:"ownership,omitempty"`
	ACL               *aclRecord               `json:"acl,omitempty"`
	PublicAccessBlock *publicAccessBlockRecord `json:"publicAccessBlock,omitempty"`
	Website           *websiteRecord           `json:"website,omitempty"`
	Inventory         []inventoryRecord        `json:"inventory,omitempty"`
	Replication       *replicationRecord       `json:"replication,omitempty"`
	Logging           *loggingRecord           `json:"logging,omitempty"`
}

type loggingRecord struct {
	TargetBucket        string        `json:"targetBucket"`
	TargetPrefix        string        `json:"targetPrefix,omitempty"`
	TargetGrants        []grantRecord `json:"targetGrants,omitempty"`
	PartitionedPrefix   bool          `json:"partitioned,omitempty"`
	PartitionDateSource string        `json:"partitionDateSource,omitempty"`
}

type replicationRecord struct {
	Role  string                  `json:"role"`
	Rules []replicationRuleRecord `json:"rules"`
}

type replicationRuleRecord struct {
	ID                        string                       `json:"id,omitempty"`
	Priority                  int                          `json:"priority,omitempty"`
	Status                    string                       `json:"status"`
	Prefix                    string                       `json:"prefix,omitempty"`
	Filter                    *replicationFilterRecord     `json:"filter,omitempty"`
	DeleteMarkerReplication   string                       `json:"deleteMarkers,omitempty"`
	ExistingObjectReplication string                       `json:"existing,omitempty"`
	SseKmsEncryptedObjects    string                       `json:"sseKms,omitempty"`
	ReplicaModifications      string                       `json:"replicaMods,omitempty"`
	Destination               replicationDestinationRecord `json:"dest"`
}

type replicationFilterRecord struct {
	Prefix string                `json:"prefix,omitempty"`
	Tag    *tagRecord            `json:"tag,omitempty"`
	And    *replicationAndRecord `json:"and,omitempty"`
}

type replicationAndRecord struct {
	Prefix string      `json:"prefix,omitempty"`
	Tags   []tagRecord `json:"tags,omitempty"`
}

type replicationDestinationRecord struct {
	Bucket                  string `json:"bucket"`
	Account                 string `json:"account,omitempty"`
	StorageClass            string `json:"class,omitempty"`
	OwnerOverride           bool   `json:"ownerOverride,omitempty"`
	ReplicaKmsKeyID         string `json:"replicaKmsKey,omitempty"`
	ReplicationTimeStatus   string `json:"rtc,omitempty"`
	ReplicationTimeMinutes  int    `json:"rtcMinutes,omitempty"`
	MetricsStatus           string `json:"metrics,omitempty"`
	MetricsThresholdMinutes int    `json:"metricsMinutes,omitempty"`
}

type inventoryRecord struct {
	ID                     string                     `json:"id"`
	IsEnabled              bool                       `json:"enabled,omitempty"`
	FilterPrefix           *string                    `json:"prefix,omitempty"`
	Destination            inventoryDestinationRecord `json:"dest"`
	Frequency              string                     `json:"frequency"`
	IncludedObjectVersions string                     `json:"versions"`
	OptionalFields         []string                   `json:"fields,omitempty"`
	Last                   *inventoryRunRecord        `json:"last,omitempty"`
}

type inventoryDestinationRecord struct {
	BucketARN  string                     `json:"bucket"`
	AccountID  string                     `json:"account,omitempty"`
	Prefix     string                     `json:"prefix,omitempty"`
	Format     string                     `json:"format"`
	Encryption *inventoryEncryptionRecord `json:"sse,omitempty"`
}

type inventoryEncryptionRecord struct {
	Type     kura.SSEType `json:"type"`
	KMSKeyID string       `json:"kmsKey,omitempty"`
}

type inventoryRunRecord struct {
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	ManifestKey string    `json:"manifest,omitempty"`
	Objects     int64     `json:"objects,omitempty"`
	Error       string    `json:"error,omitempty"`
}

type websiteRecord struct {
	IndexDocument         string                    `json:"index,omitempty"`
	ErrorDocument         string                    `json:"error,omitempty"`
	RedirectAllRequestsTo *websiteRedirectAllRecord `json:"redirectAll,omitempty"`
	RoutingRules          []routingRuleRecord       `json:"rules,omitempty"`
}

type websiteRedirectAllRecord struct {
	HostName string `json:"host"`
	Protocol string `json:"proto,omitempty"`
}

type routingRuleRecord struct {
	Condition *routingConditionRecord `json:"if,omitempty"`
	Redirect  routingRedirectRecord   `json:"redirect"`
}

type routingConditionRecord struct {
	KeyPrefixEquals             *string `json:"prefix,omitempty"`
	HttpErrorCodeReturnedEquals string  `json:"status,omitempty"`
}

type routingRedirectRecord struct {
	HostName             string  `json:"host,omitempty"`
	Protocol             string  `json:"proto,omitempty"`
	HttpRedirectCode     string  `json:"code,omitempty"`
	ReplaceKeyPrefixWith *string `json:"prefix,omitempty"`
	ReplaceKeyWith       *string `json:"key,omitempty"`
}

type publicAccessBlockRecord struct {
	BlockPublicAcls       bool `json:"blockPublicAcls,omitempty"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls,omitempty"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy,omitempty"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets,omitempty"`
}

type aclRecord struct {
	Grants []grantRecord `json:"grants"`
}

type grantRecord struct {
	Type       string `json:"type"`
	ID         string `json:"id,omitempty"`
	URI        string `json:"uri,omitempty"`
	Permission string `json:"perm"`
}

type lockRuleRecord struct {
	Mode  string `json:"mode"`
	Days  int    `json:"days,omitempty"`
	Years int    `json:"years,omitempty"`
}

type retentionRecord struct {
	Mode  string    `json:"mode"`
	Until time.Time `json:"until"`
}

type restoreRecord struct {
	Requested time.Time `json:"requested"`
	Ready     time.Time `json:"ready"`
	Expiry    time.Time `json:"expiry"`
	Days      int       `json:"days"`
	Tier      string    `json:"tier,omitempty"`
}

type bucketEncryptionRecord struct {
	Algorithm              kura.SSEType `json:"alg"`
	KMSMasterKeyID         string       `json:"kmsKey,omitempty"`
	BucketKeyEnabled       bool         `json:"bucketKey,omitempty"`
	BlockedEncryptionTypes []string     `json:"blocked,omitempty"`
}

type tagRecord struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

type encryptionRecord struct {
	Type             kura.SSEType `json:"type"`
	SealedKey        []byte       `json:"sealedKey"`
	SealedKey2       []byte       `json:"sealedKey2,omitempty"`
	KMSKeyARN        string       `json:"kmsKeyArn,omitempty"`
	BucketKeyEnabled bool         `json:"bucketKey,omitempty"`
	BucketKeyBlob    []byte       `json:"bucketKeyBlob,omitempty"`
	Context          string       `json:"context,omitempty"`
	CustomerKeyMD5   string       `json:"ckMD5,omitempty"`
	CustomerKeySalt  []byte       `json:"ckSalt,omitempty"`
	CustomerKeyHMAC  []byte       `json:"ckHMAC,omitempty"`
	SealBucket       string       `json:"sealBucket,omitempty"`
}

type contentHeadersRecord struct {
	ContentType        string            `json:"ctype,omitempty"`
	ContentEncoding    string            `json:"cenc,omitempty"`
	ContentDisposition string            `json:"cdisp,omitempty"`
	ContentLanguage    string            `json:"clang,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	WebsiteRedirect    string            `json:"redirect,omitempty"`
	Metadata           map[string]string `json:"meta,omitempty"`
}

type checksumRecord struct {
	Algorithm string `json:"alg"`
	Type      string `json:"type,omitempty"`
	Value     string `json:"value"`
}

type partRecord struct {
	Number   int    `json:"n"`
	Size     int64  `json:"size"`
	ETag     string `json:"etag"`
	Checksum string `json:"ck,omitempty"`
	BlobID   string `json:"blob"`
}

type versionRecord struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	VersionID    string    `json:"vid"`
	Seq          uint64    `json:"seq"`
	DeleteMarker bool      `json:"dm,omitempty"`
	LastModified time.Time `json:"mtime"`
	Owner        string    `json:"owner,omitempty"`

	Size         int64           `json:"size"`
	ETag         string          `json:"etag,omitempty"`
	StorageClass string          `json:"class,omitempty"`
	Checksum     *checksumRecord `json:"checksum,omitempty"`
	contentHeadersRecord
	Tags []tagRecord `json:"tags,omitempty"`

	BlobID     string           `json:"blob,omitempty"`
	Inline     []byte           `json:"inline,omitempty"`
	Parts      []partRecord     `json:"parts,omitempty"`
	Encryption encryptionRecord `json:"sse"`
	UploadID   string           `json:"upload,omitempty"`

	Retention    *retentionRecord `json:"retention,omitempty"`
	LegalHold    bool             `json:"legalHold,omitempty"`
	LegalHoldSet bool             `json:"legalHoldSet,omitempty"`
	Restore      *restoreRecord   `json:"restore,omitempty"`
	ACL          *aclRecord       `json:"acl,omitempty"`

	ReplicationStatus string `json:"repl,omitempty"`
}

type uploadRecord struct {
	Bucket            string    `json:"bucket"`
	Key               string    `json:"key"`
	UploadID          string    `json:"id"`
	Initiated         time.Time `json:"initiated"`
	Owner             string    `json:"owner,omitempty"`
	Initiator         string    `json:"initiator,omitempty"`
	StorageClass      string    `json:"class,omitempty"`
	ChecksumAlgorithm string    `json:"ckAlg,omitempty"`
	ChecksumType      string    `json:"ckType,omitempty"`
	contentHeadersRecord
	Tags         []tagRecord      `json:"tags,omitempty"`
	Encryption   encryptionRecord `json:"sse"`
	Retention    *retentionRecord `json:"retention,omitempty"`
	LegalHold    bool             `json:"legalHold,omitempty"`
	LegalHoldSet bool             `json:"legalHoldSet,omitempty"`
	ACL          *aclRecord       `json:"acl,omitempty"`
}

type uploadPartRecord struct {
	Number            int       `json:"n"`
	Size              int64     `json:"size"`
	ETag              string    `json:"etag"`
	ChecksumAlgorithm string    `json:"ckAlg,omitempty"`
	Checksum          string    `json:"ck,omitempty"`
	CRC64NVME         string    `json:"crc64,omitempty"`
	BlobID            string    `json:"blob"`
	LastModified      time.Time `json:"mtime"`
}

type corsRuleRecord struct {
	ID             string   `json:"id,omitempty"`
	AllowedHeaders []string `json:"headers,omitempty"`
	AllowedMethods []string `json:"methods"`
	AllowedOrigins []string `json:"origins"`
	ExposeHeaders  []string `json:"expose,omitempty"`
	MaxAgeSeconds  *int     `json:"maxAge,omitempty"`
}

type lifecycleRuleRecord struct {
	ID                             string                          `json:"id"`
	Filter                         *lifecycleFilterRecord          `json:"filter,omitempty"`
	Prefix                         *string                         `json:"prefix,omitempty"`
	Status                         string                          `json:"status"`
	Expiration                     *lifecycleExpirationRecord      `json:"expiration,omitempty"`
	Transitions                    []lifecycleTransitionRecord     `json:"transitions,omitempty"`
	NoncurrentVersionTransitions   []noncurrentTransitionRecord    `json:"ncTransitions,omitempty"`
	NoncurrentVersionExpiration    *noncurrentExpirationRecord     `json:"ncExpiration,omitempty"`
	AbortIncompleteMultipartUpload *abortIncompleteMultipartRecord `json:"abortMPU,omitempty"`
}

type lifecycleFilterRecord struct {
	Prefix                *string             `json:"prefix,omitempty"`
	Tag                   *tagRecord          `json:"tag,omitempty"`
	ObjectSizeGreaterThan *int64              `json:"sizeGT,omitempty"`
	ObjectSizeLessThan    *int64              `json:"sizeLT,omitempty"`
	And                   *lifecycleAndRecord `json:"and,omitempty"`
}

type lifecycleAndRecord struct {
	Prefix                *string     `json:"prefix,omitempty"`
	Tags                  []tagRecord `json:"tags,omitempty"`
	ObjectSizeGreaterThan *int64      `json:"sizeGT,omitempty"`
	ObjectSizeLessThan    *int64      `json:"sizeLT,omitempty"`
}

type lifecycleExpirationRecord struct {
	Date                      string `json:"date,omitempty"`
	Days                      *int   `json:"days,omitempty"`
	ExpiredObjectDeleteMarker *bool  `json:"edm,omitempty"`
}

type lifecycleTransitionRecord struct {
	Date         string `json:"date,omitempty"`
	Days         *int   `json:"days,omitempty"`
	StorageClass string `json:"class"`
}

type noncurrentTransitionRecord struct {
	NoncurrentDays          *int   `json:"days,omitempty"`
	StorageClass            string `json:"class"`
	NewerNoncurrentVersions *int   `json:"newer,omitempty"`
}

type noncurrentExpirationRecord struct {
	NoncurrentDays          *int `json:"days,omitempty"`
	NewerNoncurrentVersions *int `json:"newer,omitempty"`
}

type abortIncompleteMultipartRecord struct {
	DaysAfterInitiation *int `json:"days,omitempty"`
}
