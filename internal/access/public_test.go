package access

import (
	"encoding/json"
	"testing"
)

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
			if got := PolicyIsPublic([]byte(tc.doc)); got != tc.public {
				t.Fatalf("PolicyIsPublic = %v, want %v", got, tc.public)
			}
		})
	}
}

func TestDenyStatements(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      int // Deny statements kept; -1: none (ok false)
	}{
		{"mixed", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret"}]}`, 1},
		{"single Deny object", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`, 1},
		{"Allow only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := denyStatements(tc.doc)
			if !ok {
				if tc.want != -1 {
					t.Fatalf("no statements kept, want %d", tc.want)
				}
				return
			}
			var top struct {
				Version   string
				Statement []struct{ Effect string }
			}
			if err := json.Unmarshal([]byte(out), &top); err != nil {
				t.Fatal(err)
			}
			if top.Version != "2012-10-17" || len(top.Statement) != tc.want {
				t.Fatalf("kept %s", out)
			}
			for _, st := range top.Statement {
				if st.Effect != "Deny" {
					t.Fatalf("kept an Allow: %s", out)
				}
			}
		})
	}
}
