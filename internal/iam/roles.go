package iam

import (
	"context"
	"strconv"
	"strings"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// Session duration bounds (seconds): a role's MaxSessionDuration is 1 to 12
// hours, AssumeRole's DurationSeconds at least 15 minutes.
const (
	minSessionDuration     = 900
	defaultSessionDuration = 3600
	maxSessionDuration     = 43200
)

// RoleInput describes a new role. MaxSessionDuration 0 means one hour.
type RoleInput struct {
	Path, RoleName, TrustPolicy, Description string
	MaxSessionDuration                       int
	Tags                                     []Tag
}

// CreateRole creates a role whose trust policy (AssumeRolePolicyDocument)
// says who may assume it.
func (s *Service) CreateRole(ctx context.Context, account string, in RoleInput) (*Role, error) {
	if err := checkName("roleName", in.RoleName, 1, 64); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkTrustPolicy(in.TrustPolicy); err != nil {
		return nil, err
	}
	if len(in.Description) > 1000 {
		return nil, errConstraint("description", in.Description, "Member must have length less than or equal to 1000")
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = defaultSessionDuration
	}
	if d := in.MaxSessionDuration; d < defaultSessionDuration || d > maxSessionDuration {
		return nil, errConstraint("maxSessionDuration", strconv.Itoa(d), "Member must have value between 3600 and 43200")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	r := Role{Path: path, RoleName: in.RoleName, RoleID: newID("AROA"), ARN: RoleARN(account, path, in.RoleName),
		Created: s.clock(), TrustPolicy: in.TrustPolicy, Description: in.Description,
		MaxSessionDuration: in.MaxSessionDuration, Tags: in.Tags}
	err = s.update(ctx, func(tx meta.Tx) error {
		var old roleRecord
		found, err := readRole(tx, account, in.RoleName, &old)
		if err != nil {
			return err
		}
		if found {
			return newError(CodeEntityAlreadyExists, "Role with name %s already exists.", in.RoleName)
		}
		return writeRole(tx, account, in.RoleName, &roleRecord{Role: r})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func checkTrustPolicy(doc string) error {
	if err := checkPolicy("assumeRolePolicyDocument", doc, policy.Trust); err != nil {
		return err
	}
	if policySize(doc) > maxTrustPolicySize {
		return newError(CodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	return nil
}

func loadRole(tx meta.Tx, account, name string) (*roleRecord, error) {
	if err := checkName("roleName", name, 1, 64); err != nil {
		return nil, err
	}
	var r roleRecord
	found, err := readRole(tx, account, name, &r)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoSuchRole(name)
	}
	return &r, nil
}

// roleByARN loads the role an ARN names; nil (and no error) if there is no
// such role, or if a role of that name exists under another path.
func roleByARN(tx meta.Tx, arn string) (*roleRecord, error) {
	p, ok := parseARN(arn)
	if !ok || p.Service != "iam" || p.Kind != "role" || !validAccountID(p.Account) {
		return nil, nil
	}
	var r roleRecord
	found, err := readRole(tx, p.Account, p.Name, &r)
	if err != nil || !found || r.ARN != arn {
		return nil, err
	}
	return &r, nil
}

func (s *Service) updateRole(ctx context.Context, account, name string, fn func(tx meta.Tx, r *roleRecord) error) error {
	return s.update(ctx, func(tx meta.Tx) error {
		r, err := loadRole(tx, account, name)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		return writeRole(tx, account, r.RoleName, r)
	})
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, account, name string) (*Role, error) {
	var r *roleRecord
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		r, err = loadRole(tx, account, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r.Role, nil
}

// ListRoles returns the roles of account whose path starts with
// pathPrefix, by name.
func (s *Service) ListRoles(ctx context.Context, account, pathPrefix string) ([]Role, error) {
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, err
	}
	var out []Role
	err = s.view(ctx, func(tx meta.Tx) error {
		return eachRole(tx, account, func(r *roleRecord) error {
			if strings.HasPrefix(r.Path, prefix) {
				out = append(out, r.Role)
			}
			return nil
		})
	})
	return out, err
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, account, name, doc string) error {
	if err := checkTrustPolicy(doc); err != nil {
		return err
	}
	return s.updateRole(ctx, account, name, func(_ meta.Tx, r *roleRecord) error {
		r.TrustPolicy = doc
		return nil
	})
}

// DeleteRole deletes a role with no policies left. Sessions of the role
// stay authenticated until they expire, with no permissions (IAM behaves
// the same way).
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	return s.update(ctx, func(tx meta.Tx) error {
		r, err := loadRole(tx, account, name)
		if err != nil {
			return err
		}
		switch {
		case len(r.Policies) > 0:
			return newError(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(r.Attached) > 0:
			return newError(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		return removeRole(tx, account, name)
	})
}
