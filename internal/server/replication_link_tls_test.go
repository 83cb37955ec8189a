package server_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsvc "github.com/aws/aws-sdk-go-v2/service/iam"

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

// A follower whose first contact with the primary goes through a
// TLS-terminating machine in between does not join: the primary's signed
// hello names a certificate other than the one the connection presented.
func TestReplicationLinkedTLSJoinThroughAMachineInBetween(t *testing.T) {
	secret := link.NewSecret()
	tokyo := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-1"
		c.Link = server.LinkConfig{Deployment: "tokyo", Listen: "127.0.0.1:0", Secret: secret}
	})
	mitm := httptest.NewTLSServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			u, _ := url.Parse(tokyo.LinkURL())
			r.SetURL(u)
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	})
	defer mitm.Close()
	_, err := server.Open(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		Logger: testLogger(), Region: "ap-northeast-3",
		Link: server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Secret: secret, Join: mitm.URL, JoinTimeout: 5 * time.Second}})
	if err == nil || !strings.Contains(err.Error(), "another certificate") {
		t.Fatalf("joining through a TLS-terminating proxy: %v, want the hello's certificate refusal", err)
	}
}

// The primary makes a new link certificate (its files deleted, restarted
// on the same address): the follower's sync fails on the old pin, learns
// the new one through a signed hello, and follows again.
func TestReplicationLinkedTLSPrimaryNewCertificate(t *testing.T) {
	secret := link.NewSecret()
	dir := t.TempDir()
	cfg := func(listen string) func(c *server.Config) {
		return func(c *server.Config) {
			c.Region = "ap-northeast-1"
			c.Link = server.LinkConfig{Deployment: "tokyo", Listen: listen, Secret: secret, SyncInterval: 100 * time.Millisecond}
		}
	}
	tokyo := startWith(t, dir, cfg("127.0.0.1:0"))
	addr := tokyo.LinkListenAddr()
	osaka := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region = "ap-northeast-3"
		c.Link = server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Secret: secret, Join: tokyo.LinkURL(), SyncInterval: 100 * time.Millisecond}
	})
	tokyo.stop(t)
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.Remove(filepath.Join(server.LinkDir(dir), f)); err != nil {
			t.Fatal(err)
		}
	}
	tokyo = startWith(t, dir, cfg(addr))
	ic := iamClient(tokyo)
	if _, err := ic.CreateUser(ctx(t), &iamsvc.CreateUserInput{UserName: aws.String("after-new-cert")}); err != nil {
		t.Fatal(err)
	}
	want, err := tokyo.IAM.Generation(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for osaka.Link.Applied() != want {
		if time.Now().After(deadline) {
			t.Fatalf("osaka did not follow tokyo after tokyo's new certificate (applied %.12s, want %.12s)", osaka.Link.Applied(), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func iamClient(ts *testServer) *iamsvc.Client {
	return iamsvc.New(iamsvc.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
}
