package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// TestBatchCopyWire: an S3PutObjectCopy job created through the SDK's
// s3control client copies every manifest object into another bucket
// under a prefix and SSE-KMS; a missing object is one failed task.
func TestBatchCopyWire(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	acct := ts.Root.AccountID
	mustBucket(t, c, "src")
	mustBucket(t, c, "dst")
	key, err := k.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("copy target")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	names := []string{"a.txt", "b/c.txt"}
	for _, n := range names {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(n), Body: strings.NewReader("data " + n)}); err != nil {
			t.Fatal(err)
		}
	}
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("manifest.csv"),
		Body: strings.NewReader("src,a.txt\nsrc,b/c.txt\nsrc,gone.txt\n")})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:PutObjectTagging"],"Resource":"*"},
 {"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey"],"Resource":"*"}]}`
	role := batchRole(t, ts, "batch-copy", "batchoperations.s3.amazonaws.com", policy)
	cc := ts.controlClient(testAK, testSK)
	out, err := cc.CreateJob(ctx(t), &s3control.CreateJobInput{AccountId: aws.String(acct), ConfirmationRequired: aws.Bool(false),
		ClientRequestToken: aws.String("copy-1"), Priority: aws.Int32(5), RoleArn: aws.String(role),
		Operation: &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
			TargetResource: aws.String("arn:aws:s3:::dst"), TargetKeyPrefix: aws.String("moved/"),
			NewObjectMetadata: &types.S3ObjectMetadata{SSEAlgorithm: types.S3SSEAlgorithmKms},
			SSEAwsKmsKeyId:    aws.String(keyARN), BucketKeyEnabled: true,
			NewObjectTagging: []types.S3Tag{{Key: aws.String("copied"), Value: aws.String("1")}}}},
		Manifest: &types.JobManifest{Spec: &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820,
			Fields: []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey}},
			Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::src/manifest.csv"), ETag: put.ETag}},
		Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::dst"), Prefix: aws.String("reports"),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeAllTasks}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var j *types.JobDescriptor
	for {
		d, err := cc.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(acct), JobId: out.JobId})
		if err != nil {
			t.Fatal(err)
		}
		j = d.Job
		if j.Status == types.JobStatusComplete || j.Status == types.JobStatusFailed || j.Status == types.JobStatusCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", j.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p := j.ProgressSummary
	if j.Status != types.JobStatusComplete || aws.ToInt64(p.NumberOfTasksSucceeded) != 2 || aws.ToInt64(p.NumberOfTasksFailed) != 1 {
		t.Fatalf("job %s %+v", j.Status, p)
	}
	if j.Operation.S3PutObjectCopy == nil || aws.ToString(j.Operation.S3PutObjectCopy.TargetKeyPrefix) != "moved/" {
		t.Errorf("DescribeJob operation %+v", j.Operation)
	}
	for _, n := range names {
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("moved/" + n)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN || !aws.ToBool(h.BucketKeyEnabled) {
			t.Errorf("%s: %s %s %v", n, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), aws.ToBool(h.BucketKeyEnabled))
		}
		if got := getBody(t, c, "dst", "moved/"+n); got != "data "+n {
			t.Errorf("%s reads %q", n, got)
		}
		tg, err := c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("dst"), Key: aws.String("moved/" + n)})
		if err != nil || len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Key) != "copied" {
			t.Errorf("%s tags %v %v", n, tg, err)
		}
	}
}
