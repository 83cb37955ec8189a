package checksum

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

var fullObjectAlgs = []Algorithm{CRC32, CRC32C, CRC64NVME}

const mib = 1 << 20

// randomData is deterministic so failures reproduce.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// partsOf checksums consecutive slices of data with the given sizes; the
// sizes must sum to len(data).
func partsOf(t testing.TB, a Algorithm, data []byte, sizes []int) []PartSum {
	t.Helper()
	parts := make([]PartSum, 0, len(sizes))
	off := 0
	for _, n := range sizes {
		parts = append(parts, PartSum{Sum: digest(a, data[off:off+n]), Size: int64(n)})
		off += n
	}
	if off != len(data) {
		t.Fatalf("part sizes sum to %d, data is %d bytes", off, len(data))
	}
	return parts
}

func repeatSize(n, count int) []int {
	s := make([]int, count)
	for i := range s {
		s[i] = n
	}
	return s
}

func randomSplit(total int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 1))
	var sizes []int
	for total > 0 {
		n := r.IntN(min(total, 70000) + 1) // includes 0: empty parts
		sizes = append(sizes, n)
		total -= n
	}
	return sizes
}

func TestFullObjectOf(t *testing.T) {
	big := 3*5*mib + 12345
	tests := []struct {
		name  string
		size  int
		split []int
	}{
		{"empty/one empty part", 0, []int{0}},
		{"empty/several empty parts", 0, []int{0, 0, 0}},
		{"single byte", 1, []int{1}},
		{"single part", 100000, []int{100000}},
		{"two parts", 1000, []int{400, 600}},
		{"leading empty part", 1000, []int{0, 1000}},
		{"trailing empty part", 1000, []int{1000, 0}},
		{"interleaved empty parts", 1000, []int{0, 300, 0, 0, 700, 0}},
		{"1-byte parts", 1000, repeatSize(1, 1000)},
		{"1-byte then bulk", 4097, append(repeatSize(1, 3), 4094)},
		{"powers of two", 1<<16 - 1, []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}},
		{"odd sizes", 7 + 13 + 4095 + 4097 + 65537, []int{7, 13, 4095, 4097, 65537}},
		{"5MiB parts and tail", big, []int{5 * mib, 5 * mib, 5 * mib, 12345}},
		{"5MiB parts with a 1-byte part", big, []int{5 * mib, 1, 5*mib - 1, 5 * mib, 12345}},
		{"random split A", 500000, randomSplit(500000, 1)},
		{"random split B", 500000, randomSplit(500000, 2)},
		{"random split big", big, randomSplit(big, 3)},
	}
	// One data buffer per size class keeps the big case from being
	// regenerated for every row.
	datas := map[int][]byte{}
	for _, tt := range tests {
		data, ok := datas[tt.size]
		if !ok {
			data = randomData(tt.size, uint64(tt.size))
			datas[tt.size] = data
		}
		for _, a := range fullObjectAlgs {
			t.Run(string(a)+"/"+tt.name, func(t *testing.T) {
				parts := partsOf(t, a, data, tt.split)
				got, err := FullObjectOf(a, parts)
				if err != nil {
					t.Fatal(err)
				}
				if want := digest(a, data); !bytes.Equal(got, want) {
					t.Fatalf("FullObjectOf = %x, want %x (whole-object CRC)", got, want)
				}
			})
		}
	}
}

func TestFullObjectOfZeroParts(t *testing.T) {
	for _, a := range fullObjectAlgs {
		got, err := FullObjectOf(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := digest(a, nil); !bytes.Equal(got, want) {
			t.Errorf("%s: FullObjectOf(nil) = %x, want CRC of empty %x", a, got, want)
		}
	}
}

func TestFullObjectOfErrors(t *testing.T) {
	ok4 := PartSum{Sum: make([]byte, 4), Size: 1}
	tests := []struct {
		name  string
		alg   Algorithm
		parts []PartSum
		want  error
	}{
		{"SHA1", SHA1, []PartSum{{Sum: make([]byte, 20), Size: 1}}, ErrUnsupported},
		{"SHA256", SHA256, []PartSum{{Sum: make([]byte, 32), Size: 1}}, ErrUnsupported},
		{"SHA512", SHA512, []PartSum{{Sum: make([]byte, 64), Size: 1}}, ErrUnsupported},
		{"MD5", MD5, []PartSum{{Sum: make([]byte, 16), Size: 1}}, ErrUnsupported},
		{"XXHASH64", XXHASH64, []PartSum{{Sum: make([]byte, 8), Size: 1}}, ErrUnsupported},
		{"XXHASH3", XXHASH3, []PartSum{{Sum: make([]byte, 8), Size: 1}}, ErrUnsupported},
		{"XXHASH128", XXHASH128, []PartSum{{Sum: make([]byte, 16), Size: 1}}, ErrUnsupported},
		{"unknown", "SHA384", []PartSum{ok4}, ErrUnknownAlgorithm},
		{"empty algorithm", "", []PartSum{ok4}, ErrUnknownAlgorithm},
		{"short sum", CRC32, []PartSum{ok4, {Sum: make([]byte, 3), Size: 1}}, ErrInvalidValue},
		{"crc64 sum for crc32c", CRC32C, []PartSum{{Sum: make([]byte, 8), Size: 1}}, ErrInvalidValue},
		{"crc32 sum for crc64", CRC64NVME, []PartSum{ok4}, ErrInvalidValue},
		{"nil sum", CRC32, []PartSum{{Size: 0}}, ErrInvalidValue},
	}
	for _, tt := range tests {
		if got, err := FullObjectOf(tt.alg, tt.parts); !errors.Is(err, tt.want) {
			t.Errorf("%s: FullObjectOf = %x, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := FullObjectOf(CRC32, []PartSum{{Sum: make([]byte, 4), Size: -1}}); err == nil {
		t.Error("negative size: want error")
	}
}

// TestXpow8nLarge checks the shift operator for lengths far beyond what can
// be hashed in a test, using x^(8(a+b)) = x^(8a)·x^(8b). This exercises the
// high end of the x^(2^k) table, including the 2^63-byte range.
func TestXpow8nLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, a := range fullObjectAlgs {
		m := modelFor(a)
		if got := m.xpow8n(0); got != m.one() {
			t.Errorf("%s: x^0 = %#x, want %#x", a, got, m.one())
		}
		for range 200 {
			x := r.Uint64() >> 1
			y := r.Uint64() >> 1 // x+y < 2^64
			if got, want := m.xpow8n(x+y), m.mulmod(m.xpow8n(x), m.xpow8n(y)); got != want {
				t.Fatalf("%s: x^(8(%d+%d)) = %#x, product = %#x", a, x, y, got, want)
			}
		}
		// Combining with a zero-length second part must be the identity.
		if got := m.combine(0xdeadbeef, 0, 0); got != 0xdeadbeef {
			t.Errorf("%s: combine with empty = %#x", a, got)
		}
	}
}

// TestCombineMatchesShiftByZeros ties mulmod/xpow8n to the CRC engines
// themselves: appending n zero bytes to a message must act on its CRC
// exactly as combine with crc(zeros).
func TestCombineMatchesShiftByZeros(t *testing.T) {
	msg := []byte("123456789")
	for _, a := range fullObjectAlgs {
		m := modelFor(a)
		for _, n := range []int{1, 2, 3, 8, 255, 256, 4096, 1<<20 + 3} {
			zeros := make([]byte, n)
			want := m.get(digest(a, append(bytes.Clone(msg), zeros...)))
			got := m.combine(m.get(digest(a, msg)), m.get(digest(a, zeros)), uint64(n))
			if got != want {
				t.Errorf("%s: n=%d got %#x want %#x", a, n, got, want)
			}
		}
	}
}

func TestCompositeOf(t *testing.T) {
	data := randomData(3*mib+17, 42)
	sizes := []int{mib, mib, mib, 17}
	for _, a := range All {
		t.Run(string(a), func(t *testing.T) {
			var sums [][]byte
			var concat []byte
			off := 0
			for _, n := range sizes {
				s := digest(a, data[off:off+n])
				sums = append(sums, s)
				concat = append(concat, s...)
				off += n
			}
			got, err := CompositeOf(a, sums)
			if !a.SupportsComposite() {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("CompositeOf = %q, %v; want ErrUnsupported", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Encode(digest(a, concat)) + "-4"
			if got != want {
				t.Fatalf("CompositeOf = %q, want %q", got, want)
			}
			b64, n, ok := strings.Cut(got, "-")
			if !ok || n != "4" {
				t.Fatalf("missing -N suffix in %q", got)
			}
			if _, err := a.Decode(b64); err != nil {
				t.Fatalf("composite prefix does not decode: %v", err)
			}
			// A single part is still composite: checksum of the checksum.
			one, err := CompositeOf(a, sums[:1])
			if err != nil || one != Encode(digest(a, sums[0]))+"-1" {
				t.Fatalf("single-part CompositeOf = %q, %v", one, err)
			}
		})
	}
}

// TestCompositeOfKnown pins one value computed outside Go (Python's
// zlib.crc32 over the bytes 0d4a1185 0d4a1185, i.e. two parts each with
// CRC32("hello world")), so CompositeOf is not only checked against itself.
func TestCompositeOfKnown(t *testing.T) {
	part, err := CRC32.Decode("DUoRhQ==")
	if err != nil {
		t.Fatal(err)
	}
	got, err := CompositeOf(CRC32, [][]byte{part, part})
	if err != nil {
		t.Fatal(err)
	}
	if want := "7ryKJw==-2"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// TestCompositeOfNewHashes pins COMPOSITE values of the 2026 hash algorithms
// to values computed outside Go (Python's hashlib: the hash of the two
// parts' raw digests, then "-2").
func TestCompositeOfNewHashes(t *testing.T) {
	tests := []struct {
		alg  Algorithm
		want string
	}{
		{MD5, "4J5P1iZbNhFf49sy35RdhA==-2"},
		{SHA512, "C/HEc13zUZH9s4kBUK4WaZuRLMHXDX5OxDMVhb1l/Wn7H5Wkuh8nvXIQhoWYRHTF988UAluGd2CRQk1bfZRsNQ==-2"},
	}
	for _, tt := range tests {
		got, err := CompositeOf(tt.alg, [][]byte{digest(tt.alg, []byte("hello ")), digest(tt.alg, []byte("world"))})
		if err != nil || got != tt.want {
			t.Errorf("%s: CompositeOf = %q, %v; want %q", tt.alg, got, err, tt.want)
		}
	}
}

func TestCompositeOfErrors(t *testing.T) {
	tests := []struct {
		name string
		alg  Algorithm
		sums [][]byte
		want error
	}{
		{"crc64nvme", CRC64NVME, [][]byte{make([]byte, 8)}, ErrUnsupported},
		{"unknown", "SHA384", [][]byte{make([]byte, 16)}, ErrUnknownAlgorithm},
		{"wrong length", SHA256, [][]byte{make([]byte, 32), make([]byte, 20)}, ErrInvalidValue},
		{"nil part", CRC32C, [][]byte{nil}, ErrInvalidValue},
	}
	for _, tt := range tests {
		if got, err := CompositeOf(tt.alg, tt.sums); !errors.Is(err, tt.want) {
			t.Errorf("%s: CompositeOf = %q, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := CompositeOf(CRC32, nil); err == nil {
		t.Error("zero parts: want error")
	}
}
