package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/policy"
)

// policySource hands access (for S3) and KMS the identity-based policies of a
// principal, read from IAM at every call (so a DeleteUserPolicy takes
// effect on the next request) and compiled through a cache keyed by the
// documents' text. KMS gets it as a function (kms.Config) so that kms
// need not import iam.
type policySource struct {
	iam   *iam.Service // set once IAM is open, before the listener starts
	cache policy.Cache
}

// forPrincipal returns p's identity policies and, for a role session, its
// session policies. A document that does not parse fails the lookup: a
// decision must never be made without one of the caller's policies.
func (ps *policySource) forPrincipal(ctx context.Context, p kura.Principal) (identity, session []*policy.Document, err error) {
	if ps.iam == nil {
		return nil, nil, errors.New("authorization: IAM is not open yet")
	}
	if p.IsRoot() {
		return nil, nil, nil
	}
	texts, err := ps.iam.PoliciesFor(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if identity, err = ps.cache.ParseAll(texts, policy.Identity); err != nil {
		return nil, nil, fmt.Errorf("a stored identity policy of %s does not parse: %w", p.ARN, err)
	}
	if p.Type != kura.PrincipalAssumedRole {
		return identity, nil, nil
	}
	texts, err = ps.iam.SessionPolicies(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if session, err = ps.cache.ParseAll(texts, policy.Identity); err != nil {
		return nil, nil, fmt.Errorf("a session policy of %s does not parse: %w", p.ARN, err)
	}
	return identity, session, nil
}
