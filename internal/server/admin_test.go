package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

// adminGet returns the status and body of GET url.
func adminGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func startAdmin(t *testing.T) *testServer {
	t.Helper()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	if ts.AdminURL() == "" {
		t.Fatal("AdminListen 127.0.0.1:0 left the admin listener off")
	}
	return ts
}

// The admin listener answers liveness and readiness once the server
// serves, and its /metrics counts S3 calls and carries the Go runtime and
// process collectors.
func TestAdminHealthAndMetrics(t *testing.T) {
	t.Parallel()
	ts := startAdmin(t)
	for _, tc := range []struct{ path, want string }{
		{"/health/live", "live"},
		{"/health/ready", "ready"},
	} {
		code, body := adminGet(t, ts.AdminURL()+tc.path)
		if code != http.StatusOK || strings.TrimSpace(body) != tc.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.path, code, body, tc.want)
		}
	}
	mustBucket(t, ts.client(), "watched")
	if got := ts.metric(t, `kura_operations_total{code="200",operation="CreateBucket",service="s3"}`); got != 1 {
		t.Errorf("CreateBucket counted %d times, want 1", got)
	}
	_, body := adminGet(t, ts.MetricsURL())
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_start_time_seconds", "kura_connections_open"} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// The S3 namespace stays the S3 namespace: /metrics on the S3
	// listener is a bucket named "metrics", which does not exist.
	resp, err := http.Get(ts.URL() + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the S3 listener answered /health/ready; health belongs on the admin listener only")
	}
}

// Once Shutdown begins, readiness answers 503 while the requests in flight
// drain (so a load balancer stops sending), liveness still answers 200,
// and the admin listener closes when Shutdown is done.
func TestAdminReadyFailsDuringShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	mustBucket(t, ts.client(), "drain")
	// To node 0 (in cluster mode too): the process the test shuts down.
	// Larger than the inline threshold, so the upload has a temporary blob.
	pw, result := stalledUpload(t, ts.Server.URL(), "drain", "slow", 256<<10)
	waitFor(t, "the upload's temporary file", func() bool { return len(tempFiles(t, dir)) > 0 })
	shut := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shut <- ts.Shutdown(sctx)
	}()
	var body string
	waitFor(t, "readiness to fail", func() bool {
		var code int
		code, body = adminGet(t, ts.AdminURL()+"/health/ready")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "shutting down") {
		t.Errorf("readiness during shutdown said %q; want it to say it is shutting down", body)
	}
	if code, _ := adminGet(t, ts.AdminURL()+"/health/live"); code != http.StatusOK {
		t.Errorf("liveness during the drain = %d, want 200", code)
	}
	go pw.Write(make([]byte, 128<<10)) // the upload completes; the drain ends
	if err := <-result; err == nil || !strings.Contains(err.Error(), "200 OK") {
		t.Fatalf("upload during the drain: %v; want 200 OK", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := http.Get(ts.AdminURL() + "/health/live"); err == nil {
		t.Error("the admin listener still answers after Shutdown")
	}
}

// The admin listener is off unless asked for (tests and embedders never
// bind 8421 by surprise), "off" turns it off, and the deprecated
// MetricsListen still starts it.
func TestAdminListenConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		adjust func(*server.Config)
		on     bool
	}{
		{"default", nil, false},
		{"off", func(c *server.Config) { c.AdminListen = "off" }, false},
		{"metrics-listen alias", func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" }, true},
		{"admin-listen", func(c *server.Config) { c.AdminListen = "127.0.0.1:0" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startWith(t, t.TempDir(), tc.adjust)
			if on := ts.AdminURL() != ""; on != tc.on {
				t.Fatalf("admin listener on = %v, want %v", on, tc.on)
			}
			if tc.on {
				if code, _ := adminGet(t, ts.MetricsURL()); code != http.StatusOK {
					t.Errorf("GET /metrics = %d", code)
				}
			}
		})
	}
}

// A taken address is a clear start error, not a silent lack of metrics.
func TestAdminListenBusy(t *testing.T) {
	t.Parallel()
	ts := startAdmin(t)
	addr := strings.TrimPrefix(ts.AdminURL(), "http://")
	s, err := server.Open(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminListen: addr,
		RootAccessKey: testAK, RootSecretKey: testSK, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	err = s.Start()
	if err == nil || !strings.Contains(err.Error(), "admin listener") {
		t.Fatalf("Start on a taken admin address = %v; want an admin listener error", err)
	}
}

// Damage met in the metadata file while serving makes readiness fail (and
// say what to do), while liveness still answers: the node leaves the
// rotation rather than restart in a loop.
func TestAdminReadyFailsOnMetaDamage(t *testing.T) {
	t.Parallel()
	skipUnlessEmbeddedMeta(t, "the test damages pages of meta.db, bbolt's file")
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1 })
	manyObjects(t, ts.client(), "meta")
	ts.stop(t) // clean: the next start does not check
	corruptMetaPage(t, dir, damagedKey)

	ts = startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1; c.AdminListen = "127.0.0.1:0" })
	if code, body := adminGet(t, ts.AdminURL()+"/health/ready"); code != http.StatusOK {
		t.Fatalf("readiness before the damage is met = %d %q, want 200", code, body)
	}
	_, err := ts.client(noRetry).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String(strings.Repeat("k", 200) + "-030")})
	wantStatus(t, err, "InternalError", http.StatusInternalServerError)
	code, body := adminGet(t, ts.AdminURL()+"/health/ready")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "kura fsck") {
		t.Errorf("readiness after damage was met = %d %q, want 503 naming kura fsck", code, body)
	}
	if code, _ := adminGet(t, ts.AdminURL()+"/health/live"); code != http.StatusOK {
		t.Errorf("liveness after damage was met = %d, want 200", code)
	}
}
