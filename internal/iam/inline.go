package iam

import (
	"context"
	"errors"
	"maps"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// checkPolicy validates a policy document parameter: the model's length and
// character rules, then the policy grammar for its kind (internal/policy,
// the same parser that evaluates it), with AWS's MalformedPolicyDocument
// wording.
func checkPolicy(field, doc string, kind policy.Kind) error {
	if err := checkDocText(field, doc); err != nil {
		return err
	}
	if _, err := policy.Parse([]byte(doc), kind); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return errMalformed("%s", pe.Message)
		}
		return errMalformed("Syntax errors in policy.")
	}
	return nil
}

// putInline sets inline policy name to doc in *m, keeping the aggregate
// size of all of the entity's inline policies within limit.
func putInline(m *map[string]string, name, doc string, limit int, entityKind, entity string) error {
	next := maps.Clone(*m)
	if next == nil {
		next = map[string]string{}
	}
	next[name] = doc
	total := 0
	for _, d := range next {
		total += policySize(d)
	}
	if total > limit {
		return newError(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, entityKind, entity)
	}
	*m = next
	return nil
}

func checkInlineArgs(name, doc string) error {
	if err := checkName("policyName", name, 1, 128); err != nil {
		return err
	}
	return checkPolicy("policyDocument", doc, policy.Identity)
}

// PutUserPolicy creates or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, account, user, name, doc string) error {
	if err := checkInlineArgs(name, doc); err != nil {
		return err
	}
	return s.updateUser(ctx, account, user, func(_ meta.Tx, u *userRecord) error {
		return putInline(&u.Policies, name, doc, maxUserInlineSize, "user", u.UserName)
	})
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(ctx context.Context, account, user, name string) (string, error) {
	if err := checkName("policyName", name, 1, 128); err != nil {
		return "", err
	}
	var doc string
	err := s.view(ctx, func(tx meta.Tx) error {
		u, err := loadUser(tx, account, user)
		if err != nil {
			return err
		}
		d, ok := u.Policies[name]
		if !ok {
			return newError(CodeNoSuchEntity, "The user policy with name %s cannot be found.", name)
		}
		doc = d
		return nil
	})
	return doc, err
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, account, user, name string) error {
	if err := checkName("policyName", name, 1, 128); err != nil {
		return err
	}
	return s.updateUser(ctx, account, user, func(_ meta.Tx, u *userRecord) error {
		if _, ok := u.Policies[name]; !ok {
			return newError(CodeNoSuchEntity, "The user policy with name %s cannot be found.", name)
		}
		delete(u.Policies, name)
		return nil
	})
}

// ListUserPolicies returns the names of a user's inline policies, sorted.
func (s *Service) ListUserPolicies(ctx context.Context, account, user string) ([]string, error) {
	var names []string
	err := s.view(ctx, func(tx meta.Tx) error {
		u, err := loadUser(tx, account, user)
		if err != nil {
			return err
		}
		names = sortedKeys(u.Policies)
		return nil
	})
	return names, err
}

// PutRolePolicy creates or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, account, role, name, doc string) error {
	if err := checkInlineArgs(name, doc); err != nil {
		return err
	}
	return s.updateRole(ctx, account, role, func(_ meta.Tx, r *roleRecord) error {
		return putInline(&r.Policies, name, doc, maxRoleInlineSize, "role", r.RoleName)
	})
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(ctx context.Context, account, role, name string) (string, error) {
	if err := checkName("policyName", name, 1, 128); err != nil {
		return "", err
	}
	var doc string
	err := s.view(ctx, func(tx meta.Tx) error {
		r, err := loadRole(tx, account, role)
		if err != nil {
			return err
		}
		d, ok := r.Policies[name]
		if !ok {
			return newError(CodeNoSuchEntity, "The role policy with name %s cannot be found.", name)
		}
		doc = d
		return nil
	})
	return doc, err
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, account, role, name string) error {
	if err := checkName("policyName", name, 1, 128); err != nil {
		return err
	}
	return s.updateRole(ctx, account, role, func(_ meta.Tx, r *roleRecord) error {
		if _, ok := r.Policies[name]; !ok {
			return newError(CodeNoSuchEntity, "The role policy with name %s cannot be found.", name)
		}
		delete(r.Policies, name)
		return nil
	})
}

// ListRolePolicies returns the names of a role's inline policies, sorted.
func (s *Service) ListRolePolicies(ctx context.Context, account, role string) ([]string, error) {
	var names []string
	err := s.view(ctx, func(tx meta.Tx) error {
		r, err := loadRole(tx, account, role)
		if err != nil {
			return err
		}
		names = sortedKeys(r.Policies)
		return nil
	})
	return names, err
}
