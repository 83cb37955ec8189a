// Package ops is the operation layer: S3 operations as functions that act
// as a principal (kura.Call) — authorized by internal/access, run on the
// object service, and finished with one audit event and one set of
// metrics — without an HTTP request.
//
// Its callers are the HTTP front (s3api), whose handlers of these
// operations translate a request into an operation's input and call it,
// and work that has no HTTP request: Batch Operations tasks (run as the
// job's role), replication, the console.
//
// An operation called directly does everything itself: it begins its
// audit event (audit.Log.BeginFunc, carried in the context so that every
// metadata change it commits stages the event in the audit outbox),
// decides every action the operation needs with the condition keys its
// input carries, runs, and finishes through Record.Finish — the same
// function the HTTP front finishes its requests with.
//
// Called by the HTTP front, an operation is told so by WithFront: the
// front has already authorized the operation's actions (before reading
// the request body, with the request's own condition keys, in the order
// of errors S3 clients see) and will record the request's event and
// metrics itself from the request and response. The operation then only
// makes the checks that belong to its run (the governance bypass, the KMS
// key of UpdateObjectEncryption) through the front's decider and adds
// what its event says to the front's (Front.Note).
//
// ops knows nothing of HTTP and must never import net/http.
package ops

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Config wires a Service.
type Config struct {
	Objects *object.Service
	// Policies gives callers' identity and session policies (IAM); nil
	// means only accounts' root users have permissions beyond bucket
	// policies and ACLs.
	Policies access.PolicySource
	// Accounts resolves ACL grantees (canonical ids, e-mail addresses);
	// nil knows no account but the caller's own.
	Accounts Accounts
	// Audit is the trail events are appended to; nil records none.
	Audit *audit.Log
	// Metrics counts operations; nil counts none.
	Metrics metrics.Observer
	Region  string
	Logger  *slog.Logger
	// Inventory produces a bucket's inventory report now
	// (KuraRunBucketInventory); nil produces none.
	Inventory func(ctx context.Context, bucket, id string) (kura.InventoryRun, error)
	// Link, when set, is this deployment's link to the deployments it
	// shares a bucket namespace with (internal/replication/link).
	Link Link
}

// Link is what operations need of linked deployments.
type Link interface {
	// Reserve claims a bucket name for this deployment across the
	// partition: BucketAlreadyExists when another deployment has it.
	Reserve(ctx context.Context, bucket string) error
	// RemoteVersioning is the versioning status of bucket at the linked
	// deployment that holds it; NoSuchBucket when none does.
	RemoteVersioning(ctx context.Context, bucket string) (string, error)
	// Release gives up this deployment's claim on a bucket name once the
	// bucket is deleted, so any deployment may create it again.
	Release(ctx context.Context, bucket string) error
}

// Service runs S3 operations as a principal. It is safe for concurrent use.
type Service struct {
	obj      *object.Service
	authz    *access.Authorizer
	accounts Accounts
	audit    *audit.Log
	metrics  metrics.Observer
	region   string
	log      *slog.Logger
	// inventory is Config.Inventory.
	inventory func(ctx context.Context, bucket, id string) (kura.InventoryRun, error)
	names     Link
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{obj: cfg.Objects, accounts: cfg.Accounts, audit: cfg.Audit, metrics: cfg.Metrics, region: cfg.Region, log: cfg.Logger,
		inventory: cfg.Inventory, names: cfg.Link}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.authz = &access.Authorizer{Policies: cfg.Policies, Objects: Lookups{cfg.Objects}, Region: cfg.Region, Logger: s.log}
	if cfg.Objects != nil {
		s.authz.Now = cfg.Objects.Now
	}
	return s
}

// Authorizer is the authorizer the Service decides with; the HTTP front
// decides its other operations with the same one.
func (s *Service) Authorizer() *access.Authorizer { return s.authz }

// Lookups is the object service as access looks objects up: its "not
// found" errors become access's.
type Lookups struct{ Objects *object.Service }

func (l Lookups) Head(ctx context.Context, bucket, key, versionID string) (*kura.ObjectVersion, error) {
	v, err := l.Objects.Head(ctx, bucket, key, versionID)
	if s3err.Is(err, s3err.NoSuchKey) {
		return nil, access.ErrNoSuchKey
	}
	return v, err
}

func (l Lookups) Upload(ctx context.Context, bucket, key, uploadID string) (*kura.Upload, error) {
	u, err := l.Objects.Upload(ctx, bucket, key, uploadID)
	if s3err.Is(err, s3err.NoSuchUpload) {
		return nil, access.ErrNoSuchUpload
	}
	return u, err
}

// Front is an outer layer that has already authorized an operation's
// actions and records its audit event and metrics itself: the HTTP
// front. See the package comment.
type Front struct {
	// Bucket is the operation's bucket as the front loaded it (and
	// checked against the owner the caller expects).
	Bucket *kura.Bucket
	// Decide decides a further check the operation makes while it runs,
	// the way the front decided the operation's actions (its request's
	// condition keys, its memo, S3's AccessDenied).
	Decide func(ctx context.Context, r access.Request) error
	// Note adds k=v to the additionalEventData of the front's event.
	Note func(k string, v any)
}

type frontKey struct{}

// WithFront returns ctx telling the operations called with it that f has
// authorized them and records them.
func WithFront(ctx context.Context, f *Front) context.Context {
	return context.WithValue(ctx, frontKey{}, f)
}

func frontOf(ctx context.Context) *Front {
	f, _ := ctx.Value(frontKey{}).(*Front)
	return f
}

// Target names the object an operation acts on.
type Target struct {
	Bucket, Key string
	// VersionID is the version acted on; "" for the current one.
	VersionID string
	// ExpectedBucketOwner, when set, is the account the caller expects to
	// own the bucket; another owner is AccessDenied (S3's
	// x-amz-expected-bucket-owner).
	ExpectedBucketOwner string
}

// spec is what an operation is, for authorization and its event.
type spec struct {
	name string
	// sub is the sub-resource naming the operation in S3's REST API
	// ("tagging"): requestParameters carry it, as CloudTrail's do.
	sub            string
	actions        []string
	versionActions []string // instead of actions when a version is named
	// existingTags: the operation acts on an existing object, so
	// s3:ExistingObjectTag/<key> is supplied.
	existingTags bool
	// readOnly: the operation changes nothing (the event's readOnly).
	readOnly bool
	// management: a bucket or account operation, whose event is a
	// management event rather than a data event.
	management bool
	// noBucket: the operation's bucket is not loaded before it runs
	// (CreateBucket makes it; ListBuckets has none).
	noBucket bool
	// newObject: the operation creates the object, so an ACL or tagging
	// it sets is allowed by the bucket WRITE that allows the write
	// (access.Request.NewObject).
	newObject bool
	// status is the HTTP status of success.
	status int
}

// run is one operation being performed.
type run struct {
	s      *Service
	spec   spec
	call   kura.Call
	target Target
	front  *Front
	// conds are the condition keys the operation's input carries.
	conds map[string][]string
	// extra are actions the input calls for beyond the spec's (a copy
	// that sets tags needs s3:PutObjectTagging too).
	extra []string
	// uploadID is the multipart upload the operation acts on: its
	// initiator bears on the decisions.
	uploadID string
	bucket   *kura.Bucket
	memo     access.Memo
	started  time.Time
	job      string // the Batch Operations job this is a task of (WithJob)

	rec     Record // the event and metrics being built (not with a front)
	pending *audit.Pending
	tally   *metrics.Tally
}

// begin starts an operation: without a front, it begins its audit event
// and returns the context its changes must be made with (carrying the
// Pending and counting KMS calls).
func (s *Service) begin(ctx context.Context, call kura.Call, sp spec, t Target, conds map[string][]string) (*run, context.Context) {
	r := &run{s: s, spec: sp, call: call, target: t, front: frontOf(ctx), conds: conds, started: time.Now(), job: JobOf(ctx)}
	if r.front != nil {
		return r, ctx
	}
	if r.call.Source.Time.IsZero() {
		r.call.Source.Time = r.started
	}
	if t.VersionID != "" {
		if r.conds == nil {
			r.conds = map[string][]string{}
		}
		r.conds["s3:versionid"] = []string{t.VersionID}
	}
	r.rec = s.baseRecord(r)
	// The intent the outbox stages is the event as known at the commit
	// (the bucket owner once loaded), without the outcome. It is built on
	// the goroutine running the operation, inside its transaction.
	r.pending = s.audit.BeginFunc(func() audit.Event {
		d := r.rec
		d.ResponseElements = nil
		return d.Event()
	})
	ctx = audit.WithPending(ctx, r.pending)
	ctx, r.tally = metrics.WithOp(ctx)
	return r, ctx
}

// baseRecord is the operation's event before it runs.
func (s *Service) baseRecord(r *run) Record {
	t := r.target
	params := map[string]any{}
	var resources []audit.Resource
	if t.Bucket != "" { // ListBuckets names none
		params["bucketName"] = t.Bucket
		resources = []audit.Resource{{Type: "AWS::S3::Bucket", ARN: access.BucketARN(t.Bucket)}}
	}
	if t.Key != "" { // an operation on the bucket or its objects (DeleteObjects) names none
		params["key"] = t.Key
		resources = append([]audit.Resource{{Type: "AWS::S3::Object", ARN: access.ObjectARN(t.Bucket, t.Key)}}, resources...)
	}
	if r.spec.sub != "" {
		params[r.spec.sub] = ""
	}
	if t.VersionID != "" {
		params["versionId"] = t.VersionID
	}
	extra := map[string]any{"bytesTransferredIn": int64(0), "bytesTransferredOut": int64(0),
		"x-amz-id-2": r.call.Source.RequestID}
	if r.job != "" {
		extra["jobId"] = r.job // a Batch Operations task (WithJob)
	}
	return Record{
		Service: "s3", EventSource: "s3.amazonaws.com", Name: r.spec.name, Data: !r.spec.management, ReadOnly: r.spec.readOnly,
		Call: r.call, Region: s.region, RecipientAccountID: r.call.Principal.AccountID,
		RequestParameters:   params,
		AdditionalEventData: extra,
		Resources:           resources,
	}
}

// authorize loads the bucket and decides the operation's actions (not
// with a front: it did both).
func (r *run) authorize(ctx context.Context) error {
	if r.spec.noBucket {
		return r.authorizeWithoutBucket(ctx)
	}
	if f := r.front; f != nil {
		r.bucket = f.Bucket
		if r.bucket == nil || r.bucket.Name != r.target.Bucket {
			b, err := r.s.obj.Bucket(ctx, r.target.Bucket)
			if err != nil {
				return err
			}
			r.bucket = b
		}
		return nil
	}
	b := r.bucket // loaded already when one call serves many operations
	if b == nil || b.Name != r.target.Bucket {
		var err error
		if b, err = r.s.obj.Bucket(ctx, r.target.Bucket); err != nil {
			return err
		}
	}
	r.bucket = b
	r.rec.RecipientAccountID = b.Owner
	for i := range r.rec.Resources {
		if r.rec.Resources[i].Type == "AWS::S3::Bucket" {
			r.rec.Resources[i].AccountID = b.Owner
		}
	}
	if want := r.target.ExpectedBucketOwner; want != "" && want != b.Owner {
		return s3err.AccessDenied
	}
	actions := r.spec.actions
	if r.target.VersionID != "" && r.spec.versionActions != nil {
		actions = r.spec.versionActions
	}
	for _, a := range append(slices.Clip(actions), r.extra...) {
		if err := r.check(ctx, a, r.resource(), nil); err != nil {
			return err
		}
	}
	return nil
}

// authorizeWithoutBucket decides the actions of an operation whose
// bucket is not loaded (not with a front: it did).
func (r *run) authorizeWithoutBucket(ctx context.Context) error {
	if r.front != nil {
		return nil
	}
	for _, a := range append(slices.Clip(r.spec.actions), r.extra...) {
		if err := r.check(ctx, a, r.resource(), nil); err != nil {
			return err
		}
	}
	return nil
}

// resource is the ARN the operation's actions apply to: its object, its
// bucket, or "*" for an operation on no bucket (ListBuckets).
func (r *run) resource() string {
	switch t := r.target; {
	case t.Bucket == "":
		return "*"
	case t.Key == "":
		return access.BucketARN(t.Bucket)
	}
	return access.ObjectARN(r.target.Bucket, r.target.Key)
}

// check decides one action on resource for the operation's object, with
// extra condition keys: through the front when there is one.
func (r *run) check(ctx context.Context, action, resource string, extra map[string][]string) error {
	t := r.target
	return r.decide(ctx, access.Request{Action: action, Resource: resource, Bucket: r.bucket,
		Key: t.Key, VersionID: t.VersionID, UploadID: r.uploadID, ExistingObjectTags: r.spec.existingTags, NewObject: r.spec.newObject}, extra)
}

// decide completes req with the operation's call and condition keys
// (its own and extra) and decides it: through the front when there is
// one.
func (r *run) decide(ctx context.Context, req access.Request, extra map[string][]string) error {
	req.Call = r.call
	if r.front != nil {
		req.Conditions = extra
		return r.front.Decide(ctx, req)
	}
	// access only reads Conditions: the operation's own are passed as
	// they are unless extra keys join them.
	conds := r.conds
	if len(extra) > 0 {
		conds = make(map[string][]string, len(r.conds)+len(extra))
		for k, v := range r.conds {
			conds[k] = v
		}
		for k, v := range extra {
			conds[k] = v
		}
	}
	req.Conditions, req.Memo = conds, &r.memo
	return Denial(r.s.authz.Authorize(ctx, req))
}

// Denial turns access's refusal into S3's AccessDenied: with AWS's
// enhanced message for callers of the resource's own account, "Access
// Denied" for anyone else (SPEC 7.1). Other errors are returned as they
// are.
func Denial(err error) error {
	if d, ok := access.IsDenied(err); ok {
		msg := "Access Denied"
		if d.SameAccount {
			msg = d.Message(policy.QuotedResource)
		}
		return s3err.AccessDenied.WithMessage("%s", msg)
	}
	return err
}

// note adds k=v to the operation's additionalEventData.
func (r *run) note(k string, v any) {
	if r.front != nil {
		if r.front.Note != nil {
			r.front.Note(k, v)
		}
		return
	}
	r.rec.AdditionalEventData[k] = v
}

// param adds k=v to the operation's requestParameters (not with a front:
// its event takes them from the request).
func (r *run) param(k, v string) {
	if r.front != nil {
		return
	}
	r.rec.RequestParameters[k] = v
}

// respond adds k=v to the operation's responseElements (a write's
// version id, as the response header S3 would send). A read's event has
// none, as the front's has not.
func (r *run) respond(k, v string) {
	if r.front != nil || r.spec.readOnly {
		return // the front's event takes them from its response
	}
	if r.rec.ResponseElements == nil {
		r.rec.ResponseElements = map[string]any{}
	}
	r.rec.ResponseElements[k] = v
}

// finish ends the operation with its outcome, err (nil: success with
// status), and returns err. Without a front it is where the operation's
// event is appended and its metrics counted (Record.Finish).
func (r *run) finish(status int, err error) error {
	if r.front != nil {
		return err
	}
	d := r.rec
	d.Status, d.Duration, d.KMSCalls = status, time.Since(r.started), r.tally.KMSCalls()
	d.ACLRequired = r.memo.ACLRequired()
	if err != nil {
		e := s3err.As(err)
		d.Status, d.ErrorCode, d.ErrorMessage, d.ResponseElements = e.Status, e.Code, e.Message, nil
		if e.Status >= 500 {
			r.s.log.Error("operation failed", "operation", d.Name, "bucket", r.target.Bucket, "key", r.target.Key,
				"principal", r.call.Principal.ARN, "err", err)
		}
	}
	if ferr := d.Finish(r.pending, r.s.metrics); ferr != nil {
		r.s.log.Error("audit event not written", "operation", d.Name, "requestID", r.call.Source.RequestID, "err", ferr)
	}
	return err
}
