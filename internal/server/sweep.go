package server

import (
	"context"
	"time"

	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/object"
)

// DefaultOrphanSweepInterval is how often the server looks for orphan
// blobs (and stale temporary files) after the sweep at start.
const DefaultOrphanSweepInterval = time.Hour

// removeDeadTemp removes every temporary file in the blob store. Only call
// it while holding the metadata file's lock, before serving: a Kura process
// writes blobs only while it holds that lock, so at this point every
// temporary file belongs to a process that is gone (an upload interrupted
// by a crash or kill). The blob store itself only ever removes temporary
// files by age (blobfs.StaleTempAge), which stays safe if the directory is
// shared one day.
func removeDeadTemp(s *Server) {
	n, err := s.blobs.RemoveStaleTemp(0)
	if err != nil {
		s.cfg.Logger.Warn("removing temporary files of interrupted uploads failed", "err", err)
		return
	}
	if n > 0 {
		s.cfg.Logger.Info("removed temporary files of uploads interrupted by the last stop", "files", n)
	}
}

// runSweeps runs the orphan sweep at start and then every interval, until
// ctx ends. Each round also removes temporary files untouched for
// blobfs.StaleTempAge (uploads that stalled).
func (s *Server) runSweeps(ctx context.Context, interval, grace time.Duration) {
	sweep := func() {
		if n, err := s.blobs.RemoveStaleTemp(blobfs.StaleTempAge); err != nil {
			s.cfg.Logger.Warn("removing stale temporary files failed", "err", err)
		} else if n > 0 {
			s.cfg.Logger.Info("removed stale temporary files", "files", n)
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
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sweep()
		}
	}
}

// sweepSettings resolves the configured sweep interval and grace period;
// run is false when sweeps are off.
func sweepSettings(cfg Config) (interval, grace time.Duration, run bool) {
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
	case grace < 0:
		grace = 0 // safe in-process: see object.Service.SweepOrphans
	}
	return interval, grace, true
}
