package replication

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/storetest"
)

// The replicator against a real object service (bbolt, blob directory),
// without HTTP: the queue written with the version, status transitions,
// retries with backoff against a destination that is down, and the
// role's permissions decided through access.

const owner = "111122223333"

const roleARN = "arn:aws:iam::" + owner + ":role/replication"

type env struct {
	t       *testing.T
	obj     *object.Service
	now     time.Time
	policy  string // the role's identity policy
	trusted bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.OpenLocal(t)
	e := &env{t: t, now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), trusted: true,
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}
	e.obj = object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Now: func() time.Time { return e.now }})
	for _, b := range []string{"src", "dst"} {
		if err := e.obj.CreateBucket(context.Background(), kura.Bucket{Name: b, Owner: owner}); err != nil {
			t.Fatal(err)
		}
		e.update(b, func(x *kura.Bucket) { x.Versioning = "Enabled" })
	}
	e.update("src", func(x *kura.Bucket) {
		x.Replication = &kura.ReplicationConfiguration{Role: roleARN, Rules: []kura.ReplicationRule{{ID: "r", Priority: 1, Status: "Enabled",
			Filter: &kura.ReplicationFilter{}, DeleteMarkerReplication: "Enabled", Destination: kura.ReplicationDestination{Bucket: "arn:aws:s3:::dst"}}}}
	})
	return e
}

func (e *env) update(bucket string, fn func(*kura.Bucket)) {
	e.t.Helper()
	if err := e.obj.UpdateBucket(context.Background(), bucket, func(b *kura.Bucket) error { fn(b); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

// AssumeRoleAsService is the fake IAM: the role exists and trusts S3
// while e.trusted.
func (e *env) AssumeRoleAsService(_ context.Context, arn, service string) (kura.Principal, error) {
	if arn != roleARN || service != ServicePrincipal || !e.trusted {
		return kura.Principal{}, errors.New("AccessDenied: not authorized to perform: sts:AssumeRole")
	}
	return kura.Principal{Type: kura.PrincipalAWSService, AccountID: owner, RoleARN: roleARN,
		ARN: "arn:aws:sts::" + owner + ":assumed-role/replication/s3.amazonaws.com"}, nil
}

func (e *env) replicator(dst Destination) *Replicator {
	authz := &access.Authorizer{Region: "us-east-1", Logger: slog.New(slog.DiscardHandler),
		Policies: func(context.Context, kura.Principal) ([]*policy.Document, []*policy.Document, error) {
			d, err := policy.Parse([]byte(e.policy), policy.Identity)
			return []*policy.Document{d}, nil, err
		}}
	return New(Config{Objects: e.obj, Authorizer: authz, Roles: e, Destination: dst, Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return e.now }})
}

func (e *env) put(key, body string) *kura.ObjectVersion {
	e.t.Helper()
	e.now = e.now.Add(time.Second)
	v, err := e.obj.PutObject(context.Background(), object.PutInput{Bucket: "src", Key: key, Body: strings.NewReader(body),
		Size: int64(len(body)), Owner: owner, Tags: []kura.Tag{{Key: "t", Value: "1"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) status(bucket, key, version string) string {
	e.t.Helper()
	v, err := e.obj.Head(context.Background(), bucket, key, version)
	if err != nil {
		e.t.Fatalf("head %s/%s@%s: %v", bucket, key, version, err)
	}
	return v.ReplicationStatus
}

func (e *env) queue() []kura.ReplicationRun {
	e.t.Helper()
	q, _, err := e.obj.ReplicationQueue(context.Background(), nil, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// downDestination fails like an unreachable peer until up.
type downDestination struct {
	Destination
	up bool
}

var errDown = errors.New("dial tcp 127.0.0.1:1: connection refused")

func (d *downDestination) PutReplica(ctx context.Context, as kura.Call, r Replica) error {
	if !d.up {
		return errDown
	}
	return d.Destination.PutReplica(ctx, as, r)
}

func TestQueuedWithTheVersionAndCompleted(t *testing.T) {
	e := newEnv(t)
	v := e.put("k", "hello")
	if v.ReplicationStatus != kura.ReplicationPending || e.status("src", "k", v.VersionID) != kura.ReplicationPending {
		t.Fatalf("new version status %q, want PENDING", v.ReplicationStatus)
	}
	q := e.queue()
	if len(q) != 1 || q[0].VersionID != v.VersionID || q[0].Destination != "dst" || q[0].RuleID != "r" || q[0].Size != 5 {
		t.Fatalf("queue %+v", q)
	}
	r := e.replicator(nil)
	if n, err := r.Drain(context.Background()); n != 1 || err != nil {
		t.Fatalf("drain: %d, %v", n, err)
	}
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationCompleted {
		t.Fatalf("source %q, want COMPLETED", s)
	}
	if s := e.status("dst", "k", v.VersionID); s != kura.ReplicationReplica {
		t.Fatalf("replica %q, want REPLICA", s)
	}
	if len(e.queue()) != 0 {
		t.Fatal("the entry stayed queued")
	}
	st := r.Stats()
	if len(st) != 1 || st[0].Completed != 1 || st[0].PendingOps != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Suspended versioning queues nothing.
	e.update("src", func(b *kura.Bucket) { b.Versioning = "Suspended" })
	if v := e.put("k2", "x"); v.ReplicationStatus != "" || len(e.queue()) != 0 {
		t.Fatalf("a write to a suspended bucket was queued (%q)", v.ReplicationStatus)
	}
}

func TestDestinationDownIsRetriedWithBackoff(t *testing.T) {
	e := newEnv(t)
	v := e.put("k", "hello")
	down := &downDestination{Destination: &Local{Objects: e.obj}}
	r := e.replicator(down)
	down.Destination.(*Local).Authorizer = r.cfg.Authorizer
	r.Drain(context.Background())
	q := e.queue()
	if len(q) != 1 || q[0].Attempts != 1 || !q[0].NextAttempt.Equal(e.now.Add(Backoff(1))) || !strings.Contains(q[0].LastError, "refused") {
		t.Fatalf("after a failed attempt: %+v", q)
	}
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationPending {
		t.Fatalf("status %q while retrying, want PENDING", s)
	}
	if n, _ := r.Drain(context.Background()); n != 0 {
		t.Fatalf("an entry not yet due was attempted (%d)", n)
	}
	if st := r.Stats(); st[0].PendingOps != 1 || st[0].PendingBytes != 5 || st[0].Retries != 1 {
		t.Fatalf("stats while pending: %+v", st)
	}
	down.up = true
	e.now = e.now.Add(Backoff(1))
	if n, _ := r.Drain(context.Background()); n != 1 {
		t.Fatalf("the due entry was not attempted (%d)", n)
	}
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationCompleted {
		t.Fatalf("status %q once the destination is back, want COMPLETED", s)
	}
	// A destination down for good fails the version after MaxAttempts.
	down.up = false
	v2 := e.put("k2", "x")
	for i := 0; i < MaxAttempts; i++ {
		r.Drain(context.Background())
		e.now = e.now.Add(10 * time.Minute)
	}
	if s := e.status("src", "k2", v2.VersionID); s != kura.ReplicationFailed {
		t.Fatalf("after %d attempts: %q, want FAILED", MaxAttempts, s)
	}
}

func TestDeniedActionFails(t *testing.T) {
	e := newEnv(t)
	e.policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"s3:GetObjectVersionTagging","Resource":"*"}]}`
	v := e.put("k", "hello")
	var failure *Failure
	r := e.replicator(nil)
	_, _, _, err := r.replicate(context.Background(), e.queue()[0])
	if !errors.As(err, &failure) || failure.Action != "s3:GetObjectVersionTagging" || failure.Reason != "SrcGetObjectNotPermitted" || !permanent(err) {
		t.Fatalf("replicate: %v", err)
	}
	r.Drain(context.Background())
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationFailed {
		t.Fatalf("status %q, want FAILED", s)
	}
	if _, err := e.obj.Head(context.Background(), "dst", "k", v.VersionID); !s3err.Is(err, s3err.NoSuchVersion) {
		t.Fatalf("a replica was written: %v", err)
	}
	e.trusted = false
	e.put("k", "again")
	_, _, _, err = r.replicate(context.Background(), e.queue()[0])
	if !errors.As(err, &failure) || failure.Reason != "AssumeRoleNotPermitted" || failure.Action != "sts:AssumeRole" {
		t.Fatalf("untrusted role: %v", err)
	}
}

func TestVersionDeletedBeforeReplication(t *testing.T) {
	e := newEnv(t)
	v := e.put("k", "hello")
	if _, err := e.obj.DeleteObject(context.Background(), "src", "k", v.VersionID); err != nil {
		t.Fatal(err)
	}
	r := e.replicator(nil)
	r.Drain(context.Background())
	if len(e.queue()) != 0 {
		t.Fatal("the entry of a deleted version stayed queued")
	}
	if _, err := e.obj.Head(context.Background(), "dst", "k", v.VersionID); err == nil {
		t.Fatal("a deleted version was replicated")
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {5, 16 * time.Second}, {11, 10 * time.Minute}, {40, 10 * time.Minute}} {
		if got := Backoff(tc.n); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	kmsDenied := s3err.AccessDenied.Wrap(errors.New("User: arn:aws:sts::1:assumed-role/r/s3.amazonaws.com is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:1:key/k"))
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		action    string
	}{
		{"KMS refusal", kmsDenied, true, "kms:Encrypt"},
		{"failure", &Failure{Reason: "DstBucketNotFound", Err: s3err.NoSuchBucket}, true, ""},
		{"client error", s3err.InvalidRequest, true, ""},
		{"throttled", s3err.SlowDown, false, ""},
		{"server error", s3err.InternalError, false, ""},
		{"network", errDown, false, ""},
		{"cancelled", context.Canceled, false, ""},
	} {
		if got := permanent(tc.err); got != tc.permanent {
			t.Errorf("%s: permanent %v, want %v", tc.name, got, tc.permanent)
		}
		if got := deniedAction(tc.err); got != tc.action {
			t.Errorf("%s: denied action %q, want %q", tc.name, got, tc.action)
		}
	}
}

func TestObjectLockNeedsALockedDestination(t *testing.T) {
	e := newEnv(t)
	e.update("src", func(b *kura.Bucket) { b.ObjectLockEnabled = true })
	hold := true
	e.now = e.now.Add(time.Second)
	v, err := e.obj.PutObject(context.Background(), object.PutInput{Bucket: "src", Key: "held", Body: strings.NewReader("x"), Size: 1,
		Owner: owner, Lock: object.Lock{LegalHold: &hold}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.replicator(nil)
	_, _, _, err = r.replicate(context.Background(), e.queue()[0])
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "DstBucketObjectLockConfigMissing" {
		t.Fatalf("replica with a legal hold into a bucket without Object Lock: %v", err)
	}
	e.update("dst", func(b *kura.Bucket) { b.ObjectLockEnabled = true })
	r.Drain(context.Background())
	rep, err := e.obj.Head(context.Background(), "dst", "held", v.VersionID)
	if err != nil || !rep.LegalHold || rep.ReplicationStatus != kura.ReplicationReplica {
		t.Fatalf("replica %+v, %v: want the legal hold kept", rep, err)
	}
}

// TestStatusTransitions: the source's status after each outcome of a
// version replicated to two destinations.
func TestStatusTransitions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		outcomes []error // for destinations dst, dst2 in turn
		want     []string
	}{
		{"both complete", []error{nil, nil}, []string{kura.ReplicationPending, kura.ReplicationCompleted}},
		{"first fails", []error{errDown, nil}, []string{kura.ReplicationFailed, kura.ReplicationFailed}},
		{"second fails", []error{nil, errDown}, []string{kura.ReplicationPending, kura.ReplicationFailed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.obj.CreateBucket(context.Background(), kura.Bucket{Name: "dst2", Owner: owner}); err != nil {
				t.Fatal(err)
			}
			e.update("src", func(b *kura.Bucket) {
				r2 := b.Replication.Rules[0]
				r2.ID, r2.Priority, r2.Destination.Bucket = "r2", 2, "arn:aws:s3:::dst2"
				b.Replication.Rules = append(b.Replication.Rules, r2)
			})
			v := e.put("k", "x")
			q := e.queue()
			if len(q) != 2 {
				t.Fatalf("queue %+v, want one entry per destination", q)
			}
			for i, run := range q {
				if err := e.obj.FinishReplication(context.Background(), run, tc.outcomes[i]); err != nil {
					t.Fatal(err)
				}
				if got := e.status("src", "k", v.VersionID); got != tc.want[i] {
					t.Fatalf("after outcome %d: %q, want %q", i, got, tc.want[i])
				}
			}
		})
	}
}

// TestMetadataChangeForAMissingReplica: a tag change queued for a replica
// that is gone fails the version; it is not taken for a deleted source.
func TestMetadataChangeForAMissingReplica(t *testing.T) {
	e := newEnv(t)
	v := e.put("k", "x")
	r := e.replicator(nil)
	r.Drain(context.Background())
	if _, err := e.obj.DeleteObject(context.Background(), "dst", "k", v.VersionID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.obj.UpdateVersion(context.Background(), "src", "k", v.VersionID, func(x *kura.ObjectVersion) error {
		x.Tags = []kura.Tag{{Key: "new", Value: "tag"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if q := e.queue(); len(q) != 1 || !q[0].Metadata {
		t.Fatalf("queue after a tag change: %+v", q)
	}
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationPending {
		t.Fatalf("status %q after a tag change, want PENDING", s)
	}
	r.Drain(context.Background())
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationFailed {
		t.Fatalf("status %q, want FAILED (the replica is gone)", s)
	}
}

// While an entry waits out a long backoff, the destination is probed
// every ProbeEvery with it; a failed probe changes nothing, a successful
// one replicates it.
func TestReplicationProbeDuringBackoff(t *testing.T) {
	e := newEnv(t)
	v := e.put("k", "hello")
	down := &downDestination{Destination: &Local{Objects: e.obj}}
	r := e.replicator(down)
	down.Destination.(*Local).Authorizer = r.cfg.Authorizer
	for i := 0; i < 5; i++ { // attempts 1..5: the next is 16 s away
		r.Drain(context.Background())
		e.now = e.now.Add(Backoff(i + 1))
	}
	q := e.queue()
	if len(q) != 1 || q[0].Attempts != 5 {
		t.Fatalf("after five failures: %+v", q)
	}
	e.now = q[0].NextAttempt.Add(-Backoff(5)).Add(ProbeEvery) // 5 s after the last failure
	if n, _ := r.Drain(context.Background()); n != 1 {
		t.Fatalf("no probe %v after the last failure (%d attempted)", ProbeEvery, n)
	}
	if q2 := e.queue(); len(q2) != 1 || q2[0].Attempts != 5 || !q2[0].NextAttempt.Equal(q[0].NextAttempt) {
		t.Fatalf("a failed probe changed the entry: %+v", q2)
	}
	if n, _ := r.Drain(context.Background()); n != 0 {
		t.Fatalf("probed again at once (%d)", n)
	}
	down.up = true
	e.now = e.now.Add(ProbeEvery)
	if n, _ := r.Drain(context.Background()); n != 1 {
		t.Fatalf("no probe once the destination is back (%d)", n)
	}
	if s := e.status("src", "k", v.VersionID); s != kura.ReplicationCompleted {
		t.Fatalf("status %q after a successful probe, want COMPLETED", s)
	}
}
