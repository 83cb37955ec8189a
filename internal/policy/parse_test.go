package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	const (
		okAction   = `"Action":"s3:GetObject"`
		okResource = `"Resource":"arn:aws:s3:::b/*"`
	)
	stmt := func(fields string) string { return `{"Version":"2012-10-17","Statement":[{` + fields + `}]}` }
	resourceStmt := func(principal string) string {
		return stmt(`"Effect":"Allow","Principal":` + principal + `,` + okAction + `,` + okResource)
	}
	cond := func(c string) string {
		return stmt(`"Effect":"Allow",` + okAction + `,` + okResource + `,"Condition":` + c)
	}
	for _, tc := range []struct {
		name string
		kind Kind
		text string
		want string // substring of the message
		stmt int    // Error.Statement
	}{
		{"not JSON", Identity, `{"Version":`, "Syntax errors in policy", 0},
		{"trailing garbage", Identity, stmt(`"Effect":"Allow",`+okAction+`,`+okResource) + `x`, "Syntax errors in policy", 0},
		{"top-level array", Identity, `[]`, "Syntax errors in policy", 0},
		{"null", Identity, `null`, "Syntax errors in policy", 0},
		{"empty", Identity, ``, "Syntax errors in policy", 0},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "valid version string", 0},
		{"numeric version", Identity, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "valid version string", 0},
		{"unknown top-level field", Identity, `{"Version":"2012-10-17","Statment":[]}`, `Unknown field "Statment"`, 0},
		{"missing Statement", Identity, `{"Version":"2012-10-17"}`, "Missing required field Statement", 0},
		{"empty Statement", Identity, `{"Version":"2012-10-17","Statement":[]}`, "Statement must not be empty", 0},
		{"statement not an object", Identity, `{"Version":"2012-10-17","Statement":["x"]}`, "statement must be a JSON object", 1},
		{"unknown statement field", Identity, stmt(`"Effect":"Allow",` + okAction + `,` + okResource + `,"Actions":"s3:*"`), `Unknown field "Actions"`, 1},
		{"missing Effect", Identity, stmt(okAction + `,` + okResource), "Missing required field Effect", 1},
		{"lower-case Effect", Identity, stmt(`"Effect":"allow",` + okAction + `,` + okResource), "Invalid effect: allow", 1},
		{"Effect not a string", Identity, stmt(`"Effect":true,` + okAction + `,` + okResource), "Effect must be a string", 1},
		{"identity policy with Principal", Identity, resourceStmt(`"*"`), "Policy document should not specify a principal.", 1},
		{"identity policy with NotPrincipal", Identity, stmt(`"Effect":"Deny","NotPrincipal":{"AWS":"` + acctA + `"},` + okAction + `,` + okResource), "Policy document should not specify a principal.", 1},
		{"bucket policy without Principal", Resource, stmt(`"Effect":"Allow",` + okAction + `,` + okResource), "Missing required field Principal", 1},
		{"trust policy without Principal", Trust, stmt(`"Effect":"Allow","Action":"sts:AssumeRole"`), "Missing required field Principal", 1},
		{"Principal and NotPrincipal", Resource, stmt(`"Effect":"Deny","Principal":"*","NotPrincipal":"*",` + okAction + `,` + okResource), "Principal or NotPrincipal, not both", 1},
		{"Principal as an ARN string", Resource, resourceStmt(`"arn:aws:iam::111122223333:root"`), "Invalid principal in policy", 1},
		{"placeholder account", Resource, resourceStmt(`{"AWS":"arn:aws:iam::account-id:root"}`), "Invalid principal in policy", 1},
		{"wildcard account", Resource, resourceStmt(`{"AWS":"arn:aws:iam::*:root"}`), "Invalid principal in policy", 1},
		{"wildcard user", Resource, resourceStmt(`{"AWS":"arn:aws:iam::111122223333:user/*"}`), "Invalid principal in policy", 1},
		{"partial wildcard", Resource, resourceStmt(`{"AWS":"1111222233*"}`), "Invalid principal in policy", 1},
		{"short account", Resource, resourceStmt(`{"AWS":"12345"}`), "Invalid principal in policy", 1},
		{"not an IAM ARN", Resource, resourceStmt(`{"AWS":"arn:aws:s3:::bucket"}`), "Invalid principal in policy", 1},
		{"group is not a principal", Resource, resourceStmt(`{"AWS":"arn:aws:iam::111122223333:group/admins"}`), "Invalid principal in policy", 1},
		{"session ARN without session", Resource, resourceStmt(`{"AWS":"arn:aws:sts::111122223333:assumed-role/R"}`), "Invalid principal in policy", 1},
		{"bad partition", Resource, resourceStmt(`{"AWS":"arn:gcp:iam::111122223333:root"}`), "Invalid principal in policy", 1},
		{"unknown principal type", Resource, resourceStmt(`{"Foo":"x"}`), "Invalid principal in policy", 1},
		{"empty principal list", Resource, resourceStmt(`{"AWS":[]}`), "Invalid principal in policy", 1},
		{"empty principal object", Resource, resourceStmt(`{}`), "Invalid principal in policy", 1},
		{"empty principal value", Resource, resourceStmt(`{"AWS":""}`), "Invalid principal in policy", 1},
		{"wildcard service", Resource, resourceStmt(`{"Service":"*.amazonaws.com"}`), "Invalid principal in policy", 1},
		{"principal number", Resource, resourceStmt(`{"AWS":111122223333}`), "Invalid principal in policy", 1},
		{"missing Action", Identity, stmt(`"Effect":"Allow",` + okResource), "Policy statement must contain actions.", 1},
		{"empty Action list", Identity, stmt(`"Effect":"Allow","Action":[],` + okResource), "Policy statement must contain actions.", 1},
		{"Action without vendor", Identity, stmt(`"Effect":"Allow","Action":"GetObject",` + okResource), "must be prefaced by a vendor", 1},
		{"Action number", Identity, stmt(`"Effect":"Allow","Action":7,` + okResource), "Action must be a string", 1},
		{"Action and NotAction", Identity, stmt(`"Effect":"Allow",` + okAction + `,"NotAction":"iam:*",` + okResource), "Action or NotAction, not both", 1},
		{"missing Resource", Identity, stmt(`"Effect":"Allow",` + okAction), "Policy statement must contain resources.", 1},
		{"bucket policy missing Resource", Resource, stmt(`"Effect":"Allow","Principal":"*",` + okAction), "Policy statement must contain resources.", 1},
		{"empty Resource", Identity, stmt(`"Effect":"Allow",` + okAction + `,"Resource":""`), `ARN format`, 1},
		{"Resource and NotResource", Identity, stmt(`"Effect":"Allow",` + okAction + `,` + okResource + `,"NotResource":"*"`), "Resource or NotResource, not both", 1},
		{"trust policy with Resource", Trust, stmt(`"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"`), "Has prohibited field Resource", 1},
		{"unknown condition operator", Identity, cond(`{"StringEqualz":{"aws:username":"a"}}`), "Invalid Condition type : StringEqualz", 1},
		{"unknown set qualifier", Identity, cond(`{"ForSomeValues:StringEquals":{"aws:username":"a"}}`), "Invalid Condition type", 1},
		{"Null with IfExists", Identity, cond(`{"NullIfExists":{"aws:username":"true"}}`), "Invalid Condition type : NullIfExists", 1},
		{"Null with ForAnyValue", Identity, cond(`{"ForAnyValue:Null":{"aws:username":"true"}}`), "Invalid Condition type", 1},
		{"IfExists alone", Identity, cond(`{"IfExists":{"aws:username":"a"}}`), "Invalid Condition type", 1},
		{"condition key without vendor", Identity, cond(`{"StringEquals":{"username":"a"}}`), "must be prefaced by a vendor", 1},
		{"condition not an object", Identity, cond(`"x"`), "Condition must be an object", 1},
		{"operator not an object", Identity, cond(`{"StringEquals":"x"}`), "must map condition keys to values", 1},
		{"condition value object", Identity, cond(`{"StringEquals":{"aws:username":{"a":"b"}}}`), "must be a string, number, boolean", 1},
		{"condition value null", Identity, cond(`{"StringEquals":{"aws:username":null}}`), "must be a string, number, boolean", 1},
		{"Numeric not a number", Identity, cond(`{"NumericLessThan":{"s3:max-keys":"ten"}}`), "want a number", 1},
		{"Numeric NaN", Identity, cond(`{"NumericLessThan":{"s3:max-keys":"NaN"}}`), "want a number", 1},
		{"Date not a date", Identity, cond(`{"DateLessThan":{"aws:CurrentTime":"yesterday"}}`), "ISO 8601", 1},
		{"Bool not a bool", Identity, cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `"true" or "false"`, 1},
		{"Null not a bool", Identity, cond(`{"Null":{"aws:username":"maybe"}}`), `"true" or "false"`, 1},
		{"Binary not base64", Identity, cond(`{"BinaryEquals":{"s3:x":"!!"}}`), "want base64", 1},
		{"IpAddress not an address", Identity, cond(`{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}`), "CIDR", 1},
		{"identity Sid with spaces", Identity, stmt(`"Sid":"Allow reads","Effect":"Allow",` + okAction + `,` + okResource), "alpha-numeric", 1},
		{"identity duplicate Sid", Identity, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow",` + okAction + `,` + okResource + `},{"Sid":"A","Effect":"Deny",` + okAction + `,` + okResource + `}]}`, "must be unique", 2},
		{"error in second statement", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + okAction + `,` + okResource + `},{"Effect":"Allow",` + okAction + `}]}`, "must contain resources", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.text), tc.kind)
			if err == nil {
				t.Fatalf("Parse accepted %s as a %s: %v", tc.text, tc.kind, d)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *policy.Error", err, err)
			}
			if !strings.Contains(pe.Error(), tc.want) {
				t.Errorf("message %q does not contain %q", pe.Error(), tc.want)
			}
			if pe.Statement != tc.stmt {
				t.Errorf("Statement = %d, want %d", pe.Statement, tc.stmt)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind Kind
		text string
	}{
		{"Statement as object, strings", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`},
		{"no Version", Identity, `{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"*"}]}`},
		{"Version 2008", Resource, `{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"Spaces are fine here","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]}`},
		{"every principal form", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{
			"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/path/to/alice",
			       "arn:aws:iam::111122223333:role/service-role/R","arn:aws:sts::111122223333:assumed-role/R/s",
			       "arn:aws:sts::111122223333:federated-user/f","arn:aws-cn:iam::111122223333:root","arn:aws-us-gov:iam::111122223333:user/u"],
			"Service":["s3.amazonaws.com","kms.amazonaws.com"],
			"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
			"Federated":"cognito-identity.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`},
		{"NotPrincipal", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}`},
		{"trust policy with condition", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`},
		{"condition values of every JSON scalar type", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"NumericLessThan":{"s3:max-keys":[10, 2.5e1]},"Bool":{"aws:SecureTransport":true},"StringEquals":{"s3:prefix":["a",1]}}}]}`},
		{"every operator", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEquals":{"a:k":"v"},"StringNotEquals":{"a:k":"v"},"StringEqualsIgnoreCase":{"a:k":"v"},"StringNotEqualsIgnoreCase":{"a:k":"v"},
			"StringLike":{"a:k":"v*"},"StringNotLike":{"a:k":"v?"},"NumericEquals":{"a:k":"1"},"NumericNotEquals":{"a:k":"1"},
			"NumericLessThan":{"a:k":"1"},"NumericLessThanEquals":{"a:k":"1"},"NumericGreaterThan":{"a:k":"1"},"NumericGreaterThanEquals":{"a:k":"1"},
			"DateEquals":{"a:k":"2026-01-01"},"DateNotEquals":{"a:k":"1767225600"},"DateLessThan":{"a:k":"2026-01-01T00:00:00Z"},
			"DateLessThanEquals":{"a:k":"2026-01-01T00:00:00.5Z"},"DateGreaterThan":{"a:k":"20260101T000000Z"},"DateGreaterThanEquals":{"a:k":"2026-01-01T00:00:00+09:00"},
			"Bool":{"a:k":"TRUE"},"BinaryEquals":{"a:k":"QQ=="},"IpAddress":{"a:k":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]},"NotIpAddress":{"a:k":"10.0.0.0/8"},
			"ArnEquals":{"a:k":"arn:aws:s3:::b"},"ArnLike":{"a:k":"arn:aws:s3:::*"},"ArnNotEquals":{"a:k":"arn:aws:s3:::b"},"ArnNotLike":{"a:k":"arn:aws:s3:::*"},
			"Null":{"a:k":"true"},"StringEqualsIfExists":{"a:k":"v"},"ForAnyValue:StringLike":{"a:k":"v"},"ForAllValues:NumericLessThanIfExists":{"a:k":"1"},
			"ForAllValues:IpAddress":{"a:k":"10.0.0.0/8"},"ForAnyValue:ArnLike":{"a:k":"arn:aws:s3:::*"}}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.text), tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Statements) == 0 || d.Kind != tc.kind {
				t.Fatalf("parsed %v", d)
			}
		})
	}
}

func TestStatementLabels(t *testing.T) {
	d := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadAll","Effect":"Allow","Action":"s3:Get*","Resource":"*"},
		{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}`)
	for _, tc := range []struct {
		resource string
		want     Result
	}{
		{"arn:aws:s3:::b/k", Result{Effect: Allow, Statement: "ReadAll", match: byIdentity}},
		{"arn:aws:s3:::secret/k", Result{Effect: Deny, Statement: "Statement[1]"}},
	} {
		got := d.Evaluate(&Request{Principal: alice, Action: "s3:GetObject", Resource: tc.resource})
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.resource, got, tc.want)
		}
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	d := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:Get*","kms:ReEncrypt*","s3:List?ucket","iam:createuser"],
		 "Resource":["arn:aws:s3:::logs-??/*","arn:aws:s3:::b","arn:aws:kms:*:111122223333:key/*","arn:aws:iam::111122223333:user/*"]}]}`)
	for _, tc := range []struct {
		action, resource string
		want             Effect
	}{
		{"s3:GetObject", "arn:aws:s3:::logs-01/a/b", Allow},
		{"S3:GETOBJECT", "arn:aws:s3:::logs-01/a", Allow},         // actions are case-insensitive
		{"s3:GetObject", "arn:aws:s3:::LOGS-01/a", NotApplicable}, // resources are not
		{"s3:GetObject", "arn:aws:s3:::logs-001/a", NotApplicable},
		{"s3:GetObject", "arn:aws:s3:::b", Allow},
		{"s3:GetObject", "arn:aws:s3:::b/k", NotApplicable},
		{"s3:PutObject", "arn:aws:s3:::b", NotApplicable},
		{"s3:ListBucket", "arn:aws:s3:::b", Allow},
		{"s3:ListBuckets", "arn:aws:s3:::b", NotApplicable},
		{"kms:ReEncryptFrom", "arn:aws:kms:us-east-1:111122223333:key/k1", Allow},
		{"kms:ReEncryptTo", "arn:aws:kms:eu-west-1:111122223333:key/k1", Allow},
		{"kms:ReEncryptTo", "arn:aws:kms:eu-west-1:444455556666:key/k1", NotApplicable},
		{"kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k1", NotApplicable},
		{"iam:CreateUser", "arn:aws:iam::111122223333:user/x", Allow},
		{"s3:GetObject", "", NotApplicable},
	} {
		if got := d.Evaluate(&Request{Principal: alice, Action: tc.action, Resource: tc.resource}).Effect; got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"a*b", "ab", true},
		{"a*b", "axxbxb", true},
		{"a*b", "axxbx", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"??", "é", false},
		{"*?", "", false},
		{"*?", "x", true},
		{"a**b", "ab", true},
		{"x*y*z", "xyz", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"*.txt", "a.txt.gz", false},
		{"a*a*a*a*a*b", strings.Repeat("a", 200), false},
	} {
		p := compilePattern(tc.pattern, true, false)
		if got := p.match(tc.s, false, nil); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
