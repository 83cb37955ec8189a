package iam

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
)

// Policy documents are validated by internal/policy, per kind; its
// rejections are MalformedPolicyDocument with its message.
func TestPolicyValidation(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	trust := trustDocFor(`{"AWS":"arn:aws:iam::` + adminAcct + `:user/alice"}`)
	cases := []struct {
		name string
		call func(e *env, i int, doc string) error
		doc  string
		want string // "" accepted, else a substring of the error
	}{
		{"identity policy", tryPutUserPolicy, allowS3, ""},
		{"identity policy with a principal", tryPutUserPolicy, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, "should not specify a principal"},
		{"not JSON", tryPutUserPolicy, `{"Version":`, "Syntax errors"},
		{"not latin-1", tryPutUserPolicy, strings.Replace(allowS3, "s3:*", "s3:\u4e16", 1), "regular expression pattern"},
		{"control character", tryPutUserPolicy, "{\x01}", "regular expression pattern"},
		{"trust policy", tryCreateRole, trust, ""},
		{"trust policy with a resource", tryCreateRole, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, "prohibited field Resource"},
		{"identity policy as trust", tryCreateRole, allowS3, "Missing required field Principal"},
		{"managed policy", tryCreatePolicy, allowS3, ""},
		{"managed policy without resource", tryCreatePolicy, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, "must contain resources"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(e, i, tc.doc)
			if tc.want == "" {
				wantCode(t, err, "")
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if !IsCode(err, CodeMalformedPolicyDocument) && !IsCode(err, CodeValidationError) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func tryPutUserPolicy(e *env, i int, doc string) error {
	return e.svc.PutUserPolicy(bg, adminAcct, "alice", "p"+strconv.Itoa(i), doc)
}

func tryCreateRole(e *env, i int, doc string) error {
	_, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "r" + strconv.Itoa(i), TrustPolicy: doc})
	return err
}

func tryCreatePolicy(e *env, i int, doc string) error {
	_, err := e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "p" + strconv.Itoa(i), Document: doc})
	return err
}

// Who may assume a role: the trust policy, evaluated by internal/policy,
// plus the caller's own policies where AWS consults them.
func TestMayAssume(t *testing.T) {
	e := newEnv(t)
	_, altKey, err := e.svc.CreateAccount(bg, AccountInput{Name: "alt"})
	if err != nil {
		t.Fatal(err)
	}
	altRoot, _ := e.svc.Authenticate(bg, altKey.AccessKeyID, "")
	alt := altRoot.AccountID
	principal := func(account, user string) kura.Principal {
		e.user(t, account, user)
		p, err := e.svc.Authenticate(bg, e.key(t, account, user).AccessKeyID, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	alice, bob, dave := principal(adminAcct, "alice"), principal(adminAcct, "bob"), principal(adminAcct, "dave")
	eve, mallory := principal(alt, "eve"), principal(alt, "mallory")
	role, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "r", TrustPolicy: trustDocFor(`"*"`)})
	if err != nil {
		t.Fatal(err)
	}
	assumeAllowed := `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + role.ARN + `"}}`
	assumeDenied := `{"Statement":{"Effect":"Deny","Action":"sts:*","Resource":"*"}}`
	wantCode(t, e.svc.PutUserPolicy(bg, alt, "eve", "assume", assumeAllowed), "")
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "dave", "assume", assumeAllowed), "")
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "bob", "deny", assumeDenied), "")

	cases := []struct {
		name  string
		trust string
		who   kura.Principal
		ctx   map[string][]string
		want  bool
	}{
		{"user named", trustDocFor(`{"AWS":"` + alice.ARN + `"}`), alice, nil, true},
		{"user not named", trustDocFor(`{"AWS":"` + alice.ARN + `"}`), eve, nil, false},
		{"account delegates to an identity policy", trustDocFor(`{"AWS":"arn:aws:iam::` + adminAcct + `:root"}`), dave, nil, true},
		{"account delegates, no identity policy", trustDocFor(`{"AWS":"arn:aws:iam::` + adminAcct + `:root"}`), alice, nil, false},
		{"account id delegates", trustDocFor(`{"AWS":"` + adminAcct + `"}`), dave, nil, true},
		{"anyone", trustDocFor(`"*"`), alice, nil, true},
		{"explicit deny in the caller's policy", trustDocFor(`{"AWS":"` + bob.ARN + `"}`), bob, nil, false},
		{"cross-account with an identity policy", trustDocFor(`{"AWS":"` + alt + `"}`), eve, nil, true},
		{"cross-account without one", trustDocFor(`{"AWS":"` + alt + `"}`), mallory, nil, false},
		{"service-only trust", trustDocFor(`{"Service":"s3.amazonaws.com"}`), alice, nil, false},
		{"external id matches", externalID("x-123"), alice, map[string][]string{"sts:ExternalId": {"x-123"}}, true},
		{"external id missing", externalID("x-123"), alice, nil, false},
		{"deny in the trust policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"` + alice.ARN + `"},"Action":"sts:AssumeRole"}]}`, alice, nil, false},
		{"other action only", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:TagSession"}}`, alice, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, e.svc.UpdateAssumeRolePolicy(bg, adminAcct, "r", tc.trust), "")
			_, _, err := e.svc.AssumeRole(bg, tc.who, AssumeRoleInput{RoleARN: role.ARN, SessionName: "s0", Context: tc.ctx})
			if tc.want {
				wantCode(t, err, "")
			} else {
				wantCode(t, err, CodeAccessDenied)
			}
		})
	}
}

func externalID(id string) string {
	return `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + id + `"}}}}`
}

func TestManagedPolicies(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	p1, err := e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "s3all", Path: "/team/", Document: allowS3})
	if err != nil {
		t.Fatal(err)
	}
	if p1.ARN != "arn:aws:iam::"+adminAcct+":policy/team/s3all" || p1.DefaultVersionID != "v1" || !strings.HasPrefix(p1.PolicyID, "ANPA") {
		t.Fatalf("policy %+v", p1)
	}
	p2, _ := e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "nodelete", Document: deny})
	_, err = e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "S3ALL", Document: allowS3})
	wantCode(t, err, CodeEntityAlreadyExists)
	_, err = e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "big", Document: strings.Replace(allowS3, `"*"}`, `"`+strings.Repeat("a", 7000)+`"}`, 1)})
	wantCode(t, err, CodeLimitExceeded)
	_, err = e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "bad", Document: `{"Statement":"x"}`})
	wantCode(t, err, CodeMalformedPolicyDocument)

	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "inline", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`), "")
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", p2.ARN), "")
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", p1.ARN), "")
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", p1.ARN), "") // twice: no-op
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", "arn:aws:iam::"+adminAcct+":policy/none"), CodeNoSuchEntity)
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", "arn:aws:iam::999999999999:policy/team/s3all"), CodeNoSuchEntity)
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", "not-an-arn"), CodeInvalidInput)

	got, err := e.svc.GetPolicy(bg, adminAcct, p1.ARN)
	if err != nil || got.AttachmentCount != 1 {
		t.Fatalf("GetPolicy: %+v %v", got, err)
	}
	_, err = e.svc.GetPolicy(bg, adminAcct, "arn:aws:iam::"+adminAcct+":policy/other/s3all") // wrong path
	wantCode(t, err, CodeNoSuchEntity)
	_, err = e.svc.GetPolicyVersion(bg, adminAcct, p1.ARN, "v2")
	wantCode(t, err, CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicy(bg, adminAcct, p1.ARN), CodeDeleteConflict)

	alice, _ := e.svc.Authenticate(bg, e.key(t, adminAcct, "alice").AccessKeyID, "")
	docs, err := e.svc.PoliciesFor(bg, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, deny, allowS3}
	if diff := cmp.Diff(want, docs); diff != "" {
		t.Fatal(diff)
	}
	root, _ := e.svc.Authenticate(bg, adminAK, "")
	if docs, err := e.svc.PoliciesFor(bg, root); err != nil || len(docs) != 0 {
		t.Fatalf("root policies: %v %v", docs, err)
	}

	attached, _ := e.svc.ListAttachedUserPolicies(bg, adminAcct, "alice", "/team/")
	if len(attached) != 1 || attached[0].PolicyName != "s3all" {
		t.Fatalf("attached under /team/: %+v", attached)
	}
	onlyAttached, _ := e.svc.ListPolicies(bg, adminAcct, "Local", true, "")
	awsScope, _ := e.svc.ListPolicies(bg, adminAcct, "AWS", false, "")
	if len(onlyAttached) != 2 || len(awsScope) != 0 {
		t.Fatalf("ListPolicies: %d attached, %d AWS", len(onlyAttached), len(awsScope))
	}
	wantCode(t, e.svc.DetachUserPolicy(bg, adminAcct, "alice", p1.ARN), "")
	wantCode(t, e.svc.DetachUserPolicy(bg, adminAcct, "alice", p1.ARN), CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicy(bg, adminAcct, p1.ARN), "")
	_, err = e.svc.GetPolicy(bg, adminAcct, p1.ARN)
	wantCode(t, err, CodeNoSuchEntity)
}

func TestInlinePolicyQuota(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	// 1,000 characters of resource per policy: two fit in the user's 2,048,
	// a third does not; white space does not count.
	doc := func(n int) string {
		return `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", n) + `"}}`
	}
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "one", doc(900)+strings.Repeat(" ", 3000)), "")
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "two", doc(900)), "")
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "three", doc(900)), CodeLimitExceeded)
	// Replacing a policy counts its new size only.
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "two", doc(950)), "")
	names, _ := e.svc.ListUserPolicies(bg, adminAcct, "alice")
	if len(names) != 2 || names[0] != "one" || names[1] != "two" {
		t.Fatalf("policies %v", names)
	}
	_, err := e.svc.GetUserPolicy(bg, adminAcct, "alice", "three")
	wantCode(t, err, CodeNoSuchEntity)
}
