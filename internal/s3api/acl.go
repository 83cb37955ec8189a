package s3api

import (
	"errors"
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/iam"
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
	groupLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	// execReadID is the canonical user aws-exec-read grants READ to (EC2's
	// AMI bundling).
	execReadID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
	xsiNS      = "http://www.w3.org/2001/XMLSchema-instance"
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

// aclParties are the accounts (account ids) a canned ACL speaks of.
type aclParties struct {
	owner       string // the resource's owner
	bucketOwner string
	bucket      bool // the ACL is a bucket's
}

// cannedACL expands a canned ACL into grants of canonical ids; ok is false
// for a name S3 does not know.
func (h *Handler) cannedACL(req *request, name string, p aclParties) ([]kura.Grant, bool) {
	user := func(account, perm string) kura.Grant {
		return kura.Grant{Type: "CanonicalUser", ID: h.ownerOf(req, account).ID, Permission: perm}
	}
	group := func(uri, perm string) kura.Grant { return kura.Grant{Type: "Group", URI: uri, Permission: perm} }
	g := []kura.Grant{user(p.owner, permFullControl)}
	switch name {
	case "private":
	case "public-read":
		g = append(g, group(groupAllUsers, permRead))
	case "public-read-write":
		g = append(g, group(groupAllUsers, permRead), group(groupAllUsers, permWrite))
	case "authenticated-read":
		g = append(g, group(groupAuthenticated, permRead))
	case "aws-exec-read":
		g = append(g, kura.Grant{Type: "CanonicalUser", ID: execReadID, Permission: permRead})
	case "bucket-owner-read":
		if !p.bucket && p.bucketOwner != p.owner {
			g = append(g, user(p.bucketOwner, permRead))
		}
	case "bucket-owner-full-control":
		if !p.bucket && p.bucketOwner != p.owner {
			g = append(g, user(p.bucketOwner, permFullControl))
		}
	case "log-delivery-write":
		g = append(g, group(groupLogDelivery, permWrite), group(groupLogDelivery, permReadACP))
	default:
		return nil, false
	}
	return g, true
}

// requestACL is the ACL a request sets with x-amz-acl or x-amz-grant-*
// headers; set is false when it names none.
func (h *Handler) requestACL(req *request, p aclParties) (acl []kura.Grant, set bool, err error) {
	canned := req.Header.Get("x-amz-acl")
	var explicit bool
	for _, gh := range grantHeaders {
		explicit = explicit || req.Header.Get(gh.header) != ""
	}
	switch {
	case canned != "" && explicit:
		return nil, false, s3err.InvalidRequest.WithMessage("Specifying both Canned ACLs and Header Grants is not allowed")
	case canned != "":
		g, ok := h.cannedACL(req, canned, p)
		if !ok {
			return nil, false, s3err.InvalidArgument.WithMessage("The canned ACL %q is not one S3 knows.", canned).
				With("ArgumentName", "x-amz-acl").With("ArgumentValue", canned)
		}
		return g, true, nil
	case explicit:
		for _, gh := range grantHeaders {
			v := req.Header.Get(gh.header)
			if v == "" {
				continue
			}
			for _, item := range strings.Split(v, ",") {
				k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
				val = strings.Trim(strings.TrimSpace(val), `"`)
				if !ok || val == "" {
					return nil, false, s3err.InvalidArgument.WithMessage("Invalid grantee %q in %s: use id=\"…\", uri=\"…\" or emailAddress=\"…\".", item, gh.header).
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
					return nil, false, s3err.InvalidArgument.WithMessage("Invalid grantee %q in %s: use id=\"…\", uri=\"…\" or emailAddress=\"…\".", item, gh.header).
						With("ArgumentName", gh.header).With("ArgumentValue", v)
				}
				acl = append(acl, g)
			}
		}
		acl, err = h.resolveGrants(req, acl)
		return acl, err == nil, err
	}
	return nil, false, nil
}

// resolveGrants checks each grantee: a canonical id must name an account,
// an email address is replaced by its account's canonical id, a group
// must be one S3 knows.
func (h *Handler) resolveGrants(req *request, grants []kura.Grant) ([]kura.Grant, error) {
	out := make([]kura.Grant, 0, len(grants))
	for _, g := range grants {
		switch g.Type {
		case "CanonicalUser":
			if g.ID == execReadID {
				break
			}
			if _, err := h.account(req, g.ID, false); err != nil {
				return nil, err
			}
		case "AmazonCustomerByEmail":
			a, err := h.account(req, g.ID, true)
			if err != nil {
				return nil, err
			}
			g.Type, g.ID = "CanonicalUser", a.CanonicalID
		case "Group":
			if g.URI != groupAllUsers && g.URI != groupAuthenticated && g.URI != groupLogDelivery {
				return nil, s3err.InvalidArgument.WithMessage("Invalid group uri").With("ArgumentName", "Group/URI").With("ArgumentValue", g.URI)
			}
		default:
			return nil, s3err.MalformedACLError
		}
		switch g.Permission {
		case permFullControl, permRead, permWrite, permReadACP, permWriteACP:
		default:
			return nil, s3err.MalformedACLError
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// account finds the account a grant names by canonical id or email.
func (h *Handler) account(req *request, name string, email bool) (*iam.Account, error) {
	notFound := func() error {
		if email {
			return s3err.UnresolvableGrantByEmailAddress.With("EmailAddress", name)
		}
		return s3err.InvalidArgument.WithMessage("Invalid id").With("ArgumentName", "CanonicalUser/ID").With("ArgumentValue", name)
	}
	if h.cfg.Accounts == nil {
		return nil, notFound()
	}
	var a *iam.Account
	var err error
	if email {
		a, err = h.cfg.Accounts.AccountByEmail(req.Context(), name)
	} else {
		a, err = h.cfg.Accounts.AccountByCanonicalID(req.Context(), name)
	}
	var ie *iam.Error
	switch {
	case errors.As(err, &ie) && ie.Code == iam.CodeNoSuchEntity:
		return nil, notFound()
	case err != nil:
		return nil, s3err.InternalError.Wrap(err)
	}
	return a, nil
}

// storedACL is grants as a record keeps them: nil for the private ACL of
// owner. An empty grant list is kept as one: S3 stores exactly the grants
// given, so an ACL that revokes everything, the owner's FULL_CONTROL
// included, reads back empty rather than as the default.
func (h *Handler) storedACL(req *request, grants []kura.Grant, owner string) *kura.ACL {
	if len(grants) == 0 {
		return &kura.ACL{Grants: []kura.Grant{}}
	}
	if isPrivate(grants, h.ownerOf(req, owner).ID) {
		return nil
	}
	return &kura.ACL{Grants: grants}
}

// enforcedACLAccepted says an ACL a request sets (grants, from its
// headers or body) is one a bucket with ACLs disabled (BucketOwnerEnforced)
// still accepts: S3 takes only "bucket owner full control ACLs, such as the
// bucket-owner-full-control canned ACL or an equivalent form", grants of
// FULL_CONTROL to the bucket owner (canonical id bucketOwnerID) alone.
// Every other canned ACL, private included, is refused with
// AccessControlListNotSupported.
func enforcedACLAccepted(req *request, grants []kura.Grant, bucketOwnerID string) bool {
	if c := req.Header.Get("x-amz-acl"); c != "" {
		return c == "bucket-owner-full-control"
	}
	return len(grants) > 0 && isPrivate(grants, bucketOwnerID)
}

// isPrivate says grants give nothing to anyone but the owner (canonical
// id ownerID) beyond its FULL_CONTROL: what a bucket with ACLs disabled
// accepts.
func isPrivate(grants []kura.Grant, ownerID string) bool {
	for _, g := range grants {
		if g.Type != "CanonicalUser" || g.ID != ownerID || g.Permission != permFullControl {
			return false
		}
	}
	return true
}

// newObjectACL decides the owner (an account id) and ACL of an object a
// request writes to b: under BucketOwnerEnforced the bucket owner owns it
// and only bucket owner full control is accepted (enforcedACLAccepted); under BucketOwnerPreferred the bucket
// owner owns what is written with bucket-owner-full-control; otherwise the
// writer owns it. Anonymous writes belong to the bucket owner.
func (h *Handler) newObjectACL(req *request, b *kura.Bucket) (string, *kura.ACL, error) {
	owner := req.identity.AccountID
	switch {
	case req.anonymous(), ownershipOf(b) == BucketOwnerEnforced:
		owner = b.Owner
	case ownershipOf(b) == BucketOwnerPreferred && req.Header.Get("x-amz-acl") == "bucket-owner-full-control":
		owner = b.Owner
	}
	grants, set, err := h.requestACL(req, aclParties{owner: owner, bucketOwner: b.Owner})
	if err != nil || !set {
		return owner, nil, err
	}
	if !aclsEnabled(b) {
		// owner is the bucket owner here.
		if !enforcedACLAccepted(req, grants, h.ownerOf(req, owner).ID) {
			return "", nil, s3err.AccessControlListNotSupported
		}
		return owner, nil, nil
	}
	if err := blockPublicACL(b, grants); err != nil {
		return "", nil, err
	}
	return owner, h.storedACL(req, grants, owner), nil
}

// createBucketACL is the ACL CreateBucket sets on a bucket of the given
// Object Ownership.
func (h *Handler) createBucketACL(req *request, ownership string) (*kura.ACL, error) {
	grants, set, err := h.requestACL(req, aclParties{owner: req.identity.AccountID, bucketOwner: req.identity.AccountID, bucket: true})
	if err != nil || !set {
		return nil, err
	}
	if ownership == BucketOwnerEnforced && !isPrivate(grants, req.owner().ID) {
		return nil, s3err.InvalidBucketAclWithObjectOwnership
	}
	return h.storedACL(req, grants, req.identity.AccountID), nil
}
