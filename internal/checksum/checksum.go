// Package checksum implements the S3 "flexible checksums" feature: the ten
// algorithms a client may name (CRC32, CRC32C, SHA1, SHA256, CRC64NVME and,
// since 2026, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128), their header
// names and base64 wire encoding, and the two ways S3 derives an object
// checksum for multipart uploads:
//
//   - COMPOSITE: a checksum of the concatenated raw part checksums, suffixed
//     with "-N" (N = part count). Available for every algorithm except
//     CRC64NVME.
//   - FULL_OBJECT: the checksum the whole object would have had if it had
//     been uploaded in one piece. Only the CRCs support this, because a CRC
//     of a concatenation can be computed from the parts' CRCs and lengths
//     without re-reading the data (see combine.go).
//
// Hashes is the streaming helper used on the upload path: it computes the
// MD5 needed for ETags and, optionally, one flexible checksum in one pass.
package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/minio/crc64nvme"
)

// Algorithm is an S3 checksum algorithm name in its canonical (upper-case)
// spelling, as used in x-amz-checksum-algorithm and XML responses.
type Algorithm string

// The algorithms S3 supports for flexible checksums.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA512    Algorithm = "SHA512"
	MD5       Algorithm = "MD5"
	XXHASH64  Algorithm = "XXHASH64"
	XXHASH3   Algorithm = "XXHASH3" // the 64-bit XXH3
	XXHASH128 Algorithm = "XXHASH128"
)

// All lists every supported algorithm, in the order of botocore's
// ChecksumAlgorithm enum.
var All = []Algorithm{CRC32, CRC32C, SHA1, SHA256, CRC64NVME, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128}

// Names is the list S3 error messages quote when an algorithm is unknown,
// e.g. "[CRC32, CRC32C, CRC64NVME, MD5, SHA1, ...]". S3 listed its first
// five in alphabetical order; the newer ones keep that order.
const Names = "[CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]"

// Checksum types for multipart uploads (x-amz-checksum-type).
const (
	FullObject = "FULL_OBJECT"
	Composite  = "COMPOSITE"
)

// headerPrefix is shared by all per-algorithm checksum headers. Note that
// x-amz-checksum-algorithm and x-amz-checksum-type share it too, which is why
// FromHeader must validate the suffix rather than just strip the prefix.
const headerPrefix = "x-amz-checksum-"

// Errors returned (wrapped) by Decode, CompositeOf and FullObjectOf, so that
// callers can map them to S3 error codes with errors.Is.
var (
	// ErrUnknownAlgorithm reports an Algorithm value outside All.
	ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")
	// ErrUnsupported reports an algorithm that cannot be used for the
	// requested checksum type (e.g. COMPOSITE with CRC64NVME).
	ErrUnsupported = errors.New("checksum: algorithm does not support this checksum type")
	// ErrInvalidValue reports a checksum value that is not valid base64 or
	// has the wrong length for its algorithm.
	ErrInvalidValue = errors.New("checksum: invalid checksum value")
)

// castagnoli is built once; crc32.MakeTable is cheap for Castagnoli (it
// returns a shared table) but keeping it here avoids the call per New.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Parse returns the algorithm named by s, ignoring case ("crc32c" and
// "CRC32C" both yield CRC32C). SDKs send upper case, but S3 itself accepts
// either, so we do too.
func Parse(s string) (Algorithm, bool) {
	for _, a := range All {
		if strings.EqualFold(s, string(a)) {
			return a, true
		}
	}
	return "", false
}

// FromHeader returns the algorithm whose checksum header is name, ignoring
// case (HTTP header names are case-insensitive, and Go canonicalises them to
// e.g. "X-Amz-Checksum-Crc32c"). x-amz-checksum-algorithm, x-amz-checksum-type
// and unrelated headers yield false.
func FromHeader(name string) (Algorithm, bool) {
	if len(name) <= len(headerPrefix) || !strings.EqualFold(name[:len(headerPrefix)], headerPrefix) {
		return "", false
	}
	return Parse(name[len(headerPrefix):])
}

// Valid reports whether a is one of All.
func (a Algorithm) Valid() bool {
	return a.Size() != 0
}

// Header returns the lower-case header carrying a's value, e.g.
// "x-amz-checksum-crc32c". It returns "" for an invalid algorithm.
func (a Algorithm) Header() string {
	if !a.Valid() {
		return ""
	}
	return headerPrefix + strings.ToLower(string(a))
}

// Lower returns a's name in lower case, as S3's error messages spell it
// ("The sha256 you specified did not match ...").
func (a Algorithm) Lower() string { return strings.ToLower(string(a)) }

// New returns a fresh hash for a. Every returned hash's Sum is the
// big-endian digest S3 puts on the wire: hash/crc32 and crc64nvme serialise
// big-endian, and so do xxhash and xxh3 (the xxHash "canonical" form, which
// is what the AWS SDKs' common runtime, aws-c-checksums, emits: XXHASH64 of
// "Hello world" is c500b0c912b376d8; XXHASH128 is the high 64 bits first).
// New panics for an invalid algorithm: callers are
// expected to have gone through Parse/FromHeader, so reaching here with a bad
// value is a programming error, not bad input.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case CRC64NVME:
		return crc64nvme.New()
	case SHA512:
		return sha512.New()
	case MD5:
		return md5.New()
	case XXHASH64:
		return xxhash.New()
	case XXHASH3:
		return newXXH3()
	case XXHASH128:
		return newXXH128()
	}
	panic(fmt.Sprintf("checksum: New on invalid algorithm %q", string(a)))
}

// Size returns the length in bytes of a's raw digest, or 0 for an invalid
// algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return crc32.Size
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case CRC64NVME:
		return crc64nvme.Size
	case SHA512:
		return sha512.Size
	case MD5:
		return md5.Size
	case XXHASH64, XXHASH3:
		return 8
	case XXHASH128:
		return 16
	}
	return 0
}

// SupportsFullObject reports whether a can produce a FULL_OBJECT multipart
// checksum. Only CRCs can: their value for a concatenation is computable from
// the parts' values, which is not true of cryptographic hashes.
func (a Algorithm) SupportsFullObject() bool {
	return a == CRC32 || a == CRC32C || a == CRC64NVME
}

// SupportsComposite reports whether a can produce a COMPOSITE multipart
// checksum. S3 accepts every algorithm except CRC64NVME, which is
// FULL_OBJECT-only. The hashes (SHA*, MD5, the xxHashes) are the other way
// round: COMPOSITE only, since a hash of a concatenation cannot be derived
// from the hashes of its pieces.
func (a Algorithm) SupportsComposite() bool {
	return a.Valid() && a != CRC64NVME
}

// Decode parses a base64 checksum value as sent in a's header and checks
// that it decodes to exactly a.Size() bytes. It uses strict standard
// base64 (with padding, no stray bits) because every SDK produces that
// canonical form, and accepting aliases would let two different strings
// denote the same stored checksum.
func (a Algorithm) Decode(b64 string) ([]byte, error) {
	size := a.Size()
	if size == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, string(a))
	}
	// Reject early on encoded length: it is exact for padded base64 and saves
	// decoding arbitrarily long attacker-supplied strings.
	if len(b64) != base64.StdEncoding.EncodedLen(size) {
		return nil, fmt.Errorf("%w: %s value must be %d base64 characters, got %d",
			ErrInvalidValue, a, base64.StdEncoding.EncodedLen(size), len(b64))
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s value is not valid base64: %v", ErrInvalidValue, a, err)
	}
	// The decoder silently skips '\r' and '\n', so a correctly sized string
	// can still decode short; check the result too.
	if len(sum) != size {
		return nil, fmt.Errorf("%w: %s value decodes to %d bytes, want %d", ErrInvalidValue, a, len(sum), size)
	}
	return sum, nil
}

// Encode returns the wire form (standard padded base64) of a raw digest.
func Encode(sum []byte) string {
	return base64.StdEncoding.EncodeToString(sum)
}
