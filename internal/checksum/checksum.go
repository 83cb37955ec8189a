// Package checksum implements the S3 "flexible checksums" feature: the five
// algorithms a client may name (CRC32, CRC32C, SHA1, SHA256, CRC64NVME),
// their header names and base64 wire encoding, and the two ways S3 derives
// an object checksum for multipart uploads:
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
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

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
)

// All lists every supported algorithm, in the order S3 documents them.
var All = []Algorithm{CRC32, CRC32C, SHA1, SHA256, CRC64NVME}

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
	switch a {
	case CRC32, CRC32C, SHA1, SHA256, CRC64NVME:
		return true
	}
	return false
}

// Header returns the lower-case header carrying a's value, e.g.
// "x-amz-checksum-crc32c". It returns "" for an invalid algorithm.
func (a Algorithm) Header() string {
	switch a {
	case CRC32:
		return "x-amz-checksum-crc32"
	case CRC32C:
		return "x-amz-checksum-crc32c"
	case SHA1:
		return "x-amz-checksum-sha1"
	case SHA256:
		return "x-amz-checksum-sha256"
	case CRC64NVME:
		return "x-amz-checksum-crc64nvme"
	}
	return ""
}

// New returns a fresh hash for a. Every returned hash's Sum is the
// big-endian digest S3 puts on the wire (hash/crc32 and crc64nvme both
// serialise big-endian). New panics for an invalid algorithm: callers are
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
// FULL_OBJECT-only.
func (a Algorithm) SupportsComposite() bool {
	return a == CRC32 || a == CRC32C || a == SHA1 || a == SHA256
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
