package iam

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

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
//   - an account's root may do anything to its own account's IAM entities
//     (every handler acts on the caller's account, never another's);
//   - any other principal (IAM users, role sessions) needs an identity
//     policy that allows the action on the resource, no identity policy
//     that denies it, and, for a role session, its session policies to
//     allow it too (policy.Decide, same account: IAM entities have no
//     resource policies).
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
	if p.IsRoot() {
		return nil
	}
	in := &policy.Input{Request: policy.Request{
		Principal: policy.Principal{AccountID: p.AccountID, ARN: p.ARN, RoleARN: p.RoleARN},
		Action:    action,
		Resource:  resource,
		Context:   a.requestContext(c),
	}}
	err := a.svc.view(c.ctx, func(tx meta.Tx) (err error) {
		if in.Identity, err = parsedDocs(tx, p, identityDocs); err != nil {
			return err
		}
		in.Session, err = parsedDocs(tx, p, sessionDocs)
		return err
	})
	if err != nil {
		return internalError(errors.Join(errors.New("iam: load the caller's policies"), err))
	}
	d := policy.Decide(in)
	if d.Allowed {
		return nil
	}
	return newError(CodeAccessDenied, "%s", d.Message(p.ARN, action, resource, policy.BareResource))
}

// requestContext is the global condition keys an IAM request brings to
// identity policies (aws:PrincipalArn and the like are derived by the
// policy engine from the principal).
func (a *API) requestContext(c *call) map[string][]string {
	now := a.svc.clock()
	m := map[string][]string{
		"aws:SecureTransport": {strconv.FormatBool(c.r.TLS != nil)},
		"aws:CurrentTime":     {now.Format(time.RFC3339)},
		"aws:EpochTime":       {strconv.FormatInt(now.Unix(), 10)},
	}
	if ip, _, err := net.SplitHostPort(c.r.RemoteAddr); err == nil {
		m["aws:SourceIp"] = []string{ip}
	}
	if c.p.PrincipalID != "" {
		m["aws:userid"] = []string{c.p.PrincipalID}
	}
	return m
}
