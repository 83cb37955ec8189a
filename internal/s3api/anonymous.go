package s3api

import (
	"strings"

	"github.com/kurastore/kura/internal/s3err"
)

// Anonymous requests. An unsigned S3 request is not refused outright: it
// is routed and authorized like any other, with the anonymous principal,
// and succeeds only where a bucket policy grants Principal "*" (authz.go)
// or an ACL grants AllUsers (acl.go). KMS, IAM and STS serve signed
// requests only, and so does S3 for SSE-KMS objects (kmsNeedsSigV4).

// anonymous says the request is unsigned.
func (req *request) anonymous() bool {
	return req.auth != nil && req.auth.Anonymous
}

// serveAnonymous serves an unsigned request. req.identity stays empty:
// nothing an anonymous caller does is attributed to an account, and the
// audit event records CloudTrail's anonymous identity (audit.go).
func (h *Handler) serveAnonymous(req *request) error {
	if strings.HasPrefix(req.Header.Get("X-Amz-Target"), "TrentService.") || req.bucket == "" {
		// KMS requests, and anything addressed to the service itself
		// (ListBuckets, the IAM and STS query APIs): S3 lists nobody's
		// buckets to an anonymous caller.
		return s3err.AccessDenied
	}
	return h.route(req)
}
