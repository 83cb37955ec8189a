package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/fsck"
	"github.com/kurastore/kura/internal/server"
)

// `kura fsck` prints a report (text or JSON), exits 1 on damage and 2 when
// it cannot check, and with --repair removes only old orphans.
func TestFsckCommand(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00001", "kura-cli-test-secret-00000000000000000000"
	dir := t.TempDir()
	srv, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: ak, RootSecretKey: sk,
		OrphanSweepInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		InlineMax: -1}) // the test loses a blob file: every object gets one
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	cx := context.Background()
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	if _, err := sc.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("cli")}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"keep", "lose"} {
		if _, err := sc.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("cli"), Key: aws.String(k), Body: strings.NewReader("hello " + k)}); err != nil {
			t.Fatal(err)
		}
	}
	lose, err := srv.Objects.Head(cx, "cli", "lose", "")
	if err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newFsckCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append([]string{"--data", dir}, args...))
		err := cmd.Execute()
		return out.String(), err
	}
	exitCode := func(err error) int {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			return 1
		}
		return 0
	}

	// A running server holds meta.db: fsck says so and cannot check.
	_, err = run()
	if exitCode(err) != fsckFailed || !strings.Contains(err.Error(), "Kura server running") {
		t.Fatalf("fsck beside a running server: exit %d, %v", exitCode(err), err)
	}
	ctx, cancel := context.WithTimeout(cx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	out, err := run()
	if exitCode(err) != 0 || !strings.Contains(out, "meta.db: consistent") || !strings.Contains(out, "Result: no damage found") {
		t.Fatalf("fsck of a healthy data dir: exit %d, %v\n%s", exitCode(err), err, out)
	}

	bs, err := blobfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := bs.Path(lose.BlobID)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Put(cx, "orphan", strings.NewReader("left by a crash")); err != nil {
		t.Fatal(err)
	}
	op, _ := bs.Path("orphan")
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(op, old, old)

	out, err = run("--json")
	if exitCode(err) != fsckDamage {
		t.Fatalf("fsck --json with a lost blob: exit %d, %v", exitCode(err), err)
	}
	var r fsck.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	if len(r.Damage) != 1 || r.Damage[0].Kind != "missing" || r.Damage[0].Key != "lose" || r.Damage[0].Blob != lose.BlobID {
		t.Fatalf("damage = %+v", r.Damage)
	}
	if len(r.Orphans) != 1 || r.Orphans[0].Blob != "orphan" || r.Orphans[0].Young || r.Orphans[0].Removed {
		t.Fatalf("orphans = %+v", r.Orphans)
	}

	out, err = run("--repair", "--grace", "3h")
	if exitCode(err) != fsckDamage || !strings.Contains(out, "(young: kept)") {
		t.Fatalf("--repair --grace 3h: exit %d, %v\n%s", exitCode(err), err, out)
	}
	if _, err := os.Stat(op); err != nil {
		t.Fatal("--repair removed an orphan younger than --grace")
	}
	out, err = run("--repair")
	if !strings.Contains(out, "removed 1") || !strings.Contains(out, "missing") || !strings.Contains(out, "Result: DAMAGE FOUND") {
		t.Fatalf("--repair output:\n%s", out)
	}
	if _, err := os.Stat(op); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("--repair left an old orphan")
	}
	keep, _ := bs.Path(mustHeadBlob(t, dir, "keep"))
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("--repair touched a referenced blob: %v", err)
	}
}

// mustHeadBlob returns the blob of bucket cli's key, from a fresh server
// on dir that is stopped again.
func mustHeadBlob(t *testing.T, dir, key string) string {
	t.Helper()
	srv, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: "AKIAKURACLITEST00001",
		RootSecretKey: "kura-cli-test-secret-00000000000000000000", OrphanSweepInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	v, err := srv.Objects.Head(context.Background(), "cli", key, "")
	if err != nil {
		t.Fatal(err)
	}
	return v.BlobID
}
