package kms

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/policy"
)

// Authorization of KMS requests, as AWS KMS does it (SPEC 3.6, 7.1),
// decided by internal/access like S3's and IAM's: the
// key policy is the primary policy. It must allow the caller itself, or
// delegate to the caller's account (Principal arn:aws:iam::ACCT:root, as
// the default key policy does), and then the caller's identity policies
// must allow too; a caller from another account always needs both. An
// explicit Deny anywhere wins, and the account's root is bound by the key
// policy like anyone else. Grants are not modelled.
//
// Operations that name no key (CreateKey, ListKeys, ListAliases) and the
// alias half of CreateAlias/UpdateAlias/DeleteAlias are decided by the
// identity policies alone, within the caller's account.

// opConditions is what one operation brings to policy conditions besides
// the caller: set by the cryptographic operations before they look up a
// key.
type opConditions struct {
	encCtx map[string]string // kms:EncryptionContext:*, kms:EncryptionContextKeys
	alg    string            // kms:EncryptionAlgorithm
	alias  string            // kms:RequestAlias, when the key was named by an alias
}

// crypto records the encryption context and algorithm of a cryptographic
// request for the permission check that follows.
func (o *op) crypto(encCtx map[string]string, alg string) {
	o.cond.encCtx = encCtx
	o.cond.alg = alg
	if alg == "" {
		o.cond.alg = algSymmetric
	}
}

// crossAccountActions are the KMS actions AWS lets a principal perform on
// another account's key (when both its key policy and the caller's
// identity policies allow). Every other action is for the key's own
// account only, whatever the policies say.
var crossAccountActions = []string{
	"CreateGrant", "Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
	"GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
	"GetKeyRotationStatus", "GetPublicKey", "ListGrants", "ReEncryptFrom", "ReEncryptTo",
	"RetireGrant", "RevokeGrant", "Sign", "Verify", "VerifyMac",
}

func crossAccountAction(action string) bool { return slices.Contains(crossAccountActions, action) }

// allowKMS is the identity policy every principal is taken to hold when
// the service runs without IdentityPolicies.
var allowKMS = mustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`, policy.Identity)

func mustParse(text string, kind policy.Kind) *policy.Document {
	d, err := policy.Parse([]byte(text), kind)
	if err != nil {
		panic(err)
	}
	return d
}

// authorize decides whether o's caller may perform kms:<action> on key rec.
// A denial is AccessDeniedException with AWS's message, naming the caller,
// the action, the key ARN and the reason.
func (s *Service) authorize(ctx context.Context, o *op, rec *keyRecord, action string) error {
	arn := s.arn(rec)
	return s.decide(ctx, o, action, arn, rec.Account, s.keyPolicy(rec, arn))
}

// authorizeEach is authorize of each of actions in turn, as one request's
// permissions (Permitted): the first refusal is returned, and the
// request context is built at most once for all of them
// (access.AuthorizeEach). Every action must be one AWS allows on rec
// (crossAccountActions, or rec is the caller's own).
func (s *Service) authorizeEach(ctx context.Context, o *op, rec *keyRecord, actions ...string) error {
	arn := s.arn(rec)
	kmsActions := make([]string, len(actions))
	for i, a := range actions {
		kmsActions[i] = "kms:" + a
	}
	r := access.Request{Call: o.c, Resource: arn, LazyConditions: o.cond.lazy(), Memo: &o.memo,
		KMSKey: &access.KMSKey{Account: rec.Account, Policy: s.keyPolicy(rec, arn)}}
	return denial(s.access.AuthorizeEach(ctx, r, kmsActions...))
}

// keyPolicy is rec's key policy, compiled (through the cache). One stored
// before policies were validated allows nobody, which is what AWS would
// make of a policy it cannot read: nil.
func (s *Service) keyPolicy(rec *keyRecord, arn string) *policy.Document {
	doc, err := s.policies.Parse(rec.Policy, policy.Resource)
	if err != nil {
		s.log.Error("kms: key policy does not parse; the key is unusable until PutKeyPolicy replaces it", "key", arn, "err", err)
		return nil
	}
	return doc
}

// authorizeAccount decides an action on a resource of the caller's own
// account that has no key policy (CreateKey, ListKeys, an alias): only the
// caller's identity policies count, and the root is allowed.
func (s *Service) authorizeAccount(ctx context.Context, o *op, action, resource string) error {
	return s.decide(ctx, o, action, resource, "", nil)
}

// decide asks access whether o's caller may perform kms:<action> on
// resource: a key of account owner under keyPolicy, or (owner "") a
// resource of the caller's own account without a key policy. KMS keeps
// its keys' policies; the decision is the same function S3 and IAM use.
func (s *Service) decide(ctx context.Context, o *op, action, resource, owner string, keyPolicy *policy.Document) error {
	r := access.Request{Call: o.c, Action: "kms:" + action, Resource: resource, LazyConditions: o.cond.lazy(), Memo: &o.memo}
	if owner != "" {
		r.KMSKey = &access.KMSKey{Account: owner, Policy: keyPolicy}
	}
	return denial(s.access.Authorize(ctx, r))
}

// denial is access's refusal as KMS's AccessDeniedException, with AWS's
// message; other errors as they are.
func denial(err error) error {
	if d, ok := access.IsDenied(err); ok {
		return newError(AccessDeniedException, "%s", d.Message(policy.BareResource))
	}
	return err
}

// callerPolicies returns the identity and session policies of a caller
// that is not a root user (access.PolicySource; access loads them once per
// operation, on its first permission check, so an operation that checks
// several actions — Permitted, ReEncrypt, the lockout check — decides them
// all against the same policies).
func (s *Service) callerPolicies(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error) {
	if s.identityPolicies == nil {
		return []*policy.Document{allowKMS}, nil, nil
	}
	identity, session, err = s.identityPolicies(ctx, p)
	if err != nil {
		// Never decide without all of the caller's policies: a missing
		// one might have denied.
		return nil, nil, internalError(errors.Join(errors.New("kms: load the caller's identity policies"), err))
	}
	return identity, session, nil
}

// keys is what the operation brings to the request context, beyond the
// global keys access derives from the call (kms:CallerAccount,
// kms:ViaService, aws:SourceIp — absent when S3 calls on the caller's
// behalf, as in AWS, where a SourceIp-restricted key policy must allow
// service calls separately — aws:ViaAWSService, …): the encryption
// context, the algorithm and the alias the key was named by.
//
// Keys are written lower-cased, as policies look them up (condition key
// names are case-insensitive; see internal/access).
//
// Decisions take them lazily (lazy): a key policy and identity policies
// without conditions, the default key policy among them, never need the
// map built.
func (c opConditions) keys() map[string][]string {
	m := make(map[string][]string, len(c.encCtx)+3)
	if len(c.encCtx) > 0 {
		keys := make([]string, 0, len(c.encCtx))
		for k, v := range c.encCtx {
			keys = append(keys, k)
			m["kms:encryptioncontext:"+strings.ToLower(k)] = []string{v}
		}
		slices.Sort(keys)
		m["kms:encryptioncontextkeys"] = keys
	}
	if c.alg != "" {
		m["kms:encryptionalgorithm"] = []string{c.alg}
	}
	if c.alias != "" {
		m["kms:requestalias"] = []string{c.alias}
	}
	return m
}

// lazy is keys, as access.Request.LazyConditions: of c as it is now (a
// later change to the operation's conditions does not reach it).
func (c opConditions) lazy() func() (map[string][]string, error) {
	return func() (map[string][]string, error) { return c.keys(), nil }
}

// Permitted reports, without using the key or writing an audit event,
// whether caller may perform each of actions (without the "kms:" prefix)
// on the key keyID names, with encCtx as the request's encryption
// context. S3 uses it to check up front everything an operation will need
// from KMS (UpdateObjectEncryption), so that a missing permission fails
// the request before anything changes. The error is the first
// AccessDeniedException, or the error resolving the key.
func (s *Service) Permitted(ctx context.Context, caller kura.Call, keyID string, encCtx map[string]string, actions ...string) error {
	if !policy.IsAccountID(caller.Principal.AccountID) || caller.Principal.ARN == "" {
		return internalError(errors.New("kms: caller has no valid account id or ARN"))
	}
	o := s.check(caller)
	rec, err := s.lookupKey(ctx, o, keyID, true, "DescribeKey")
	if err != nil {
		return asError(err)
	}
	o.crypto(encCtx, "")
	// The actions are decided in their order, as one request's; the first
	// one AWS does not allow on another account's key ends the check
	// where it stands, as its refusal.
	n := len(actions)
	if rec.Account != caller.Principal.AccountID {
		if i := slices.IndexFunc(actions, func(a string) bool { return !crossAccountAction(a) }); i >= 0 {
			n = i
		}
	}
	if err := s.authorizeEach(ctx, o, rec, actions[:n]...); err != nil {
		return asError(err)
	}
	if n < len(actions) {
		return errAccessDenied(caller, actions[n], KeyARN(s.region, rec.Account, rec.ID))
	}
	return nil
}

// checkLockout is PutKeyPolicy's and CreateKey's policy lockout safety
// check: the new policy must still let the caller change the key policy,
// or nobody might ever be able to again.
func (s *Service) checkLockout(ctx context.Context, o *op, doc *policy.Document, keyARN, account string) error {
	err := s.decide(ctx, o, "PutKeyPolicy", keyARN, account, doc)
	if IsType(err, AccessDeniedException) {
		return newError(MalformedPolicyDocumentException, "The new key policy will not allow you to update the key policy in the future.")
	}
	return err
}

// parseKeyPolicy validates a key policy document with the policy engine,
// as PutKeyPolicy and CreateKey must: a policy KMS could not evaluate is a
// MalformedPolicyDocumentException, not a key nobody can use.
func (s *Service) parseKeyPolicy(text string) (*policy.Document, error) {
	doc, err := s.policies.Parse(text, policy.Resource)
	if err != nil {
		return nil, newError(MalformedPolicyDocumentException, "%s", err.Error())
	}
	return doc, nil
}
