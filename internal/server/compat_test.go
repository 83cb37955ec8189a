package server_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Behaviour the aws CLI and boto3 end-to-end runs (scripts/e2e-*) found
// missing, pinned here on the wire.

// TestExpectedBucketOwner: the aws CLI's --expected-bucket-owner and the
// SDKs' ExpectedBucketOwner / ExpectedSourceBucketOwner must make a request
// fail with 403 AccessDenied when the bucket belongs to another account.
func TestExpectedBucketOwner(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "owned")
	put(t, c, "owned", "k", []byte("data"))
	me, other := aws.String(ts.Root.AccountID), aws.String("111122223333")

	if _, err := c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("owned"), ExpectedBucketOwner: me}); err != nil {
		t.Fatalf("HeadBucket with the right owner: %v", err)
	}
	_, err := c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("owned"), ExpectedBucketOwner: other})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("HeadBucket with another owner: want 403, got %v", err)
	}

	if _, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), ExpectedBucketOwner: me}); err != nil {
		t.Fatalf("GetObject with the right owner: %v", err)
	}
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("owned"), Key: aws.String("k"), ExpectedBucketOwner: other})
	wantCode(t, err, "AccessDenied")
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("owned"), Key: aws.String("new"),
		Body: strings.NewReader("x"), ExpectedBucketOwner: other})
	wantCode(t, err, "AccessDenied")
	_, err = c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("owned"), ExpectedBucketOwner: other})
	wantCode(t, err, "AccessDenied")
	_, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("owned"), Key: aws.String("new")})
	var nf interface{ ErrorCode() string }
	if !errors.As(err, &nf) || nf.ErrorCode() != "NotFound" {
		t.Fatalf("the refused PUT wrote the object: HeadObject = %v", err)
	}

	copyIn := func(src *string) *s3.CopyObjectInput {
		return &s3.CopyObjectInput{Bucket: aws.String("owned"), Key: aws.String("copy"),
			CopySource: aws.String("owned/k"), ExpectedBucketOwner: me, ExpectedSourceBucketOwner: src}
	}
	if _, err := c.CopyObject(cx, copyIn(me)); err != nil {
		t.Fatalf("CopyObject with the right source owner: %v", err)
	}
	_, err = c.CopyObject(cx, copyIn(other))
	wantCode(t, err, "AccessDenied")
}
