package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/audit"
	kuraiam "github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/server"
)

// Authorization through the wire (SPEC §7): identity policies, bucket
// policies, KMS key policies, trust policies, two accounts.

// authzEnv is a server with two accounts: A (the deployment's first, root
// testAK) and B (created through the iam package).
type authzEnv struct {
	ts           *testServer
	a, b         string // account ids
	rootA, rootB aws.Credentials
}

const (
	rootBAK = "AKIAKURAAUTHZROOTB01"
	rootBSK = "kura-authz-account-b-secret-00000000000"
)

func newAuthzEnv(t *testing.T, adjust func(*server.Config)) *authzEnv {
	t.Helper()
	ts := startWith(t, t.TempDir(), adjust)
	acct, _, err := ts.IAM.CreateAccount(context.Background(), kuraiam.AccountInput{Name: "partner", AccessKey: rootBAK, SecretKey: rootBSK})
	if err != nil {
		t.Fatal(err)
	}
	return &authzEnv{ts: ts, a: ts.Root.AccountID, b: acct.ID,
		rootA: aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK},
		rootB: aws.Credentials{AccessKeyID: rootBAK, SecretAccessKey: rootBSK}}
}

func (e *authzEnv) s3(c aws.Credentials) *s3.Client {
	return e.ts.s3As(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

func (e *authzEnv) iam(c aws.Credentials) *iam.Client {
	return e.ts.iamClient(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

func (e *authzEnv) sts(c aws.Credentials) *sts.Client {
	return e.ts.stsClient(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

func (e *authzEnv) kms(c aws.Credentials) *kms.Client {
	return kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		HTTPClient:  &http.Client{Timeout: time.Minute}})
}

// user creates an IAM user in root's account with an access key and, if
// policy is not empty, the inline policy "p".
func (e *authzEnv) user(t *testing.T, root aws.Credentials, name, policy string) aws.Credentials {
	t.Helper()
	c := e.iam(root)
	if _, err := c.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		e.setPolicy(t, root, name, "p", policy)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

func (e *authzEnv) setPolicy(t *testing.T, root aws.Credentials, user, name, policy string) {
	t.Helper()
	if _, err := e.iam(root).PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name),
		PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatalf("PutUserPolicy %s/%s: %v", user, name, err)
	}
}

func (e *authzEnv) putBucketPolicy(t *testing.T, c *s3.Client, bucket, policy string) {
	t.Helper()
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v", bucket, err)
	}
}

// allow is an identity policy of Allow statements, each "action resource".
func allow(stmts ...string) string {
	var parts []string
	for _, s := range stmts {
		a, r, _ := strings.Cut(s, " ")
		parts = append(parts, `{"Effect":"Allow","Action":"`+a+`","Resource":"`+r+`"}`)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(parts, ",") + `]}`
}

// wantDenied fails unless err is an AccessDenied (or, for KMS,
// AccessDeniedException) whose message is msg ("" accepts any).
func wantDenied(t *testing.T, err error, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || (ae.ErrorCode() != "AccessDenied" && ae.ErrorCode() != "AccessDeniedException") {
		t.Fatalf("want AccessDenied, got %v", err)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("AccessDenied message\n got %q\nwant %q", ae.ErrorMessage(), msg)
	}
}

func getErr(c *s3.Client, t *testing.T, bucket, key string) error {
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		out.Body.Close()
	}
	return err
}

func putErr(c *s3.Client, t *testing.T, bucket, key string, opts ...func(*s3.PutObjectInput)) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data of " + key)}
	for _, o := range opts {
		o(in)
	}
	_, err := c.PutObject(ctx(t), in)
	return err
}

func userARN(acct, name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

// notAuthorized is S3's enhanced AccessDenied message.
func notAuthorized(who, action, resource, why string) string {
	return "User: " + who + " is not authorized to perform: " + action + ` on resource: "` + resource + `" ` + why
}

func TestAuthzUserWithoutPolicyIsDeniedEverywhere(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "authz-none")
	put(t, root, "authz-none", "k", []byte("x"))
	key := createKey(t, e.ts.kmsClient())
	nobody := e.user(t, e.rootA, "nobody", "")
	me := userARN(e.a, "nobody")
	c := e.s3(nobody)
	noIdentity := func(action string) string { return "because no identity-based policy allows the " + action + " action" }

	_, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	wantDenied(t, err, "User: "+me+" is not authorized to perform: s3:ListAllMyBuckets "+noIdentity("s3:ListAllMyBuckets"))
	wantDenied(t, getErr(c, t, "authz-none", "k"), notAuthorized(me, "s3:GetObject", "arn:aws:s3:::authz-none/k", noIdentity("s3:GetObject")))
	wantDenied(t, putErr(c, t, "authz-none", "new"), notAuthorized(me, "s3:PutObject", "arn:aws:s3:::authz-none/new", noIdentity("s3:PutObject")))
	_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("authz-none")})
	wantDenied(t, err, notAuthorized(me, "s3:ListBucket", "arn:aws:s3:::authz-none", noIdentity("s3:ListBucket")))
	_, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("authz-none"), Key: aws.String("k")})
	wantDenied(t, err, notAuthorized(me, "s3:DeleteObject", "arn:aws:s3:::authz-none/k", noIdentity("s3:DeleteObject")))
	_, err = c.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("authz-none")})
	wantDenied(t, err, notAuthorized(me, "s3:GetBucketPolicy", "arn:aws:s3:::authz-none", noIdentity("s3:GetBucketPolicy")))
	_, err = c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("authz-mine")})
	wantDenied(t, err, "")
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("authz-none")}); httpStatus(err) != 403 {
		t.Fatalf("HeadBucket: want 403, got %v", err)
	}
	// A bucket that does not exist is NoSuchBucket, as in S3.
	_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("authz-missing")})
	wantCode(t, err, "NoSuchBucket")

	// KMS: the default key policy delegates to the account, where nobody's
	// identity policies allow nothing.
	kc := e.kms(nobody)
	_, err = kc.Encrypt(ctx(t), &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("p")})
	wantDenied(t, err, "User: "+me+" is not authorized to perform: kms:Encrypt on resource: "+key+" "+noIdentity("kms:Encrypt"))
	if httpStatus(err) != 400 {
		t.Fatalf("KMS AccessDeniedException: want HTTP 400 (SPEC C8), got %d", httpStatus(err))
	}
	_, err = kc.CreateKey(ctx(t), &kms.CreateKeyInput{})
	wantDenied(t, err, "User: "+me+" is not authorized to perform: kms:CreateKey on resource: * "+noIdentity("kms:CreateKey"))
	_, err = kc.ListKeys(ctx(t), &kms.ListKeysInput{})
	wantDenied(t, err, "")

	// IAM: nothing; STS GetCallerIdentity needs no permission.
	_, err = e.iam(nobody).CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantStatus(t, err, "AccessDenied", 403)
	_, err = e.iam(nobody).ListUsers(ctx(t), &iam.ListUsersInput{})
	wantStatus(t, err, "AccessDenied", 403)
	if who, err := e.sts(nobody).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(who.Arn) != me {
		t.Fatalf("GetCallerIdentity: %v %v", who, err)
	}

	// Each refusal is in the audit trail with errorCode AccessDenied.
	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventName == "GetObject" && ev.ErrorCode == "AccessDenied" && ev.UserIdentity.ARN == me &&
			ev.RecipientAccountID == e.a && strings.Contains(ev.ErrorMessage, "s3:GetObject")
	})
	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventSource == "kms.amazonaws.com" && ev.EventName == "Encrypt" && ev.ErrorCode == "AccessDeniedException"
	})
}

// waitAudit polls the audit log until an event matches (events are written
// after the response).
func waitAudit(t *testing.T, ts *testServer, match func(audit.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		found := false
		err := ts.auditQuery(audit.Filter{}, func(ev audit.Event) error {
			found = found || match(ev)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no matching audit event")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthzIdentityPolicies(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "authz-id")
	for _, k := range []string{"public/a", "public/secret", "private/b"} {
		put(t, root, "authz-id", k, []byte(k))
	}
	read := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::authz-id/public/*"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::authz-id","Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}`
	reader := e.user(t, e.rootA, "reader", read)
	me := userARN(e.a, "reader")
	c := e.s3(reader)

	// Allowed on one prefix only.
	if got := string(get(t, c, "authz-id", "public/a")); got != "public/a" {
		t.Fatalf("public/a = %q", got)
	}
	wantDenied(t, getErr(c, t, "authz-id", "private/b"), notAuthorized(me, "s3:GetObject", "arn:aws:s3:::authz-id/private/b",
		"because no identity-based policy allows the s3:GetObject action"))
	list := func(prefix *string) error {
		_, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("authz-id"), Prefix: prefix})
		return err
	}
	if err := list(aws.String("public/")); err != nil {
		t.Fatalf("list public/: %v", err)
	}
	wantDenied(t, list(nil), "")
	wantDenied(t, list(aws.String("private/")), "")

	// An explicit Deny in another identity policy beats the Allow.
	e.setPolicy(t, e.rootA, "reader", "no-secrets", `{"Version":"2012-10-17","Statement":{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::authz-id/*secret*"}}`)
	wantDenied(t, getErr(c, t, "authz-id", "public/secret"), notAuthorized(me, "s3:GetObject", "arn:aws:s3:::authz-id/public/secret",
		"with an explicit deny in an identity-based policy"))
	get(t, c, "authz-id", "public/a")

	// Removing a policy takes effect on the next request.
	if _, err := e.iam(e.rootA).DeleteUserPolicy(ctx(t), &iam.DeleteUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, getErr(c, t, "authz-id", "public/a"), "")

	// A managed policy attached to the user works the same way.
	pol, err := e.iam(e.rootA).CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("read-all"),
		PolicyDocument: aws.String(allow("s3:GetObject arn:aws:s3:::authz-id/*"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam(e.rootA).AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	get(t, c, "authz-id", "private/b")
	wantDenied(t, getErr(c, t, "authz-id", "public/secret"), "") // the Deny still applies

	// IAM actions are decided by identity policies too.
	e.setPolicy(t, e.rootA, "reader", "iam", allow("iam:ListUsers *"))
	if _, err := e.iam(reader).ListUsers(ctx(t), &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers allowed by policy: %v", err)
	}
	_, err = e.iam(reader).CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("x")})
	wantStatus(t, err, "AccessDenied", 403)
}

func TestAuthzCrossAccountBucketPolicy(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	ownerS3 := e.s3(e.rootA)
	mustBucket(t, ownerS3, "authz-shared")
	put(t, ownerS3, "authz-shared", "doc", []byte("shared"))
	partner := e.user(t, e.rootB, "partner", "")
	c := e.s3(partner)

	// Without a bucket policy, another account's user gets the plain
	// message (no details across accounts).
	wantDenied(t, getErr(c, t, "authz-shared", "doc"), "Access Denied")

	e.putBucketPolicy(t, ownerS3, "authz-shared", `{"Version":"2012-10-17","Statement":[
		{"Sid":"PartnerReads","Effect":"Allow","Principal":{"AWS":"`+userARN(e.b, "partner")+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::authz-shared/*"},
		{"Sid":"AccountLists","Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::authz-shared"}]}`)
	// Cross-account needs both sides: the bucket policy alone is not enough.
	wantDenied(t, getErr(c, t, "authz-shared", "doc"), "Access Denied")
	e.setPolicy(t, e.rootB, "partner", "p", allow("s3:GetObject arn:aws:s3:::authz-shared/*"))
	if got := string(get(t, c, "authz-shared", "doc")); got != "shared" {
		t.Fatalf("cross-account read = %q", got)
	}
	// The identity policy alone does not open what the bucket policy does not.
	e.setPolicy(t, e.rootB, "partner", "p2", allow("s3:PutObject arn:aws:s3:::authz-shared/*"))
	wantDenied(t, putErr(c, t, "authz-shared", "from-partner"), "Access Denied")
	// x-amz-expected-bucket-owner still guards the request.
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("authz-shared"), Key: aws.String("doc"), ExpectedBucketOwner: aws.String(e.b)})
	if err == nil {
		out.Body.Close()
	}
	wantDenied(t, err, "")

	// The other account's root needs only the bucket policy.
	rootB := e.s3(e.rootB)
	if _, err := rootB.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("authz-shared")}); err != nil {
		t.Fatalf("B's root lists A's bucket: %v", err)
	}
	wantDenied(t, getErr(rootB, t, "authz-shared", "doc"), "Access Denied")
	// B's buckets are not A's: ListBuckets lists the caller's account.
	if lb, err := rootB.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("B's ListBuckets: %v %v", lb, err)
	}

	// Bucket policy operations are the owner account's only: allowed by
	// policy, another account gets 405.
	e.putBucketPolicy(t, ownerS3, "authz-shared", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"`+e.b+`"},"Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::authz-shared"}]}`)
	_, err = rootB.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("authz-shared")})
	wantStatus(t, err, "MethodNotAllowed", 405)
}

// seed002Policy is seed 002's bucket policy (internal/policy/testdata, see
// its SOURCES.md) with its placeholder bucket name replaced.
func seed002Policy(t *testing.T, bucket string) string {
	t.Helper()
	b, err := os.ReadFile("../policy/testdata/seed002-require-sse-s3-bucket-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "YourBucket", bucket)
}

func TestAuthzSeed002RequireSSES3(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	c := e.s3(e.rootA)
	mustBucket(t, c, "authz-sse")
	e.putBucketPolicy(t, c, "authz-sse", seed002Policy(t, "authz-sse"))
	root := "arn:aws:iam::" + e.a + ":root"

	// The bucket owner's root is bound by the bucket policy's Deny.
	wantDenied(t, putErr(c, t, "authz-sse", "plain"), notAuthorized(root, "s3:PutObject", "arn:aws:s3:::authz-sse/plain",
		"with an explicit deny in a resource-based policy"))
	wantDenied(t, putErr(c, t, "authz-sse", "kms", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAwsKms }), "")
	if err := putErr(c, t, "authz-sse", "aes", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }); err != nil {
		t.Fatalf("PUT with AES256: %v", err)
	}
	get(t, c, "authz-sse", "aes") // reads are not affected

	// A multipart upload that asked for AES256 at its start: its parts and
	// its completion carry no SSE header and are judged by the upload's
	// encryption.
	cu, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("authz-sse"), Key: aws.String("mpu"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("authz-sse"), Key: aws.String("mpu"), UploadId: cu.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("one part")})
	if err != nil {
		t.Fatalf("UploadPart of an AES256 upload: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("authz-sse"), Key: aws.String("mpu"),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload of an AES256 upload: %v", err)
	}
	_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("authz-sse"), Key: aws.String("mpu2")})
	wantDenied(t, err, "")
}

func TestAuthzBucketPolicyAPI(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	c := e.s3(e.rootA)
	mustBucket(t, c, "authz-bp")
	bucket := aws.String("authz-bp")

	_, err := c.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: bucket})
	wantStatus(t, err, "NoSuchBucketPolicy", 404)
	if msg := errMessage(err); msg != "The bucket policy does not exist" {
		t.Fatalf("NoSuchBucketPolicy message %q", msg)
	}
	status := func() bool {
		t.Helper()
		out, err := c.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: bucket})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToBool(out.PolicyStatus.IsPublic)
	}
	if status() {
		t.Fatal("a bucket without a policy is public")
	}

	for _, tc := range []struct{ name, policy, msg string }{
		{"not JSON", `nope`, "Syntax errors in policy. The policy must be a JSON object."},
		{"no principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::authz-bp/*"}}`, ""},
		{"unknown field", `{"Version":"2012-10-17","Statement":[],"Foo":1}`, ""},
		{"another bucket", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}`, "Policy has invalid resource"},
	} {
		_, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(tc.policy)})
		wantStatus(t, err, "MalformedPolicy", 400)
		if tc.msg != "" && errMessage(err) != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.name, errMessage(err), tc.msg)
		}
	}

	private := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + e.b + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::authz-bp/*"}]}`
	e.putBucketPolicy(t, c, "authz-bp", private)
	got, err := c.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: bucket})
	if err != nil || aws.ToString(got.Policy) != private {
		t.Fatalf("GetBucketPolicy = %q, %v", aws.ToString(got.Policy), err)
	}
	if status() {
		t.Fatal("a policy for one account is public")
	}
	for _, tc := range []struct {
		cond   string
		public bool
	}{
		{``, true},
		{`,"Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, false},
		{`,"Condition":{"StringEquals":{"aws:PrincipalAccount":"` + e.b + `"}}`, false},
		{`,"Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, true},
		{`,"Condition":{"Bool":{"aws:SecureTransport":"true"}}`, true},
	} {
		e.putBucketPolicy(t, c, "authz-bp", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::authz-bp/*"`+tc.cond+`}]}`)
		if got := status(); got != tc.public {
			t.Errorf("condition %s: IsPublic %v, want %v", tc.cond, got, tc.public)
		}
	}

	// A policy that denies everything to everyone still leaves the owner's
	// root its bucket policy operations (and nothing else).
	e.putBucketPolicy(t, c, "authz-bp", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::authz-bp","arn:aws:s3:::authz-bp/*"]}]}`)
	wantDenied(t, putErr(c, t, "authz-bp", "k"), "")
	if _, err := c.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: bucket}); err != nil {
		t.Fatalf("the root's GetBucketPolicy under a deny-all policy: %v", err)
	}
	if _, err := c.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: bucket}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	_, err = c.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: bucket})
	wantCode(t, err, "NoSuchBucketPolicy")
	if err := putErr(c, t, "authz-bp", "k"); err != nil {
		t.Fatalf("PUT after DeleteBucketPolicy: %v", err)
	}
}

func TestAuthzAssumedRoles(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	e := newAuthzEnv(t, func(c *server.Config) { c.Now = clk.now })
	root := e.s3(e.rootA)
	mustBucket(t, root, "authz-role")
	put(t, root, "authz-role", "a/x", []byte("x"))
	put(t, root, "authz-role", "b/y", []byte("y"))
	rootIAM := e.iam(e.rootA)
	carol := e.user(t, e.rootA, "carol", "")

	// A role whose trust policy names carol: within the account that is
	// enough, no identity permission of hers is needed.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN(e.a, "carol") + `"},"Action":"sts:AssumeRole"}]}`
	role, err := rootIAM.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rootIAM.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allow("s3:GetObject arn:aws:s3:::authz-role/*"))}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(carol).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	session := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
	sc := e.s3(session)
	get(t, sc, "authz-role", "a/x")
	sessionARN := "arn:aws:sts::" + e.a + ":assumed-role/reader/s1"
	wantDenied(t, putErr(sc, t, "authz-role", "new"), notAuthorized(sessionARN, "s3:PutObject", "arn:aws:s3:::authz-role/new",
		"because no identity-based policy allows the s3:PutObject action"))
	// carol herself still has no S3 permission.
	wantDenied(t, getErr(e.s3(carol), t, "authz-role", "a/x"), "")

	// A session policy narrows the session to what it allows too.
	narrow, err := e.sts(carol).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s2"),
		Policy: aws.String(allow("s3:GetObject arn:aws:s3:::authz-role/a/*"))})
	if err != nil {
		t.Fatal(err)
	}
	nc := e.s3(aws.Credentials{AccessKeyID: aws.ToString(narrow.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(narrow.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(narrow.Credentials.SessionToken)})
	get(t, nc, "authz-role", "a/x")
	wantDenied(t, getErr(nc, t, "authz-role", "b/y"), notAuthorized("arn:aws:sts::"+e.a+":assumed-role/reader/s2", "s3:GetObject",
		"arn:aws:s3:::authz-role/b/y", "because no session policy allows the s3:GetObject action"))

	// A role that trusts only the account: carol's identity policy must
	// allow sts:AssumeRole on it as well.
	acctTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.a + `:root"},"Action":"sts:AssumeRole"}]}`
	delegated, err := rootIAM.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("delegated"), AssumeRolePolicyDocument: aws.String(acctTrust)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(carol).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: delegated.Role.Arn, RoleSessionName: aws.String("s3")})
	wantStatus(t, err, "AccessDenied", 403)
	e.setPolicy(t, e.rootA, "carol", "assume", allow("sts:AssumeRole "+aws.ToString(delegated.Role.Arn)))
	if _, err := e.sts(carol).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: delegated.Role.Arn, RoleSessionName: aws.String("s3")}); err != nil {
		t.Fatalf("AssumeRole with identity permission and account trust: %v", err)
	}
	// Another account's principal needs both sides too.
	partner := e.user(t, e.rootB, "partner", allow("sts:AssumeRole "+aws.ToString(delegated.Role.Arn)))
	_, err = e.sts(partner).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: delegated.Role.Arn, RoleSessionName: aws.String("cross")})
	wantStatus(t, err, "AccessDenied", 403)

	// The session's credentials expire.
	clk.advance(15*time.Minute + time.Second)
	err = getErr(sc, t, "authz-role", "a/x")
	wantStatus(t, err, "ExpiredToken", 400)
}

func TestAuthzDeleteObjectsCopyAndGovernanceBypass(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "authz-src")
	mustBucket(t, root, "authz-dst")
	for _, k := range []string{"tmp/a", "keep/b"} {
		put(t, root, "authz-dst", k, []byte(k))
	}
	put(t, root, "authz-src", "s", []byte("source"))
	u := e.user(t, e.rootA, "worker", allow("s3:DeleteObject arn:aws:s3:::authz-dst/tmp/*", "s3:PutObject arn:aws:s3:::authz-dst/*"))
	c := e.s3(u)

	// DeleteObjects decides key by key.
	out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("authz-dst"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("tmp/a")}, {Key: aws.String("keep/b")}}}, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "tmp/a" || len(out.Errors) != 1 ||
		aws.ToString(out.Errors[0].Key) != "keep/b" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects: deleted %v, errors %v", out.Deleted, out.Errors)
	}
	get(t, root, "authz-dst", "keep/b")

	// CopyObject needs s3:GetObject on the source as well.
	copyIt := func() error {
		_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("authz-dst"), Key: aws.String("copy"), CopySource: aws.String("authz-src/s")})
		return err
	}
	wantDenied(t, copyIt(), notAuthorized(userARN(e.a, "worker"), "s3:GetObject", "arn:aws:s3:::authz-src/s",
		"because no identity-based policy allows the s3:GetObject action"))
	e.setPolicy(t, e.rootA, "worker", "src", allow("s3:GetObject arn:aws:s3:::authz-src/*"))
	if err := copyIt(); err != nil {
		t.Fatalf("CopyObject with both permissions: %v", err)
	}

	// Governance retention: the bypass header counts only with
	// s3:BypassGovernanceRetention.
	mustLockBucket(t, root, "authz-lock")
	vid := putWith(t, root, "authz-lock", "held", retain(types.ObjectLockModeGovernance, time.Now().Add(time.Hour)))
	e.setPolicy(t, e.rootA, "worker", "lock", allow("s3:DeleteObjectVersion arn:aws:s3:::authz-lock/*"))
	wantDenied(t, deleteVersion(c, t, "authz-lock", "held", vid, true), "")
	headVersion(t, root, "authz-lock", "held", vid)
	e.setPolicy(t, e.rootA, "worker", "bypass", allow("s3:BypassGovernanceRetention arn:aws:s3:::authz-lock/*"))
	if err := deleteVersion(c, t, "authz-lock", "held", vid, true); err != nil {
		t.Fatalf("delete with bypass and s3:BypassGovernanceRetention: %v", err)
	}
}
