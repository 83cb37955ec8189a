package objecttest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func testBuckets(t *testing.T, e *env) {
	e.bucket("alpha", "")
	e.bucket("beta", "Enabled")
	tests := []struct {
		name string
		b    kura.Bucket
		want *s3err.Error // nil: succeeds
	}{
		{"invalid name", kura.Bucket{Name: "Not_A_Bucket"}, s3err.InvalidBucketName},
		{"taken by another account", kura.Bucket{Name: "alpha", Owner: "444455556666"}, s3err.BucketAlreadyExists},
		// us-east-1's legacy rule: re-creating your own bucket succeeds.
		{"re-created by its owner in us-east-1", kura.Bucket{Name: "alpha"}, nil},
		{"owner, other region", kura.Bucket{Name: "beta", Region: "eu-west-1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.tryBucket(tc.b)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CreateBucket: %v", err)
				}
				return
			}
			wantCode(t, "CreateBucket", err, tc.want)
		})
	}
	if b, err := e.svc.Bucket(e.ctx(), "beta"); err != nil || b.Versioning != "Enabled" || b.Region != "us-east-1" {
		t.Errorf("bucket beta after re-creation: %+v, %v; want its versioning and region kept", b, err)
	}
	bs, err := e.svc.ListBuckets(e.ctx(), Account)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	if !slices.Equal(names, []string{"alpha", "beta"}) {
		t.Errorf("ListBuckets: %v, want [alpha beta]", names)
	}
	if bs, _ := e.svc.ListBuckets(e.ctx(), "444455556666"); len(bs) != 0 {
		t.Errorf("ListBuckets of another account: %d buckets, want none", len(bs))
	}

	e.put("alpha", "k", "x")
	wantCode(t, "DeleteBucket of a non-empty bucket", e.svc.DeleteBucket(e.ctx(), "alpha"), s3err.BucketNotEmpty)
	e.del("alpha", "k", "")
	if err := e.svc.DeleteBucket(e.ctx(), "alpha"); err != nil {
		t.Fatalf("DeleteBucket of an emptied bucket: %v", err)
	}
	_, err = e.svc.Bucket(e.ctx(), "alpha")
	wantCode(t, "Bucket after delete", err, s3err.NoSuchBucket)
	_, err = e.tryPut("alpha", "k", "x")
	wantCode(t, "PutObject into a deleted bucket", err, s3err.NoSuchBucket)
	_, err = e.head("alpha", "k", "")
	wantCode(t, "Head in a deleted bucket", err, s3err.NoSuchBucket)

	// A versioned bucket with only a delete marker left is not empty.
	e.put("beta", "k", "x")
	e.del("beta", "k", "")
	wantCode(t, "DeleteBucket holding versions", e.svc.DeleteBucket(e.ctx(), "beta"), s3err.BucketNotEmpty)
}

func testPutGetHead(t *testing.T, e *env) {
	e.bucket("bkt", "")
	h := kura.ContentHeaders{ContentType: "text/plain", ContentEncoding: "identity", ContentDisposition: "inline",
		ContentLanguage: "en", CacheControl: "no-cache", Metadata: map[string]string{"color": "blue", "n": "1"}}
	body := "hello, object service"
	v := e.put("bkt", "dir/hello.txt", body, withHeaders(h), withTags(kura.Tag{Key: "a", Value: "1"}))
	checks := []struct {
		name string
		ok   bool
	}{
		{"ETag is the hex MD5", v.ETag == md5Hex(body)},
		{"size", v.Size == int64(len(body))},
		{"unversioned bucket gives the null version", v.VersionID == object.NullVersion},
		{"Last-Modified is the clock's, in ms", v.LastModified.Equal(start)},
		{"owner", v.Owner == Account},
		{"default encryption is SSE-S3", v.Encryption.Type == kura.SSES3},
		{"default checksum is CRC64NVME, full object", v.Checksum != nil && v.Checksum.Algorithm == string(checksum.CRC64NVME) && v.Checksum.Type == checksum.FullObject},
		{"content headers kept", v.ContentHeaders.ContentType == "text/plain" && v.ContentHeaders.CacheControl == "no-cache" && v.ContentHeaders.Metadata["color"] == "blue"},
		{"tags kept", len(v.Tags) == 1 && v.Tags[0] == kura.Tag{Key: "a", Value: "1"}},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("PutObject: %s: %+v", c.name, v)
		}
	}
	got := e.mustHead("bkt", "dir/hello.txt", "")
	if got.ETag != v.ETag || got.Size != v.Size || got.VersionID != v.VersionID || got.ContentHeaders.Metadata["n"] != "1" || !sameData(got, v) {
		t.Errorf("Head: %+v, want the version PutObject returned %+v", got, v)
	}
	if b := e.get("bkt", "dir/hello.txt", ""); b != body {
		t.Errorf("GET: %q, want %q", b, body)
	}
	if b := e.get("bkt", "dir/hello.txt", object.NullVersion); b != body {
		t.Errorf("GET ?versionId=null: %q, want %q", b, body)
	}
	for _, tc := range []struct {
		name, key, version string
		want               *s3err.Error
	}{
		{"missing key", "nope", "", s3err.NoSuchKey},
		{"missing version", "dir/hello.txt", "0000000000000001aaaaaaaaaaaaaaaa", s3err.NoSuchVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.head("bkt", tc.key, tc.version)
			wantCode(t, "Head", err, tc.want)
		})
	}
	// The blob holds ciphertext: a GET through the service decrypts it.
	if b := e.get("bkt", "dir/hello.txt", ""); strings.Contains(b, "\x00") {
		t.Errorf("GET returned binary data: %q", b)
	}
}

func testEmptyObject(t *testing.T, e *env) {
	e.bucket("bkt", "")
	v := e.put("bkt", "empty", "")
	if v.Size != 0 || v.ETag != md5Hex("") {
		t.Errorf("empty object: size %d ETag %s, want 0 and %s", v.Size, v.ETag, md5Hex(""))
	}
	if b := e.get("bkt", "empty", ""); b != "" {
		t.Errorf("GET of an empty object: %q", b)
	}
}

func testInvalidKeys(t *testing.T, e *env) {
	e.bucket("bkt", "")
	tests := []struct {
		name, key string
		want      *s3err.Error
	}{
		{"empty", "", s3err.InvalidArgument},
		{"too long", strings.Repeat("k", object.MaxKeyLength+1), s3err.KeyTooLong},
		{"not UTF-8", "bad\xff", s3err.InvalidArgument},
		{"NUL", "a\x00b", s3err.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.tryPut("bkt", tc.key, "x")
			wantCode(t, "PutObject", err, tc.want)
		})
	}
	if _, err := e.tryPut("bkt", strings.Repeat("k", object.MaxKeyLength), "x"); err != nil {
		t.Errorf("PutObject with a key of the maximum length: %v", err)
	}
}

func testRanges(t *testing.T, e *env) {
	e.bucket("bkt", "")
	// Several encryption chunks (64 KiB each), so ranges start and end
	// inside, at and across chunk boundaries.
	body := randomBody(200_000)
	v := e.put("bkt", "big", body)
	const chunk = 64 << 10
	tests := []struct {
		name   string
		off, n int64
	}{
		{"first byte", 0, 1},
		{"last byte", int64(len(body)) - 1, 1},
		{"inside the first chunk", 100, 1000},
		{"across a chunk boundary", chunk - 10, 20},
		{"exactly one chunk", chunk, chunk},
		{"across two boundaries", chunk - 1, chunk + 2},
		{"tail", 150_000, 50_000},
		{"whole object", 0, int64(len(body))},
		{"empty range", 10, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.readRange(v, tc.off, tc.n, e.access())
			if err != nil {
				t.Fatalf("Open(%d, %d): %v", tc.off, tc.n, err)
			}
			if got != body[tc.off:tc.off+tc.n] {
				t.Errorf("Open(%d, %d): %d bytes that differ from the object's", tc.off, tc.n, len(got))
			}
		})
	}
	for _, tc := range []struct {
		name   string
		off, n int64
	}{
		{"past the end", int64(len(body)), 1},
		{"overlapping the end", int64(len(body)) - 5, 10},
		{"negative offset", -1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.readRange(v, tc.off, tc.n, e.access())
			wantCode(t, "Open", err, s3err.InvalidRange)
		})
	}
}

func testOverwrite(t *testing.T, e *env) {
	e.bucket("bkt", "")
	first := e.put("bkt", "k", "first")
	e.clock.add(1500)
	second := e.put("bkt", "k", "second, longer")
	if second.VersionID != object.NullVersion || sameData(second, first) {
		t.Errorf("overwrite: version %s blob %s (first blob %s); want the null version on a new blob", second.VersionID, second.BlobID, first.BlobID)
	}
	cur := e.mustHead("bkt", "k", "")
	if cur.ETag != md5Hex("second, longer") || cur.Size != int64(len("second, longer")) {
		t.Errorf("Head after overwrite: %+v", cur)
	}
	if b := e.get("bkt", "k", ""); b != "second, longer" {
		t.Errorf("GET after overwrite: %q", b)
	}
	vs := e.listVersions(object.ListInput{Bucket: "bkt"})
	if len(vs.Objects) != 1 {
		t.Errorf("an unversioned overwrite left %d versions, want 1", len(vs.Objects))
	}
	// The overwritten version's data is gone: reading the old record fails
	// as lost data, not with the old bytes.
	e.dataGone("the overwritten version", first)
}

func testDelete(t *testing.T, e *env) {
	e.bucket("bkt", "")
	v := e.put("bkt", "k", "data")
	res := e.del("bkt", "k", "")
	if res.DeleteMarker {
		t.Errorf("delete in an unversioned bucket made a delete marker: %+v", res)
	}
	_, err := e.head("bkt", "k", "")
	wantCode(t, "Head after delete", err, s3err.NoSuchKey)
	e.dataGone("a deleted object", v)
	tests := []struct{ name, key, version string }{
		{"absent key", "never", ""},
		{"deleted again", "k", ""},
		{"absent version", "k", "0000000000000001aaaaaaaaaaaaaaaa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: tc.key, VersionID: tc.version}); err != nil {
				t.Errorf("deleting something absent: %v, want success as in S3", err)
			}
		})
	}
	_, err = e.tryDelete(object.DeleteInput{Bucket: "nobucket", Key: "k"})
	wantCode(t, "delete in a missing bucket", err, s3err.NoSuchBucket)
}

func testTags(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	v1 := e.put("bkt", "k", "one", withTags(kura.Tag{Key: "stage", Value: "raw"}))
	v2 := e.put("bkt", "k", "two")
	set := func(versionID string, tags ...kura.Tag) (*kura.ObjectVersion, error) {
		return e.svc.UpdateVersion(e.ctx(), "bkt", "k", versionID, func(v *kura.ObjectVersion) error {
			if err := object.ValidateTags(tags, 10); err != nil {
				return err
			}
			v.Tags = tags
			return nil
		})
	}
	if _, err := set("", kura.Tag{Key: "stage", Value: "done"}, kura.Tag{Key: "team", Value: "x"}); err != nil {
		t.Fatalf("tag current version: %v", err)
	}
	if _, err := set(v1.VersionID); err != nil { // remove v1's tags
		t.Fatalf("untag v1: %v", err)
	}
	cur, old := e.mustHead("bkt", "k", v2.VersionID), e.mustHead("bkt", "k", v1.VersionID)
	if len(cur.Tags) != 2 || cur.Tags[0].Value != "done" || len(old.Tags) != 0 {
		t.Errorf("tags: current %v, v1 %v; want 2 on the current, none on v1", cur.Tags, old.Tags)
	}
	if cur.ETag != v2.ETag || !cur.LastModified.Equal(v2.LastModified) || !sameData(cur, v2) {
		t.Errorf("tagging changed the version: %+v, was %+v", cur, v2)
	}
	_, err := set("", kura.Tag{Key: "a", Value: "1"}, kura.Tag{Key: "a", Value: "2"})
	wantCode(t, "duplicate tag keys", err, s3err.InvalidTag)
	dm := e.del("bkt", "k", "")
	_, err = set(dm.VersionID, kura.Tag{Key: "a", Value: "1"})
	wantCode(t, "tagging a delete marker", err, s3err.MethodNotAllowed)
}

func testChecksums(t *testing.T, e *env) {
	e.bucket("bkt", "")
	body := "checksummed body"
	sha := sha256.Sum256([]byte(body))
	md := md5.Sum([]byte(body))
	tests := []struct {
		name    string
		opts    []putOpt
		wantAlg checksum.Algorithm
		want    *s3err.Error // nil: succeeds
	}{
		{"default", nil, checksum.CRC64NVME, nil},
		{"SHA256 computed", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.SHA256})}, checksum.SHA256, nil},
		{"SHA256 verified", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.SHA256, Value: base64.StdEncoding.EncodeToString(sha[:])})}, checksum.SHA256, nil},
		{"SHA256 mismatch", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.SHA256, Value: base64.StdEncoding.EncodeToString(make([]byte, 32))})}, "", s3err.BadDigest},
		{"trailer verified", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.SHA256, Trailer: func() string { return base64.StdEncoding.EncodeToString(sha[:]) }})}, checksum.SHA256, nil},
		{"trailer mismatch", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.CRC32, Trailer: func() string { return "AAAAAA==" }})}, "", s3err.BadDigest},
		{"CRC32C computed", []putOpt{withChecksum(object.ChecksumInput{Algorithm: checksum.CRC32C})}, checksum.CRC32C, nil},
		{"Content-MD5 verified", []putOpt{withMD5(md[:])}, checksum.CRC64NVME, nil},
		{"Content-MD5 mismatch", []putOpt{withMD5(make([]byte, 16))}, "", s3err.BadDigest},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "k" + string(rune('a'+i))
			v, err := e.tryPut("bkt", key, body, tc.opts...)
			if tc.want != nil {
				wantCode(t, "PutObject", err, tc.want)
				_, err := e.head("bkt", key, "")
				wantCode(t, "Head after a refused write", err, s3err.NoSuchKey)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Checksum == nil || v.Checksum.Algorithm != string(tc.wantAlg) || v.Checksum.Type != checksum.FullObject {
				t.Fatalf("checksum %+v, want full-object %s", v.Checksum, tc.wantAlg)
			}
			if tc.wantAlg == checksum.SHA256 && v.Checksum.Value != base64.StdEncoding.EncodeToString(sha[:]) {
				t.Errorf("SHA256 value %s, want %s", v.Checksum.Value, base64.StdEncoding.EncodeToString(sha[:]))
			}
			if h := e.mustHead("bkt", key, ""); *h.Checksum != *v.Checksum {
				t.Errorf("stored checksum %+v, PutObject said %+v", h.Checksum, v.Checksum)
			}
		})
	}
	// A body shorter than its declared size is refused, and leaves nothing.
	_, err := e.svc.PutObject(e.ctx(), object.PutInput{Bucket: "bkt", Key: "short", Body: strings.NewReader("abc"), Size: 10, Access: e.access(), Owner: Account})
	wantCode(t, "short body", err, s3err.IncompleteBody)
}

func testConditionalWrites(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	cur := e.put("bkt", "exists", "v1")
	e.put("bkt", "deleted", "x")
	e.del("bkt", "deleted", "")
	tests := []struct {
		name, key string
		cond      object.WriteConditions
		want      *s3err.Error // nil: written
	}{
		{"If-None-Match * on an absent key", "absent", object.WriteConditions{IfNoneMatch: "*"}, nil},
		{"If-None-Match * on an existing key", "exists", object.WriteConditions{IfNoneMatch: "*"}, s3err.PreconditionFailed},
		{"If-None-Match * over a delete marker", "deleted", object.WriteConditions{IfNoneMatch: "*"}, nil},
		{"If-Match the current ETag", "exists", object.WriteConditions{IfMatch: `"` + cur.ETag + `"`}, nil},
		{"If-Match in a list", "exists", object.WriteConditions{IfMatch: `"nope", ` + md5Hex("If-Match the current ETag")}, nil},
		{"If-Match *", "exists", object.WriteConditions{IfMatch: "*"}, nil},
		{"If-Match another ETag", "exists", object.WriteConditions{IfMatch: `"0123"`}, s3err.PreconditionFailed},
		{"If-Match on an absent key", "absent2", object.WriteConditions{IfMatch: "*"}, s3err.NoSuchKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.head("bkt", tc.key, "")
			v, err := e.tryPut("bkt", tc.key, tc.name, withCond(tc.cond))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("PutObject: %v", err)
				}
				if b := e.get("bkt", tc.key, ""); b != tc.name || e.mustHead("bkt", tc.key, "").VersionID != v.VersionID {
					t.Errorf("GET after a conditional write: %q", b)
				}
				return
			}
			wantCode(t, "PutObject", err, tc.want)
			after, _ := e.head("bkt", tc.key, "")
			if (before == nil) != (after == nil) || (before != nil && before.VersionID != after.VersionID) {
				t.Errorf("a refused conditional write changed the key: %+v -> %+v", before, after)
			}
		})
	}
}
