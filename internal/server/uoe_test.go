package server_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/server"
)

// UpdateObjectEncryption (SPEC §1) through the wire.

// uoeInput is an UpdateObjectEncryption request to SSE-KMS with keyARN;
// versionID "" targets the current version.
func uoeInput(bucket, key, versionID, keyARN string, bucketKey bool) *s3.UpdateObjectEncryptionInput {
	in := &s3.UpdateObjectEncryptionInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{
			KMSKeyArn: aws.String(keyARN), BucketKeyEnabled: aws.Bool(bucketKey)}}}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	return in
}

// uoe calls UpdateObjectEncryption with the SDK; versionID "" targets the
// current version.
func uoe(t testing.TB, c *s3.Client, bucket, key, versionID, keyARN string, bucketKey bool) error {
	t.Helper()
	_, err := c.UpdateObjectEncryption(ctx(t), uoeInput(bucket, key, versionID, keyARN, bucketKey))
	return err
}

// mustUOE is uoe that must succeed; it returns the S3 request id.
func mustUOE(t testing.TB, c *s3.Client, bucket, key, versionID, keyARN string, bucketKey bool) string {
	t.Helper()
	out, err := c.UpdateObjectEncryption(ctx(t), uoeInput(bucket, key, versionID, keyARN, bucketKey))
	if err != nil {
		t.Fatalf("UpdateObjectEncryption %s/%s?versionId=%s → %s (bucket key %v): %v", bucket, key, versionID, keyARN, bucketKey, err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return id
}

// sseState is what HEAD says about an object's encryption.
type sseState struct {
	Type      types.ServerSideEncryption
	KeyARN    string
	BucketKey bool
}

func headSSE(t testing.TB, c *s3.Client, bucket, key, versionID string) sseState {
	t.Helper()
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := c.HeadObject(ctx(t), in)
	if err != nil {
		t.Fatalf("head %s/%s?versionId=%s: %v", bucket, key, versionID, err)
	}
	return sseState{out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled)}
}

// objectView is everything a client can observe about an object version
// except its encryption: UpdateObjectEncryption must leave all of it alone.
type objectView struct {
	// Body and Ranged are SHA-256 hex digests of the full and the ranged
	// GET (cmp is slow on megabytes).
	Body, Ranged                       string
	ETag, LastModified, VersionID      string
	CRC32, CRC32C, SHA1, SHA256, CRC64 string
	ChecksumType                       types.ChecksumType
	ContentType, CacheControl          string
	Metadata                           map[string]string
	StorageClass                       types.StorageClass
	Tags                               []string // key=value
	ContentLength, RangedContentLength int64
	ContentRange, PartsCount           string
}

// view reads a version in full (checksum mode enabled), one range of it,
// its HEAD and its tags.
func view(t testing.TB, c *s3.Client, bucket, key, versionID, rng string) objectView {
	t.Helper()
	cx := ctx(t)
	var vid *string
	if versionID != "" {
		vid = aws.String(versionID)
	}
	full, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid,
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	body, err := io.ReadAll(full.Body)
	full.Body.Close()
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	part, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid, Range: aws.String(rng)})
	if err != nil {
		t.Fatalf("ranged get %s/%s: %v", bucket, key, err)
	}
	ranged, err := io.ReadAll(part.Body)
	part.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid, PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := c.GetObjectTagging(cx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: vid})
	if err != nil {
		t.Fatal(err)
	}
	return objectView{
		Body: sha256hex(body), Ranged: sha256hex(ranged),
		ETag: aws.ToString(full.ETag), LastModified: full.LastModified.UTC().Format(time.RFC3339), VersionID: aws.ToString(full.VersionId),
		CRC32: aws.ToString(full.ChecksumCRC32), CRC32C: aws.ToString(full.ChecksumCRC32C), SHA1: aws.ToString(full.ChecksumSHA1),
		SHA256: aws.ToString(full.ChecksumSHA256), CRC64: aws.ToString(full.ChecksumCRC64NVME), ChecksumType: full.ChecksumType,
		ContentType: aws.ToString(full.ContentType), CacheControl: aws.ToString(full.CacheControl), Metadata: full.Metadata,
		StorageClass: head.StorageClass, Tags: tagStrings(tags.TagSet),
		ContentLength: aws.ToInt64(full.ContentLength), RangedContentLength: aws.ToInt64(part.ContentLength),
		ContentRange: aws.ToString(part.ContentRange), PartsCount: itoa(int(aws.ToInt32(head.PartsCount))),
	}
}

func tagStrings(tags []types.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

// blobFile is a blob file's content hash and modification time.
type blobFile struct {
	SHA256 [32]byte
	MTime  time.Time
	Size   int64
}

// blobFiles finds, under the data dir, the blob files holding a version's
// data (named by the blob ids of its metadata record).
func blobFiles(t testing.TB, ts *testServer, bucket, key, versionID string) map[string]blobFile {
	t.Helper()
	v, err := ts.Objects.Head(ctx(t), bucket, key, versionID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, id := range v.BlobIDs() {
		want[id] = true
	}
	out := map[string]blobFile{}
	err = filepath.WalkDir(blobDir(t, ts.dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !want[d.Name()] {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = blobFile{SHA256: sha256.Sum256(b), MTime: fi.ModTime(), Size: fi.Size()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(want) || len(out) == 0 {
		t.Fatalf("found %d blob files for %d blob ids of %s/%s", len(out), len(want), bucket, key)
	}
	return out
}

// sealedKey is the version record's encryption block, read through the
// object service (the wire never shows it).
func sealedKey(t testing.TB, ts *testServer, bucket, key, versionID string) kura.Encryption {
	t.Helper()
	v, err := ts.Objects.Head(ctx(t), bucket, key, versionID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Encryption
}

// TestUOESeedTransitions walks the transition table of seed 000: the three
// supported changes succeed and are visible on HEAD with the data intact;
// the four refused ones get S3's InvalidRequest messages.
func TestUOESeedTransitions(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c, k := ts.client(), ts.kmsClient()
	mustBucket(t, c, "table")
	keyA, keyB := createKey(t, k), createKey(t, k)
	data := randBytes(200_000)
	cKey, cMD5 := sseCKey(9)
	putWith := func(key string, apply func(*s3.PutObjectInput)) {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: aws.String("table"), Key: aws.String(key), Body: bytes.NewReader(data)}
		apply(in)
		if _, err := c.PutObject(ctx(t), in); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	sseS3 := func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }
	kmsA := func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(keyA)
	}

	supported := []struct {
		name   string
		put    func(*s3.PutObjectInput)
		keyARN string
		bk     bool
	}{
		{"SSE-S3 to SSE-KMS", sseS3, keyA, false},
		{"SSE-KMS to SSE-KMS with another key", kmsA, keyB, false},
		{"SSE-KMS without to with a bucket key", kmsA, keyA, true},
	}
	for _, tc := range supported {
		t.Run(tc.name, func(t *testing.T) {
			putWith(tc.name, tc.put)
			mustUOE(t, c, "table", tc.name, "", tc.keyARN, tc.bk)
			want := sseState{types.ServerSideEncryptionAwsKms, tc.keyARN, tc.bk}
			if got := headSSE(t, c, "table", tc.name, ""); got != want {
				t.Fatalf("HEAD after update = %+v, want %+v", got, want)
			}
			if got := get(t, c, "table", tc.name); !bytes.Equal(got, data) {
				t.Fatal("data differs after the update")
			}
		})
	}

	// Kura never stores unencrypted objects; an unencrypted version (as an
	// older store might hold) is made by clearing the record's block.
	putWith("unencrypted", sseS3)
	if _, err := ts.Objects.UpdateVersion(ctx(t), "table", "unencrypted", "", func(v *kura.ObjectVersion) error {
		v.Encryption = kura.Encryption{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	putWith("sse-c", func(in *s3.PutObjectInput) {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(cKey), aws.String(cMD5)
	})
	putWith("dsse", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String(keyA)
	})
	putWith("to-sse-s3", kmsA)
	refused := []struct {
		name, key, body, msg string
	}{
		{"unencrypted to SSE-KMS", "unencrypted", sseKMSBody(keyA, ""), msgUnencrypted},
		{"SSE-C to SSE-KMS", "sse-c", sseKMSBody(keyA, ""), msgUnsupportedSource},
		{"DSSE-KMS to SSE-KMS", "dsse", sseKMSBody(keyA, ""), msgUnsupportedSource},
		{"SSE-KMS to SSE-S3", "to-sse-s3", uoeBody("<SSE-S3/>"), msgInvalidTarget},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := sealedKey(t, ts, "table", tc.key, "")
			st, e, _ := rawUOE(t, ts, "/table/"+tc.key+"?encryption", tc.body, nil)
			if st != http.StatusBadRequest || e.Code != "InvalidRequest" || e.Message != tc.msg {
				t.Fatalf("got %d %s %q, want 400 InvalidRequest %q", st, e.Code, e.Message, tc.msg)
			}
			if diff := cmp.Diff(before, sealedKey(t, ts, "table", tc.key, "")); diff != "" {
				t.Fatalf("a refused update changed the record (-before +after):\n%s", diff)
			}
		})
	}
}

// TestUOEPreservesEverythingButTheSeal runs the chain SSE-S3 → KMS key A →
// key B → bucket key on → off on a single-part and a multipart object and
// checks after every step that GET (full and ranged, with checksums), HEAD
// and tags are identical, no version was added, and the blob files are
// byte-identical with unchanged mtimes: only the sealed key changes.
func TestUOEPreservesEverythingButTheSeal(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "keep")
	keyA, keyB := createKey(t, k), createKey(t, k)

	single := randBytes(3*65536 + 1234)
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("keep"), Key: aws.String("single"), Body: bytes.NewReader(single),
		ServerSideEncryption: types.ServerSideEncryptionAes256, ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ContentType: aws.String("application/x-test"), CacheControl: aws.String("max-age=60"),
		Metadata: map[string]string{"owner": "kura"}, Tagging: aws.String("team=storage&tier=gold")}); err != nil {
		t.Fatal(err)
	}
	multi, parts, id := uploadParts(t, c, "keep", "multi", types.ChecksumAlgorithmCrc32, 5*mib, 5*mib, 777_777)
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("keep"), Key: aws.String("multi"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	objects := []struct {
		key, rng string
		data     []byte
	}{
		{"single", "bytes=65530-131080", single},
		// The range crosses the boundary between parts 1 and 2.
		{"multi", "bytes=5242000-5243999", multi},
	}
	type snapshot struct {
		view  objectView
		blobs map[string]blobFile
	}
	before := map[string]snapshot{}
	for _, o := range objects {
		v := view(t, c, "keep", o.key, "", o.rng)
		if v.Body != sha256hex(o.data) {
			t.Fatalf("%s: initial GET differs", o.key)
		}
		before[o.key] = snapshot{v, blobFiles(t, ts, "keep", o.key, "")}
	}
	if before["single"].view.SHA256 == "" || before["multi"].view.CRC32 == "" {
		t.Fatalf("objects carry no checksum to compare: %+v", before)
	}
	steps := []struct {
		keyARN string
		bk     bool
	}{{keyA, false}, {keyB, false}, {keyB, true}, {keyB, false}, {keyA, true}}
	for i, step := range steps {
		for _, o := range objects {
			seal := sealedKey(t, ts, "keep", o.key, "")
			mustUOE(t, c, "keep", o.key, "", step.keyARN, step.bk)
			if got, want := headSSE(t, c, "keep", o.key, ""), (sseState{types.ServerSideEncryptionAwsKms, step.keyARN, step.bk}); got != want {
				t.Fatalf("step %d %s: HEAD = %+v, want %+v", i, o.key, got, want)
			}
			if bytes.Equal(seal.SealedKey, sealedKey(t, ts, "keep", o.key, "").SealedKey) {
				t.Fatalf("step %d %s: the sealed key did not change", i, o.key)
			}
			if diff := cmp.Diff(before[o.key].view, view(t, c, "keep", o.key, "", o.rng)); diff != "" {
				t.Fatalf("step %d %s: object changed (-before +after):\n%s", i, o.key, diff)
			}
			if diff := cmp.Diff(before[o.key].blobs, blobFiles(t, ts, "keep", o.key, "")); diff != "" {
				t.Fatalf("step %d %s: blob files changed (-before +after):\n%s", i, o.key, diff)
			}
		}
	}
	vs, err := c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("keep")})
	if err != nil || len(vs.Versions) != 2 {
		t.Fatalf("versions after the chain = %d, %v; want the 2 original ones", len(vs.Versions), err)
	}
}

// TestUOEMultipartPartsFollowTheNewKey proves that re-sealing the one data
// key re-keys every part: after moving a multipart object from key A to
// key B, disabling A does not affect reads of any part, and disabling B
// stops all of them.
func TestUOEMultipartPartsFollowTheNewKey(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "mpukeys")
	keyA, keyB := createKey(t, k), createKey(t, k)
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpukeys"), Key: aws.String("m"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyA)})
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	var parts []types.CompletedPart
	for i, n := range []int{5 * mib, 5 * mib, 4321} {
		p := randBytes(n)
		data = append(data, p...)
		out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpukeys"), Key: aws.String("m"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpukeys"), Key: aws.String("m"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	mustUOE(t, c, "mpukeys", "m", "", keyB, false)
	if _, err := k.DisableKey(cx, &kms.DisableKeyInput{KeyId: aws.String(keyA)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "mpukeys", "m"); !bytes.Equal(got, data) {
		t.Fatal("multipart object differs after re-keying with the old key disabled")
	}
	for n := int32(1); n <= 3; n++ {
		out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpukeys"), Key: aws.String("m"), PartNumber: aws.Int32(n)})
		if err != nil {
			t.Fatalf("part %d with key A disabled: %v", n, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		off := int(n-1) * 5 * mib
		if !bytes.Equal(b, data[off:off+len(b)]) || len(b) == 0 {
			t.Fatalf("part %d differs", n)
		}
	}
	if _, err := k.DisableKey(cx, &kms.DisableKeyInput{KeyId: aws.String(keyB)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpukeys"), Key: aws.String("m"), PartNumber: aws.Int32(3)})
	wantCode(t, err, "KMS.DisabledException")
}

// TestUOEVersionedBucket updates an old and the current version
// independently, by version id and by default, without creating versions.
func TestUOEVersionedBucket(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "vers")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("vers"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	keyA, keyB := createKey(t, k), createKey(t, k)
	oldData, curData := randBytes(70_000), randBytes(80_000)
	v1 := aws.ToString(put(t, c, "vers", "doc", oldData).VersionId)
	v2 := aws.ToString(put(t, c, "vers", "doc", curData).VersionId)

	mustUOE(t, c, "vers", "doc", v1, keyA, false)
	if got := headSSE(t, c, "vers", "doc", v1); got != (sseState{types.ServerSideEncryptionAwsKms, keyA, false}) {
		t.Fatalf("old version after update = %+v", got)
	}
	if got := headSSE(t, c, "vers", "doc", v2); got != (sseState{types.ServerSideEncryptionAes256, "", false}) {
		t.Fatalf("updating the old version touched the current one: %+v", got)
	}
	mustUOE(t, c, "vers", "doc", "", keyB, true)
	if got := headSSE(t, c, "vers", "doc", v2); got != (sseState{types.ServerSideEncryptionAwsKms, keyB, true}) {
		t.Fatalf("current version after update = %+v", got)
	}
	if got := headSSE(t, c, "vers", "doc", v1); got != (sseState{types.ServerSideEncryptionAwsKms, keyA, false}) {
		t.Fatalf("updating the current version touched the old one: %+v", got)
	}
	for vid, want := range map[string][]byte{v1: oldData, v2: curData} {
		if got := get(t, c, "vers", "doc", func(in *s3.GetObjectInput) { in.VersionId = aws.String(vid) }); !bytes.Equal(got, want) {
			t.Fatalf("version %s differs", vid)
		}
	}
	vs, err := c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	if diff := cmp.Diff([]string{v2, v1}, ids); diff != "" || !aws.ToBool(vs.Versions[0].IsLatest) {
		t.Fatalf("versions changed (-want +got):\n%s", diff)
	}
}

// TestUOEArchivedObject re-keys a GLACIER and a DEEP_ARCHIVE object without
// a restore: HEAD shows the new key, the storage class is unchanged, the
// object stays archived and the blob untouched; a later restore reads the
// original bytes under the new key.
func TestUOEArchivedObject(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) {
		c.RestoreDelay = -1 // restores complete at once
		c.InlineMax = -1    // the test follows the blob files (TestInlineObjects: inline data under UOE)
	})
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "cold")
	keyA := createKey(t, k)
	for _, class := range []types.StorageClass{types.StorageClassGlacier, types.StorageClassDeepArchive} {
		key := string(class)
		data := randBytes(10_000)
		if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("cold"), Key: aws.String(key),
			Body: bytes.NewReader(data), StorageClass: class}); err != nil {
			t.Fatal(err)
		}
		blobs := blobFiles(t, ts, "cold", key, "")
		mustUOE(t, c, "cold", key, "", keyA, true)
		out, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("cold"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if out.StorageClass != class || aws.ToString(out.SSEKMSKeyId) != keyA || !aws.ToBool(out.BucketKeyEnabled) {
			t.Fatalf("%s after update: class %s, key %s, bucket key %v", class, out.StorageClass, aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled))
		}
		if out.Restore != nil {
			t.Fatalf("%s: the update started a restore: %s", class, aws.ToString(out.Restore))
		}
		if diff := cmp.Diff(blobs, blobFiles(t, ts, "cold", key, "")); diff != "" {
			t.Fatalf("%s: blob files changed:\n%s", class, diff)
		}
		_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("cold"), Key: aws.String(key)})
		wantCode(t, err, "InvalidObjectState")

		if _, err := c.RestoreObject(cx, &s3.RestoreObjectInput{Bucket: aws.String("cold"), Key: aws.String(key),
			RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}}); err != nil {
			t.Fatalf("%s: restore: %v", class, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("cold"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(aws.ToString(out.Restore), `ongoing-request="false"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: restore not done: %q", class, aws.ToString(out.Restore))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := get(t, c, "cold", key); !bytes.Equal(got, data) {
			t.Fatalf("%s: restored object differs", class)
		}
	}
}

// TestUOEIdempotent: asking for the state an object is already in
// succeeds, re-seals (the sealed key changes) and leaves it readable.
func TestUOEIdempotent(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	mustBucket(t, c, "again")
	keyA := createKey(t, k)
	data := randBytes(5000)
	put(t, c, "again", "k", data)
	for _, bk := range []bool{false, false, true, true} {
		seal := sealedKey(t, ts, "again", "k", "")
		mustUOE(t, c, "again", "k", "", keyA, bk)
		if bytes.Equal(seal.SealedKey, sealedKey(t, ts, "again", "k", "").SealedKey) {
			t.Fatal("the repeated update did not re-seal")
		}
		if got := headSSE(t, c, "again", "k", ""); got != (sseState{types.ServerSideEncryptionAwsKms, keyA, bk}) {
			t.Fatalf("HEAD = %+v", got)
		}
		if !bytes.Equal(get(t, c, "again", "k"), data) {
			t.Fatal("data differs")
		}
	}
}
