package server_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

// ERROR means a server fault an operator must look at (docs/operations.md,
// "Log levels"). A 501 NotImplemented answers a client that asked for
// something Kura does not do: it is logged at Debug, never at ERROR.
func TestNotImplementedIsNotAFault(t *testing.T) {
	t.Parallel()
	logs := &logRecorder{}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Logger = slog.New(logs) })
	c := ts.client()
	mustBucket(t, c, "unimplemented")
	etag := aws.ToString(put(t, c, "unimplemented", "k", []byte("v1")).ETag)
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("unimplemented"), Key: aws.String("k"),
		Body: strings.NewReader("v2"), IfNoneMatch: aws.String(etag)})
	if apiCode(err) != "NotImplemented" {
		t.Fatalf("PutObject If-None-Match: <etag> = %v, want NotImplemented", err)
	}
	if !logs.has(slog.LevelDebug, "request asks for what Kura does not implement") {
		t.Errorf("not logged at Debug; logged: %q", logs.atLeast(slog.LevelDebug))
	}
	if bad := logs.atLeast(slog.LevelWarn); len(bad) > 0 {
		t.Errorf("a client's unimplemented request logged as %q", bad)
	}
}
