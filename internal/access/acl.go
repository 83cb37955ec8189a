package access

import (
	"errors"
	"maps"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

// Permissions S3 gives beyond the policies, found from the resource
// itself: the bucket's and the object's ACLs (when Object Ownership lets
// them count), the multipart initiator's own say over its upload, and the
// missing-key rule. Each is one more way to be allowed after the policies
// did not allow; none overrides an explicit Deny. Objects another account
// owns are the exception the other way: the bucket owner's policies grant
// nothing on them (foreignObject).

// aclPermissions maps the actions an ACL can allow to the permissions
// that allow them, and says whether the grant is read from the object's
// ACL (else the bucket's). FULL_CONTROL allows them all.
var aclPermissions = map[string]struct {
	perm   string
	object bool
}{
	"s3:ListBucket":                 {kura.PermissionRead, false},
	"s3:ListBucketVersions":         {kura.PermissionRead, false},
	"s3:ListBucketMultipartUploads": {kura.PermissionRead, false},
	"s3:PutObject":                  {kura.PermissionWrite, false},
	"s3:DeleteObject":               {kura.PermissionWrite, false},
	"s3:DeleteObjectVersion":        {kura.PermissionWrite, false},
	"s3:GetBucketAcl":               {kura.PermissionReadACP, false},
	"s3:PutBucketAcl":               {kura.PermissionWriteACP, false},
	"s3:GetObject":                  {kura.PermissionRead, true},
	"s3:GetObjectVersion":           {kura.PermissionRead, true},
	"s3:GetObjectTorrent":           {kura.PermissionRead, true},
	"s3:GetObjectAcl":               {kura.PermissionReadACP, true},
	"s3:GetObjectVersionAcl":        {kura.PermissionReadACP, true},
	"s3:PutObjectAcl":               {kura.PermissionWriteACP, true},
	"s3:PutObjectVersionAcl":        {kura.PermissionWriteACP, true},
}

// objectOwner is the account owning a version: the one recorded with it,
// or (records written before owners were kept) the bucket owner.
func objectOwner(b *kura.Bucket, v *kura.ObjectVersion) string {
	if v.Owner != "" {
		return v.Owner
	}
	return b.Owner
}

// aclAllows is ACL evaluation, AWS's: in a bucket whose ACLs are enabled
// (Object Ownership other than BucketOwnerEnforced), a grant in the
// bucket's or the object's ACL is one more way to be allowed, alongside
// the policies. A grant to a canonical user is a grant to its account:
// its root, and its IAM principals whose own policies allow the action
// (as a bucket policy naming another account would be); AllUsers is
// anyone, anonymous callers included; AuthenticatedUsers any signed
// caller. Under IgnorePublicAcls those two groups grant nothing.
func (d *decision) aclAllows(in *policy.Input) (bool, error) {
	r, p := &d.r, d.p
	b := r.Bucket
	need, ok := aclPermissions[r.Action]
	if (r.Action == "s3:PutObjectAcl" || r.Action == "s3:PutObjectTagging") && r.NewObject {
		// The x-amz-acl or x-amz-tagging of a write describe the object
		// being created, which has no ACL yet to grant WRITE_ACP: the
		// bucket's WRITE that lets the caller create it lets it set them
		// (an anonymous form to a public-read-write bucket may say
		// acl=public-read, as in S3).
		need, ok = aclPermissions["s3:PutObject"], true
	}
	if !ok || !b.ACLsEnabled() {
		return false, nil
	}
	owner, acl := b.Owner, b.ACL
	if need.object {
		if r.Key == "" || r.Resource != ObjectARN(b.Name, r.Key) {
			return false, nil
		}
		v, err := d.object()
		switch {
		case err == nil:
			owner, acl = objectOwner(b, v), v.ACL
		case need.perm == kura.PermissionRead && errors.Is(err, ErrNoSuchKey):
			// No object, so no object ACL: S3 answers a read of a missing
			// key 404 to whoever may list the bucket (the bucket ACL's
			// READ), 403 to anyone else, so the read is let through to
			// find the key missing exactly when listing would have shown it.
			need = aclPermissions["s3:ListBucket"]
		default:
			return false, nil // nothing to grant on; the policy's answer stands
		}
	}
	anonymous := p.IsAnonymous()
	var grants []kura.Grant
	if acl != nil {
		grants = acl.Grants
	} else if owner == p.AccountID && p.CanonicalID != "" && !anonymous {
		// The private ACL: the owner's FULL_CONTROL, and only that.
		grants = []kura.Grant{{Type: "CanonicalUser", ID: p.CanonicalID, Permission: kura.PermissionFullControl}}
	}
	ignorePublic := b.PublicAccessBlock != nil && b.PublicAccessBlock.IgnorePublicAcls
	granted := false
	for _, g := range grants {
		if g.Permission != need.perm && g.Permission != kura.PermissionFullControl || g.IsPublic() && ignorePublic {
			continue
		}
		switch {
		case g.Type == "Group" && g.URI == kura.GroupAllUsers,
			g.Type == "Group" && g.URI == kura.GroupAuthenticatedUsers && !anonymous,
			g.Type == "CanonicalUser" && !anonymous && g.ID == p.CanonicalID:
			granted = true
		}
	}
	if !granted || anonymous || in.IsRoot {
		return granted, nil
	}
	// An IAM principal needs its own account's permission too.
	return d.ownSelf(in), nil
}

// initiatorAllows is S3's default permission on a multipart upload: "the
// bucket owner and the initiator of the multipart upload" may abort it
// and list its parts, and "if the initiator is an IAM user, that user's
// AWS account is also allowed" (Amazon S3 User Guide, "Multipart upload
// API and permissions"), whatever the bucket's policy or ACL says. The
// upload record keeps the account that owns the upload (kura.Upload.Owner:
// the initiator's, unless Object Ownership gave it to the bucket owner, who
// may abort it anyway; then kura.Upload.Initiator keeps the initiator), so
// the callers allowed are the initiating account's root and its IAM
// principals whose own policies allow the action.
func (d *decision) initiatorAllows(in *policy.Input) (bool, error) {
	r, p := &d.r, d.p
	if r.Action != "s3:AbortMultipartUpload" && r.Action != "s3:ListMultipartUploadParts" {
		return false, nil
	}
	if p.IsAnonymous() || r.Key == "" || r.UploadID == "" || r.Resource != ObjectARN(r.Bucket.Name, r.Key) {
		return false, nil
	}
	u, err := d.upload()
	switch {
	case errors.Is(err, ErrNoSuchUpload):
		return false, nil // no upload to be the initiator of; the policy's answer stands
	case err != nil:
		return false, err
	case UploadInitiator(u) != p.AccountID:
		return false, nil
	case in.IsRoot:
		return true, nil
	}
	return d.ownSelf(in), nil
}

// UploadInitiator is the account that started u.
func UploadInitiator(u *kura.Upload) string {
	if u.Initiator != "" {
		return u.Initiator
	}
	return u.Owner
}

// listableMissingKey applies S3's rule for reads of keys that do not
// exist: the answer is 404 NoSuchKey to a caller who may list the bucket
// and 403 to anyone else (GetObject/HeadObject: "If the object you request
// doesn't exist, the error that Amazon S3 returns depends on whether you
// also have the s3:ListBucket permission"). A read the policies deny only
// implicitly is therefore let through — to find the key missing — when the
// key does not exist and the same policies allow s3:ListBucket on the
// bucket with s3:prefix set to the key, the listing that would have shown
// its absence. ACL grants are aclAllows'.
func (d *decision) listableMissingKey(in *policy.Input) (bool, error) {
	r := &d.r
	b := r.Bucket
	if r.CopySource || r.Action != "s3:GetObject" && r.Action != "s3:GetObjectVersion" || r.Key == "" ||
		r.Resource != ObjectARN(b.Name, r.Key) {
		return false, nil
	}
	if _, err := d.object(); !errors.Is(err, ErrNoSuchKey) {
		return false, nil
	}
	list := *in
	list.Request.Action = "s3:ListBucket"
	list.Request.Resource = BucketARN(b.Name)
	list.Request.Context = maps.Clone(in.Request.Context)
	if list.Request.Context == nil {
		list.Request.Context = map[string][]string{}
	}
	list.Request.Context["s3:prefix"] = []string{r.Key}
	return policy.Decide(&list).Allowed, nil
}

// foreignObject says the request's action addresses its object, whose
// owner is neither the bucket owner nor the caller's account, and is one
// an object ACL governs. In a bucket whose ACLs are enabled, an object
// written by another account belongs to that account, and S3 lets only
// its owner decide who may read it or its ACL: "a bucket owner cannot
// grant permissions on objects it does not own" (Amazon S3 User Guide,
// "How Amazon S3 authorizes a request for an object operation"). The
// policies of the bucket owner's account (its bucket policy, its users'
// policies, its root's implicit rights) then grant nothing on the object;
// its ACL still can, and an explicit Deny in them still refuses. The
// bucket owner keeps the bucket-level rights: deleting the object is a
// WRITE on the bucket, not an object permission.
func (d *decision) foreignObject() (bool, error) {
	r, p := &d.r, d.p
	b := r.Bucket
	if b == nil || r.CopySource || !b.ACLsEnabled() || r.Key == "" || !aclPermissions[r.Action].object ||
		r.Resource != ObjectARN(b.Name, r.Key) {
		return false, nil
	}
	v, err := d.object()
	if err != nil {
		return false, nil
	}
	o := objectOwner(b, v)
	return o != "" && o != b.Owner && (p.IsAnonymous() || o != p.AccountID), nil
}

// existingTags adds s3:ExistingObjectTag/<key> — the tags of the version
// the request addresses — to in's context when the operation acts on an
// existing object and one of the policies in play tests such a key: the
// lookup is a metadata read the common request need not pay. A missing
// object has no tags; the operation reports it missing.
func (d *decision) existingTags(in *policy.Input) error {
	const prefix = "s3:ExistingObjectTag/"
	r := &d.r
	if !r.ExistingObjectTags || r.Bucket == nil {
		return nil
	}
	used := in.Resource.UsesConditionKey(prefix)
	for _, doc := range append(in.Identity[:len(in.Identity):len(in.Identity)], in.Session...) {
		used = used || doc.UsesConditionKey(prefix)
	}
	if !used {
		return nil
	}
	if v, err := d.object(); err == nil {
		for _, t := range v.Tags {
			in.Request.Context[prefix+t.Key] = []string{t.Value}
		}
	}
	return nil
}
