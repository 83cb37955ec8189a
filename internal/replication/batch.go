package replication

import (
	"context"
	"errors"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// S3 Batch Replication (an S3ReplicateObject job, internal/batch) queues a
// version's entries claimed for itself (ops.InitiateReplication) and
// attempts them here at once, so that the task's row in the completion
// report says how the replication ended, with S3's failure reason, as
// S3's Batch Replication report does.

// Retrying is the error of a batch attempt that failed in a way that may
// pass (the destination unreachable, a 5xx): the entry stays queued and
// the replicator retries it with backoff, the version stays PENDING.
type Retrying struct{ Err error }

func (r *Retrying) Error() string {
	return "replication did not complete and will be retried by the replicator: " + r.Err.Error()
}

func (r *Retrying) Unwrap() error { return r.Err }

// ReplicateQueued attempts each queued entry of runs now, exactly as a
// pass of the replicator does (as the rule's role, with its audit event,
// metrics and the version's status), and returns one error a run: nil
// when replicated, a *Failure (or another permanent error) when the
// version is now FAILED, a *Retrying when it stays queued.
func (r *Replicator) ReplicateQueued(ctx context.Context, runs []kura.ReplicationRun) []error {
	out := make([]error, len(runs))
	for i, run := range runs {
		left, err := r.try(ctx, run, false)
		switch {
		case err != nil && errGone(err):
			out[i] = err // deleted meanwhile: nothing left to replicate
		case !left && err == nil:
			out[i] = &Retrying{Err: s3err.InternalError.WithMessage("The outcome of the replication could not be recorded.")}
		case !left:
			out[i] = &Retrying{Err: err}
		default:
			out[i] = err
		}
	}
	return out
}

// ReasonOf is the S3 replication failure reason of an error
// ReplicateQueued returned ("" when it has none).
func ReasonOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}
