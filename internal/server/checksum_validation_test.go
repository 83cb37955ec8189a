package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sendStreaming signs req for an aws-chunked payload mode and sends it.
func sendStreaming(t *testing.T, req *http.Request, mode string) (int, string) {
	t.Helper()
	req.Header.Set("x-amz-content-sha256", mode)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, mode, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPartChecksumRules: what S3 refuses about a part's checksum, with its
// messages — a part without one in a COMPOSITE upload, one in another
// algorithm, two for one part — and what it accepts: a FULL_OBJECT upload's
// part without one (the server computes it).
func TestPartChecksumRules(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "parts")
	create := func(alg types.ChecksumAlgorithm, typ types.ChecksumType) *string {
		t.Helper()
		out, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("k"),
			ChecksumAlgorithm: alg, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		return out.UploadId
	}
	composite := create(types.ChecksumAlgorithmXxhash64, "")
	full := create(types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject)
	data := []byte(helloWorld)
	cases := []struct {
		name     string
		upload   *string
		set      map[types.ChecksumAlgorithm]string
		wantCode string // "" when accepted
		wantMsg  string
	}{
		{"composite, no checksum", composite, nil, "InvalidRequest",
			"Checksum Type mismatch occurred, expected checksum Type: xxhash64, actual checksum Type: null"},
		{"composite, other algorithm", composite, map[types.ChecksumAlgorithm]string{types.ChecksumAlgorithmSha512: b64(sha512Sum(data))}, "InvalidRequest",
			"Checksum Type mismatch occurred, expected checksum Type: xxhash64, actual checksum Type: sha512"},
		{"composite, two checksums", composite, map[types.ChecksumAlgorithm]string{types.ChecksumAlgorithmXxhash64: "xQCwyRKzdtg=", types.ChecksumAlgorithmCrc32: "i9aeUg=="}, "InvalidRequest",
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"composite, its algorithm", composite, map[types.ChecksumAlgorithm]string{types.ChecksumAlgorithmXxhash64: "xQCwyRKzdtg="}, "", ""},
		{"full object, no checksum", full, nil, "", ""},
		{"full object, other algorithm", full, map[types.ChecksumAlgorithm]string{types.ChecksumAlgorithmXxhash3: "tqy52Eo4/3Q="}, "InvalidRequest",
			"Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: xxhash3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.UploadPartInput{Bucket: aws.String("parts"), Key: aws.String("k"), UploadId: tc.upload, PartNumber: aws.Int32(1), Body: bytes.NewReader(data)}
			for a, v := range tc.set {
				partChecksum{in}.set(a, v)
			}
			_, err := c.UploadPart(ctx(t), in)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.wantCode)
			if errMessage(err) != tc.wantMsg {
				t.Errorf("message %q, want %q", errMessage(err), tc.wantMsg)
			}
		})
	}
}

// TestCompletePartChecksums: CompleteMultipartUpload of a COMPOSITE upload
// needs every part's checksum, one per part and well formed, in S3's
// words; a FULL_OBJECT upload's Complete does not.
func TestCompletePartChecksums(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "complete")
	upload := func(key string, alg types.ChecksumAlgorithm, typ types.ChecksumType, sum string) (*string, *string) {
		t.Helper()
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("complete"), Key: aws.String(key),
			ChecksumAlgorithm: alg, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		in := &s3.UploadPartInput{Bucket: aws.String("complete"), Key: aws.String(key), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
			Body: strings.NewReader(helloWorld)}
		partChecksum{in}.set(alg, sum)
		up, err := c.UploadPart(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return cr.UploadId, up.ETag
	}
	complete := func(key string, id *string, part types.CompletedPart) error {
		part.PartNumber = aws.Int32(1)
		_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("complete"), Key: aws.String(key), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}}})
		return err
	}

	id, etag := upload("c", types.ChecksumAlgorithmXxhash128, "", "c1H4mBL5c4K5HQWzHgTdfw==")
	err := complete("c", id, types.CompletedPart{ETag: etag})
	wantCode(t, err, "InvalidRequest")
	if want := "The upload was created using a xxhash128 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."; errMessage(err) != want {
		t.Errorf("missing part checksum: %q", errMessage(err))
	}
	err = complete("c", id, types.CompletedPart{ETag: etag, ChecksumXXHASH128: aws.String("c1H4mBL5c4K5HQWzHgTdfw=="), ChecksumCRC32: aws.String("i9aeUg==")})
	wantCode(t, err, "InvalidArgument")
	if errMessage(err) != "Invalid Base64 or multiple checksums present in request" {
		t.Errorf("two part checksums: %q", errMessage(err))
	}
	err = complete("c", id, types.CompletedPart{ETag: etag, ChecksumXXHASH128: aws.String("not base64")})
	wantCode(t, err, "InvalidArgument")
	err = complete("c", id, types.CompletedPart{ETag: etag, ChecksumXXHASH128: aws.String(b64(rawDigest(types.ChecksumAlgorithmXxhash128, []byte("other"))))})
	wantCode(t, err, "InvalidPart")
	if err := complete("c", id, types.CompletedPart{ETag: etag, ChecksumXXHASH128: aws.String("c1H4mBL5c4K5HQWzHgTdfw==")}); err != nil {
		t.Fatalf("complete with the part's checksum: %v", err)
	}

	id, etag = upload("f", types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, "")
	if err := complete("f", id, types.CompletedPart{ETag: etag}); err != nil {
		t.Fatalf("FULL_OBJECT complete without part checksums: %v", err)
	}
}

// TestAbortIfMatchInitiatedTime: x-amz-if-match-initiated-time aborts only
// the upload initiated at that second; otherwise 412, and an upload that is
// already gone is success.
func TestAbortIfMatchInitiatedTime(t *testing.T) {
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "abort")
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("abort"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String("abort")})
	if err != nil || len(ls.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads: %+v, %v", ls, err)
	}
	initiated := aws.ToTime(ls.Uploads[0].Initiated)
	abort := func(at time.Time) error {
		_, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String("abort"), Key: aws.String("k"), UploadId: cr.UploadId,
			IfMatchInitiatedTime: aws.Time(at)})
		return err
	}
	err = abort(initiated.Add(-time.Hour))
	wantCode(t, err, "PreconditionFailed")
	if httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("status %d, want 412", httpStatus(err))
	}
	if _, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String("abort"), Key: aws.String("k"), UploadId: cr.UploadId}); err != nil {
		t.Fatalf("the upload is gone after a failed condition: %v", err)
	}
	if err := abort(initiated); err != nil {
		t.Fatalf("abort at the initiated time: %v", err)
	}
	if err := abort(initiated); err != nil {
		t.Fatalf("abort of a gone upload with the condition: %v", err)
	}
	_, err = c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String("abort"), Key: aws.String("k"), UploadId: cr.UploadId})
	wantCode(t, err, "NoSuchUpload")
	status, body := signedDo(t, ts, http.MethodDelete, "/abort/k?uploadId="+aws.ToString(cr.UploadId), map[string]string{"x-amz-if-match-initiated-time": "yesterday"}, nil)
	if status != http.StatusBadRequest || xmlElem(body, "Code") != "InvalidArgument" {
		t.Errorf("unparsable time: %d %s", status, body)
	}
}

// TestBucketPostNotAForm: a POST to a bucket whose body is not a
// multipart/form-data upload form is 412, as S3 answers, not 405.
func TestBucketPostNotAForm(t *testing.T) {
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "post")
	for _, ct := range []string{"application/xml", "text/plain", ""} {
		status, body := signedDo(t, ts, http.MethodPost, "/post", map[string]string{"Content-Type": ct}, []byte("key=x"))
		if status != http.StatusPreconditionFailed || xmlElem(body, "Code") != "PreconditionFailed" ||
			xmlElem(body, "Condition") != "Bucket POST must be of the enclosure-type multipart/form-data" {
			t.Errorf("Content-Type %q: %d %s", ct, status, body)
		}
	}
}

// TestChunkSizeMinimum: over the wire, a non-final aws-chunked chunk under
// 8 KiB is 400 InvalidChunkSizeError and nothing is stored; 8 KiB chunks
// with a short last one are fine.
func TestChunkSizeMinimum(t *testing.T) {
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "chunks")
	frame := func(sizes ...int) (string, int) {
		var b strings.Builder
		n := 0
		for _, s := range sizes {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", s, strings.Repeat("z", s))
			n += s
		}
		b.WriteString("0\r\n\r\n")
		return b.String(), n
	}
	for _, tc := range []struct {
		name   string
		sizes  []int
		status int
	}{
		{"small first chunk", []int{1000, 1000}, http.StatusBadRequest},
		{"8 KiB then short", []int{8192, 10}, http.StatusOK},
	} {
		body, n := frame(tc.sizes...)
		req, err := http.NewRequest(http.MethodPut, ts.URL()+"/chunks/"+strings.ReplaceAll(tc.name, " ", "-"), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("x-amz-decoded-content-length", itoa(n))
		status, resp := sendStreaming(t, req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		if status != tc.status {
			t.Errorf("%s: %d %s", tc.name, status, resp)
		}
		if tc.status == http.StatusBadRequest {
			if xmlElem(resp, "Code") != "InvalidChunkSizeError" || xmlElem(resp, "Chunk") != "2" || xmlElem(resp, "BadChunkSize") != "1000" {
				t.Errorf("%s: %s", tc.name, resp)
			}
			if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("chunks"), Key: aws.String("small-first-chunk")}); apiCode(err) != "NotFound" {
				t.Errorf("a refused upload left an object: %v", err)
			}
		}
	}
}
