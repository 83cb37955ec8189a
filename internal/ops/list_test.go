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

// onlyPub lets nobody list the bucket lst but under pub/ (a missing
// s3:prefix does not match, so a listing of everything is refused too).
const onlyPub = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::lst","Condition":{"StringNotLike":{"s3:prefix":"pub/*"}}}]}`

// Listings as a principal, without HTTP: s3:ListBucket (s3:ListBucketVersions)
// decided with the listing's condition keys, pages without key material,
// one read event each.
func TestListObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: "lst", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	if err := e.obj.UpdateBucket(ctx, "lst", func(b *kura.Bucket) error { b.Policy = onlyPub; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pub/a", "pub/b", "pub/c/d", "sec/x"} {
		e.put("lst", k)
	}
	e.put(bucket, "v.txt")
	e.put(bucket, "v.txt")
	in := func(b, prefix, delim string, max int) ops.ListInput {
		return ops.ListInput{BucketTarget: ops.BucketTarget{Bucket: b}, Prefix: prefix, Delimiter: delim, MaxKeys: max}
	}
	for _, tc := range []struct {
		name, op string
		p        kura.Principal
		in       ops.ListInput
		want     *s3err.Error
		status   int
		keys     []string // the page's keys (and version listings' entries), then its common prefixes
		prefixes []string
	}{
		{name: "list under the allowed prefix", op: "ListObjects", p: job, in: in("lst", "pub/", "/", 1000), status: 200,
			keys: []string{"pub/a", "pub/b"}, prefixes: []string{"pub/c/"}},
		{name: "a page of one", op: "ListObjects", p: job, in: in("lst", "pub/", "", 1), status: 200, keys: []string{"pub/a"}},
		{name: "another prefix denied by s3:prefix", op: "ListObjects", p: job, in: in("lst", "sec/", "", 1000), want: s3err.AccessDenied, status: 403},
		{name: "everything denied by s3:prefix", op: "ListObjects", p: job, in: in("lst", "", "", 1000), want: s3err.AccessDenied, status: 403},
		{name: "IAM user without s3:ListBucket", op: "ListObjects", p: dave, in: in(bucket, "", "", 1000), want: s3err.AccessDenied, status: 403},
		{name: "versions", op: "ListObjectVersions", p: job, in: in(bucket, "v.", "", 1000), status: 200, keys: []string{"v.txt", "v.txt"}},
		{name: "version marker without a key marker", op: "ListObjectVersions", p: job, status: 400, want: s3err.InvalidArgument,
			in: ops.ListInput{BucketTarget: ops.BucketTarget{Bucket: bucket}, VersionAfter: "x", MaxKeys: 1000}},
		{name: "no such bucket", op: "ListObjects", p: job, in: in("nowhere", "", "", 1000), want: s3err.NoSuchBucket, status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count(tc.op, tc.status)
			list := e.ops.ListObjects
			if tc.op == "ListObjectVersions" {
				list = e.ops.ListObjectVersions
			}
			res, err := list(ctx, call(tc.p, id), tc.in)
			if tc.want == nil && err != nil || tc.want != nil && !s3err.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err == nil {
				var got []string
				for _, v := range res.Objects {
					got = append(got, v.Key)
					if v.Encryption.SealedKey != nil {
						t.Errorf("%s listed with key material", v.Key)
					}
				}
				if !slices.Equal(got, tc.keys) || !slices.Equal(res.CommonPrefixes, tc.prefixes) {
					t.Errorf("listed %v %v, want %v %v", got, res.CommonPrefixes, tc.keys, tc.prefixes)
				}
				if tc.op == "ListObjectVersions" && (len(res.IsLatest) != 2 || !res.IsLatest[0] || res.IsLatest[1]) {
					t.Errorf("IsLatest %v, want the newest first", res.IsLatest)
				}
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
			if ev.ErrorCode != code || !ev.ReadOnly || ev.EventCategory != "Data" || len(ev.Resources) != 1 {
				t.Errorf("event errorCode %q readOnly %v category %s resources %v, want %q, a data read of the bucket",
					ev.ErrorCode, ev.ReadOnly, ev.EventCategory, ev.Resources, code)
			}
		})
	}
}
