package s3control_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kurastore/kura"
)

const (
	kmsKey  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	oldKey  = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-12ab-34cd-56ef-1234567890ab"
	roleARN = "arn:aws:iam::123456789012:role/batch"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// sdkCmp compares SDK shapes, whose unexported fields are the SDK's.
var sdkCmp = cmpopts.IgnoreUnexported(
	types.JobOperation{}, types.S3UpdateObjectEncryptionOperation{}, types.ObjectEncryption{}, types.S3UpdateObjectEncryptionSSEKMS{},
	types.S3CopyObjectOperation{}, types.S3Grant{}, types.S3Grantee{}, types.S3ObjectMetadata{}, types.S3Tag{},
	types.S3SetObjectAclOperation{}, types.S3AccessControlPolicy{}, types.S3AccessControlList{}, types.S3ObjectOwner{},
	types.S3SetObjectTaggingOperation{}, types.S3DeleteObjectTaggingOperation{}, types.S3InitiateRestoreObjectOperation{},
	types.S3SetObjectLegalHoldOperation{}, types.S3ObjectLockLegalHold{}, types.S3SetObjectRetentionOperation{}, types.S3Retention{},
	types.S3ReplicateObjectOperation{}, types.S3ComputeObjectChecksumOperation{},
	types.JobManifest{}, types.JobManifestSpec{}, types.JobManifestLocation{}, types.JobReport{},
	types.S3JobManifestGenerator{}, types.S3ManifestOutputLocation{}, types.GeneratedManifestEncryption{}, types.SSES3Encryption{},
	types.SSEKMSEncryption{}, types.JobManifestGeneratorFilter{}, types.KeyNameConstraint{},
)

// TestCreateJobUpdateEncryptionGenerator sends seed 000's use case in its
// working form (S3UpdateObjectEncryption over a manifest generator that
// selects SSE-S3 objects) with every filter set, and checks the JobSpec
// the engine is given and what DescribeJob gives back.
func TestCreateJobUpdateEncryptionGenerator(t *testing.T) {
	jobs := newFake()
	url, hosts := serve(t, jobs)
	c := client(url)
	after, before := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gen := &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
		SourceBucket:         aws.String("arn:aws:s3:::patients"),
		ExpectedBucketOwner:  aws.String(account),
		EnableManifestOutput: true,
		ManifestOutputLocation: &types.S3ManifestOutputLocation{
			Bucket: aws.String("arn:aws:s3:::manifests"), ManifestPrefix: aws.String("gen"), ExpectedManifestBucketOwner: aws.String(account),
			ManifestFormat:     types.GeneratedManifestFormatS3InventoryReportCsv20211130,
			ManifestEncryption: &types.GeneratedManifestEncryption{SSEKMS: &types.SSEKMSEncryption{KeyId: aws.String(kmsKey)}},
		},
		Filter: &types.JobManifestGeneratorFilter{
			EligibleForReplication: aws.Bool(false), CreatedAfter: &after, CreatedBefore: &before,
			ObjectReplicationStatuses: []types.ReplicationStatus{types.ReplicationStatusNone, types.ReplicationStatusCompleted},
			KeyNameConstraint: &types.KeyNameConstraint{MatchAnyPrefix: []string{"scans/", "notes/"}, MatchAnySuffix: []string{".dcm"},
				MatchAnySubstring: []string{"2025"}},
			ObjectSizeGreaterThanBytes: aws.Int64(0), ObjectSizeLessThanBytes: aws.Int64(1 << 40),
			MatchAnyStorageClass:     []types.S3StorageClass{types.S3StorageClassStandard, types.S3StorageClassDeepArchive},
			MatchAnyObjectEncryption: []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSES3{Value: types.SSES3Filter{}}},
		},
	}}
	op := types.JobOperation{S3UpdateObjectEncryption: &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
		SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(kmsKey), BucketKeyEnabled: aws.Bool(true)}}}}
	report := &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::reports"), Format: types.JobReportFormatReportCsv20180820,
		Prefix: aws.String("batch-operations-reports"), ReportScope: types.JobReportScopeAllTasks, ExpectedBucketOwner: aws.String(account)}
	out, err := c.CreateJob(ctx(t), &s3control.CreateJobInput{
		AccountId: aws.String(account), ClientRequestToken: aws.String("tok-1"), Priority: aws.Int32(10), RoleArn: aws.String(roleARN),
		Description: aws.String("SSE-S3 to SSE-KMS"), ConfirmationRequired: aws.Bool(false),
		Operation: &op, ManifestGenerator: gen, Report: report,
		Tags: []types.S3Tag{{Key: aws.String("team"), Value: aws.String("records")}, {Key: aws.String("empty"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.JobId)
	if !strings.HasPrefix((*hosts)[0], account+".localhost:") {
		t.Errorf("request went to host %q, want %s.<endpoint host> (botocore's form)", (*hosts)[0], account)
	}
	want := kura.JobSpec{
		Description: "SSE-S3 to SSE-KMS", Priority: 10, RoleARN: roleARN, ClientRequestToken: "tok-1",
		Operation: kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
			UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: kmsKey, BucketKeyEnabled: true}},
		ManifestGenerator: &kura.JobManifestGenerator{SourceBucket: "arn:aws:s3:::patients", ExpectedBucketOwner: account, EnableOutput: true,
			Output: &kura.JobManifestOutput{Bucket: "arn:aws:s3:::manifests", Prefix: "gen", ExpectedBucketOwner: account,
				Format: kura.ManifestGeneratedCSV, Encryption: kura.SSEKMS, KMSKeyID: kmsKey},
			Filter: kura.JobManifestFilter{EligibleForReplication: aws.Bool(false), CreatedAfter: after, CreatedBefore: before,
				ObjectReplicationStatuses: []string{"NONE", "COMPLETED"}, MatchAnyPrefix: []string{"scans/", "notes/"},
				MatchAnySuffix: []string{".dcm"}, MatchAnySubstring: []string{"2025"},
				ObjectSizeGreaterThanBytes: aws.Int64(0), ObjectSizeLessThanBytes: aws.Int64(1 << 40),
				MatchAnyStorageClass:     []string{"STANDARD", "DEEP_ARCHIVE"},
				MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSES3}}}},
		Report: kura.JobReport{Enabled: true, Bucket: "arn:aws:s3:::reports", Prefix: "batch-operations-reports", Format: kura.ReportFormatCSV,
			Scope: kura.ReportScopeAllTasks, ExpectedBucketOwner: account},
	}
	got := jobs.jobs[id]
	if diff := cmp.Diff(want, got.JobSpec); diff != "" {
		t.Errorf("JobSpec given to the engine (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]kura.Tag{{Key: "team", Value: "records"}, {Key: "empty"}}, got.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if jobs.lastAccount != account || jobs.lastCall.Principal.ARN != caller.ARN {
		t.Errorf("engine called for account %q as %q", jobs.lastAccount, jobs.lastCall.Principal.ARN)
	}

	got.Status, got.StatusUpdateReason = kura.JobActive, "running"
	got.Progress = kura.JobProgress{TotalTasks: 1000, Succeeded: 400, Failed: 2, ActiveSeconds: 31, TotalKnown: true}
	got.FailureReasons = []kura.JobFailure{{Code: "ExampleCode", Reason: "an example"}}
	got.GeneratedManifest = &kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::manifests/gen/job-x/manifest.json", ETag: "abc"}
	d, err := c.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(account), JobId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	j := d.Job
	if diff := cmp.Diff(&op, j.Operation, sdkCmp); diff != "" {
		t.Errorf("Operation round trip (-sent +described):\n%s", diff)
	}
	if diff := cmp.Diff(report, j.Report, sdkCmp); diff != "" {
		t.Errorf("Report round trip (-sent +described):\n%s", diff)
	}
	dg, ok := j.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator)
	if !ok {
		t.Fatalf("ManifestGenerator described as %T", j.ManifestGenerator)
	}
	if diff := cmp.Diff(gen.Value, dg.Value, sdkCmp, cmpopts.IgnoreUnexported(types.ObjectEncryptionFilterMemberSSES3{}, types.SSES3Filter{})); diff != "" {
		t.Errorf("ManifestGenerator round trip (-sent +described):\n%s", diff)
	}
	if aws.ToString(j.JobId) != id || j.Status != types.JobStatusActive || j.Priority != 10 ||
		aws.ToString(j.RoleArn) != roleARN || aws.ToBool(j.ConfirmationRequired) || aws.ToString(j.StatusUpdateReason) != "running" ||
		aws.ToString(j.JobArn) != "arn:aws:s3:us-east-1:"+account+":job/"+id || !j.CreationTime.Equal(got.CreationTime) || j.TerminationDate != nil {
		t.Errorf("described job = %+v", j)
	}
	p := j.ProgressSummary
	if aws.ToInt64(p.TotalNumberOfTasks) != 1000 || aws.ToInt64(p.NumberOfTasksSucceeded) != 400 || aws.ToInt64(p.NumberOfTasksFailed) != 2 ||
		aws.ToInt64(p.Timers.ElapsedTimeInActiveSeconds) != 31 {
		t.Errorf("ProgressSummary = %+v", p)
	}
	if len(j.FailureReasons) != 1 || aws.ToString(j.FailureReasons[0].FailureCode) != "ExampleCode" {
		t.Errorf("FailureReasons = %+v", j.FailureReasons)
	}
	if g := j.GeneratedManifestDescriptor; g == nil || g.Format != types.GeneratedManifestFormatS3InventoryReportCsv20211130 ||
		aws.ToString(g.Location.ObjectArn) != got.GeneratedManifest.ObjectARN {
		t.Errorf("GeneratedManifestDescriptor = %+v", g)
	}
}

// TestCreateJobOperations sends every operation the model has (but
// LambdaInvoke) over a CSV manifest and checks that DescribeJob gives back
// what was sent.
func TestCreateJobOperations(t *testing.T) {
	jobs := newFake()
	url, _ := serve(t, jobs)
	c := client(url)
	until := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	tags := []types.S3Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	grants := []types.S3Grant{
		{Grantee: &types.S3Grantee{TypeIdentifier: types.S3GranteeTypeIdentifierCanonical, Identifier: aws.String("abc123")}, Permission: types.S3PermissionRead},
		{Grantee: &types.S3Grantee{TypeIdentifier: types.S3GranteeTypeIdentifierEmailAddress, Identifier: aws.String("a@example.com")}, Permission: types.S3PermissionWriteAcp},
		{Grantee: &types.S3Grantee{TypeIdentifier: types.S3GranteeTypeIdentifierGroup, Identifier: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.S3PermissionRead},
	}
	cases := []struct {
		name string
		op   types.JobOperation
		want kura.JobOperationName
	}{
		{"copy", types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
			TargetResource: aws.String("arn:aws:s3:::target"), TargetKeyPrefix: aws.String("copied/"),
			AccessControlGrants: grants, MetadataDirective: types.S3MetadataDirectiveReplace,
			ModifiedSinceConstraint: &until, UnModifiedSinceConstraint: &until,
			NewObjectMetadata: &types.S3ObjectMetadata{CacheControl: aws.String("no-cache"), ContentType: aws.String("text/plain"),
				ContentDisposition: aws.String("inline"), ContentEncoding: aws.String("gzip"), ContentLanguage: aws.String("en"),
				HttpExpiresDate: &until, UserMetadata: map[string]string{"a": "1", "b": "2"}, SSEAlgorithm: types.S3SSEAlgorithmKms},
			NewObjectTagging: tags, RedirectLocation: aws.String("/elsewhere"), RequesterPays: true,
			StorageClass: types.S3StorageClassStandardIa, SSEAwsKmsKeyId: aws.String(kmsKey),
			ObjectLockLegalHoldStatus: types.S3ObjectLockLegalHoldStatusOn, ObjectLockMode: types.S3ObjectLockModeGovernance,
			ObjectLockRetainUntilDate: &until, BucketKeyEnabled: true, ChecksumAlgorithm: types.S3ChecksumAlgorithmCrc64nvme,
		}}, kura.OpS3PutObjectCopy},
		{"copy canned", types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
			TargetResource: aws.String("arn:aws:s3:::target"), CannedAccessControlList: types.S3CannedAccessControlListBucketOwnerFullControl,
		}}, kura.OpS3PutObjectCopy},
		{"acl", types.JobOperation{S3PutObjectAcl: &types.S3SetObjectAclOperation{AccessControlPolicy: &types.S3AccessControlPolicy{
			AccessControlList: &types.S3AccessControlList{Owner: &types.S3ObjectOwner{ID: aws.String("owner1")}, Grants: grants}}}}, kura.OpS3PutObjectAcl},
		{"acl canned", types.JobOperation{S3PutObjectAcl: &types.S3SetObjectAclOperation{AccessControlPolicy: &types.S3AccessControlPolicy{
			CannedAccessControlList: types.S3CannedAccessControlListPrivate}}}, kura.OpS3PutObjectAcl},
		{"tagging", types.JobOperation{S3PutObjectTagging: &types.S3SetObjectTaggingOperation{TagSet: tags}}, kura.OpS3PutObjectTagging},
		{"delete tagging", types.JobOperation{S3DeleteObjectTagging: &types.S3DeleteObjectTaggingOperation{}}, kura.OpS3DeleteObjectTagging},
		{"restore", types.JobOperation{S3InitiateRestoreObject: &types.S3InitiateRestoreObjectOperation{ExpirationInDays: aws.Int32(3),
			GlacierJobTier: types.S3GlacierJobTierBulk}}, kura.OpS3InitiateRestoreObject},
		{"legal hold", types.JobOperation{S3PutObjectLegalHold: &types.S3SetObjectLegalHoldOperation{LegalHold: &types.S3ObjectLockLegalHold{
			Status: types.S3ObjectLockLegalHoldStatusOn}}}, kura.OpS3PutObjectLegalHold},
		{"retention", types.JobOperation{S3PutObjectRetention: &types.S3SetObjectRetentionOperation{BypassGovernanceRetention: aws.Bool(true),
			Retention: &types.S3Retention{Mode: types.S3ObjectLockRetentionModeCompliance, RetainUntilDate: &until}}}, kura.OpS3PutObjectRetention},
		{"replicate", types.JobOperation{S3ReplicateObject: &types.S3ReplicateObjectOperation{}}, kura.OpS3ReplicateObject},
		{"checksum", types.JobOperation{S3ComputeObjectChecksum: &types.S3ComputeObjectChecksumOperation{
			ChecksumAlgorithm: types.ComputeObjectChecksumAlgorithmSha256, ChecksumType: types.ComputeObjectChecksumTypeFullObject}}, kura.OpS3ComputeObjectChecksum},
	}
	manifest := &types.JobManifest{
		Spec: &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820,
			Fields: []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey, types.JobManifestFieldNameVersionId}},
		Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::mbucket/manifest.csv"), ETag: aws.String("60e460c9d1046e73f7dde5043ac3ae85"),
			ObjectVersionId: aws.String("v1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.CreateJob(ctx(t), &s3control.CreateJobInput{
				AccountId: aws.String(account), ClientRequestToken: aws.String("tok-" + tc.name), Priority: aws.Int32(0), RoleArn: aws.String(roleARN),
				Operation: &tc.op, Manifest: manifest, Report: &types.JobReport{Enabled: false},
			})
			if err != nil {
				t.Fatal(err)
			}
			spec := jobs.jobs[aws.ToString(out.JobId)].JobSpec
			if spec.Operation.Name != tc.want || spec.Manifest == nil || spec.Manifest.Location.ObjectVersionID != "v1" ||
				!spec.ConfirmationRequired {
				t.Errorf("spec = %+v (an omitted ConfirmationRequired must be true)", spec)
			}
			d, err := c.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(account), JobId: out.JobId})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.op, d.Job.Operation, sdkCmp); diff != "" {
				t.Errorf("Operation round trip (-sent +described):\n%s", diff)
			}
			if diff := cmp.Diff(manifest, d.Job.Manifest, sdkCmp); diff != "" {
				t.Errorf("Manifest round trip (-sent +described):\n%s", diff)
			}
		})
	}
	// The kura side of the copy: grantees as the ACL operations take them.
	var cp *kura.JobCopy
	for _, j := range jobs.jobs {
		if j.ClientRequestToken == "tok-copy" {
			cp = j.Operation.Copy
		}
	}
	wantGrants := []kura.Grant{{Type: "CanonicalUser", ID: "abc123", Permission: "READ"},
		{Type: "AmazonCustomerByEmail", ID: "a@example.com", Permission: "WRITE_ACP"},
		{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}}
	if cp == nil || cp.SSE != kura.SSEKMS || !cp.RequesterPays || cp.NewMetadata == nil || cp.NewMetadata.Metadata["a"] != "1" ||
		cp.NewMetadata.Expires != until.Format(http.TimeFormat) {
		t.Errorf("copy = %+v", cp)
	} else if diff := cmp.Diff(wantGrants, cp.Grants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
}

func TestListJobs(t *testing.T) {
	jobs := newFake()
	url, _ := serve(t, jobs)
	c := client(url)
	for i := 0; i < 5; i++ {
		jobs.CreateJob(ctx(t), kura.Call{}, account, kura.JobSpec{Description: "d", Priority: i,
			Operation: kura.JobOperation{Name: kura.OpS3DeleteObjectTagging}}, nil)
	}
	jobs.jobs["job-00002"].Status = kura.JobComplete
	jobs.jobs["job-00002"].TerminationDate = created.Add(time.Hour)
	jobs.jobs["job-00004"].Status = kura.JobSuspended

	var ids []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.ListJobs(ctx(t), &s3control.ListJobsInput{AccountId: aws.String(account), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if jobs.lastMax != 2 {
			t.Errorf("engine asked for %d jobs, want 2", jobs.lastMax)
		}
		for _, j := range out.Jobs {
			ids = append(ids, aws.ToString(j.JobId))
			if j.Operation != types.OperationNameS3DeleteObjectTagging || aws.ToString(j.Description) != "d" || j.CreationTime == nil {
				t.Errorf("list descriptor = %+v", j)
			}
			if aws.ToString(j.JobId) == "job-00002" && (j.Status != types.JobStatusComplete || j.TerminationDate == nil) {
				t.Errorf("job-00002 = %+v", j)
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(ids, ",") != "job-00001,job-00002,job-00003,job-00004,job-00005" {
		t.Errorf("paged through %v", ids)
	}

	out, err := c.ListJobs(ctx(t), &s3control.ListJobsInput{AccountId: aws.String(account),
		JobStatuses: []types.JobStatus{types.JobStatusComplete, types.JobStatusSuspended}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Jobs) != 2 || jobs.lastMax != 1000 || len(jobs.lastStatuses) != 2 || jobs.lastStatuses[1] != kura.JobSuspended {
		t.Errorf("filtered: %d jobs; engine given statuses %v, max %d", len(out.Jobs), jobs.lastStatuses, jobs.lastMax)
	}

	_, err = c.ListJobs(ctx(t), &s3control.ListJobsInput{AccountId: aws.String(account), JobStatuses: []types.JobStatus{"Running"}})
	wantAPIError(t, err, "InvalidRequest", 400, "valid values are: Active, Cancelled")
}

func TestUpdateJobPriorityStatusAndTagging(t *testing.T) {
	jobs := newFake()
	url, _ := serve(t, jobs)
	c := client(url)
	id, _ := jobs.CreateJob(ctx(t), kura.Call{}, account, kura.JobSpec{Operation: kura.JobOperation{Name: kura.OpS3ReplicateObject}}, nil)
	jobs.jobs[id].Status = kura.JobSuspended
	acct := aws.String(account)

	p, err := c.UpdateJobPriority(ctx(t), &s3control.UpdateJobPriorityInput{AccountId: acct, JobId: &id, Priority: 42})
	if err != nil || p.Priority != 42 || aws.ToString(p.JobId) != id || jobs.jobs[id].Priority != 42 {
		t.Fatalf("UpdateJobPriority = %+v, %v", p, err)
	}
	s, err := c.UpdateJobStatus(ctx(t), &s3control.UpdateJobStatusInput{AccountId: acct, JobId: &id,
		RequestedJobStatus: types.RequestedJobStatusReady, StatusUpdateReason: aws.String("looks right")})
	if err != nil || s.Status != types.JobStatusReady || aws.ToString(s.StatusUpdateReason) != "looks right" || jobs.lastReason != "looks right" {
		t.Fatalf("UpdateJobStatus = %+v, %v", s, err)
	}
	// The engine's errors reach the client with their code.
	_, err = c.UpdateJobStatus(ctx(t), &s3control.UpdateJobStatusInput{AccountId: acct, JobId: &id, RequestedJobStatus: types.RequestedJobStatusReady})
	var jse *types.JobStatusException
	if !errors.As(err, &jse) {
		t.Errorf("confirming a Ready job: %v, want JobStatusException", err)
	}
	s, err = c.UpdateJobStatus(ctx(t), &s3control.UpdateJobStatusInput{AccountId: acct, JobId: &id, RequestedJobStatus: types.RequestedJobStatusCancelled})
	if err != nil || s.Status != types.JobStatusCancelling {
		t.Fatalf("cancel = %+v, %v", s, err)
	}

	tags := []types.S3Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b c"), Value: aws.String("x/y=z")}}
	if _, err := c.PutJobTagging(ctx(t), &s3control.PutJobTaggingInput{AccountId: acct, JobId: &id, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetJobTagging(ctx(t), &s3control.GetJobTaggingInput{AccountId: acct, JobId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tags, g.Tags, sdkCmp); diff != "" {
		t.Errorf("tags (-put +got):\n%s", diff)
	}
	if _, err := c.DeleteJobTagging(ctx(t), &s3control.DeleteJobTaggingInput{AccountId: acct, JobId: &id}); err != nil {
		t.Fatal(err)
	}
	if g, err = c.GetJobTagging(ctx(t), &s3control.GetJobTaggingInput{AccountId: acct, JobId: &id}); err != nil || len(g.Tags) != 0 {
		t.Errorf("tags after delete = %v, %v", g.Tags, err)
	}
	many := make([]types.S3Tag, 51)
	for i := range many {
		many[i] = types.S3Tag{Key: aws.String("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), Value: aws.String("")}
	}
	_, err = c.PutJobTagging(ctx(t), &s3control.PutJobTaggingInput{AccountId: acct, JobId: &id, Tags: many})
	wantAPIError(t, err, "InvalidRequest", 400, "at most 50 tags")

	_, err = c.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: acct, JobId: aws.String("no-such-job")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeJob of an unknown job: %v, want NotFoundException", err)
	}
	_, err = c.UpdateJobPriority(ctx(t), &s3control.UpdateJobPriorityInput{AccountId: acct, JobId: aws.String("bad!id"), Priority: 1})
	wantAPIError(t, err, "InvalidRequest", 400, "job id")
}

// TestAccountMismatch: a caller can only manage its own account's jobs.
func TestAccountMismatch(t *testing.T) {
	jobs := newFake()
	url, _ := serve(t, jobs)
	c := client(url)
	_, err := c.ListJobs(ctx(t), &s3control.ListJobsInput{AccountId: aws.String("210987654321")})
	wantAPIError(t, err, "AccessDenied", 403, "x-amz-account-id 210987654321")
	if jobs.lastAccount != "" {
		t.Errorf("the engine was called for account %q", jobs.lastAccount)
	}
}

// wantAPIError checks err is the S3 Control error code with status and a
// message containing msg.
func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	var re interface{ HTTPStatusCode() int }
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) || (errors.As(err, &re) && re.HTTPStatusCode() != status) {
		t.Errorf("error = %v, want %s (%d) saying %q", err, code, status, msg)
	}
}

// raw sends an unsigned request as curl would: the front trusts the S3
// front to have authenticated it.
func raw(t *testing.T, method, url, host string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
