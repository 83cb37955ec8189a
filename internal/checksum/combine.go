package checksum

// CRC combination, i.e. computing crc(A‖B) from crc(A), crc(B) and len(B),
// for reflected CRCs whose initial value and final XOR are both all ones.
// CRC-32/ISO-HDLC (IEEE), CRC-32/ISCSI (Castagnoli) and CRC-64/NVME all fit
// that model, so one generic implementation parameterised by width and
// polynomial serves all three.
//
// Why it works (the zlib crc32_combine argument): over GF(2), a CRC register
// is a polynomial mod P. Appending len(B) bytes multiplies the register by
// x^(8·len(B)) and adds B's own contribution. The all-ones init and final XOR
// terms cancel between crc(A‖B) and crc(B), leaving
//
//	crc(A‖B) = crc(A) · x^(8·len(B)) mod P  ⊕  crc(B)
//
// with crc values taken exactly as published (post-XOR). x^(8n) mod P is
// computed by square-and-multiply from a table of x^(2^k) mod P, which costs
// O(log n) polynomial multiplications instead of the O(log n) 32×32 / 64×64
// GF(2) matrix squarings of the older zlib method.
//
// Representation: "reflected" means bit (width-1) holds the coefficient of
// x^0 and bit 0 holds x^(width-1); the polynomial constant likewise omits the
// implicit x^width term and is bit-reversed (0xedb88320 for IEEE). Multiplying
// by x is therefore a right shift, reducing by P when a bit falls off the end.

import (
	"hash/crc32"

	"github.com/minio/crc64nvme"
)

// x2nEntries covers x^(2^k) for k = 0..66: lengths are byte counts below
// 2^64, and a byte is 8 = 2^3 bits, so the largest power needed is
// x^(2^(63+3)). Keeping the full table avoids relying on the multiplicative
// order of x mod P, which zlib exploits for CRC-32 but which differs per
// polynomial.
const x2nEntries = 67

// crcModel holds the parameters and precomputed powers for one CRC.
type crcModel struct {
	width uint   // register width in bits: 32 or 64
	poly  uint64 // reflected polynomial without the x^width term
	x2n   [x2nEntries]uint64
}

func newCRCModel(width uint, poly uint64) *crcModel {
	m := &crcModel{width: width, poly: poly}
	m.x2n[0] = m.one() >> 1 // x^1
	for k := 1; k < x2nEntries; k++ {
		m.x2n[k] = m.mulmod(m.x2n[k-1], m.x2n[k-1])
	}
	return m
}

var (
	modelCRC32     = newCRCModel(32, crc32.IEEE)
	modelCRC32C    = newCRCModel(32, crc32.Castagnoli)
	modelCRC64NVME = newCRCModel(64, crc64nvme.NVME)
)

// modelFor returns the combine model for a, or nil if a is not a CRC.
func modelFor(a Algorithm) *crcModel {
	switch a {
	case CRC32:
		return modelCRC32
	case CRC32C:
		return modelCRC32C
	case CRC64NVME:
		return modelCRC64NVME
	}
	return nil
}

// one returns the polynomial 1 (x^0) in reflected form.
func (m *crcModel) one() uint64 { return 1 << (m.width - 1) }

// mulmod returns a·b mod P. It walks a's coefficients from x^0 upward while
// repeatedly multiplying b by x, adding b into the product wherever a has a
// term. It stops as soon as a has no higher terms, so small powers are cheap.
func (m *crcModel) mulmod(a, b uint64) uint64 {
	var p uint64
	for mask := m.one(); mask != 0; mask >>= 1 {
		if a&mask != 0 {
			p ^= b
			if a&(mask-1) == 0 {
				break
			}
		}
		if b&1 != 0 {
			b = b>>1 ^ m.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xpow8n returns x^(8n) mod P: the operator that shifts a CRC register past
// n zero bytes.
func (m *crcModel) xpow8n(n uint64) uint64 {
	p := m.one()
	for k := 3; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			p = m.mulmod(m.x2n[k], p)
		}
	}
	return p
}

// combine returns crc(A‖B) given crc1 = crc(A), crc2 = crc(B) and
// len2 = len(B) in bytes.
func (m *crcModel) combine(crc1, crc2, len2 uint64) uint64 {
	return m.mulmod(m.xpow8n(len2), crc1) ^ crc2
}

// get and put convert between the big-endian wire digest and the register
// value; the digest is exactly width/8 bytes (callers check the length).
func (m *crcModel) get(b []byte) uint64 {
	var v uint64
	for _, c := range b[:m.width/8] {
		v = v<<8 | uint64(c)
	}
	return v
}

func (m *crcModel) put(v uint64) []byte {
	n := m.width / 8
	b := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}
