package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/netlimit"
	"github.com/kurastore/kura/internal/server"
)

// Issue 11, item 2: nobody without credentials can take the server
// offline, neither by holding connections nor by sending a body slowly.
// These tests talk raw HTTP/1.1 over TCP where the test must see exactly
// when the server answers and when it closes the connection.

// withLimits starts a server with l and metrics on.
func withLimits(t *testing.T, l netlimit.Limits) *testServer {
	return startWith(t, t.TempDir(), func(c *server.Config) {
		c.Limits = l
		c.MetricsListen = "127.0.0.1:0"
	})
}

// dialFrom opens a TCP connection to ts from the loopback address local
// (Linux routes all of 127/8 to lo, so each is a distinct client).
func dialFrom(t *testing.T, ts *testServer, local string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", strings.TrimPrefix(ts.URL(), "http://"))
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// clientFrom is an SDK client whose connections come from local.
func clientFrom(ts *testServer, local string) *s3.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}).DialContext
	return ts.client(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second} })
}

// closedByServer reports whether the server has closed c: a read returns
// EOF or a reset before deadline. Data the server still sends (the rest of
// a response) is skipped.
func closedByServer(c net.Conn, within time.Duration) error {
	c.SetReadDeadline(time.Now().Add(within))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ne) && ne.Timeout():
			return fmt.Errorf("connection still open after %v", within)
		default:
			return nil // EOF or reset: closed
		}
	}
}

func TestPerClientConnectionCap(t *testing.T) {
	t.Parallel()
	skipInCluster(t, "the connection caps are each process's, and behind the TCP balancer a node sees the balancer's address, not the client's")
	const capN = 4
	ts := withLimits(t, netlimit.Limits{MaxConnectionsPerClient: capN})
	c := ts.client()
	mustBucket(t, c, "caps")
	put(t, c, "caps", "k", []byte("still served"))

	// capN idle connections from 127.0.0.3 take its whole share...
	held := make([]net.Conn, capN)
	for i := range held {
		held[i] = dialFrom(t, ts, "127.0.0.3")
	}
	waitFor(t, "the idle connections are accepted", func() bool {
		return ts.metric(t, "kura_connections_open") >= capN
	})
	// ...so the next one from there is closed at once, before it sends
	// anything,
	extra := dialFrom(t, ts, "127.0.0.3")
	if err := closedByServer(extra, 10*time.Second); err != nil {
		t.Fatalf("connection over the per-client cap: %v", err)
	}
	if n := ts.metric(t, `kura_connections_refused_total{cap="per_client"}`); n != 1 {
		t.Fatalf("refused per client = %d, want 1", n)
	}
	// while another address still gets a signed GET through.
	got, err := clientFrom(ts, "127.0.0.2").GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("caps"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("GET from another client while one is at its cap: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "still served" {
		t.Fatalf("GET = %q", body)
	}
	// The held connections are still open, and closing one frees a slot.
	for i, h := range held {
		if err := closedByServer(h, 50*time.Millisecond); err == nil {
			t.Fatalf("held connection %d was closed", i)
		}
	}
	before := ts.metric(t, "kura_connections_open") // also the SDK clients' kept-alive ones
	held[0].Close()
	waitFor(t, "a closed connection frees its slot", func() bool {
		return ts.metric(t, "kura_connections_open") == before-1
	})
	again := dialFrom(t, ts, "127.0.0.3")
	fmt.Fprintf(again, "GET /caps/k HTTP/1.1\r\nHost: x\r\n\r\n")
	again.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(again), nil)
	if err != nil {
		t.Fatalf("after a slot was freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden { // anonymous, but served
		t.Fatalf("anonymous GET = %d", resp.StatusCode)
	}
}

func TestTotalConnectionCap(t *testing.T) {
	t.Parallel()
	skipInCluster(t, "the connection caps are each process's, and behind the TCP balancer a node sees the balancer's address, not the client's")
	ts := withLimits(t, netlimit.Limits{MaxConnections: 3, MaxConnectionsPerClient: -1})
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		dialFrom(t, ts, ip)
	}
	waitFor(t, "three connections are accepted", func() bool {
		return ts.metric(t, "kura_connections_open") == 3
	})
	if err := closedByServer(dialFrom(t, ts, "127.0.0.4"), 10*time.Second); err != nil {
		t.Fatalf("connection over the total cap: %v", err)
	}
	if n := ts.metric(t, `kura_connections_refused_total{cap="total"}`); n != 1 {
		t.Fatalf("refused for the total cap = %d, want 1", n)
	}
	if n := ts.metric(t, "kura_connections_max"); n != 3 {
		t.Fatalf("kura_connections_max = %d", n)
	}
}

// trickle sends a request head over c, then its body one byte per tick
// (chunked when size < 0: one chunk per byte, size bytes at most 1,000),
// until the body is complete, the connection fails or the test ends. It
// returns a counter of the body bytes sent.
func trickle(t *testing.T, c net.Conn, head string, size int, tick time.Duration) *atomic.Int64 {
	t.Helper()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		chunked, n := size < 0, size
		if chunked {
			n = 1000
		}
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for i := 0; i < n; i++ {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			b := "x"
			if chunked {
				b = "1\r\nx\r\n"
			}
			if _, err := io.WriteString(c, b); err != nil {
				return
			}
			sent.Add(1)
		}
		if chunked {
			io.WriteString(c, "0\r\n\r\n")
		}
	}()
	return &sent
}

// head renders a request line and headers.
func head(method, path string, h http.Header) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, path)
	h.Write(&b)
	b.WriteString("\r\n")
	return b.String()
}

// signedHead signs a PUT of size bytes (chunked when negative) with secret
// and renders its head. The payload hash is UNSIGNED-PAYLOAD unless
// payload gives one.
func signedHead(t *testing.T, ts *testServer, path string, size int, secret string, payload ...string) string {
	t.Helper()
	req, err := http.NewRequest("PUT", ts.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hash := "UNSIGNED-PAYLOAD"
	if len(payload) > 0 {
		hash = payload[0]
	}
	req.ContentLength = int64(size)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	h := req.Header.Clone()
	h.Set("Host", req.URL.Host)
	if size >= 0 {
		h.Set("Content-Length", strconv.Itoa(size))
	} else {
		h.Set("Transfer-Encoding", "chunked")
	}
	return head("PUT", req.URL.RequestURI(), h)
}

// readAnswer reads the response to a trickled request (bounded in time)
// and returns it with its body.
func readAnswer(t *testing.T, c net.Conn, br *bufio.Reader, within time.Duration) (*http.Response, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", within, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("response body: %v", err)
	}
	resp.Body.Close()
	return resp, string(b)
}

// A request whose headers fail authentication is answered before its body
// arrives, and its connection is closed rather than read to the end of a
// body that trickles in one byte every 50 ms (about 50 s for all of it).
func TestRefusedBeforeTheBody(t *testing.T) {
	t.Parallel()
	ts := withLimits(t, netlimit.Limits{})
	mustBucket(t, ts.client(), "refuse")
	host := http.Header{"Host": {"x"}}
	anon := func(h http.Header) http.Header {
		c := host.Clone()
		for k, v := range h {
			c[k] = v
		}
		return c
	}
	const tick = 50 * time.Millisecond
	cases := []struct {
		name   string
		head   func() string
		size   int
		status int
		code   string
	}{
		{"unsigned, Content-Length", func() string {
			return head("PUT", "/refuse/k", anon(http.Header{"Content-Length": {"1000"}}))
		}, 1000, 403, "AccessDenied"},
		{"unsigned, chunked", func() string {
			return head("PUT", "/refuse/k", anon(http.Header{"Transfer-Encoding": {"chunked"}}))
		}, -1, 403, "AccessDenied"},
		{"unsigned, 100-continue, body never sent", func() string {
			return head("PUT", "/refuse/k", anon(http.Header{"Content-Length": {"1000"}, "Expect": {"100-continue"}}))
		}, 0, 403, "AccessDenied"},
		{"SigV4, wrong secret", func() string {
			return signedHead(t, ts, "/refuse/k", 1000, "wrong-secret")
		}, 1000, 403, "SignatureDoesNotMatch"},
		{"SigV4, wrong secret, chunked", func() string {
			return signedHead(t, ts, "/refuse/k", -1, "wrong-secret")
		}, -1, 403, "SignatureDoesNotMatch"},
		{"SigV2, bad signature", func() string {
			return head("PUT", "/refuse/k", anon(http.Header{"Content-Length": {"1000"},
				"Date": {time.Now().UTC().Format(http.TimeFormat)}, "Authorization": {"AWS " + testAK + ":bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="}}))
		}, 1000, 403, "SignatureDoesNotMatch"},
		{"presigned, wrong signature", func() string {
			q := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAK + "%2F" + time.Now().UTC().Format("20060102") +
				"%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=" + time.Now().UTC().Format("20060102T150405Z") +
				"&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64)
			return head("PUT", "/refuse/k?"+q, anon(http.Header{"Content-Length": {"1000"}}))
		}, 1000, 403, "SignatureDoesNotMatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialFrom(t, ts, "127.0.0.1")
			sent := trickle(t, c, tc.head(), tc.size, tick)
			resp, body := readAnswer(t, c, bufio.NewReader(c), 10*time.Second)
			if n := sent.Load(); n >= 1000 {
				t.Fatalf("answered only after the whole body (%d bytes)", n)
			}
			if resp.StatusCode != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if !resp.Close {
				t.Errorf("response does not say Connection: close")
			}
			if err := closedByServer(c, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if n := sent.Load(); n >= 1000 {
				t.Fatalf("connection held until the whole body was sent (%d bytes)", n)
			}
		})
	}
}

// A signed body that arrives too slowly gets 400 RequestTimeout, its
// connection is closed, and nothing is stored.
func TestSlowBodyRequestTimeout(t *testing.T) {
	t.Parallel()
	ts := withLimits(t, netlimit.Limits{BodyTimeout: time.Second, BodyMinRate: 1024})
	c := ts.client()
	mustBucket(t, c, "slow")
	// The body is 1,000 bytes of "x", sent one byte per 100 ms.
	for i, payload := range []string{"UNSIGNED-PAYLOAD", sha256hex(bytes.Repeat([]byte("x"), 1000))} {
		key := fmt.Sprintf("trickle-%d", i)
		conn := dialFrom(t, ts, "127.0.0.1")
		sent := trickle(t, conn, signedHead(t, ts, "/slow/"+key, 1000, testSK, payload), 1000, 100*time.Millisecond)
		resp, body := readAnswer(t, conn, bufio.NewReader(conn), 20*time.Second)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>RequestTimeout</Code>") ||
			!strings.Contains(body, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.") {
			t.Fatalf("payload %s: got %d %s, want 400 RequestTimeout", payload, resp.StatusCode, body)
		}
		if n := sent.Load(); n >= 1000 {
			t.Fatalf("payload %s: timed out only after the whole body", payload)
		}
		if !resp.Close {
			t.Errorf("payload %s: RequestTimeout without Connection: close", payload)
		}
		if err := closedByServer(conn, 10*time.Second); err != nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
		_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("slow"), Key: aws.String(key)})
		wantHTTP(t, err, http.StatusNotFound)
	}
	if n := ts.metric(t, "kura_request_timeouts_total"); n != 2 {
		t.Fatalf("kura_request_timeouts_total = %d, want 2", n)
	}
}

// An upload slower than the body timeout but steadily above the minimum
// rate completes: the timeout bounds stalls, not uploads.
func TestSlowSteadyUploadCompletes(t *testing.T) {
	t.Parallel()
	ts := withLimits(t, netlimit.Limits{BodyTimeout: 2 * time.Second, BodyMinRate: 8 << 10})
	c := ts.client()
	mustBucket(t, c, "steady")
	const step, steps = 8 << 10, 40 // 80 KiB/s, ten times the minimum, for about 4 s
	data := bytes.Repeat([]byte("0123456789abcdef"), step*steps/16)
	conn := dialFrom(t, ts, "127.0.0.1")
	if _, err := io.WriteString(conn, signedHead(t, ts, "/steady/k", len(data), testSK)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go func() {
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for i := 0; i < steps; i++ {
			<-tk.C
			if _, err := conn.Write(data[i*step : (i+1)*step]); err != nil {
				return
			}
		}
	}()
	resp, body := readAnswer(t, conn, bufio.NewReader(conn), time.Minute)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("steady upload: %d %s", resp.StatusCode, body)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("upload took %v, not longer than the body timeout: the test proves nothing", d)
	}
	if got := get(t, c, "steady", "k"); !bytes.Equal(got, data) {
		t.Fatal("steady upload reads back wrong")
	}
}

// A large upload under the default limits works, over a connection that is
// then reused.
func TestLargeUploadUnderDefaults(t *testing.T) {
	t.Parallel()
	ts := withLimits(t, netlimit.Limits{})
	c := ts.client()
	mustBucket(t, c, "large")
	data := bytes.Repeat([]byte("kura"), 8<<20) // 32 MiB
	put(t, c, "large", "k", data)
	if got := get(t, c, "large", "k"); !bytes.Equal(got, data) {
		t.Fatal("large upload reads back wrong")
	}
	if n := ts.metric(t, "kura_request_timeouts_total"); n != 0 {
		t.Fatalf("kura_request_timeouts_total = %d", n)
	}
}
