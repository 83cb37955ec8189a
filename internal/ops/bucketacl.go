package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// The ACL reads (GetObjectAcl, GetBucketAcl) and PutBucketAcl.
// PutObjectAcl is in acl.go with the ACL values they share.

var (
	specGetObjectAcl = spec{name: "GetObjectAcl", sub: "acl", readOnly: true, existingTags: true, status: statusOK,
		actions: []string{"s3:GetObjectAcl"}, versionActions: []string{"s3:GetObjectVersionAcl"}}
	specGetBucketAcl = spec{name: "GetBucketAcl", sub: "acl", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketAcl"}}
	specPutBucketAcl = spec{name: "PutBucketAcl", sub: "acl", management: true, status: statusOK,
		actions: []string{"s3:PutBucketAcl"}}
)

// ACLResult is an ACL as it is read: the resource's owner (an account
// id: the front shows it by canonical id and display name) and its
// grants, never empty unless an ACL that grants nothing was set. A
// resource without an ACL of its own, or in a bucket with ACLs disabled,
// has the owner's FULL_CONTROL (the owner by canonical id).
type ACLResult struct {
	Owner  string
	Grants []kura.Grant
}

// acl is the ACL result of a resource owned by account with stored ACL
// acl in bucket b.
func (s *Service) acl(ctx context.Context, call kura.Call, b *kura.Bucket, account string, acl *kura.ACL) ACLResult {
	if !b.ACLsEnabled() {
		// BucketOwnerEnforced: whatever was set before no longer counts.
		account, acl = b.Owner, nil
	}
	if acl != nil {
		return ACLResult{Owner: account, Grants: acl.Grants}
	}
	return ACLResult{Owner: account, Grants: []kura.Grant{{Type: "CanonicalUser", ID: s.ownerID(ctx, call, account),
		Permission: kura.PermissionFullControl}}}
}

// GetObjectAcl reads the ACL of an object version.
func (s *Service) GetObjectAcl(ctx context.Context, call kura.Call, in Target) (ACLResult, error) {
	r, ctx := s.begin(ctx, call, specGetObjectAcl, in, nil)
	res, err := func() (ACLResult, error) {
		if err := r.authorize(ctx); err != nil {
			return ACLResult{}, err
		}
		v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return ACLResult{}, err
		}
		owner := v.Owner
		if owner == "" { // records written before owners were kept
			owner = r.bucket.Owner
		}
		return s.acl(ctx, r.call, r.bucket, owner, v.ACL), nil
	}()
	return res, r.finish(r.spec.status, err)
}

// GetBucketAcl reads the bucket's ACL.
func (s *Service) GetBucketAcl(ctx context.Context, call kura.Call, in BucketTarget) (ACLResult, error) {
	return bucketRead(ctx, s, call, specGetBucketAcl, in, func(ctx context.Context, r *run) (ACLResult, error) {
		return s.acl(ctx, r.call, r.bucket, r.bucket.Owner, r.bucket.ACL), nil
	})
}

// BucketACLInput is PutBucketAcl's: a canned ACL or grants, as
// ACLInput's.
type BucketACLInput struct {
	BucketTarget
	Canned string
	Grants []kura.Grant
}

// PutBucketAcl replaces the bucket's ACL. With ACLs disabled
// (BucketOwnerEnforced) only the owner's full control is accepted, and
// nothing is stored.
func (s *Service) PutBucketAcl(ctx context.Context, call kura.Call, in BucketACLInput) error {
	var conds map[string][]string
	if in.Canned != "" {
		conds = map[string][]string{"s3:x-amz-acl": {in.Canned}}
	}
	return s.bucketOp(ctx, call, specPutBucketAcl, in.BucketTarget, conds, func(ctx context.Context, r *run) error {
		if in.Canned != "" && len(in.Grants) > 0 {
			return ErrACLBothWays
		}
		b := r.bucket
		ownerID := s.ownerID(ctx, r.call, b.Owner)
		grants := in.Grants
		if in.Canned != "" {
			var ok bool
			if grants, ok = CannedACL(in.Canned, ACLParties{Owner: ownerID, BucketOwner: ownerID, Bucket: true}); !ok {
				return ErrUnknownCannedACL(in.Canned)
			}
		} else {
			var err error
			if grants, err = ResolveGrants(ctx, s.accounts, grants); err != nil {
				return err
			}
		}
		if !b.ACLsEnabled() && !EnforcedACLAccepted(in.Canned, grants, ownerID) {
			return s3err.AccessControlListNotSupported
		}
		if err := BlockPublicACL(b, grants); err != nil {
			return err
		}
		acl := StoredACL(grants, ownerID)
		if !b.ACLsEnabled() {
			acl = nil
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.ACL = acl; return nil })
	})
}
