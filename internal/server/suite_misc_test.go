package server_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSuiteMiscVersionIDOnWrites: a write answers x-amz-version-id only when
// it made a real version. Writes to an unversioned or a versioning-Suspended
// bucket store the "null" version and leave the header out, as S3 does;
// ListObjectVersions still names that version "null".
func TestSuiteMiscVersionIDOnWrites(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	setVersioning := func(bucket string, s types.BucketVersioningStatus) {
		t.Helper()
		if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: s}}); err != nil {
			t.Fatal(err)
		}
	}
	// writes runs PutObject, CopyObject and a multipart upload against
	// bucket and returns the version id each answered (nil: no header).
	writes := func(bucket string) map[string]*string {
		t.Helper()
		got := map[string]*string{}
		got["PutObject"] = put(t, c, bucket, "put", []byte("data")).VersionId
		cp, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
			CopySource: aws.String(bucket + "/put")})
		if err != nil {
			t.Fatal(err)
		}
		got["CopyObject"] = cp.VersionId
		cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu")})
		if err != nil {
			t.Fatal(err)
		}
		up, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mpu"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
		if err != nil {
			t.Fatal(err)
		}
		done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
			UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1)}}}})
		if err != nil {
			t.Fatal(err)
		}
		got["CompleteMultipartUpload"] = done.VersionId
		return got
	}

	mustBucket(t, c, "plain")
	for op, v := range writes("plain") {
		if v != nil {
			t.Errorf("unversioned %s answered x-amz-version-id %q, want none", op, *v)
		}
	}

	mustBucket(t, c, "susp")
	setVersioning("susp", types.BucketVersioningStatusEnabled)
	setVersioning("susp", types.BucketVersioningStatusSuspended)
	for op, v := range writes("susp") {
		if v != nil {
			t.Errorf("suspended %s answered x-amz-version-id %q, want none", op, *v)
		}
	}
	lv, err := c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("susp")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.Versions) != 3 {
		t.Fatalf("suspended bucket lists %d versions, want 3", len(lv.Versions))
	}
	for _, v := range lv.Versions {
		if aws.ToString(v.VersionId) != "null" {
			t.Errorf("suspended write %s listed as version %q, want \"null\"", aws.ToString(v.Key), aws.ToString(v.VersionId))
		}
	}

	mustBucket(t, c, "ver")
	setVersioning("ver", types.BucketVersioningStatusEnabled)
	for op, v := range writes("ver") {
		if v == nil || *v == "" || *v == "null" {
			t.Errorf("versioned %s answered version id %v, want a real one", op, v)
		}
	}
}

// TestSuiteMiscExpectContinue: a client that sends "Expect: 100-continue"
// waits for the server before sending its body. A request Kura refuses must
// get its final answer at once instead of a server that waits for a body
// that never comes; one Kura accepts gets "100 Continue" and then stores
// the body.
func TestSuiteMiscExpectContinue(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "cont")
	host := strings.TrimPrefix(ts.URL(), "http://")

	for _, tc := range []struct{ name, path, status string }{
		{"anonymous write to a private bucket", "/cont/obj", "403"},
		{"missing bucket", "/nobucket/obj", "404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", host, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write([]byte("PUT " + tc.path + " HTTP/1.1\r\nHost: " + host +
				"\r\nContent-Length: 123\r\nExpect: 100-continue\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				t.Fatalf("no answer before the body was sent: %v", err)
			}
			if f := strings.Fields(line); len(f) < 2 || f[1] != tc.status {
				t.Fatalf("status line %q, want %s", strings.TrimSpace(line), tc.status)
			}
		})
	}

	t.Run("accepted write", func(t *testing.T) {
		body := []byte("sent after 100 Continue")
		req, err := http.NewRequest(http.MethodPut, ts.URL()+"/cont/accepted", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Expect", "100-continue")
		h := sha256hex(body)
		req.Header.Set("x-amz-content-sha256", h)
		if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, h, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		// A long ExpectContinueTimeout: the body goes only once the server
		// has said 100 Continue.
		hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}, Timeout: 30 * time.Second}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT with Expect: 100-continue = %d", resp.StatusCode)
		}
		if got := get(t, c, "cont", "accepted"); !bytes.Equal(got, body) {
			t.Fatalf("stored %q, want %q", got, body)
		}
	})
}

// TestSuiteMiscReadNamesNullVersion: reads name the null version
// (x-amz-version-id: null) in a bucket that has had versioning, and when
// asked for it by id; in a bucket that never had versioning they name none.
func TestSuiteMiscReadNamesNullVersion(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	for _, b := range []string{"never-versioned", "suspended"} {
		mustBucket(t, c, b)
	}
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("suspended"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		bucket, versionID, want string
	}{
		{"never-versioned", "", ""},
		{"never-versioned", "null", "null"},
		{"suspended", "", "null"},
		{"suspended", "null", "null"},
	} {
		if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
		var vid *string
		if tc.versionID != "" {
			vid = aws.String(tc.versionID)
		}
		h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String("k"), VersionId: vid})
		if err != nil {
			t.Fatal(err)
		}
		g, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String("k"), VersionId: vid})
		if err != nil {
			t.Fatal(err)
		}
		g.Body.Close()
		if got := aws.ToString(h.VersionId); got != tc.want || aws.ToString(g.VersionId) != tc.want {
			t.Errorf("%s versionId=%q: HEAD %q GET %q, want %q", tc.bucket, tc.versionID, got, aws.ToString(g.VersionId), tc.want)
		}
	}
}
