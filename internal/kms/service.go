package kms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/sse"
)

// Config configures a Service.
type Config struct {
	Meta    meta.Store
	RootKey []byte // 32 bytes; the material KEK is derived from it
	Region  string // default us-east-1
	Now     func() time.Time
	Audit   *audit.Log // nil: no audit trail (tests only)
	Logger  *slog.Logger
	// IdentityPolicies returns the identity-based policies of a caller
	// (its user's or role's) and, for a role session, its session
	// policies; key policies that delegate to the caller's account need
	// them (see authz.go). It is a function rather than an import of the
	// IAM package so that kms stays below iam. nil means identity policies
	// are not consulted and every principal holds kms:* in its own account
	// (KMS on its own, in tests); the server always sets it.
	IdentityPolicies func(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error)
}

// Service is the built-in KMS. It is safe for concurrent use.
type Service struct {
	meta meta.Store
	// materialKEK seals and unseals key material (derived from the root
	// key), set up once.
	materialKEK *sse.KEK
	region      string
	now         func() time.Time
	audit       *audit.Log
	log         *slog.Logger
	calls       atomic.Int64
	byOp        [5][2]atomic.Int64 // CryptoOperations × (CallerS3, CallerDirect)

	identityPolicies func(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error)
	policies         policy.Cache // compiled key policies, by text
	access           *access.Authorizer
}

// New returns a Service on cfg.Meta.
func New(cfg Config) (*Service, error) {
	if cfg.Meta == nil {
		return nil, errors.New("kms: no metadata store")
	}
	if len(cfg.RootKey) != sse.RootKeySize {
		return nil, fmt.Errorf("kms: root key must be %d bytes", sse.RootKeySize)
	}
	kek := sse.DeriveKey(cfg.RootKey, materialKEKPurpose)
	materialKEK, err := sse.NewKEK(kek)
	clear(kek)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	s := &Service{
		meta:        cfg.Meta,
		materialKEK: materialKEK,
		region:      cfg.Region,
		now:         cfg.Now,
		audit:       cfg.Audit,
		log:         cfg.Logger,

		identityPolicies: cfg.IdentityPolicies,
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.access = &access.Authorizer{Policies: s.callerPolicies, Region: s.region, Now: s.clock, Logger: s.log}
	return s, nil
}

// Region is the region in the service's ARNs.
func (s *Service) Region() string { return s.region }

// CallCount is the number of cryptographic operations (Encrypt, Decrypt,
// GenerateDataKey*, ReEncrypt) requested so far, successful or not.
func (s *Service) CallCount() int64 { return s.calls.Load() }

// CryptoOperations are the cryptographic operations CallCounts counts.
var CryptoOperations = []string{"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"}

// KMS call callers: S3 acting for its caller (SSE-KMS, bucket keys,
// UpdateObjectEncryption, replication), or a client of the KMS API.
const (
	CallerS3     = "s3"
	CallerDirect = "direct"
)

// CallCounts is CallCount by operation (CryptoOperations) and caller
// (CallerS3, CallerDirect).
func (s *Service) CallCounts() map[[2]string]int64 {
	out := map[[2]string]int64{}
	for i, op := range CryptoOperations {
		out[[2]string{op, CallerS3}] = s.byOp[i][0].Load()
		out[[2]string{op, CallerDirect}] = s.byOp[i][1].Load()
	}
	return out
}

// count counts one cryptographic call of operation op made for c.
func (s *Service) count(op string, c kura.Call) {
	s.calls.Add(1)
	caller := 1
	if c.Source.InvokedBy == "s3.amazonaws.com" {
		caller = 0
	}
	for i, name := range CryptoOperations {
		if name == op {
			s.byOp[i][caller].Add(1)
			return
		}
	}
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// op is one KMS operation in progress: it collects the audit event.
type op struct {
	s *Service
	c kura.Call
	// ev is the operation's audit event; nil for a check (Service.check),
	// which writes none.
	ev *audit.Event
	// cond is what the operation brings to key policy conditions
	// (encryption context, algorithm, alias); see authz.go.
	cond opConditions
	// memo keeps the caller's identity and session policies, loaded at
	// most once per operation (see callerPolicies).
	memo access.Memo
	// pending is the event until finish appends it: the metadata changes
	// the operation makes stage it in the audit outbox.
	pending *audit.Pending
	// read is the key record the operation has read for a ciphertext
	// (decryptBlob): a later lookup of the same key by id or ARN in the
	// operation (ReEncrypt to the key that sealed the blob, Decrypt naming
	// its key) takes it instead of reading it again, so one operation sees
	// one state of a key.
	read *keyRecord
	// known is a key record resolved for this operation before it began
	// (a key batch's, keyBatch): a lookup of that key by id or ARN, or a
	// ciphertext under it, takes it as it takes read. Nothing writes to it;
	// a batch's uses may share it.
	known *keyRecord
}

// run executes fn as operation name for c and records its audit event,
// successful or not. Every error it returns is an *Error; if the event
// cannot be written, the operation fails (and its result is withheld) with
// KMSInternalException, so no KMS use goes unrecorded. fn gets a context
// carrying the operation's pending event (audit.Pending), so the metadata
// changes it makes with it are recorded with that event even if the
// process stops before finish; it must use that context, not the caller's.
func run[T any](ctx context.Context, s *Service, c kura.Call, name string, readOnly bool, fn func(ctx context.Context, o *op) (T, error)) (T, error) {
	o := s.begin(c, name, readOnly)
	ctx = audit.WithPending(ctx, o.pending)
	var out T
	var err error
	if !policy.IsAccountID(c.Principal.AccountID) || c.Principal.ARN == "" {
		err = internalError(errors.New("kms: caller has no valid account id or ARN"))
	} else if cerr := ctx.Err(); cerr != nil {
		err = internalError(cerr)
	} else {
		out, err = fn(ctx, o)
	}
	if err = o.finish(err); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func (s *Service) begin(c kura.Call, name string, readOnly bool) *op {
	ui := audit.UserIdentityOf(c.Principal, c.Source)
	src, ua := c.Source.IP, c.Source.UserAgent
	if c.Source.InvokedBy != "" {
		if src == "" {
			src = c.Source.InvokedBy
		}
		if ua == "" {
			ua = c.Source.InvokedBy
		}
	}
	o := &op{s: s, c: c, ev: &audit.Event{
		UserIdentity: ui, EventSource: "kms.amazonaws.com", EventName: name,
		AWSRegion: s.region, SourceIPAddress: src, UserAgent: ua,
		RequestParameters: map[string]any{}, RequestID: c.Source.RequestID, ReadOnly: readOnly,
		ManagementEvent: true, RecipientAccountID: c.Principal.AccountID, EventCategory: "Management",
	}}
	started := s.clock()
	o.pending = s.audit.BeginFunc(func() audit.Event {
		ev := *o.ev
		ev.EventTime = started
		return ev
	})
	return o
}

// check is the op of a lookup or permission check that is not a KMS
// operation of its own (Permitted, ResolveKeyARN, a key batch): it
// collects what the lookup and the decisions need, but has no audit event
// (such checks write none) and so costs no event id.
func (s *Service) check(c kura.Call) *op { return &op{s: s, c: c} }

// param records a request parameter. Callers must never pass plaintext,
// ciphertext or key material.
func (o *op) param(k string, v any) { o.ev.RequestParameters[k] = v }

func (o *op) response(k string, v any) {
	if o.ev.ResponseElements == nil {
		o.ev.ResponseElements = map[string]any{}
	}
	o.ev.ResponseElements[k] = v
}

func (o *op) extra(k string, v any) {
	if o.ev.AdditionalEventData == nil {
		o.ev.AdditionalEventData = map[string]any{}
	}
	o.ev.AdditionalEventData[k] = v
}

// arn is rec's key ARN in the service's region: made once when the
// record was read for a request (lookupKey, decryptBlob), which then
// names it in its decisions, its event and its answer several times.
func (s *Service) arn(rec *keyRecord) string {
	if rec.arn != "" {
		return rec.arn
	}
	return KeyARN(s.region, rec.Account, rec.ID)
}

// resource records a key the operation touched.
func (o *op) resource(rec *keyRecord) {
	if o.ev == nil {
		return // a check (Service.check): no event
	}
	arn := o.s.arn(rec)
	for _, r := range o.ev.Resources {
		if r.ARN == arn {
			return
		}
	}
	o.ev.Resources = append(o.ev.Resources, audit.Resource{ARN: arn, AccountID: rec.Account, Type: "AWS::KMS::Key"})
	if len(o.ev.Resources) == 1 {
		o.ev.RecipientAccountID = rec.Account
	}
}

func (o *op) finish(err error) error {
	e := asError(err)
	if e != nil {
		o.ev.ErrorCode, o.ev.ErrorMessage = e.Type, e.Message
		switch {
		case e.Type == KMSInternalException && errors.Is(e.cause, context.Canceled):
			// The caller went away (an S3 client hung up): not a fault.
			o.extra("clientDisconnected", true)
			o.s.log.Info("kms: caller went away", "op", o.ev.EventName, "request", o.c.Source.RequestID)
		case e.Type == KMSInternalException:
			o.s.log.Error("kms: internal error", "op", o.ev.EventName, "request", o.c.Source.RequestID, "err", e.cause)
		}
	}
	o.ev.EventTime = o.s.clock()
	if aerr := o.pending.Finish(*o.ev); aerr != nil {
		o.s.log.Error("kms: audit event not written; failing the operation", "op", o.ev.EventName, "err", aerr)
		if e == nil {
			e = internalError(aerr)
		}
	}
	if e == nil {
		return nil
	}
	return e
}

// serviceEvent is the event of something KMS does on its own (automatic
// rotation, deletion after the waiting period, creating an AWS managed
// key), as CloudTrail's AwsServiceEvent.
func (s *Service) serviceEvent(name string, rec *keyRecord, extra map[string]any) audit.Event {
	return audit.Event{
		UserIdentity: audit.UserIdentityOf(kura.Principal{Type: kura.PrincipalAWSService, AccountID: rec.Account}, kura.Source{InvokedBy: "kms.amazonaws.com"}),
		EventTime:    s.clock(), EventSource: "kms.amazonaws.com", EventName: name, AWSRegion: s.region,
		SourceIPAddress: "kms.amazonaws.com", UserAgent: "kms.amazonaws.com",
		AdditionalEventData: extra, EventType: "AwsServiceEvent", ManagementEvent: true,
		Resources:          []audit.Resource{{ARN: KeyARN(s.region, rec.Account, rec.ID), AccountID: rec.Account, Type: "AWS::KMS::Key"}},
		RecipientAccountID: rec.Account, EventCategory: "Management",
	}
}

// serviceChange runs update, a change KMS makes on its own, with its own
// pending audit event ev, the serviceEvent that records it: the change is
// committed with the event, which is appended afterwards if update reports
// that it changed something (it may find there is nothing left to do).
func (s *Service) serviceChange(ctx context.Context, ev audit.Event, update func(ctx context.Context) (changed bool, err error)) error {
	p := s.audit.Begin(ev)
	changed, err := update(audit.WithPending(ctx, p))
	if err != nil || !changed {
		p.Drop() // nothing committed
		return err
	}
	ev.EventTime = s.clock()
	if err := p.Finish(ev); err != nil {
		s.log.Error("kms: audit event not written", "op", ev.EventName, "err", err)
	}
	return nil
}

// findKey resolves a KeyId parameter to a live key and checks that the
// caller may perform kms:<action> on it (key policy, and the caller's
// identity policies where the key policy delegates to its account; see
// authz.go). It materializes the caller's alias/aws/s3 on first use and
// deletes a key whose waiting period is over (reporting it as not found).
func (s *Service) findKey(ctx context.Context, o *op, id string, allowAlias bool, action string) (*keyRecord, error) {
	rec, err := s.lookupKey(ctx, o, id, allowAlias, action)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, o, rec, action); err != nil {
		return nil, err
	}
	return rec, nil
}

// lookupKey is findKey without the permission check, for lookups that are
// not uses of the key (ResolveKeyARN). Operations AWS does not allow
// across accounts are refused for another account's key before anything
// is looked up.
func (s *Service) lookupKey(ctx context.Context, o *op, id string, allowAlias bool, action string) (*keyRecord, error) {
	ref, err := s.parseKeyRef(o.c, id, allowAlias)
	if err != nil {
		return nil, err
	}
	if ref.account != o.c.Principal.AccountID && !crossAccountAction(action) {
		return nil, errAccessDenied(o.c, action, refARN(s.region, ref))
	}
	for _, rec := range [...]*keyRecord{o.read, o.known} {
		if rec != nil && ref.alias == "" && ref.keyID == rec.ID && ref.account == rec.Account {
			o.resource(rec)
			o.cond.alias = ""
			return rec, nil
		}
	}
	var rec *keyRecord
	err = s.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		rec, err = resolve(tx, ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec == nil && ref.alias == managedAliasS3 {
		// Only an account itself brings its AWS managed key into being;
		// AWS managed keys are never usable across accounts anyway.
		if ref.account != o.c.Principal.AccountID {
			return nil, errAccessDenied(o.c, action, refARN(s.region, ref))
		}
		if rec, err = s.materializeManaged(ctx, ref.account); err != nil {
			return nil, err
		}
	}
	if rec == nil && ref.account != o.c.Principal.AccountID {
		// Whether another account has such a key is not the caller's to
		// learn.
		return nil, errAccessDenied(o.c, action, refARN(s.region, ref))
	}
	if rec == nil {
		return nil, s.notFound(ref)
	}
	if rec.deletionDue(s.clock()) {
		if err := s.reap(ctx, rec); err != nil {
			return nil, err
		}
		return nil, s.notFound(ref)
	}
	rec.arn = KeyARN(s.region, rec.Account, rec.ID)
	o.resource(rec)
	o.cond.alias = ref.alias
	return rec, nil
}

func refARN(region string, ref keyRef) string {
	if ref.alias != "" {
		return AliasARN(region, ref.account, ref.alias)
	}
	return KeyARN(region, ref.account, ref.keyID)
}

func resolve(tx meta.Tx, ref keyRef) (*keyRecord, error) {
	id := ref.keyID
	if ref.alias != "" {
		a, err := getAlias(tx, ref.account, ref.alias)
		if err != nil || a == nil {
			return nil, err
		}
		id = a.KeyID
	}
	rec, err := getKeyRecord(tx, id)
	if err != nil || rec == nil || rec.Account != ref.account {
		return nil, err
	}
	return rec, nil
}

// updateKey applies fn to the current record of a customer managed key
// (named by key id or ARN) in one transaction and stores the result. fn may
// run more than once and must only modify rec.
func (s *Service) updateKey(ctx context.Context, o *op, id, action string, fn func(rec *keyRecord, now time.Time) error) (*keyRecord, error) {
	rec, err := s.findKey(ctx, o, id, false, action)
	if err != nil {
		return nil, err
	}
	arn := KeyARN(s.region, rec.Account, rec.ID)
	if rec.Manager == KeyManagerAWS {
		return nil, errAccessDenied(o.c, action, arn)
	}
	now := s.clock()
	var out *keyRecord
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		cur, err := getKeyRecord(tx, rec.ID)
		if err != nil {
			return err
		}
		if cur == nil || cur.deletionDue(now) {
			return errKeyNotFound(arn)
		}
		if err := fn(cur, now); err != nil {
			return err
		}
		out = cur
		return putKeyRecord(tx, cur)
	})
	return out, err
}

// reap deletes key rec (as last read) if its deletion date has passed.
func (s *Service) reap(ctx context.Context, rec *keyRecord) error {
	now := s.clock()
	deleted := false
	err := s.serviceChange(ctx, s.serviceEvent("DeleteKey", rec, nil), func(ctx context.Context) (bool, error) {
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			deleted = false
			cur, err := getKeyRecord(tx, rec.ID)
			if err != nil || cur == nil || !cur.deletionDue(now) {
				return err
			}
			deleted = true
			return deleteKeyRecord(tx, cur)
		})
		return deleted, err
	})
	if err == nil && deleted {
		s.log.Info("kms: deleted key after its waiting period", "key", KeyARN(s.region, rec.Account, rec.ID))
	}
	return err
}

// DeleteDue deletes every key whose deletion date has passed, with its
// aliases, and returns how many it deleted. Keys are also deleted lazily
// when next accessed; call this periodically so unused keys go too.
func (s *Service) DeleteDue(ctx context.Context) (int, error) {
	due, err := s.matchingKeys(ctx, func(r *keyRecord, now time.Time) bool { return r.deletionDue(now) })
	if err != nil {
		return 0, err
	}
	for _, rec := range due {
		if err := s.reap(ctx, rec); err != nil {
			return 0, fmt.Errorf("kms: delete due key %s: %w", rec.ID, err)
		}
	}
	return len(due), nil
}

// scanKeys returns the ids of all keys (every account) matching pred.
func (s *Service) scanKeys(ctx context.Context, pred func(*keyRecord, time.Time) bool) ([]string, error) {
	recs, err := s.matchingKeys(ctx, pred)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids, err
}

// matchingKeys returns the records of all keys (every account) matching
// pred.
func (s *Service) matchingKeys(ctx context.Context, pred func(*keyRecord, time.Time) bool) ([]*keyRecord, error) {
	now := s.clock()
	var out []*keyRecord
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		out = nil
		for r, err := range keyRecords(tx) {
			if err != nil {
				return err
			}
			if pred(r, now) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// RunMaintenance calls RotateDue and DeleteDue every interval until ctx is
// done, logging failures.
func (s *Service) RunMaintenance(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RotateDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("kms: rotating due keys", "err", err)
		}
		if _, err := s.DeleteDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("kms: deleting due keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
