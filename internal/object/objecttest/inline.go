package objecttest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/blob/blobtest"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// testInlineThreshold: a single-part PUT whose body ends within the
// service's inline threshold is stored in its record (no blob), whether its
// size was declared or not; a longer one gets a blob; both read back
// whole and by range. With inlining off (InlineMax < 0) nothing is inline.
func testInlineThreshold(t *testing.T, e *env) {
	e.bucket("bkt", "")
	max := e.svc.InlineMax()
	sizes := []int64{0, 1, 100, 70_000}
	if max > 0 {
		sizes = append(sizes, max-1, max, max+1)
	}
	for _, size := range sizes {
		for _, declared := range []bool{true, false} {
			body := strings.Repeat("x", int(size/2)) + strings.Repeat("y", int(size-size/2))
			key := "k"
			opt := func(in *object.PutInput) {
				if !declared {
					in.Size = -1
				}
			}
			v := e.put("bkt", key, body, opt)
			wantInline := max > 0 && size <= max
			if v.IsInline() != wantInline || (v.BlobID == "") != wantInline || len(v.Parts) != 0 {
				t.Errorf("size %d declared %v (threshold %d): inline %v blob %q, want inline %v", size, declared, max, v.IsInline(), v.BlobID, wantInline)
			}
			if v.Size != size || v.ETag != md5Hex(body) {
				t.Errorf("size %d declared %v: size %d ETag %s", size, declared, v.Size, v.ETag)
			}
			if got := e.get("bkt", key, ""); got != body {
				t.Errorf("size %d declared %v: GET returned %d bytes", size, declared, len(got))
			}
			if size > 2 {
				got, err := e.readRange(v, size/2-1, 2, e.access())
				if err != nil || got != "xy" {
					t.Errorf("size %d declared %v: range across the middle %q, %v", size, declared, got, err)
				}
			}
			if vr := e.svc.VerifyVersion(e.ctx(), v, nil); len(vr.Problems) != 0 || !vr.Decrypted {
				t.Errorf("size %d declared %v: verify: decrypted %v problems %+v", size, declared, vr.Decrypted, vr.Problems)
			}
		}
	}
	// A body shorter or longer than its declared size is refused whatever
	// the layout, and stores nothing.
	for _, tc := range []struct {
		name string
		body string
		size int64
	}{{"short", "abc", 4}, {"long", "abcde", 4}} {
		_, err := e.tryPut("bkt", "bad-"+tc.name, tc.body, func(in *object.PutInput) { in.Size = tc.size })
		if err == nil {
			t.Errorf("%s body: stored", tc.name)
		}
		if _, err := e.head("bkt", "bad-"+tc.name, ""); !s3err.Is(err, s3err.NoSuchKey) {
			t.Errorf("%s body: HEAD afterwards %v, want NoSuchKey", tc.name, err)
		}
	}
}

// testDataDamage: a single-part object's data — inline in its record, or
// a blob — that is damaged, truncated or extended is an integrity error on
// every read, whole or of a range, and a problem for verify, never bytes
// served as if nothing were wrong. Bytes appended after the last chunk
// authenticate nothing and are read by no range, so only the length check
// catches them.
func testDataDamage(t *testing.T, e *env) {
	e.bucket("bkt", "")
	const chunk = 64<<10 + 16 // a sealed chunk (docs/formats.md)
	damages := []struct {
		name   string
		damage func([]byte) []byte
		sized  bool // changes the length: a range clear of it fails too
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)-20] ^= 1; return b }, false},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, true},
		{"extended", func(b []byte) []byte { return append(b, 0) }, true},
		{"extended by a chunk", func(b []byte) []byte { return append(b, make([]byte, chunk)...) }, true},
	}
	for _, size := range []int{500, 200 << 10} {
		for _, d := range damages {
			name := fmt.Sprintf("%d bytes, %s", size, d.name)
			body := randomBody(size)
			v := e.put("bkt", fmt.Sprintf("k-%d-%s", size, d.name), body)
			if v.IsInline() != (size <= int(e.svc.InlineMax())) {
				t.Fatalf("%s: inline %v with threshold %d", name, v.IsInline(), e.svc.InlineMax())
			}
			if v.IsInline() {
				c := *v
				c.Inline = d.damage(bytes.Clone(v.Inline))
				v = &c
			} else {
				blobtest.Rewrite(t, e.blobs, v.BlobID, d.damage)
			}
			before := e.svc.IntegrityErrors().Damaged
			ranges := [][2]int64{{0, v.Size}, {v.Size - 10, 10}}
			if d.sized {
				ranges = append(ranges, [2]int64{0, 10}) // clear of the damage
			}
			for _, r := range ranges {
				got, err := e.readRange(v, r[0], r[1], e.access())
				var ie *object.IntegrityError
				if !s3err.Is(err, s3err.InternalError) || !errors.As(err, &ie) || ie.Kind != object.IntegrityDamaged || ie.Inline != v.IsInline() {
					t.Errorf("%s: read [%d, +%d) = %d bytes, %v; want an InternalError for damaged data", name, r[0], r[1], len(got), err)
				}
			}
			if n := e.svc.IntegrityErrors().Damaged - before; n != int64(len(ranges)) {
				t.Errorf("%s: %d reads counted as damage, want %d", name, n, len(ranges))
			}
			if vr := e.svc.VerifyVersion(e.ctx(), v, nil); len(vr.Problems) == 0 || vr.Problems[0].Kind != object.IntegrityDamaged {
				t.Errorf("%s: verify found %+v, want damage", name, vr.Problems)
			}
		}
	}
}
