package server_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/server"
)

// wantRedirect checks err is S3's PermanentRedirect to a deployment in
// region.
func wantRedirect(t *testing.T, err error, what, region string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "PermanentRedirect" {
		t.Fatalf("%s: %v, want PermanentRedirect", what, err)
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%s: no HTTP response in %v", what, err)
	}
	if re.HTTPStatusCode() != 301 || re.Response.Header.Get("x-amz-bucket-region") != region {
		t.Fatalf("%s: HTTP %d, x-amz-bucket-region %q; want 301, %s", what, re.HTTPStatusCode(), re.Response.Header.Get("x-amz-bucket-region"), region)
	}
}

// redirectBody fetches bucket anonymously at ts and returns the status
// and body: S3 answers PermanentRedirect before it checks the caller.
func redirectBody(t *testing.T, ts *testServer, bucket string) (int, string) {
	t.Helper()
	resp, err := http.Get(ts.URL() + "/" + bucket + "?list-type=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Bucket names across a partition: a bucket tokyo had before it was
// linked is registered at start (osaka cannot make it, and a request for
// it at osaka is redirected to tokyo); a bucket deleted at tokyo releases
// its name, osaka makes it, and tokyo then redirects to osaka.
func TestReplicationLinkedBucketNames(t *testing.T) {
	dir := t.TempDir()
	before := startWith(t, dir, func(c *server.Config) { c.Region = "ap-northeast-1" })
	bc := regionClient(before, "ap-northeast-1")
	mustBucket(t, bc, "made-before-linking")
	before.stop(t)

	secret := link.NewSecret()
	tokyo := startWith(t, dir, func(c *server.Config) {
		c.Region = "ap-northeast-1"
		c.Link = server.LinkConfig{Deployment: "tokyo", Listen: "127.0.0.1:0", Secret: secret, SyncInterval: 200 * time.Millisecond}
	})
	osaka := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-3"
		c.Link = server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Secret: secret, Join: tokyo.LinkURL(), SyncInterval: 200 * time.Millisecond}
	})
	tc, oc := regionClient(tokyo, "ap-northeast-1"), regionClient(osaka, "ap-northeast-3")

	_, err := oc.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("made-before-linking")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "BucketAlreadyExists" {
		t.Fatalf("osaka CreateBucket of tokyo's pre-link bucket: %v, want BucketAlreadyExists", err)
	}
	_, err = oc.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("made-before-linking")})
	wantRedirect(t, err, "osaka ListObjectsV2 of tokyo's bucket", "ap-northeast-1")
	_, err = oc.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("made-before-linking")})
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 301 || re.Response.Header.Get("x-amz-bucket-region") != "ap-northeast-1" {
		t.Fatalf("osaka HeadBucket of tokyo's bucket: %v, want 301 with x-amz-bucket-region ap-northeast-1", err)
	}
	u, _ := url.Parse(tokyo.URL())
	if st, body := redirectBody(t, osaka, "made-before-linking"); st != 301 ||
		!strings.Contains(body, "<Endpoint>"+u.Host+"</Endpoint>") || !strings.Contains(body, "<Bucket>made-before-linking</Bucket>") {
		t.Fatalf("anonymous GET at osaka: %d %s, want 301 naming Endpoint %s and the Bucket", st, body, u.Host)
	}
	// A name no deployment has stays NoSuchBucket.
	_, err = oc.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("nobody-has-it")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Fatalf("ListObjectsV2 of a bucket nowhere: %v, want NoSuchBucket", err)
	}

	// DeleteBucket releases the name: osaka makes it, tokyo redirects.
	mustBucket(t, tc, "moves")
	if _, err := tc.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String("moves")}); err != nil {
		t.Fatal(err)
	}
	mustBucket(t, oc, "moves")
	if _, err := tc.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("moves")}); !errors.As(err, &ae) || ae.ErrorCode() != "BucketAlreadyExists" {
		t.Fatalf("tokyo CreateBucket of osaka's bucket: %v, want BucketAlreadyExists", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// osaka tells the primary its S3 endpoint once it listens.
		_, err = tc.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("moves")})
		if errors.As(err, &re) && re.HTTPStatusCode() == 301 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokyo ListObjectsV2 of osaka's bucket: %v, want PermanentRedirect", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantRedirect(t, err, "tokyo ListObjectsV2 of osaka's bucket", "ap-northeast-3")
}
