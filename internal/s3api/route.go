package s3api

import (
	"net/http"

	"github.com/kurastore/kura/internal/s3err"
)

// op is one S3 operation handler.
type op func(h *Handler, req *request) error

// unsupported lists sub-resources Kura knows but does not serve yet, so they
// answer NotImplemented instead of falling through to another operation.
var unsupported = []string{
	"accelerate", "analytics", "intelligent-tiering", "inventory",
	"logging", "metrics", "notification",
	"replication", "requestPayment",
	"select", "torrent", "metadataTable", "session", "renameObject",
}

// reserved is every sub-resource that names an operation of its own: a
// request carrying one must never fall through to the plain bucket or
// object operation (DELETE ?retention must not delete the object).
var reserved = append([]string{"object-lock", "legal-hold", "retention", "restore", "policy", "policyStatus", "cors", "lifecycle", "ownershipControls", "publicAccessBlock", "website"}, unsupported...)

// route picks the operation for a request from its method, addressing and
// sub-resources, the way S3's REST API does.
func (h *Handler) route(req *request) error {
	has := func(k string) bool { _, ok := req.query[k]; return ok }
	fn := routeOp(req)
	if fn == nil {
		for _, s := range unsupported {
			if has(s) {
				return s3err.NotImplemented.WithMessage("Kura does not implement the %q sub-resource yet.", s)
			}
		}
		return s3err.MethodNotAllowed.With("Method", req.Method).With("ResourceType", resourceType(req))
	}
	for _, s := range unsupported {
		if has(s) {
			return s3err.NotImplemented.WithMessage("Kura does not implement the %q sub-resource yet.", s)
		}
	}
	if err := h.authorize(req, fn); err != nil {
		return err
	}
	return fn(h, req)
}

func resourceType(req *request) string {
	switch {
	case req.bucket == "":
		return "SERVICE"
	case req.key == "":
		return "BUCKET"
	}
	return "OBJECT"
}

func bucketOp(req *request, has func(string) bool) op {
	switch req.Method {
	case http.MethodPut:
		switch {
		case has("versioning"):
			return (*Handler).putBucketVersioning
		case has("encryption"):
			return (*Handler).putBucketEncryption
		case has("tagging"):
			return (*Handler).putBucketTagging
		case has("acl"):
			return (*Handler).putACL
		case has("object-lock"):
			return (*Handler).putObjectLockConfig
		case has("policy"):
			return (*Handler).putBucketPolicy
		case has("cors"):
			return (*Handler).putBucketCors
		case has("lifecycle"):
			return (*Handler).putBucketLifecycle
		case has("ownershipControls"):
			return (*Handler).putBucketOwnershipControls
		case has("publicAccessBlock"):
			return (*Handler).putPublicAccessBlock
		case has("website"):
			return (*Handler).putBucketWebsite
		case !hasAny(has, reserved):
			return (*Handler).createBucket
		}
	case http.MethodGet:
		switch {
		case has("location"):
			return (*Handler).getBucketLocation
		case has("versioning"):
			return (*Handler).getBucketVersioning
		case has("encryption"):
			return (*Handler).getBucketEncryption
		case has("tagging"):
			return (*Handler).getBucketTagging
		case has("acl"):
			return (*Handler).getACL
		case has("object-lock"):
			return (*Handler).getObjectLockConfig
		case has("policyStatus"):
			return (*Handler).getBucketPolicyStatus
		case has("policy"):
			return (*Handler).getBucketPolicy
		case has("cors"):
			return (*Handler).getBucketCors
		case has("lifecycle"):
			return (*Handler).getBucketLifecycle
		case has("ownershipControls"):
			return (*Handler).getBucketOwnershipControls
		case has("publicAccessBlock"):
			return (*Handler).getPublicAccessBlock
		case has("website"):
			return (*Handler).getBucketWebsite
		case has("uploads"):
			return (*Handler).listUploads
		case has("versions"):
			return (*Handler).listVersions
		case req.query.Get("list-type") == "2":
			return (*Handler).listObjectsV2
		case !hasAny(has, reserved):
			return (*Handler).listObjectsV1
		}
	case http.MethodHead:
		return (*Handler).headBucket
	case http.MethodDelete:
		switch {
		case has("tagging"):
			return (*Handler).deleteBucketTagging
		case has("encryption"):
			return (*Handler).deleteBucketEncryption
		case has("policy"):
			return (*Handler).deleteBucketPolicy
		case has("cors"):
			return (*Handler).deleteBucketCors
		case has("lifecycle"):
			return (*Handler).deleteBucketLifecycle
		case has("ownershipControls"):
			return (*Handler).deleteBucketOwnershipControls
		case has("publicAccessBlock"):
			return (*Handler).deletePublicAccessBlock
		case has("website"):
			return (*Handler).deleteBucketWebsite
		case !hasAny(has, reserved):
			return (*Handler).deleteBucket
		}
	case http.MethodPost:
		if has("delete") {
			return (*Handler).deleteObjects
		}
	}
	return nil
}

func objectOp(req *request, has func(string) bool) op {
	switch req.Method {
	case http.MethodPut:
		switch {
		case has("encryption"):
			return (*Handler).updateObjectEncryption
		case has("tagging"):
			return (*Handler).putObjectTagging
		case has("acl"):
			return (*Handler).putACL
		case has("retention"):
			return (*Handler).putObjectRetention
		case has("legal-hold"):
			return (*Handler).putObjectLegalHold
		case has("uploadId") && req.Header.Get("x-amz-copy-source") != "":
			return (*Handler).uploadPartCopy
		case has("uploadId"):
			return (*Handler).uploadPart
		case hasAny(has, reserved):
			return nil
		case req.Header.Get("x-amz-copy-source") != "":
			return (*Handler).copyObject
		default:
			return (*Handler).putObject
		}
	case http.MethodGet:
		switch {
		case has("tagging"):
			return (*Handler).getObjectTagging
		case has("acl"):
			return (*Handler).getACL
		case has("retention"):
			return (*Handler).getObjectRetention
		case has("legal-hold"):
			return (*Handler).getObjectLegalHold
		case has("uploadId"):
			return (*Handler).listParts
		case has("attributes"):
			return (*Handler).getObjectAttributes
		case !hasAny(has, reserved):
			return (*Handler).getObject
		}
	case http.MethodHead:
		return (*Handler).headObject
	case http.MethodDelete:
		switch {
		case has("tagging"):
			return (*Handler).deleteObjectTagging
		case has("uploadId"):
			return (*Handler).abortUpload
		case !hasAny(has, reserved):
			return (*Handler).deleteObject
		}
	case http.MethodPost:
		switch {
		case req.post != nil: // a POST form, addressed to its bucket (servePost)
			return (*Handler).postObject
		case has("uploads"):
			return (*Handler).createUpload
		case has("uploadId"):
			return (*Handler).completeUpload
		case has("restore"):
			return (*Handler).restoreObject
		}
	}
	return nil
}

func hasAny(has func(string) bool, names []string) bool {
	for _, n := range names {
		if has(n) {
			return true
		}
	}
	return false
}
