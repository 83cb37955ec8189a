package ops

import (
	"context"
	"slices"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// ACLs as values: what a canned ACL grants, how grantees are resolved
// through the account directory, what a record keeps, and what Object
// Ownership and Block Public Access accept. PutObjectAcl uses them, and
// so do the HTTP front's PutBucketAcl, CreateBucket and the writes that
// create an object with an ACL (s3api/acl.go, which keeps only the
// grammar of x-amz-acl, x-amz-grant-* and AccessControlPolicy bodies).

// Grantees S3 knows besides kura's public groups.
const (
	GroupLogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	// ExecReadID is the canonical user aws-exec-read grants READ to (EC2's
	// AMI bundling); no account has it.
	ExecReadID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
)

// Accounts is the account directory an ACL's grantees are resolved
// through (the IAM service behind an adapter). ok is false when no
// account has the name; an error is the directory's own failure.
type Accounts interface {
	// CanonicalID is the canonical user id of the account with this
	// account id.
	CanonicalID(ctx context.Context, accountID string) (cid string, ok bool, err error)
	// HasCanonicalID says whether an account has canonical id cid.
	HasCanonicalID(ctx context.Context, cid string) (ok bool, err error)
	// CanonicalIDByEmail is the canonical id of the account with this
	// e-mail address.
	CanonicalIDByEmail(ctx context.Context, email string) (cid string, ok bool, err error)
}

// ACLParties are the accounts a canned ACL speaks of, by canonical id.
type ACLParties struct {
	Owner       string // the resource's owner
	BucketOwner string
	Bucket      bool // the ACL is a bucket's
}

// CannedACL expands a canned ACL into grants; ok is false for a name S3
// does not know (ErrUnknownCannedACL).
func CannedACL(name string, p ACLParties) (grants []kura.Grant, ok bool) {
	user := func(id, perm string) kura.Grant { return kura.Grant{Type: "CanonicalUser", ID: id, Permission: perm} }
	group := func(uri, perm string) kura.Grant { return kura.Grant{Type: "Group", URI: uri, Permission: perm} }
	g := []kura.Grant{user(p.Owner, kura.PermissionFullControl)}
	switch name {
	case "private":
	case "public-read":
		g = append(g, group(kura.GroupAllUsers, kura.PermissionRead))
	case "public-read-write":
		g = append(g, group(kura.GroupAllUsers, kura.PermissionRead), group(kura.GroupAllUsers, kura.PermissionWrite))
	case "authenticated-read":
		g = append(g, group(kura.GroupAuthenticatedUsers, kura.PermissionRead))
	case "aws-exec-read":
		g = append(g, user(ExecReadID, kura.PermissionRead))
	case "bucket-owner-read":
		if !p.Bucket && p.BucketOwner != p.Owner {
			g = append(g, user(p.BucketOwner, kura.PermissionRead))
		}
	case "bucket-owner-full-control":
		if !p.Bucket && p.BucketOwner != p.Owner {
			g = append(g, user(p.BucketOwner, kura.PermissionFullControl))
		}
	case "log-delivery-write":
		g = append(g, group(GroupLogDelivery, kura.PermissionWrite), group(GroupLogDelivery, kura.PermissionReadACP))
	default:
		return nil, false
	}
	return g, true
}

// ErrUnknownCannedACL is S3's answer to a canned ACL it does not know.
func ErrUnknownCannedACL(name string) error {
	return s3err.InvalidArgument.WithMessage("The canned ACL %q is not one S3 knows.", name).
		With("ArgumentName", "x-amz-acl").With("ArgumentValue", name)
}

// ResolveGrants checks each grantee through dir (nil: no account is
// known): a canonical id must name an account, an e-mail address
// (AmazonCustomerByEmail) is replaced by its account's canonical id, a
// group must be one S3 knows; and each permission must be one S3 knows.
// Duplicates are dropped. Resolving resolved grants changes nothing.
func ResolveGrants(ctx context.Context, dir Accounts, grants []kura.Grant) ([]kura.Grant, error) {
	out := make([]kura.Grant, 0, len(grants))
	for _, g := range grants {
		switch g.Type {
		case "CanonicalUser":
			if g.ID == ExecReadID {
				break
			}
			ok := false
			var err error
			if dir != nil {
				ok, err = dir.HasCanonicalID(ctx, g.ID)
			}
			if err != nil {
				return nil, s3err.Internal(err) // an outage stays 503
			}
			if !ok {
				return nil, s3err.InvalidArgument.WithMessage("Invalid id").With("ArgumentName", "CanonicalUser/ID").With("ArgumentValue", g.ID)
			}
		case "AmazonCustomerByEmail":
			var cid string
			ok := false
			var err error
			if dir != nil {
				cid, ok, err = dir.CanonicalIDByEmail(ctx, g.ID)
			}
			if err != nil {
				return nil, s3err.Internal(err) // an outage stays 503
			}
			if !ok {
				return nil, s3err.UnresolvableGrantByEmailAddress.With("EmailAddress", g.ID)
			}
			g.Type, g.ID = "CanonicalUser", cid
		case "Group":
			if g.URI != kura.GroupAllUsers && g.URI != kura.GroupAuthenticatedUsers && g.URI != GroupLogDelivery {
				return nil, s3err.InvalidArgument.WithMessage("Invalid group uri").With("ArgumentName", "Group/URI").With("ArgumentValue", g.URI)
			}
		default:
			return nil, s3err.MalformedACLError
		}
		switch g.Permission {
		case kura.PermissionFullControl, kura.PermissionRead, kura.PermissionWrite, kura.PermissionReadACP, kura.PermissionWriteACP:
		default:
			return nil, s3err.MalformedACLError
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// StoredACL is grants as a record keeps them: nil for the private ACL of
// the owner (canonical id ownerID). An empty grant list is kept as one:
// S3 stores exactly the grants given, so an ACL that revokes everything,
// the owner's FULL_CONTROL included, reads back empty rather than as the
// default.
func StoredACL(grants []kura.Grant, ownerID string) *kura.ACL {
	if len(grants) == 0 {
		return &kura.ACL{Grants: []kura.Grant{}}
	}
	if IsPrivateACL(grants, ownerID) {
		return nil
	}
	return &kura.ACL{Grants: grants}
}

// IsPrivateACL says grants give nothing to anyone but the owner
// (canonical id ownerID) beyond its FULL_CONTROL: what a bucket with ACLs
// disabled accepts.
func IsPrivateACL(grants []kura.Grant, ownerID string) bool {
	for _, g := range grants {
		if g.Type != "CanonicalUser" || g.ID != ownerID || g.Permission != kura.PermissionFullControl {
			return false
		}
	}
	return true
}

// EnforcedACLAccepted says an ACL set as canned (x-amz-acl) or as grants
// is one a bucket with ACLs disabled (BucketOwnerEnforced) still accepts:
// S3 takes only "bucket owner full control ACLs, such as the
// bucket-owner-full-control canned ACL or an equivalent form", grants of
// FULL_CONTROL to the bucket owner (canonical id bucketOwnerID) alone.
// Every other canned ACL, private included, is refused with
// AccessControlListNotSupported.
func EnforcedACLAccepted(canned string, grants []kura.Grant, bucketOwnerID string) bool {
	if canned != "" {
		return canned == "bucket-owner-full-control"
	}
	return len(grants) > 0 && IsPrivateACL(grants, bucketOwnerID)
}

// PublicACL says some grant of grants is public.
func PublicACL(grants []kura.Grant) bool {
	return slices.ContainsFunc(grants, kura.Grant.IsPublic)
}

// BlockPublicACL refuses to set a public ACL in a bucket whose
// BlockPublicAcls is on.
func BlockPublicACL(b *kura.Bucket, grants []kura.Grant) error {
	if c := b.PublicAccessBlock; c != nil && c.BlockPublicAcls && PublicACL(grants) {
		return s3err.AccessDenied
	}
	return nil
}

// ErrACLBothWays is S3's answer to an ACL given both canned and as
// grants.
var ErrACLBothWays = s3err.InvalidRequest.WithMessage("Specifying both Canned ACLs and Header Grants is not allowed")

var specPutObjectAcl = spec{name: "PutObjectAcl", sub: "acl", existingTags: true, status: statusOK,
	actions: []string{"s3:PutObjectAcl"}, versionActions: []string{"s3:PutObjectVersionAcl"}}

// ACLInput is PutObjectAcl's: a canned ACL, or grants (canonical users,
// e-mail grantees as AmazonCustomerByEmail, groups), which replace the
// version's ACL. Grants empty and no canned ACL set an ACL that grants
// nothing, as an empty AccessControlList does.
type ACLInput struct {
	Target
	Canned string
	Grants []kura.Grant
}

// ownerID is account (an account id) as ACL grants name it: its
// canonical user id — the caller's own from its principal, others' from
// the directory — or the account id when the directory does not know it
// (as S3 responses show such an owner).
func (s *Service) ownerID(ctx context.Context, call kura.Call, account string) string {
	if p := call.Principal; account == p.AccountID {
		if p.CanonicalID != "" {
			return p.CanonicalID
		}
		return p.AccountID
	}
	if s.accounts == nil || account == "" {
		return account
	}
	if cid, ok, err := s.accounts.CanonicalID(ctx, account); err == nil && ok && cid != "" {
		return cid
	}
	return account
}

// PutObjectAcl replaces the ACL of an object version. With ACLs disabled
// (BucketOwnerEnforced) only bucket-owner full control is accepted, and
// nothing is stored.
func (s *Service) PutObjectAcl(ctx context.Context, call kura.Call, in ACLInput) (WriteResult, error) {
	var conds map[string][]string
	if in.Canned != "" {
		conds = map[string][]string{"s3:x-amz-acl": {in.Canned}}
	}
	r, ctx := s.begin(ctx, call, specPutObjectAcl, in.Target, conds)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		// The object first: S3 answers NoSuchKey before any error of the
		// ACL itself.
		v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return WriteResult{}, err
		}
		if in.Canned != "" && len(in.Grants) > 0 {
			return WriteResult{}, ErrACLBothWays
		}
		b := r.bucket
		owner := v.Owner
		if owner == "" || !b.ACLsEnabled() {
			// Records written before owners were kept belong to the
			// bucket owner; with ACLs disabled everything does.
			owner = b.Owner
		}
		ownerID := s.ownerID(ctx, r.call, owner)
		grants := in.Grants
		if in.Canned != "" {
			var ok bool
			if grants, ok = CannedACL(in.Canned, ACLParties{Owner: ownerID, BucketOwner: s.ownerID(ctx, r.call, b.Owner)}); !ok {
				return WriteResult{}, ErrUnknownCannedACL(in.Canned)
			}
		} else if grants, err = ResolveGrants(ctx, s.accounts, grants); err != nil {
			return WriteResult{}, err
		}
		if !b.ACLsEnabled() && !EnforcedACLAccepted(in.Canned, grants, ownerID) {
			return WriteResult{}, s3err.AccessControlListNotSupported
		}
		if err := BlockPublicACL(b, grants); err != nil {
			return WriteResult{}, err
		}
		acl := StoredACL(grants, ownerID)
		if !b.ACLsEnabled() {
			acl = nil
		}
		u, err := s.obj.UpdateVersion(ctx, in.Bucket, in.Key, v.VersionID, func(v *kura.ObjectVersion) error {
			v.ACL = acl
			return nil
		})
		if err != nil {
			return WriteResult{}, err
		}
		// S3 names the version only when the request named it.
		if in.VersionID != "" {
			r.respond("x-amz-version-id", u.VersionID)
		}
		return WriteResult{VersionID: u.VersionID}, nil
	}()
	return res, r.finish(r.spec.status, err)
}
