package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/storetest"
)

// The runner against a real object service (bbolt, blob directory) on a
// clock the test sets: what a run does, that it can be repeated, and that
// a write made between a run's scan and its action is never undone.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type env struct {
	t     *testing.T
	svc   *object.Service
	r     *Runner
	clock *clock
	trail string
}

func newEnv(t *testing.T, pageSize int) *env {
	t.Helper()
	st := storetest.OpenLocal(t)
	c := &clock{t: date("2020-01-01T10:30:00Z")}
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Now: c.now})
	trail := filepath.Join(st.Dir, "audit", audit.CurrentName)
	log, err := audit.Open(trail, audit.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	r := New(Config{Objects: svc, Meta: st.Meta, Audit: log, Region: "us-east-1", Now: c.now, PageSize: pageSize,
		Logger: slog.New(slog.DiscardHandler)})
	return &env{t: t, svc: svc, r: r, clock: c, trail: trail}
}

func (e *env) bucket(name, versioning string, lock bool, rules ...kura.LifecycleRule) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.svc.CreateBucket(ctx, kura.Bucket{Name: name, Owner: "111122223333", ObjectLockEnabled: lock}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.UpdateBucket(ctx, name, func(b *kura.Bucket) error {
		if versioning != "" {
			b.Versioning = versioning
		}
		b.Lifecycle = rules
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// put writes bucket/key and returns its version id; the clock moves on a
// minute so versions differ in age.
func (e *env) put(bucket, key string, tags ...kura.Tag) string {
	e.t.Helper()
	v, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader("data " + key), Size: -1, Tags: tags})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.set(e.clock.now().Add(time.Minute))
	return v.VersionID
}

func (e *env) versions(bucket string) []object.VersionState {
	e.t.Helper()
	page, _, done, err := e.svc.ScanVersions(context.Background(), bucket, object.ScanPosition{}, 1000)
	if err != nil || !done {
		e.t.Fatalf("scan: %v (done %v)", err, done)
	}
	return page
}

func (e *env) ids(bucket string) string {
	var out []string
	for _, v := range e.versions(bucket) {
		id := v.Key + "@" + v.VersionID
		if v.DeleteMarker {
			id += "(dm)"
		}
		out = append(out, id)
	}
	return strings.Join(out, " ")
}

func (e *env) events() []audit.Event {
	e.t.Helper()
	evs, err := audit.Read(e.trail, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *env) run(at time.Time) Stats {
	e.t.Helper()
	e.clock.set(at.Add(time.Second))
	st, err := e.r.RunOnce(context.Background(), at)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

var everything = &kura.LifecycleFilter{}

func TestRunOnceIsIdempotent(t *testing.T) {
	e := newEnv(t, 0)
	e.bucket("plain", "", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything, Expiration: expireDays(1)})
	e.put("plain", "a")
	at := date("2020-01-03T00:00:00Z")
	if st := e.run(at.Add(-Day)); st.applied() != 0 {
		t.Fatalf("run before the due midnight applied %v", st.Applied)
	}
	if st := e.run(at); st.Applied[ExpireCurrent] != 1 {
		t.Fatalf("first run: %+v", st)
	}
	if st := e.run(at); st.applied() != 0 || st.Failed != 0 {
		t.Fatalf("second run of the same midnight: %+v", st)
	}
	if got := e.ids("plain"); got != "" {
		t.Fatalf("versions left: %s", got)
	}
	evs := e.events()
	if len(evs) != 1 || evs[0].EventName != EventDelete || evs[0].AdditionalEventData["lifecycleRuleId"] != "r" {
		t.Fatalf("events = %+v", evs)
	}
	if !e.r.Completed().Equal(at) {
		t.Errorf("Completed = %v, want %v", e.r.Completed(), at)
	}
	// The last run is remembered: a new runner on the same store starts
	// from it.
	last, err := e.r.lastRun(context.Background())
	if err != nil || !last.Equal(at) {
		t.Errorf("lastRun = %v, %v; want %v", last, err, at)
	}
}

// applyFirst decides the action for the first scanned version matching key
// and vid, lets between run, then applies it as a run would.
func (e *env) applyFirst(bucket, key, vid string, at time.Time, between func()) (Stats, error) {
	e.t.Helper()
	b, err := e.svc.Bucket(context.Background(), bucket)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, v := range e.versions(bucket) {
		if v.Key != key || v.VersionID != vid {
			continue
		}
		a := Decide(b.Lifecycle, b.Versioning, v, at, Day)
		if a.Kind == None {
			e.t.Fatalf("%s@%s: nothing due", key, vid)
		}
		between()
		st := Stats{Applied: map[Kind]int{}}
		err := e.r.applyVersion(context.Background(), bucket, v, a, at, CountLimit(b.Lifecycle), &st)
		return st, err
	}
	e.t.Fatalf("%s@%s not found", key, vid)
	return Stats{}, nil
}

func TestConcurrentChangesAreNotUndone(t *testing.T) {
	at := date("2020-02-01T00:00:00Z")
	ctx := context.Background()
	t.Run("overwritten after the scan", func(t *testing.T) {
		e := newEnv(t, 0)
		e.bucket("ver", "Enabled", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything, Expiration: expireDays(1)})
		v1 := e.put("ver", "k")
		st, err := e.applyFirst("ver", "k", v1, at, func() { e.put("ver", "k") })
		if err != nil || st.Stale != 1 || st.applied() != 0 {
			t.Fatalf("apply = %+v, %v; want stale", st, err)
		}
		if vs := e.versions("ver"); len(vs) != 2 || vs[0].DeleteMarker {
			t.Fatalf("versions after: %s", e.ids("ver"))
		}
	})
	t.Run("newer noncurrent version deleted after the scan", func(t *testing.T) {
		e := newEnv(t, 0)
		e.bucket("ver", "Enabled", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything,
			NoncurrentVersionExpiration: &kura.NoncurrentVersionExpiration{NoncurrentDays: ptr(1), NewerNoncurrentVersions: ptr(1)}})
		v1 := e.put("ver", "k")
		v2 := e.put("ver", "k")
		e.put("ver", "k")
		st, err := e.applyFirst("ver", "k", v1, at, func() {
			if _, err := e.svc.DeleteObject(ctx, "ver", "k", v2); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil || st.Stale != 1 {
			t.Fatalf("apply = %+v, %v; want stale", st, err)
		}
		if n := len(e.versions("ver")); n != 2 {
			t.Fatalf("versions after: %s", e.ids("ver"))
		}
	})
	t.Run("re-tagged after the scan", func(t *testing.T) {
		e := newEnv(t, 0)
		tag := kura.Tag{Key: "expire", Value: "yes"}
		e.bucket("pln", "", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: &kura.LifecycleFilter{Tag: &tag}, Expiration: expireDays(1)})
		vid := e.put("pln", "k", tag)
		st, err := e.applyFirst("pln", "k", vid, at, func() {
			if _, err := e.svc.UpdateVersion(ctx, "pln", "k", "", func(v *kura.ObjectVersion) error { v.Tags = nil; return nil }); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil || st.Stale != 1 || len(e.versions("pln")) != 1 {
			t.Fatalf("apply = %+v, %v; versions %s", st, err, e.ids("pln"))
		}
	})
	t.Run("legal hold placed after the scan", func(t *testing.T) {
		e := newEnv(t, 0)
		e.bucket("lck", "Enabled", true, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything,
			NoncurrentVersionExpiration: &kura.NoncurrentVersionExpiration{NoncurrentDays: ptr(1)}})
		v1 := e.put("lck", "k")
		e.put("lck", "k")
		st, err := e.applyFirst("lck", "k", v1, at, func() {
			if _, err := e.svc.PutLegalHold(ctx, "lck", "k", v1, true); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil || st.Locked != 1 || len(e.versions("lck")) != 2 {
			t.Fatalf("apply = %+v, %v; versions %s", st, err, e.ids("lck"))
		}
		if evs := e.events(); len(evs) != 0 {
			t.Fatalf("events for a refused action: %+v", evs)
		}
	})
	t.Run("configuration removed after the scan", func(t *testing.T) {
		e := newEnv(t, 0)
		e.bucket("pln", "", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything, Expiration: expireDays(1)})
		vid := e.put("pln", "k")
		st, err := e.applyFirst("pln", "k", vid, at, func() {
			if err := e.svc.UpdateBucket(ctx, "pln", func(b *kura.Bucket) error { b.Lifecycle = nil; return nil }); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil || st.Stale != 1 || len(e.versions("pln")) != 1 {
			t.Fatalf("apply = %+v, %v; versions %s", st, err, e.ids("pln"))
		}
	})
}

// A scan in small pages sees every version in the same place among its
// key's versions as one large page does.
func TestScanAcrossPages(t *testing.T) {
	e := newEnv(t, 2)
	e.bucket("ver", "Enabled", false)
	for _, k := range []string{"a", "b", "b", "b", "b", "c", "d", "d", "d"} {
		e.put("ver", k)
	}
	want := e.versions("ver")
	var got []object.VersionState
	var pos object.ScanPosition
	for done := false; !done; {
		var page []object.VersionState
		var err error
		page, pos, done, err = e.svc.ScanVersions(context.Background(), "ver", pos, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		got = append(got, page...)
	}
	if len(got) != len(want) {
		t.Fatalf("paged scan saw %d versions, one page %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.VersionID != w.VersionID || g.Current != w.Current || g.Only != w.Only ||
			!g.NoncurrentSince.Equal(w.NoncurrentSince) || g.NewerNoncurrent != w.NewerNoncurrent {
			t.Errorf("version %d: paged %+v, one page %+v", i, g, w)
		}
	}
	if !want[0].Only || want[1].Only || want[4].NewerNoncurrent != 2 || want[4].Current {
		t.Errorf("states: %+v", want)
	}
}

// An action that fails for a reason other than a changed object does not
// stop the run, and the runner stops at once when its context ends.
func TestRunStopsWithContext(t *testing.T) {
	e := newEnv(t, 0)
	e.bucket("plain", "", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything, Expiration: expireDays(1)})
	e.put("plain", "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.r.RunOnce(ctx, date("2020-03-01T00:00:00Z")); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce on a done context = %v", err)
	}
	done := make(chan struct{})
	go func() { e.r.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// A runner started on a store whose last run covered the current midnight
// does not run it again; it runs at the next one.
func TestRunResumesFromTheLastRun(t *testing.T) {
	e := newEnv(t, 0)
	e.r.day = time.Second
	at := date("2020-01-03T00:00:00Z")
	e.run(at) // nothing to do yet, but the midnight is done
	e.bucket("pln", "", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything, Expiration: &kura.LifecycleExpiration{Date: "2020-01-01T00:00:00Z"}})
	e.put("pln", "a")
	e.clock.set(at.Add(500 * time.Millisecond))

	fresh := New(Config{Objects: e.svc, Meta: e.r.meta, Audit: e.r.trail, Day: time.Second, Now: e.clock.now, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fresh.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	poll(t, "the stored last run loaded", func() bool { return fresh.Completed().Equal(at) })
	if got := e.ids("pln"); got == "" {
		t.Fatal("the midnight already run was run again")
	}
	e.clock.set(at.Add(1500 * time.Millisecond))
	poll(t, "the next midnight run", func() bool { return fresh.Completed().Equal(at.Add(time.Second)) })
	if got := e.ids("pln"); got != "" {
		t.Fatalf("versions left after the next run: %s", got)
	}
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Old noncurrent versions that are all due go in one run, also when each
// one's successor is removed just before it and when a page ends between
// them.
func TestRunExpiresAChainOfVersions(t *testing.T) {
	for _, pageSize := range []int{1000, 2, 1} {
		e := newEnv(t, pageSize)
		e.bucket("ver", "Enabled", false, kura.LifecycleRule{ID: "r", Status: "Enabled", Filter: everything,
			NoncurrentVersionExpiration: &kura.NoncurrentVersionExpiration{NoncurrentDays: ptr(1), NewerNoncurrentVersions: ptr(1)}})
		var ids []string
		for range 6 {
			ids = append(ids, e.put("ver", "k"))
		}
		e.put("ver", "other")
		st := e.run(date("2020-01-10T00:00:00Z"))
		if st.Applied[ExpireNoncurrent] != 4 || st.Stale != 0 {
			t.Fatalf("page size %d: %+v", pageSize, st)
		}
		if got, want := e.ids("ver"), "k@"+ids[5]+" k@"+ids[4]+" other@"+e.versions("ver")[2].VersionID; got != want {
			t.Fatalf("page size %d: versions %s, want %s", pageSize, got, want)
		}
	}
}
