package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestAuthzMissingKeyListable: a read of a missing key answers 404 to a
// caller whose policies allow listing it (s3:ListBucket with s3:prefix the
// key) and 403 otherwise; an existing object still needs s3:GetObject, and
// an explicit Deny still wins.
func TestAuthzMissingKeyListable(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "mk-bucket")
	if _, err := a.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("mk-bucket"), Key: aws.String("public/there"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::mk-bucket","Condition":{"StringLike":{"s3:prefix":"public/*"}}},
	 {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::mk-bucket/public/denied"}]}`
	if _, err := a.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("mk-bucket"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	head := func(key string) error {
		_, err := b.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("mk-bucket"), Key: aws.String(key)})
		return err
	}
	wantHTTP(t, head("public/object"), 404)
	wantHTTP(t, head("private/object"), 403)
	wantHTTP(t, head("public/there"), 403) // exists: listing it grants no read
	wantHTTP(t, head("public/denied"), 403)
	_, err := b.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("mk-bucket"), Key: aws.String("public/object")})
	wantStatus(t, err, "NoSuchKey", 404)
}
