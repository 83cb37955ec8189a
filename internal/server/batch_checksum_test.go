package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// TestBatchCompositeChecksumWire: an S3ComputeObjectChecksum job with
// ChecksumType COMPOSITE gives, for multipart objects uploaded through
// aws-sdk-go-v2 with a checksum algorithm, exactly the "-N" checksum the
// upload's CompleteMultipartUpload answered (the SDK computed each part's
// checksum; S3's composite rule combines them); a single-part object's is
// its whole-object checksum, reported as FULL_OBJECT.
func TestBatchCompositeChecksumWire(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "ck-bucket")
	parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), bytes.Repeat([]byte("b"), 5<<20), []byte("the last, short part")}
	upload := func(key string, alg s3types.ChecksumAlgorithm) *s3.CompleteMultipartUploadOutput {
		t.Helper()
		mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("ck-bucket"), Key: aws.String(key),
			ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		var done []s3types.CompletedPart
		for i, p := range parts {
			n := aws.Int32(int32(i + 1))
			out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("ck-bucket"), Key: aws.String(key), UploadId: mp.UploadId,
				PartNumber: n, Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			done = append(done, s3types.CompletedPart{PartNumber: n, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
				ChecksumSHA256: out.ChecksumSHA256, ChecksumSHA1: out.ChecksumSHA1, ChecksumCRC32C: out.ChecksumCRC32C})
		}
		out, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("ck-bucket"), Key: aws.String(key),
			UploadId: mp.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	sha := upload("multi-sha256", s3types.ChecksumAlgorithmSha256)
	crc := upload("multi-crc32", s3types.ChecksumAlgorithmCrc32)
	if !strings.HasSuffix(aws.ToString(sha.ChecksumSHA256), "-3") || !strings.HasSuffix(aws.ToString(crc.ChecksumCRC32), "-3") {
		t.Fatalf("CompleteMultipartUpload checksums %q %q, want composite -3 forms", aws.ToString(sha.ChecksumSHA256), aws.ToString(crc.ChecksumCRC32))
	}
	// S3's composite rule, computed here from the parts themselves.
	var cat []byte
	for _, p := range parts {
		sum := sha256.Sum256(p)
		cat = append(cat, sum[:]...)
	}
	if want := fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(sha256Sum(cat)), len(parts)); aws.ToString(sha.ChecksumSHA256) != want {
		t.Fatalf("CompleteMultipartUpload SHA256 %s, S3's composite rule gives %s", aws.ToString(sha.ChecksumSHA256), want)
	}
	single, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("ck-bucket"), Key: aws.String("single"),
		Body: strings.NewReader("one part"), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":"*"}]}`
	role := batchRole(t, ts, "batch-checksum", "batchoperations.s3.amazonaws.com", policy)
	cc := ts.controlClient(testAK, testSK)
	job := func(token string, alg types.ComputeObjectChecksumAlgorithm, keys ...string) map[string]map[string]string {
		t.Helper()
		var m strings.Builder
		for _, k := range keys {
			m.WriteString("ck-bucket," + k + "\n")
		}
		put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("ck-bucket"), Key: aws.String("m-" + token), Body: strings.NewReader(m.String())})
		if err != nil {
			t.Fatal(err)
		}
		out, err := cc.CreateJob(ctx(t), &s3control.CreateJobInput{AccountId: aws.String(ts.Root.AccountID), ConfirmationRequired: aws.Bool(false),
			ClientRequestToken: aws.String(token), Priority: aws.Int32(1), RoleArn: aws.String(role),
			Operation: &types.JobOperation{S3ComputeObjectChecksum: &types.S3ComputeObjectChecksumOperation{
				ChecksumAlgorithm: alg, ChecksumType: types.ComputeObjectChecksumTypeComposite}},
			Manifest: &types.JobManifest{Spec: &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820,
				Fields: []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey}},
				Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::ck-bucket/m-" + token), ETag: put.ETag}},
			Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::ck-bucket"), Prefix: aws.String("r"),
				Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeAllTasks}})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			d, err := cc.DescribeJob(ctx(t), &s3control.DescribeJobInput{AccountId: aws.String(ts.Root.AccountID), JobId: out.JobId})
			if err != nil {
				t.Fatal(err)
			}
			if d.Job.Status == types.JobStatusComplete {
				if aws.ToInt64(d.Job.ProgressSummary.NumberOfTasksSucceeded) != int64(len(keys)) {
					t.Fatalf("job %+v", d.Job.ProgressSummary)
				}
				break
			}
			if d.Job.Status == types.JobStatusFailed || time.Now().After(deadline) {
				t.Fatalf("job %s", d.Job.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var idx struct{ Results []struct{ Key string } }
		if err := json.Unmarshal([]byte(getBody(t, c, "ck-bucket", "r/job-"+aws.ToString(out.JobId)+"/manifest.json")), &idx); err != nil {
			t.Fatal(err)
		}
		res := map[string]map[string]string{}
		for _, r := range idx.Results {
			rows, err := csv.NewReader(strings.NewReader(getBody(t, c, "ck-bucket", r.Key))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				var msg map[string]string
				if err := json.Unmarshal([]byte(row[6]), &msg); err != nil {
					t.Fatalf("row %q: %v", row, err)
				}
				res[row[1]] = msg
			}
		}
		return res
	}
	got := job("ck-sha", types.ComputeObjectChecksumAlgorithmSha256, "multi-sha256", "single")
	if m := got["multi-sha256"]; m["checksum_base64"] != aws.ToString(sha.ChecksumSHA256) || m["checksumType"] != "COMPOSITE" || m["checksumAlgorithm"] != "SHA256" {
		t.Errorf("SHA256 composite %v, want %s", m, aws.ToString(sha.ChecksumSHA256))
	}
	if m := got["single"]; m["checksum_base64"] != aws.ToString(single.ChecksumSHA256) || m["checksumType"] != "FULL_OBJECT" {
		t.Errorf("single-part object %v, want %s FULL_OBJECT", m, aws.ToString(single.ChecksumSHA256))
	}
	got = job("ck-crc", types.ComputeObjectChecksumAlgorithmCrc32, "multi-crc32", "multi-sha256")
	if m := got["multi-crc32"]; m["checksum_base64"] != aws.ToString(crc.ChecksumCRC32) || m["checksumType"] != "COMPOSITE" {
		t.Errorf("CRC32 composite %v, want %s", m, aws.ToString(crc.ChecksumCRC32))
	}
	// Another algorithm than the upload's: computed from the part
	// boundaries all the same (the CRC32 composite of the SHA256 upload
	// equals that of the CRC32 upload of the same parts).
	if m := got["multi-sha256"]; m["checksum_base64"] != aws.ToString(crc.ChecksumCRC32) {
		t.Errorf("CRC32 composite of the SHA256 upload %v, want %s", m, aws.ToString(crc.ChecksumCRC32))
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
