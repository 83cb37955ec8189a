package batch

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// TestReencryptJob: a CSV manifest's objects move from SSE-S3 to SSE-KMS
// under a bucket key, their data, ETag and Last-Modified unchanged; a
// missing object fails its task with NoSuchKey; the report lists every
// task with the previous encryption.
func TestReencryptJob(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	before := map[string]*kura.ObjectVersion{}
	var lines []string
	for i := range 25 {
		key := fmt.Sprintf("photos/img %02d.jpg", i)
		before[key] = e.put(data, key, "pixels "+key)
		lines = append(lines, data+","+strings.ReplaceAll(key, " ", "%20"))
	}
	lines = append(lines, data+",photos/missing.jpg")
	id := e.create(s, e.spec("tok-1", e.manifest("manifests/m.csv", lines...)))
	j := e.runUntil(s, id, kura.JobComplete)
	if p := j.Progress; p.TotalTasks != 26 || p.Succeeded != 25 || p.Failed != 1 || !p.TotalKnown {
		t.Fatalf("progress %+v, want 26 tasks, 25 succeeded, 1 failed", p)
	}
	if j.TerminationDate.IsZero() {
		t.Error("TerminationDate not set")
	}
	for key, b := range before {
		v := e.head(data, key)
		if v.Encryption.Type != kura.SSEKMS || v.Encryption.KMSKeyARN != e.keyARN || !v.Encryption.BucketKeyEnabled {
			t.Errorf("%s: encryption %+v, want SSE-KMS under %s with a bucket key", key, v.Encryption, e.keyARN)
		}
		if v.ETag != b.ETag || !v.LastModified.Equal(b.LastModified) {
			t.Errorf("%s: ETag/Last-Modified changed: %s %v, was %s %v", key, v.ETag, v.LastModified, b.ETag, b.LastModified)
		}
		if got := e.read(data, key); got != "pixels "+key {
			t.Errorf("%s reads %q", key, got)
		}
	}
	idx, rows := e.reportRowsOf(id)
	if idx.Format != kura.ReportFormatCSV || idx.ReportSchema != ReportSchema {
		t.Errorf("report index %+v", idx)
	}
	if len(rows["succeeded"]) != 25 || len(rows["failed"]) != 1 {
		t.Fatalf("report rows: %d succeeded, %d failed", len(rows["succeeded"]), len(rows["failed"]))
	}
	for _, r := range rows["succeeded"] {
		if len(r) != 11 || r[0] != data || !strings.Contains(r[1], "%20") || r[3] != "succeeded" || r[4] != "200" || r[7] != "SSE-S3" {
			t.Errorf("succeeded row %q", r)
		}
	}
	if f := rows["failed"][0]; f[1] != "photos/missing.jpg" || f[3] != "failed" || f[4] != "404" || f[5] != "NoSuchKey" {
		t.Errorf("failed row %q", f)
	}
	// Each task left a data event naming the job.
	e.trail.Sync()
	evs := e.events("UpdateObjectEncryption")
	if len(evs) != 26 {
		t.Errorf("%d UpdateObjectEncryption events, want 26", len(evs))
	}
	for _, ev := range evs {
		if ev.AdditionalEventData["jobId"] != id || ev.UserIdentity.ARN != jobPrincipal.ARN {
			t.Errorf("task event %v names job %v as %s", ev.EventID, ev.AdditionalEventData["jobId"], ev.UserIdentity.ARN)
			break
		}
	}
}

// TestResumeAfterCrash: the runner stops in the middle of a chunk (its
// context ends as a kill would end it); a new engine on the same stores
// resumes at the last checkpoint, runs the interrupted chunk again, and
// the job completes with every task counted once and reported once.
func TestResumeAfterCrash(t *testing.T) {
	e := newEnv(t)
	var lines []string
	for i := range 95 {
		key := fmt.Sprintf("k%03d", i)
		e.put(data, key, "v"+key)
		lines = append(lines, data+","+key)
	}
	s1 := e.service(nil)
	id := e.create(s1, e.spec("tok-crash", e.manifest("m.csv", lines...)))
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	s1.testTask = func() {
		if started.Add(1) == 45 { // in the fifth chunk of ten
			cancel()
		}
	}
	s1.Run(ctx)
	j := e.describe(s1, id)
	if j.Status != kura.JobActive || j.Progress.Succeeded != 40 {
		t.Fatalf("after the crash: %s with %d succeeded, want Active with 40 (four checkpointed chunks)", j.Status, j.Progress.Succeeded)
	}
	s2 := e.service(nil)
	j = e.runUntil(s2, id, kura.JobComplete)
	if p := j.Progress; p.Succeeded != 95 || p.Failed != 0 || p.TotalTasks != 95 {
		t.Fatalf("progress %+v, want 95 succeeded", p)
	}
	for i := range 95 {
		key := fmt.Sprintf("k%03d", i)
		if v := e.head(data, key); v.Encryption.Type != kura.SSEKMS || v.Encryption.KMSKeyARN != e.keyARN {
			t.Errorf("%s not re-sealed: %+v", key, v.Encryption)
		}
		if got := e.read(data, key); got != "v"+key {
			t.Errorf("%s reads %q", key, got)
		}
	}
	_, rows := e.reportRowsOf(id)
	seen := map[string]int{}
	for _, r := range rows["succeeded"] {
		seen[r[1]]++
	}
	if len(seen) != 95 {
		t.Errorf("report names %d objects, want 95", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("report lists %s %d times", k, n)
		}
	}
}

// TestStateMachine walks S3's transitions through the API.
func TestStateMachine(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	e.put(data, "a", "x")
	m := e.manifest("m.csv", data+",a")

	spec := e.spec("confirm", m)
	spec.ConfirmationRequired = true
	id := e.create(s, spec)
	if j := e.describe(s, id); j.Status != kura.JobNew {
		t.Fatalf("new job is %s", j.Status)
	}
	j := e.runUntil(s, id, kura.JobSuspended)
	if j.SuspendedDate.IsZero() || j.SuspendedCause == "" || j.Progress.TotalTasks != 1 {
		t.Errorf("suspended job %+v", j)
	}
	if _, err := s.UpdateJobStatus(ctx, rootCall, owner, id, kura.JobComplete, ""); !s3err.Is(err, s3err.InvalidRequest) {
		t.Errorf("requesting Complete: %v", err)
	}
	if j, err := s.UpdateJobStatus(ctx, rootCall, owner, id, kura.JobReady, "go"); err != nil || j.Status != kura.JobReady || j.StatusUpdateReason != "go" {
		t.Fatalf("confirm: %v %+v", err, j)
	}
	if _, err := s.UpdateJobStatus(ctx, rootCall, owner, id, kura.JobReady, ""); !s3err.Is(err, ErrJobStatus) {
		t.Errorf("confirming a Ready job: %v, want JobStatusException", err)
	}
	e.runUntil(s, id, kura.JobComplete)
	if _, err := s.UpdateJobStatus(ctx, rootCall, owner, id, kura.JobCancelled, ""); !s3err.Is(err, ErrJobStatus) {
		t.Errorf("cancelling a Complete job: %v, want JobStatusException", err)
	}

	// Cancel a job waiting for confirmation: Cancelled at once.
	spec = e.spec("cancel", m)
	spec.ConfirmationRequired = true
	id2 := e.create(s, spec)
	e.runUntil(s, id2, kura.JobSuspended)
	if j, err := s.UpdateJobStatus(ctx, rootCall, owner, id2, kura.JobCancelled, "no"); err != nil || j.Status != kura.JobCancelled || j.TerminationDate.IsZero() {
		t.Fatalf("cancel: %v %+v", err, j)
	}

	// Priority.
	if j, err := s.UpdateJobPriority(ctx, rootCall, owner, id2, 99); err != nil || j.Priority != 99 {
		t.Errorf("UpdateJobPriority: %v", err)
	}
	// Unknown job, other account, a caller without permission.
	if _, err := s.DescribeJob(ctx, rootCall, owner, "nope"); !s3err.Is(err, ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := s.DescribeJob(ctx, rootCall, "444455556666", id); !s3err.Is(err, s3err.AccessDenied) {
		t.Errorf("other account: %v", err)
	}
	if _, err := s.DescribeJob(ctx, kura.Call{Principal: alice}, owner, id); err != nil {
		t.Errorf("alice may describe: %v", err)
	}
	if _, err := s.UpdateJobPriority(ctx, kura.Call{Principal: alice}, owner, id, 1); !s3err.Is(err, s3err.AccessDenied) {
		t.Errorf("alice may not change priority: %v", err)
	}
	if _, err := s.CreateJob(ctx, kura.Call{Principal: alice}, owner, e.spec("alice", m), nil); !s3err.Is(err, s3err.AccessDenied) {
		t.Errorf("alice may not create: %v", err)
	}

	// ListJobs: status filter and paging.
	all, next, err := s.ListJobs(ctx, rootCall, owner, nil, "", 1)
	if err != nil || len(all) != 1 || next == "" {
		t.Fatalf("ListJobs page 1: %v %d %q", err, len(all), next)
	}
	rest, next2, err := s.ListJobs(ctx, rootCall, owner, nil, next, 10)
	if err != nil || len(rest) != 1 || next2 != "" || rest[0].ID == all[0].ID {
		t.Fatalf("ListJobs page 2: %v %d %q", err, len(rest), next2)
	}
	cancelled, _, err := s.ListJobs(ctx, rootCall, owner, []kura.JobStatus{kura.JobCancelled}, "", 0)
	if err != nil || len(cancelled) != 1 || cancelled[0].ID != id2 {
		t.Errorf("ListJobs Cancelled: %v %v", err, cancelled)
	}
	if _, _, err := s.ListJobs(ctx, rootCall, owner, []kura.JobStatus{"Done"}, "", 0); !s3err.Is(err, ErrInvalidReq) {
		t.Errorf("bad status filter: %v", err)
	}
	if _, _, err := s.ListJobs(ctx, rootCall, owner, nil, "!!", 0); !s3err.Is(err, ErrNextToken) {
		t.Errorf("bad token: %v", err)
	}

	// Tagging.
	tags := []kura.Tag{{Key: "team", Value: "sec"}}
	if err := s.PutJobTagging(ctx, rootCall, owner, id, tags); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetJobTagging(ctx, rootCall, owner, id); err != nil || len(got) != 1 || got[0] != tags[0] {
		t.Errorf("GetJobTagging: %v %v", err, got)
	}
	if err := s.DeleteJobTagging(ctx, rootCall, owner, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetJobTagging(ctx, rootCall, owner, id); len(got) != 0 {
		t.Errorf("tags after delete: %v", got)
	}
	many := make([]kura.Tag, 51)
	for i := range many {
		many[i] = kura.Tag{Key: fmt.Sprint(i)}
	}
	if err := s.PutJobTagging(ctx, rootCall, owner, id, many); !s3err.Is(err, ErrTooManyTags) {
		t.Errorf("51 tags: %v", err)
	}
}

// TestIdempotency: the same token and request give the same job; the
// same token with another request is IdempotencyException.
func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	m := e.manifest("m.csv", data+",a")
	id1 := e.create(s, e.spec("same", m))
	id2 := e.create(s, e.spec("same", m))
	if id1 != id2 {
		t.Errorf("same token and request: %s and %s", id1, id2)
	}
	other := e.spec("same", m)
	other.Priority = 11
	if _, err := s.CreateJob(context.Background(), rootCall, owner, other, nil); !s3err.Is(err, ErrIdempotency) {
		t.Errorf("same token, other request: %v", err)
	}
}

// TestCreateJobRefusals: specs S3 refuses, each with a message naming
// what is valid.
func TestCreateJobRefusals(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	m := e.manifest("m.csv", data+",a")
	cases := []struct {
		name string
		mod  func(*kura.JobSpec)
		code *s3err.Error
		msg  string
	}{
		{"lambda", func(s *kura.JobSpec) { s.Operation = kura.JobOperation{Name: kura.OpLambdaInvoke} }, s3err.InvalidRequest, "LambdaInvoke"},
		{"replicate without a replicator", func(s *kura.JobSpec) { s.Operation = kura.JobOperation{Name: kura.OpS3ReplicateObject} }, s3err.InvalidRequest, "no replicator"},
		{"copy", func(s *kura.JobSpec) { s.Operation = kura.JobOperation{Name: kura.OpS3PutObjectCopy} }, s3err.InvalidRequest, "S3PutObjectCopy"},
		{"generated format as input", func(s *kura.JobSpec) { s.Manifest.Format = kura.ManifestGeneratedCSV }, s3err.InvalidRequest, kura.ManifestBatchCSV},
		{"report format", func(s *kura.JobSpec) { s.Report.Format = "Report_CSV_20211130" }, s3err.InvalidRequest, kura.ReportFormatCSV},
		{"SSE-S3 target", func(s *kura.JobSpec) { s.Operation.UpdateEncryption.Type = kura.SSES3 }, s3err.InvalidRequest, "SSE-KMS"},
		{"key id not ARN", func(s *kura.JobSpec) { s.Operation.UpdateEncryption.KMSKeyARN = "alias/x" }, s3err.InvalidRequest, "ARN"},
		{"fields", func(s *kura.JobSpec) { s.Manifest.Fields = []string{"Key"} }, s3err.InvalidRequest, "Bucket"},
		{"no token", func(s *kura.JobSpec) { s.ClientRequestToken = "" }, s3err.InvalidRequest, "ClientRequestToken"},
		{"both manifests", func(s *kura.JobSpec) {
			s.ManifestGenerator = &kura.JobManifestGenerator{SourceBucket: "arn:aws:s3:::data"}
		}, s3err.InvalidRequest, "exactly one"},
		{"role not trusting", func(s *kura.JobSpec) { s.RoleARN = denyRole }, s3err.AccessDenied, ServiceBatchOps},
		{"bad role", func(s *kura.JobSpec) { s.RoleARN = "role" }, s3err.InvalidRequest, "RoleArn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mm := *m
			spec := e.spec("t-"+c.name, &mm)
			enc := *spec.Operation.UpdateEncryption
			spec.Operation.UpdateEncryption = &enc
			c.mod(&spec)
			_, err := s.CreateJob(context.Background(), rootCall, owner, spec, nil)
			if !s3err.Is(err, c.code) || !strings.Contains(s3err.As(err).Message, c.msg) {
				t.Errorf("got %v, want %s naming %q", err, c.code.Code, c.msg)
			}
		})
	}
}

// TestFailureThreshold: more than half of at least FailureMinTasks tasks
// failing fails the job, with a reason and a report.
func TestFailureThreshold(t *testing.T) {
	e := newEnv(t)
	s := e.service(func(c *Config) { c.FailureMinTasks = 10 })
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("%s,gone%d", data, i))
	}
	id := e.create(s, e.spec("fail", e.manifest("m.csv", lines...)))
	j := e.runUntil(s, id, kura.JobFailed)
	if len(j.FailureReasons) != 1 || j.FailureReasons[0].Code != "TaskFailureThresholdExceeded" || j.Progress.Failed != 10 {
		t.Errorf("failed job: %+v %+v", j.FailureReasons, j.Progress)
	}
	if _, rows := e.reportRowsOf(id); len(rows["failed"]) != 10 {
		t.Errorf("report of the failed job: %d failed rows", len(rows["failed"]))
	}
}

// TestManifestETagMismatch: a manifest whose ETag is not the job's fails
// the job in Preparing.
func TestManifestETagMismatch(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	m := e.manifest("m.csv", data+",a")
	m.Location.ETag = "0123"
	id := e.create(s, e.spec("etag", m))
	j := e.runUntil(s, id, kura.JobFailed)
	if len(j.FailureReasons) != 1 || !strings.Contains(j.FailureReasons[0].Reason, "ETag") {
		t.Errorf("failures %+v", j.FailureReasons)
	}
}

// TestDryRun: every task says what it would do and nothing changes.
func TestDryRun(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	spec := e.spec("dry", e.manifest("m.csv", data+",a"))
	spec.DryRun = true
	id := e.create(s, spec)
	e.runUntil(s, id, kura.JobComplete)
	if v := e.head(data, "a"); v.Encryption.Type != kura.SSES3 {
		t.Errorf("dry run changed the object: %+v", v.Encryption)
	}
	_, rows := e.reportRowsOf(id)
	if len(rows["succeeded"]) != 1 || !strings.HasPrefix(rows["succeeded"][0][6], "Dry run: would re-seal from SSE-S3 to SSE-KMS:"+e.keyARN) {
		t.Errorf("dry-run rows %q", rows)
	}
}

// TestDuplicateEntries: an object listed twice in one group is re-sealed
// twice (the second time alone, after the group's commit changed it),
// both tasks succeed and each leaves its event.
func TestDuplicateEntries(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	id := e.create(s, e.spec("dup", e.manifest("m.csv", data+",a", data+",a")))
	j := e.runUntil(s, id, kura.JobComplete)
	if j.Progress.Succeeded != 2 {
		t.Fatalf("progress %+v", j.Progress)
	}
	_, rows := e.reportRowsOf(id)
	if len(rows["succeeded"]) != 2 || rows["succeeded"][0][7] != "SSE-S3" || !strings.HasPrefix(rows["succeeded"][1][7], "SSE-KMS:"+e.keyARN) {
		t.Errorf("rows %q", rows["succeeded"])
	}
	if n := len(e.events("UpdateObjectEncryption")); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
}

// TestJobEvents: CreateJob's management event, then S3's service events
// for the job's creation and each change of its status.
func TestJobEvents(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	spec := e.spec("events", e.manifest("m.csv", data+",a"))
	spec.ConfirmationRequired = true
	id := e.create(s, spec)
	e.runUntil(s, id, kura.JobSuspended)
	if _, err := s.UpdateJobStatus(context.Background(), rootCall, owner, id, kura.JobReady, "ok"); err != nil {
		t.Fatal(err)
	}
	e.runUntil(s, id, kura.JobComplete)
	if evs := e.events("CreateJob"); len(evs) != 1 || evs[0].ResponseElements["jobId"] != id || evs[0].UserIdentity.ARN != root.ARN {
		t.Errorf("CreateJob events %+v", evs)
	}
	if evs := e.events("JobCreated"); len(evs) != 1 || evs[0].EventType != "AwsServiceEvent" {
		t.Errorf("JobCreated events %+v", evs)
	}
	var statuses []string
	for _, ev := range e.events("JobStatusChanged") {
		d := ev.AdditionalEventData["serviceEventDetails"].(map[string]any)
		if d["jobId"] != id {
			t.Errorf("event for job %v", d["jobId"])
		}
		statuses = append(statuses, d["status"].(string))
	}
	want := "Preparing Suspended Ready Active Completing Complete"
	if got := strings.Join(statuses, " "); got != want {
		t.Errorf("status events %q, want %q", got, want)
	}
}

// TestPassRole: CreateJob needs iam:PassRole on the job role besides
// s3:CreateJob.
func TestPassRole(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	m := e.manifest("m.csv", data+",a")
	_, err := s.CreateJob(context.Background(), kura.Call{Principal: bob}, owner, e.spec("bob", m), nil)
	if !s3err.Is(err, s3err.AccessDenied) || !strings.Contains(s3err.As(err).Message, "iam:PassRole") {
		t.Errorf("bob without iam:PassRole on the role: %v", err)
	}
	if _, err := s.CreateJob(context.Background(), kura.Call{Principal: carol}, owner, e.spec("carol", m), nil); err != nil {
		t.Errorf("carol: %v", err)
	}
}
