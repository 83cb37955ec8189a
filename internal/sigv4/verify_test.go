package sigv4

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura/internal/s3err"
)

// Object keys and queries that exercise the canonical URI and query rules.
var (
	oracleKeys = []string{
		"", "key", "dir/", "a b", "a+b=c", "tilde~x_y-z.txt", "100%", "a//b", "//lead",
		"ünïcødé/文件.txt", "!$&'()*,;:@", "q?mark#hash", "%2F-literal", "emoji-😀",
		"sp  ace / trail ",
	}
	oracleQueries = []string{
		"", "uploads", "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "list-type=2&prefix=a%20b",
		"prefix=a%2Fb&delimiter=%2F", "uploadId=x%2By&partNumber=1", "acl", "b=2&a=1&a=0",
		"response-content-disposition=attachment%3B%20filename%3D%22f.txt%22",
	}
)

func TestOracleHeaderAuth(t *testing.T) {
	v := testVerifier(testTime)
	for _, key := range oracleKeys {
		for _, q := range oracleQueries {
			body := []byte("hello " + key)
			r := newRequest(t, http.MethodPut, "s3.amazonaws.com", "bucket/"+key, q, body)
			r.Header.Set("X-Amz-Meta-Note", "  two  spaces ")
			r.Header.Set("Content-Type", "text/plain")
			sdkSign(t, r, sha256Hex(body), "s3", testRegion, testTime, testCreds)
			res, err := v.Verify(toServer(t, r))
			if err != nil {
				t.Fatalf("key %q query %q: %v", key, q, err)
			}
			got, err := readAllBody(res)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("key %q query %q: body %q, %v", key, q, got, err)
			}
			if res.AccessKey != testAK || res.Service != "s3" || res.Region != testRegion || res.Presigned || res.Anonymous {
				t.Fatalf("unexpected result %+v", res)
			}
		}
	}
}

func TestOraclePresign(t *testing.T) {
	v := testVerifier(testTime.Add(time.Minute))
	for _, key := range oracleKeys {
		for _, q := range oracleQueries {
			r := newRequest(t, http.MethodGet, "s3.amazonaws.com", "bucket/"+key, q, nil)
			r.Header.Set("X-Amz-Meta-Hoisted", "v")
			r.Header.Set("Content-Type", "text/plain")
			pr := sdkPresign(t, r, "s3", testRegion, testTime, 3600)
			res, err := v.Verify(toServer(t, pr))
			if err != nil {
				t.Fatalf("key %q query %q: %v\n%s", key, q, err, pr.URL)
			}
			if !res.Presigned || res.AccessKey != testAK {
				t.Fatalf("unexpected result %+v", res)
			}
		}
	}
}

// A hand-encoded request in a client's own (non-AWS) escaping is accepted
// when the client signed its wire form.
func TestWirePathFallback(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://h/bucket/a+b=c$", nil)
	sdkSign(t, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	if _, err := testVerifier(testTime).Verify(toServer(t, r)); err != nil {
		t.Fatal(err)
	}
}

func TestOtherServices(t *testing.T) {
	v := testVerifier(testTime)
	for _, svc := range []string{"sts", "iam", "kms"} {
		body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
		r := newRequest(t, http.MethodPost, "localhost:9000", "", "", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sdkSign(t, r, sha256Hex(body), svc, testRegion, testTime, testCreds)
		res, err := v.Verify(toServer(t, r))
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		got, err := readAllBody(res)
		if err != nil || !bytes.Equal(got, body) || res.Service != svc || res.DecodedLength != int64(len(body)) {
			t.Fatalf("%s: body %q err %v res %+v", svc, got, err, res)
		}
		// The body is part of the signature for these services.
		r = newRequest(t, http.MethodPost, "localhost:9000", "", "", body)
		sdkSign(t, r, sha256Hex(body), svc, testRegion, testTime, testCreds)
		sr := toServer(t, r)
		sr.Body = readCloser{strings.NewReader(strings.ToUpper(string(body))), sr.Body}
		_, err = v.Verify(sr)
		wantErr(t, err, s3err.SignatureDoesNotMatch, "")
	}
	// Presigned STS (as used for EKS-style tokens).
	r := newRequest(t, http.MethodGet, "sts.amazonaws.com", "", "Action=GetCallerIdentity&Version=2011-06-15", nil)
	if _, err := v.Verify(toServer(t, sdkPresign(t, r, "sts", testRegion, testTime, 60))); err != nil {
		t.Fatal(err)
	}
}

func TestTamper(t *testing.T) {
	body := []byte("payload")
	sign := func() *http.Request {
		r := newRequest(t, http.MethodPut, "s3.amazonaws.com", "bucket/key", "versionId=1", body)
		r.Header.Set("X-Amz-Meta-A", "b")
		sdkSign(t, r, sha256Hex(body), "s3", testRegion, testTime, testCreds)
		return r
	}
	other := &Verifier{Region: testRegion, Now: func() time.Time { return testTime },
		Lookup: lookupFor(map[string]string{testAK: "not-the-secret"})}
	cases := []struct {
		name   string
		tamper func(r *http.Request)
		v      *Verifier
		want   *s3err.Error
	}{
		{"header value", func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "c") }, nil, s3err.SignatureDoesNotMatch},
		{"path", func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/kez", "" }, nil, s3err.SignatureDoesNotMatch},
		{"query", func(r *http.Request) { r.URL.RawQuery = "versionId=2" }, nil, s3err.SignatureDoesNotMatch},
		{"extra query", func(r *http.Request) { r.URL.RawQuery += "&acl" }, nil, s3err.SignatureDoesNotMatch},
		{"method", func(r *http.Request) { r.Method = http.MethodPost }, nil, s3err.SignatureDoesNotMatch},
		{"host", func(r *http.Request) { r.Host = "evil.example" }, nil, s3err.SignatureDoesNotMatch},
		{"date", func(r *http.Request) { r.Header.Set("X-Amz-Date", "20130524T000001Z") }, nil, s3err.SignatureDoesNotMatch},
		{"payload hash", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) }, nil, s3err.SignatureDoesNotMatch},
		{"signature", func(r *http.Request) {
			h := r.Header.Get("Authorization")
			last := "0"
			if h[len(h)-1] == '0' {
				last = "1"
			}
			r.Header.Set("Authorization", h[:len(h)-1]+last)
		}, nil, s3err.SignatureDoesNotMatch},
		{"secret", func(*http.Request) {}, other, s3err.SignatureDoesNotMatch},
		{"unsigned x-amz header", func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") }, nil, s3err.AccessDenied},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAK, "AKIDUNKNOWN", 1))
		}, nil, s3err.InvalidAccessKeyID},
		{"sigv2", func(r *http.Request) { r.Header.Set("Authorization", "AWS "+testAK+":c2ln") }, nil, s3err.SignatureDoesNotMatch},
		{"sigv4a", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), algorithmHMAC, algorithmECDSA, 1))
		}, nil, s3err.NotImplemented},
		{"streaming sigv4a", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", streamingECDSA) }, nil, s3err.NotImplemented},
		{"bad content sha", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "nope") }, nil, s3err.InvalidArgument},
		{"missing content sha", func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }, nil, s3err.InvalidRequest},
		{"missing date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, nil, s3err.AccessDenied},
		{"both schemes", func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" }, nil, s3err.InvalidArgument},
		{"bad query escape", func(r *http.Request) { r.URL.RawQuery = "versionId=%zz" }, nil, s3err.InvalidURI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sr := toServer(t, sign())
			tc.tamper(sr)
			v := tc.v
			if v == nil {
				v = testVerifier(testTime)
			}
			_, err := v.Verify(sr)
			wantErr(t, err, tc.want, "")
		})
	}
}

func TestSignatureFlip(t *testing.T) {
	r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
	sdkSign(t, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	h := r.Header.Get("Authorization")
	for i := len(h) - 64; i < len(h); i += 7 {
		sr := toServer(t, r)
		flipped := []byte(h)
		if flipped[i] == '0' {
			flipped[i] = '1'
		} else {
			flipped[i] = '0'
		}
		sr.Header.Set("Authorization", string(flipped))
		_, err := testVerifier(testTime).Verify(sr)
		wantErr(t, err, s3err.SignatureDoesNotMatch, "")
	}
}

func TestTime(t *testing.T) {
	r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
	sdkSign(t, r, emptySHA256, "s3", testRegion, testTime, testCreds)
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		if _, err := testVerifier(testTime.Add(d)).Verify(toServer(t, r)); err != nil {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
	for _, d := range []time.Duration{-16 * time.Minute, 16 * time.Minute} {
		_, err := testVerifier(testTime.Add(d)).Verify(toServer(t, r))
		wantErr(t, err, s3err.RequestTimeTooSkewed, "")
		want := []s3err.Field{{Name: "RequestTime", Value: "20130524T000000Z"},
			{Name: "ServerTime", Value: testTime.Add(d).Format(time.RFC3339)},
			{Name: "MaxAllowedSkewMilliseconds", Value: "900000"}}
		if diff := cmp.Diff(want, s3err.As(err).Extra); diff != "" {
			t.Fatal(diff)
		}
	}
	// Custom MaxSkew, and the Date header when X-Amz-Date is absent.
	v := testVerifier(testTime.Add(2 * time.Minute))
	v.MaxSkew = time.Minute
	_, err := v.Verify(toServer(t, r))
	wantErr(t, err, s3err.RequestTimeTooSkewed, "")
}

func TestDateHeader(t *testing.T) {
	// Sign by hand with the Date header: the string to sign carries the
	// ISO 8601 form of that date.
	r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	c := Credential{AccessKey: testAK, Date: "20130524", Region: testRegion, Service: "s3"}
	signed := []string{"date", "host", "x-amz-content-sha256"}
	sr := toServer(t, r)
	cr := canonicalRequest(sr, "/b/k", "", signed, "h", emptySHA256)
	sig := hmacSHA256(signingKey(testSecret, c), stringToSign("20130524T000000Z", c.Scope(), cr))
	sr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAK+"/"+c.Scope()+
		",SignedHeaders=date;host;x-amz-content-sha256,Signature="+hexString(sig))
	if _, err := testVerifier(testTime).Verify(sr); err != nil {
		t.Fatal(err)
	}
}

func TestScopeErrors(t *testing.T) {
	cases := []struct {
		name   string
		region string
		at     time.Time
		edit   func(string) string
		want   *s3err.Error
		msg    string
	}{
		{"wrong region", "us-west-2", testTime, nil, s3err.AuthorizationHeaderMalformed,
			"The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'"},
		{"credential date", testRegion, testTime, func(h string) string { return strings.Replace(h, "/20130524/", "/20130523/", 1) },
			s3err.AuthorizationHeaderMalformed, "Invalid credential date"},
		{"terminal", testRegion, testTime, func(h string) string { return strings.Replace(h, "aws4_request", "aws5_request", 1) },
			s3err.AuthorizationHeaderMalformed, "incorrect terminal"},
		{"short credential", testRegion, testTime, func(h string) string { return strings.Replace(h, "/us-east-1/s3", "", 1) },
			s3err.AuthorizationHeaderMalformed, "mal-formed"},
		{"missing signature", testRegion, testTime, func(h string) string { return h[:strings.Index(h, ", Signature")] },
			s3err.AuthorizationHeaderMalformed, "three components"},
		{"host unsigned", testRegion, testTime, func(h string) string { return strings.Replace(h, "host;", "", 1) },
			s3err.AuthorizationHeaderMalformed, "host"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
			sdkSign(t, r, emptySHA256, "s3", tc.region, tc.at, testCreds)
			if tc.edit != nil {
				r.Header.Set("Authorization", tc.edit(r.Header.Get("Authorization")))
			}
			_, err := testVerifier(testTime).Verify(toServer(t, r))
			wantErr(t, err, tc.want, tc.msg)
		})
	}
	// A wrong region names the expected one, as AWS does.
	r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
	sdkSign(t, r, emptySHA256, "s3", "eu-west-1", testTime, testCreds)
	_, err := testVerifier(testTime).Verify(toServer(t, r))
	if diff := cmp.Diff([]s3err.Field{{Name: "Region", Value: testRegion}}, s3err.As(err).Extra); diff != "" {
		t.Fatal(diff)
	}
	// An empty Region accepts any.
	v := testVerifier(testTime)
	v.Region = ""
	if res, err := v.Verify(toServer(t, r)); err != nil || res.Region != "eu-west-1" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestPresignErrors(t *testing.T) {
	presign := func(region string, expires int) *http.Request {
		r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
		return sdkPresign(t, r, "s3", region, testTime, expires)
	}
	v := testVerifier(testTime.Add(2 * time.Hour))
	_, err := v.Verify(toServer(t, presign(testRegion, 3600)))
	wantErr(t, err, s3err.ExpiredPresign, "Request has expired")

	_, err = testVerifier(testTime.Add(-time.Hour)).Verify(toServer(t, presign(testRegion, 3600)))
	wantErr(t, err, s3err.AccessDenied, "not valid yet")

	_, err = testVerifier(testTime).Verify(toServer(t, presign("us-west-2", 3600)))
	wantErr(t, err, s3err.AuthorizationQueryMalformed, "Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; expecting 'us-east-1'")

	for _, tc := range []struct{ expires, msg string }{
		{"604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"-1", "non-negative"}, {"x", "should be a number"},
	} {
		sr := toServer(t, presign(testRegion, 60))
		sr.URL.RawQuery = strings.Replace(sr.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires="+tc.expires, 1)
		_, err = testVerifier(testTime).Verify(sr)
		wantErr(t, err, s3err.AuthorizationQueryMalformed, tc.msg)
	}
	// X-Amz-Expires=0 is well-formed but expired the moment it was signed
	// (S3: 403 "Request has expired", not a 400).
	zero := toServer(t, presign(testRegion, 0))
	_, err = testVerifier(testTime).Verify(zero)
	wantErr(t, err, s3err.ExpiredPresign, "Request has expired")
	for _, drop := range []string{qCredential, qDate, qSignedHeaders, qSignature, qExpires} {
		sr := toServer(t, presign(testRegion, 60))
		q, _ := parseQuery(sr.URL.RawQuery)
		var kept []string
		for _, p := range q {
			if p.Key != drop {
				kept = append(kept, uriEncode(p.Key, true)+"="+uriEncode(p.Value, true))
			}
		}
		sr.URL.RawQuery = strings.Join(kept, "&")
		_, err = testVerifier(testTime).Verify(sr)
		wantErr(t, err, s3err.AuthorizationQueryMalformed, "requires the X-Amz-Algorithm")
	}
	// Tampering with the query after signing.
	sr := toServer(t, presign(testRegion, 60))
	sr.URL.RawQuery += "&versionId=1"
	_, err = testVerifier(testTime).Verify(sr)
	wantErr(t, err, s3err.SignatureDoesNotMatch, "")
	// A SigV2 query is verified as such (v2_test.go has the details).
	sr = toServer(t, newRequest(t, http.MethodGet, "h", "b/k", "AWSAccessKeyId=AK&Signature=x&Expires=1", nil))
	_, err = testVerifier(testTime).Verify(sr)
	wantErr(t, err, s3err.InvalidAccessKeyID, "")
}

func TestPresignSecurityToken(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret, SessionToken: "tok/en+="}
	r := newRequest(t, http.MethodGet, "h", "b/k", "X-Amz-Expires=60", nil)
	u, _, err := newSDKSigner().PresignHTTP(t.Context(), creds, r, unsignedPayload, "s3", testRegion, testTime,
		s3Opts)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(http.MethodGet, u, nil)
	res, err := testVerifier(testTime).Verify(toServer(t, pr))
	if err != nil || res.SessionToken != "tok/en+=" {
		t.Fatalf("%+v %v", res, err)
	}
	// The token is part of the canonical query: changing it breaks the signature.
	sr := toServer(t, pr)
	sr.URL.RawQuery = strings.Replace(sr.URL.RawQuery, "X-Amz-Security-Token=tok", "X-Amz-Security-Token=tak", 1)
	_, err = testVerifier(testTime).Verify(sr)
	wantErr(t, err, s3err.SignatureDoesNotMatch, "")
}

func TestAnonymous(t *testing.T) {
	body := []byte("public")
	r := newRequest(t, http.MethodPut, "h", "b/k", "acl", body)
	res, err := testVerifier(testTime).Verify(toServer(t, r))
	if err != nil || !res.Anonymous || res.DecodedLength != int64(len(body)) || res.Trailer() != nil {
		t.Fatalf("%+v %v", res, err)
	}
	if got, err := readAllBody(res); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("%q %v", got, err)
	}
	// An anonymous x-amz-content-sha256 is still checked.
	r = newRequest(t, http.MethodPut, "h", "b/k", "", body)
	r.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte("other")))
	res, err = testVerifier(testTime).Verify(toServer(t, r))
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAllBody(res)
	wantErr(t, err, s3err.XAmzContentSHA256Mismatch, "")
}

func TestPayloadHash(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 10000)
	sign := func() *http.Request {
		r := newRequest(t, http.MethodPut, "h", "b/k", "", body)
		sdkSign(t, r, sha256Hex(body), "s3", testRegion, testTime, testCreds)
		return toServer(t, r)
	}
	sr := sign()
	sr.Body = readCloser{bytes.NewReader(bytes.ToUpper(body[:1])), sr.Body} // wrong bytes, short
	res, err := testVerifier(testTime).Verify(sr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAllBody(res)
	wantErr(t, err, s3err.XAmzContentSHA256Mismatch, "")

	// A body shorter than Content-Length (the connection dropped).
	r := newRequest(t, http.MethodPut, "h", "b/k", "", body)
	sdkSign(t, r, sha256Hex(body), "s3", testRegion, testTime, testCreds)
	var wire bytes.Buffer
	r.Write(&wire)
	sr = readTruncated(t, wire.Bytes()[:wire.Len()-10])
	res, err = testVerifier(testTime).Verify(sr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAllBody(res)
	wantErr(t, err, s3err.IncompleteBody, "")

	// UNSIGNED-PAYLOAD passes any body.
	r = newRequest(t, http.MethodPut, "h", "b/k", "", body)
	sdkSign(t, r, unsignedPayload, "s3", testRegion, testTime, testCreds)
	res, err = testVerifier(testTime).Verify(toServer(t, r))
	if err != nil || res.DecodedLength != int64(len(body)) || res.Chunked {
		t.Fatalf("%+v %v", res, err)
	}
	if got, err := readAllBody(res); err != nil || !bytes.Equal(got, body) {
		t.Fatal(err)
	}
}

func TestParseAuthorizationForms(t *testing.T) {
	const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=" + sig,
		"AWS4-HMAC-SHA256  Signature=" + sig + " ,  Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date",
	} {
		a, err := ParseAuthorization(h)
		if err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		want := Credential{AccessKey: testAK, Date: "20130524", Region: "us-east-1", Service: "s3"}
		if diff := cmp.Diff(want, a.Credential); diff != "" {
			t.Fatal(diff)
		}
		if diff := cmp.Diff([]string{"host", "range", "x-amz-date"}, a.SignedHeaders); diff != "" {
			t.Fatal(diff)
		}
		if hexString(a.Signature[:]) != sig {
			t.Fatal("signature")
		}
	}
	for _, h := range []string{
		"", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=a/b", "Bearer x",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig + ", Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=xyz",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;a, Signature=" + sig,
	} {
		if _, err := ParseAuthorization(h); err == nil {
			t.Fatalf("%q parsed", h)
		} else if _, ok := err.(*s3err.Error); !ok {
			t.Fatalf("%q: %T", h, err)
		}
	}
}
