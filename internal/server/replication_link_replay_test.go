package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/server"
)

// A link request recorded on the wire and sent again is refused, also
// after the receiver restarts. The pair runs with --link-plaintext so a
// recording proxy can sit between them (with TLS it could not: the
// certificates are pinned), as someone on the wire could before TLS.
func TestReplicationLinkedReplayRefused(t *testing.T) {
	secret := link.NewSecret()
	dir := t.TempDir()
	cfg := func(listen string) func(c *server.Config) {
		return func(c *server.Config) {
			c.Region = "ap-northeast-1"
			c.Link = server.LinkConfig{Deployment: "tokyo", Listen: listen, Secret: secret, Plaintext: true}
		}
	}
	tokyo := startWith(t, dir, cfg("127.0.0.1:0"))
	addr := tokyo.LinkListenAddr()
	var mu sync.Mutex
	var recorded []*http.Request
	var bodies [][]byte
	target, _ := url.Parse(tokyo.LinkURL())
	rp := httputil.NewSingleHostReverseProxy(target)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		recorded, bodies = append(recorded, r.Clone(r.Context())), append(bodies, b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		rp.ServeHTTP(w, r)
	}))
	defer rec.Close()
	osaka := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-3"
		c.Link = server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Secret: secret, Join: rec.URL, Plaintext: true}
	})
	mustBucket(t, regionClient(osaka, "ap-northeast-3"), "osakas")
	replay := func() (int, string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for i := len(recorded) - 1; i >= 0; i-- {
			r := recorded[i]
			if r.URL.Path != "/link/v1/buckets/reserve" {
				continue
			}
			req, _ := http.NewRequest(r.Method, "http://"+addr+r.URL.RequestURI(), bytes.NewReader(bodies[i]))
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		t.Fatal("no reservation was recorded")
		return 0, ""
	}
	if st, body := replay(); st != 403 || !strings.Contains(body, "replay") {
		t.Fatalf("replayed reservation: %d %s, want 403 naming a replay", st, body)
	}
	tokyo.stop(t)
	tokyo = startWith(t, dir, cfg(addr))
	if st, body := replay(); st != 403 || !strings.Contains(body, "replay") {
		t.Fatalf("replayed after tokyo restarted: %d %s, want 403 naming a replay", st, body)
	}
	// Requests signed afresh still work after the restart.
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Tokyo's registry answers, signed: no such bucket.
		_, err := osaka.Link.RemoteVersioning(ctx(t), "nobody-has-it")
		if err != nil && strings.Contains(err.Error(), "NoSuchBucket") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("osaka asking tokyo's registry after the restart: %v, want NoSuchBucket", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
