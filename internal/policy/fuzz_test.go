package policy

import (
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse for every Kind. Parse must
// never panic, and whatever it accepts must evaluate and decide without
// panicking, for requests that exercise principals, variables and every
// kind of condition value.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/seed*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed corpus: %v", err)
	}
	for _, name := range files {
		f.Add(readTestdata(f, filepath.Base(name)))
	}
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username}/*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:sts::111122223333:assumed-role/R/s"]},"NotAction":"iam:*","NotResource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"${*}a?*"},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${s3:prefix, 'x'}:*"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01"},"NumericGreaterThan":{"s3:max-keys":1e3},"Null":{"s3:x":true},"BinaryEquals":{"s3:b":"QQ=="},"Bool":{"aws:SecureTransport":false}}}}`,
		`{"Statement":[]}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	requests := []*Request{
		{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::alice/k", Context: ctx(
			"aws:TagKeys", "a", "aws:TagKeys", "*ab", "aws:SourceArn", "arn:aws:s3:::x:y", "aws:SourceIp", "10.1.1.1",
			"aws:CurrentTime", "2025-01-01T00:00:00Z", "s3:max-keys", "1001", "s3:b", "QQ==", "aws:SecureTransport", "false", "s3:prefix", "p")},
		{Principal: session, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/R"},
		{Principal: s3Service, Action: "kms:Decrypt", Resource: "*", Context: ctx("kms:ViaService", "s3.us-east-1.amazonaws.com")},
		{Principal: anonymous, Action: "S3:PUTOBJECT", Resource: "", Context: ctx("S3:Prefix", "é", "aws:SourceIp", "not-an-ip")},
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		for _, kind := range []Kind{Identity, Resource, Trust} {
			d, err := Parse(text, kind)
			if err != nil {
				if _, ok := err.(*Error); !ok || err.Error() == "" {
					t.Fatalf("Parse error %T %q is not a *policy.Error with a message", err, err)
				}
				continue
			}
			for _, r := range requests {
				d.Evaluate(r)
				Decide(&Input{Request: *r, ResourceAccount: acctA, Identity: []*Document{d}, Resource: d, Session: []*Document{d}})
				Decide(&Input{Request: *r, ResourceAccount: acctB, Resource: d, KeyPolicy: true})
			}
		}
	})
}
