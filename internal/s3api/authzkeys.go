package s3api

// More condition keys for authorization (requestConditions in authz.go
// collects the rest): the ACL grant headers of a write. aws:Referer is
// access's, from the call's Source; the tags an existing object already
// carries too (access.Request.ExistingObjectTags).

// extraConditions adds s3:x-amz-grant-* to m.
func (h *Handler) extraConditions(req *request, m map[string][]string) {
	hdr := req.Header
	for _, gh := range grantHeaders {
		if v := hdr.Get(gh.header); v != "" {
			m["s3:"+gh.header] = []string{v}
		}
	}
}
