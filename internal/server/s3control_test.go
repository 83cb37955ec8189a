package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// memJobs is a job engine that keeps jobs in memory: enough to prove the
// S3 Control front is served, authenticated, audited and counted by the
// server. The engine's own behaviour is tested in internal/batch.
type memJobs struct {
	mu    sync.Mutex
	jobs  map[string]*kura.Job
	calls []kura.Call
}

func (m *memJobs) called(c kura.Call) {
	m.mu.Lock()
	m.calls = append(m.calls, c)
	m.mu.Unlock()
}

func (m *memJobs) CreateJob(_ context.Context, c kura.Call, account string, spec kura.JobSpec, tags []kura.Tag) (string, error) {
	m.called(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(m.jobs)+1)
	m.jobs[id] = &kura.Job{ID: id, AccountID: account, JobSpec: spec, Status: kura.JobSuspended, Tags: tags, CreationTime: time.Now()}
	return id, nil
}

func (m *memJobs) DescribeJob(_ context.Context, c kura.Call, account, id string) (*kura.Job, error) {
	m.called(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.jobs[id], nil
}

func (m *memJobs) ListJobs(_ context.Context, c kura.Call, account string, _ []kura.JobStatus, _ string, _ int) ([]*kura.Job, string, error) {
	m.called(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*kura.Job
	for _, j := range m.jobs {
		out = append(out, j)
	}
	return out, "", nil
}

func (m *memJobs) UpdateJobPriority(context.Context, kura.Call, string, string, int) (*kura.Job, error) {
	return nil, errors.New("not used")
}

func (m *memJobs) UpdateJobStatus(_ context.Context, c kura.Call, account, id string, to kura.JobStatus, reason string) (*kura.Job, error) {
	m.called(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	j.Status = to
	return j, nil
}

func (m *memJobs) GetJobTagging(context.Context, kura.Call, string, string) ([]kura.Tag, error) {
	return nil, nil
}
func (m *memJobs) PutJobTagging(context.Context, kura.Call, string, string, []kura.Tag) error {
	return nil
}
func (m *memJobs) DeleteJobTagging(context.Context, kura.Call, string, string) error { return nil }

// controlClient is an SDK s3control client for ts. The SDK sends every
// request to <account-id>.localhost:<port> (its endpoint rules put the
// account id in front of any endpoint's host); the dialer takes that
// name to the server, as a hosts entry would.
func (ts *testServer) controlClient(ak, sk string) *s3control.Client {
	addr := strings.TrimPrefix(ts.URL(), "http://")
	_, port, _ := net.SplitHostPort(addr)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return s3control.New(s3control.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://localhost:" + port),
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: time.Minute},
	})
}

const updateEncryptionOp = `{"S3UpdateObjectEncryption":{"ObjectEncryption":{"SSEKMS":{"KMSKeyArn":"arn:aws:kms:us-east-1:%s:key/patient-data-key","BucketKeyEnabled":true}}}}`

// TestS3ControlServed: the job API on the S3 listener, through SigV4 as
// the SDK signs it, with the caller's account checked, and each call
// audited and counted by its S3 Control name.
func TestS3ControlServed(t *testing.T) {
	t.Parallel()
	jobs := &memJobs{jobs: map[string]*kura.Job{}}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Jobs = jobs; c.MetricsListen = "127.0.0.1:0" })
	acct := ts.Root.AccountID
	c := ts.controlClient(testAK, testSK)
	cx := ctx(t)
	out, err := c.CreateJob(cx, &s3control.CreateJobInput{
		AccountId: aws.String(acct), ClientRequestToken: aws.String("t1"), Priority: aws.Int32(10),
		RoleArn: aws.String("arn:aws:iam::" + acct + ":role/BatchOperationsRole"),
		Operation: &types.JobOperation{S3UpdateObjectEncryption: &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
			SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String("arn:aws:kms:us-east-1:" + acct + ":key/k1")}}}},
		ManifestGenerator: &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
			SourceBucket: aws.String("arn:aws:s3:::patients"),
			Filter: &types.JobManifestGeneratorFilter{MatchAnyObjectEncryption: []types.ObjectEncryptionFilter{
				&types.ObjectEncryptionFilterMemberSSES3{}}}}},
		Report: &types.JobReport{Enabled: false},
	}, func(o *s3control.Options) {
		o.APIOptions = append(o.APIOptions, withHeader("x-kura-dry-run", "true"))
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.JobId)
	j := jobs.jobs[id]
	if j == nil || !j.DryRun || j.Operation.UpdateEncryption == nil || j.ManifestGenerator.Filter.MatchAnyObjectEncryption[0].Type != kura.SSES3 {
		t.Fatalf("job = %+v", j)
	}
	if who := jobs.calls[0]; who.Principal.AccountID != acct || !who.Principal.IsRoot() || who.Source.RequestID == "" || who.Source.AuthType != "AuthHeader" {
		t.Errorf("engine called as %+v", who)
	}
	d, err := c.DescribeJob(cx, &s3control.DescribeJobInput{AccountId: aws.String(acct), JobId: out.JobId})
	if err != nil || d.Job.Status != types.JobStatusSuspended {
		t.Fatalf("DescribeJob = %+v, %v", d, err)
	}
	if _, err := c.UpdateJobStatus(cx, &s3control.UpdateJobStatusInput{AccountId: aws.String(acct), JobId: out.JobId,
		RequestedJobStatus: types.RequestedJobStatusReady}); err != nil {
		t.Fatal(err)
	}

	// Another account's jobs: AccessDenied, before the engine hears of it.
	n := len(jobs.calls)
	_, err = c.ListJobs(cx, &s3control.ListJobsInput{AccountId: aws.String("111122223333")})
	wantControlError(t, err, "AccessDenied", 403)
	// A wrong signature is turned away as for S3, in S3 Control's format.
	_, err = ts.controlClient(testAK, "not-the-secret-key-at-all-0000000000000").ListJobs(cx, &s3control.ListJobsInput{AccountId: aws.String(acct)})
	wantControlError(t, err, "SignatureDoesNotMatch", 403)
	// Signature Version 2 is S3's legacy; S3 Control takes SigV4 only.
	req := v2Request(t, ts, testAK, testSK, "GET", "/v20180820/jobs", "/v20180820/jobs", nil, map[string]string{"x-amz-account-id": acct}, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "<ErrorResponse><Error><Code>InvalidRequest</Code><Message>S3 Control requests must be signed with Signature Version 4.") {
		t.Errorf("SigV2: %d %s", resp.StatusCode, b)
	}
	if len(jobs.calls) != n {
		t.Errorf("the engine was called %d more times", len(jobs.calls)-n)
	}

	// Requests turned away before the engine are recorded here, named by
	// their S3 Control operation; those that reach it are the engine's to
	// record (s3control.Jobs), so the front writes no second event and
	// counts nothing for them.
	ev := findEvent(t, ts, func(ev audit.Event) bool { return ev.EventName == "ListJobs" && ev.ErrorCode == "InvalidRequest" })
	if ev.EventSource != "s3.amazonaws.com" || !ev.ManagementEvent || !ev.ReadOnly || ev.RequestParameters["accountId"] != acct ||
		ev.UserIdentity.AccountID != acct || ev.AdditionalEventData["SignatureVersion"] != "SigV2" {
		t.Errorf("SigV2 ListJobs event = %+v", ev)
	}
	ev = findEvent(t, ts, func(ev audit.Event) bool { return ev.EventName == "ListJobs" && ev.ErrorCode == "AccessDenied" })
	if ev.RequestParameters["accountId"] != "111122223333" || ev.UserIdentity.AccountID != acct {
		t.Errorf("AccessDenied ListJobs event = %+v", ev)
	}
	findEvent(t, ts, func(ev audit.Event) bool {
		return ev.EventName == "ListJobs" && ev.ErrorCode == "SignatureDoesNotMatch"
	})
	err = ts.auditQuery(audit.Filter{}, func(ev audit.Event) error {
		switch ev.EventName {
		case "CreateJob", "DescribeJob", "UpdateJobStatus":
			t.Errorf("the front recorded %s, which the engine records: %+v", ev.EventName, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(ts.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), `operation="CreateJob"`) {
		t.Error("the front counted CreateJob, which the engine counts")
	}
	for sample, want := range map[string]int64{
		`kura_operations_total{code="403",operation="ListJobs",service="s3"}`: 2,
		`kura_operations_total{code="400",operation="ListJobs",service="s3"}`: 1,
	} {
		if got := ts.metric(t, sample); got != want {
			t.Errorf("%s = %d, want %d", sample, got, want)
		}
	}
}

// withHeader adds a header to a request before it is signed (the Kura
// extensions of CreateJob).
func withHeader(k, v string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("kuraHeader", func(ctx context.Context, in middleware.BuildInput,
			next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if r, ok := in.Request.(*smithyhttp.Request); ok {
				r.Header.Set(k, v)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

func wantControlError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("error = %v, want %s (%d)", err, code, status)
	}
}

// TestS3ControlBuiltInEngine: a server serves the job API with its own
// engine (a fresh one lists no jobs); and a bucket named like the API's
// path prefix is still an S3 bucket.
func TestS3ControlBuiltInEngine(t *testing.T) {
	t.Parallel()
	ts := start(t)
	out, err := ts.controlClient(testAK, testSK).ListJobs(ctx(t), &s3control.ListJobsInput{AccountId: aws.String(ts.Root.AccountID)})
	if err != nil || len(out.Jobs) != 0 {
		t.Fatalf("ListJobs on a fresh server = %+v, %v; want no jobs", out, err)
	}

	c := ts.client()
	mustBucket(t, c, "v20180820")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("v20180820"), Key: aws.String("jobs"),
		Body: bytes.NewReader([]byte("not a job"))}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "v20180820", "jobs"); string(got) != "not a job" {
		t.Errorf("v20180820/jobs reads %q", got)
	}
}

// TestS3ControlAWSCLI runs seed 000's use case 1 in its working form with
// the aws CLI. botocore sends it to <account-id>.localhost:<port>; here
// the CLI reaches that name through an HTTP proxy setting that points at
// the server itself (Go serves absolute-form requests), standing in for
// the hosts entry docs/batch-api.md tells a local user to add.
func TestS3ControlAWSCLI(t *testing.T) {
	t.Parallel()
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	jobs := &memJobs{jobs: map[string]*kura.Job{}}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Jobs = jobs })
	acct := ts.Root.AccountID
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL(), "http://"))
	dir := t.TempDir()
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(awsCLI, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_ACCESS_KEY_ID=" + testAK, "AWS_SECRET_ACCESS_KEY=" + testSK,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + dir + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + dir + "/credentials",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "HTTP_PROXY=" + ts.URL(), "http_proxy=" + ts.URL()}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%v: %s", err, stderr.String())
		}
		return out, nil
	}
	endpoint := "http://localhost:" + port
	out, err := run("s3control", "create-job", "--account-id", acct, "--endpoint-url", endpoint, "--region", "us-east-1",
		"--operation", fmt.Sprintf(updateEncryptionOp, acct),
		"--manifest", `{"Spec":{"Format":"S3InventoryReport_CSV_20161130"},"Location":{"ObjectArn":"arn:aws:s3:::inventory-bucket/inventory-manifest.json","ETag":"example-etag"}}`,
		"--report", `{"Bucket":"arn:aws:s3:::report-bucket","Format":"Report_CSV_20180820","Enabled":true,"Prefix":"batch-operations-reports","ReportScope":"AllTasks"}`,
		"--priority", "10", "--role-arn", "arn:aws:iam::"+acct+":role/BatchOperationsRole")
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ JobId string }
	if err := json.Unmarshal(out, &created); err != nil || jobs.jobs[created.JobId] == nil {
		t.Fatalf("create-job printed %s (%v)", out, err)
	}
	j := jobs.jobs[created.JobId]
	if j.Operation.UpdateEncryption.KMSKeyARN != "arn:aws:kms:us-east-1:"+acct+":key/patient-data-key" || !j.Operation.UpdateEncryption.BucketKeyEnabled ||
		j.Manifest.Format != kura.ManifestInventoryCSV || !j.ConfirmationRequired || j.Report.Scope != kura.ReportScopeAllTasks {
		t.Errorf("job = %+v", j)
	}
	out, err = run("s3control", "describe-job", "--account-id", acct, "--endpoint-url", endpoint, "--job-id", created.JobId)
	if err != nil || !strings.Contains(string(out), `"Status": "Suspended"`) {
		t.Errorf("describe-job: %s %v", out, err)
	}

	// Seed 000's formats as written: the server names the valid ones.
	_, err = run("s3control", "create-job", "--account-id", acct, "--endpoint-url", endpoint,
		"--operation", fmt.Sprintf(updateEncryptionOp, acct),
		"--manifest", `{"Spec":{"Format":"S3InventoryReport_CSV_20211130"},"Location":{"ObjectArn":"arn:aws:s3:::inventory-bucket/inventory-manifest.json","ETag":"example-etag"}}`,
		"--report", `{"Bucket":"arn:aws:s3:::report-bucket","Format":"Report_CSV_20211130","Enabled":true}`,
		"--priority", "10", "--role-arn", "arn:aws:iam::"+acct+":role/BatchOperationsRole")
	if err == nil || !strings.Contains(err.Error(), "(InvalidRequest)") || !strings.Contains(err.Error(), "valid values are: S3BatchOperations_CSV_20180820, S3InventoryReport_CSV_20161130") {
		t.Errorf("seed 000's manifest format: %v", err)
	}
}
