package s3api

// More condition keys for authorization (requestConditions in authz.go
// collects the rest): the Referer, the ACL grant headers of a write, and
// the tags an existing object already carries.

// existingTagOps are the operations S3 evaluates s3:ExistingObjectTag/<key>
// for: those acting on an object that is already there (Actions, resources
// and condition keys for Amazon S3, "ExistingObjectTag").
var existingTagOps = map[string]bool{
	"GetObject": true, "HeadObject": true, "GetObjectAcl": true, "PutObjectAcl": true,
	"GetObjectTagging": true, "PutObjectTagging": true, "DeleteObjectTagging": true,
	"GetObjectAttributes": true, "GetObjectRetention": true, "PutObjectRetention": true,
	"GetObjectLegalHold": true, "PutObjectLegalHold": true,
}

// extraConditions adds aws:Referer, s3:x-amz-grant-* and
// s3:ExistingObjectTag/<key> to m.
func (h *Handler) extraConditions(req *request, o operation, m map[string][]string) {
	hdr := req.Header
	if v := hdr.Get("Referer"); v != "" {
		m["aws:Referer"] = []string{v}
	}
	for _, gh := range grantHeaders {
		if v := hdr.Get(gh.header); v != "" {
			m["s3:"+gh.header] = []string{v}
		}
	}
	if existingTagOps[o.Name] {
		h.existingTagConditions(req, m)
	}
}

// existingTagConditions sets s3:ExistingObjectTag/<key> to the tags of the
// version the request addresses. A missing object has no tags; the
// operation reports it missing.
func (h *Handler) existingTagConditions(req *request, m map[string][]string) {
	v, err := h.obj.Head(req.Context(), req.bucket, req.key, req.query.Get("versionId"))
	if err != nil {
		return
	}
	for _, t := range v.Tags {
		m["s3:ExistingObjectTag/"+t.Key] = []string{t.Value}
	}
}
