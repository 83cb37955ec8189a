package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Authorization of KMS keys through the wire: key policies, their
// delegation to identity policies, S3 calling KMS on the caller's behalf,
// and UpdateObjectEncryption's permission set (seed 003).

func TestAuthzKeyPolicies(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	kmsA, kmsB := e.kms(e.rootA), e.kms(e.rootB)
	key := createKey(t, kmsA) // default key policy: account A only
	encrypt := func(c *kms.Client) error {
		_, err := c.Encrypt(ctx(t), &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("p")})
		return err
	}
	rootB := "arn:aws:iam::" + e.b + ":root"
	wantDenied(t, encrypt(kmsB), "User: "+rootB+" is not authorized to perform: kms:Encrypt on resource: "+key+
		" because no resource-based policy allows the kms:Encrypt action")

	// The lockout safety check: a policy that would shut the caller out of
	// PutKeyPolicy is refused unless bypassed.
	onlyB := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.b + `:root"},"Action":"kms:*","Resource":"*"}]}`
	_, err := kmsA.PutKeyPolicy(ctx(t), &kms.PutKeyPolicyInput{KeyId: aws.String(key), Policy: aws.String(onlyB)})
	wantStatus(t, err, "MalformedPolicyDocumentException", 400)
	if errMessage(err) != "The new key policy will not allow you to update the key policy in the future." {
		t.Fatalf("lockout message %q", errMessage(err))
	}

	// A's key policy lets account B use the key through S3 only, and A's
	// own admin statement keeps A in control.
	shared := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.a + `:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"PartnerUse","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.b + `:root"},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"},
		{"Sid":"PartnerViaS3Only","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + e.b + `:root"},"Action":"kms:Decrypt","Resource":"*",
		 "Condition":{"StringNotEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`
	if _, err := kmsA.PutKeyPolicy(ctx(t), &kms.PutKeyPolicyInput{KeyId: aws.String(key), Policy: aws.String(shared)}); err != nil {
		t.Fatal(err)
	}
	// B's root needs only the key policy; B's users need their own
	// identity policy as well (cross-account needs both).
	if err := encrypt(kmsB); err != nil {
		t.Fatalf("B's root encrypts with A's key: %v", err)
	}
	kuser := e.user(t, e.rootB, "kuser", "")
	wantDenied(t, encrypt(e.kms(kuser)), "User: "+userARN(e.b, "kuser")+" is not authorized to perform: kms:Encrypt on resource: "+key+
		" because no identity-based policy allows the kms:Encrypt action")
	e.setPolicy(t, e.rootB, "kuser", "p", allow("kms:Encrypt "+key))
	if err := encrypt(e.kms(kuser)); err != nil {
		t.Fatalf("B's user with both policies: %v", err)
	}
	// Direct Decrypt is denied by the ViaService condition.
	ct, err := kmsB.Encrypt(ctx(t), &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kmsB.Decrypt(ctx(t), &kms.DecryptInput{CiphertextBlob: ct.CiphertextBlob})
	wantDenied(t, err, "User: "+rootB+" is not authorized to perform: kms:Decrypt on resource: "+key+" with an explicit deny in a resource-based policy")
	// Management stays with A whatever the policy says.
	_, err = kmsB.DisableKey(ctx(t), &kms.DisableKeyInput{KeyId: aws.String(key)})
	wantDenied(t, err, "")

	// Through S3, B's root writes and reads SSE-KMS objects under A's key
	// in its own bucket (kms:ViaService is s3.us-east-1.amazonaws.com).
	s3B := e.s3(e.rootB)
	mustBucket(t, s3B, "authz-b-kms")
	if err := putErr(s3B, t, "authz-b-kms", "k", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(key)
	}); err != nil {
		t.Fatalf("SSE-KMS PUT with A's key: %v", err)
	}
	get(t, s3B, "authz-b-kms", "k")

	// Without the key policy's grant, B's S3 requests under A's key are
	// refused with S3's AccessDenied.
	if _, err := kmsA.PutKeyPolicy(ctx(t), &kms.PutKeyPolicyInput{KeyId: aws.String(key),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.a + `:root"},"Action":"kms:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	err = putErr(s3B, t, "authz-b-kms", "k2", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(key)
	})
	wantDenied(t, err, "Access Denied")
	if httpStatus(err) != 403 {
		t.Fatalf("S3 refusal of a KMS denial: want 403, got %d", httpStatus(err))
	}
	wantDenied(t, getErr(s3B, t, "authz-b-kms", "k"), "Access Denied")

	// With the bypass, A may lock itself out, as AWS allows.
	if _, err := kmsA.PutKeyPolicy(ctx(t), &kms.PutKeyPolicyInput{KeyId: aws.String(key), Policy: aws.String(onlyB),
		BypassPolicyLockoutSafetyCheck: true}); err != nil {
		t.Fatal(err)
	}
	_, err = kmsA.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(key)})
	wantDenied(t, err, "")
}

func TestAuthzSSEKMSNeedsTheCallersKMSPermissions(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	c := e.s3(e.rootA)
	mustBucket(t, c, "authz-kms")
	key := createKey(t, e.ts.kmsClient())
	writer := e.user(t, e.rootA, "writer", allow("s3:PutObject arn:aws:s3:::authz-kms/*", "s3:GetObject arn:aws:s3:::authz-kms/*"))
	w := e.s3(writer)
	withKey := func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(key)
	}

	if err := putErr(w, t, "authz-kms", "s3", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }); err != nil {
		t.Fatalf("SSE-S3 PUT: %v", err)
	}
	// The AWS managed key aws/s3 serves every principal of the account
	// through S3: no KMS permission of the user's is needed.
	if err := putErr(w, t, "authz-kms", "managed", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAwsKms }); err != nil {
		t.Fatalf("SSE-KMS PUT under aws/s3: %v", err)
	}
	get(t, w, "authz-kms", "managed")
	// A customer managed key with the default policy: the user's identity
	// policy must allow kms:GenerateDataKey.
	err := putErr(w, t, "authz-kms", "kms", withKey)
	wantDeniedSaying(t, err, " is not authorized to perform: kms:GenerateDataKey on resource: "+key+" ")
	if httpStatus(err) != 403 {
		t.Fatalf("want 403, got %v", err)
	}
	e.setPolicy(t, e.rootA, "writer", "kms", allow("kms:GenerateDataKey "+key))
	if err := putErr(w, t, "authz-kms", "kms", withKey); err != nil {
		t.Fatalf("SSE-KMS PUT with kms:GenerateDataKey: %v", err)
	}
	// Reading it back needs kms:Decrypt.
	wantDeniedSaying(t, getErr(w, t, "authz-kms", "kms"), " is not authorized to perform: kms:Decrypt on resource: "+key+" ")
	e.setPolicy(t, e.rootA, "writer", "kms", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"`+key+`",
		"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::authz-kms/kms"}}}}`)
	get(t, w, "authz-kms", "kms")
	// The same permissions, used directly rather than through S3, are not
	// granted (kms:ViaService).
	_, err = e.kms(writer).GenerateDataKey(ctx(t), &kms.GenerateDataKeyInput{KeyId: aws.String(key), KeySpec: "AES_256",
		EncryptionContext: map[string]string{"aws:s3:arn": "arn:aws:s3:::authz-kms/kms"}})
	wantDenied(t, err, "")
}

// seed003Actions is the permission list of seed 003 (the S3 API reference
// of UpdateObjectEncryption), verbatim.
var seed003Actions = []string{"s3:PutObject", "s3:UpdateObjectEncryption", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"}

func TestAuthzUpdateObjectEncryptionSeed003Permissions(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	c := e.s3(e.rootA)
	mustBucket(t, c, "authz-uoe")
	key := createKey(t, e.ts.kmsClient())
	policyWithout := func(skip string) string {
		var acts []string
		for _, a := range seed003Actions {
			if a != skip {
				acts = append(acts, `"`+a+`"`)
			}
		}
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Join(acts, ",") +
			`],"Resource":["arn:aws:s3:::authz-uoe/*","` + key + `"]}]}`
	}
	u := e.user(t, e.rootA, "rekeyer", policyWithout(""))
	uc := e.s3(u)

	// The full list suffices, from SSE-S3 and again from SSE-KMS.
	put(t, c, "authz-uoe", "full", []byte("x"))
	if err := uoe(t, uc, "authz-uoe", "full", "", key, false); err != nil {
		t.Fatalf("UpdateObjectEncryption with seed 003's permissions: %v", err)
	}
	if err := uoe(t, uc, "authz-uoe", "full", "", key, false); err != nil {
		t.Fatalf("UpdateObjectEncryption SSE-KMS to SSE-KMS: %v", err)
	}
	if got := headSSE(t, c, "authz-uoe", "full", ""); got.Type != types.ServerSideEncryptionAwsKms || got.KeyARN != key {
		t.Fatalf("after UpdateObjectEncryption: %+v", got)
	}

	// Without any one of them: AccessDenied, and the object is unchanged.
	for _, missing := range seed003Actions {
		t.Run("without "+missing, func(t *testing.T) {
			e.setPolicy(t, e.rootA, "rekeyer", "p", policyWithout(missing))
			obj := "obj-" + strings.NewReplacer(":", "-", "*", "").Replace(missing)
			put(t, c, "authz-uoe", obj, []byte("x"))
			err := uoe(t, uc, "authz-uoe", obj, "", key, false)
			wantDenied(t, err, "")
			if httpStatus(err) != 403 {
				t.Fatalf("want 403, got %v", err)
			}
			if got := headSSE(t, c, "authz-uoe", obj, ""); got.Type != types.ServerSideEncryptionAes256 {
				t.Fatalf("a refused UpdateObjectEncryption changed the object: %+v", got)
			}
		})
	}

	// A key of another account is refused with seed 003's message, even
	// with every permission.
	e.setPolicy(t, e.rootA, "rekeyer", "p", policyWithout(""))
	keyB := createKey(t, e.kms(e.rootB))
	err := uoe(t, uc, "authz-uoe", "full", "", keyB, false)
	wantDenied(t, err, "The Amazon Web Services KMS key in the request must be owned by the same account as the bucket. Modify the request to specify a KMS key from the same account, and then try again.")
}

// A cached S3 Bucket Key stands in for a KMS Decrypt, which KMS authorizes
// per caller: a reader without kms:Decrypt must not get through the cache
// another reader (or the writer) filled.
func TestAuthzBucketKeyCacheIsPerRequester(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	c := e.s3(e.rootA)
	mustBucket(t, c, "authz-bk")
	key := createKey(t, e.ts.kmsClient())
	if err := putErr(c, t, "authz-bk", "obj", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(key)
		in.BucketKeyEnabled = aws.Bool(true)
	}); err != nil {
		t.Fatalf("bucket-key PUT: %v", err)
	}
	get(t, c, "authz-bk", "obj") // root's read fills the cache
	reader := e.user(t, e.rootA, "reader", allow("s3:GetObject arn:aws:s3:::authz-bk/*"))
	r := e.s3(reader)
	wantDeniedSaying(t, getErr(r, t, "authz-bk", "obj"), "user/reader is not authorized to perform: kms:Decrypt on resource: "+key+" ")
	e.setPolicy(t, e.rootA, "reader", "kms", allow("kms:Decrypt "+key))
	get(t, r, "authz-bk", "obj")
}

// wantDeniedSaying is wantDenied for a same-account KMS refusal through
// S3: the message names the KMS action and key, as S3 passes KMS's on.
func wantDeniedSaying(t *testing.T, err error, part string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("want AccessDenied, got %v", err)
	}
	if !strings.Contains(ae.ErrorMessage(), part) || !strings.HasPrefix(ae.ErrorMessage(), "User: arn:aws:iam::") {
		t.Fatalf("AccessDenied message %q, want one containing %q", ae.ErrorMessage(), part)
	}
}
