package s3control

import (
	"regexp"

	"github.com/kurastore/kura"
)

// The values the s3control model (botocore's, 2018-08-20) allows for its
// enum members, in the model's order: the order messages list them in.
var (
	manifestFormats        = []string{kura.ManifestBatchCSV, kura.ManifestInventoryCSV}
	manifestFields         = []string{"Ignore", "Bucket", "Key", "VersionId"}
	generatedFormats       = []string{kura.ManifestGeneratedCSV}
	reportFormats          = []string{kura.ReportFormatCSV}
	reportScopes           = []string{kura.ReportScopeAllTasks, kura.ReportScopeFailedTasksOnly}
	cannedACLs             = []string{"private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control"}
	granteeTypes           = []string{"id", "emailAddress", "uri"}
	permissions            = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}
	metadataDirectives     = []string{"COPY", "REPLACE"}
	sseAlgorithms          = []string{"AES256", "KMS"}
	storageClasses         = []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}
	legalHoldStatuses      = []string{"OFF", "ON"}
	objectLockModes        = []string{"COMPLIANCE", "GOVERNANCE"}
	copyChecksumAlgorithms = []string{"CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"}
	computeAlgorithms      = []string{"CRC32", "CRC32C", "CRC64NVME", "MD5", "SHA1", "SHA256", "SHA512", "XXHASH64", "XXHASH3", "XXHASH128"}
	computeTypes           = []string{"FULL_OBJECT", "COMPOSITE"}
	glacierTiers           = []string{"BULK", "STANDARD"}
	replicationStatuses    = []string{"COMPLETED", "FAILED", "REPLICA", "NONE"}
	jobStatuses            = []string{"Active", "Cancelled", "Cancelling", "Complete", "Completing", "Failed", "Failing", "New", "Paused", "Pausing", "Preparing", "Ready", "Suspended"}
	requestedStatuses      = []string{"Cancelled", "Ready"}
	operationNames         = []string{"LambdaInvoke", "S3PutObjectCopy", "S3PutObjectAcl", "S3PutObjectTagging", "S3DeleteObjectTagging", "S3InitiateRestoreObject", "S3PutObjectLegalHold", "S3PutObjectRetention", "S3ReplicateObject", "S3ComputeObjectChecksum", "S3UpdateObjectEncryption"}
)

// hints add a sentence to the message of a value that is valid elsewhere
// in the model and is known to be put in the wrong place (seed 000's
// example uses all three).
var hints = map[string]string{
	kura.ManifestGeneratedCSV: " S3InventoryReport_CSV_20211130 is the format a manifest generator writes (ManifestGenerator/S3JobManifestGenerator/ManifestOutputLocation/ManifestFormat), not one a Manifest can be read in.",
	"Report_CSV_20211130":     " The only completion report format is Report_CSV_20180820.",
}

// The model's patterns for ARNs and ids.
var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	roleARNPattern   = regexp.MustCompile(`^arn:[^:]+:iam::\d{12}:role/.*$`)
	s3ARNPattern     = regexp.MustCompile(`^arn:[^:]+:s3:.*$`)
	copyTargetARN    = regexp.MustCompile(`^arn:[^:]+:(s3|s3express):.*$`)
	kmsKeyARNPattern = regexp.MustCompile(`^arn:aws[a-zA-Z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$`)
	jobIDPattern     = regexp.MustCompile(`^[a-zA-Z0-9\-\_]{5,36}$`)
	tagPattern       = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	nextTokenPattern = regexp.MustCompile(`^[A-Za-z0-9\+\:\/\=\?\#-_]+$`)
)
