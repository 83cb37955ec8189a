package s3api

// More condition keys for authorization (requestConditions in authz.go
// collects the rest): the Referer, the ACL grant headers of a write, and
// the tags an existing object already carries.

import "github.com/kurastore/kura/internal/policy"

// existingTagOps are the operations S3 evaluates s3:ExistingObjectTag/<key>
// for: those acting on an object that is already there (Actions, resources
// and condition keys for Amazon S3, "ExistingObjectTag").
var existingTagOps = map[string]bool{
	"GetObject": true, "HeadObject": true, "GetObjectAcl": true, "PutObjectAcl": true,
	"GetObjectTagging": true, "PutObjectTagging": true, "DeleteObjectTagging": true,
	"GetObjectAttributes": true, "GetObjectRetention": true, "PutObjectRetention": true,
	"GetObjectLegalHold": true, "PutObjectLegalHold": true,
}

// extraConditions adds aws:Referer and s3:x-amz-grant-* to m
// (s3:ExistingObjectTag/<key> is existingTags', only when a policy asks).
func (h *Handler) extraConditions(req *request, m map[string][]string) {
	hdr := req.Header
	if v := hdr.Get("Referer"); v != "" {
		m["aws:Referer"] = []string{v}
	}
	for _, gh := range grantHeaders {
		if v := hdr.Get(gh.header); v != "" {
			m["s3:"+gh.header] = []string{v}
		}
	}
}

// existingTags adds s3:ExistingObjectTag/<key> — the tags of the version
// the request addresses — to in's context when the operation acts on an
// existing object and one of the policies in play tests such a key: the
// lookup is a metadata read the common request need not pay. A missing
// object has no tags; the operation reports it missing.
func (az *authzState) existingTags(in *policy.Input) {
	const prefix = "s3:ExistingObjectTag/"
	if !existingTagOps[az.op.Name] {
		return
	}
	used := in.Resource.UsesConditionKey(prefix)
	for _, d := range append(in.Identity[:len(in.Identity):len(in.Identity)], in.Session...) {
		used = used || d.UsesConditionKey(prefix)
	}
	if !used {
		return
	}
	if v, err := az.object(); err == nil {
		for _, t := range v.Tags {
			in.Request.Context[prefix+t.Key] = []string{t.Value}
		}
	}
}
