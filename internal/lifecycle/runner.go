package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// DefaultPageSize is how many versions (or uploads) one read transaction
// of a run reads.
const DefaultPageSize = 1000

// Config wires a Runner.
type Config struct {
	Objects *object.Service
	// Meta keeps the runner's own state: the midnight of the last
	// completed run, so that a restart neither repeats a finished run nor
	// skips an unfinished one.
	Meta   meta.Store
	Audit  *audit.Log // nil: no audit trail (tests)
	Region string
	// Day is the length of a lifecycle day (0: Day). Shorter days make
	// lifecycle observable in tests: a day of 2s runs every 2s, at every
	// multiple of 2s since the epoch.
	Day      time.Duration
	Now      func() time.Time // nil: time.Now
	Logger   *slog.Logger
	PageSize int // 0: DefaultPageSize
	// Observe, when set, sees the event of every action applied, once its
	// change is committed: the server access logs record lifecycle
	// actions as operations of their own (accesslog.Logger.ObserveLifecycle).
	Observe func(audit.Event)
}

// Runner runs bucket lifecycle rules at every midnight.
//
// Only one Runner may run at a time in a deployment: two would both apply
// the same actions (harmlessly, since every action is re-checked in its
// own transaction, but each with its own audit event). The server runs
// Run only while its node holds the lifecycle lease (internal/lease), so
// of several nodes on one metadata store one runs it; Run may be called
// again after it returned, when the lease comes back.
type Runner struct {
	objects  *object.Service
	meta     meta.Store
	trail    *audit.Log
	region   string
	day      time.Duration
	now      func() time.Time
	log      *slog.Logger
	pageSize int
	observe  func(audit.Event)

	completed atomic.Int64 // UnixNano of the midnight of the last completed run; 0: none yet
}

// New returns a Runner; Run starts it.
func New(cfg Config) *Runner {
	r := &Runner{objects: cfg.Objects, meta: cfg.Meta, trail: cfg.Audit, region: cfg.Region, day: cfg.Day,
		now: cfg.Now, log: cfg.Logger, pageSize: cfg.PageSize, observe: cfg.Observe}
	if r.day <= 0 {
		r.day = Day
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.pageSize <= 0 {
		r.pageSize = DefaultPageSize
	}
	return r
}

// Stats counts what one run did.
type Stats struct {
	Applied map[Kind]int
	// Locked counts deletions Object Lock prevented; Stale actions that no
	// longer applied when their transaction ran; Failed actions that failed.
	Locked, Stale, Failed int
}

func (s Stats) applied() int {
	n := 0
	for _, v := range s.Applied {
		n += v
	}
	return n
}

// Completed returns the midnight of the last run that went through every
// bucket (zero before the first).
func (r *Runner) Completed() time.Time {
	if ns := r.completed.Load(); ns != 0 {
		return time.Unix(0, ns).UTC()
	}
	return time.Time{}
}

// Run evaluates the rules at every midnight until ctx ends. A midnight
// that passed without a completed run (first start, the server was down or
// stopped in the middle of a run) is run at once; one run catches up on
// everything that came due meanwhile, since an action due at an earlier
// midnight is due at every later one.
func (r *Runner) Run(ctx context.Context) {
	last, err := r.lastRun(ctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		r.log.Error("lifecycle: reading the last run failed; running now", "err", err)
	}
	r.completed.Store(unixNano(last))
	for {
		if at := Midnight(r.now(), r.day); at.After(last) {
			if _, err := r.RunOnce(ctx, at); err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.Error("lifecycle run failed; retrying", "midnight", at, "err", err)
				if !sleep(ctx, min(r.day, time.Minute)) {
					return
				}
				continue
			}
			last = at
		}
		// Wake at the next midnight; at least every minute, so that a
		// clock set forward (tests move the service clock) is noticed.
		wait := Midnight(r.now(), r.day).Add(r.day).Sub(r.now())
		if !sleep(ctx, min(max(wait, time.Millisecond), time.Minute)) {
			return
		}
	}
}

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

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// RunOnce evaluates every bucket's rules as at midnight at and applies what
// is due. It is idempotent: run again for the same midnight, it finds
// nothing left to do. Each version or upload is changed in a transaction
// of its own, and buckets are read in pages, so no transaction is long.
func (r *Runner) RunOnce(ctx context.Context, at time.Time) (Stats, error) {
	st := Stats{Applied: map[Kind]int{}}
	start := time.Now()
	buckets, err := r.objects.ListBuckets(ctx, "")
	if err != nil {
		return st, fmt.Errorf("list buckets: %w", err)
	}
	for i := range buckets {
		b := &buckets[i]
		if !Enabled(b.Lifecycle) {
			continue
		}
		if err := r.runBucket(ctx, b, at, &st); err != nil {
			switch {
			case ctx.Err() != nil:
				return st, ctx.Err()
			case s3err.Is(err, s3err.NoSuchBucket):
				// Deleted meanwhile.
			default:
				// One bucket that cannot be read (a damaged record) must not
				// keep the others from their run; the next run tries again.
				st.Failed++
				r.log.Error("lifecycle run of a bucket failed", "bucket", b.Name, "midnight", at, "err", err)
			}
		}
	}
	if err := r.saveLastRun(ctx, at); err != nil {
		return st, err
	}
	r.completed.Store(unixNano(at))
	level := slog.LevelDebug
	if st.applied() > 0 || st.Failed > 0 {
		level = slog.LevelInfo
	}
	r.log.Log(ctx, level, "lifecycle run done", "midnight", at, "applied", st.applied(), "locked", st.Locked,
		"stale", st.Stale, "failed", st.Failed, "took", time.Since(start))
	return st, nil
}

// runBucket applies the due actions of one bucket, page by page: versions,
// then incomplete multipart uploads.
func (r *Runner) runBucket(ctx context.Context, b *kura.Bucket, at time.Time, st *Stats) error {
	limit := CountLimit(b.Lifecycle)
	var pos object.ScanPosition
	for done := false; !done; {
		var page []object.VersionState
		var err error
		page, pos, done, err = r.objects.ScanVersions(ctx, b.Name, pos, r.pageSize)
		if err != nil {
			return err
		}
		for _, v := range page {
			if a := Decide(b.Lifecycle, b.Versioning, v, at, r.day); a.Kind != None {
				if err := r.applyVersion(ctx, b.Name, v, a, at, limit, st); err != nil {
					return err
				}
			}
		}
	}
	var after []byte
	for done := false; !done; {
		var page []*kura.Upload
		var err error
		page, after, done, err = r.objects.ScanUploads(ctx, b.Name, after, r.pageSize)
		if err != nil {
			return err
		}
		for _, u := range page {
			if a := DecideUpload(b.Lifecycle, u, at, r.day); a.Kind != None {
				if err := r.applyUpload(ctx, u, at, st); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// applyVersion applies action a, decided for version v, in one
// transaction that decides again over the records as they are then.
func (r *Runner) applyVersion(ctx context.Context, bucket string, v object.VersionState, a Action, at time.Time, limit int, st *Stats) error {
	var decided Action
	var staged *audit.Event
	p := r.begin()
	h := object.LifecycleHooks{
		CountLimit: limit,
		Still: func(b *kura.Bucket, cur object.VersionState) bool {
			decided = Decide(b.Lifecycle, b.Versioning, cur, at, r.day)
			return decided.Kind == a.Kind && decided.StorageClass == a.StorageClass
		},
		Record: func(tx meta.Tx, c object.LifecycleChange) error {
			return r.record(tx, p, r.event(decided, c, at), &staged)
		},
	}
	var err error
	switch a.Kind {
	case ExpireCurrent:
		_, err = r.objects.ExpireCurrentVersion(ctx, bucket, v, at, h)
	case RemoveDeleteMarker:
		_, err = r.objects.RemoveExpiredDeleteMarker(ctx, bucket, v, h)
	case ExpireNoncurrent:
		_, err = r.objects.ExpireNoncurrentVersion(ctx, bucket, v, h)
	case Transition, TransitionNoncurrent:
		_, err = r.objects.TransitionVersion(ctx, bucket, v, a.StorageClass, h)
	default:
		return fmt.Errorf("lifecycle: no way to apply %v to a version", a.Kind)
	}
	return r.done(ctx, err, p, staged, a, st, "bucket", bucket, "key", v.Key, "versionId", v.VersionID)
}

// applyUpload aborts upload u if a rule still calls for it.
func (r *Runner) applyUpload(ctx context.Context, u *kura.Upload, at time.Time, st *Stats) error {
	var decided Action
	var staged *audit.Event
	p := r.begin()
	_, err := r.objects.AbortExpiredUpload(ctx, u, object.LifecycleHooks{
		StillUpload: func(b *kura.Bucket, cur *kura.Upload) bool {
			decided = DecideUpload(b.Lifecycle, cur, at, r.day)
			return decided.Kind == AbortUpload
		},
		Record: func(tx meta.Tx, c object.LifecycleChange) error {
			return r.record(tx, p, r.event(decided, c, at), &staged)
		},
	})
	return r.done(ctx, err, p, staged, Action{Kind: AbortUpload}, st, "bucket", u.Bucket, "key", u.Key, "uploadId", u.UploadID)
}

// done accounts for one action's outcome. Only a missing bucket or the
// end of ctx stop the run: a failure of one action is logged and the run
// goes on.
func (r *Runner) done(ctx context.Context, err error, p *audit.Pending, staged *audit.Event, a Action, st *Stats, attrs ...any) error {
	if err != nil {
		p.Drop() // nothing was committed
	}
	switch {
	case err == nil:
		st.Applied[a.Kind]++
		r.flush(p, staged)
		r.log.Debug("lifecycle action applied", append(attrs, "action", a.Kind)...)
	case errors.Is(err, object.ErrLifecycleStale):
		st.Stale++
	case errors.Is(err, object.ErrLocked):
		st.Locked++
		r.log.Debug("lifecycle action refused by Object Lock", append(attrs, "action", a.Kind)...)
	case s3err.Is(err, s3err.NoSuchBucket), ctx.Err() != nil:
		return err
	default:
		st.Failed++
		r.log.Error("lifecycle action failed", append(attrs, "action", a.Kind, "err", err)...)
	}
	return nil
}

// lastRunRecord is the last completed run (meta.SystemLifecycleLastRun).
type lastRunRecord struct {
	At time.Time `json:"at"` // the midnight the run evaluated
}

func (r *Runner) lastRun(ctx context.Context) (time.Time, error) {
	var rec lastRunRecord
	err := r.meta.View(ctx, func(tx meta.Tx) error {
		_, err := meta.GetSystem(tx, meta.SystemLifecycleLastRun, &rec)
		return err
	})
	return rec.At, err
}

func (r *Runner) saveLastRun(ctx context.Context, at time.Time) error {
	return r.meta.Update(ctx, func(tx meta.Tx) error {
		return meta.PutSystem(tx, meta.SystemLifecycleLastRun, lastRunRecord{At: at.UTC()})
	})
}
