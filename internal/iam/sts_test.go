package iam

import (
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// stsEnv has a user alice with a key and a role "ops" that trusts her,
// with an inline policy.
type stsEnv struct {
	*env
	alice kura.Principal
	role  *Role
}

func newSTSEnv(t *testing.T) *stsEnv {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	alice, err := e.svc.Authenticate(bg, e.key(t, adminAcct, "alice").AccessKeyID, "")
	if err != nil {
		t.Fatal(err)
	}
	role, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "ops", TrustPolicy: trustDocFor(`{"AWS":"` + alice.ARN + `"}`),
		MaxSessionDuration: 7200})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.PutRolePolicy(bg, adminAcct, "ops", "s3", allowS3), "")
	return &stsEnv{env: e, alice: alice, role: role}
}

func TestAssumeRole(t *testing.T) {
	e := newSTSEnv(t)
	creds, p, err := e.svc.AssumeRole(bg, e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "deploy", DurationSeconds: 900})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" || len(creds.SecretAccessKey) != 40 ||
		!creds.Expiration.Equal(e.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("credentials %+v", creds)
	}
	wantARN := "arn:aws:sts::" + adminAcct + ":assumed-role/ops/deploy"
	if p.ARN != wantARN || p.PrincipalID != e.role.RoleID+":deploy" || p.RoleARN != e.role.ARN || p.Type != kura.PrincipalAssumedRole {
		t.Fatalf("principal %+v", p)
	}
	if s, err := e.svc.SecretFor(creds.AccessKeyID); err != nil || s != creds.SecretAccessKey {
		t.Fatalf("SecretFor session: %v", err)
	}
	got, err := e.svc.Authenticate(bg, creds.AccessKeyID, creds.SessionToken)
	if err != nil || got.ARN != wantARN || got.SessionName != "deploy" {
		t.Fatalf("Authenticate: %+v %v", got, err)
	}
	if docs, err := e.svc.PoliciesFor(bg, got); err != nil || len(docs) != 1 || docs[0] != allowS3 {
		t.Fatalf("session policies: %v %v", docs, err)
	}

	cases := []struct {
		name  string
		token string
		after time.Duration
		want  *s3err.Error
	}{
		{"no token", "", 0, s3err.InvalidAccessKeyID},
		{"wrong token", creds.SessionToken + "x", 0, s3err.InvalidToken},
		{"expired", creds.SessionToken, 15 * time.Minute, s3err.ExpiredToken},
		{"expired, wrong token", "nope", 0, s3err.InvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(tc.after)
			_, err := e.svc.Authenticate(bg, creds.AccessKeyID, tc.token)
			wantS3(t, err, tc.want)
		})
	}

	// Expired sessions are reaped after a grace hour, then unknown.
	if n, err := e.svc.ReapSessions(bg); err != nil || n != 0 {
		t.Fatalf("reaped %d early: %v", n, err)
	}
	e.clock.Advance(time.Hour + time.Second)
	if n, err := e.svc.ReapSessions(bg); err != nil || n != 1 {
		t.Fatalf("reaped %d: %v", n, err)
	}
	_, err = e.svc.Authenticate(bg, creds.AccessKeyID, creds.SessionToken)
	wantS3(t, err, s3err.InvalidAccessKeyID)
}

func TestAssumeRoleRefusals(t *testing.T) {
	e := newSTSEnv(t)
	root, _ := e.svc.Authenticate(bg, adminAK, "")
	_, altKey, err := e.svc.CreateAccount(bg, AccountInput{Name: "alt"})
	if err != nil {
		t.Fatal(err)
	}
	altRoot, _ := e.svc.Authenticate(bg, altKey.AccessKeyID, "")
	creds, session, err := e.svc.AssumeRole(bg, e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	_ = creds
	selfTrust, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "chained", TrustPolicy: trustDocFor(`{"AWS":"` + e.role.ARN + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		caller kura.Principal
		in     AssumeRoleInput
		code   string
		msg    string
	}{
		{"root", root, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "s0"}, CodeAccessDenied, "Roles may not be assumed by root accounts."},
		{"no such role", e.alice, AssumeRoleInput{RoleARN: "arn:aws:iam::" + adminAcct + ":role/none", SessionName: "s0"}, CodeAccessDenied, "is not authorized to perform: sts:AssumeRole"},
		{"other account not trusted", altRoot, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "s0"}, CodeAccessDenied, ""},
		{"user not trusted by role", e.alice, AssumeRoleInput{RoleARN: selfTrust.ARN, SessionName: "s0"}, CodeAccessDenied, ""},
		{"session name too short", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "s"}, CodeValidationError, "roleSessionName"},
		{"session name bad characters", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "a b"}, CodeValidationError, "regular expression"},
		{"duration too short", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "ss", DurationSeconds: 899}, CodeValidationError, "greater than or equal to 900"},
		{"duration above the role's maximum", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "ss", DurationSeconds: 7201}, CodeValidationError, "MaxSessionDuration"},
		{"chained session longer than an hour", session, AssumeRoleInput{RoleARN: selfTrust.ARN, SessionName: "ss", DurationSeconds: 3601}, CodeValidationError, "role chaining"},
		{"malformed session policy", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "ss", Policy: "{"}, CodeMalformedPolicyDocument, ""},
		{"chained session", session, AssumeRoleInput{RoleARN: selfTrust.ARN, SessionName: "ss"}, "", ""},
		{"session policy", e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "ss", Policy: allowS3}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.AssumeRole(bg, tc.caller, tc.in)
			wantCode(t, err, tc.code)
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestSessionPolicies(t *testing.T) {
	e := newSTSEnv(t)
	creds, _, err := e.svc.AssumeRole(bg, e.alice, AssumeRoleInput{RoleARN: e.role.ARN, SessionName: "ss", Policy: allowS3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(bg, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if docs, err := e.svc.SessionPolicies(bg, p); err != nil || len(docs) != 1 || docs[0] != allowS3 {
		t.Fatalf("session policies %v %v", docs, err)
	}
	// A role deleted and created again is a new role: the old session
	// gets none of its policies.
	wantCode(t, e.svc.DeleteRolePolicy(bg, adminAcct, "ops", "s3"), "")
	wantCode(t, e.svc.DeleteRole(bg, adminAcct, "ops"), "")
	if _, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "ops", TrustPolicy: e.role.TrustPolicy}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.PutRolePolicy(bg, adminAcct, "ops", "s3", allowS3), "")
	if docs, err := e.svc.PoliciesFor(bg, p); err != nil || len(docs) != 0 {
		t.Fatalf("old session got the new role's policies: %v %v", docs, err)
	}
}

func TestAssumeRoleAsService(t *testing.T) {
	e := newEnv(t)
	role, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "replication", TrustPolicy: trustDocFor(`{"Service":"s3.amazonaws.com"}`)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.AssumeRoleAsService(bg, role.ARN, ServiceS3)
	if err != nil || p.Type != kura.PrincipalAWSService || p.RoleARN != role.ARN || p.AccountID != adminAcct || p.AccessKeyID != "" {
		t.Fatalf("%+v %v", p, err)
	}
	_, err = e.svc.AssumeRoleAsService(bg, role.ARN, ServiceBatchOps)
	wantCode(t, err, CodeAccessDenied)
	_, err = e.svc.AssumeRoleAsService(bg, role.ARN, "ec2.amazonaws.com")
	wantCode(t, err, CodeInvalidInput)
	// Nothing was issued.
	e.store.View(bg, func(tx meta.Tx) error {
		if k, _ := tx.Cursor(meta.TableIAMSessions).Seek(nil); k != nil {
			t.Error("a service principal left a session behind")
		}
		return nil
	})
}
