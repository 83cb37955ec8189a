package s3api

import "testing"

func TestKMSKeyARNCondition(t *testing.T) {
	const region, acct = "us-east-1", "111122223333"
	for in, want := range map[string]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/orders":                         "arn:aws:kms:us-east-1:111122223333:alias/orders",
		"arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab": "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	} {
		if got := kmsKeyARN(in, region, acct); got != want {
			t.Errorf("kmsKeyARN(%q) = %q, want %q", in, got, want)
		}
	}
}
