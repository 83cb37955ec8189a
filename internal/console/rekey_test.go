package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type job struct {
	ID, Status               string
	Total, Succeeded, Failed int64
	DryRun                   bool
	Failures                 []string
	ReportBucket, ReportKey  string
}

// waitJob polls the console's job view until the job reaches one of want.
func waitJob(t *testing.T, b *browser, id string, want ...string) job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var j job
		b.json("GET", "/console/api/jobs/"+id, nil, 200, &j)
		for _, w := range want {
			if j.Status == w {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s, want %v", id, j.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsoleReKey: the posture's re-key action, a dry run and then the
// real job (confirmed, run, reported), and the posture after it; and the
// upload paths (one PUT, multipart).
func TestConsoleReKey(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.s3(testAK, testSK)
	for _, name := range []string{"photos", "reports"} {
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ts.kms().CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("photos")})
	if err != nil {
		t.Fatal(err)
	}
	k := aws.ToString(key.KeyMetadata.Arn)
	role := ts.role(t, "console-rekey", rekeyRolePolicy)
	b := ts.browser(t)
	b.signIn(testAK, testSK)
	for i := range 5 {
		b.json("PUT", fmt.Sprintf("/console/api/object?bucket=photos&key=img/%d.jpg", i), []byte("pixels"), 200, nil)
	}
	// A multipart upload through the console: two parts.
	var up struct{ UploadID string }
	b.json("POST", "/console/api/uploads?bucket=photos&key=big.bin", nil, 200, &up)
	part1, part2 := strings.Repeat("a", 5<<20), "tail"
	var p1, p2 struct{ ETag string }
	b.json("PUT", "/console/api/uploads/part?bucket=photos&key=big.bin&part=1&uploadId="+up.UploadID, []byte(part1), 200, &p1)
	b.json("PUT", "/console/api/uploads/part?bucket=photos&key=big.bin&part=2&uploadId="+up.UploadID, []byte(part2), 200, &p2)
	b.json("POST", "/console/api/uploads/complete?bucket=photos&key=big.bin&uploadId="+up.UploadID,
		map[string]any{"parts": []map[string]any{{"part": 1, "etag": p1.ETag}, {"part": 2, "etag": p2.ETag}}}, 200, nil)
	if code, body := b.do("GET", "/console/api/download?bucket=photos&key=big.bin", nil); code != 200 || string(body) != part1+part2 {
		t.Fatalf("multipart object reads back %d, %d bytes", code, len(body))
	}

	var p posture
	b.json("GET", "/console/api/posture?bucket=photos", nil, 200, &p)
	if p.Objects != 6 || len(p.Groups) != 1 || p.Groups[0].Type != "SSE-S3" {
		t.Fatalf("posture before %+v", p)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
		code string
	}{
		{"no role", map[string]any{"bucket": "photos", "kmsKeyArn": k}, 400, "InvalidArgument"},
		{"key not an ARN", map[string]any{"bucket": "photos", "kmsKeyArn": "alias/x", "roleArn": role}, 400, "InvalidArgument"},
		{"no bucket", map[string]any{"bucket": "nope", "kmsKeyArn": k, "roleArn": role}, 404, "NoSuchBucket"},
	} {
		if code, body := b.do("POST", "/console/api/rekey", tc.body); code != tc.want || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, body, tc.want, tc.code)
		}
	}
	var dry struct {
		JobID    string
		Expected int64
	}
	b.json("POST", "/console/api/rekey", map[string]any{"bucket": "photos", "kmsKeyArn": k, "bucketKey": true, "roleArn": role,
		"reportBucket": "reports", "dryRun": true}, 200, &dry)
	j := waitJob(t, b, dry.JobID, "Complete", "Failed", "Cancelled")
	if j.Status != "Complete" || !j.DryRun || j.Succeeded != 6 || j.ReportKey == "" {
		t.Fatalf("dry run %+v", j)
	}
	b.json("GET", "/console/api/posture?bucket=photos", nil, 200, &p)
	if p.Groups[0].Type != "SSE-S3" || p.Groups[0].Objects != 6 {
		t.Fatalf("a dry run changed the posture: %+v", p)
	}
	var real struct{ JobID string }
	b.json("POST", "/console/api/rekey", map[string]any{"bucket": "photos", "kmsKeyArn": k, "bucketKey": true, "roleArn": role,
		"reportBucket": "reports"}, 200, &real)
	waitJob(t, b, real.JobID, "Suspended")
	b.json("POST", "/console/api/jobs/"+real.JobID+"/status", map[string]string{"status": "Ready"}, 200, nil)
	j = waitJob(t, b, real.JobID, "Complete", "Failed", "Cancelled")
	if j.Status != "Complete" || j.Succeeded != 6 || j.Failed != 0 {
		t.Fatalf("re-key job %+v", j)
	}
	if code, body := b.do("GET", "/console/api/download?bucket="+j.ReportBucket+"&key="+j.ReportKey, nil); code != 200 || !strings.Contains(string(body), "Report_CSV_20180820") {
		t.Errorf("completion report: %d %s", code, body)
	}
	b.json("GET", "/console/api/posture?bucket=photos", nil, 200, &p)
	if len(p.Groups) != 1 || p.Groups[0].Type != "SSE-KMS" || p.Groups[0].KMSKeyARN != k || !p.Groups[0].BucketKey || p.Groups[0].Objects != 6 {
		t.Fatalf("posture after the re-key %+v", p)
	}
	// Nothing is left to re-key.
	if code, body := b.do("POST", "/console/api/rekey", map[string]any{"bucket": "photos", "kmsKeyArn": k, "bucketKey": true, "roleArn": role}); code != 409 {
		t.Errorf("re-key of a re-keyed bucket: %d %s", code, body)
	}
	var list struct{ Jobs []job }
	b.json("GET", "/console/api/jobs", nil, 200, &list)
	if len(list.Jobs) != 2 {
		t.Errorf("jobs %+v", list.Jobs)
	}
}
