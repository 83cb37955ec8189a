package object_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func (e *mnEnv) blobExists(id string) bool {
	e.t.Helper()
	r, err := e.blobs.Open(context.Background(), id)
	if errors.Is(err, blob.ErrNotFound) {
		return false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	r.Close()
	return true
}

func (e *mnEnv) queued() []meta.QueuedBlob {
	e.t.Helper()
	var q []meta.QueuedBlob
	if err := e.ms.View(context.Background(), func(tx meta.Tx) (err error) {
		q, _, err = meta.QueuedBlobs(tx, "", -1)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return q
}

func (e *mnEnv) collect() object.CollectResult {
	e.t.Helper()
	res, err := e.svc.CollectBlobs(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// TestBlobGrace: a blob released by an overwrite stays until the grace
// period has passed, so a read that looked the old version up before the
// overwrite still gets its bytes; then the collector deletes it, and a
// read of the old version now is an integrity error (500, counted), not a
// normal answer.
func TestBlobGrace(t *testing.T) {
	const grace = time.Hour
	e := newMNEnv(t, grace)
	e.bucket("bkt", "")
	old := e.put("bkt", "k", "old bytes")
	e.put("bkt", "k", "new bytes") // releases old's blob
	q := e.queued()
	if len(q) != 1 || q[0].ID != old.BlobID || !q[0].Released.Equal(e.clock.now()) {
		t.Fatalf("queue after an overwrite: %+v, want %s released now", q, old.BlobID)
	}
	if got, err := e.read(old); err != nil || got != "old bytes" {
		t.Fatalf("read of the overwritten version within the grace period: %q, %v", got, err)
	}

	e.clock.add(grace - time.Second)
	if res := e.collect(); res.Due != 0 || !e.blobExists(old.BlobID) {
		t.Fatalf("collected before the grace period ended: %+v", res)
	}
	e.clock.add(time.Second)
	if res := e.collect(); res.Queued != 1 || res.Due != 1 || res.Deleted != 1 {
		t.Fatalf("collection at the end of the grace period: %+v, want the blob deleted", res)
	}
	if e.blobExists(old.BlobID) || len(e.queued()) != 0 {
		t.Fatal("the released blob or its queue entry is still there")
	}
	_, err := e.read(old)
	if !s3err.Is(err, s3err.InternalError) {
		t.Fatalf("read outliving the grace period: %v, want InternalError", err)
	}
	var ie *object.IntegrityError
	if !errors.As(err, &ie) || ie.Kind != object.IntegrityMissing || e.svc.IntegrityErrors().Missing != 1 {
		t.Errorf("read outliving the grace period: %v, counts %+v; want a counted missing-blob integrity error", err, e.svc.IntegrityErrors())
	}
	if got, err := e.read(e.versions("bkt", "k")[0]); err != nil || got != "new bytes" {
		t.Errorf("current version: %q, %v", got, err)
	}
}

// TestBlobGraceZero: without a grace period a released blob goes as soon
// as its release commits.
func TestBlobGraceZero(t *testing.T) {
	e := newMNEnv(t, 0)
	e.bucket("bkt", "")
	old := e.put("bkt", "k", "old")
	if _, err := e.svc.DeleteObject(context.Background(), "bkt", "k", ""); err != nil {
		t.Fatal(err)
	}
	if e.blobExists(old.BlobID) || len(e.queued()) != 0 {
		t.Fatal("a deleted object's blob survived with no grace period")
	}
}

// failingDeletes is a blob store whose deletions fail while fail is set,
// as a process that stops between a release and its deletion leaves them
// undone.
type failingDeletes struct {
	blob.Store
	fail *atomic.Bool
}

func (f failingDeletes) Delete(ctx context.Context, id string) error {
	if f.fail.Load() {
		return errors.New("injected: the process stopped before deleting")
	}
	return f.Store.Delete(ctx, id)
}

// TestBlobGCAfterCrash: a release that committed but whose blob was not
// deleted (the process stopped) is finished after a restart: at start for
// blobs already due, and by a later collection for those still in their
// grace period. Entries queued before release times were recorded are due
// at once.
func TestBlobGCAfterCrash(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Hour} {
		t.Run(grace.String(), func(t *testing.T) {
			e := newMNEnv(t, grace)
			var fail atomic.Bool
			e.wrap = func(s blob.Store) blob.Store { return failingDeletes{s, &fail} }
			e.restart()
			e.bucket("bkt", "Enabled")
			v := e.put("bkt", "k", "data")
			fail.Store(true)
			if _, err := e.svc.DeleteObject(context.Background(), "bkt", "k", v.VersionID); err != nil {
				t.Fatal(err)
			}
			e.collect() // deletions fail
			if !e.blobExists(v.BlobID) || len(e.queued()) != 1 {
				t.Fatal("want the blob still there and queued")
			}
			fail.Store(false)
			e.restart() // Recover collects what is due
			if grace > 0 {
				if !e.blobExists(v.BlobID) {
					t.Fatal("deleted at start within its grace period")
				}
				e.clock.add(grace)
				e.collect()
			}
			if e.blobExists(v.BlobID) || len(e.queued()) != 0 {
				t.Fatal("the blob of a release interrupted by a stop was not deleted")
			}
		})
	}
	t.Run("old entries", func(t *testing.T) {
		e := newMNEnv(t, time.Hour)
		e.bucket("bkt", "Enabled")
		v := e.put("bkt", "k", "data")
		// An entry as Kura wrote it before release times: no value.
		if err := e.ms.Update(context.Background(), func(tx meta.Tx) error {
			if err := meta.DeleteVersion(tx, v); err != nil {
				return err
			}
			return tx.Put(meta.TableBlobGC, []byte(v.BlobID), nil)
		}); err != nil {
			t.Fatal(err)
		}
		if q := e.queued(); len(q) != 1 || !q[0].Released.IsZero() {
			t.Fatalf("queue: %+v", q)
		}
		if res := e.collect(); res.Deleted != 1 || e.blobExists(v.BlobID) {
			t.Fatalf("an entry without a release time was not due at once: %+v", res)
		}
	})
}
