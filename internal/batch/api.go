package batch

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The job API of S3 Control. Each call is authorized (the caller needs
// the call's s3: action, and for CreateJob iam:PassRole on the job role),
// audited as a management event and counted.

// maxTags is the most tags a job may carry.
const maxTags = 50

// jobARN is a job's ARN.
func (s *Service) jobARN(account, id string) string {
	return "arn:aws:s3:" + s.cfg.Region + ":" + account + ":job/" + id
}

// call is one API call in progress: its event, its pending audit entry.
type apiCall struct {
	rec     ops.Record
	pending *audit.Pending
	tally   *metrics.Tally
	started time.Time
}

// begin starts the audit event of an API call and returns the context
// its changes are committed with.
func (s *Service) begin(ctx context.Context, call kura.Call, name string, readOnly bool, params map[string]any) (*apiCall, context.Context) {
	if call.Source.Time.IsZero() {
		call.Source.Time = s.now()
	}
	a := &apiCall{started: time.Now(), rec: ops.Record{Service: "s3", EventSource: "s3.amazonaws.com", Name: name, ReadOnly: readOnly,
		Call: call, Region: s.cfg.Region, RecipientAccountID: call.Principal.AccountID, RequestParameters: params,
		AdditionalEventData: map[string]any{}}}
	a.pending = s.cfg.Audit.BeginFunc(func() audit.Event { d := a.rec; return d.Event() })
	ctx = audit.WithPending(ctx, a.pending)
	ctx, a.tally = metrics.WithOp(ctx)
	return a, ctx
}

// finish ends an API call with err, recording its event and metrics.
func (s *Service) finish(a *apiCall, err error) error {
	d := a.rec
	d.Status, d.Duration, d.KMSCalls = 200, time.Since(a.started), a.tally.KMSCalls()
	if err != nil {
		e := s3err.As(err)
		if e.Status >= 500 {
			s.log.Error("batch: job API call failed", "operation", d.Name, "err", err)
			err = ErrInternal.Wrap(err)
			e = s3err.As(err)
		}
		d.Status, d.ErrorCode, d.ErrorMessage, d.ResponseElements = e.Status, e.Code, e.Message, nil
	}
	if ferr := d.Finish(a.pending, s.cfg.Metrics); ferr != nil {
		s.log.Error("batch: audit event not written", "operation", d.Name, "err", ferr)
	}
	return err
}

// authorize checks that the caller acts for account and may perform
// action on resource.
func (s *Service) authorize(ctx context.Context, call kura.Call, account, action, resource string) error {
	if account == "" || account != call.Principal.AccountID {
		return s3err.AccessDenied.WithMessage("Access Denied: the account id %q is not the caller's account.", account)
	}
	return ops.Denial(s.cfg.Ops.Authorizer().Authorize(ctx, access.Request{Call: call, Action: action, Resource: resource}))
}

// CreateJob creates a job and returns its id. A ClientRequestToken used
// before by the account with the same request returns the job it
// created; with a different request it is IdempotencyException.
func (s *Service) CreateJob(ctx context.Context, call kura.Call, account string, spec kura.JobSpec, tags []kura.Tag) (string, error) {
	a, ctx := s.begin(ctx, call, "CreateJob", false, map[string]any{"accountId": account, "clientRequestToken": spec.ClientRequestToken})
	id, err := func() (string, error) {
		if err := s.authorize(ctx, call, account, "s3:CreateJob", "*"); err != nil {
			return "", err
		}
		if err := s.validate(spec, tags); err != nil {
			return "", err
		}
		if spec.UndoOf != "" {
			if err := s.checkUndo(ctx, account, spec); err != nil {
				return "", err
			}
		}
		if err := s.authorize(ctx, call, account, "iam:PassRole", spec.RoleARN); err != nil {
			return "", err
		}
		if _, err := s.cfg.Roles.AssumeRoleAsService(ctx, spec.RoleARN, ServiceBatchOps); err != nil {
			return "", s3err.AccessDenied.WithMessage("Batch Operations cannot assume the role %s: its trust policy must allow the service principal %s to perform sts:AssumeRole.", spec.RoleARN, ServiceBatchOps)
		}
		rec := specToRec(spec)
		digest := digestOf(rec, tags)
		id := uuid.NewString()
		now := s.now()
		var got string
		je := &jobEvents{s: s}
		err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
			je.begin()
			got = ""
			t, err := getToken(tx, account, spec.ClientRequestToken)
			if err != nil {
				return err
			}
			if t != nil {
				if t.Digest != digest {
					return ErrIdempotency
				}
				got = t.Job
				return nil
			}
			if err := putToken(tx, account, spec.ClientRequestToken, tokenRecord{Job: id, Digest: digest}); err != nil {
				return err
			}
			got = id
			r := &jobRecord{ID: id, Account: account, ARN: s.jobARN(account, id), Spec: rec, Status: string(kura.JobNew),
				Created: now, Tags: tagsRec(tags), CreatedBy: call.Principal.ARN, Digest: digest}
			if err := putJob(tx, r); err != nil {
				return err
			}
			return je.add(tx, "JobCreated", r)
		})
		je.done(err)
		return got, err
	}()
	if err == nil {
		a.rec.ResponseElements = map[string]any{"jobId": id}
		s.poke()
	}
	return id, s.finish(a, err)
}

// digestOf identifies a CreateJob request for idempotency.
func digestOf(r specRec, tags []kura.Tag) string {
	b, _ := json.Marshal(struct {
		S specRec  `json:"s"`
		T []tagRec `json:"t"`
	}{r, tagsRec(tags)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// load reads a job of account for an API call; NotFoundException when
// there is none.
func (s *Service) load(ctx context.Context, account, id string) (*jobRecord, error) {
	var r *jobRecord
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		r, err = getJob(tx, account, id)
		return err
	})
	if err == nil && r == nil {
		err = ErrNotFound
	}
	return r, err
}

// change runs fn on job id of account in a transaction and returns the
// job as stored after it.
func (s *Service) change(ctx context.Context, account, id string, fn func(r *jobRecord) error) (*kura.Job, error) {
	var out *jobRecord
	je := &jobEvents{s: s}
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		je.begin()
		r, err := getJob(tx, account, id)
		if err != nil {
			return err
		}
		if r == nil {
			return ErrNotFound
		}
		from := r.Status
		if err := fn(r); err != nil {
			return err
		}
		out = r
		if err := putJob(tx, r); err != nil {
			return err
		}
		if r.Status != from {
			return je.add(tx, "JobStatusChanged", r)
		}
		return nil
	})
	je.done(err)
	if err != nil {
		return nil, err
	}
	return jobOf(out, s.now()), nil
}

// DescribeJob returns a job.
func (s *Service) DescribeJob(ctx context.Context, call kura.Call, account, id string) (*kura.Job, error) {
	a, ctx := s.begin(ctx, call, "DescribeJob", true, map[string]any{"accountId": account, "jobId": id})
	j, err := func() (*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:DescribeJob", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		r, err := s.load(ctx, account, id)
		if err != nil {
			return nil, err
		}
		return jobOf(r, s.now()), nil
	}()
	return j, s.finish(a, err)
}

// listWindow is how long after it ended a job is still listed (and
// described): S3 keeps jobs 90 days.
const listWindow = 90 * 24 * time.Hour

// ListJobs lists the account's jobs, oldest first, filtered by status
// (none: all), up to max (0: 1000) per page; next continues the listing.
func (s *Service) ListJobs(ctx context.Context, call kura.Call, account string, statuses []kura.JobStatus, token string, max int) ([]*kura.Job, string, error) {
	a, ctx := s.begin(ctx, call, "ListJobs", true, map[string]any{"accountId": account})
	var next string
	jobs, err := func() ([]*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:ListJobs", "*"); err != nil {
			return nil, err
		}
		for _, st := range statuses {
			if !validStatus(st) {
				return nil, ErrInvalidReq.WithMessage("%q is not a job status. Valid values are %s.", st, statusNames())
			}
		}
		if max < 0 || max > 1000 {
			return nil, ErrInvalidReq.WithMessage("maxResults must be between 0 and 1000.")
		}
		if max == 0 {
			max = 1000
		}
		after := ""
		if token != "" {
			b, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil || len(b) == 0 {
				return nil, ErrNextToken
			}
			after = string(b)
		}
		var out []*kura.Job
		now := s.now()
		err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
			out = out[:0]
			return eachJob(tx, account, after, func(r *jobRecord) (bool, error) {
				if len(out) == max {
					next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1].ID))
					return false, nil
				}
				if len(statuses) > 0 && !slices.Contains(statuses, kura.JobStatus(r.Status)) {
					return true, nil
				}
				if !r.Ended.IsZero() && now.Sub(r.Ended) > listWindow {
					return true, nil
				}
				out = append(out, jobOf(r, now))
				return true, nil
			})
		})
		return out, err
	}()
	if err != nil {
		next = ""
	}
	return jobs, next, s.finish(a, err)
}

// UpdateJobPriority changes a job's priority.
func (s *Service) UpdateJobPriority(ctx context.Context, call kura.Call, account, id string, priority int) (*kura.Job, error) {
	a, ctx := s.begin(ctx, call, "UpdateJobPriority", false, map[string]any{"accountId": account, "jobId": id, "priority": priority})
	j, err := func() (*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:UpdateJobPriority", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		if priority < 0 || priority > maxPriority {
			return nil, badRequest("Priority must be between 0 and %d.", maxPriority)
		}
		return s.change(ctx, account, id, func(r *jobRecord) error {
			r.Spec.Priority = priority
			return nil
		})
	}()
	if err == nil {
		s.poke()
	}
	return j, s.finish(a, err)
}

// UpdateJobStatus confirms a Suspended job (to Ready) or cancels a job
// that has not ended (to Cancelled: at once when no task is running,
// else through Cancelling, which the runner ends).
func (s *Service) UpdateJobStatus(ctx context.Context, call kura.Call, account, id string, to kura.JobStatus, reason string) (*kura.Job, error) {
	a, ctx := s.begin(ctx, call, "UpdateJobStatus", false, map[string]any{"accountId": account, "jobId": id,
		"requestedJobStatus": string(to), "statusUpdateReason": reason})
	j, err := func() (*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:UpdateJobStatus", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		if to != kura.JobReady && to != kura.JobCancelled {
			return nil, badRequest("RequestedJobStatus %q is not valid. Valid values are Ready (to confirm a Suspended job) and Cancelled.", to)
		}
		if len(reason) > 256 {
			return nil, badRequest("StatusUpdateReason must be at most 256 characters.")
		}
		now := s.now()
		return s.change(ctx, account, id, func(r *jobRecord) error {
			from := kura.JobStatus(r.Status)
			switch {
			case to == kura.JobReady && from == kura.JobSuspended:
				r.Status = string(kura.JobReady)
			case to == kura.JobReady:
				return ErrJobStatus.WithMessage("Only a job in the Suspended state can be confirmed (requested Ready); this job is %s.", from)
			case from.Terminal() || from == kura.JobCancelling || from == kura.JobCompleting || from == kura.JobFailing:
				return ErrJobStatus.WithMessage("The job is %s and can no longer be cancelled.", from)
			case from == kura.JobPreparing || from == kura.JobActive || from == kura.JobPausing || from == kura.JobPaused:
				r.Status = string(kura.JobCancelling)
			default: // New, Suspended, Ready: no task has run
				r.Status = string(kura.JobCancelled)
				r.Ended = now
			}
			r.Reason = reason
			return nil
		})
	}()
	if err == nil {
		s.poke()
	}
	return j, s.finish(a, err)
}

// GetJobTagging returns a job's tags.
func (s *Service) GetJobTagging(ctx context.Context, call kura.Call, account, id string) ([]kura.Tag, error) {
	a, ctx := s.begin(ctx, call, "GetJobTagging", true, map[string]any{"accountId": account, "jobId": id})
	tags, err := func() ([]kura.Tag, error) {
		if err := s.authorize(ctx, call, account, "s3:GetJobTagging", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		r, err := s.load(ctx, account, id)
		if err != nil {
			return nil, err
		}
		return tagsOf(r.Tags), nil
	}()
	return tags, s.finish(a, err)
}

// PutJobTagging replaces a job's tags.
func (s *Service) PutJobTagging(ctx context.Context, call kura.Call, account, id string, tags []kura.Tag) error {
	a, ctx := s.begin(ctx, call, "PutJobTagging", false, map[string]any{"accountId": account, "jobId": id})
	_, err := func() (*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:PutJobTagging", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		if err := validTags(tags); err != nil {
			return nil, err
		}
		return s.change(ctx, account, id, func(r *jobRecord) error { r.Tags = tagsRec(tags); return nil })
	}()
	return s.finish(a, err)
}

// DeleteJobTagging removes a job's tags.
func (s *Service) DeleteJobTagging(ctx context.Context, call kura.Call, account, id string) error {
	a, ctx := s.begin(ctx, call, "DeleteJobTagging", false, map[string]any{"accountId": account, "jobId": id})
	_, err := func() (*kura.Job, error) {
		if err := s.authorize(ctx, call, account, "s3:DeleteJobTagging", s.jobARN(account, id)); err != nil {
			return nil, err
		}
		return s.change(ctx, account, id, func(r *jobRecord) error { r.Tags = nil; return nil })
	}()
	return s.finish(a, err)
}

var allStatuses = []kura.JobStatus{kura.JobActive, kura.JobCancelled, kura.JobCancelling, kura.JobComplete, kura.JobCompleting,
	kura.JobFailed, kura.JobFailing, kura.JobNew, kura.JobPaused, kura.JobPausing, kura.JobPreparing, kura.JobReady, kura.JobSuspended}

func validStatus(s kura.JobStatus) bool { return slices.Contains(allStatuses, s) }

func statusNames() string {
	out := ""
	for i, s := range allStatuses {
		if i > 0 {
			out += ", "
		}
		out += string(s)
	}
	return out
}
