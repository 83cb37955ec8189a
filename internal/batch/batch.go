// Package batch is the S3 Batch Operations engine: jobs (CreateJob,
// DescribeJob, ListJobs, UpdateJobPriority, UpdateJobStatus, job tagging)
// kept in the metadata store, S3's job state machine, manifests read as
// streams (S3BatchOperations_CSV_20180820, S3InventoryReport_CSV_20161130,
// and the S3JobManifestGenerator's listing with its filters), and a
// runner that performs every task as an ordinary operation of
// internal/ops run as the job's role, checkpointing its progress so that
// a job survives a crash and resumes where it stopped, and writes S3's
// completion report.
//
// batch never bypasses the operation layer: a task is authorized,
// audited (with the job id) and counted exactly as the same call over
// HTTP would be. It knows nothing of HTTP and must never import net/http
// (internal/s3control is its wire front).
package batch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
)

// ServiceBatchOps is the service principal a job's role must trust
// (iam.ServiceBatchOps).
const ServiceBatchOps = "batchoperations.s3.amazonaws.com"

// Roles lets the engine act as a job's role: it returns the role's
// principal if the role's trust policy allows service
// ((*iam.Service).AssumeRoleAsService).
type Roles interface {
	AssumeRoleAsService(ctx context.Context, roleARN, service string) (kura.Principal, error)
}

// Replicator attempts the queue entries a Batch Replication task queued
// and claimed (ops.InitiateReplication), returning one error an entry:
// nil when replicated (replication.Replicator.ReplicateQueued).
type Replicator interface {
	ReplicateQueued(ctx context.Context, runs []kura.ReplicationRun) []error
}

// Config wires a Service.
type Config struct {
	// Meta is the metadata store jobs are kept in: the audit outbox's
	// store, so that an API call's change is committed with its event.
	Meta    meta.Store
	Ops     *ops.Service
	Objects *object.Service
	Roles   Roles
	Audit   *audit.Log
	Metrics metrics.Observer
	Region  string
	Now     func() time.Time
	Logger  *slog.Logger
	// Workers is how many tasks (or groups of re-seals, each up to 64
	// objects) run at once (0: 16).
	Workers int
	// ChunkSize is how many tasks run between checkpoints (0: 1000).
	ChunkSize int
	// Poll is how often an idle runner looks for work it was not woken
	// for (another node's CreateJob) (0: 2s).
	Poll time.Duration
	// SingleCommit commits every re-seal of an S3UpdateObjectEncryption
	// job in a transaction of its own. By default they are committed in
	// groups (one metadata transaction for up to 64 objects of a bucket,
	// ops.UpdateObjectEncryptionMany); this is for comparison.
	SingleCommit bool
	// Replicator makes the replications of an S3ReplicateObject job's
	// tasks ((*replication.Replicator).ReplicateQueued); nil: those tasks
	// fail with NotImplemented.
	Replicator Replicator
	// FailureMinTasks and FailureRatio are S3's failure threshold: a job
	// fails once at least FailureMinTasks tasks have run and more than
	// FailureRatio of them failed (0: 1000 and 0.5).
	FailureMinTasks int64
	FailureRatio    float64
}

// Service is the Batch Operations engine. It is safe for concurrent use.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	tasks taskCounts

	// testAfterChunk, in tests, is called after each checkpoint with the
	// number of chunks done; true stops the runner there.
	testAfterChunk func(chunks int64) bool
	// testTask, in tests, is called before each task starts.
	testTask func()
}

// jobOperations are the operations a job can run.
var jobOperations = []kura.JobOperationName{kura.OpS3PutObjectCopy, kura.OpS3PutObjectAcl, kura.OpS3PutObjectTagging,
	kura.OpS3DeleteObjectTagging, kura.OpS3InitiateRestoreObject, kura.OpS3PutObjectLegalHold, kura.OpS3PutObjectRetention,
	kura.OpS3ReplicateObject, kura.OpS3ComputeObjectChecksum, kura.OpS3UpdateObjectEncryption}

// taskCounts counts the tasks run, by operation, as checkpoints commit
// them (so a task repeated after a crash is counted once per run of it).
type taskCounts struct {
	mu sync.Mutex
	n  map[[2]string]int64 // (operation, succeeded|failed)
}

func (t *taskCounts) count(op string, ok, bad int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[[2]string]int64{}
	}
	t.n[[2]string{op, "succeeded"}] += ok
	t.n[[2]string{op, "failed"}] += bad
}

// TaskCounts is how many Batch Operations tasks this process ran, by
// operation (S3PutObjectCopy, S3UpdateObjectEncryption, …) and result
// (succeeded, failed).
func (s *Service) TaskCounts() map[[2]string]int64 {
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	out := make(map[[2]string]int64, 2*len(jobOperations))
	for _, op := range jobOperations { // every series exists from the start, at 0
		out[[2]string{string(op), "succeeded"}], out[[2]string{string(op), "failed"}] = 0, 0
	}
	for k, v := range s.tasks.n {
		out[k] = v
	}
	return out
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 1000
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.FailureMinTasks <= 0 {
		cfg.FailureMinTasks = 1000
	}
	if cfg.FailureRatio <= 0 {
		cfg.FailureRatio = 0.5
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Service{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1)}
}

// poke wakes the runner (CreateJob, a confirmation, a cancellation).
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }
