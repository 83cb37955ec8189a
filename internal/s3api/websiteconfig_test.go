package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

func TestParseWebsiteConfigurationRefusals(t *testing.T) {
	doc := func(inner string) string {
		return `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</WebsiteConfiguration>`
	}
	index := `<IndexDocument><Suffix>index.html</Suffix></IndexDocument>`
	rules := func(r string) string { return doc(index + `<RoutingRules>` + r + `</RoutingRules>`) }
	redirect := `<Redirect><HostName>example.com</HostName></Redirect>`
	arg := func(name, value string) []s3err.Field {
		return []s3err.Field{{Name: "ArgumentName", Value: name}, {Name: "ArgumentValue", Value: value}}
	}
	for _, tc := range []struct {
		name, body, code, msg string
		extra                 []s3err.Field
	}{
		{"not xml", `website`, "MalformedXML", "", nil},
		{"wrong root", `<CORSConfiguration/>`, "MalformedXML", "", nil},
		{"empty configuration", doc(``), "InvalidArgument", "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
			arg("IndexDocument", "null")},
		{"error document alone", doc(`<ErrorDocument><Key>e.html</Key></ErrorDocument>`), "InvalidArgument",
			"A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", nil},
		{"index without suffix", doc(`<IndexDocument></IndexDocument>`), "MalformedXML", "", nil},
		{"empty suffix", doc(`<IndexDocument><Suffix></Suffix></IndexDocument>`), "InvalidArgument", "The IndexDocument Suffix is not well formed",
			arg("IndexDocument", "")},
		{"suffix with a slash", doc(`<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>`), "InvalidArgument",
			"The IndexDocument Suffix is not well formed", arg("IndexDocument", "a/index.html")},
		{"error document without key", doc(index + `<ErrorDocument></ErrorDocument>`), "MalformedXML", "", nil},
		{"empty error key", doc(index + `<ErrorDocument><Key></Key></ErrorDocument>`), "InvalidArgument", "The ErrorDocument Key is not well formed",
			arg("ErrorDocument", "")},
		{"redirect all with an index", doc(`<RedirectAllRequestsTo><HostName>example.com</HostName></RedirectAllRequestsTo>` + index),
			"InvalidArgument", "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
			arg("RedirectAllRequestsTo", "not null")},
		{"redirect all without host", doc(`<RedirectAllRequestsTo><Protocol>https</Protocol></RedirectAllRequestsTo>`), "MalformedXML", "", nil},
		{"redirect all to an empty host", doc(`<RedirectAllRequestsTo><HostName></HostName></RedirectAllRequestsTo>`), "InvalidRequest",
			`A host name must be provided to redirect all requests (e.g. "example.com").`, nil},
		{"redirect all over ftp", doc(`<RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>`),
			"InvalidRequest", invalidProtocolText, nil},
		{"empty routing rules", rules(``), "MalformedXML", "", nil},
		{"too many routing rules", rules(strings.Repeat(`<RoutingRule>`+redirect+`</RoutingRule>`, 51)), "InvalidRequest",
			"The number of routing rules must not exceed 50.", nil},
		{"rule without redirect", rules(`<RoutingRule><Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition></RoutingRule>`), "MalformedXML", "", nil},
		{"empty condition", rules(`<RoutingRule><Condition></Condition>` + redirect + `</RoutingRule>`), "InvalidRequest",
			"Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.", nil},
		{"error code not a number", rules(`<RoutingRule><Condition><HttpErrorCodeReturnedEquals>four</HttpErrorCodeReturnedEquals></Condition>` + redirect + `</RoutingRule>`),
			"MalformedXML", "", nil},
		{"error code not an error", rules(`<RoutingRule><Condition><HttpErrorCodeReturnedEquals>302</HttpErrorCodeReturnedEquals></Condition>` + redirect + `</RoutingRule>`),
			"InvalidRequest", "The provided HTTP error code (302) is not valid. Valid codes are 4XX or 5XX.", nil},
		{"both key replacements", rules(`<RoutingRule><Redirect><ReplaceKeyPrefixWith>a/</ReplaceKeyPrefixWith><ReplaceKeyWith>b</ReplaceKeyWith></Redirect></RoutingRule>`),
			"InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both.", nil},
		{"redirect code 300", rules(`<RoutingRule><Redirect><HttpRedirectCode>300</HttpRedirectCode></Redirect></RoutingRule>`),
			"InvalidRequest", "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300.", nil},
		{"redirect code 200", rules(`<RoutingRule><Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect></RoutingRule>`),
			"InvalidRequest", "The provided HTTP redirect code (200) is not valid. Valid codes are 3XX except 300.", nil},
		{"redirect code not a number", rules(`<RoutingRule><Redirect><HttpRedirectCode>moved</HttpRedirectCode></Redirect></RoutingRule>`), "MalformedXML", "", nil},
		{"redirect over gopher", rules(`<RoutingRule><Redirect><Protocol>gopher</Protocol></Redirect></RoutingRule>`), "InvalidRequest", invalidProtocolText, nil},
		{"redirect to an empty host", rules(`<RoutingRule><Redirect><HostName></HostName></Redirect></RoutingRule>`), "MalformedXML", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := parseWebsiteConfiguration([]byte(tc.body))
			if err == nil {
				t.Fatalf("accepted: %+v", w)
			}
			e := s3err.As(err)
			if e.Code != tc.code || e.Status != http.StatusBadRequest || (tc.msg != "" && e.Message != tc.msg) {
				t.Fatalf("got %d %s %q, want 400 %s %q", e.Status, e.Code, e.Message, tc.code, tc.msg)
			}
			for i, f := range tc.extra {
				if i >= len(e.Extra) || e.Extra[i] != f {
					t.Errorf("extra elements %v, want %v", e.Extra, tc.extra)
					break
				}
			}
		})
	}
}

func TestParseWebsiteConfigurationAccepts(t *testing.T) {
	w, err := parseWebsiteConfiguration([]byte(`<WebsiteConfiguration><RedirectAllRequestsTo><HostName>example.com</HostName></RedirectAllRequestsTo></WebsiteConfiguration>`))
	if err != nil || w.RedirectAllRequestsTo == nil || w.RedirectAllRequestsTo.HostName != "example.com" || w.RedirectAllRequestsTo.Protocol != "" || w.IndexDocument != "" {
		t.Errorf("redirect all: %+v, %v", w, err)
	}
	w, err = parseWebsiteConfiguration([]byte(`<WebsiteConfiguration><IndexDocument><Suffix>i.htm</Suffix></IndexDocument>` +
		`<RoutingRules><RoutingRule><Condition><KeyPrefixEquals></KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith></ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>`))
	if err != nil || w.IndexDocument != "i.htm" || len(w.RoutingRules) != 1 {
		t.Fatalf("index and rule: %+v, %v", w, err)
	}
	r := w.RoutingRules[0]
	if r.Condition == nil || r.Condition.KeyPrefixEquals == nil || *r.Condition.KeyPrefixEquals != "" ||
		r.Redirect.ReplaceKeyPrefixWith == nil || *r.Redirect.ReplaceKeyPrefixWith != "" || r.Redirect.ReplaceKeyWith != nil {
		t.Errorf("empty elements were not kept as given: %+v / %+v", r.Condition, r.Redirect)
	}
}

func TestCheckWebsiteRedirect(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"", true},
		{"/other.html", true},
		{"http://example.com/x", true},
		{"https://example.com", true},
		{"/" + strings.Repeat("a", 2047), true},
		{"/" + strings.Repeat("a", 2048), false},
		{"other.html", false},
		{"ftp://example.com", false},
		{"HTTP://example.com", false},
		{"//example.com", true}, // starts with "/"; S3 checks the prefix only
	} {
		h := http.Header{}
		if tc.value != "" {
			h.Set(hdrWebsiteRedirect, tc.value)
		}
		err := checkWebsiteRedirect(h)
		if (err == nil) != tc.ok || (err != nil && s3err.As(err).Code != "InvalidRedirectLocation") {
			t.Errorf("%.40q: %v, want ok=%v", tc.value, err, tc.ok)
		}
	}
}

// FuzzWebsiteConfiguration: any body is refused with a 4xx S3 error, or
// accepted as a configuration whose GetBucketWebsite document parses back
// to the same configuration.
func FuzzWebsiteConfiguration(f *testing.F) {
	for _, s := range []string{
		`<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>`,
		`<WebsiteConfiguration><RedirectAllRequestsTo><HostName>h</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>`,
		`<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><ErrorDocument><Key>e</Key></ErrorDocument><RoutingRules>` +
			`<RoutingRule><Condition><KeyPrefixEquals></KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>` +
			`<Redirect><ReplaceKeyPrefixWith></ReplaceKeyPrefixWith><HttpRedirectCode>307</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>`,
		"", "<", "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := parseWebsiteConfiguration(body)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		doc, err := xml.Marshal(websiteToXML(w))
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseWebsiteConfiguration(doc)
		if err != nil {
			t.Fatalf("%q: GET's document %s is refused: %v", body, doc, err)
		}
		if !reflect.DeepEqual(w, again) {
			t.Fatalf("%q: %+v came back as %+v", body, w, again)
		}
	})
}
