package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/server"
)

// Lost or damaged data is an error (invariant 8): a GET, ranged GET,
// CopyObject or UploadPartCopy of an object whose blob is gone or fails
// authentication answers 500 InternalError, never NoSuchKey and never wrong
// bytes, and each failure is logged at ERROR and counted.

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if os.Getenv("KURA_TEST_LOG") != "" {
		os.Stderr.Write(p)
	}
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged runs a server with metrics whose log the test can read.
func startLogged(t *testing.T, dir string, adjust func(*server.Config)) (*testServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	ts := startWith(t, dir, func(c *server.Config) {
		c.MetricsListen = "127.0.0.1:0"
		c.AllowInsecureSSEC = true
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if adjust != nil {
			adjust(c)
		}
	})
	return ts, logs
}

// noRetry makes a client report each failure once instead of retrying 500s,
// so the metric counts exactly the requests the test made.
func noRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

// metric returns the value of one sample of the server's metrics.
func (ts *testServer) metric(t *testing.T, sample string) int64 {
	t.Helper()
	// In cluster mode the figure is the cluster's: the sum of every
	// node's (a node that served none of it may lack the sample).
	var sum int64
	found := false
	for _, s := range ts.nodes {
		if n, ok := nodeMetric(t, s, sample); ok {
			sum += n
			found = true
		}
	}
	if !found {
		t.Fatalf("no metric %s", sample)
	}
	return sum
}

// nodeMetric is sample's value on one node's /metrics, and whether it is
// there.
func nodeMetric(t *testing.T, s *server.Server, sample string) (int64, bool) {
	t.Helper()
	resp, err := http.Get(s.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			// The text format writes large values as floats (1e+06).
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s = %q", sample, v)
			}
			return int64(n), true
		}
	}
	return 0, false
}

// version returns the current version record of bucket/key.
func (ts *testServer) version(t *testing.T, bucket, key string) *kura.ObjectVersion {
	t.Helper()
	v, err := ts.Objects.Head(ctx(t), bucket, key, "")
	if err != nil {
		t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return v
}

// blobFile is the file holding blob id in the server's data dir.
func (ts *testServer) blobFile(t *testing.T, id string) string {
	t.Helper()
	bs, err := blobfs.Open(blobDir(t, ts.dir))
	if err != nil {
		t.Fatal(err)
	}
	p, err := bs.Path(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("blob file of %s: %v", id, err)
	}
	return p
}

// multipartObject uploads a two-part object (5 MiB + 1 MiB) and returns
// its data.
func multipartObject(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	data, parts, id := uploadParts(t, c, bucket, key, "", 5*mib, mib)
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	return data
}

// readFails reads bucket/key (with rng, when not empty) and fails the test
// unless the read answers 500 InternalError or its body is cut short; it
// never accepts a complete body, right or wrong. It reports whether the
// failure was a 500 (true) or an aborted body (false).
func readFails(t *testing.T, c *s3.Client, bucket, key, rng string) (status500 bool) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := c.GetObject(ctx(t), in)
	if err != nil {
		wantStatus(t, err, "InternalError", http.StatusInternalServerError)
		return true
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err == nil {
		t.Fatalf("GET %s/%s %s: a complete body of %d bytes from damaged data", bucket, key, rng, len(got))
	}
	return false
}

// wantLogged fails unless the log has an ERROR line with every attribute.
func wantLogged(t *testing.T, logs *logBuffer, attrs ...string) {
	t.Helper()
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "level=ERROR") {
			continue
		}
		all := true
		for _, a := range attrs {
			all = all && strings.Contains(line, a)
		}
		if all {
			return
		}
	}
	t.Fatalf("no ERROR line with %q in the log:\n%s", attrs, logs)
}

func TestIntegrityMissingBlob(t *testing.T) {
	t.Parallel()
	ts, logs := startLogged(t, t.TempDir(), nil)
	c := ts.client(noRetry)
	cx := ctx(t)
	mustBucket(t, c, "integ")
	put(t, c, "integ", "single", randBytes(300<<10))
	multi := multipartObject(t, c, "integ", "multi")
	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("integ"), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}

	vs, vm := ts.version(t, "integ", "single"), ts.version(t, "integ", "multi")
	if err := os.Remove(ts.blobFile(t, vs.BlobID)); err != nil {
		t.Fatal(err)
	}
	// The second part only: a range within the first part still reads.
	if err := os.Remove(ts.blobFile(t, vm.Parts[1].BlobID)); err != nil {
		t.Fatal(err)
	}

	failures := 0
	for _, tc := range []struct{ key, rng string }{
		{"single", ""}, {"single", "bytes=1000-2000"}, {"single", "bytes=-10"},
		{"multi", ""}, {"multi", "bytes=5242000-5243000"}, {"multi", fmt.Sprintf("bytes=%d-", 5*mib+7)},
	} {
		if !readFails(t, c, "integ", tc.key, tc.rng) {
			t.Fatalf("GET %s %s: aborted body, want a 500 before the response", tc.key, tc.rng)
		}
		failures++
	}
	if got := get(t, c, "integ", "multi", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=0-99") }); !bytes.Equal(got, multi[:100]) {
		t.Fatal("range within the intact first part reads back wrong")
	}
	for _, src := range []string{"integ/single", "integ/multi"} {
		_, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("integ"), Key: aws.String("copy"), CopySource: aws.String(src)})
		wantStatus(t, err, "InternalError", http.StatusInternalServerError)
		_, err = c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("integ"), Key: aws.String("dst"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String(src)})
		wantStatus(t, err, "InternalError", http.StatusInternalServerError)
		_, err = c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("integ"), Key: aws.String("dst"), UploadId: up.UploadId,
			PartNumber: aws.Int32(2), CopySource: aws.String(src), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 300<<10-100, 300<<10-1))})
		if src == "integ/multi" {
			// Bytes of the intact first part copy fine.
			if err != nil {
				t.Fatalf("UploadPartCopy of a range in the intact part: %v", err)
			}
		} else {
			wantStatus(t, err, "InternalError", http.StatusInternalServerError)
			failures++
		}
		failures += 2
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("integ"), Key: aws.String("copy")}); apiCode(err) != "NotFound" && httpStatus(err) != http.StatusNotFound {
		t.Fatalf("a failed copy left an object behind: %v", err)
	}
	if got := ts.metric(t, `kura_integrity_errors_total{kind="missing"}`); got != int64(failures) {
		t.Fatalf("missing-blob metric = %d, want %d", got, failures)
	}
	if got := ts.metric(t, `kura_integrity_errors_total{kind="damaged"}`); got != 0 {
		t.Fatalf("damaged-blob metric = %d, want 0", got)
	}
	wantLogged(t, logs, "kind=missing", "bucket=integ", "key=single", "version="+vs.VersionID, "blob="+vs.BlobID)
	wantLogged(t, logs, "kind=missing", "key=multi", "blob="+vm.Parts[1].BlobID, "part=2")
}

// Flipping one byte of a blob: a 500 when the damage is in the first
// chunks of the range, an aborted body after that, never wrong bytes; a
// range clear of the damage still reads. SSE-C keys never reach the log.
func TestIntegrityDamagedBlob(t *testing.T) {
	t.Parallel()
	ts, logs := startLogged(t, t.TempDir(), nil)
	c := ts.client(noRetry)
	cx := ctx(t)
	mustBucket(t, c, "integ")
	const size = 600 << 10 // 10 chunks: 4 per prefetched batch
	data := randBytes(size)
	put(t, c, "integ", "early", data)
	put(t, c, "integ", "late", data)
	key, keyMD5 := sseCKey(7)
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("integ"), Key: aws.String("ssec"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(keyMD5)}); err != nil {
		t.Fatal(err)
	}
	const header, sealed = 38, 64<<10 + 16 // docs/formats.md: blob header, sealed chunk
	flip := func(objKey string, chunk int) {
		t.Helper()
		f, err := os.OpenFile(ts.blobFile(t, ts.version(t, "integ", objKey).BlobID), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := make([]byte, 1)
		off := int64(header + chunk*sealed + 100)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x20
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	flip("early", 0)
	flip("late", 8)
	flip("ssec", 1)

	if !readFails(t, c, "integ", "early", "") {
		t.Fatal("damage in the first chunk: aborted body, want a 500")
	}
	readFails(t, c, "integ", "late", "") // 200, then an aborted body
	if !readFails(t, c, "integ", "late", "bytes=524300-524400") {
		t.Fatal("range starting in the damaged chunk: aborted body, want a 500")
	}
	if got := get(t, c, "integ", "late", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=0-65535") }); !bytes.Equal(got, data[:65536]) {
		t.Fatal("intact range of a damaged blob reads back wrong")
	}
	_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("integ"), Key: aws.String("ssec"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(keyMD5)})
	wantStatus(t, err, "InternalError", http.StatusInternalServerError)
	// A copy reads its whole source before answering, so late damage is a
	// 500 too.
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("integ"), Key: aws.String("copy"), CopySource: aws.String("integ/late")})
	wantStatus(t, err, "InternalError", http.StatusInternalServerError)

	if got := ts.metric(t, `kura_integrity_errors_total{kind="damaged"}`); got != 5 {
		t.Fatalf("damaged-blob metric = %d, want 5", got)
	}
	wantLogged(t, logs, "kind=damaged", "key=late", "blob="+ts.version(t, "integ", "late").BlobID)
	wantLogged(t, logs, "kind=damaged", "key=ssec")
	raw := logs.String()
	for _, secret := range []string{key, keyMD5} {
		if strings.Contains(raw, secret) {
			t.Fatalf("the log holds SSE-C key material %q", secret)
		}
	}
	if regexp.MustCompile(`(?i)[0-9a-f]{64}`).MatchString(raw) {
		t.Fatalf("the log holds something shaped like a key:\n%s", raw)
	}
}
