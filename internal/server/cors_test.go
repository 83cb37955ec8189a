package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// corsRules is the configuration most CORS tests use: PUTs from one site's
// subdomains with a few headers, GETs from anywhere.
var corsRules = []types.CORSRule{
	{
		ID:             aws.String("uploads"),
		AllowedOrigins: []string{"https://*.example.com"},
		AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"},
		ExposeHeaders:  []string{"ETag", "x-amz-version-id"},
		MaxAgeSeconds:  aws.Int32(600),
	},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
}

func TestCORSConfigurationRoundTrip(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "cors")

	_, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	wantCode(t, err, "NoSuchCORSConfiguration")

	if _, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: aws.String("cors"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CORSRules) != 2 {
		t.Fatalf("got %d rules, want 2", len(out.CORSRules))
	}
	r := out.CORSRules[0]
	if aws.ToString(r.ID) != "uploads" || aws.ToInt32(r.MaxAgeSeconds) != 600 ||
		strings.Join(r.AllowedMethods, ",") != "PUT,POST" || strings.Join(r.AllowedHeaders, ",") != "Content-Type,x-amz-*" ||
		strings.Join(r.ExposeHeaders, ",") != "ETag,x-amz-version-id" || strings.Join(r.AllowedOrigins, ",") != "https://*.example.com" {
		t.Errorf("rule 0 = %+v", r)
	}
	if r := out.CORSRules[1]; r.ID != nil || r.MaxAgeSeconds != nil || strings.Join(r.AllowedOrigins, ",") != "*" {
		t.Errorf("rule 1 = %+v: absent fields came back", r)
	}

	// The configuration survives a restart.
	ts.stop(t)
	ts = start(t, ts.dir)
	c = ts.client()
	if out, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("cors")}); err != nil || len(out.CORSRules) != 2 {
		t.Fatalf("after restart: %v, %+v", err, out)
	}

	if _, err := c.DeleteBucketCors(ctx(t), &s3.DeleteBucketCorsInput{Bucket: aws.String("cors")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	wantCode(t, err, "NoSuchCORSConfiguration")
	_, err = c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("nope")})
	wantCode(t, err, "NoSuchBucket")
}

func TestCORSConfigurationValidation(t *testing.T) {
	t.Parallel()
	ts := start(t)
	mustBucket(t, ts.client(), "corsv")
	rule := func(inner string) string {
		return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	many := strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 101)
	for _, tc := range []struct {
		name, body, code, msg string
		noMD5                 bool
	}{
		{"unsupported method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`), "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH", false},
		{"two origin wildcards", rule(`<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "InvalidRequest", "", false},
		{"missing origin", rule(`<AllowedMethod>GET</AllowedMethod>`), "MalformedXML", "", false},
		{"missing method", rule(`<AllowedOrigin>*</AllowedOrigin>`), "MalformedXML", "", false},
		{"not xml", `cors please`, "MalformedXML", "", false},
		{"empty body", ``, "MalformedXML", "", false},
		{"too many rules", `<CORSConfiguration>` + many + `</CORSConfiguration>`, "MalformedXML", "", false},
		{"no Content-MD5", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "InvalidRequest",
			"Missing required header for this request: Content-MD5 OR x-amz-checksum-*", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if !tc.noMD5 {
				sum := md5.Sum([]byte(tc.body))
				hdr["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
			}
			status, body := signedDo(t, ts, "PUT", "/corsv?cors", hdr, []byte(tc.body))
			if status != http.StatusBadRequest || xmlElem(body, "Code") != tc.code || (tc.msg != "" && xmlElem(body, "Message") != tc.msg) {
				t.Errorf("got %d %s, want 400 %s %q", status, body, tc.code, tc.msg)
			}
		})
	}
	_, err := ts.client().GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: aws.String("corsv")})
	wantCode(t, err, "NoSuchCORSConfiguration")
}

// preflight sends an unsigned OPTIONS request with hdr.
func preflight(t *testing.T, ts *testServer, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, ts.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "pre")
	mustBucket(t, c, "plain")
	if _, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: aws.String("pre"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}); err != nil {
		t.Fatal(err)
	}
	const notAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
	for _, tc := range []struct {
		name, path, origin, method, headers string
		status                              int
		code, msg                           string
		want                                map[string]string // response headers
	}{
		{name: "put allowed", path: "/pre/some/key", origin: "https://app.example.com", method: "PUT",
			headers: "content-type, X-Amz-Date", status: 200, want: map[string]string{
				"Access-Control-Allow-Origin":      "https://app.example.com",
				"Access-Control-Allow-Methods":     "PUT, POST",
				"Access-Control-Allow-Headers":     "content-type, X-Amz-Date",
				"Access-Control-Expose-Headers":    "ETag, x-amz-version-id",
				"Access-Control-Max-Age":           "600",
				"Access-Control-Allow-Credentials": "true",
				"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
			}},
		{name: "get from anywhere", path: "/pre", origin: "https://elsewhere.test", method: "GET", status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD",
				"Access-Control-Max-Age": "", "Access-Control-Allow-Credentials": ""}},
		{name: "header not allowed", path: "/pre/k", origin: "https://app.example.com", method: "PUT", headers: "authorization",
			status: 403, code: "AccessForbidden", msg: notAllowed},
		{name: "origin not allowed", path: "/pre/k", origin: "https://example.org", method: "PUT",
			status: 403, code: "AccessForbidden", msg: notAllowed},
		{name: "method not allowed", path: "/pre/k", origin: "https://app.example.com", method: "DELETE",
			status: 403, code: "AccessForbidden", msg: notAllowed},
		{name: "no cors on bucket", path: "/plain/k", origin: "https://app.example.com", method: "GET",
			status: 403, code: "AccessForbidden", msg: "CORSResponse: CORS is not enabled for this bucket."},
		{name: "no origin", path: "/pre/k", method: "GET",
			status: 400, code: "BadRequest", msg: "Insufficient information. Origin request header needed."},
		{name: "no request method", path: "/pre/k", origin: "https://app.example.com",
			status: 400, code: "BadRequest"},
		{name: "no such bucket", path: "/nope/k", origin: "https://app.example.com", method: "GET",
			status: 404, code: "NoSuchBucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			if tc.method != "" {
				hdr["Access-Control-Request-Method"] = tc.method
			}
			if tc.headers != "" {
				hdr["Access-Control-Request-Headers"] = tc.headers
			}
			resp, body := preflight(t, ts, tc.path, hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.code != "" && (xmlElem(body, "Code") != tc.code || (tc.msg != "" && xmlElem(body, "Message") != tc.msg)) {
				t.Errorf("body %s, want %s %q", body, tc.code, tc.msg)
			}
			if tc.status != 200 && resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("refused preflight carries Access-Control-Allow-Origin")
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestCORSActualRequests checks the headers on signed requests that carry
// an Origin: present when a rule allows origin and method, on errors too.
func TestCORSActualRequests(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "act")
	if _, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: aws.String("act"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "act", "k", []byte("hello"))
	do := func(method, path, origin, acrm string, body []byte) *http.Response {
		t.Helper()
		req := signed(t, testCreds, method, ts.URL()+path, body, time.Now())
		// Origin is not signed: browsers add it after the script signs.
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if acrm != "" {
			req.Header.Set("Access-Control-Request-Method", acrm)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name, method, path, origin, acrm string
		body                             []byte
		status                           int
		allowOrigin, methods             string
	}{
		{"get any origin", "GET", "/act/k", "https://x.test", "", nil, 200, "*", "GET, HEAD"},
		{"put subdomain", "PUT", "/act/k2", "https://app.example.com", "", []byte("x"), 200, "https://app.example.com", "PUT, POST"},
		{"error gets headers too", "GET", "/act/missing", "https://x.test", "", nil, 404, "*", "GET, HEAD"},
		{"method not allowed by rules", "DELETE", "/act/k2", "https://app.example.com", "", nil, 204, "", ""},
		{"no origin", "GET", "/act/k", "", "", nil, 200, "", ""},
		// Matched on Access-Control-Request-Method when present (s3-tests).
		{"request method header", "PUT", "/act/k3", "https://x.test", "GET", []byte("x"), 200, "*", "GET, HEAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(tc.method, tc.path, tc.origin, tc.acrm, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.allowOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); got != tc.methods {
				t.Errorf("Access-Control-Allow-Methods = %q, want %q", got, tc.methods)
			}
			if tc.allowOrigin != "" && !strings.Contains(resp.Header.Get("Vary"), "Origin") {
				t.Errorf("Vary = %q", resp.Header.Get("Vary"))
			}
			if tc.allowOrigin == "https://app.example.com" && resp.Header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-version-id" {
				t.Errorf("Access-Control-Expose-Headers = %q", resp.Header.Get("Access-Control-Expose-Headers"))
			}
		})
	}
	// An unauthenticated request is refused but still readable by the page.
	req, _ := http.NewRequest("GET", ts.URL()+"/act/k", bytes.NewReader(nil))
	req.Header.Set("Origin", "https://x.test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("anonymous GET: %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestCORSLifecycleAuthz checks the IAM actions through the wire: a user
// allowed only to read the configurations can read them, and cannot change
// or delete them (the deletes need the put actions, as in S3).
func TestCORSLifecycleAuthz(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "cfg-authz")
	b := aws.String("cfg-authz")
	cors := &types.CORSConfiguration{CORSRules: corsRules}
	lc := &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled,
		Filter: &types.LifecycleRuleFilter{}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}
	if _, err := root.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: cors}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: lc}); err != nil {
		t.Fatal(err)
	}
	reader := e.s3(e.user(t, e.rootA, "cfg-reader", allow("s3:GetBucketCORS arn:aws:s3:::cfg-authz", "s3:GetLifecycleConfiguration arn:aws:s3:::cfg-authz")))
	if _, err := reader.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: b}); err != nil {
		t.Errorf("GetBucketCors: %v", err)
	}
	if _, err := reader.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err != nil {
		t.Errorf("GetBucketLifecycleConfiguration: %v", err)
	}
	me := userARN(e.a, "cfg-reader")
	_, err := reader.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: cors})
	wantDenied(t, err, notAuthorized(me, "s3:PutBucketCORS", "arn:aws:s3:::cfg-authz", "because no identity-based policy allows the s3:PutBucketCORS action"))
	_, err = reader.DeleteBucketCors(ctx(t), &s3.DeleteBucketCorsInput{Bucket: b})
	wantDenied(t, err, notAuthorized(me, "s3:PutBucketCORS", "arn:aws:s3:::cfg-authz", "because no identity-based policy allows the s3:PutBucketCORS action"))
	_, err = reader.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: lc})
	wantDenied(t, err, "")
	_, err = reader.DeleteBucketLifecycle(ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: b})
	wantDenied(t, err, notAuthorized(me, "s3:PutLifecycleConfiguration", "arn:aws:s3:::cfg-authz",
		"because no identity-based policy allows the s3:PutLifecycleConfiguration action"))
	// Nothing was removed.
	if _, err := root.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: b}); err != nil {
		t.Errorf("CORS gone after denied delete: %v", err)
	}
	if _, err := root.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err != nil {
		t.Errorf("lifecycle gone after denied delete: %v", err)
	}
}
