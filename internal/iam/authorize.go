package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// authorize decides whether the caller of c may perform action
// ("iam:CreateUser", "kura:CreateAccount", …) on resource (an ARN of the
// caller's account, or "*"). It is the single decision point of the IAM
// API:
//
//   - Kura's own actions (kura:*), which administer the deployment, are for
//     the first account's root only; no policy grants them;
//   - everything else is internal/access's decision, as for S3 and KMS:
//     an account's root may do anything to its own account's IAM entities
//     (every handler acts on the caller's account, never another's); any
//     other principal (IAM users, role sessions) needs an identity policy
//     that allows the action on the resource, no identity policy that
//     denies it, and, for a role session, its session policies to allow it
//     too (IAM entities have no resource policies).
//
// The policies are read at every request, so a policy change takes effect
// at once.
func (a *API) authorize(c *call, action, resource string) error {
	p := c.p
	service, _, _ := strings.Cut(action, ":")
	if service == "kura" {
		if p.IsRoot() && p.AccountID == a.svc.AdminAccountID() {
			return nil
		}
		return errNotAuthorized(p, action, resource)
	}
	az := &access.Authorizer{Policies: a.svc.callerPolicies, Now: a.svc.clock}
	err := az.Authorize(c.ctx, access.Request{Call: c.call, Action: action, Resource: resource})
	if d, ok := access.IsDenied(err); ok {
		return newError(CodeAccessDenied, "%s", d.Message(policy.BareResource))
	}
	if err != nil {
		return internalError(errors.Join(errors.New("iam: load the caller's policies"), err))
	}
	return nil
}

// callerPolicies is the identity and session policies of p, read in one
// snapshot, compiled.
func (s *Service) callerPolicies(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error) {
	err = s.view(ctx, func(tx meta.Tx) (err error) {
		if identity, err = parsedDocs(tx, p, identityDocs); err != nil {
			return err
		}
		session, err = parsedDocs(tx, p, sessionDocs)
		return err
	})
	return identity, session, err
}
