package server_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// Batch Operations end to end, without the S3 Control wire front (the
// engine is called as the front will call it): objects, the job role and
// the manifest are made through the real APIs with aws-sdk-go-v2, the job
// runs in the server's background under its lease, and its effects and
// completion report are read back through S3.

// batchRole creates a role Batch Operations may assume, allowed policy.
func batchRole(t *testing.T, ts *testServer, name, trustService, policy string) string {
	t.Helper()
	root := ts.iamClient(testAK, testSK, "")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + trustService + `"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("batch"),
		PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(role.Role.Arn)
}

func getBody(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBatchReencryptEndToEnd(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	acct := ts.Root.AccountID
	rootCall := kura.Call{Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root", PrincipalID: acct}}
	mustBucket(t, c, "photos")
	mustBucket(t, c, "job-reports")
	key, err := k.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("batch target")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)

	type view struct {
		etag string
		mod  time.Time
	}
	before := map[string]view{}
	var manifest strings.Builder
	for i := range 40 {
		name := fmt.Sprintf("2026/img %02d.jpg", i)
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String(name),
			Body: strings.NewReader("pixels of " + name)}); err != nil {
			t.Fatal(err)
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("%s starts as %s", name, h.ServerSideEncryption)
		}
		before[name] = view{aws.ToString(h.ETag), aws.ToTime(h.LastModified)}
		fmt.Fprintf(&manifest, "photos,%s\n", strings.ReplaceAll(name, " ", "%20"))
	}
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("job-reports"), Key: aws.String("manifests/rekey.csv"),
		Body: strings.NewReader(manifest.String())})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption"],"Resource":"*"},
 {"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","kms:ReEncrypt*"],"Resource":"*"}]}`
	role := batchRole(t, ts, "batch-rekey", "batchoperations.s3.amazonaws.com", policy)
	untrusted := batchRole(t, ts, "not-for-batch", "ec2.amazonaws.com", policy)

	spec := kura.JobSpec{Priority: 10, RoleARN: role, ClientRequestToken: "rekey-1", Description: "move photos to SSE-KMS",
		Manifest: &kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key"},
			Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::job-reports/manifests/rekey.csv", ETag: aws.ToString(put.ETag)}},
		Operation: kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
			UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: keyARN, BucketKeyEnabled: true}},
		Report: kura.JobReport{Enabled: true, Bucket: "arn:aws:s3:::job-reports", Prefix: "reports", Format: kura.ReportFormatCSV,
			Scope: kura.ReportScopeAllTasks}}

	bad := spec
	bad.RoleARN, bad.ClientRequestToken = untrusted, "rekey-bad"
	if _, err := ts.Batch.CreateJob(ctx(t), rootCall, acct, bad, nil); !s3err.Is(err, s3err.AccessDenied) {
		t.Fatalf("a role that does not trust Batch Operations: %v, want AccessDenied", err)
	}
	id, err := ts.Batch.CreateJob(ctx(t), rootCall, acct, spec, []kura.Tag{{Key: "purpose", Value: "rekey"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var j *kura.Job
	for {
		if j, err = ts.Batch.DescribeJob(ctx(t), rootCall, acct, id); err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after a minute", j.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j.Status != kura.JobComplete || j.Progress.TotalTasks != 40 || j.Progress.Succeeded != 40 || j.Progress.Failed != 0 {
		t.Fatalf("job %s, progress %+v, failures %v", j.Status, j.Progress, j.FailureReasons)
	}
	for name, b := range before {
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN || !aws.ToBool(h.BucketKeyEnabled) {
			t.Errorf("%s: %s %s bucket key %v, want SSE-KMS under %s with a bucket key", name, h.ServerSideEncryption,
				aws.ToString(h.SSEKMSKeyId), aws.ToBool(h.BucketKeyEnabled), keyARN)
		}
		if aws.ToString(h.ETag) != b.etag || !aws.ToTime(h.LastModified).Equal(b.mod) {
			t.Errorf("%s: ETag %s Last-Modified %v, was %s %v", name, aws.ToString(h.ETag), aws.ToTime(h.LastModified), b.etag, b.mod)
		}
		if got := getBody(t, c, "photos", name); got != "pixels of "+name {
			t.Errorf("%s reads %q", name, got)
		}
	}

	// The completion report, in S3's layout.
	var idx struct {
		Format       string
		ReportSchema string
		Results      []struct{ TaskExecutionStatus, Bucket, MD5Checksum, Key string }
	}
	if err := json.Unmarshal([]byte(getBody(t, c, "job-reports", "reports/job-"+id+"/manifest.json")), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Format != "Report_CSV_20180820" || len(idx.Results) == 0 {
		t.Fatalf("report index %+v", idx)
	}
	seen := map[string]bool{}
	for _, r := range idx.Results {
		if r.TaskExecutionStatus != "succeeded" || r.Bucket != "job-reports" || !strings.HasPrefix(r.Key, "reports/job-"+id+"/results/") {
			t.Errorf("report entry %+v", r)
		}
		rows, err := csv.NewReader(strings.NewReader(getBody(t, c, "job-reports", r.Key))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if len(row) != 11 || row[0] != "photos" || row[3] != "succeeded" || row[4] != "200" || row[7] != "SSE-S3" {
				t.Errorf("report row %q", row)
			}
			seen[row[1]] = true
		}
	}
	if len(seen) != 40 {
		t.Errorf("the report names %d objects, want 40", len(seen))
	}
	// The report is encrypted as the bucket's default (SSE-S3 here).
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("job-reports"), Key: aws.String("reports/job-" + id + "/manifest.json")})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("report encryption %v %v", err, h)
	}
	if tags, err := ts.Batch.GetJobTagging(ctx(t), rootCall, acct, id); err != nil || len(tags) != 1 {
		t.Errorf("job tags %v %v", tags, err)
	}
}
