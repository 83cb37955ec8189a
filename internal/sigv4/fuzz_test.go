package sigv4

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; the f.Add calls below
// are the minimum that keeps each target meaningful without them.

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *s3err.Error", err)
			}
			return
		}
		c := a.Credential
		// IAM and STS are global: their scope may name no region.
		if c.AccessKey == "" || c.Region == "" && !globalService(c.Service) || c.Service == "" || len(c.Date) != 8 {
			t.Fatalf("accepted incomplete credential %+v", c)
		}
		if !slices.Contains(a.SignedHeaders, "host") {
			t.Fatalf("accepted SignedHeaders without host: %q", a.SignedHeaders)
		}
		// What parsed must re-parse identically from its canonical form.
		again, err := ParseAuthorization(algorithmHMAC + " Credential=" + c.AccessKey + "/" + c.Scope() +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + hexString(a.Signature[:]))
		if err != nil || again.Credential != c || !slices.Equal(again.SignedHeaders, a.SignedHeaders) || again.Signature != a.Signature {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

func FuzzPresignQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
	f.Fuzz(func(t *testing.T, raw string) {
		qs, qerr := parseQuery(raw)
		canon := qs.canonical(qSignature)
		if qerr == nil {
			// The canonical query is a fixed point of parse+canonicalize.
			again, err := parseQuery(canon)
			if err != nil || again.canonical(qSignature) != canon {
				t.Fatalf("canonical query not stable: %q -> %q (%v)", canon, again.canonical(qSignature), err)
			}
		}
		p, err := ParsePresignQuery(raw)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *s3err.Error", err)
			}
			return
		}
		if p.Expires < 1 || p.Expires > maxPresignExpires || p.Date.IsZero() || !slices.Contains(p.SignedHeaders, "host") {
			t.Fatalf("accepted invalid presign %+v", p)
		}
	})
}

// fuzzSeed is the request signature the signed fuzz bodies chain from.
const fuzzSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

func fuzzSigner() *chunkSigner {
	c := Credential{AccessKey: testAK, Date: "20130524", Region: testRegion, Service: "s3"}
	s := &chunkSigner{key: signingKey(testSecret, c), amzDate: "20130524T000000Z", scope: c.Scope()}
	copy(s.prev[:], mustHex(fuzzSeed))
	return s
}

// FuzzChunkedReader feeds arbitrary bytes to the aws-chunked decoder in its
// three modes (mode%3: signed, signed with trailer, unsigned with trailer).
// It must never panic, never yield more than the declared length, only fail
// with *s3err.Error, and yield exactly the declared length on success.
func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), int64(5), uint8(2), uint16(3))
	f.Fuzz(func(t *testing.T, body []byte, declared int64, mode uint8, readSize uint16) {
		if declared < 0 {
			declared = -1
		}
		var signer *chunkSigner
		if mode%3 != 2 {
			signer = fuzzSigner()
		}
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(body)), signer, mode%3 != 0, declared,
			[]string{"x-amz-checksum-crc32"})
		// Odd chunks as short as a byte keep the fuzzer's bodies small enough
		// to reach the signature chain and the trailers; the 8 KiB minimum
		// has its own test (TestChunkMinimumSize).
		if mode&4 == 0 {
			cr.minChunk = 0
		}
		buf := make([]byte, int(readSize)%70000+1)
		var total int64
		var err error
		for i := 0; ; i++ {
			var n int
			n, err = cr.Read(buf)
			total += int64(n)
			if n < 0 || n > len(buf) || (declared >= 0 && total > declared) || total > int64(len(body)) {
				t.Fatalf("read %d (total %d) of declared %d, body %d", n, total, declared, len(body))
			}
			if err != nil || i > len(body)+10 {
				break
			}
		}
		if err == io.EOF {
			if declared >= 0 && total != declared {
				t.Fatalf("EOF after %d bytes, declared %d", total, declared)
			}
			return
		}
		var e *s3err.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not *s3err.Error", err, err)
		}
		if cr.Trailer() != nil {
			t.Fatal("trailer after error")
		}
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// The signed corpus entries only explore deep states if fuzzSigner accepts
// what the test encoder produces.
func TestFuzzSignerAcceptsEncoder(t *testing.T) {
	hello := []byte("hello world, hello fuzz")
	for _, trailer := range []string{"", "x-amz-checksum-crc32:AAAAAA==\n"} {
		body := encodeSigned(newTestChunkSigner(fuzzSeed, testTime, testRegion), hello, 8, trailer)
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(body)), fuzzSigner(), trailer != "", int64(len(hello)),
			[]string{"x-amz-checksum-crc32"})
		cr.minChunk = 0 // as FuzzChunkedReader's small-chunk modes

		if got, err := io.ReadAll(cr); err != nil || !bytes.Equal(got, hello) {
			t.Fatalf("%q %v", got, err)
		}
	}
}
