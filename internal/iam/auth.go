package iam

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// SecretFor returns the secret of an access key, for SigV4 verification
// (sigv4.Verifier.Lookup). Unknown and inactive keys are
// s3err.InvalidAccessKeyID. Session keys return their secret even when
// expired, so that Authenticate can tell the client ExpiredToken rather
// than a signature error.
func (s *Service) SecretFor(ak string) (string, error) {
	if s.isAdminKey(ak) {
		return s.admin.SecretKey, nil
	}
	var sealed []byte
	err := s.meta.View(context.Background(), func(tx meta.Tx) error {
		k, ses, err := findAccessKey(tx, ak)
		switch {
		case err != nil:
			return err
		case k != nil:
			if k.Status != StatusActive {
				return s3err.InvalidAccessKeyID
			}
			sealed = k.Sealed
			return nil
		case ses == nil:
			return s3err.InvalidAccessKeyID
		}
		sealed = ses.Sealed
		return nil
	})
	if err != nil {
		return "", err
	}
	return s.openSecret(ak, sealed)
}

// Authenticate maps an access key whose signature has been verified, and
// the X-Amz-Security-Token the request carried, to its principal.
//
// Errors are S3 errors, as S3 reports them:
//   - a session key without a token: InvalidAccessKeyId (403), as AWS
//     answers for temporary keys used without their token;
//   - a session key with the wrong token, or a long-term key with any
//     token: InvalidToken (400);
//   - an expired session: ExpiredToken (400);
//   - an unknown or inactive key: InvalidAccessKeyId (403).
func (s *Service) Authenticate(ctx context.Context, ak, token string) (kura.Principal, error) {
	if s.isAdminKey(ak) {
		if token != "" {
			return kura.Principal{}, s3err.InvalidToken
		}
		return rootPrincipal(s.admin.AccountID, ak), nil
	}
	var p kura.Principal
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		k, ses, err := findAccessKey(tx, ak)
		switch {
		case err != nil:
			return err
		case k != nil:
			p, err = keyPrincipal(tx, *k, token)
			return err
		case ses == nil:
			return s3err.InvalidAccessKeyID
		}
		p, err = s.sessionPrincipal(*ses, token)
		return err
	})
	return p, err
}

// findAccessKey looks up access key id ak among the stored access keys and
// then the sessions: it returns the key's record, or else the session's,
// or neither when nobody holds ak. The configured admin key is not stored
// and is the caller's to check.
func findAccessKey(tx meta.Tx, ak string) (*keyRecord, *sessionRecord, error) {
	var k keyRecord
	found, err := readAccessKey(tx, ak, &k)
	if err != nil {
		return nil, nil, err
	}
	if found {
		return &k, nil, nil
	}
	var ses sessionRecord
	found, err = readSession(tx, ak, &ses)
	if err != nil || !found {
		return nil, nil, err
	}
	return nil, &ses, nil
}

func rootPrincipal(account, ak string) kura.Principal {
	return kura.Principal{Type: kura.PrincipalRoot, AccountID: account, ARN: RootARN(account), PrincipalID: account, AccessKeyID: ak}
}

func keyPrincipal(tx meta.Tx, k keyRecord, token string) (kura.Principal, error) {
	switch {
	case token != "":
		return kura.Principal{}, s3err.InvalidToken
	case k.Status != StatusActive:
		return kura.Principal{}, s3err.InvalidAccessKeyID
	case k.UserName == "":
		return rootPrincipal(k.Account, k.ID), nil
	}
	var u userRecord
	found, err := readUser(tx, k.Account, k.UserName, &u)
	if err != nil {
		return kura.Principal{}, err
	}
	if !found {
		return kura.Principal{}, s3err.InvalidAccessKeyID
	}
	return kura.Principal{Type: kura.PrincipalIAMUser, AccountID: k.Account, ARN: u.ARN, PrincipalID: u.UserID,
		UserName: u.UserName, AccessKeyID: k.ID}, nil
}

func (s *Service) sessionPrincipal(ses sessionRecord, token string) (kura.Principal, error) {
	if token == "" {
		return kura.Principal{}, s3err.InvalidAccessKeyID
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], ses.TokenHash) != 1 {
		return kura.Principal{}, s3err.InvalidToken
	}
	if !s.clock().Before(ses.Expires) {
		return kura.Principal{}, s3err.ExpiredToken
	}
	return sessionToPrincipal(ses), nil
}

func sessionToPrincipal(ses sessionRecord) kura.Principal {
	return kura.Principal{Type: kura.PrincipalAssumedRole, AccountID: ses.Account,
		ARN: AssumedRoleARN(ses.Account, ses.RoleName, ses.SessionName), PrincipalID: ses.RoleID + ":" + ses.SessionName,
		AccessKeyID: ses.ID, RoleARN: ses.RoleARN, SessionName: ses.SessionName, Expires: ses.Expires}
}

// PoliciesFor returns the identity-based policy documents that apply to p:
// a user's inline policies (by name) then its attached managed policies (in
// attach order); the same for the role of a session or service principal.
// An account's root has none: it is not governed by identity policies.
func (s *Service) PoliciesFor(ctx context.Context, p kura.Principal) ([]string, error) {
	var docs []string
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		docs, err = identityDocs(tx, p)
		return err
	})
	return docs, err
}

func identityDocs(tx meta.Tx, p kura.Principal) ([]string, error) {
	var inline map[string]string
	var attached []string
	switch p.Type {
	case kura.PrincipalIAMUser:
		var u userRecord
		found, err := readUser(tx, p.AccountID, p.UserName, &u)
		if err != nil || !found {
			return nil, err
		}
		inline, attached = u.Policies, u.Attached
	case kura.PrincipalAssumedRole, kura.PrincipalAWSService:
		r, err := roleByARN(tx, p.RoleARN)
		// A role deleted and created again under the same name is a new
		// role: sessions of the old one get nothing from it.
		if err != nil || r == nil || !strings.HasPrefix(p.PrincipalID, r.RoleID+":") {
			return nil, err
		}
		inline, attached = r.Policies, r.Attached
	default:
		return nil, nil
	}
	var docs []string
	for _, name := range sortedKeys(inline) {
		docs = append(docs, inline[name])
	}
	more, err := managedDocs(tx, attached)
	return append(docs, more...), err
}

// SessionPolicies returns the session policies of an assumed-role
// principal (the Policy and PolicyArns given to AssumeRole): guardrails
// that must also allow a request, never grants of their own.
func (s *Service) SessionPolicies(ctx context.Context, p kura.Principal) ([]string, error) {
	var docs []string
	err := s.view(ctx, func(tx meta.Tx) (err error) {
		docs, err = sessionDocs(tx, p)
		return err
	})
	return docs, err
}

func sessionDocs(tx meta.Tx, p kura.Principal) ([]string, error) {
	if p.Type != kura.PrincipalAssumedRole || p.AccessKeyID == "" {
		return nil, nil
	}
	var ses sessionRecord
	found, err := readSession(tx, p.AccessKeyID, &ses)
	if err != nil || !found {
		return nil, err
	}
	var docs []string
	if ses.Policy != "" {
		docs = append(docs, ses.Policy)
	}
	more, err := managedDocs(tx, ses.PolicyARNs)
	return append(docs, more...), err
}

// managedDocs returns the documents of the managed policies named by arns
// that still exist.
func managedDocs(tx meta.Tx, arns []string) ([]string, error) {
	var docs []string
	for _, arn := range arns {
		pol, err := policyByARN(tx, arn)
		if err != nil {
			if IsCode(err, CodeNoSuchEntity) {
				continue
			}
			return nil, err
		}
		docs = append(docs, pol.Document)
	}
	return docs, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
