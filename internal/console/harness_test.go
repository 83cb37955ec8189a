package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

const (
	testAK = "AKIAKURATEST00000001"
	testSK = "kura-test-secret-key-0000000000000000000"
)

// testServer is a Kura server on loopback ports (S3 and admin) with its
// data dir.
type testServer struct {
	*server.Server
	admin string // the admin listener's base URL: the console's
}

func start(t testing.TB) *testServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("KURA_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s, err := server.Open(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0",
		RootAccessKey: testAK, RootSecretKey: testSK, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(c)
	})
	return &testServer{Server: s, admin: s.AdminURL()}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func (ts *testServer) s3(ak, sk string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
}

func (ts *testServer) iam() *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
}

func (ts *testServer) kms() *kms.Client {
	return kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
}

// user creates an IAM user with an access key and, when policy is set,
// that inline policy; it returns the key pair.
func (ts *testServer) user(t testing.TB, name, policy string) (ak, sk string) {
	t.Helper()
	c := ts.iam()
	if _, err := c.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if _, err := c.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := c.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

// role creates a role Batch Operations may assume, allowed policy.
func (ts *testServer) role(t testing.TB, name, policy string) string {
	t.Helper()
	c := ts.iam()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	r, err := c.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

const rekeyRolePolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption","s3:ListBucket","s3:PutInventoryConfiguration"],"Resource":"*"},
 {"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","kms:ReEncrypt*","kms:DescribeKey"],"Resource":"*"}]}`

// browser is a console client: a cookie jar and the session's CSRF token.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (ts *testServer) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: ts.admin, c: &http.Client{Jar: jar, Timeout: time.Minute}}
}

// do sends a console API request; body is JSON-encoded unless it is a
// []byte. It returns the status and the body.
func (b *browser) do(method, path string, body any) (int, []byte) {
	b.t.Helper()
	var r io.Reader
	ct := ""
	switch v := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(v)
	case string:
		r, ct = strings.NewReader(v), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(v)
		r, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, b.base+path, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if b.csrf != "" {
		req.Header.Set("X-Kura-Csrf", b.csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// json sends a request, wants status want, and decodes the answer into v.
func (b *browser) json(method, path string, body any, want int, v any) {
	b.t.Helper()
	code, out := b.do(method, path, body)
	if code != want {
		b.t.Fatalf("%s %s: %d %s, want %d", method, path, code, out, want)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			b.t.Fatalf("%s %s: %v in %s", method, path, err, out)
		}
	}
}

func (b *browser) signIn(ak, sk string) {
	b.t.Helper()
	var me struct{ CSRF, ARN string }
	b.json("POST", "/console/api/signin", map[string]string{"accessKeyId": ak, "secretAccessKey": sk}, 200, &me)
	b.csrf = me.CSRF
}
