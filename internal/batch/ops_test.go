package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// The other operations, each through its ops call as the role.

const vault = "vault"

func (e *env) lockBucket() {
	ctx := context.Background()
	if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: vault, Owner: owner}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.obj.UpdateBucket(ctx, vault, func(b *kura.Bucket) error {
		b.Versioning, b.ObjectLockEnabled = "Enabled", true
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// job runs a job of op over keys of bucket and returns it with its report
// rows.
func (e *env) job(s *Service, token string, bucket string, keys []string, op kura.JobOperation) (*kura.Job, map[string][][]string) {
	e.t.Helper()
	var lines []string
	for _, k := range keys {
		lines = append(lines, bucket+","+k)
	}
	spec := e.spec(token, e.manifest("m-"+token+".csv", lines...))
	spec.Operation = op
	id := e.create(s, spec)
	j := e.runUntil(s, id, "")
	_, rows := e.reportRowsOf(id)
	return j, rows
}

func TestTaggingOperations(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	e.put(data, "b", "y")
	tags := []kura.Tag{{Key: "class", Value: "archive"}}
	j, _ := e.job(s, "tag", data, []string{"a", "b"}, kura.JobOperation{Name: kura.OpS3PutObjectTagging, Tagging: tags})
	if j.Status != kura.JobComplete || j.Progress.Succeeded != 2 {
		t.Fatalf("%s %+v", j.Status, j.Progress)
	}
	if v := e.head(data, "b"); len(v.Tags) != 1 || v.Tags[0] != tags[0] {
		t.Errorf("tags %v", v.Tags)
	}
	j, rows := e.job(s, "untag", data, []string{"a"}, kura.JobOperation{Name: kura.OpS3DeleteObjectTagging})
	if j.Progress.Succeeded != 1 || len(e.head(data, "a").Tags) != 0 || rows["succeeded"][0][4] != "204" {
		t.Errorf("delete tagging: %+v %v %q", j.Progress, e.head(data, "a").Tags, rows)
	}
	if len(rows["succeeded"][0]) != 7 {
		t.Errorf("a tagging report row has %d columns, want S3's 7", len(rows["succeeded"][0]))
	}
}

// TestObjectLockOperations: retention and legal hold through a job, and
// a locked object's re-seal failing with the single call's AccessDenied.
func TestObjectLockOperations(t *testing.T) {
	e := newEnv(t)
	e.lockBucket()
	s := e.service(nil)
	e.put(vault, "held", "x")
	e.put(vault, "kept", "y")
	on := true
	j, _ := e.job(s, "hold", vault, []string{"held"}, kura.JobOperation{Name: kura.OpS3PutObjectLegalHold, LegalHold: &on})
	if j.Progress.Succeeded != 1 || !e.head(vault, "held").LegalHold {
		t.Fatalf("legal hold: %+v", j.Progress)
	}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
	j, _ = e.job(s, "retain", vault, []string{"kept"}, kura.JobOperation{Name: kura.OpS3PutObjectRetention,
		Retention: &kura.JobRetention{Retention: kura.Retention{Mode: object.Governance, Until: until}}})
	if v := e.head(vault, "kept"); j.Progress.Succeeded != 1 || v.Retention == nil || !v.Retention.Until.Equal(until) {
		t.Fatalf("retention: %+v %+v", j.Progress, v.Retention)
	}
	// Re-sealing either fails as UpdateObjectEncryption does.
	spec := e.spec("x", nil)
	j, rows := e.job(s, "reseal-locked", vault, []string{"held", "kept"}, spec.Operation)
	if j.Status != kura.JobComplete || j.Progress.Failed != 2 {
		t.Fatalf("%s %+v", j.Status, j.Progress)
	}
	for _, r := range rows["failed"] {
		if r[4] != "403" || r[5] != "AccessDenied" || r[6] != object.ErrUOEObjectLock.Message {
			t.Errorf("locked object row %q", r)
		}
	}
}

func TestACLAndRestoreOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.obj.UpdateBucket(ctx, data, func(b *kura.Bucket) error { b.ObjectOwnership = "BucketOwnerPreferred"; return nil }); err != nil {
		t.Fatal(err)
	}
	s := e.service(nil)
	e.put(data, "a", "x")
	j, rows := e.job(s, "acl", data, []string{"a"}, kura.JobOperation{Name: kura.OpS3PutObjectAcl, ACL: &kura.JobACL{CannedACL: "authenticated-read"}})
	if j.Progress.Succeeded != 1 {
		t.Fatalf("acl: %+v %q", j.Progress, rows)
	}
	if v := e.head(data, "a"); v.ACL == nil || len(v.ACL.Grants) != 2 {
		t.Errorf("ACL %+v", v.ACL)
	}
	// A STANDARD object cannot be restored: S3's InvalidObjectState.
	j, rows = e.job(s, "restore", data, []string{"a"}, kura.JobOperation{Name: kura.OpS3InitiateRestoreObject,
		Restore: &kura.JobRestore{ExpirationDays: 1, Tier: "BULK"}})
	if j.Progress.Failed != 1 || rows["failed"][0][5] != s3err.InvalidObjectState.Code {
		t.Errorf("restore of a STANDARD object: %+v %q", j.Progress, rows)
	}
}

func TestComputeChecksum(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "hello world")
	j, rows := e.job(s, "ck", data, []string{"a"}, kura.JobOperation{Name: kura.OpS3ComputeObjectChecksum,
		Checksum: &kura.JobChecksum{Algorithm: "SHA256", Type: "FULL_OBJECT"}})
	if j.Progress.Succeeded != 1 {
		t.Fatalf("%+v %q", j.Progress, rows)
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(rows["succeeded"][0][6]), &msg); err != nil {
		t.Fatal(err)
	}
	h := checksum.SHA256.New()
	h.Write([]byte("hello world"))
	if msg["checksum_base64"] != checksum.Encode(h.Sum(nil)) || msg["checksumAlgorithm"] != "SHA256" {
		t.Errorf("checksum result %v", msg)
	}
}

// TestCancelActiveJob: a job cancelled while it runs stops at its next
// checkpoint, Cancelled with the report of what ran.
func TestCancelActiveJob(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	var lines []string
	for i := range 50 {
		k := fmt.Sprintf("k%02d", i)
		e.put(data, k, "x")
		lines = append(lines, data+","+k)
	}
	id := e.create(s, e.spec("cancel", e.manifest("m.csv", lines...)))
	s.testAfterChunk = func(n int64) bool {
		if n == 2 {
			if _, err := s.UpdateJobStatus(context.Background(), rootCall, owner, id, kura.JobCancelled, "stop"); err != nil {
				t.Errorf("cancel: %v", err)
			}
		}
		return false
	}
	j := e.runUntil(s, id, kura.JobCancelled)
	if j.Progress.Succeeded != 30 || j.TerminationDate.IsZero() {
		t.Errorf("cancelled job %+v", j.Progress)
	}
	if _, rows := e.reportRowsOf(id); len(rows["succeeded"]) != 30 {
		t.Errorf("report rows %d", len(rows["succeeded"]))
	}
}

// TestPriority: a job of higher priority that becomes Ready pauses a
// running one, which resumes after it.
func TestPriority(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	var lines []string
	for i := range 40 {
		k := fmt.Sprintf("k%02d", i)
		e.put(data, k, "x")
		lines = append(lines, data+","+k)
	}
	low := e.create(s, e.spec("low", e.manifest("low.csv", lines...)))
	highSpec := e.spec("high", e.manifest("high.csv", lines[:5]...))
	highSpec.Priority = 100
	var high string
	s.testAfterChunk = func(n int64) bool {
		if high == "" {
			high = e.create(s, highSpec)
			// Let it prepare before the next checkpoint looks.
			if err := s.prepare(context.Background(), mustRecord(t, s, high)); err != nil {
				t.Fatal(err)
			}
		}
		return false
	}
	j := e.runUntil(s, low, kura.JobComplete)
	h := e.describe(s, high)
	if h.Status != kura.JobComplete || !h.TerminationDate.Before(j.TerminationDate) {
		t.Errorf("high ended %s at %v, low at %v", h.Status, h.TerminationDate, j.TerminationDate)
	}
	if j.Progress.Succeeded != 40 {
		t.Errorf("low job %+v", j.Progress)
	}
}

func mustRecord(t *testing.T, s *Service, id string) *jobRecord {
	r, err := s.load(context.Background(), owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
