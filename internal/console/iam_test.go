package console_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The IAM page's requests through the console's IAM proxy: users, roles,
// access keys (the secret given once, and working over S3), managed and
// inline policies, as the signed-in principal.

func TestConsoleIAMManage(t *testing.T) {
	t.Parallel()
	ts := start(t)
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	var secret, keyID, policyARN string
	for _, tc := range []struct {
		name, form string
		want       int
		has        string
	}{
		{"create user", form("Action", "CreateUser", "UserName", "carol"), 200, "<UserName>carol</UserName>"},
		{"create access key", form("Action", "CreateAccessKey", "UserName", "carol"), 200, "<SecretAccessKey>"},
		{"list access keys", form("Action", "ListAccessKeys", "UserName", "carol"), 200, "<Status>Active</Status>"},
		{"create policy", form("Action", "CreatePolicy", "PolicyName", "list-all", "PolicyDocument", doc), 200, "<Arn>"},
		{"role with a malformed trust policy", form("Action", "CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", `{"Statement":[`), 400, "MalformedPolicyDocument"},
		{"create role", form("Action", "CreateRole", "RoleName", "mover", "AssumeRolePolicyDocument", trust), 200, "<RoleName>mover</RoleName>"},
		{"inline role policy", form("Action", "PutRolePolicy", "RoleName", "mover", "PolicyName", "inl", "PolicyDocument", doc), 200, ""},
		{"list inline role policies", form("Action", "ListRolePolicies", "RoleName", "mover"), 200, "<member>inl</member>"},
		{"delete inline role policy", form("Action", "DeleteRolePolicy", "RoleName", "mover", "PolicyName", "inl"), 200, ""},
		{"delete role", form("Action", "DeleteRole", "RoleName", "mover"), 200, ""},
	} {
		code, body := b.do("POST", "/console/api/iam", tc.form)
		if code != tc.want || !strings.Contains(string(body), tc.has) {
			t.Fatalf("%s: %d %s, want %d with %q", tc.name, code, body, tc.want, tc.has)
		}
		if m := regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`).FindSubmatch(body); m != nil {
			secret = string(m[1])
			keyID = string(regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`).FindSubmatch(body)[1])
		}
		if m := regexp.MustCompile(`<Arn>(arn:aws:iam::\d+:policy/[^<]+)</Arn>`).FindSubmatch(body); m != nil {
			policyARN = string(m[1])
		}
	}
	// The new key works only once a policy allows: attach, use, detach.
	c := ts.s3(keyID, secret)
	if _, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err == nil {
		t.Error("carol lists buckets with no policy")
	}
	b.json("POST", "/console/api/iam", form("Action", "AttachUserPolicy", "UserName", "carol", "PolicyArn", policyARN), 200, nil)
	if _, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("carol after the attach: %v", err)
	}
	att, err := ts.iam().ListAttachedUserPolicies(ctx(t), &iam.ListAttachedUserPoliciesInput{UserName: aws.String("carol")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Errorf("attached %v %v", att, err)
	}
	// IAM refuses to delete a user that still has a key or a policy.
	if code, body := b.do("POST", "/console/api/iam", form("Action", "DeleteUser", "UserName", "carol")); code != 409 || !strings.Contains(string(body), "DeleteConflict") {
		t.Errorf("deleting carol with a key: %d %s", code, body)
	}
	b.json("POST", "/console/api/iam", form("Action", "DetachUserPolicy", "UserName", "carol", "PolicyArn", policyARN), 200, nil)
	b.json("POST", "/console/api/iam", form("Action", "DeleteAccessKey", "UserName", "carol", "AccessKeyId", keyID), 200, nil)
	b.json("POST", "/console/api/iam", form("Action", "DeleteUser", "UserName", "carol"), 200, nil)
	if _, err := ts.iam().GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("carol")}); err == nil {
		t.Error("carol still exists")
	}
	// A user without IAM permissions is refused each of these.
	nak, nsk := ts.user(t, "nobody", "")
	n := ts.browser(t)
	n.signIn(nak, nsk)
	for _, f := range []string{form("Action", "CreateUser", "UserName", "x"), form("Action", "CreateAccessKey", "UserName", "nobody2"),
		form("Action", "CreateRole", "RoleName", "x", "AssumeRolePolicyDocument", trust)} {
		if code, body := n.do("POST", "/console/api/iam", f); code != 403 || !strings.Contains(string(body), "AccessDenied") {
			t.Errorf("nobody %s: %d %s", f, code, body)
		}
	}
}
