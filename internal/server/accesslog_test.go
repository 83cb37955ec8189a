package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/accesslog"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/lifecycle"
	"github.com/kurastore/kura/internal/server"
)

// Server access logs through the wire: logging enabled with
// aws-sdk-go-v2, requests made, the batch delivered (Flush, what the
// batch window's end does), the log objects read back through S3 and
// their lines split into S3's fields.

// logDeliveryPolicy is the target bucket policy AWS documents for log
// delivery ("Permissions for log delivery").
func logDeliveryPolicy(target, source, account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"S3ServerAccessLogsPolicy","Effect":"Allow",
 "Principal":{"Service":"logging.s3.amazonaws.com"},"Action":["s3:PutObject"],"Resource":"arn:aws:s3:::` + target + `/*",
 "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::` + source + `"},"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`
}

func enableLogging(t *testing.T, c *s3.Client, source, target, prefix string, format *types.TargetObjectKeyFormat) {
	t.Helper()
	if _, err := c.PutBucketLogging(ctx(t), &s3.PutBucketLoggingInput{Bucket: aws.String(source),
		BucketLoggingStatus: &types.BucketLoggingStatus{LoggingEnabled: &types.LoggingEnabled{
			TargetBucket: aws.String(target), TargetPrefix: aws.String(prefix), TargetObjectKeyFormat: format}}}); err != nil {
		t.Fatalf("PutBucketLogging: %v", err)
	}
	waitLoggingConfig(t)
}

// waitLoggingConfig waits, in cluster mode, until every node follows a
// change of a bucket's logging configuration: each does within
// accesslog.ConfigTTL (docs/scale-out.md, "Caches"), and the other nodes
// may have read it before the change.
func waitLoggingConfig(t *testing.T) {
	if clusterMode(t) {
		time.Sleep(accesslog.ConfigTTL)
	}
}

// logLines are the records of every log object under prefix, split.
func logLines(t *testing.T, c *s3.Client, bucket, prefix string) (keys []string, recs [][]string) {
	t.Helper()
	out, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
		for _, line := range strings.Split(strings.TrimSpace(getBody(t, c, bucket, aws.ToString(o.Key))), "\n") {
			f, err := accesslog.Split(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if len(f) != accesslog.Fields {
				t.Fatalf("%d fields, want %d: %s", len(f), accesslog.Fields, line)
			}
			recs = append(recs, f)
		}
	}
	return keys, recs
}

// The fields, by position (docs/formats.md, "Server access logs").
const (
	fOwner = iota
	fBucket
	fTime
	fIP
	fRequester
	fRequestID
	fOperation
	fKey
	fURI
	fStatus
	fError
	fBytesSent
	fObjectSize
	fTotal
	fTurnAround
	fReferer
	fUserAgent
	fVersion
	fHostID
	fSigV
	fCipher
	fAuthType
	fHost
	fTLS
	fAccessPoint
	fACLRequired
	fRegion
)

func TestAccessLogsDelivered(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	acct := ts.Root.AccountID
	mustBucket(t, c, "site")
	mustBucket(t, c, "site-logs")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("site-logs"),
		Policy: aws.String(logDeliveryPolicy("site-logs", "site", acct))}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "site", "site-logs", "logs/", nil)
	got, err := c.GetBucketLogging(ctx(t), &s3.GetBucketLoggingInput{Bucket: aws.String("site")})
	if err != nil {
		t.Fatal(err)
	}
	if le := got.LoggingEnabled; le == nil || aws.ToString(le.TargetBucket) != "site-logs" || aws.ToString(le.TargetPrefix) != "logs/" ||
		le.TargetObjectKeyFormat == nil || le.TargetObjectKeyFormat.SimplePrefix == nil {
		t.Fatalf("GetBucketLogging = %+v", got.LoggingEnabled)
	}

	// The requests to log: a write, a read, a miss, a re-key.
	k := ts.kmsClient()
	key, err := k.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("logs test")})
	if err != nil {
		t.Fatal(err)
	}
	body := "<h1>hello</h1>"
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("pages/index page.html"),
		Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if got := getBody(t, c, "site", "pages/index page.html"); got != body {
		t.Fatalf("read %q", got)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("missing")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	mustUOE(t, c, "site", "pages/index page.html", "", aws.ToString(key.KeyMetadata.Arn), false)

	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	keys, recs := logLines(t, c, "site-logs", "logs/")
	// One log object per node that served a request (one, or in cluster
	// mode up to one per node: each node delivers its own records).
	simple := regexp.MustCompile(`^logs/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$`)
	if len(keys) < 1 || len(keys) > len(ts.nodes) || slices.ContainsFunc(keys, func(k string) bool { return !simple.MatchString(k) }) {
		t.Fatalf("log objects %q, want one per node (%d) in the simple layout", keys, len(ts.nodes))
	}
	byOp := map[string][]string{}
	for _, r := range recs {
		if r[fOperation] == "REST.GET.OBJECT" && r[fKey] == "missing" {
			byOp["miss"] = r
			continue
		}
		byOp[r[fOperation]] = r
	}
	// The PutBucketLogging that turned logging on is logged too: the
	// configuration is read when the request has finished.
	for _, op := range []string{"REST.PUT.LOGGING_STATUS", "REST.GET.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.GET.OBJECT", "miss", "REST.PUT.OBJECT_ENCRYPTION"} {
		if byOp[op] == nil {
			t.Fatalf("no %s record in %q", op, recs)
		}
	}
	for _, r := range recs {
		if r[fBucket] != "site" || r[fIP] != "127.0.0.1" || r[fRequestID] == "-" || r[fHostID] == "-" ||
			r[fSigV] != "SigV4" || r[fAuthType] != "AuthHeader" || r[fCipher] != "-" || r[fTLS] != "-" ||
			!strings.HasPrefix(r[fHost], "127.0.0.1:") || r[fRegion] != "us-east-1" || r[fUserAgent] == "-" {
			t.Errorf("record %q", r)
		}
		if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", r[fTime]); err != nil {
			t.Errorf("time %q: %v", r[fTime], err)
		}
		if r[fOwner] == "-" || r[fRequester] != r[fOwner] {
			t.Errorf("owner %q requester %q: the root user's canonical id for both", r[fOwner], r[fRequester])
		}
	}
	put, get, miss, uoe := byOp["REST.PUT.OBJECT"], byOp["REST.GET.OBJECT"], byOp["miss"], byOp["REST.PUT.OBJECT_ENCRYPTION"]
	escaped := "pages/index%20page.html"
	if put[fKey] != escaped || put[fStatus] != "200" || put[fError] != "-" || put[fObjectSize] != fmt.Sprint(len(body)) ||
		!strings.HasPrefix(put[fURI], "PUT /site/pages/index%20page.html") || !strings.HasSuffix(put[fURI], " HTTP/1.1") {
		t.Errorf("PUT record %q", put)
	}
	if get[fKey] != escaped || get[fStatus] != "200" || get[fBytesSent] != fmt.Sprint(len(body)) || get[fObjectSize] != fmt.Sprint(len(body)) {
		t.Errorf("GET record %q", get)
	}
	if miss[fStatus] != "404" || miss[fError] != "NoSuchKey" {
		t.Errorf("GET of a missing key %q", miss)
	}
	if uoe[fKey] != escaped || uoe[fStatus] != "200" || !strings.HasPrefix(uoe[fURI], "PUT /site/pages/index%20page.html?encryption") {
		t.Errorf("UpdateObjectEncryption record %q", uoe)
	}

	// Flushing again with nothing spooled delivers nothing new.
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if keys2, _ := logLines(t, c, "site-logs", "logs/"); len(keys2) != len(keys) {
		t.Errorf("after an empty batch: %q", keys2)
	}

	// Turned off: nothing more is logged.
	if _, err := c.PutBucketLogging(ctx(t), &s3.PutBucketLoggingInput{Bucket: aws.String("site"),
		BucketLoggingStatus: &types.BucketLoggingStatus{}}); err != nil {
		t.Fatal(err)
	}
	waitLoggingConfig(t)
	if got, err := c.GetBucketLogging(ctx(t), &s3.GetBucketLoggingInput{Bucket: aws.String("site")}); err != nil || got.LoggingEnabled != nil {
		t.Fatalf("after turning off: %+v %v", got, err)
	}
	getBody(t, c, "site", "pages/index page.html")
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if keys3, _ := logLines(t, c, "site-logs", "logs/"); len(keys3) != len(keys) {
		t.Errorf("after turning off: %q", keys3)
	}
}

func TestAccessLogsPutBucketLoggingErrors(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "src")
	mustBucket(t, c, "dst")
	cases := []struct {
		name string
		le   *types.LoggingEnabled
		code string
	}{
		{"missing target", &types.LoggingEnabled{TargetBucket: aws.String("nope"), TargetPrefix: aws.String("")}, "InvalidTargetBucketForLogging"},
		{"grants on an owner-enforced target", &types.LoggingEnabled{TargetBucket: aws.String("dst"), TargetPrefix: aws.String("l/"),
			TargetGrants: []types.TargetGrant{{Permission: types.BucketLogsPermissionRead,
				Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AuthenticatedUsers")}}}},
			"InvalidTargetBucketForLogging"},
		{"bad date source", &types.LoggingEnabled{TargetBucket: aws.String("dst"), TargetPrefix: aws.String("l/"),
			TargetObjectKeyFormat: &types.TargetObjectKeyFormat{PartitionedPrefix: &types.PartitionedPrefix{PartitionDateSource: "Yesterday"}}},
			"MalformedXML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketLogging(ctx(t), &s3.PutBucketLoggingInput{Bucket: aws.String("src"),
				BucketLoggingStatus: &types.BucketLoggingStatus{LoggingEnabled: tc.le}})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	// Another account's user may not configure it.
	if _, err := c.GetBucketLogging(ctx(t), &s3.GetBucketLoggingInput{Bucket: aws.String("nope")}); err == nil {
		t.Error("GetBucketLogging of a missing bucket succeeded")
	}
}

// A target that does not let the logging service write gets nothing; the
// records are dropped and counted. Partitioned keys follow S3's layout.
func TestAccessLogsPermissionAndPartitionedLayout(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	acct := ts.Root.AccountID
	mustBucket(t, c, "app")
	mustBucket(t, c, "app-logs")
	enableLogging(t, c, "app", "app-logs", "p/", &types.TargetObjectKeyFormat{PartitionedPrefix: &types.PartitionedPrefix{PartitionDateSource: types.PartitionDateSourceEventTime}})
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if keys, _ := logLines(t, c, "app-logs", ""); len(keys) != 0 || ts.AccessLog.Stats().Dropped == 0 {
		t.Fatalf("delivered without permission: %q, stats %+v", keys, ts.AccessLog.Stats())
	}
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("app-logs"),
		Policy: aws.String(logDeliveryPolicy("app-logs", "app", acct))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	keys, recs := logLines(t, c, "app-logs", "")
	day := time.Now().UTC().Format("2006/01/02/2006-01-02")
	want := regexp.MustCompile(`^p/` + acct + `/us-east-1/app/` + day + `-00-00-00-[0-9A-F]{16}$`)
	if len(keys) != 1 || !want.MatchString(keys[0]) || len(recs) != 1 || recs[0][fOperation] != "REST.HEAD.BUCKET" {
		t.Fatalf("keys %q records %q, want one partitioned object like %s", keys, recs, want)
	}
	// A log object is SSE-S3 encrypted and owned by the target's owner.
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("app-logs"), Key: aws.String(keys[0])})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("log object: %v %v", h, err)
	}
}

// Records spooled by a process that stops before delivering them are
// delivered by the next one, at its start.
func TestAccessLogsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.AccessLogInterval = time.Hour })
	c := ts.client()
	mustBucket(t, c, "box")
	mustBucket(t, c, "box-logs")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("box-logs"),
		Policy: aws.String(logDeliveryPolicy("box-logs", "box", ts.Root.AccountID))}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "box", "box-logs", "", nil)
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	ts.stop(t)

	ts2 := startWith(t, dir, func(c *server.Config) { c.AccessLogInterval = time.Hour })
	c2 := ts2.client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, recs := logLines(t, c2, "box-logs", "")
		if len(recs) == 2 && recs[1][fOperation] == "REST.PUT.OBJECT" && recs[1][fKey] == "k" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("records after restart: %q", recs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A Batch Operations task is logged with the job's role as requester.
func TestAccessLogsBatchTask(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	c := ts.client()
	acct := ts.Root.AccountID
	rootCall := kura.Call{Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root", PrincipalID: acct}}
	mustBucket(t, c, "docs")
	mustBucket(t, c, "docs-logs")
	mustBucket(t, c, "manifests")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("docs-logs"),
		Policy: aws.String(logDeliveryPolicy("docs-logs", "docs", acct))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "docs", "docs-logs", "", nil)
	key, err := ts.kmsClient().CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("manifests"), Key: aws.String("m.csv"), Body: strings.NewReader("docs,a.txt\n")})
	if err != nil {
		t.Fatal(err)
	}
	role := batchRole(t, ts, "rekey", "batchoperations.s3.amazonaws.com", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption"],"Resource":"*"},
 {"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","kms:ReEncrypt*"],"Resource":"*"}]}`)
	id, err := ts.Batch.CreateJob(ctx(t), rootCall, acct, kura.JobSpec{Priority: 1, RoleARN: role, ClientRequestToken: "t",
		Manifest: &kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key"},
			Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::manifests/m.csv", ETag: aws.ToString(put.ETag)}},
		Operation: kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
			UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: aws.ToString(key.KeyMetadata.Arn)}},
		Report: kura.JobReport{Enabled: false}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := ts.Batch.DescribeJob(ctx(t), rootCall, acct, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			if j.Status != kura.JobComplete || j.Progress.Succeeded != 1 {
				t.Fatalf("job %s %+v %v", j.Status, j.Progress, j.FailureReasons)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, recs := logLines(t, c, "docs-logs", "")
	var task []string
	for _, r := range recs {
		if r[fOperation] == "REST.PUT.OBJECT_ENCRYPTION" {
			task = r
		}
	}
	if task == nil || task[fKey] != "a.txt" || task[fStatus] != "200" || task[fURI] != "-" ||
		!strings.HasPrefix(task[fRequester], "arn:aws:sts::"+acct+":assumed-role/rekey/") {
		t.Fatalf("batch task record %q in %q", task, recs)
	}
	// The task is counted, and so are the access log's records.
	for sample, want := range map[string]int64{
		`kura_batch_tasks_total{operation="S3UpdateObjectEncryption",result="succeeded"}`: 1,
		`kura_access_log_objects_total`: 1,
	} {
		if got := ts.metric(t, sample); got != want {
			t.Errorf("%s = %d, want %d", sample, got, want)
		}
	}
	if got := ts.metric(t, `kura_access_log_records_total{outcome="delivered"}`); got != 2 {
		t.Errorf("delivered records %d, want 2: the PutBucketLogging and the task", got)
	}
}

// A kura process killed with SIGKILL loses no record of a request that
// had finished: each was written to the spool before its response ended
// (a write(2) of its own), and the next start delivers the spool.
func TestAccessLogsSurviveKill9(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary")
	}
	dir := filepath.Join(t.TempDir(), "data")
	// On the stores startWith opens after the kill.
	p := startKura(t, buildKura(t), dir, 0, append(storeFlags(t, dir), "--access-log-interval", "1h")...)
	u := p.url
	c := p.s3Client()
	mustBucket(t, c, "killed")
	mustBucket(t, c, "killed-logs")
	acct, err := accountOf(t, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("killed-logs"),
		Policy: aws.String(logDeliveryPolicy("killed-logs", "killed", acct))}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "killed", "killed-logs", "", nil)
	const n = 20
	for i := range n {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("killed"), Key: aws.String(fmt.Sprintf("k%02d", i)),
			Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	p.kill()

	ts := startWith(t, dir, func(c *server.Config) { c.AccessLogInterval = time.Hour })
	c2 := ts.client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, recs := logLines(t, c2, "killed-logs", "")
		puts := 0
		for _, r := range recs {
			if r[fOperation] == "REST.PUT.OBJECT" {
				puts++
			}
		}
		if puts == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d PUT records delivered after the kill, want %d", puts, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// accountOf is the root's account id at url.
func accountOf(t *testing.T, url string) (string, error) {
	t.Helper()
	out, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")}).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

// The ACL way of permitting delivery: a target with ACLs enabled whose
// ACL grants the LogDelivery group WRITE (the log-delivery-write canned
// ACL); the configuration's TargetGrants become the log objects' grants.
func TestAccessLogsACLDeliveryAndTargetGrants(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "acl-src")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("acl-logs"),
		ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-logs"),
		ACL: types.BucketCannedACL("log-delivery-write")}); err != nil {
		t.Fatal(err)
	}
	const authenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	if _, err := c.PutBucketLogging(ctx(t), &s3.PutBucketLoggingInput{Bucket: aws.String("acl-src"),
		BucketLoggingStatus: &types.BucketLoggingStatus{LoggingEnabled: &types.LoggingEnabled{
			TargetBucket: aws.String("acl-logs"), TargetPrefix: aws.String("l/"),
			TargetGrants: []types.TargetGrant{{Permission: types.BucketLogsPermissionRead,
				Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(authenticated)}}}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketLogging(ctx(t), &s3.GetBucketLoggingInput{Bucket: aws.String("acl-src")})
	if err != nil || len(got.LoggingEnabled.TargetGrants) != 1 || aws.ToString(got.LoggingEnabled.TargetGrants[0].Grantee.URI) != authenticated {
		t.Fatalf("GetBucketLogging grants: %+v %v", got, err)
	}
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	keys, recs := logLines(t, c, "acl-logs", "l/")
	// One log object, or in cluster mode up to one per node.
	if len(keys) < 1 || len(keys) > len(ts.nodes) || len(recs) == 0 {
		t.Fatalf("log objects %q, records %d", keys, len(recs))
	}
	acl, err := c.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("acl-logs"), Key: aws.String(keys[0])})
	if err != nil {
		t.Fatal(err)
	}
	var perms []string
	for _, g := range acl.Grants {
		who := aws.ToString(g.Grantee.URI)
		if who == "" {
			who = "owner"
		}
		perms = append(perms, who+"="+string(g.Permission))
	}
	if strings.Join(perms, " ") != "owner=FULL_CONTROL "+authenticated+"=READ" {
		t.Errorf("log object grants %v", perms)
	}
}

// A DeleteObjects is logged as S3 logs it: its own
// REST.POST.MULTI_OBJECT_DELETE record and one BATCH.DELETE.OBJECT record
// a key, so the log names every key deleted (CloudTrail's event names
// none); a key that was refused carries its status and error code.
func TestAccessLogsDeleteObjectsKeyByKey(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	acct := ts.Root.AccountID
	mustBucket(t, c, "bulk")
	mustBucket(t, c, "bulk-logs")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("bulk-logs"),
		Policy: aws.String(logDeliveryPolicy("bulk-logs", "bulk", acct))}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "bulk", "bulk-logs", "logs/", nil)
	for _, k := range []string{"a", "dir/b c"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("bulk"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("bulk"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("dir/b c")}, {Key: aws.String("never-was")}, {Key: aws.String("x"), VersionId: aws.String("not-a-version")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 1 {
		t.Fatalf("DeleteObjects: %d deleted, %d errors", len(out.Deleted), len(out.Errors))
	}
	badCode := aws.ToString(out.Errors[0].Code)
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, recs := logLines(t, c, "bulk-logs", "logs/")
	var multi []string
	keys := map[string][]string{}
	for _, r := range recs {
		switch r[fOperation] {
		case "REST.POST.MULTI_OBJECT_DELETE":
			multi = r
		case "BATCH.DELETE.OBJECT":
			keys[r[fKey]] = r
		}
	}
	if multi == nil || multi[fStatus] != "200" || !strings.HasPrefix(multi[fURI], "POST /bulk?delete") {
		t.Fatalf("MULTI_OBJECT_DELETE record %q in %q", multi, recs)
	}
	want := map[string][2]string{"a": {"204", "-"}, "dir/b%20c": {"204", "-"}, "never-was": {"204", "-"}, "x": {"", badCode}}
	if len(keys) != len(want) {
		t.Fatalf("BATCH.DELETE.OBJECT records for %d keys, want %d: %q", len(keys), len(want), recs)
	}
	for k, w := range want {
		r := keys[k]
		if r == nil {
			t.Errorf("no BATCH.DELETE.OBJECT record for %s", k)
			continue
		}
		if (w[0] != "" && r[fStatus] != w[0]) || (w[0] == "" && r[fStatus] == "204") || r[fError] != w[1] {
			t.Errorf("%s: status %s error %s, want %v", k, r[fStatus], r[fError], w)
		}
		if r[fRequestID] != multi[fRequestID] || r[fRequester] != multi[fRequester] || r[fURI] != "-" || r[fBytesSent] != "-" {
			t.Errorf("%s: record %q does not share the request's fields (%q)", k, r, multi)
		}
	}
}

// Lifecycle actions are logged as operations of their own, requested by
// AmazonS3 ("S3 Lifecycle and logging" in the S3 user guide): an
// expiration as S3.EXPIRE.OBJECT, a transition to STANDARD_IA as
// S3.TRANSITION_SIA.OBJECT; their request id is the audit event's id.
func TestAccessLogsLifecycleActions(t *testing.T) {
	ts := startLifecycle(t)
	c := ts.client()
	acct := ts.Root.AccountID
	mustBucket(t, c, "lc-logged")
	mustBucket(t, c, "lc-logged-logs")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("lc-logged-logs"),
		Policy: aws.String(logDeliveryPolicy("lc-logged-logs", "lc-logged", acct))}); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "lc-logged", "lc-logged-logs", "logs/", nil)
	lcPut(t, c, "lc-logged", "tmp/old", []byte("expire me"))
	// Objects under 128 KiB are not transitioned (S3's default minimum).
	lcPut(t, c, "lc-logged", "ia/warm", bytes.Repeat([]byte("w"), 200_000))
	expire := lcRule("tmp", lcPrefix("tmp/"))
	expire.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	toIA := lcRule("ia", lcPrefix("ia/"))
	toIA.Transitions = []types.Transition{{Days: aws.Int32(1), StorageClass: types.TransitionStorageClassStandardIa}}
	putLifecycle(t, c, "lc-logged", expire, toIA)
	lcWaitRun(t, ts, lcDueBy(1).Add(lcDay))
	expired := wantLifecycleEvent(t, ts, lifecycle.EventDelete, "tmp/old", "tmp", "S3.EXPIRE.OBJECT")
	moved := wantLifecycleEvent(t, ts, lifecycle.EventTransition, "ia/warm", "ia", "S3.TRANSITION_SIA.OBJECT")

	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, recs := logLines(t, c, "lc-logged-logs", "logs/")
	want := map[string]struct {
		key, size string
		ev        audit.Event
	}{
		"S3.EXPIRE.OBJECT":         {"tmp/old", "9", expired},
		"S3.TRANSITION_SIA.OBJECT": {"ia/warm", "200000", moved},
	}
	seen := map[string]bool{}
	for _, r := range recs {
		w, ok := want[r[fOperation]]
		if !ok {
			continue
		}
		seen[r[fOperation]] = true
		if r[fKey] != w.key || r[fRequester] != "AmazonS3" || r[fIP] != "-" || r[fURI] != "-" || r[fStatus] != "-" ||
			r[fObjectSize] != w.size || r[fVersion] != "null" || r[fRequestID] != w.ev.EventID || r[fBucket] != "lc-logged" {
			t.Errorf("%s record %q", r[fOperation], r)
		}
	}
	for op := range want {
		if !seen[op] {
			t.Errorf("no %s record in %q", op, recs)
		}
	}
}

// aclRequired is "Yes" on the record of a request that only an ACL
// allowed (an anonymous GET of a public-read object), "-" when a policy
// or ownership did (the owner's own GET).
func TestAccessLogsACLRequired(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("aclreq"),
		ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}); err != nil {
		t.Fatal(err)
	}
	mustBucket(t, c, "aclreq-logs")
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("aclreq-logs"),
		Policy: aws.String(logDeliveryPolicy("aclreq-logs", "aclreq", ts.Root.AccountID))}); err != nil {
		t.Fatal(err)
	}
	if err := putErr(c, t, "aclreq", "pub", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }); err != nil {
		t.Fatal(err)
	}
	enableLogging(t, c, "aclreq", "aclreq-logs", "logs/", nil)
	if status, code, _ := anon(t, ts, "GET", "/aclreq/pub", ""); status != 200 {
		t.Fatalf("anonymous GET of a public-read object: %d %s", status, code)
	}
	if err := getErr(c, t, "aclreq", "pub"); err != nil {
		t.Fatal(err)
	}
	if err := ts.flushAccessLogs(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, recs := logLines(t, c, "aclreq-logs", "logs/")
	got := map[string]string{} // requester → aclRequired of its GET
	for _, r := range recs {
		if r[fOperation] == "REST.GET.OBJECT" {
			got[r[fRequester]] = r[fACLRequired]
		}
	}
	if len(got) != 2 || got["-"] != "Yes" {
		t.Fatalf("GET records' aclRequired by requester: %v, want anonymous (-) Yes and the owner -", got)
	}
	for who, v := range got {
		if who != "-" && v != "-" {
			t.Errorf("owner's GET: aclRequired %q, want -", v)
		}
	}
}
