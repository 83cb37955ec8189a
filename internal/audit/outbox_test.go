package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
)

// outboxEnv is a trail and a bolt store in a temp dir.
type outboxEnv struct {
	dir   string
	log   *Log
	meta  *countingStore
	ob    *Outbox
	store meta.Store // ob.Store()
}

func newOutboxEnv(t *testing.T, opts Options) *outboxEnv {
	t.Helper()
	dir := t.TempDir()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(PathIn(dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: ms}
	e := &outboxEnv{dir: dir, log: l, meta: cs}
	e.ob = NewOutbox(cs, l, nil)
	e.store = e.ob.Store()
	t.Cleanup(func() {
		e.ob.Close()
		l.Close()
		ms.Close()
	})
	return e
}

// countingStore counts Updates that reach the real store.
type countingStore struct {
	meta.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

func (e *outboxEnv) outbox(t *testing.T) map[string]Event {
	t.Helper()
	out := map[string]Event{}
	err := e.meta.View(context.Background(), func(tx meta.Tx) error {
		c := tx.Cursor(meta.TableAuditOutbox)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			ev, err := decodeEvent(v)
			if err != nil {
				return err
			}
			out[string(k)] = ev
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *outboxEnv) trail(t *testing.T) []Event {
	t.Helper()
	var evs []Event
	if err := Query(DirIn(e.dir), Filter{}, func(ev Event) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return evs
}

func putKey(k string) func(meta.Tx) error {
	return func(tx meta.Tx) error { return tx.Put(meta.TableBuckets, []byte(k), []byte("v")) }
}

func intent(name, key string) Event {
	return Event{EventSource: "s3.amazonaws.com", EventName: name, RequestID: "REQ-" + key,
		UserIdentity:      UserIdentity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"},
		RequestParameters: map[string]any{"bucketName": "b", "key": key},
		Resources:         []Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::b/" + key}}}
}

func TestOutboxStaging(t *testing.T) {
	e := newOutboxEnv(t, Options{})
	bg := context.Background()

	// A change with a Pending: its intent is committed with it.
	p := e.log.Begin(intent("PutObject", "k1"))
	if err := e.store.Update(WithPending(bg, p), putKey("k1")); err != nil {
		t.Fatal(err)
	}
	got := e.outbox(t)
	ev, ok := got[p.EventID()]
	if len(got) != 1 || !ok {
		t.Fatalf("outbox after a change with a pending entry: %v, want only %s", got, p.EventID())
	}
	if ev.EventName != "PutObject" || ev.RequestID != "REQ-k1" || ev.EventTime.IsZero() ||
		len(ev.Resources) != 1 || ev.UserIdentity.AccountID != "111122223333" {
		t.Errorf("staged intent = %+v", ev)
	}

	// Without a Pending, or without a write, or with a nil Pending hiding
	// one: nothing is staged.
	q := e.log.Begin(intent("DeleteObject", "k2"))
	cases := []struct {
		name string
		ctx  context.Context
		fn   func(meta.Tx) error
	}{
		{"no pending", bg, putKey("k2")},
		{"no write", WithPending(bg, q), func(tx meta.Tx) error { _, err := tx.Get(meta.TableBuckets, []byte("k1")); return ignoreNotFound(err) }},
		{"fn fails", WithPending(bg, q), func(tx meta.Tx) error { putKey("k3")(tx); return errors.New("no") }},
		{"pending hidden", WithPending(WithPending(bg, q), nil), putKey("k4")},
		{"bookkeeping only", WithPending(bg, q), func(tx meta.Tx) error { return tx.Delete(meta.TableBlobGC, []byte("blob")) }},
	}
	for _, c := range cases {
		e.store.Update(c.ctx, c.fn)
		if _, ok := e.outbox(t)[q.EventID()]; ok {
			t.Errorf("%s: entry staged", c.name)
		}
	}

	// The innermost Pending is the one staged.
	inner := e.log.Begin(intent("GenerateDataKey", "k5"))
	if err := e.store.Update(WithPending(WithPending(bg, q), inner), putKey("k5")); err != nil {
		t.Fatal(err)
	}
	got = e.outbox(t)
	if _, ok := got[inner.EventID()]; !ok {
		t.Error("inner pending not staged")
	}
	if _, ok := got[q.EventID()]; ok {
		t.Error("outer pending staged for the inner operation's change")
	}

	// Finish appends the final event under the same id; the entry goes in
	// the next batch, and a later change (clean-up after the response)
	// does not bring it back.
	if err := p.Finish(Event{EventName: "PutObject", RequestID: "REQ-k1"}); err != nil {
		t.Fatal(err)
	}
	waitCleared(t, e, p.EventID())
	if err := e.store.Update(WithPending(bg, p), putKey("k1-after")); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.outbox(t)[p.EventID()]; ok {
		t.Error("a change after Finish staged the entry again")
	}
	evs := e.trail(t)
	if len(evs) != 1 || evs[0].EventID != p.EventID() {
		t.Errorf("trail = %+v, want the final event with the pending id", evs)
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, meta.ErrNotFound) {
		return nil
	}
	return err
}

func waitCleared(t *testing.T, e *outboxEnv, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.outbox(t)
		left := 0
		for _, id := range ids {
			if _, ok := got[id]; ok {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox entries not cleared after 10s", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// retryStore runs every fn once on a transaction it then throws away, then
// between and calls the real Update: what group commit does when a batch
// is retried.
type retryStore struct {
	meta.Store
	between func()
}

func (r *retryStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	errDiscard := errors.New("discarded attempt")
	err := r.Store.Update(ctx, func(tx meta.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDiscard
	})
	if !errors.Is(err, errDiscard) {
		return err
	}
	r.between()
	return r.Store.Update(ctx, fn)
}

func TestOutboxRetriedFn(t *testing.T) {
	dir := t.TempDir()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	l, err := Open(PathIn(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rs := &retryStore{Store: ms, between: func() {}}
	ob := NewOutbox(rs, l, nil)
	defer ob.Close()
	// The wrapper sits above the retrying store, as it sits above bolt.
	st := &outboxStore{Store: rs, o: ob}
	bg := context.Background()
	read := func(id string) bool {
		found := false
		ms.View(bg, func(tx meta.Tx) error {
			_, err := tx.Get(meta.TableAuditOutbox, []byte(id))
			found = err == nil
			return nil
		})
		return found
	}

	// Run twice, committed once: the entry is there once.
	p := l.Begin(intent("PutObject", "a"))
	if err := st.Update(WithPending(bg, p), putKey("a")); err != nil {
		t.Fatal(err)
	}
	if !read(p.EventID()) {
		t.Error("retried fn: entry missing")
	}

	// Finished between the attempts: the attempt that commits stages
	// nothing, the change itself is committed.
	q := l.Begin(intent("PutObject", "b"))
	rs.between = func() { q.Finish(Event{EventName: "PutObject"}) }
	if err := st.Update(WithPending(bg, q), putKey("b")); err != nil {
		t.Fatal(err)
	}
	rs.between = func() {}
	if read(q.EventID()) {
		t.Error("entry staged by a run after Finish")
	}
	var v []byte
	ms.View(bg, func(tx meta.Tx) error { v, _ = tx.Get(meta.TableBuckets, []byte("b")); return nil })
	if string(v) != "v" {
		t.Error("the change itself was not committed")
	}
}

// Concurrent Updates share commits in bolt; every one keeps its entry.
func TestOutboxGroupCommit(t *testing.T) {
	e := newOutboxEnv(t, Options{})
	var wg sync.WaitGroup
	ps := make([]*Pending, 64)
	for i := range ps {
		ps[i] = e.log.Begin(intent("PutObject", fmt.Sprint(i)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := e.store.Update(WithPending(context.Background(), ps[i]), putKey(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got := e.outbox(t)
	for _, p := range ps {
		if _, ok := got[p.EventID()]; !ok {
			t.Errorf("entry %s missing", p.EventID())
		}
	}
	// Clearing is batched: far fewer transactions than finished events.
	before := e.meta.updates.Load()
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.EventID()
		if err := p.Finish(Event{EventName: "PutObject"}); err != nil {
			t.Fatal(err)
		}
	}
	waitCleared(t, e, ids...)
	if n := e.meta.updates.Load() - before; n > 4 {
		t.Errorf("%d transactions to clear %d entries", n, len(ps))
	}
}

func TestOutboxFinishFailureKeepsEntry(t *testing.T) {
	e := newOutboxEnv(t, Options{})
	p := e.log.Begin(intent("DeleteObject", "k"))
	if err := e.store.Update(WithPending(context.Background(), p), putKey("k")); err != nil {
		t.Fatal(err)
	}
	e.log.Close() // the trail cannot be written any more
	if err := p.Finish(Event{EventName: "DeleteObject"}); err == nil {
		t.Fatal("Finish on a closed log succeeded")
	}
	if err := e.ob.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.outbox(t)[p.EventID()]; !ok {
		t.Error("entry of an event that was never written was cleared")
	}
}

func TestOutboxRecover(t *testing.T) {
	// Small files: the event already in the trail ends up in a rotated one.
	e := newOutboxEnv(t, Options{MaxBytes: 600})
	bg := context.Background()
	written := e.log.Begin(intent("PutObject", "written"))
	lost := e.log.Begin(intent("DeleteObject", "lost"))
	for _, p := range []*Pending{written, lost} {
		if err := e.store.Update(WithPending(bg, p), putKey(p.EventID())); err != nil {
			t.Fatal(err)
		}
	}
	// The process stops after appending one final event but before
	// clearing its entry, and before the other's final event: no Finish,
	// the trail line is appended directly.
	final := Event{EventName: "PutObject", EventID: written.EventID(), RequestID: "REQ-written"}
	if err := e.log.Append(final); err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // rotate it away
		e.log.Append(Event{EventName: "GetObject", RequestID: fmt.Sprint("filler-", i),
			RequestParameters: map[string]any{"pad": string(make([]byte, 200))}})
	}
	if err := e.meta.Store.Update(bg, func(tx meta.Tx) error {
		return tx.Put(meta.TableAuditOutbox, []byte("garbage"), []byte{9, 9})
	}); err != nil {
		t.Fatal(err)
	}

	r, err := e.ob.Recover(bg)
	if err != nil {
		t.Fatal(err)
	}
	if r != (Recovery{Shipped: 1, Present: 1, Unreadable: 1}) {
		t.Errorf("recovery = %+v", r)
	}
	if got := e.outbox(t); len(got) != 0 {
		t.Errorf("outbox after recovery: %v", got)
	}
	count := map[string][]Event{}
	for _, ev := range e.trail(t) {
		count[ev.EventID] = append(count[ev.EventID], ev)
	}
	if n := len(count[written.EventID()]); n != 1 {
		t.Errorf("event already in the trail appears %d times", n)
	}
	got := count[lost.EventID()]
	if len(got) != 1 {
		t.Fatalf("lost event appears %d times, want 1", len(got))
	}
	ev := got[0]
	if ev.EventName != "DeleteObject" || ev.RequestID != "REQ-lost" || ev.AdditionalEventData[RecoveredKey] != false ||
		ev.AdditionalEventData[RecoveredAtKey] == nil || ev.ErrorCode != "" || len(ev.Resources) != 1 {
		t.Errorf("recovered event = %+v", ev)
	}

	// A second recovery finds nothing to do.
	if r, err := e.ob.Recover(bg); err != nil || r != (Recovery{}) {
		t.Errorf("second recovery: %+v, %v", r, err)
	}
}

// An entry is never cleared before its event is on stable storage: a power
// loss could otherwise take both.
func TestOutboxClearsOnlySyncedEvents(t *testing.T) {
	e := newOutboxEnv(t, Options{SyncInterval: time.Hour}) // no background fsync
	p := e.log.Begin(intent("PutObject", "k"))
	if err := e.store.Update(WithPending(context.Background(), p), putKey("k")); err != nil {
		t.Fatal(err)
	}
	if err := p.Finish(Event{EventName: "PutObject"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ob.flush(); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.outbox(t)[p.EventID()]; !ok {
		t.Fatal("entry cleared while its event was not synced")
	}
	if err := e.log.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := e.ob.flush(); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.outbox(t)[p.EventID()]; ok {
		t.Fatal("entry kept after its event was synced")
	}
}

// Stage puts an event settled inside the transaction; not once finished,
// and not without an outbox.
func TestPendingStage(t *testing.T) {
	e := newOutboxEnv(t, Options{})
	bg := context.Background()
	p := e.log.Begin(Event{EventSource: "s3.amazonaws.com"})
	err := e.meta.Store.Update(bg, func(tx meta.Tx) error {
		if err := putKey("x")(tx); err != nil {
			return err
		}
		return p.Stage(tx, intent("LifecycleExpirationDelete", "x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := e.outbox(t)[p.EventID()]
	if !ok || ev.EventName != "LifecycleExpirationDelete" || ev.EventTime.IsZero() {
		t.Fatalf("staged in the transaction: %+v (present %v)", ev, ok)
	}
	if err := p.Finish(ev); err != nil {
		t.Fatal(err)
	}
	waitCleared(t, e, p.EventID())
	e.meta.Store.Update(bg, func(tx meta.Tx) error { return p.Stage(tx, ev) })
	if _, ok := e.outbox(t)[p.EventID()]; ok {
		t.Error("Stage after Finish put the entry back")
	}

	// A trail without an outbox stages nothing.
	dir := t.TempDir()
	l, err := Open(PathIn(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := l.Begin(Event{})
	e.meta.Store.Update(bg, func(tx meta.Tx) error { return q.Stage(tx, intent("PutObject", "y")) })
	if _, ok := e.outbox(t)[q.EventID()]; ok {
		t.Error("staged without an outbox")
	}
}

// TestOutboxRecoverSharedStore: two nodes' outboxes on one store (as on
// PostgreSQL). Node b restarting leaves node a's fresh entries alone —
// the request still running on a, and the one a finished but has not
// cleared yet —, so neither event is recorded twice; a's request finishes
// and a clears its entry as usual. b ships its own leftover at once, and
// a's entry once it is stale (a died). Untagged entries on a shared store
// count as another node's.
func TestOutboxRecoverSharedStore(t *testing.T) {
	bg := context.Background()
	dir := t.TempDir()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	node := func(name string) *outboxEnv {
		d := filepath.Join(dir, name)
		l, err := Open(PathIn(d), Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := &outboxEnv{dir: d, log: l, meta: &countingStore{Store: ms}}
		e.ob = NewOutbox(e.meta, l, nil)
		e.ob.SetNode(name)
		e.store = e.ob.Store()
		t.Cleanup(func() { e.ob.Close(); l.Close() })
		return e
	}
	a, b := node("a"), node("b")
	stage := func(e *outboxEnv, key string) *Pending {
		p := e.log.Begin(intent("PutObject", key))
		if err := e.store.Update(WithPending(bg, p), putKey(key)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	running := stage(a, "running")   // a's request is still running
	finished := stage(a, "finished") // a appended its event, not cleared yet
	if err := a.log.Append(Event{EventName: "PutObject", EventID: finished.EventID()}); err != nil {
		t.Fatal(err)
	}
	leftover := stage(b, "leftover")                 // b stopped before finishing it
	if err := ms.Update(bg, func(tx meta.Tx) error { // an untagged entry, e.g. from before tags
		rec, err := encodeEvent(Event{EventName: "PutObject", EventID: "untagged", EventTime: time.Now()})
		if err != nil {
			return err
		}
		return putOutboxEntry(tx, []byte("untagged"), rec)
	}); err != nil {
		t.Fatal(err)
	}

	r, err := b.ob.Recover(bg)
	if err != nil {
		t.Fatal(err)
	}
	if r != (Recovery{Shipped: 1, Others: 3}) {
		t.Errorf("b's recovery = %+v, want its own entry shipped and 3 others left", r)
	}
	ids := func(e *outboxEnv) map[string]int {
		n := map[string]int{}
		for _, ev := range e.trail(t) {
			n[ev.EventID]++
		}
		return n
	}
	if got := ids(b); got[leftover.EventID()] != 1 || len(got) != 1 {
		t.Errorf("b's trail holds %v, want only its leftover", got)
	}
	left := b.outbox(t)
	for _, id := range []string{running.EventID(), finished.EventID(), "untagged"} {
		if _, ok := left[id]; !ok {
			t.Errorf("b's recovery took %s, an entry of a live node", id)
		}
	}
	// a finishes its running request: one event, in a's trail.
	if err := running.Finish(Event{EventName: "PutObject"}); err != nil {
		t.Fatal(err)
	}
	if got := ids(a); got[running.EventID()] != 1 || got[finished.EventID()] != 1 {
		t.Errorf("a's trail holds %v", got)
	}
	if got := ids(b); got[running.EventID()] != 0 || got[finished.EventID()] != 0 {
		t.Errorf("a's events recorded in b's trail too: %v", got)
	}

	// a dies (its entries stay); once they are stale, b ships them.
	b.ob.staleAfter = time.Nanosecond
	r, err = b.ob.Recover(bg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Shipped+r.Present == 0 || r.Others != 0 {
		t.Errorf("recovery of stale entries = %+v", r)
	}
	if got := b.outbox(t); len(got) != 0 {
		t.Errorf("outbox after recovering stale entries: %v", got)
	}
	if got := ids(b); got["untagged"] != 1 {
		t.Errorf("the stale untagged entry was not shipped: %v", got)
	}
}
