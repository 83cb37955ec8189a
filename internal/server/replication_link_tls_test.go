package server_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/server"
)

// The link is TLS by default, with each member's certificate pinned
// through the link secret: the listener does not speak plain HTTP, and a
// machine in between that terminates TLS with a certificate of its own
// (as an attacker without the members' keys must) is refused before
// anything is sent to it.
func TestReplicationLinkedTLSPinned(t *testing.T) {
	secret := link.NewSecret()
	tokyo := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-1"
		c.Link = server.LinkConfig{Deployment: "tokyo", Listen: "127.0.0.1:0", Secret: secret, SyncInterval: 200 * time.Millisecond}
	})
	if !strings.HasPrefix(tokyo.LinkURL(), "https://") {
		t.Fatalf("tokyo's link URL %s, want https://", tokyo.LinkURL())
	}
	resp, err := http.Get("http://" + tokyo.LinkListenAddr() + "/link/v1/peers")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || strings.Contains(string(b), "tokyo") {
			t.Fatalf("plain HTTP to the link listener: %d %s, want the TLS server's 400", resp.StatusCode, b)
		}
	}

	// osaka is reached through a TLS-terminating machine in between.
	var target atomic.Value
	target.Store("")
	mitm := httptest.NewTLSServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			u, _ := url.Parse("https://" + target.Load().(string))
			r.SetURL(u)
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	})
	defer mitm.Close()
	osaka := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-3"
		c.Link = server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Advertise: mitm.URL, Secret: secret,
			Join: tokyo.LinkURL(), SyncInterval: 200 * time.Millisecond}
	})
	target.Store(osaka.LinkListenAddr())
	mustBucket(t, regionClient(osaka, "ap-northeast-3"), "dst")
	_, err = tokyo.Link.RemoteVersioning(ctx(t), "dst")
	if err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("tokyo to osaka through a TLS-terminating proxy: %v, want the pinned-certificate refusal", err)
	}
	// Without the proxy, the same lookup works over the pinned TLS link.
	if _, err := osaka.Link.RemoteVersioning(ctx(t), "nothing-here"); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("osaka asking tokyo's registry over TLS: %v, want NoSuchBucket", err)
	}
}
