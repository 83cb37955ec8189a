package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

var testCreds = aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// signed builds a request signed with SigV4 at time at.
func signed(t *testing.T, creds aws.Credentials, method, url string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256hex(body)
	req.Header.Set("x-amz-content-sha256", h)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, h, "s3", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// errorCode sends req and returns the status and the S3 error code.
func errorCode(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amz-request-id") == "" {
		t.Errorf("response without x-amz-request-id")
	}
	s := string(b)
	i, j := strings.Index(s, "<Code>"), strings.Index(s, "</Code>")
	if i < 0 || j < i {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, s[i+6 : j]
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "auth")
	url := ts.URL() + "/auth/key"
	now := time.Now()
	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"good", signed(t, testCreds, "PUT", url, []byte("hi"), now), 200, ""},
		{"wrong secret", signed(t, aws.Credentials{AccessKeyID: testAK, SecretAccessKey: "wrong"}, "PUT", url, []byte("hi"), now), 403, "SignatureDoesNotMatch"},
		{"unknown key", signed(t, aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: testSK}, "PUT", url, []byte("hi"), now), 403, "InvalidAccessKeyId"},
		{"skewed clock", signed(t, testCreds, "PUT", url, []byte("hi"), now.Add(-20*time.Minute)), 403, "RequestTimeTooSkewed"},
		{"anonymous", func() *http.Request { r, _ := http.NewRequest("GET", url, nil); return r }(), 403, "AccessDenied"},
	}
	// A body that does not match the signed x-amz-content-sha256.
	bad := signed(t, testCreds, "PUT", url, []byte("hi"), now)
	bad.Body = io.NopCloser(strings.NewReader("ho"))
	cases = append(cases, struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{"payload hash mismatch", bad, 400, "XAmzContentSHA256Mismatch"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, code := errorCode(t, tc.req)
			if status != tc.status || code != tc.code {
				t.Fatalf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
		})
	}
	// The mismatched PUT left nothing behind: the object still holds "hi".
	if got := get(t, c, "auth", "key"); string(got) != "hi" {
		t.Fatalf("object = %q after rejected PUT", got)
	}
}

func TestPresignedURLs(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "pre")
	put(t, c, "pre", "file", []byte("presigned body"))
	ps := s3.NewPresignClient(c)
	g, err := ps.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("file")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(g.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "presigned body" {
		t.Fatalf("presigned GET = %d %q", resp.StatusCode, b)
	}

	p, err := ps.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("up")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", p.URL, strings.NewReader("uploaded"))
	for k, v := range p.SignedHeader {
		req.Header[k] = v
	}
	if status, code := errorCode(t, req); status != 200 {
		t.Fatalf("presigned PUT = %d %s", status, code)
	}
	if got := get(t, c, "pre", "up"); string(got) != "uploaded" {
		t.Fatalf("presigned PUT stored %q", got)
	}

	// Expired: signed two minutes ago, valid for one.
	r, _ := http.NewRequest("GET", ts.URL()+"/pre/file", nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "60")
	r.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCreds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().Add(-2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := http.NewRequest("GET", u, nil)
	if status, code := errorCode(t, r2); status != 403 || code != "AccessDenied" {
		t.Fatalf("expired presign = %d %s", status, code)
	}
	// Tampered: another key with the same signature.
	r3, _ := http.NewRequest("GET", strings.Replace(g.URL, "/pre/file", "/pre/up", 1), nil)
	if status, code := errorCode(t, r3); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered presign = %d %s", status, code)
	}
}

// streamingBody builds an aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// request with the SDK's stream signer as the reference implementation.
func streamingBody(t *testing.T, url string, data []byte, chunk int, at time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, nil)
	req.Header.Set("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("x-amz-decoded-content-length", strconv.Itoa(len(data)))
	// Content-Length of the encoded body must be signed and known upfront.
	var n int
	for _, sz := range chunkSizes(len(data), chunk) {
		n += len(fmt.Sprintf("%x", sz)) + len(";chunk-signature=") + 64 + 2 + sz + 2
	}
	req.ContentLength = int64(n)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
	seedBytes, _ := hex.DecodeString(seed)
	ss := v4.NewStreamSigner(testCreds, "s3", "us-east-1", seedBytes)
	var body bytes.Buffer
	off := 0
	for _, sz := range chunkSizes(len(data), chunk) {
		piece := data[off : off+sz]
		off += sz
		sig, err := ss.GetSignature(context.Background(), nil, piece, at)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", sz, hex.EncodeToString(sig))
		body.Write(piece)
		body.WriteString("\r\n")
	}
	if body.Len() != n {
		t.Fatalf("encoded length %d, computed %d", body.Len(), n)
	}
	req.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	return req
}

// chunkSizes splits n bytes into chunks of at most size, plus the final
// zero-length chunk aws-chunked ends with.
func chunkSizes(n, size int) []int {
	var out []int
	for ; n > 0; n -= min(n, size) {
		out = append(out, min(n, size))
	}
	return append(out, 0)
}

func TestStreamingSignedPayload(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "stream")
	data := randBytes(200_000)
	now := time.Now()
	req := streamingBody(t, ts.URL()+"/stream/ok", data, 64<<10, now)
	if status, code := errorCode(t, req); status != 200 {
		t.Fatalf("signed streaming PUT = %d %s", status, code)
	}
	if got := get(t, c, "stream", "ok"); !bytes.Equal(got, data) {
		t.Fatal("streamed object differs")
	}
	if h, _ := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("stream"), Key: aws.String("ok")}); aws.ToString(h.ContentEncoding) != "" {
		t.Fatalf("aws-chunked leaked into Content-Encoding: %q", aws.ToString(h.ContentEncoding))
	}

	// Flip one byte of chunk data: the chunk signature no longer matches.
	req = streamingBody(t, ts.URL()+"/stream/tampered", data, 64<<10, now)
	b, _ := io.ReadAll(req.Body)
	b[len(b)/2] ^= 1
	req.Body = io.NopCloser(bytes.NewReader(b))
	if status, code := errorCode(t, req); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered chunk = %d %s", status, code)
	}
	// Tamper a chunk signature itself.
	req = streamingBody(t, ts.URL()+"/stream/tampered", data, 64<<10, now)
	b, _ = io.ReadAll(req.Body)
	i := bytes.Index(b, []byte("chunk-signature=")) + len("chunk-signature=")
	b[i] ^= 1
	req.Body = io.NopCloser(bytes.NewReader(b))
	if status, code := errorCode(t, req); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered signature = %d %s", status, code)
	}
	_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("stream"), Key: aws.String("tampered")})
	if err == nil {
		t.Fatal("a tampered streaming PUT left an object behind")
	}
	// Truncated body.
	req = streamingBody(t, ts.URL()+"/stream/short", data, 64<<10, now)
	b, _ = io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b[:len(b)-100]))
	req.ContentLength = int64(len(b) - 100)
	if status, _ := errorCode(t, req); status < 400 || status >= 500 {
		t.Fatalf("truncated streaming body = %d", status)
	}
}

// TestTLSTrailingChecksums drives the SDK over HTTPS, where it sends
// aws-chunked bodies with trailing checksums, for PUT and UploadPart.
func TestTLSTrailingChecksums(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		TLSSelfSigned: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL = %s", s.URL())
	}
	var sawTrailer bool
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient: &http.Client{Transport: &spy{rt: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
			seen: func(r *http.Request) {
				if r.Header.Get("x-amz-trailer") != "" {
					sawTrailer = true
				}
			}}},
	})
	cx := ctx(t)
	mustBucket(t, c, "tls")
	data := randBytes(300_000)
	out, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("tls"), Key: aws.String("k"), Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	if !sawTrailer {
		t.Fatal("the SDK did not send a trailing checksum; the test no longer covers trailers")
	}
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	if aws.ToString(out.ChecksumCRC32C) != want {
		t.Fatalf("PUT checksum = %s, want %s", aws.ToString(out.ChecksumCRC32C), want)
	}
	g, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(g.Body) // the SDK validates the checksum while reading
	g.Body.Close()
	if err != nil || !bytes.Equal(got, data) || aws.ToString(g.ChecksumCRC32C) != want {
		t.Fatalf("GET over TLS: %v, checksum %s", err, aws.ToString(g.ChecksumCRC32C))
	}
}

type spy struct {
	rt   http.RoundTripper
	seen func(*http.Request)
}

func (s *spy) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen(r)
	return s.rt.RoundTrip(r)
}
