package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/server"
)

// apiCode returns the S3 error code of err, or "" if it is not an API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
}

// errMessage returns the S3 error message of an SDK error.
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// httpStatus returns the HTTP status of an SDK error, or 0 if it has none.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantHTTP fails unless err is a response error with the HTTP status (HEAD
// answers carry no error code).
func wantHTTP(t *testing.T, err error, status int) {
	t.Helper()
	if got := httpStatus(err); got == 0 || got != status {
		t.Fatalf("want HTTP %d, got %v", status, err)
	}
}

// wantStatus fails unless err is an API error with code and HTTP status.
func wantStatus(t *testing.T, err error, code string, status int) {
	t.Helper()
	wantCode(t, err, code)
	wantHTTP(t, err, status)
}

// wantErr checks that err is the S3 error code with HTTP status, and that
// its message contains msg.
func wantErr(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	wantStatus(t, err, code, status)
	var ae smithy.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("want %d %s %q, got %v", status, code, msg, err)
	}
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)

	for _, bad := range []string{"ab", "UPPER", "-dash", "a..b", "192.168.1.1", "xn--abc", "with_underscore"} {
		_, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String(bad)})
		wantCode(t, err, "InvalidBucketName")
	}
	mustBucket(t, c, "alpha")
	mustBucket(t, c, "beta.with.dots")
	put(t, c, "alpha", "kept", []byte("still here"))
	// us-east-1's legacy rule: re-creating your own bucket answers 200 and
	// leaves it as it was.
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatalf("re-creating an own bucket in us-east-1: %v", err)
	}
	if got := get(t, c, "alpha", "kept"); string(got) != "still here" {
		t.Fatalf("re-creating the bucket changed its objects: %q", got)
	}
	var err error

	_, err = c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("gamma"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	wantCode(t, err, "InvalidLocationConstraint")

	if _, err := c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadBucket(cx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("HeadBucket on missing bucket: %v", err)
	}

	lb, err := c.ListBuckets(cx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 2 || *lb.Buckets[0].Name != "alpha" || *lb.Buckets[1].Name != "beta.with.dots" {
		t.Fatalf("ListBuckets = %+v", lb.Buckets)
	}
	if lb.Owner == nil || aws.ToString(lb.Owner.ID) == "" {
		t.Fatal("ListBuckets has no owner")
	}

	loc, err := c.GetBucketLocation(cx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation = %v, %v", loc, err)
	}

	// Versioning: never set, Enabled, Suspended, invalid.
	gv, err := c.GetBucketVersioning(cx, &s3.GetBucketVersioningInput{Bucket: aws.String("alpha")})
	if err != nil || gv.Status != "" {
		t.Fatalf("initial versioning = %v, %v", gv.Status, err)
	}
	for _, st := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("alpha"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: st}}); err != nil {
			t.Fatal(err)
		}
		gv, err := c.GetBucketVersioning(cx, &s3.GetBucketVersioningInput{Bucket: aws.String("alpha")})
		if err != nil || gv.Status != st {
			t.Fatalf("versioning = %v, %v; want %v", gv.Status, err, st)
		}
	}
	_, err = c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("alpha"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: "Sometimes"}})
	wantCode(t, err, "IllegalVersioningConfigurationException")

	// Bucket tagging.
	_, err = c.GetBucketTagging(cx, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := c.PutBucketTagging(cx, &s3.PutBucketTaggingInput{Bucket: aws.String("alpha"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}}}); err != nil {
		t.Fatal(err)
	}
	gt, err := c.GetBucketTagging(cx, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	if err != nil || len(gt.TagSet) != 1 || *gt.TagSet[0].Value != "storage" {
		t.Fatalf("GetBucketTagging = %+v, %v", gt, err)
	}
	if _, err := c.DeleteBucketTagging(cx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(cx, &s3.GetBucketTaggingInput{Bucket: aws.String("alpha")})
	wantCode(t, err, "NoSuchTagSet")

	// Object lock flag at creation turns versioning on.
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	gv, err = c.GetBucketVersioning(cx, &s3.GetBucketVersioningInput{Bucket: aws.String("locked")})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("object-lock bucket versioning = %v, %v", gv.Status, err)
	}
	_, err = c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("locked"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantCode(t, err, "InvalidBucketState")

	// Delete: not empty, then empty, then gone.
	put(t, c, "beta.with.dots", "k", []byte("x"))
	_, err = c.DeleteBucket(cx, &s3.DeleteBucketInput{Bucket: aws.String("beta.with.dots")})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("beta.with.dots"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(cx, &s3.DeleteBucketInput{Bucket: aws.String("beta.with.dots")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(cx, &s3.DeleteBucketInput{Bucket: aws.String("beta.with.dots")})
	wantCode(t, err, "NoSuchBucket")
}

func TestVirtualHostAddressing(t *testing.T) {
	t.Parallel()
	ts := start(t)
	path := ts.client()
	mustBucket(t, path, "vhost")
	// The SDK sends Host: vhost.localhost:PORT; the dialer sends every
	// connection to the server, as wildcard DNS for *.localhost would.
	addr := strings.TrimPrefix(ts.URL(), "http://")
	vh := ts.client(func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://localhost:" + portOf(ts.URL()))
		o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	})
	put(t, vh, "vhost", "dir/file.txt", []byte("hello"))
	if got := get(t, path, "vhost", "dir/file.txt"); string(got) != "hello" {
		t.Fatalf("path-style read of virtual-host write = %q", got)
	}
}

// Outside us-east-1, re-creating a bucket you own is BucketAlreadyOwnedByYou.
func TestBucketRecreateOutsideUSEast1(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Region = "eu-west-1" })
	c := ts.client(func(o *s3.Options) { o.Region = "eu-west-1" })
	in := &s3.CreateBucketInput{Bucket: aws.String("delta"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}
	if _, err := c.CreateBucket(ctx(t), in); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBucket(ctx(t), in)
	wantCode(t, err, "BucketAlreadyOwnedByYou")
}
