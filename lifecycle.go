package kura

// LifecycleRule is one rule of a bucket's lifecycle configuration
// (PutBucketLifecycleConfiguration), executed by internal/lifecycle.
// Pointer fields distinguish "absent" from zero, as the API does (Days 0 is
// invalid, a missing Days is not).
type LifecycleRule struct {
	ID                             string
	Filter                         *LifecycleFilter
	Prefix                         *string // legacy, instead of Filter
	Status                         string  // Enabled or Disabled
	Expiration                     *LifecycleExpiration
	Transitions                    []LifecycleTransition
	NoncurrentVersionTransitions   []NoncurrentVersionTransition
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload
}

// LifecycleFilter selects the objects a rule applies to: at most one of its
// fields is set; And combines several conditions.
type LifecycleFilter struct {
	Prefix                *string
	Tag                   *Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
	And                   *LifecycleAnd
}

// LifecycleAnd is a filter's conjunction of conditions.
type LifecycleAnd struct {
	Prefix                *string
	Tags                  []Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
}

// LifecycleExpiration expires current versions: exactly one of Days, Date
// (an ISO 8601 midnight UTC) or ExpiredObjectDeleteMarker.
type LifecycleExpiration struct {
	Date                      string
	Days                      *int
	ExpiredObjectDeleteMarker *bool
}

// LifecycleTransition moves current versions to StorageClass after Days or
// on Date.
type LifecycleTransition struct {
	Date         string
	Days         *int
	StorageClass string
}

// NoncurrentVersionTransition moves noncurrent versions to StorageClass.
type NoncurrentVersionTransition struct {
	NoncurrentDays          *int
	StorageClass            string
	NewerNoncurrentVersions *int
}

// NoncurrentVersionExpiration expires noncurrent versions.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          *int
	NewerNoncurrentVersions *int
}

// AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation days old.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation *int
}
