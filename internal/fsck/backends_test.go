package fsck_test

import (
	"bytes"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob/blobtest"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/fsck"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// TestBackends: fsck checks a deployment through the same store URLs
// kura server takes (--meta, --blobs), for each combination a cluster or
// an embedded server can run on: the embedded store named by URL with a
// blob directory, and PostgreSQL with a shared blob directory and with
// an S3 bucket (another Kura). A clean deployment is clean; a deleted
// blob, a damaged blob and a record whose ETag lies are named; a young
// orphan is listed and survives --repair, and (where its age can be
// set) an old one is removed. PostgreSQL cases fail rather than skip
// under KURA_REQUIRE_POSTGRES.
func TestBackends(t *testing.T) {
	cases := []struct {
		name  string
		meta  func(t *testing.T, dir string) string
		blobs func(t *testing.T, dir string) string
	}{
		{"bolt+file",
			func(t *testing.T, dir string) string { return "bolt://" + filepath.Join(dir, "elsewhere", "meta.db") },
			func(t *testing.T, dir string) string { return "file://" + filepath.Join(dir, "elsewhere", "blobs") }},
		{"postgres+shared-file", pgURL,
			func(t *testing.T, dir string) string { return "file://" + filepath.Join(dir, "shared") + "?shared=1" }},
		{"postgres+s3", pgURL, s3URL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mu, bu := tc.meta(t, dir), tc.blobs(t, dir)
			m, err := backend.ParseMeta(mu)
			if err != nil {
				t.Fatal(err)
			}
			b, err := backend.ParseBlobs(bu)
			if err != nil {
				t.Fatal(err)
			}
			versions := fillThrough(t, dir, m, b)

			check := func(repair bool) *fsck.Report {
				t.Helper()
				r, err := fsck.Run(bg, fsck.Options{DataDir: dir, Meta: m, Blobs: b, Repair: repair, Grace: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			r := check(false)
			if r.Damaged() || len(r.Warnings) != 0 || len(r.Orphans) != 0 {
				t.Fatalf("clean deployment: damage %v, warnings %v, orphans %v, meta %+v", r.Damage, r.Warnings, r.Orphans, r.MetaDB)
			}
			if r.Versions != 4 || r.Parts != 1 || r.Decrypted != 5 || r.MetaStore == "" || r.BlobStore == "" {
				t.Fatalf("checked %d versions, %d parts, decrypted %d (stores %q, %q); want 4, 1, 5 and both named",
					r.Versions, r.Parts, r.Decrypted, r.MetaStore, r.BlobStore)
			}

			// Damage, through the stores' interfaces only.
			bs, err := b.Open(bg)
			if err != nil {
				t.Fatal(err)
			}
			if err := bs.Delete(bg, versions["s3"].BlobID); err != nil {
				t.Fatal(err)
			}
			blobtest.Rewrite(t, bs, versions["kms"].BlobID, func(p []byte) []byte { p[len(p)-20] ^= 1; return p })
			ms, err := m.Open(bg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if err := ms.Update(bg, func(tx meta.Tx) error {
				v := *versions["bucketkey"]
				v.ETag = strings.Repeat("0", 32)
				return meta.PutVersion(tx, &v)
			}); err != nil {
				t.Fatal(err)
			}
			ms.Close()
			if _, err := bs.Put(bg, "orphan-young", bytes.NewReader(randBytes(500))); err != nil {
				t.Fatal(err)
			}

			r = check(true)
			want := []string{"damaged bucketkey 0", "damaged kms 0", "missing s3 0"}
			if got := findingKeys(r.Damage); !r.Damaged() || !slices.Equal(got, want) {
				t.Fatalf("damage = %q, want %q\n%+v", got, want, r.Damage)
			}
			if len(r.Orphans) != 1 || r.Orphans[0].Blob != "orphan-young" || !r.Orphans[0].Young || r.Orphans[0].Removed || r.Removed != 0 {
				t.Fatalf("orphans = %+v (removed %d), want orphan-young kept", r.Orphans, r.Removed)
			}
			if _, err := bs.Open(bg, "orphan-young"); err != nil {
				t.Fatalf("--repair removed a young orphan: %v", err)
			}
			if r, err := fsck.Run(bg, fsck.Options{DataDir: dir, Meta: m, Blobs: b, Repair: true, Grace: time.Nanosecond}); err != nil {
				t.Fatal(err)
			} else if r.Removed != 1 {
				t.Fatalf("--repair with a grace of 1ns removed %d orphans, want 1: %+v", r.Removed, r.Orphans)
			}
			if rd, err := bs.Open(bg, "orphan-young"); err == nil {
				rd.Close()
				t.Fatal("the orphan survived --repair past its grace")
			}
			for _, k := range []string{"kms", "bucketkey", "mpu"} {
				for _, id := range versions[k].BlobIDs() {
					rd, err := bs.Open(bg, id)
					if err != nil {
						t.Fatalf("--repair removed %s's blob %s: %v", k, id, err)
					}
					rd.Close()
				}
			}
		})
	}
}

// pgURL is a schema of its own in the test database.
func pgURL(t *testing.T, dir string) string {
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, dir))
	u.RawQuery = q.Encode()
	return u.String()
}

// s3URL is a bucket on another Kura (s3test).
func s3URL(t *testing.T, _ string) string {
	bk := s3test.Start(t)
	bk.Bucket("kura-blobs")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	return "s3://kura-blobs/fsck?endpoint=" + url.QueryEscape(bk.URL()) + "&path_style=true&region=us-east-1"
}

// fillThrough runs a server on dir with the stores m and b, writes an
// SSE-S3, an SSE-KMS, a bucket-key and a two-part multipart object
// through the SDK, stops it and returns their versions by key.
func fillThrough(t *testing.T, dir string, m backend.Meta, b backend.Blobs) map[string]*kura.ObjectVersion {
	t.Helper()
	srv, c := startServer(t, dir, func(cfg *server.Config) { cfg.Meta, cfg.Blobs = m, b })
	defer stopServer(t, srv)
	must := mustFor(t)
	must(c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("bkt")}))
	put := func(key string, in s3.PutObjectInput) {
		in.Bucket, in.Key, in.Body = aws.String("bkt"), aws.String(key), bytes.NewReader(randBytes(70<<10))
		must(c.PutObject(bg, &in))
	}
	put("s3", s3.PutObjectInput{})
	put("kms", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	put("bucketkey", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms, BucketKeyEnabled: aws.Bool(true)})
	uploadObject(t, c, "mpu", "", 5*mib, 1000)
	// An upload in progress: one part, checked as a part.
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("pending")})
	must(cr, err)
	must(c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("pending"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(randBytes(1000))}))

	out := map[string]*kura.ObjectVersion{}
	for _, k := range []string{"s3", "kms", "bucketkey", "mpu"} {
		v, err := srv.Objects.Head(bg, "bkt", k, "")
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}
