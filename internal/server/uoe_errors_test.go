package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/server"
)

// The messages of seed 003 (the S3 API reference for
// UpdateObjectEncryption), word for word.
const (
	msgUnencrypted       = "The UpdateObjectEncryption operation doesn't supported unencrypted source objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported."
	msgUnsupportedSource = "The UpdateObjectEncryption operation doesn't support source objects with the encryption type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or SSE-KMS are supported."
	msgUnsupportedTarget = "The UpdateObjectEncryption operation doesn't support updating the encryption type to DSSE-KMS or SSE-C. Modify the request to specify SSE-KMS for the updated encryption type, and then try again."
	msgSigV4             = "Requests that modify an object encryption configuration require Amazon Web Services Signature Version 4. Modify the request to use Amazon Web Services Signature Version 4, and then try again."
	msgInvalidTarget     = "Requests that modify an object encryption configuration require a valid new encryption type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated encryption type, and then try again."
	msgMissingARN        = "Requests that modify an object's encryption type to SSE-KMS require an Amazon Web Services KMS key Amazon Resource Name (ARN). Modify the request to specify a KMS key ARN, and then try again."
	msgInvalidARN        = "Requests that modify an object's encryption type to SSE-KMS require a valid Amazon Web Services KMS key Amazon Resource Name (ARN). Confirm that you have a correctly formatted KMS key ARN in your request, and then try again."
	msgBucketKey         = "The BucketKeyEnabled value isn't valid. Valid values are true or false. Modify the request to specify a valid value, and then try again."
	msgKeyAccount        = "The Amazon Web Services KMS key in the request must be owned by the same account as the bucket. Modify the request to specify a KMS key from the same account, and then try again."
	msgObjectLock        = "The encryption type for the specified object can\u2019t be updated because that object is protected by S3 Object Lock. If the object has a governance-mode retention period or a legal hold, you must first remove the Object Lock status on the object before you issue your UpdateObjectEncryption request. You can't use the UpdateObjectEncryption operation with objects that have an Object Lock compliance mode retention period applied to them."
)

// TestUOEErrors sends every refusal of UpdateObjectEncryption as a raw
// request and checks status, code, the exact message where S3 documents
// one, and that no refused request changed anything.
func TestUOEErrors(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	acct := ts.Root.AccountID
	mustBucket(t, c, "errs")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("errs"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	keyA, disabled := createKey(t, k), createKey(t, k)
	if _, err := k.DisableKey(cx, &kms.DisableKeyInput{KeyId: aws.String(disabled)}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateAlias(cx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(keyA)}); err != nil {
		t.Fatal(err)
	}
	keyID := keyA[strings.LastIndex(keyA, "/")+1:]
	missingKey := "arn:aws:kms:us-east-1:" + acct + ":key/00000000-0000-4000-8000-000000000000"
	otherAccount := "arn:aws:kms:us-east-1:111122223333:key/" + keyID
	if acct == "111122223333" {
		otherAccount = "arn:aws:kms:us-east-1:444455556666:key/" + keyID
	}

	data := []byte("refused updates change nothing")
	for _, key := range []string{"plain", "unencrypted", "held", "retained", "governed"} {
		put(t, c, "errs", key, data)
	}
	cKey, cMD5 := sseCKey(3)
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("ssec"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(cKey), SSECustomerKeyMD5: aws.String(cMD5)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("dsse"), Body: bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse, SSEKMSKeyId: aws.String(keyA)}); err != nil {
		t.Fatal(err)
	}
	// Object Lock state is set on the records directly: these tests are
	// about UpdateObjectEncryption's refusal, not the Object Lock APIs.
	setRecord := func(key string, fn func(v *kura.ObjectVersion)) {
		t.Helper()
		if _, err := ts.Objects.UpdateVersion(cx, "errs", key, "", func(v *kura.ObjectVersion) error { fn(v); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	future := time.Now().Add(time.Hour)
	setRecord("unencrypted", func(v *kura.ObjectVersion) { v.Encryption = kura.Encryption{} })
	setRecord("held", func(v *kura.ObjectVersion) { v.LegalHold, v.LegalHoldSet = true, true })
	setRecord("retained", func(v *kura.ObjectVersion) { v.Retention = &kura.Retention{Mode: "COMPLIANCE", Until: future} })
	setRecord("governed", func(v *kura.ObjectVersion) { v.Retention = &kura.Retention{Mode: "GOVERNANCE", Until: future} })
	put(t, c, "errs", "gone", data)
	del, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("errs"), Key: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	marker := aws.ToString(del.VersionId)

	good := sseKMSBody(keyA, "true")
	sseKMS := func(inner string) string { return uoeBody("<SSE-KMS>" + inner + "</SSE-KMS>") }
	cases := []struct {
		name   string
		path   string // under /errs/
		body   string
		hdr    map[string]string
		status int
		code   string
		msg    string // "" when S3 documents none
		header string // a response header that must be "true"
	}{
		{"unencrypted source", "unencrypted", good, nil, 400, "InvalidRequest", msgUnencrypted, ""},
		{"SSE-C source", "ssec", good, nil, 400, "InvalidRequest", msgUnsupportedSource, ""},
		{"DSSE-KMS source", "dsse", good, nil, 400, "InvalidRequest", msgUnsupportedSource, ""},
		{"DSSE-KMS target", "plain", uoeBody("<DSSE-KMS><KMSKeyArn>" + keyA + "</KMSKeyArn></DSSE-KMS>"), nil, 400, "InvalidRequest", msgUnsupportedTarget, ""},
		{"SSE-C target", "plain", uoeBody("<SSE-C/>"), nil, 400, "InvalidRequest", msgUnsupportedTarget, ""},
		{"SSE-S3 target", "plain", uoeBody("<SSE-S3/>"), nil, 400, "InvalidRequest", msgInvalidTarget, ""},
		{"empty ObjectEncryption", "plain", uoeBody(""), nil, 400, "InvalidRequest", msgInvalidTarget, ""},
		{"unknown member", "plain", uoeBody("<SSE-KMS-PLUS/>"), nil, 400, "InvalidRequest", msgInvalidTarget, ""},
		{"two members", "plain", uoeBody("<SSE-KMS><KMSKeyArn>" + keyA + "</KMSKeyArn></SSE-KMS><SSE-S3/>"), nil, 400, "InvalidRequest", msgInvalidTarget, ""},
		{"no KMSKeyArn", "plain", sseKMS("<BucketKeyEnabled>true</BucketKeyEnabled>"), nil, 400, "InvalidRequest", msgMissingARN, ""},
		{"empty KMSKeyArn", "plain", sseKMS("<KMSKeyArn></KMSKeyArn>"), nil, 400, "InvalidRequest", msgMissingARN, ""},
		{"key id", "plain", sseKMSBody(keyID, ""), nil, 400, "InvalidRequest", msgInvalidARN, ""},
		{"alias name", "plain", sseKMSBody("alias/app", ""), nil, 400, "InvalidRequest", msgInvalidARN, ""},
		{"alias ARN", "plain", sseKMSBody("arn:aws:kms:us-east-1:"+acct+":alias/app", ""), nil, 400, "InvalidRequest", msgInvalidARN, ""},
		{"ARN with a short account", "plain", sseKMSBody("arn:aws:kms:us-east-1:12345:key/"+keyID, ""), nil, 400, "InvalidRequest", msgInvalidARN, ""},
		{"S3 ARN", "plain", sseKMSBody("arn:aws:s3:::errs/plain", ""), nil, 400, "InvalidRequest", msgInvalidARN, ""},
		{"BucketKeyEnabled yes", "plain", sseKMSBody(keyA, "yes"), nil, 400, "InvalidRequest", msgBucketKey, ""},
		{"BucketKeyEnabled empty", "plain", sseKMS("<KMSKeyArn>" + keyA + "</KMSKeyArn><BucketKeyEnabled></BucketKeyEnabled>"), nil, 400, "InvalidRequest", msgBucketKey, ""},
		{"malformed XML", "plain", "<ObjectEncryption><SSE-KMS>", nil, 400, "MalformedXML", "", ""},
		{"wrong root element", "plain", "<ServerSideEncryptionConfiguration><SSE-KMS><KMSKeyArn>" + keyA + "</KMSKeyArn></SSE-KMS></ServerSideEncryptionConfiguration>", nil, 400, "MalformedXML", "", ""},
		{"empty body", "plain", "", nil, 400, "MalformedXML", "", ""},
		{"no Content-MD5 or checksum", "plain", good, map[string]string{"Content-MD5": ""}, 400, "InvalidRequest", "Missing required header for this request: Content-MD5 OR x-amz-checksum-*", ""},
		{"wrong Content-MD5", "plain", good, map[string]string{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, 400, "BadDigest", "", ""},
		{"another account's key", "plain", sseKMSBody(otherAccount, ""), nil, 403, "AccessDenied", msgKeyAccount, ""},
		{"legal hold", "held", good, nil, 403, "AccessDenied", msgObjectLock, ""},
		{"compliance retention", "retained", good, nil, 403, "AccessDenied", msgObjectLock, ""},
		{"governance retention (no bypass)", "governed", good, map[string]string{"x-amz-bypass-governance-retention": "true"}, 403, "AccessDenied", msgObjectLock, ""},
		{"expected bucket owner mismatch", "plain", good, map[string]string{"x-amz-expected-bucket-owner": "999988887777"}, 403, "AccessDenied", "", ""},
		{"missing key", "nope", good, nil, 404, "NoSuchKey", "", ""},
		{"current version is a delete marker", "gone", good, nil, 404, "NoSuchKey", "", "x-amz-delete-marker"},
		{"version id of a delete marker", "gone?versionId=" + marker, good, nil, 405, "MethodNotAllowed", "", "x-amz-delete-marker"},
		{"unknown version id", "plain?versionId=00000000000000000000000000000000", good, nil, 404, "NoSuchVersion", "", ""},
		{"key that does not exist", "plain", sseKMSBody(missingKey, ""), nil, 400, "KMS.NotFoundException", "", ""},
		{"disabled key", "plain", sseKMSBody(disabled, ""), nil, 400, "KMS.DisabledException", "", ""},
	}
	plainBefore := sealedKey(t, ts, "errs", "plain", "")
	before := ts.kmsCalls()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/errs/" + tc.path
			if strings.Contains(path, "?") {
				path += "&encryption"
			} else {
				path += "?encryption"
			}
			status, e, h := rawUOE(t, ts, path, tc.body, tc.hdr)
			if status != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%q), want %d %s", status, e.Code, e.Message, tc.status, tc.code)
			}
			if tc.msg != "" && e.Message != tc.msg {
				t.Fatalf("message:\n got %q\nwant %q", e.Message, tc.msg)
			}
			if tc.header != "" && h.Get(tc.header) != "true" {
				t.Fatalf("response header %s = %q, want true", tc.header, h.Get(tc.header))
			}
		})
	}
	if got := ts.kmsCalls() - before; got != 0 {
		t.Errorf("refused requests made %d KMS calls", got)
	}
	if diff := cmp.Diff(plainBefore, sealedKey(t, ts, "errs", "plain", "")); diff != "" {
		t.Errorf("refused requests changed the object (-before +after):\n%s", diff)
	}
	// Once the legal hold is lifted the same request succeeds.
	setRecord("held", func(v *kura.ObjectVersion) { v.LegalHold = false })
	if status, e, _ := rawUOE(t, ts, "/errs/held?encryption", good, nil); status != http.StatusOK {
		t.Fatalf("after lifting the legal hold: %d %s %s", status, e.Code, e.Message)
	}
}

// TestUOERequiresSigV4 sends UpdateObjectEncryption signed with Signature
// Version 2, in the Authorization header and as a presigned URL: both get
// S3's InvalidRequest. Other operations accept SigV2 (sigv2_test.go).
func TestUOERequiresSigV4(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sigv2")
	put(t, c, "sigv2", "k", []byte("x"))
	body := sseKMSBody("arn:aws:kms:us-east-1:"+ts.Root.AccountID+":key/00000000-0000-4000-8000-000000000000", "")
	for _, presign := range []bool{false, true} {
		status, e, _ := send(t, sigV2Request(t, ts, http.MethodPut, "/sigv2/k?encryption", body, presign))
		if status != http.StatusBadRequest || e.Code != "InvalidRequest" || e.Message != msgSigV4 {
			t.Fatalf("presigned=%v: got %d %s %q", presign, status, e.Code, e.Message)
		}
	}
	resp, err := http.DefaultClient.Do(sigV2Request(t, ts, http.MethodGet, "/sigv2/k", "", false))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != "x" {
		t.Fatalf("SigV2 GetObject: got %d %q, want 200 \"x\"", resp.StatusCode, got)
	}
}

// sigV2Request builds a request signed with AWS Signature Version 2
// (HMAC-SHA1 over method, Content-MD5, Content-Type, date and resource).
func sigV2Request(t *testing.T, ts *testServer, method, resource, body string, presign bool) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL()+resource, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var md string
	if body != "" {
		sum := md5.Sum([]byte(body))
		md = base64.StdEncoding.EncodeToString(sum[:])
		req.Header.Set("Content-MD5", md)
		req.Header.Set("Content-Type", "application/xml")
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	if presign {
		date = strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10)
	} else {
		req.Header.Set("Date", date)
	}
	mac := hmac.New(sha1.New, []byte(testSK))
	mac.Write([]byte(method + "\n" + md + "\n" + req.Header.Get("Content-Type") + "\n" + date + "\n" + resource))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if presign {
		sep := "?"
		if strings.Contains(resource, "?") {
			sep = "&"
		}
		u, err := url.Parse(ts.URL() + resource + sep + "AWSAccessKeyId=" + testAK + "&Expires=" + date + "&Signature=" + url.QueryEscape(sig))
		if err != nil {
			t.Fatal(err)
		}
		req.URL = u
	} else {
		req.Header.Set("Authorization", "AWS "+testAK+":"+sig)
	}
	return req
}

// TestUOEBucketKeyDefaultsToFalse: an omitted BucketKeyEnabled means false
// even in a bucket whose default encryption enables bucket keys, and an
// x-amz-checksum-crc32 header alone satisfies the integrity requirement.
func TestUOEBucketKeyDefaultsToFalse(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "bkdef")
	keyA := createKey(t, k)
	if _, err := c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: aws.String("bkdef"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyA)},
			BucketKeyEnabled:                   aws.Bool(true),
		}}}}); err != nil {
		t.Fatal(err)
	}
	data := randBytes(1000)
	put(t, c, "bkdef", "k", data)
	if got := headSSE(t, c, "bkdef", "k", ""); !got.BucketKey {
		t.Fatalf("bucket default not applied: %+v", got)
	}
	body := sseKMSBody(keyA, "")
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE([]byte(body)))
	status, e, _ := rawUOE(t, ts, "/bkdef/k?encryption", body, map[string]string{
		"Content-MD5": "", "x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": base64.StdEncoding.EncodeToString(crc[:])})
	if status != http.StatusOK {
		t.Fatalf("got %d %s %q", status, e.Code, e.Message)
	}
	if got := headSSE(t, c, "bkdef", "k", ""); got != (sseState{types.ServerSideEncryptionAwsKms, keyA, false}) {
		t.Fatalf("HEAD = %+v, want SSE-KMS without a bucket key", got)
	}
	if !bytes.Equal(get(t, c, "bkdef", "k"), data) {
		t.Fatal("data differs")
	}
	// Through the SDK, a missing object is NoSuchKey with its message.
	err := uoe(t, c, "bkdef", "absent", "", keyA, false)
	wantCode(t, err, "NoSuchKey")
	if errMessage(err) == "" {
		t.Fatal("NoSuchKey without a message")
	}
}

// --- raw requests --------------------------------------------------------

func uoeBody(inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><ObjectEncryption xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</ObjectEncryption>`
}

// sseKMSBody is a body asking for SSE-KMS under arn; bk is the literal
// BucketKeyEnabled text, or "" to leave the element out.
func sseKMSBody(arn, bk string) string {
	inner := "<KMSKeyArn>" + arn + "</KMSKeyArn>"
	if bk != "" {
		inner += "<BucketKeyEnabled>" + bk + "</BucketKeyEnabled>"
	}
	return uoeBody("<SSE-KMS>" + inner + "</SSE-KMS>")
}

// s3Error is an S3 error body.
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// rawUOE sends PUT path with body, signed with SigV4 and carrying
// Content-MD5 unless hdr sets it to "" (hdr entries are set before
// signing), and returns the status, the parsed error body and headers.
func rawUOE(t testing.TB, ts *testServer, path, body string, hdr map[string]string) (int, s3Error, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, ts.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(body))
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	h := sha256hex([]byte(body))
	req.Header.Set("x-amz-content-sha256", h)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, h, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) (int, s3Error, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e s3Error
	if len(b) > 0 {
		if err := xml.Unmarshal(b, &e); err != nil {
			t.Fatalf("status %d with a body that is not an S3 error: %q", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, e, resp.Header
}
