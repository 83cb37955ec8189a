package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

const (
	benchSize  = 64 << 20
	benchChunk = 64 << 10
)

var benchPayload = bytes.Repeat([]byte("0123456789abcdef"), benchSize/16)

// benchDecode measures Verify plus decoding the whole body through a
// 32 KiB copy buffer, as io.Copy into a blob store would.
func benchDecode(b *testing.B, build func() *http.Request) {
	v := testVerifier(testTime)
	buf := make([]byte, 32<<10)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.Verify(build())
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{res.Body}, buf)
		if err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

// replay returns a function yielding copies of the server-side request tmpl
// with a fresh body, so the wire round trip stays out of the measurement.
func replay(tmpl *http.Request, body []byte) func() *http.Request {
	return func() *http.Request {
		r := *tmpl
		r.Body = io.NopCloser(bytes.NewReader(body))
		return &r
	}
}

func BenchmarkChunkedSigned(b *testing.B) {
	signer, build := ownSignedRequest(b, streamingSigned, benchSize, "")
	body := encodeSigned(signer, benchPayload, benchChunk, "")
	benchDecode(b, replay(build(body), body))
}

func BenchmarkChunkedSignedTrailer(b *testing.B) {
	signer, build := ownSignedRequest(b, streamingSignedTrailer, benchSize, "x-amz-checksum-crc32")
	body := encodeSigned(signer, benchPayload, benchChunk, "x-amz-checksum-crc32:AAAAAA==\n")
	benchDecode(b, replay(build(body), body))
}

func BenchmarkChunkedUnsignedTrailer(b *testing.B) {
	body := encodeUnsigned(benchPayload, benchChunk, "x-amz-checksum-crc32:AAAAAA==\n")
	benchDecode(b, replay(unsignedTrailerRequest(b, body, benchSize, "x-amz-checksum-crc32"), body))
}

// BenchmarkPayloadSHA256 is the single-chunk baseline: the whole body
// hashed once against x-amz-content-sha256.
func BenchmarkPayloadSHA256(b *testing.B) {
	r := newRequest(b, http.MethodPut, "h", "b/k", "", benchPayload)
	sdkSign(b, r, sha256Hex(benchPayload), "s3", testRegion, testTime, testCreds)
	benchDecode(b, replay(toServer(b, r), benchPayload))
}

// BenchmarkVerifyHeader is the per-request cost of header authentication.
func BenchmarkVerifyHeader(b *testing.B) {
	r := newRequest(b, http.MethodGet, "h", "bucket/some/key.txt", "versionId=1", nil)
	sdkSign(b, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	sr := toServer(b, r)
	v := testVerifier(testTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(sr); err != nil {
			b.Fatal(err)
		}
	}
}
