package s3api

import "testing"

func TestPolicyIsPublic(t *testing.T) {
	st := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	for _, tc := range []struct {
		name   string
		doc    string
		public bool
	}{
		{"star principal", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"AWS star", st(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"AWS star in a list", st(`{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"statement object, not list", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`, true},
		{"one account", st(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), false},
		{"a service", st(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`), false},
		{"deny to star", st(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), false},
		{"NotPrincipal allow", st(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"source ip", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24"]}}}`), false},
		{"source ip everywhere", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`), true},
		{"NotIpAddress restricts nothing", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`), true},
		{"principal org", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}`), false},
		{"principal account, key case", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:PrincipalAccount":"111122223333"}}}`), false},
		{"wildcard source arn", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*"}}}`), true},
		{"unrelated condition", st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), true},
		{"one public statement among private ones", st(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/pub/*"}`), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := policyIsPublic([]byte(tc.doc)); got != tc.public {
				t.Fatalf("policyIsPublic = %v, want %v", got, tc.public)
			}
		})
	}
}

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
