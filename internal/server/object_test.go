package server_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func portOf(u string) string {
	p, _ := url.Parse(u)
	return p.Port()
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func put(t testing.TB, c *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return out
}

func get(t testing.TB, c *s3.Client, bucket, key string, opts ...func(*s3.GetObjectInput)) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, o := range opts {
		o(in)
	}
	out, err := c.GetObject(ctx(t), in)
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func TestPutGetHeadDelete(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "objs")

	for _, size := range []int{0, 1, 65535, 65536, 65537, 3*65536 + 5, 1 << 20} {
		data := randBytes(size)
		key := "size/" + itoa(size)
		out := put(t, c, "objs", key, data)
		if aws.ToString(out.ETag) != `"`+md5hex(data)+`"` {
			t.Fatalf("size %d: ETag %s, want MD5 %s", size, aws.ToString(out.ETag), md5hex(data))
		}
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("size %d: PUT SSE = %q, want AES256 by default", size, out.ServerSideEncryption)
		}
		if got := get(t, c, "objs", key); !bytes.Equal(got, data) {
			t.Fatalf("size %d: GET returned different bytes", size)
		}
	}

	data := []byte("hello, kura")
	_, err := c.PutObject(cx, &s3.PutObjectInput{
		Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), Body: bytes.NewReader(data),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
		ContentDisposition: aws.String("attachment"), ContentLanguage: aws.String("ja"),
		Metadata: map[string]string{"color": "blue", "Mixed-Case": "v"},
		Tagging:  aws.String("a=1&b=two"), StorageClass: types.StorageClassStandardIa,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus")})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case aws.ToString(h.ContentType) != "text/plain", aws.ToString(h.CacheControl) != "max-age=60",
		aws.ToString(h.ContentDisposition) != "attachment", aws.ToString(h.ContentLanguage) != "ja",
		h.Metadata["color"] != "blue", h.Metadata["mixed-case"] != "v", aws.ToInt64(h.ContentLength) != int64(len(data)),
		h.StorageClass != types.StorageClassStandardIa, aws.ToInt32(h.TagCount) != 2,
		h.ServerSideEncryption != types.ServerSideEncryptionAes256, h.LastModified == nil:
		t.Fatalf("HeadObject = %+v", h)
	}

	// response-* overrides.
	g, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"),
		ResponseContentType: aws.String("application/x-test"), ResponseContentDisposition: aws.String("inline")})
	if err != nil {
		t.Fatal(err)
	}
	g.Body.Close()
	if aws.ToString(g.ContentType) != "application/x-test" || aws.ToString(g.ContentDisposition) != "inline" {
		t.Fatalf("overrides not applied: %v %v", aws.ToString(g.ContentType), aws.ToString(g.ContentDisposition))
	}

	// Conditional reads.
	etag := aws.ToString(h.ETag)
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), IfMatch: aws.String(`"nope"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), IfNoneMatch: aws.String(etag)})
	wantCode(t, err, "NotModified")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, err, "NotModified")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	wantCode(t, err, "PreconditionFailed")
	// If-Match true wins over If-Unmodified-Since false, as in S3.
	if got := get(t, c, "objs", "meta/ü nicode + plus", func(in *s3.GetObjectInput) {
		in.IfMatch, in.IfUnmodifiedSince = aws.String(etag), aws.Time(time.Now().Add(-time.Hour))
	}); !bytes.Equal(got, data) {
		t.Fatal("If-Match + stale If-Unmodified-Since did not return the object")
	}

	// Conditional writes.
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed")

	// Missing objects and buckets.
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("absent")})
	wantCode(t, err, "NoSuchKey")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("absent")})
	wantCode(t, err, "NoSuchBucket")
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("objs"), Key: aws.String("k"), Body: strings.NewReader("x"), StorageClass: "FROZEN"})
	wantCode(t, err, "InvalidStorageClass")

	// Delete, and deleting again is fine.
	for i := 0; i < 2; i++ {
		if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("meta/ü nicode + plus")})
	if err == nil {
		t.Fatal("object still there after delete")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRangedReads(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "ranges")
	const chunk = 64 << 10
	data := randBytes(5*chunk + 123)
	put(t, c, "ranges", "obj", data)
	size := len(data)
	cases := []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=0-65535", 0, chunk - 1},
		{"bytes=65535-65536", chunk - 1, chunk},
		{"bytes=65536-131071", chunk, 2*chunk - 1},
		{"bytes=65530-200000", 65530, 200000},
		{"bytes=327680-", 5 * chunk, size - 1},
		{"bytes=-123", size - 123, size - 1},
		{"bytes=-1", size - 1, size - 1},
		{"bytes=100-", 100, size - 1},
		{"bytes=0-99999999", 0, size - 1},
	}
	for _, tc := range cases {
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("ranges"), Key: aws.String("obj"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Fatalf("%s: %v", tc.rng, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, data[tc.start:tc.end+1]) {
			t.Fatalf("%s: wrong bytes (%d bytes, want %d)", tc.rng, len(got), tc.end-tc.start+1)
		}
		wantCR := "bytes " + itoa(tc.start) + "-" + itoa(tc.end) + "/" + itoa(size)
		if aws.ToString(out.ContentRange) != wantCR {
			t.Fatalf("%s: Content-Range %q, want %q", tc.rng, aws.ToString(out.ContentRange), wantCR)
		}
	}
	_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("ranges"), Key: aws.String("obj"), Range: aws.String("bytes=999999-")})
	wantCode(t, err, "InvalidRange")
}

func TestObjectTaggingAndAttributes(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "tags")
	data := randBytes(1000)
	put(t, c, "tags", "k", data)
	if _, err := c.PutObjectTagging(cx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}}}); err != nil {
		t.Fatal(err)
	}
	gt, err := c.GetObjectTagging(cx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	if err != nil || len(gt.TagSet) != 2 || *gt.TagSet[0].Key != "a" {
		t.Fatalf("GetObjectTagging = %+v, %v", gt, err)
	}
	tooMany := make([]types.Tag, 11)
	for i := range tooMany {
		tooMany[i] = types.Tag{Key: aws.String("k" + itoa(i)), Value: aws.String("v")}
	}
	_, err = c.PutObjectTagging(cx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: tooMany}})
	wantCode(t, err, "BadRequest") // S3's code for it (boto3 issue 1213), not InvalidTag
	for _, bad := range []types.Tag{
		{Key: aws.String("semi;colon"), Value: aws.String("v")},
		{Key: aws.String("k"), Value: aws.String("a<b")},
		{Key: aws.String("aws:reserved"), Value: aws.String("v")},
	} {
		_, err = c.PutObjectTagging(cx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: []types.Tag{bad}}})
		wantCode(t, err, "InvalidTag")
	}
	if _, err := c.DeleteObjectTagging(cx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	gt, err = c.GetObjectTagging(cx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	if err != nil || len(gt.TagSet) != 0 {
		t.Fatalf("tags after delete = %+v, %v", gt, err)
	}

	at, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass, types.ObjectAttributesChecksum}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(at.ETag) != md5hex(data) || aws.ToInt64(at.ObjectSize) != 1000 || at.StorageClass != types.StorageClassStandard ||
		at.Checksum == nil || at.Checksum.ChecksumCRC64NVME == nil && at.Checksum.ChecksumCRC32 == nil {
		t.Fatalf("GetObjectAttributes = %+v", at)
	}
}

func TestCopyObject(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "src")
	mustBucket(t, c, "dst")
	data := randBytes(200_000)
	_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a b/c+d"), Body: bytes.NewReader(data),
		ContentType: aws.String("image/png"), Metadata: map[string]string{"k": "v"}, Tagging: aws.String("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	source := aws.String("src/" + url.PathEscape("a b/c+d"))
	out, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: source})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != `"`+md5hex(data)+`"` {
		t.Fatalf("copy ETag = %s", aws.ToString(out.CopyObjectResult.ETag))
	}
	if got := get(t, c, "dst", "copy"); !bytes.Equal(got, data) {
		t.Fatal("copy has different bytes")
	}
	h, _ := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if aws.ToString(h.ContentType) != "image/png" || h.Metadata["k"] != "v" || aws.ToInt32(h.TagCount) != 1 {
		t.Fatalf("COPY directive did not keep metadata: %+v", h)
	}
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy2"), CopySource: source,
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), Metadata: map[string]string{"n": "w"}})
	if err != nil {
		t.Fatal(err)
	}
	h, _ = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy2")})
	if aws.ToString(h.ContentType) != "text/plain" || h.Metadata["n"] != "w" || h.Metadata["k"] != "" {
		t.Fatalf("REPLACE directive: %+v", h)
	}
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy3"), CopySource: source, CopySourceIfMatch: aws.String(`"bad"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b/c+d"), CopySource: source})
	wantCode(t, err, "InvalidRequest")
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/missing")})
	wantCode(t, err, "NoSuchKey")
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "multi")
	var ids []types.ObjectIdentifier
	for i := 0; i < 20; i++ {
		k := "k" + itoa(i)
		put(t, c, "multi", k, []byte(k))
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	out, err := c.DeleteObjects(cx, &s3.DeleteObjectsInput{Bucket: aws.String("multi"), Delete: &types.Delete{Objects: ids[:10]}})
	if err != nil || len(out.Deleted) != 10 || len(out.Errors) != 0 {
		t.Fatalf("DeleteObjects = %+v, %v", out, err)
	}
	out, err = c.DeleteObjects(cx, &s3.DeleteObjectsInput{Bucket: aws.String("multi"), Delete: &types.Delete{Objects: ids[10:], Quiet: aws.Bool(true)}})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet DeleteObjects = %+v, %v", out, err)
	}
	l, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("multi")})
	if err != nil || aws.ToInt32(l.KeyCount) != 0 {
		t.Fatalf("objects left after DeleteObjects: %+v %v", l, err)
	}
}
