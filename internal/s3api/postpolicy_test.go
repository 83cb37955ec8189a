package s3api

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

func TestPostPolicyCheck(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	enc := func(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }
	const exp = `"expiration": "2026-01-02T04:00:00.000Z"`
	cases := []struct {
		name   string
		doc    string
		fields map[string]string
		code   string // "" for success
		msg    string
	}{
		{"exact and bucket", `{` + exp + `, "conditions": [{"bucket": "b"}, {"key": "k"}]}`,
			map[string]string{"key": "k"}, "", ""},
		{"field names ignore case", `{` + exp + `, "conditions": [["starts-with", "$Content-Type", "image/"], {"KEY": "k"}]}`,
			map[string]string{"key": "k", "content-type": "image/png"}, "", ""},
		{"content-type list", `{` + exp + `, "conditions": [["starts-with", "$content-type", "image/"], {"key": "k"}]}`,
			map[string]string{"key": "k", "content-type": "image/png, text/plain"}, "AccessDenied",
			`Invalid according to Policy: Policy Condition failed: ["starts-with", "$content-type", "image/"]`},
		{"empty starts-with matches all", `{` + exp + `, "conditions": [["starts-with", "$key", ""]]}`,
			map[string]string{"key": "anything"}, "", ""},
		{"ignored fields", `{` + exp + `, "conditions": [{"key": "k"}]}`,
			map[string]string{"key": "k", "policy": "p", "x-amz-signature": "s", "file": "", "x-ignore-me": "1",
				"signature": "s", "awsaccesskeyid": "a"}, "", ""},
		{"missing field fails its condition", `{` + exp + `, "conditions": [{"key": "k"}, ["eq", "$acl", "private"]]}`,
			map[string]string{"key": "k"}, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "private"]`},
		{"extra fields listed", `{` + exp + `, "conditions": [{"key": "k"}]}`,
			map[string]string{"key": "k", "b": "1", "a": "2"}, "AccessDenied", "Invalid according to Policy: Extra input fields: a, b"},
		{"expired", `{"expiration": "2026-01-02T03:00:00Z", "conditions": []}`,
			map[string]string{}, "AccessDenied", "Invalid according to Policy: Policy expired."},
		{"length range as strings", `{` + exp + `, "conditions": [["content-length-range", "1", "10"]]}`,
			map[string]string{}, "", ""},
		{"bad range", `{` + exp + `, "conditions": [["content-length-range", 10, 1]]}`, nil, "InvalidPolicyDocument", ""},
		{"unknown operator", `{` + exp + `, "conditions": [["lt", "$key", "x"]]}`, nil, "InvalidPolicyDocument", ""},
		{"no expiration", `{"conditions": []}`, nil, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration."},
		{"no conditions", `{` + exp + `}`, nil, "InvalidPolicyDocument", "Invalid Policy: Policy missing conditions."},
		{"not JSON", `{`, nil, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."},
		{"keys are case-sensitive: CONDITIONS", `{` + exp + `, "CONDITIONS": [{"key": "k"}]}`, nil,
			"InvalidPolicyDocument", "Invalid Policy: Policy missing conditions."},
		{"keys are case-sensitive: EXPIRATION", `{"EXPIRATION": "2026-01-02T04:00:00Z", "conditions": [{"key": "k"}]}`, nil,
			"InvalidPolicyDocument", "Invalid Policy: Policy missing expiration."},
		{"conditions not a list", `{` + exp + `, "conditions": {"key": "k"}}`, nil, "InvalidPolicyDocument", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePostPolicy(enc(tc.doc))
			if err == nil {
				err = p.check(now, tc.fields, "b")
			}
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			e := s3err.As(err)
			if e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
				t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestPostFileRange(t *testing.T) {
	cases := []struct {
		size     int
		min, max int64
		code     string
	}{
		{5, 0, -1, ""}, {5, 5, 5, ""}, {4, 5, 10, "EntityTooSmall"}, {11, 5, 10, "EntityTooLarge"},
	}
	for _, tc := range cases {
		f := &postFile{r: strings.NewReader(strings.Repeat("x", tc.size)), min: tc.min, max: tc.max}
		buf := make([]byte, 3)
		var err error
		for err == nil {
			_, err = f.Read(buf)
		}
		got := ""
		if err.Error() != "EOF" {
			got = s3err.As(err).Code
		}
		if got != tc.code {
			t.Errorf("size %d in [%d,%d]: got %q, want %q", tc.size, tc.min, tc.max, got, tc.code)
		}
	}
}

func TestRedirectTarget(t *testing.T) {
	got, ok := redirectTarget("https://x.example/done?a=1", "b", "k/1", `"e"`)
	// S3 appends bucket, key and etag in that order, after the URL's own query.
	if !ok || got != "https://x.example/done?a=1&bucket=b&key=k%2F1&etag=%22e%22" {
		t.Fatalf("got %q %v", got, ok)
	}
	if _, ok := redirectTarget("/relative", "b", "k", "e"); ok {
		t.Fatal("relative redirect accepted")
	}
}
