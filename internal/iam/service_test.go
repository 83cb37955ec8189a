package iam

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

func TestUsers(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		in   UserInput
		code string
	}{
		{"plain", UserInput{UserName: "alice"}, ""},
		{"with path", UserInput{UserName: "bob", Path: "/eng/storage/"}, ""},
		{"same name other case", UserInput{UserName: "ALICE"}, CodeEntityAlreadyExists},
		{"bad character", UserInput{UserName: "al ice"}, CodeValidationError},
		{"too long", UserInput{UserName: strings.Repeat("a", 65)}, CodeValidationError},
		{"empty", UserInput{}, CodeValidationError},
		{"path without trailing slash", UserInput{UserName: "carol", Path: "/eng"}, CodeValidationError},
		{"duplicate tag keys", UserInput{UserName: "dave", Tags: []Tag{{"k", "1"}, {"K", "2"}}}, CodeInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := e.svc.CreateUser(bg, adminAcct, tc.in)
			wantCode(t, err, tc.code)
			if err == nil {
				path := tc.in.Path
				if path == "" {
					path = "/"
				}
				if u.ARN != "arn:aws:iam::"+adminAcct+":user"+path+tc.in.UserName || !strings.HasPrefix(u.UserID, "AIDA") || len(u.UserID) != 21 {
					t.Fatalf("user %+v", u)
				}
			}
		})
	}
	// Lookups ignore case, as IAM's do.
	if u, err := e.svc.GetUser(bg, adminAcct, "Alice"); err != nil || u.UserName != "alice" {
		t.Fatalf("GetUser Alice: %+v %v", u, err)
	}
	_, err := e.svc.GetUser(bg, "444455556666", "alice")
	wantCode(t, err, CodeNoSuchEntity)

	all, _ := e.svc.ListUsers(bg, adminAcct, "")
	eng, _ := e.svc.ListUsers(bg, adminAcct, "/eng/")
	if len(all) != 2 || len(eng) != 1 || eng[0].UserName != "bob" {
		t.Fatalf("ListUsers: all %v eng %v", all, eng)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	k := e.key(t, adminAcct, "alice")
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "s3", allowS3), "")
	pol, err := e.svc.CreatePolicy(bg, adminAcct, PolicyInput{PolicyName: "managed", Document: allowS3})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.AttachUserPolicy(bg, adminAcct, "alice", pol.ARN), "")

	steps := []struct {
		what    string
		cleanup func() error
	}{
		{"must delete access keys first", func() error { return e.svc.DeleteAccessKey(bg, adminAcct, "alice", k.AccessKeyID) }},
		{"must delete policies first", func() error { return e.svc.DeleteUserPolicy(bg, adminAcct, "alice", "s3") }},
		{"must detach all policies first", func() error { return e.svc.DetachUserPolicy(bg, adminAcct, "alice", pol.ARN) }},
	}
	for _, s := range steps {
		err := e.svc.DeleteUser(bg, adminAcct, "alice")
		wantCode(t, err, CodeDeleteConflict)
		if !strings.Contains(err.Error(), s.what) {
			t.Fatalf("got %v, want %q", err, s.what)
		}
		wantCode(t, s.cleanup(), "")
	}
	wantCode(t, e.svc.DeleteUser(bg, adminAcct, "alice"), "")
	wantCode(t, e.svc.DeleteUser(bg, adminAcct, "alice"), CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicy(bg, adminAcct, pol.ARN), "")
}

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	k1, k2 := e.key(t, adminAcct, "alice"), e.key(t, adminAcct, "alice")
	_, err := e.svc.CreateAccessKey(bg, adminAcct, "alice")
	wantCode(t, err, CodeLimitExceeded)
	if !strings.HasPrefix(k1.AccessKeyID, "AKIA") || len(k1.AccessKeyID) != 20 || len(k1.Secret) != 40 || k1.UserName != "alice" {
		t.Fatalf("key %+v", k1)
	}

	cases := []struct {
		name, ak, token string
		want            *s3err.Error
		principal       kura.Principal
	}{
		{"user key", k1.AccessKeyID, "", nil, kura.Principal{Type: kura.PrincipalIAMUser, AccountID: adminAcct,
			ARN: "arn:aws:iam::" + adminAcct + ":user/alice", UserName: "alice", AccessKeyID: k1.AccessKeyID}},
		{"admin root key", adminAK, "", nil, kura.Principal{Type: kura.PrincipalRoot, AccountID: adminAcct,
			ARN: "arn:aws:iam::" + adminAcct + ":root", PrincipalID: adminAcct, AccessKeyID: adminAK}},
		{"long-term key with a token", k1.AccessKeyID, "token", s3err.InvalidToken, kura.Principal{}},
		{"unknown key", "AKIANOTAKEY000000000", "", s3err.InvalidAccessKeyID, kura.Principal{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.svc.Authenticate(bg, tc.ak, tc.token)
			if tc.want != nil {
				wantS3(t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.principal.Type == kura.PrincipalIAMUser {
				tc.principal.PrincipalID = p.PrincipalID // random AIDA id
			}
			if diff := cmp.Diff(tc.principal, p); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	if s, err := e.svc.SecretFor(k2.AccessKeyID); err != nil || s != k2.Secret {
		t.Fatalf("SecretFor: %v", err)
	}

	// Inactive keys neither verify nor authenticate.
	wantCode(t, e.svc.UpdateAccessKey(bg, adminAcct, "alice", k2.AccessKeyID, StatusInactive), "")
	_, err = e.svc.SecretFor(k2.AccessKeyID)
	wantS3(t, err, s3err.InvalidAccessKeyID)
	_, err = e.svc.Authenticate(bg, k2.AccessKeyID, "")
	wantS3(t, err, s3err.InvalidAccessKeyID)
	wantCode(t, e.svc.UpdateAccessKey(bg, adminAcct, "alice", k2.AccessKeyID, "Sleepy"), CodeValidationError)

	// A key is only reachable through its own user.
	e.user(t, adminAcct, "bob")
	wantCode(t, e.svc.DeleteAccessKey(bg, adminAcct, "bob", k1.AccessKeyID), CodeNoSuchEntity)
	wantCode(t, e.svc.DeleteAccessKey(bg, "444455556666", "alice", k1.AccessKeyID), CodeNoSuchEntity)
	// The configured root key is not managed through IAM.
	wantCode(t, e.svc.DeleteAccessKey(bg, adminAcct, "", adminAK), CodeInvalidInput)

	keys, err := e.svc.ListAccessKeys(bg, adminAcct, "alice")
	if err != nil || len(keys) != 2 || keys[1].Status != StatusInactive || keys[0].Secret != "" {
		t.Fatalf("ListAccessKeys: %+v %v", keys, err)
	}
	// The admin's root has the configured key, and one more may be created.
	root := e.key(t, adminAcct, "")
	_, err = e.svc.CreateAccessKey(bg, adminAcct, "")
	wantCode(t, err, CodeLimitExceeded)
	if p, err := e.svc.Authenticate(bg, root.AccessKeyID, ""); err != nil || p.Type != kura.PrincipalRoot {
		t.Fatalf("root key: %+v %v", p, err)
	}
	wantCode(t, e.svc.DeleteAccessKey(bg, adminAcct, "alice", k1.AccessKeyID), "")
	_, err = e.svc.SecretFor(k1.AccessKeyID)
	wantS3(t, err, s3err.InvalidAccessKeyID)
}

// Secrets are stored sealed: the metadata store never holds one in clear.
func TestSecretsSealedAtRest(t *testing.T) {
	e := newEnv(t)
	e.user(t, adminAcct, "alice")
	k := e.key(t, adminAcct, "alice")
	_, acctKey, err := e.svc.CreateAccount(bg, AccountInput{Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.PutUserPolicy(bg, adminAcct, "alice", "p", allowS3), "")
	alice, _ := e.svc.Authenticate(bg, k.AccessKeyID, "")
	role, err := e.svc.CreateRole(bg, adminAcct, RoleInput{RoleName: "r", TrustPolicy: trustDocFor(`{"AWS":"` + alice.ARN + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	creds, _, err := e.svc.AssumeRole(bg, alice, AssumeRoleInput{RoleARN: role.ARN, SessionName: "s0"})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{k.Secret, acctKey.Secret, creds.SecretAccessKey, creds.SessionToken, adminSK}
	err = e.store.View(bg, func(tx meta.Tx) error {
		for _, tbl := range []meta.Table{meta.TableIAMAccounts, meta.TableIAMUsers, meta.TableIAMKeys, meta.TableIAMSessions, meta.TableIAMRoles} {
			c := tx.Cursor(tbl)
			for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
				for _, s := range secrets {
					if bytes.Contains(v, []byte(s)) || bytes.Contains(k, []byte(s)) {
						t.Errorf("table %s holds a secret in clear", tbl)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccounts(t *testing.T) {
	e := newEnv(t)
	first, err := e.svc.Account(bg, adminAcct)
	if err != nil || first.Name != AdminAccountName || len(first.CanonicalID) != 64 {
		t.Fatalf("first account %+v %v", first, err)
	}
	alt, altKey, err := e.svc.CreateAccount(bg, AccountInput{Name: "alt", Email: "john.doe@example.com",
		CanonicalID: "testid", DisplayName: "M. Tester", AccessKey: "NOPQRSTUVWXYZABCDEFG", SecretKey: "nopqrstuvwxyzabcdefghijklmnabcdefghijklm"})
	if err != nil {
		t.Fatal(err)
	}
	if !validAccountID(alt.ID) || alt.ID == adminAcct || altKey.AccessKeyID != "NOPQRSTUVWXYZABCDEFG" {
		t.Fatalf("account %+v key %+v", alt, altKey)
	}
	cases := []struct {
		name string
		in   AccountInput
		code string
	}{
		{"same name", AccountInput{Name: "ALT"}, CodeEntityAlreadyExists},
		{"same email", AccountInput{Name: "x", Email: "JOHN.DOE@example.com"}, CodeEntityAlreadyExists},
		{"same canonical id", AccountInput{Name: "x", CanonicalID: "testid"}, CodeEntityAlreadyExists},
		{"key of another account", AccountInput{Name: "x", AccessKey: "NOPQRSTUVWXYZABCDEFG", SecretKey: "secret-secret"}, CodeEntityAlreadyExists},
		{"the admin's key", AccountInput{Name: "x", AccessKey: adminAK, SecretKey: "secret-secret"}, CodeEntityAlreadyExists},
		{"key without secret", AccountInput{Name: "x", AccessKey: "ABCDEFGHIJKLMNOPQRST"}, CodeInvalidInput},
		{"short key", AccountInput{Name: "x", AccessKey: "SHORT", SecretKey: "secret-secret"}, CodeInvalidInput},
		{"short secret", AccountInput{Name: "x", AccessKey: "ABCDEFGHIJKLMNOPQRST", SecretKey: "short"}, CodeInvalidInput},
		{"no name", AccountInput{}, CodeInvalidInput},
		{"bad email", AccountInput{Name: "x", Email: "nobody"}, CodeInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.CreateAccount(bg, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	if a, err := e.svc.AccountByCanonicalID(bg, "testid"); err != nil || a.ID != alt.ID {
		t.Fatalf("AccountByCanonicalID: %+v %v", a, err)
	}
	if a, err := e.svc.AccountByEmail(bg, "John.Doe@example.com"); err != nil || a.ID != alt.ID {
		t.Fatalf("AccountByEmail: %+v %v", a, err)
	}
	_, err = e.svc.AccountByCanonicalID(bg, "nobody")
	wantCode(t, err, CodeNoSuchEntity)
	all, err := e.svc.Accounts(bg)
	if err != nil || len(all) != 2 {
		t.Fatalf("Accounts: %v %v", all, err)
	}
	p, err := e.svc.Authenticate(bg, altKey.AccessKeyID, "")
	if err != nil || p.Type != kura.PrincipalRoot || p.AccountID != alt.ID || p.ARN != "arn:aws:iam::"+alt.ID+":root" {
		t.Fatalf("alt root: %+v %v", p, err)
	}
	// The admin key cannot collide with a stored key at the next start.
	_, err = New(bg, Config{Meta: e.store, RootKey: bytes.Repeat([]byte{7}, 32),
		Admin: AdminCredentials{AccountID: adminAcct, AccessKey: altKey.AccessKeyID, SecretKey: "x"}})
	if err == nil || !strings.Contains(err.Error(), "root access key of account "+alt.ID) {
		t.Fatalf("colliding admin key accepted: %v", err)
	}
}
