package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Edge cases a second, AWS-validated test suite found (issue 16 items
// 2, 3, 4, 6 and 7), through the SDK as clients meet them.
func TestReadEdgeCases(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "edges")
	put(t, c, "edges", "empty", nil)
	put(t, c, "edges", "single", []byte("0123456789"))

	t.Run("ranges on an empty object", func(t *testing.T) {
		for _, tc := range []struct {
			rng  string
			code string // "" for 200 with the empty body
		}{
			{"bytes=-1", ""},
			{"bytes=-100", ""},
			{"bytes=5-1", ""}, // not a range: ignored
			{"bytes=0-", "InvalidRange"},
			{"bytes=40-50", "InvalidRange"},
		} {
			out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("empty"), Range: aws.String(tc.rng)})
			if tc.code != "" {
				wantCode(t, err, tc.code)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.rng, err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if len(b) != 0 || aws.ToInt64(out.ContentLength) != 0 || out.ContentRange != nil {
				t.Errorf("%s: body %q, length %d, Content-Range %v; want 200 with nothing", tc.rng, b, aws.ToInt64(out.ContentLength), aws.ToString(out.ContentRange))
			}
		}
	})

	t.Run("partNumber=1 of a single-part object is a 206 range", func(t *testing.T) {
		out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("single"), PartNumber: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		status := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response).StatusCode
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if status != http.StatusPartialContent || aws.ToString(out.ContentRange) != "bytes 0-9/10" || out.PartsCount != nil || string(b) != "0123456789" {
			t.Errorf("status %d, Content-Range %q, parts count %v, body %q", status, aws.ToString(out.ContentRange), out.PartsCount, b)
		}
		_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("single"), PartNumber: aws.Int32(2)})
		wantCode(t, err, "InvalidPartNumber")
	})

	t.Run("a bad partNumber is refused before the key is looked up", func(t *testing.T) {
		_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("missing"), PartNumber: aws.Int32(0)})
		wantCode(t, err, "InvalidArgument")
		_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("missing"), PartNumber: aws.Int32(10001)})
		wantCode(t, err, "InvalidArgument")
	})

	t.Run("GetObjectAttributes names its attributes", func(t *testing.T) {
		for _, tc := range []struct {
			attrs []types.ObjectAttributes
			code  string
		}{
			{[]types.ObjectAttributes{"Bogus"}, "InvalidArgument"},
			{[]types.ObjectAttributes{types.ObjectAttributesEtag, "Bogus"}, "InvalidArgument"},
			{[]types.ObjectAttributes{""}, "InvalidRequest"},
		} {
			_, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("edges"), Key: aws.String("single"), ObjectAttributes: tc.attrs})
			wantCode(t, err, tc.code)
		}
		out, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("edges"), Key: aws.String("single"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
		if err != nil || aws.ToInt64(out.ObjectSize) != 10 || out.ETag != nil {
			t.Errorf("ObjectSize only: %+v, %v", out, err)
		}
	})

	t.Run("CompleteMultipartUpload's Location is an absolute URL", func(t *testing.T) {
		up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("edges"), Key: aws.String("a b/mp")})
		if err != nil {
			t.Fatal(err)
		}
		part, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("edges"), Key: aws.String("a b/mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
		if err != nil {
			t.Fatal(err)
		}
		done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("edges"), Key: aws.String("a b/mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := ts.URL() + "/edges/a%20b/mp"; aws.ToString(done.Location) != want {
			t.Errorf("Location = %q, want %q", aws.ToString(done.Location), want)
		}
	})

	t.Run("anonymous reads may not override response headers", func(t *testing.T) {
		if _, err := c.DeletePublicAccessBlock(cx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("edges")}); err != nil {
			t.Fatal(err)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::edges/*"}]}`
		if _, err := c.PutBucketPolicy(cx, &s3.PutBucketPolicyInput{Bucket: aws.String("edges"), Policy: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
		if st, code, _ := anon(t, ts, http.MethodGet, "/edges/single", ""); st != 200 || code != "" {
			t.Fatalf("anonymous GET of a public object: %d %s", st, code)
		}
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			st, code, _ := anon(t, ts, m, "/edges/single?response-content-type=text%2Fhtml", "")
			if st != http.StatusBadRequest || (m == http.MethodGet && code != "InvalidRequest") {
				t.Errorf("anonymous %s with response-content-type: %d %s, want 400 InvalidRequest", m, st, code)
			}
		}
		out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("edges"), Key: aws.String("single"), ResponseContentType: aws.String("text/html")})
		if err != nil || aws.ToString(out.ContentType) != "text/html" {
			t.Fatalf("signed override: %v", err)
		}
		out.Body.Close()
	})
}

// Issue 16 item 11: what S3 does with non-ASCII metadata and with HTTP
// chunked uploads.
func TestUploadEncodings(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "encodings")

	t.Run("non-ASCII metadata round-trips as RFC 2047", func(t *testing.T) {
		for _, tc := range []struct{ sent, stored string }{
			{"plain ascii", "plain ascii"},
			{"Hello World\u00e9", "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?="},
			// Sent encoded, stored decoded, returned encoded again.
			{"=?UTF-8?B?w6k=?=", "=?UTF-8?B?w6k=?="},
		} {
			if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("encodings"), Key: aws.String("m"),
				Body: bytes.NewReader(nil), Metadata: map[string]string{"v": tc.sent}}); err != nil {
				t.Fatal(err)
			}
			h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("encodings"), Key: aws.String("m")})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Metadata["v"]; got != tc.stored {
				t.Errorf("sent %q, got back %q, want %q", tc.sent, got, tc.stored)
			}
		}
	})

	t.Run("HTTP chunked upload is NotImplemented", func(t *testing.T) {
		pre, err := s3.NewPresignClient(c).PresignPutObject(cx, &s3.PutObjectInput{Bucket: aws.String("encodings"), Key: aws.String("chunked")})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(cx, http.MethodPut, pre.URL, io.MultiReader(bytes.NewReader([]byte("bar")))) // no length: chunked
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented || !bytes.Contains(body, []byte("<Code>NotImplemented</Code>")) {
			t.Errorf("chunked PUT: %d %s", resp.StatusCode, body)
		}
	})
}

// Issue 16 item 10: error details clients match on, as S3 words them.
func TestErrorDetails(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "details")
	put(t, c, "details", "k", []byte("v"))

	presigned := func(ak, sk string) string {
		t.Helper()
		cl := ts.client(func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") })
		pre, err := s3.NewPresignClient(cl).PresignGetObject(cx, &s3.GetObjectInput{Bucket: aws.String("details"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		return pre.URL
	}
	fetch := func(url string, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(cx, http.MethodGet, url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name string
		url  string
		hdr  []string
		want []string
	}{
		{"unknown key", presigned("AKIDNOSUCHKEY0000000", "x"), nil,
			[]string{"<Code>InvalidAccessKeyId</Code>", "<AWSAccessKeyId>AKIDNOSUCHKEY0000000</AWSAccessKeyId>"}},
		{"wrong secret", presigned(testAK, "wrong"), nil,
			[]string{"<Code>SignatureDoesNotMatch</Code>", "<AWSAccessKeyId>" + testAK + "</AWSAccessKeyId>", "<SignatureProvided>"}},
		{"unsigned headers", presigned(testAK, testSK), []string{"x-amz-meta-b", "1", "x-amz-meta-a", "2"},
			[]string{"<Code>AccessDenied</Code>", "<HeadersNotSigned>x-amz-meta-a, x-amz-meta-b</HeadersNotSigned>"}},
	} {
		status, body := fetch(tc.url, tc.hdr...)
		for _, w := range tc.want {
			if status != http.StatusForbidden || !strings.Contains(body, w) {
				t.Errorf("%s: %d %s, want 403 with %s", tc.name, status, body, w)
			}
		}
	}

	t.Run("DeleteObjects in a versioned bucket says DeleteMarker false", func(t *testing.T) {
		mustBucket(t, c, "details-v")
		if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("details-v"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
		v := put(t, c, "details-v", "k", []byte("v"))
		out, err := c.DeleteObjects(cx, &s3.DeleteObjectsInput{Bucket: aws.String("details-v"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("k"), VersionId: v.VersionId}, {Key: aws.String("other")}}}})
		if err != nil || len(out.Deleted) != 2 {
			t.Fatalf("DeleteObjects: %+v, %v", out, err)
		}
		for _, d := range out.Deleted {
			want := aws.ToString(d.Key) == "other" // a new delete marker
			if d.DeleteMarker == nil || *d.DeleteMarker != want {
				t.Errorf("%s: DeleteMarker %v, want %v", aws.ToString(d.Key), d.DeleteMarker, want)
			}
		}
		_, err = c.DeleteBucket(cx, &s3.DeleteBucketInput{Bucket: aws.String("details-v")})
		wantCode(t, err, "BucketNotEmpty")
		if !strings.Contains(err.Error(), "You must delete all versions in the bucket.") {
			t.Errorf("versioned BucketNotEmpty: %v", err)
		}
	})

	t.Run("NoSuchUpload", func(t *testing.T) {
		_, err := c.AbortMultipartUpload(cx, &s3.AbortMultipartUploadInput{Bucket: aws.String("details"), Key: aws.String("k"), UploadId: aws.String("nope")})
		wantCode(t, err, "NoSuchUpload")
		if !strings.Contains(err.Error(), "The specified multipart upload does not exist.") {
			t.Errorf("NoSuchUpload: %v", err)
		}
	})
}

// Issue 16 item 5: CreateBucket takes the bucket's tags and names its ARN.
func TestCreateBucketTagsAndARN(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	out, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("tagged-at-birth"), CreateBucketConfiguration: &types.CreateBucketConfiguration{
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.BucketArn) != "arn:aws:s3:::tagged-at-birth" {
		t.Errorf("CreateBucket BucketArn = %q", aws.ToString(out.BucketArn))
	}
	h, err := c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("tagged-at-birth")})
	if err != nil || aws.ToString(h.BucketArn) != "arn:aws:s3:::tagged-at-birth" {
		t.Errorf("HeadBucket BucketArn = %v, %v", h, err)
	}
	tags, err := c.GetBucketTagging(cx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged-at-birth")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "team" || aws.ToString(tags.TagSet[0].Value) != "storage" {
		t.Fatalf("GetBucketTagging = %+v, %v", tags, err)
	}
	_, err = c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("badly-tagged"), CreateBucketConfiguration: &types.CreateBucketConfiguration{
		Tags: []types.Tag{{Key: aws.String("a;b"), Value: aws.String("v")}}}})
	wantCode(t, err, "InvalidTag")
	if _, err := c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("badly-tagged")}); err == nil {
		t.Error("a bucket refused for its tags was created")
	}
}

// Issue 16 item 11: ListObjects (V1) under encoding-type=url encodes keys,
// common prefixes, Marker and Delimiter but returns Prefix as sent — what
// botocore, which always asks V1 for url encoding, decodes.
func TestListV1PrefixNotEncoded(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "v1-prefix")
	put(t, c, "v1-prefix", "a b/c d/e", []byte("x"))
	put(t, c, "v1-prefix", "a b/f+g", []byte("x"))
	out, err := c.ListObjects(cx, &s3.ListObjectsInput{Bucket: aws.String("v1-prefix"), Prefix: aws.String("a b/"), Delimiter: aws.String("/"),
		EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Prefix) != "a b/" {
		t.Errorf("Prefix = %q, want it as sent", aws.ToString(out.Prefix))
	}
	if len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "a+b/c+d/" {
		t.Errorf("CommonPrefixes = %+v, want [a+b/c+d/]", out.CommonPrefixes)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a+b/f%2Bg" {
		t.Errorf("Contents = %+v, want [a+b/f%%2Bg]", out.Contents)
	}
	v2, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("v1-prefix"), Prefix: aws.String("a b/"), EncodingType: types.EncodingTypeUrl})
	if err != nil || aws.ToString(v2.Prefix) != "a+b/" {
		t.Errorf("V2 Prefix = %q, %v; want it encoded", aws.ToString(v2.Prefix), err)
	}
}

// Issue 16 item 9: a whole-object checksum given at Complete for an upload
// created without an algorithm — accepted for the original five
// algorithms (neither checked nor kept), refused for the 2026 ones.
func TestCompleteChecksumNotDeclared(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "undeclared")
	for _, tc := range []struct {
		name string
		set  func(in *s3.CompleteMultipartUploadInput)
		code string
	}{
		{"SHA256", func(in *s3.CompleteMultipartUploadInput) {
			in.ChecksumSHA256 = aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}, ""},
		{"SHA512", func(in *s3.CompleteMultipartUploadInput) {
			in.ChecksumSHA512 = aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")
		}, "InvalidRequest"},
	} {
		key := "k-" + tc.name
		up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("undeclared"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		part, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("undeclared"), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
		if err != nil {
			t.Fatal(err)
		}
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String("undeclared"), Key: aws.String(key), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}
		tc.set(in)
		_, err = c.CompleteMultipartUpload(cx, in)
		if tc.code != "" {
			wantCode(t, err, tc.code)
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
