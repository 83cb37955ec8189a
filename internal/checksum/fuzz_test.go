package checksum

import (
	"bytes"
	"testing"
)

// FuzzFullObjectOf splits data at fuzzer-chosen points and checks that
// combining the parts' CRCs reproduces the CRC of the whole, for every
// full-object algorithm. cuts is read two bytes at a time as little-endian
// part lengths (clamped to what remains), so the fuzzer controls empty
// parts, 1-byte parts and long parts alike; whatever remains after the
// last cut becomes the final part.
func FuzzFullObjectOf(f *testing.F) {
	f.Add([]byte("123456789"), []byte{3, 0, 0, 0, 2, 0})
	f.Add([]byte{}, []byte{0, 0})
	f.Add(bytes.Repeat([]byte{0xff}, 300), []byte{1, 0, 1, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		var sizes []int
		rest := len(data)
		for i := 0; i+1 < len(cuts); i += 2 {
			n := min(int(cuts[i])|int(cuts[i+1])<<8, rest)
			sizes = append(sizes, n)
			rest -= n
		}
		sizes = append(sizes, rest)
		for _, a := range fullObjectAlgs {
			got, err := FullObjectOf(a, partsOf(t, a, data, sizes))
			if err != nil {
				t.Fatal(err)
			}
			if want := digest(a, data); !bytes.Equal(got, want) {
				t.Fatalf("%s: sizes %v: FullObjectOf = %x, want %x", a, sizes, got, want)
			}
		}
	})
}
