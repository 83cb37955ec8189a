package sigv4

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFuzzCorpus regenerates the committed seed corpora under
// testdata/fuzz when KURA_WRITE_FUZZ_CORPUS=1; otherwise it is skipped.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("KURA_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set KURA_WRITE_FUZZ_CORPUS=1 to regenerate testdata/fuzz")
	}
	const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	const cred = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
	writeCorpus(t, "FuzzParseAuthorization", map[string][]any{
		"valid":          {"AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;range;x-amz-date, Signature=" + sig},
		"compact":        {"AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=" + sig},
		"reordered":      {"AWS4-HMAC-SHA256   Signature=" + sig + " , SignedHeaders=host,Credential=" + cred},
		"slash-in-akid":  {"AWS4-HMAC-SHA256 Credential=AK/ID/20130524/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + sig},
		"sigv2":          {"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="},
		"sigv4a":         {"AWS4-ECDSA-P256-SHA256 Credential=AKID/20130524/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045"},
		"missing-sig":    {"AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host"},
		"duplicate":      {"AWS4-HMAC-SHA256 Credential=" + cred + ", Credential=" + cred + ", SignedHeaders=host, Signature=" + sig},
		"bad-terminal":   {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_reques, SignedHeaders=host, Signature=" + sig},
		"upper-header":   {"AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=Host;X-Amz-Date, Signature=" + sig},
		"empty":          {""},
		"only-algorithm": {"AWS4-HMAC-SHA256"},
	})
	r := newRequest(t, http.MethodGet, "h", "bucket/a b/ü", "versionId=1&uploads", nil)
	presigned := toServer(t, sdkPresign(t, r, "s3", testRegion, testTime, 3600)).URL.RawQuery
	base := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig
	writeCorpus(t, "FuzzPresignQuery", map[string][]any{
		"sdk":            {presigned},
		"minimal":        {base + "&X-Amz-Expires=60"},
		"token":          {base + "&X-Amz-Expires=60&X-Amz-Security-Token=a%2Bb%3D%3D"},
		"no-expires":     {base},
		"sts-no-expires": {strings.Replace(base, "%2Fs3%2F", "%2Fsts%2F", 1) + "&Action=GetCallerIdentity"},
		"week-plus":      {base + "&X-Amz-Expires=604801"},
		"bad-date":       {strings.Replace(base, "20130524T000000Z", "2013-05-24T00:00:00Z", 1) + "&X-Amz-Expires=1"},
		"bad-escape":     {base + "&X-Amz-Expires=60&prefix=%zz"},
		"plus-semicolon": {base + "&X-Amz-Expires=60&a=b+c;d&&=&e"},
		"dup-signature":  {base + "&X-Amz-Expires=60&X-Amz-Signature=" + sig},
		"sigv4a":         {strings.Replace(base, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1) + "&X-Amz-Expires=60"},
		"empty":          {""},
	})
	hello := []byte("hello world, hello fuzz")
	signed := encodeSigned(newTestChunkSigner(fuzzSeed, testTime, testRegion), hello, 8, "")
	signedTrailer := encodeSigned(newTestChunkSigner(fuzzSeed, testTime, testRegion), hello, 8, "x-amz-checksum-crc32:AAAAAA==\n")
	unsigned := encodeUnsigned(hello, 8, "x-amz-checksum-crc32:AAAAAA==\n")
	n := int64(len(hello))
	writeCorpus(t, "FuzzChunkedReader", map[string][]any{
		"signed":          {signed, n, uint8(0), uint16(5)},
		"signed-trailer":  {signedTrailer, n, uint8(1), uint16(4096)},
		"unsigned":        {unsigned, n, uint8(2), uint16(1)},
		"unsigned-nolen":  {unsigned, int64(-1), uint8(2), uint16(100)},
		"stray-lf":        {[]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\n\r\n\r\n"), int64(5), uint8(2), uint16(3)},
		"no-trailer":      {[]byte("3\r\nabc\r\n0\r\n\r\n"), int64(3), uint8(2), uint16(2)},
		"too-long":        {[]byte("5\r\nhello\r\n0\r\n\r\n"), int64(4), uint8(2), uint16(64)},
		"truncated":       {signed[:len(signed)/2], n, uint8(0), uint16(7)},
		"huge-size":       {[]byte("ffffffffffffffffff\r\n"), int64(-1), uint8(2), uint16(1)},
		"long-line":       {[]byte(strings.Repeat("1", 5000) + "\r\n"), int64(-1), uint8(0), uint16(1)},
		"signed-garbage":  {append(signed, "x"...), n, uint8(0), uint16(9)},
		"unsigned-ext":    {[]byte("3;foo=bar\r\nabc\r\n0\r\nx-amz-checksum-crc32:A\r\n\r\n"), int64(3), uint8(2), uint16(2)},
		"undeclared-name": {[]byte("0\r\nx-amz-meta-a:b\r\n\r\n"), int64(0), uint8(2), uint16(2)},
	})
}

// writeCorpus writes entries in the "go test fuzz v1" file format.
func writeCorpus(t *testing.T, target string, entries map[string][]any) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, vals := range entries {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				fmt.Fprintf(&b, "string(%q)\n", v)
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			default:
				fmt.Fprintf(&b, "%T(%v)\n", v, v)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
