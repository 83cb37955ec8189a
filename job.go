package kura

import "time"

// A Batch Operations job, as S3 Control names its parts (CreateJob,
// DescribeJob). The s3control wire front (XML) and the batch engine
// (internal/batch: storage, state machine, tasks) both speak these types;
// neither's encoding lives here.

// JobStatus is a job's state in S3's state machine.
type JobStatus string

// The job states, as S3 names them.
const (
	JobNew        JobStatus = "New"
	JobPreparing  JobStatus = "Preparing"
	JobSuspended  JobStatus = "Suspended" // waits for confirmation (ConfirmationRequired)
	JobReady      JobStatus = "Ready"
	JobActive     JobStatus = "Active"
	JobPausing    JobStatus = "Pausing"
	JobPaused     JobStatus = "Paused"
	JobCompleting JobStatus = "Completing"
	JobComplete   JobStatus = "Complete"
	JobCancelling JobStatus = "Cancelling"
	JobCancelled  JobStatus = "Cancelled"
	JobFailing    JobStatus = "Failing"
	JobFailed     JobStatus = "Failed"
)

// Terminal reports whether a job in status s will never run again.
func (s JobStatus) Terminal() bool {
	return s == JobComplete || s == JobCancelled || s == JobFailed
}

// JobOperationName names the operation a job performs on every object, as
// ListJobs reports it.
type JobOperationName string

// The operations of S3 Control's JobOperation.
const (
	OpLambdaInvoke             JobOperationName = "LambdaInvoke"
	OpS3PutObjectCopy          JobOperationName = "S3PutObjectCopy"
	OpS3PutObjectAcl           JobOperationName = "S3PutObjectAcl"
	OpS3PutObjectTagging       JobOperationName = "S3PutObjectTagging"
	OpS3DeleteObjectTagging    JobOperationName = "S3DeleteObjectTagging"
	OpS3InitiateRestoreObject  JobOperationName = "S3InitiateRestoreObject"
	OpS3PutObjectLegalHold     JobOperationName = "S3PutObjectLegalHold"
	OpS3PutObjectRetention     JobOperationName = "S3PutObjectRetention"
	OpS3ReplicateObject        JobOperationName = "S3ReplicateObject"
	OpS3ComputeObjectChecksum  JobOperationName = "S3ComputeObjectChecksum"
	OpS3UpdateObjectEncryption JobOperationName = "S3UpdateObjectEncryption"
)

// Job is a Batch Operations job: what was asked (JobSpec) and where it
// stands.
type Job struct {
	ID        string
	AccountID string // the account that owns the job (x-amz-account-id)
	ARN       string // arn:aws:s3:<region>:<account>:job/<id>
	JobSpec

	Status             JobStatus
	StatusUpdateReason string
	CreationTime       time.Time
	TerminationDate    time.Time // zero until the job is Complete, Cancelled or Failed
	SuspendedDate      time.Time
	SuspendedCause     string
	Progress           JobProgress
	FailureReasons     []JobFailure
	Tags               []Tag
	// GeneratedManifest is where a manifest generator wrote the manifest
	// it made (EnableManifestOutput), once it has.
	GeneratedManifest *JobManifestLocation
	// CreatedBy is the principal that created the job (its ARN), for
	// audit and the report.
	CreatedBy string
}

// JobSpec is what CreateJob asks for.
type JobSpec struct {
	Description          string
	Priority             int
	RoleARN              string
	ConfirmationRequired bool
	ClientRequestToken   string
	Operation            JobOperation
	// Exactly one of Manifest and ManifestGenerator is set.
	Manifest          *JobManifest
	ManifestGenerator *JobManifestGenerator
	Report            JobReport
	// DryRun (Kura's own, not S3's): every task reports what it would do
	// and changes nothing.
	DryRun bool
	// UndoOf (Kura's own): the job whose completion report this job
	// reverses (kura batch undo).
	UndoOf string
}

// JobProgress is a job's ProgressSummary.
type JobProgress struct {
	TotalTasks     int64
	Succeeded      int64
	Failed         int64
	ActiveSeconds  int64 // Timers.ElapsedTimeInActiveSeconds
	TotalKnown     bool  // TotalTasks counts the whole manifest (after Preparing)
	LastTaskAt     time.Time
	ActiveSinceRun time.Time // when the current Active period began; zero when not Active
}

// JobFailure is one of a job's FailureReasons.
type JobFailure struct {
	Code   string
	Reason string
}

// JobOperation is the operation a job performs; exactly one field is set,
// named by Name.
type JobOperation struct {
	Name JobOperationName

	UpdateEncryption *JobUpdateEncryption // S3UpdateObjectEncryption
	Copy             *JobCopy             // S3PutObjectCopy
	Tagging          []Tag                // S3PutObjectTagging (TagSet; empty is valid)
	ACL              *JobACL              // S3PutObjectAcl
	Retention        *JobRetention        // S3PutObjectRetention
	LegalHold        *bool                // S3PutObjectLegalHold: ON is true
	Restore          *JobRestore          // S3InitiateRestoreObject
	Checksum         *JobChecksum         // S3ComputeObjectChecksum
}

// JobUpdateEncryption is S3UpdateObjectEncryption's ObjectEncryption: the
// encryption every object is re-sealed under.
type JobUpdateEncryption struct {
	Type             SSEType // SSEKMS (the only kind the model offers)
	KMSKeyARN        string
	BucketKeyEnabled bool
}

// JobCopy is S3PutObjectCopy: every object is copied onto TargetResource
// (a bucket ARN), under TargetKeyPrefix.
type JobCopy struct {
	TargetResource            string // arn:aws:s3:::bucket
	TargetKeyPrefix           string
	CannedACL                 string
	Grants                    []Grant
	MetadataDirective         string // COPY or REPLACE
	ModifiedSince             time.Time
	UnmodifiedSince           time.Time
	NewMetadata               *ContentHeaders // with REPLACE
	NewTagging                []Tag           // nil: the tags are copied
	StorageClass              string
	SSEAwsKmsKeyID            string
	BucketKeyEnabled          bool
	ObjectLockLegalHoldStatus string
	ObjectLockMode            string
	ObjectLockRetainUntilDate time.Time
	ChecksumAlgorithm         string
	RedirectLocation          string

	// SSE is the copy's encryption (NewObjectMetadata.SSEAlgorithm:
	// AES256 is SSES3, KMS is SSEKMS); SSENone leaves it to the target
	// bucket's default.
	SSE           SSEType
	RequesterPays bool
}

// JobACL is S3PutObjectAcl's AccessControlPolicy: a canned ACL or an
// owner and grants.
type JobACL struct {
	CannedACL string
	OwnerID   string
	Grants    []Grant
}

// JobRetention is S3PutObjectRetention.
type JobRetention struct {
	BypassGovernance bool
	Retention        Retention // zero Mode and Until: the retention is removed
}

// JobRestore is S3InitiateRestoreObject.
type JobRestore struct {
	ExpirationDays int
	Tier           string // BULK or STANDARD
}

// JobChecksum is S3ComputeObjectChecksum.
type JobChecksum struct {
	Algorithm string
	Type      string // FULL_OBJECT or COMPOSITE
}

// The manifest formats of JobManifestSpec.Format, and the format a
// manifest generator writes.
const (
	ManifestBatchCSV           = "S3BatchOperations_CSV_20180820"
	ManifestInventoryCSV       = "S3InventoryReport_CSV_20161130"
	ManifestGeneratedCSV       = "S3InventoryReport_CSV_20211130"
	ReportFormatCSV            = "Report_CSV_20180820"
	ReportScopeAllTasks        = "AllTasks"
	ReportScopeFailedTasksOnly = "FailedTasksOnly"
)

// JobManifest is a manifest object that lists the job's objects.
type JobManifest struct {
	Format   string
	Fields   []string // Bucket, Key, VersionId (the CSV format's columns)
	Location JobManifestLocation
}

// JobManifestLocation names a manifest object.
type JobManifestLocation struct {
	ObjectARN       string // arn:aws:s3:::bucket/key
	ObjectVersionID string
	ETag            string
}

// JobManifestGenerator is S3JobManifestGenerator: the manifest is the
// objects of SourceBucket that match Filter.
type JobManifestGenerator struct {
	SourceBucket        string // a bucket ARN
	ExpectedBucketOwner string
	EnableOutput        bool
	Output              *JobManifestOutput
	Filter              JobManifestFilter
}

// JobManifestOutput is S3ManifestOutputLocation.
type JobManifestOutput struct {
	Bucket              string // a bucket ARN
	Prefix              string
	ExpectedBucketOwner string
	Format              string // ManifestGeneratedCSV
	// Encryption of the manifest written: SSENone, SSES3 or SSEKMS.
	Encryption SSEType
	KMSKeyID   string
}

// JobManifestFilter is JobManifestGeneratorFilter: an object is in the
// manifest when it matches every filter that is set.
type JobManifestFilter struct {
	EligibleForReplication     *bool
	CreatedAfter               time.Time
	CreatedBefore              time.Time
	ObjectReplicationStatuses  []string
	MatchAnyPrefix             []string
	MatchAnySuffix             []string
	MatchAnySubstring          []string
	ObjectSizeGreaterThanBytes *int64
	ObjectSizeLessThanBytes    *int64
	MatchAnyStorageClass       []string
	MatchAnyObjectEncryption   []EncryptionFilter
}

// EncryptionFilter is one ObjectEncryptionFilter: objects under Type
// (SSENone is NOTSSE), and for SSE-KMS and DSSE-KMS, when set, under that
// key and with that bucket key setting.
type EncryptionFilter struct {
	Type             SSEType
	KMSKeyARN        string
	BucketKeyEnabled *bool
}

// JobReport is where and whether a job writes its completion report.
type JobReport struct {
	Enabled             bool
	Bucket              string // a bucket ARN
	Prefix              string
	Format              string // ReportFormatCSV
	Scope               string // AllTasks or FailedTasksOnly
	ExpectedBucketOwner string
}
