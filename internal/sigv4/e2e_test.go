package sigv4

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/s3err"
)

// seen is what the test server observed for one request.
type seen struct {
	res     *Result
	body    []byte
	trailer http.Header
	sha     string
	err     error
}

// verifyServer runs v.Verify and reads the body in a real net/http server,
// answering like S3 would enough for the SDK to be satisfied.
func verifyServer(t *testing.T, v *Verifier, tls bool) (*httptest.Server, func() []seen) {
	var mu sync.Mutex
	var log []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{sha: r.Header.Get("X-Amz-Content-Sha256")}
		s.res, s.err = v.Verify(r)
		if s.err == nil {
			s.body, s.err = io.ReadAll(s.res.Body)
			s.trailer = s.res.Trailer()
		}
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
		if s.err != nil {
			e := s3err.As(s.err)
			w.WriteHeader(e.Status)
			fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", e.Code, e.Message)
			return
		}
		if r.URL.Query().Has("list-type") {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name></ListBucketResult>`)
			return
		}
		w.Header().Set("ETag", `"etag"`)
		if r.Method == http.MethodGet {
			w.Write([]byte("object"))
		}
	})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		out := log
		log = nil
		return out
	}
}

// The real S3 SDK client (checksums in aws-chunked trailers over TLS, a
// signed payload hash over plain HTTP, path style, presigner) against
// Verify in a real server, at the real time.
func TestSDKClientEndToEnd(t *testing.T) {
	t.Run("https", func(t *testing.T) { testSDKClient(t, true) })
	t.Run("http", func(t *testing.T) { testSDKClient(t, false) })
}

func testSDKClient(t *testing.T, tls bool) {
	v := &Verifier{Region: testRegion, Lookup: lookupFor(map[string]string{testAK: testSecret})}
	srv, drain := verifyServer(t, v, tls)
	newClient := func(secret string) *s3.Client {
		return s3.New(s3.Options{
			Region:                     testRegion,
			BaseEndpoint:               aws.String(srv.URL),
			UsePathStyle:               true,
			Credentials:                credentials.NewStaticCredentialsProvider(testAK, secret, ""),
			HTTPClient:                 srv.Client(),
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		})
	}
	client := newClient(testSecret)
	ctx := context.Background()
	for i, key := range oracleKeys[1:] {
		body := bytes.Repeat([]byte(key+"|"), 3000)
		algo := []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256}[i%3]
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key),
			Body: bytes.NewReader(body), Metadata: map[string]string{"note": "a  b"}, ChecksumAlgorithm: algo})
		if err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		for _, s := range drain() {
			if s.err != nil || !bytes.Equal(s.body, body) {
				t.Fatalf("put %q (%s): %v", key, s.sha, s.err)
			}
			if i < 3 {
				t.Logf("put %q: %s chunked=%v trailer=%v", key, s.sha, s.res.Chunked, s.trailer)
			}
			if s.res.Chunked && s.trailer == nil {
				t.Fatalf("put %q: chunked without trailer", key)
			}
		}
	}
	if tls {
		putUnseekable(t, client, drain)
	}
	_, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket"),
		Prefix: aws.String("a b/ü+=&"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	drain()
	pc := s3.NewPresignClient(client)
	for _, key := range oracleKeys[1:] {
		req, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)},
			s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Get(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, s := range drain() {
			if s.err != nil || !s.res.Presigned {
				t.Fatalf("presigned get %q: %v", key, s.err)
			}
		}
	}
	// A wrong secret is refused with SignatureDoesNotMatch end to end.
	_, err = newClient("wrong").PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k"),
		Body: strings.NewReader("x")})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %v", err)
	}
	drain()
}

// putUnseekable sends a body the SDK cannot hash in advance, so it uses a
// trailing checksum (TLS only).
func putUnseekable(t *testing.T, client *s3.Client, drain func() []seen) {
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"),
		Key:  aws.String("stream"),
		Body: io.MultiReader(strings.NewReader("abc"), strings.NewReader("def")), ContentLength: aws.Int64(6),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range drain() {
		if s.err != nil || string(s.body) != "abcdef" || s.trailer.Get("X-Amz-Checksum-Crc32c") == "" {
			t.Fatalf("unseekable put (%s): %v %q %v", s.sha, s.err, s.body, s.trailer)
		}
	}
}

// botocore-style uploads: Transfer-Encoding: chunked with no Content-Length
// around an aws-chunked signed body, with Expect: 100-continue.
func TestTransferEncodingChunked(t *testing.T) {
	srv, drain := verifyServer(t, testVerifier(testTime), false)
	payload := bytes.Repeat([]byte("x"), 200_000)
	r := newRequest(t, http.MethodPut, strings.TrimPrefix(srv.URL, "http://"), "bucket/te", "", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(payload)))
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	sdkSign(t, r, streamingSignedTrailer, "s3", testRegion, testTime, testCreds)
	auth := r.Header.Get("Authorization")
	body := encodeSigned(newTestChunkSigner(auth[len(auth)-64:], testTime, testRegion), payload, 64*1024,
		"x-amz-checksum-crc32:AAAAAA==\n")
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body))) // length unknown to the client
	r.ContentLength = -1
	r.Header.Set("Expect", "100-continue")
	r.URL.Scheme, r.URL.Host = "http", r.Host
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := drain()
	if len(got) != 1 || got[0].err != nil || !bytes.Equal(got[0].body, payload) {
		t.Fatalf("%+v", got)
	}
	if got[0].trailer.Get("X-Amz-Checksum-Crc32") != "AAAAAA==" || got[0].res.DecodedLength != int64(len(payload)) {
		t.Fatalf("%+v", got[0].res)
	}
}

// A failed verification reveals neither the secret nor the signature the
// server computed (which would let a client forge requests for that scope).
func TestErrorHasNoSecret(t *testing.T) {
	r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
	sdkSign(t, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	want := r.Header.Get("Authorization")
	want = want[len(want)-64:]
	sr := toServer(t, r)
	sr.Header.Set("Authorization", strings.Replace(sr.Header.Get("Authorization"), want, strings.Repeat("0", 64), 1))
	_, err := testVerifier(testTime).Verify(sr)
	wantErr(t, err, s3err.SignatureDoesNotMatch, "")
	e := s3err.As(err)
	out, _ := xml.Marshal(struct {
		Code, Message string
		Extra         []s3err.Field
	}{e.Code, e.Message, e.Extra})
	for _, leak := range []string{testSecret, want} {
		if strings.Contains(string(out)+e.Error(), leak) {
			t.Fatalf("error leaks %q", leak)
		}
	}
}
