package sigv4

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// Examples from the AWS S3 API reference, "Signature calculations for the
// Authorization header: transferring payload in a single chunk" and
// "Authenticating requests: using query parameters". They check the
// canonicalization against AWS itself rather than against an SDK.
func TestAWSDocSingleChunkVectors(t *testing.T) {
	const (
		scope = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
		host  = "Host: examplebucket.s3.amazonaws.com\r\n"
		date  = "x-amz-date: 20130524T000000Z\r\n"
		empty = "x-amz-content-sha256: " + emptySHA256 + "\r\n"
	)
	cases := []struct{ name, wire string }{
		{"GET object", "GET /test.txt HTTP/1.1\r\n" + host + "Range: bytes=0-9\r\n" + empty + date +
			"Authorization: AWS4-HMAC-SHA256 " + scope + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
			"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41\r\n\r\n"},
		{"PUT object", "PUT /test$file.text HTTP/1.1\r\n" + host + "Date: Fri, 24 May 2013 00:00:00 GMT\r\n" +
			"x-amz-storage-class: REDUCED_REDUNDANCY\r\n" + date +
			"x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\r\n" +
			"Authorization: AWS4-HMAC-SHA256 " + scope +
			"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," +
			"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd\r\n" +
			"Content-Length: 21\r\n\r\nWelcome to Amazon S3."},
		{"GET lifecycle", "GET /?lifecycle HTTP/1.1\r\n" + host + date + empty +
			"Authorization: AWS4-HMAC-SHA256 " + scope + "SignedHeaders=host;x-amz-content-sha256;x-amz-date," +
			"Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543\r\n\r\n"},
		{"list objects", "GET /?max-keys=2&prefix=J HTTP/1.1\r\n" + host + date + empty +
			"Authorization: AWS4-HMAC-SHA256 " + scope + "SignedHeaders=host;x-amz-content-sha256;x-amz-date," +
			"Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7\r\n\r\n"},
		{"presigned GET", "GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
			"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
			"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
			"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\r\n" +
			host + "\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parse := func() *http.Request {
				r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.wire)))
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			res, err := testVerifier(testTime.Add(5 * time.Minute)).Verify(parse())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := readAllBody(res); err != nil {
				t.Fatal(err)
			}
			// One byte changed anywhere in the signed request line breaks it.
			r := parse()
			r.URL.Path += "x"
			_, err = testVerifier(testTime.Add(5 * time.Minute)).Verify(r)
			wantErr(t, err, s3err.SignatureDoesNotMatch, "")
		})
	}
}

func TestHeaderValue(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPut, "http://h/", nil)
	r.Header.Add("X-Amz-Meta-A", "  one   two ")
	r.Header.Add("X-Amz-Meta-A", "three")
	r.ContentLength = 42
	r.TransferEncoding = []string{"chunked"}
	for name, want := range map[string]string{
		"x-amz-meta-a":      "one two,three",
		"content-length":    "42",
		"transfer-encoding": "chunked",
		"host":              "h:80",
		"absent":            "",
	} {
		if got := headerValue(r, name, "h:80"); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	r.Header.Set("Content-Length", "7")
	if got := headerValue(r, "content-length", ""); got != "7" {
		t.Errorf("raw content-length: %q", got)
	}
}

// A client that signs "host" without the default port but sends it (or a
// proxy that adds it) is still accepted.
func TestDefaultPortHost(t *testing.T) {
	r := newRequest(t, http.MethodGet, "example.com", "b/k", "", nil)
	sdkSign(t, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	sr := toServer(t, r)
	sr.Host = "example.com:443"
	if _, err := testVerifier(testTime).Verify(sr); err != nil {
		t.Fatal(err)
	}
	sr.Host = "example.com:8443"
	_, err := testVerifier(testTime).Verify(sr)
	wantErr(t, err, s3err.SignatureDoesNotMatch, "")
}

func TestBufferedBodyHeader(t *testing.T) {
	body := []byte(`{"KeyId":"alias/x"}`)
	for _, tc := range []struct {
		header string
		want   *s3err.Error
	}{
		{"", nil},
		{sha256Hex(body), nil},
		{strings.ToUpper(sha256Hex(body)), nil},
		{unsignedPayload, nil},
		{sha256Hex([]byte("other")), s3err.XAmzContentSHA256Mismatch},
		{"garbage", s3err.InvalidArgument},
	} {
		r := newRequest(t, http.MethodPost, "kms.local", "", "", body)
		hash := sha256Hex(body)
		if tc.header != "" {
			r.Header.Set("X-Amz-Content-Sha256", tc.header)
			hash = tc.header
		}
		sdkSign(t, r, hash, "kms", testRegion, testTime, testCreds)
		res, err := testVerifier(testTime).Verify(toServer(t, r))
		if tc.want != nil {
			wantErr(t, err, tc.want, "")
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.header, err)
		}
		if got, _ := io.ReadAll(res.Body); !bytes.Equal(got, body) {
			t.Fatalf("%q: body %q", tc.header, got)
		}
	}
	// Bodies of non-S3 services are capped, since they are read whole.
	big := bytes.Repeat([]byte("x"), maxBufferedBody+1)
	r := newRequest(t, http.MethodPost, "kms.local", "", "", big)
	sdkSign(t, r, sha256Hex(big), "kms", testRegion, testTime, testCreds)
	_, err := testVerifier(testTime).Verify(toServer(t, r))
	wantErr(t, err, s3err.EntityTooLarge, "")
}
