package batch

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

const archive = "archive"

// TestCopyJob: S3PutObjectCopy re-keys objects into another bucket under
// a prefix, with the operation's encryption, metadata, tags and storage
// class; a missing object, a source that fails the job's
// UnmodifiedSince constraint and a missing target bucket fail their
// tasks with the single CopyObject's codes.
func TestCopyJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: archive, Owner: owner}); err != nil {
		t.Fatal(err)
	}
	s := e.service(nil)
	keys := []string{"a.txt", "dir/b.txt", "c.txt"}
	for _, k := range keys {
		e.put(data, k, "body of "+k)
	}
	cp := &kura.JobCopy{TargetResource: "arn:aws:s3:::" + archive, TargetKeyPrefix: "copied/",
		MetadataDirective: "REPLACE", NewMetadata: &kura.ContentHeaders{ContentType: "text/plain", Metadata: map[string]string{"origin": "batch"}},
		NewTagging: []kura.Tag{{Key: "moved", Value: "yes"}}, StorageClass: "STANDARD_IA",
		SSE: kura.SSEKMS, SSEAwsKmsKeyID: e.keyARN, BucketKeyEnabled: true}
	j, rows := e.job(s, "copy", data, append(keys, "missing.txt"), kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: cp})
	if j.Status != kura.JobComplete || j.Progress.Succeeded != 3 || j.Progress.Failed != 1 {
		t.Fatalf("%s %+v", j.Status, j.Progress)
	}
	for _, k := range keys {
		v := e.head(archive, "copied/"+k)
		if v.Encryption.Type != kura.SSEKMS || v.Encryption.KMSKeyARN != e.keyARN || !v.Encryption.BucketKeyEnabled {
			t.Errorf("%s: encryption %+v", k, v.Encryption)
		}
		if v.StorageClass != "STANDARD_IA" || v.ContentType != "text/plain" || v.Metadata["origin"] != "batch" {
			t.Errorf("%s: class %q headers %+v", k, v.StorageClass, v.ContentHeaders)
		}
		if len(v.Tags) != 1 || v.Tags[0].Key != "moved" {
			t.Errorf("%s: tags %v", k, v.Tags)
		}
		if got := e.read(archive, "copied/"+k); got != "body of "+k {
			t.Errorf("%s reads %q", k, got)
		}
		if src := e.head(data, k); src.Encryption.Type != kura.SSES3 {
			t.Errorf("source %s changed: %+v", k, src.Encryption)
		}
	}
	if len(rows["succeeded"]) != 3 || len(rows["failed"]) != 1 {
		t.Fatalf("rows %q", rows)
	}
	for _, r := range rows["succeeded"] {
		var msg map[string]string
		if r[4] != "200" || json.Unmarshal([]byte(r[6]), &msg) != nil || msg["etag"] == "" {
			t.Errorf("succeeded row %q", r)
		}
	}
	if f := rows["failed"][0]; f[1] != "missing.txt" || f[4] != "404" || f[5] != "NoSuchKey" {
		t.Errorf("failed row %q", f)
	}
	if evs := e.events("CopyObject"); len(evs) != 4 || evs[0].AdditionalEventData["jobId"] != j.ID {
		t.Errorf("%d CopyObject events, want 4 naming the job", len(evs))
	}

	// The job's UnmodifiedSince constraint: objects written after it fail
	// with 412 PreconditionFailed, as x-amz-copy-source-if-unmodified-since.
	old := *cp
	old.UnmodifiedSince = time.Now().Add(-time.Hour)
	old.TargetKeyPrefix = "old/"
	j, rows = e.job(s, "copy-old", data, keys[:1], kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: &old})
	if j.Progress.Failed != 1 || rows["failed"][0][4] != "412" || rows["failed"][0][5] != "PreconditionFailed" {
		t.Errorf("UnmodifiedSince: %+v %q", j.Progress, rows)
	}
	// COPY directive and no tagging: the source's metadata and tags.
	e.put(data, "meta.txt", "m")
	plain := &kura.JobCopy{TargetResource: "arn:aws:s3:::" + archive, SSE: kura.SSES3}
	j, _ = e.job(s, "copy-plain", data, []string{"meta.txt"}, kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: plain})
	if v := e.head(archive, "meta.txt"); j.Progress.Succeeded != 1 || v.Encryption.Type != kura.SSES3 || v.StorageClass != "STANDARD" && v.StorageClass != "" {
		t.Errorf("plain copy: %+v %+v", j.Progress, v)
	}
	// A dry run says where each object would go and copies nothing.
	var lines []string
	for _, k := range keys[:2] {
		lines = append(lines, data+","+k)
	}
	dry := e.spec("copy-dry", e.manifest("m-copy-dry.csv", lines...))
	dryOp := *cp
	dryOp.TargetKeyPrefix = "dry/"
	dry.Operation, dry.DryRun = kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: &dryOp}, true
	d := e.runUntil(s, e.create(s, dry), kura.JobComplete)
	_, drows := e.reportRowsOf(d.ID)
	if d.Progress.Succeeded != 2 || !strings.Contains(drows["succeeded"][0][6], "would copy version") || !strings.Contains(drows["succeeded"][0][6], archive+"/dry/") {
		t.Errorf("dry run: %+v %q", d.Progress, drows)
	}
	if _, err := e.obj.Head(ctx, archive, "dry/a.txt", ""); !s3err.Is(err, s3err.NoSuchKey) {
		t.Errorf("a dry run copied: %v", err)
	}
	// A target bucket that does not exist fails every task.
	gone := &kura.JobCopy{TargetResource: "arn:aws:s3:::no-such-bucket"}
	j, rows = e.job(s, "copy-gone", data, keys[:1], kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: gone})
	if j.Progress.Failed != 1 || rows["failed"][0][5] != "NoSuchBucket" {
		t.Errorf("missing target: %+v %q", j.Progress, rows)
	}
}

// TestCopyJobRefusals: what every task would refuse is refused at
// CreateJob with InvalidRequest naming the valid values.
func TestCopyJobRefusals(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	m := e.manifest("m.csv", data+",a")
	good := func() *kura.JobCopy { return &kura.JobCopy{TargetResource: "arn:aws:s3:::" + archive} }
	cases := []struct {
		name string
		mod  func(c *kura.JobCopy)
		want string
	}{
		{"target not a bucket ARN", func(c *kura.JobCopy) { c.TargetResource = "arn:aws:s3:::b/k" }, "TargetResource"},
		{"directive", func(c *kura.JobCopy) { c.MetadataDirective = "MERGE" }, "COPY and REPLACE"},
		{"metadata without REPLACE", func(c *kura.JobCopy) { c.NewMetadata = &kura.ContentHeaders{} }, "REPLACE"},
		{"storage class", func(c *kura.JobCopy) { c.StorageClass = "COLD" }, "STANDARD_IA"},
		{"key with SSE-S3", func(c *kura.JobCopy) { c.SSE, c.SSEAwsKmsKeyID = kura.SSES3, "k" }, "SSEAlgorithm KMS"},
		{"checksum", func(c *kura.JobCopy) { c.ChecksumAlgorithm = "MD4" }, "CRC32"},
		{"lock mode without date", func(c *kura.JobCopy) { c.ObjectLockMode = "GOVERNANCE" }, "together"},
		{"legal hold", func(c *kura.JobCopy) { c.ObjectLockLegalHoldStatus = "MAYBE" }, "ON and OFF"},
		{"canned ACL", func(c *kura.JobCopy) { c.CannedACL = "everyone" }, "bucket-owner-full-control"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.mod(c)
			spec := e.spec("refuse-"+string(rune('a'+i)), m)
			spec.Operation = kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: c}
			_, err := s.CreateJob(context.Background(), rootCall, owner, spec, nil)
			x := s3err.As(err)
			if err == nil || x.Code != s3err.InvalidRequest.Code || !strings.Contains(x.Message, tc.want) {
				t.Errorf("err %v, want InvalidRequest naming %q", err, tc.want)
			}
		})
	}
}

// TestCopyRecordRoundTrip: every JobCopy field survives the record.
func TestCopyRecordRoundTrip(t *testing.T) {
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := kura.JobCopy{TargetResource: "arn:aws:s3:::t", TargetKeyPrefix: "p/", CannedACL: "private",
		Grants: []kura.Grant{{Type: "CanonicalUser", ID: "x", Permission: "READ"}}, MetadataDirective: "REPLACE",
		ModifiedSince: until, UnmodifiedSince: until, NewMetadata: &kura.ContentHeaders{ContentType: "a/b", Metadata: map[string]string{"k": "v"}},
		NewTagging: []kura.Tag{}, StorageClass: "GLACIER", SSEAwsKmsKeyID: "arn:k", BucketKeyEnabled: true,
		ObjectLockLegalHoldStatus: "ON", ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until,
		ChecksumAlgorithm: "SHA256", RedirectLocation: "/x", SSE: kura.SSEKMS, RequesterPays: true}
	out := opOf(opToRec(kura.JobOperation{Name: kura.OpS3PutObjectCopy, Copy: &in})).Copy
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) || out.NewTagging == nil {
		t.Errorf("round trip:\n%s\n%s", a, b)
	}
}
