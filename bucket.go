package kura

import "time"

// Bucket is a bucket and its configuration.
type Bucket struct {
	Name              string
	Created           time.Time
	Region            string
	Owner             string // account id
	Versioning        string // "", "Enabled" or "Suspended"
	ObjectLockEnabled bool
	Tags              []Tag
	// Encryption is the bucket's default encryption; nil means SSE-S3 with
	// no bucket key and nothing blocked.
	Encryption *BucketEncryption
	// ObjectLockRule is the bucket's default retention (nil: none). Only
	// meaningful when ObjectLockEnabled.
	ObjectLockRule *LockRule
	// Policy is the bucket policy document as stored (empty: none).
	Policy string
	// CORS is the bucket's CORS rules (nil: no CORS configuration).
	CORS []CORSRule
	// Lifecycle is the bucket's lifecycle rules (nil: none); the
	// lifecycle runner (internal/lifecycle) executes them.
	Lifecycle []LifecycleRule
	// ObjectOwnership is the bucket's Object Ownership setting
	// (BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter); empty
	// means the bucket has no ownership controls, which S3 treats as
	// ObjectWriter.
	ObjectOwnership string
	// ACL is the bucket's access control list, all its grants (nil: the
	// private ACL, the owner's FULL_CONTROL only).
	ACL *ACL
	// PublicAccessBlock is the bucket's Block Public Access configuration
	// (nil: none, nothing blocked).
	PublicAccessBlock *PublicAccessBlock
}

// Tag is one key/value tag of a bucket or object.
type Tag struct {
	Key   string
	Value string
}

// CORSRule is one rule of a bucket's CORS configuration (PutBucketCors).
// AllowedOrigins and AllowedHeaders may hold one '*' wildcard each.
type CORSRule struct {
	ID             string
	AllowedHeaders []string
	AllowedMethods []string
	AllowedOrigins []string
	ExposeHeaders  []string
	MaxAgeSeconds  *int
}
