package s3api

// Objects the bucket owner does not own. In a bucket whose ACLs are
// enabled, an object written by another account belongs to that account,
// and S3 lets only its owner decide who may read it or its ACL: "a bucket
// owner cannot grant permissions on objects it does not own" (Amazon S3
// User Guide, "How Amazon S3 authorizes a request for an object
// operation"). The policies of the bucket owner's account (its bucket
// policy, its users' policies, its root's implicit rights) then grant
// nothing on the object; its ACL still can, and an explicit Deny in them
// still refuses. The bucket owner keeps the bucket-level rights: deleting
// the object is a WRITE on the bucket, not an object permission.

// foreignObject says action on resource addresses the request's own
// object, whose owner is neither the bucket owner nor the caller's
// account, and is one an object ACL governs (aclPermissions).
func (az *authzState) foreignObject(action, resource string) bool {
	b, req := az.bucket, az.req
	if b == nil || !aclsEnabled(b) || req.key == "" || !aclPermissions[action].object || resource != objectARN(req.bucket, req.key) {
		return false
	}
	v, err := az.object()
	if err != nil {
		return false
	}
	o := objectOwner(req, v)
	return o != "" && o != b.Owner && (req.anonymous() || o != req.identity.AccountID)
}
