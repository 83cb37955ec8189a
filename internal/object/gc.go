package object

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// Deleting released blobs: a grace period instead of a read registry.
//
// A read looks its version up in one metadata transaction and opens the
// blobs afterwards (a multipart object one part at a time, as the stream
// reaches it). An overwrite or delete that commits in between releases
// those blobs. Deleting them at once would cut the read short; waiting for
// the reads of this process to end (as Kura once did) says nothing of
// reads served by other nodes on the same stores. So a released blob is
// queued with the time of its release, in the transaction that releases
// it, and deleted only once that is older than the grace period
// (Config.BlobGrace; the server's default is an hour). A read still
// running then, more than the grace period after an overwrite or delete
// of what it reads, finds the blob gone: that is an integrity error
// (integrity.go: 500, logged, counted), which is why the grace period must
// be far longer than any real read.
//
// Blob ids are never reused, and nothing names a blob again once its
// metadata is gone, so deleting a due blob is safe from any node and any
// number of times: the collector runs under a lease only to avoid doing
// the same work twice. The queue entry stays until the blob is deleted,
// so a crash at any point leaves the blob for the next pass, and the
// orphan sweep treats a queued blob as referenced (meta.WalkData).

// gcPage is how many queue entries one read transaction of CollectBlobs
// reads.
const gcPage = 1000

// collectParallel is how many blob deletes collect runs at once.
const collectParallel = 8

// CollectResult is what one CollectBlobs pass found and did.
type CollectResult struct {
	Queued  int // entries in the queue
	Due     int // entries older than the grace period
	Deleted int // blobs deleted and unqueued
}

// CollectBlobs deletes the queued blobs whose grace period has passed and
// removes their queue entries. It reads the queue in pages, so no
// transaction is long; a blob it fails to delete stays queued for the next
// pass.
func (s *Service) CollectBlobs(ctx context.Context) (CollectResult, error) {
	var res CollectResult
	cutoff := s.now().Add(-s.blobGrace)
	after := ""
	for {
		var page []meta.QueuedBlob
		var done bool
		err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
			page, done, err = meta.QueuedBlobs(tx, after, gcPage)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("blob gc: read the queue: %w", err)
		}
		res.Queued += len(page)
		var due []string
		for _, q := range page {
			if !q.Released.After(cutoff) {
				due = append(due, q.ID)
			}
		}
		res.Due += len(due)
		res.Deleted += s.collect(ctx, due)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if done || len(page) == 0 {
			return res, nil
		}
		after = page[len(page)-1].ID
	}
}

// collect deletes released blobs and their queue entries and returns how
// many it deleted. Only call it with blobs whose grace period has passed.
func (s *Service) collect(ctx context.Context, ids []string) int {
	if len(ids) == 0 {
		return 0
	}
	// Deletes run side by side: on a local disk each is an unlink and a
	// directory fsync, and concurrent fsyncs share journal commits
	// (issue 18: a DeleteObjects of 1,000 keys without a grace period).
	var (
		mu   sync.Mutex
		done []string
		wg   sync.WaitGroup
		sem  = make(chan struct{}, collectParallel)
	)
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.blobs.Delete(ctx, id); err != nil {
				if !errors.Is(err, context.Canceled) {
					s.log.Warn("blob delete failed; the next collection retries", "blob", id, "err", err)
				}
				return
			}
			mu.Lock()
			done = append(done, id)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(done) == 0 {
		return 0
	}
	if err := s.meta.Update(ctx, func(tx meta.Tx) error {
		for _, id := range done {
			if err := meta.UnqueueBlob(tx, id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		s.log.Warn("blob gc queue update failed; the next collection retries", "err", err)
		return 0
	}
	return len(done)
}

// BlobGrace is how long released blobs are kept (Config.BlobGrace).
func (s *Service) BlobGrace() time.Duration { return s.blobGrace }

// Recover prepares the stores for serving: it initialises the version
// counter above every version stored before it existed (meta.InitVersionSeq;
// a one-time scan of the versions table) and deletes the queued blobs whose
// grace period has passed, such as those a crash left between a release
// and its deletion.
func (s *Service) Recover(ctx context.Context) error {
	floor, set, err := meta.InitVersionSeq(ctx, s.meta)
	if err != nil {
		return err
	}
	if set && floor > 0 {
		s.log.Info("version order now comes from the metadata store's counter, above every existing version", "floor", floor)
	}
	res, err := s.CollectBlobs(ctx)
	if err != nil {
		return err
	}
	if res.Deleted > 0 {
		s.log.Info("deleted blobs released before the last stop", "blobs", res.Deleted)
	}
	return nil
}
