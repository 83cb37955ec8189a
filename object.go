package kura

import "time"

// ObjectVersion is one version of an object, or a delete marker.
type ObjectVersion struct {
	Bucket       string
	Key          string
	VersionID    string // "null" for the null version
	Seq          uint64 // orders versions of a key, newest highest
	DeleteMarker bool
	LastModified time.Time
	Owner        string

	Size         int64
	ETag         string // without quotes
	StorageClass string
	Checksum     *Checksum
	ContentHeaders
	Tags []Tag

	// BlobID holds the data of a single-part object; Parts that of a
	// multipart one (then BlobID is empty).
	BlobID string
	// Inline holds the data of a small single-part object in the record
	// itself (then BlobID is empty and Parts nil): the ciphertext exactly
	// as a blob would hold it, sealed under the version's data key(s).
	// Re-keying re-seals the data key and never touches it.
	Inline     []byte
	Parts      []Part
	Encryption Encryption
	// UploadID names the multipart upload CompleteMultipartUpload made
	// this version from ("" for other writes), so a repeated Complete of
	// that upload can answer with it as S3 does.
	UploadID string

	// Object Lock state of this version (nil / false: unprotected).
	Retention *Retention
	LegalHold bool
	// LegalHoldSet records that a legal hold status (ON or OFF) was ever
	// applied: S3 then answers OFF rather than NoSuchObjectLockConfiguration.
	LegalHoldSet bool
	// Restore is set once RestoreObject was asked for an archived version.
	Restore *Restore
	// ACL is the version's access control list, all its grants (nil: the
	// private ACL, the owner's FULL_CONTROL only).
	ACL *ACL
	// ReplicationStatus is x-amz-replication-status: PENDING, COMPLETED or
	// FAILED on a source version a replication rule selected, REPLICA on a
	// replica ("" for versions replication never touched).
	ReplicationStatus string
}

// Locked reports whether Object Lock protects the version at now: a legal
// hold, or a retention period that has not passed.
func (v *ObjectVersion) Locked(now time.Time) bool {
	return v.LegalHold || (v.Retention != nil && now.Before(v.Retention.Until))
}

// IsInline reports whether the version's data is held in its record
// (Inline) rather than in blobs.
func (v *ObjectVersion) IsInline() bool { return len(v.Inline) > 0 }

// BlobIDs returns every blob holding this version's data (none for an
// inline version or a delete marker).
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

// ContentHeaders are the standard and user headers stored with an object.
type ContentHeaders struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	WebsiteRedirect    string
	Metadata           map[string]string // x-amz-meta-* (lower-case names, prefix stripped)
}

// Checksum is an object's or part's stored checksum.
type Checksum struct {
	Algorithm string // CRC32, CRC32C, SHA1, SHA256, CRC64NVME
	Type      string // FULL_OBJECT or COMPOSITE
	Value     string // base64; COMPOSITE values carry the -N suffix
}

// Part is one part of a completed multipart object; its data is its own blob.
type Part struct {
	Number   int
	Size     int64
	ETag     string
	Checksum string // base64, algorithm as the object's
	BlobID   string
}

// Restore is the state of a restore of an archived (GLACIER, DEEP_ARCHIVE)
// object version: a temporary readable copy that becomes available at
// Ready and lapses at Expiry.
type Restore struct {
	Requested time.Time
	Ready     time.Time
	Expiry    time.Time
	Days      int
	Tier      string
}
