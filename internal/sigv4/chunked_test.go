package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kurastore/kura/internal/s3err"
)

// Values published in the AWS S3 API reference, "Signature calculations for
// the Authorization header: transferring payload in multiple chunks" and
// "... including trailing headers": 65 KiB of 'a' in 64 KiB chunks.
const (
	docSeed        = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	docTrailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	docTrailerSig  = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
	docTrailer     = "x-amz-checksum-crc32c:sOO8/Q==\n"
)

var (
	docChunkSigs = []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	docTrailerChunkSigs = []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	docPayload = bytes.Repeat([]byte{'a'}, 65*1024)
)

// docRequest parses the documented example request from its wire form.
func docRequest(t testing.TB, mode, signedHeaders, seed string, extra string, body []byte) *http.Request {
	t.Helper()
	wire := "PUT /examplebucket/chunkObject.txt HTTP/1.1\r\n" +
		"Host: s3.amazonaws.com\r\n" +
		"x-amz-date: 20130524T000000Z\r\n" +
		"x-amz-storage-class: REDUCED_REDUNDANCY\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
		"SignedHeaders=" + signedHeaders + ",Signature=" + seed + "\r\n" +
		"x-amz-content-sha256: " + mode + "\r\n" +
		"Content-Encoding: aws-chunked\r\n" +
		"x-amz-decoded-content-length: 66560\r\n" +
		extra +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))
	r, err := http.ReadRequest(bufio.NewReader(io.MultiReader(strings.NewReader(wire), bytes.NewReader(body))))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func signedDocRequest(t testing.TB, body []byte) *http.Request {
	return docRequest(t, streamingSigned,
		"content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		docSeed, "", body)
}

func trailerDocRequest(t testing.TB, body []byte) *http.Request {
	return docRequest(t, streamingSignedTrailer,
		"content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		docTrailerSeed, "x-amz-trailer: x-amz-checksum-crc32c\r\n", body)
}

func TestAWSDocStreamingVector(t *testing.T) {
	body := encodeSigned(newTestChunkSigner(docSeed, testTime, testRegion), docPayload, 64*1024, "")
	if len(body) != 66824 {
		t.Fatalf("encoded length %d, documented 66824", len(body))
	}
	for _, sig := range docChunkSigs {
		if !bytes.Contains(body, []byte("chunk-signature="+sig+"\r\n")) {
			t.Fatalf("documented chunk signature %s not produced", sig)
		}
	}
	res, err := testVerifier(testTime).Verify(signedDocRequest(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Chunked || res.DecodedLength != 66560 {
		t.Fatalf("%+v", res)
	}
	got, err := readAllBody(res)
	if err != nil || !bytes.Equal(got, docPayload) {
		t.Fatalf("len %d err %v", len(got), err)
	}
}

func TestAWSDocTrailerVector(t *testing.T) {
	body := encodeSigned(newTestChunkSigner(docTrailerSeed, testTime, testRegion), docPayload, 64*1024, docTrailer)
	for _, sig := range append(docTrailerChunkSigs, docTrailerSig) {
		if !bytes.Contains(body, []byte(sig+"\r\n")) {
			t.Fatalf("documented signature %s not produced", sig)
		}
	}
	// Clients lay out the end of the body differently; all are accepted.
	final := "0;chunk-signature=" + docTrailerChunkSigs[2] + "\r\n"
	cut := bytes.Index(body, []byte(final)) + len(final)
	head := body[:cut]
	trailer := "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" + docTrailerSig + "\r\n"
	for name, tail := range map[string]string{
		"documented":         trailer + "\r\n",
		"blank line first":   "\r\n" + trailer,
		"no final CRLF":      trailer,
		"stray LF":           "x-amz-checksum-crc32c:sOO8/Q==\n\r\nx-amz-trailer-signature:" + docTrailerSig + "\r\n\r\n",
		"spaces after colon": "x-amz-checksum-crc32c: sOO8/Q==\r\nx-amz-trailer-signature: " + docTrailerSig + "\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := testVerifier(testTime).Verify(trailerDocRequest(t, append(bytes.Clone(head), tail...)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Trailer() != nil {
				t.Fatal("trailer before EOF")
			}
			got, err := readAllBody(res)
			if err != nil || !bytes.Equal(got, docPayload) {
				t.Fatalf("len %d err %v", len(got), err)
			}
			if v := res.Trailer().Get("X-Amz-Checksum-Crc32c"); v != "sOO8/Q==" {
				t.Fatalf("trailer %v", res.Trailer())
			}
		})
	}
}

// The SDK's stream signer is an independent oracle for chunk signatures.
func TestSDKStreamSigner(t *testing.T) {
	payload := bytes.Repeat([]byte("kura!"), 30000)
	r := newRequest(t, http.MethodPut, "localhost:9000", "bucket/obj", "", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(payload)))
	sdkSign(t, r, streamingSigned, "s3", testRegion, testTime, testCreds)
	auth := r.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[len(auth)-64:])
	ss := v4.NewStreamSigner(testCreds, "s3", testRegion, seed)
	var body bytes.Buffer
	for rest := payload; ; {
		n := min(8192, len(rest))
		sig, err := ss.GetSignature(context.Background(), nil, rest[:n], testTime)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%x\r\n%s\r\n", n, sig, rest[:n])
		if n == 0 {
			break
		}
		rest = rest[n:]
	}
	r.Body, r.ContentLength = io.NopCloser(&body), int64(body.Len())
	res, err := testVerifier(testTime).Verify(toServer(t, r))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllBody(res)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("len %d err %v", len(got), err)
	}
}

// ownSignedRequest signs a streaming request with the SDK, leaving
// Content-Length unsigned so tests can alter the body freely; it returns a
// chunk signer seeded with the request signature, and a function that
// attaches a body and yields the server-side request.
func ownSignedRequest(t testing.TB, mode string, decoded int, trailer string) (*testChunkSigner, func([]byte) *http.Request) {
	r := newRequest(t, http.MethodPut, "localhost:9000", "bucket/obj", "", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(decoded))
	if trailer != "" {
		r.Header.Set("X-Amz-Trailer", trailer)
	}
	sdkSign(t, r, mode, "s3", testRegion, testTime, testCreds)
	auth := r.Header.Get("Authorization")
	return newTestChunkSigner(auth[len(auth)-64:], testTime, testRegion), func(body []byte) *http.Request {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return toServer(t, r)
	}
}

// flipAfter changes the byte just after the nth occurrence of marker.
func flipAfter(b []byte, marker string, nth int) []byte {
	b = bytes.Clone(b)
	at := 0
	for range nth {
		at += bytes.Index(b[at:], []byte(marker)) + len(marker)
	}
	b[at] ^= 1
	return b
}

func TestSignedChunkTampering(t *testing.T) {
	signer, _ := ownSignedRequest(t, streamingSigned, len(docPayload), "")
	good := encodeSigned(signer, docPayload, 64*1024, "")
	firstChunk := 64 * 1024
	cases := []struct {
		name     string
		body     []byte
		want     *s3err.Error
		maxBytes int // bytes that may be released before the error
	}{
		{"data in chunk 1", flipAfter(good, "\r\n", 1), s3err.SignatureDoesNotMatch, 0},
		{"data in chunk 2", flipAfter(good, "\r\n", 3), s3err.SignatureDoesNotMatch, firstChunk},
		{"chunk signature 1", flipAfter(good, "chunk-signature=", 1), s3err.SignatureDoesNotMatch, 0},
		{"chunk signature 2", flipAfter(good, "chunk-signature=", 2), s3err.SignatureDoesNotMatch, firstChunk},
		{"final signature", flipAfter(good, "chunk-signature=", 3), s3err.SignatureDoesNotMatch, len(docPayload)},
		{"truncated data", good[:firstChunk], s3err.IncompleteBody, 0},
		{"truncated after chunk 1", good[:bytes.Index(good, []byte("400;"))], s3err.IncompleteBody, firstChunk},
		{"no final chunk", good[:bytes.LastIndex(good, []byte("0;chunk"))], s3err.IncompleteBody, len(docPayload)},
		{"empty body", nil, s3err.IncompleteBody, 0},
		{"missing CRLF", bytes.Replace(good, []byte("\r\n400;"), []byte("\r400;"), 1), s3err.SignatureDoesNotMatch, 0},
		{"garbage after end", append(bytes.Clone(good), "junk"...), s3err.SignatureDoesNotMatch, len(docPayload)},
		{"bad size", bytes.Replace(good, []byte("400;"), []byte("4g0;"), 1), s3err.SignatureDoesNotMatch, firstChunk},
		{"size changed", bytes.Replace(good, []byte("400;"), []byte("3ff;"), 1), s3err.SignatureDoesNotMatch, firstChunk},
		{"no signature", regexpReplace(good, "400;chunk-signature=[0-9a-f]{64}", "400"), s3err.SignatureDoesNotMatch, firstChunk},
		{"huge chunk", []byte("1000001;chunk-signature=" + docChunkSigs[0] + "\r\n"), s3err.InvalidRequest, 0},
		{"long line", append([]byte("10000;"), bytes.Repeat([]byte("x"), 5000)...), s3err.SignatureDoesNotMatch, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, build := ownSignedRequest(t, streamingSigned, len(docPayload), "")
			res, err := testVerifier(testTime).Verify(build(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readSmall(res.Body, 1000)
			wantErr(t, err, tc.want, "")
			if len(got) > tc.maxBytes || !bytes.Equal(got, docPayload[:len(got)]) {
				t.Fatalf("released %d bytes before the error, want at most %d", len(got), tc.maxBytes)
			}
			if res.Trailer() != nil {
				t.Fatal("trailer after error")
			}
			// Errors are sticky.
			if _, err2 := res.Body.Read(make([]byte, 10)); err2 != err {
				t.Fatalf("second read: %v, first %v", err2, err)
			}
		})
	}
	// The untouched body decodes.
	_, build := ownSignedRequest(t, streamingSigned, len(docPayload), "")
	res, err := testVerifier(testTime).Verify(build(good))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readSmall(res.Body, 1000); err != nil || !bytes.Equal(got, docPayload) {
		t.Fatal(err)
	}
}

func TestDecodedLength(t *testing.T) {
	// A payload of another size than x-amz-decoded-content-length fails on
	// length, before any byte beyond the declared length is released.
	const declared = 66560
	for _, n := range []int{declared - 1, declared + 1, 70000, 0} {
		signer, build := ownSignedRequest(t, streamingSigned, declared, "")
		body := encodeSigned(signer, bytes.Repeat([]byte{'a'}, n), 64*1024, "")
		res, err := testVerifier(testTime).Verify(build(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		wantErr(t, err, s3err.IncompleteBody, "x-amz-decoded-content-length")
		if len(got) > declared {
			t.Fatalf("released %d bytes, declared %d", len(got), declared)
		}
	}
}

func regexpReplace(b []byte, expr, repl string) []byte {
	return regexp.MustCompile(expr).ReplaceAll(bytes.Clone(b), []byte(repl))
}

func TestTrailerTampering(t *testing.T) {
	good := encodeSigned(newTestChunkSigner(docTrailerSeed, testTime, testRegion), docPayload, 64*1024, docTrailer)
	for name, tc := range map[string]struct {
		old, new string
		want     *s3err.Error
	}{
		"value":             {"sOO8/Q==", "sOO8/Q=A", s3err.SignatureDoesNotMatch},
		"signature":         {docTrailerSig[:8], "00000000", s3err.SignatureDoesNotMatch},
		"no signature":      {"x-amz-trailer-signature:" + docTrailerSig + "\r\n", "", s3err.SignatureDoesNotMatch},
		"undeclared":        {"x-amz-checksum-crc32c:", "x-amz-checksum-sha1:", s3err.InvalidRequest},
		"after signature":   {docTrailerSig + "\r\n", docTrailerSig + "\r\nx-amz-checksum-crc32c:x\r\n", s3err.SignatureDoesNotMatch},
		"malformed trailer": {"x-amz-checksum-crc32c:", "x-amz-checksum-crc32c=", s3err.SignatureDoesNotMatch},
	} {
		t.Run(name, func(t *testing.T) {
			body := bytes.Replace(bytes.Clone(good), []byte(tc.old), []byte(tc.new), 1)
			res, err := testVerifier(testTime).Verify(trailerDocRequest(t, body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(res.Body)
			wantErr(t, err, tc.want, "")
			if res.Trailer() != nil {
				t.Fatal("trailer after error")
			}
		})
	}
}

// unsignedTrailerRequest signs a STREAMING-UNSIGNED-PAYLOAD-TRAILER request
// the way the Go SDK does for PutObject with a checksum over TLS.
func unsignedTrailerRequest(t testing.TB, body []byte, decoded int, trailers string) *http.Request {
	r := newRequest(t, http.MethodPut, "localhost:9000", "bucket/obj", "", body)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(decoded))
	if trailers != "" {
		r.Header.Set("X-Amz-Trailer", trailers)
	}
	sdkSign(t, r, streamingUnsignedTrailer, "s3", testRegion, testTime, testCreds)
	return toServer(t, r)
}

func TestUnsignedTrailer(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	crc := "x-amz-checksum-crc32:AAAAAA==\n"
	good := encodeUnsigned(payload, 8192, crc)
	cases := []struct {
		name     string
		body     []byte
		decoded  int
		trailers string
		want     *s3err.Error
	}{
		{"ok", good, len(payload), "x-amz-checksum-crc32", nil},
		{"stray LF", bytes.Replace(good, []byte("==\r\n"), []byte("==\n\r\n"), 1), len(payload), "x-amz-checksum-crc32", nil},
		{"LF only", bytes.ReplaceAll(good, []byte("==\r\n\r\n"), []byte("==\n\n")), len(payload), "x-amz-checksum-crc32", nil},
		{"no trailers", encodeUnsigned(payload, 8192, ""), len(payload), "", nil},
		{"one big chunk", encodeUnsigned(payload, len(payload), crc), len(payload), "x-amz-checksum-crc32", nil},
		{"chunk extension", bytes.Replace(good, []byte("2000\r\n"), []byte("2000;ext=1\r\n"), 1), len(payload), "x-amz-checksum-crc32", nil},
		{"undeclared trailer", good, len(payload), "x-amz-checksum-sha256", s3err.InvalidRequest},
		{"declared missing", encodeUnsigned(payload, 8192, ""), len(payload), "x-amz-checksum-crc32", s3err.InvalidRequest},
		{"short decoded", good, len(payload) - 1, "x-amz-checksum-crc32", s3err.IncompleteBody},
		{"long decoded", good, len(payload) + 1, "x-amz-checksum-crc32", s3err.IncompleteBody},
		{"truncated", good[:len(good)/2], len(payload), "x-amz-checksum-crc32", s3err.IncompleteBody},
		{"bad size", bytes.Replace(good, []byte("2000\r\n"), []byte("zz\r\n"), 1), len(payload), "x-amz-checksum-crc32", s3err.InvalidRequest},
		{"missing CRLF", bytes.Replace(good, []byte("\r\n2000"), []byte("XX2000"), 1), len(payload), "x-amz-checksum-crc32", s3err.InvalidRequest},
		{"garbage after end", append(bytes.Clone(good), "more"...), len(payload), "x-amz-checksum-crc32", s3err.InvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := testVerifier(testTime).Verify(unsignedTrailerRequest(t, tc.body, tc.decoded, tc.trailers))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Chunked || res.DecodedLength != int64(tc.decoded) {
				t.Fatalf("%+v", res)
			}
			got, err := readSmall(res.Body, 777)
			if len(got) > tc.decoded || !bytes.Equal(got, payload[:min(len(got), len(payload))]) {
				t.Fatalf("released %d wrong or excess bytes", len(got))
			}
			if tc.want != nil {
				wantErr(t, err, tc.want, "")
				return
			}
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("len %d err %v", len(got), err)
			}
			if tc.trailers != "" && res.Trailer().Get("X-Amz-Checksum-Crc32") != "AAAAAA==" {
				t.Fatalf("trailer %v", res.Trailer())
			}
		})
	}
}

// readSmall reads with a small buffer, as a slow consumer would.
func readSmall(r io.Reader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestChunkMinimumSize pins S3's rule that every aws-chunked data chunk but
// the last carries at least 8 KiB, signed or not, with S3's error details:
// Chunk numbers the chunk whose header revealed the short one before it.
func TestChunkMinimumSize(t *testing.T) {
	frame := func(sizes ...int) ([]byte, []byte) {
		var b, data bytes.Buffer
		for i, n := range sizes {
			d := bytes.Repeat([]byte{byte('a' + i)}, n)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, d)
			data.Write(d)
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes(), data.Bytes()
	}
	cases := []struct {
		name      string
		sizes     []int
		chunk     string // "" when accepted
		badChunk  string
		signedLen int // >0: signed chunks of this size instead
	}{
		{"one small chunk", []int{100}, "", "", 0},
		{"small last chunk", []int{8192, 8192, 1}, "", "", 0},
		{"exactly 8 KiB", []int{8192, 8192}, "", "", 0},
		{"small first chunk", []int{8191, 8192}, "2", "8191", 0},
		{"small middle chunk", []int{8192, 8192, 5000, 1}, "4", "5000", 0},
		{"signed small chunks", nil, "2", "1000", 1000},
		{"signed 8 KiB chunks", nil, "", "", 8192},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, data := frame(tc.sizes...)
			var signer *chunkSigner
			if tc.signedLen > 0 {
				data = bytes.Repeat([]byte("x"), 2*tc.signedLen+3)
				body = encodeSigned(newTestChunkSigner(fuzzSeed, testTime, testRegion), data, tc.signedLen, "")
				signer = fuzzSigner()
			}
			got, err := io.ReadAll(newChunkedReader(io.NopCloser(bytes.NewReader(body)), signer, false, int64(len(data)), nil))
			if tc.chunk == "" {
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(data))
				}
				return
			}
			var e *s3err.Error
			if !errors.As(err, &e) || e.Code != "InvalidChunkSizeError" || e.Status != http.StatusBadRequest {
				t.Fatalf("err = %v, want 400 InvalidChunkSizeError", err)
			}
			if e.Message != "Only the last chunk is allowed to have a size less than 8192 bytes" {
				t.Errorf("message %q", e.Message)
			}
			want := []s3err.Field{{Name: "Chunk", Value: tc.chunk}, {Name: "BadChunkSize", Value: tc.badChunk}}
			if !slices.Equal(e.Extra, want) {
				t.Errorf("extra elements %v, want %v", e.Extra, want)
			}
		})
	}
}
