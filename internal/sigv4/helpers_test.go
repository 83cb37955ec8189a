package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kurastore/kura/internal/s3err"
)

// The AWS documentation's example credentials and time.
const (
	testAK     = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
)

var (
	testTime  = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	testCreds = aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}
)

func lookupFor(secrets map[string]string) CredentialFunc {
	return func(ak string) (string, error) {
		if s, ok := secrets[ak]; ok {
			return s, nil
		}
		return "", s3err.InvalidAccessKeyID
	}
}

// testVerifier accepts testAK and pretends the time is now.
func testVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region: testRegion,
		Lookup: lookupFor(map[string]string{testAK: testSecret}),
		Now:    func() time.Time { return now },
	}
}

// newRequest builds a client request whose path is sent AWS-encoded, as the
// S3 SDKs do: key is the decoded object key (may contain anything).
func newRequest(t testing.TB, method, host, bucketAndKey, rawQuery string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://"+host+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	r.URL.Path = "/" + bucketAndKey
	r.URL.RawPath = "/" + uriEncode(bucketAndKey, false)
	r.URL.RawQuery = rawQuery
	return r
}

// sdkSign signs r in place with the SDK signer (the oracle).
func sdkSign(t testing.TB, r *http.Request, payloadHash, service, region string, at time.Time, creds aws.Credentials) {
	t.Helper()
	if service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash, service, region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
}

// sdkPresign presigns r with the SDK and returns the request to send.
func sdkPresign(t testing.TB, r *http.Request, service, region string, at time.Time, expires int) *http.Request {
	t.Helper()
	q := r.URL.RawQuery
	if q != "" {
		q += "&"
	}
	r.URL.RawQuery = q + fmt.Sprintf("X-Amz-Expires=%d", expires)
	payload := unsignedPayload
	if service != "s3" {
		payload = emptySHA256
	}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), testCreds, r, payload, service, region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(r.Method, u, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	out.ContentLength = r.ContentLength
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

// toServer sends r through the HTTP/1.1 wire format and parses it back,
// yielding exactly what a Go server handler sees (Host moved to r.Host,
// Transfer-Encoding stripped, path decoded).
func toServer(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wantErr fails unless err is an S3 error with want's code (and, when
// given, a message containing msg).
func wantErr(t testing.TB, err error, want *s3err.Error, msg string) {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want %s", err, err, want.Code)
	}
	if e.Code != want.Code {
		t.Fatalf("error = %v, want code %s", err, want.Code)
	}
	if msg != "" && !strings.Contains(e.Message, msg) {
		t.Fatalf("error message = %q, want it to contain %q", e.Message, msg)
	}
}

// readAllBody reads res.Body to the end and closes it.
func readAllBody(res *Result) ([]byte, error) {
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

// Test-side aws-chunked encoders, written from the AWS documentation
// independently of the reader under test.

type testChunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string
}

func newTestChunkSigner(seed string, at time.Time, region string) *testChunkSigner {
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	day := at.Format("20060102")
	key := mac(mac(mac(mac([]byte("AWS4"+testSecret), day), region), "s3"), "aws4_request")
	return &testChunkSigner{key: key, amzDate: at.Format("20060102T150405Z"),
		scope: day + "/" + region + "/s3/aws4_request", prev: seed}
}

func (s *testChunkSigner) sign(sts string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(sts))
	s.prev = hex.EncodeToString(h.Sum(nil))
	return s.prev
}

func (s *testChunkSigner) chunk(data []byte) string {
	return s.sign("AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" +
		emptySHA256 + "\n" + sha256Hex(data))
}

func (s *testChunkSigner) trailer(lines string) string {
	return s.sign("AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" +
		sha256Hex([]byte(lines)))
}

// encodeSigned frames data as signed aws-chunked with the given chunk size;
// trailers (already "name:value\n" lines) switch to the -TRAILER layout.
func encodeSigned(s *testChunkSigner, data []byte, chunkSize int, trailers string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, s.chunk(data[:n]))
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", s.chunk(nil))
	if trailers == "" {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	sig := s.trailer(trailers)
	b.WriteString(strings.ReplaceAll(trailers, "\n", "\r\n"))
	fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n\r\n", sig)
	return b.Bytes()
}

// encodeUnsigned frames data as STREAMING-UNSIGNED-PAYLOAD-TRAILER.
func encodeUnsigned(data []byte, chunkSize int, trailers string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	b.WriteString(strings.ReplaceAll(trailers, "\n", "\r\n"))
	b.WriteString("\r\n")
	return b.Bytes()
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

func newSDKSigner() *v4.Signer { return v4.NewSigner() }

func s3Opts(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }

// readTruncated parses a request whose wire form was cut short, so its
// body ends before Content-Length as when a client disconnects.
func readTruncated(t testing.TB, wire []byte) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
