package iam

import (
	"context"
	"strings"

	"github.com/kurastore/kura/internal/meta"
)

// AccountInput describes a new account. Everything but Name is optional:
// the canonical id defaults to 64 random hex characters, the display name
// to the name, and the root key pair to a generated one. Given access keys
// must be unique in the deployment (provisioning fixed keys, as test suites
// need, is the reason to give one).
type AccountInput struct {
	Name, Email, CanonicalID, DisplayName string
	AccessKey, SecretKey                  string
}

// CreateAccount creates an account and its root access key. Names, emails
// and canonical ids are unique (case-insensitively) across accounts.
func (s *Service) CreateAccount(ctx context.Context, in AccountInput) (*Account, AccessKey, error) {
	if err := checkAccountInput(&in); err != nil {
		return nil, AccessKey{}, err
	}
	key := AccessKey{AccessKeyID: in.AccessKey, Secret: in.SecretKey, Status: StatusActive}
	if key.AccessKeyID == "" {
		key.AccessKeyID, key.Secret = newAccessKeyID("AKIA"), newSecret()
	}
	sealed, err := s.sealSecret(key.AccessKeyID, key.Secret)
	if err != nil {
		return nil, AccessKey{}, internalError(err)
	}
	var acct Account
	err = s.update(ctx, func(tx meta.Tx) error {
		if err := checkAccountUnique(tx, in); err != nil {
			return err
		}
		if used, err := s.keyInUse(tx, key.AccessKeyID); err != nil {
			return err
		} else if used {
			return newError(CodeEntityAlreadyExists, "The access key %s is already in use.", key.AccessKeyID)
		}
		id, err := unusedAccountID(tx)
		if err != nil {
			return err
		}
		now := s.clock()
		acct = Account{ID: id, Name: in.Name, Email: in.Email, CanonicalID: in.CanonicalID,
			DisplayName: in.DisplayName, Created: now}
		if acct.CanonicalID == "" {
			acct.CanonicalID = newCanonicalID()
		}
		key.Created = now
		rec := accountRecord{Account: acct, RootKeys: []string{key.AccessKeyID}}
		if err := writeAccount(tx, id, &rec); err != nil {
			return err
		}
		return writeAccessKey(tx, key.AccessKeyID,
			&keyRecord{ID: key.AccessKeyID, Account: id, Status: StatusActive, Created: now, Sealed: sealed})
	})
	if err != nil {
		return nil, AccessKey{}, err
	}
	return &acct, key, nil
}

func checkAccountInput(in *AccountInput) error {
	if in.Name == "" || len(in.Name) > 64 || strings.ContainsFunc(in.Name, isControl) {
		return newError(CodeInvalidInput, "The account name must be 1 to 64 printable characters.")
	}
	if in.Email != "" && (len(in.Email) > 254 || !strings.Contains(in.Email, "@") || strings.ContainsFunc(in.Email, isControl)) {
		return newError(CodeInvalidInput, "The email address %q is not valid.", in.Email)
	}
	if c := in.CanonicalID; c != "" {
		ok := len(c) <= 128
		for i := 0; ok && i < len(c); i++ {
			ok = isNameChar(c[i]) && c[i] != ',' && c[i] != '='
		}
		if !ok {
			return newError(CodeInvalidInput, "The canonical id must be 1 to 128 characters of letters, digits and _+.@-.")
		}
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Name
	}
	if len(in.DisplayName) > 128 || strings.ContainsFunc(in.DisplayName, isControl) {
		return newError(CodeInvalidInput, "The display name must be at most 128 printable characters.")
	}
	if (in.AccessKey == "") != (in.SecretKey == "") {
		return newError(CodeInvalidInput, "Give both an access key id and a secret access key, or neither.")
	}
	if ak := in.AccessKey; ak != "" {
		ok := len(ak) >= 16 && len(ak) <= 128
		for i := 0; ok && i < len(ak); i++ {
			c := ak[i]
			ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
		}
		if !ok {
			return newError(CodeInvalidInput, "An access key id must be 16 to 128 letters, digits or underscores.")
		}
		if len(in.SecretKey) < 8 || len(in.SecretKey) > 128 || strings.ContainsFunc(in.SecretKey, isControl) {
			return newError(CodeInvalidInput, "A secret access key must be 8 to 128 printable characters.")
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7F }

func checkAccountUnique(tx meta.Tx, in AccountInput) error {
	return eachAccount(tx, func(a *accountRecord) error {
		switch {
		case strings.EqualFold(a.Name, in.Name):
			return newError(CodeEntityAlreadyExists, "An account named %s already exists.", in.Name)
		case in.Email != "" && strings.EqualFold(a.Email, in.Email):
			return newError(CodeEntityAlreadyExists, "An account with email %s already exists.", in.Email)
		case in.CanonicalID != "" && strings.EqualFold(a.CanonicalID, in.CanonicalID):
			return newError(CodeEntityAlreadyExists, "An account with canonical id %s already exists.", in.CanonicalID)
		}
		return nil
	})
}

func unusedAccountID(tx meta.Tx) (string, error) {
	for {
		id := newAccountID()
		taken, err := hasAccount(tx, id)
		if err != nil {
			return "", err
		}
		if !taken {
			return id, nil
		}
	}
}

// Account returns an account by id (NoSuchEntity if there is none).
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	s.mu.RLock()
	a := s.accounts[id]
	s.mu.RUnlock()
	if a != nil {
		c := *a
		return &c, nil
	}
	var rec accountRecord
	var found bool
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		found, err = readAccount(tx, id, &rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoSuchAccount(id)
	}
	c := rec.Account
	s.mu.Lock()
	s.accounts[id] = &c
	s.mu.Unlock()
	return &rec.Account, nil
}

// AccountByCanonicalID returns the account with S3 canonical user id cid.
func (s *Service) AccountByCanonicalID(ctx context.Context, cid string) (*Account, error) {
	return s.findAccount(ctx, func(a *Account) bool { return a.CanonicalID == cid }, cid)
}

// AccountByEmail returns the account with the given email (case-insensitive),
// for S3 grants by email address.
func (s *Service) AccountByEmail(ctx context.Context, email string) (*Account, error) {
	return s.findAccount(ctx, func(a *Account) bool { return email != "" && strings.EqualFold(a.Email, email) }, email)
}

func (s *Service) findAccount(ctx context.Context, match func(*Account) bool, what string) (*Account, error) {
	all, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if match(&all[i]) {
			return &all[i], nil
		}
	}
	return nil, errNoSuchAccount(what)
}

// Accounts returns every account, by id.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.view(ctx, func(tx meta.Tx) error {
		return eachAccount(tx, func(a *accountRecord) error {
			out = append(out, a.Account)
			return nil
		})
	})
	return out, err
}
