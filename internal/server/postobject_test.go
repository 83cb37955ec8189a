package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// Browser POST uploads (S3 POST Object), through the real wire: forms are
// built and signed here, independently of the server's code.

// formField is one form field, in order.
type formField struct{ name, value string }

// postForm is a POST upload: fields before the file, the file, and fields
// after it (which S3 ignores).
type postForm struct {
	fields   []formField
	filename string
	file     io.Reader
	after    []formField
	noFile   bool
}

// send posts the form to bucket, streaming it (the file is never held in
// memory here either).
func (f postForm) send(t *testing.T, ts *testServer, bucket string) *http.Response {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, fl := range f.fields {
				if err := mw.WriteField(fl.name, fl.value); err != nil {
					return err
				}
			}
			if !f.noFile {
				w, err := mw.CreateFormFile("file", f.filename)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, f.file); err != nil {
					return err
				}
			}
			for _, fl := range f.after {
				if err := mw.WriteField(fl.name, fl.value); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, ts.URL()+"/"+bucket, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	c := &http.Client{Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// signV4 returns the policy and SigV4 fields for a policy document with
// conditions, signed by ak/sk at now. The credential and date conditions
// are added, as SDKs do.
func signV4(ak, sk string, now, expires time.Time, conds ...any) []formField {
	date := now.UTC().Format("20060102")
	amzDate := now.UTC().Format("20060102T150405Z")
	cred := ak + "/" + date + "/us-east-1/s3/aws4_request"
	conds = append(conds,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": amzDate})
	doc, _ := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	return signPolicyV4(ak, sk, now, base64.StdEncoding.EncodeToString(doc))
}

// signPolicyV4 signs a base64 policy as it is, valid or not.
func signPolicyV4(ak, sk string, now time.Time, policy string) []formField {
	date := now.UTC().Format("20060102")
	amzDate := now.UTC().Format("20060102T150405Z")
	cred := ak + "/" + date + "/us-east-1/s3/aws4_request"
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac([]byte("AWS4"+sk), date)
	k = mac(k, "us-east-1")
	k = mac(k, "s3")
	k = mac(k, "aws4_request")
	return []formField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred}, {"x-amz-date", amzDate},
		{"policy", policy}, {"x-amz-signature", hex.EncodeToString(mac(k, policy))},
	}
}

// signV2 returns the policy and SigV2 fields.
func signV2(ak, sk string, expires time.Time, conds ...any) []formField {
	doc, _ := json.Marshal(map[string]any{"expiration": expires.UTC().Format(time.RFC3339), "conditions": conds})
	policy := base64.StdEncoding.EncodeToString(doc)
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(policy))
	return []formField{{"AWSAccessKeyId", ak}, {"policy", policy}, {"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

// eq is an exact-match condition.
func eq(field, v string) []string { return []string{"eq", "$" + field, v} }

// formOf puts object fields first, then the signature fields.
func formOf(obj []formField, sig []formField) []formField {
	return append(append([]formField{}, obj...), sig...)
}

// conditionsFor are eq conditions for every object field.
func conditionsFor(bucket string, obj []formField) []any {
	conds := []any{map[string]string{"bucket": bucket}}
	for _, f := range obj {
		conds = append(conds, eq(f.name, f.value))
	}
	return conds
}

func TestPostObjectSuccess(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	mustBucket(t, c, "forms")
	now := time.Now()
	exp := now.Add(time.Hour)
	ckey := bytes.Repeat([]byte{7}, 32)
	ckeyMD5 := md5.Sum(ckey)
	cases := []struct {
		name       string
		obj        []formField
		filename   string
		wantStatus int
		wantKey    string
		check      func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput)
	}{
		{name: "default 204", obj: []formField{{"key", "a/plain.txt"}}, wantStatus: 204, wantKey: "a/plain.txt"},
		{name: "200", obj: []formField{{"key", "two"}, {"success_action_status", "200"}}, wantStatus: 200, wantKey: "two"},
		{name: "201 document", obj: []formField{{"key", "created"}, {"success_action_status", "201"}}, wantStatus: 201, wantKey: "created",
			check: func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput) {
				var pr struct {
					Location, Bucket, Key, ETag string
				}
				b, _ := io.ReadAll(resp.Body)
				if err := xml.Unmarshal(b, &pr); err != nil {
					t.Fatalf("PostResponse %q: %v", b, err)
				}
				if pr.Bucket != "forms" || pr.Key != "created" || pr.ETag != aws.ToString(head.ETag) ||
					!strings.HasSuffix(pr.Location, "/forms/created") {
					t.Fatalf("PostResponse %+v, head ETag %s", pr, aws.ToString(head.ETag))
				}
			}},
		{name: "redirect 303", obj: []formField{{"key", "redir"}, {"success_action_redirect", "https://app.example/done?x=1"}},
			wantStatus: 303, wantKey: "redir",
			check: func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput) {
				u, err := url.Parse(resp.Header.Get("Location"))
				if err != nil || u.Host != "app.example" || u.Path != "/done" {
					t.Fatalf("Location %q", resp.Header.Get("Location"))
				}
				q := u.Query()
				if q.Get("x") != "1" || q.Get("bucket") != "forms" || q.Get("key") != "redir" || q.Get("etag") != aws.ToString(head.ETag) {
					t.Fatalf("redirect query %v", q)
				}
			}},
		// ${filename} substitution: TestSuitePostKeyFromFilename (the policy
		// sees the substituted key, so conditionsFor's eq cannot match).
		{name: "content headers and metadata", obj: []formField{{"key", "meta"}, {"Content-Type", "text/plain"},
			{"Cache-Control", "max-age=60"}, {"Content-Disposition", "inline"}, {"x-amz-meta-color", "blue"}},
			wantStatus: 204, wantKey: "meta",
			check: func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput) {
				if aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.CacheControl) != "max-age=60" ||
					aws.ToString(head.ContentDisposition) != "inline" || head.Metadata["color"] != "blue" {
					t.Fatalf("head %+v", head)
				}
			}},
		{name: "SSE-S3", obj: []formField{{"key", "s3enc"}, {"x-amz-server-side-encryption", "AES256"}}, wantStatus: 204, wantKey: "s3enc",
			check: func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput) {
				if resp.Header.Get("x-amz-server-side-encryption") != "AES256" || head.ServerSideEncryption != "AES256" {
					t.Fatalf("response SSE %q, head %q", resp.Header.Get("x-amz-server-side-encryption"), head.ServerSideEncryption)
				}
			}},
		{name: "SSE-KMS", obj: []formField{{"key", "kmsenc"}, {"x-amz-server-side-encryption", "aws:kms"}}, wantStatus: 204, wantKey: "kmsenc",
			check: func(t *testing.T, resp *http.Response, head *s3.HeadObjectOutput) {
				if resp.Header.Get("x-amz-server-side-encryption") != "aws:kms" || head.ServerSideEncryption != "aws:kms" ||
					aws.ToString(head.SSEKMSKeyId) == "" {
					t.Fatalf("response SSE %q, head %q %q", resp.Header.Get("x-amz-server-side-encryption"), head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId))
				}
			}},
		{name: "SSE-C", obj: []formField{{"key", "cenc"}, {"x-amz-server-side-encryption-customer-algorithm", "AES256"},
			{"x-amz-server-side-encryption-customer-key", base64.StdEncoding.EncodeToString(ckey)},
			{"x-amz-server-side-encryption-customer-key-MD5", base64.StdEncoding.EncodeToString(ckeyMD5[:])}},
			wantStatus: 204, wantKey: "cenc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := randBytes(3000)
			sig := signV4(testAK, testSK, now, exp, conditionsFor("forms", tc.obj)...)
			resp := postForm{fields: formOf(tc.obj, sig), filename: tc.filename, file: bytes.NewReader(data),
				after: []formField{{"ignored-after-file", "x"}}}.send(t, ts, "forms")
			if resp.StatusCode != tc.wantStatus {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, b)
			}
			var sseC func(*s3.GetObjectInput)
			headIn := &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String(tc.wantKey)}
			if tc.name == "SSE-C" {
				k, m := base64.StdEncoding.EncodeToString(ckey), base64.StdEncoding.EncodeToString(ckeyMD5[:])
				sseC = func(in *s3.GetObjectInput) {
					in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k), aws.String(m)
				}
				headIn.SSECustomerAlgorithm, headIn.SSECustomerKey, headIn.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k), aws.String(m)
				// Without the key the object does not read.
				if _, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("forms"), Key: aws.String(tc.wantKey)}); err == nil {
					t.Fatal("SSE-C object read without its key")
				}
			}
			var got []byte
			if sseC != nil {
				got = get(t, c, "forms", tc.wantKey, sseC)
			} else {
				got = get(t, c, "forms", tc.wantKey)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ from the %d posted", len(got), len(data))
			}
			head, err := c.HeadObject(ctx(t), headIn)
			if err != nil {
				t.Fatal(err)
			}
			// The ETag is the body's MD5 under SSE-S3; under SSE-KMS and
			// SSE-C it is opaque, as S3 makes it (not the MD5, which
			// would say something of the plaintext).
			e := resp.Header.Get("ETag")
			isMD5 := strings.Trim(e, `"`) == md5hex(data)
			opaque := tc.name == "SSE-KMS" || tc.name == "SSE-C"
			if e == "" || e != aws.ToString(head.ETag) || isMD5 == opaque {
				t.Fatalf("ETag %q, head %q, md5 %s (opaque wanted: %v)", e, aws.ToString(head.ETag), md5hex(data), opaque)
			}
			if tc.check != nil {
				tc.check(t, resp, head)
			}
		})
	}
	waitAudit(t, ts, func(ev audit.Event) bool {
		return ev.EventName == "PostObject" && ev.ErrorCode == "" && ev.RequestParameters["key"] == "a/plain.txt"
	})
}

func TestPostObjectSigV2(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "forms")
	obj := []formField{{"key", "v2"}}
	data := randBytes(100)
	sig := signV2(testAK, testSK, time.Now().Add(time.Hour), conditionsFor("forms", obj)...)
	resp := postForm{fields: formOf(obj, sig), file: bytes.NewReader(data)}.send(t, ts, "forms")
	if resp.StatusCode != 204 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if !bytes.Equal(get(t, c, "forms", "v2"), data) {
		t.Fatal("read back differs")
	}
	sig[2].value = base64.StdEncoding.EncodeToString(make([]byte, 20))
	resp = postForm{fields: formOf(obj, sig), file: bytes.NewReader(data)}.send(t, ts, "forms")
	wantPostError(t, resp, 403, "SignatureDoesNotMatch", "")
	// SSE-KMS needs SigV4, in a form as in a PUT.
	kmsObj := []formField{{"key", "v2kms"}, {"x-amz-server-side-encryption", "aws:kms"}}
	sig = signV2(testAK, testSK, time.Now().Add(time.Hour), conditionsFor("forms", kmsObj)...)
	resp = postForm{fields: formOf(kmsObj, sig), file: bytes.NewReader(data)}.send(t, ts, "forms")
	wantPostError(t, resp, 400, "InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.")
}

// wantPostError checks an S3 XML error response.
func wantPostError(t *testing.T, resp *http.Response, status int, code, msg string) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code, Message string }
	if err := xml.Unmarshal(b, &e); err != nil {
		t.Fatalf("status %d, body %q: %v", resp.StatusCode, b, err)
	}
	if resp.StatusCode != status || e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("got %d %s %q, want %d %s %q", resp.StatusCode, e.Code, e.Message, status, code, msg)
	}
}

func TestPostObjectRefused(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "forms")
	now := time.Now()
	exp := now.Add(time.Hour)
	base := []formField{{"key", "uploads/x"}}
	good := conditionsFor("forms", base)
	cases := []struct {
		name   string
		fields []formField
		file   []byte
		noFile bool
		status int
		code   string
		msg    string
	}{
		{name: "expired", fields: formOf(base, signV4(testAK, testSK, now, now.Add(-time.Minute), good...)),
			status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Policy expired."},
		{name: "extra field", fields: formOf(append(base, formField{"x-amz-meta-extra", "1"}), signV4(testAK, testSK, now, exp, good...)),
			status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
		{name: "eq fails", fields: formOf(base, signV4(testAK, testSK, now, exp, map[string]string{"bucket": "forms"}, eq("key", "other"))),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "other"]`},
		{name: "starts-with fails", fields: formOf(base, signV4(testAK, testSK, now, exp, map[string]string{"bucket": "forms"},
			[]string{"starts-with", "$key", "images/"})),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "images/"]`},
		{name: "wrong bucket", fields: formOf(base, signV4(testAK, testSK, now, exp, map[string]string{"bucket": "elsewhere"}, eq("key", "uploads/x"))),
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "elsewhere"]`},
		{name: "too large", fields: formOf(base, signV4(testAK, testSK, now, exp, append(good, []any{"content-length-range", 1, 10})...)),
			file: make([]byte, 11), status: 400, code: "EntityTooLarge"},
		{name: "too small", fields: formOf(base, signV4(testAK, testSK, now, exp, append(good, []any{"content-length-range", 5, 10})...)),
			file: make([]byte, 4), status: 400, code: "EntityTooSmall"},
		{name: "bad signature", fields: func() []formField {
			f := formOf(base, signV4(testAK, "wrong-secret", now, exp, good...))
			return f
		}(), status: 403, code: "SignatureDoesNotMatch"},
		{name: "unknown access key", fields: formOf(base, signV4("AKIANOBODY0000000000", testSK, now, exp, good...)),
			status: 403, code: "InvalidAccessKeyId"},
		{name: "missing key", fields: signV4(testAK, testSK, now, exp, map[string]string{"bucket": "forms"}),
			status: 400, code: "InvalidArgument",
			msg: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."},
		{name: "empty key", fields: formOf([]formField{{"key", ""}}, signV4(testAK, testSK, now, exp, map[string]string{"bucket": "forms"}, eq("key", ""))),
			status: 400, code: "InvalidArgument", msg: "User key must have a length greater than 0."},
		{name: "missing file", fields: formOf(base, signV4(testAK, testSK, now, exp, good...)), noFile: true,
			status: 400, code: "IncorrectNumberOfFilesInPostRequest"},
		{name: "anonymous", fields: base, status: 403, code: "AccessDenied"},
		{name: "bad policy", fields: formOf(base, signPolicyV4(testAK, testSK, now, base64.StdEncoding.EncodeToString([]byte("{not json")))),
			status: 400, code: "InvalidPolicyDocument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == nil {
				file = []byte("hello")
			}
			resp := postForm{fields: tc.fields, file: bytes.NewReader(file), noFile: tc.noFile}.send(t, ts, "forms")
			wantPostError(t, resp, tc.status, tc.code, tc.msg)
		})
	}
	// Nothing was written by any refused form.
	out, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("forms")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 0 {
		t.Fatalf("refused forms left %d objects", len(out.Contents))
	}
}

// TestPostObjectAuthorization: the form's signer needs s3:PutObject on the
// object, decided like a PUT (the bucket policy sees the form's SSE).
func TestPostObjectAuthorization(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.rootA
	rc := e.s3(root)
	mustBucket(t, rc, "forms")
	u := e.user(t, root, "uploader", allow("s3:PutObject arn:aws:s3:::forms/public/*"))
	now := time.Now()
	post := func(key string, extra ...formField) *http.Response {
		obj := append([]formField{{"key", key}}, extra...)
		sig := signV4(u.AccessKeyID, u.SecretAccessKey, now, now.Add(time.Hour), conditionsFor("forms", obj)...)
		return postForm{fields: formOf(obj, sig), file: strings.NewReader("data")}.send(t, e.ts, "forms")
	}
	if resp := post("public/ok"); resp.StatusCode != 204 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("allowed key: %d %s", resp.StatusCode, b)
	}
	wantPostError(t, post("private/no"), 403, "AccessDenied", "")
	e.putBucketPolicy(t, rc, "forms", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
		"Resource":"arn:aws:s3:::forms/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`)
	wantPostError(t, post("public/plain"), 403, "AccessDenied", "")
	if resp := post("public/kms", formField{"x-amz-server-side-encryption", "aws:kms"}); resp.StatusCode != 204 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("kms form under the policy: %d %s", resp.StatusCode, b)
	}
}

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct{ n, off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n-r.off {
		p = p[:r.n-r.off]
	}
	for i := range p {
		p[i] = byte((r.off + int64(i)) * 7 % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func TestPostObjectLarge(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "forms")
	const size = 50 << 20
	obj := []formField{{"key", "big"}}
	now := time.Now()
	sig := signV4(testAK, testSK, now, now.Add(time.Hour), append(conditionsFor("forms", obj), []any{"content-length-range", 0, size})...)
	resp := postForm{fields: formOf(obj, sig), file: &patternReader{n: size}}.send(t, ts, "forms")
	if resp.StatusCode != 204 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	want := md5.New()
	io.Copy(want, &patternReader{n: size})
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("forms"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got := md5.New()
	n, err := io.Copy(got, out.Body)
	if err != nil || n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read back %d bytes (err %v), md5 match %v", n, err, bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
	if e := strings.Trim(resp.Header.Get("ETag"), `"`); e != hex.EncodeToString(want.Sum(nil)) {
		t.Fatalf("ETag %s", e)
	}
}

// TestPostObjectObjectLock: the form's write is PutObject's (ops), with
// its Object Lock rules: into a bucket with a default retention the file
// needs a checksum field, and the version is retained.
func TestPostObjectObjectLock(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("locked-forms"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: aws.String("locked-forms"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	file := []byte("hello")
	bare := []formField{{"key", "kept"}}
	resp := postForm{fields: formOf(bare, signV4(testAK, testSK, now, exp, conditionsFor("locked-forms", bare)...)), file: bytes.NewReader(file)}.
		send(t, ts, "locked-forms")
	wantPostError(t, resp, 400, "InvalidRequest", "")

	sum := crc32.ChecksumIEEE(file)
	withSum := append(append([]formField(nil), bare...),
		formField{"x-amz-checksum-crc32", base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})})
	resp = postForm{fields: formOf(withSum, signV4(testAK, testSK, now, exp, conditionsFor("locked-forms", withSum)...)), file: bytes.NewReader(file)}.
		send(t, ts, "locked-forms")
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("locked-forms"), Key: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockRetainUntilDate == nil {
		t.Errorf("lock %q until %v, want the bucket's GOVERNANCE default", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
}
