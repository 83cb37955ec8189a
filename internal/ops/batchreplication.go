package ops

import (
	"context"
	"time"

	"github.com/kurastore/kura"
)

// S3 Batch Replication's task (an S3ReplicateObject job, internal/batch):
// the job's role asks that an object version be replicated again under
// its bucket's current replication configuration. The role needs
// s3:InitiateReplication on the object, as in S3; the replication itself
// is then made by the replicator as the configuration's replication role,
// with every source- and destination-side permission of live replication.
var specInitiateReplication = spec{name: "InitiateReplication", status: statusOK,
	actions: []string{"s3:InitiateReplication"}}

// InitiateReplicationInput names the version to replicate ("" VersionID:
// the newest) and how long the caller claims its queue entries
// (object.Service.QueueBatchReplication).
type InitiateReplicationInput struct {
	Target
	Claim time.Duration
}

// InitiateReplication queues the version for replication to every
// destination its bucket's rules select, whatever its replication status,
// and returns the entries queued (claimed for in.Claim) for the caller to
// attempt at once (replication.Replicator.ReplicateQueued).
func (s *Service) InitiateReplication(ctx context.Context, call kura.Call, in InitiateReplicationInput) ([]kura.ReplicationRun, error) {
	r, ctx := s.begin(ctx, call, specInitiateReplication, in.Target, nil)
	runs, err := func() ([]kura.ReplicationRun, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		runs, err := s.obj.QueueBatchReplication(ctx, in.Bucket, in.Key, in.VersionID, s.obj.Now().Add(in.Claim))
		if err == nil && len(runs) > 0 {
			r.respond("versionId", runs[0].VersionID)
		}
		return runs, err
	}()
	return runs, r.finish(r.spec.status, err)
}
