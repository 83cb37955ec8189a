package s3api

import (
	"net/http"

	"github.com/kurastore/kura/internal/s3err"
)

// op is one S3 operation handler.
type op func(h *Handler, req *request) error

// route binds one S3 operation in one place: where it is served (the
// addressing level, the method, the sub-resource and any further condition
// that selects it), what it is (its operation: the name the audit trail and
// the metrics use, the IAM actions it needs) and the handler that serves
// it.
type route struct {
	level  opLevel
	method string
	// sub is the query parameter that selects the route ("acl",
	// "uploadId"); "" for none.
	sub string
	// when, if set, must also hold (a copy source header, a V2 listing).
	when func(req *request) bool
	// plain routes are the bare bucket or object operations: a request
	// naming any reserved sub-resource never falls through to them (DELETE
	// ?retention must not delete the object).
	plain   bool
	handler op
	operation
}

// routes is S3's REST API as Kura serves it; the first route that matches
// a request serves it.
var routes = []route{
	// service GET
	{level: levelService, method: http.MethodGet, handler: (*Handler).listBuckets,
		operation: operation{Name: "ListBuckets", ReadOnly: true, Actions: acts("s3:ListAllMyBuckets")}},

	// bucket PUT
	{level: levelBucket, method: http.MethodPut, sub: "versioning", handler: (*Handler).putBucketVersioning,
		operation: operation{Name: "PutBucketVersioning", Actions: acts("s3:PutBucketVersioning")}},
	{level: levelBucket, method: http.MethodPut, sub: "encryption", handler: (*Handler).putBucketEncryption,
		operation: operation{Name: "PutBucketEncryption", Actions: acts("s3:PutEncryptionConfiguration")}},
	{level: levelBucket, method: http.MethodPut, sub: "tagging", handler: (*Handler).putBucketTagging,
		operation: operation{Name: "PutBucketTagging", Actions: acts("s3:PutBucketTagging")}},
	{level: levelBucket, method: http.MethodPut, sub: "acl", handler: (*Handler).putACL,
		operation: operation{Name: "PutBucketAcl", Actions: acts("s3:PutBucketAcl")}},
	{level: levelBucket, method: http.MethodPut, sub: "object-lock", handler: (*Handler).putObjectLockConfig,
		operation: operation{Name: "PutObjectLockConfiguration", Actions: acts("s3:PutBucketObjectLockConfiguration")}},
	{level: levelBucket, method: http.MethodPut, sub: "policy", handler: (*Handler).putBucketPolicy,
		operation: operation{Name: "PutBucketPolicy", Actions: acts("s3:PutBucketPolicy")}},
	{level: levelBucket, method: http.MethodPut, sub: "cors", handler: (*Handler).putBucketCors,
		operation: operation{Name: "PutBucketCors", Actions: acts("s3:PutBucketCORS")}},
	{level: levelBucket, method: http.MethodPut, sub: "lifecycle", handler: (*Handler).putBucketLifecycle,
		operation: operation{Name: "PutBucketLifecycleConfiguration", Actions: acts("s3:PutLifecycleConfiguration")}},
	// Object Ownership: S3 has no separate permission to delete it.
	{level: levelBucket, method: http.MethodPut, sub: "ownershipControls", handler: (*Handler).putBucketOwnershipControls,
		operation: operation{Name: "PutBucketOwnershipControls", Actions: acts("s3:PutBucketOwnershipControls")}},
	// Block Public Access: deleting needs the permission to put.
	{level: levelBucket, method: http.MethodPut, sub: "publicAccessBlock", handler: (*Handler).putPublicAccessBlock,
		operation: operation{Name: "PutPublicAccessBlock", Actions: acts("s3:PutBucketPublicAccessBlock")}},
	{level: levelBucket, method: http.MethodPut, sub: "website", handler: (*Handler).putBucketWebsite,
		operation: operation{Name: "PutBucketWebsite", Actions: acts("s3:PutBucketWebsite")}},
	{level: levelBucket, method: http.MethodPut, sub: "inventory", handler: (*Handler).putBucketInventory,
		operation: operation{Name: "PutBucketInventoryConfiguration", Actions: acts("s3:PutInventoryConfiguration")}},
	{level: levelBucket, method: http.MethodPut, sub: "logging", handler: (*Handler).putBucketLogging,
		operation: operation{Name: "PutBucketLogging", Actions: acts("s3:PutBucketLogging")}},
	{level: levelBucket, method: http.MethodPut, sub: "replication", handler: (*Handler).putBucketReplication,
		operation: operation{Name: "PutBucketReplication", Actions: acts("s3:PutReplicationConfiguration")}},
	{level: levelBucket, method: http.MethodPut, plain: true, handler: (*Handler).createBucket,
		operation: operation{Name: "CreateBucket", Actions: acts("s3:CreateBucket")}},

	// bucket GET
	{level: levelBucket, method: http.MethodGet, sub: "location", handler: (*Handler).getBucketLocation,
		operation: operation{Name: "GetBucketLocation", ReadOnly: true, Actions: acts("s3:GetBucketLocation")}},
	{level: levelBucket, method: http.MethodGet, sub: "versioning", handler: (*Handler).getBucketVersioning,
		operation: operation{Name: "GetBucketVersioning", ReadOnly: true, Actions: acts("s3:GetBucketVersioning")}},
	{level: levelBucket, method: http.MethodGet, sub: "encryption", handler: (*Handler).getBucketEncryption,
		operation: operation{Name: "GetBucketEncryption", ReadOnly: true, Actions: acts("s3:GetEncryptionConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "tagging", handler: (*Handler).getBucketTagging,
		operation: operation{Name: "GetBucketTagging", ReadOnly: true, Actions: acts("s3:GetBucketTagging")}},
	{level: levelBucket, method: http.MethodGet, sub: "acl", handler: (*Handler).getACL,
		operation: operation{Name: "GetBucketAcl", ReadOnly: true, Actions: acts("s3:GetBucketAcl")}},
	{level: levelBucket, method: http.MethodGet, sub: "object-lock", handler: (*Handler).getObjectLockConfig,
		operation: operation{Name: "GetObjectLockConfiguration", ReadOnly: true, Actions: acts("s3:GetBucketObjectLockConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "policyStatus", handler: (*Handler).getBucketPolicyStatus,
		operation: operation{Name: "GetBucketPolicyStatus", ReadOnly: true, Actions: acts("s3:GetBucketPolicyStatus")}},
	{level: levelBucket, method: http.MethodGet, sub: "policy", handler: (*Handler).getBucketPolicy,
		operation: operation{Name: "GetBucketPolicy", ReadOnly: true, Actions: acts("s3:GetBucketPolicy")}},
	{level: levelBucket, method: http.MethodGet, sub: "cors", handler: (*Handler).getBucketCors,
		operation: operation{Name: "GetBucketCors", ReadOnly: true, Actions: acts("s3:GetBucketCORS")}},
	{level: levelBucket, method: http.MethodGet, sub: "lifecycle", handler: (*Handler).getBucketLifecycle,
		operation: operation{Name: "GetBucketLifecycleConfiguration", ReadOnly: true, Actions: acts("s3:GetLifecycleConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "ownershipControls", handler: (*Handler).getBucketOwnershipControls,
		operation: operation{Name: "GetBucketOwnershipControls", ReadOnly: true, Actions: acts("s3:GetBucketOwnershipControls")}},
	{level: levelBucket, method: http.MethodGet, sub: "publicAccessBlock", handler: (*Handler).getPublicAccessBlock,
		operation: operation{Name: "GetPublicAccessBlock", ReadOnly: true, Actions: acts("s3:GetBucketPublicAccessBlock")}},
	{level: levelBucket, method: http.MethodGet, sub: "website", handler: (*Handler).getBucketWebsite,
		operation: operation{Name: "GetBucketWebsite", ReadOnly: true, Actions: acts("s3:GetBucketWebsite")}},
	{level: levelBucket, method: http.MethodGet, sub: "inventory", when: hasID, handler: (*Handler).getBucketInventory,
		operation: operation{Name: "GetBucketInventoryConfiguration", ReadOnly: true, Actions: acts("s3:GetInventoryConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "inventory", handler: (*Handler).listBucketInventory,
		operation: operation{Name: "ListBucketInventoryConfigurations", ReadOnly: true, Actions: acts("s3:GetInventoryConfiguration")}},
	// Kura's own: the replicator's figures for the bucket's rules
	// (`kura replication status`); whoever may read the configuration.
	{level: levelBucket, method: http.MethodGet, sub: "replication", when: hasStatus, handler: (*Handler).getBucketReplicationStatus,
		operation: operation{Name: "KuraGetBucketReplicationStatus", ReadOnly: true, Actions: acts("s3:GetReplicationConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "logging", handler: (*Handler).getBucketLogging,
		operation: operation{Name: "GetBucketLogging", ReadOnly: true, Actions: acts("s3:GetBucketLogging")}},
	{level: levelBucket, method: http.MethodGet, sub: "replication", handler: (*Handler).getBucketReplication,
		operation: operation{Name: "GetBucketReplication", ReadOnly: true, Actions: acts("s3:GetReplicationConfiguration")}},
	{level: levelBucket, method: http.MethodGet, sub: "uploads", handler: (*Handler).listUploads,
		operation: operation{Name: "ListMultipartUploads", Data: true, ReadOnly: true, Actions: acts("s3:ListBucketMultipartUploads")}},
	{level: levelBucket, method: http.MethodGet, sub: "versions", handler: (*Handler).listVersions,
		operation: operation{Name: "ListObjectVersions", Data: true, ReadOnly: true, Actions: acts("s3:ListBucketVersions")}},
	{level: levelBucket, method: http.MethodGet, when: listV2, handler: (*Handler).listObjectsV2,
		operation: operation{Name: "ListObjects", Data: true, ReadOnly: true, Actions: acts("s3:ListBucket")}},
	{level: levelBucket, method: http.MethodGet, plain: true, handler: (*Handler).listObjectsV1,
		operation: operation{Name: "ListObjects", Data: true, ReadOnly: true, Actions: acts("s3:ListBucket")}},

	// bucket HEAD
	{level: levelBucket, method: http.MethodHead, handler: (*Handler).headBucket,
		operation: operation{Name: "HeadBucket", ReadOnly: true, Actions: acts("s3:ListBucket")}},

	// bucket DELETE
	{level: levelBucket, method: http.MethodDelete, sub: "tagging", handler: (*Handler).deleteBucketTagging,
		operation: operation{Name: "DeleteBucketTagging", Actions: acts("s3:PutBucketTagging")}},
	{level: levelBucket, method: http.MethodDelete, sub: "encryption", handler: (*Handler).deleteBucketEncryption,
		operation: operation{Name: "DeleteBucketEncryption", Actions: acts("s3:PutEncryptionConfiguration")}},
	{level: levelBucket, method: http.MethodDelete, sub: "policy", handler: (*Handler).deleteBucketPolicy,
		operation: operation{Name: "DeleteBucketPolicy", Actions: acts("s3:DeleteBucketPolicy")}},
	{level: levelBucket, method: http.MethodDelete, sub: "cors", handler: (*Handler).deleteBucketCors,
		operation: operation{Name: "DeleteBucketCors", Actions: acts("s3:PutBucketCORS")}},
	{level: levelBucket, method: http.MethodDelete, sub: "lifecycle", handler: (*Handler).deleteBucketLifecycle,
		operation: operation{Name: "DeleteBucketLifecycle", Actions: acts("s3:PutLifecycleConfiguration")}},
	{level: levelBucket, method: http.MethodDelete, sub: "ownershipControls", handler: (*Handler).deleteBucketOwnershipControls,
		operation: operation{Name: "DeleteBucketOwnershipControls", Actions: acts("s3:PutBucketOwnershipControls")}},
	{level: levelBucket, method: http.MethodDelete, sub: "publicAccessBlock", handler: (*Handler).deletePublicAccessBlock,
		operation: operation{Name: "DeletePublicAccessBlock", Actions: acts("s3:PutBucketPublicAccessBlock")}},
	// Deleting a website configuration that is not there succeeds (S3).
	{level: levelBucket, method: http.MethodDelete, sub: "website", handler: (*Handler).deleteBucketWebsite,
		operation: operation{Name: "DeleteBucketWebsite", Actions: acts("s3:DeleteBucketWebsite")}},
	// Inventory: S3 has no separate permission to delete a configuration.
	{level: levelBucket, method: http.MethodDelete, sub: "inventory", handler: (*Handler).deleteBucketInventory,
		operation: operation{Name: "DeleteBucketInventoryConfiguration", Actions: acts("s3:PutInventoryConfiguration")}},
	// Replication: S3 has no separate permission to delete a configuration.
	{level: levelBucket, method: http.MethodDelete, sub: "replication", handler: (*Handler).deleteBucketReplication,
		operation: operation{Name: "DeleteBucketReplication", Actions: acts("s3:PutReplicationConfiguration")}},
	{level: levelBucket, method: http.MethodDelete, plain: true, handler: (*Handler).deleteBucket,
		operation: operation{Name: "DeleteBucket", Actions: acts("s3:DeleteBucket")}},

	// bucket POST
	{level: levelBucket, method: http.MethodPost, sub: "delete", handler: (*Handler).deleteObjects,
		operation: operation{Name: "DeleteObjects", Data: true, PerKey: true, Actions: acts("s3:DeleteObject"), VersionActions: nil}},

	// Kura's own: produce an inventory report now (`kura inventory run`);
	// whoever may configure inventory may run it.
	{level: levelBucket, method: http.MethodPost, sub: "inventory", handler: (*Handler).runBucketInventory,
		operation: operation{Name: "KuraRunBucketInventory", Actions: acts("s3:PutInventoryConfiguration")}},

	// object PUT
	// UpdateObjectEncryption needs both (SPEC 9 C2).
	{level: levelObject, method: http.MethodPut, sub: "encryption", handler: (*Handler).updateObjectEncryption,
		operation: operation{Name: "UpdateObjectEncryption", Data: true, Object: true, Actions: acts("s3:UpdateObjectEncryption", "s3:PutObject")}},
	{level: levelObject, method: http.MethodPut, sub: "tagging", handler: (*Handler).putObjectTagging,
		operation: operation{Name: "PutObjectTagging", Data: true, Object: true, Actions: acts("s3:PutObjectTagging"), VersionActions: acts("s3:PutObjectVersionTagging")}},
	{level: levelObject, method: http.MethodPut, sub: "acl", handler: (*Handler).putACL,
		operation: operation{Name: "PutObjectAcl", Data: true, Object: true, Actions: acts("s3:PutObjectAcl"), VersionActions: acts("s3:PutObjectVersionAcl")}},
	{level: levelObject, method: http.MethodPut, sub: "retention", handler: (*Handler).putObjectRetention,
		operation: operation{Name: "PutObjectRetention", Data: true, Object: true, Actions: acts("s3:PutObjectRetention")}},
	{level: levelObject, method: http.MethodPut, sub: "legal-hold", handler: (*Handler).putObjectLegalHold,
		operation: operation{Name: "PutObjectLegalHold", Data: true, Object: true, Actions: acts("s3:PutObjectLegalHold")}},
	{level: levelObject, method: http.MethodPut, sub: "uploadId", when: copySource, handler: (*Handler).uploadPartCopy,
		operation: operation{Name: "UploadPartCopy", Data: true, Object: true, CopySource: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPut, sub: "uploadId", handler: (*Handler).uploadPart,
		operation: operation{Name: "UploadPart", Data: true, Object: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPut, when: copySource, plain: true, handler: (*Handler).copyObject,
		operation: operation{Name: "CopyObject", Data: true, Object: true, SSE: true, CopySource: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPut, plain: true, handler: (*Handler).putObject,
		operation: operation{Name: "PutObject", Data: true, Object: true, SSE: true, Actions: acts("s3:PutObject")}},

	// object GET
	{level: levelObject, method: http.MethodGet, sub: "tagging", handler: (*Handler).getObjectTagging,
		operation: operation{Name: "GetObjectTagging", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectTagging"), VersionActions: acts("s3:GetObjectVersionTagging")}},
	{level: levelObject, method: http.MethodGet, sub: "acl", handler: (*Handler).getACL,
		operation: operation{Name: "GetObjectAcl", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectAcl"), VersionActions: acts("s3:GetObjectVersionAcl")}},
	{level: levelObject, method: http.MethodGet, sub: "retention", handler: (*Handler).getObjectRetention,
		operation: operation{Name: "GetObjectRetention", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectRetention")}},
	{level: levelObject, method: http.MethodGet, sub: "legal-hold", handler: (*Handler).getObjectLegalHold,
		operation: operation{Name: "GetObjectLegalHold", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectLegalHold")}},
	{level: levelObject, method: http.MethodGet, sub: "uploadId", handler: (*Handler).listParts,
		operation: operation{Name: "ListParts", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:ListMultipartUploadParts")}},
	{level: levelObject, method: http.MethodGet, sub: "attributes", handler: (*Handler).getObjectAttributes,
		operation: operation{Name: "GetObjectAttributes", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectAttributes"), VersionActions: acts("s3:GetObjectVersionAttributes")}},
	{level: levelObject, method: http.MethodGet, plain: true, handler: (*Handler).getObject,
		operation: operation{Name: "GetObject", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObject"), VersionActions: acts("s3:GetObjectVersion")}},

	// object HEAD
	{level: levelObject, method: http.MethodHead, handler: (*Handler).headObject,
		operation: operation{Name: "HeadObject", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObject"), VersionActions: acts("s3:GetObjectVersion")}},

	// object DELETE
	{level: levelObject, method: http.MethodDelete, sub: "tagging", handler: (*Handler).deleteObjectTagging,
		operation: operation{Name: "DeleteObjectTagging", Data: true, Object: true, Actions: acts("s3:DeleteObjectTagging"), VersionActions: acts("s3:DeleteObjectVersionTagging")}},
	{level: levelObject, method: http.MethodDelete, sub: "uploadId", handler: (*Handler).abortUpload,
		operation: operation{Name: "AbortMultipartUpload", Data: true, Object: true, Actions: acts("s3:AbortMultipartUpload")}},
	{level: levelObject, method: http.MethodDelete, plain: true, handler: (*Handler).deleteObject,
		operation: operation{Name: "DeleteObject", Data: true, Object: true, Actions: acts("s3:DeleteObject"), VersionActions: acts("s3:DeleteObjectVersion")}},

	// object POST
	// A browser POST upload (postobject.go) writes like PutObject.
	{level: levelObject, method: http.MethodPost, when: postForm, handler: (*Handler).postObject,
		operation: operation{Name: "PostObject", Data: true, Object: true, SSE: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPost, sub: "uploads", handler: (*Handler).createUpload,
		operation: operation{Name: "CreateMultipartUpload", Data: true, Object: true, SSE: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPost, sub: "uploadId", handler: (*Handler).completeUpload,
		operation: operation{Name: "CompleteMultipartUpload", Data: true, Object: true, Actions: acts("s3:PutObject")}},
	{level: levelObject, method: http.MethodPost, sub: "restore", handler: (*Handler).restoreObject,
		operation: operation{Name: "RestoreObject", Data: true, Object: true, Actions: acts("s3:RestoreObject")}},
}

func copySource(req *request) bool { return req.Header.Get("X-Amz-Copy-Source") != "" }
func listV2(req *request) bool     { return req.query.Get("list-type") == "2" }
func postForm(req *request) bool   { return req.post != nil } // a browser POST upload, addressed to its bucket (servePost)

// unsupported lists sub-resources Kura knows but does not serve yet, so they
// answer NotImplemented instead of falling through to another operation.
var unsupported = []string{
	"accelerate", "analytics", "intelligent-tiering",
	"metrics", "notification",
	"requestPayment",
	"select", "torrent", "metadataTable", "session", "renameObject",
}

// reserved is every sub-resource that names an operation of its own: a
// request carrying one must never fall through to the plain bucket or
// object operation (DELETE ?retention must not delete the object).
var reserved = append([]string{"object-lock", "legal-hold", "retention", "restore", "policy", "policyStatus", "cors", "lifecycle", "ownershipControls", "publicAccessBlock", "website", "inventory", "replication", "logging"}, unsupported...)

// route serves a request: the operation its method, addressing and
// sub-resources select, the way S3's REST API does, once authorized.
func (h *Handler) route(req *request) error {
	for _, s := range unsupported {
		if _, ok := req.query[s]; ok {
			return s3err.NotImplemented.WithMessage("Kura does not implement the %q sub-resource yet.", s)
		}
	}
	rt := pickRoute(req)
	if rt == nil && req.Method == http.MethodPost && req.bucket != "" && req.key == "" && len(req.query) == 0 {
		// A POST to a bucket is a browser form upload (isPostForm); with
		// any other body S3 names the broken condition rather than the method.
		return s3err.PreconditionFailed.With("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
	}
	if rt == nil {
		return s3err.MethodNotAllowed.With("Method", req.Method).With("ResourceType", resourceType(req))
	}
	if err := h.authorize(req, rt); err != nil {
		return err
	}
	return rt.handler(h, req)
}

// pickRoute is the route that serves req, nil if none does (or before the
// query is parsed).
func pickRoute(req *request) *route {
	if req.query == nil {
		return nil
	}
	level := levelOf(req)
	for i := range routes {
		rt := &routes[i]
		if rt.level != level || rt.method != req.Method {
			continue
		}
		if rt.sub != "" {
			if _, ok := req.query[rt.sub]; !ok {
				continue
			}
		}
		if rt.when != nil && !rt.when(req) {
			continue
		}
		if rt.plain && hasReserved(req) {
			continue
		}
		return rt
	}
	return nil
}

func hasReserved(req *request) bool {
	for _, n := range reserved {
		if _, ok := req.query[n]; ok {
			return true
		}
	}
	return false
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
