package s3api

import (
	"context"
	"errors"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// ACLs: Put/GetBucketAcl, Put/GetObjectAcl, and the ACL a bucket or object
// is created with (x-amz-acl, x-amz-grant-*). An ACL is a list of grants,
// stored whole in the bucket or version record (kura.ACL; nil is the
// private ACL). Grantees are canonical users (an email address is resolved
// to its account's canonical id when the ACL is set, as S3 does) or the
// AllUsers, AuthenticatedUsers and LogDelivery groups. Whether an ACL
// counts is the bucket's Object Ownership (ownership.go); what it allows is
// aclAllows in authz.go.

// The grantee groups S3 knows.
const (
	groupAllUsers      = kura.GroupAllUsers
	groupAuthenticated = kura.GroupAuthenticatedUsers
	groupLogDelivery   = ops.GroupLogDelivery
	xsiNS              = "http://www.w3.org/2001/XMLSchema-instance"
)

const (
	permFullControl = kura.PermissionFullControl
	permRead        = kura.PermissionRead
	permWrite       = kura.PermissionWrite
	permReadACP     = kura.PermissionReadACP
	permWriteACP    = kura.PermissionWriteACP
)

// grantHeaders maps the x-amz-grant-* headers to their permission.
var grantHeaders = []struct{ header, perm string }{
	{"x-amz-grant-full-control", permFullControl},
	{"x-amz-grant-read", permRead},
	{"x-amz-grant-write", permWrite},
	{"x-amz-grant-read-acp", permReadACP},
	{"x-amz-grant-write-acp", permWriteACP},
}

// headerACL reads the ACL of x-amz-acl (canned, checked to be one S3
// knows) or x-amz-grant-* headers (grants, resolved through the account
// directory); set is false when the request names none.
func (h *Handler) headerACL(req *request) (canned string, acl []kura.Grant, set bool, err error) {
	a, err := headerObjectACL(req)
	if err != nil || !a.Given() {
		return "", nil, false, err
	}
	if a.Canned != "" {
		return a.Canned, nil, true, nil
	}
	acl, err = ops.ResolveGrants(req.Context(), h.accounts(), a.Grants)
	return "", acl, err == nil, err
}

// headerObjectACL is the grammar of the x-amz-acl and x-amz-grant-*
// headers: a canned ACL S3 knows, or grants as written (grantees not yet
// resolved), not both.
func headerObjectACL(req *request) (ops.ObjectACL, error) {
	canned := req.Header.Get("X-Amz-Acl")
	var explicit bool
	for _, gh := range grantHeaders {
		explicit = explicit || req.Header.Get(gh.header) != ""
	}
	switch {
	case canned != "" && explicit:
		return ops.ObjectACL{}, ops.ErrACLBothWays
	case canned != "":
		if _, ok := ops.CannedACL(canned, ops.ACLParties{}); !ok {
			return ops.ObjectACL{}, ops.ErrUnknownCannedACL(canned)
		}
		return ops.ObjectACL{Canned: canned}, nil
	case !explicit:
		return ops.ObjectACL{}, nil
	}
	var acl []kura.Grant
	for _, gh := range grantHeaders {
		v := req.Header.Get(gh.header)
		if v == "" {
			continue
		}
		for _, item := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if !ok || val == "" {
				return ops.ObjectACL{}, s3err.InvalidArgument.WithMessage("Invalid grantee %q in %s: use id=\"…\", uri=\"…\" or emailAddress=\"…\".", item, gh.header).
					With("ArgumentName", gh.header).With("ArgumentValue", v)
			}
			g := kura.Grant{Permission: gh.perm}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				g.Type, g.ID = "CanonicalUser", val
			case "uri":
				g.Type, g.URI = "Group", val
			case "emailaddress":
				g.Type, g.ID = "AmazonCustomerByEmail", val
			default:
				return ops.ObjectACL{}, s3err.InvalidArgument.WithMessage("Invalid grantee %q in %s: use id=\"…\", uri=\"…\" or emailAddress=\"…\".", item, gh.header).
					With("ArgumentName", gh.header).With("ArgumentValue", v)
			}
			acl = append(acl, g)
		}
	}
	return ops.ObjectACL{Grants: acl}, nil
}

// accounts is the account directory as ops resolves grantees through it
// (nil when none is wired).
func (h *Handler) accounts() ops.Accounts {
	if h.cfg.Accounts == nil {
		return nil
	}
	return OpsAccounts{h.cfg.Accounts}
}

// OpsAccounts is an AccountDirectory as ops.Accounts: IAM's NoSuchEntity
// is "no such account".
type OpsAccounts struct{ Dir AccountDirectory }

func (a OpsAccounts) CanonicalID(ctx context.Context, accountID string) (string, bool, error) {
	return found(a.Dir.Account(ctx, accountID))
}

func (a OpsAccounts) HasCanonicalID(ctx context.Context, cid string) (bool, error) {
	_, ok, err := found(a.Dir.AccountByCanonicalID(ctx, cid))
	return ok, err
}

func (a OpsAccounts) CanonicalIDByEmail(ctx context.Context, email string) (string, bool, error) {
	return found(a.Dir.AccountByEmail(ctx, email))
}

func found(a *iam.Account, err error) (string, bool, error) {
	var ie *iam.Error
	switch {
	case errors.As(err, &ie) && ie.Code == iam.CodeNoSuchEntity:
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return a.CanonicalID, true, nil
}

// isPrivate is ops.IsPrivateACL.
func isPrivate(grants []kura.Grant, ownerID string) bool { return ops.IsPrivateACL(grants, ownerID) }
