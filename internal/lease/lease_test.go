package lease

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
)

var bg = context.Background()

func openStore(t *testing.T) meta.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func TestAcquireRenewExpireRelease(t *testing.T) {
	s := openStore(t)
	const ttl = 30 * time.Second
	must := func(l Lease, err error) Lease {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := must(Acquire(bg, s, "gc", "node-a", t0, ttl))
	if a.Holder != "node-a" || !a.Expires.Equal(t0.Add(ttl)) || a.Term != 1 {
		t.Fatalf("first acquire: %+v", a)
	}
	l, err := Acquire(bg, s, "gc", "node-b", t0.Add(ttl-time.Nanosecond), ttl)
	if !errors.Is(err, ErrHeld) || l.Holder != "node-a" {
		t.Fatalf("acquire of a held lease: %+v, %v; want ErrHeld and the holder", l, err)
	}
	if o := must(Acquire(bg, s, "other", "node-b", t0, ttl)); o.Holder != "node-b" {
		t.Fatalf("leases are separate: %+v", o)
	}
	a = must(Acquire(bg, s, "gc", "node-a", t0.Add(10*time.Second), ttl))
	if !a.Expires.Equal(t0.Add(10*time.Second+ttl)) || a.Term != 1 {
		t.Fatalf("renewal: %+v, want a later expiry and the same term", a)
	}
	if _, err := Acquire(bg, s, "gc", "node-b", t0.Add(ttl), ttl); !errors.Is(err, ErrHeld) {
		t.Fatalf("acquire before the renewed expiry: %v", err)
	}
	b := must(Acquire(bg, s, "gc", "node-b", a.Expires, ttl))
	if b.Holder != "node-b" || b.Term != 2 {
		t.Fatalf("take-over after expiry: %+v, want node-b in term 2", b)
	}
	if _, err := Acquire(bg, s, "gc", "node-a", a.Expires, ttl); !errors.Is(err, ErrHeld) {
		t.Fatalf("the old holder after a take-over: %v, want ErrHeld", err)
	}

	if err := Release(bg, s, "gc", "node-a"); err != nil {
		t.Fatal(err)
	}
	if g := must(Get(bg, s, "gc")); g.Holder != "node-b" {
		t.Fatalf("release by a node that does not hold it changed the lease: %+v", g)
	}
	if err := Release(bg, s, "gc", "node-b"); err != nil {
		t.Fatal(err)
	}
	if g := must(Get(bg, s, "gc")); g.Held(a.Expires) || g.Term != 2 {
		t.Fatalf("after release: %+v", g)
	}
	c := must(Acquire(bg, s, "gc", "node-c", a.Expires, ttl))
	if c.Term != 3 {
		t.Fatalf("acquire after release: %+v, want term 3", c)
	}

	n, err := ReleaseAll(bg, s)
	if err != nil || n != 2 {
		t.Fatalf("ReleaseAll: %d, %v; want both held leases released", n, err)
	}
	if _, err := Acquire(bg, s, "other", "node-d", t0, ttl); err != nil {
		t.Fatalf("after ReleaseAll: %v", err)
	}
	if _, err := Acquire(bg, s, "gc", "", t0, ttl); err == nil {
		t.Error("acquire with an empty holder succeeded")
	}
}

// fakeClock moves only when told to; After channels fire as it passes
// their time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeTimer{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

func (c *fakeClock) pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.waiters) }

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// flaky is a store whose transactions fail while down is set: a node cut
// off from the metadata store, or dead.
type flaky struct {
	meta.Store
	down atomic.Bool
}

func (f *flaky) Update(ctx context.Context, fn func(meta.Tx) error) error {
	if f.down.Load() {
		return errors.New("injected: metadata store unreachable")
	}
	return f.Store.Update(ctx, fn)
}

// worker records when a runner's work runs, by the fake clock.
type worker struct {
	name  string
	clock *fakeClock
	mu    sync.Mutex
	spans [][2]time.Time // start, end (zero while running)
}

func (w *worker) work(ctx context.Context) {
	w.mu.Lock()
	w.spans = append(w.spans, [2]time.Time{w.clock.Now()})
	i := len(w.spans) - 1
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	w.spans[i][1] = w.clock.Now()
	w.mu.Unlock()
}

func (w *worker) state() (runs int, running bool, last [2]time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.spans) == 0 {
		return 0, false, last
	}
	last = w.spans[len(w.spans)-1]
	return len(w.spans), last[1].IsZero(), last
}

// TestRunnerHandOver: two runners on one store. The first does the work;
// the second waits while the first renews. When the first node dies (its
// store stops answering), it stops its work before the lease can expire,
// and the second takes over only once it has expired. A runner that stops
// releases the lease, and another takes it at once.
func TestRunnerHandOver(t *testing.T) {
	const ttl = 30 * time.Second
	store := openStore(t)
	clock := &fakeClock{now: t0}
	log := slog.New(slog.DiscardHandler)
	aStore := &flaky{Store: store}
	a := &worker{name: "a", clock: clock}
	b := &worker{name: "b", clock: clock}
	run := func(s meta.Store, holder string, w *worker) (stop func()) {
		ctx, cancel := context.WithCancel(bg)
		done := make(chan struct{})
		r := NewRunner(Config{Meta: s, Name: "gc", Holder: holder, TTL: ttl, Clock: clock, Logger: log})
		go func() { defer close(done); r.Run(ctx, w.work) }()
		return func() { cancel(); <-done }
	}

	stopA := run(aStore, "node-a", a)
	waitFor(t, "a to start its work", func() bool { n, running, _ := a.state(); return n == 1 && running })
	stopB := run(store, "node-b", b)
	defer stopB()
	waitFor(t, "both runners to wait", func() bool { return clock.pending() == 2 })
	for range 6 { // a minute of renewals
		clock.advance(ttl / 3)
		waitFor(t, "both runners to wait", func() bool { return clock.pending() == 2 })
	}
	if n, _, _ := b.state(); n != 0 {
		t.Fatal("b worked while a held the lease")
	}
	l, err := Get(bg, store, "gc")
	if err != nil || l.Holder != "node-a" || l.Term != 1 {
		t.Fatalf("lease while a renews: %+v, %v", l, err)
	}

	// a dies: nothing it does reaches the store any more.
	aStore.down.Store(true)
	died := clock.Now()
	for {
		clock.advance(ttl / 6)
		if n, _, _ := b.state(); n > 0 {
			break
		}
		if clock.Now().Sub(died) > 2*ttl {
			t.Fatal("b did not take over within two TTLs of a's death")
		}
		waitFor(t, "the runners to wait", func() bool { return clock.pending() >= 2 })
	}
	waitFor(t, "b to run", func() bool { _, running, _ := b.state(); return running })
	_, aRunning, aSpan := a.state()
	_, _, bSpan := b.state()
	if aRunning || !aSpan[1].Before(bSpan[0]) {
		t.Fatalf("a worked until %v (running %v), b started at %v: the work overlapped", aSpan[1], aRunning, bSpan[0])
	}
	if !bSpan[0].After(l.Expires) && !bSpan[0].Equal(l.Expires) {
		t.Fatalf("b started at %v, before a's last lease expired at %v", bSpan[0], l.Expires)
	}
	if l, _ := Get(bg, store, "gc"); l.Holder != "node-b" || l.Term != 2 {
		t.Fatalf("lease after the take-over: %+v", l)
	}
	stopA()

	// b stops: it releases the lease, and a new runner takes it at once.
	stopB()
	if _, running, _ := b.state(); running {
		t.Fatal("b's work still runs after Run returned")
	}
	if l, _ := Get(bg, store, "gc"); l.Holder != "" {
		t.Fatalf("lease after b stopped: %+v, want released", l)
	}
	c := &worker{name: "c", clock: clock}
	stopC := run(store, "node-c", c)
	defer stopC()
	waitFor(t, "c to start at once", func() bool { n, _, _ := c.state(); return n == 1 })
}

// TestRunnerWorkEnds: work that returns by itself is started again
// later, and the lease is free meanwhile.
func TestRunnerWorkEnds(t *testing.T) {
	const ttl = 30 * time.Second
	store := openStore(t)
	clock := &fakeClock{now: t0}
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	r := NewRunner(Config{Meta: store, Name: "once", Holder: "node-a", TTL: ttl, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	go func() { defer close(done); r.Run(ctx, func(context.Context) { runs.Add(1) }) }()
	waitFor(t, "the first run", func() bool { return runs.Load() == 1 })
	waitFor(t, "the lease to be released after its work returned", func() bool {
		l, err := Get(bg, store, "once")
		return err == nil && l.Holder == "" && l.Term == 1
	})
	waitFor(t, "the second run, a third of the TTL later", func() bool {
		clock.advance(time.Second)
		return runs.Load() == 2
	})
	if waited := clock.Now().Sub(t0); waited < ttl/3 {
		t.Errorf("work started again after %v, want a third of the TTL", waited)
	}
	cancel()
	<-done
}
