package meta_test

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
)

// BenchmarkDecodeVersionInline decodes a version record without inline
// data and with 4 KiB and 64 KiB of it: what a listing pays per record it
// passes (docs/architecture.md, "Small objects inline").
func BenchmarkDecodeVersionInline(b *testing.B) {
	for _, n := range []int{0, 4 << 10, 64 << 10} {
		v := &kura.ObjectVersion{Bucket: "bucket", Key: "some/key/name.txt", VersionID: "null", Seq: 42,
			LastModified: time.Now().UTC(), Size: int64(n), ETag: "0123456789abcdef0123456789abcdef",
			Encryption: kura.Encryption{Type: kura.SSES3, SealedKey: make([]byte, 60)}}
		if n == 0 {
			v.BlobID = "20261206T180000-0123456789abcdef0123456789abcdef"
		} else {
			v.Inline = make([]byte, n+38+16)
			rand.Read(v.Inline)
		}
		raw, err := meta.EncodeVersion(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("inline=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := meta.DecodeVersion(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
