package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
)

// The console's API through HTTP, against a real server: who may call
// it, that it acts only as the signed-in principal, and the posture.

func TestConsoleStaticAndHeaders(t *testing.T) {
	t.Parallel()
	ts := start(t)
	for _, path := range []string{"/", "/app.js", "/lib.js", "/style.css"} {
		res, err := http.Get(ts.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: %d, CSP %q", path, res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
	}
	// The admin endpoints are still there.
	for _, path := range []string{"/metrics", "/health/live"} {
		res, err := http.Get(ts.admin + path)
		if err != nil || res.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", path, res, err)
		}
		res.Body.Close()
	}
}

func TestConsoleAuthRequired(t *testing.T) {
	t.Parallel()
	ts := start(t)
	b := ts.browser(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/console/api/me"},
		{"GET", "/console/api/buckets"},
		{"GET", "/console/api/objects?bucket=b"},
		{"GET", "/console/api/object?bucket=b&key=k"},
		{"GET", "/console/api/download?bucket=b&key=k"},
		{"DELETE", "/console/api/object?bucket=b&key=k"},
		{"PUT", "/console/api/object?bucket=b&key=k"},
		{"POST", "/console/api/uploads?bucket=b&key=k"},
		{"POST", "/console/api/buckets"},
		{"GET", "/console/api/bucket?bucket=b"},
		{"DELETE", "/console/api/bucket?bucket=b"},
		{"PUT", "/console/api/bucket/encryption?bucket=b"},
		{"PUT", "/console/api/bucket/versioning?bucket=b"},
		{"PUT", "/console/api/object/retention?bucket=b&key=k"},
		{"PUT", "/console/api/object/legalhold?bucket=b&key=k"},
		{"POST", "/console/api/object/copy?bucket=b&key=k"},
		{"GET", "/console/api/posture?bucket=b"},
		{"POST", "/console/api/rekey"},
		{"GET", "/console/api/jobs"},
		{"POST", "/console/api/jobs/x/status"},
		{"POST", "/console/api/kms/ListKeys"},
		{"POST", "/console/api/iam"},
		{"GET", "/console/api/audit"},
		{"POST", "/console/api/signout"},
	} {
		if code, body := b.do(tc.method, tc.path, nil); code != 401 || !strings.Contains(string(body), "NotSignedIn") {
			t.Errorf("%s %s without a session: %d %s, want 401 NotSignedIn", tc.method, tc.path, code, body)
		}
	}
}

func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	ts := start(t)
	ak, sk := ts.user(t, "alice", "")
	for _, tc := range []struct {
		name, ak, sk string
		want         int
	}{
		{"root", testAK, testSK, 200},
		{"user", ak, sk, 200},
		{"wrong secret", ak, sk + "x", 401},
		{"unknown key", "AKIANOBODY0000000000", sk, 401},
		{"empty secret", ak, "", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ts.browser(t)
			code, body := b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": tc.ak, "secretAccessKey": tc.sk})
			if code != tc.want {
				t.Fatalf("%d %s, want %d", code, body, tc.want)
			}
			if strings.Contains(string(body), tc.sk) && tc.sk != "" {
				t.Errorf("the answer carries the secret: %s", body)
			}
			if code != 200 {
				if code, _ := b.do("GET", "/console/api/me", nil); code != 401 {
					t.Errorf("a refused sign-in left a session (%d)", code)
				}
				return
			}
			u, _ := url.Parse(ts.admin)
			cs := b.c.Jar.Cookies(u)
			if len(cs) != 1 {
				t.Fatalf("cookies %v", cs)
			}
			var me struct{ ARN, CSRF string }
			json.Unmarshal(body, &me)
			if !strings.HasSuffix(me.ARN, map[bool]string{true: ":root", false: ":user/alice"}[tc.ak == testAK]) || me.CSRF == "" {
				t.Errorf("me %+v", me)
			}
		})
	}
	// The cookie's flags.
	res, err := http.Post(ts.admin+"/console/api/signin", "application/json", strings.NewReader(`{"accessKeyId":"`+ak+`","secretAccessKey":"`+sk+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c := res.Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v, want HttpOnly and SameSite=Strict", c)
	}
	// CSRF: a state-changing call without the token, or from another origin, is refused.
	b := ts.browser(t)
	b.signIn(ak, sk)
	token := b.csrf
	b.csrf = ""
	if code, body := b.do("POST", "/console/api/signout", nil); code != 403 || !strings.Contains(string(body), "BadCSRFToken") {
		t.Errorf("sign-out without the CSRF token: %d %s", code, body)
	}
	b.csrf = token
	req, _ := http.NewRequest("POST", ts.admin+"/console/api/signout", nil)
	req.Header.Set("X-Kura-Csrf", token)
	req.Header.Set("Origin", "http://evil.example")
	if res, err := b.c.Do(req); err != nil || res.StatusCode != 403 {
		t.Errorf("cross-origin sign-out: %v %v", res, err)
	}
	b.json("POST", "/console/api/signout", nil, 200, nil)
	if code, _ := b.do("GET", "/console/api/me", nil); code != 401 {
		t.Errorf("after sign-out: %d", code)
	}
	// A deleted access key ends its sessions at once.
	b2 := ts.browser(t)
	b2.signIn(ak, sk)
	if _, err := ts.iam().DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(ak)}); err != nil {
		t.Fatal(err)
	}
	if code, _ := b2.do("GET", "/console/api/buckets", nil); code != 401 {
		t.Errorf("a session of a deleted key: %d, want 401", code)
	}
}

// TestConsoleActsAsPrincipal: a user without rights is refused as S3,
// KMS, IAM and CloudTrail would refuse it; a user with rights acts, and
// the audit trail names the user, not the server.
func TestConsoleActsAsPrincipal(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("docs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	nak, nsk := ts.user(t, "nobody", "")
	wak, wsk := ts.user(t, "writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListBucket","s3:GetObject","s3:PutObject","s3:GetEncryptionConfiguration"],"Resource":"*"}]}`)
	none, writer := ts.browser(t), ts.browser(t)
	none.signIn(nak, nsk)
	writer.signIn(wak, wsk)
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
		code         string
	}{
		{"GET", "/console/api/buckets", nil, 403, "AccessDenied"},
		{"GET", "/console/api/objects?bucket=docs", nil, 403, "AccessDenied"},
		{"GET", "/console/api/object?bucket=docs&key=a.txt", nil, 403, "AccessDenied"},
		{"GET", "/console/api/download?bucket=docs&key=a.txt", nil, 403, "AccessDenied"},
		{"DELETE", "/console/api/object?bucket=docs&key=a.txt", nil, 403, "AccessDenied"},
		{"PUT", "/console/api/object?bucket=docs&key=b.txt", []byte("b"), 403, "AccessDenied"},
		{"GET", "/console/api/posture?bucket=docs", nil, 403, "AccessDenied"},
		{"GET", "/console/api/jobs", nil, 403, "AccessDenied"},
		{"GET", "/console/api/audit", nil, 403, "AccessDenied"},
		{"POST", "/console/api/kms/ListKeys", map[string]any{}, 400, "AccessDeniedException"},
		{"POST", "/console/api/iam", "Action=ListUsers", 403, "AccessDenied"},
	} {
		code, body := none.do(tc.method, tc.path, tc.body)
		if code != tc.want || !strings.Contains(string(body), tc.code) {
			t.Errorf("nobody %s %s: %d %s, want %d %s", tc.method, tc.path, code, body, tc.want, tc.code)
		}
	}
	// The writer may list, read and write, and not delete.
	writer.json("GET", "/console/api/buckets", nil, 200, nil)
	writer.json("PUT", "/console/api/object?bucket=docs&key=from-console.txt", []byte("hello"), 200, nil)
	if code, body := writer.do("GET", "/console/api/download?bucket=docs&key=from-console.txt", nil); code != 200 || string(body) != "hello" {
		t.Errorf("download: %d %q", code, body)
	}
	if code, _ := writer.do("DELETE", "/console/api/object?bucket=docs&key=from-console.txt", nil); code != 403 {
		t.Errorf("writer deletes: %d, want 403", code)
	}
	// The audit trail names the writer for the console's PutObject; root reads it.
	root := ts.browser(t)
	root.signIn(testAK, testSK)
	var ev struct {
		Events []struct {
			EventName    string
			UserIdentity struct{ ARN, AccessKeyID string }
			UserAgent    string
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		root.json("GET", "/console/api/audit?action=PutObject&principal=writer&key=from-console", nil, 200, &ev)
		if len(ev.Events) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(ev.Events) != 1 || !strings.HasSuffix(ev.Events[0].UserIdentity.ARN, ":user/writer") || ev.Events[0].UserIdentity.AccessKeyID != wak ||
		!strings.HasPrefix(ev.Events[0].UserAgent, "kura-console/") {
		t.Errorf("audit events of the console's PutObject: %+v", ev.Events)
	}
}

type group struct {
	Type      string
	KMSKeyARN string `json:"kmsKeyArn"`
	BucketKey bool
	Objects   int64
	Bytes     int64
	Matches   bool `json:"matchesDefault"`
}

type posture struct {
	Objects, Bytes, Mismatched int64
	Default                    struct{ Type string }
	Groups                     []group
	Samples                    []string
}

func TestConsolePosture(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("mixed")}); err != nil {
		t.Fatal(err)
	}
	key1, err := ts.kms().CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	k1 := aws.ToString(key1.KeyMetadata.Arn)
	put := func(name string, size int, in func(*s3.PutObjectInput)) {
		p := &s3.PutObjectInput{Bucket: aws.String("mixed"), Key: aws.String(name), Body: strings.NewReader(strings.Repeat("x", size))}
		if in != nil {
			in(p)
		}
		if _, err := c.PutObject(ctx(t), p); err != nil {
			t.Fatalf("put %s: %v", name, err)
		}
	}
	for i := range 3 {
		put(fmt.Sprintf("s3/%d", i), 10, nil)
	}
	for i := range 2 {
		put(fmt.Sprintf("kms-bk/%d", i), 100, func(p *s3.PutObjectInput) {
			p.ServerSideEncryption, p.SSEKMSKeyId, p.BucketKeyEnabled = types.ServerSideEncryptionAwsKms, aws.String(k1), aws.Bool(true)
		})
	}
	put("kms/0", 1000, func(p *s3.PutObjectInput) {
		p.ServerSideEncryption, p.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(k1)
	})
	put("dsse/0", 7, func(p *s3.PutObjectInput) {
		p.ServerSideEncryption, p.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String(k1)
	})
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	var p posture
	b.json("GET", "/console/api/posture?bucket=mixed", nil, 200, &p)
	want := map[string]group{
		"SSE-S3":     {Type: "SSE-S3", Objects: 3, Bytes: 30, Matches: true},
		"SSE-KMS|bk": {Type: "SSE-KMS", KMSKeyARN: k1, BucketKey: true, Objects: 2, Bytes: 200},
		"SSE-KMS|":   {Type: "SSE-KMS", KMSKeyARN: k1, Objects: 1, Bytes: 1000},
		"DSSE-KMS|":  {Type: "DSSE-KMS", KMSKeyARN: k1, Objects: 1, Bytes: 7},
	}
	if p.Objects != 7 || p.Bytes != 1237 || p.Mismatched != 4 || p.Default.Type != "SSE-S3" || len(p.Groups) != len(want) || len(p.Samples) != 4 {
		t.Fatalf("posture %+v", p)
	}
	for _, g := range p.Groups {
		name := g.Type
		if g.Type != "SSE-S3" {
			name += "|" + map[bool]string{true: "bk"}[g.BucketKey]
		}
		if w, ok := want[name]; !ok || w != g {
			t.Errorf("group %s: %+v, want %+v", name, g, w)
		}
	}
	// With SSE-KMS under k1 and a bucket key as the default, the two
	// bucket-key objects match and the rest do not.
	if _, err := c.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: aws.String("mixed"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(k1)},
			BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
		t.Fatal(err)
	}
	b.json("GET", "/console/api/posture?bucket=mixed", nil, 200, &p)
	if p.Mismatched != 5 || p.Default.Type != "SSE-KMS" {
		t.Errorf("posture under a KMS default: %+v", p)
	}
	// The same default named by an alias or a bare key id.
	if _, err := ts.kms().CreateAlias(ctx(t), &kms.CreateAliasInput{AliasName: aws.String("alias/mixed"), TargetKeyId: key1.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"alias/mixed", aws.ToString(key1.KeyMetadata.KeyId)} {
		if _, err := c.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: aws.String("mixed"),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(id)},
				BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
			t.Fatal(err)
		}
		var q posture
		b.json("GET", "/console/api/posture?bucket=mixed", nil, 200, &q)
		if q.Mismatched != 5 {
			t.Errorf("posture under a default of %s: %+v", id, q)
		}
	}
	for _, g := range p.Groups {
		if g.Matches != (g.Type == "SSE-KMS" && g.BucketKey) {
			t.Errorf("group %+v: matches %v", g, g.Matches)
		}
	}
}

// TestConsoleSignInAuditAndThrottle: sign-ins are ConsoleLogin events
// (a failure with an unknown key names nobody), and an address that fails
// too often is turned away for a while.
func TestConsoleSignInAuditAndThrottle(t *testing.T) {
	t.Parallel()
	ts := start(t)
	ak, sk := ts.user(t, "bob", "")
	b := ts.browser(t)
	b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": ak, "secretAccessKey": "wrong"})
	b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": sk, "secretAccessKey": "pasted the secret as the key"})
	b.signIn(testAK, testSK)
	var ev struct {
		Events []struct {
			EventName        string
			EventSource      string
			ErrorMessage     string
			UserIdentity     struct{ ARN, UserName string }
			ResponseElements map[string]string
		}
	}
	b.json("GET", "/console/api/audit?action=ConsoleLogin", nil, 200, &ev)
	// The failure with an unknown key belongs to no account: the console
	// shows the account's own events, so two remain (newest first).
	if len(ev.Events) != 2 || ev.Events[0].ResponseElements["ConsoleLogin"] != "Success" || !strings.HasSuffix(ev.Events[0].UserIdentity.ARN, ":root") ||
		ev.Events[1].ResponseElements["ConsoleLogin"] != "Failure" || !strings.HasSuffix(ev.Events[1].UserIdentity.ARN, ":user/bob") ||
		ev.Events[1].EventSource != "signin.amazonaws.com" {
		t.Fatalf("ConsoleLogin events %+v", ev.Events)
	}
	trail, err := os.ReadFile(filepath.Join(ts.DataDir(), "audit", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(trail), sk) || strings.Contains(string(trail), "pasted the secret") {
		t.Fatal("a secret reached the audit trail")
	}
	for i := 0; i < 10; i++ {
		b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": ak, "secretAccessKey": "wrong"})
	}
	if code, body := b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": ak, "secretAccessKey": sk}); code != 429 {
		t.Errorf("after 12 failures: %d %s, want 429", code, body)
	}
}

// TestConsoleIAMAndKMS: the IAM and KMS pages' calls, as the principal,
// with the services' own validation errors.
func TestConsoleIAMAndKMS(t *testing.T) {
	t.Parallel()
	ts := start(t)
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	for _, tc := range []struct {
		name, form string
		want       int
		has        string
	}{
		{"malformed policy", "Action=CreatePolicy&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`), 400, "MalformedPolicyDocument"},
		{"unknown action in a statement", "Action=CreatePolicy&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}]}`), 400, "MalformedPolicyDocument"},
		{"good policy", "Action=CreatePolicy&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`), 200, "<Arn>arn:aws:iam::"},
		{"list", "Action=ListPolicies&Scope=Local", 200, "<PolicyName>p</PolicyName>"},
		{"no STS through the console", "Action=GetCallerIdentity", 400, "InvalidAction"},
	} {
		if code, body := b.do("POST", "/console/api/iam", tc.form); code != tc.want || !strings.Contains(string(body), tc.has) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, code, body, tc.want, tc.has)
		}
	}
	var key struct {
		KeyMetadata struct{ KeyID, KeyState string }
	}
	b.json("POST", "/console/api/kms/CreateKey", map[string]string{"Description": "from the console"}, 200, &key)
	b.json("POST", "/console/api/kms/DisableKey", map[string]string{"KeyId": key.KeyMetadata.KeyID}, 200, nil)
	var d struct{ KeyMetadata struct{ KeyState string } }
	b.json("POST", "/console/api/kms/DescribeKey", map[string]string{"KeyId": key.KeyMetadata.KeyID}, 200, &d)
	if d.KeyMetadata.KeyState != "Disabled" {
		t.Errorf("key state %q after DisableKey", d.KeyMetadata.KeyState)
	}
	if code, body := b.do("POST", "/console/api/kms/ScheduleKeyDeletion", map[string]any{"KeyId": key.KeyMetadata.KeyID, "PendingWindowInDays": 3}); code != 400 || !strings.Contains(string(body), "ValidationException") {
		t.Errorf("a 3-day deletion window: %d %s", code, body)
	}
	if code, body := b.do("POST", "/console/api/kms/no-such", map[string]any{}); code != 400 {
		t.Errorf("a malformed operation name: %d %s", code, body)
	}
}

func TestConsoleReplication(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	for _, name := range []string{"src", "dst"} {
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	var out struct {
		Rules []struct {
			ID, Status, Destination string
			Completed, PendingOps   int64
		}
	}
	b.json("GET", "/console/api/replication?bucket=src", nil, 200, &out)
	if len(out.Rules) != 0 {
		t.Fatalf("rules of a bucket without replication: %+v", out.Rules)
	}
	role := ts.role(t, "replicator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	if _, err := c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(role), Rules: []types.ReplicationRule{{
			ID: aws.String("all"), Status: types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::dst")}}}}}); err != nil {
		t.Fatal(err)
	}
	b.json("GET", "/console/api/replication?bucket=src", nil, 200, &out)
	if len(out.Rules) != 1 || out.Rules[0].ID != "all" || out.Rules[0].Status != "Enabled" || out.Rules[0].Destination != "arn:aws:s3:::dst" {
		t.Fatalf("rules %+v", out.Rules)
	}
	nak, nsk := ts.user(t, "nobody", "")
	none := ts.browser(t)
	none.signIn(nak, nsk)
	if code, body := none.do("GET", "/console/api/replication?bucket=src", nil); code != 403 {
		t.Errorf("nobody reads the replication rules: %d %s", code, body)
	}
}

// TestConsoleSTSSession: STS session credentials sign in with their
// token, and the session acts as the assumed role.
func TestConsoleSTSSession(t *testing.T) {
	t.Parallel()
	ts := start(t)
	ak, sk := ts.user(t, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	acct := ts.Root.AccountID
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := ts.iam().CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.iam().PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	st := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	out, err := st.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/reader"), RoleSessionName: aws.String("console")})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	b := ts.browser(t)
	if code, body := b.do("POST", "/console/api/signin", map[string]string{"accessKeyId": aws.ToString(cr.AccessKeyId),
		"secretAccessKey": aws.ToString(cr.SecretAccessKey), "sessionToken": "wrong"}); code != 401 {
		t.Errorf("a session key with the wrong token: %d %s", code, body)
	}
	var me struct{ CSRF, ARN, Type string }
	b.json("POST", "/console/api/signin", map[string]string{"accessKeyId": aws.ToString(cr.AccessKeyId),
		"secretAccessKey": aws.ToString(cr.SecretAccessKey), "sessionToken": aws.ToString(cr.SessionToken)}, 200, &me)
	b.csrf = me.CSRF
	if me.Type != "AssumedRole" || !strings.HasSuffix(me.ARN, ":assumed-role/reader/console") {
		t.Errorf("signed in as %+v", me)
	}
	b.json("GET", "/console/api/buckets", nil, 200, nil)
	if code, _ := b.do("GET", "/console/api/jobs", nil); code != 403 {
		t.Errorf("the role lists jobs: %d, want 403", code)
	}
}

// TestConsoleTagsAndRestore: the object page's writes, as the principal.
func TestConsoleTagsAndRestore(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("arch")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("arch"), Key: aws.String("old.tar"),
		Body: strings.NewReader("tape"), StorageClass: types.StorageClassGlacier}); err != nil {
		t.Fatal(err)
	}
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	b.json("PUT", "/console/api/tags?bucket=arch&key=old.tar", map[string]any{"tags": []map[string]string{{"Key": "year", "Value": "1999"}}}, 200, nil)
	if code, body := b.do("PUT", "/console/api/tags?bucket=arch&key=old.tar", map[string]any{"tags": []map[string]string{{"Key": "", "Value": "x"}}}); code != 400 {
		t.Errorf("an empty tag key: %d %s", code, body)
	}
	var d struct {
		Tags    []struct{ Key, Value string }
		Restore *struct{ Ongoing bool }
	}
	b.json("GET", "/console/api/object?bucket=arch&key=old.tar", nil, 200, &d)
	if len(d.Tags) != 1 || d.Tags[0].Key != "year" || d.Tags[0].Value != "1999" || d.Restore != nil {
		t.Fatalf("object %+v", d)
	}
	var r struct{ Started bool }
	b.json("POST", "/console/api/restore?bucket=arch&key=old.tar", map[string]any{"days": 2, "tier": "Bulk"}, 200, &r)
	b.json("GET", "/console/api/object?bucket=arch&key=old.tar", nil, 200, &d)
	if !r.Started || d.Restore == nil {
		t.Errorf("restore: %+v, object restore %+v", r, d.Restore)
	}
	if code, body := b.do("POST", "/console/api/restore?bucket=arch&key=old.tar", map[string]any{"days": 0}); code != 400 || !strings.Contains(string(body), `"code":"InvalidArgument","message":"Days must be`) {
		t.Errorf("a restore of 0 days: %d %s", code, body)
	}
}
