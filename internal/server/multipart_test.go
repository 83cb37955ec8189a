package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// uploadParts runs a multipart upload of the given part sizes and returns
// the data, the completed parts and the upload id.
func uploadParts(t *testing.T, c *s3.Client, bucket, key string, alg types.ChecksumAlgorithm, sizes ...int) ([]byte, []types.CompletedPart, string) {
	t.Helper()
	cx := ctx(t)
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumAlgorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var parts []types.CompletedPart
	for i, n := range sizes {
		data := randBytes(n)
		all = append(all, data...)
		out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag,
			ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumSHA256: out.ChecksumSHA256,
			ChecksumSHA1: out.ChecksumSHA1, ChecksumCRC64NVME: out.ChecksumCRC64NVME})
	}
	return all, parts, aws.ToString(cr.UploadId)
}

func wantMultipartETag(parts [][]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpu")

	sizes := []int{5 * mib, 5*mib + 1, 70000}
	data, parts, id := uploadParts(t, c, "mpu", "big", types.ChecksumAlgorithmCrc32, sizes...)

	lp, err := c.ListParts(cx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: aws.String(id)})
	if err != nil || len(lp.Parts) != 3 || aws.ToInt64(lp.Parts[1].Size) != 5*mib+1 {
		t.Fatalf("ListParts = %+v, %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(cx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != id {
		t.Fatalf("ListMultipartUploads = %+v, %v", lu, err)
	}

	done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	want := wantMultipartETag([][]byte{data[:5*mib], data[5*mib : 10*mib+1], data[10*mib+1:]})
	if aws.ToString(done.ETag) != want {
		t.Fatalf("ETag = %s, want %s", aws.ToString(done.ETag), want)
	}
	// Composite CRC32: CRC32 of the concatenated part CRCs, "-3".
	var cat []byte
	for _, p := range parts {
		raw, _ := base64.StdEncoding.DecodeString(aws.ToString(p.ChecksumCRC32))
		cat = append(cat, raw...)
	}
	sum := crc32.ChecksumIEEE(cat)
	wantCk := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)}) + "-3"
	if aws.ToString(done.ChecksumCRC32) != wantCk || done.ChecksumType != types.ChecksumTypeComposite {
		t.Fatalf("composite checksum = %s (%s), want %s", aws.ToString(done.ChecksumCRC32), done.ChecksumType, wantCk)
	}
	if got := get(t, c, "mpu", "big"); !bytes.Equal(got, data) {
		t.Fatal("multipart object reads back different bytes")
	}
	// Ranged read across the part 1/part 2 boundary and into part 3.
	for _, r := range [][2]int{{5*mib - 10, 5*mib + 10}, {10*mib - 5, 10*mib + 100}, {0, len(data) - 1}} {
		got := get(t, c, "mpu", "big", func(in *s3.GetObjectInput) { in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1])) })
		if !bytes.Equal(got, data[r[0]:r[1]+1]) {
			t.Fatalf("range %v differs", r)
		}
	}
	// partNumber reads a single part.
	out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(p2, data[5*mib:10*mib+1]) || aws.ToInt32(out.PartsCount) != 3 {
		t.Fatalf("partNumber=2: %d bytes, parts count %d", len(p2), aws.ToInt32(out.PartsCount))
	}
	h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.ChecksumCRC32) != wantCk || aws.ToString(h.ETag) != want {
		t.Fatalf("HEAD after complete = %+v, %v", h, err)
	}
	attrs, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("mpu"), Key: aws.String("big"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}})
	if err != nil || attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 || aws.ToString(attrs.ObjectParts.Parts[0].ChecksumCRC32) != aws.ToString(parts[0].ChecksumCRC32) {
		t.Fatalf("GetObjectAttributes parts = %+v, %v", attrs.ObjectParts, err)
	}
	lu, _ = c.ListMultipartUploads(cx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
	if len(lu.Uploads) != 0 {
		t.Fatal("upload still listed after complete")
	}
	// A repeated Complete (a retry) answers with the same result, as S3
	// does (see TestSuiteMPURepeatedComplete).
	again, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil || aws.ToString(again.ETag) != want {
		t.Fatalf("repeated Complete = %+v, %v", again, err)
	}
}

func TestMultipartFullObjectChecksum(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "full")
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("full"), Key: aws.String("k"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatal(err)
	}
	data := randBytes(6 * mib)
	var parts []types.CompletedPart
	for i, chunk := range [][]byte{data[:5*mib], data[5*mib:]} {
		out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("full"), Key: aws.String("k"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C})
	}
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	whole := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("full"), Key: aws.String("k"), UploadId: cr.UploadId,
		ChecksumCRC32C: aws.String(whole), ChecksumType: types.ChecksumTypeFullObject,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(done.ChecksumCRC32C) != whole || done.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("full-object checksum = %s %s, want %s", aws.ToString(done.ChecksumCRC32C), done.ChecksumType, whole)
	}
}

func TestMultipartErrors(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpe")

	_, parts, id := uploadParts(t, c, "mpe", "small", "", 100, 100)
	complete := func(ps []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String("small"),
			UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: ps}})
		return err
	}
	wantCode(t, complete(parts), "EntityTooSmall")
	wantCode(t, complete([]types.CompletedPart{parts[1], parts[0]}), "InvalidPartOrder")
	wantCode(t, complete([]types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"0123"`)}}), "InvalidPart")
	wantCode(t, complete([]types.CompletedPart{{PartNumber: aws.Int32(9), ETag: parts[0].ETag}}), "InvalidPart")
	// A single small part is fine: the last part may be any size.
	if err := complete(parts[:1]); err != nil {
		t.Fatal(err)
	}

	_, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpe"), Key: aws.String("small"), UploadId: aws.String("nope"),
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	wantCode(t, err, "NoSuchUpload")

	_, _, id2 := uploadParts(t, c, "mpe", "aborted", "", 10)
	if _, err := c.AbortMultipartUpload(cx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String("aborted"), UploadId: aws.String(id2)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListParts(cx, &s3.ListPartsInput{Bucket: aws.String("mpe"), Key: aws.String("aborted"), UploadId: aws.String(id2)})
	wantCode(t, err, "NoSuchUpload")

	// Bad part checksum → BadDigest.
	cr, _ := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String("bad"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	_, err = c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpe"), Key: aws.String("bad"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		Body: bytes.NewReader([]byte("data")), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 32)))})
	wantCode(t, err, "BadDigest")
}

func TestUploadPartCopy(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "upc")
	src := randBytes(7 * mib)
	put(t, c, "upc", "src", src)
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, r := range [][2]int{{0, 5*mib - 1}, {5 * mib, 7*mib - 1}} {
		out, err := c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dst"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("upc/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	_, err = c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dst"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(3), CopySource: aws.String("upc/src"), CopySourceRange: aws.String("bytes=0-99999999")})
	wantCode(t, err, "InvalidArgument")
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dst"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "upc", "dst"); !bytes.Equal(got, src) {
		t.Fatal("UploadPartCopy result differs")
	}
}

// UploadPartCopy answers with the destination upload's encryption, as
// UploadPart does, whatever the source's encryption.
func TestUploadPartCopySSEHeaders(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "upcsse")
	put(t, c, "upcsse", "src", randBytes(1024)) // SSE-S3
	key := createKey(t, ts.kmsClient())
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("upcsse"), Key: aws.String("dst"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(key), BucketKeyEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("upcsse"), Key: aws.String("dst"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("upcsse/src")})
	if err != nil {
		t.Fatal(err)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != aws.ToString(cr.SSEKMSKeyId) ||
		!aws.ToBool(out.BucketKeyEnabled) {
		t.Fatalf("UploadPartCopy SSE headers: %q %q %v, want aws:kms %q true", out.ServerSideEncryption,
			aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled), aws.ToString(cr.SSEKMSKeyId))
	}
}
