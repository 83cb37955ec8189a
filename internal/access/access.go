// Package access decides whether a call may perform an action on a
// resource: the one authorization step of S3, KMS and IAM/STS, callable
// by the HTTP front and by work that has no HTTP request (batch jobs,
// replication, lifecycle, the console).
//
// A decision takes a Request — the caller (kura.Call), the action, the
// resource ARN, the bucket or KMS key that holds it and the operation's
// condition keys — and combines, with AWS's evaluation logic
// (internal/policy): the caller's identity policies and session policies,
// the bucket policy as Block Public Access lets it apply, the bucket's and
// the object's ACLs as Object Ownership lets them count, the multipart
// initiator's own rights, S3's missing-key rule, and KMS key policies. The
// global condition keys (aws:SourceIp, aws:SecureTransport, aws:userid,
// aws:CurrentTime, s3:authType, …) are derived here from the call.
//
// access knows nothing of HTTP and must never import net/http: a request
// reaches it already translated into a kura.Call and condition values.
// It writes nothing; the metadata it reads (objects for their ACLs, owners
// and tags, uploads for their initiator) comes through the Objects it is
// given, and the caller's policies through its PolicySource.
package access

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

// PolicySource returns the identity-based policies of a principal that is
// not an account's root (its user's or its role's) and, for a role
// session, its session policies. An error fails the decision: a policy
// that could not be read might have denied.
type PolicySource func(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error)

// Objects looks up what an S3 decision may need beyond the bucket: the
// version a request addresses (its ACL, owner and tags) and a multipart
// upload (its initiator). A missing version is ErrNoSuchKey, a missing
// upload ErrNoSuchUpload (wrapped or as is); any other error fails the
// decision and is returned as it is.
type Objects interface {
	Head(ctx context.Context, bucket, key, versionID string) (*kura.ObjectVersion, error)
	Upload(ctx context.Context, bucket, key, uploadID string) (*kura.Upload, error)
}

// The "not found" answers of Objects.
var (
	ErrNoSuchKey    = errors.New("access: no such key")
	ErrNoSuchUpload = errors.New("access: no such upload")
)

// Authorizer decides Requests. Its fields are set once; it is safe for
// concurrent use.
type Authorizer struct {
	// Policies gives the caller's identity and session policies; nil
	// means principals other than an account's root have none.
	Policies PolicySource
	// Objects looks up versions and uploads for S3 decisions; nil means
	// none can be found (object ACLs, owners and tags then count for
	// nothing).
	Objects Objects
	// Region is aws:RequestedRegion.
	Region string
	// Now is the clock of aws:CurrentTime and aws:EpochTime; nil is
	// time.Now.
	Now    func() time.Time
	Logger *slog.Logger

	compiled policy.Cache // bucket policies, by text
}

// Request is one authorization question: may Call perform Action on
// Resource?
type Request struct {
	Call kura.Call
	// Action is "service:Operation": s3:GetObject, kms:Decrypt,
	// iam:CreateUser. Its service picks the global condition keys.
	Action string
	// Resource is the ARN acted on: arn:aws:s3:::bucket/key, a key ARN,
	// an IAM ARN; "*" for S3's ListAllMyBuckets and IAM's unscoped
	// actions.
	Resource string

	// Bucket is the bucket holding Resource (S3): its owner is the
	// resource account, its policy (under Block Public Access) the
	// resource policy, its ACL and Object Ownership decide what ACLs
	// grant. nil: a resource of the caller's own account without a bucket
	// (ListBuckets, CreateBucket).
	Bucket *kura.Bucket
	// Key and VersionID name the object the request addresses, UploadID
	// its multipart upload: the object's ACL, owner and existing tags,
	// and the upload's initiator, bear on the decision.
	Key, VersionID, UploadID string
	// Object is that version when the caller already holds it; nil has it
	// looked up (through Objects) only if a rule needs it.
	Object *kura.ObjectVersion
	// ExistingObjectTags says the operation acts on an existing object,
	// so s3:ExistingObjectTag/<key> is supplied (when a policy tests it).
	ExistingObjectTags bool
	// NewObject says the operation creates the object, so an ACL or
	// tagging it sets is allowed by the bucket WRITE that allows the
	// write itself (there is no object ACL yet to grant WRITE_ACP).
	NewObject bool
	// CopySource says this is the read of a copy's source object: only
	// its ACL can add to the policies; the foreign-object and missing-key
	// rules are for the object a request writes or reads.
	CopySource bool

	// KMSKey is the KMS key holding Resource; nil for anything else.
	KMSKey *KMSKey

	// Conditions are the operation's condition keys (s3:prefix,
	// s3:x-amz-server-side-encryption, kms:EncryptionContext:…, …); they
	// override the global keys access derives from Call. A key is present
	// only when the request really carries it.
	Conditions map[string][]string
	// LazyConditions, when set, adds condition keys that are costly to
	// collect: it is called only when a policy that reads the request
	// context is evaluated (never for an account's root acting in its own
	// account with nothing to deny it, never when no policy in play has a
	// condition or a policy variable), at most once per Authorize or
	// AuthorizeEach, before Conditions are applied.
	LazyConditions func() (map[string][]string, error)

	// Memo, when set, keeps what one call's decisions share (its
	// policies, effective bucket policies, looked-up objects) across
	// several Authorize calls for the same Call. Never share it between
	// calls.
	Memo *Memo
}

// KMSKey is a KMS key as a decision sees it: the account owning it and
// its key policy. A key policy must allow the caller itself or delegate to
// its account, and binds the account's root like anyone else.
type KMSKey struct {
	Account string
	// Policy is the compiled key policy; nil allows nobody (a stored
	// policy that does not parse).
	Policy *policy.Document
}

// Memo is what the decisions of one call share. The zero value is ready;
// it is not safe for concurrent use.
type Memo struct {
	// aclGranted is set when an ACL granted a decision that policies
	// alone did not (server access logs' aclRequired).
	aclGranted        bool
	policiesLoaded    bool
	identity, session []*policy.Document
	bucketPolicies    map[string]*policy.Document
	objects           map[objectRef]objectResult
	uploads           map[objectRef]uploadResult
}

// ACLRequired reports whether an ACL was needed to allow a decision made
// with m: policies did not allow it, an ACL grant did (server access
// logs' aclRequired field).
func (m *Memo) ACLRequired() bool { return m != nil && m.aclGranted }

type objectRef struct{ bucket, key, version string }

type objectResult struct {
	v   *kura.ObjectVersion
	err error
}

type uploadResult struct {
	u   *kura.Upload
	err error
}

// Denied is a refusal: the decision and what a message about it names.
type Denied struct {
	PrincipalARN string
	Action       string
	Resource     string
	Decision     policy.Decision
	// SameAccount says the caller belongs to the resource's account and
	// signed its request: S3 tells only such callers why (its enhanced
	// messages), and "Access Denied" to anyone else.
	SameAccount bool
}

func (d *Denied) Error() string { return d.Message(policy.BareResource) }

// Message is AWS's AccessDenied text for the refusal, with the resource
// quoted as S3 quotes it or bare as KMS and IAM write it.
func (d *Denied) Message(q policy.Quoting) string {
	return d.Decision.Message(d.PrincipalARN, d.Action, d.Resource, q)
}

// IsDenied returns the refusal in err, if it is one.
func IsDenied(err error) (*Denied, bool) {
	// Every decision's answer is asked this: nil and an unwrapped refusal
	// are answered without errors.As, whose target would be allocated.
	if err == nil {
		return nil, false
	}
	if d, ok := err.(*Denied); ok {
		return d, true
	}
	var d *Denied
	ok := errors.As(err, &d)
	return d, ok
}

// IsRoot says p is an account's root user (a principal without its Type
// set is recognized by its ARN).
func IsRoot(p kura.Principal) bool {
	return p.Type == kura.PrincipalRoot || p.Type == "" && strings.HasSuffix(p.ARN, ":root")
}

// Authorize decides r: nil when the call may perform the action, a
// *Denied when it may not, another error when the decision could not be
// made (a policy or an object that could not be read).
func (a *Authorizer) Authorize(ctx context.Context, r Request) error {
	m := r.Memo
	if m == nil {
		m = &Memo{}
	}
	d := &decision{a: a, ctx: ctx, r: r, m: m, p: r.Call.Principal}
	return d.run()
}

// AuthorizeEach decides r for each of actions in turn, exactly as
// Authorize would each, and returns the first refusal or error: the
// permissions one request needs together (a KMS permission check of
// several actions). A request without a bucket builds its context
// (global keys, r.LazyConditions and r.Conditions) at most once for all
// of its actions of one service, as they are one request's.
func (a *Authorizer) AuthorizeEach(ctx context.Context, r Request, actions ...string) error {
	m := r.Memo
	if m == nil {
		m = &Memo{}
	}
	share := r.Bucket == nil
	var cond map[string][]string
	var service string
	for _, action := range actions {
		r.Action = action
		if serviceOf(action) != service {
			cond, service = nil, serviceOf(action)
		}
		d := &decision{a: a, ctx: ctx, r: r, m: m, p: r.Call.Principal, cond: cond}
		if err := d.run(); err != nil {
			return err
		}
		if share {
			cond = d.cond
		}
	}
	return nil
}

// decision is one Authorize in progress.
type decision struct {
	a   *Authorizer
	ctx context.Context
	// r is held by value: a pointer to the caller's Request would move
	// it to the heap on every decision.
	r Request
	m *Memo
	p kura.Principal
	// cond is the request context, once built (AuthorizeEach may hand
	// one decision's to the next).
	cond map[string][]string
}

func (d *decision) run() error {
	r, p := &d.r, d.p
	anonymous := p.IsAnonymous()
	root := IsRoot(p)
	owner := p.AccountID
	var rp *policy.Document
	switch {
	case r.KMSKey != nil:
		owner, rp = r.KMSKey.Account, r.KMSKey.Policy
	case r.Bucket != nil:
		owner = r.Bucket.Owner
		var err error
		if rp, err = d.effectivePolicy(r.Bucket); err != nil {
			return err
		}
	}
	foreign, err := d.foreignObject()
	if err != nil {
		return err
	}
	if root && owner == p.AccountID && rp == nil && r.KMSKey == nil && !foreign {
		return nil // an account's root in its own account, nothing to deny it
	}
	var identity, session []*policy.Document
	if !root && !anonymous { // an anonymous caller has no policies of its own
		if err := d.loadPolicies(); err != nil {
			return err
		}
		identity, session = d.m.identity, d.m.session
	}
	// The request context (the global keys, the lazy and the given
	// condition keys) is built only when a policy in play reads it: a key
	// policy or bucket policy without conditions, and an identity policy
	// such as AdministratorAccess, decide on the principal, action and
	// resource alone.
	cond := d.cond
	if cond == nil && (rp.ReadsContext() || anyReadsContext(identity) || anyReadsContext(session)) {
		if cond, err = d.conditions(owner); err != nil {
			return err
		}
		d.cond = cond
	}
	service := serviceOf(r.Action)
	evalResource := r.Resource
	if r.Resource == "*" && service == "s3" {
		// ListAllMyBuckets: "*" and "arn:aws:s3:::*" both grant it.
		evalResource = "arn:aws:s3:::*"
	}
	pp := policy.Principal{AccountID: p.AccountID, ARN: p.ARN, RoleARN: p.RoleARN, Anonymous: anonymous}
	if service == "s3" {
		pp.CanonicalID = p.CanonicalID // bucket policies may name {"CanonicalUser": …}
	}
	in := &policy.Input{
		Request:         policy.Request{Principal: pp, Action: r.Action, Resource: evalResource, Context: cond},
		ResourceAccount: owner,
		IsRoot:          root,
		Resource:        rp,
		KeyPolicy:       r.KMSKey != nil && r.KMSKey.Account != "",
		Identity:        identity,
		Session:         session,
	}
	if err := d.existingTags(in); err != nil {
		return err
	}
	dec := policy.Decide(in)
	if dec.Allowed && !foreign {
		return nil
	}
	if !explicitDeny(dec) && r.Bucket != nil {
		if ok, err := d.aclAllows(in); err != nil {
			return err
		} else if ok {
			d.m.aclGranted = true
			return nil
		}
		// Called directly, not through a list of funcs: an indirect call
		// would move in, and the Request, to the heap on every decision.
		if ok, err := d.initiatorAllows(in); err != nil || ok {
			return err
		}
		if ok, err := d.listableMissingKey(in); err != nil || ok {
			return err
		}
	}
	msgResource := r.Resource
	if r.Resource == "*" && service == "s3" {
		msgResource = ""
	}
	return &Denied{PrincipalARN: p.ARN, Action: r.Action, Resource: msgResource, Decision: dec,
		SameAccount: owner == p.AccountID && !anonymous}
}

// anyReadsContext says a document of docs reads the request context.
func anyReadsContext(docs []*policy.Document) bool {
	for _, doc := range docs {
		if doc.ReadsContext() {
			return true
		}
	}
	return false
}

func explicitDeny(d policy.Decision) bool {
	switch d.Reason {
	case policy.ExplicitDenyIdentity, policy.ExplicitDenyResource, policy.ExplicitDenySession:
		return true
	}
	return false
}

// serviceOf is the service prefix of an action ("s3" of "s3:GetObject").
func serviceOf(action string) string {
	s, _, _ := strings.Cut(action, ":")
	return strings.ToLower(s)
}

// loadPolicies reads the caller's identity and session policies, once per
// Memo.
func (d *decision) loadPolicies() error {
	m := d.m
	if m.policiesLoaded {
		return nil
	}
	if f := d.a.Policies; f != nil {
		id, ses, err := f(d.ctx, d.p)
		if err != nil {
			// A missing policy might have denied: never decide without.
			return err
		}
		m.identity, m.session = id, ses
	}
	m.policiesLoaded = true
	return nil
}

// ownSelf is in evaluated as if the resource were the caller's own: its
// identity (and session) policies alone. An ACL or initiator grant to an
// account reaches its IAM principals only through them.
func (d *decision) ownSelf(in *policy.Input) bool {
	self := *in
	self.Resource, self.ResourceAccount, self.KeyPolicy = nil, d.p.AccountID, false
	return policy.Decide(&self).Allowed
}

// object is the version the request addresses, looked up once per Memo.
func (d *decision) object() (*kura.ObjectVersion, error) {
	r := &d.r
	if r.Object != nil {
		return r.Object, nil
	}
	return d.lookup(r.Bucket.Name, r.Key, r.VersionID)
}

func (d *decision) lookup(bucket, key, version string) (*kura.ObjectVersion, error) {
	ref := objectRef{bucket, key, version}
	if res, ok := d.m.objects[ref]; ok {
		return res.v, res.err
	}
	var res objectResult
	if d.a.Objects == nil {
		res.err = ErrNoSuchKey
	} else {
		res.v, res.err = d.a.Objects.Head(d.ctx, bucket, key, version)
	}
	if d.m.objects == nil {
		d.m.objects = map[objectRef]objectResult{}
	}
	d.m.objects[ref] = res
	return res.v, res.err
}

func (d *decision) upload() (*kura.Upload, error) {
	r := &d.r
	ref := objectRef{r.Bucket.Name, r.Key, r.UploadID}
	if res, ok := d.m.uploads[ref]; ok {
		return res.u, res.err
	}
	var res uploadResult
	if d.a.Objects == nil {
		res.err = ErrNoSuchUpload
	} else {
		res.u, res.err = d.a.Objects.Upload(d.ctx, r.Bucket.Name, r.Key, r.UploadID)
	}
	if d.m.uploads == nil {
		d.m.uploads = map[objectRef]uploadResult{}
	}
	d.m.uploads[ref] = res
	return res.u, res.err
}

func (a *Authorizer) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Authorizer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// ObjectARN and BucketARN are the S3 resource ARNs.
func ObjectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }
func BucketARN(bucket string) string      { return "arn:aws:s3:::" + bucket }
