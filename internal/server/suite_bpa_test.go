package server_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/server"
)

// Block Public Access at bucket level and the condition keys bucket
// policies read from an object's state and a write's ACL headers, through
// the wire with two accounts.

// bpaEnv is an authzEnv whose buckets have ACLs enabled (ObjectWriter),
// as BlockPublicAcls and IgnorePublicAcls only matter where ACLs count.
func bpaEnv(t *testing.T) *authzEnv {
	return newAuthzEnv(t, func(c *server.Config) { c.DefaultObjectOwnership = "ObjectWriter" })
}

func putPAB(t *testing.T, c *s3.Client, bucket string, acls, ignore, policy, restrict bool) {
	t.Helper()
	if _, err := c.PutPublicAccessBlock(ctx(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(acls), IgnorePublicAcls: aws.Bool(ignore),
			BlockPublicPolicy: aws.Bool(policy), RestrictPublicBuckets: aws.Bool(restrict)}}); err != nil {
		t.Fatalf("PutPublicAccessBlock %s: %v", bucket, err)
	}
}

// TestSuiteBPAConfiguration: Put, Get and DeletePublicAccessBlock, the 404
// without one, and the two permissions a bucket policy can deny.
func TestSuiteBPAConfiguration(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a := e.s3(e.rootA)
	mustBucket(t, a, "bpa-conf")

	_, err := a.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String("bpa-conf")})
	wantStatus(t, err, "NoSuchPublicAccessBlockConfiguration", 404)
	if _, err := a.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String("bpa-conf")}); err != nil {
		t.Fatalf("DeletePublicAccessBlock without one: %v", err)
	}

	putPAB(t, a, "bpa-conf", true, false, true, false)
	out, err := a.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String("bpa-conf")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.PublicAccessBlockConfiguration
	if !aws.ToBool(c.BlockPublicAcls) || aws.ToBool(c.IgnorePublicAcls) || !aws.ToBool(c.BlockPublicPolicy) || aws.ToBool(c.RestrictPublicBuckets) {
		t.Fatalf("GetPublicAccessBlock: %+v", c)
	}

	// A bucket policy can deny reading it, even to the owner's root.
	e.putBucketPolicy(t, a, "bpa-conf", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
		"Action":"s3:GetBucketPublicAccessBlock","Resource":"arn:aws:s3:::bpa-conf"}]}`)
	_, err = a.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String("bpa-conf")})
	wantDenied(t, err, "")
	// Another account needs s3:PutBucketPublicAccessBlock.
	_, err = e.s3(e.rootB).DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String("bpa-conf")})
	wantDenied(t, err, "")

	if _, err := a.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String("bpa-conf")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String("bpa-conf")}); err != nil {
		t.Fatal(err)
	}
	_, err = a.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String("bpa-conf")})
	wantStatus(t, err, "NoSuchPublicAccessBlockConfiguration", 404)

	// An anonymous caller cannot set it.
	status, code, _ := anon(t, e.ts, "PUT", "/bpa-conf?publicAccessBlock", "<PublicAccessBlockConfiguration/>")
	if status != 403 || code != "AccessDenied" {
		t.Fatalf("anonymous PutPublicAccessBlock: %d %s", status, code)
	}
}

// TestSuiteBPABlockPublicAcls: with BlockPublicAcls, public ACLs (canned
// or granted, on the bucket or its objects) are refused; private ones are
// not.
func TestSuiteBPABlockPublicAcls(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a := e.s3(e.rootA)
	mustBucket(t, a, "bpa-acls")
	put(t, a, "bpa-acls", "k", []byte("v"))
	putPAB(t, a, "bpa-acls", true, false, false, false)

	for _, acl := range []types.BucketCannedACL{"public-read", "public-read-write", "authenticated-read"} {
		_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-acls"), ACL: acl})
		wantDenied(t, err, "")
	}
	_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-acls"),
		GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)})
	wantDenied(t, err, "")
	for _, acl := range []types.ObjectCannedACL{"public-read", "public-read-write", "authenticated-read"} {
		wantDenied(t, putErr(a, t, "bpa-acls", "new", func(in *s3.PutObjectInput) { in.ACL = acl }), "")
		_, err := a.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String("bpa-acls"), Key: aws.String("k"), ACL: acl})
		wantDenied(t, err, "")
		_, err = a.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("bpa-acls"), Key: aws.String("copy"),
			CopySource: aws.String("bpa-acls/k"), ACL: acl})
		wantDenied(t, err, "")
		_, err = a.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("bpa-acls"), Key: aws.String("mp"), ACL: acl})
		wantDenied(t, err, "")
	}
	if err := putErr(a, t, "bpa-acls", "private", func(in *s3.PutObjectInput) { in.ACL = "private" }); err != nil {
		t.Fatalf("private ACL: %v", err)
	}
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-acls"), ACL: "private"}); err != nil {
		t.Fatalf("private bucket ACL: %v", err)
	}
	_, canonB := e.canonicalIDs(t)
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-acls"),
		GrantRead: aws.String(`id="` + canonB + `"`)}); err != nil {
		t.Fatalf("grant to one account is not public: %v", err)
	}
	// Without the block, the same ACL is accepted.
	if _, err := a.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String("bpa-acls")}); err != nil {
		t.Fatal(err)
	}
	if err := putErr(a, t, "bpa-acls", "pub", func(in *s3.PutObjectInput) { in.ACL = "public-read" }); err != nil {
		t.Fatalf("public ACL without the block: %v", err)
	}
}

// TestSuiteBPAIgnorePublicAcls: public grants stop granting; grants to a
// named account still do.
func TestSuiteBPAIgnorePublicAcls(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "bpa-ignore")
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-ignore"), ACL: "public-read"}); err != nil {
		t.Fatal(err)
	}
	put(t, a, "bpa-ignore", "named", []byte("n"))
	if err := putErr(a, t, "bpa-ignore", "pub", func(in *s3.PutObjectInput) { in.ACL = "public-read" }); err != nil {
		t.Fatal(err)
	}
	_, canonB := e.canonicalIDs(t)
	if _, err := a.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String("bpa-ignore"), Key: aws.String("named"),
		GrantRead: aws.String(`id="` + canonB + `"`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("bpa-ignore")}); err != nil {
		t.Fatalf("public-read bucket before the block: %v", err)
	}
	if err := getErr(b, t, "bpa-ignore", "pub"); err != nil {
		t.Fatalf("public-read object before the block: %v", err)
	}
	if status, _, _ := anon(t, e.ts, "GET", "/bpa-ignore/pub", ""); status != 200 {
		t.Fatalf("anonymous GET before the block: %d", status)
	}

	putPAB(t, a, "bpa-ignore", false, true, false, false)
	_, err := b.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("bpa-ignore")})
	wantDenied(t, err, "")
	wantDenied(t, getErr(b, t, "bpa-ignore", "pub"), "")
	if status, code, _ := anon(t, e.ts, "GET", "/bpa-ignore/pub", ""); status != 403 || code != "AccessDenied" {
		t.Fatalf("anonymous GET under IgnorePublicAcls: %d %s", status, code)
	}
	if err := getErr(b, t, "bpa-ignore", "named"); err != nil {
		t.Fatalf("grant to a named account under IgnorePublicAcls: %v", err)
	}
	// The ACL is still there, and can still be set (BlockPublicAcls is off).
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("bpa-ignore"), ACL: "public-read"}); err != nil {
		t.Fatal(err)
	}
}

// TestSuiteBPAPublicPolicy: BlockPublicPolicy refuses a public policy and
// accepts a restricted one; RestrictPublicBuckets keeps a public policy
// from granting anyone outside the owner's account, its Deny statements
// still applying.
func TestSuiteBPAPublicPolicy(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "bpa-policy")
	put(t, a, "bpa-policy", "k", []byte("v"))
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-policy/*"}]}`
	putPAB(t, a, "bpa-policy", false, false, true, false)
	_, err := a.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("bpa-policy"), Policy: aws.String(public)})
	wantDenied(t, err, "")
	e.putBucketPolicy(t, a, "bpa-policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-policy/*"}]}`)
	e.putBucketPolicy(t, a, "bpa-policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-policy/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)

	putPAB(t, a, "bpa-policy", false, false, false, false)
	e.putBucketPolicy(t, a, "bpa-policy", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-policy/*"},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-policy/secret"}]}`)
	put(t, a, "bpa-policy", "secret", []byte("s"))
	if status, _, _ := anon(t, e.ts, "GET", "/bpa-policy/k", ""); status != 200 {
		t.Fatalf("anonymous GET of a public bucket: %d", status)
	}
	if err := getErr(b, t, "bpa-policy", "k"); err != nil {
		t.Fatal(err)
	}

	putPAB(t, a, "bpa-policy", false, false, false, true)
	if status, code, _ := anon(t, e.ts, "GET", "/bpa-policy/k", ""); status != 403 || code != "AccessDenied" {
		t.Fatalf("anonymous GET under RestrictPublicBuckets: %d %s", status, code)
	}
	wantDenied(t, getErr(b, t, "bpa-policy", "k"), "")
	if got := string(get(t, a, "bpa-policy", "k")); got != "v" {
		t.Fatalf("owner GET under RestrictPublicBuckets: %q", got)
	}
	// The Deny still applies to the owner's own users.
	u := e.user(t, e.rootA, "reader", allow("s3:GetObject arn:aws:s3:::bpa-policy/*"))
	if err := getErr(e.s3(u), t, "bpa-policy", "k"); err != nil {
		t.Fatalf("owner-account user: %v", err)
	}
	wantDenied(t, getErr(e.s3(u), t, "bpa-policy", "secret"), "")

	st, err := a.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String("bpa-policy")})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus: %+v %v", st, err)
	}
}

// TestSuiteBPAConditionKeys: s3:ExistingObjectTag/<key> is the addressed
// object's tags; s3:x-amz-grant-* the write's grant headers; aws:Referer
// the Referer header.
func TestSuiteBPAConditionKeys(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "bpa-keys")
	for _, k := range []string{"public", "private", "untagged"} {
		put(t, a, "bpa-keys", k, []byte(k))
	}
	tag := func(key, k, v string) {
		t.Helper()
		if _, err := a.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String("bpa-keys"), Key: aws.String(key),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	tag("public", "security", "public")
	tag("private", "security", "private")
	canonA, _ := e.canonicalIDs(t)
	e.putBucketPolicy(t, a, "bpa-keys", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":["s3:GetObject","s3:GetObjectTagging","s3:PutObjectTagging"],
		 "Resource":"arn:aws:s3:::bpa-keys/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}},
		{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bpa-keys/granted/*",
		 "Condition":{"StringEquals":{"s3:x-amz-grant-full-control":"id=`+canonA+`"}}},
		{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bpa-keys/untagged",
		 "Condition":{"StringLike":{"aws:Referer":"http://www.example.com/*"}}}]}`)

	if err := getErr(b, t, "bpa-keys", "public"); err != nil {
		t.Fatalf("GetObject of a public-tagged object: %v", err)
	}
	wantDenied(t, getErr(b, t, "bpa-keys", "private"), "")
	if _, err := b.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("bpa-keys"), Key: aws.String("public")}); err != nil {
		t.Fatal(err)
	}
	// The tags the object has now decide, not those the request sets.
	retag := func(key, v string) error {
		_, err := b.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String("bpa-keys"), Key: aws.String(key),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("security"), Value: aws.String(v)}}}})
		return err
	}
	wantDenied(t, retag("private", "public"), "")
	if err := retag("public", "private"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, retag("public", "public"), "")

	wantDenied(t, putErr(b, t, "bpa-keys", "granted/x"), "")
	if err := putErr(b, t, "bpa-keys", "granted/x", func(in *s3.PutObjectInput) { in.GrantFullControl = aws.String("id=" + canonA) }); err != nil {
		t.Fatalf("PutObject with the required grant: %v", err)
	}
	acl, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("bpa-keys"), Key: aws.String("granted/x")})
	if err != nil || len(acl.Grants) != 1 || aws.ToString(acl.Grants[0].Grantee.ID) != canonA {
		t.Fatalf("granted object's ACL: %+v %v", acl, err)
	}

	referer := func(v string) func(*s3.Options) {
		return func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("Referer", v))
		}
	}
	if _, err := b.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("bpa-keys"), Key: aws.String("untagged")},
		referer("http://www.example.com/page")); err != nil {
		t.Fatalf("GetObject with a matching Referer: %v", err)
	}
	_, err = b.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("bpa-keys"), Key: aws.String("untagged")},
		referer("http://example.org/"))
	wantDenied(t, err, "")
}

// TestSuiteBPAForeignObject: in a bucket with ACLs enabled, an object
// another account wrote is its writer's; the bucket owner's root may read
// it or its ACL only if the object's ACL grants it, but may still delete
// it.
func TestSuiteBPAForeignObject(t *testing.T) {
	t.Parallel()
	e := bpaEnv(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "bpa-foreign")
	e.putBucketPolicy(t, a, "bpa-foreign", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},
		"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::bpa-foreign/*"}]}`)
	_, canonB := e.canonicalIDs(t)
	if err := putErr(b, t, "bpa-foreign", "theirs"); err != nil {
		t.Fatal(err)
	}
	if err := putErr(b, t, "bpa-foreign", "shared", func(in *s3.PutObjectInput) { in.ACL = "bucket-owner-read" }); err != nil {
		t.Fatal(err)
	}
	put(t, a, "bpa-foreign", "mine", []byte("m"))

	_, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("bpa-foreign"), Key: aws.String("theirs")})
	wantDenied(t, err, "")
	wantDenied(t, getErr(a, t, "bpa-foreign", "theirs"), "")
	if err := getErr(a, t, "bpa-foreign", "shared"); err != nil {
		t.Fatalf("object granting the bucket owner READ: %v", err)
	}
	acl, err := b.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("bpa-foreign"), Key: aws.String("theirs")})
	if err != nil || aws.ToString(acl.Owner.ID) != canonB {
		t.Fatalf("writer's GetObjectAcl: %+v %v", acl, err)
	}
	if got := string(get(t, a, "bpa-foreign", "mine")); got != "m" {
		t.Fatalf("bucket owner's own object: %q", got)
	}
	if _, err := a.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("bpa-foreign"), Key: aws.String("theirs")}); err != nil {
		t.Fatalf("bucket owner deletes a foreign object: %v", err)
	}
}
