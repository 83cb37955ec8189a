package s3api

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/iam"
)

// Owners as S3 shows them. S3 names an owner (ListBuckets' Owner, a
// listing's Owner and Initiator, an ACL's Owner and grantees) by the
// account's canonical user id and display name, never by its 12-digit
// account id; x-amz-expected-bucket-owner, on the other hand, takes the
// account id. Records keep account ids (kura.Bucket.Owner,
// ObjectVersion.Owner, Upload.Owner): a canonical id is looked up only to
// render one.

// AccountDirectory finds accounts by the names S3 requests use for them:
// the account id, the canonical user id (an ACL grant's id="…") and the
// email address (emailAddress="…"). *iam.Service implements it.
type AccountDirectory interface {
	Account(ctx context.Context, id string) (*iam.Account, error)
	AccountByCanonicalID(ctx context.Context, cid string) (*iam.Account, error)
	AccountByEmail(ctx context.Context, email string) (*iam.Account, error)
}

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// owner is the caller's account as S3 shows it.
func (req *request) owner() owner {
	id := req.identity
	if id.CanonicalID == "" {
		return owner{ID: id.AccountID, DisplayName: id.DisplayName}
	}
	return owner{ID: id.CanonicalID, DisplayName: id.DisplayName}
}

// ownerOf is account (an account id from a record) as S3 shows it. An
// account that cannot be found (deleted since, or no directory wired) is
// shown by its account id rather than failing a listing over it.
func (h *Handler) ownerOf(req *request, account string) owner {
	if account == req.identity.AccountID {
		return req.owner()
	}
	if h.cfg.Accounts == nil || account == "" {
		return owner{ID: account}
	}
	if o, ok := req.owners[account]; ok {
		return o // listings name the same few accounts entry after entry
	}
	o := owner{ID: account}
	if a, err := h.cfg.Accounts.Account(req.Context(), account); err == nil && a.CanonicalID != "" {
		o = owner{ID: a.CanonicalID, DisplayName: a.DisplayName}
	}
	if req.owners == nil {
		req.owners = map[string]owner{}
	}
	req.owners[account] = o
	return o
}

// objectOwner is the account owning an object version: the one recorded
// with it, or (records written before owners were kept) the bucket owner.
func objectOwner(req *request, v *kura.ObjectVersion) string {
	if v.Owner != "" {
		return v.Owner
	}
	if az := req.authz; az != nil && az.bucket != nil {
		return az.bucket.Owner
	}
	return req.identity.AccountID
}

// uploadInitiator is the account that started u.
func uploadInitiator(u *kura.Upload) string { return access.UploadInitiator(u) }
