package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// stalledUpload starts a PutObject of size bytes that sends half of them and
// then waits: an upload in flight. The returned channel yields the
// request's result once it ends; close the writer to end it from the
// client's side.
func stalledUpload(t *testing.T, url, bucket, key string, size int) (*io.PipeWriter, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, url+"/"+bucket+"/"+key, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(size)
	req.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("upload answered %s", resp.Status)
		}
		result <- err
	}()
	go pw.Write(make([]byte, size/2)) // blocks on the pipe until the server reads it all
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	return pw, result
}

// tempFiles lists the blob store's temporary files under dataDir.
func tempFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(blobDir(t, dataDir), "tmp", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An upload still running when the drain ends is cancelled: its temporary
// file is gone once Shutdown returns, the stores are closed cleanly (the
// data directory opens again) and no partial object exists.
func TestShutdownCancelsStalledUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := start(t, dir)
	mustBucket(t, ts.client(), "drain")
	// To node 0 (in cluster mode too): the process the test shuts down.
	pw, result := stalledUpload(t, ts.Server.URL(), "drain", "partial", 1<<20)
	waitFor(t, "the upload's temporary file", func() bool { return len(tempFiles(t, dir)) > 0 })

	sctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := ts.Shutdown(sctx)
	if err == nil || !strings.Contains(err.Error(), "1 in-flight requests were cancelled") {
		t.Fatalf("Shutdown = %v; want it to report the cancelled upload", err)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Fatalf("temporary files left after Shutdown: %v", left)
	}
	// Go's client waits for its body reader before it reports the closed
	// connection; a real client's body does not block forever.
	pw.CloseWithError(errors.New("client gives up"))
	if err := <-result; err == nil || strings.Contains(err.Error(), "200 OK") {
		t.Fatalf("the cancelled upload: %v; want it to fail", err)
	}

	ts.stop(t) // the other nodes, in cluster mode
	again := start(t, dir)
	_, err = again.client().HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("drain"), Key: aws.String("partial")})
	wantHTTP(t, err, http.StatusNotFound)
}

// A request that finishes within the drain is answered normally.
func TestShutdownDrainsFinishingRequests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := start(t, dir)
	mustBucket(t, ts.client(), "drain")
	// To node 0 (in cluster mode too): the process the test shuts down.
	// Larger than the inline threshold, so the upload has a temporary blob.
	pw, result := stalledUpload(t, ts.Server.URL(), "drain", "whole", 256<<10)
	waitFor(t, "the upload's temporary file", func() bool { return len(tempFiles(t, dir)) > 0 })
	shut := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shut <- ts.Shutdown(sctx)
	}()
	// The rest of the body arrives while Shutdown drains.
	go pw.Write(make([]byte, 128<<10))
	if err := <-result; err == nil || !strings.Contains(err.Error(), "200 OK") {
		t.Fatalf("upload during the drain: %v; want 200 OK", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown after a complete drain: %v", err)
	}
	ts.stop(t) // the other nodes, in cluster mode
	again := start(t, dir)
	out, err := again.client().HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("drain"), Key: aws.String("whole")})
	if err != nil || aws.ToInt64(out.ContentLength) != 256<<10 {
		t.Fatalf("object uploaded during the drain: %v, %v", out, err)
	}
}

// `kura server` says on the first SIGINT that it drains and for how long,
// and a second SIGINT stops it at once, long before the drain would end,
// leaving no partial upload behind.
func TestSecondInterruptExitsPromptly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary")
	}
	bin := buildKura(t)
	dir := filepath.Join(t.TempDir(), "data")
	logPath := filepath.Join(filepath.Dir(dir), "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// On the stores startWith would use, where tempFiles looks.
	cmd := exec.Command(bin, append([]string{"server", "--data", dir, "--listen", "127.0.0.1:0", "--shutdown-timeout", "10m"}, storeFlags(t, dir)...)...)
	cmd.Env = append(os.Environ(), "KURA_ROOT_ACCESS_KEY="+testAK, "KURA_ROOT_SECRET_KEY="+testSK, "KURA_ROOT_KEY=")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				url <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		}
	})
	var u string
	select {
	case u = <-url:
	case err := <-exited:
		t.Fatalf("kura exited before serving: %v\n%s", err, readFile(logPath))
	case <-time.After(30 * time.Second):
		t.Fatalf("kura did not start:\n%s", readFile(logPath))
	}
	p := &kuraProc{url: u}
	mustBucket(t, p.s3Client(), "drain")
	stalledUpload(t, u, "drain", "partial", 1<<20)
	waitFor(t, "the upload's temporary file", func() bool { return len(tempFiles(t, dir)) > 0 })

	cmd.Process.Signal(os.Interrupt)
	waitFor(t, "the drain message", func() bool {
		return strings.Contains(readFile(logPath), "draining in-flight requests for up to 10m0s")
	})
	select {
	case err := <-exited:
		t.Fatalf("kura exited on the first SIGINT with an upload in flight (%v); want it to drain", err)
	default:
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("kura still running 30s after the second SIGINT:\n%s", readFile(logPath))
	}
	log := readFile(logPath)
	if !strings.Contains(log, "stopping at once") {
		t.Errorf("no word of the forced stop in the log:\n%s", log)
	}
	if strings.Contains(log, "exiting now") {
		t.Errorf("the forced stop needed the hard exit:\n%s", log)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Fatalf("temporary files left after the forced stop: %v\n%s", left, log)
	}
}
