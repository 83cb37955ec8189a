package batch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

func TestMatches(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	kmsKey := "arn:aws:kms:us-east-1:111122223333:key/old"
	v := func(key string, size int64, class string, enc kura.Encryption) *kura.ObjectVersion {
		return &kura.ObjectVersion{Key: key, Size: size, StorageClass: class, Encryption: enc, LastModified: t0}
	}
	sses3 := kura.Encryption{Type: kura.SSES3}
	ssekms := kura.Encryption{Type: kura.SSEKMS, KMSKeyARN: kmsKey, BucketKeyEnabled: true}
	n := func(i int64) *int64 { return &i }
	yes, no := true, false
	cases := []struct {
		name string
		f    kura.JobManifestFilter
		v    *kura.ObjectVersion
		want bool
	}{
		{"no filter", kura.JobManifestFilter{}, v("a", 1, "", sses3), true},
		{"delete marker", kura.JobManifestFilter{}, &kura.ObjectVersion{Key: "a", DeleteMarker: true}, false},
		{"created after", kura.JobManifestFilter{CreatedAfter: t0.Add(-time.Hour)}, v("a", 1, "", sses3), true},
		{"created after, too old", kura.JobManifestFilter{CreatedAfter: t0}, v("a", 1, "", sses3), false},
		{"created before", kura.JobManifestFilter{CreatedBefore: t0.Add(time.Hour)}, v("a", 1, "", sses3), true},
		{"created before, too new", kura.JobManifestFilter{CreatedBefore: t0}, v("a", 1, "", sses3), false},
		{"prefix any", kura.JobManifestFilter{MatchAnyPrefix: []string{"x/", "logs/"}}, v("logs/1", 1, "", sses3), true},
		{"prefix none", kura.JobManifestFilter{MatchAnyPrefix: []string{"x/"}}, v("logs/1", 1, "", sses3), false},
		{"suffix", kura.JobManifestFilter{MatchAnySuffix: []string{".gz"}}, v("a.gz", 1, "", sses3), true},
		{"suffix none", kura.JobManifestFilter{MatchAnySuffix: []string{".gz"}}, v("a.txt", 1, "", sses3), false},
		{"substring", kura.JobManifestFilter{MatchAnySubstring: []string{"2026"}}, v("x/2026/y", 1, "", sses3), true},
		{"prefix and suffix both needed", kura.JobManifestFilter{MatchAnyPrefix: []string{"x/"}, MatchAnySuffix: []string{".gz"}}, v("x/a.txt", 1, "", sses3), false},
		{"size greater", kura.JobManifestFilter{ObjectSizeGreaterThanBytes: n(10)}, v("a", 11, "", sses3), true},
		{"size greater, equal", kura.JobManifestFilter{ObjectSizeGreaterThanBytes: n(10)}, v("a", 10, "", sses3), false},
		{"size less", kura.JobManifestFilter{ObjectSizeLessThanBytes: n(10)}, v("a", 9, "", sses3), true},
		{"size less, equal", kura.JobManifestFilter{ObjectSizeLessThanBytes: n(10)}, v("a", 10, "", sses3), false},
		{"class STANDARD is empty", kura.JobManifestFilter{MatchAnyStorageClass: []string{"STANDARD"}}, v("a", 1, "", sses3), true},
		{"class other", kura.JobManifestFilter{MatchAnyStorageClass: []string{"GLACIER"}}, v("a", 1, "STANDARD_IA", sses3), false},
		{"replication NONE", kura.JobManifestFilter{ObjectReplicationStatuses: []string{"NONE"}}, v("a", 1, "", sses3), true},
		{"replication COMPLETED", kura.JobManifestFilter{ObjectReplicationStatuses: []string{"COMPLETED"}}, v("a", 1, "", sses3), false},
		{"eligible for replication", kura.JobManifestFilter{EligibleForReplication: &yes}, v("a", 1, "", sses3), false},
		{"not eligible for replication", kura.JobManifestFilter{EligibleForReplication: &no}, v("a", 1, "", sses3), true},
		{"SSE-S3", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSES3}}}, v("a", 1, "", sses3), true},
		{"SSE-S3 vs KMS", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSES3}}}, v("a", 1, "", ssekms), false},
		{"SSE-KMS any key", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEKMS}}}, v("a", 1, "", ssekms), true},
		{"SSE-KMS the old key", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEKMS, KMSKeyARN: kmsKey}}}, v("a", 1, "", ssekms), true},
		{"SSE-KMS another key", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEKMS, KMSKeyARN: kmsKey + "2"}}}, v("a", 1, "", ssekms), false},
		{"SSE-KMS bucket key on", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEKMS, BucketKeyEnabled: &yes}}}, v("a", 1, "", ssekms), true},
		{"SSE-KMS bucket key off", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEKMS, BucketKeyEnabled: &no}}}, v("a", 1, "", ssekms), false},
		{"DSSE-KMS", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEDSSE}}}, v("a", 1, "", kura.Encryption{Type: kura.SSEDSSE}), true},
		{"SSE-C", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSEC}}}, v("a", 1, "", kura.Encryption{Type: kura.SSEC}), true},
		{"NOT-SSE", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSENone}}}, v("a", 1, "", kura.Encryption{}), true},
		{"NOT-SSE vs SSE-S3", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSENone}}}, v("a", 1, "", sses3), false},
		{"any of two", kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSENone}, {Type: kura.SSES3}}}, v("a", 1, "", sses3), true},
	}
	for _, c := range cases {
		if got := Matches(c.f, c.v); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestEncodeKey(t *testing.T) {
	for k, want := range map[string]string{"a b": "a%20b", "x/y.jpg": "x/y.jpg", "a+b": "a%2Bb", "é": "%C3%A9", "a,b": "a%2Cb"} {
		if got := encodeKey(k); got != want {
			t.Errorf("encodeKey(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestEncryptionColumn(t *testing.T) {
	for _, e := range []kura.Encryption{{Type: kura.SSES3}, {Type: kura.SSEKMS, KMSKeyARN: "arn:aws:kms:us-east-1:1:key/k"},
		{Type: kura.SSEKMS, KMSKeyARN: "arn:aws:kms:us-east-1:1:key/k", BucketKeyEnabled: true}, {}} {
		got, ok := ParseEncryptionColumn(EncryptionColumn(e))
		if !ok || got.Type != e.Type || got.KMSKeyARN != e.KMSKeyARN || got.BucketKeyEnabled != e.BucketKeyEnabled {
			t.Errorf("%+v → %q → %+v", e, EncryptionColumn(e), got)
		}
	}
}

// TestGeneratorJob: "every object still under SSE-S3 under logs/" as one
// filter; the generated manifest is written to the output location and
// reads back as an inventory manifest naming exactly those objects.
func TestGeneratorJob(t *testing.T) {
	e := newEnv(t)
	s := e.service(func(c *Config) { c.ChunkSize = 4 })
	ctx := context.Background()
	var want []string
	for i := range 11 {
		key := fmt.Sprintf("logs/%02d", i)
		e.put(data, key, "x")
		want = append(want, key)
	}
	e.put(data, "other/1", "x")
	// Already under SSE-KMS: not selected.
	if _, err := e.obj.PutObject(ctx, object.PutInput{Bucket: data, Key: "logs/kms", Body: strings.NewReader("k"), Size: 1, Owner: owner,
		SSE: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: e.keyARN}, Access: object.KeyAccess{Caller: rootCall}}); err != nil {
		t.Fatal(err)
	}
	spec := e.spec("gen", nil)
	spec.Manifest = nil
	spec.ManifestGenerator = &kura.JobManifestGenerator{SourceBucket: "arn:aws:s3:::" + data, EnableOutput: true,
		// Under SSE-KMS the manifest's ETag is opaque, not its MD5: the
		// location the job reports must name the object's own.
		Output: &kura.JobManifestOutput{Bucket: "arn:aws:s3:::" + reports, Prefix: "gen", Format: kura.ManifestGeneratedCSV,
			Encryption: kura.SSEKMS, KMSKeyID: e.keyARN},
		Filter: kura.JobManifestFilter{MatchAnyPrefix: []string{"logs/"}, MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSES3}}}}
	id := e.create(s, spec)
	j := e.runUntil(s, id, kura.JobComplete)
	if j.Progress.TotalTasks != 11 || j.Progress.Succeeded != 11 || !j.Progress.TotalKnown {
		t.Fatalf("progress %+v", j.Progress)
	}
	if v := e.head(data, "other/1"); v.Encryption.Type != kura.SSES3 {
		t.Errorf("other/1 was re-sealed")
	}
	for _, k := range want {
		if v := e.head(data, k); v.Encryption.KMSKeyARN != e.keyARN {
			t.Errorf("%s not re-sealed", k)
		}
	}
	g := j.GeneratedManifest
	if g == nil || g.ObjectARN != "arn:aws:s3:::"+reports+"/gen/job-"+id+"/manifest.json" {
		t.Fatalf("generated manifest %+v", g)
	}
	if mv := e.head(reports, "gen/job-"+id+"/manifest.json"); g.ETag != mv.ETag || mv.Encryption.Type != kura.SSEKMS {
		t.Fatalf("generated manifest's location names ETag %q; the object (%s) has %q", g.ETag, mv.Encryption.Type.Name(), mv.ETag)
	}
	// The generated manifest reads as an inventory manifest.
	src, err := openInventory(ctx, roleOpener(e.ops, rootCall, ""), kura.JobManifest{Format: kura.ManifestInventoryCSV,
		Location: kura.JobManifestLocation{ObjectARN: g.ObjectARN, ETag: g.ETag}}, cursor{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := readAll(t, src)
	if err != nil || len(got) != 11 {
		t.Fatalf("generated manifest: %v %v", got, err)
	}
	for i, en := range got {
		if en.Key != want[i] || en.Bucket != data || en.VersionID != "" {
			t.Errorf("generated entry %d: %+v", i, en)
		}
	}
	// A second job with the same filter finds nothing left to do.
	spec.ClientRequestToken = "gen-2"
	spec.ManifestGenerator.EnableOutput, spec.ManifestGenerator.Output = false, nil
	j = e.runUntil(s, e.create(s, spec), kura.JobComplete)
	if j.Progress.TotalTasks != 0 {
		t.Errorf("second pass found %d tasks", j.Progress.TotalTasks)
	}
}

// TestInventoryJob: a job over an inventory report stored in a bucket.
func TestInventoryJob(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	for _, k := range []string{"a b", "c"} {
		e.put(data, k, "x")
	}
	m := inventory("Bucket, Key, Size, EncryptionStatus", `"data","a%20b","1","SSE-S3"`+"\n", `"data","c","1","SSE-S3"`+"\n")
	var loc kura.JobManifestLocation
	for k, body := range m {
		b, key, _ := strings.Cut(k, "/")
		if b != "dest" {
			t.Fatal(k)
		}
		v := e.put(reports, key, body)
		if strings.HasSuffix(key, "manifest.json") {
			loc = kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::" + reports + "/" + key, ETag: v.ETag}
		}
	}
	// The manifest names its destination bucket; here it is the reports
	// bucket.
	k := strings.TrimPrefix(loc.ObjectARN, "arn:aws:s3:::"+reports+"/")
	body := strings.Replace(m["dest/"+k], "arn:aws:s3:::dest", "arn:aws:s3:::"+reports, 1)
	loc.ETag = e.put(reports, k, body).ETag
	spec := e.spec("inv", &kura.JobManifest{Format: kura.ManifestInventoryCSV, Location: loc})
	j := e.runUntil(s, e.create(s, spec), kura.JobComplete)
	if j.Progress.Succeeded != 2 || j.Progress.TotalTasks != 2 {
		t.Fatalf("progress %+v %v", j.Progress, j.FailureReasons)
	}
	if v := e.head(data, "a b"); v.Encryption.KMSKeyARN != e.keyARN {
		t.Errorf("a b not re-sealed")
	}
}

// TestMatchesReplication: the replication filters decided under the
// source bucket's configuration (one rule: prefix logs/, SSE-KMS not
// opted in).
func TestMatchesReplication(t *testing.T) {
	yes := true
	repl := &kura.ReplicationConfiguration{Role: "arn:aws:iam::111122223333:role/r", Rules: []kura.ReplicationRule{{ID: "logs", Status: "Enabled",
		Filter: &kura.ReplicationFilter{Prefix: "logs/"}, Destination: kura.ReplicationDestination{Bucket: "arn:aws:s3:::dst"}}}}
	ver := func(key, status string, enc kura.SSEType) *kura.ObjectVersion {
		return &kura.ObjectVersion{Key: key, ReplicationStatus: status, Encryption: kura.Encryption{Type: enc}}
	}
	statuses := func(s ...string) kura.JobManifestFilter { return kura.JobManifestFilter{ObjectReplicationStatuses: s} }
	eligible := kura.JobManifestFilter{EligibleForReplication: &yes}
	cases := []struct {
		name string
		f    kura.JobManifestFilter
		v    *kura.ObjectVersion
		repl *kura.ReplicationConfiguration
		want bool
	}{
		{"NONE", statuses("NONE"), ver("a", "", kura.SSES3), repl, true},
		{"FAILED wanted, NONE", statuses("FAILED"), ver("a", "", kura.SSES3), repl, false},
		{"FAILED", statuses("FAILED"), ver("a", kura.ReplicationFailed, kura.SSES3), repl, true},
		{"COMPLETED or REPLICA", statuses("COMPLETED", "REPLICA"), ver("a", kura.ReplicationReplica, kura.SSES3), repl, true},
		{"PENDING matches no status", statuses("NONE", "FAILED", "COMPLETED", "REPLICA"), ver("a", kura.ReplicationPending, kura.SSES3), repl, false},
		{"eligible", eligible, ver("logs/1", "", kura.SSES3), repl, true},
		{"eligible, another prefix", eligible, ver("data/1", "", kura.SSES3), repl, false},
		{"eligible, SSE-KMS not opted in", eligible, ver("logs/1", "", kura.SSEKMS), repl, false},
		{"eligible, no configuration", eligible, ver("logs/1", "", kura.SSES3), nil, false},
		{"eligible and FAILED", kura.JobManifestFilter{EligibleForReplication: &yes, ObjectReplicationStatuses: []string{"FAILED"}},
			ver("logs/1", kura.ReplicationFailed, kura.SSES3), repl, true},
	}
	for _, c := range cases {
		if got := MatchesIn(c.f, c.v, c.repl); got != c.want {
			t.Errorf("%s: MatchesIn = %v, want %v", c.name, got, c.want)
		}
	}
}
