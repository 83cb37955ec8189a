package server_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestNoPlaintextAtRest writes known random payloads (single PUT, multipart,
// copies, a small object) and then reads every file under the data dir: no
// 32-byte window of any payload may appear anywhere.
func TestNoPlaintextAtRest(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "secret")
	var payloads [][]byte
	for i, n := range []int{40, 100_000, 3 * mib} {
		p := randBytes(n)
		payloads = append(payloads, p)
		put(t, c, "secret", "obj"+itoa(i), p)
	}
	data, parts, id := uploadParts(t, c, "secret", "mpu", types.ChecksumAlgorithmCrc32, 5*mib, 1000)
	payloads = append(payloads, data)
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("secret"), Key: aws.String("mpu"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("secret"), Key: aws.String("copy"), CopySource: aws.String("secret/obj1")}); err != nil {
		t.Fatal(err)
	}
	// Stop the server so every file is flushed and closed before scanning.
	ts.stop(t)

	files := 0
	err := filepath.WalkDir(ts.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, p := range payloads {
			for off := 0; off+32 <= len(p); off += 4096 {
				if bytes.Contains(b, p[off:off+32]) {
					t.Errorf("plaintext of a payload found in %s", path)
					return nil
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("scanned only %d files; the layout changed?", files)
	}
}

// TestRestart writes objects, stops the server, starts a new one on the
// same data dir and reads everything back.
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := start(t, dir)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "durable")
	c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("durable"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	want := map[string][]byte{}
	for i := 0; i < 20; i++ {
		k := "k" + itoa(i)
		want[k] = randBytes(1000 * i)
		put(t, c, "durable", k, want[k])
	}
	data, parts, id := uploadParts(t, c, "durable", "mpu", "", 5*mib, 10)
	want["mpu"] = data
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("durable"), Key: aws.String("mpu"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	ts.stop(t)

	ts2 := start(t, dir)
	c2 := ts2.client()
	for k, v := range want {
		if got := get(t, c2, "durable", k); !bytes.Equal(got, v) {
			t.Fatalf("%s differs after restart", k)
		}
	}
	gv, err := c2.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("durable")})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning after restart = %v, %v", gv.Status, err)
	}
}
