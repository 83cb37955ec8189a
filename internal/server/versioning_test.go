package server_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestVersioningAndDeleteMarkers(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "ver")

	// Written before versioning: the null version.
	put(t, c, "ver", "doc", []byte("v0"))
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1 := aws.ToString(put(t, c, "ver", "doc", []byte("v1")).VersionId)
	v2 := aws.ToString(put(t, c, "ver", "doc", []byte("v2")).VersionId)
	if v1 == "" || v2 == "" || v1 == v2 || v1 == "null" {
		t.Fatalf("version ids %q %q", v1, v2)
	}
	for id, want := range map[string]string{"null": "v0", v1: "v1", v2: "v2"} {
		if got := get(t, c, "ver", "doc", func(in *s3.GetObjectInput) { in.VersionId = aws.String(id) }); string(got) != want {
			t.Fatalf("version %s = %q, want %q", id, got, want)
		}
	}
	if got := get(t, c, "ver", "doc"); string(got) != "v2" {
		t.Fatalf("current = %q", got)
	}

	// A plain DELETE adds a delete marker; GET then 404s with the marker header.
	del, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("delete = %+v, %v", del, err)
	}
	dm := aws.ToString(del.VersionId)
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc")})
	wantCode(t, err, "NoSuchKey")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc"), VersionId: aws.String(dm)})
	wantCode(t, err, "MethodNotAllowed")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc"), VersionId: aws.String("00000000000000000000000000000000")})
	wantCode(t, err, "NoSuchVersion")

	lv, err := c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.DeleteMarkers) != 1 || !aws.ToBool(lv.DeleteMarkers[0].IsLatest) || aws.ToString(lv.DeleteMarkers[0].VersionId) != dm {
		t.Fatalf("delete markers = %+v", lv.DeleteMarkers)
	}
	if len(lv.Versions) != 3 || aws.ToString(lv.Versions[0].VersionId) != v2 || aws.ToString(lv.Versions[2].VersionId) != "null" || aws.ToBool(lv.Versions[0].IsLatest) {
		t.Fatalf("versions = %+v", lv.Versions)
	}
	l, _ := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("ver")})
	if aws.ToInt32(l.KeyCount) != 0 {
		t.Fatal("deleted object still listed")
	}

	// Removing the delete marker brings v2 back.
	if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc"), VersionId: aws.String(dm)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "ver", "doc"); string(got) != "v2" {
		t.Fatalf("after removing marker = %q", got)
	}
	// Permanently deleting a version.
	if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("doc"), VersionId: aws.String(v2)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "ver", "doc"); string(got) != "v1" {
		t.Fatalf("after deleting v2 = %q", got)
	}

	// Suspended: writes replace the null version, keep the others.
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	out := put(t, c, "ver", "doc", []byte("s1"))
	if out.VersionId != nil {
		t.Fatalf("suspended PUT answered x-amz-version-id %q; S3 leaves it out for the null version", aws.ToString(out.VersionId))
	}
	lv, _ = c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if len(lv.Versions) != 2 {
		t.Fatalf("suspended versions = %d, want 2 (null + v1)", len(lv.Versions))
	}
	if got := get(t, c, "ver", "doc", func(in *s3.GetObjectInput) { in.VersionId = aws.String("null") }); !bytes.Equal(got, []byte("s1")) {
		t.Fatalf("null version = %q", got)
	}
}

func TestListObjectVersionsPaging(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "vpage")
	c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("vpage"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	want := map[string]bool{}
	for _, k := range []string{"a", "b", "c"} {
		for i := 0; i < 3; i++ {
			want[aws.ToString(put(t, c, "vpage", k, []byte(k)).VersionId)] = true
		}
	}
	got := map[string]bool{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String("vpage"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(cx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Versions) > 2 {
			t.Fatalf("page of %d", len(page.Versions))
		}
		for _, v := range page.Versions {
			if got[aws.ToString(v.VersionId)] {
				t.Fatalf("version %s listed twice", aws.ToString(v.VersionId))
			}
			got[aws.ToString(v.VersionId)] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d versions, want %d", len(got), len(want))
	}
}
