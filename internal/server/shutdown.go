package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Stopping. Shutdown first drains: it stops accepting connections and lets
// the requests in flight finish, for as long as its context allows. Requests
// still running then are cancelled: their contexts end and their
// connections are closed, so an upload blocked reading its body fails at
// once and the blob store's error path removes its temporary file. Only
// when every handler has returned are the stores closed, so none of them
// writes to a closed store.

// forceWait bounds the wait for handlers after they were cancelled. Closing
// their connections unblocks them at once; this only matters for one stuck
// in I/O the cancellation cannot reach (a hung disk).
const forceWait = 5 * time.Second

// requests tracks the HTTP handlers running and holds the context they
// derive from, so Shutdown can cancel them and wait for them to return.
type requests struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n is 0
}

func newRequests() *requests {
	r := &requests{}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// track makes every request of srv derive its context from r and be
// counted while its handler runs.
func (r *requests) track(srv *http.Server) {
	srv.BaseContext = func(net.Listener) context.Context { return r.ctx }
	h := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.add()
		defer r.done()
		h.ServeHTTP(w, req)
	})
}

func (r *requests) add() {
	r.mu.Lock()
	if r.n == 0 {
		r.idle = make(chan struct{})
	}
	r.n++
	r.mu.Unlock()
}

func (r *requests) done() {
	r.mu.Lock()
	r.n--
	if r.n == 0 {
		close(r.idle)
		r.idle = nil
	}
	r.mu.Unlock()
}

// running returns the number of handlers running.
func (r *requests) running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// wait returns once no handler runs, or with ctx's error.
func (r *requests) wait(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown stops accepting requests and waits for the ones in flight until
// ctx is done; then it cancels those still running (their partial uploads
// are removed), waits for their handlers to return and closes the stores.
// An error says the drain was cut short or a store did not close cleanly.
// Calling Shutdown again returns the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.stopping.Store(true) // readiness fails first, so load balancers stop sending
	var err error
	if derr := s.http.Shutdown(ctx); derr != nil {
		n := s.reqs.running()
		s.cfg.Logger.Warn(fmt.Sprintf("stopping: the drain ended with %d requests in flight; cancelling them", n), "err", derr)
		s.reqs.cancel()
		s.http.Close()
		wctx, cancel := context.WithTimeout(context.Background(), forceWait)
		if werr := s.reqs.wait(wctx); werr != nil {
			s.cfg.Logger.Error(fmt.Sprintf("stopping: %d handlers still running %v after they were cancelled; closing the stores anyway", s.reqs.running(), forceWait))
		}
		cancel()
		err = fmt.Errorf("stopping: %d in-flight requests were cancelled when the drain ended: %w", n, derr)
	}
	s.reqs.cancel()
	s.stopLink(ctx)
	if s.admin != nil {
		s.admin.Close()
	}
	s.stopBg()
	s.bg.Wait() // the stores stay open until the background work has let go and released its leases
	if cerr := s.AccessLog.Close(); err == nil {
		err = cerr // its spool is delivered at the next start
	}
	if s.cluster != nil {
		if cerr := s.cluster.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := s.outbox.Close(); err == nil {
		err = cerr
	}
	if cerr := s.audit.Close(); err == nil {
		err = cerr
	}
	if cerr := s.meta.Close(); err == nil {
		err = cerr
	}
	if s.unlockDir != nil {
		s.unlockDir()
	}
	return err
}
