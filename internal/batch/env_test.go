package batch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// The engine's behaviour without HTTP, on a bolt store and a blob
// directory with the audit outbox, KMS, object service and operation
// layer wired as the server wires them.

const (
	owner    = "111122223333"
	roleARN  = "arn:aws:iam::111122223333:role/batch"
	denyRole = "arn:aws:iam::111122223333:role/untrusted"
	data     = "data"
	reports  = "reports"
)

var (
	root = kura.Principal{Type: kura.PrincipalRoot, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":root", PrincipalID: owner}
	// jobPrincipal is what the role becomes for the job.
	jobPrincipal = kura.Principal{Type: kura.PrincipalAWSService, AccountID: owner, RoleARN: roleARN, SessionName: ServiceBatchOps,
		ARN: "arn:aws:sts::111122223333:assumed-role/batch/" + ServiceBatchOps, PrincipalID: "AROABATCH:" + ServiceBatchOps}
	alice = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice"}
	// bob may create jobs but pass only roles under /batch-other/.
	bob = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/bob",
		PrincipalID: "AIDABOB", UserName: "bob"}
	// carol may create jobs and pass the job role.
	carol = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/carol",
		PrincipalID: "AIDACAROL", UserName: "carol"}
)

// identity policies by principal ARN: the job role may do anything in S3
// and KMS; alice may only describe jobs.
var identityPolicies = map[string]string{
	jobPrincipal.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}}`,
	alice.ARN:        `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:DescribeJob","Resource":"*"}}`,
	bob.ARN: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:CreateJob","Resource":"*"},
 {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/batch-other/*"}]}`,
	carol.ARN: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:CreateJob","Resource":"*"},
 {"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/batch"}]}`,
}

// roles trusts batch operations with roleARN only.
type roles struct{}

func (roles) AssumeRoleAsService(_ context.Context, arn, service string) (kura.Principal, error) {
	if arn == roleARN && service == ServiceBatchOps {
		return jobPrincipal, nil
	}
	return kura.Principal{}, s3err.AccessDenied
}

type env struct {
	t      testing.TB
	dir    string
	trail  *audit.Log
	store  meta.Store
	raw    meta.Store // the store under the outbox (a *pg.Store counts its round trips)
	obj    *object.Service
	ops    *ops.Service
	keyARN string
	kms    *kms.Service
	pols   func(context.Context, kura.Principal) ([]*policy.Document, []*policy.Document, error)
	logger *slog.Logger
	mk     *sse.ManagedKey
}

func newEnv(t *testing.T) *env { return newEnvTB(t) }

// newOps is an operation layer on e's object service counting into m.
func newOps(e *env, m metrics.Observer) *ops.Service {
	return ops.New(ops.Config{Objects: e.obj, Policies: e.pols, Audit: e.trail, Metrics: m, Region: "us-east-1", Logger: e.logger})
}

// openMeta is the env's metadata store: a bolt file in dir, or with
// KURA_TEST_META=postgres a PostgreSQL schema of its own in the test
// database (pgtest), dropped when t ends. A benchmark gets the server's
// default pool (16 connections); a test 4, as pgtest's stores, since the
// tests run side by side on one database.
func openMeta(t testing.TB, dir string) meta.Store {
	t.Helper()
	if os.Getenv("KURA_TEST_META") == "postgres" {
		schema := pgtest.Schema(t, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var conns int32 = 4
		if _, bench := t.(*testing.B); bench {
			conns = 0
		}
		s, err := pg.Open(ctx, pgtest.DSN(t), pg.Options{Schema: schema, ApplicationName: schema, MaxConns: conns,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEnvTB(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	ms := openMeta(t, dir)
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.Open(audit.PathIn(dir), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	outbox := audit.NewOutbox(ms, trail, logger)
	t.Cleanup(func() {
		outbox.Close()
		trail.Close()
		ms.Close()
	})
	mk, err := sse.NewManagedKey("test", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]*policy.Document{}
	for arn, text := range identityPolicies {
		d, err := policy.Parse([]byte(text), policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		docs[arn] = d
	}
	pols := func(_ context.Context, p kura.Principal) ([]*policy.Document, []*policy.Document, error) {
		if d := docs[p.ARN]; d != nil {
			return []*policy.Document{d}, nil, nil
		}
		return nil, nil, nil
	}
	e := &env{t: t, dir: dir, trail: trail, store: outbox.Store(), raw: ms, pols: pols, logger: logger, mk: mk}
	keys, err := kms.New(kms.Config{Meta: e.store, RootKey: make([]byte, 32), Region: "us-east-1", Audit: trail, Logger: logger,
		IdentityPolicies: pols})
	if err != nil {
		t.Fatal(err)
	}
	e.obj = object.New(object.Config{Meta: e.store, Blobs: blobs, ManagedKey: mk, KMS: keys, Region: "us-east-1", Logger: logger})
	e.kms = keys
	e.ops = newOps(e, nil)
	ctx := context.Background()
	k, err := keys.CreateKey(ctx, kura.Call{Principal: root}, kms.CreateKeyInput{Description: "re-key target"})
	if err != nil {
		t.Fatal(err)
	}
	e.keyARN = k.Arn
	for _, b := range []string{data, reports} {
		if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: b, Owner: owner}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// service is a batch engine on the env's stores (a new one is a restart).
func (e *env) service(mod func(*Config)) *Service {
	cfg := Config{Meta: e.store, Ops: e.ops, Objects: e.obj, Roles: roles{}, Audit: e.trail, Region: "us-east-1",
		Logger: slog.New(slog.DiscardHandler), Workers: 4, ChunkSize: 10, Poll: 10 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

// put writes an object under SSE-S3 (the default) and returns its
// version.
func (e *env) put(bucket, key, body string) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.obj.PutObject(context.Background(), object.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body),
		Size: int64(len(body)), Owner: owner, Access: object.KeyAccess{Caller: kura.Call{Principal: root}}})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

// read returns an object's plaintext.
func (e *env) read(bucket, key string) string {
	e.t.Helper()
	_, body, err := readObject(context.Background(), e.ops, kura.Call{Principal: root}, ops.Target{Bucket: bucket, Key: key}, 0)
	if err != nil {
		e.t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) head(bucket, key string) *kura.ObjectVersion {
	e.t.Helper()
	v, err := e.obj.Head(context.Background(), bucket, key, "")
	if err != nil {
		e.t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return v
}

// manifest uploads a CSV manifest and returns the job manifest naming it.
func (e *env) manifest(key string, lines ...string) *kura.JobManifest {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	v := e.put(data, key, b.String())
	return &kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key"},
		Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::" + data + "/" + key, ETag: `"` + v.ETag + `"`}}
}

// spec is a re-seal job spec with a report.
func (e *env) spec(token string, m *kura.JobManifest) kura.JobSpec {
	return kura.JobSpec{Priority: 10, RoleARN: roleARN, ClientRequestToken: token, Manifest: m,
		Operation: kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
			UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: e.keyARN, BucketKeyEnabled: true}},
		Report: kura.JobReport{Enabled: true, Bucket: "arn:aws:s3:::" + reports, Prefix: "batch", Format: kura.ReportFormatCSV,
			Scope: kura.ReportScopeAllTasks}}
}

var rootCall = kura.Call{Principal: root}

// create creates a job as the account's root.
func (e *env) create(s *Service, spec kura.JobSpec) string {
	e.t.Helper()
	id, err := s.CreateJob(context.Background(), rootCall, owner, spec, nil)
	if err != nil {
		e.t.Fatalf("CreateJob: %v", err)
	}
	return id
}

// describe returns a job.
func (e *env) describe(s *Service, id string) *kura.Job {
	e.t.Helper()
	j, err := s.DescribeJob(context.Background(), rootCall, owner, id)
	if err != nil {
		e.t.Fatalf("DescribeJob: %v", err)
	}
	return j
}

// runUntil runs s's runner until the job is in a terminal state (or
// want), failing the test after a deadline.
func (e *env) runUntil(s *Service, id string, want kura.JobStatus) *kura.Job {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := e.describe(s, id)
		if j.Status == want || want == "" && j.Status.Terminal() {
			return j
		}
		if j.Status.Terminal() {
			e.t.Fatalf("job ended %s, want %s; failures %v", j.Status, want, j.FailureReasons)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job still %s after 30s, want %s", j.Status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reportRowsOf reads the completion report of a job: its manifest.json
// and every row of its result files, by status.
func (e *env) reportRowsOf(id string) (index reportIndex, rows map[string][][]string) {
	e.t.Helper()
	b := e.read(reports, "batch/job-"+id+"/manifest.json")
	if err := jsonUnmarshal([]byte(b), &index); err != nil {
		e.t.Fatalf("report manifest.json: %v", err)
	}
	rows = map[string][][]string{}
	for _, r := range index.Results {
		if r.Bucket != reports {
			e.t.Errorf("result file in bucket %q", r.Bucket)
		}
		recs, err := newCSVReaderAll(e.read(reports, r.Key))
		if err != nil {
			e.t.Fatalf("result %s: %v", r.Key, err)
		}
		rows[r.TaskExecutionStatus] = append(rows[r.TaskExecutionStatus], recs...)
	}
	return index, rows
}

// events is the trail's events named name.
func (e *env) events(name string) []audit.Event {
	e.t.Helper()
	if err := e.trail.Sync(); err != nil {
		e.t.Fatal(err)
	}
	evs, err := audit.Read(audit.PathIn(e.dir), func(ev audit.Event) bool { return ev.EventName == name })
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// runUntilFor is runUntil with another deadline, for long jobs.
func (e *env) runUntilFor(s *Service, id string, limit time.Duration) *kura.Job {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(limit)
	for {
		j := e.describe(s, id)
		if j.Status.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job still %s after %v", j.Status, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
