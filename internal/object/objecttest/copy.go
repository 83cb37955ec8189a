package objecttest

import (
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func testCopy(t *testing.T, e *env) {
	e.bucket("src", "Enabled")
	e.bucket("dst", "")
	h := kura.ContentHeaders{ContentType: "text/plain", Metadata: map[string]string{"origin": "src"}}
	old := e.put("src", "k", "old body", withHeaders(h), withTags(kura.Tag{Key: "t", Value: "1"}))
	cur := e.put("src", "k", "current body", withHeaders(h), withTags(kura.Tag{Key: "t", Value: "2"}))
	newH := kura.ContentHeaders{ContentType: "application/json", Metadata: map[string]string{"replaced": "yes"}}
	tests := []struct {
		name     string
		in       object.CopyInput
		body     string
		headers  kura.ContentHeaders
		tagValue string // "" : no tags
	}{
		{"COPY directive keeps metadata and tags", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "dst", Key: "c1"},
			"current body", h, "2"},
		{"REPLACE directive takes the request's metadata", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "dst", Key: "c2", ReplaceMetadata: true, Headers: newH},
			"current body", newH, "2"},
		{"tagging REPLACE", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "dst", Key: "c3", ReplaceTags: true},
			"current body", h, ""},
		{"source version by id", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k", VersionID: old.VersionID}, Bucket: "dst", Key: "c4"},
			"old body", h, "1"},
		{"onto itself with REPLACE", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "src", Key: "k", ReplaceMetadata: true, Headers: newH},
			"current body", newH, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.tryCopy(tc.in)
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			if got := e.get(tc.in.Bucket, tc.in.Key, v.VersionID); got != tc.body {
				t.Errorf("copy's body %q, want %q", got, tc.body)
			}
			if v.ETag != md5Hex(tc.body) || v.Size != int64(len(tc.body)) {
				t.Errorf("copy's ETag %s size %d, want the MD5 and size of %q", v.ETag, v.Size, tc.body)
			}
			if v.ContentHeaders.ContentType != tc.headers.ContentType || len(v.ContentHeaders.Metadata) != len(tc.headers.Metadata) {
				t.Errorf("copy's headers %+v, want %+v", v.ContentHeaders, tc.headers)
			}
			for k, want := range tc.headers.Metadata {
				if v.ContentHeaders.Metadata[k] != want {
					t.Errorf("copy's metadata %s=%q, want %q", k, v.ContentHeaders.Metadata[k], want)
				}
			}
			if tc.tagValue == "" && len(v.Tags) != 0 || tc.tagValue != "" && (len(v.Tags) != 1 || v.Tags[0].Value != tc.tagValue) {
				t.Errorf("copy's tags %v, want value %q", v.Tags, tc.tagValue)
			}
			if sameData(v, cur) || sameData(v, old) {
				t.Error("the copy shares its source's blob; it must be re-encrypted under its own data key")
			}
		})
	}
	// The source is untouched (the copy onto itself added a version).
	if got := e.get("src", "k", cur.VersionID); got != "current body" {
		t.Errorf("source after copies: %q", got)
	}
}

func testCopyErrors(t *testing.T, e *env) {
	e.bucket("src", "Enabled")
	e.bucket("dst", "")
	e.put("src", "k", "body")
	dm := e.del("src", "gone", "")
	key, req := customerKey()
	e.put("src", "ssec", "secret", withSSE(req))
	tests := []struct {
		name string
		in   object.CopyInput
		want *s3err.Error
	}{
		{"onto itself unchanged", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "src", Key: "k"}, s3err.InvalidRequest},
		{"missing source key", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "nope"}, Bucket: "dst", Key: "c"}, s3err.NoSuchKey},
		{"missing source bucket", object.CopyInput{Source: object.CopySource{Bucket: "nobucket", Key: "k"}, Bucket: "dst", Key: "c"}, s3err.NoSuchBucket},
		{"missing destination bucket", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "nobucket", Key: "c"}, s3err.NoSuchBucket},
		{"delete marker by id", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "gone", VersionID: dm.VersionID}, Bucket: "dst", Key: "c"}, s3err.InvalidRequest},
		{"source check refuses", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k", Check: func(*kura.ObjectVersion) error { return s3err.PreconditionFailed }}, Bucket: "dst", Key: "c"}, s3err.PreconditionFailed},
		{"destination condition", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "k"}, Bucket: "src", Key: "k", ReplaceMetadata: true, Cond: object.WriteConditions{IfNoneMatch: "*"}}, s3err.PreconditionFailed},
		{"SSE-C source without its key", object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "ssec"}, Bucket: "dst", Key: "c"}, s3err.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.tryCopy(tc.in)
			wantCode(t, "CopyObject", err, tc.want)
		})
	}
	if _, err := e.head("dst", "c", ""); !s3err.Is(err, s3err.NoSuchKey) {
		t.Errorf("a refused copy left an object: %v", err)
	}
	// With the source's key, the SSE-C object copies; the copy is SSE-S3
	// (the destination's default), readable without a key.
	v, err := e.tryCopy(object.CopyInput{Source: object.CopySource{Bucket: "src", Key: "ssec", Access: e.access(key)}, Bucket: "dst", Key: "plain"})
	if err != nil {
		t.Fatalf("copy of an SSE-C source with its key: %v", err)
	}
	if v.Encryption.Type != kura.SSES3 || e.get("dst", "plain", "") != "secret" {
		t.Errorf("copy of SSE-C source: encryption %s", v.Encryption.Type)
	}
}
