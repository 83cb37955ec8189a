package checksum

import (
	"hash"

	"github.com/zeebo/xxh3"
)

// XXHASH3 is xxh3.Hasher as it is: a hash.Hash whose Sum is the big-endian
// 64-bit XXH3 value. XXHASH128 needs a wrapper, because xxh3.Hasher's Sum
// is always the 64-bit value; its 128-bit result comes from Sum128.

func newXXH3() hash.Hash { return xxh3.New() }

// xxh128 is the 128-bit XXH3 as a hash.Hash. Sum appends the canonical
// big-endian form, high 64 bits first (xxh3.Uint128.Bytes), which is the
// byte order S3 and the AWS SDKs base64-encode.
type xxh128 struct{ *xxh3.Hasher }

func newXXH128() hash.Hash { return xxh128{xxh3.New()} }

func (h xxh128) Size() int { return 16 }

func (h xxh128) Sum(b []byte) []byte {
	d := h.Sum128().Bytes()
	return append(b, d[:]...)
}
