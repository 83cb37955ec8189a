package netlimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// readResult is what a handler saw reading its body.
type readResult struct {
	err    error
	ctxErr error // the context's state right after the read failed
	// ended: with waitCtx, whether the context ended while the handler
	// still ran (waiting at most 10 s for it).
	ended bool
}

// guardedServer serves a handler that reads the whole body, under g; with
// waitCtx it then waits for its context to end.
func guardedServer(t *testing.T, g *BodyGuard, waitCtx bool) (addr string, results chan readResult) {
	results = make(chan readResult, 1)
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		res := readResult{err: err, ctxErr: r.Context().Err()}
		if waitCtx {
			select {
			case <-r.Context().Done():
				res.ended = true
			case <-time.After(10 * time.Second):
			}
		}
		results <- res
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	})))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), results
}

func sendHead(t *testing.T, addr, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

func result(t *testing.T, ch chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the handler did not report within 20 s")
		return readResult{}
	}
}

// A stalled body fails with RequestTimeout, and the handler's context is
// still live: the handler answers a timeout, not a client that went away.
func TestGuardStalledBody(t *testing.T) {
	g := NewBodyGuard(Limits{BodyTimeout: 200 * time.Millisecond, BodyMinRate: 1000})
	addr, results := guardedServer(t, g, false)
	c := sendHead(t, addr, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
	r := result(t, results)
	if !s3err.Is(r.err, s3err.RequestTimeout) {
		t.Fatalf("read error = %v, want RequestTimeout", r.err)
	}
	if r.ctxErr != nil {
		t.Fatalf("context ended with the timeout: %v", r.ctxErr)
	}
	if g.Timeouts() != 1 {
		t.Fatalf("timeouts = %d", g.Timeouts())
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || !resp.Close {
		t.Fatalf("answer %d, close %v", resp.StatusCode, resp.Close)
	}
}

// A client that goes away mid-body still ends the handler's context.
func TestGuardClientGone(t *testing.T) {
	g := NewBodyGuard(Limits{BodyTimeout: time.Minute, BodyMinRate: 1})
	addr, results := guardedServer(t, g, true)
	c := sendHead(t, addr, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
	c.Close()
	r := result(t, results)
	if r.err == nil || s3err.Is(r.err, s3err.RequestTimeout) {
		t.Fatalf("read error = %v, want the connection's", r.err)
	}
	if !r.ended {
		t.Fatal("the handler's context outlived the client")
	}
	if g.Timeouts() != 0 {
		t.Fatalf("timeouts = %d", g.Timeouts())
	}
}
