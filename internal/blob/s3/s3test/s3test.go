// Package s3test runs another Kura in-process as an S3-compatible store
// for the tests of the s3 blob backend and of a Kura that uses it: the
// issue names "another Kura" among the backing stores, and it needs no
// external service.
package s3test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

// Credentials of the backing Kura's root user.
const (
	AccessKey = "BACKINGKURAACCESSKEY"
	SecretKey = "backing-kura-secret-key-0123456789abcdef"
)

// Backing is a running Kura serving as a blob store's backing store.
type Backing struct {
	*server.Server
	t testing.TB
}

// Start runs a Kura on a temporary directory until the test ends.
func Start(t testing.TB) *Backing {
	t.Helper()
	cfg := server.Config{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", RootAccessKey: AccessKey, RootSecretKey: SecretKey,
		Logger: logger(), OrphanSweepInterval: -1,
	}
	s, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	b := &Backing{Server: s, t: t}
	t.Cleanup(b.Stop)
	return b
}

// Stop shuts the backing Kura down (again: a no-op).
func (b *Backing) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.Shutdown(ctx)
}

// Client returns an SDK client for the backing Kura as its root user.
// opts adjust it.
func (b *Backing) Client(opts ...func(*awss3.Options)) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(b.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		HTTPClient:   &http.Client{Timeout: 2 * time.Minute},
	}, opts...)
}

// Bucket creates bucket name on the backing Kura.
func (b *Backing) Bucket(name string) {
	b.t.Helper()
	if _, err := b.Client().CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		b.t.Fatalf("backing Kura: create bucket %s: %v", name, err)
	}
}

// logger discards the backing server's logs unless KURA_TEST_LOG is set.
func logger() *slog.Logger {
	if os.Getenv("KURA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("server", "backing")
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
