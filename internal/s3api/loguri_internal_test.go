package s3api

import "testing"

func TestLogURIRedactsPresignedSecrets(t *testing.T) {
	cases := []struct{ path, query, want string }{
		{"/b/k", "", "/b/k"},
		{"/b", "logging", "/b?logging"},
		{"/b/k", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=abc&X-Amz-Expires=60",
			"/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Expires=60"},
		{"/b/k", "AWSAccessKeyId=AKIA&Signature=xyz&Expires=1", "/b/k?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1"},
		{"/b/k", "X-Amz-Security-Token=tok", "/b/k?X-Amz-Security-Token=REDACTED"},
	}
	for _, tc := range cases {
		if got := logURI(tc.path, tc.query); got != tc.want {
			t.Errorf("logURI(%q, %q) = %q, want %q", tc.path, tc.query, got, tc.want)
		}
	}
}
