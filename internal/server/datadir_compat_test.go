package server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// TestDataDirFromKuraBinary: a data directory written by a kura binary
// opens in this code and answers every read exactly as that binary did,
// byte for byte: bucket configurations, listings, objects under every SSE
// type, versions, delete markers, a multipart object, Object Lock state,
// and an upload in progress, which this code then completes.
//
// The binary is KURA_COMPAT_BIN when set — build it from an older commit
// to prove that commit's data directories still work (records it wrote
// must stay readable, whatever this code writes) — and otherwise this
// tree's own build.
func TestDataDirFromKuraBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds and runs the kura binary")
	}
	bin := os.Getenv("KURA_COMPAT_BIN")
	if bin == "" {
		bin = buildKura(t)
	}
	dir := filepath.Join(t.TempDir(), "data")
	// The binary writes to the stores startWith opens after it: the
	// embedded ones, or PostgreSQL (and the shared blob dir) under
	// KURA_TEST_META=postgres and KURA_TEST_NODES.
	p := startKura(t, bin, dir, 0, append(storeFlags(t, dir), "--allow-insecure-sse-c")...)
	c := p.s3Client()
	k := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	pending := populateCompat(t, c, createKey(t, k))
	before := snapshotCompat(t, p.url, pending)
	if p.cmd.Process.Signal(os.Interrupt) == nil {
		p.cmd.Wait()
	}
	p.kill()

	ts := startWith(t, dir, func(c *server.Config) { c.AllowInsecureSSEC = true })
	after := snapshotCompat(t, ts.URL(), pending)
	if len(after) != len(before) {
		t.Fatalf("%d reads after, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("read %d differs\nbinary: %s\nthis:   %s", i, before[i], after[i])
		}
	}

	// The upload the binary started completes here, with its part. It is a
	// COMPOSITE CRC32 upload, so the request names the part's checksum, as
	// S3 requires.
	nc := ts.client()
	crc := crc32.ChecksumIEEE(compatPart)
	partCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	if _, err := nc.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("compat-full"), Key: aws.String("pending"), UploadId: aws.String(pending),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(compatPartETag),
			ChecksumCRC32: aws.String(partCRC)}}},
	}); err != nil {
		t.Fatalf("complete the binary's upload: %v", err)
	}
	out, err := nc.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("compat-full"), Key: aws.String("pending")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(body, compatPart) {
		t.Errorf("completed upload reads %d bytes, want the part's %d", len(body), len(compatPart))
	}
	checkCompatVersionOrder(t, nc)
}

// checkCompatVersionOrder: versions written by this code go on top of the
// binary's (whose order may have come from its clock), on a key with
// versions and on one whose current version is a delete marker, and their
// ids keep the format.
func checkCompatVersionOrder(t *testing.T, c *s3.Client) {
	t.Helper()
	b := aws.String("compat-full")
	for _, key := range []string{"versioned", "deleted"} {
		before, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		var old []string
		for _, v := range before.Versions {
			old = append(old, aws.ToString(v.VersionId))
		}
		for _, m := range before.DeleteMarkers {
			old = append(old, aws.ToString(m.VersionId))
		}
		body := "written after the upgrade to " + key
		p, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader(body),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(p.VersionId)
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
			t.Errorf("version id %q: want 32 hex characters", id)
		}
		if got := string(get(t, c, "compat-full", key)); got != body {
			t.Errorf("GET %s after a new write: %q", key, got)
		}
		after, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Versions) == 0 || aws.ToString(after.Versions[0].VersionId) != id || !aws.ToBool(after.Versions[0].IsLatest) {
			t.Fatalf("%s: the new version %s is not the latest in the listing", key, id)
		}
		for _, v := range after.Versions[1:] {
			if aws.ToBool(v.IsLatest) {
				t.Errorf("%s: old version %s still says IsLatest", key, aws.ToString(v.VersionId))
			}
		}
		for _, m := range after.DeleteMarkers {
			if aws.ToBool(m.IsLatest) {
				t.Errorf("%s: delete marker %s still says IsLatest", key, aws.ToString(m.VersionId))
			}
		}
		if n := len(after.Versions) + len(after.DeleteMarkers); n != len(old)+1 {
			t.Errorf("%s: %d versions after one more write, had %d", key, n, len(old))
		}
	}
}

var (
	compatPart     = bytes.Repeat([]byte("part-"), 1<<20) // 5 MiB: a part that need not be the last
	compatPartETag = fmt.Sprintf(`"%x"`, md5.Sum(compatPart))
	compatSSECKey  = bytes.Repeat([]byte{7}, 32)
	compatSSEC     = map[string]string{
		"x-amz-server-side-encryption-customer-algorithm": "AES256",
		"x-amz-server-side-encryption-customer-key":       base64.StdEncoding.EncodeToString(compatSSECKey),
		"x-amz-server-side-encryption-customer-key-md5":   func() string { s := md5.Sum(compatSSECKey); return base64.StdEncoding.EncodeToString(s[:]) }(),
	}
)

// populateCompat writes what the snapshot reads and returns the id of an
// upload left in progress.
func populateCompat(t *testing.T, c *s3.Client, keyARN string) string {
	t.Helper()
	cx := ctx(t)
	must := func(what string, _ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	b := aws.String("compat-full")
	o, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: b, ObjectLockEnabledForBucket: aws.Bool(true),
		ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred})
	must("create bucket", o, err)
	mustBucket(t, c, "compat-min")
	o2, err := c.PutBucketTagging(cx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("kura")}}}})
	must("bucket tags", o2, err)
	o3, err := c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{BucketKeyEnabled: aws.Bool(true), ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
			SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)}}}}})
	must("bucket encryption", o3, err)
	o4, err := c.PutObjectLockConfiguration(cx, &s3.PutObjectLockConfigurationInput{Bucket: b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}})
	must("lock configuration", o4, err)
	o5, err := c.PutBucketAcl(cx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	must("bucket acl", o5, err)
	o6, err := c.PutPublicAccessBlock(cx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false), IgnorePublicAcls: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true)}})
	must("public access block", o6, err)
	o7, err := c.PutBucketPolicy(cx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::compat-full"}]}`)})
	must("bucket policy", o7, err)
	o8, err := c.PutBucketLifecycleConfiguration(cx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: compatLifecycleInput()})
	must("lifecycle", o8, err)
	o9, err := c.PutBucketCors(cx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		ID: aws.String("all"), AllowedHeaders: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}, AllowedOrigins: []string{"https://a.example"},
		ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(300)}}}})
	must("cors", o9, err)

	put := func(in *s3.PutObjectInput, body string) {
		t.Helper()
		in.Body = strings.NewReader(body)
		if in.ChecksumAlgorithm == "" {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 // Object Lock's default retention asks for one
		}
		o, err := c.PutObject(cx, in)
		must("put "+aws.ToString(in.Key), o, err)
	}
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("headers"), ContentType: aws.String("text/plain"), CacheControl: aws.String("no-cache"),
		ContentDisposition: aws.String("attachment"), ContentLanguage: aws.String("en"), Metadata: map[string]string{"color": "blue"},
		Tagging: aws.String("k=v&x=y"), ServerSideEncryption: types.ServerSideEncryptionAes256, ChecksumAlgorithm: types.ChecksumAlgorithmSha256}, "with headers")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("kms"), ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSEncryptionContext: aws.String(base64.StdEncoding.EncodeToString([]byte(`{"p":"q"}`)))}, "SSE-KMS with the bucket default key and a bucket key")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("dsse"), ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse, SSEKMSKeyId: aws.String(keyARN)}, "two layers")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("ssec"), SSECustomerAlgorithm: aws.String("AES256"),
		SSECustomerKey: aws.String(compatSSEC["x-amz-server-side-encryption-customer-key"]), SSECustomerKeyMD5: aws.String(compatSSEC["x-amz-server-side-encryption-customer-key-md5"])}, "customer key")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("versioned")}, "first")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("versioned")}, "second")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("deleted")}, "gone")
	o10, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("deleted")})
	must("delete marker", o10, err)
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("held"), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn,
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(48 * time.Hour).Truncate(time.Second))}, "locked")
	put(&s3.PutObjectInput{Bucket: b, Key: aws.String("cold"), StorageClass: types.StorageClassGlacier}, "archived")
	put(&s3.PutObjectInput{Bucket: aws.String("compat-min"), Key: aws.String("plain")}, "plain")

	mpu := func(key string) (string, *s3.UploadPartOutput) {
		t.Helper()
		cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String(key),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, Metadata: map[string]string{"m": "1"}, Tagging: aws.String("t=1")})
		must("create upload "+key, cr, err)
		up, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: b, Key: aws.String(key), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader(compatPart), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		must("upload part "+key, up, err)
		return aws.ToString(cr.UploadId), up
	}
	id, up := mpu("multipart")
	up2, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: b, Key: aws.String("multipart"), UploadId: aws.String(id), PartNumber: aws.Int32(2),
		Body: strings.NewReader("tail"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	must("upload part 2", up2, err)
	o11, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("multipart"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32},
			{PartNumber: aws.Int32(2), ETag: up2.ETag, ChecksumCRC32: up2.ChecksumCRC32}}}})
	must("complete", o11, err)
	pending, _ := mpu("pending")
	return pending
}

// compatLifecycleInput sets every kind of element, all of them far in the
// future so that no lifecycle run acts during the test.
func compatLifecycleInput() *types.BucketLifecycleConfiguration {
	return &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
		ID: aws.String("and"), Status: types.ExpirationStatusEnabled,
		Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("logs/"),
			Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}, ObjectSizeGreaterThan: aws.Int64(10)}},
		Expiration:                   &types.LifecycleExpiration{Days: aws.Int32(3650)},
		Transitions:                  []types.Transition{{Days: aws.Int32(3000), StorageClass: types.TransitionStorageClassGlacier}},
		NoncurrentVersionTransitions: []types.NoncurrentVersionTransition{{NoncurrentDays: aws.Int32(3000), StorageClass: types.TransitionStorageClassDeepArchive, NewerNoncurrentVersions: aws.Int32(2)}},
		NoncurrentVersionExpiration:  &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(3650)},
	}, {
		ID: aws.String("legacy"), Status: types.ExpirationStatusDisabled, Prefix: aws.String("old/"),
		Expiration:                     &types.LifecycleExpiration{Date: aws.Time(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(3650)},
	}}}
}

// snapshotCompat reads everything populateCompat wrote, as raw signed
// requests, and renders each answer (status, the headers that are not
// per-request, body) as one line.
func snapshotCompat(t *testing.T, base, pending string) []string {
	t.Helper()
	reads := []compatReadSpec{{path: "/"}}
	for _, q := range []string{"versioning", "tagging", "encryption", "lifecycle", "cors", "policy", "ownershipControls", "acl",
		"publicAccessBlock", "object-lock", "versions", "list-type=2", "uploads", "location"} {
		reads = append(reads, compatReadSpec{path: "/compat-full?" + q})
	}
	for _, p := range []string{"/compat-min?list-type=2", "/compat-min/plain", "/compat-full/ssec?tagging"} {
		reads = append(reads, compatReadSpec{path: p})
	}
	for _, key := range []string{"headers", "kms", "dsse", "versioned", "deleted", "held", "cold", "multipart"} {
		for _, q := range []string{"", "?tagging", "?acl", "?retention", "?legal-hold", "?attributes"} {
			hdr := map[string]string(nil)
			if q == "?attributes" {
				hdr = map[string]string{"x-amz-object-attributes": "ETag,Checksum,ObjectParts,StorageClass,ObjectSize"}
			}
			reads = append(reads, compatReadSpec{path: "/compat-full/" + key + q, hdr: hdr})
		}
	}
	reads = append(reads,
		compatReadSpec{path: "/compat-full/ssec", hdr: compatSSEC},
		compatReadSpec{path: "/compat-full/pending?uploadId=" + pending},
		compatReadSpec{path: "/compat-full/multipart?partNumber=1"})
	var out []string
	for _, r := range reads {
		out = append(out, compatRead(t, base, r.path, r.hdr))
	}
	return out
}

// compatReadSpec is one GET of the snapshot: a path with its query, and
// request headers.
type compatReadSpec struct {
	path string
	hdr  map[string]string
}

// perRequest are the headers, and requestIDs the elements of error
// bodies, that differ between two answers to one read.
var (
	perRequest = []string{"Date", "X-Amz-Request-Id", "X-Amz-Id-2"}
	requestIDs = regexp.MustCompile(`<(RequestId|HostId)>[^<]*</(?:RequestId|HostId)>`)
)

func compatRead(t *testing.T, base, path string, hdr map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("x-amz-content-sha256", empty)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, empty, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode >= 500 {
		t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var h []string
	for k, vs := range resp.Header {
		if !slices.Contains(perRequest, k) {
			h = append(h, k+": "+strings.Join(vs, ","))
		}
	}
	slices.Sort(h)
	body = requestIDs.ReplaceAll(body, []byte("<$1>…</$1>"))
	return fmt.Sprintf("GET %s → %d [%s] %q", path, resp.StatusCode, strings.Join(h, "; "), body)
}
