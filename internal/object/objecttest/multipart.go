package objecttest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// createUpload starts an upload of bucket/key.
func (e *env) createUpload(bucket, key string, opts ...func(*object.UploadInput)) *kura.Upload {
	e.t.Helper()
	in := object.UploadInput{Bucket: bucket, Key: key, Access: e.access(), Owner: Account}
	for _, o := range opts {
		o(&in)
	}
	u, err := e.svc.CreateUpload(e.ctx(), in)
	if err != nil {
		e.t.Fatalf("CreateUpload %s/%s: %v", bucket, key, err)
	}
	return u
}

// tryPart uploads part n of u.
func (e *env) tryPart(u *kura.Upload, n int, body string, acc object.KeyAccess) (*kura.UploadPart, error) {
	p, _, err := e.svc.UploadPart(e.ctx(), object.PartInput{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Number: n,
		Body: strings.NewReader(body), Size: int64(len(body)), Access: acc})
	return p, err
}

func (e *env) part(u *kura.Upload, n int, body string) *kura.UploadPart {
	e.t.Helper()
	p, err := e.tryPart(u, n, body, e.access())
	if err != nil {
		e.t.Fatalf("UploadPart %d: %v", n, err)
	}
	return p
}

func (e *env) tryComplete(u *kura.Upload, parts ...object.CompletePart) (*kura.ObjectVersion, error) {
	return e.svc.CompleteUpload(e.ctx(), object.CompleteInput{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Parts: parts, ObjectSize: -1})
}

func completePart(p *kura.UploadPart) object.CompletePart {
	return object.CompletePart{Number: p.Number, ETag: `"` + p.ETag + `"`}
}

// multipartETag is S3's ETag of a multipart object: the MD5 of the parts'
// binary MD5s, a dash and the number of parts.
func multipartETag(bodies ...string) string {
	h := md5.New()
	for _, b := range bodies {
		s := md5.Sum([]byte(b))
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil)) + fmt.Sprintf("-%d", len(bodies))
}

func testMultipart(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	h := kura.ContentHeaders{ContentType: "video/mp4", Metadata: map[string]string{"m": "1"}}
	u := e.createUpload("bkt", "big", func(in *object.UploadInput) { in.Headers = h })
	if u.UploadID == "" || u.Encryption.Type != kura.SSES3 {
		t.Fatalf("upload %+v: want an id and SSE-S3 by default", u)
	}
	p1body, p2body, p3body := randomBody(object.MinPartSize), randomBody(object.MinPartSize+1), "tail"
	p1 := e.part(u, 1, "to be replaced")
	p1 = e.part(u, 1, p1body) // a part uploaded again replaces the first
	p2 := e.part(u, 2, p2body)
	p3 := e.part(u, 3, p3body)
	if p1.ETag != md5Hex(p1body) || p1.Size != int64(len(p1body)) {
		t.Errorf("part 1: ETag %s size %d", p1.ETag, p1.Size)
	}
	v, err := e.tryComplete(u, completePart(p1), completePart(p2), completePart(p3))
	if err != nil {
		t.Fatalf("CompleteUpload: %v", err)
	}
	whole := p1body + p2body + p3body
	if want := multipartETag(p1body, p2body, p3body); v.ETag != want {
		t.Errorf("ETag %s, want %s", v.ETag, want)
	}
	if v.Size != int64(len(whole)) || len(v.Parts) != 3 || v.UploadID != u.UploadID {
		t.Errorf("completed version: size %d, %d parts, upload %s", v.Size, len(v.Parts), v.UploadID)
	}
	if v.ContentHeaders.ContentType != "video/mp4" || v.ContentHeaders.Metadata["m"] != "1" {
		t.Errorf("completed version lost the upload's headers: %+v", v.ContentHeaders)
	}
	if got := e.get("bkt", "big", ""); got != whole {
		t.Errorf("GET of the completed object: %d bytes that differ", len(got))
	}
	ranges := []struct {
		name   string
		off, n int64
	}{
		{"across parts 1 and 2", int64(len(p1body)) - 100, 200},
		{"all of part 2", int64(len(p1body)), int64(len(p2body))},
		{"across parts 2 and 3", int64(len(p1body)+len(p2body)) - 1, 5},
		{"part 3 alone", int64(len(p1body) + len(p2body)), int64(len(p3body))},
	}
	for _, r := range ranges {
		t.Run("range "+r.name, func(t *testing.T) {
			got, err := e.readRange(v, r.off, r.n, e.access())
			if err != nil || got != whole[r.off:r.off+r.n] {
				t.Errorf("Open(%d, %d): %d bytes, %v; want the object's", r.off, r.n, len(got), err)
			}
		})
	}
	// The upload is gone; repeating the Complete answers with the same
	// version while it is current (a retried request).
	_, err = e.svc.ListParts(e.ctx(), "bkt", "big", u.UploadID, 0, 1000)
	wantCode(t, "ListParts after Complete", err, s3err.NoSuchUpload)
	again, err := e.tryComplete(u, completePart(p1), completePart(p2), completePart(p3))
	if err != nil || again.VersionID != v.VersionID {
		t.Errorf("repeated Complete: %v, %v; want the same version %s", again, err, v.VersionID)
	}
}

func testMultipartErrors(t *testing.T, e *env) {
	e.bucket("bkt", "")
	u := e.createUpload("bkt", "k")
	small1 := e.part(u, 1, "small one")
	small2 := e.part(u, 2, "small two")
	tests := []struct {
		name  string
		parts []object.CompletePart
		want  *s3err.Error
	}{
		{"no parts", nil, s3err.MalformedXML},
		{"wrong ETag", []object.CompletePart{{Number: 1, ETag: `"0123456789abcdef0123456789abcdef"`}}, s3err.InvalidPart},
		{"part never uploaded", []object.CompletePart{{Number: 3, ETag: small2.ETag}}, s3err.InvalidPart},
		{"parts out of order", []object.CompletePart{completePart(small2), completePart(small1)}, s3err.InvalidPartOrder},
		{"repeated part", []object.CompletePart{completePart(small1), completePart(small1)}, s3err.InvalidPartOrder},
		{"part before the last too small", []object.CompletePart{completePart(small1), completePart(small2)}, s3err.EntityTooSmall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.tryComplete(u, tc.parts...)
			wantCode(t, "CompleteUpload", err, tc.want)
		})
	}
	// After every refusal the upload is intact and completes with a valid
	// part list (one small part is allowed: it is the last).
	v, err := e.tryComplete(u, completePart(small1))
	if err != nil {
		t.Fatalf("Complete with one part after refusals: %v", err)
	}
	if got := e.get("bkt", "k", ""); got != "small one" || v.ETag != multipartETag("small one") {
		t.Errorf("object %q ETag %s", got, v.ETag)
	}

	u2 := e.createUpload("bkt", "k2")
	partErrs := []struct {
		name string
		n    int
		want *s3err.Error
	}{
		{"part number 0", 0, s3err.InvalidArgument},
		{"part number above 10000", object.MaxParts + 1, s3err.InvalidArgument},
	}
	for _, tc := range partErrs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.tryPart(u2, tc.n, "x", e.access())
			wantCode(t, "UploadPart", err, tc.want)
		})
	}
	_, err = e.tryPart(&kura.Upload{Bucket: "bkt", Key: "k2", UploadID: "no-such-upload"}, 1, "x", e.access())
	wantCode(t, "UploadPart to a missing upload", err, s3err.NoSuchUpload)
	_, err = e.tryPart(&kura.Upload{Bucket: "bkt", Key: "other", UploadID: u2.UploadID}, 1, "x", e.access())
	wantCode(t, "UploadPart naming another key", err, s3err.NoSuchUpload)
	_, err = e.svc.CreateUpload(e.ctx(), object.UploadInput{Bucket: "nobucket", Key: "k", Access: e.access(), Owner: Account})
	wantCode(t, "CreateUpload in a missing bucket", err, s3err.NoSuchBucket)
}

func testMultipartAbort(t *testing.T, e *env) {
	e.bucket("bkt", "")
	u := e.createUpload("bkt", "k")
	p := e.part(u, 1, "data")
	// x-amz-if-match-initiated-time: another time refuses, and leaves the
	// upload in place.
	wantCode(t, "abort at another initiation time", e.svc.AbortUpload(e.ctx(), "bkt", "k", u.UploadID, u.Initiated.Add(-time.Hour)), s3err.PreconditionFailed)
	if err := e.svc.AbortUpload(e.ctx(), "bkt", "k", u.UploadID, u.Initiated); err != nil {
		t.Fatalf("AbortUpload at its initiation time: %v", err)
	}
	_, err := e.tryPart(u, 2, "more", e.access())
	wantCode(t, "UploadPart after abort", err, s3err.NoSuchUpload)
	_, err = e.tryComplete(u, completePart(p))
	wantCode(t, "Complete after abort", err, s3err.NoSuchUpload)
	wantCode(t, "second abort", e.svc.AbortUpload(e.ctx(), "bkt", "k", u.UploadID, time.Time{}), s3err.NoSuchUpload)
	// With the condition, an upload already gone is what was asked for.
	if err := e.svc.AbortUpload(e.ctx(), "bkt", "k", u.UploadID, u.Initiated); err != nil {
		t.Errorf("conditional abort of a gone upload: %v", err)
	}
	if _, err := e.head("bkt", "k", ""); !s3err.Is(err, s3err.NoSuchKey) {
		t.Errorf("an aborted upload created an object: %v", err)
	}
	if page, err := e.svc.ListUploads(e.ctx(), object.UploadsInput{Bucket: "bkt", Max: 100}); err != nil || len(page.Uploads) != 0 {
		t.Errorf("uploads after abort: %v, %v", page, err)
	}
}

func testListParts(t *testing.T, e *env) {
	e.bucket("bkt", "")
	u := e.createUpload("bkt", "k")
	for _, n := range []int{3, 1, 5, 2} {
		e.part(u, n, fmt.Sprint("part ", n))
	}
	tests := []struct {
		name      string
		marker    int
		max       int
		want      []int
		truncated bool
	}{
		{"all, in number order", 0, 1000, []int{1, 2, 3, 5}, false},
		{"first page", 0, 2, []int{1, 2}, true},
		{"after a marker", 2, 2, []int{3, 5}, false},
		{"marker between parts", 4, 10, []int{5}, false},
		{"marker past the end", 5, 10, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := e.svc.ListParts(e.ctx(), "bkt", "k", u.UploadID, tc.marker, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range page.Parts {
				got = append(got, p.Number)
				if p.ETag != md5Hex(fmt.Sprint("part ", p.Number)) {
					t.Errorf("part %d ETag %s", p.Number, p.ETag)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || page.Truncated != tc.truncated {
				t.Errorf("parts %v truncated=%v, want %v truncated=%v", got, page.Truncated, tc.want, tc.truncated)
			}
			if page.Truncated && page.Next != got[len(got)-1] {
				t.Errorf("next marker %d, want %d", page.Next, got[len(got)-1])
			}
		})
	}
}

func testListUploads(t *testing.T, e *env) {
	e.bucket("bkt", "")
	var us []*kura.Upload
	for _, k := range []string{"a", "a", "dir/b", "dir/sub/c"} {
		us = append(us, e.createUpload("bkt", k))
		e.clock.add(time.Second) // uploads of a key list in initiation order
	}
	a1, a2, b, c := us[0], us[1], us[2], us[3]
	tests := []struct {
		name     string
		in       object.UploadsInput
		want     []string // key/upload id
		prefixes []string
	}{
		{"all", object.UploadsInput{Max: 100}, []string{"a/" + a1.UploadID, "a/" + a2.UploadID, "dir/b/" + b.UploadID, "dir/sub/c/" + c.UploadID}, nil},
		{"prefix", object.UploadsInput{Prefix: "dir/", Max: 100}, []string{"dir/b/" + b.UploadID, "dir/sub/c/" + c.UploadID}, nil},
		{"delimiter", object.UploadsInput{Delimiter: "/", Max: 100}, []string{"a/" + a1.UploadID, "a/" + a2.UploadID}, []string{"dir/"}},
		{"prefix and delimiter", object.UploadsInput{Prefix: "dir/", Delimiter: "/", Max: 100}, []string{"dir/b/" + b.UploadID}, []string{"dir/sub/"}},
		{"after key marker", object.UploadsInput{KeyMarker: "a", Max: 100}, []string{"dir/b/" + b.UploadID, "dir/sub/c/" + c.UploadID}, nil},
		{"after key and upload id markers", object.UploadsInput{KeyMarker: "a", UploadIDMarker: a1.UploadID, Max: 100}, []string{"a/" + a2.UploadID, "dir/b/" + b.UploadID, "dir/sub/c/" + c.UploadID}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Bucket = "bkt"
			page, err := e.svc.ListUploads(e.ctx(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range page.Uploads {
				got = append(got, u.Key+"/"+u.UploadID)
			}
			if !equal(got, tc.want) || !equal(page.CommonPrefixes, tc.prefixes) {
				t.Errorf("uploads %q prefixes %q, want %q %q", got, page.CommonPrefixes, tc.want, tc.prefixes)
			}
		})
	}
	page, err := e.svc.ListUploads(e.ctx(), object.UploadsInput{Bucket: "bkt", Max: 3})
	if err != nil || len(page.Uploads) != 3 || !page.Truncated || page.NextKey != "dir/b" || page.NextUploadID != b.UploadID {
		t.Errorf("page of 3: %+v, %v; want truncated after dir/b", page, err)
	}
}

func testUploadPartCopy(t *testing.T, e *env) {
	e.bucket("bkt", "")
	src := randomBody(object.MinPartSize + 1000)
	e.put("bkt", "src", src)
	u := e.createUpload("bkt", "dst")
	copyPart := func(n int, off, length int64) *kura.UploadPart {
		t.Helper()
		in := object.PartCopyInput{
			Source: object.CopySource{Bucket: "bkt", Key: "src", Access: e.access()},
			Bucket: "bkt", Key: "dst", UploadID: u.UploadID, Number: n, Access: e.access()}
		if length >= 0 { // x-amz-copy-source-range, as s3api validates it
			in.Validate = func(*kura.ObjectVersion) (int64, int64, error) { return off, length, nil }
		}
		p, _, _, err := e.svc.UploadPartCopy(e.ctx(), in)
		if err != nil {
			t.Fatalf("UploadPartCopy %d: %v", n, err)
		}
		return p
	}
	const off = 10
	p1 := copyPart(1, off, object.MinPartSize) // a range
	p2 := copyPart(2, 0, -1)                   // the whole source
	p3 := e.part(u, 3, "tail")                 // mixed with an uploaded part
	if p1.ETag != md5Hex(src[off:off+object.MinPartSize]) || p2.ETag != md5Hex(src) {
		t.Errorf("copied parts' ETags %s %s", p1.ETag, p2.ETag)
	}
	if _, err := e.tryComplete(u, completePart(p1), completePart(p2), completePart(p3)); err != nil {
		t.Fatal(err)
	}
	if got := e.get("bkt", "dst", ""); got != src[off:off+object.MinPartSize]+src+"tail" {
		t.Errorf("object assembled from copied parts: %d bytes that differ", len(got))
	}
}
