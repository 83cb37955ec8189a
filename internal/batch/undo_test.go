package batch

import (
	"context"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// putKMS writes an object under SSE-KMS with key arn.
func (e *env) putKMS(key, body, arn string, bucketKey bool) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.obj.PutObject(context.Background(), object.PutInput{Bucket: data, Key: key, Body: strings.NewReader(body),
		Size: int64(len(body)), Owner: owner, Access: object.KeyAccess{Caller: rootCall},
		SSE: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: arn, BucketKey: &bucketKey}})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
	return v
}

// TestUndoJob: a re-seal job, then its undo: every object is back under
// its previous encryption (SSE-S3, or SSE-KMS under its key with its
// bucket-key setting) with ETag and Last-Modified unchanged; an object
// re-keyed and one written again after the job are skipped (412, saying
// why) and left as they are. The undo's own report can be undone.
func TestUndoJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.service(nil)
	k, err := e.kms.CreateKey(ctx, rootCall, kms.CreateKeyInput{Description: "old key"})
	if err != nil {
		t.Fatal(err)
	}
	oldKey := k.Arn
	before := map[string]*kura.ObjectVersion{
		"s3-a": e.put(data, "s3-a", "a"), "s3-b": e.put(data, "s3-b", "b"),
		"kms":     e.putKMS("kms", "c", oldKey, false),
		"kms-bk":  e.putKMS("kms-bk", "d", oldKey, true),
		"rekeyed": e.put(data, "rekeyed", "e"), "rewritten": e.put(data, "rewritten", "f"),
	}
	keys := []string{"s3-a", "s3-b", "kms", "kms-bk", "rekeyed", "rewritten"}
	j, _ := e.job(s, "reseal", data, keys, e.spec("x", nil).Operation)
	if j.Progress.Succeeded != 6 {
		t.Fatalf("re-seal job %+v", j.Progress)
	}
	// Later changes the undo must leave alone.
	if _, _, err := e.obj.UpdateEncryption(ctx, data, "rekeyed", "", object.EncryptionTarget{KMSKeyARN: oldKey}, object.KeyAccess{Caller: rootCall}); err != nil {
		t.Fatal(err)
	}
	e.put(data, "rewritten", "new data")

	// A dry run of the undo says what it would restore and changes
	// nothing.
	dry := e.spec("undo-dry", e.manifest("unused0.csv", data+",s3-a"))
	dry.UndoOf, dry.DryRun = j.ID, true
	d := e.runUntil(s, e.create(s, dry), kura.JobComplete)
	_, drows := e.reportRowsOf(d.ID)
	if d.Progress.Succeeded != 4 || d.Progress.Failed != 2 || !strings.HasPrefix(drows["succeeded"][0][6], "Dry run: would restore from SSE-KMS:"+e.keyARN) {
		t.Errorf("dry-run undo: %+v %q", d.Progress, drows["succeeded"])
	}
	if v := e.head(data, "s3-a"); v.Encryption.Type != kura.SSEKMS {
		t.Errorf("the dry run changed s3-a: %+v", v.Encryption)
	}

	undo := e.spec("undo", e.manifest("unused.csv", data+",s3-a"))
	undo.UndoOf = j.ID
	uid := e.create(s, undo)
	u := e.runUntil(s, uid, kura.JobComplete)
	if u.Progress.Succeeded != 4 || u.Progress.Failed != 2 {
		t.Fatalf("undo progress %+v", u.Progress)
	}
	for _, key := range keys[:4] {
		v, b := e.head(data, key), before[key]
		if v.Encryption.Type != b.Encryption.Type || v.Encryption.KMSKeyARN != b.Encryption.KMSKeyARN || v.Encryption.BucketKeyEnabled != b.Encryption.BucketKeyEnabled {
			t.Errorf("%s: %+v after undo, was %+v", key, v.Encryption, b.Encryption)
		}
		if v.ETag != b.ETag || !v.LastModified.Equal(b.LastModified) || v.VersionID != b.VersionID {
			t.Errorf("%s: ETag/Last-Modified/version changed", key)
		}
		if got := e.read(data, key); got != map[string]string{"s3-a": "a", "s3-b": "b", "kms": "c", "kms-bk": "d"}[key] {
			t.Errorf("%s reads %q", key, got)
		}
	}
	if v := e.head(data, "rekeyed"); v.Encryption.KMSKeyARN != oldKey || v.Encryption.BucketKeyEnabled {
		t.Errorf("rekeyed was touched: %+v", v.Encryption)
	}
	if v := e.head(data, "rewritten"); v.Encryption.Type != kura.SSES3 || e.read(data, "rewritten") != "new data" {
		t.Errorf("rewritten was touched: %+v", v.Encryption)
	}
	_, rows := e.reportRowsOf(uid)
	fails := map[string][]string{}
	for _, r := range rows["failed"] {
		fails[r[1]] = r
	}
	if r := fails["rekeyed"]; r == nil || r[4] != "412" || r[5] != "PreconditionFailed" || !strings.Contains(r[6], "encryption changed after the job") {
		t.Errorf("rekeyed row %q", r)
	}
	if r := fails["rewritten"]; r == nil || r[4] != "412" || !strings.Contains(r[6], "written again") {
		t.Errorf("rewritten row %q", r)
	}
	for _, r := range rows["succeeded"] {
		if len(r) != 11 || !strings.HasPrefix(r[7], "SSE-KMS:"+e.keyARN) {
			t.Errorf("undo row %q", r)
		}
	}
	restores := 0
	for _, ev := range e.events("UpdateObjectEncryption") {
		if ev.AdditionalEventData["restoredBy"] == "undo" {
			restores++
			if ev.AdditionalEventData["jobId"] != uid {
				t.Errorf("restore event names job %v", ev.AdditionalEventData["jobId"])
			}
		}
	}
	if restores != 4 {
		t.Errorf("%d restore events, want 4", restores)
	}

	// The undo undone: the four objects are under the job's key again.
	again := e.spec("undo-undo", e.manifest("unused2.csv", data+",s3-a"))
	again.UndoOf = uid
	a := e.runUntil(s, e.create(s, again), kura.JobComplete)
	if a.Progress.Succeeded != 4 || a.Progress.Failed != 0 {
		t.Errorf("undo of the undo: %+v", a.Progress)
	}
	if v := e.head(data, "s3-a"); v.Encryption.KMSKeyARN != e.keyARN || !v.Encryption.BucketKeyEnabled {
		t.Errorf("s3-a after the undo of the undo: %+v", v.Encryption)
	}
}

// TestUndoRefusals: what cannot be undone is refused at CreateJob with a
// message saying why.
func TestUndoRefusals(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	e.put(data, "a", "x")
	tagged, _ := e.job(s, "tag", data, []string{"a"}, kura.JobOperation{Name: kura.OpS3PutObjectTagging, Tagging: []kura.Tag{}})
	spec := e.spec("failed-only", e.manifest("m.csv", data+",a"))
	spec.Report.Scope = kura.ReportScopeFailedTasksOnly
	failedOnly := e.runUntil(s, e.create(s, spec), kura.JobComplete)
	cases := []struct{ name, of, want string }{
		{"no such job", "00000000-0000-0000-0000-000000000000", "no job"},
		{"not a re-seal", tagged.ID, "only S3UpdateObjectEncryption jobs can be undone"},
		{"report of failed tasks only", failedOnly.ID, "ReportScope AllTasks"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := e.spec("undo-"+string(rune('a'+i)), e.manifest("m.csv", data+",a"))
			u.UndoOf = c.of
			_, err := s.CreateJob(context.Background(), rootCall, owner, u, nil)
			if !s3err.Is(err, s3err.InvalidRequest) || !strings.Contains(s3err.As(err).Message, c.want) {
				t.Errorf("err %v, want InvalidRequest saying %q", err, c.want)
			}
		})
	}
}
