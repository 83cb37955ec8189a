package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}

// atLeast returns the messages logged at level or above.
func (l *logRecorder) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.Level >= level {
			out = append(out, r.Level.String()+" "+r.Message)
		}
	}
	return out
}

func (l *logRecorder) has(level slog.Level, msg string) bool {
	for _, m := range l.atLeast(level) {
		if strings.HasSuffix(m, " "+msg) {
			return true
		}
	}
	return false
}

// findEvent polls the audit trail for the event match selects.
func findEvent(t *testing.T, ts *testServer, match func(audit.Event) bool) audit.Event {
	t.Helper()
	var found audit.Event
	waitAudit(t, ts, func(ev audit.Event) bool {
		if match(ev) {
			found = ev
			return true
		}
		return false
	})
	return found
}

func keyIs(ev audit.Event, name, key string) bool {
	k, _ := ev.RequestParameters["key"].(string)
	return ev.EventName == name && k == key
}

// A client that hangs up is not a server fault: no ERROR (nor WARN) in the
// log, no InternalError in the trail, and the event says what happened.
// A real fault is still an InternalError logged at ERROR.
func TestClientHangup(t *testing.T) {
	t.Parallel()
	logs := &logRecorder{}
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.Logger = slog.New(logs) })
	c := ts.client()
	mustBucket(t, c, "hangup")
	const size = 32 << 20 // well past what socket buffers hold
	data := make([]byte, size)
	rand.Read(data)
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("hangup"), Key: aws.String("big"),
		Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}

	t.Run("GET cut mid-stream", func(t *testing.T) {
		gctx, cancel := context.WithCancel(ctx(t))
		out, err := c.GetObject(gctx, &s3.GetObjectInput{Bucket: aws.String("hangup"), Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(out.Body, make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
		cancel()
		out.Body.Close()

		ev := findEvent(t, ts, func(ev audit.Event) bool { return keyIs(ev, "GetObject", "big") })
		if ev.ErrorCode != "" || ev.AdditionalEventData["clientDisconnected"] != true {
			t.Errorf("event of a GET the client cut: %s", ev.Line())
		}
		if n, _ := ev.AdditionalEventData["bytesTransferredOut"].(float64); n < 1<<20 || n >= size {
			t.Errorf("bytesTransferredOut = %v, want what was sent before the hang-up", n)
		}
		if !logs.has(slog.LevelInfo, "client went away during the response") {
			t.Errorf("hang-up not logged at Info; logged: %q", logs.atLeast(slog.LevelInfo))
		}
		if bad := logs.atLeast(slog.LevelWarn); len(bad) > 0 {
			t.Errorf("a client hang-up was logged as a problem: %q", bad)
		}
	})

	t.Run("PUT cut mid-body", func(t *testing.T) {
		req, err := http.NewRequest("PUT", ts.URL()+"/hangup/cut", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 1 << 20
		req.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(ctx(t), testCreds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		// Half the body, then the connection closes: Write reports the
		// short body after sending it.
		req.Body = io.NopCloser(bytes.NewReader(data[:512<<10]))
		req.Write(conn)
		conn.Close()

		ev := findEvent(t, ts, func(ev audit.Event) bool { return keyIs(ev, "PutObject", "cut") })
		if ev.ErrorCode != "IncompleteBody" || ev.AdditionalEventData["clientDisconnected"] != true {
			t.Errorf("event of a PUT whose client hung up: %s", ev.Line())
		}
		if !logs.has(slog.LevelInfo, "client went away") {
			t.Errorf("hang-up not logged at Info; logged: %q", logs.atLeast(slog.LevelInfo))
		}
		if bad := logs.atLeast(slog.LevelWarn); len(bad) > 0 {
			t.Errorf("a client hang-up was logged as a problem: %q", bad)
		}
		if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("hangup"), Key: aws.String("cut")}); err == nil {
			t.Error("the cut PUT stored an object")
		}
	})

	t.Run("damaged blob is still a fault", func(t *testing.T) {
		damageBlobs(t, dir)
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("hangup"), Key: aws.String("big")})
		if err == nil {
			io.Copy(io.Discard, out.Body) // cut short by the server
			out.Body.Close()
		}
		ev := findEvent(t, ts, func(ev audit.Event) bool { return keyIs(ev, "GetObject", "big") && ev.ErrorCode != "" })
		if ev.ErrorCode != "InternalError" || ev.AdditionalEventData["clientDisconnected"] != nil {
			t.Errorf("event of a GET of a damaged object: %s", ev.Line())
		}
		if len(logs.atLeast(slog.LevelError)) == 0 {
			t.Error("a damaged object was not logged at ERROR")
		}
	})
}

// damageBlobs flips a byte in the middle of every blob under dir.
func damageBlobs(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.Walk(blobDir(t, dir), func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || fi.Size() < 1<<20 {
			return err
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		b := make([]byte, 1)
		off := fi.Size() / 2
		if _, err := f.ReadAt(b, off); err != nil {
			return err
		}
		b[0] ^= 0xff
		_, err = f.WriteAt(b, off)
		n++
		return err
	})
	if err != nil || n == 0 {
		t.Fatalf("damage blobs: %d damaged, %v", n, err)
	}
}
