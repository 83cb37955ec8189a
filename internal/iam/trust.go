package iam

import (
	"errors"
	"strconv"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// assumer is who asks to assume a role: an authenticated principal, or a
// service principal (service set) acting inside Kura.
type assumer struct {
	p       kura.Principal
	service string
}

// mayAssume is the one place that decides whether a principal may assume
// a role. It uses the policy engine (internal/policy) with AWS's rules:
//
//   - the role's trust policy must allow sts:AssumeRole on the role for the
//     assumer, its conditions evaluated against ctx (sts:ExternalId,
//     sts:RoleSessionName, aws:SourceIp, aws:CurrentTime, …);
//   - if it names the caller (user, role of a session, session, "*"), that
//     is enough within the role's account; if it only names the caller's
//     account (arn:aws:iam::ACCT:root or ACCT), the caller's identity
//     policies must allow sts:AssumeRole on the role as well — IAM's rule
//     for roles in the same account;
//   - a caller from another account always needs both;
//   - an explicit Deny in the caller's identity or session policies wins,
//     and session policies of a role session must allow it too;
//   - a service principal needs the trust policy alone.
func mayAssume(tx meta.Tx, a assumer, role *roleRecord, ctx map[string][]string) (bool, error) {
	trust, err := policy.Parse([]byte(role.TrustPolicy), policy.Trust)
	if err != nil {
		return false, nil // a trust policy that no longer parses trusts nobody
	}
	roleAcct := role.account()
	req := policy.Request{Action: "sts:AssumeRole", Resource: role.ARN, Context: ctx}
	// A trust policy is a must-allow resource policy, like a KMS key
	// policy: it must name the caller (then it suffices within the
	// account) or delegate to the caller's account, and then the caller's
	// identity policies must allow sts:AssumeRole too. KeyPolicy gives
	// Decide exactly that rule.
	in := &policy.Input{ResourceAccount: roleAcct, Resource: trust, KeyPolicy: true}
	if a.service != "" {
		req.Principal = policy.Principal{Service: a.service}
	} else {
		req.Principal = policy.Principal{AccountID: a.p.AccountID, ARN: a.p.ARN, RoleARN: a.p.RoleARN}
		if in.Identity, err = parsedDocs(tx, a.p, identityDocs); err != nil {
			return false, err
		}
		if in.Session, err = parsedDocs(tx, a.p, sessionDocs); err != nil {
			return false, err
		}
	}
	in.Request = req
	if trust.Evaluate(&req).Effect != policy.Allow {
		return false, nil
	}
	return policy.Decide(in).Allowed, nil
}

// parsedDocs loads and parses one kind of a principal's stored policies.
// A stored document that no longer parses fails the decision rather than
// being skipped: it might have held a Deny.
func parsedDocs(tx meta.Tx, p kura.Principal, load func(meta.Tx, kura.Principal) ([]string, error)) ([]*policy.Document, error) {
	docs, err := load(tx, p)
	if err != nil {
		return nil, err
	}
	out := make([]*policy.Document, 0, len(docs))
	for _, d := range docs {
		doc, err := policy.Parse([]byte(d), policy.Identity)
		if err != nil {
			return nil, internalError(errors.Join(errors.New("iam: a stored policy of "+p.ARN+" does not parse"), err))
		}
		out = append(out, doc)
	}
	return out, nil
}

// trustContext is the request context a trust policy's conditions see,
// beyond what policy derives from the principal itself.
func trustContext(base map[string][]string, p kura.Principal, sessionName string, now time.Time) map[string][]string {
	ctx := make(map[string][]string, len(base)+4)
	for k, v := range base {
		ctx[k] = v
	}
	ctx["aws:CurrentTime"] = []string{now.UTC().Format(time.RFC3339)}
	ctx["aws:EpochTime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	if sessionName != "" {
		ctx["sts:RoleSessionName"] = []string{sessionName}
	}
	if p.PrincipalID != "" {
		ctx["aws:userid"] = []string{p.PrincipalID}
	}
	return ctx
}

// account is the id of the account a role belongs to.
func (r *roleRecord) account() string {
	p, _ := parseARN(r.ARN)
	return p.Account
}
