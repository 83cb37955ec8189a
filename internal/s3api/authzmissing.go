package s3api

import (
	"maps"

	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// listableMissingKey applies S3's rule for reads of keys that do not
// exist: the answer is 404 NoSuchKey to a caller who may list the bucket
// and 403 to anyone else (GetObject/HeadObject: "If the object you request
// doesn't exist, the error that Amazon S3 returns depends on whether you
// also have the s3:ListBucket permission"). A read the policies deny only
// implicitly is therefore let through — to find the key missing — when the
// key does not exist and the same policies allow s3:ListBucket on the
// bucket with s3:prefix set to the key, the listing that would have shown
// its absence. An explicit Deny still wins; ACL grants are aclAllows'.
func (az *authzState) listableMissingKey(action, resource string, in *policy.Input, d policy.Decision) (bool, error) {
	switch d.Reason {
	case policy.ExplicitDenyIdentity, policy.ExplicitDenyResource, policy.ExplicitDenySession:
		return false, nil
	}
	req, b := az.req, az.bucket
	if action != "s3:GetObject" && action != "s3:GetObjectVersion" || b == nil || req.key == "" ||
		resource != objectARN(b.Name, req.key) {
		return false, nil
	}
	if _, err := az.object(); !s3err.Is(err, s3err.NoSuchKey) {
		return false, nil
	}
	list := *in
	list.Request.Action = "s3:ListBucket"
	list.Request.Resource = bucketARN(b.Name)
	list.Request.Context = maps.Clone(in.Request.Context)
	if list.Request.Context == nil {
		list.Request.Context = map[string][]string{}
	}
	list.Request.Context["s3:prefix"] = []string{req.key}
	return policy.Decide(&list).Allowed, nil
}
