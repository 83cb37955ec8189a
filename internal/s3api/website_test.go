package s3api

import (
	"net/http"
	"testing"

	"github.com/kurastore/kura"
)

func sp(s string) *string { return &s }

func TestWebsiteBucket(t *testing.T) {
	for _, tc := range []struct {
		host, domain, bucket string
		ok                   bool
	}{
		{"site.s3-website.localhost:8420", "s3-website.localhost", "site", true},
		{"site.s3-website.localhost", "s3-website.localhost", "site", true},
		{"Site.S3-Website.Localhost:80", "s3-website.localhost", "site", true},
		{"my.dotted.bucket.web.example", "web.example", "my.dotted.bucket", true},
		{"site.localhost:8420", "s3-website.localhost", "", false},       // the REST virtual host
		{"s3-website.localhost:8420", "s3-website.localhost", "", false}, // no bucket
		{"127.0.0.1:8420", "s3-website.localhost", "", false},
		{"site.s3-website.localhost", "", "", false}, // websites off
	} {
		b, ok := websiteBucket(tc.host, tc.domain)
		if b != tc.bucket || ok != tc.ok {
			t.Errorf("websiteBucket(%q, %q) = %q, %v; want %q, %v", tc.host, tc.domain, b, ok, tc.bucket, tc.ok)
		}
	}
}

func TestWebsiteKeyAndIndexFallback(t *testing.T) {
	w := &kura.Website{IndexDocument: "index.html"}
	for _, tc := range []struct {
		key, serve, fallback string
	}{
		{"", "index.html", ""},
		{"docs/", "docs/index.html", ""},
		{"a/b/", "a/b/index.html", ""},
		{"docs", "docs", "docs/index.html"},
		{"page.html", "page.html", "page.html/index.html"},
	} {
		if got := websiteKey(w, tc.key); got != tc.serve {
			t.Errorf("websiteKey(%q) = %q, want %q", tc.key, got, tc.serve)
		}
		got, ok := indexFallback(w, tc.key)
		if got != tc.fallback || ok != (tc.fallback != "") {
			t.Errorf("indexFallback(%q) = %q, %v; want %q", tc.key, got, ok, tc.fallback)
		}
	}
}

func TestMatchRoutingRule(t *testing.T) {
	rules := []kura.RoutingRule{
		{Condition: &kura.RoutingCondition{KeyPrefixEquals: sp("docs/")}, Redirect: kura.RoutingRedirect{ReplaceKeyPrefixWith: sp("documents/")}},
		{Condition: &kura.RoutingCondition{KeyPrefixEquals: sp("img/"), HttpErrorCodeReturnedEquals: "403"}, Redirect: kura.RoutingRedirect{ReplaceKeyWith: sp("missing.png")}},
		{Condition: &kura.RoutingCondition{HttpErrorCodeReturnedEquals: "404"}, Redirect: kura.RoutingRedirect{HostName: "fallback.example"}},
		{Condition: &kura.RoutingCondition{KeyPrefixEquals: sp("")}, Redirect: kura.RoutingRedirect{HostName: "everything.example"}},
	}
	for _, tc := range []struct {
		name   string
		rules  []kura.RoutingRule
		key    string
		status int
		want   int // index into rules, -1 for none
	}{
		{"prefix before lookup", rules, "docs/a.html", 0, 0},
		{"first match wins", rules, "docs/", 0, 0},
		{"empty prefix matches every key", rules, "other.html", 0, 3},
		{"error rules wait for the lookup", rules[1:3], "img/x.png", 0, -1},
		{"error and prefix both match", rules, "img/x.png", 403, 1},
		{"error matches, prefix does not", rules[1:2], "css/x.css", 403, -1},
		{"prefix matches, error does not", rules[1:2], "img/x.png", 404, -1},
		{"error without prefix", rules, "img/x.png", 404, 2},
		{"prefix-only rules do not answer errors", rules[:1], "docs/a.html", 404, -1},
		{"a rule without condition applies before the lookup", []kura.RoutingRule{{}}, "any", 0, 0},
		{"and never after it", []kura.RoutingRule{{}}, "any", 404, -1},
		{"no rules", nil, "k", 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := matchRoutingRule(tc.rules, tc.key, tc.status)
			switch {
			case tc.want < 0 && got != nil:
				t.Errorf("matched %+v, want none", *got)
			case tc.want >= 0 && got != &tc.rules[tc.want]:
				t.Errorf("matched %v, want rule %d", got, tc.want)
			}
		})
	}
}

func TestRoutingRedirect(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rule       kura.RoutingRule
		key, proto string
		loc        string
		status     int
	}{
		{"replace prefix", kura.RoutingRule{Condition: &kura.RoutingCondition{KeyPrefixEquals: sp("docs/")},
			Redirect: kura.RoutingRedirect{ReplaceKeyPrefixWith: sp("documents/")}},
			"docs/a/b.html", "http", "http://site.web:8420/documents/a/b.html", http.StatusMovedPermanently},
		{"strip prefix", kura.RoutingRule{Condition: &kura.RoutingCondition{KeyPrefixEquals: sp("old/")},
			Redirect: kura.RoutingRedirect{ReplaceKeyPrefixWith: sp("")}},
			"old/page.html", "http", "http://site.web:8420/page.html", http.StatusMovedPermanently},
		{"prefix added when the rule has none", kura.RoutingRule{Condition: &kura.RoutingCondition{HttpErrorCodeReturnedEquals: "404"},
			Redirect: kura.RoutingRedirect{ReplaceKeyPrefixWith: sp("report-404/")}},
			"missing.html", "http", "http://site.web:8420/report-404/missing.html", http.StatusMovedPermanently},
		{"replace key, host, protocol and code", kura.RoutingRule{
			Redirect: kura.RoutingRedirect{HostName: "example.com", Protocol: "https", HttpRedirectCode: "302", ReplaceKeyWith: sp("error.html")}},
			"x/y", "http", "https://example.com/error.html", http.StatusFound},
		{"key kept, host changed", kura.RoutingRule{Redirect: kura.RoutingRedirect{HostName: "mirror.example"}},
			"a b/c?.html", "https", "https://mirror.example/a%20b/c%3F.html", http.StatusMovedPermanently},
		{"everything kept: the same URL", kura.RoutingRule{}, "k", "http", "http://site.web:8420/k", http.StatusMovedPermanently},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, status := routingRedirect(&tc.rule, tc.key, tc.proto, "site.web:8420")
			if loc != tc.loc || status != tc.status {
				t.Errorf("got %d %s, want %d %s", status, loc, tc.status, tc.loc)
			}
		})
	}
}

func TestRedirectAllLocation(t *testing.T) {
	for _, tc := range []struct {
		to          kura.WebsiteRedirectAll
		path, proto string
		want        string
	}{
		{kura.WebsiteRedirectAll{HostName: "example.com"}, "/a/b.html", "http", "http://example.com/a/b.html"},
		{kura.WebsiteRedirectAll{HostName: "example.com", Protocol: "https"}, "/a%20b", "http", "https://example.com/a%20b"},
		{kura.WebsiteRedirectAll{HostName: "example.com"}, "", "https", "https://example.com/"},
	} {
		if got := redirectAllLocation(&tc.to, tc.path, tc.proto); got != tc.want {
			t.Errorf("redirectAllLocation(%+v, %q, %q) = %q, want %q", tc.to, tc.path, tc.proto, got, tc.want)
		}
	}
}
