package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/server"
)

// stepJobs is a job engine in memory whose Active jobs advance by 40
// tasks (one failed) each time they are described, until 100 tasks are
// done: enough to drive `kura batch` through a job's life.
type stepJobs struct {
	mu      sync.Mutex
	jobs    map[string]*kura.Job
	order   []string
	account string
}

// Undoes: the fake takes UndoOf (it only keeps it).
func (m *stepJobs) Undoes() bool { return true }

func (m *stepJobs) get(id string) (*kura.Job, error) {
	j := m.jobs[id]
	if j == nil {
		return nil, &s3err.Error{Code: "NotFoundException", Status: 404, Message: "The specified job does not exist."}
	}
	return j, nil
}

func (m *stepJobs) CreateJob(_ context.Context, c kura.Call, account string, spec kura.JobSpec, tags []kura.Tag) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.account = account
	id := fmt.Sprintf("job-%04d", len(m.jobs)+1)
	st := kura.JobActive
	if spec.ConfirmationRequired {
		st = kura.JobSuspended
	}
	m.jobs[id] = &kura.Job{ID: id, JobSpec: spec, Status: st, Tags: tags, CreationTime: time.Now(),
		Progress: kura.JobProgress{TotalTasks: 100, TotalKnown: true}}
	m.order = append(m.order, id)
	return id, nil
}

func (m *stepJobs) DescribeJob(_ context.Context, _ kura.Call, _, id string) (*kura.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if j.Status == kura.JobActive {
		p := &j.Progress
		p.Succeeded, p.Failed, p.ActiveSeconds = min(p.Succeeded+39, 99), min(p.Failed+1, 1), p.ActiveSeconds+1
		if p.Succeeded+p.Failed >= p.TotalTasks {
			j.Status, j.TerminationDate = kura.JobComplete, time.Now()
		}
	}
	c := *j
	return &c, nil
}

func (m *stepJobs) ListJobs(_ context.Context, _ kura.Call, _ string, statuses []kura.JobStatus, _ string, _ int) ([]*kura.Job, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*kura.Job
	for _, id := range m.order {
		j := m.jobs[id]
		if len(statuses) == 0 || statuses[0] == j.Status {
			out = append(out, j)
		}
	}
	return out, "", nil
}

func (m *stepJobs) UpdateJobPriority(context.Context, kura.Call, string, string, int) (*kura.Job, error) {
	return nil, s3err.NotImplemented
}

func (m *stepJobs) UpdateJobStatus(_ context.Context, _ kura.Call, _, id string, to kura.JobStatus, reason string) (*kura.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.get(id)
	if err != nil {
		return nil, err
	}
	switch to {
	case kura.JobReady:
		j.Status = kura.JobActive
	case kura.JobCancelled:
		j.Status, j.TerminationDate = kura.JobCancelled, time.Now()
	}
	j.StatusUpdateReason = reason
	return j, nil
}

func (m *stepJobs) GetJobTagging(context.Context, kura.Call, string, string) ([]kura.Tag, error) {
	return nil, nil
}
func (m *stepJobs) PutJobTagging(context.Context, kura.Call, string, string, []kura.Tag) error {
	return nil
}
func (m *stepJobs) DeleteJobTagging(context.Context, kura.Call, string, string) error { return nil }

func TestBatchCommands(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00002", "kura-cli-test-secret-00000000000000000001"
	jobs := &stepJobs{jobs: map[string]*kura.Job{}}
	srv := startCLIServer(t, ak, sk, func(c *server.Config) { c.Jobs = jobs })
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	batchPoll = 10 * time.Millisecond
	acct := srv.Root.AccountID
	role := "arn:aws:iam::" + acct + ":role/BatchOperationsRole"
	key := "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	if _, err := sc.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("manifests")}); err != nil {
		t.Fatal(err)
	}
	put, err := sc.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("manifests"), Key: aws.String("list.csv"),
		Body: strings.NewReader("photos,a.jpg\nphotos,b%20c.jpg\n")})
	if err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, string, error) {
		t.Helper()
		cmd := newBatchCmd()
		var out, errOut bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(append(args, "--endpoint", srv.URL()))
		err := cmd.ExecuteContext(context.Background())
		return out.String(), errOut.String(), err
	}

	// A generated manifest, dry run, confirmed at once, watched to the end.
	out, progress, err := run("create", "--operation", "update-encryption", "--kms-key-arn", key, "--bucket-key",
		"--generate-from", "patients", "--filter-encryption", "SSES3", "--filter-prefix", "scans/", "--manifest-output", "s3://manifests/gen",
		"--report", "s3://reports/batch", "--role-arn", role, "--confirm", "--dry-run", "--wait", "--description", "rekey")
	if err != nil {
		t.Fatalf("create --wait: %v (%s)", err, progress)
	}
	j := jobs.jobs["job-0001"]
	g := j.ManifestGenerator
	if !j.DryRun || j.ConfirmationRequired || j.Operation.UpdateEncryption.KMSKeyARN != key || !j.Operation.UpdateEncryption.BucketKeyEnabled ||
		g == nil || g.SourceBucket != "arn:aws:s3:::patients" || g.Filter.MatchAnyObjectEncryption[0].Type != kura.SSES3 ||
		g.Filter.MatchAnyPrefix[0] != "scans/" || !g.EnableOutput || g.Output.Prefix != "gen" ||
		j.Report.Bucket != "arn:aws:s3:::reports" || j.Report.Prefix != "batch" || j.Report.Scope != "AllTasks" || jobs.account != acct {
		t.Errorf("job = %+v", j)
	}
	if !strings.Contains(out, "Status     Complete") || !strings.Contains(out, "99/1/100") {
		t.Errorf("create --wait printed:\n%s", out)
	}
	if !strings.Contains(progress, "Complete") || !strings.Contains(progress, "100%  100/100 tasks  1 failed") {
		t.Errorf("progress:\n%s", progress)
	}

	// A CSV manifest: its ETag comes from HeadObject. Suspended until
	// confirmed.
	out, _, err = run("create", "--operation", "put-tagging", "--tag", "team=records", "--manifest-csv", "s3://manifests/list.csv",
		"--role-arn", role, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ JobId string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.JobId != "job-0002" {
		t.Fatalf("create --json printed %q (%v)", out, err)
	}
	j = jobs.jobs["job-0002"]
	if m := j.Manifest; m == nil || m.Location.ETag != strings.Trim(aws.ToString(put.ETag), `"`) || m.Location.ObjectARN != "arn:aws:s3:::manifests/list.csv" ||
		strings.Join(m.Fields, ",") != "Bucket,Key" || !j.ConfirmationRequired || j.Operation.Tagging[0] != (kura.Tag{Key: "team", Value: "records"}) {
		t.Errorf("job = %+v", j)
	}

	out, _, err = run("list", "--status", "Suspended")
	if err != nil || !strings.Contains(out, "job-0002") || strings.Contains(out, "job-0001") || !strings.Contains(out, "S3PutObjectTagging") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = run("describe", "job-0002", "--json")
	var d types.JobDescriptor
	if err != nil || json.Unmarshal([]byte(out), &d) != nil || d.Status != types.JobStatusSuspended || d.Priority != 10 {
		t.Errorf("describe --json: %v\n%s", err, out)
	}
	if out, _, err = run("confirm", "job-0002", "--reason", "checked"); err != nil || out != "job-0002 Active\n" {
		t.Errorf("confirm: %q %v", out, err)
	}
	if out, _, err = run("cancel", "job-0002"); err != nil || out != "job-0002 Cancelled\n" {
		t.Errorf("cancel: %q %v", out, err)
	}

	// undo: of an encryption job that ended, with a report.
	if _, _, err = run("undo", "job-0002"); err == nil || !strings.Contains(err.Error(), "only S3UpdateObjectEncryption jobs can be undone") {
		t.Errorf("undo of a tagging job: %v", err)
	}
	out, _, err = run("undo", "job-0001", "--confirm")
	if err != nil || out != "job-0003\n" {
		t.Fatalf("undo: %q %v", out, err)
	}
	u := jobs.jobs["job-0003"]
	if u.UndoOf != "job-0001" || u.RoleARN != role || u.Operation.UpdateEncryption == nil || u.ManifestGenerator == nil || u.ConfirmationRequired ||
		!strings.HasPrefix(u.Description, "undo of job-0001") {
		t.Errorf("undo job = %+v", u)
	}

	// Batch Replication of the FAILED objects the rules select, and a
	// COMPOSITE checksum job.
	out, _, err = run("create", "--operation", "replicate", "--generate-from", "patients", "--filter-replication-status", "failed",
		"--filter-eligible-for-replication", "--role-arn", role, "--confirm")
	if err != nil || out != "job-0004\n" {
		t.Fatalf("create replicate: %q %v", out, err)
	}
	if r := jobs.jobs["job-0004"]; r.Operation.Name != kura.OpS3ReplicateObject || r.ManifestGenerator == nil ||
		strings.Join(r.ManifestGenerator.Filter.ObjectReplicationStatuses, ",") != "FAILED" ||
		r.ManifestGenerator.Filter.EligibleForReplication == nil || !*r.ManifestGenerator.Filter.EligibleForReplication {
		t.Errorf("replicate job = %+v", r)
	}
	if _, _, err = run("create", "--operation", "compute-checksum", "--checksum-algorithm", "SHA256", "--checksum-type", "composite",
		"--generate-from", "patients", "--role-arn", role, "--confirm"); err != nil {
		t.Fatal(err)
	}
	if c := jobs.jobs["job-0005"]; c.Operation.Checksum == nil || c.Operation.Checksum.Type != "COMPOSITE" || c.Operation.Checksum.Algorithm != "SHA256" {
		t.Errorf("checksum job = %+v", c)
	}

	// Errors the server answers reach the user.
	if _, _, err = run("describe", "job-9999"); err == nil || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("describe of an unknown job: %v", err)
	}
	if _, _, err = run("create", "--operation", "update-encryption", "--role-arn", role, "--generate-from", "b"); err == nil ||
		!strings.Contains(err.Error(), "--kms-key-arn") {
		t.Errorf("create without a key: %v", err)
	}
}

func TestProgressLine(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first := jobSample{at: t0, status: types.JobStatusActive, done: 1000, total: 10000}
	cases := []struct {
		now  jobSample
		want string
	}{
		{jobSample{at: t0.Add(10 * time.Second), status: types.JobStatusActive, done: 5000, failed: 0, total: 10000},
			"Active     [##########----------]  50%  5000/10000 tasks  0 failed  400/s  ETA 13s"},
		{jobSample{at: t0, status: types.JobStatusPreparing, total: -1},
			"Preparing  [????????????????????] 0 tasks (reading the manifest)  0 failed"},
		{jobSample{at: t0, status: types.JobStatusSuspended, total: 10},
			"Suspended  [--------------------]   0%  0/10 tasks  0 failed  (waiting for 'kura batch confirm')"},
		{jobSample{at: t0.Add(time.Second), status: types.JobStatusComplete, done: 9990, failed: 10, total: 10000, activeSecs: 9},
			"Complete   [####################] 100%  10000/10000 tasks  10 failed  1111/s"},
		{jobSample{at: t0, status: types.JobStatusActive, done: 0, total: 0},
			"Active     [####################] 100%  0/0 tasks  0 failed"},
	}
	for _, tc := range cases {
		f := first
		if tc.now.status != types.JobStatusActive {
			f = tc.now
		}
		if got := progressLine(f, tc.now, 20); got != tc.want {
			t.Errorf("progressLine(%+v)\n got %q\nwant %q", tc.now, got, tc.want)
		}
	}
}
