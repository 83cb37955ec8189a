package checksum

import (
	"fmt"
	"testing"
)

// BenchmarkHashes measures upload-path hashing throughput with 1 MiB
// writes, the granularity the object store copies at.
func BenchmarkHashes(b *testing.B) {
	buf := randomData(mib, 1)
	cases := []struct {
		name string
		alg  Algorithm
		md5  bool
	}{
		{"MD5", "", true},
		{"MD5+CRC64NVME", CRC64NVME, true},
		{"MD5+CRC32C", CRC32C, true},
		{"MD5+CRC32", CRC32, true},
		{"MD5+SHA256", SHA256, true},
		{"CRC32", CRC32, false},
		{"CRC32C", CRC32C, false},
		{"CRC64NVME", CRC64NVME, false},
		{"SHA256", SHA256, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := NewHashes(c.alg, c.md5)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				h.Write(buf)
			}
		})
	}
}

// BenchmarkFullObjectOf measures completing a maximal (10,000-part) upload.
// Equal part sizes hit the shift-operator cache; distinct sizes do not.
func BenchmarkFullObjectOf(b *testing.B) {
	for _, a := range fullObjectAlgs {
		for _, distinct := range []bool{false, true} {
			parts := make([]PartSum, 10000)
			for i := range parts {
				size := int64(5 * mib)
				if distinct {
					size += int64(i)
				}
				parts[i] = PartSum{Sum: make([]byte, a.Size()), Size: size}
				parts[i].Sum[0] = byte(i)
			}
			b.Run(fmt.Sprintf("%s/distinct=%v", a, distinct), func(b *testing.B) {
				for b.Loop() {
					if _, err := FullObjectOf(a, parts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
