package policy

import (
	"strings"
	"testing"
)

const (
	objectARN = "arn:aws:s3:::b/k"
	keyARN    = "arn:aws:kms:us-east-1:" + acctA + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// Policies used by TestDecide, by name.
func decidePolicies(t *testing.T) map[string]*Document {
	t.Helper()
	idp := func(text string) *Document { return mustParse(t, Identity, text) }
	rp := func(text string) *Document { return mustParse(t, Resource, text) }
	allowGet := `{"Version":"2012-10-17","Statement":{"Sid":"AllowGet","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	bucketAllow := func(principal string) *Document {
		return rp(`{"Version":"2012-10-17","Statement":{"Sid":"BucketAllow","Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	}
	keyPolicy := func(principal string) *Document {
		return rp(`{"Version":"2012-10-17","Statement":{"Sid":"KeyAllow","Effect":"Allow","Principal":` + principal + `,"Action":"kms:*","Resource":"*"}}`)
	}
	return map[string]*Document{
		"allowGet":      idp(allowGet),
		"denyGet":       idp(`{"Version":"2012-10-17","Statement":{"Sid":"DenyGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`),
		"allowAll":      idp(`{"Version":"2012-10-17","Statement":{"Sid":"AllowAll","Effect":"Allow","Action":"*","Resource":"*"}}`),
		"allowPutOnly":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"PutOnly","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}`),
		"allowDecrypt":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"UseKey","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"` + keyARN + `"}}`),
		"notActionIAM":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"AllButIAM","Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`),
		"denyOutsideB":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"OnlyB","Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}}`),
		"bucketAlice":   bucketAllow(`{"AWS":"` + alice.ARN + `"}`),
		"bucketAcctA":   bucketAllow(`{"AWS":"` + acctA + `"}`),
		"bucketRootA":   bucketAllow(`{"AWS":"arn:aws:iam::` + acctA + `:root"}`),
		"bucketAcctB":   bucketAllow(`{"AWS":"arn:aws:iam::` + acctB + `:root"}`),
		"bucketBob":     bucketAllow(`{"AWS":"` + bob.ARN + `"}`),
		"bucketRole":    bucketAllow(`{"AWS":"` + session.RoleARN + `"}`),
		"bucketSession": bucketAllow(`{"AWS":"` + session.ARN + `"}`),
		"bucketService": bucketAllow(`{"Service":"s3.amazonaws.com"}`),
		"bucketPublic":  bucketAllow(`"*"`),
		"bucketAWSStar": bucketAllow(`{"AWS":"*"}`),
		"bucketCanon":   bucketAllow(`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`),
		"bucketDenyAll": rp(`{"Version":"2012-10-17","Statement":{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`),
		"bucketDenyRootA": rp(`{"Version":"2012-10-17","Statement":{"Sid":"DenyAcct","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},
			"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`),
		"bucketDenyNotAlice": rp(`{"Version":"2012-10-17","Statement":[
			{"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":"` + alice.ARN + `"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`),
		"bucketAllowNotBob": rp(`{"Version":"2012-10-17","Statement":[
			{"Sid":"AllButBob","Effect":"Allow","NotPrincipal":{"AWS":"` + bob.ARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`),
		"sessionAllowGet": idp(allowGet),
		"sessionPutOnly":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"SessionPut","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}`),
		"sessionDenyGet":  idp(`{"Version":"2012-10-17","Statement":{"Sid":"SessionDeny","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`),

		"keyDefaultA":  keyPolicy(`{"AWS":"arn:aws:iam::` + acctA + `:root"}`),
		"keyAcctIDA":   keyPolicy(`{"AWS":"` + acctA + `"}`),
		"keyAlice":     keyPolicy(`{"AWS":"` + alice.ARN + `"}`),
		"keyCarol":     keyPolicy(`{"AWS":"` + carol.ARN + `"}`),
		"keyAcctB":     rp(`{"Version":"2012-10-17","Statement":[` + defaultKeyStatement(acctA) + `,{"Sid":"AllowB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}]}`),
		"keyBob":       rp(`{"Version":"2012-10-17","Statement":[` + defaultKeyStatement(acctA) + `,{"Sid":"AllowBob","Effect":"Allow","Principal":{"AWS":"` + bob.ARN + `"},"Action":"kms:Decrypt","Resource":"*"}]}`),
		"keyRole":      rp(`{"Version":"2012-10-17","Statement":[` + defaultKeyStatement(acctA) + `,{"Sid":"AllowRole","Effect":"Allow","Principal":{"AWS":"` + session.RoleARN + `"},"Action":"kms:Decrypt","Resource":"*"}]}`),
		"keySession":   rp(`{"Version":"2012-10-17","Statement":[` + defaultKeyStatement(acctA) + `,{"Sid":"AllowSession","Effect":"Allow","Principal":{"AWS":"` + session.ARN + `"},"Action":"kms:Decrypt","Resource":"*"}]}`),
		"keyDenyAlice": rp(`{"Version":"2012-10-17","Statement":[` + defaultKeyStatement(acctA) + `,{"Sid":"DenyAlice","Effect":"Deny","Principal":{"AWS":"` + alice.ARN + `"},"Action":"kms:Decrypt","Resource":"*"}]}`),
		"keyService":   keyPolicy(`{"Service":"s3.amazonaws.com"}`),
		// The AWS managed key policy (aws/s3), as internal/kms writes it.
		"keyManaged": rp(`{"Version":"2012-10-17","Statement":[{"Sid":"Allow access through S3 for all principals in the account that are authorized to use S3",
			"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*",
			"Condition":{"StringEquals":{"kms:CallerAccount":"` + acctA + `","kms:ViaService":"s3.us-east-1.amazonaws.com"}}},
			{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},
			"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}]}`),
	}
}

func defaultKeyStatement(acct string) string {
	return `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"}`
}

func TestDecide(t *testing.T) {
	pol := decidePolicies(t)
	docs := func(names ...string) []*Document {
		var out []*Document
		for _, n := range names {
			d, ok := pol[n]
			if !ok {
				t.Fatalf("no policy %q", n)
			}
			out = append(out, d)
		}
		return out
	}
	one := func(name string) *Document {
		if name == "" {
			return nil
		}
		return docs(name)[0]
	}
	type tc struct {
		name      string
		p         Principal
		root      bool
		action    string
		resource  string
		ctx       map[string][]string
		resAcct   string
		identity  []string
		bucket    string // resource policy name
		keyPolicy bool
		session   []string
		want      Reason
		statement string
	}
	get := func(name string, p Principal, identity []string, bucket string, want Reason, st string) tc {
		return tc{name: name, p: p, action: "s3:GetObject", resource: objectARN, resAcct: acctA, identity: identity, bucket: bucket, want: want, statement: st}
	}
	kms := func(name string, p Principal, identity []string, key string, want Reason, st string) tc {
		return tc{name: name, p: p, action: "kms:Decrypt", resource: keyARN, resAcct: acctA, identity: identity, bucket: key, keyPolicy: true, want: want, statement: st}
	}
	withRoot := func(c tc) tc { c.root = true; return c }
	withSession := func(c tc, s ...string) tc { c.session = s; return c }
	withCtx := func(c tc, m map[string][]string) tc { c.ctx = m; return c }
	withAction := func(c tc, a, r string) tc { c.action, c.resource = a, r; return c }

	cases := []tc{
		// Same account: identity OR resource policy.
		get("same account, identity allows", alice, []string{"allowGet"}, "", AllowedByIdentity, "AllowGet"),
		get("same account, bucket policy names the user", alice, nil, "bucketAlice", AllowedByResource, "BucketAllow"),
		get("same account, bucket policy names the account ID", alice, nil, "bucketAcctA", AllowedByResource, "BucketAllow"),
		get("same account, bucket policy names the account root", alice, nil, "bucketRootA", AllowedByResource, "BucketAllow"),
		get("same account, neither allows", alice, []string{"allowPutOnly"}, "bucketBob", NoIdentityAllow, ""),
		get("same account, no policies at all", alice, nil, "", NoIdentityAllow, ""),
		get("same account, bucket policy denies", alice, []string{"allowGet"}, "bucketDenyAll", ExplicitDenyResource, "DenyAll"),
		get("same account, identity denies over bucket allow", alice, []string{"allowAll", "denyGet"}, "bucketAlice", ExplicitDenyIdentity, "DenyGet"),
		get("several identity policies, one allows", alice, []string{"allowPutOnly", "allowGet"}, "", AllowedByIdentity, "AllowGet"),
		get("canonical user", Principal{AccountID: acctA, ARN: alice.ARN, CanonicalID: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, nil, "bucketCanon", AllowedByResource, "BucketAllow"),

		// Root of the resource account.
		withRoot(get("root, no policies", rootA, nil, "", AllowedAsRoot, "")),
		withRoot(get("root ignores identity policies", rootA, []string{"denyGet"}, "", AllowedAsRoot, "")),
		withRoot(get("root, bucket policy denies everyone", rootA, nil, "bucketDenyAll", ExplicitDenyResource, "DenyAll")),
		withRoot(get("root, bucket policy denies the account", rootA, nil, "bucketDenyRootA", ExplicitDenyResource, "DenyAcct")),
		get("account deny applies to users too", alice, []string{"allowGet"}, "bucketDenyRootA", ExplicitDenyResource, "DenyAcct"),

		// Cross-account: both must allow.
		get("cross-account, both allow (account)", bob, []string{"allowGet"}, "bucketAcctB", AllowedByResource, "BucketAllow"),
		get("cross-account, both allow (user)", bob, []string{"allowGet"}, "bucketBob", AllowedByResource, "BucketAllow"),
		get("cross-account, no identity allow", bob, nil, "bucketAcctB", NoIdentityAllow, ""),
		get("cross-account, no bucket policy", bob, []string{"allowGet"}, "", NoResourceAllow, ""),
		get("cross-account, bucket policy for another account", bob, []string{"allowGet"}, "bucketAcctA", NoResourceAllow, ""),
		get("cross-account, public bucket still needs identity", bob, nil, "bucketPublic", NoIdentityAllow, ""),
		get("cross-account, identity deny", bob, []string{"allowGet", "denyGet"}, "bucketBob", ExplicitDenyIdentity, "DenyGet"),
		withRoot(get("cross-account root, bucket allows its account", rootB, nil, "bucketAcctB", AllowedByResource, "BucketAllow")),
		withRoot(get("cross-account root, no bucket policy", rootB, nil, "", NoResourceAllow, "")),

		// Role sessions and session policies.
		get("role session, role policy allows", session, []string{"allowGet"}, "", AllowedByIdentity, "AllowGet"),
		get("role session, bucket policy names the role", session, nil, "bucketRole", AllowedByResource, "BucketAllow"),
		get("role session, bucket policy names the session", session, nil, "bucketSession", AllowedByResource, "BucketAllow"),
		get("role session, bucket policy names the account", session, nil, "bucketAcctA", AllowedByResource, "BucketAllow"),
		withSession(get("session policy also allows", session, []string{"allowGet"}, "", AllowedByIdentity, "AllowGet"), "sessionAllowGet"),
		withSession(get("session policy does not allow", session, []string{"allowGet"}, "", NoSessionAllow, ""), "sessionPutOnly"),
		withSession(get("session policy denies", session, []string{"allowAll"}, "", ExplicitDenySession, "SessionDeny"), "sessionDenyGet"),
		withSession(get("session policy limits a grant to the role", session, nil, "bucketRole", NoSessionAllow, ""), "sessionPutOnly"),
		withSession(get("session policy does not limit a grant to the session", session, nil, "bucketSession", AllowedByResource, "BucketAllow"), "sessionPutOnly"),
		withSession(get("no identity and no session allow", session, nil, "", NoIdentityAllow, ""), "sessionPutOnly"),

		// Service principals: only "Service" entries, no identity policies.
		get("service principal named", s3Service, nil, "bucketService", AllowedByResource, "BucketAllow"),
		get("service principal, account grant does not match", s3Service, []string{"allowAll"}, "bucketRootA", NoResourceAllow, ""),
		get("service principal, no bucket policy", s3Service, []string{"allowAll"}, "", NoResourceAllow, ""),
		get("service principal matches *", s3Service, nil, "bucketPublic", AllowedByResource, "BucketAllow"),
		get("user does not match a Service entry", alice, nil, "bucketService", NoIdentityAllow, ""),

		// Anonymous.
		get("anonymous, public bucket", anonymous, nil, "bucketPublic", AllowedByResource, "BucketAllow"),
		get("anonymous, AWS * is public too", anonymous, nil, "bucketAWSStar", AllowedByResource, "BucketAllow"),
		get("anonymous, account grant", anonymous, nil, "bucketAcctA", NoResourceAllow, ""),
		get("anonymous, no bucket policy", anonymous, nil, "", NoResourceAllow, ""),
		get("anonymous, public bucket with deny", anonymous, nil, "bucketDenyAll", ExplicitDenyResource, "DenyAll"),

		// NotPrincipal, NotAction, NotResource.
		get("NotPrincipal deny spares alice", alice, []string{"allowGet"}, "bucketDenyNotAlice", AllowedByIdentity, "AllowGet"),
		get("NotPrincipal deny hits carol", carol, []string{"allowGet"}, "bucketDenyNotAlice", ExplicitDenyResource, "OnlyAlice"),
		get("NotPrincipal deny hits root", rootA, nil, "bucketDenyNotAlice", ExplicitDenyResource, "OnlyAlice"),
		get("NotPrincipal allow grants carol", carol, nil, "bucketAllowNotBob", AllowedByResource, "AllButBob"),
		get("NotPrincipal allow skips bob", bob, []string{"allowGet"}, "bucketAllowNotBob", NoResourceAllow, ""),
		get("NotAction allows s3", alice, []string{"notActionIAM"}, "", AllowedByIdentity, "AllButIAM"),
		withAction(get("NotAction does not allow iam", alice, []string{"notActionIAM"}, "", NoIdentityAllow, ""), "iam:CreateUser", "arn:aws:iam::"+acctA+":user/x"),
		get("NotResource deny spares b", alice, []string{"allowAll", "denyOutsideB"}, "", AllowedByIdentity, "AllowAll"),
		withAction(get("NotResource deny hits other buckets", alice, []string{"allowAll", "denyOutsideB"}, "", ExplicitDenyIdentity, "OnlyB"), "s3:GetObject", "arn:aws:s3:::other/k"),

		// Empty ResourceAccount: the caller's own account.
		{name: "IAM action, identity only", p: alice, action: "iam:CreateUser", resource: "arn:aws:iam::" + acctA + ":user/x", identity: []string{"allowAll"}, want: AllowedByIdentity, statement: "AllowAll"},
		{name: "IAM action, no identity allow", p: alice, action: "iam:CreateUser", resource: "arn:aws:iam::" + acctA + ":user/x", identity: []string{"allowGet"}, want: NoIdentityAllow},

		// KMS key policies.
		kms("default key policy delegates: identity allows", alice, []string{"allowDecrypt"}, "keyDefaultA", AllowedByIdentity, "UseKey"),
		kms("default key policy delegates: no identity allow", alice, nil, "keyDefaultA", NoIdentityAllow, ""),
		kms("account ID delegates like the root ARN", alice, []string{"allowDecrypt"}, "keyAcctIDA", AllowedByIdentity, "UseKey"),
		withRoot(kms("default key policy: root", rootA, nil, "keyDefaultA", AllowedAsRoot, "")),
		withRoot(kms("root is not exempt from the key policy", rootA, nil, "keyCarol", NoResourceAllow, "")),
		kms("key policy names the user", alice, nil, "keyAlice", AllowedByResource, "KeyAllow"),
		kms("without delegation identity policies do not count", alice, []string{"allowDecrypt"}, "keyCarol", NoResourceAllow, ""),
		kms("no key policy", alice, []string{"allowDecrypt"}, "", NoResourceAllow, ""),
		kms("key policy deny beats identity allow", alice, []string{"allowDecrypt"}, "keyDenyAlice", ExplicitDenyResource, "DenyAlice"),
		kms("cross-account, key policy delegates to B, identity allows", bob, []string{"allowDecrypt"}, "keyAcctB", AllowedByResource, "AllowB"),
		kms("cross-account, key policy delegates to B, no identity", bob, nil, "keyAcctB", NoIdentityAllow, ""),
		kms("cross-account, key policy names bob, no identity", bob, nil, "keyBob", NoIdentityAllow, ""),
		kms("cross-account, key policy names bob, identity allows", bob, []string{"allowDecrypt"}, "keyBob", AllowedByResource, "AllowBob"),
		kms("cross-account, default key policy of A", bob, []string{"allowDecrypt"}, "keyDefaultA", NoResourceAllow, ""),
		withRoot(kms("cross-account root, key delegates to B", rootB, nil, "keyAcctB", AllowedByResource, "AllowB")),
		kms("key policy names the role", session, nil, "keyRole", AllowedByResource, "AllowRole"),
		withSession(kms("key policy names the role, session policy limits", session, nil, "keyRole", NoSessionAllow, ""), "sessionPutOnly"),
		withSession(kms("key policy names the session, session policy does not limit", session, nil, "keySession", AllowedByResource, "AllowSession"), "sessionPutOnly"),
		withSession(kms("delegation, identity allows, session does not", session, []string{"allowDecrypt"}, "keyDefaultA", NoSessionAllow, ""), "sessionPutOnly"),
		kms("service principal named in key policy", s3Service, nil, "keyService", AllowedByResource, "KeyAllow"),
		kms("service principal, default key policy", s3Service, nil, "keyDefaultA", NoResourceAllow, ""),
		withCtx(kms("AWS managed key through S3", alice, nil, "keyManaged", AllowedByResource,
			"Allow access through S3 for all principals in the account that are authorized to use S3"),
			ctx("kms:CallerAccount", acctA, "kms:ViaService", "s3.us-east-1.amazonaws.com")),
		withCtx(kms("AWS managed key called directly", alice, nil, "keyManaged", NoResourceAllow, ""),
			ctx("kms:CallerAccount", acctA)),
		withCtx(kms("AWS managed key, other account", bob, []string{"allowDecrypt"}, "keyManaged", NoResourceAllow, ""),
			ctx("kms:CallerAccount", acctB, "kms:ViaService", "s3.us-east-1.amazonaws.com")),
		withAction(kms("AWS managed key metadata by delegation", alice, []string{"allowAll"}, "keyManaged", AllowedByIdentity, "AllowAll"), "kms:DescribeKey", keyARN),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &Input{
				Request:         Request{Principal: c.p, Action: c.action, Resource: c.resource, Context: c.ctx},
				ResourceAccount: c.resAcct,
				IsRoot:          c.root,
				Identity:        docs(c.identity...),
				Resource:        one(c.bucket),
				KeyPolicy:       c.keyPolicy,
				Session:         docs(c.session...),
			}
			got := Decide(in)
			wantAllowed := c.want >= AllowedByIdentity
			if got.Allowed != wantAllowed || got.Reason != c.want || got.Statement != c.statement {
				t.Errorf("Decide = {Allowed:%v Reason:%q Statement:%q}, want {Allowed:%v Reason:%q Statement:%q}",
					got.Allowed, got.Reason, got.Statement, wantAllowed, c.want, c.statement)
			}
		})
	}
}

func TestDecideIgnoresNilDocuments(t *testing.T) {
	allow := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	d := Decide(&Input{
		Request:  Request{Principal: alice, Action: "s3:GetObject", Resource: objectARN},
		Identity: []*Document{nil, allow},
		Session:  []*Document{nil},
	})
	if d.Allowed {
		t.Fatalf("a session policy list holding only nil must allow nothing: %+v", d)
	}
	d = Decide(&Input{
		Request:  Request{Principal: alice, Action: "s3:GetObject", Resource: objectARN},
		Identity: []*Document{nil, allow},
	})
	if !d.Allowed {
		t.Fatalf("nil identity documents must be skipped: %+v", d)
	}
}

func TestMessage(t *testing.T) {
	const user = "arn:aws:iam::111122223333:user/X"
	for _, tc := range []struct {
		d                Decision
		action, resource string
		q                Quoting
		principal        string
		want             string
	}{
		{Decision{Reason: NoIdentityAllow}, "s3:PutObject", "arn:aws:s3:::b/k", QuotedResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action`},
		{Decision{Reason: ExplicitDenyResource}, "s3:PutObject", "arn:aws:s3:::b/k", QuotedResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a resource-based policy`},
		{Decision{Reason: ExplicitDenyIdentity}, "s3:GetObject", "arn:aws:s3:::b/k", QuotedResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in an identity-based policy`},
		{Decision{Reason: NoResourceAllow}, "s3:PutObject", "arn:aws:s3:::b/k", QuotedResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no resource-based policy allows the s3:PutObject action`},
		{Decision{Reason: NoSessionAllow}, "s3:GetObject", "arn:aws:s3:::b/k", QuotedResource, "arn:aws:sts::111122223333:assumed-role/R/s",
			`User: arn:aws:sts::111122223333:assumed-role/R/s is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no session policy allows the s3:GetObject action`},
		{Decision{Reason: ExplicitDenySession}, "s3:GetObject", "arn:aws:s3:::b/k", QuotedResource, "arn:aws:sts::111122223333:assumed-role/R/s",
			`User: arn:aws:sts::111122223333:assumed-role/R/s is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a session policy`},
		{Decision{Reason: NoResourceAllow}, "kms:Decrypt", keyARN, BareResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: kms:Decrypt on resource: ` + keyARN + ` because no resource-based policy allows the kms:Decrypt action`},
		{Decision{Reason: NoIdentityAllow}, "iam:CreateUser", "", BareResource, user,
			`User: arn:aws:iam::111122223333:user/X is not authorized to perform: iam:CreateUser because no identity-based policy allows the iam:CreateUser action`},
		{Decision{Reason: NoResourceAllow}, "s3:GetObject", "arn:aws:s3:::b/k", QuotedResource, "", "Access Denied"},
		{Decision{Allowed: true, Reason: AllowedByIdentity}, "s3:GetObject", "arn:aws:s3:::b/k", QuotedResource, user, ""},
	} {
		if got := tc.d.Message(tc.principal, tc.action, tc.resource, tc.q); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.d.Reason, got, tc.want)
		}
	}
}

func TestReasonStrings(t *testing.T) {
	seen := map[string]bool{}
	for r := NoIdentityAllow; r <= AllowedAsRoot; r++ {
		s := r.String()
		if s == "" || strings.Contains(s, "unknown") || seen[s] {
			t.Errorf("Reason(%d).String() = %q", r, s)
		}
		seen[s] = true
	}
}
