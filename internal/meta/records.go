package meta

import (
	"time"
)

// Bucket is a bucket's record.
type Bucket struct {
	Name              string    `json:"name"`
	Created           time.Time `json:"created"`
	Region            string    `json:"region"`
	Owner             string    `json:"owner"`                // account id
	Versioning        string    `json:"versioning,omitempty"` // "", "Enabled" or "Suspended"
	ObjectLockEnabled bool      `json:"objectLock,omitempty"`
	Tags              []Tag     `json:"tags,omitempty"`
	// Encryption is the bucket's default encryption; nil means SSE-S3 with
	// no bucket key and nothing blocked.
	Encryption *BucketEncryption `json:"encryption,omitempty"`
	// ObjectLockRule is the bucket's default retention (nil: none). Only
	// meaningful when ObjectLockEnabled.
	ObjectLockRule *LockRule `json:"lockRule,omitempty"`
	// Policy is the bucket policy document as stored (empty: none).
	Policy string `json:"policy,omitempty"`
	// CORS is the bucket's CORS rules (nil: no CORS configuration).
	CORS []CORSRule `json:"cors,omitempty"`
	// Lifecycle is the bucket's lifecycle rules (nil: none); the
	// lifecycle runner (internal/lifecycle) executes them.
	Lifecycle []LifecycleRule `json:"lifecycle,omitempty"`
	// ObjectOwnership is the bucket's Object Ownership setting
	// (BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter); empty
	// means the bucket has no ownership controls, which S3 treats as
	// ObjectWriter.
	ObjectOwnership string `json:"ownership,omitempty"`
	// ACL is the bucket's access control list, all its grants (nil: the
	// private ACL, the owner's FULL_CONTROL only).
	ACL *ACL `json:"acl,omitempty"`
	// PublicAccessBlock is the bucket's Block Public Access configuration
	// (nil: none, nothing blocked).
	PublicAccessBlock *PublicAccessBlock `json:"publicAccessBlock,omitempty"`
}

// PublicAccessBlock is a bucket's Block Public Access settings, as S3
// names them.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls,omitempty"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls,omitempty"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy,omitempty"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets,omitempty"`
}

// ACL is an S3 access control list: the grants of a bucket or object
// version. Its owner is not part of it (the bucket's or version's Owner).
type ACL struct {
	Grants []Grant `json:"grants"`
}

// Grant is one ACL grant. Grantees given by email address are resolved to
// their account's canonical id when the ACL is set, as S3 does.
type Grant struct {
	// Type is the grantee's xsi:type: CanonicalUser or Group.
	Type       string `json:"type"`
	ID         string `json:"id,omitempty"`  // canonical user id (CanonicalUser)
	URI        string `json:"uri,omitempty"` // group URI (Group)
	Permission string `json:"perm"`          // FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP
}

// LockRule is a bucket's Object Lock default retention: Mode with exactly
// one of Days or Years.
type LockRule struct {
	Mode  string `json:"mode"` // GOVERNANCE or COMPLIANCE
	Days  int    `json:"days,omitempty"`
	Years int    `json:"years,omitempty"`
}

// Retention is one object version's Object Lock retention.
type Retention struct {
	Mode  string    `json:"mode"` // GOVERNANCE or COMPLIANCE
	Until time.Time `json:"until"`
}

// Restore is the state of a restore of an archived (GLACIER, DEEP_ARCHIVE)
// object version: a temporary readable copy that becomes available at
// Ready and lapses at Expiry.
type Restore struct {
	Requested time.Time `json:"requested"`
	Ready     time.Time `json:"ready"`
	Expiry    time.Time `json:"expiry"`
	Days      int       `json:"days"`
	Tier      string    `json:"tier,omitempty"`
}

// BucketEncryption is a bucket's default encryption configuration
// (PutBucketEncryption).
type BucketEncryption struct {
	Algorithm        SSEType `json:"alg"`              // AES256, aws:kms or aws:kms:dsse
	KMSMasterKeyID   string  `json:"kmsKey,omitempty"` // as configured; only its form is checked (s3api/bucketencryption.go)
	BucketKeyEnabled bool    `json:"bucketKey,omitempty"`
	// BlockedEncryptionTypes lists write encryption types refused in this
	// bucket ("SSE-C"), or holds "NONE".
	BlockedEncryptionTypes []string `json:"blocked,omitempty"`
}

// Blocks reports whether the configuration blocks writes that ask for the
// given encryption type.
func (e *BucketEncryption) Blocks(t SSEType) bool {
	if e == nil || t != SSEC {
		return false
	}
	for _, b := range e.BlockedEncryptionTypes {
		if b == "SSE-C" {
			return true
		}
	}
	return false
}

// Tag is one key/value tag of a bucket or object.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// SSEType is how an object version's data key is protected.
type SSEType string

// The SSE types, spelled as S3's x-amz-server-side-encryption header except
// SSE-C, which S3 signals with the customer-algorithm header instead.
const (
	SSENone SSEType = ""
	SSES3   SSEType = "AES256"
	SSEKMS  SSEType = "aws:kms"
	SSEDSSE SSEType = "aws:kms:dsse"
	SSEC    SSEType = "SSE-C"
)

// Encryption is the SSE block of an object version or upload: everything
// needed to recover the data key (DEK), and nothing that reveals it. Changing
// an object's encryption rewrites only this block.
type Encryption struct {
	Type SSEType `json:"type"`
	// SealedKey is the DEK sealed by the wrapping the Type implies: the
	// store's managed key (SSE-S3), a KMS key or bucket key (SSE-KMS, first
	// DSSE layer), or the customer's key (SSE-C).
	SealedKey []byte `json:"sealedKey"`
	// SealedKey2 is DSSE's second, independent layer key.
	SealedKey2 []byte `json:"sealedKey2,omitempty"`
	// KMSKeyARN is the KMS key protecting SealedKey (SSE-KMS, DSSE).
	KMSKeyARN        string `json:"kmsKeyArn,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKey,omitempty"`
	// BucketKeyBlob is the KMS ciphertext of the S3 Bucket Key that seals
	// SealedKey when BucketKeyEnabled (encryption context: the bucket ARN).
	BucketKeyBlob []byte `json:"bucketKeyBlob,omitempty"`
	// Context is the user-supplied encryption context (JSON object), without
	// the aws:s3:arn entry S3 adds itself.
	Context string `json:"context,omitempty"`
	// CustomerKeyMD5 is the base64 MD5 S3 echoes for SSE-C; CustomerKeyHMAC
	// is a salted HMAC of the customer key used to check later requests.
	CustomerKeyMD5  string `json:"ckMD5,omitempty"`
	CustomerKeySalt []byte `json:"ckSalt,omitempty"`
	CustomerKeyHMAC []byte `json:"ckHMAC,omitempty"`
}

// ContentHeaders are the standard and user headers stored with an object.
type ContentHeaders struct {
	ContentType        string            `json:"ctype,omitempty"`
	ContentEncoding    string            `json:"cenc,omitempty"`
	ContentDisposition string            `json:"cdisp,omitempty"`
	ContentLanguage    string            `json:"clang,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	WebsiteRedirect    string            `json:"redirect,omitempty"`
	Metadata           map[string]string `json:"meta,omitempty"` // x-amz-meta-* (lower-case names, prefix stripped)
}

// Checksum is an object's or part's stored checksum.
type Checksum struct {
	Algorithm string `json:"alg"`            // CRC32, CRC32C, SHA1, SHA256, CRC64NVME
	Type      string `json:"type,omitempty"` // FULL_OBJECT or COMPOSITE
	Value     string `json:"value"`          // base64; COMPOSITE values carry the -N suffix
}

// Part is one part of a completed multipart object; its data is its own blob.
type Part struct {
	Number   int    `json:"n"`
	Size     int64  `json:"size"`
	ETag     string `json:"etag"`
	Checksum string `json:"ck,omitempty"` // base64, algorithm as the object's
	BlobID   string `json:"blob"`
}

// ObjectVersion is one version of an object, or a delete marker.
type ObjectVersion struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	VersionID    string    `json:"vid"` // "null" for the null version
	Seq          uint64    `json:"seq"` // orders versions of a key, newest highest
	DeleteMarker bool      `json:"dm,omitempty"`
	LastModified time.Time `json:"mtime"`
	Owner        string    `json:"owner,omitempty"`

	Size         int64     `json:"size"`
	ETag         string    `json:"etag,omitempty"` // without quotes
	StorageClass string    `json:"class,omitempty"`
	Checksum     *Checksum `json:"checksum,omitempty"`
	ContentHeaders
	Tags []Tag `json:"tags,omitempty"`

	// BlobID holds the data of a single-part object; Parts that of a
	// multipart one (then BlobID is empty).
	BlobID     string     `json:"blob,omitempty"`
	Parts      []Part     `json:"parts,omitempty"`
	Encryption Encryption `json:"sse"`
	// UploadID names the multipart upload CompleteMultipartUpload made
	// this version from ("" for other writes), so a repeated Complete of
	// that upload can answer with it as S3 does.
	UploadID string `json:"upload,omitempty"`

	// Object Lock state of this version (nil / false: unprotected).
	Retention *Retention `json:"retention,omitempty"`
	LegalHold bool       `json:"legalHold,omitempty"`
	// LegalHoldSet records that a legal hold status (ON or OFF) was ever
	// applied: S3 then answers OFF rather than NoSuchObjectLockConfiguration.
	LegalHoldSet bool `json:"legalHoldSet,omitempty"`
	// Restore is set once RestoreObject was asked for an archived version.
	Restore *Restore `json:"restore,omitempty"`
	// ACL is the version's access control list, all its grants (nil: the
	// private ACL, the owner's FULL_CONTROL only).
	ACL *ACL `json:"acl,omitempty"`
}

// Locked reports whether Object Lock protects the version at now: a legal
// hold, or a retention period that has not passed.
func (v *ObjectVersion) Locked(now time.Time) bool {
	return v.LegalHold || (v.Retention != nil && now.Before(v.Retention.Until))
}

// BlobIDs returns every blob holding this version's data.
func (v *ObjectVersion) BlobIDs() []string {
	if v.BlobID != "" {
		return []string{v.BlobID}
	}
	ids := make([]string, 0, len(v.Parts))
	for _, p := range v.Parts {
		ids = append(ids, p.BlobID)
	}
	return ids
}

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket            string    `json:"bucket"`
	Key               string    `json:"key"`
	UploadID          string    `json:"id"`
	Initiated         time.Time `json:"initiated"`
	Owner             string    `json:"owner,omitempty"`
	Initiator         string    `json:"initiator,omitempty"` // the initiating account when not Owner (Object Ownership gave the object to the bucket owner)
	StorageClass      string    `json:"class,omitempty"`
	ChecksumAlgorithm string    `json:"ckAlg,omitempty"`
	ChecksumType      string    `json:"ckType,omitempty"`
	ContentHeaders
	Tags       []Tag      `json:"tags,omitempty"`
	Encryption Encryption `json:"sse"`
	// Object Lock settings requested at CreateMultipartUpload, applied to
	// the version CompleteMultipartUpload creates.
	Retention    *Retention `json:"retention,omitempty"`
	LegalHold    bool       `json:"legalHold,omitempty"`
	LegalHoldSet bool       `json:"legalHoldSet,omitempty"`
	// ACL is the ACL requested at CreateMultipartUpload, given to the
	// version CompleteMultipartUpload creates.
	ACL *ACL `json:"acl,omitempty"`
}

// UploadPart is one uploaded part of an in-progress multipart upload.
type UploadPart struct {
	Number int    `json:"n"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	// Checksum is the part's checksum in ChecksumAlgorithm (the upload's
	// algorithm, or the one the part request declared).
	ChecksumAlgorithm string `json:"ckAlg,omitempty"`
	Checksum          string `json:"ck,omitempty"`
	// CRC64NVME is always computed, so an upload that declared no algorithm
	// still completes with S3's default full-object checksum.
	CRC64NVME    string    `json:"crc64,omitempty"`
	BlobID       string    `json:"blob"`
	LastModified time.Time `json:"mtime"`
}
