package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Buckets made, configured and deleted from the console, and the object
// edits S3 makes with a copy onto the object itself, checked over S3.

func TestConsoleBucketLifecycle(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	key, err := ts.kms().CreateKey(ctx(t), &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := *key.KeyMetadata.Arn
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
		code string
	}{
		{"plain", map[string]any{"name": "plain"}, 200, ""},
		{"versioned under KMS", map[string]any{"name": "vkms", "versioning": true,
			"encryption": map[string]any{"type": "SSE-KMS", "kmsKeyId": keyARN, "bucketKey": true}}, 200, ""},
		{"object lock", map[string]any{"name": "locked", "objectLock": true}, 200, ""},
		{"bad name", map[string]any{"name": "Bad_Name"}, 400, "InvalidBucketName"},
		{"unknown encryption", map[string]any{"name": "x1", "encryption": map[string]any{"type": "ROT13"}}, 400, "InvalidArgument"},
		{"malformed KMS key id", map[string]any{"name": "partly", "encryption": map[string]any{"type": "SSE-KMS", "kmsKeyId": "aws/s3"}}, 409, "BucketCreatedPartly"},
	} {
		code, body := b.do("POST", "/console/api/buckets", tc.body)
		if code != tc.want || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, body, tc.want, tc.code)
		}
	}
	v, err := c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("vkms")})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("vkms versioning %v %v", v, err)
	}
	e, err := c.GetBucketEncryption(ctx(t), &s3.GetBucketEncryptionInput{Bucket: aws.String("vkms")})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.ServerSideEncryptionConfiguration.Rules[0]; r.ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKms ||
		aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != keyARN || !aws.ToBool(r.BucketKeyEnabled) {
		t.Errorf("vkms encryption %+v", r)
	}
	if l, err := c.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("locked")}); err != nil ||
		l.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		t.Errorf("locked: %v %v", l, err)
	}
	// Settings read back and edited.
	var s struct {
		Versioning string
		Encryption *struct {
			Type      string
			KMSKeyID  string `json:"kmsKeyId"`
			BucketKey bool
		}
		ObjectLock struct{ Enabled bool }
	}
	b.json("GET", "/console/api/bucket?bucket=locked", nil, 200, &s)
	if s.Versioning != "Enabled" || !s.ObjectLock.Enabled || s.Encryption != nil {
		t.Errorf("locked settings %+v", s)
	}
	b.json("PUT", "/console/api/bucket/versioning?bucket=plain", map[string]string{"status": "Enabled"}, 200, nil)
	b.json("PUT", "/console/api/bucket/encryption?bucket=plain", map[string]any{"type": "DSSE-KMS", "kmsKeyId": keyARN}, 200, nil)
	b.json("GET", "/console/api/bucket?bucket=plain", nil, 200, &s)
	if s.Versioning != "Enabled" || s.ObjectLock.Enabled || s.Encryption == nil || s.Encryption.Type != "DSSE-KMS" || s.Encryption.KMSKeyID != keyARN {
		t.Errorf("plain settings %+v %+v", s, s.Encryption)
	}
	if code, body := b.do("PUT", "/console/api/bucket/versioning?bucket=locked", map[string]string{"status": "Suspended"}); code != 409 || !strings.Contains(string(body), "InvalidBucketState") {
		t.Errorf("suspending versioning under Object Lock: %d %s", code, body)
	}
	if code, body := b.do("GET", "/console/api/bucket?bucket=nope", nil); code != 404 || !strings.Contains(string(body), "NoSuchBucket") {
		t.Errorf("settings of a missing bucket: %d %s", code, body)
	}
	// Deletion: a bucket with objects is refused as S3 refuses it.
	b.json("PUT", "/console/api/object?bucket=vkms&key=a", []byte("a"), 200, nil)
	if code, body := b.do("DELETE", "/console/api/bucket?bucket=vkms", nil); code != 409 || !strings.Contains(string(body), "BucketNotEmpty") {
		t.Errorf("deleting a bucket with objects: %d %s", code, body)
	}
	b.json("DELETE", "/console/api/bucket?bucket=partly", nil, 200, nil)
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("partly")}); err == nil {
		t.Error("partly still exists")
	}
	// Another principal acts with its own permissions only.
	rak, rsk := ts.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketVersioning"],"Resource":"*"}]}`)
	r := ts.browser(t)
	r.signIn(rak, rsk)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/console/api/buckets", map[string]any{"name": "readers"}},
		{"DELETE", "/console/api/bucket?bucket=plain", nil},
		{"PUT", "/console/api/bucket/versioning?bucket=plain", map[string]string{"status": "Suspended"}},
		{"PUT", "/console/api/bucket/encryption?bucket=plain", map[string]string{"type": "SSE-S3"}},
	} {
		if code, body := r.do(tc.method, tc.path, tc.body); code != 403 || !strings.Contains(string(body), "AccessDenied") {
			t.Errorf("reader %s %s: %d %s, want 403", tc.method, tc.path, code, body)
		}
	}
}

func TestConsoleObjectEdits(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	key, err := ts.kms().CreateKey(ctx(t), &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := *key.KeyMetadata.Arn
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("vault"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	// Stored under a KMS key the bucket default (SSE-S3) does not name.
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("doc.txt"), Body: strings.NewReader("secret"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "ann"}, Tagging: aws.String("t=1"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	head := func() *s3.HeadObjectOutput {
		t.Helper()
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("vault"), Key: aws.String("doc.txt")})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	keeps := func(what string, h *s3.HeadObjectOutput) {
		t.Helper()
		if h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN || aws.ToString(h.ContentType) != "text/plain" {
			t.Errorf("after %s: encryption %s %s, content type %s; want the source's", what, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), aws.ToString(h.ContentType))
		}
	}
	// Storage class: a copy onto itself, a new version, same encryption.
	b.json("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", map[string]any{"storageClass": "STANDARD_IA"}, 200, nil)
	h := head()
	if h.StorageClass != types.StorageClassStandardIa || h.Metadata["owner"] != "ann" {
		t.Errorf("after the class change: %s %v", h.StorageClass, h.Metadata)
	}
	keeps("the class change", h)
	// User metadata replaced; the class stays.
	b.json("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", map[string]any{"metadata": map[string]string{"owner": "bob", "dept": "x"}}, 200, nil)
	h = head()
	if h.Metadata["owner"] != "bob" || h.Metadata["dept"] != "x" || h.StorageClass != types.StorageClassStandardIa {
		t.Errorf("after the metadata edit: %v %s", h.Metadata, h.StorageClass)
	}
	keeps("the metadata edit", h)
	// Content headers replaced, user metadata kept when not named.
	b.json("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", map[string]any{"headers": map[string]string{
		"contentType": "text/markdown", "cacheControl": "max-age=60", "contentDisposition": `attachment; filename="doc.md"`}}, 200, nil)
	h = head()
	if aws.ToString(h.ContentType) != "text/markdown" || aws.ToString(h.CacheControl) != "max-age=60" ||
		aws.ToString(h.ContentDisposition) != `attachment; filename="doc.md"` || h.Metadata["owner"] != "bob" ||
		h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN {
		t.Errorf("after the header edit: type %s, cache %s, disposition %s, metadata %v, encryption %s",
			aws.ToString(h.ContentType), aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition), h.Metadata, h.ServerSideEncryption)
	}
	tags, err := c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("vault"), Key: aws.String("doc.txt")})
	if err != nil || len(tags.TagSet) != 1 {
		t.Errorf("tags after the copies: %v %v", tags, err)
	}
	for _, tc := range []struct {
		name string
		body any
		want int
		code string
	}{
		{"nothing to change", map[string]any{}, 400, "MalformedRequest"},
		{"unknown class", map[string]any{"storageClass": "COLD"}, 400, "InvalidStorageClass"},
	} {
		if code, body := b.do("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", tc.body); code != tc.want || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, body, tc.want, tc.code)
		}
	}
	// Object Lock: retention and legal hold.
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	b.json("PUT", "/console/api/object/retention?bucket=vault&key=doc.txt", map[string]any{"mode": "GOVERNANCE", "until": until}, 200, nil)
	b.json("PUT", "/console/api/object/legalhold?bucket=vault&key=doc.txt", map[string]any{"on": true}, 200, nil)
	var d struct {
		Retention struct {
			Mode  string
			Until time.Time
		}
		LegalHold bool
	}
	b.json("GET", "/console/api/object?bucket=vault&key=doc.txt", nil, 200, &d)
	if d.Retention.Mode != "GOVERNANCE" || !d.Retention.Until.Equal(until) || !d.LegalHold {
		t.Errorf("lock %+v", d)
	}
	for _, tc := range []struct {
		name, path string
		body       any
		want       int
		code       string
	}{
		{"past date", "retention", map[string]any{"mode": "GOVERNANCE", "until": time.Now().Add(-time.Hour)}, 400, "InvalidArgument"},
		{"unknown mode", "retention", map[string]any{"mode": "FOREVER", "until": until}, 400, "MalformedXML"},
		{"shorten without bypass", "retention", map[string]any{"mode": "GOVERNANCE", "until": until.Add(-time.Hour)}, 403, "AccessDenied"},
	} {
		if code, body := b.do("PUT", "/console/api/object/"+tc.path+"?bucket=vault&key=doc.txt", tc.body); code != tc.want || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, body, tc.want, tc.code)
		}
	}
	b.json("PUT", "/console/api/object/retention?bucket=vault&key=doc.txt", map[string]any{"mode": "", "bypassGovernance": true}, 200, nil)
	b.json("PUT", "/console/api/object/legalhold?bucket=vault&key=doc.txt", map[string]any{"on": false}, 200, nil)
	d.Retention.Mode, d.LegalHold = "", true
	b.json("GET", "/console/api/object?bucket=vault&key=doc.txt", nil, 200, &d)
	if d.Retention.Mode != "" || d.LegalHold {
		t.Errorf("lock after removal %+v", d)
	}
	// A principal without s3:PutObject cannot copy; the audit trail has the console's CopyObject.
	rak, rsk := ts.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"*"}]}`)
	r := ts.browser(t)
	r.signIn(rak, rsk)
	// s3:GetObject and s3:PutObject (in a versioned bucket too), and the
	// KMS key's use, are what a copy onto itself needs.
	wak, wsk := ts.user(t, "writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}]}`)
	wr := ts.browser(t)
	wr.signIn(wak, wsk)
	wr.json("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", map[string]any{"storageClass": "STANDARD"}, 200, nil)
	if h := head(); h.StorageClass != "" || aws.ToString(h.SSEKMSKeyId) != keyARN {
		t.Errorf("after the writer's class change: %q %s", h.StorageClass, aws.ToString(h.SSEKMSKeyId))
	}
	if code, body := r.do("POST", "/console/api/object/copy?bucket=vault&key=doc.txt", map[string]any{"storageClass": "STANDARD"}); code != 403 {
		t.Errorf("reader copies: %d %s", code, body)
	}
	if code, body := r.do("PUT", "/console/api/object/legalhold?bucket=vault&key=doc.txt", map[string]any{"on": true}); code != 403 {
		t.Errorf("reader holds: %d %s", code, body)
	}
	var ev struct{ Events []struct{ EventName string } }
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.json("GET", "/console/api/audit?action=CopyObject&bucket=vault", nil, 200, &ev)
		if len(ev.Events) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(ev.Events) < 2 {
		t.Errorf("audit CopyObject events %+v", ev.Events)
	}
}
