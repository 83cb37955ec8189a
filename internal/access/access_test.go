package access

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

// Accounts and callers shared by the tests. Account A owns the bucket and
// the KMS key; B is another account.
const (
	acctA = "111122223333"
	acctB = "444455556666"
	canA  = "aaaa000000000000000000000000000000000000000000000000000000000000"
	canB  = "bbbb000000000000000000000000000000000000000000000000000000000000"
)

var (
	rootA = kura.Principal{Type: kura.PrincipalRoot, AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":root", PrincipalID: acctA, CanonicalID: canA}
	alice = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice", CanonicalID: canA}
	rootB = kura.Principal{Type: kura.PrincipalRoot, AccountID: acctB, ARN: "arn:aws:iam::" + acctB + ":root", PrincipalID: acctB, CanonicalID: canB}
	bob   = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: acctB, ARN: "arn:aws:iam::" + acctB + ":user/bob",
		PrincipalID: "AIDABOB", UserName: "bob", CanonicalID: canB}
	session = kura.Principal{Type: kura.PrincipalAssumedRole, AccountID: acctA,
		ARN:         "arn:aws:sts::" + acctA + ":assumed-role/Writer/s1",
		RoleARN:     "arn:aws:iam::" + acctA + ":role/Writer",
		PrincipalID: "AROAWRITER:s1", SessionName: "s1", CanonicalID: canA}
	anonymous = kura.Principal{Type: kura.PrincipalAnonymous}
)

// Documents.
const (
	allowGet      = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	allowS3       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	allowList     = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`
	allowDecrypt  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`
	publicRead    = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	denyAllGet    = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	allowBobGet   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	allowIfTLS    = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`
	allowFromNet  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}}`
	publicAndDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret"}]}`
	keyDefault    = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"}}`
	keyDenyAlice  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/alice"},"Action":"kms:Decrypt","Resource":"*"}]}`
	keyAliceOnly  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/alice"},"Action":"kms:*","Resource":"*"}}`
	keyWithB      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"kms:Decrypt","Resource":"*"}]}`
)

func parse(t *testing.T, text string, kind policy.Kind) *policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(text), kind)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return d
}

// fakeObjects is Objects over maps.
type fakeObjects struct {
	versions map[string]*kura.ObjectVersion // by bucket/key
	uploads  map[string]*kura.Upload        // by upload id
}

func (f fakeObjects) Head(_ context.Context, bucket, key, _ string) (*kura.ObjectVersion, error) {
	if v, ok := f.versions[bucket+"/"+key]; ok {
		return v, nil
	}
	return nil, ErrNoSuchKey
}

func (f fakeObjects) Upload(_ context.Context, _, _, id string) (*kura.Upload, error) {
	if u, ok := f.uploads[id]; ok {
		return u, nil
	}
	return nil, ErrNoSuchUpload
}

// setup is the world one case decides in.
type setup struct {
	identity map[string]string // principal ARN → identity policy
	sessions map[string]string // session ARN → session policy
	objects  fakeObjects
}

func (s setup) authorizer(t *testing.T) *Authorizer {
	return &Authorizer{
		Policies: func(_ context.Context, p kura.Principal) (identity, session []*policy.Document, err error) {
			if text, ok := s.identity[p.ARN]; ok {
				identity = append(identity, parse(t, text, policy.Identity))
			}
			if text, ok := s.sessions[p.ARN]; ok {
				session = append(session, parse(t, text, policy.Identity))
			}
			return identity, session, nil
		},
		Objects: s.objects,
		Region:  "us-east-1",
		Now:     func() time.Time { return time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC) },
	}
}

func bucket(mod ...func(*kura.Bucket)) *kura.Bucket {
	b := &kura.Bucket{Name: "b", Owner: acctA, ObjectOwnership: kura.BucketOwnerEnforced}
	for _, m := range mod {
		m(b)
	}
	return b
}

func withPolicy(doc string) func(*kura.Bucket) { return func(b *kura.Bucket) { b.Policy = doc } }
func withACLs(b *kura.Bucket)                  { b.ObjectOwnership = kura.ObjectWriter }
func withBPA(c kura.PublicAccessBlock) func(*kura.Bucket) {
	return func(b *kura.Bucket) { b.PublicAccessBlock = &c }
}

func call(p kura.Principal) kura.Call {
	return kura.Call{Principal: p, Source: kura.Source{IP: "203.0.113.7", SecureTransport: true, AuthType: "AuthHeader", SignatureVersion: "SigV4"}}
}

func get(p kura.Principal, b *kura.Bucket, key string) Request {
	return Request{Call: call(p), Action: "s3:GetObject", Resource: ObjectARN(b.Name, key), Bucket: b, Key: key}
}

func TestAuthorize(t *testing.T) {
	publicObj := &kura.ObjectVersion{Bucket: "b", Key: "pub", Owner: acctA,
		ACL: &kura.ACL{Grants: []kura.Grant{{Type: "Group", URI: kura.GroupAllUsers, Permission: kura.PermissionRead}}}}
	bGrantObj := &kura.ObjectVersion{Bucket: "b", Key: "forb", Owner: acctA,
		ACL: &kura.ACL{Grants: []kura.Grant{{Type: "CanonicalUser", ID: canB, Permission: kura.PermissionRead}}}}
	foreignObj := &kura.ObjectVersion{Bucket: "b", Key: "theirs", Owner: acctB}
	objs := fakeObjects{
		versions: map[string]*kura.ObjectVersion{"b/k": {Bucket: "b", Key: "k", Owner: acctA}, "b/pub": publicObj,
			"b/forb": bGrantObj, "b/theirs": foreignObj},
		uploads: map[string]*kura.Upload{"u1": {Bucket: "b", Key: "k", UploadID: "u1", Owner: acctB}},
	}
	insecure := func(r Request) Request { r.Call.Source.SecureTransport = false; return r }
	from := func(ip string) func(Request) Request {
		return func(r Request) Request { r.Call.Source.IP = ip; return r }
	}
	abort := func(p kura.Principal) Request {
		return Request{Call: call(p), Action: "s3:AbortMultipartUpload", Resource: ObjectARN("b", "k"), Bucket: bucket(), Key: "k", UploadID: "u1"}
	}
	key := func(p kura.Principal, keyPolicy string) Request {
		return Request{Call: call(p), Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1",
			KMSKey: &KMSKey{Account: acctA, Policy: parseOrNil(t, keyPolicy)}}
	}

	for _, tc := range []struct {
		name     string
		world    setup
		req      Request
		allowed  bool
		reason   policy.Reason // for refusals
		enhanced bool          // the refusal may say why (same account, signed)
	}{
		{name: "root owner, no policies", req: get(rootA, bucket(), "k"), allowed: true},
		{name: "IAM user without identity policy", req: get(alice, bucket(), "k"), reason: policy.NoIdentityAllow, enhanced: true},
		{name: "IAM user with identity policy", world: setup{identity: map[string]string{alice.ARN: allowGet}},
			req: get(alice, bucket(), "k"), allowed: true},
		{name: "identity policy for another action", world: setup{objects: objs, identity: map[string]string{alice.ARN: allowList}},
			req: get(alice, bucket(), "k"), reason: policy.NoIdentityAllow, enhanced: true},
		{name: "bucket policy deny beats identity allow", world: setup{identity: map[string]string{alice.ARN: allowS3}},
			req: get(alice, bucket(withPolicy(denyAllGet)), "k"), reason: policy.ExplicitDenyResource, enhanced: true},
		{name: "bucket policy deny binds the owner's root", req: get(rootA, bucket(withPolicy(denyAllGet)), "k"),
			reason: policy.ExplicitDenyResource, enhanced: true},
		{name: "cross-account: bucket policy alone is not enough", req: get(bob, bucket(withPolicy(allowBobGet)), "k"),
			reason: policy.NoIdentityAllow},
		{name: "cross-account: identity policy alone is not enough", world: setup{identity: map[string]string{bob.ARN: allowS3}},
			req: get(bob, bucket(), "k"), reason: policy.NoResourceAllow},
		{name: "cross-account: both sides allow", world: setup{identity: map[string]string{bob.ARN: allowS3}},
			req: get(bob, bucket(withPolicy(allowBobGet)), "k"), allowed: true},
		{name: "session policy allows what the role may", world: setup{identity: map[string]string{session.ARN: allowS3},
			sessions: map[string]string{session.ARN: allowGet}}, req: get(session, bucket(), "k"), allowed: true},
		{name: "session policy narrows the role", world: setup{identity: map[string]string{session.ARN: allowS3},
			sessions: map[string]string{session.ARN: allowGet}},
			req:    Request{Call: call(session), Action: "s3:PutObject", Resource: ObjectARN("b", "k"), Bucket: bucket(), Key: "k"},
			reason: policy.NoSessionAllow, enhanced: true},
		{name: "anonymous, public bucket policy", req: get(anonymous, bucket(withPolicy(publicRead)), "k"), allowed: true},
		{name: "anonymous, no policy", req: get(anonymous, bucket(), "k"), reason: policy.NoResourceAllow},
		{name: "anonymous, public policy under RestrictPublicBuckets",
			req:    get(anonymous, bucket(withPolicy(publicRead), withBPA(kura.PublicAccessBlock{RestrictPublicBuckets: true})), "k"),
			reason: policy.NoResourceAllow},
		{name: "RestrictPublicBuckets keeps the owner account's access", world: setup{},
			req: get(alice, bucket(withPolicy(publicRead), withBPA(kura.PublicAccessBlock{RestrictPublicBuckets: true})), "k"), allowed: true},
		{name: "RestrictPublicBuckets keeps the Deny statements", world: setup{identity: map[string]string{bob.ARN: allowS3}},
			req:    get(bob, bucket(withPolicy(publicAndDeny), withBPA(kura.PublicAccessBlock{RestrictPublicBuckets: true})), "secret"),
			reason: policy.ExplicitDenyResource},
		{name: "BlockPublicPolicy alone does not change evaluation",
			req: get(anonymous, bucket(withPolicy(publicRead), withBPA(kura.PublicAccessBlock{BlockPublicPolicy: true})), "k"), allowed: true},
		{name: "ACL: AllUsers READ on the object", world: setup{objects: objs}, req: get(anonymous, bucket(withACLs), "pub"), allowed: true},
		{name: "ACL: ignored under BucketOwnerEnforced", world: setup{objects: objs}, req: get(anonymous, bucket(), "pub"),
			reason: policy.NoResourceAllow},
		{name: "ACL: public grant ignored under IgnorePublicAcls", world: setup{objects: objs},
			req: get(anonymous, bucket(withACLs, withBPA(kura.PublicAccessBlock{IgnorePublicAcls: true})), "pub"), reason: policy.NoResourceAllow},
		{name: "ACL: grant to another account's canonical id, its root", world: setup{objects: objs},
			req: get(rootB, bucket(withACLs), "forb"), allowed: true},
		{name: "ACL: the grantee account's user needs its own identity policy", world: setup{objects: objs},
			req: get(bob, bucket(withACLs), "forb"), reason: policy.NoResourceAllow},
		{name: "ACL: the grantee account's user with identity policy", world: setup{objects: objs, identity: map[string]string{bob.ARN: allowGet}},
			req: get(bob, bucket(withACLs, withPolicy(denyAllGet)), "forb"), reason: policy.ExplicitDenyResource},
		{name: "ACL: grant plus identity policy", world: setup{objects: objs, identity: map[string]string{bob.ARN: allowGet}},
			req: get(bob, bucket(withACLs), "forb"), allowed: true},
		{name: "object owned by another account: the bucket owner's root gets nothing", world: setup{objects: objs},
			req: get(rootA, bucket(withACLs), "theirs"), reason: policy.AllowedAsRoot, enhanced: true},
		{name: "object owned by another account: its owner's root", world: setup{objects: objs},
			req: get(rootB, bucket(withACLs), "theirs"), allowed: true},
		{name: "aws:SecureTransport over TLS", world: setup{identity: map[string]string{alice.ARN: allowGet}},
			req: get(alice, bucket(withPolicy(allowIfTLS)), "k"), allowed: true},
		{name: "aws:SecureTransport over plain HTTP", world: setup{identity: map[string]string{alice.ARN: allowGet}},
			req: insecure(get(alice, bucket(withPolicy(allowIfTLS)), "k")), reason: policy.ExplicitDenyResource, enhanced: true},
		{name: "aws:SourceIp inside the network", req: from("192.0.2.9")(get(anonymous, bucket(withPolicy(allowFromNet)), "k")), allowed: true},
		{name: "aws:SourceIp outside the network", req: from("198.51.100.1")(get(anonymous, bucket(withPolicy(allowFromNet)), "k")),
			reason: policy.NoResourceAllow},
		{name: "missing key, caller may list: let through to answer 404", world: setup{objects: objs, identity: map[string]string{alice.ARN: allowList}},
			req: get(alice, bucket(), "nokey"), allowed: true},
		{name: "missing key, caller may not list", world: setup{objects: objs}, req: get(alice, bucket(), "nokey"),
			reason: policy.NoIdentityAllow, enhanced: true},
		{name: "initiator's root may abort its upload", world: setup{objects: objs}, req: abort(rootB), allowed: true},
		{name: "initiator's user needs its own policy", world: setup{objects: objs}, req: abort(bob), reason: policy.NoResourceAllow},
		{name: "KMS: default key policy delegates to identity policy", world: setup{identity: map[string]string{alice.ARN: allowDecrypt}},
			req: key(alice, keyDefault), allowed: true},
		{name: "KMS: default key policy, no identity policy", req: key(alice, keyDefault), reason: policy.NoIdentityAllow, enhanced: true},
		{name: "KMS: key policy deny beats identity allow", world: setup{identity: map[string]string{alice.ARN: allowDecrypt}},
			req: key(alice, keyDenyAlice), reason: policy.ExplicitDenyResource, enhanced: true},
		{name: "KMS: key policy naming the user needs no identity policy", req: key(alice, keyAliceOnly), allowed: true},
		{name: "KMS: the root is bound by the key policy", req: key(rootA, keyAliceOnly), reason: policy.NoResourceAllow, enhanced: true},
		{name: "KMS: unreadable key policy allows nobody", req: key(rootA, ""), reason: policy.NoResourceAllow, enhanced: true},
		{name: "KMS: another account needs key policy and identity policy", world: setup{identity: map[string]string{bob.ARN: allowDecrypt}},
			req: key(bob, keyWithB), allowed: true},
		{name: "KMS: another account without identity policy", req: key(bob, keyWithB), reason: policy.NoIdentityAllow},
		{name: "IAM action, root of the account", req: Request{Call: call(rootA), Action: "iam:CreateUser", Resource: "arn:aws:iam::" + acctA + ":user/x"}, allowed: true},
		{name: "IAM action, user without policy",
			req: Request{Call: call(alice), Action: "iam:CreateUser", Resource: "arn:aws:iam::" + acctA + ":user/x"}, reason: policy.NoIdentityAllow, enhanced: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.world.authorizer(t).Authorize(context.Background(), tc.req)
			if tc.allowed {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			d, ok := IsDenied(err)
			if !ok {
				t.Fatalf("err = %v, want a refusal", err)
			}
			if d.Decision.Reason != tc.reason || d.SameAccount != tc.enhanced {
				t.Fatalf("refused for %v (same account %v), want %v (%v)", d.Decision.Reason, d.SameAccount, tc.reason, tc.enhanced)
			}
			if d.Action != tc.req.Action || d.PrincipalARN != tc.req.Call.Principal.ARN {
				t.Fatalf("refusal names %s for %s", d.Action, d.PrincipalARN)
			}
		})
	}
}

func parseOrNil(t *testing.T, text string) *policy.Document {
	if text == "" {
		return nil
	}
	return parse(t, text, policy.Resource)
}

// TestAuthorizeErrors: a decision that cannot be made is an error, never
// a refusal or an allow.
func TestAuthorizeErrors(t *testing.T) {
	boom := errors.New("policy store down")
	failing := &Authorizer{Policies: func(context.Context, kura.Principal) ([]*policy.Document, []*policy.Document, error) {
		return nil, nil, boom
	}}
	for _, tc := range []struct {
		name string
		a    *Authorizer
		req  Request
		want error
	}{
		{"the caller's policies cannot be read", failing, get(alice, bucket(), "k"), boom},
		{"a stored bucket policy does not parse", &Authorizer{}, get(rootA, bucket(withPolicy(`{"Statement":`)), "k"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Authorize(context.Background(), tc.req)
			if _, denied := IsDenied(err); err == nil || denied {
				t.Fatalf("err = %v, want a failure to decide", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestMemo: the decisions of one call load the caller's policies once.
func TestMemo(t *testing.T) {
	loads := 0
	a := &Authorizer{Policies: func(context.Context, kura.Principal) ([]*policy.Document, []*policy.Document, error) {
		loads++
		return []*policy.Document{parse(t, allowS3, policy.Identity)}, nil, nil
	}}
	var m Memo
	for _, k := range []string{"a", "b", "c"} {
		r := get(alice, bucket(), k)
		r.Memo = &m
		if err := a.Authorize(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if loads != 1 {
		t.Fatalf("policies loaded %d times, want 1", loads)
	}
}

// TestLazyConditions: an account's root in its own account is decided
// without collecting the request's condition keys, and so is anyone whose
// decision involves no policy with a condition or a policy variable;
// anyone else's decision sees them, with Conditions applied last.
func TestLazyConditions(t *testing.T) {
	const sseKMSOnly = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}}`
	a := setup{identity: map[string]string{alice.ARN: sseKMSOnly, session.ARN: allowS3}}.authorizer(t)
	denyUnencrypted := withPolicy(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}}`)
	ownPrefix := withPolicy(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/${aws:userid}/*"}}`)
	for _, tc := range []struct {
		name    string
		p       kura.Principal
		b       *kura.Bucket
		key     string
		lazy    string // s3:x-amz-server-side-encryption from LazyConditions
		direct  string // … from Conditions
		called  bool
		allowed bool
	}{
		{"root", rootA, bucket(), "k", "AES256", "", false, true},
		{"root, bucket policy without conditions", rootA, bucket(withPolicy(denyAllGet)), "k", "AES256", "", false, true},
		{"root, bucket policy with a condition", rootA, bucket(denyUnencrypted), "k", "AES256", "", true, true},
		{"user, lazy value", alice, bucket(), "k", "aws:kms", "", true, true},
		{"user, wrong value", alice, bucket(), "k", "AES256", "", true, false},
		{"user, Conditions override", alice, bucket(), "k", "AES256", "aws:kms", true, true},
		{"user whose policy has no condition", session, bucket(), "k", "", "", false, true},
		{"… under a bucket policy with a condition", session, bucket(denyUnencrypted), "k", "AES256", "", true, true},
		{"… denied by it", session, bucket(denyUnencrypted), "k", "", "", true, false},
		{"… under a bucket policy with a variable", session, bucket(ownPrefix), session.PrincipalID + "/k", "", "", true, true},
		{"… outside the variable's prefix", session, bucket(ownPrefix), "other/k", "", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			r := Request{Call: call(tc.p), Action: "s3:PutObject", Resource: ObjectARN("b", tc.key), Bucket: tc.b, Key: tc.key,
				LazyConditions: func() (map[string][]string, error) {
					called = true
					if tc.lazy == "" {
						return nil, nil
					}
					return map[string][]string{"s3:x-amz-server-side-encryption": {tc.lazy}}, nil
				}}
			if tc.direct != "" {
				r.Conditions = map[string][]string{"s3:x-amz-server-side-encryption": {tc.direct}}
			}
			err := a.Authorize(context.Background(), r)
			if called != tc.called || (err == nil) != tc.allowed {
				t.Fatalf("called %v, err %v", called, err)
			}
		})
	}
}

// TestKMSContextBuiltOnce: a KMS permission check of several actions
// (AuthorizeEach) collects its lazy condition keys at most once, and not
// at all when neither the key policy nor the caller's policies read them.
func TestKMSContextBuiltOnce(t *testing.T) {
	viaS3Only := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/k"}}}}`
	a := setup{identity: map[string]string{alice.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`}}.authorizer(t)
	actions := []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
	for _, tc := range []struct {
		name      string
		p         kura.Principal
		keyPolicy string
		obj       string
		calls     int
		allowed   bool
	}{
		{"root, default key policy", rootA, keyDefault, "k", 0, true},
		{"user, default key policy", alice, keyDefault, "k", 0, true},
		{"user, key policy with a condition", alice, viaS3Only, "k", 1, true},
		{"… that refuses", alice, viaS3Only, "other", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			r := Request{Call: call(tc.p), Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1",
				KMSKey: &KMSKey{Account: acctA, Policy: parse(t, tc.keyPolicy, policy.Resource)},
				LazyConditions: func() (map[string][]string, error) {
					calls++
					return map[string][]string{"kms:encryptioncontext:aws:s3:arn": {"arn:aws:s3:::b/" + tc.obj}}, nil
				}}
			err := a.AuthorizeEach(context.Background(), r, actions...)
			if calls != tc.calls || (err == nil) != tc.allowed {
				t.Fatalf("context collected %d times, err %v; want %d, allowed %v", calls, err, tc.calls, tc.allowed)
			}
		})
	}
}

func TestGlobalConditions(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	web := kura.Call{Principal: alice, Source: kura.Source{IP: "192.0.2.1", UserAgent: "ua", Referer: "https://x",
		SecureTransport: true, TLSVersion: "TLSv1.3", AuthType: "QueryString", SignatureVersion: "SigV2"}}
	viaS3 := web
	viaS3.Source.InvokedBy, viaS3.Source.ViaService = "s3.amazonaws.com", "s3.us-east-1.amazonaws.com"
	for _, tc := range []struct {
		name    string
		service string
		c       kura.Call
		want    map[string]string // "" means absent
	}{
		{"s3", "s3", web, map[string]string{"aws:SourceIp": "192.0.2.1", "aws:SecureTransport": "true", "aws:userid": "AIDAALICE",
			"aws:CurrentTime": "2026-12-06T09:00:00Z", "aws:EpochTime": "1796547600", "aws:RequestedRegion": "eu-west-1",
			"aws:Referer": "https://x", "aws:UserAgent": "ua", "aws:ViaAWSService": "false",
			"s3:authType": "REST-QUERY-STRING", "s3:signatureversion": "AWS", "s3:TlsVersion": "1.3", "kms:CallerAccount": ""}},
		{"s3 anonymous over HTTP", "s3", kura.Call{Principal: anonymous, Source: kura.Source{IP: "192.0.2.1"}},
			map[string]string{"aws:SecureTransport": "false", "aws:userid": "", "s3:authType": "REST-HEADER",
				"s3:signatureversion": "AWS4-HMAC-SHA256", "s3:TlsVersion": ""}},
		{"kms direct", "kms", web, map[string]string{"aws:SourceIp": "192.0.2.1", "aws:ViaAWSService": "false", "kms:CallerAccount": acctA,
			"kms:ViaService": "", "aws:SecureTransport": "", "s3:authType": ""}},
		{"kms through S3", "kms", viaS3, map[string]string{"aws:SourceIp": "", "aws:ViaAWSService": "true",
			"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
		{"iam", "iam", web, map[string]string{"aws:SourceIp": "192.0.2.1", "aws:SecureTransport": "true", "aws:RequestedRegion": "",
			"aws:ViaAWSService": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := GlobalConditions(tc.service, tc.c, now, "eu-west-1")
			for k, want := range tc.want {
				got := strings.Join(m[strings.ToLower(k)], ",")
				if got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestAuthorizeEach: several actions of one KMS request decided in turn
// with one request context give what Authorize gives each: the first
// refusal names its action, a condition on the shared context applies to
// every action, and a mixed-case condition key in Conditions is found.
func TestAuthorizeEach(t *testing.T) {
	a := setup{}.authorizer(t)
	keyPolicy := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/alice"},"Action":["kms:Encrypt","kms:GenerateDataKey"],"Resource":"*",
  "Condition":{"StringLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/ok/*"}}}]}`
	req := func(obj string, mixedCase bool) Request {
		k := "kms:encryptioncontext:aws:s3:arn"
		if mixedCase {
			k = "kms:EncryptionContext:aws:s3:arn"
		}
		return Request{Call: call(alice), Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1",
			Conditions: map[string][]string{k: {"arn:aws:s3:::b/" + obj}},
			KMSKey:     &KMSKey{Account: acctA, Policy: parse(t, keyPolicy, policy.Resource)}}
	}
	for _, tc := range []struct {
		name    string
		obj     string
		mixed   bool
		actions []string
		denied  string // the action refused, "" for allowed
	}{
		{"both allowed", "ok/1", false, []string{"kms:Encrypt", "kms:GenerateDataKey"}, ""},
		{"mixed-case key", "ok/1", true, []string{"kms:Encrypt", "kms:GenerateDataKey"}, ""},
		{"the second refused", "ok/1", false, []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}, "kms:Decrypt"},
		{"context refuses the first", "no/1", false, []string{"kms:Encrypt", "kms:GenerateDataKey"}, "kms:Encrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := a.AuthorizeEach(context.Background(), req(tc.obj, tc.mixed), tc.actions...)
			d, denied := IsDenied(err)
			switch {
			case tc.denied == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.denied != "" && (!denied || d.Action != tc.denied):
				t.Fatalf("err %v, want %s refused", err, tc.denied)
			}
			// Each action alone gives the same answer.
			for _, action := range tc.actions {
				r := req(tc.obj, tc.mixed)
				r.Action = action
				one := a.Authorize(context.Background(), r)
				if action == tc.denied && one == nil || tc.denied == "" && one != nil {
					t.Errorf("%s alone: %v", action, one)
				}
			}
		})
	}
}
