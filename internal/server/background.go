package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/lease"
	"github.com/kurastore/kura/internal/object"
)

// Background work. What must run once per deployment, however many nodes
// share its stores, runs under a lease in the metadata store
// (internal/lease): every node starts a runner per job, and only the
// runner holding the job's lease does the work; when that node stops, it
// releases the lease, and when it dies, another node takes the lease once
// it has expired (lease.DefaultTTL). Every job is transactional and
// idempotent, so the rare overlap a lease cannot rule out (a node paused
// past its lease) repeats work but never does it wrong.

// The leases of the background jobs.
const (
	LeaseBlobGC         = "blob-gc"         // deleting released blobs after their grace period
	LeaseOrphanSweep    = "orphan-sweep"    // removing unreferenced blobs and stale temporary files
	LeaseLifecycle      = "lifecycle"       // applying bucket lifecycle rules
	LeaseKMSMaintenance = "kms-maintenance" // rotating and deleting KMS keys that are due
	LeaseIAMMaintenance = "iam-maintenance" // reaping expired STS sessions
	LeaseInventory      = "inventory"       // delivering S3 Inventory reports on their schedule
	LeaseBatchJobs      = "batch-jobs"      // running Batch Operations jobs
	LeaseReplication    = "replication"     // draining the replication queue
)

// DefaultBlobGrace is how long a released blob is kept by default: reads
// that started before an overwrite or delete get an hour to finish.
const DefaultBlobGrace = time.Hour

// DefaultOrphanSweepInterval is how often the server looks for orphan
// blobs (and stale temporary files) after the sweep at start.
const DefaultOrphanSweepInterval = time.Hour

// maintenanceInterval is how often KMS and IAM maintenance run.
const maintenanceInterval = time.Minute

// startBackground starts a lease runner for each background job; they stop
// when bg ends, and shutdown waits for them (s.bg) before it closes the
// stores.
func (s *Server) startBackground(bg context.Context) {
	jobs := []struct {
		lease string
		work  func(context.Context)
	}{
		{LeaseBlobGC, s.runBlobGC},
		{LeaseLifecycle, s.Lifecycle.Run},
		{LeaseKMSMaintenance, func(ctx context.Context) { s.KMS.RunMaintenance(ctx, maintenanceInterval) }},
		{LeaseIAMMaintenance, func(ctx context.Context) { s.IAM.RunMaintenance(ctx, maintenanceInterval) }},
		{LeaseBatchJobs, s.Batch.Run},
	}
	if s.cfg.InventoryInterval >= 0 {
		jobs = append(jobs, struct {
			lease string
			work  func(context.Context)
		}{LeaseInventory, func(ctx context.Context) { s.Inventory.Schedule(ctx, s.cfg.InventoryInterval) }})
	}
	if s.cfg.ReplicationInterval >= 0 {
		jobs = append(jobs, struct {
			lease string
			work  func(context.Context)
		}{LeaseReplication, func(ctx context.Context) { s.Replication.Run(ctx, s.cfg.ReplicationInterval) }})
	}
	if interval, grace, ok := sweepSettings(s.cfg, s.meta.Exclusive()); ok {
		if s.cfg.OrphanGrace < 0 && !s.meta.Exclusive() {
			s.cfg.Logger.Warn("no orphan grace period is safe only for a store one process owns; with a shared metadata store the sweep keeps the default grace", "grace", grace)
		}
		jobs = append(jobs, struct {
			lease string
			work  func(context.Context)
		}{LeaseOrphanSweep, func(ctx context.Context) { s.runSweeps(ctx, interval, grace) }})
	}
	// Access logs are spooled per process, so every node delivers its own.
	s.bg.Go(func() { s.AccessLog.Run(bg) })
	s.cfg.Logger.Debug("background work runs under leases in the metadata store", "node", s.NodeID)
	for _, j := range jobs {
		r := lease.NewRunner(lease.Config{Meta: s.meta, Name: j.lease, Holder: s.NodeID, Logger: s.cfg.Logger})
		s.bg.Go(func() { r.Run(bg, j.work) })
	}
}

// Lease returns the state of the lease name (one of the Lease* names):
// which node does that work now, and until when.
func (s *Server) Lease(ctx context.Context, name string) (lease.Lease, error) {
	return lease.Get(ctx, s.meta, name)
}

// clearDeadProcess runs at start on a metadata store only this process can
// have open (the embedded store's file lock): whatever another process
// left — temporary blob files, leases — belongs to a process that is gone.
// Temporary files of interrupted uploads are removed (the blob store
// itself only ever removes them by age, blobfs.StaleTempAge, which stays
// safe in a directory shared by several nodes), and leases are released
// so that the background work starts now instead of after their TTL.
func (s *Server) clearDeadProcess(ctx context.Context) {
	if t, ok := s.blobs.(blob.TempRemover); ok {
		n, err := t.RemoveStaleTemp(0)
		switch {
		case err != nil:
			s.cfg.Logger.Warn("removing temporary files of interrupted uploads failed", "err", err)
		case n > 0:
			s.cfg.Logger.Info("removed temporary files of uploads interrupted by the last stop", "files", n)
		}
	}
	if n, err := lease.ReleaseAll(ctx, s.meta); err != nil {
		s.cfg.Logger.Warn("releasing the leases of the last process failed; its background work resumes once they expire", "err", err)
	} else if n > 0 {
		s.cfg.Logger.Debug("released the leases of a process that stopped without releasing them", "leases", n)
	}
}

// runBlobGC deletes released blobs once their grace period has passed
// (object.Service.CollectBlobs), at once and then periodically.
func (s *Server) runBlobGC(ctx context.Context) {
	every := gcInterval(s.Objects.BlobGrace())
	for {
		start := time.Now()
		res, err := s.Objects.CollectBlobs(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.cfg.Logger.Error("blob collection failed; retrying at the next round", "err", err)
		case res.Deleted > 0: // routine: every overwrite and delete ends here
			s.cfg.Logger.Debug("deleted released blobs past their grace period", "blobs", res.Deleted, "queued", res.Queued,
				"took", time.Since(start).Round(time.Millisecond))
		}
		if !sleep(ctx, every) {
			return
		}
	}
}

// gcInterval is how often released blobs are looked for: a quarter of the
// grace period within [1s, 5min], so a blob goes at most a quarter later
// than due. Without a grace period blobs are deleted as they are released,
// and the rounds only retry deletions that failed.
func gcInterval(grace time.Duration) time.Duration {
	if grace == 0 {
		return time.Minute
	}
	return min(max(grace/4, time.Second), 5*time.Minute)
}

// blobGrace resolves Config.BlobGrace for the object service.
func blobGrace(cfg Config) time.Duration {
	switch g := cfg.BlobGrace; {
	case g == 0:
		return DefaultBlobGrace
	case g < 0:
		return 0
	default:
		return g
	}
}

// runSweeps runs the orphan sweep at once and then every interval, until
// ctx ends. Each round also removes temporary files untouched for
// blobfs.StaleTempAge (uploads that stalled).
func (s *Server) runSweeps(ctx context.Context, interval, grace time.Duration) {
	sweep := func() {
		if t, ok := s.blobs.(blob.TempRemover); ok {
			if n, err := t.RemoveStaleTemp(blobfs.StaleTempAge); err != nil {
				s.cfg.Logger.Warn("removing stale temporary files failed", "err", err)
			} else if n > 0 {
				s.cfg.Logger.Info("removed stale temporary files", "files", n)
			}
		}
		start := time.Now()
		res, err := s.Objects.SweepOrphans(ctx, grace)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			s.cfg.Logger.Error("orphan sweep failed; nothing more is removed until the next sweep", "err", err)
		case res.Removed > 0 || res.Orphans > 0:
			s.cfg.Logger.Info("orphan sweep removed unreferenced blobs", "removed", res.Removed, "orphans", res.Orphans,
				"bytes", res.Bytes, "blobs", res.Blobs, "took", time.Since(start).Round(time.Millisecond))
		default:
			s.cfg.Logger.Debug("orphan sweep found nothing to remove", "blobs", res.Blobs, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	sweep()
	for sleep(ctx, interval) {
		sweep()
	}
}

// sweepSettings resolves the configured sweep interval and grace period;
// run is false when sweeps are off. Without a grace period the sweep is
// safe only in-process (object.Service.SweepOrphans): on a store shared
// with other nodes (exclusive false), whose writes in flight the sweeping
// node cannot see, the default grace stands instead.
func sweepSettings(cfg Config, exclusive bool) (interval, grace time.Duration, run bool) {
	interval, grace = cfg.OrphanSweepInterval, cfg.OrphanGrace
	if interval < 0 {
		return 0, 0, false
	}
	if interval == 0 {
		interval = DefaultOrphanSweepInterval
	}
	switch {
	case grace == 0:
		grace = object.DefaultOrphanGrace
	case grace < 0 && !exclusive:
		grace = object.DefaultOrphanGrace
	case grace < 0:
		grace = 0 // safe in-process: see object.Service.SweepOrphans
	}
	return interval, grace, true
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// randomNodeID names a server process: the host name (for whoever reads
// the leases) and random bytes, so two processes on one host differ.
func randomNodeID() string {
	var b [6]byte
	rand.Read(b[:])
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "kura"
	}
	return host + "-" + hex.EncodeToString(b[:])
}
