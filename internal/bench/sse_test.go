package bench

import "testing"

func TestDescribeSSE(t *testing.T) {
	cases := []struct {
		requested, applied, key string
		bucketKey               bool
		want                    string
	}{
		{SSENone, "", "", false, "none"},
		{SSENone, "AES256", "", false, "AES256(bucket default)"},
		{SSENone, "aws:kms", "arn:k", true, "aws:kms(key=arn:k,bucket-key)(bucket default)"},
		{SSEAES256, "AES256", "", false, "AES256"},
		{SSEKMS, "aws:kms", "arn:k", false, "aws:kms(key=arn:k)"},
	}
	for _, tc := range cases {
		if got := describeSSE(tc.requested, tc.applied, tc.key, tc.bucketKey); got != tc.want {
			t.Errorf("describeSSE(%q, %q, %q, %v) = %q, want %q", tc.requested, tc.applied, tc.key, tc.bucketKey, got, tc.want)
		}
	}
}
