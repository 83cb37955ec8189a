package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func digest(a Algorithm, data []byte) []byte {
	h := a.New()
	h.Write(data)
	return h.Sum(nil)
}

// TestKnownVectors pins each algorithm to published check values, so a
// wrong polynomial, reflection or byte order cannot go unnoticed. The CRC
// "123456789" values are the CRC catalogue check values for CRC-32/ISO-HDLC,
// CRC-32/ISCSI and CRC-64/NVME; the base64 values were cross-checked against
// hash/crc32 and crypto/sha256 directly.
func TestKnownVectors(t *testing.T) {
	tests := []struct {
		alg     Algorithm
		in      string
		hex     string
		base64  string // optional
		sizeHex int
	}{
		{CRC32, "123456789", "cbf43926", "", 4},
		{CRC32C, "123456789", "e3069283", "", 4},
		{CRC64NVME, "123456789", "ae8b14860a799888", "", 8},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", "", 20},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "", 32},
		{CRC32, "hello world", "0d4a1185", "DUoRhQ==", 4},
		{CRC32C, "hello world", "c99465aa", "yZRlqg==", 4},
		{SHA256, "hello world", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
			"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=", 32},
		// Empty input: CRCs with all-ones init and final XOR give zero, which
		// FullObjectOf relies on as the starting value.
		{CRC32, "", "00000000", "AAAAAA==", 4},
		{CRC64NVME, "", "0000000000000000", "AAAAAAAAAAA=", 8},
		// FIPS 180-2 and RFC 1321 test vectors.
		{SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
			"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "", 64},
		{MD5, "abc", "900150983cd24fb0d6963f7d28e17f72", "kAFQmDzST7DWlj99KOF/cg==", 16},
		// The xxHashes: the AWS common runtime's own test vectors
		// (aws-c-checksums tests/xxhash_test.c, seed 0), which fix the byte
		// order the SDKs put on the wire, and the xxHash reference values
		// for the empty input.
		{XXHASH64, "Hello world", "c500b0c912b376d8", "xQCwyRKzdtg=", 8},
		{XXHASH3, "Hello world", "b6acb9d84a38ff74", "tqy52Eo4/3Q=", 8},
		{XXHASH128, "Hello world", "7351f89812f97382b91d05b31e04dd7f", "c1H4mBL5c4K5HQWzHgTdfw==", 16},
		{XXHASH64, "", "ef46db3751d8e999", "", 8},
		{XXHASH3, "", "2d06800538d394c2", "", 8},
		{XXHASH128, "", "99aa06d3014798d86001c324468d497f", "", 16},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg)+"/"+tt.in, func(t *testing.T) {
			if got := tt.alg.Size(); got != tt.sizeHex {
				t.Fatalf("Size() = %d, want %d", got, tt.sizeHex)
			}
			got := digest(tt.alg, []byte(tt.in))
			want := mustHex(t, tt.hex)
			if !bytes.Equal(got, want) {
				t.Fatalf("digest = %x, want %x", got, want)
			}
			if tt.base64 != "" {
				if enc := Encode(got); enc != tt.base64 {
					t.Fatalf("Encode = %q, want %q", enc, tt.base64)
				}
				dec, err := tt.alg.Decode(tt.base64)
				if err != nil || !bytes.Equal(dec, want) {
					t.Fatalf("Decode(%q) = %x, %v; want %x", tt.base64, dec, err, want)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"CRC32", CRC32, true},
		{"crc32", CRC32, true},
		{"crc32c", CRC32C, true},
		{"Crc32C", CRC32C, true},
		{"sha1", SHA1, true},
		{"Sha256", SHA256, true},
		{"crc64nvme", CRC64NVME, true},
		{"CRC64NVME", CRC64NVME, true},
		{"", "", false},
		{"md5", MD5, true},
		{"Sha512", SHA512, true},
		{"xxhash64", XXHASH64, true},
		{"XxHash3", XXHASH3, true},
		{"XXHASH128", XXHASH128, true},
		{"sha384", "", false},
		{"xxhash32", "", false},
		{"crc64", "", false},
		{" crc32", "", false},
		{"sha-256", "", false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFromHeader(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"x-amz-checksum-crc32", CRC32, true},
		{"X-Amz-Checksum-Crc32c", CRC32C, true}, // Go's canonical header form
		{"X-AMZ-CHECKSUM-SHA1", SHA1, true},
		{"x-amz-checksum-sha256", SHA256, true},
		{"x-amz-checksum-crc64nvme", CRC64NVME, true},
		{"X-Amz-Checksum-Sha512", SHA512, true},
		{"x-amz-checksum-md5", MD5, true},
		{"X-Amz-Checksum-Xxhash64", XXHASH64, true},
		{"x-amz-checksum-xxhash3", XXHASH3, true},
		{"x-amz-checksum-xxhash128", XXHASH128, true},
		{"x-amz-checksum-mode", "", false},
		{"x-amz-checksum-algorithm", "", false},
		{"x-amz-checksum-type", "", false},
		{"x-amz-checksum-", "", false},
		{"x-amz-checksum", "", false},
		{"x-amz-sdk-checksum-algorithm", "", false},
		{"x-amz-trailer", "", false},
		{"crc32", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := FromHeader(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FromHeader(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, a := range All {
		h := a.Header()
		if h != strings.ToLower(h) || !strings.HasPrefix(h, "x-amz-checksum-") {
			t.Errorf("%s.Header() = %q, want lower-case x-amz-checksum-*", a, h)
		}
		if got, ok := FromHeader(h); !ok || got != a {
			t.Errorf("FromHeader(%q) = %q, %v; want %q", h, got, ok, a)
		}
		if got, ok := Parse(string(a)); !ok || got != a {
			t.Errorf("Parse(%q) = %q, %v", a, got, ok)
		}
		if !a.Valid() || a.Size() == 0 || a.New().Size() != a.Size() {
			t.Errorf("%s: Valid/Size/New inconsistent", a)
		}
	}
	if Algorithm("SHA384").Header() != "" || Algorithm("SHA384").Valid() || Algorithm("SHA384").Size() != 0 {
		t.Error("invalid algorithm should have no header, size or validity")
	}
}

func TestSupports(t *testing.T) {
	want := map[Algorithm][2]bool{ // {full object, composite}
		CRC32:     {true, true},
		CRC32C:    {true, true},
		SHA1:      {false, true},
		SHA256:    {false, true},
		CRC64NVME: {true, false},
		SHA512:    {false, true},
		MD5:       {false, true},
		XXHASH64:  {false, true},
		XXHASH3:   {false, true},
		XXHASH128: {false, true},
		"SHA384":  {false, false},
	}
	for a, w := range want {
		if got := a.SupportsFullObject(); got != w[0] {
			t.Errorf("%s.SupportsFullObject() = %v", a, got)
		}
		if got := a.SupportsComposite(); got != w[1] {
			t.Errorf("%s.SupportsComposite() = %v", a, got)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		alg  Algorithm
		in   string
		want error
	}{
		{CRC32, "", ErrInvalidValue},
		{CRC32, "DUoRhQ=", ErrInvalidValue},       // truncated
		{CRC32, "DUoRhQ", ErrInvalidValue},        // missing padding
		{CRC32, "DUoRhQ===", ErrInvalidValue},     // too long
		{CRC32, "DUoRhQAA", ErrInvalidValue},      // 6 bytes
		{CRC32, "DUoR!Q==", ErrInvalidValue},      // bad character
		{CRC32, "DUoRhR==", ErrInvalidValue},      // non-zero padding bits (strict)
		{CRC32, "DUoR\nQ==", ErrInvalidValue},     // newline skipped, decodes short
		{CRC32, "DUoRhQ-=", ErrInvalidValue},      // URL alphabet
		{CRC32C, "AAAAAAAAAAA=", ErrInvalidValue}, // CRC64 length for CRC32C
		{CRC64NVME, "DUoRhQ==", ErrInvalidValue},  // CRC32 length for CRC64
		{SHA1, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=", ErrInvalidValue},
		{SHA256, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", ErrInvalidValue}, // SHA1 length
		{"SHA384", "AAAAAAAAAAAAAAAAAAAAAA==", ErrUnknownAlgorithm},
		{XXHASH128, "AAAAAAAAAAA=", ErrInvalidValue}, // 8 bytes, want 16
	}
	for _, tt := range tests {
		got, err := tt.alg.Decode(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s.Decode(%q) = %x, %v; want %v", tt.alg, tt.in, got, err, tt.want)
		}
	}
	// Sanity: every algorithm decodes its own encoded digest.
	for _, a := range All {
		sum := digest(a, []byte("x"))
		if got, err := a.Decode(Encode(sum)); err != nil || !bytes.Equal(got, sum) {
			t.Errorf("%s: Decode(Encode(sum)) = %x, %v", a, got, err)
		}
	}
}

func TestNewPanicsOnInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New on invalid algorithm did not panic")
		}
	}()
	Algorithm("SHA384").New()
}

func TestHashes(t *testing.T) {
	data := bytes.Repeat([]byte("kura object data "), 10000)
	m := md5.Sum(data)
	md5Want := m[:]
	for _, a := range append([]Algorithm{""}, All...) {
		for _, withMD5 := range []bool{false, true} {
			h := NewHashes(a, withMD5)
			// Stream through a TeeReader in odd-sized chunks, the way the
			// upload path uses it.
			r := io.TeeReader(bytes.NewReader(data), h)
			buf := make([]byte, 777)
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
				t.Fatal(err)
			}
			if h.Algorithm() != a {
				t.Errorf("Algorithm() = %q, want %q", h.Algorithm(), a)
			}
			if withMD5 {
				if got := h.MD5(); !bytes.Equal(got, md5Want) {
					t.Errorf("%q: MD5 = %x, want %x", a, got, md5Want)
				}
			} else if h.MD5() != nil {
				t.Errorf("%q: MD5 should be nil when disabled", a)
			}
			if a == "" {
				if h.Sum() != nil {
					t.Error("Sum should be nil with no algorithm")
				}
				continue
			}
			want := digest(a, data)
			if got := h.Sum(); !bytes.Equal(got, want) {
				t.Errorf("%s: Sum = %x, want %x", a, got, want)
			}
			// Sum/MD5 must not disturb the running state.
			h.Write([]byte("more"))
			if got, want := h.Sum(), digest(a, append(bytes.Clone(data), "more"...)); !bytes.Equal(got, want) {
				t.Errorf("%s: Sum after further write = %x, want %x", a, got, want)
			}
		}
	}
}
