package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kurastore/kura/internal/server"
)

func (ts *testServer) iamClient(ak, sk, token string) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, token), HTTPClient: &http.Client{Timeout: time.Minute}})
}

func (ts *testServer) stsClient(ak, sk, token string) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, token), HTTPClient: &http.Client{Timeout: time.Minute}})
}

// s3As is an S3 client with other credentials than the root's.
func (ts *testServer) s3As(ak, sk, token string) *s3.Client {
	return ts.client(func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, token) })
}

// queryCall signs an IAM or STS query request as boto3 does with
// region_name="" (an empty region in the credential scope) and returns the
// status and body.
func queryCall(t *testing.T, ts *testServer, creds aws.Credentials, service string, form url.Values) (int, []byte) {
	t.Helper()
	body := []byte(form.Encode())
	req, err := http.NewRequest(http.MethodPost, ts.URL()+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256hex(body), service, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "//"+service+"/aws4_request") {
		t.Fatalf("not signed with an empty region: %s", req.Header.Get("Authorization"))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
}

func TestIAMUsersAndAccessKeys(t *testing.T) {
	t.Parallel()
	ts := start(t)
	cx := ctx(t)
	root := ts.iamClient(testAK, testSK, "")
	mustBucket(t, ts.client(), "iam-users")

	// The root's own GetUser: the account id and the root ARN.
	me, err := root.GetUser(cx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(me.User.Arn); !strings.HasSuffix(arn, ":root") || aws.ToString(me.User.UserId) != ts.Root.AccountID {
		t.Fatalf("root GetUser: %s %s", arn, aws.ToString(me.User.UserId))
	}

	u, err := root.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:iam::" + ts.Root.AccountID + ":user/eng/alice"
	if aws.ToString(u.User.Arn) != wantARN || !strings.HasPrefix(aws.ToString(u.User.UserId), "AIDA") || u.User.CreateDate == nil {
		t.Fatalf("CreateUser: %+v", u.User)
	}
	_, err = root.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantStatus(t, err, "EntityAlreadyExists", 409)
	_, err = root.GetUser(cx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantStatus(t, err, "NoSuchEntity", 404)
	_, err = root.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("bad name")})
	wantStatus(t, err, "ValidationError", 400)

	key, err := root.CreateAccessKey(cx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	if !strings.HasPrefix(ak, "AKIA") || len(sk) != 40 || key.AccessKey.Status != "Active" {
		t.Fatalf("CreateAccessKey: %+v", key.AccessKey)
	}

	// The user's keys authenticate S3 (what they may do is for policies to
	// decide: hers lets her list buckets and read her own user) and STS
	// knows who they are.
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},` +
		`{"Effect":"Allow","Action":"iam:GetUser","Resource":"` + wantARN + `"}]}`
	if _, err := root.PutUserPolicy(cx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"), PolicyDocument: aws.String(own)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s3As(ak, sk, "").ListBuckets(cx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("S3 with the user's key: %v", err)
	}
	who, err := ts.stsClient(ak, sk, "").GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.Account) != ts.Root.AccountID || aws.ToString(who.UserId) != aws.ToString(u.User.UserId) {
		t.Fatalf("GetCallerIdentity: %s %s %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId))
	}
	alice := ts.iamClient(ak, sk, "")
	self, err := alice.GetUser(cx, &iam.GetUserInput{})
	if err != nil || aws.ToString(self.User.UserName) != "alice" || len(self.User.Tags) != 1 || aws.ToString(self.User.Tags[0].Value) != "storage" {
		t.Fatalf("user's own GetUser: %+v %v", self, err)
	}
	// No policy of hers allows iam:CreateUser.
	_, err = alice.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantStatus(t, err, "AccessDenied", 403)

	_, err = root.DeleteUser(cx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantStatus(t, err, "DeleteConflict", 409)

	second, _ := root.CreateAccessKey(cx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	_, err = root.CreateAccessKey(cx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantStatus(t, err, "LimitExceeded", 409)
	list, err := root.ListAccessKeys(cx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %v %v", list, err)
	}

	// An inactive key no longer authenticates; a deleted one is unknown.
	if _, err := root.UpdateAccessKey(cx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(ak), Status: "Inactive"}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.s3As(ak, sk, "").ListBuckets(cx, &s3.ListBucketsInput{})
	wantStatus(t, err, "InvalidAccessKeyId", 403)
	_, err = ts.stsClient(ak, sk, "").GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	wantStatus(t, err, "InvalidClientTokenId", 403)
	for _, id := range []*string{aws.String(ak), second.AccessKey.AccessKeyId} {
		if _, err := root.DeleteAccessKey(cx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: id}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = root.DeleteAccessKey(cx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(ak)})
	wantStatus(t, err, "NoSuchEntity", 404)

	users, err := root.ListUsers(cx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")})
	if err != nil || len(users.Users) != 1 {
		t.Fatalf("ListUsers: %v %v", users, err)
	}
	if _, err := root.DeleteUserPolicy(cx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteUser(cx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if users, err := root.ListUsers(cx, &iam.ListUsersInput{}); err != nil || len(users.Users) != 0 {
		t.Fatalf("ListUsers after delete: %v %v", users, err)
	}
}

func TestIAMPoliciesAndRoles(t *testing.T) {
	t.Parallel()
	ts := start(t)
	cx := ctx(t)
	root := ts.iamClient(testAK, testSK, "")
	acct := ts.Root.AccountID
	if _, err := root.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`

	// Inline user policies; IAM returns documents URL-encoded.
	if _, err := root.PutUserPolicy(cx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("read"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetUserPolicy(cx, &iam.GetUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("read")})
	if err != nil {
		t.Fatal(err)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(got.PolicyDocument)); dec != doc {
		t.Fatalf("GetUserPolicy document %q", aws.ToString(got.PolicyDocument))
	}
	names, err := root.ListUserPolicies(cx, &iam.ListUserPoliciesInput{UserName: aws.String("bob")})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "read" {
		t.Fatalf("ListUserPolicies: %v %v", names, err)
	}
	_, err = root.PutUserPolicy(cx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("bad"),
		PolicyDocument: aws.String(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`)})
	wantStatus(t, err, "MalformedPolicyDocument", 400)
	_, err = root.GetUserPolicy(cx, &iam.GetUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("none")})
	wantStatus(t, err, "NoSuchEntity", 404)

	// Managed policies.
	pol, err := root.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("readonly"), Path: aws.String("/team/"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	polARN := aws.ToString(pol.Policy.Arn)
	if polARN != "arn:aws:iam::"+acct+":policy/team/readonly" || aws.ToString(pol.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("CreatePolicy: %+v", pol.Policy)
	}
	_, err = root.CreatePolicy(cx, &iam.CreatePolicyInput{PolicyName: aws.String("readonly"), PolicyDocument: aws.String(doc)})
	wantStatus(t, err, "EntityAlreadyExists", 409)
	if _, err := root.AttachUserPolicy(cx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(polARN)}); err != nil {
		t.Fatal(err)
	}
	gp, err := root.GetPolicy(cx, &iam.GetPolicyInput{PolicyArn: aws.String(polARN)})
	if err != nil || aws.ToInt32(gp.Policy.AttachmentCount) != 1 {
		t.Fatalf("GetPolicy: %v %v", gp, err)
	}
	v, err := root.GetPolicyVersion(cx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(polARN), VersionId: aws.String("v1")})
	if err != nil || !v.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); dec != doc {
		t.Fatalf("policy version document %q", dec)
	}
	att, err := root.ListAttachedUserPolicies(cx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("bob")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != polARN {
		t.Fatalf("ListAttachedUserPolicies: %v %v", att, err)
	}
	lp, err := root.ListPolicies(cx, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil || len(lp.Policies) != 1 {
		t.Fatalf("ListPolicies: %v %v", lp, err)
	}
	_, err = root.DeletePolicy(cx, &iam.DeletePolicyInput{PolicyArn: aws.String(polARN)})
	wantStatus(t, err, "DeleteConflict", 409)
	_, err = root.AttachUserPolicy(cx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantStatus(t, err, "NoSuchEntity", 404)

	// Roles.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/bob"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(role.Role.Arn) != "arn:aws:iam::"+acct+":role/reader" || !strings.HasPrefix(aws.ToString(role.Role.RoleId), "AROA") {
		t.Fatalf("CreateRole: %+v", role.Role)
	}
	gr, err := root.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("reader")})
	if err != nil || aws.ToInt32(gr.Role.MaxSessionDuration) != 7200 {
		t.Fatalf("GetRole: %v", err)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(gr.Role.AssumeRolePolicyDocument)); dec != trust {
		t.Fatalf("trust policy %q", dec)
	}
	_, err = root.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(doc)})
	wantStatus(t, err, "MalformedPolicyDocument", 400)
	if _, err := root.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachRolePolicy(cx, &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String(polARN)}); err != nil {
		t.Fatal(err)
	}
	rp, _ := root.ListRolePolicies(cx, &iam.ListRolePoliciesInput{RoleName: aws.String("reader")})
	ra, _ := root.ListAttachedRolePolicies(cx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("reader")})
	roles, _ := root.ListRoles(cx, &iam.ListRolesInput{})
	if len(rp.PolicyNames) != 1 || len(ra.AttachedPolicies) != 1 || len(roles.Roles) != 1 {
		t.Fatalf("role listings: %v %v %v", rp.PolicyNames, ra.AttachedPolicies, roles.Roles)
	}
	_, err = root.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("reader")})
	wantStatus(t, err, "DeleteConflict", 409)
	grp, err := root.GetRolePolicy(cx, &iam.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("inline")})
	if dec, _ := url.QueryUnescape(aws.ToString(grp.PolicyDocument)); err != nil || dec != doc {
		t.Fatalf("GetRolePolicy: %q %v", dec, err)
	}
	oidc, err := root.ListOpenIDConnectProviders(cx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(oidc.OpenIDConnectProviderList) != 0 {
		t.Fatalf("ListOpenIDConnectProviders: %v %v", oidc, err)
	}

	// Tear everything down, as the conformance suite's teardown does.
	steps := []func() error{
		func() error {
			_, err := root.DeleteRolePolicy(cx, &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("inline")})
			return err
		},
		func() error {
			_, err := root.DetachRolePolicy(cx, &iam.DetachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String(polARN)})
			return err
		},
		func() error {
			_, err := root.DeleteRole(cx, &iam.DeleteRoleInput{RoleName: aws.String("reader")})
			return err
		},
		func() error {
			_, err := root.DetachUserPolicy(cx, &iam.DetachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(polARN)})
			return err
		},
		func() error {
			_, err := root.DeleteUserPolicy(cx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("read")})
			return err
		},
		func() error {
			_, err := root.DeletePolicy(cx, &iam.DeletePolicyInput{PolicyArn: aws.String(polARN)})
			return err
		},
		func() error {
			_, err := root.DeleteUser(cx, &iam.DeleteUserInput{UserName: aws.String("bob")})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("teardown step %d: %v", i, err)
		}
	}
	_, err = root.GetRole(cx, &iam.GetRoleInput{RoleName: aws.String("reader")})
	wantStatus(t, err, "NoSuchEntity", 404)
}

// clock is a settable server clock for session expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestIAMAssumeRole(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Now = clk.now })
	cx := ctx(t)
	root := ts.iamClient(testAK, testSK, "")
	acct := ts.Root.AccountID
	mustBucket(t, ts.client(), "assumed")
	if _, err := root.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(cx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/carol"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	// The role may look at the bucket, nothing more.
	if _, err := root.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("head"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::assumed"}}`)}); err != nil {
		t.Fatal(err)
	}
	carol := ts.stsClient(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	out, err := carol.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("ci"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" || c.Expiration == nil ||
		c.Expiration.Sub(clk.now()) > 901*time.Second || c.Expiration.Sub(clk.now()) < 898*time.Second {
		t.Fatalf("credentials %+v", c)
	}
	sessionARN := "arn:aws:sts::" + acct + ":assumed-role/deployer/ci"
	if aws.ToString(out.AssumedRoleUser.Arn) != sessionARN || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != aws.ToString(role.Role.RoleId)+":ci" {
		t.Fatalf("AssumedRoleUser %+v", out.AssumedRoleUser)
	}
	ak, sk, token := aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)

	// The temporary credentials work for S3 and STS.
	if _, err := ts.s3As(ak, sk, token).HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("assumed")}); err != nil {
		t.Fatalf("S3 with session credentials: %v", err)
	}
	who, err := ts.stsClient(ak, sk, token).GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != sessionARN {
		t.Fatalf("GetCallerIdentity: %v %v", who, err)
	}

	// A wrong or missing token is refused.
	_, err = ts.s3As(ak, sk, token+"x").ListBuckets(cx, &s3.ListBucketsInput{})
	wantStatus(t, err, "InvalidToken", 400)
	_, err = ts.s3As(ak, sk, "").ListBuckets(cx, &s3.ListBucketsInput{})
	wantStatus(t, err, "InvalidAccessKeyId", 403)
	_, err = ts.stsClient(ak, sk, "wrong").GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	wantStatus(t, err, "InvalidClientTokenId", 403)

	// The root may not assume roles; an untrusted or missing role is
	// AccessDenied.
	_, err = ts.stsClient(testAK, testSK, "").AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("x1")})
	wantStatus(t, err, "AccessDenied", 403)
	_, err = carol.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/none"), RoleSessionName: aws.String("x1")})
	wantStatus(t, err, "AccessDenied", 403)
	_, err = carol.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("x1"), DurationSeconds: aws.Int32(7200)})
	wantStatus(t, err, "ValidationError", 400)

	// Trust conditions see the request: sts:ExternalId.
	ext := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/carol"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"tenant-42"}}}]}`
	extRole, err := root.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("partner"), AssumeRolePolicyDocument: aws.String(ext)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = carol.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: extRole.Role.Arn, RoleSessionName: aws.String("x1")})
	wantStatus(t, err, "AccessDenied", 403)
	if _, err := carol.AssumeRole(cx, &sts.AssumeRoleInput{RoleArn: extRole.Role.Arn, RoleSessionName: aws.String("x1"), ExternalId: aws.String("tenant-42")}); err != nil {
		t.Fatalf("AssumeRole with the external id: %v", err)
	}

	// Past its expiry the session is refused with ExpiredToken.
	clk.advance(15*time.Minute + time.Second)
	_, err = ts.s3As(ak, sk, token).ListBuckets(cx, &s3.ListBucketsInput{})
	wantStatus(t, err, "ExpiredToken", 400)
	_, err = ts.stsClient(ak, sk, token).GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	wantStatus(t, err, "ExpiredToken", 403)
}

func TestIAMAccounts(t *testing.T) {
	t.Parallel()
	ts := start(t)
	cx := ctx(t)
	admin := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	const altAK, altSK = "NOPQRSTUVWXYZABCDEFG", "nopqrstuvwxyzabcdefghijklmnabcdefghijklm"

	// KuraCreateAccount, signed as the conformance suite's IAM client signs
	// (empty region).
	status, body := queryCall(t, ts, admin, "iam", url.Values{"Action": {"KuraCreateAccount"}, "Version": {"2010-05-08"},
		"AccountName": {"alt"}, "Email": {"john.doe@example.com"}, "CanonicalId": {"56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234"},
		"DisplayName": {"john.doe"}, "AccessKeyId": {altAK}, "SecretAccessKey": {altSK}})
	if status != 200 {
		t.Fatalf("KuraCreateAccount: %d %s", status, body)
	}
	var created struct {
		ID  string `xml:"KuraCreateAccountResult>Account>AccountId"`
		Key string `xml:"KuraCreateAccountResult>AccessKey>AccessKeyId"`
		Req string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &created); err != nil || len(created.ID) != 12 || created.ID == ts.Root.AccountID || created.Key != altAK || created.Req == "" {
		t.Fatalf("KuraCreateAccount response %s: %v", body, err)
	}
	// Keys are unique in the deployment.
	status, body = queryCall(t, ts, admin, "iam", url.Values{"Action": {"KuraCreateAccount"}, "AccountName": {"again"},
		"AccessKeyId": {altAK}, "SecretAccessKey": {altSK}})
	var qe queryError
	if xml.Unmarshal(body, &qe); status != 409 || qe.Code != "EntityAlreadyExists" || qe.Type != "Sender" {
		t.Fatalf("duplicate key: %d %s", status, body)
	}
	// Only the first account's root administers accounts.
	alt := aws.Credentials{AccessKeyID: altAK, SecretAccessKey: altSK}
	status, body = queryCall(t, ts, alt, "iam", url.Values{"Action": {"KuraListAccounts"}})
	if xml.Unmarshal(body, &qe); status != 403 || qe.Code != "AccessDenied" {
		t.Fatalf("KuraListAccounts by another root: %d %s", status, body)
	}
	status, body = queryCall(t, ts, admin, "iam", url.Values{"Action": {"KuraListAccounts"}})
	if status != 200 || !bytes.Contains(body, []byte("<AccountId>"+created.ID+"</AccountId>")) || !bytes.Contains(body, []byte(ts.Root.AccountID)) {
		t.Fatalf("KuraListAccounts: %d %s", status, body)
	}
	// The new root is IAM's root of its own account.
	altIAM := ts.iamClient(altAK, altSK, "")
	me, err := altIAM.GetUser(cx, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.Arn) != "arn:aws:iam::"+created.ID+":root" {
		t.Fatalf("alt GetUser: %v %v", me, err)
	}

	// Each root owns its buckets and KMS keys.
	adminS3, altS3 := ts.client(), ts.s3As(altAK, altSK, "")
	mustBucket(t, adminS3, "admin-bucket")
	mustBucket(t, altS3, "alt-bucket")
	names := func(c *s3.Client) []string {
		out, err := c.ListBuckets(cx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, b := range out.Buckets {
			n = append(n, aws.ToString(b.Name))
		}
		return n
	}
	if a, b := names(adminS3), names(altS3); len(a) != 1 || a[0] != "admin-bucket" || len(b) != 1 || b[0] != "alt-bucket" {
		t.Fatalf("admin sees %v, alt sees %v", a, b)
	}
	lb, _ := altS3.ListBuckets(cx, &s3.ListBucketsInput{})
	// S3 names owners by canonical id, not account id.
	if aws.ToString(lb.Owner.ID) != "56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234" || aws.ToString(lb.Owner.DisplayName) != "john.doe" {
		t.Fatalf("alt owner %+v", lb.Owner)
	}
	_, err = altS3.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("admin-bucket")})
	wantStatus(t, err, "Forbidden", 403)
	_, err = altS3.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("admin-bucket")})
	wantStatus(t, err, "BucketAlreadyExists", 409)

	altKMS := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(altAK, altSK, ""), HTTPClient: &http.Client{Timeout: time.Minute}})
	key, err := altKMS.CreateKey(cx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(key.KeyMetadata.Arn); !strings.Contains(arn, ":"+created.ID+":key/") {
		t.Fatalf("alt's key %s is not in its account", arn)
	}
	adminKeys, err := ts.kmsClient().ListKeys(cx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range adminKeys.Keys {
		if aws.ToString(k.KeyId) == aws.ToString(key.KeyMetadata.KeyId) {
			t.Fatal("the admin account lists alt's key")
		}
	}
	// SSE-KMS with alt's key, in alt's bucket.
	if _, err := altS3.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("alt-bucket"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyMetadata.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err = adminS3.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("admin-bucket"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyMetadata.Arn})
	if err == nil {
		t.Fatal("the admin account encrypted with alt's key")
	}
}

// Errors of IAM and STS requests come in their own ErrorResponse format,
// authentication failures included.
func TestIAMQueryErrors(t *testing.T) {
	t.Parallel()
	ts := start(t)
	admin := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	cases := []struct {
		name    string
		creds   aws.Credentials
		service string
		form    url.Values
		status  int
		code    string
	}{
		{"unknown action", admin, "iam", url.Values{"Action": {"CreateGroup"}, "Version": {"2010-05-08"}}, 400, "InvalidAction"},
		{"wrong version", admin, "iam", url.Values{"Action": {"GetUser"}, "Version": {"2011-06-15"}}, 400, "InvalidAction"},
		{"no action", admin, "sts", url.Values{"Version": {"2011-06-15"}}, 400, "MissingAction"},
		{"missing parameter", admin, "iam", url.Values{"Action": {"DeleteUser"}}, 400, "ValidationError"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"}, "sts", url.Values{"Action": {"GetCallerIdentity"}}, 403, "InvalidClientTokenId"},
		{"bad signature", aws.Credentials{AccessKeyID: testAK, SecretAccessKey: "wrong"}, "iam", url.Values{"Action": {"GetUser"}}, 403, "SignatureDoesNotMatch"},
		{"empty region accepted", admin, "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := queryCall(t, ts, tc.creds, tc.service, tc.form)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.code == "" {
				if !bytes.Contains(body, []byte("<Arn>arn:aws:iam::"+ts.Root.AccountID+":root</Arn>")) {
					t.Fatalf("body %s", body)
				}
				return
			}
			var qe queryError
			if err := xml.Unmarshal(body, &qe); err != nil || qe.Code != tc.code || qe.Message == "" {
				t.Fatalf("error body %s: %v", body, err)
			}
		})
	}
}
