package object

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
)

// DefaultOrphanGrace is how old an unreferenced blob must be before the
// orphan sweep removes it.
const DefaultOrphanGrace = time.Hour

// SweepResult is what one orphan sweep found and did.
type SweepResult struct {
	Blobs   int   // blobs in the store
	Orphans int   // unreferenced blobs older than the grace period
	Removed int   // orphans removed
	Bytes   int64 // bytes removed
}

// SweepOrphans removes blobs that no metadata record names (meta.WalkData) and
// that were written more than grace ago. Orphans are what a crash between a
// blob's write and its metadata commit leaves behind; the blob GC queue
// (gc.go) covers the other gap, a crash between a commit that
// releases blobs and their deletion.
//
// Why this is safe against concurrent writes. A write stores its blob
// first and commits the metadata naming it afterwards, so a blob may be
// unreferenced only because its commit is still to come. The sweep works in
// this order:
//
//  1. It lists the blobs and keeps as candidates those last modified
//     before the cutoff (now - grace). A blob store never reports a time
//     earlier than the write (blob.Info.ModTime).
//  2. It drops the candidates this process is still writing: store()
//     registers a blob id before the blob is written and the write
//     unregisters it only after its commit (or after discarding the blob).
//  3. It reads every reference from one metadata snapshot taken after 2,
//     and drops the referenced candidates.
//  4. It deletes what is left.
//
// Take a candidate B whose writer is in this process. If the writer was
// still registered at 2, B was dropped there. If it had unregistered, its
// commit (if it committed) precedes the snapshot of 3, which therefore
// names B, unless B was released since; a released blob is in the GC
// queue, which counts as a reference, until the collector has deleted it
// (after the blob grace period, gc.go) and only then is unqueued. A
// writer that registers after 2 writes a blob that did not exist at 1. A
// multipart Complete moves part blobs into the version in one transaction,
// so a snapshot sees them in one place or the other. So in-process, no
// blob that is or will be referenced is deleted, whatever the grace period.
//
// A writer in another process (several nodes on one blob store) is
// covered only by the grace period: its blob is safe if it commits within
// grace of writing it. The sweep runs on one node at a time (a lease,
// internal/lease), and its registry knows only that node's writes. With
// the embedded metadata store one process owns the stores (it holds the
// file's lock), so that case does not arise; stores shared by several
// nodes must also make a writer refuse to commit a blob older than grace.
// Blobs of running reads are not at risk from the sweep either: a read's
// blobs are referenced, or queued until the blob grace period after their
// release has passed (what happens to a read that outlives that is in
// gc.go), and the sweep never removes a queued blob.
//
// The sweep holds the ids of the candidates in memory (the blobs older
// than grace, tens of bytes each) and reads all metadata in one read
// transaction; run it hourly, not per request.
func (s *Service) SweepOrphans(ctx context.Context, grace time.Duration) (SweepResult, error) {
	var res SweepResult
	cutoff := time.Now().Add(-grace) // blob times are wall-clock times, whatever s.now says
	cands := map[string]blob.Info{}
	err := s.blobs.Walk(ctx, func(b blob.Info) error {
		res.Blobs++
		if b.ModTime.Before(cutoff) {
			cands[b.ID] = b
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("orphan sweep: list blobs: %w", err)
	}
	if len(cands) == 0 {
		return res, nil
	}
	s.writes.exclude(cands)
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		return meta.WalkData(tx, func(r meta.DataRecord) error {
			if r.Err != nil {
				// What the record names is unknown: delete nothing.
				return r.Err
			}
			for _, id := range r.BlobIDs() {
				delete(cands, id)
			}
			return nil
		})
	})
	if err != nil {
		return res, fmt.Errorf("orphan sweep: read references: %w", err)
	}
	res.Orphans = len(cands)
	for id, b := range cands {
		if err := s.blobs.Delete(ctx, id); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return res, err
			}
			s.log.Warn("orphan sweep: removing a blob failed; the next sweep retries", "blob", id, "err", err)
			continue
		}
		res.Removed++
		res.Bytes += b.Size
		s.log.Debug("orphan sweep: removed unreferenced blob", "blob", id, "size", b.Size, "written", b.ModTime)
	}
	return res, nil
}

// pendingWrites are the blobs this process has written or is writing whose
// metadata is not committed yet; the orphan sweep leaves them alone.
type pendingWrites struct {
	mu  sync.Mutex
	ids map[string]int
}

// add registers id before its blob is written.
func (w *pendingWrites) add(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ids == nil {
		w.ids = map[string]int{}
	}
	w.ids[id]++
}

// done unregisters id once its metadata is committed or the blob is
// discarded.
func (w *pendingWrites) done(id string) {
	if id == "" {
		return // an inline write: no blob
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ids[id]--; w.ids[id] <= 0 {
		delete(w.ids, id)
	}
}

// exclude removes the pending ids from cands.
func (w *pendingWrites) exclude(cands map[string]blob.Info) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.ids {
		delete(cands, id)
	}
}
