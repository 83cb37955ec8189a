package meta

// Bucket configurations that Kura stores and serves as documents: CORS and
// lifecycle. Their types carry S3's XML element names as well as their
// JSON record names, because the API returns them as they were stored (after
// normalisation) and a second, tag-only copy of each type would have to be
// kept in step field by field.

// CORSRule is one rule of a bucket's CORS configuration (PutBucketCors).
// AllowedOrigins and AllowedHeaders may hold one '*' wildcard each.
type CORSRule struct {
	ID             string   `json:"id,omitempty" xml:"ID,omitempty"`
	AllowedHeaders []string `json:"headers,omitempty" xml:"AllowedHeader"`
	AllowedMethods []string `json:"methods" xml:"AllowedMethod"`
	AllowedOrigins []string `json:"origins" xml:"AllowedOrigin"`
	ExposeHeaders  []string `json:"expose,omitempty" xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `json:"maxAge,omitempty" xml:"MaxAgeSeconds,omitempty"`
}

// LifecycleRule is one rule of a bucket's lifecycle configuration
// (PutBucketLifecycleConfiguration), executed by internal/lifecycle.
// Pointer fields distinguish "absent" from zero, as the API does (Days 0 is
// invalid, a missing Days is not).
type LifecycleRule struct {
	ID                             string                          `json:"id" xml:"ID"`
	Filter                         *LifecycleFilter                `json:"filter,omitempty" xml:"Filter,omitempty"`
	Prefix                         *string                         `json:"prefix,omitempty" xml:"Prefix,omitempty"` // legacy, instead of Filter
	Status                         string                          `json:"status" xml:"Status"`                     // Enabled or Disabled
	Expiration                     *LifecycleExpiration            `json:"expiration,omitempty" xml:"Expiration,omitempty"`
	Transitions                    []LifecycleTransition           `json:"transitions,omitempty" xml:"Transition"`
	NoncurrentVersionTransitions   []NoncurrentVersionTransition   `json:"ncTransitions,omitempty" xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration    `json:"ncExpiration,omitempty" xml:"NoncurrentVersionExpiration,omitempty"`
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload `json:"abortMPU,omitempty" xml:"AbortIncompleteMultipartUpload,omitempty"`
}

// LifecycleFilter selects the objects a rule applies to: at most one of its
// fields is set; And combines several conditions.
type LifecycleFilter struct {
	Prefix                *string       `json:"prefix,omitempty" xml:"Prefix,omitempty"`
	Tag                   *Tag          `json:"tag,omitempty" xml:"Tag,omitempty"`
	ObjectSizeGreaterThan *int64        `json:"sizeGT,omitempty" xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64        `json:"sizeLT,omitempty" xml:"ObjectSizeLessThan,omitempty"`
	And                   *LifecycleAnd `json:"and,omitempty" xml:"And,omitempty"`
}

// LifecycleAnd is a filter's conjunction of conditions.
type LifecycleAnd struct {
	Prefix                *string `json:"prefix,omitempty" xml:"Prefix,omitempty"`
	Tags                  []Tag   `json:"tags,omitempty" xml:"Tag"`
	ObjectSizeGreaterThan *int64  `json:"sizeGT,omitempty" xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64  `json:"sizeLT,omitempty" xml:"ObjectSizeLessThan,omitempty"`
}

// LifecycleExpiration expires current versions: exactly one of Days, Date
// (an ISO 8601 midnight UTC) or ExpiredObjectDeleteMarker.
type LifecycleExpiration struct {
	Date                      string `json:"date,omitempty" xml:"Date,omitempty"`
	Days                      *int   `json:"days,omitempty" xml:"Days,omitempty"`
	ExpiredObjectDeleteMarker *bool  `json:"edm,omitempty" xml:"ExpiredObjectDeleteMarker,omitempty"`
}

// LifecycleTransition moves current versions to StorageClass after Days or
// on Date.
type LifecycleTransition struct {
	Date         string `json:"date,omitempty" xml:"Date,omitempty"`
	Days         *int   `json:"days,omitempty" xml:"Days,omitempty"`
	StorageClass string `json:"class" xml:"StorageClass"`
}

// NoncurrentVersionTransition moves noncurrent versions to StorageClass.
type NoncurrentVersionTransition struct {
	NoncurrentDays          *int   `json:"days,omitempty" xml:"NoncurrentDays,omitempty"`
	StorageClass            string `json:"class" xml:"StorageClass"`
	NewerNoncurrentVersions *int   `json:"newer,omitempty" xml:"NewerNoncurrentVersions,omitempty"`
}

// NoncurrentVersionExpiration expires noncurrent versions.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          *int `json:"days,omitempty" xml:"NoncurrentDays,omitempty"`
	NewerNoncurrentVersions *int `json:"newer,omitempty" xml:"NewerNoncurrentVersions,omitempty"`
}

// AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation days old.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation *int `json:"days,omitempty" xml:"DaysAfterInitiation,omitempty"`
}
