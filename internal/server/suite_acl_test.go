package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ACL and ownership behaviour the Ceph s3-tests suite exercises, as AWS S3
// behaves: an ACL revoking everything, Object Ownership's
// BucketOwnerEnforced refusing every ACL but bucket owner full control, a
// copy source readable through its ACL, the initiator's default right to
// abort its upload, and us-east-1's re-create resetting the bucket ACL.

// writerBucket creates bucket as c's account with ACLs enabled.
func writerBucket(t *testing.T, c *s3.Client, bucket string, acl types.BucketCannedACL) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: acl,
		ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

// TestSuiteACLRevokeAll: S3 stores exactly the grants given, so an empty
// AccessControlList reads back empty (not as the owner's default
// FULL_CONTROL), and the owner's root can still set the ACL back.
func TestSuiteACLRevokeAll(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, _ := e.canonicalIDs(t)
	a := e.s3(e.rootA)
	writerBucket(t, a, "acl-revoke", "")
	put(t, a, "acl-revoke", "foo", []byte("bar"))
	owner := &types.Owner{ID: aws.String(canonA)}
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-revoke"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: owner, Grants: []types.Grant{}}}); err != nil {
		t.Fatalf("PutBucketAcl with no grants: %v", err)
	}
	got, err := a.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String("acl-revoke")})
	if err != nil || len(got.Grants) != 0 || aws.ToString(got.Owner.ID) != canonA {
		t.Fatalf("ACL after revoking all: %+v %v", got, err)
	}
	fc := types.Grant{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(canonA)}, Permission: types.PermissionFullControl}
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-revoke"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: owner, Grants: []types.Grant{fc}}}); err != nil {
		t.Fatalf("owner restoring the ACL: %v", err)
	}
	got, err = a.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String("acl-revoke")})
	if err != nil || len(got.Grants) != 1 || aws.ToString(got.Grants[0].Grantee.ID) != canonA || got.Grants[0].Permission != types.PermissionFullControl {
		t.Fatalf("restored ACL: %+v %v", got, err)
	}
}

// TestSuiteACLBucketOwnerEnforced: with ACLs disabled, writes and ACL
// updates succeed without an ACL or with bucket owner full control (the
// bucket-owner-full-control canned ACL, or grants of FULL_CONTROL to the
// bucket owner alone); every other ACL, the private canned ACL included,
// is 400 AccessControlListNotSupported.
func TestSuiteACLBucketOwnerEnforced(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	const bucket = "acl-enforced"
	if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatal(err)
	}
	e.putBucketPolicy(t, a, bucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":"s3:*",`+
		`"Resource":["arn:aws:s3:::`+bucket+`","arn:aws:s3:::`+bucket+`/*"]}]}`)
	put(t, b, bucket, "src", []byte("x"))
	src := aws.String(bucket + "/src")
	notSupported := "AccessControlListNotSupported"
	for _, c := range []struct {
		name string
		fn   func() error
		ok   bool
	}{
		{"PutObject without ACL", func() error { return putErr(b, t, bucket, "none") }, true},
		{"PutObject bucket-owner-full-control", func() error {
			return putErr(b, t, bucket, "bofc", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl })
		}, true},
		{"PutObject FULL_CONTROL grant to the bucket owner", func() error {
			return putErr(b, t, bucket, "grant", func(in *s3.PutObjectInput) { in.GrantFullControl = aws.String(`id="` + canonA + `"`) })
		}, true},
		{"PutObject private", func() error {
			return putErr(b, t, bucket, "private", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPrivate })
		}, false},
		{"PutObject grant to another account", func() error {
			return putErr(b, t, bucket, "other", func(in *s3.PutObjectInput) { in.GrantRead = aws.String(`id="` + canonB + `"`) })
		}, false},
		{"CreateMultipartUpload bucket-owner-full-control", func() error {
			_, err := b.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
				ACL: types.ObjectCannedACLBucketOwnerFullControl})
			return err
		}, true},
		{"CreateMultipartUpload private", func() error {
			_, err := b.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
				ACL: types.ObjectCannedACLPrivate})
			return err
		}, false},
		{"CopyObject bucket-owner-full-control", func() error {
			_, err := b.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: src,
				ACL: types.ObjectCannedACLBucketOwnerFullControl})
			return err
		}, true},
		{"CopyObject private", func() error {
			_, err := b.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: src,
				ACL: types.ObjectCannedACLPrivate})
			return err
		}, false},
		{"PutBucketAcl private", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate})
			return err
		}, false},
		{"PutObjectAcl private", func() error {
			_, err := b.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("src"), ACL: types.ObjectCannedACLPrivate})
			return err
		}, false},
		{"PutObjectAcl bucket-owner-full-control", func() error {
			_, err := b.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("src"),
				ACL: types.ObjectCannedACLBucketOwnerFullControl})
			return err
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.fn()
			if c.ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			wantStatus(t, err, notSupported, 400)
		})
	}
	// Whoever wrote them, the bucket owner owns the objects.
	for _, key := range []string{"none", "bofc", "copy"} {
		got, err := b.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil || aws.ToString(got.Owner.ID) != canonA {
			t.Fatalf("owner of %s: %+v %v", key, got, err)
		}
	}
}

// TestSuiteACLCopySourceGrantedByACL: another account may copy an object
// whose ACL grants it READ (here FULL_CONTROL) into a bucket whose ACL
// lets it write; without the object grant the copy is AccessDenied.
func TestSuiteACLCopySourceGrantedByACL(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	const bucket = "acl-copy-src"
	writerBucket(t, a, bucket, "")
	put(t, a, bucket, "granted", []byte("foo"))
	put(t, a, bucket, "private", []byte("foo"))
	grantB := `id="` + canonB + `"`
	ownerA := `id="` + canonA + `"`
	if _, err := a.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("granted"),
		GrantFullControl: aws.String(ownerA + "," + grantB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket),
		GrantFullControl: aws.String(ownerA + "," + grantB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copied"),
		CopySource: aws.String(bucket + "/granted")}); err != nil {
		t.Fatalf("copy of an object the ACL grants: %v", err)
	}
	out, err := b.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("copied")})
	if err != nil {
		t.Fatalf("reading the copy: %v", err)
	}
	out.Body.Close()
	_, err = b.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copied2"),
		CopySource: aws.String(bucket + "/private")})
	wantDenied(t, err, "")
}

// TestSuiteACLInitiatorAbortsOwnUpload: by default the initiator of a
// multipart upload may list its parts and abort it, though the bucket's
// ACL (public-read-write: READ and WRITE) grants no s3:AbortMultipartUpload;
// another account's upload it may not abort.
func TestSuiteACLInitiatorAbortsOwnUpload(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	const bucket = "acl-initiator"
	writerBucket(t, a, bucket, types.BucketCannedACLPublicReadWrite)
	upA, err := a.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	upB, err := b.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("b"), UploadId: upB.UploadId}); err != nil {
		t.Fatalf("initiator listing its parts: %v", err)
	}
	_, err = b.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("a"), UploadId: upA.UploadId})
	wantDenied(t, err, "")
	if _, err := b.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("b"), UploadId: upB.UploadId}); err != nil {
		t.Fatalf("initiator aborting its upload: %v", err)
	}
	if _, err := a.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("a"), UploadId: upA.UploadId}); err != nil {
		t.Fatalf("bucket owner aborting its upload: %v", err)
	}
}

// TestSuiteACLRecreateResetsACL: re-creating one's own bucket in us-east-1
// answers 200 and resets the bucket ACL to the one the request gives
// (private without one), as S3's legacy rule says; objects stay.
func TestSuiteACLRecreateResetsACL(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, _ := e.canonicalIDs(t)
	a := e.s3(e.rootA)
	const bucket = "acl-recreate"
	writerBucket(t, a, bucket, types.BucketCannedACLPublicRead)
	put(t, a, bucket, "keep", []byte("x"))
	grants := func() []string {
		got, err := a.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range got.Grants {
			out = append(out, aws.ToString(g.Grantee.ID)+aws.ToString(g.Grantee.URI)+" "+string(g.Permission))
		}
		return out
	}
	if g := grants(); len(g) != 2 || g[1] != allUsers+" READ" {
		t.Fatalf("public-read bucket's grants: %v", g)
	}
	writerBucket(t, a, bucket, "")
	if g := grants(); strings.Join(g, ";") != canonA+" FULL_CONTROL" {
		t.Fatalf("grants after re-creating without an ACL: %v", g)
	}
	writerBucket(t, a, bucket, types.BucketCannedACLAuthenticatedRead)
	if g := grants(); len(g) != 2 || g[1] != authUsers+" READ" {
		t.Fatalf("grants after re-creating with authenticated-read: %v", g)
	}
	out, err := a.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("keep")})
	if err != nil {
		t.Fatalf("object after re-create: %v", err)
	}
	out.Body.Close()
}

// TestSuiteACLInitiatorUnderEnforcedOwnership: in a BucketOwnerEnforced
// bucket an upload another account starts belongs to the bucket owner, yet
// its initiator may still list its parts and abort it, and listings show
// it as the Initiator (the bucket owner as Owner).
func TestSuiteACLInitiatorUnderEnforcedOwnership(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	const bucket = "enforced-initiator"
	mustBucket(t, a, bucket)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.b +
		`:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	if _, err := a.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	up, err := b.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	parts, err := b.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: up.UploadId})
	if err != nil {
		t.Fatalf("initiator listing its parts: %v", err)
	}
	if id := aws.ToString(parts.Initiator.ID); id != canonB {
		t.Errorf("ListParts Initiator %q, want %q", id, canonB)
	}
	if id := aws.ToString(parts.Owner.ID); id != canonA {
		t.Errorf("ListParts Owner %q, want the bucket owner %q", id, canonA)
	}
	uploads, err := a.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(uploads.Uploads) != 1 || aws.ToString(uploads.Uploads[0].Initiator.ID) != canonB {
		t.Fatalf("ListMultipartUploads: %+v %v", uploads, err)
	}
	if _, err := b.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: up.UploadId}); err != nil {
		t.Fatalf("initiator aborting its upload: %v", err)
	}
}
