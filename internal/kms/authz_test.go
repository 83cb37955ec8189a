package kms

import (
	"context"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

var (
	rootA = kura.Call{Principal: kura.Principal{AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root", Type: "Root", AccessKeyID: "AKIAROOTA"}}
	rootB = kura.Call{Principal: kura.Principal{AccountID: otherAcct, ARN: "arn:aws:iam::" + otherAcct + ":root", Type: "Root", AccessKeyID: "AKIAROOTB"}}
)

// withIdentity gives the service identity policies by caller ARN, as the
// server's IAM does.
func withIdentity(t *testing.T, e *env, docs map[string]string) {
	t.Helper()
	e.svc.identityPolicies = func(_ context.Context, p kura.Principal) ([]*policy.Document, []*policy.Document, error) {
		text, ok := docs[p.ARN]
		if !ok {
			return nil, nil, nil
		}
		d, err := policy.Parse([]byte(text), policy.Identity)
		if err != nil {
			t.Fatalf("identity policy of %s: %v", p.ARN, err)
		}
		return []*policy.Document{d}, nil, nil
	}
}

func keyPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// adminA keeps account A's root in control of every test key, so the
// lockout check lets the policies below be set.
const adminA = `{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"Account"}}}`

func TestKeyPolicyEvaluation(t *testing.T) {
	ctx := context.Background()
	s3ctx := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	for _, tc := range []struct {
		name      string
		keyPolicy string // "" keeps the default key policy
		identity  map[string]string
		caller    kura.Call
		encCtx    map[string]string
		byAlias   bool
		want      string // "" allowed, else the end of the AccessDenied message
	}{
		{name: "default policy delegates to the account: identity allows",
			identity: map[string]string{alice.Principal.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}`},
			caller:   alice},
		{name: "default policy, no identity policy", caller: alice,
			want: "because no identity-based policy allows the kms:Encrypt action"},
		{name: "default policy, the account's root", caller: rootA},
		{name: "key policy names the user: no identity policy needed",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			caller:    alice},
		{name: "the root is bound by the key policy",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*"}`,
				`{"Effect":"Deny","Principal":{"AWS":"`+rootA.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			caller: rootA, want: "with an explicit deny in a resource-based policy"},
		{name: "an identity Deny beats the key policy's Allow",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			identity:  map[string]string{alice.Principal.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}`},
			caller:    alice, want: "with an explicit deny in an identity-based policy"},
		{name: "encryption context condition holds",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/k"}}}`),
			caller:    alice, encCtx: s3ctx},
		{name: "encryption context condition fails",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/k"}}}`),
			caller:    alice, encCtx: map[string]string{"aws:s3:arn": "arn:aws:s3:::b/other"},
			want: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "kms:EncryptionContextKeys",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*","Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["aws:s3:arn"]},"Null":{"kms:EncryptionContextKeys":"false"}}}`),
			caller:    alice, encCtx: map[string]string{"aws:s3:arn": "x", "extra": "y"},
			want: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "kms:RequestAlias when named by the alias",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/orders"}}}`),
			caller:    alice, byAlias: true},
		{name: "kms:RequestAlias when named by the key id",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+alice.Principal.ARN+`"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/orders"}}}`),
			caller:    alice, want: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "kms:ViaService and kms:CallerAccount: through S3",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":"`+acct+`"}}}`),
			caller:    viaS3},
		{name: "kms:ViaService and kms:CallerAccount: directly",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":"`+acct+`"}}}`),
			caller:    alice, want: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "another account: the default policy does not name it", caller: rootB,
			want: "because no resource-based policy allows the kms:Encrypt action"},
		{name: "another account's root: the key policy suffices",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+otherAcct+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			caller:    rootB},
		{name: "another account's user needs its identity policy too",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+otherAcct+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			caller:    bob, want: "because no identity-based policy allows the kms:Encrypt action"},
		{name: "another account's user with both",
			keyPolicy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+otherAcct+`"},"Action":"kms:Encrypt","Resource":"*"}`),
			identity:  map[string]string{bob.Principal.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}`},
			caller:    bob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			withIdentity(t, e, tc.identity)
			md, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.keyPolicy != "" {
				if err := e.svc.PutKeyPolicy(ctx, rootA, md.KeyId, "", tc.keyPolicy); err != nil {
					t.Fatalf("PutKeyPolicy: %v", err)
				}
			}
			id := md.Arn
			if tc.byAlias {
				if err := e.svc.CreateAlias(ctx, rootA, "alias/orders", md.KeyId); err != nil {
					t.Fatal(err)
				}
				id = "alias/orders"
			}
			_, _, err = e.svc.Encrypt(ctx, tc.caller, id, []byte("p"), tc.encCtx)
			if tc.want == "" {
				wantErr(t, err, "", "")
				return
			}
			wantErr(t, err, AccessDeniedException, "User: "+tc.caller.Principal.ARN+" is not authorized to perform: kms:Encrypt on resource: "+md.Arn+" "+tc.want)
		})
	}
}

func TestKeyPolicyCrossAccountLimits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	withIdentity(t, e, nil)
	md, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{
		Policy: keyPolicy(adminA, `{"Effect":"Allow","Principal":{"AWS":"`+otherAcct+`"},"Action":"kms:*","Resource":"*"}`)})
	if err != nil {
		t.Fatal(err)
	}
	// kms:* for account B still covers only what AWS allows across
	// accounts: using and describing the key, not managing it.
	if _, err := e.svc.DescribeKey(ctx, rootB, md.Arn); err != nil {
		t.Fatalf("DescribeKey across accounts: %v", err)
	}
	wantErr(t, e.svc.DisableKey(ctx, rootB, md.Arn), AccessDeniedException, "kms:DisableKey")
	wantErr(t, e.svc.PutKeyPolicy(ctx, rootB, md.Arn, "", defaultPolicy(otherAcct)), AccessDeniedException, "kms:PutKeyPolicy")
	_, err = e.svc.GetKeyPolicy(ctx, rootB, md.Arn, "")
	wantErr(t, err, AccessDeniedException, "kms:GetKeyPolicy")
	// Whether another account has a key is not told to those who may not
	// use it.
	_, err = e.svc.DescribeKey(ctx, rootB, KeyARN(region, acct, "00000000-0000-4000-8000-000000000000"))
	wantErr(t, err, AccessDeniedException, "")
}

func TestKeyPolicyValidationAndLockout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	withIdentity(t, e, nil)
	md, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	onlyB := keyPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + otherAcct + `"},"Action":"kms:*","Resource":"*"}`)
	for _, tc := range []struct {
		name, policy, msg string
	}{
		{"no principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`, "Missing required field Principal"},
		{"bad version", `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`, "valid version"},
		{"locks the caller out", onlyB, "The new key policy will not allow you to update the key policy in the future."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, e.svc.PutKeyPolicy(ctx, rootA, md.KeyId, "", tc.policy), MalformedPolicyDocumentException, tc.msg)
			_, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{Policy: tc.policy})
			wantErr(t, err, MalformedPolicyDocumentException, tc.msg)
		})
	}
	// With the bypass, the caller may give the key away.
	if err := e.svc.PutKeyPolicyWith(ctx, rootA, md.KeyId, "", onlyB, true); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetKeyPolicy(ctx, rootA, md.KeyId, "")
	wantErr(t, err, AccessDeniedException, "kms:GetKeyPolicy")
	if _, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{Policy: onlyB, BypassPolicyLockoutSafetyCheck: true}); err != nil {
		t.Fatalf("CreateKey with the bypass: %v", err)
	}
}

func TestPermitted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	withIdentity(t, e, map[string]string{
		alice.Principal.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kms:Encrypt","kms:ReEncrypt*"],"Resource":"*"}}`})
	md, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.events(t))
	calls := e.svc.CallCount()
	if err := e.svc.Permitted(ctx, viaS3, md.Arn, nil, "Encrypt", "ReEncryptFrom", "ReEncryptTo"); err != nil {
		t.Fatalf("Permitted: %v", err)
	}
	wantErr(t, e.svc.Permitted(ctx, viaS3, md.Arn, nil, "Encrypt", "Decrypt"), AccessDeniedException, "kms:Decrypt")
	if n := len(e.events(t)); n != before || e.svc.CallCount() != calls {
		t.Fatalf("Permitted is not a KMS call: %d events and %d calls more", n-before, e.svc.CallCount()-calls)
	}
	_, err = e.svc.DescribeKey(ctx, alice, md.Arn)
	wantErr(t, err, AccessDeniedException, "kms:DescribeKey")

	// Another account's root, allowed Encrypt and Decrypt by the key
	// policy: the actions are decided in their order, and the first one
	// AWS never allows across accounts is refused in its turn, whatever
	// the policies say.
	shared, err := e.svc.CreateKey(ctx, rootA, CreateKeyInput{Policy: keyPolicy(
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:root"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Allow","Principal":{"AWS":"`+otherAcct+`"},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey","kms:ScheduleKeyDeletion"],"Resource":"*"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		actions []string
		denied  string // "" for permitted
	}{
		{[]string{"Encrypt", "Decrypt"}, ""},
		{[]string{"Encrypt", "ScheduleKeyDeletion", "Decrypt"}, "kms:ScheduleKeyDeletion"},
		{[]string{"Encrypt", "GenerateDataKey", "ScheduleKeyDeletion"}, "kms:GenerateDataKey"},
		{[]string{"ScheduleKeyDeletion", "GenerateDataKey"}, "kms:ScheduleKeyDeletion"},
	} {
		err := e.svc.Permitted(ctx, rootB, shared.Arn, nil, tc.actions...)
		if tc.denied == "" {
			wantErr(t, err, "", "")
			continue
		}
		wantErr(t, err, AccessDeniedException, tc.denied)
	}
}
