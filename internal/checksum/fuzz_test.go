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

// FuzzStreaming feeds data to every algorithm's hash in fuzzer-chosen
// pieces, as the upload path does with whatever the network delivers, and
// checks the digest equals the one-shot digest. It guards the wrappers
// (XXHASH128 over xxh3) and Hashes' shared MD5.
func FuzzStreaming(f *testing.F) {
	f.Add([]byte("Hello world"), []byte{1, 5})
	f.Add(bytes.Repeat([]byte{7}, 2000), []byte{200, 255, 3})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		for _, a := range All {
			h := NewHashes(a, true)
			rest := data
			for _, c := range cuts {
				n := min(int(c), len(rest))
				h.Write(rest[:n])
				rest = rest[n:]
			}
			h.Write(rest)
			if want := digest(a, data); !bytes.Equal(h.Sum(), want) {
				t.Fatalf("%s: streamed %x, one-shot %x", a, h.Sum(), want)
			}
			if want := digest(MD5, data); !bytes.Equal(h.MD5(), want) {
				t.Fatalf("%s: MD5 %x, want %x", a, h.MD5(), want)
			}
		}
	})
}
