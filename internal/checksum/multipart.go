package checksum

import (
	"fmt"
	"strconv"
)

// CompositeOf returns the COMPOSITE multipart checksum value
// "base64(H(sum1‖sum2‖…‖sumN))-N", where H is a and sumI are the raw part
// digests in part-number order. This is the form S3 returns in
// x-amz-checksum-* for composite multipart objects; the "-N" suffix tells
// clients it is not a checksum of the object bytes.
func CompositeOf(a Algorithm, partSums [][]byte) (string, error) {
	if !a.Valid() {
		return "", fmt.Errorf("%w %q", ErrUnknownAlgorithm, string(a))
	}
	if !a.SupportsComposite() {
		return "", fmt.Errorf("%w: %s with %s", ErrUnsupported, a, Composite)
	}
	// S3 rejects completing an upload with no parts; a "-0" value would be
	// meaningless, so refuse rather than invent one.
	if len(partSums) == 0 {
		return "", fmt.Errorf("checksum: %s composite checksum of zero parts", a)
	}
	size := a.Size()
	h := a.New()
	for i, s := range partSums {
		if len(s) != size {
			return "", fmt.Errorf("%w: part %d %s checksum is %d bytes, want %d",
				ErrInvalidValue, i+1, a, len(s), size)
		}
		h.Write(s) // hash.Hash.Write never fails
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(partSums)), nil
}

// PartSum is one part's raw CRC digest (big-endian, as from Algorithm.New)
// and its plaintext size in bytes. The size must be the plaintext size
// because the CRC was computed over plaintext, not over any stored (e.g.
// encrypted) representation.
type PartSum struct {
	Sum  []byte
	Size int64
}

// FullObjectOf combines part CRCs, in part-number order, into the raw
// digest of the whole object, as if it had been uploaded in one piece. It
// returns an error for algorithms that are not CRCs, for digests of the
// wrong length and for negative sizes. Zero parts yield the CRC of the empty
// object (all zero bytes), which is the mathematically consistent answer;
// callers that need at least one part must check that themselves.
func FullObjectOf(a Algorithm, parts []PartSum) ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, string(a))
	}
	m := modelFor(a)
	if m == nil {
		return nil, fmt.Errorf("%w: %s with %s", ErrUnsupported, a, FullObject)
	}
	size := a.Size()
	var (
		crc      uint64 // CRC of the empty prefix is 0 for these models
		lastSize int64  = -1
		shift    uint64
	)
	for i, p := range parts {
		if len(p.Sum) != size {
			return nil, fmt.Errorf("%w: part %d %s checksum is %d bytes, want %d",
				ErrInvalidValue, i+1, a, len(p.Sum), size)
		}
		if p.Size < 0 {
			return nil, fmt.Errorf("checksum: part %d has negative size %d", i+1, p.Size)
		}
		// Multipart uploads almost always use one part size for all but the
		// last part, so reuse the shift operator instead of recomputing
		// x^(8n) for every part.
		if p.Size != lastSize {
			shift, lastSize = m.xpow8n(uint64(p.Size)), p.Size
		}
		crc = m.mulmod(shift, crc) ^ m.get(p.Sum)
	}
	return m.put(crc), nil
}
