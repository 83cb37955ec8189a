package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// POST uploads, presigned expiry and reads of missing keys as the s3-tests
// suite exercises them, checked against S3's behaviour through the wire.

// postBucket creates bucket with ACLs enabled (ObjectWriter) and the canned
// ACL acl ("" for private).
func postBucket(t *testing.T, c *s3.Client, bucket string, acl types.BucketCannedACL) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: acl,
		ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatal(err)
	}
}

func TestSuitePostAnonymous(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	postBucket(t, c, "open", types.BucketCannedACLPublicReadWrite)
	postBucket(t, c, "closed", "")
	tagging := "<Tagging><TagSet><Tag><Key>0</Key><Value>zero</Value></Tag><Tag><Key>1</Key><Value>one</Value></Tag></TagSet></Tagging>"
	form := func(key string, extra ...formField) postForm {
		fields := append([]formField{{"key", key}, {"acl", "public-read"}, {"Content-Type", "text/plain"}}, extra...)
		return postForm{fields: fields, filename: "f.txt", file: strings.NewReader("bar")}
	}

	// A form with neither policy nor signature writes to a bucket anyone
	// may write to, as the anonymous principal.
	resp := form("foo.txt", formField{"tagging", tagging}).send(t, ts, "open")
	if resp.StatusCode != 204 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("anonymous form to public-read-write: %d %s", resp.StatusCode, b)
	}
	if got := get(t, c, "open", "foo.txt"); string(got) != "bar" {
		t.Fatalf("stored %q", got)
	}
	tags, err := c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("open"), Key: aws.String("foo.txt")})
	if err != nil || len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[0].Value) != "zero" || aws.ToString(tags.TagSet[1].Value) != "one" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	// The form's acl applies: anyone may read the object.
	if status, code, body := anon(t, ts, "GET", "/open/foo.txt", ""); status != 200 || body != "bar" {
		t.Fatalf("anonymous GET of public-read object: %d %s %q", status, code, body)
	}

	// success_action_status 201 answers a PostResponse document; an
	// unknown status falls back to 204 with no body.
	resp = form("created.txt", formField{"success_action_status", "201"}).send(t, ts, "open")
	b, _ := io.ReadAll(resp.Body)
	var pr struct{ Bucket, Key string }
	if resp.StatusCode != 201 || xml.Unmarshal(b, &pr) != nil || pr.Key != "created.txt" || pr.Bucket != "open" {
		t.Fatalf("201 form: %d %s", resp.StatusCode, b)
	}
	resp = form("odd.txt", formField{"success_action_status", "404"}).send(t, ts, "open")
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("success_action_status 404: %d %q", resp.StatusCode, b)
	}

	// Nobody granted anonymous writes here: refused, nothing written.
	wantPostError(t, form("foo.txt").send(t, ts, "closed"), 403, "AccessDenied", "Access Denied")
	out, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("closed")})
	if err != nil || len(out.Contents) != 0 {
		t.Fatalf("refused anonymous form wrote: %+v %v", out, err)
	}
	// A policy without a signature is still refused as incomplete.
	wantPostError(t, form("x", formField{"policy", "e30="}).send(t, ts, "open"), 400, "InvalidArgument", "")
}

func TestSuitePostPolicyKeysCaseSensitive(t *testing.T) {
	t.Parallel()
	ts := start(t)
	mustBucket(t, ts.client(), "forms")
	now := time.Now()
	exp := now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	conds := []any{map[string]string{"bucket": "forms"}, []string{"starts-with", "$key", "foo"},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": testAK + "/" + now.UTC().Format("20060102") + "/us-east-1/s3/aws4_request"},
		map[string]string{"x-amz-date": now.UTC().Format("20060102T150405Z")}}
	for _, tc := range []struct {
		name string
		doc  map[string]any
		msg  string
	}{
		{"CONDITIONS", map[string]any{"expiration": exp, "CONDITIONS": conds}, "Invalid Policy: Policy missing conditions."},
		{"EXPIRATION", map[string]any{"EXPIRATION": exp, "conditions": conds}, "Invalid Policy: Policy missing expiration."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := json.Marshal(tc.doc)
			sig := signPolicyV4(testAK, testSK, now, base64.StdEncoding.EncodeToString(doc))
			resp := postForm{fields: formOf([]formField{{"key", "foo.txt"}}, sig), file: strings.NewReader("bar")}.send(t, ts, "forms")
			wantPostError(t, resp, 400, "InvalidPolicyDocument", tc.msg)
		})
	}
}

func TestSuitePostKeyFromFilename(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "forms")
	now := time.Now()
	exp := now.Add(time.Hour)
	bucket := map[string]string{"bucket": "forms"}
	for _, tc := range []struct {
		name, key, filename string
		cond                any
		wantKey             string // "" when the policy refuses the form
	}{
		{"whole key from the file name", "${filename}", "foo.txt", []string{"starts-with", "$key", "foo"}, "foo.txt"},
		{"prefix as SDKs sign it", "uploads/${filename}", "photo.jpg", []string{"starts-with", "$key", "uploads/"}, "uploads/photo.jpg"},
		{"exact match on the substituted key", "uploads/${filename}", "photo.jpg", eq("key", "uploads/photo.jpg"), "uploads/photo.jpg"},
		{"the file name is checked", "${filename}", "bar.txt", []string{"starts-with", "$key", "foo"}, ""},
		{"the literal variable is not the key", "uploads/${filename}", "photo.jpg", eq("key", "uploads/${filename}"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := signV4(testAK, testSK, now, exp, bucket, tc.cond)
			resp := postForm{fields: formOf([]formField{{"key", tc.key}}, sig), filename: tc.filename,
				file: strings.NewReader("bar")}.send(t, ts, "forms")
			if tc.wantKey == "" {
				wantPostError(t, resp, 403, "AccessDenied", "")
				return
			}
			if resp.StatusCode != 204 {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if got := get(t, c, "forms", tc.wantKey); string(got) != "bar" {
				t.Fatalf("%s holds %q", tc.wantKey, got)
			}
		})
	}
}

func TestSuitePostRedirectQueryOrder(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "forms")
	now := time.Now()
	const target = "http://example.com/done"
	obj := []formField{{"key", "foo.txt"}, {"success_action_redirect", target}}
	sig := signV4(testAK, testSK, now, now.Add(time.Hour), conditionsFor("forms", obj)...)
	resp := postForm{fields: formOf(obj, sig), file: strings.NewReader("bar")}.send(t, ts, "forms")
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String("foo.txt")})
	if err != nil {
		t.Fatal(err)
	}
	// bucket, key, etag: the order S3 appends them in.
	want := target + "?bucket=forms&key=foo.txt&etag=" + url.QueryEscape(aws.ToString(head.ETag))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("redirect %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestSuitePostBucketDefaultEncryption: a form that names no encryption is
// sealed as the bucket's default encryption says, as a PUT would be.
func TestSuitePostBucketDefaultEncryption(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	keyARN := createKey(t, ts.kmsClient())
	now := time.Now()
	for _, tc := range []struct {
		bucket string
		rule   types.ServerSideEncryptionByDefault
		want   types.ServerSideEncryption
		keyID  string
	}{
		{"dflt-s3", types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}, types.ServerSideEncryptionAes256, ""},
		{"dflt-kms", types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
			types.ServerSideEncryptionAwsKms, keyARN},
	} {
		t.Run(tc.bucket, func(t *testing.T) {
			mustBucket(t, c, tc.bucket)
			rule := tc.rule
			if _, err := c.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: aws.String(tc.bucket),
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
					Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &rule}}}}); err != nil {
				t.Fatal(err)
			}
			obj := []formField{{"key", "foo.txt"}, {"Content-Type", "text/plain"}}
			sig := signV4(testAK, testSK, now, now.Add(time.Hour), conditionsFor(tc.bucket, obj)...)
			resp := postForm{fields: formOf(obj, sig), file: strings.NewReader("bar")}.send(t, ts, tc.bucket)
			if resp.StatusCode != 204 || resp.Header.Get("x-amz-server-side-encryption") != string(tc.want) {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, SSE %q: %s", resp.StatusCode, resp.Header.Get("x-amz-server-side-encryption"), b)
			}
			out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String("foo.txt")})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(body) != "bar" || out.ServerSideEncryption != tc.want || aws.ToString(out.SSEKMSKeyId) != tc.keyID {
				t.Fatalf("GET: %q, SSE %q key %q", body, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
			}
		})
	}
}

// TestSuitePostMissingKeyListable: a read of a missing key is 404 to a
// caller who may list the bucket (here anyone, through the bucket ACL's
// READ) and 403 to one who may not.
func TestSuitePostMissingKeyListable(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	postBucket(t, c, "listable", types.BucketCannedACLPublicRead)
	postBucket(t, c, "unlisted", "")
	for _, b := range []string{"listable", "unlisted"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("here"),
			Body: bytes.NewReader([]byte("x")), ACL: types.ObjectCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/listable/missing", 404, "NoSuchKey"},
		{"HEAD", "/listable/missing", 404, ""},
		{"GET", "/listable/here", 200, ""},
		{"GET", "/unlisted/missing", 403, "AccessDenied"},
		{"GET", "/unlisted/here", 200, ""},
		// Listing does not extend to writes or to ACL reads.
		{"PUT", "/listable/missing", 403, "AccessDenied"},
		{"GET", "/listable/missing?acl", 403, "AccessDenied"},
	} {
		body := ""
		if tc.method == "PUT" {
			body = "data"
		}
		if status, code, _ := anon(t, ts, tc.method, tc.path, body); status != tc.status || code != tc.code {
			t.Errorf("anonymous %s %s: %d %s, want %d %s", tc.method, tc.path, status, code, tc.status, tc.code)
		}
	}
}

// TestSuitePostPresignExpires: X-Amz-Expires=0 is a URL that expired as it
// was signed (403), not a malformed one; out-of-range values are 400s.
func TestSuitePostPresignExpires(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "pre")
	put(t, c, "pre", "foo", []byte("x"))
	presign := func(expires string) *http.Request {
		r, _ := http.NewRequest("GET", ts.URL()+"/pre/foo?X-Amz-Expires="+expires, nil)
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCreds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := http.NewRequest("GET", u, nil)
		return r2
	}
	for _, tc := range []struct {
		expires string
		status  int
		code    string
	}{
		{"100000", 200, ""},
		{"0", 403, "AccessDenied"},
		{"-7", 400, "AuthorizationQueryParametersError"},
		{"609901", 400, "AuthorizationQueryParametersError"},
	} {
		if status, code := errorCode(t, presign(tc.expires)); status != tc.status || code != tc.code {
			t.Errorf("X-Amz-Expires=%s: %d %s, want %d %s", tc.expires, status, code, tc.status, tc.code)
		}
	}
}
