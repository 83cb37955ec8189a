package ops_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket operations as a principal, without HTTP: decided on the bucket
// (or on "*" for ListBuckets), recorded as management events of the
// bucket owner's account, counted.
func TestBucketOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(plain, "p.txt")
	bt := func(b string) ops.BucketTarget { return ops.BucketTarget{Bucket: b} }
	var names []string
	for _, tc := range []struct {
		name, op string
		p        kura.Principal
		run      func(kura.Call) error
		want     *s3err.Error
		status   int
		bucket   string // the event's bucket resource ("" for none)
		check    func(t *testing.T)
	}{
		{name: "owner creates a bucket", op: "CreateBucket", p: root, status: 200, bucket: "new",
			run: func(c kura.Call) error {
				res, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: "new", ObjectLockEnabled: true,
					Tags: []kura.Tag{{Key: "team", Value: "a"}}})
				if err == nil && (res.ARN != "arn:aws:s3:::new" || res.Region != "us-east-1") {
					t.Errorf("result %+v, want the bucket's ARN and region", res)
				}
				return err
			},
			check: func(t *testing.T) {
				b, err := e.obj.Bucket(ctx, "new")
				if err != nil || b.Owner != owner || !b.ObjectLockEnabled || b.ObjectOwnership != kura.BucketOwnerEnforced || len(b.Tags) != 1 {
					t.Errorf("bucket %+v (%v), want the owner's, with Object Lock, BucketOwnerEnforced and its tag", b, err)
				}
			}},
		{name: "IAM user without s3:CreateBucket", op: "CreateBucket", p: alice, want: s3err.AccessDenied, status: 403, bucket: "alices",
			run: func(c kura.Call) error {
				_, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: "alices"})
				return err
			}},
		{name: "another account's bucket name", op: "CreateBucket", p: bob, want: s3err.BucketAlreadyExists, status: 409, bucket: bucket,
			run: func(c kura.Call) error {
				_, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: bucket})
				return err
			}},
		{name: "public ACL with ACLs disabled", op: "CreateBucket", p: job, want: s3err.InvalidBucketAclWithObjectOwnership, status: 400, bucket: "pub",
			run: func(c kura.Call) error {
				_, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: "pub", ACL: ops.ObjectACL{Canned: "public-read"}})
				return err
			}},
		{name: "public ACL with ACLs enabled", op: "CreateBucket", p: job, status: 200, bucket: "pub",
			run: func(c kura.Call) error {
				_, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: "pub", ObjectOwnership: kura.ObjectWriter,
					ACL: ops.ObjectACL{Canned: "public-read"}})
				return err
			},
			check: func(t *testing.T) {
				if b, _ := e.obj.Bucket(ctx, "pub"); b.ACL == nil || len(b.ACL.Grants) != 2 {
					t.Errorf("bucket ACL %+v, want public-read's two grants", b.ACL)
				}
			}},
		{name: "another region", op: "CreateBucket", p: job, want: s3err.InvalidLocationConstraint, status: 400, bucket: "far",
			run: func(c kura.Call) error {
				_, err := e.ops.CreateBucket(ctx, c, ops.CreateBucketInput{Bucket: "far", LocationConstraint: "eu-west-1"})
				return err
			}},
		{name: "list the account's buckets", op: "ListBuckets", p: job, status: 200,
			run: func(c kura.Call) error {
				res, err := e.ops.ListBuckets(ctx, c, ops.ListBucketsInput{Prefix: "p", MaxBuckets: 1})
				names = nil
				for _, b := range res.Buckets {
					names = append(names, b.Name)
				}
				if err == nil && (!slices.Equal(names, []string{"photos"}) || res.ContinuationToken != "photos") {
					t.Errorf("buckets %v token %q, want [photos] and a token", names, res.ContinuationToken)
				}
				return err
			}},
		{name: "list without s3:ListAllMyBuckets", op: "ListBuckets", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error { _, err := e.ops.ListBuckets(ctx, c, ops.ListBucketsInput{}); return err }},
		{name: "head", op: "HeadBucket", p: job, status: 200, bucket: bucket,
			run: func(c kura.Call) error { _, err := e.ops.HeadBucket(ctx, c, bt(bucket)); return err }},
		{name: "head by another account", op: "HeadBucket", p: bob, want: s3err.AccessDenied, status: 403, bucket: bucket,
			run: func(c kura.Call) error { _, err := e.ops.HeadBucket(ctx, c, bt(bucket)); return err }},
		{name: "head of another owner than expected", op: "HeadBucket", p: job, want: s3err.AccessDenied, status: 403, bucket: bucket,
			run: func(c kura.Call) error {
				_, err := e.ops.HeadBucket(ctx, c, ops.BucketTarget{Bucket: bucket, ExpectedBucketOwner: other})
				return err
			}},
		{name: "suspend versioning", op: "PutBucketVersioning", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketVersioning(ctx, c, ops.VersioningInput{BucketTarget: bt(plain), Status: "Suspended"})
			}},
		{name: "read versioning", op: "GetBucketVersioning", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				st, err := e.ops.GetBucketVersioning(ctx, c, bt(plain))
				if err == nil && st != "Suspended" {
					t.Errorf("versioning %q, want Suspended", st)
				}
				return err
			}},
		{name: "suspend versioning under Object Lock", op: "PutBucketVersioning", p: job, want: s3err.InvalidBucketState, status: 409, bucket: locked,
			run: func(c kura.Call) error {
				return e.ops.PutBucketVersioning(ctx, c, ops.VersioningInput{BucketTarget: bt(locked), Status: "Suspended"})
			}},
		{name: "no tags yet", op: "GetBucketTagging", p: job, want: s3err.NoSuchTagSet, status: 404, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketTagging(ctx, c, bt(plain)); return err }},
		{name: "tag a bucket", op: "PutBucketTagging", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketTagging(ctx, c, ops.BucketTaggingInput{BucketTarget: bt(plain), Tags: []kura.Tag{{Key: "cost", Value: "1"}}})
			}},
		{name: "read the tags", op: "GetBucketTagging", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				tags, err := e.ops.GetBucketTagging(ctx, c, bt(plain))
				if err == nil && (len(tags) != 1 || tags[0].Key != "cost") {
					t.Errorf("tags %v, want cost=1", tags)
				}
				return err
			}},
		{name: "tags by an IAM user without permission", op: "PutBucketTagging", p: alice, want: s3err.AccessDenied, status: 403, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketTagging(ctx, c, ops.BucketTaggingInput{BucketTarget: bt(plain)})
			}},
		{name: "remove the tags", op: "DeleteBucketTagging", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketTagging(ctx, c, bt(plain)) }},
		{name: "delete a bucket that is not empty", op: "DeleteBucket", p: job, want: s3err.BucketNotEmpty, status: 409, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucket(ctx, c, bt(plain)) }},
		{name: "delete without s3:DeleteBucket", op: "DeleteBucket", p: alice, want: s3err.AccessDenied, status: 403, bucket: "new",
			run: func(c kura.Call) error { return e.ops.DeleteBucket(ctx, c, bt("new")) }},
		{name: "delete", op: "DeleteBucket", p: root, status: 204, bucket: "new",
			run: func(c kura.Call) error { return e.ops.DeleteBucket(ctx, c, bt("new")) },
			check: func(t *testing.T) {
				if _, err := e.obj.Bucket(ctx, "new"); !s3err.Is(err, s3err.NoSuchBucket) {
					t.Errorf("bucket after DeleteBucket: %v, want NoSuchBucket", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count(tc.op, tc.status)
			err := tc.run(call(tc.p, id))
			if tc.want == nil && err != nil || tc.want != nil && !s3err.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.check != nil {
				tc.check(t)
			}
			if n := e.count(tc.op, tc.status) - before; n != 1 {
				t.Errorf("kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", tc.op, tc.status, n)
			}
			ev := e.eventByID(tc.op, id)
			if ev == nil {
				t.Fatalf("no %s event with requestID %s", tc.op, id)
			}
			code := ""
			if tc.want != nil {
				code = tc.want.Code
			}
			if ev.ErrorCode != code || !ev.ManagementEvent || ev.EventCategory != "Management" || ev.UserIdentity.ARN != tc.p.ARN {
				t.Errorf("event errorCode %q management %v category %s identity %s, want %q, a management event by %s",
					ev.ErrorCode, ev.ManagementEvent, ev.EventCategory, ev.UserIdentity.ARN, code, tc.p.ARN)
			}
			var arns []string
			for _, r := range ev.Resources {
				arns = append(arns, r.ARN)
			}
			want := []string(nil)
			if tc.bucket != "" {
				want = []string{"arn:aws:s3:::" + tc.bucket}
			}
			if !slices.Equal(arns, want) {
				t.Errorf("resources %v, want %v", arns, want)
			}
		})
	}
}
