package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// twoNodes returns two handles on one metadata store, as two nodes have:
// the embedded store (one handle, shared) or two connection pools on one
// PostgreSQL schema.
func twoNodes(t *testing.T, kind string) (a, b meta.Store) {
	t.Helper()
	if kind == "bolt" {
		s := openStore(t)
		return s, s
	}
	key := t.Name()
	a, b = pgtest.Open(t, key), pgtest.Open(t, key)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

var storeKinds = []string{"bolt", "postgres"}

func readKey(t *testing.T, s meta.Store, key string) string {
	t.Helper()
	var v string
	err := s.View(bg, func(tx meta.Tx) error {
		raw, err := tx.Get(meta.TableLeases, []byte(key))
		if errors.Is(err, meta.ErrNotFound) {
			return nil
		}
		v = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFencing: work running under a lease commits its metadata writes
// only while its node still holds the lease at the term it took it with.
// Once another node has taken the lease over — or it was released — the
// old holder's writes fail with ErrFenced and leave nothing behind; writes
// without a lease in their context are not checked.
func TestFencing(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			sa, sb := twoNodes(t, kind)
			fa, fb := Fenced(sa), Fenced(sb)
			const ttl = 30 * time.Second
			write := func(s meta.Store, ctx context.Context, v string) error {
				return s.Update(ctx, func(tx meta.Tx) error {
					return tx.Put(meta.TableLeases, []byte("x-data"), []byte(v))
				})
			}
			a, err := Acquire(bg, sa, "job", "node-a", t0, ttl)
			if err != nil {
				t.Fatal(err)
			}
			ctxA := WithLease(bg, a)
			if got, ok := FromContext(ctxA); !ok || got.Term != a.Term || got.Holder != "node-a" {
				t.Fatalf("FromContext: %+v %v", got, ok)
			}
			if err := write(fa, ctxA, "a1"); err != nil {
				t.Fatalf("holder's write: %v", err)
			}
			// A renewal keeps the term: the holder's writes still commit.
			if _, err := Acquire(bg, sa, "job", "node-a", t0.Add(10*time.Second), ttl); err != nil {
				t.Fatal(err)
			}
			if err := write(fa, ctxA, "a2"); err != nil {
				t.Fatalf("holder's write after a renewal: %v", err)
			}
			// Node A pauses past its lease; node B takes over.
			b, err := Acquire(bg, sb, "job", "node-b", t0.Add(time.Hour), ttl)
			if err != nil {
				t.Fatal(err)
			}
			if err := write(fa, ctxA, "a3"); !errors.Is(err, ErrFenced) {
				t.Fatalf("stale holder's write: %v, want ErrFenced", err)
			}
			if v := readKey(t, sb, "x-data"); v != "a2" {
				t.Fatalf("after the fenced write: %q, want a2", v)
			}
			ctxB := WithLease(bg, b)
			if err := write(fb, ctxB, "b1"); err != nil {
				t.Fatalf("new holder's write: %v", err)
			}
			// A taking the lease back gets a new term: the work that ran
			// under the old one stays fenced.
			if err := Release(bg, sb, "job", "node-b"); err != nil {
				t.Fatal(err)
			}
			if err := write(fb, ctxB, "b2"); !errors.Is(err, ErrFenced) {
				t.Fatalf("write after the release: %v, want ErrFenced", err)
			}
			a2, err := Acquire(bg, sa, "job", "node-a", t0.Add(2*time.Hour), ttl)
			if err != nil || a2.Term <= b.Term {
				t.Fatalf("retake: %+v %v", a2, err)
			}
			if err := write(fa, ctxA, "a4"); !errors.Is(err, ErrFenced) {
				t.Fatalf("write under the old term: %v, want ErrFenced", err)
			}
			if err := write(fa, WithLease(bg, a2), "a5"); err != nil {
				t.Fatal(err)
			}
			if err := write(fa, bg, "plain"); err != nil {
				t.Fatalf("a write without a lease: %v", err)
			}
		})
	}
}

// TestFencingRace: on PostgreSQL, node A's work writes as fast as it can
// while node B takes the lease over. Every write of A that commits is
// ordered before the takeover in the serial order the database gives
// read-write transactions: B's first read-write transaction after its
// Acquire already sees every write of A that will ever commit. (A write of
// A may commit, by the wall clock, just after the takeover if it read the
// lease before; a read-only View, a REPEATABLE READ snapshot outside that
// order, could miss it. See docs/scale-out.md, "Leases and fencing".)
func TestFencingRace(t *testing.T) {
	sa, sb := twoNodes(t, "postgres")
	fa := Fenced(sa)
	a, err := Acquire(bg, sa, "job", "node-a", t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctxA := WithLease(bg, a)
	var (
		wg        sync.WaitGroup
		committed atomic.Int64 // the highest n node A committed
		fenced    atomic.Bool
	)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int64(w); !fenced.Load(); n += 3 {
				err := fa.Update(ctxA, func(tx meta.Tx) error {
					return tx.Put(meta.TableLeases, []byte(fmt.Sprintf("x-%06d", n)), []byte("a"))
				})
				switch {
				case errors.Is(err, ErrFenced):
					fenced.Store(true)
				case err != nil:
					t.Error(err)
					return
				default:
					for {
						c := committed.Load()
						if n <= c || committed.CompareAndSwap(c, n) {
							break
						}
					}
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := Acquire(bg, sb, "job", "node-b", t0.Add(time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := sb.Update(bg, func(tx meta.Tx) error {
		clear(seen) // the function may run again
		c := tx.Cursor(meta.TableLeases)
		for k, _ := c.Seek([]byte("x-")); k != nil; k, _ = c.Next() {
			seen[string(k)] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(seen) == 0 {
		t.Fatal("node A committed nothing before the takeover")
	}
	// Every write A saw commit is in B's first snapshot.
	var missing []int64
	for n := int64(0); n <= committed.Load(); n++ {
		if k := fmt.Sprintf("x-%06d", n); !seen[k] && readKey(t, sb, k) != "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d writes of the old holder committed after the takeover (e.g. %d)", len(missing), missing[0])
	}
	t.Logf("node A committed %d writes, then was fenced", len(seen))
}

// TestHandOverOnPostgres: the runner's hand-over with two nodes on one
// PostgreSQL schema, by the real clock: node A does the work; when A dies
// (its store stops answering) it stops the work before its lease
// expires, and node B starts it within the lease term. A clean stop of B
// hands the work back at once.
func TestHandOverOnPostgres(t *testing.T) {
	sa, sb := twoNodes(t, "postgres")
	const ttl = 900 * time.Millisecond
	fa := &flaky{Store: sa}
	var mu sync.Mutex
	var running []string // who runs the work now
	var overlap atomic.Bool
	work := func(node string) func(context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			if len(running) > 0 {
				overlap.Store(true)
			}
			running = append(running, node)
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			for i, n := range running {
				if n == node {
					running = append(running[:i], running[i+1:]...)
					break
				}
			}
			mu.Unlock()
		}
	}
	who := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(running) != 1 {
			return fmt.Sprint(running)
		}
		return running[0]
	}
	ctxA, stopA := context.WithCancel(bg)
	defer stopA()
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		NewRunner(Config{Meta: fa, Name: "job", Holder: "node-a", TTL: ttl}).Run(ctxA, work("node-a"))
	}()
	waitFor(t, "node A to run the work", func() bool { return who() == "node-a" })
	ctxB, stopB := context.WithCancel(bg)
	doneB := make(chan struct{})
	go func() {
		defer close(doneB)
		NewRunner(Config{Meta: sb, Name: "job", Holder: "node-b", TTL: ttl}).Run(ctxB, work("node-b"))
	}()
	time.Sleep(2 * ttl)
	if w := who(); w != "node-a" {
		t.Fatalf("while A renews, the work runs on %s", w)
	}
	died := time.Now()
	fa.down.Store(true)
	waitFor(t, "node B to take over", func() bool { return who() == "node-b" })
	took := time.Since(died)
	// B polls every ttl/3, so it starts within ttl + ttl/3 (+ scheduling).
	if took > ttl+ttl/3+500*time.Millisecond {
		t.Fatalf("hand-over took %v; the lease term is %v", took, ttl)
	}
	if overlap.Load() {
		t.Fatal("the work ran on both nodes at once")
	}
	t.Logf("node A died; node B took the work over after %v (lease term %v)", took.Round(time.Millisecond), ttl)
	fa.down.Store(false)
	stopB()
	<-doneB
	waitFor(t, "node A to take the work back after B's clean stop", func() bool { return who() == "node-a" })
	stopA()
	<-doneA
}

// TestReleaseHeldBy: a node's restart releases the leases its previous
// process held, and only those.
func TestReleaseHeldBy(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			s, _ := twoNodes(t, kind)
			for _, l := range []struct{ name, holder string }{{"gc", "node-a"}, {"lifecycle", "node-a"}, {"batch", "node-b"}} {
				if _, err := Acquire(bg, s, l.name, l.holder, time.Now(), time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			n, err := ReleaseHeldBy(bg, s, "node-a")
			if err != nil || n != 2 {
				t.Fatalf("ReleaseHeldBy: %d, %v; want 2", n, err)
			}
			for name, want := range map[string]string{"gc": "", "lifecycle": "", "batch": "node-b"} {
				l, err := Get(bg, s, name)
				if err != nil || l.Holder != want {
					t.Fatalf("%s: %+v %v; want holder %q", name, l, err, want)
				}
			}
		})
	}
}
