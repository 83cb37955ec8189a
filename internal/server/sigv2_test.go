package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kurastore/kura/internal/audit"
)

// AWS Signature Version 2 through the wire. The signer here is written
// from the S3 user guide (RESTAuthentication), independently of
// internal/sigv4; TestSigV2Boto3 adds botocore's own signer.

// v2Error is an S3 error body with the SigV2-specific elements.
type v2Error struct {
	Code              string
	Message           string
	StringToSign      string
	SignatureProvided string
	AWSAccessKeyId    string
	Expires           string
	ServerTime        string
}

// v2Resp is a response read to the end.
type v2Resp struct {
	status int
	header http.Header
	body   []byte
	err    v2Error
}

func doV2(t *testing.T, req *http.Request) v2Resp {
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
	out := v2Resp{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 300 && len(b) > 0 {
		if err := xml.Unmarshal(b, &out.err); err != nil {
			t.Fatalf("status %d with a body that is not an S3 error: %q", resp.StatusCode, b)
		}
	}
	return out
}

// v2StringToSign is the user guide's StringToSign. resource is the
// CanonicalizedResource, given by the caller: deciding it is part of what
// is under test.
func v2StringToSign(method string, h http.Header, date, resource string) string {
	var amz []string
	for name, vals := range h {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			amz = append(amz, l+":"+strings.Join(vals, ","))
		}
	}
	slices.Sort(amz)
	s := method + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") + "\n" + date + "\n"
	for _, a := range amz {
		s += a + "\n"
	}
	return s + resource
}

func v2Signature(secret, sts string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	io.WriteString(mac, sts)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// v2Request builds a request to ts, signed in the Authorization header with
// ak/sk at time at. hdr entries are set before signing.
func v2Request(t *testing.T, ts *testServer, ak, sk, method, target, resource string, body []byte, hdr map[string]string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL()+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	date := at.UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+ak+":"+v2Signature(sk, v2StringToSign(method, req.Header, date, resource)))
	return req
}

// v2PresignURL is a query-string-authenticated URL for GET target.
func v2PresignURL(ts *testServer, ak, sk, target, resource string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := v2Signature(sk, v2StringToSign(http.MethodGet, http.Header{}, exp, resource))
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	return ts.URL() + target + sep + "AWSAccessKeyId=" + url.QueryEscape(ak) + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
}

func contentMD5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestSigV2ObjectRoundTrip: PUT, GET (with a signed response override),
// virtual-host style, and DELETE, each signed with SigV2.
func TestSigV2ObjectRoundTrip(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sigv2")
	now := time.Now()
	data := []byte("signed with version 2")

	r := doV2(t, v2Request(t, ts, testAK, testSK, http.MethodPut, "/sigv2/dir/a%20b.txt", "/sigv2/dir/a%20b.txt", data,
		map[string]string{"Content-MD5": contentMD5(data), "Content-Type": "text/plain", "x-amz-meta-color": "blue"}, now))
	if r.status != http.StatusOK || r.header.Get("ETag") == "" {
		t.Fatalf("PUT: %d %+v", r.status, r.err)
	}
	// The SDK (SigV4) sees what the V2 client stored.
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("sigv2"), Key: aws.String("dir/a b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, data) || out.Metadata["color"] != "blue" || aws.ToString(out.ContentType) != "text/plain" {
		t.Fatalf("SDK GET: %q %v %q", got, out.Metadata, aws.ToString(out.ContentType))
	}

	// A response override is a sub-resource: signed, and honoured.
	r = doV2(t, v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2/dir/a%20b.txt?response-content-type=application%2Fjson",
		"/sigv2/dir/a%20b.txt?response-content-type=application/json", nil, nil, now))
	if r.status != http.StatusOK || !bytes.Equal(r.body, data) || r.header.Get("Content-Type") != "application/json" ||
		r.header.Get("x-amz-meta-color") != "blue" {
		t.Fatalf("GET: %d %q %v %+v", r.status, r.body, r.header, r.err)
	}
	// Leaving the sub-resource out of the signature fails.
	r = doV2(t, v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2/dir/a%20b.txt?response-content-type=application%2Fjson",
		"/sigv2/dir/a%20b.txt", nil, nil, now))
	if r.status != http.StatusForbidden || r.err.Code != "SignatureDoesNotMatch" {
		t.Fatalf("GET with unsigned sub-resource: %d %+v", r.status, r.err)
	}

	// Virtual-host style: the bucket comes from Host and leads the resource.
	req := v2Request(t, ts, testAK, testSK, http.MethodPut, "/vh", "/sigv2/vh", []byte("vh"), nil, now)
	req.Host = "sigv2.localhost:" + req.URL.Port()
	if r := doV2(t, req); r.status != http.StatusOK {
		t.Fatalf("virtual-host PUT: %d %+v", r.status, r.err)
	}
	if got := get(t, c, "sigv2", "vh"); string(got) != "vh" {
		t.Fatalf("virtual-host object %q", got)
	}

	r = doV2(t, v2Request(t, ts, testAK, testSK, http.MethodDelete, "/sigv2/dir/a%20b.txt", "/sigv2/dir/a%20b.txt", nil, nil, now))
	if r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %+v", r.status, r.err)
	}
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("sigv2"), Key: aws.String("dir/a b.txt")})
	wantCode(t, err, "NotFound")
}

// TestSigV2Presigned: a query-string URL works until it expires; a wrong
// signature or a changed key does not.
func TestSigV2Presigned(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sigv2q")
	put(t, c, "sigv2q", "k", []byte("presigned"))

	get := func(u string) v2Resp {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return doV2(t, req)
	}
	if r := get(v2PresignURL(ts, testAK, testSK, "/sigv2q/k", "/sigv2q/k", time.Now().Add(time.Minute))); r.status != http.StatusOK ||
		string(r.body) != "presigned" {
		t.Fatalf("presigned GET: %d %q %+v", r.status, r.body, r.err)
	}

	past := time.Now().Add(-time.Minute).Truncate(time.Second)
	r := get(v2PresignURL(ts, testAK, testSK, "/sigv2q/k", "/sigv2q/k", past))
	if r.status != http.StatusForbidden || r.err.Code != "AccessDenied" || r.err.Message != "Request has expired" ||
		r.err.Expires != past.UTC().Format(time.RFC3339) || r.err.ServerTime == "" {
		t.Fatalf("expired: %d %+v", r.status, r.err)
	}

	r = get(v2PresignURL(ts, testAK, "not-the-secret", "/sigv2q/k", "/sigv2q/k", time.Now().Add(time.Minute)))
	if r.status != http.StatusForbidden || r.err.Code != "SignatureDoesNotMatch" || r.err.AWSAccessKeyId != testAK ||
		!strings.HasSuffix(r.err.StringToSign, "\n/sigv2q/k") || r.err.SignatureProvided == "" {
		t.Fatalf("wrong secret: %d %+v", r.status, r.err)
	}
	if strings.Contains(string(r.body), testSK) {
		t.Fatal("error body carries the secret key")
	}

	// A URL signed for one key does not open another.
	u := v2PresignURL(ts, testAK, testSK, "/sigv2q/k", "/sigv2q/k", time.Now().Add(time.Minute))
	put(t, c, "sigv2q", "other", []byte("other"))
	if r := get(strings.Replace(u, "/sigv2q/k?", "/sigv2q/other?", 1)); r.status != http.StatusForbidden || r.err.Code != "SignatureDoesNotMatch" {
		t.Fatalf("other key: %d %+v", r.status, r.err)
	}
}

// TestSigV2Errors: the answers S3 gives to bad SigV2 requests.
func TestSigV2Errors(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sigv2e")
	put(t, c, "sigv2e", "k", []byte("x"))
	now := time.Now()
	noDate := v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2e/k", "/sigv2e/k", nil, nil, now)
	noDate.Header.Del("Date")
	malformed := v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2e/k", "/sigv2e/k", nil, nil, now)
	malformed.Header.Set("Authorization", "AWS HAHAHA")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
		msg    string
	}{
		{"skewed date", v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2e/k", "/sigv2e/k", nil, nil, now.Add(-20*time.Minute)),
			http.StatusForbidden, "RequestTimeTooSkewed", ""},
		{"no date", noDate, http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
		{"unknown key", v2Request(t, ts, "AKIDUNKNOWN000000000", testSK, http.MethodGet, "/sigv2e/k", "/sigv2e/k", nil, nil, now),
			http.StatusForbidden, "InvalidAccessKeyId", ""},
		{"malformed header", malformed, http.StatusBadRequest, "InvalidArgument", ""},
		{"unsigned x-amz header", func() *http.Request {
			r := v2Request(t, ts, testAK, testSK, http.MethodPut, "/sigv2e/k", "/sigv2e/k", []byte("y"), nil, now)
			r.Header.Set("x-amz-acl", "public-read")
			return r
		}(), http.StatusForbidden, "SignatureDoesNotMatch", ""},
		{"SSE-KMS needs SigV4", v2Request(t, ts, testAK, testSK, http.MethodPut, "/sigv2e/kms", "/sigv2e/kms", []byte("y"),
			map[string]string{"x-amz-server-side-encryption": "aws:kms"}, now),
			http.StatusBadRequest, "InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doV2(t, tc.req)
			if r.status != tc.status || r.err.Code != tc.code || (tc.msg != "" && r.err.Message != tc.msg) {
				t.Fatalf("got %d %+v, want %d %s %q", r.status, r.err, tc.status, tc.code, tc.msg)
			}
		})
	}
	// Nothing was written by the refused PUTs.
	if got := get(t, c, "sigv2e", "k"); string(got) != "x" {
		t.Fatalf("object changed to %q", got)
	}

	// Reading an SSE-KMS object needs SigV4 too; SSE-S3 does not.
	kmsKey := createKey(t, ts.kmsClient())
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("sigv2e"), Key: aws.String("kms"), Body: strings.NewReader("k"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(kmsKey)}); err != nil {
		t.Fatal(err)
	}
	r := doV2(t, v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2e/kms", "/sigv2e/kms", nil, nil, now))
	if r.status != http.StatusBadRequest || r.err.Code != "InvalidArgument" {
		t.Fatalf("GET SSE-KMS object with SigV2: %d %+v", r.status, r.err)
	}
	if r := doV2(t, v2Request(t, ts, testAK, testSK, http.MethodGet, "/sigv2e/k", "/sigv2e/k", nil, nil, now)); r.status != http.StatusOK {
		t.Fatalf("GET SSE-S3 object with SigV2: %d %+v", r.status, r.err)
	}
}

// TestSigV2SessionPolicyAndAudit: temporary credentials work with SigV2
// (x-amz-security-token is a signed amz header), s3:signatureversion is
// "AWS" in policy conditions, and the audit event says SigV2.
func TestSigV2SessionPolicyAndAudit(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "sigv2p")
	put(t, root, "sigv2p", "k", []byte("x"))
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},` +
		`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::sigv2p/*",` +
		`"Condition":{"StringEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}}]}`
	dave := e.user(t, e.rootA, "dave", policy)
	now := time.Now()

	r := doV2(t, v2Request(t, e.ts, dave.AccessKeyID, dave.SecretAccessKey, http.MethodGet, "/sigv2p/k", "/sigv2p/k", nil, nil, now))
	if r.status != http.StatusOK || string(r.body) != "x" {
		t.Fatalf("V2 GET: %d %+v", r.status, r.err)
	}
	r = doV2(t, v2Request(t, e.ts, dave.AccessKeyID, dave.SecretAccessKey, http.MethodPut, "/sigv2p/n", "/sigv2p/n", []byte("n"), nil, now))
	if r.status != http.StatusForbidden || r.err.Code != "AccessDenied" {
		t.Fatalf("V2 PUT against a SigV4-only condition: %d %+v", r.status, r.err)
	}
	if err := putErr(e.s3(dave), t, "sigv2p", "n"); err != nil {
		t.Fatalf("V4 PUT: %v", err)
	}

	// A role dave may assume, to get temporary credentials.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN(e.a, "dave") + `"},"Action":"sts:AssumeRole"}]}`
	rootIAM := e.iam(e.rootA)
	role, err := rootIAM.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("v2reader"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rootIAM.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("v2reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allow("s3:GetObject arn:aws:s3:::sigv2p/*"))}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(dave).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("v2")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	ak, sk, tok := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)
	r = doV2(t, v2Request(t, e.ts, ak, sk, http.MethodGet, "/sigv2p/k", "/sigv2p/k", nil, map[string]string{"x-amz-security-token": tok}, now))
	if r.status != http.StatusOK {
		t.Fatalf("V2 GET with session token: %d %+v", r.status, r.err)
	}
	r = doV2(t, v2Request(t, e.ts, ak, sk, http.MethodGet, "/sigv2p/k", "/sigv2p/k", nil, nil, now))
	if r.status != http.StatusForbidden {
		t.Fatalf("V2 GET with temporary key but no token: %d %+v", r.status, r.err)
	}

	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventName == "GetObject" && ev.ErrorCode == "" && ev.AdditionalEventData["SignatureVersion"] == "SigV2" &&
			ev.AdditionalEventData["AuthenticationMethod"] == "AuthHeader"
	})
	u := v2PresignURL(e.ts, dave.AccessKeyID, dave.SecretAccessKey, "/sigv2p/k", "/sigv2p/k", time.Now().Add(time.Minute))
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if r := doV2(t, req); r.status != http.StatusOK {
		t.Fatalf("presigned: %d %+v", r.status, r.err)
	}
	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventName == "GetObject" && ev.AdditionalEventData["SignatureVersion"] == "SigV2" &&
			ev.AdditionalEventData["AuthenticationMethod"] == "QueryString"
	})
}

// boto3V2Script drives a SigV2 ("s3") boto3 client against the endpoint
// in argv[1]: PUT, GET, list, tagging, DELETE, a multipart upload,
// DeleteObjects, then prints a presigned GET URL.
const boto3V2Script = `
import sys, boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
    region_name="us-east-1", config=Config(signature_version="s3", s3={"addressing_style": "path"}))
c.put_object(Bucket="sigv2b", Key="dir/ü ?.txt", Body=b"from boto3", ContentType="text/plain", Metadata={"m": "v"})
got = c.get_object(Bucket="sigv2b", Key="dir/ü ?.txt")
assert got["Body"].read() == b"from boto3" and got["Metadata"] == {"m": "v"}, got
keys = [o["Key"] for o in c.list_objects(Bucket="sigv2b", Prefix="dir/")["Contents"]]
assert keys == ["dir/ü ?.txt"], keys
c.put_object_tagging(Bucket="sigv2b", Key="dir/ü ?.txt", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
assert c.get_object_tagging(Bucket="sigv2b", Key="dir/ü ?.txt")["TagSet"] == [{"Key": "t", "Value": "1"}]
c.delete_object(Bucket="sigv2b", Key="dir/ü ?.txt")
up = c.create_multipart_upload(Bucket="sigv2b", Key="mp")["UploadId"]
etag = c.upload_part(Bucket="sigv2b", Key="mp", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
c.complete_multipart_upload(Bucket="sigv2b", Key="mp", UploadId=up, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
assert c.get_object(Bucket="sigv2b", Key="mp")["Body"].read() == b"part"
deleted = c.delete_objects(Bucket="sigv2b", Delete={"Objects": [{"Key": "mp"}]})["Deleted"]
assert [d["Key"] for d in deleted] == ["mp"], deleted
c.put_object(Bucket="sigv2b", Key="pre/signed file+name.txt", Body=b"presigned by boto3")
print(c.generate_presigned_url("get_object", Params={"Bucket": "sigv2b", "Key": "pre/signed file+name.txt"}, ExpiresIn=60))
`

// TestSigV2Boto3 uses botocore's HmacV1 signer (the Ceph s3-tests
// auth_aws2 client) for header-signed requests and a presigned URL. It
// needs python3 with boto3, and is skipped, saying so, without them.
func TestSigV2Boto3(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not available:", err)
	}
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sigv2b")
	out, err := exec.CommandContext(ctx(t), "python3", "-c", boto3V2Script, ts.URL(), testAK, testSK).CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	u := strings.TrimSpace(string(out))
	if !strings.Contains(u, "AWSAccessKeyId=") || !strings.Contains(u, "Signature=") {
		t.Fatalf("boto3 did not presign with SigV2: %q", u)
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if r := doV2(t, req); r.status != http.StatusOK || string(r.body) != "presigned by boto3" {
		t.Fatalf("boto3 presigned URL: %d %q %+v", r.status, r.body, r.err)
	}
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("sigv2b"), Key: aws.String("dir/ü ?.txt")})
	wantCode(t, err, "NotFound")
}
