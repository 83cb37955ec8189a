package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// rawExpectPut sends the headers of a PUT signed for a body of size bytes
// hashing to payloadHash, with Expect: 100-continue (as botocore does), never sends the body, and returns the
// response the server answers with and the connection's reader.
func rawExpectPut(t *testing.T, ts *testServer, path string, size int64, payloadHash string) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	u, err := url.Parse(ts.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", u.String(), nil)
	req.ContentLength = size
	req.Header.Set("Content-Length", fmt.Sprint(size))
	req.Header.Set("x-amz-content-sha256", payloadHash)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, payloadHash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\nExpect: 100-continue\r\n", u.RequestURI(), u.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp, conn, br
}

// An UploadPart refused before its body is read (here: an SSE-C upload's
// part without the customer key) must close the connection. The client
// waited for 100 Continue and never sent the body; keeping the connection
// makes botocore reuse it and parse the next response with the refused
// one's status line, and the next request hangs until its read timeout
// (s3-tests test_copy_part_enc[…-sse-c-…-8388608]).
func TestSuiteMPUExpectContinueRefusalClosesConnection(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpu-expect")
	key, md := sseCKey(7)
	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu-expect"), Key: aws.String("o"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/mpu-expect/o?partNumber=2&uploadId=" + aws.ToString(up.UploadId)
	resp, conn, br := rawExpectPut(t, ts, path, 8<<20, sha256hex(bytes.Repeat([]byte("B"), 8<<20)))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidRequest</Code>") {
		t.Fatalf("UploadPart without the SSE-C key = %d %s, want 400 InvalidRequest", resp.StatusCode, body)
	}
	if !strings.EqualFold(resp.Header.Get("Connection"), "close") && !resp.Close {
		t.Errorf("the refusal of an unread Expect: 100-continue body keeps the connection (no Connection: close)")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := br.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after the refusal the server left the connection open (read %d, %v), want EOF", n, err)
	}
}

// mpuOnePart creates an upload of bucket/key, uploads data as part 1 and
// returns the upload id and the part list to complete it with.
func mpuOnePart(t *testing.T, c *s3.Client, bucket, key string, data []byte) (string, *types.CompletedMultipartUpload) {
	t.Helper()
	cx := ctx(t)
	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(up.UploadId), &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}
}

// A repeated CompleteMultipartUpload (a client retrying after a lost
// response) answers with the result of the completion that happened, as S3
// does, as long as the version it made is still the key's current one and
// the request names the same parts.
func TestSuiteMPURepeatedComplete(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpu-repeat")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("mpu-repeat"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	complete := func(id string, parts *types.CompletedMultipartUpload) (*s3.CompleteMultipartUploadOutput, error) {
		return c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu-repeat"), Key: aws.String("k"),
			UploadId: aws.String(id), MultipartUpload: parts})
	}
	id, parts := mpuOnePart(t, c, "mpu-repeat", "k", []byte("one part"))
	first, err := complete(id, parts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := complete(id, parts)
	if err != nil {
		t.Fatalf("repeated Complete: %v", err)
	}
	if aws.ToString(again.ETag) != aws.ToString(first.ETag) || aws.ToString(again.VersionId) != aws.ToString(first.VersionId) {
		t.Errorf("repeated Complete = %s %s, want %s %s", aws.ToString(again.ETag), aws.ToString(again.VersionId),
			aws.ToString(first.ETag), aws.ToString(first.VersionId))
	}
	if got := get(t, c, "mpu-repeat", "k"); string(got) != "one part" {
		t.Errorf("object after repeated Complete = %q", got)
	}
	other := &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(2), ETag: parts.Parts[0].ETag}}}
	if _, err := complete(id, other); apiCode(err) != "NoSuchUpload" {
		t.Errorf("Complete of the completed upload with other parts = %v, want NoSuchUpload", err)
	}
	put(t, c, "mpu-repeat", "k", []byte("overwritten"))
	if _, err := complete(id, parts); apiCode(err) != "NoSuchUpload" {
		t.Errorf("Complete after the key was overwritten = %v, want NoSuchUpload", err)
	}
	if got := get(t, c, "mpu-repeat", "k"); string(got) != "overwritten" {
		t.Errorf("a refused repeated Complete changed the object: %q", got)
	}
}

// S3 takes If-None-Match on writes only as "*"; with an ETag it answers
// 501 NotImplemented on PutObject and CompleteMultipartUpload alike, rather
// than reading it as "*" (which would refuse every overwrite).
func TestSuiteMPUIfNoneMatchETagNotImplemented(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpu-inm")
	etag := aws.ToString(put(t, c, "mpu-inm", "k", []byte("v1")).ETag)
	_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("mpu-inm"), Key: aws.String("k"), Body: strings.NewReader("v2"), IfNoneMatch: aws.String(etag)})
	if apiCode(err) != "NotImplemented" {
		t.Errorf("PutObject If-None-Match: <etag> = %v, want NotImplemented", err)
	}
	id, parts := mpuOnePart(t, c, "mpu-inm", "k", []byte("v3"))
	_, err = c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu-inm"), Key: aws.String("k"),
		UploadId: aws.String(id), MultipartUpload: parts, IfNoneMatch: aws.String("badetag")})
	if apiCode(err) != "NotImplemented" {
		t.Errorf("CompleteMultipartUpload If-None-Match: <etag> = %v, want NotImplemented", err)
	}
	// The refusal left the upload alone; If-Match with the current ETag
	// completes it.
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu-inm"), Key: aws.String("k"),
		UploadId: aws.String(id), MultipartUpload: parts, IfMatch: aws.String(etag)}); err != nil {
		t.Fatalf("Complete with If-Match of the current ETag: %v", err)
	}
	if got := get(t, c, "mpu-inm", "k"); string(got) != "v3" {
		t.Errorf("object = %q, want v3", got)
	}
}

// GetObject/HeadObject with partNumber of a multipart object created with
// a checksum algorithm answer with that part's checksum and the object's
// checksum type (SPEC §8.2), which clients use to verify a part download.
func TestSuiteMPUPartChecksum(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpu-pck")
	for _, tc := range []struct {
		alg  types.ChecksumAlgorithm
		typ  types.ChecksumType
		part func(*s3.UploadPartOutput) *string
		get  func(*s3.GetObjectOutput) *string
	}{
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite,
			func(o *s3.UploadPartOutput) *string { return o.ChecksumSHA256 }, func(o *s3.GetObjectOutput) *string { return o.ChecksumSHA256 }},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject,
			func(o *s3.UploadPartOutput) *string { return o.ChecksumCRC64NVME }, func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC64NVME }},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			key := "obj-" + string(tc.alg)
			up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu-pck"), Key: aws.String(key),
				ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			bodies := [][]byte{bytes.Repeat([]byte("A"), 5<<20), []byte("tail")}
			var done types.CompletedMultipartUpload
			var sums []string
			for i, b := range bodies {
				p, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpu-pck"), Key: aws.String(key), UploadId: up.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(b), ChecksumAlgorithm: tc.alg})
				if err != nil {
					t.Fatal(err)
				}
				sums = append(sums, aws.ToString(tc.part(p)))
				cp := types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: p.ETag}
				if tc.alg == types.ChecksumAlgorithmSha256 {
					cp.ChecksumSHA256 = tc.part(p)
				} else {
					cp.ChecksumCRC64NVME = tc.part(p)
				}
				done.Parts = append(done.Parts, cp)
			}
			if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu-pck"), Key: aws.String(key),
				UploadId: up.UploadId, MultipartUpload: &done}); err != nil {
				t.Fatal(err)
			}
			for i, want := range sums {
				out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpu-pck"), Key: aws.String(key),
					PartNumber: aws.Int32(int32(i + 1)), ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				out.Body.Close()
				if got := aws.ToString(tc.get(out)); want == "" || got != want || out.ChecksumType != tc.typ {
					t.Errorf("GetObject partNumber=%d: checksum %q type %q, want the part's %q and %q", i+1, got, out.ChecksumType, want, tc.typ)
				}
			}
		})
	}
}
