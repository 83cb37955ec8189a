package lease

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// DefaultTTL is how long a lease lasts without renewal. A Runner renews
// every third of it, so a node that dies hands its work over within a TTL,
// and a clean stop hands it over at once (Release).
const DefaultTTL = 30 * time.Second

// Clock is the time a Runner goes by; tests pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config wires a Runner.
type Config struct {
	Meta   meta.Store
	Name   string        // the lease, e.g. "blob-gc"
	Holder string        // this node's id
	TTL    time.Duration // 0: DefaultTTL
	Clock  Clock         // nil: the system clock
	Logger *slog.Logger
}

// Runner does one piece of singleton work while its node holds the work's
// lease.
type Runner struct {
	cfg Config
	log *slog.Logger
}

// NewRunner returns a Runner; Run starts it.
func NewRunner(cfg Config) *Runner {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Runner{cfg: cfg, log: log.With("lease", cfg.Name, "node", cfg.Holder)}
}

// Run calls work while this node holds the lease, until ctx ends; then it
// releases the lease and returns once work has returned.
//
// It tries to take the lease at once and then every third of the TTL.
// Once it holds it, it starts work with a context that ends when the lease
// is lost: renewed every third of the TTL, the lease is given up when
// another node holds it or when two renewals in a row have failed, a
// third of the TTL before it can expire, so the work has stopped (work
// must return promptly when its context ends) before another node may
// take it. If work returns by itself, the lease is released and taken
// again, and work called again, a third of the TTL later.
func (r *Runner) Run(ctx context.Context, work func(context.Context)) {
	every := r.cfg.TTL / 3
	seen := "" // the other holder last logged, so a waiting node logs a change, not every poll
	for ctx.Err() == nil {
		start := r.cfg.Clock.Now()
		l, err := r.acquire(ctx, start)
		switch {
		case ctx.Err() != nil:
			if err == nil {
				// Taken just as the stop came: a clean stop leaves no
				// lease held, so give it back (another node need not
				// wait for it to expire).
				if err := r.release(); err != nil {
					r.log.Warn("releasing the lease failed; another node takes it once it expires", "err", err)
				}
			}
			return
		case errors.Is(err, ErrHeld):
			if l.Holder != seen {
				seen = l.Holder
				r.log.Debug("lease held by another node; waiting", "holder", l.Holder, "expires", l.Expires)
			}
		case err != nil:
			r.log.Warn("taking the lease failed; retrying", "err", err)
		default:
			seen = ""
			r.log.Debug("took the lease; starting its work", "term", l.Term)
			ended := r.hold(ctx, start, l, work)
			if err := r.release(); err != nil {
				r.log.Warn("releasing the lease failed; another node takes it once it expires", "err", err)
			}
			if !ended {
				continue // lost it, or ctx ended: try again at once or return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-r.cfg.Clock.After(every):
		}
	}
}

// hold runs work under l and renews the lease until ctx ends, the lease is lost or
// work returns (ended true).
func (r *Runner) hold(ctx context.Context, start time.Time, l Lease, work func(context.Context)) (ended bool) {
	every := r.cfg.TTL / 3
	until := start.Add(r.cfg.TTL - every) // work stops by then unless renewed
	// The work's context carries the lease, so a Fenced store commits its
	// writes only while this holder still holds it at this term.
	wctx, cancel := context.WithCancel(WithLease(ctx, l))
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(wctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	for {
		wait := every
		if left := until.Sub(r.cfg.Clock.Now()); left < wait {
			wait = max(left, 0)
		}
		select {
		case <-ctx.Done():
			return false
		case <-done:
			return true
		case <-r.cfg.Clock.After(wait):
		}
		now := r.cfg.Clock.Now()
		l, err := r.acquire(ctx, now)
		switch {
		case ctx.Err() != nil:
			return false
		case err == nil:
			until = now.Add(r.cfg.TTL - every)
			continue
		case errors.Is(err, ErrHeld):
			r.log.Warn("lease taken over by another node; stopping its work", "holder", l.Holder, "term", l.Term)
			return false
		}
		if !r.cfg.Clock.Now().Before(until) {
			r.log.Error("lease could not be renewed; stopping its work before it expires", "err", err)
			return false
		}
		r.log.Warn("renewing the lease failed; retrying", "err", err)
	}
}

// acquire takes or renews the lease, giving the store a third of the TTL
// to answer, so a hung store cannot keep work running past the lease.
func (r *Runner) acquire(ctx context.Context, now time.Time) (Lease, error) {
	actx, cancel := context.WithTimeout(ctx, r.cfg.TTL/3)
	defer cancel()
	return Acquire(actx, r.cfg.Meta, r.cfg.Name, r.cfg.Holder, now, r.cfg.TTL)
}

func (r *Runner) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.TTL/3)
	defer cancel()
	return Release(ctx, r.cfg.Meta, r.cfg.Name, r.cfg.Holder)
}
