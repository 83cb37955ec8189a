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

// TestReadsContext: a document reads the request context when it has a
// condition or a policy variable in a Resource; one that does not decides
// the same with and without a context.
func TestReadsContext(t *testing.T) {
	principal := `"Principal":{"AWS":"arn:aws:iam::111122223333:root"},`
	for _, tc := range []struct {
		name string
		kind Kind
		doc  string
		want bool
	}{
		{"default key policy", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + principal + `"Action":"kms:*","Resource":"*"}}`, false},
		{"identity, no condition", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/x"}]}`, false},
		{"condition", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + principal + `"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}`, true},
		{"condition in the second statement", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true},
		{"variable in Resource", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}/*"}}`, true},
		{"variable in NotResource", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}}`, true},
		{"escaped wildcard is no variable", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}"}}`, false},
		{"2008-10-17 has no variables", Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}/*"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.doc), tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.ReadsContext(); got != tc.want {
				t.Fatalf("ReadsContext() = %v, want %v", got, tc.want)
			}
			if tc.want {
				return
			}
			// Context-free: the same decision whatever the context holds.
			for _, action := range []string{"kms:Decrypt", "s3:GetObject", "s3:PutObject"} {
				for _, res := range []string{"*", "arn:aws:s3:::b/x", "arn:aws:s3:::b/AIDA/k", "arn:aws:s3:::b/${*}"} {
					r := Request{Principal: Principal{AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:user/u"}, Action: action, Resource: res}
					without := d.Evaluate(&r)
					r.Context = map[string][]string{"aws:userid": {"AIDA"}, "aws:username": {"u"}, "aws:securetransport": {"false"},
						"kms:viaservice": {"s3.us-east-1.amazonaws.com"}}
					if with := d.Evaluate(&r); with != without {
						t.Errorf("%s on %s: %+v with a context, %+v without", action, res, with, without)
					}
				}
			}
		})
	}
	if (*Document)(nil).ReadsContext() {
		t.Error("nil document reads the context")
	}
	if (&Document{Statements: []Statement{{Effect: Allow}}}).ReadsContext() != true {
		t.Error("a Document not made by Parse is taken not to read the context")
	}
}
