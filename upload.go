package kura

import "time"

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket            string
	Key               string
	UploadID          string
	Initiated         time.Time
	Owner             string
	Initiator         string // the initiating account when not Owner (Object Ownership gave the object to the bucket owner)
	StorageClass      string
	ChecksumAlgorithm string
	ChecksumType      string
	ContentHeaders
	Tags       []Tag
	Encryption Encryption
	// Object Lock settings requested at CreateMultipartUpload, applied to
	// the version CompleteMultipartUpload creates.
	Retention    *Retention
	LegalHold    bool
	LegalHoldSet bool
	// ACL is the ACL requested at CreateMultipartUpload, given to the
	// version CompleteMultipartUpload creates.
	ACL *ACL
}

// UploadPart is one uploaded part of an in-progress multipart upload.
type UploadPart struct {
	Number int
	Size   int64
	ETag   string
	// Checksum is the part's checksum in ChecksumAlgorithm (the upload's
	// algorithm, or the one the part request declared).
	ChecksumAlgorithm string
	Checksum          string
	// CRC64NVME is always computed, so an upload that declared no algorithm
	// still completes with S3's default full-object checksum.
	CRC64NVME    string
	BlobID       string
	LastModified time.Time
}
