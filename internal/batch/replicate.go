package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3err"
)

// S3ReplicateObject (S3 Batch Replication): a task asks, as the job's
// role (s3:InitiateReplication), that the version be replicated under its
// bucket's current replication configuration (ops.InitiateReplication
// queues it to every destination the rules select, whatever its
// replication status), then makes those replications at once through the
// replicator, as the configuration's role. The task ends when the
// replication has: its report row says COMPLETED, or failed with S3's
// replication failure reason as the error code (DstBucketNotFound,
// SrcGetObjectNotPermitted, …), as S3's Batch Replication report does. A
// replication that failed in a way that may pass (a 5xx) is retried as
// any task is; if it still has not completed, the row is failed with the
// error and says the version stays PENDING, queued for the replicator,
// which keeps retrying it.

// replicationClaim is how long a task's queue entries are left to it
// before the replicator's own passes would take them (a task that died
// meanwhile).
const replicationClaim = 5 * time.Minute

func (s *Service) replicate(ctx context.Context, call kura.Call, e entry, t ops.Target) result {
	if s.cfg.Replicator == nil {
		return failed(e, s3err.NotImplemented.WithMessage("S3ReplicateObject is not available: this server runs no replicator."))
	}
	runs, err := s.cfg.Ops.InitiateReplication(ctx, call, ops.InitiateReplicationInput{Target: t, Claim: replicationClaim})
	if err != nil {
		return failed(e, err)
	}
	errs := s.cfg.Replicator.ReplicateQueued(ctx, runs)
	var done, bad []string
	var first error
	for i, err := range errs {
		if err == nil {
			done = append(done, runs[i].Destination)
			continue
		}
		if first == nil {
			first = err
		}
		bad = append(bad, fmt.Sprintf("%s: %v", runs[i].Destination, err))
	}
	if first == nil {
		return result{e: e, ok: true, status: 200, msg: "Successful: replicated to " + strings.Join(done, ", ")}
	}
	r := failed(e, first)
	if reason := replication.ReasonOf(first); reason != "" {
		r.code = reason
	}
	var retrying *replication.Retrying
	if errors.As(first, &retrying) {
		r.msg = "The version stays PENDING: the replicator retries it. " + strings.Join(bad, "; ")
	} else {
		r.msg = strings.Join(bad, "; ")
	}
	if len(done) > 0 {
		r.msg += "; replicated to " + strings.Join(done, ", ")
	}
	return r
}
