package s3api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// operation describes one S3 API operation: what CloudTrail calls it, how
// it is audited, and what IAM must allow for it. Each route (route.go)
// carries its own; opInfo resolves the one for a request.
type operation struct {
	// Name is the S3 API name, which is also the CloudTrail eventName
	// (ListObjectsV2 is logged as ListObjects, as CloudTrail does).
	Name string
	// Data marks a CloudTrail data event (object-level APIs and object
	// listings); the rest are management events.
	Data     bool
	ReadOnly bool
	// Object says the operation acts on an object (resource
	// arn:aws:s3:::bucket/key); otherwise on the bucket, or on no resource
	// for ListBuckets.
	Object bool
	// Actions are the IAM actions the request needs, all of them. opInfo
	// replaces them with VersionActions when the request names a versionId.
	Actions        []string
	VersionActions []string
	// CopySource marks operations that also read the object named by
	// x-amz-copy-source; opInfo fills SourceActions and SourceARN.
	CopySource bool
	// PerKey marks DeleteObjects: Actions apply to each key in the body,
	// so they are checked per key by the handler, not against Resource.
	PerKey bool
	// SSE marks operations that pick a new object's encryption; their audit
	// event carries SSEApplied.
	SSE bool

	// Set by opInfo for one request.
	Resource      string   // ARN the Actions apply to ("*" for ListBuckets)
	SourceActions []string // for CopySource: s3:GetObject or s3:GetObjectVersion
	SourceARN     string
}

type opLevel uint8

const (
	levelService opLevel = iota // no bucket in the request
	levelBucket
	levelObject
)

func acts(a ...string) []string { return a }

// opInfo returns the operation a request is routed to, with Actions,
// Resource and the copy source resolved for this request. ok is false when
// route would answer without calling an operation (unknown method or
// sub-resource). It only reads the request: call it after address() has
// set bucket and key and the query is parsed.
func opInfo(req *request) (operation, bool) {
	return opFor(req, pickRoute(req))
}

// opFor is rt's operation resolved for req (no route: none).
func opFor(req *request, rt *route) (operation, bool) {
	if rt == nil {
		return operation{}, false
	}
	o := rt.operation
	if _, v := req.query["versionId"]; v && o.VersionActions != nil {
		o.Actions = o.VersionActions
	}
	switch {
	case req.bucket == "":
		o.Resource = "*"
	case o.Object:
		o.Resource = objectARN(req.bucket, req.key)
	default:
		o.Resource = bucketARN(req.bucket)
	}
	o.Actions = append(slices.Clip(o.Actions), headerActions(req, o.Name)...)
	if o.CopySource {
		if b, k, version, ok := parseCopySourceHeader(req.Header.Get("X-Amz-Copy-Source")); ok {
			o.SourceARN = objectARN(b, k)
			o.SourceActions = acts("s3:GetObject")
			if version != "" {
				o.SourceActions = acts("s3:GetObjectVersion")
			}
		}
	}
	return o, true
}

// headerActions are the extra actions request headers call for: setting
// Object Lock, tags or an ACL while writing, bypassing governance mode.
func headerActions(req *request, name string) []string {
	var a []string
	h := req.Header
	switch name {
	case "PutObject", "PostObject", "CopyObject", "CreateMultipartUpload":
		if h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "" {
			a = append(a, "s3:PutObjectRetention")
		}
		if h.Get("X-Amz-Object-Lock-Legal-Hold") != "" {
			a = append(a, "s3:PutObjectLegalHold")
		}
		if h.Get("X-Amz-Tagging") != "" {
			a = append(a, "s3:PutObjectTagging")
		}
		if h.Get("X-Amz-Acl") != "" {
			a = append(a, "s3:PutObjectAcl")
		}
	case "DeleteObject", "DeleteObjects", "PutObjectRetention":
		if strings.EqualFold(h.Get("X-Amz-Bypass-Governance-Retention"), "true") {
			a = append(a, "s3:BypassGovernanceRetention")
		}
	}
	return a
}

func levelOf(req *request) opLevel {
	switch {
	case req.bucket == "":
		return levelService
	case req.key == "":
		return levelBucket
	}
	return levelObject
}

func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

// parseCopySourceHeader splits x-amz-copy-source ("/bucket/key?versionId=v",
// URL-encoded, leading slash optional).
func parseCopySourceHeader(h string) (bucket, key, versionID string, ok bool) {
	src, query, _ := strings.Cut(h, "?")
	src, err := url.PathUnescape(strings.TrimPrefix(src, "/"))
	if err != nil {
		return "", "", "", false
	}
	bucket, key, ok = strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", false
	}
	if q, err := url.ParseQuery(query); err == nil {
		versionID = q.Get("versionId")
	}
	return bucket, key, versionID, true
}

// fallbackName names a request no operation serves, for its audit event:
// the verb and the sub-resource the way S3 names them (GET ?cors on a
// bucket is GetBucketCors), else the bare verb and resource type.
func fallbackName(req *request) string {
	verb := map[string]string{http.MethodGet: "Get", http.MethodHead: "Head", http.MethodPut: "Put",
		http.MethodPost: "Post", http.MethodDelete: "Delete", http.MethodOptions: "Options"}[req.Method]
	if verb == "" {
		verb = "Unknown"
	}
	noun := "Object"
	switch levelOf(req) {
	case levelService:
		return verb + "Service"
	case levelBucket:
		noun = "Bucket"
	}
	for _, s := range append(namedSubResources, unsupported...) {
		if _, ok := req.query[s]; ok {
			for _, part := range strings.Split(s, "-") {
				noun += strings.ToUpper(part[:1]) + part[1:]
			}
			return verb + noun
		}
	}
	return verb + noun
}

// namedSubResources are sub-resources with operations of their own, for
// fallbackName (a DELETE ?retention is not a DeleteObject).
var namedSubResources = []string{"acl", "attributes", "cors", "encryption", "lifecycle", "legal-hold", "location", "object-lock",
	"policy", "publicAccessBlock", "restore", "retention", "tagging", "versioning"}
