package netlimit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// BodyGuard wraps an http.Handler so that request bodies cannot hold a
// connection: a body must arrive at a minimum rate (a trickle gets S3's
// 400 RequestTimeout and the connection is closed), and once a response is
// written while the body is still unread (a 403 before the body, say) the
// connection is closed instead of read to the end of the body.
//
// Why net/http alone holds the connection: to reuse a keep-alive
// connection it reads up to 256 KiB of a body the handler left unread,
// both before it sends the response headers (chunkWriter.writeHeader) and
// when the handler returns (finishRequest closes the body, which drains
// it); s3api's ServeHTTP closes the body after an error for the same
// reason, which drains it the same way before the buffered answer is
// flushed. A client that sends a small declared body, or a chunked one,
// one byte every few seconds therefore kept its connection (and delayed
// the 403 before it) for as long as it liked. A response with
// "Connection: close" skips net/http's first drain, the guarded body's
// Close does not drain after an answer, and a read deadline bounds the
// drain when the handler returns.
//
// The rate is enforced with read deadlines on the connection
// (http.ResponseController.SetReadDeadline), set before every read of the
// body: a blocked read then fails by itself when the client is too slow,
// with no timer goroutine and without closing the connection under the
// handler's feet. The deadline is a budget of waiting time (bodyBudget)
// charged only while the server waits for the client, so a server busy
// with the previous bytes (a slow disk) is never blamed on the client.
type BodyGuard struct {
	timeout  time.Duration // budget cap; 0 or less: no deadlines
	minRate  int64         // bytes per second; 0 or less: only stalls count
	timeouts atomic.Uint64
}

// refusedLinger is how long net/http may keep reading the body of a
// request that was answered before its body was read, after the answer is
// sent: a client that has already sent a small body (the usual case) gets
// it absorbed and reads the response instead of a connection reset, and a
// trickle is cut off within it.
const refusedLinger = time.Second

// NewBodyGuard returns the guard for l's BodyTimeout and BodyMinRate, taken
// as they are (call Effective first for the defaults): a timeout of zero or
// less sets no deadlines, a rate of zero or less counts only stalls.
func NewBodyGuard(l Limits) *BodyGuard {
	return &BodyGuard{timeout: l.BodyTimeout, minRate: l.BodyMinRate}
}

// Timeouts counts request bodies cut off for being too slow.
func (g *BodyGuard) Timeouts() uint64 { return g.timeouts.Load() }

// Wrap returns next behind the guard.
func (g *BodyGuard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		parent := r.Context()
		ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
		b := &guardedBody{src: r.Body, g: g, rc: http.NewResponseController(w), budget: g.timeout, cancel: cancel}
		stop := context.AfterFunc(parent, func() { b.parentDone(context.Cause(parent)) })
		gw := &guardWriter{ResponseWriter: w, body: b, http1: r.ProtoMajor == 1}
		defer func() {
			gw.finish()
			stop()
			cancel(context.Canceled)
		}()
		// A shallow copy carries the guarded body: net/http keeps judging
		// the connection by the body it handed out.
		r = r.WithContext(ctx)
		r.Body = b
		next.ServeHTTP(gw, r)
	})
}

// guardedBody is a request body read under the guard.
//
// It also decides when the handler's context ends. net/http cancels the
// request's context on any failed read of the connection, including the
// one our own deadline fails; a handler would then see context.Canceled
// (a client that went away) instead of the RequestTimeout the read
// returned. So the handler gets a context detached from net/http's, and
// net/http's cancellation is passed on unless it came from a body read
// that hit the guard's deadline.
type guardedBody struct {
	src    io.ReadCloser
	g      *BodyGuard
	rc     *http.ResponseController
	budget time.Duration
	err    error       // sticky RequestTimeout
	eof    atomic.Bool // read to its end
	// answered: a final response was written with the body unread; the
	// rest of the body is net/http's to discard, under refusedLinger.
	answered atomic.Bool

	cancel   context.CancelCauseFunc // the handler's context
	mu       sync.Mutex
	reading  bool  // a read of src is under way
	pending  error // net/http's cancellation, held while reading
	timedOut bool
}

// parentDone runs when net/http cancels the request's context.
func (b *guardedBody) parentDone(cause error) {
	b.mu.Lock()
	if b.reading {
		b.pending = cause // the read's outcome decides
	}
	// After a timeout, this is our deadline as net/http saw it, or the
	// handler's end.
	pass := !b.reading && !b.timedOut
	b.mu.Unlock()
	if pass {
		b.cancel(cause)
	}
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	start := time.Now()
	if b.g.timeout > 0 {
		b.rc.SetReadDeadline(start.Add(b.budget))
	}
	b.mu.Lock()
	b.reading = true
	b.mu.Unlock()
	n, err := b.src.Read(p)
	timedOut := err != nil && b.g.timeout > 0 && errors.Is(err, os.ErrDeadlineExceeded)
	b.mu.Lock()
	b.reading = false
	b.timedOut = b.timedOut || timedOut
	pending := b.pending
	b.pending = nil
	b.mu.Unlock()
	if pending != nil && !timedOut {
		b.cancel(pending)
	}
	if b.g.timeout > 0 {
		b.budget = bodyBudget(b.budget, time.Since(start), n, b.g.timeout, b.g.minRate)
	}
	switch {
	case err == io.EOF:
		b.eof.Store(true)
		// No deadline may outlive the body: net/http's read that watches
		// for the client going away starts now and would cancel the
		// request's context when it fired.
		if b.g.timeout > 0 {
			b.rc.SetReadDeadline(time.Time{})
		}
	case timedOut:
		b.g.timeouts.Add(1)
		b.err = s3err.RequestTimeout.Wrap(err)
		return n, b.err
	}
	return n, err
}

// bodyBudget is the waiting time left to a body after a read that waited
// for waited and returned n bytes: every byte earns 1/minRate seconds, the
// wait is spent, and the budget never exceeds max (the body timeout). So a
// body may stall for at most max at any point, and a client sending slower
// than minRate runs out after about max/(1 - rate/minRate): a trickle of
// one byte every 2 s is cut off after max, a steady upload at or above
// minRate never is, however large. Without a rate, any byte refills the
// budget and only stalls count.
func bodyBudget(budget, waited time.Duration, n int, max time.Duration, minRate int64) time.Duration {
	if minRate <= 0 {
		if n > 0 {
			return max
		}
		return budget - waited
	}
	earned := time.Duration(int64(n) * int64(time.Second) / minRate)
	return min(budget-waited+earned, max)
}

// Close ends the handler's use of the body. Before an answer it drains the
// rest under refusedLinger, as net/http would; after an answer with the
// body unread it leaves the rest to net/http, so nothing is read before
// the answer goes out.
func (b *guardedBody) Close() error {
	if b.eof.Load() {
		return b.src.Close()
	}
	if b.answered.Load() {
		return nil
	}
	b.rc.SetReadDeadline(time.Now().Add(refusedLinger))
	return b.src.Close()
}

// guardWriter notices the first final response.
type guardWriter struct {
	http.ResponseWriter
	body  *guardedBody
	http1 bool
	wrote bool
}

// answer runs before the first final response: with the body unread, the
// connection is closed after the response (HTTP/1; HTTP/2 resets the
// stream by itself, and "Connection: close" there would end every other
// stream of the connection).
func (w *guardWriter) answer() {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.body.eof.Load() {
		return
	}
	w.body.answered.Store(true)
	if w.http1 {
		w.Header().Set("Connection", "close")
	}
}

func (w *guardWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.answer()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardWriter) Write(p []byte) (int, error) {
	w.answer()
	return w.ResponseWriter.Write(p)
}

// Flush sends what is buffered (the response starts: see answer).
func (w *guardWriter) Flush() {
	w.answer()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish runs when the handler returns. A body still unread gets
// refusedLinger for net/http's discard of it; an HTTP/1 connection whose
// handler wrote nothing is closed after the implicit response, for the
// same reason as in answer.
func (w *guardWriter) finish() {
	if w.body.eof.Load() {
		return
	}
	if !w.wrote && w.http1 {
		w.Header().Set("Connection", "close")
	}
	w.body.rc.SetReadDeadline(time.Now().Add(refusedLinger))
}
