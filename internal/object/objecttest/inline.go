package objecttest

import (
	"strings"
	"testing"

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

// testInlineDamage: inline data that no longer authenticates is an
// integrity error on read and a problem for verify, never wrong bytes.
func testInlineDamage(t *testing.T, e *env) {
	if e.svc.InlineMax() <= 0 {
		return // the blob cases are internal/server's integrity tests
	}
	e.bucket("bkt", "")
	v := e.put("bkt", "k", strings.Repeat("data ", 100))
	if !v.IsInline() {
		t.Fatal("a 500-byte object is not inline")
	}
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"extended", func(b []byte) []byte { return append(b, 0) }},
	} {
		d := *v
		d.Inline = tc.damage(append([]byte(nil), v.Inline...))
		if _, err := e.readRange(&d, 0, d.Size, e.access()); !s3err.Is(err, s3err.InternalError) {
			t.Errorf("%s: read %v, want InternalError", tc.name, err)
		}
		if vr := e.svc.VerifyVersion(e.ctx(), &d, nil); len(vr.Problems) == 0 {
			t.Errorf("%s: verify found nothing", tc.name)
		}
	}
}
