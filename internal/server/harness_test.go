package server_test

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
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

const (
	testAK = "AKIAKURATEST00000001"
	testSK = "kura-test-secret-key-0000000000000000000"
)

// testServer is a Kura server on a loopback port with its data dir.
type testServer struct {
	*server.Server
	dir string
}

// start runs a server on a fresh data dir (or dir, when given) and stops it
// when the test ends.
func start(t testing.TB, dir ...string) *testServer {
	t.Helper()
	d := t.TempDir()
	if len(dir) > 0 {
		d = dir[0]
	}
	return startWith(t, d, nil)
}

// startWith runs a server on dir with cfg adjusted by adjust.
func startWith(t testing.TB, d string, adjust func(*server.Config)) *testServer {
	t.Helper()
	cfg := server.Config{
		DataDir: d, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		Logger: testLogger(),
	}
	if os.Getenv("KURA_TEST_META") == "postgres" {
		// The whole server suite on PostgreSQL metadata: a schema per
		// data dir, so a restart on the same dir finds its store.
		cfg.Meta = postgresMeta(t, d)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, dir: d}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

func (ts *testServer) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts.Shutdown(ctx)
}

// client returns an SDK v2 client for the server; opts adjust it.
func (ts *testServer) client(opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ts.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:   &http.Client{Timeout: 2 * time.Minute},
	}, opts...)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustBucket(t testing.TB, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// testLogger discards server logs unless KURA_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("KURA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
