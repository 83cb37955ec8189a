package batch

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Undo jobs (Kura's own; `kura batch undo JOB`, x-kura-undo-of): a job
// with JobSpec.UndoOf reverses an S3UpdateObjectEncryption job. Its tasks
// are the succeeded rows of that job's completion report, read as the
// role; each puts the object's PreviousEncryption back
// (ops.RestoreObjectEncryption: SSE-S3, or SSE-KMS under the previous key
// and bucket-key setting) if, and only if, the object is still what the
// job left — the NewEncryption the row records, the same version
// (ResealedVersionId, still current when the job acted on the current
// one) with the same Last-Modified. Anything else is a later change: the
// task fails with 412 PreconditionFailed saying why, and the object is
// left as it is. An undo job's report has the same columns, so an undo can
// itself be undone.

// Undoes says this engine builds undo jobs (s3control.Undoer).
func (s *Service) Undoes() bool { return true }

// undoRow is one succeeded row of the report an undo job reverses.
type undoRow struct {
	prev, set    kura.Encryption
	version      string
	lastModified time.Time
	// bad says why the row cannot be undone (a report written before
	// Kura recorded versions, an unreadable column).
	bad string
}

// checkUndo is CreateJob's check of an undo job: the job it reverses is
// this account's, an S3UpdateObjectEncryption job (not a dry run) that
// has ended and written a completion report of every task.
func (s *Service) checkUndo(ctx context.Context, account string, spec kura.JobSpec) error {
	if spec.Operation.Name != kura.OpS3UpdateObjectEncryption {
		return badRequest("An undo job's operation is S3UpdateObjectEncryption (the operation of the job it reverses), not %s.", spec.Operation.Name)
	}
	var orig *jobRecord
	if err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		orig, err = getJob(tx, account, spec.UndoOf)
		return err
	}); err != nil {
		return err
	}
	switch {
	case orig == nil:
		return badRequest("There is no job %s to undo in account %s.", spec.UndoOf, account)
	case orig.Spec.Op.Name != string(kura.OpS3UpdateObjectEncryption):
		return badRequest("Job %s is an %s job: only S3UpdateObjectEncryption jobs can be undone.", spec.UndoOf, orig.Spec.Op.Name)
	case orig.Spec.DryRun:
		return badRequest("Job %s was a dry run: it changed nothing to undo.", spec.UndoOf)
	case !kura.JobStatus(orig.Status).Terminal():
		return badRequest("Job %s is %s: it can be undone once it has ended (Complete, Cancelled or Failed).", spec.UndoOf, orig.Status)
	case !orig.Spec.Report.Enabled || orig.Spec.Report.Scope != kura.ReportScopeAllTasks:
		return badRequest("Job %s cannot be undone: undo restores from the job's completion report of every task, and the job was created without one (Report Enabled with ReportScope AllTasks).", spec.UndoOf)
	case !orig.Reported:
		return badRequest("Job %s cannot be undone: it ran no task, so it wrote no completion report to restore from.", spec.UndoOf)
	}
	return nil
}

// openUndo opens the succeeded result files of the completion report of
// the job j undoes, at a cursor (File: the n-th succeeded file, Offset: in
// it).
func (s *Service) openUndo(ctx context.Context, open opener, j *kura.Job, at cursor) (source, error) {
	var orig *jobRecord
	if err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		orig, err = getJob(tx, j.AccountID, j.UndoOf)
		return err
	}); err != nil {
		return nil, err
	}
	if orig == nil {
		return nil, manifestFail("The job %s this job undoes no longer exists.", j.UndoOf)
	}
	rep := orig.Spec.Report
	bucket, _ := bucketOfARN(rep.Bucket)
	idxKey := jobDir(rep.Prefix, orig.ID) + "/manifest.json"
	_, body, err := open(ctx, bucket, idxKey, "", 0)
	if err != nil {
		return nil, readFailure("completion report of job "+orig.ID, err)
	}
	b, err := io.ReadAll(io.LimitReader(body, maxManifestJSON+1))
	body.Close()
	if err != nil {
		return nil, readFailure("completion report of job "+orig.ID, err)
	}
	var idx reportIndex
	if len(b) > maxManifestJSON || json.Unmarshal(b, &idx) != nil {
		return nil, manifestFail("The completion report %s of job %s is not a report manifest.json.", idxKey, orig.ID)
	}
	u := &undoSource{open: open, cur: at}
	for _, r := range idx.Results {
		if r.TaskExecutionStatus == "succeeded" {
			u.files = append(u.files, r)
		}
	}
	return u, nil
}

// undoSource reads the rows of a report's succeeded result files.
type undoSource struct {
	open  opener
	files []reportEntry
	cur   cursor

	body io.ReadCloser
	md5  hash.Hash
	r    *csv.Reader
	base int64
}

func (u *undoSource) next(ctx context.Context) (entry, cursor, error) {
	for {
		if u.cur.File >= len(u.files) {
			return entry{}, u.cur, io.EOF
		}
		f := u.files[u.cur.File]
		if u.r == nil {
			_, body, err := u.open(ctx, f.Bucket, f.Key, "", u.cur.Offset)
			if err != nil {
				return entry{}, u.cur, readFailure("report result file "+f.Key, err)
			}
			var r io.Reader = body
			u.md5 = nil
			if u.cur.Offset == 0 {
				u.md5 = md5.New()
				r = io.TeeReader(body, u.md5)
			}
			u.body, u.base, u.r = body, u.cur.Offset, newCSVReader(bufio.NewReaderSize(r, 64<<10))
		}
		rec, err := u.r.Read()
		if err == io.EOF {
			if u.md5 != nil && hex.EncodeToString(u.md5.Sum(nil)) != f.MD5Checksum {
				u.close()
				return entry{}, u.cur, manifestFail("The report result file %s changed after its job wrote it (MD5 %s, the report lists %s).",
					f.Key, hex.EncodeToString(u.md5.Sum(nil)), f.MD5Checksum)
			}
			u.close()
			u.cur.File++
			u.cur.Offset = 0
			continue
		}
		if err != nil {
			return entry{}, u.cur, manifestFail("The report result file %s is not valid CSV: %v", f.Key, err)
		}
		u.cur.Offset = u.base + u.r.InputOffset()
		e, err := entryOf(rec, []string{"Bucket", "Key", "VersionId"})
		if err != nil {
			return entry{}, u.cur, err
		}
		e.undo = undoRowOf(rec)
		u.cur.Next++
		return e, u.cur, nil
	}
}

func (u *undoSource) close() {
	if u.body != nil {
		u.body.Close()
	}
	u.body, u.r = nil, nil
}

// undoRowOf reads a report row's Kura columns.
func undoRowOf(rec []string) *undoRow {
	if len(rec) < 11 {
		return &undoRow{bad: "the report row has no NewEncryption, ResealedVersionId and ResealedLastModified columns (written by an older Kura), so a later change could not be told apart; restore it with UpdateObjectEncryption."}
	}
	u := &undoRow{version: rec[9]}
	var ok1, ok2 bool
	u.prev, ok1 = ParseEncryptionColumn(rec[7])
	u.set, ok2 = ParseEncryptionColumn(rec[8])
	t, err := time.Parse(time.RFC3339Nano, rec[10])
	u.lastModified = t
	// A column that does not print back as written (an SSE-KMS without a
	// key ARN, trailing text) is not one Kura wrote.
	ok1 = ok1 && EncryptionColumn(u.prev) == rec[7] && (u.prev.Type != kura.SSEKMS || u.prev.KMSKeyARN != "")
	ok2 = ok2 && EncryptionColumn(u.set) == rec[8] && (u.set.Type != kura.SSEKMS || u.set.KMSKeyARN != "")
	if !ok1 || !ok2 || err != nil || u.version == "" {
		u.bad = fmt.Sprintf("the report row's Kura columns %q are not valid.", rec[7:11])
	}
	return u
}

// undoTask restores one object's previous encryption.
func (s *Service) undoTask(ctx context.Context, call kura.Call, e entry) (ops.EncryptionResult, error) {
	u := e.undo
	if u == nil || u.bad != "" {
		why := "it is not a row of the job's report."
		if u != nil {
			why = u.bad
		}
		return ops.EncryptionResult{}, s3err.InvalidRequest.WithMessage("Not undone: %s", why)
	}
	return s.cfg.Ops.RestoreObjectEncryption(ctx, call, ops.RestoreEncryptionInput{
		Target: ops.Target{Bucket: e.Bucket, Key: e.Key, VersionID: u.version},
		Expect: object.RestoreExpect{Encryption: u.set, LastModified: u.lastModified, Current: e.VersionID == ""},
		To:     u.prev})
}

// undoDryRun says what an undo task would restore, from the object's
// version as it is now (v).
func (s *Service) undoDryRun(e entry, v *kura.ObjectVersion) result {
	u := e.undo
	if u == nil || u.bad != "" {
		_, err := s.undoTask(context.Background(), kura.Call{}, e)
		return failed(e, err)
	}
	res := result{e: e, ok: true, status: 200}
	switch {
	case e.VersionID == "" && v.VersionID != u.version:
		return failed(e, object.ErrRestoreChanged.WithMessage("Skipped, left as it is: a newer version of the object was written after the job re-sealed version %s.", u.version))
	case !v.LastModified.Equal(u.lastModified) || EncryptionColumn(v.Encryption) != EncryptionColumn(u.set):
		return failed(e, object.ErrRestoreChanged.WithMessage("Skipped, left as it is: the object changed after the job (it is now %s, Last-Modified %s).",
			EncryptionColumn(v.Encryption), v.LastModified.UTC().Format(time.RFC3339Nano)))
	}
	res.prev = EncryptionColumn(v.Encryption)
	res.msg = fmt.Sprintf("Dry run: would restore from %s to %s", res.prev, EncryptionColumn(u.prev))
	return res
}
