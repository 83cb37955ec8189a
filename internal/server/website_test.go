package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
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

// The website endpoint (--website-domain), through plain HTTP requests
// whose Host names <bucket>.s3-website.localhost, as a browser sends them.

const testWebsiteDomain = "s3-website.localhost"

// webDo sends an unsigned request for path to bucket's website, without
// following redirects.
func webDo(t *testing.T, ts *testServer, method, bucket, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	u, err := url.Parse(ts.URL())
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, ts.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = bucket + "." + testWebsiteDomain + ":" + u.Port()
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func publicRead(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

// websiteFixture is a server with these buckets:
//
//	site      public, index.html + error.html + routing rules, objects below
//	bare      public, index document only: errors are Kura's HTML pages
//	private   a website without a public policy
//	blocked   public policy, but RestrictPublicBuckets
//	elsewhere RedirectAllRequestsTo https://example.com
//	plain     public, no website configuration
func websiteFixture(t *testing.T) *testServer {
	t.Helper()
	ts := startWith(t, t.TempDir(), func(c *server.Config) {
		c.WebsiteDomain = testWebsiteDomain
		c.AllowInsecureSSEC = true
	})
	c := ts.client()
	put := func(bucket, key, body, ctype string, opt ...func(*s3.PutObjectInput)) {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
		if ctype != "" {
			in.ContentType = aws.String(ctype)
		}
		for _, o := range opt {
			o(in)
		}
		if _, err := c.PutObject(ctx(t), in); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, key, err)
		}
	}
	website := func(bucket string, cfg *types.WebsiteConfiguration) {
		t.Helper()
		if _, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String(bucket), WebsiteConfiguration: cfg}); err != nil {
			t.Fatalf("website %s: %v", bucket, err)
		}
	}
	policy := func(bucket string) {
		t.Helper()
		if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(publicRead(bucket))}); err != nil {
			t.Fatalf("policy %s: %v", bucket, err)
		}
	}
	index := &types.IndexDocument{Suffix: aws.String("index.html")}
	for _, b := range []string{"site", "bare", "private", "blocked", "elsewhere", "plain"} {
		mustBucket(t, c, b)
	}

	policy("site")
	website("site", &types.WebsiteConfiguration{
		IndexDocument: index, ErrorDocument: &types.ErrorDocument{Key: aws.String("error.html")},
		RoutingRules: []types.RoutingRule{
			{Condition: &types.Condition{KeyPrefixEquals: aws.String("docs/")}, Redirect: &types.Redirect{ReplaceKeyPrefixWith: aws.String("documents/")}},
			{Condition: &types.Condition{KeyPrefixEquals: aws.String("img/"), HttpErrorCodeReturnedEquals: aws.String("404")},
				Redirect: &types.Redirect{HostName: aws.String("img.example.com"), Protocol: types.ProtocolHttps,
					HttpRedirectCode: aws.String("302"), ReplaceKeyWith: aws.String("missing.png")}},
		},
	})
	put("site", "index.html", "<h1>home</h1>", "text/html")
	put("site", "about/index.html", "<h1>about</h1>", "text/html")
	put("site", "error.html", "<h1>not here</h1>", "text/html")
	put("site", "numbers.txt", "0123456789", "text/plain")
	put("site", "old.html", "", "text/html", func(in *s3.PutObjectInput) { in.WebsiteRedirectLocation = aws.String("/about/") })
	// Archived (GLACIER, not restored): its data cannot be read, but its
	// redirect needs none.
	put("site", "moved.html", "", "text/html", func(in *s3.PutObjectInput) {
		in.WebsiteRedirectLocation = aws.String("/about/")
		in.StorageClass = types.StorageClassGlacier
	})
	put("site", "archived.html", "cold", "text/html", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })
	put("site", "kms.html", "secret", "text/html", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAwsKms })
	key := bytes.Repeat([]byte{9}, 32)
	sum := md5.Sum(key)
	ssec := func(in *s3.PutObjectInput) {
		in.SSECustomerAlgorithm = aws.String("AES256")
		in.SSECustomerKey = aws.String(base64.StdEncoding.EncodeToString(key))
		in.SSECustomerKeyMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	}
	put("site", "ssec.html", "secret", "text/html", ssec)

	policy("bare")
	website("bare", &types.WebsiteConfiguration{IndexDocument: index})
	put("bare", "index.html", "bare home", "text/html")
	put("bare", "kms.html", "secret", "text/html", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAwsKms })
	put("bare", "ssec.html", "secret", "text/html", ssec)
	put("bare", "archived.html", "cold", "text/html", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })

	website("private", &types.WebsiteConfiguration{IndexDocument: index, ErrorDocument: &types.ErrorDocument{Key: aws.String("error.html")}})
	put("private", "index.html", "private home", "text/html")
	put("private", "error.html", "private error", "text/html")

	policy("blocked")
	website("blocked", &types.WebsiteConfiguration{IndexDocument: index})
	put("blocked", "index.html", "blocked home", "text/html")
	if _, err := c.PutPublicAccessBlock(ctx(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String("blocked"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}

	website("elsewhere", &types.WebsiteConfiguration{RedirectAllRequestsTo: &types.RedirectAllRequestsTo{
		HostName: aws.String("example.com"), Protocol: types.ProtocolHttps}})

	policy("plain")
	put("plain", "index.html", "plain home", "text/html")
	return ts
}

func TestWebsiteEndpoint(t *testing.T) {
	t.Parallel()
	ts := websiteFixture(t)
	port := func() string { u, _ := url.Parse(ts.URL()); return u.Port() }()
	for _, tc := range []struct {
		name, method, bucket, path string
		hdr                        map[string]string
		status                     int
		body                       string            // exact body, when not ""
		contains                   []string          // substrings of the body
		want                       map[string]string // response headers
	}{
		{name: "root serves the index document", bucket: "site", path: "/", status: 200, body: "<h1>home</h1>",
			want: map[string]string{"Content-Type": "text/html", "ETag": `"` + md5hex([]byte("<h1>home</h1>")) + `"`}},
		{name: "root without a slash", bucket: "site", path: "", status: 200, body: "<h1>home</h1>"},
		{name: "a directory serves its index document", bucket: "site", path: "/about/", status: 200, body: "<h1>about</h1>"},
		{name: "a directory without its slash is a 302", bucket: "site", path: "/about", status: 302, body: "",
			want: map[string]string{"Location": "/about/"}},
		{name: "an object by name", bucket: "site", path: "/about/index.html", status: 200, body: "<h1>about</h1>"},
		{name: "HEAD", method: "HEAD", bucket: "site", path: "/", status: 200, body: "",
			want: map[string]string{"Content-Length": "13", "Content-Type": "text/html"}},
		{name: "range", bucket: "site", path: "/numbers.txt", hdr: map[string]string{"Range": "bytes=2-4"}, status: 206, body: "234",
			want: map[string]string{"Content-Range": "bytes 2-4/10"}},
		{name: "not modified", bucket: "site", path: "/numbers.txt", hdr: map[string]string{"If-None-Match": `"` + md5hex([]byte("0123456789")) + `"`},
			status: 304, body: ""},
		// A missing key is what the GET path says it is: 404 to a caller
		// allowed s3:GetObject on it (authzmissing.go).
		{name: "missing key gets the error document with its status", bucket: "site", path: "/nope.html", status: 404,
			body: "<h1>not here</h1>", want: map[string]string{"Content-Type": "text/html"}},
		{name: "the error document ignores Range", bucket: "site", path: "/nope.html", hdr: map[string]string{"Range": "bytes=0-1"},
			status: 404, body: "<h1>not here</h1>"},
		{name: "HEAD of a missing key", method: "HEAD", bucket: "site", path: "/nope.html", status: 404, body: ""},
		{name: "HEAD of a missing key without an error document", method: "HEAD", bucket: "bare", path: "/nope.html", status: 404, body: "",
			want: map[string]string{"x-amz-error-code": "NoSuchKey", "x-amz-error-message": "The specified key does not exist.", "x-amz-error-detail-Key": "nope.html"}},
		{name: "routing rule by prefix, before the lookup", bucket: "site", path: "/docs/a/b.html", status: 301, body: "",
			want: map[string]string{"Location": "http://site." + testWebsiteDomain + ":" + port + "/documents/a/b.html"}},
		{name: "routing rule by prefix and error", bucket: "site", path: "/img/cat.png", status: 302, body: "",
			want: map[string]string{"Location": "https://img.example.com/missing.png"}},
		{name: "an object's redirect location", bucket: "site", path: "/old.html", status: 301, body: "",
			want: map[string]string{"Location": "/about/"}},
		{name: "an archived object's redirect location", bucket: "site", path: "/moved.html", status: 301, body: "",
			want: map[string]string{"Location": "/about/"}},
		{name: "HEAD of an archived object's redirect", method: "HEAD", bucket: "site", path: "/moved.html", status: 301, body: "",
			want: map[string]string{"Location": "/about/"}},
		{name: "an archived object is not served", bucket: "site", path: "/archived.html", status: 403, body: "<h1>not here</h1>"},
		{name: "an archived object without an error document", bucket: "bare", path: "/archived.html", status: 403,
			contains: []string{"<li>Code: InvalidObjectState</li>"}},
		{name: "SSE-KMS objects are not served anonymously", bucket: "site", path: "/kms.html", status: 403, body: "<h1>not here</h1>"},
		{name: "SSE-C objects cannot be served", bucket: "site", path: "/ssec.html", status: 400, body: "<h1>not here</h1>"},
		{name: "SSE-C without an error document", bucket: "bare", path: "/ssec.html", status: 400,
			contains: []string{"<li>Code: InvalidRequest</li>", "<li>Message: The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.</li>"}},
		{name: "SSE-KMS without an error document", bucket: "bare", path: "/kms.html", status: 403,
			contains: []string{"<li>Code: AccessDenied</li>"}},
		{name: "HEAD of an SSE-KMS object", method: "HEAD", bucket: "bare", path: "/kms.html", status: 403, body: ""},
		{name: "PUT is not a website method", method: "PUT", bucket: "site", path: "/index.html", status: 405,
			contains: []string{"<title>405 Method Not Allowed</title>", "<li>Code: MethodNotAllowed</li>", "<li>Method: PUT</li>", "<li>ResourceType: OBJECT</li>"},
			want:     map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{name: "no error document: an HTML 404", bucket: "bare", path: "/nope/", status: 404,
			contains: []string{"<h1>404 Not Found</h1>", "<li>Code: NoSuchKey</li>", "<li>Key: nope/index.html</li>"}},
		{name: "private bucket: denied, and so is its error document", bucket: "private", path: "/", status: 403,
			contains: []string{"<li>Code: AccessDenied</li>",
				"<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: AccessDenied</li>\n<li>Message: Access Denied</li>\n</ul>"}},
		{name: "RestrictPublicBuckets", bucket: "blocked", path: "/", status: 403, contains: []string{"<li>Code: AccessDenied</li>"}},
		{name: "redirect all requests", bucket: "elsewhere", path: "/a%20b/c.html", status: 301, body: "",
			want: map[string]string{"Location": "https://example.com/a%20b/c.html"}},
		{name: "no website configuration", bucket: "plain", path: "/", status: 404,
			contains: []string{"<li>Code: NoSuchWebsiteConfiguration</li>", "<li>Message: The specified bucket does not have a website configuration</li>", "<li>BucketName: plain</li>"}},
		{name: "no such bucket", bucket: "nobucket", path: "/", status: 404,
			contains: []string{"<li>Code: NoSuchBucket</li>", "<li>BucketName: nobucket</li>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, body := webDo(t, ts, method, tc.bucket, tc.path, tc.hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.contains == nil && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The error page is S3's: title, heading, the error's fields, the request
// id, a rule.
func TestWebsiteErrorPage(t *testing.T) {
	t.Parallel()
	ts := websiteFixture(t)
	c := ts.client()
	resp, body := webDo(t, ts, "GET", "bare", "/docs/", nil)
	id := resp.Header.Get("x-amz-request-id")
	want := "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>404 Not Found</h1>\n<ul>\n" +
		"<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n<li>Key: docs/index.html</li>\n" +
		"<li>RequestId: " + id + "</li>\n<li>HostId: " + id + "</li>\n</ul>\n<hr/>\n</body>\n</html>\n"
	if resp.StatusCode != http.StatusNotFound || body != want || id == "" {
		t.Errorf("got %d\n%s\nwant 404\n%s", resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	// A missing error document is named below the request's error.
	if _, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String("bare"), WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}, ErrorDocument: &types.ErrorDocument{Key: aws.String("<err>.html")}}}); err != nil {
		t.Fatal(err)
	}
	resp, body = webDo(t, ts, "GET", "bare", "/gone", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<li>Key: gone</li>") ||
		!strings.Contains(body, "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n<li>Key: &lt;err&gt;.html</li>\n</ul>") {
		t.Errorf("got %d\n%s", resp.StatusCode, body)
	}
}

// A website request is an anonymous GetObject in the audit trail, also
// when it fails before an object is read, with the website Host.
func TestWebsiteAudit(t *testing.T) {
	t.Parallel()
	ts := websiteFixture(t)
	for _, tc := range []struct {
		method, bucket, path, event, errorCode, key string
	}{
		{"GET", "site", "/about/", "GetObject", "", "about/index.html"},
		{"HEAD", "site", "/", "HeadObject", "", "index.html"},
		{"GET", "plain", "/x.html", "GetObject", "NoSuchWebsiteConfiguration", "x.html"},
		{"GET", "site", "/gone.html", "GetObject", "NoSuchKey", "gone.html"},
	} {
		resp, _ := webDo(t, ts, tc.method, tc.bucket, tc.path, map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIGNORED/20260101/us-east-1/s3/aws4_request"})
		id := resp.Header.Get("x-amz-request-id")
		waitAudit(t, ts, func(ev audit.Event) bool {
			return ev.RequestID == id && ev.EventName == tc.event && ev.ErrorCode == tc.errorCode &&
				ev.UserIdentity.Type == "AWSAccount" && ev.UserIdentity.AccountID == "anonymous" &&
				ev.RequestParameters["key"] == tc.key && strings.HasPrefix(ev.RequestParameters["Host"].(string), tc.bucket+"."+testWebsiteDomain+":")
		})
	}
}

// Without --website-domain a website host is an ordinary virtual host, and
// the REST endpoint of a website bucket is unchanged.
func TestWebsiteEndpointOffAndRESTUnchanged(t *testing.T) {
	t.Parallel()
	ts := websiteFixture(t)
	out, err := ts.client().GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("old.html")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.WebsiteRedirectLocation) != "/about/" {
		t.Errorf("REST GET: x-amz-website-redirect-location %q", aws.ToString(out.WebsiteRedirectLocation))
	}
	// An unsigned REST GET of a website bucket's object is answered in XML.
	resp, body := webDo(t, ts, "GET", "site", "/index.html", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("website: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", ts.URL()+"/site/nope.html", nil)
	rest, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rest.Body)
	rest.Body.Close()
	if rest.StatusCode != 404 || xmlElem(string(b), "Code") != "NoSuchKey" {
		t.Errorf("REST: %d %s", rest.StatusCode, b)
	}

	// Off: the same Host is bucket "site.s3-website" under --domain localhost.
	off := start(t)
	resp, body = webDo(t, off, "GET", "site", "/index.html", nil)
	if resp.StatusCode != 404 || xmlElem(body, "Code") != "NoSuchBucket" || xmlElem(body, "BucketName") != "site.s3-website" {
		t.Errorf("websites off: %d %s", resp.StatusCode, body)
	}

	if _, err := server.Open(server.Config{DataDir: t.TempDir(), Domain: "example.com", WebsiteDomain: "example.com"}); err == nil {
		t.Error("a website domain equal to the S3 domain was accepted")
	}
	if _, err := server.Open(server.Config{DataDir: t.TempDir(), Domain: "s3.example.com", WebsiteDomain: "example.com"}); err == nil {
		t.Error("a website domain containing the S3 domain was accepted")
	}
}
