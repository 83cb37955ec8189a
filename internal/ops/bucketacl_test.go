package ops_test

import (
	"context"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The ACL reads and PutBucketAcl as a principal, without HTTP.
func TestACLOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(plain, "a.txt")
	// plain has ACLs disabled; photos allows them: its owner's object ACLs and bucket ACL count.
	if err := e.obj.UpdateBucket(ctx, bucket, func(b *kura.Bucket) error { b.ObjectOwnership = kura.ObjectWriter; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.obj.UpdateBucket(ctx, plain, func(b *kura.Bucket) error { b.ObjectOwnership = kura.BucketOwnerEnforced; return nil }); err != nil {
		t.Fatal(err)
	}
	e.put(bucket, "a.txt")
	bt := func(b string) ops.BucketTarget { return ops.BucketTarget{Bucket: b} }
	fullControl := func(grants []kura.Grant) bool {
		return len(grants) == 1 && grants[0].ID == owner && grants[0].Permission == kura.PermissionFullControl
	}
	runOpCases(t, e, []opCase{
		{name: "object ACL by default", op: "GetObjectAcl", p: job, status: 200, bucket: plain, object: plain + "/a.txt",
			run: func(c kura.Call) error {
				res, err := e.ops.GetObjectAcl(ctx, c, ops.Target{Bucket: plain, Key: "a.txt"})
				if err == nil && (res.Owner != owner || !fullControl(res.Grants)) {
					t.Errorf("ACL %+v, want the owner's FULL_CONTROL", res)
				}
				return err
			}},
		{name: "object ACL of a missing key", op: "GetObjectAcl", p: job, want: s3err.NoSuchKey, status: 404, bucket: plain, object: plain + "/nope",
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectAcl(ctx, c, ops.Target{Bucket: plain, Key: "nope"})
				return err
			}},
		{name: "object ACL without s3:GetObjectAcl", op: "GetObjectAcl", p: alice, want: s3err.AccessDenied, status: 403, bucket: plain, object: plain + "/a.txt",
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectAcl(ctx, c, ops.Target{Bucket: plain, Key: "a.txt"})
				return err
			}},
		{name: "public bucket ACL with ACLs disabled", op: "PutBucketAcl", p: job, want: s3err.AccessControlListNotSupported, status: 400, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt(plain), Canned: "public-read"})
			}},
		{name: "bucket ACL by another account", op: "PutBucketAcl", p: bob, want: s3err.AccessDenied, status: 403, bucket: bucket,
			run: func(c kura.Call) error {
				return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt(bucket), Canned: "private"})
			}},
		{name: "grant another account read", op: "PutBucketAcl", p: job, status: 200, bucket: bucket,
			run: func(c kura.Call) error {
				return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt(bucket), Grants: []kura.Grant{
					{Type: "CanonicalUser", ID: owner, Permission: kura.PermissionFullControl},
					{Type: "AmazonCustomerByEmail", ID: otherEmail, Permission: kura.PermissionRead}}})
			}},
		{name: "read the bucket ACL", op: "GetBucketAcl", p: job, status: 200, bucket: bucket,
			run: func(c kura.Call) error {
				res, err := e.ops.GetBucketAcl(ctx, c, bt(bucket))
				if err == nil && (len(res.Grants) != 2 || res.Grants[1].ID != otherCID || res.Grants[1].Type != "CanonicalUser") {
					t.Errorf("ACL %+v, want the owner's FULL_CONTROL and READ for the e-mail's account by canonical id", res)
				}
				return err
			}},
		{name: "bucket ACL without s3:GetBucketAcl", op: "GetBucketAcl", p: alice, want: s3err.AccessDenied, status: 403, bucket: bucket,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketAcl(ctx, c, bt(bucket)); return err }},
		{name: "unknown e-mail grantee", op: "PutBucketAcl", p: job, want: s3err.UnresolvableGrantByEmailAddress, status: 400, bucket: bucket,
			run: func(c kura.Call) error {
				return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt(bucket), Grants: []kura.Grant{
					{Type: "AmazonCustomerByEmail", ID: "nobody@example.com", Permission: kura.PermissionRead}}})
			}},
		{name: "back to private", op: "PutBucketAcl", p: root, status: 200, bucket: bucket,
			run: func(c kura.Call) error {
				return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt(bucket), Canned: "private"})
			},
			check: func(t *testing.T) {
				if b, _ := e.obj.Bucket(ctx, bucket); b.ACL != nil {
					t.Errorf("bucket ACL %+v after private, want none stored", b.ACL)
				}
			}},
	})
}
