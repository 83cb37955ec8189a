package batch

import (
	"regexp"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
)

// CreateJob's checks, in the order of the model's members: every refusal
// says which values are valid.

const maxPriority = 2147483647

var roleARNPattern = regexp.MustCompile(`^arn:[^:]+:iam::\d{12}:role/.+$`)

// supportedOps are the operations this engine runs.
var supportedOps = []kura.JobOperationName{kura.OpS3UpdateObjectEncryption, kura.OpS3PutObjectCopy, kura.OpS3PutObjectTagging,
	kura.OpS3DeleteObjectTagging, kura.OpS3PutObjectAcl, kura.OpS3PutObjectRetention, kura.OpS3PutObjectLegalHold,
	kura.OpS3InitiateRestoreObject, kura.OpS3ComputeObjectChecksum, kura.OpS3ReplicateObject}

func (s *Service) validate(spec kura.JobSpec, tags []kura.Tag) error {
	switch {
	case spec.ClientRequestToken == "" || len(spec.ClientRequestToken) > 64:
		return badRequest("ClientRequestToken must be 1 to 64 characters.")
	case len(spec.Description) > 256:
		return badRequest("Description must be at most 256 characters.")
	case spec.Priority < 0 || spec.Priority > maxPriority:
		return badRequest("Priority must be between 0 and %d.", maxPriority)
	case !roleARNPattern.MatchString(spec.RoleARN):
		return badRequest("RoleArn %q is not an IAM role ARN (arn:aws:iam::<account-id>:role/<name>).", spec.RoleARN)
	case (spec.Manifest == nil) == (spec.ManifestGenerator == nil):
		return badRequest("Specify exactly one of Manifest and ManifestGenerator.")
	}
	if spec.Operation.Name == kura.OpS3ReplicateObject && s.cfg.Replicator == nil {
		return badRequest("The S3ReplicateObject operation is not available: this server runs no replicator.")
	}
	if err := validateOperation(spec.Operation); err != nil {
		return err
	}
	if m := spec.Manifest; m != nil {
		if err := validateManifest(m); err != nil {
			return err
		}
	}
	if g := spec.ManifestGenerator; g != nil {
		if err := validateGenerator(g); err != nil {
			return err
		}
	}
	if err := validateReport(spec.Report); err != nil {
		return err
	}
	return validTags(tags)
}

func validTags(tags []kura.Tag) error {
	if len(tags) > maxTags {
		return ErrTooManyTags
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 1024 || len(t.Value) > 1024 {
			return badRequest("A job tag's key must be 1 to 1024 characters and its value at most 1024.")
		}
	}
	return nil
}

func validateOperation(o kura.JobOperation) error {
	switch o.Name {
	case kura.OpLambdaInvoke:
		return badRequest("The LambdaInvoke operation is not supported by this server: it has no Lambda. Supported operations are %s.", opNames())
	case kura.OpS3ReplicateObject:
		return nil // S3ReplicateObject has no settings: the bucket's replication configuration says where
	case kura.OpS3PutObjectCopy:
		return validateCopy(o.Copy)
	case kura.OpS3UpdateObjectEncryption:
		e := o.UpdateEncryption
		if e == nil || e.Type != kura.SSEKMS {
			return badRequest("S3UpdateObjectEncryption needs an ObjectEncryption. Valid values are SSE-KMS (with a KMSKeyArn and BucketKeyEnabled).")
		}
		return object.EncryptionTarget{KMSKeyARN: e.KMSKeyARN, BucketKey: e.BucketKeyEnabled}.Validate()
	case kura.OpS3PutObjectTagging:
		return object.ValidateTags(o.Tagging, 10)
	case kura.OpS3DeleteObjectTagging:
		return nil
	case kura.OpS3PutObjectAcl:
		a := o.ACL
		if a == nil {
			return badRequest("S3PutObjectAcl needs an AccessControlPolicy: a CannedAccessControlList or an AccessControlList.")
		}
		if a.CannedACL != "" {
			if _, ok := ops.CannedACL(a.CannedACL, ops.ACLParties{}); !ok {
				return badRequest("CannedAccessControlList %q is not valid. Valid values are private, public-read, public-read-write, aws-exec-read, authenticated-read, bucket-owner-read, bucket-owner-full-control.", a.CannedACL)
			}
		}
		return nil
	case kura.OpS3PutObjectRetention:
		r := o.Retention
		if r == nil {
			return badRequest("S3PutObjectRetention needs a Retention.")
		}
		if m := r.Retention.Mode; m != "" && m != object.Governance && m != object.Compliance {
			return badRequest("Retention Mode %q is not valid. Valid values are GOVERNANCE and COMPLIANCE.", m)
		}
		return nil
	case kura.OpS3PutObjectLegalHold:
		if o.LegalHold == nil {
			return badRequest("S3PutObjectLegalHold needs a LegalHold Status. Valid values are ON and OFF.")
		}
		return nil
	case kura.OpS3InitiateRestoreObject:
		r := o.Restore
		if r == nil {
			return badRequest("S3InitiateRestoreObject needs ExpirationInDays and GlacierJobTier.")
		}
		if r.Tier != "" && r.Tier != "BULK" && r.Tier != "STANDARD" {
			return badRequest("GlacierJobTier %q is not valid. Valid values are BULK and STANDARD.", r.Tier)
		}
		if r.ExpirationDays < 0 {
			return badRequest("ExpirationInDays must be 0 or more.")
		}
		return nil
	case kura.OpS3ComputeObjectChecksum:
		c := o.Checksum
		if c == nil {
			return badRequest("S3ComputeObjectChecksum needs a ChecksumAlgorithm.")
		}
		alg, ok := checksum.Parse(c.Algorithm)
		if !ok {
			return badRequest("ChecksumAlgorithm %q is not valid. Valid values are CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH64, XXHASH3, XXHASH128.", c.Algorithm)
		}
		switch c.Type {
		case "", "FULL_OBJECT":
			// The digest of the whole plaintext: defined for every
			// algorithm (unlike a multipart upload's full-object CRC).
		case "COMPOSITE":
			if !alg.SupportsComposite() {
				return badRequest("ChecksumType COMPOSITE is not valid with %s; use FULL_OBJECT.", alg)
			}
		default:
			return badRequest("ChecksumType %q is not valid. Valid values are FULL_OBJECT and COMPOSITE.", c.Type)
		}
		return nil
	}
	return badRequest("Operation %q is not valid. Valid values are %s.", o.Name, opNames())
}

func opNames() string {
	out := make([]string, len(supportedOps))
	for i, o := range supportedOps {
		out[i] = string(o)
	}
	return strings.Join(out, ", ")
}

// splitObjectARN splits arn:aws:s3:::bucket/key.
func splitObjectARN(arn string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return "", "", false
	}
	bucket, key, ok = strings.Cut(rest, "/")
	return bucket, key, ok && bucket != "" && key != ""
}

// bucketOfARN is the bucket of arn:aws:s3:::bucket.
func bucketOfARN(arn string) (string, bool) {
	b, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	return b, ok && b != "" && !strings.Contains(b, "/")
}

func validateManifest(m *kura.JobManifest) error {
	switch m.Format {
	case kura.ManifestBatchCSV:
		if err := checkFields(m.Fields); err != nil {
			return err
		}
	case kura.ManifestInventoryCSV:
	default:
		return badRequest("Manifest Format %q is not valid. Valid values are %s and %s (%s is only the format a manifest generator writes).",
			m.Format, kura.ManifestBatchCSV, kura.ManifestInventoryCSV, kura.ManifestGeneratedCSV)
	}
	if _, _, ok := splitObjectARN(m.Location.ObjectARN); !ok {
		return badRequest("Manifest ObjectArn %q is not an object ARN (arn:aws:s3:::bucket/key).", m.Location.ObjectARN)
	}
	if m.Location.ETag == "" {
		return badRequest("Manifest Location needs the ETag of the manifest object.")
	}
	return nil
}

// checkFields checks the CSV manifest's Fields: Ignore, Bucket, Key,
// VersionId, with Bucket and Key once each.
func checkFields(fields []string) error {
	seen := map[string]int{}
	for _, f := range fields {
		switch f {
		case "Ignore", "Bucket", "Key", "VersionId":
			seen[f]++
		default:
			return badRequest("Manifest field %q is not valid. Valid values are Ignore, Bucket, Key and VersionId.", f)
		}
	}
	if seen["Bucket"] != 1 || seen["Key"] != 1 || seen["VersionId"] > 1 {
		return badRequest("Manifest Fields must name Bucket and Key once each (and VersionId at most once), e.g. [Bucket, Key].")
	}
	return nil
}

var validClasses = []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}

func validateGenerator(g *kura.JobManifestGenerator) error {
	if _, ok := bucketOfARN(g.SourceBucket); !ok {
		return badRequest("SourceBucket %q is not a bucket ARN (arn:aws:s3:::bucket).", g.SourceBucket)
	}
	if g.EnableOutput {
		o := g.Output
		if o == nil {
			return badRequest("EnableManifestOutput needs a ManifestOutputLocation.")
		}
		if _, ok := bucketOfARN(o.Bucket); !ok {
			return badRequest("ManifestOutputLocation Bucket %q is not a bucket ARN (arn:aws:s3:::bucket).", o.Bucket)
		}
		if o.Format != kura.ManifestGeneratedCSV {
			return badRequest("ManifestFormat %q is not valid. Valid values are %s.", o.Format, kura.ManifestGeneratedCSV)
		}
		if o.Encryption != kura.SSENone && o.Encryption != kura.SSES3 && o.Encryption != kura.SSEKMS {
			return badRequest("ManifestEncryption is not valid. Valid values are SSE-S3 and SSE-KMS (with a KeyId).")
		}
	}
	f := g.Filter
	for _, c := range f.MatchAnyStorageClass {
		if !contains(validClasses, c) {
			return badRequest("Storage class %q is not valid. Valid values are %s.", c, strings.Join(validClasses, ", "))
		}
	}
	for _, st := range f.ObjectReplicationStatuses {
		if !contains([]string{"COMPLETED", "FAILED", "REPLICA", "NONE"}, st) {
			return badRequest("Replication status %q is not valid. Valid values are COMPLETED, FAILED, REPLICA and NONE.", st)
		}
	}
	for _, e := range f.MatchAnyObjectEncryption {
		switch e.Type {
		case kura.SSES3, kura.SSEKMS, kura.SSEDSSE, kura.SSEC, kura.SSENone:
		default:
			return badRequest("ObjectEncryption %q is not valid. Valid values are SSE-S3, SSE-KMS, DSSE-KMS, SSE-C and NOT-SSE.", e.Type)
		}
	}
	if a, b := f.ObjectSizeGreaterThanBytes, f.ObjectSizeLessThanBytes; a != nil && *a < 0 || b != nil && *b < 0 {
		return badRequest("Object size bounds must be 0 or more.")
	}
	return nil
}

func validateReport(r kura.JobReport) error {
	if !r.Enabled {
		return nil
	}
	if _, ok := bucketOfARN(r.Bucket); !ok {
		return badRequest("Report Bucket %q is not a bucket ARN (arn:aws:s3:::bucket).", r.Bucket)
	}
	if r.Format != kura.ReportFormatCSV {
		return badRequest("Report Format %q is not valid. Valid values are %s.", r.Format, kura.ReportFormatCSV)
	}
	if r.Scope != "" && r.Scope != kura.ReportScopeAllTasks && r.Scope != kura.ReportScopeFailedTasksOnly {
		return badRequest("ReportScope %q is not valid. Valid values are %s and %s.", r.Scope, kura.ReportScopeAllTasks, kura.ReportScopeFailedTasksOnly)
	}
	if len(r.Prefix) > 512 {
		return badRequest("Report Prefix must be at most 512 characters.")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validateCopy checks S3PutObjectCopy: what a task's CopyObject would
// refuse for every object is refused once, at CreateJob.
func validateCopy(c *kura.JobCopy) error {
	if c == nil {
		return badRequest("S3PutObjectCopy needs a TargetResource (arn:aws:s3:::bucket).")
	}
	if _, ok := bucketOfARN(c.TargetResource); !ok {
		return badRequest("TargetResource %q is not a bucket ARN (arn:aws:s3:::bucket).", c.TargetResource)
	}
	if len(c.TargetKeyPrefix) > 1024 {
		return badRequest("TargetKeyPrefix must be at most 1024 characters.")
	}
	switch c.MetadataDirective {
	case "", ops.DirectiveCopy, ops.DirectiveReplace:
	default:
		return badRequest("MetadataDirective %q is not valid. Valid values are COPY and REPLACE.", c.MetadataDirective)
	}
	if c.NewMetadata != nil && c.MetadataDirective != ops.DirectiveReplace {
		return badRequest("NewObjectMetadata is only applied with MetadataDirective REPLACE; set MetadataDirective to REPLACE or remove NewObjectMetadata.")
	}
	if c.StorageClass != "" && !contains(validClasses, c.StorageClass) {
		return badRequest("StorageClass %q is not valid. Valid values are %s.", c.StorageClass, strings.Join(validClasses, ", "))
	}
	switch c.SSE {
	case kura.SSENone, kura.SSES3, kura.SSEKMS:
	default:
		return badRequest("SSEAlgorithm is not valid. Valid values are AES256 and KMS.")
	}
	if c.SSEAwsKmsKeyID != "" && c.SSE == kura.SSES3 {
		return badRequest("SSEAwsKmsKeyId is only valid with SSEAlgorithm KMS.")
	}
	if a := c.ChecksumAlgorithm; a != "" {
		if _, ok := checksum.Parse(a); !ok {
			return badRequest("ChecksumAlgorithm %q is not valid. Valid values are CRC32, CRC32C, SHA1, SHA256, CRC64NVME.", a)
		}
	}
	switch c.ObjectLockLegalHoldStatus {
	case "", "ON", "OFF":
	default:
		return badRequest("ObjectLockLegalHoldStatus %q is not valid. Valid values are ON and OFF.", c.ObjectLockLegalHoldStatus)
	}
	switch m := c.ObjectLockMode; {
	case m == "" && !c.ObjectLockRetainUntilDate.IsZero(), m != "" && c.ObjectLockRetainUntilDate.IsZero():
		return badRequest("ObjectLockMode and ObjectLockRetainUntilDate must be given together.")
	case m != "" && m != object.Governance && m != object.Compliance:
		return badRequest("ObjectLockMode %q is not valid. Valid values are GOVERNANCE and COMPLIANCE.", m)
	}
	if a := c.CannedACL; a != "" {
		if _, ok := ops.CannedACL(a, ops.ACLParties{}); !ok {
			return badRequest("CannedAccessControlList %q is not valid. Valid values are private, public-read, public-read-write, aws-exec-read, authenticated-read, bucket-owner-read, bucket-owner-full-control.", a)
		}
	}
	return nil
}
