package server_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/server"
)

// Small objects inline in their version records (issue 18): a single-part
// object up to the inline threshold has no blob file; everything that
// reads object data reads it from the record.

// countBlobFiles counts the files under the data dir's blob store.
func countBlobFiles(t *testing.T, ts *testServer) int {
	t.Helper()
	return countFiles(t, blobDir(t, ts.dir))
}

// record is the version record of bucket/key (versionID "": current),
// read through the object service.
func record(t testing.TB, ts *testServer, bucket, key, versionID string) *kura.ObjectVersion {
	t.Helper()
	v, err := ts.Objects.Head(ctx(t), bucket, key, versionID)
	if err != nil {
		t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return v
}

// sseGet returns a GetObject input for bucket/key under mode m.
func sseGet(m sseMode, bucket, key string) *s3.GetObjectInput {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	m.get(in)
	return in
}

func getBytes(t testing.TB, c *s3.Client, in *s3.GetObjectInput) []byte {
	t.Helper()
	out, err := c.GetObject(ctx(t), in)
	if err != nil {
		t.Fatalf("GET %s/%s range %v version %v: %v", *in.Bucket, *in.Key, aws.ToString(in.Range), aws.ToString(in.VersionId), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInlineObjects: sizes just below, at and above the inline threshold
// under every SSE mode, through the SDK: PUT, HEAD, GET, range GETs,
// CopyObject, UploadPartCopy, UpdateObjectEncryption, versions and
// deletes. Objects up to the threshold get no blob file and keep their
// bytes through everything; larger ones get a blob as before.
func TestInlineObjects(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	cx := ctx(t)
	limit := ts.Objects.InlineMax()
	if limit != object.DefaultInlineMax {
		t.Fatalf("inline threshold %d, want the default %d", limit, object.DefaultInlineMax)
	}
	const bkt = "inline"
	mustBucket(t, c, bkt)
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String(bkt),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	keyARN := createKey(t, ts.kmsClient())
	otherKey := createKey(t, ts.kmsClient())
	for _, m := range sseModes(keyARN) {
		for _, size := range []int64{0, 1, limit - 1, limit, limit + 1} {
			t.Run(fmt.Sprintf("%s/%d", m.name, size), func(t *testing.T) {
				key := fmt.Sprintf("%s-%d", m.name, size)
				inline := size <= limit
				data := randBytes(int(size))
				blobs := countBlobFiles(t, ts)
				in := &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String(key), Body: bytes.NewReader(data)}
				m.put(in)
				p, err := c.PutObject(cx, in)
				if err != nil {
					t.Fatalf("PUT: %v", err)
				}
				v := record(t, ts, bkt, key, "")
				if v.IsInline() != inline || (v.BlobID == "") != inline {
					t.Fatalf("size %d (threshold %d): inline %v blob %q, want inline %v", size, limit, v.IsInline(), v.BlobID, inline)
				}
				wantFiles := blobs + 1
				if inline {
					wantFiles = blobs
				}
				if got := countBlobFiles(t, ts); got != wantFiles {
					t.Errorf("blob files %d after the PUT, want %d", got, wantFiles)
				}

				// HEAD and GET.
				gi := sseGet(m, bkt, key)
				h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: gi.Bucket, Key: gi.Key,
					SSECustomerAlgorithm: gi.SSECustomerAlgorithm, SSECustomerKey: gi.SSECustomerKey, SSECustomerKeyMD5: gi.SSECustomerKeyMD5})
				if err != nil {
					t.Fatalf("HEAD: %v", err)
				}
				if aws.ToInt64(h.ContentLength) != size || aws.ToString(h.ETag) != aws.ToString(p.ETag) || h.ServerSideEncryption != m.want {
					t.Errorf("HEAD: length %d ETag %s SSE %q, want %d %s %q", aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), h.ServerSideEncryption, size, aws.ToString(p.ETag), m.want)
				}
				if got := getBytes(t, c, gi); !bytes.Equal(got, data) {
					t.Fatalf("GET: %d bytes, not the %d PUT", len(got), len(data))
				}
				// Range GETs: first byte, last byte, a middle span, and
				// across the 64 KiB chunk boundary where there is one.
				if size > 0 {
					for _, r := range [][2]int64{{0, 0}, {size - 1, size - 1}, {size / 3, 2 * size / 3}, {max(0, 65536-10), min(size-1, 65536+10)}} {
						if r[0] > r[1] || r[1] >= size {
							continue
						}
						gr := sseGet(m, bkt, key)
						gr.Range = aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))
						if got := getBytes(t, c, gr); !bytes.Equal(got, data[r[0]:r[1]+1]) {
							t.Errorf("GET range %d-%d: wrong bytes (%d)", r[0], r[1], len(got))
						}
					}
				}

				// CopyObject: the copy is re-encrypted under its own data
				// key, inline or not as its size says.
				ci := &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String(key + "-copy"), CopySource: aws.String(bkt + "/" + key)}
				m.copyDst(ci)
				m.copySrc(ci)
				if _, err := c.CopyObject(cx, ci); err != nil {
					t.Fatalf("CopyObject: %v", err)
				}
				cv := record(t, ts, bkt, key+"-copy", "")
				if cv.IsInline() != inline || inline && bytes.Equal(cv.Inline, v.Inline) {
					t.Errorf("copy: inline %v (want %v), same ciphertext as its source %v", cv.IsInline(), inline, inline && bytes.Equal(cv.Inline, v.Inline))
				}
				if got := getBytes(t, c, sseGet(m, bkt, key+"-copy")); !bytes.Equal(got, data) {
					t.Errorf("GET of the copy: wrong bytes")
				}

				// UploadPartCopy from it: the part is a blob, as every part.
				if size > 0 {
					lo := min(1, size-1)
					cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key + "-mpu")})
					if err != nil {
						t.Fatal(err)
					}
					upc := &s3.UploadPartCopyInput{Bucket: aws.String(bkt), Key: aws.String(key + "-mpu"), UploadId: cr.UploadId,
						PartNumber: aws.Int32(1), CopySource: aws.String(bkt + "/" + key), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", lo, size-1))}
					upc.CopySourceSSECustomerAlgorithm, upc.CopySourceSSECustomerKey, upc.CopySourceSSECustomerKeyMD5 = ci.CopySourceSSECustomerAlgorithm, ci.CopySourceSSECustomerKey, ci.CopySourceSSECustomerKeyMD5
					pc, err := c.UploadPartCopy(cx, upc)
					if err != nil {
						t.Fatalf("UploadPartCopy: %v", err)
					}
					if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key + "-mpu"), UploadId: cr.UploadId,
						MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}}); err != nil {
						t.Fatalf("Complete: %v", err)
					}
					if mv := record(t, ts, bkt, key+"-mpu", ""); mv.IsInline() || len(mv.Parts) != 1 {
						t.Errorf("multipart object: inline %v, %d parts; want one blob-backed part", mv.IsInline(), len(mv.Parts))
					}
					if got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bkt), Key: aws.String(key + "-mpu")}); !bytes.Equal(got, data[lo:]) {
						t.Errorf("GET of the part copy: wrong bytes")
					}
				}

				// UpdateObjectEncryption re-seals the data key only: the
				// inline ciphertext stays byte for byte (it applies to
				// SSE-S3 and SSE-KMS objects only, as in S3).
				if m.want == types.ServerSideEncryptionAes256 || m.want == types.ServerSideEncryptionAwsKms {
					mustUOE(t, c, bkt, key, aws.ToString(p.VersionId), otherKey, false)
					u := record(t, ts, bkt, key, aws.ToString(p.VersionId))
					if !bytes.Equal(u.Inline, v.Inline) || u.BlobID != v.BlobID || bytes.Equal(u.Encryption.SealedKey, v.Encryption.SealedKey) {
						t.Errorf("UpdateObjectEncryption: data changed (%v) or data key not re-sealed (key %s)", !bytes.Equal(u.Inline, v.Inline) || u.BlobID != v.BlobID, u.Encryption.KMSKeyARN)
					}
					if got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bkt), Key: aws.String(key)}); !bytes.Equal(got, data) {
						t.Errorf("GET after UpdateObjectEncryption: wrong bytes")
					}
				}

				// Versions: overwrite, read the old version by id, delete
				// (a marker), delete the old version for good.
				in2 := &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String(key), Body: bytes.NewReader([]byte("newer"))}
				m.put(in2)
				if _, err := c.PutObject(cx, in2); err != nil {
					t.Fatal(err)
				}
				old := sseGet(m, bkt, key)
				old.VersionId = p.VersionId
				if got := getBytes(t, c, old); !bytes.Equal(got, data) {
					t.Errorf("GET of the older version: wrong bytes")
				}
				if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String(bkt), Key: aws.String(key)}); err != nil {
					t.Fatal(err)
				}
				if got := getBytes(t, c, old); !bytes.Equal(got, data) {
					t.Errorf("GET of the older version behind a delete marker: wrong bytes")
				}
				if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String(bkt), Key: aws.String(key), VersionId: p.VersionId}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.GetObject(cx, old); err == nil {
					t.Error("GET of a deleted version succeeded")
				}
			})
		}
	}
}

// TestInlineBlobBackedObjectsStillRead: objects written with inlining off
// (as every object before it existed) have blobs; after a restart with
// inlining on they still read, copy and re-key, and a small overwrite of
// one goes inline and releases its blob.
func TestInlineBlobBackedObjectsStillRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.InlineMax = -1 })
	c := ts.client()
	mustBucket(t, c, "old")
	data := map[string][]byte{}
	for _, n := range []int{1, 4096, 70_000} {
		k := fmt.Sprintf("k%d", n)
		data[k] = randBytes(n)
		put(t, c, "old", k, data[k])
		if v := record(t, ts, "old", k, ""); v.IsInline() || v.BlobID == "" {
			t.Fatalf("with inlining off, %s is inline", k)
		}
	}
	ts.stop(t)

	ts = startWith(t, dir, func(c *server.Config) { c.BlobGrace = -1 }) // released blobs go at once
	c = ts.client()
	keyARN := createKey(t, ts.kmsClient())
	for k, want := range data {
		if got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("old"), Key: aws.String(k)}); !bytes.Equal(got, want) {
			t.Errorf("%s: GET after the restart: wrong bytes", k)
		}
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("old"), Key: aws.String(k + "-copy"), CopySource: aws.String("old/" + k)}); err != nil {
			t.Fatal(err)
		}
		if got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("old"), Key: aws.String(k + "-copy")}); !bytes.Equal(got, want) {
			t.Errorf("%s: copy of a blob-backed object: wrong bytes", k)
		}
		if cv := record(t, ts, "old", k+"-copy", ""); cv.IsInline() != (int64(len(want)) <= ts.Objects.InlineMax()) {
			t.Errorf("%s: copy inline %v for %d bytes", k, cv.IsInline(), len(want))
		}
		mustUOE(t, c, "old", k, "", keyARN, true)
		if got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("old"), Key: aws.String(k)}); !bytes.Equal(got, want) {
			t.Errorf("%s: GET after UpdateObjectEncryption: wrong bytes", k)
		}
	}
	before := countBlobFiles(t, ts)
	put(t, c, "old", "k4096", []byte("small now"))
	if v := record(t, ts, "old", "k4096", ""); !v.IsInline() {
		t.Error("a small overwrite of a blob-backed object is not inline")
	}
	if got := countBlobFiles(t, ts); got != before-1 {
		t.Errorf("blob files %d after overwriting a blob-backed object inline, want %d (its blob collected)", got, before-1)
	}
}
