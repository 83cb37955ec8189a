package server_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestPolicyStatusACL: GetBucketPolicyStatus answers for the bucket as a
// whole — a public ACL makes it public unless ACLs are disabled or Block
// Public Access ignores public ACLs.
func TestPolicyStatusACL(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	isPublic := func(bucket string) bool {
		t.Helper()
		out, err := c.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToBool(out.PolicyStatus.IsPublic)
	}
	for _, tc := range []struct {
		acl  types.BucketCannedACL
		want bool
	}{
		{types.BucketCannedACLPrivate, false},
		{types.BucketCannedACLPublicRead, true},
		{types.BucketCannedACLAuthenticatedRead, true},
	} {
		bucket := "ps-" + string(tc.acl)
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: tc.acl}); err != nil {
			t.Fatal(err)
		}
		if got := isPublic(bucket); got != tc.want {
			t.Fatalf("%s: IsPublic %v, want %v", tc.acl, got, tc.want)
		}
	}
	if _, err := c.PutPublicAccessBlock(ctx(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String("ps-public-read"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{IgnorePublicAcls: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if isPublic("ps-public-read") {
		t.Fatal("public ACL still counts under IgnorePublicAcls")
	}
}
