package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The runner moves jobs through S3's state machine:
//
//	New → Preparing → (Suspended →) Ready → Active → Completing → Complete
//	                                     Active → Paused → Active   (a job of higher priority ran first)
//	… → Cancelling → Cancelled;  … → Failing → Failed
//
// It runs one job at a time, the highest priority first. A job's tasks run
// in chunks (Config.ChunkSize) on a pool of workers; after each chunk one
// transaction records the chunk's counts and result files, the job's
// counters and the manifest cursor after the chunk. A process killed in
// the middle of a chunk loses nothing: the next runner resumes at the
// cursor and runs the chunk again, and every operation leaves the same
// final state when repeated (a re-seal re-seals, tags are set again), so
// the counters count each task once and the report rewrites the same
// file.
//
// Run it under a lease (one runner per deployment).

// errStop ends a runner step on a test's request (testAfterChunk).
var errStop = errors.New("batch: stopped")

// Run runs jobs until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for ctx.Err() == nil {
		worked, err := s.step(ctx)
		if err != nil && ctx.Err() == nil {
			if !errors.Is(err, errStop) {
				s.log.Error("batch: runner step failed; retrying", "err", err)
			}
			worked = false
		}
		if worked {
			continue
		}
		t := time.NewTimer(s.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// step does the most urgent piece of work there is and says whether it
// found any.
func (s *Service) step(ctx context.Context) (bool, error) {
	var jobs []*jobRecord
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		jobs = jobs[:0]
		return eachJob(tx, "", "", func(r *jobRecord) (bool, error) {
			if !kura.JobStatus(r.Status).Terminal() {
				jobs = append(jobs, r)
			}
			return true, nil
		})
	})
	if err != nil || len(jobs) == 0 {
		return false, err
	}
	// Endings first, then preparations, then the job to run.
	for _, r := range jobs {
		switch kura.JobStatus(r.Status) {
		case kura.JobCompleting, kura.JobFailing, kura.JobCancelling:
			return true, s.finalize(ctx, r)
		}
	}
	for _, r := range jobs {
		switch kura.JobStatus(r.Status) {
		case kura.JobNew, kura.JobPreparing:
			return true, s.prepare(ctx, r)
		}
	}
	r := next(jobs)
	if r == nil {
		return false, nil
	}
	return true, s.runJob(ctx, r)
}

// runnable says a job may be picked to run.
func runnable(st kura.JobStatus) bool {
	return st == kura.JobReady || st == kura.JobActive || st == kura.JobPaused || st == kura.JobPausing
}

// next is the job to run: the highest priority, a started one before one
// not started, then the oldest.
func next(jobs []*jobRecord) *jobRecord {
	var c []*jobRecord
	for _, r := range jobs {
		if runnable(kura.JobStatus(r.Status)) {
			c = append(c, r)
		}
	}
	if len(c) == 0 {
		return nil
	}
	slices.SortStableFunc(c, func(a, b *jobRecord) int {
		if a.Spec.Priority != b.Spec.Priority {
			return b.Spec.Priority - a.Spec.Priority
		}
		as, bs := a.Status != string(kura.JobReady), b.Status != string(kura.JobReady)
		if as != bs {
			if as {
				return -1
			}
			return 1
		}
		return a.Created.Compare(b.Created)
	})
	return c[0]
}

// transition changes a job's status in a transaction if it is still in
// one of from; fn may change more. ok is false when it was not.
func (s *Service) transition(ctx context.Context, r *jobRecord, from []kura.JobStatus, to kura.JobStatus, fn func(r *jobRecord)) (*jobRecord, bool, error) {
	var out *jobRecord
	je := &jobEvents{s: s}
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		je.begin()
		out = nil
		cur, err := getJob(tx, r.Account, r.ID)
		if err != nil || cur == nil {
			return err
		}
		if !slices.Contains(from, kura.JobStatus(cur.Status)) {
			return nil
		}
		was := cur.Status
		s.setStatus(cur, to)
		if fn != nil {
			fn(cur)
		}
		out = cur
		if err := putJob(tx, cur); err != nil {
			return err
		}
		if cur.Status != was {
			return je.add(tx, "JobStatusChanged", cur)
		}
		return nil
	})
	je.done(err)
	return out, out != nil, err
}

// setStatus moves r to st, keeping the active-time counter and the
// termination date.
func (s *Service) setStatus(r *jobRecord, st kura.JobStatus) {
	now := s.now()
	if !r.Progress.ActiveFrom.IsZero() && st != kura.JobActive {
		r.Progress.Active += int64(now.Sub(r.Progress.ActiveFrom).Seconds())
		r.Progress.ActiveFrom = time.Time{}
	}
	if st == kura.JobActive && r.Progress.ActiveFrom.IsZero() {
		r.Progress.ActiveFrom = now
	}
	if st.Terminal() {
		r.Ended = now
	}
	r.Status = string(st)
}

// fail moves a job to Failing with a reason (then finalize ends it).
func (s *Service) fail(ctx context.Context, r *jobRecord, code, reason string) error {
	if len(reason) > 256 {
		reason = reason[:256]
	}
	_, _, err := s.transition(ctx, r, []kura.JobStatus{kura.JobNew, kura.JobPreparing, kura.JobReady, kura.JobActive,
		kura.JobPaused, kura.JobPausing, kura.JobSuspended}, kura.JobFailing, func(r *jobRecord) {
		r.Failures = append(r.Failures, failRec{Code: code, Reason: reason})
	})
	return err
}

// roleCall is the call a job's tasks run as: its role, invoked by Batch
// Operations. An error is a job failure.
func (s *Service) roleCall(ctx context.Context, r *jobRecord) (kura.Call, error) {
	p, err := s.cfg.Roles.AssumeRoleAsService(ctx, r.Spec.Role, ServiceBatchOps)
	if err != nil {
		return kura.Call{}, &manifestError{code: "AccessDenied", reason: fmt.Sprintf("Unable to assume the job's role %s: %v", r.Spec.Role, err)}
	}
	return kura.Call{Principal: p, Source: kura.Source{InvokedBy: ServiceBatchOps, UserAgent: ServiceBatchOps}}, nil
}

// failOn ends a job on a job-level error (a manifest, role or report
// problem); other errors are returned for a retry.
func (s *Service) failOn(ctx context.Context, r *jobRecord, err error) error {
	var m *manifestError
	if errors.As(err, &m) {
		return s.fail(ctx, r, m.code, m.reason)
	}
	if e := s3err.As(err); e.Status < 500 && !errors.Is(err, context.Canceled) {
		return s.fail(ctx, r, e.Code, e.Message)
	}
	return err
}

// openSource opens the job's manifest at a cursor.
func (s *Service) openSource(ctx context.Context, j *kura.Job, call kura.Call, at cursor) (source, error) {
	if g := j.ManifestGenerator; g != nil {
		return openGenerator(s.cfg.Objects, *g, at), nil
	}
	open := roleOpener(s.cfg.Ops, call, "")
	if j.UndoOf != "" {
		return s.openUndo(ctx, open, j, at)
	}
	if j.Manifest.Format == kura.ManifestInventoryCSV {
		return openInventory(ctx, open, *j.Manifest, at)
	}
	return openCSV(ctx, open, *j.Manifest, at)
}

// prepare reads the manifest once (its ETag checked, every row parsed,
// the tasks counted) and moves the job to Suspended or Ready. A
// generator's manifest is counted as it is listed instead.
func (s *Service) prepare(ctx context.Context, r *jobRecord) error {
	r, ok, err := s.transition(ctx, r, []kura.JobStatus{kura.JobNew, kura.JobPreparing}, kura.JobPreparing, nil)
	if err != nil || !ok {
		return err
	}
	j := jobOf(r, s.now())
	call, err := s.roleCall(ctx, r)
	if err != nil {
		return s.failOn(ctx, r, err)
	}
	ctx = ops.WithJob(ctx, r.ID)
	var total int64
	known := false
	if g := j.ManifestGenerator; g != nil {
		if err := s.checkGenerator(ctx, call, g); err != nil {
			return s.failOn(ctx, r, err)
		}
	} else {
		src, err := s.openSource(ctx, j, call, cursor{})
		if err != nil {
			return s.failOn(ctx, r, err)
		}
		for {
			_, _, err := src.next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				src.close()
				return s.failOn(ctx, r, err)
			}
			total++
		}
		src.close()
		known = true
	}
	to := kura.JobReady
	if r.Spec.Confirm {
		to = kura.JobSuspended
	}
	_, _, err = s.transition(ctx, r, []kura.JobStatus{kura.JobPreparing}, to, func(r *jobRecord) {
		r.Progress.Total, r.Progress.TotalKnown = total, known
		if to == kura.JobSuspended {
			r.Suspended, r.SusCause = s.now(), "AwaitingConfirmation"
		}
	})
	return err
}

// checkGenerator checks what a manifest generator needs before it lists:
// the source bucket, owned by whom the job expects, and the role's
// s3:PutInventoryConfiguration on it (S3's permission for generating a
// manifest).
func (s *Service) checkGenerator(ctx context.Context, call kura.Call, g *kura.JobManifestGenerator) error {
	name, _ := bucketOfARN(g.SourceBucket)
	b, err := s.cfg.Objects.Bucket(ctx, name)
	if err != nil {
		return err
	}
	if g.ExpectedBucketOwner != "" && g.ExpectedBucketOwner != b.Owner {
		return s3err.AccessDenied.WithMessage("The source bucket %s is not owned by the expected account %s.", name, g.ExpectedBucketOwner)
	}
	return ops.Denial(s.cfg.Ops.Authorizer().Authorize(ctx, access.Request{Call: call, Action: "s3:PutInventoryConfiguration",
		Resource: access.BucketARN(name), Bucket: b}))
}

// runJob runs a job's tasks from its cursor, chunk by chunk, until the
// manifest ends, the job is cancelled or fails, a job of higher priority
// is waiting, or ctx ends.
func (s *Service) runJob(ctx context.Context, r *jobRecord) error {
	r, ok, err := s.transition(ctx, r, []kura.JobStatus{kura.JobReady, kura.JobActive, kura.JobPaused, kura.JobPausing}, kura.JobActive, func(r *jobRecord) {
		if !r.Progress.ActiveFrom.IsZero() && !r.Progress.LastTask.IsZero() {
			// Resumed after a stop: the time since the last checkpoint
			// was not spent running.
			if d := r.Progress.LastTask.Sub(r.Progress.ActiveFrom); d > 0 {
				r.Progress.Active += int64(d.Seconds())
			}
			r.Progress.ActiveFrom = s.now()
		}
	})
	if err != nil || !ok {
		return err
	}
	j := jobOf(r, s.now())
	call, err := s.roleCall(ctx, r)
	if err != nil {
		return s.failOn(ctx, r, err)
	}
	ctx = ops.WithJob(ctx, r.ID)
	if r.Cursor.Done {
		_, _, err := s.transition(ctx, r, []kura.JobStatus{kura.JobActive}, kura.JobCompleting, nil)
		return err
	}
	src, err := s.openSource(ctx, j, call, r.Cursor)
	if err != nil {
		return s.failOn(ctx, r, err)
	}
	defer src.close()
	chunk := r.Chunks
	for {
		entries, at, done, err := s.readChunk(ctx, src, r.Cursor)
		if err != nil {
			return s.failOn(ctx, r, err)
		}
		results := s.runChunk(ctx, call, j, chunk, entries)
		if ctx.Err() != nil {
			return ctx.Err() // no checkpoint: the chunk runs again
		}
		var files []resultFile
		if out, err := s.writeOutput(ctx, call, j, chunk, entries); err != nil {
			return s.failOn(ctx, r, reportFailure("generated manifest", err))
		} else if out != nil {
			files = append(files, *out)
		}
		rf, err := s.writeResults(ctx, call, j, chunk, results)
		if err != nil {
			return s.failOn(ctx, r, reportFailure("completion report", err))
		}
		files = append(files, rf...)
		var stop bool
		r, stop, err = s.checkpoint(ctx, r, chunk, at, done, results, files)
		if err != nil || stop {
			return err
		}
		chunk++
		if s.testAfterChunk != nil && s.testAfterChunk(chunk) {
			return errStop
		}
	}
}

// reportFailure is a job failure writing a report or manifest.
func reportFailure(what string, err error) error {
	e := s3err.As(err)
	if e.Status >= 500 {
		return err
	}
	return &manifestError{code: "ReportWriteFailed", reason: fmt.Sprintf("Writing the %s failed: %s: %s", what, e.Code, e.Message)}
}

// readChunk reads up to ChunkSize entries from src.
func (s *Service) readChunk(ctx context.Context, src source, at cursor) ([]entry, cursor, bool, error) {
	var out []entry
	for len(out) < s.cfg.ChunkSize {
		e, c, err := src.next(ctx)
		if err == io.EOF {
			c.Done = true
			return out, c, true, nil
		}
		if err != nil {
			return nil, at, false, err
		}
		out = append(out, e)
		at = c
	}
	return out, at, false, nil
}

// runChunk runs a chunk's tasks on the worker pool; results are in
// manifest order. The tasks of a re-seal job run in groups (groups):
// each group's re-seals share one commit.
func (s *Service) runChunk(ctx context.Context, call kura.Call, j *kura.Job, chunk int64, entries []entry) []result {
	results := make([]result, len(entries))
	gs := s.groups(j, entries)
	var nextGroup atomic.Int64
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(gs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				g := int(nextGroup.Add(1) - 1)
				if g >= len(gs) {
					return
				}
				from, to := gs[g][0], gs[g][1]
				if s.testTask != nil {
					for range to - from {
						s.testTask()
					}
				}
				c := call
				c.Source.RequestID = j.ID[:8] + "-" + strconv.FormatInt(chunk, 10) + "-" + strconv.Itoa(from)
				c.Source.Time = s.now()
				if to-from == 1 {
					results[from] = s.runTask(ctx, c, j, entries[from])
					continue
				}
				s.runGroup(ctx, c, j, entries[from:to], results[from:to])
			}
		}()
	}
	wg.Wait()
	return results
}

// groupSize is how many re-seals of one bucket share a commit.
const groupSize = 64

// groups cuts entries into the [from, to) ranges the workers take: runs
// of up to groupSize entries of one bucket for a re-seal job (not a dry
// run), single entries otherwise.
func (s *Service) groups(j *kura.Job, entries []entry) [][2]int {
	size := 1
	if j.Operation.Name == kura.OpS3UpdateObjectEncryption && !j.DryRun && j.UndoOf == "" && !s.cfg.SingleCommit {
		size = groupSize
	}
	var out [][2]int
	for from := 0; from < len(entries); {
		to := from + 1
		for to < len(entries) && to-from < size && entries[to].Bucket == entries[from].Bucket {
			to++
		}
		out = append(out, [2]int{from, to})
		from = to
	}
	return out
}

// runGroup re-seals a group of one bucket's objects in one commit
// (ops.UpdateObjectEncryptionMany); a task that failed transiently is run
// again alone (runTask, with its retries).
func (s *Service) runGroup(ctx context.Context, call kura.Call, j *kura.Job, entries []entry, results []result) {
	u := j.Operation.UpdateEncryption
	ts := make([]ops.Target, len(entries))
	for i, e := range entries {
		ts[i] = ops.Target{Key: e.Key, VersionID: e.VersionID}
	}
	outs := s.cfg.Ops.UpdateObjectEncryptionMany(ctx, call, entries[0].Bucket, ts,
		object.EncryptionTarget{KMSKeyARN: u.KMSKeyARN, BucketKey: u.BucketKeyEnabled})
	for i, o := range outs {
		if o.Err == nil {
			results[i] = result{e: entries[i], ok: true, status: 200, msg: "Successful"}.resealed(o.Result)
			continue
		}
		results[i] = failed(entries[i], o.Err)
		if r := results[i]; r.status >= 500 || r.code == s3err.OperationAborted.Code {
			results[i] = s.runTask(ctx, call, j, entries[i])
		}
	}
}

// checkpoint records a chunk: its row, the job's counters and cursor, and
// what comes next (the failure threshold, the end of the manifest, a
// cancellation, a job of higher priority). stop says the runner leaves
// this job.
func (s *Service) checkpoint(ctx context.Context, r *jobRecord, chunk int64, at cursor, done bool, results []result, files []resultFile) (*jobRecord, bool, error) {
	var ok, bad int64
	for _, x := range results {
		if x.ok {
			ok++
		} else {
			bad++
		}
	}
	var out *jobRecord
	stop := false
	je := &jobEvents{s: s}
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		je.begin()
		stop = false
		cur, err := getJob(tx, r.Account, r.ID)
		if err != nil {
			return err
		}
		if cur == nil {
			return fmt.Errorf("batch: job %s vanished while running", r.ID)
		}
		was := cur.Status
		if cur.Chunks != chunk {
			return fmt.Errorf("batch: job %s is at chunk %d, not %d: another runner ran it", r.ID, cur.Chunks, chunk)
		}
		if err := putChunk(tx, r.ID, chunk, chunkRecord{First: cur.Cursor.Next, Succeeded: ok, Failed: bad, Files: files}); err != nil {
			return err
		}
		p := &cur.Progress
		p.Succeeded += ok
		p.Failed += bad
		p.LastTask = s.now()
		if !p.TotalKnown {
			p.Total = at.Next
			p.TotalKnown = done
		}
		cur.Cursor, cur.Chunks = at, chunk+1
		ran := p.Succeeded + p.Failed
		switch {
		case kura.JobStatus(cur.Status) != kura.JobActive: // cancelled (Cancelling) meanwhile
			stop = true
		case ran >= s.cfg.FailureMinTasks && float64(p.Failed) > s.cfg.FailureRatio*float64(ran):
			s.setStatus(cur, kura.JobFailing)
			cur.Failures = append(cur.Failures, failRec{Code: "TaskFailureThresholdExceeded",
				Reason: fmt.Sprintf("%d of the %d tasks run failed: more than %.0f%% of at least %d.", p.Failed, ran, 100*s.cfg.FailureRatio, s.cfg.FailureMinTasks)})
			stop = true
		case done:
			s.setStatus(cur, kura.JobCompleting)
			stop = true
		default:
			higher := false
			if err := eachJob(tx, "", "", func(o *jobRecord) (bool, error) {
				if o.ID != cur.ID && o.Status == string(kura.JobReady) && o.Spec.Priority > cur.Spec.Priority {
					higher = true
					return false, nil
				}
				return true, nil
			}); err != nil {
				return err
			}
			if higher {
				s.setStatus(cur, kura.JobPaused)
				stop = true
			}
		}
		out = cur
		if err := putJob(tx, cur); err != nil {
			return err
		}
		if cur.Status != was {
			return je.add(tx, "JobStatusChanged", cur)
		}
		return nil
	})
	je.done(err)
	if err == nil {
		s.tasks.count(out.Spec.Op.Name, ok, bad)
	}
	if err != nil {
		return r, true, err
	}
	return out, stop, nil
}

// finalize ends a job that is Completing, Failing or Cancelling: it
// writes the completion report (when asked for and at least one task ran)
// and the generated manifest's index, then moves the job to Complete,
// Failed or Cancelled.
func (s *Service) finalize(ctx context.Context, r *jobRecord) error {
	to := map[kura.JobStatus]kura.JobStatus{kura.JobCompleting: kura.JobComplete, kura.JobFailing: kura.JobFailed,
		kura.JobCancelling: kura.JobCancelled}[kura.JobStatus(r.Status)]
	j := jobOf(r, s.now())
	ctx = ops.WithJob(ctx, r.ID)
	var gen *locRec
	ran := r.Progress.Succeeded + r.Progress.Failed
	if (j.Report.Enabled && ran > 0 && !r.Reported) || (to == kura.JobComplete && j.ManifestGenerator != nil && j.ManifestGenerator.EnableOutput) {
		call, err := s.roleCall(ctx, r)
		if err == nil && j.Report.Enabled && ran > 0 && !r.Reported {
			err = s.writeReportIndex(ctx, call, j)
		}
		if err == nil && to == kura.JobComplete && j.ManifestGenerator != nil && j.ManifestGenerator.EnableOutput {
			gen, err = s.writeOutputIndex(ctx, call, j)
		}
		if err != nil {
			e := s3err.As(err)
			var m *manifestError
			if e.Status >= 500 && !errors.As(err, &m) {
				return err // retried at the next step
			}
			// A report that cannot be written fails the job (S3 does
			// too), with the reason.
			to = kura.JobFailed
			code, reason := e.Code, "Writing the completion report failed: "+e.Message
			if errors.As(err, &m) {
				code, reason = m.code, m.reason
			}
			r.Failures = append(r.Failures, failRec{Code: code, Reason: reason})
		}
	}
	failures := r.Failures
	_, _, err := s.transition(ctx, r, []kura.JobStatus{kura.JobCompleting, kura.JobFailing, kura.JobCancelling}, to, func(c *jobRecord) {
		c.Failures = failures
		c.Reported = c.Reported || j.Report.Enabled && ran > 0
		if gen != nil {
			c.Generated = gen
		}
	})
	return err
}
