package policy

import "testing"

func TestUsesConditionKey(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
	 {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
	  "Condition":{"StringEquals":{"s3:ExistingObjectTag/secret":"yes"}}}]}`
	d, err := Parse([]byte(doc), Resource)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix string
		want   bool
	}{
		{"s3:ExistingObjectTag/", true},
		{"S3:EXISTINGOBJECTTAG/", true},
		{"s3:RequestObjectTag/", false},
		{"aws:SourceIp", false},
	} {
		if got := d.UsesConditionKey(tc.prefix); got != tc.want {
			t.Errorf("UsesConditionKey(%q) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
	var none *Document
	if none.UsesConditionKey("s3:") {
		t.Error("nil document uses a key")
	}
}
