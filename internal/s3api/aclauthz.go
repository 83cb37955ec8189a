package s3api

import (
	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Permissions S3 gives beyond the policies, found from the resource
// itself: the ACL of the object a request reads (aclAllows in authz.go),
// and the initiator's own say over its multipart upload.

// aclSubject is the object (or, with no key, the bucket) whose ACL
// aclAllows reads: the request's own, or a copy's source.
type aclSubject struct {
	bucket       *kura.Bucket
	key, version string
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
// principals whose own policies allow the action. An explicit Deny (d)
// still refuses.
func (az *authzState) initiatorAllows(action, resource string, in *policy.Input, d policy.Decision) (bool, error) {
	switch d.Reason {
	case policy.ExplicitDenyIdentity, policy.ExplicitDenyResource, policy.ExplicitDenySession:
		return false, nil
	}
	if action != "s3:AbortMultipartUpload" && action != "s3:ListMultipartUploadParts" {
		return false, nil
	}
	req := az.req
	uploadID := req.query.Get("uploadId")
	if req.anonymous() || az.bucket == nil || req.key == "" || uploadID == "" || resource != objectARN(req.bucket, req.key) {
		return false, nil
	}
	u, err := az.h.obj.Upload(req.Context(), req.bucket, req.key, uploadID)
	switch {
	case s3err.Is(err, s3err.NoSuchUpload):
		return false, nil // no upload to be the initiator of; the policy's answer stands
	case err != nil:
		return false, err
	case uploadInitiator(u) != req.identity.AccountID:
		return false, nil
	case az.root:
		return true, nil
	}
	self := *in
	self.Resource, self.ResourceAccount = nil, req.identity.AccountID
	return policy.Decide(&self).Allowed, nil
}

// initiatorOf is what CreateMultipartUpload records as the upload's
// Initiator: the caller's account when the upload's owner is another
// (Object Ownership gave the object to the bucket owner), else nothing.
func initiatorOf(req *request, owner string) string {
	if id := req.identity.AccountID; !req.anonymous() && id != owner {
		return id
	}
	return ""
}

// uploadInitiator is the account that started u.
func uploadInitiator(u *kura.Upload) string {
	if u.Initiator != "" {
		return u.Initiator
	}
	return u.Owner
}
