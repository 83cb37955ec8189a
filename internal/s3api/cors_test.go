package s3api

import (
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "https://a.example", true},
		{"https://*.example.com", "https://www.example.com", true},
		{"https://*.example.com", "https://.example.com", true},
		{"https://*.example.com", "http://www.example.com", false},
		{"https://*.example.com", "https://example.com", false},
		{"http://a.com", "http://a.com", true},
		{"http://a.com", "http://a.com.evil", false},
		{"ab*ba", "aba", false}, // prefix and suffix must not overlap
		{"x-amz-*", "x-amz-date", true},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMatchCORSRule(t *testing.T) {
	rules := []kura.CORSRule{
		{ID: "puts", AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"PUT", "POST"},
			AllowedHeaders: []string{"Content-Type", "x-amz-*"}},
		{ID: "gets", AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
		{ID: "second-put", AllowedOrigins: []string{"https://other.test"}, AllowedMethods: []string{"PUT"}, AllowedHeaders: []string{"*"}},
	}
	for _, tc := range []struct {
		origin, method string
		headers        []string
		want           string // rule ID, "" for no match
	}{
		{"https://app.example.com", "PUT", nil, "puts"},
		{"https://app.example.com", "PUT", []string{"content-type", "X-Amz-Date"}, "puts"},
		{"https://app.example.com", "PUT", []string{"authorization"}, ""},
		{"https://app.example.com", "DELETE", nil, ""},
		{"https://app.example.com", "GET", nil, "gets"},
		{"null", "HEAD", nil, "gets"},
		{"https://other.test", "PUT", []string{"anything"}, "second-put"},
		{"https://other.test", "POST", nil, ""},
		{"https://app.example.com", "get", nil, ""}, // methods are case-sensitive
	} {
		r := matchCORSRule(rules, tc.origin, tc.method, tc.headers)
		got := ""
		if r != nil {
			got = r.ID
		}
		if got != tc.want {
			t.Errorf("match(%s %s %v) = %q, want %q", tc.origin, tc.method, tc.headers, got, tc.want)
		}
	}
}

func TestParseCORSConfiguration(t *testing.T) {
	rule := func(inner string) string {
		return `<CORSConfiguration><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	for _, tc := range []struct {
		name, doc, code, msg string
	}{
		{"valid", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>30</MaxAgeSeconds>`), "", ""},
		{"no rules", `<CORSConfiguration></CORSConfiguration>`, "MalformedXML", ""},
		{"not xml", `{"cors":1}`, "MalformedXML", ""},
		{"wrong root", `<Foo><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Foo>`, "MalformedXML", ""},
		{"no method", rule(`<AllowedOrigin>*</AllowedOrigin>`), "MalformedXML", ""},
		{"no origin", rule(`<AllowedMethod>GET</AllowedMethod>`), "MalformedXML", ""},
		{"bad method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`), "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"two wildcards", rule(`<AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "InvalidRequest", ""},
		{"header wildcards", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*-*</AllowedHeader>`), "InvalidRequest", ""},
		{"expose wildcard", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>`), "InvalidRequest", ""},
		{"bad max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>x</MaxAgeSeconds>`), "MalformedXML", ""},
	} {
		_, err := parseAndValidateCORS([]byte(tc.doc))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e := s3err.As(err)
		if err == nil || e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%s: got %v, want %s %q", tc.name, err, tc.code, tc.msg)
		}
	}
}

// TestBucketConfigActions pins the IAM actions and event names of the CORS
// and lifecycle operations: the delete variants need the put action, as in
// S3.
func TestBucketConfigActions(t *testing.T) {
	for target, want := range map[string][2]string{
		"PUT /b?cors":         {"PutBucketCors", "s3:PutBucketCORS"},
		"GET /b?cors":         {"GetBucketCors", "s3:GetBucketCORS"},
		"DELETE /b?cors":      {"DeleteBucketCors", "s3:PutBucketCORS"},
		"PUT /b?lifecycle":    {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
		"GET /b?lifecycle":    {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"},
		"DELETE /b?lifecycle": {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"},
	} {
		method, path, _ := strings.Cut(target, " ")
		o, ok := opInfo(testRequest(t, method, path, nil))
		if !ok || o.Name != want[0] || len(o.Actions) != 1 || o.Actions[0] != want[1] || o.Resource != "arn:aws:s3:::b" {
			t.Errorf("%s: %+v (ok %v), want %v", target, o, ok, want)
		}
	}
	// On an object, the sub-resources name no operation: they must not
	// fall through to PutObject or DeleteObject.
	for _, target := range []string{"PUT /b/k?cors", "DELETE /b/k?lifecycle", "GET /b/k?cors"} {
		method, path, _ := strings.Cut(target, " ")
		if rt := pickRoute(testRequest(t, method, path, nil)); rt != nil {
			t.Errorf("%s routed to %s", target, rt.Name)
		}
	}
}
