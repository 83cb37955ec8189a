package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestBatchUndoRealEngine: `kura batch create` re-seals objects to
// SSE-KMS on the server's own job engine, then `kura batch undo` puts
// every object back under SSE-S3 with its ETag and Last-Modified; an
// object written again in between (a copy onto itself under the AWS
// managed key) is left as it is.
func TestBatchUndoRealEngine(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00003", "kura-cli-test-secret-00000000000000000003"
	srv := startCLIServer(t, ak, sk, nil)
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	batchPoll = 10 * time.Millisecond
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(ak, sk, "")
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true, Credentials: creds})
	kc := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds})
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds})
	for _, b := range []string{"photos", "reports"} {
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("target")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	type view struct{ etag, mod string }
	before := map[string]view{}
	var manifest strings.Builder
	for i := range 12 {
		name := fmt.Sprintf("img-%02d.jpg", i)
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String(name), Body: strings.NewReader("pixels " + name)}); err != nil {
			t.Fatal(err)
		}
		h, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		before[name] = view{aws.ToString(h.ETag), aws.ToTime(h.LastModified).String()}
		fmt.Fprintf(&manifest, "photos,%s\n", name)
	}
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String("list.csv"), Body: strings.NewReader(manifest.String())}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("rekey"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("rekey"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption","kms:*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newBatchCmd()
		var out, errOut bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(append(args, "--endpoint", srv.URL()))
		err := cmd.ExecuteContext(ctx)
		return out.String(), err
	}
	id, err := run("create", "--operation", "update-encryption", "--kms-key-arn", keyARN, "--bucket-key",
		"--manifest-csv", "s3://reports/list.csv", "--report", "s3://reports/batch", "--role-arn", aws.ToString(role.Role.Arn), "--confirm")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id = strings.TrimSpace(id)
	if out, err := run("describe", id, "--watch"); err != nil || !strings.Contains(out, "Complete") {
		t.Fatalf("watch: %v\n%s", err, out)
	}
	head := func(name string) *s3.HeadObjectOutput {
		h, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := head("img-00.jpg"); h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms {
		t.Fatalf("not re-sealed: %s", h.ServerSideEncryption)
	}
	// Re-keyed after the job: undo leaves it alone.
	if _, err := sc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("photos"), Key: aws.String("img-11.jpg"),
		CopySource: aws.String("photos/img-11.jpg"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms,
		MetadataDirective: s3types.MetadataDirectiveReplace}); err != nil {
		t.Fatal(err)
	}
	out, err := run("undo", id, "--confirm", "--wait")
	if err != nil || !strings.Contains(out, "Complete") || !strings.Contains(out, "11/1/12") {
		t.Fatalf("undo --wait: %v\n%s", err, out)
	}
	for name, b := range before {
		if name == "img-11.jpg" {
			continue
		}
		h := head(name)
		if h.ServerSideEncryption != s3types.ServerSideEncryptionAes256 || aws.ToString(h.ETag) != b.etag || aws.ToTime(h.LastModified).String() != b.mod {
			t.Errorf("%s after undo: %s %s %v, was %+v", name, h.ServerSideEncryption, aws.ToString(h.ETag), aws.ToTime(h.LastModified), b)
		}
	}
	if h := head("img-11.jpg"); h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) == keyARN {
		t.Errorf("img-11.jpg: the later copy was touched: %s %s", h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId))
	}
}
