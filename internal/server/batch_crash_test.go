package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// TestBatchCrash: a re-seal job over N objects on a `kura server` child
// process is killed with SIGKILL once its ProgressSummary shows some but
// not all tasks done; the server restarted on the same data directory
// resumes the job from its last checkpoint. Then: the job is Complete
// with N succeeded, every object reads back (GET) under the new key with
// its bytes, ETag and Last-Modified unchanged, and the completion report
// has exactly N rows, one per object.
//
// N is KURA_BATCH_CRASH_N (default 5,000); the long form is
//
//	KURA_BATCH_CRASH_N=100000 go test ./internal/server -run 'TestBatchCrash$' -v -timeout 30m
func TestBatchCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary and kills it")
	}
	n := 5000
	if s := os.Getenv("KURA_BATCH_CRASH_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("KURA_BATCH_CRASH_N=%q: want a positive number of objects", s)
		}
	}
	bin := buildKura(t)
	dir := filepath.Join(t.TempDir(), "data")
	p := startKura(t, bin, dir, 1)
	c := p.s3Client()
	creds := credentials.NewStaticCredentialsProvider(testAK, testSK, "")
	kc := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url), Credentials: creds})
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url), Credentials: creds})
	keyARN := createKey(t, kc)
	mustBucket(t, c, "crash-batch")
	mustBucket(t, c, "crash-reports")

	// N objects, SSE-S3, written by 8 clients.
	began := time.Now()
	name := func(i int) string { return fmt.Sprintf("obj/%07d", i) }
	body := func(i int) string { return "body of object " + strconv.Itoa(i) }
	inParallel(t, n, func(i int) error {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("crash-batch"), Key: aws.String(name(i)), Body: strings.NewReader(body(i))})
		return err
	})
	before := listFacts(t, c, "crash-batch")
	if len(before) != n {
		t.Fatalf("listed %d objects, want %d", len(before), n)
	}
	var manifest strings.Builder
	for i := range n {
		fmt.Fprintf(&manifest, "crash-batch,%s\n", name(i))
	}
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("crash-reports"), Key: aws.String("manifest.csv"),
		Body: strings.NewReader(manifest.String())})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("rekey"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("rekey"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption","kms:*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d objects written in %v", n, time.Since(began).Round(time.Millisecond))

	// The job: without a bucket key, so that every object is a KMS call
	// and the job runs long enough to be caught in the middle.
	acct := strings.Split(aws.ToString(role.Role.Arn), ":")[4]
	cc := controlClientAt(p.url)
	created, err := cc.CreateJob(ctx(t), &s3control.CreateJobInput{AccountId: aws.String(acct), ConfirmationRequired: aws.Bool(false),
		ClientRequestToken: aws.String("crash-1"), Priority: aws.Int32(1), RoleArn: role.Role.Arn,
		Operation: &types.JobOperation{S3UpdateObjectEncryption: &types.S3UpdateObjectEncryptionOperation{
			ObjectEncryption: &types.ObjectEncryption{SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(keyARN)}}}},
		Manifest: &types.JobManifest{Spec: &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820,
			Fields: []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey}},
			Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::crash-reports/manifest.csv"), ETag: put.ETag}},
		Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::crash-reports"), Prefix: aws.String("r"),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeAllTasks}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.JobId)
	describe := func(cc *s3control.Client) *types.JobDescriptor {
		d, err := cc.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(acct), JobId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return d.Job
	}
	began = time.Now()
	deadline := began.Add(10 * time.Minute)
	var done int64
	for {
		j := describe(cc)
		done = aws.ToInt64(j.ProgressSummary.NumberOfTasksSucceeded) + aws.ToInt64(j.ProgressSummary.NumberOfTasksFailed)
		if done > 0 && done < int64(n) {
			break
		}
		if j.Status == types.JobStatusComplete || j.Status == types.JobStatusFailed {
			t.Fatalf("the job ended (%s, %d tasks done) before it could be caught in the middle; raise KURA_BATCH_CRASH_N", j.Status, done)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", j.Status)
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.kill()
	t.Logf("killed with %d of %d tasks checkpointed, %v into the job", done, n, time.Since(began).Round(time.Millisecond))

	p = startKura(t, bin, dir, 2)
	c, cc = p.s3Client(), controlClientAt(p.url)
	var j *types.JobDescriptor
	for {
		j = describe(cc)
		if j.Status == types.JobStatusComplete || j.Status == types.JobStatusFailed || j.Status == types.JobStatusCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after the restart", j.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps := j.ProgressSummary
	if j.Status != types.JobStatusComplete || aws.ToInt64(ps.NumberOfTasksSucceeded) != int64(n) || aws.ToInt64(ps.NumberOfTasksFailed) != 0 ||
		aws.ToInt64(ps.TotalNumberOfTasks) != int64(n) {
		t.Fatalf("after the restart: %s, progress %+v, failures %+v", j.Status, ps, j.FailureReasons)
	}
	t.Logf("job complete %v after it began (%d active seconds)", time.Since(began).Round(time.Millisecond), aws.ToInt64(ps.Timers.ElapsedTimeInActiveSeconds))

	after := listFacts(t, c, "crash-batch")
	for k, b := range before {
		if after[k] != b {
			t.Errorf("%s: ETag/Last-Modified %v, was %v", k, after[k], b)
		}
	}
	inParallel(t, n, func(i int) error {
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("crash-batch"), Key: aws.String(name(i))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		got, err := io.ReadAll(out.Body)
		if err != nil {
			return err
		}
		if string(got) != body(i) || out.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != keyARN {
			return fmt.Errorf("%s: %q under %s %s", name(i), got, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
		}
		return nil
	})

	// The report: exactly one row per object.
	var idx struct {
		Results []struct{ TaskExecutionStatus, Key string }
	}
	if err := json.Unmarshal([]byte(getBody(t, c, "crash-reports", "r/job-"+id+"/manifest.json")), &idx); err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]int, n)
	rows := 0
	for _, r := range idx.Results {
		recs, err := csv.NewReader(strings.NewReader(getBody(t, c, "crash-reports", r.Key))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			rows++
			seen[rec[1]]++
			if rec[3] != "succeeded" {
				t.Errorf("report row %q", rec)
			}
		}
	}
	if rows != n || len(seen) != n {
		t.Errorf("the report has %d rows naming %d objects, want %d", rows, len(seen), n)
	}
}

// objFacts is what a re-seal must not change, as a listing shows it.
type objFacts struct {
	ETag         string
	LastModified time.Time
}

func listFacts(t *testing.T, c *s3.Client, bucket string) map[string]objFacts {
	t.Helper()
	out := map[string]objFacts{}
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = objFacts{aws.ToString(o.ETag), aws.ToTime(o.LastModified)}
		}
	}
	return out
}

// inParallel runs f(0..n-1) on 8 goroutines and fails the test with the
// first error.
func inParallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// controlClientAt is an s3control client for the server at url; the SDK
// sends to <account>.localhost:<port>, which the dialer takes to url.
func controlClientAt(url string) *s3control.Client {
	addr := strings.TrimPrefix(url, "http://")
	_, port, _ := net.SplitHostPort(addr)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return s3control.New(s3control.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://localhost:" + port),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: time.Minute}})
}
