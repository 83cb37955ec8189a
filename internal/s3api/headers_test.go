package s3api

import (
	"net/http"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	cases := []struct {
		in      string
		off, n  int64
		ok      bool
		invalid bool
	}{
		{"", 0, 0, false, false},
		{"bytes=0-0", 0, 1, true, false},
		{"bytes=0-999", 0, 1000, true, false},
		{"bytes=0-5000", 0, 1000, true, false},
		{"bytes=10-", 10, 990, true, false},
		{"bytes=-10", 990, 10, true, false},
		{"bytes=-5000", 0, 1000, true, false},
		{"bytes=999-", 999, 1, true, false},
		{"bytes=1000-", 0, 0, false, true},
		{"bytes=1000-2000", 0, 0, false, true},
		{"bytes=-0", 0, 0, false, true},
		{"bytes=5-1", 0, 0, false, false},     // invalid syntax: whole object
		{"bytes=0-1,5-6", 0, 0, false, false}, // multiple ranges: whole object
		{"items=0-1", 0, 0, false, false},     // other unit: whole object
		{"bytes=a-b", 0, 0, false, false},     // garbage: whole object
		{"bytes=-", 0, 0, false, false},
	}
	for _, tc := range cases {
		r, ok, err := parseRange(tc.in, size)
		if tc.invalid {
			if !s3err.Is(err, s3err.InvalidRange) {
				t.Errorf("%q: err = %v, want InvalidRange", tc.in, err)
			}
			continue
		}
		if err != nil || ok != tc.ok || (ok && (r.off != tc.off || r.n != tc.n)) {
			t.Errorf("%q: got %+v %v %v, want off=%d n=%d ok=%v", tc.in, r, ok, err, tc.off, tc.n, tc.ok)
		}
	}
	// An empty object: a first byte cannot exist (416, as s3-tests'
	// test_ranged_request_empty_object and S3 say), but the last N bytes
	// are the empty body (200), and what is not a range is ignored.
	for _, tc := range []struct {
		in    string
		unsat bool
	}{
		{"bytes=0-", true},
		{"bytes=40-50", true},
		{"bytes=-1", false},
		{"bytes=-100", false},
		{"bytes=-0", true},
		{"bytes=5-1", false},
		{"bytes=a-b", false},
	} {
		_, ok, err := parseRange(tc.in, 0)
		if got := s3err.Is(err, s3err.InvalidRange); got != tc.unsat || ok || (!tc.unsat && err != nil) {
			t.Errorf("%q on an empty object: ok=%v err=%v, want unsatisfiable=%v", tc.in, ok, err, tc.unsat)
		}
	}
}

func TestCheckConditions(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)
	before, after := httpTime(mtime.Add(-time.Hour)), httpTime(mtime.Add(time.Hour))
	same := httpTime(mtime)
	cases := []struct {
		name string
		hdr  map[string]string
		want *s3err.Error
	}{
		{"none", nil, nil},
		{"if-match hit", map[string]string{"If-Match": `"abc"`}, nil},
		{"if-match star", map[string]string{"If-Match": "*"}, nil},
		{"if-match miss", map[string]string{"If-Match": `"x"`}, s3err.PreconditionFailed},
		{"if-match list", map[string]string{"If-Match": `"x", "abc"`}, nil},
		{"unmodified-since past", map[string]string{"If-Unmodified-Since": before}, s3err.PreconditionFailed},
		{"unmodified-since same second", map[string]string{"If-Unmodified-Since": same}, nil},
		{"if-match wins over unmodified-since", map[string]string{"If-Match": `"abc"`, "If-Unmodified-Since": before}, nil},
		{"none-match hit", map[string]string{"If-None-Match": `"abc"`}, s3err.NotModified},
		{"none-match miss", map[string]string{"If-None-Match": `"x"`}, nil},
		{"modified-since future", map[string]string{"If-Modified-Since": after}, s3err.NotModified},
		{"modified-since past", map[string]string{"If-Modified-Since": before}, nil},
		{"none-match miss beats modified-since", map[string]string{"If-None-Match": `"x"`, "If-Modified-Since": after}, nil},
	}
	for _, tc := range cases {
		h := http.Header{}
		for k, v := range tc.hdr {
			h.Set(k, v)
		}
		err := checkConditions(h, "abc", mtime)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !s3err.Is(err, tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{
		"aws-chunked": "", "aws-chunked,gzip": "gzip", "gzip, aws-chunked": "gzip", "gzip": "gzip", "": "",
	} {
		if got := stripAWSChunked(in); got != want {
			t.Errorf("stripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestURLEncodeKey(t *testing.T) {
	for in, want := range map[string]string{
		"a b": "a+b", "a+b": "a%2Bb", "dir/file": "dir/file", "ü": "%C3%BC", "100%": "100%25",
	} {
		if got := urlEncodeKey(in); got != want {
			t.Errorf("urlEncodeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTagsHeader(t *testing.T) {
	h := http.Header{}
	h.Set("x-amz-tagging", "b=2&a=1&empty=")
	tags, err := tagsHeader(h)
	if err != nil || len(tags) != 3 || tags[0].Key != "a" || tags[1].Key != "b" || tags[2].Value != "" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	h.Set("x-amz-tagging", "a=1&a=2")
	if _, err := tagsHeader(h); !s3err.Is(err, s3err.InvalidTag) {
		t.Fatalf("duplicate tag key: %v", err)
	}
}
