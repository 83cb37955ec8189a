package ops

import "context"

// Work without an HTTP request (Batch Operations, internal/batch) names
// the job an operation runs for in its audit event. A job reads its
// manifest and writes its completion report with GetObject and PutObject
// as its role, like any caller.

type jobKey struct{}

// WithJob returns ctx telling the operations called with it that they
// are tasks of the Batch Operations job id: their audit events name it
// (additionalEventData.jobId).
func WithJob(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, jobKey{}, id)
}

// JobOf is the job id WithJob put in ctx, "" if none.
func JobOf(ctx context.Context) string {
	id, _ := ctx.Value(jobKey{}).(string)
	return id
}
