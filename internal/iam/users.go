package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/kurastore/kura/internal/meta"
)

// UserInput describes a new user.
type UserInput struct {
	Path, UserName string
	Tags           []Tag
}

// CreateUser creates an IAM user in account.
func (s *Service) CreateUser(ctx context.Context, account string, in UserInput) (*User, error) {
	if err := checkName("userName", in.UserName, 1, 64); err != nil {
		return nil, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	u := User{Path: path, UserName: in.UserName, UserID: newID("AIDA"), ARN: UserARN(account, path, in.UserName),
		Created: s.clock(), Tags: in.Tags}
	err = s.update(ctx, func(tx meta.Tx) error {
		var old userRecord
		found, err := readUser(tx, account, in.UserName, &old)
		if err != nil {
			return err
		}
		if found {
			return newError(CodeEntityAlreadyExists, "User with name %s already exists.", in.UserName)
		}
		return writeUser(tx, account, in.UserName, &userRecord{User: u})
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// loadUser loads a user record, NoSuchEntity if absent.
func loadUser(tx meta.Tx, account, name string) (*userRecord, error) {
	if err := checkName("userName", name, 1, 128); err != nil {
		return nil, err
	}
	var u userRecord
	found, err := readUser(tx, account, name, &u)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoSuchUser(name)
	}
	return &u, nil
}

// updateUser applies fn to a user record atomically.
func (s *Service) updateUser(ctx context.Context, account, name string, fn func(tx meta.Tx, u *userRecord) error) error {
	return s.update(ctx, func(tx meta.Tx) error {
		u, err := loadUser(tx, account, name)
		if err != nil {
			return err
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		return writeUser(tx, account, u.UserName, u)
	})
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, account, name string) (*User, error) {
	var u *userRecord
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		u, err = loadUser(tx, account, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &u.User, nil
}

// ListUsers returns the users of account whose path starts with
// pathPrefix, by name.
func (s *Service) ListUsers(ctx context.Context, account, pathPrefix string) ([]User, error) {
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, err
	}
	var out []User
	err = s.view(ctx, func(tx meta.Tx) error {
		return eachUser(tx, account, func(u *userRecord) error {
			if strings.HasPrefix(u.Path, prefix) {
				out = append(out, u.User)
			}
			return nil
		})
	})
	return out, err
}

// DeleteUser deletes a user that has no access keys and no policies left,
// as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	return s.update(ctx, func(tx meta.Tx) error {
		u, err := loadUser(tx, account, name)
		if err != nil {
			return err
		}
		switch {
		case len(u.Keys) > 0:
			return newError(CodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		case len(u.Policies) > 0:
			return newError(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return newError(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		return removeUser(tx, account, name)
	})
}

// CreateAccessKey creates an access key for a user, or for the account's
// root when userName is "". Each may have at most two.
func (s *Service) CreateAccessKey(ctx context.Context, account, userName string) (AccessKey, error) {
	key := AccessKey{AccessKeyID: newAccessKeyID("AKIA"), Secret: newSecret(), UserName: userName,
		Status: StatusActive, Created: s.clock()}
	sealed, err := s.sealSecret(key.AccessKeyID, key.Secret)
	if err != nil {
		return AccessKey{}, internalError(err)
	}
	err = s.update(ctx, func(tx meta.Tx) error {
		if used, err := s.keyInUse(tx, key.AccessKeyID); err != nil || used {
			return orInternal(err, "generated access key id collides")
		}
		add := func(keys *[]string, extra int) error {
			if len(*keys)+extra >= maxKeysPerUser {
				return newError(CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
			}
			*keys = append(*keys, key.AccessKeyID)
			return nil
		}
		if userName == "" {
			a, err := s.getAccount(tx, account)
			if err != nil {
				return err
			}
			if err := add(&a.RootKeys, s.adminKeys(account)); err != nil {
				return err
			}
			if err := writeAccount(tx, account, a); err != nil {
				return err
			}
		} else {
			u, err := loadUser(tx, account, userName)
			if err != nil {
				return err
			}
			key.UserName = u.UserName
			if err := add(&u.Keys, 0); err != nil {
				return err
			}
			if err := writeUser(tx, account, u.UserName, u); err != nil {
				return err
			}
		}
		return writeAccessKey(tx, key.AccessKeyID, &keyRecord{ID: key.AccessKeyID, Account: account,
			UserName: key.UserName, Status: StatusActive, Created: key.Created, Sealed: sealed})
	})
	if err != nil {
		return AccessKey{}, err
	}
	if key.UserName == "" {
		key.UserName = rootUserName
	}
	return key, nil
}

// rootUserName is the UserName reported for an account root's keys.
const rootUserName = "root"

// adminKeys is 1 for the first account, whose configured root key counts
// against its quota, else 0.
func (s *Service) adminKeys(account string) int {
	if account == s.admin.AccountID {
		return 1
	}
	return 0
}

func (s *Service) getAccount(tx meta.Tx, account string) (*accountRecord, error) {
	var a accountRecord
	found, err := readAccount(tx, account, &a)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoSuchAccount(account)
	}
	return &a, nil
}

// keyIDs returns the access key ids of a user, or of the root ("").
func (s *Service) keyIDs(tx meta.Tx, account, userName string) ([]string, string, error) {
	if userName == "" {
		a, err := s.getAccount(tx, account)
		if err != nil {
			return nil, "", err
		}
		return a.RootKeys, "", nil
	}
	u, err := loadUser(tx, account, userName)
	if err != nil {
		return nil, "", err
	}
	return u.Keys, u.UserName, nil
}

// ListAccessKeys lists a user's (or the root's) access keys, without
// secrets.
func (s *Service) ListAccessKeys(ctx context.Context, account, userName string) ([]AccessKey, error) {
	var out []AccessKey
	err := s.view(ctx, func(tx meta.Tx) error {
		ids, name, err := s.keyIDs(tx, account, userName)
		if err != nil {
			return err
		}
		if name == "" {
			name = rootUserName
			if account == s.admin.AccountID {
				a, err := s.getAccount(tx, account)
				if err != nil {
					return err
				}
				out = append(out, AccessKey{AccessKeyID: s.admin.AccessKey, UserName: name, Status: StatusActive, Created: a.Created})
			}
		}
		for _, id := range ids {
			var k keyRecord
			if found, err := readAccessKey(tx, id, &k); err != nil || !found {
				return orInternal(err, "access key record missing")
			}
			out = append(out, AccessKey{AccessKeyID: k.ID, UserName: name, Status: k.Status, Created: k.Created})
		}
		return nil
	})
	return out, err
}

// UpdateAccessKey sets a key's status to Active or Inactive. An inactive
// key cannot authenticate.
func (s *Service) UpdateAccessKey(ctx context.Context, account, userName, id, status string) error {
	if status != StatusActive && status != StatusInactive {
		return errConstraint("status", status, "Member must satisfy enum value set: [Active, Inactive, Expired]")
	}
	return s.update(ctx, func(tx meta.Tx) error {
		k, err := s.ownKey(tx, account, userName, id)
		if err != nil {
			return err
		}
		k.Status = status
		return writeAccessKey(tx, id, k)
	})
}

// DeleteAccessKey deletes a user's (or the root's) access key.
func (s *Service) DeleteAccessKey(ctx context.Context, account, userName, id string) error {
	return s.update(ctx, func(tx meta.Tx) error {
		if _, err := s.ownKey(tx, account, userName, id); err != nil {
			return err
		}
		if userName == "" {
			a, err := s.getAccount(tx, account)
			if err != nil {
				return err
			}
			a.RootKeys = slices.DeleteFunc(a.RootKeys, func(k string) bool { return k == id })
			if err := writeAccount(tx, account, a); err != nil {
				return err
			}
		} else {
			u, err := loadUser(tx, account, userName)
			if err != nil {
				return err
			}
			u.Keys = slices.DeleteFunc(u.Keys, func(k string) bool { return k == id })
			if err := writeUser(tx, account, u.UserName, u); err != nil {
				return err
			}
		}
		return removeAccessKey(tx, id)
	})
}

// ownKey loads key id if it belongs to the user (or root) named; anything
// else, including keys of other accounts, is NoSuchEntity. The first
// account's configured root key cannot be changed through the API.
func (s *Service) ownKey(tx meta.Tx, account, userName, id string) (*keyRecord, error) {
	if account == s.admin.AccountID && userName == "" && s.isAdminKey(id) {
		return nil, newError(CodeInvalidInput,
			"The access key %s is the deployment's configured root key; change it with KURA_ROOT_ACCESS_KEY and KURA_ROOT_SECRET_KEY.", id)
	}
	ids, _, err := s.keyIDs(tx, account, userName)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(ids, id) {
		return nil, errNoSuchAccessKey(id)
	}
	var k keyRecord
	if found, err := readAccessKey(tx, id, &k); err != nil || !found {
		return nil, orInternal(err, "access key record missing")
	}
	return &k, nil
}

// orInternal returns err, or an internal error saying what broke when err
// is nil: for invariants of the stored records that should never fail.
func orInternal(err error, what string) error {
	if err != nil {
		return err
	}
	return internalError(errorString("iam: " + what))
}

type errorString string

func (e errorString) Error() string { return string(e) }
