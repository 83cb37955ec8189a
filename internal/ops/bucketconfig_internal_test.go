package ops

import "testing"

func TestBucketResource(t *testing.T) {
	for _, tc := range []struct {
		resource string
		ok       bool
	}{
		{"arn:aws:s3:::b", true},
		{"arn:aws:s3:::b/*", true},
		{"arn:aws:s3:::b/a/b/c", true},
		{"*", true},
		{"arn:aws:s3:::b*", true},
		{"arn:aws:s3:::?", true},
		{"arn:aws:s3:::bb", false},
		{"arn:aws:s3:::other/*", false},
		{"arn:aws:s3:::c*/x", false},
		{"arn:aws:kms:us-east-1:111122223333:key/x", false},
		{"b/*", false},
	} {
		if got := bucketResource(tc.resource, "b"); got != tc.ok {
			t.Errorf("bucketResource(%q, b) = %v, want %v", tc.resource, got, tc.ok)
		}
	}
}
