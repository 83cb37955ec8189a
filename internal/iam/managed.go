package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// PolicyInput describes a new customer managed policy.
type PolicyInput struct {
	PolicyName, Path, Document, Description string
	Tags                                    []Tag
}

// defaultVersion is the only version a Kura managed policy has.
const defaultVersion = "v1"

// CreatePolicy creates a customer managed policy. Names are unique per
// account whatever the path.
func (s *Service) CreatePolicy(ctx context.Context, account string, in PolicyInput) (*ManagedPolicy, error) {
	if err := checkName("policyName", in.PolicyName, 1, 128); err != nil {
		return nil, err
	}
	path, err := checkPolicyPath(in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkPolicy("policyDocument", in.Document, policy.Identity); err != nil {
		return nil, err
	}
	if policySize(in.Document) > maxManagedPolicySize {
		return nil, newError(CodeLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	if len(in.Description) > 1000 {
		return nil, errConstraint("description", in.Description, "Member must have length less than or equal to 1000")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.clock()
	p := ManagedPolicy{PolicyName: in.PolicyName, PolicyID: newID("ANPA"), ARN: PolicyARN(account, path, in.PolicyName),
		Path: path, DefaultVersionID: defaultVersion, Description: in.Description, Created: now, Updated: now,
		Tags: in.Tags, Document: in.Document}
	err = s.update(ctx, func(tx meta.Tx) error {
		var old ManagedPolicy
		found, err := readPolicy(tx, account, in.PolicyName, &old)
		if err != nil {
			return err
		}
		if found {
			return newError(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
		}
		return writePolicy(tx, account, in.PolicyName, &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// policyByARN loads the customer managed policy arn names
// (NoSuchEntity if none; InvalidInput if arn is not a policy ARN).
func policyByARN(tx meta.Tx, arn string) (*ManagedPolicy, error) {
	p, ok := parseARN(arn)
	if !ok || p.Service != "iam" || p.Kind != "policy" {
		return nil, newError(CodeInvalidInput, "ARN %s is not valid.", arn)
	}
	var pol ManagedPolicy
	found, err := readPolicy(tx, p.Account, p.Name, &pol)
	if err != nil {
		return nil, err
	}
	if !found || pol.ARN != arn {
		return nil, errNoSuchPolicy(arn)
	}
	return &pol, nil
}

// ownPolicy is policyByARN restricted to account's own policies: another
// account's customer managed policies are invisible to it.
func ownPolicy(tx meta.Tx, account, arn string) (*ManagedPolicy, error) {
	if p, ok := parseARN(arn); ok && p.Kind == "policy" && p.Account != account {
		return nil, errNoSuchPolicy(arn)
	}
	return policyByARN(tx, arn)
}

// GetPolicy returns a managed policy (with its document).
func (s *Service) GetPolicy(ctx context.Context, account, arn string) (*ManagedPolicy, error) {
	var p *ManagedPolicy
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		p, err = ownPolicy(tx, account, arn)
		return err
	})
	return p, err
}

// GetPolicyVersion returns a version of a managed policy: only v1 exists.
func (s *Service) GetPolicyVersion(ctx context.Context, account, arn, version string) (*ManagedPolicy, error) {
	p, err := s.GetPolicy(ctx, account, arn)
	if err != nil {
		return nil, err
	}
	if version != p.DefaultVersionID {
		return nil, newError(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, version)
	}
	return p, nil
}

// ListPolicies returns account's managed policies by name. scope "AWS"
// yields none (Kura has no AWS managed policies); onlyAttached keeps those
// attached to something.
func (s *Service) ListPolicies(ctx context.Context, account, scope string, onlyAttached bool, pathPrefix string) ([]ManagedPolicy, error) {
	switch scope {
	case "", "All", "Local":
	case "AWS":
		return nil, nil
	default:
		return nil, errConstraint("scope", scope, "Member must satisfy enum value set: [All, AWS, Local]")
	}
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, err
	}
	var out []ManagedPolicy
	err = s.view(ctx, func(tx meta.Tx) error {
		return eachPolicy(tx, account, func(p *ManagedPolicy) error {
			if strings.HasPrefix(p.Path, prefix) && (!onlyAttached || p.AttachmentCount > 0) {
				out = append(out, *p)
			}
			return nil
		})
	})
	return out, err
}

// DeletePolicy deletes a managed policy that is attached to nothing.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	return s.update(ctx, func(tx meta.Tx) error {
		p, err := ownPolicy(tx, account, arn)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 {
			return newError(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		return removePolicy(tx, account, p.PolicyName)
	})
}

// attach adds (or with detach, removes) arn to an entity's attached list
// and keeps the policy's AttachmentCount in step.
func attach(tx meta.Tx, account, arn string, list *[]string, entityKind string, detach bool) error {
	p, err := ownPolicy(tx, account, arn)
	if err != nil {
		if IsCode(err, CodeNoSuchEntity) && !detach {
			return newError(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
		}
		return err
	}
	has := slices.Contains(*list, arn)
	switch {
	case detach && !has:
		return errNoSuchPolicy(arn)
	case detach:
		*list = slices.DeleteFunc(*list, func(a string) bool { return a == arn })
		p.AttachmentCount--
	case has:
		return nil // attaching twice is a no-op in IAM
	case len(*list) >= maxAttachedPolicies:
		return newError(CodeLimitExceeded, "Cannot exceed quota for PoliciesPer%s: %d", entityKind, maxAttachedPolicies)
	default:
		*list = append(*list, arn)
		p.AttachmentCount++
	}
	return writePolicy(tx, account, p.PolicyName, p)
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, account, user, arn string) error {
	return s.updateUser(ctx, account, user, func(tx meta.Tx, u *userRecord) error {
		return attach(tx, account, arn, &u.Attached, "User", false)
	})
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, account, user, arn string) error {
	return s.updateUser(ctx, account, user, func(tx meta.Tx, u *userRecord) error {
		return attach(tx, account, arn, &u.Attached, "User", true)
	})
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, account, role, arn string) error {
	return s.updateRole(ctx, account, role, func(tx meta.Tx, r *roleRecord) error {
		return attach(tx, account, arn, &r.Attached, "Role", false)
	})
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, account, role, arn string) error {
	return s.updateRole(ctx, account, role, func(tx meta.Tx, r *roleRecord) error {
		return attach(tx, account, arn, &r.Attached, "Role", true)
	})
}

// ListAttachedUserPolicies lists the managed policies attached to a user
// whose path starts with pathPrefix.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, account, user, pathPrefix string) ([]AttachedPolicy, error) {
	var arns []string
	err := s.view(ctx, func(tx meta.Tx) error {
		u, err := loadUser(tx, account, user)
		if err == nil {
			arns = u.Attached
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachedList(arns, pathPrefix)
}

// ListAttachedRolePolicies lists the managed policies attached to a role
// whose path starts with pathPrefix.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, account, role, pathPrefix string) ([]AttachedPolicy, error) {
	var arns []string
	err := s.view(ctx, func(tx meta.Tx) error {
		r, err := loadRole(tx, account, role)
		if err == nil {
			arns = r.Attached
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachedList(arns, pathPrefix)
}

func attachedList(arns []string, pathPrefix string) ([]AttachedPolicy, error) {
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, err
	}
	var out []AttachedPolicy
	for _, arn := range arns {
		if p, ok := parseARN(arn); ok && strings.HasPrefix(p.Path, prefix) {
			out = append(out, AttachedPolicy{PolicyName: p.Name, PolicyARN: arn})
		}
	}
	return out, nil
}
