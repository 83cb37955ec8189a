package server_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/kurastore/kura/internal/audit"
)

// batchReplicationJob runs an S3ReplicateObject job over keys of the
// source bucket through the SDK's s3control client as role, and returns
// the job and its report rows by key.
func (r *replEnv) batchReplicationJob(t *testing.T, token, role string, keys ...string) (*types.JobDescriptor, map[string][]string) {
	return r.batchReplicationJobWith(t, token, role, nil, keys...)
}

// batchReplicationJobWith is batchReplicationJob with a manifest
// generator instead of a manifest of keys when gen is set.
func (r *replEnv) batchReplicationJobWith(t *testing.T, token, role string, gen types.JobManifestGenerator, keys ...string) (*types.JobDescriptor, map[string][]string) {
	t.Helper()
	var m strings.Builder
	for _, k := range keys {
		m.WriteString(r.src + "," + k + "\n")
	}
	put, err := r.c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("batch-reports"), Key: aws.String("manifests/" + token + ".csv"),
		Body: strings.NewReader(m.String())})
	if err != nil {
		t.Fatal(err)
	}
	cc := r.ts.controlClient(testAK, testSK)
	in := &s3control.CreateJobInput{AccountId: aws.String(r.a), ConfirmationRequired: aws.Bool(false),
		ClientRequestToken: aws.String(token), Priority: aws.Int32(1), RoleArn: aws.String(role),
		Operation: &types.JobOperation{S3ReplicateObject: &types.S3ReplicateObjectOperation{}},
		Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::batch-reports"), Prefix: aws.String("r"),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeAllTasks}}
	if gen != nil {
		in.ManifestGenerator = gen
	} else {
		in.Manifest = &types.JobManifest{Spec: &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820,
			Fields: []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey}},
			Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::batch-reports/manifests/" + token + ".csv"), ETag: put.ETag}}
	}
	out, err := cc.CreateJob(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	var j *types.JobDescriptor
	for {
		d, err := cc.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(r.a), JobId: out.JobId})
		if err != nil {
			t.Fatal(err)
		}
		if j = d.Job; j.Status == types.JobStatusComplete || j.Status == types.JobStatusFailed || j.Status == types.JobStatusCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", j.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j.Operation == nil || j.Operation.S3ReplicateObject == nil {
		t.Errorf("DescribeJob operation %+v", j.Operation)
	}
	if j.Status != types.JobStatusComplete {
		t.Fatalf("job %s: %s %s", j.Status, aws.ToString(j.FailureReasons[0].FailureCode), aws.ToString(j.FailureReasons[0].FailureReason))
	}
	var idx struct{ Results []struct{ Key string } }
	if err := json.Unmarshal([]byte(getBody(t, r.c, "batch-reports", "r/job-"+aws.ToString(out.JobId)+"/manifest.json")), &idx); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, res := range idx.Results {
		recs, err := csv.NewReader(strings.NewReader(getBody(t, r.c, "batch-reports", res.Key))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range recs {
			rows[row[1]] = row
		}
	}
	return j, rows
}

// TestBatchReplicationWire: S3 Batch Replication. An object written
// before the bucket had a replication configuration (live replication
// never takes it) and one whose replication FAILED are replicated by an
// S3ReplicateObject job created through the SDK, as the job role
// (s3:InitiateReplication) and then the configuration's replication role;
// a COMPLETED one is replicated again; an object no rule selects fails.
// The report's rows say how each replication ended, with S3's failure
// reason when the replication role lacks a permission; a job role
// without s3:InitiateReplication gets AccessDenied rows. Every task's
// events name the job. Rules say
// ExistingObjectReplication Disabled throughout: it plays no part.
func TestBatchReplicationWire(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	mustBucket(t, r.c, "batch-reports")
	// Existing objects: written while the bucket has no configuration.
	if _, err := r.c.DeleteBucketReplication(ctx(t), &s3.DeleteBucketReplicationInput{Bucket: aws.String(r.src)}); err != nil {
		t.Fatal(err)
	}
	existing := r.put(t, "nokms/existing", []byte("made before the rules"), nil)
	r.put(t, "nokms/denied", []byte("replication role lacks a read"), nil)
	r.put(t, "other/unselected", []byte("no rule"), nil)
	r.putConfig(t, r.src, r.dst)
	// ExistingObjectReplication plays no part (S3 no longer supports it;
	// Batch Replication is how existing objects go): Disabled on the rule
	// that selects them, they are replicated all the same.
	cfg, err := r.c.GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String(r.src)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.ReplicationConfiguration.Rules {
		cfg.ReplicationConfiguration.Rules[i].ExistingObjectReplication = &s3types.ExistingObjectReplication{Status: s3types.ExistingObjectReplicationStatusDisabled}
	}
	if _, err := r.c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(r.src), ReplicationConfiguration: cfg.ReplicationConfiguration}); err != nil {
		t.Fatal(err)
	}
	if h := r.head(t, r.src, "nokms/existing", ""); h.ReplicationStatus != "" {
		t.Fatalf("an existing object has replication status %q", h.ReplicationStatus)
	}
	// A FAILED one: the replication role could not write it.
	r.setRolePolicy(t, "s3:ReplicateObject")
	failedV := r.put(t, "nokms/failed", []byte("failed once"), nil)
	r.drain(t)
	if h := r.head(t, r.src, "nokms/failed", ""); h.ReplicationStatus != s3types.ReplicationStatusFailed {
		t.Fatalf("status %q, want FAILED", h.ReplicationStatus)
	}
	r.setRolePolicy(t)

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":"arn:aws:s3:::batch-reports/*"},
 {"Effect":"Allow","Action":"s3:InitiateReplication","Resource":"arn:aws:s3:::` + r.src + `/*"},
 {"Effect":"Allow","Action":["s3:GetReplicationConfiguration","s3:PutInventoryConfiguration"],"Resource":"arn:aws:s3:::` + r.src + `"}]}`
	role := batchRole(t, r.ts, "batch-replication", "batchoperations.s3.amazonaws.com", policy)
	j, rows := r.batchReplicationJob(t, "repl-1", role, "nokms/existing", "nokms/failed", "other/unselected")
	p := j.ProgressSummary
	if j.Status != types.JobStatusComplete || aws.ToInt64(p.NumberOfTasksSucceeded) != 2 || aws.ToInt64(p.NumberOfTasksFailed) != 1 {
		t.Fatalf("job %s %+v %v", j.Status, p, rows)
	}
	for key, version := range map[string]string{"nokms/existing": existing, "nokms/failed": failedV} {
		if row := rows[key]; row[3] != "succeeded" || row[4] != "200" || !strings.Contains(row[6], r.dst) {
			t.Errorf("%s row %q", key, row)
		}
		if h := r.head(t, r.src, key, ""); h.ReplicationStatus != s3types.ReplicationStatusCompleted {
			t.Errorf("%s source status %q, want COMPLETED", key, h.ReplicationStatus)
		}
		h := r.head(t, r.dst, key, version)
		if h.ReplicationStatus != s3types.ReplicationStatusReplica {
			t.Errorf("%s replica status %q", key, h.ReplicationStatus)
		}
	}
	if got := getBody(t, r.c, r.dst, "nokms/existing"); got != "made before the rules" {
		t.Errorf("replica reads %q", got)
	}
	if row := rows["other/unselected"]; row[3] != "failed" || row[4] != "400" || row[5] != "InvalidRequest" {
		t.Errorf("unselected row %q", row)
	}

	// COMPLETED ones may be replicated again; a replication role without
	// s3:GetObjectVersionForReplication fails with S3's reason.
	r.setRolePolicy(t, "s3:GetObjectVersionForReplication")
	_, rows = r.batchReplicationJob(t, "repl-2", role, "nokms/denied")
	if row := rows["nokms/denied"]; row[3] != "failed" || row[4] != "403" || row[5] != "SrcGetObjectNotPermitted" ||
		!strings.Contains(row[6], "s3:GetObjectVersionForReplication") {
		t.Errorf("denied row %q", row)
	}
	if h := r.head(t, r.src, "nokms/denied", ""); h.ReplicationStatus != s3types.ReplicationStatusFailed {
		t.Errorf("denied source status %q, want FAILED", h.ReplicationStatus)
	}
	r.setRolePolicy(t)
	// Retry the failures: a generated manifest of the FAILED objects the
	// rules select (the generator needs s3:PutInventoryConfiguration, as S3's).
	gen := &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
		SourceBucket: aws.String("arn:aws:s3:::" + r.src), EnableManifestOutput: false,
		Filter: &types.JobManifestGeneratorFilter{EligibleForReplication: aws.Bool(true),
			ObjectReplicationStatuses: []types.ReplicationStatus{types.ReplicationStatusFailed}}}}
	j, rows = r.batchReplicationJobWith(t, "repl-3", role, gen)
	if p := j.ProgressSummary; aws.ToInt64(p.TotalNumberOfTasks) != 1 || aws.ToInt64(p.NumberOfTasksSucceeded) != 1 || rows["nokms/denied"] == nil {
		t.Errorf("FAILED retried: %+v %q", p, rows)
	}
	// COMPLETED ones are replicated again.
	j, rows = r.batchReplicationJob(t, "repl-3b", role, "nokms/existing", "nokms/denied")
	if aws.ToInt64(j.ProgressSummary.NumberOfTasksSucceeded) != 2 {
		t.Errorf("again: %+v %q", j.ProgressSummary, rows)
	}

	// A job role without s3:InitiateReplication.
	weak := batchRole(t, r.ts, "batch-weak", "batchoperations.s3.amazonaws.com",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":"arn:aws:s3:::batch-reports/*"}]}`)
	_, rows = r.batchReplicationJob(t, "repl-4", weak, "other/unselected")
	if row := rows["other/unselected"]; row[3] != "failed" || row[4] != "403" || row[5] != "AccessDenied" {
		t.Errorf("weak role row %q", row)
	}

	waitAudit(t, r.ts, func(ev audit.Event) bool {
		return ev.EventName == "InitiateReplication" && ev.ErrorCode == "" && ev.AdditionalEventData["jobId"] != nil &&
			strings.Contains(ev.UserIdentity.ARN, ":assumed-role/batch-replication/")
	})
	waitAudit(t, r.ts, func(ev audit.Event) bool {
		return ev.EventName == "ReplicateObject" && ev.ErrorCode == "" && ev.AdditionalEventData["jobId"] != nil &&
			strings.Contains(ev.UserIdentity.ARN, ":assumed-role/replication/")
	})
}
