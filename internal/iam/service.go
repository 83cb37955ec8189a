package iam

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// Config configures a Service.
type Config struct {
	Meta meta.Store
	// RootKey is Kura's root key (32 bytes); the KEK that seals secret
	// access keys and session secrets is derived from it.
	RootKey []byte
	// Admin is the first account and its root access key pair, from
	// root-credentials.json or the environment. The pair is never stored
	// in the metadata store.
	Admin AdminCredentials
	// Now is the clock for creation dates and session expiry; nil means
	// time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// AdminCredentials are the first account's id and root access key pair.
// That account's root is the deployment administrator: the only principal
// allowed to create accounts.
type AdminCredentials struct {
	AccountID, AccessKey, SecretKey string
}

// AdminAccountName is the name given to the first account.
const AdminAccountName = "admin"

// secretKEKPurpose derives the KEK that seals secrets from the root key.
const secretKEKPurpose = "kura iam secret kek v1"

// Service holds accounts, IAM entities and STS sessions. It is safe for
// concurrent use.
type Service struct {
	meta  meta.Store
	kek   []byte
	admin AdminCredentials
	now   func() time.Time
	log   *slog.Logger

	// accounts caches account records: an account never changes once
	// created, and Authenticate needs one per request.
	mu       sync.RWMutex
	accounts map[string]*Account
}

// New returns a Service on cfg.Meta, creating the first account's record
// if this is the first start.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Meta == nil {
		return nil, errors.New("iam: no metadata store")
	}
	if len(cfg.RootKey) != sse.RootKeySize {
		return nil, fmt.Errorf("iam: root key must be %d bytes", sse.RootKeySize)
	}
	if !validAccountID(cfg.Admin.AccountID) || cfg.Admin.AccessKey == "" || cfg.Admin.SecretKey == "" {
		return nil, errors.New("iam: the first account needs a 12-digit id and a root access key pair")
	}
	s := &Service{
		meta:     cfg.Meta,
		kek:      sse.DeriveKey(cfg.RootKey, secretKEKPurpose),
		admin:    cfg.Admin,
		now:      cfg.Now,
		log:      cfg.Logger,
		accounts: map[string]*Account{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.bootstrap(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// AdminAccountID is the first account's id.
func (s *Service) AdminAccountID() string { return s.admin.AccountID }

func (s *Service) clock() time.Time { return s.now().UTC() }

// bootstrap creates the first account's record, once, and checks that its
// configured root key is not also some other principal's key.
func (s *Service) bootstrap(ctx context.Context) error {
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		if owner, err := keyOwner(tx, s.admin.AccessKey); err != nil {
			return err
		} else if owner != "" {
			return fmt.Errorf("iam: the root access key of the first account is also %s; configure another root key", owner)
		}
		var rec accountRecord
		found, err := readAccount(tx, s.admin.AccountID, &rec)
		if err != nil || found {
			return err
		}
		rec.Account = Account{ID: s.admin.AccountID, Name: AdminAccountName, CanonicalID: newCanonicalID(),
			DisplayName: AdminAccountName, Created: s.clock()}
		return writeAccount(tx, rec.ID, &rec)
	})
}

// isAdminKey compares in constant time: the configured key is a secret's
// neighbour and lookups must not leak how much of it matched.
func (s *Service) isAdminKey(ak string) bool {
	return subtle.ConstantTimeCompare([]byte(ak), []byte(s.admin.AccessKey)) == 1
}

// keyOwner describes who holds access key id ak ("" when nobody does): the
// first account's root, a stored access key or a session.
func keyOwner(tx meta.Tx, ak string) (string, error) {
	k, ses, err := findAccessKey(tx, ak)
	switch {
	case err != nil:
		return "", err
	case k != nil && k.UserName == "":
		return "a root access key of account " + k.Account, nil
	case k != nil:
		return "an access key of user " + k.UserName + " in account " + k.Account, nil
	case ses == nil:
		return "", nil
	}
	return "a session key of account " + ses.Account, nil
}

// keyInUse reports whether ak is taken anywhere in the deployment.
func (s *Service) keyInUse(tx meta.Tx, ak string) (bool, error) {
	if s.isAdminKey(ak) {
		return true, nil
	}
	owner, err := keyOwner(tx, ak)
	return owner != "", err
}

// sealSecret seals a secret access key (or session secret) under the KEK,
// bound to its access key id so a sealed secret cannot be moved to another
// key.
func (s *Service) sealSecret(ak, secret string) ([]byte, error) {
	return sse.SealWithKey(s.kek, []byte(secret), secretAAD(ak))
}

func (s *Service) openSecret(ak string, sealed []byte) (string, error) {
	b, err := sse.OpenWithKey(s.kek, sealed, secretAAD(ak))
	if err != nil {
		return "", fmt.Errorf("iam: open the secret of %s: %w", ak, err)
	}
	return string(b), nil
}

func secretAAD(ak string) []byte { return []byte("kura iam secret v1\x00" + ak) }

// view and update run fn in a transaction and turn anything that is not an
// *Error into ServiceFailure.
func (s *Service) view(ctx context.Context, fn func(tx meta.Tx) error) error {
	if err := s.meta.View(ctx, fn); err != nil {
		return asError(err)
	}
	return nil
}

func (s *Service) update(ctx context.Context, fn func(tx meta.Tx) error) error {
	if err := s.meta.Update(ctx, fn); err != nil {
		return asError(err)
	}
	return nil
}
