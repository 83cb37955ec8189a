package object_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// mnClock is a settable clock for the object service.
type mnClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mnClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *mnClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mnEnv is an object service on a bolt store and a blob directory in dir,
// which can be closed and opened again as a restart would.
type mnEnv struct {
	t     *testing.T
	dir   string
	grace time.Duration
	clock *mnClock
	wrap  func(blob.Store) blob.Store // nil: the blob directory as it is

	ms    *bolt.Store
	blobs blob.Store
	svc   *object.Service
}

func newMNEnv(t *testing.T, grace time.Duration) *mnEnv {
	e := &mnEnv{t: t, dir: t.TempDir(), grace: grace, clock: &mnClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
	e.open()
	t.Cleanup(func() { e.close() })
	return e
}

// open opens the stores and a service and runs Recover, as server.Open does.
func (e *mnEnv) open() {
	e.t.Helper()
	ms, err := bolt.Open(filepath.Join(e.dir, "meta.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	fs, err := blobfs.Open(filepath.Join(e.dir, "blobs"))
	if err != nil {
		e.t.Fatal(err)
	}
	var bs blob.Store = fs
	if e.wrap != nil {
		bs = e.wrap(fs)
	}
	key, err := sse.NewManagedKey("test", make([]byte, 32))
	if err != nil {
		e.t.Fatal(err)
	}
	e.ms, e.blobs = ms, bs
	e.svc = object.New(object.Config{Meta: ms, Blobs: bs, ManagedKey: key, Region: "us-east-1", Now: e.clock.now,
		BlobGrace: e.grace, Logger: slog.New(slog.DiscardHandler),
		InlineMax: -1}) // these tests follow blobs: every object gets one
	if err := e.svc.Recover(context.Background()); err != nil {
		e.t.Fatalf("Recover: %v", err)
	}
}

func (e *mnEnv) close() {
	if e.ms != nil {
		e.ms.Close()
		e.ms = nil
	}
}

func (e *mnEnv) restart() {
	e.t.Helper()
	e.close()
	e.open()
}

func (e *mnEnv) bucket(name, versioning string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.svc.CreateBucket(ctx, kura.Bucket{Name: name, Owner: "111122223333"}); err != nil {
		e.t.Fatal(err)
	}
	if versioning != "" {
		if err := e.svc.UpdateBucket(ctx, name, func(b *kura.Bucket) error { b.Versioning = versioning; return nil }); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *mnEnv) put(bucket, key, body string) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: -1})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

// versions lists bucket/key's versions as the versions table orders them.
func (e *mnEnv) versions(bucket, key string) []*kura.ObjectVersion {
	e.t.Helper()
	var out []*kura.ObjectVersion
	err := e.ms.View(context.Background(), func(tx meta.Tx) (err error) {
		out, err = meta.VersionsOf(tx, bucket, key)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *mnEnv) read(v *kura.ObjectVersion) (string, error) {
	r, err := e.svc.Open(context.Background(), v, 0, v.Size, object.KeyAccess{})
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// seqOf decodes the seq a version id carries (its first 8 bytes).
func seqOf(t *testing.T, id string) uint64 {
	t.Helper()
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 16 {
		t.Fatalf("version id %q: want 32 hex characters", id)
	}
	var n uint64
	for _, c := range b[:8] {
		n = n<<8 | uint64(c)
	}
	return n
}

// TestVersionSeqFromCounter: versions get their seq from the store's
// counter in commit order, the version id carries it, it keeps growing
// across restarts, and it does not follow the clock: a clock set back
// does not reorder anything.
func TestVersionSeqFromCounter(t *testing.T) {
	e := newMNEnv(t, 0)
	e.bucket("bkt", "Enabled")
	var last uint64
	check := func(v *kura.ObjectVersion) {
		t.Helper()
		if got := seqOf(t, v.VersionID); got != v.Seq {
			t.Fatalf("version id %s carries seq %d, the version has %d", v.VersionID, got, v.Seq)
		}
		if v.Seq <= last {
			t.Fatalf("seq %d after %d: not increasing", v.Seq, last)
		}
		last = v.Seq
	}
	for i := range 5 {
		check(e.put("bkt", "k", fmt.Sprint("v", i)))
		e.clock.add(-time.Hour) // Last-Modified goes back; the order must not
	}
	e.restart()
	check(e.put("bkt", "other", "x"))
	v := e.put("bkt", "k", "after restart")
	check(v)
	vs := e.versions("bkt", "k")
	if len(vs) != 6 || vs[0].VersionID != v.VersionID {
		t.Fatalf("newest version of k is %s (of %d), want %s", vs[0].VersionID, len(vs), v.VersionID)
	}
	cur, err := e.svc.Head(context.Background(), "bkt", "k", "")
	if err != nil || cur.VersionID != v.VersionID {
		t.Fatalf("HEAD: %v %v, want the last write", cur, err)
	}
	if !cur.LastModified.Equal(e.clock.now().Truncate(time.Millisecond)) {
		t.Errorf("Last-Modified %v, want the clock's %v", cur.LastModified, e.clock.now())
	}
}

// TestVersionSeqAboveExisting: a store holding clock-based seqs from
// before the counter existed gets its counter raised above all of them
// at start, so new versions of old keys and new keys alike sort after
// every old version; a version written later with an even higher seq (an
// older binary run again) still stays below the next write to its key.
func TestVersionSeqAboveExisting(t *testing.T) {
	e := newMNEnv(t, 0)
	e.bucket("bkt", "Enabled")
	e.close()
	// What an older Kura wrote: seqs are nanoseconds since 1970.
	old := uint64(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	ms, err := bolt.Open(filepath.Join(e.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = ms.Update(context.Background(), func(tx meta.Tx) error {
		if err := tx.Delete(meta.TableSystem, []byte(meta.SystemVersionSeqInit)); err != nil {
			return err
		}
		for i, key := range []string{"a", "a", "z"} {
			seq := old + uint64(i)
			v := &kura.ObjectVersion{Bucket: "bkt", Key: key, Seq: seq, VersionID: fmt.Sprintf("%016x%016x", seq, 0), DeleteMarker: true}
			if err := meta.PutVersion(tx, v); err != nil {
				return err
			}
		}
		return nil
	})
	ms.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	if n := e.put("bkt", "new", "x"); n.Seq <= old+2 {
		t.Errorf("a new key's seq %d is not above the stored %d", n.Seq, old+2)
	}
	v := e.put("bkt", "a", "x")
	if vs := e.versions("bkt", "a"); vs[0].VersionID != v.VersionID || len(vs) != 3 {
		t.Errorf("a write to an old key is not its newest version: %d versions, newest %s", len(vs), vs[0].VersionID)
	}

	// An older binary writes again, far above the counter; a restart
	// does not scan again (the counter is initialised), yet the next
	// write to that key still goes on top.
	e.close()
	ms, err = bolt.Open(filepath.Join(e.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	later := uint64(time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	err = ms.Update(context.Background(), func(tx meta.Tx) error {
		return meta.PutVersion(tx, &kura.ObjectVersion{Bucket: "bkt", Key: "z", Seq: later, VersionID: fmt.Sprintf("%016x%016x", later, 0), DeleteMarker: true})
	})
	ms.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	z := e.put("bkt", "z", "on top")
	if vs := e.versions("bkt", "z"); vs[0].VersionID != z.VersionID || z.Seq <= later {
		t.Errorf("write after a higher stored seq: seq %d, newest %s, want on top of %d", z.Seq, vs[0].VersionID, later)
	}
}

// TestVersionSeqConcurrentWriters: concurrent writers of one key (their
// transactions committed together by group commit, fn run again when a
// group fails) each get a distinct seq; every writer's own writes are in
// its order; and each version a PUT returned is stored under exactly the
// id and seq it was given.
func TestVersionSeqConcurrentWriters(t *testing.T) {
	e := newMNEnv(t, 0)
	e.bucket("bkt", "Enabled")
	e.bucket("unv", "") // unversioned: each write replaces the null version
	const writers, each = 8, 15
	var mu sync.Mutex
	got := map[string]*kura.ObjectVersion{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var prev uint64
			for i := range each {
				v, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: "bkt", Key: "hot",
					Body: strings.NewReader(fmt.Sprintf("w%d-%d", w, i)), Size: -1})
				if err != nil {
					t.Error(err)
					return
				}
				if v.Seq <= prev {
					t.Errorf("writer %d: seq %d after its own %d", w, v.Seq, prev)
				}
				prev = v.Seq
				mu.Lock()
				got[v.VersionID] = v
				mu.Unlock()
				if _, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: "unv", Key: "hot",
					Body: strings.NewReader("x"), Size: -1}); err != nil {
					t.Error(err)
					return
				}
				// A write whose transaction fails makes the group it
				// was committed with run again without it.
				if _, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: "bkt", Key: "hot",
					Body: strings.NewReader("refused"), Size: -1, Cond: object.WriteConditions{IfNoneMatch: "*"}}); !s3err.Is(err, s3err.PreconditionFailed) {
					t.Errorf("conditional write over an existing key: %v, want PreconditionFailed", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	vs := e.versions("bkt", "hot")
	if len(vs) != writers*each || len(got) != writers*each {
		t.Fatalf("%d versions stored, %d distinct ids returned, want %d", len(vs), len(got), writers*each)
	}
	for i, v := range vs {
		r, ok := got[v.VersionID]
		if !ok || r.Seq != v.Seq {
			t.Fatalf("stored version %s (seq %d) is not what its PUT returned (%v)", v.VersionID, v.Seq, r)
		}
		if i > 0 && v.Seq >= vs[i-1].Seq {
			t.Fatalf("versions out of order at %d", i)
		}
		if body, err := e.read(v); err != nil || !strings.HasPrefix(body, "w") {
			t.Fatalf("read %s: %q, %v", v.VersionID, body, err)
		}
	}
	if u := e.versions("unv", "hot"); len(u) != 1 || u[0].VersionID != object.NullVersion {
		t.Errorf("unversioned key holds %d versions after concurrent overwrites, want one null version", len(u))
	}
}
