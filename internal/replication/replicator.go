package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// ServicePrincipal is the service the replicator assumes roles as.
const ServicePrincipal = "s3.amazonaws.com"

// Config wires a Replicator.
type Config struct {
	Objects    *object.Service
	Authorizer *access.Authorizer // the one every S3 request is decided with
	Roles      Roles
	// Destination stores replicas; nil: Local on Objects.
	Destination Destination
	Audit       *audit.Log       // nil: no events
	Metrics     metrics.Observer // nil: none
	Region      string
	Logger      *slog.Logger
	Now         func() time.Time
	// Workers is how many replications run at once (0: DefaultWorkers);
	// one object key's are always one after another.
	Workers int
}

// Replicator drains the replication queue.
type Replicator struct {
	cfg   Config
	stats stats
	kick  chan struct{}

	// reached is when each destination bucket last took a replica: an
	// entry waiting out its backoff after a failure older than that is
	// attempted at once (the link or peer is back), not up to ten
	// minutes later.
	mu      sync.Mutex
	reached map[string]time.Time
	// probed is when an entry for each destination was last attempted
	// ahead of its backoff, to learn that the destination is back.
	probed map[string]time.Time
}

// ProbeEvery is how often, while every entry for a destination waits out
// a backoff, one of them is attempted anyway: a failed probe is not
// counted as an attempt; a success ends the others' backoffs (back).
const ProbeEvery = 5 * time.Second

// New returns a Replicator.
func New(cfg Config) *Replicator {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Destination == nil {
		cfg.Destination = &Local{Objects: cfg.Objects, Authorizer: cfg.Authorizer}
	}
	return &Replicator{cfg: cfg, kick: make(chan struct{}, 1), reached: map[string]time.Time{}, probed: map[string]time.Time{}}
}

// Kick asks a running worker to look at the queue now.
func (r *Replicator) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run drains the queue every interval (and when kicked) until ctx ends;
// the server runs it while it holds the replication lease, so one node of
// a cluster replicates at a time.
func (r *Replicator) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("replication: reading the queue failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// Drain makes one pass over the queue: every entry due is attempted once.
// It returns how many were attempted. The pending figures of the metrics
// are those of this pass. Entries of different object keys are attempted
// concurrently (Config.Workers); those of one key in queue order, by one
// worker, so a version and a later metadata change of it never race.
func (r *Replicator) Drain(ctx context.Context) (int, error) {
	pending := pendingMap{}
	var after *kura.ReplicationRun
	n := 0
	workers := r.cfg.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	for {
		page, done, err := r.cfg.Objects.ReplicationQueue(ctx, after, 100)
		if err != nil {
			return n, err
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		type job struct {
			run   kura.ReplicationRun
			probe bool
		}
		lanes := make([][]job, workers)
		for i := range page {
			run := page[i]
			probe := false
			if !run.NextAttempt.IsZero() && run.NextAttempt.After(r.cfg.Now()) && !r.back(run) {
				if probe = r.probe(run.Destination); !probe {
					pending.add(run)
					continue
				}
			}
			n++
			h := fnv.New32a()
			h.Write([]byte(run.Bucket + "\x00" + run.Key))
			l := int(h.Sum32() % uint32(workers))
			lanes[l] = append(lanes[l], job{run, probe})
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, lane := range lanes {
			if len(lane) == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, j := range lane {
					if ctx.Err() != nil || !r.attempt(ctx, j.run, j.probe) {
						mu.Lock()
						pending.add(j.run)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if done || len(page) == 0 {
			break
		}
		after = &page[len(page)-1]
	}
	r.stats.setPending(pending)
	return n, nil
}

// back reports whether run's destination took a replica after run last
// failed.
func (r *Replicator) back(run kura.ReplicationRun) bool {
	r.mu.Lock()
	t, ok := r.reached[run.Destination]
	r.mu.Unlock()
	return ok && t.After(run.NextAttempt.Add(-Backoff(run.Attempts)))
}

// probe reports whether an entry for dest waiting out its backoff is to
// be attempted now (one every ProbeEvery).
func (r *Replicator) probe(dest string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now()
	if now.Sub(r.probed[dest]) < ProbeEvery {
		return false
	}
	r.probed[dest] = now
	return true
}

// DefaultWorkers is how many replications a pass runs at once (Config.Workers).
const DefaultWorkers = 8

// attempt replicates one queue entry and records the outcome; it reports
// whether the entry left the queue. A probe (an entry attempted before its
// backoff ended) that fails transiently leaves the entry as it was.
func (r *Replicator) attempt(ctx context.Context, run kura.ReplicationRun, probe bool) bool {
	left, _ := r.try(ctx, run, probe)
	return left
}

// try is attempt, also returning the attempt's error (nil: replicated).
func (r *Replicator) try(ctx context.Context, run kura.ReplicationRun, probe bool) (bool, error) {
	started := r.cfg.Now()
	rec, p, call, err := r.replicate(ctx, run)
	key := ruleKey{run.Bucket, run.RuleID}
	finish := func(failed error) bool {
		if ferr := r.cfg.Objects.FinishReplication(audit.WithPending(ctx, p), run, failed); ferr != nil {
			r.cfg.Logger.Warn("replication: recording the outcome failed; the entry is attempted again", "bucket", run.Bucket, "key", run.Key, "version", run.VersionID, "err", ferr)
			return false
		}
		return true
	}
	left := false
	switch {
	case err == nil:
		r.mu.Lock()
		r.reached[run.Destination] = r.cfg.Now()
		r.mu.Unlock()
		if left = finish(nil); left {
			r.stats.completed(key, r.cfg.Now().Sub(run.Queued))
		}
	case errGone(err):
		left = finish(nil)
	case probe && !permanent(err):
		// The destination is still away: the entry keeps its backoff
		// and attempt count.
	case permanent(err) || run.Attempts+1 >= MaxAttempts:
		if left = finish(err); left {
			r.stats.failed(key, reasonOf(err))
		}
		r.cfg.Logger.Warn("replication failed", "bucket", run.Bucket, "key", run.Key, "version", run.VersionID,
			"destination", run.Destination, "rule", run.RuleID, "err", err)
	default:
		r.mu.Lock()
		r.probed[run.Destination] = r.cfg.Now() // known to be away now
		r.mu.Unlock()
		next := r.cfg.Now().Add(Backoff(run.Attempts + 1))
		if rerr := r.cfg.Objects.RetryReplication(ctx, run, err, next); rerr != nil {
			r.cfg.Logger.Warn("replication: recording a retry failed", "err", rerr)
		}
		r.stats.retried(key)
	}
	r.record(rec, p, call, started, run, err)
	return left, err
}

// errGone: the source version was deleted before it was replicated (a
// version delete, never replicated): its entry just goes. A Failure (a
// destination missing the version a metadata change is for) is not.
func errGone(err error) bool {
	var f *Failure
	return !errors.As(err, &f) && s3err.Is(err, s3err.NoSuchVersion)
}

func reasonOf(err error) string {
	if f, ok := err.(*Failure); ok {
		return f.Reason
	}
	if e := s3err.As(err); e != nil {
		return e.Code // a refusal or error without one of S3's failure reasons
	}
	return "RetriesExhausted"
}

// replicate performs one replication as the rule's role. It returns the
// audit record begun for it (the Pending is what the destination write
// stages its event with).
func (r *Replicator) replicate(ctx context.Context, run kura.ReplicationRun) (*ops.Record, *audit.Pending, kura.Call, error) {
	name := "ReplicateObject"
	if run.DeleteMarker {
		name = "ReplicateDelete"
	}
	call := kura.Call{Source: kura.Source{InvokedBy: ServicePrincipal, Time: r.cfg.Now().UTC(), RequestID: requestID()}}
	rec := &ops.Record{Service: "s3", EventSource: "s3.amazonaws.com", Name: name, Data: true, Call: call, Region: r.cfg.Region,
		RequestParameters: map[string]any{"bucketName": run.Destination, "key": run.Key, "versionId": run.VersionID,
			"sourceBucket": run.Bucket, "ruleId": run.RuleID},
		AdditionalEventData: map[string]any{"metadataOnly": run.Metadata},
		Resources: []audit.Resource{
			{Type: "AWS::S3::Object", ARN: access.ObjectARN(run.Destination, run.Key)},
			{Type: "AWS::S3::Bucket", ARN: access.BucketARN(run.Destination)},
		}}
	if id := ops.JobOf(ctx); id != "" {
		rec.AdditionalEventData["jobId"] = id // a Batch Replication task's
	}
	b, err := r.cfg.Objects.Bucket(ctx, run.Bucket)
	if err != nil {
		return rec, nil, call, fail("SrcBucketNotFound", err)
	}
	rec.RecipientAccountID = b.Owner
	cfg := b.Replication
	var rule *kura.ReplicationRule
	if cfg != nil {
		for i := range cfg.Rules {
			if cfg.Rules[i].ID == run.RuleID {
				rule = &cfg.Rules[i]
			}
		}
	}
	if rule == nil {
		return rec, nil, call, &Failure{Reason: "RuleRemoved", Err: s3err.InvalidRequest.WithMessage("The replication rule %q of bucket %s was removed before the version was replicated.", run.RuleID, run.Bucket)}
	}
	p, err := r.cfg.Roles.AssumeRoleAsService(ctx, cfg.Role, ServicePrincipal)
	if err != nil {
		return rec, nil, call, &Failure{Reason: "AssumeRoleNotPermitted", Action: "sts:AssumeRole", Err: err}
	}
	call.Principal = p
	rec.Call = call
	var pend *audit.Pending
	if r.cfg.Audit != nil {
		pend = r.cfg.Audit.Begin(rec.Event())
	}
	ctx = audit.WithPending(ctx, pend)
	return rec, pend, call, r.replicateAs(ctx, call, b, rule, run)
}

// replicateAs is replicate once the role is assumed: the source-side
// checks and reads, then the destination's write.
func (r *Replicator) replicateAs(ctx context.Context, call kura.Call, b *kura.Bucket, rule *kura.ReplicationRule, run kura.ReplicationRun) error {
	v, err := r.cfg.Objects.ReplicationSource(ctx, run)
	if err != nil {
		return err
	}
	memo := &access.Memo{}
	bucketReq := func(action string) access.Request {
		return access.Request{Call: call, Action: action, Resource: access.BucketARN(b.Name), Bucket: b, Memo: memo}
	}
	for _, action := range []string{"s3:GetReplicationConfiguration", "s3:ListBucket"} {
		if err := authorize(ctx, r.cfg.Authorizer, bucketReq(action), "SrcBucketReplicationConfigNotPermitted"); err != nil {
			return err
		}
	}
	if v.DeleteMarker {
		return r.cfg.Destination.PutDeleteMarker(ctx, call, run.Destination, v)
	}
	actions := []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl"}
	if len(v.Tags) > 0 {
		actions = append(actions, "s3:GetObjectVersionTagging")
	}
	for _, action := range actions {
		req := access.Request{Call: call, Action: action, Resource: access.ObjectARN(b.Name, v.Key), Bucket: b,
			Key: v.Key, VersionID: v.VersionID, Object: v, Memo: memo,
			Conditions: map[string][]string{"s3:versionid": {v.VersionID}}}
		if err := authorize(ctx, r.cfg.Authorizer, req, "SrcGetObjectNotPermitted"); err != nil {
			return err
		}
	}
	if run.Metadata {
		return r.cfg.Destination.PutMetadata(ctx, call, run.Destination, v, rule.Destination.OwnerOverride)
	}
	rep := Replica{Bucket: run.Destination, Version: v, StorageClass: rule.Destination.StorageClass,
		Account: rule.Destination.Account, OwnerOverride: rule.Destination.OwnerOverride,
		Ciphertext: r.cfg.Objects.OpenCiphertext}
	switch enc := v.Encryption; enc.Type {
	case kura.SSEC:
		keep := enc
		if keep.SealBucket == "" {
			keep.SealBucket = v.Bucket
		}
		rep.Seal = Seal{Type: kura.SSEC, Keep: &keep}
	case kura.SSEKMS, kura.SSEDSSE:
		if rule.SseKmsEncryptedObjects != "Enabled" || rule.Destination.ReplicaKmsKeyID == "" {
			return &Failure{Reason: "SseKmsEncryptedObjectsNotEnabled", Err: s3err.InvalidRequest.WithMessage("The rule does not replicate SSE-KMS objects: SseKmsEncryptedObjects is not Enabled.")}
		}
		rep.Seal = Seal{Type: enc.Type, KMSKeyID: rule.Destination.ReplicaKmsKeyID, Context: enc.Context}
	case kura.SSES3:
		rep.Seal = Seal{Type: kura.SSES3}
	default:
		return &Failure{Reason: "UnsupportedEncryption", Err: s3err.InvalidRequest.WithMessage("The version's encryption type %q cannot be replicated.", enc.Type)}
	}
	if rep.Seal.Keep == nil {
		// kms:Decrypt of the source key through S3 in the source region,
		// with the source object's (or bucket key's) encryption context.
		keys, err := r.cfg.Objects.OpenKeys(ctx, v, object.KeyAccess{Caller: call})
		if err != nil {
			return fail("SrcKmsKeyDecryptNotPermitted", err)
		}
		defer keys.Clear()
		rep.Keys = keys
	}
	return r.cfg.Destination.PutReplica(ctx, call, rep)
}

// record finishes the attempt's audit event and metrics.
func (r *Replicator) record(rec *ops.Record, p *audit.Pending, call kura.Call, started time.Time, run kura.ReplicationRun, err error) {
	if rec == nil {
		return
	}
	rec.Duration, rec.Status = r.cfg.Now().Sub(started), 200
	rec.AdditionalEventData["attempt"] = run.Attempts + 1
	if err != nil {
		e := s3err.As(err)
		if e == nil {
			e = s3err.InternalError
		}
		rec.ErrorCode, rec.ErrorMessage, rec.Status = e.Code, err.Error(), e.Status
		if f, ok := err.(*Failure); ok {
			rec.AdditionalEventData["failureReason"] = f.Reason
			if f.Action != "" {
				rec.AdditionalEventData["deniedAction"] = f.Action
			}
			if e := s3err.As(f.Err); e != nil {
				rec.ErrorCode, rec.Status = e.Code, e.Status
			}
		}
	}
	if p == nil {
		if r.cfg.Audit == nil {
			return
		}
		p = r.cfg.Audit.Begin(rec.Event())
	}
	if ferr := rec.Finish(p, r.cfg.Metrics); ferr != nil {
		r.cfg.Logger.Warn("replication: appending the audit event failed; it is shipped from the outbox at the next start", "err", ferr)
	}
}

func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
