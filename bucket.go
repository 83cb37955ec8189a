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
	// Website is the bucket's static website configuration (nil: the
	// bucket is not a website).
	Website *Website
	// Inventory is the bucket's S3 Inventory configurations, by ID (nil:
	// none); internal/inventory writes their reports.
	Inventory []InventoryConfiguration
	// Replication is the bucket's replication configuration (nil: none);
	// internal/replication replicates the versions its rules select.
	Replication *ReplicationConfiguration
	// Logging is the bucket's server access logging (nil: off);
	// internal/accesslog writes its log objects.
	Logging *BucketLogging
}

// BucketLogging is a bucket's LoggingEnabled (PutBucketLogging): where
// the server access logs of requests to the bucket are delivered.
type BucketLogging struct {
	TargetBucket string
	TargetPrefix string
	// TargetGrants are stored and returned as S3 does; Kura's log objects
	// get the target bucket owner's FULL_CONTROL only (docs/operations.md).
	TargetGrants []Grant
	// PartitionedPrefix selects the partitioned key layout
	// ([prefix][account]/[region]/[bucket]/YYYY/MM/DD/...) instead of
	// the simple one ([prefix]YYYY-MM-DD-hh-mm-ss-UniqueString).
	PartitionedPrefix bool
	// PartitionDateSource is EventTime or DeliveryTime (partitioned only;
	// "" means EventTime).
	PartitionDateSource string
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

// Website is a bucket's static website configuration (PutBucketWebsite):
// either RedirectAllRequestsTo alone, or an index document with an
// optional error document and routing rules.
type Website struct {
	// IndexDocument is IndexDocument.Suffix: what a request for the root
	// or for a "directory" (a key ending in "/") gets appended, as
	// "index.html" makes "docs/" serve "docs/index.html".
	IndexDocument string
	// ErrorDocument is ErrorDocument.Key: the object served, with the
	// error's status, when a request fails with a 4xx error ("" none).
	ErrorDocument         string
	RedirectAllRequestsTo *WebsiteRedirectAll
	// RoutingRules are tried in order; the first that matches redirects.
	RoutingRules []RoutingRule
}

// WebsiteRedirectAll sends every website request to another host.
type WebsiteRedirectAll struct {
	HostName string
	Protocol string // "http", "https", or "" for the request's own
}

// RoutingRule redirects website requests that meet its condition.
type RoutingRule struct {
	Condition *RoutingCondition // nil: every request
	Redirect  RoutingRedirect
}

// RoutingCondition is what a request must meet for its rule to apply:
// both fields when both are set.
type RoutingCondition struct {
	// KeyPrefixEquals matches keys starting with it (nil: any key).
	KeyPrefixEquals *string
	// HttpErrorCodeReturnedEquals matches requests that fail with this
	// HTTP status ("404"; "" for any outcome). A rule with it is tried
	// only after the object was looked up.
	HttpErrorCodeReturnedEquals string
}

// RoutingRedirect is where a matching request is sent. Empty HostName and
// Protocol keep the request's; the key is kept unless ReplaceKeyWith or
// ReplaceKeyPrefixWith (at most one of them) says otherwise.
type RoutingRedirect struct {
	HostName         string
	Protocol         string
	HttpRedirectCode string // "" means 301
	// ReplaceKeyPrefixWith replaces the matched KeyPrefixEquals of the key.
	ReplaceKeyPrefixWith *string
	ReplaceKeyWith       *string
}
