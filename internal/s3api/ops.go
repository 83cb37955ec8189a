package s3api

import (
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// operation describes one S3 API operation: what CloudTrail calls it, how
// it is audited, and what IAM must allow for it. The table below holds one
// per handler route can pick; opInfo finds the one for a request.
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

// opKey names a handler at one addressing level: a few handlers (getACL,
// putACL) serve both the bucket and the object variant of an operation.
type opKey struct {
	handler string
	level   opLevel
}

func acts(a ...string) []string { return a }

// operations maps each handler to its operation. Every handler route can
// return must have an entry (TestEveryRouteHasAnOperation).
var operations = map[opKey]operation{
	{"listBuckets", levelService}: {Name: "ListBuckets", ReadOnly: true, Actions: acts("s3:ListAllMyBuckets")},

	// Object Ownership: S3 has no separate permission to delete it.
	{"putBucketOwnershipControls", levelBucket}:    {Name: "PutBucketOwnershipControls", Actions: acts("s3:PutBucketOwnershipControls")},
	{"getBucketOwnershipControls", levelBucket}:    {Name: "GetBucketOwnershipControls", ReadOnly: true, Actions: acts("s3:GetBucketOwnershipControls")},
	{"deleteBucketOwnershipControls", levelBucket}: {Name: "DeleteBucketOwnershipControls", Actions: acts("s3:PutBucketOwnershipControls")},

	// Block Public Access: deleting needs the permission to put.
	{"putPublicAccessBlock", levelBucket}:    {Name: "PutPublicAccessBlock", Actions: acts("s3:PutBucketPublicAccessBlock")},
	{"getPublicAccessBlock", levelBucket}:    {Name: "GetPublicAccessBlock", ReadOnly: true, Actions: acts("s3:GetBucketPublicAccessBlock")},
	{"deletePublicAccessBlock", levelBucket}: {Name: "DeletePublicAccessBlock", Actions: acts("s3:PutBucketPublicAccessBlock")},

	// Bucket-level: management events, except object listings.
	{"createBucket", levelBucket}:           {Name: "CreateBucket", Actions: acts("s3:CreateBucket")},
	{"deleteBucket", levelBucket}:           {Name: "DeleteBucket", Actions: acts("s3:DeleteBucket")},
	{"headBucket", levelBucket}:             {Name: "HeadBucket", ReadOnly: true, Actions: acts("s3:ListBucket")},
	{"getBucketLocation", levelBucket}:      {Name: "GetBucketLocation", ReadOnly: true, Actions: acts("s3:GetBucketLocation")},
	{"putBucketVersioning", levelBucket}:    {Name: "PutBucketVersioning", Actions: acts("s3:PutBucketVersioning")},
	{"getBucketVersioning", levelBucket}:    {Name: "GetBucketVersioning", ReadOnly: true, Actions: acts("s3:GetBucketVersioning")},
	{"putBucketEncryption", levelBucket}:    {Name: "PutBucketEncryption", Actions: acts("s3:PutEncryptionConfiguration")},
	{"getBucketEncryption", levelBucket}:    {Name: "GetBucketEncryption", ReadOnly: true, Actions: acts("s3:GetEncryptionConfiguration")},
	{"deleteBucketEncryption", levelBucket}: {Name: "DeleteBucketEncryption", Actions: acts("s3:PutEncryptionConfiguration")},
	{"putBucketTagging", levelBucket}:       {Name: "PutBucketTagging", Actions: acts("s3:PutBucketTagging")},
	{"getBucketTagging", levelBucket}:       {Name: "GetBucketTagging", ReadOnly: true, Actions: acts("s3:GetBucketTagging")},
	{"deleteBucketTagging", levelBucket}:    {Name: "DeleteBucketTagging", Actions: acts("s3:PutBucketTagging")},
	{"putACL", levelBucket}:                 {Name: "PutBucketAcl", Actions: acts("s3:PutBucketAcl")},
	{"getACL", levelBucket}:                 {Name: "GetBucketAcl", ReadOnly: true, Actions: acts("s3:GetBucketAcl")},
	{"putBucketPolicy", levelBucket}:        {Name: "PutBucketPolicy", Actions: acts("s3:PutBucketPolicy")},
	{"getBucketPolicy", levelBucket}:        {Name: "GetBucketPolicy", ReadOnly: true, Actions: acts("s3:GetBucketPolicy")},
	{"deleteBucketPolicy", levelBucket}:     {Name: "DeleteBucketPolicy", Actions: acts("s3:DeleteBucketPolicy")},
	{"getBucketPolicyStatus", levelBucket}:  {Name: "GetBucketPolicyStatus", ReadOnly: true, Actions: acts("s3:GetBucketPolicyStatus")},
	{"putObjectLockConfig", levelBucket}:    {Name: "PutObjectLockConfiguration", Actions: acts("s3:PutBucketObjectLockConfiguration")},
	{"getObjectLockConfig", levelBucket}:    {Name: "GetObjectLockConfiguration", ReadOnly: true, Actions: acts("s3:GetBucketObjectLockConfiguration")},
	{"putBucketCors", levelBucket}:          {Name: "PutBucketCors", Actions: acts("s3:PutBucketCORS")},
	{"getBucketCors", levelBucket}:          {Name: "GetBucketCors", ReadOnly: true, Actions: acts("s3:GetBucketCORS")},
	{"deleteBucketCors", levelBucket}:       {Name: "DeleteBucketCors", Actions: acts("s3:PutBucketCORS")},
	{"putBucketLifecycle", levelBucket}:     {Name: "PutBucketLifecycleConfiguration", Actions: acts("s3:PutLifecycleConfiguration")},
	{"getBucketLifecycle", levelBucket}:     {Name: "GetBucketLifecycleConfiguration", ReadOnly: true, Actions: acts("s3:GetLifecycleConfiguration")},
	{"deleteBucketLifecycle", levelBucket}:  {Name: "DeleteBucketLifecycle", Actions: acts("s3:PutLifecycleConfiguration")},
	{"putBucketWebsite", levelBucket}:       {Name: "PutBucketWebsite", Actions: acts("s3:PutBucketWebsite")},
	{"getBucketWebsite", levelBucket}:       {Name: "GetBucketWebsite", ReadOnly: true, Actions: acts("s3:GetBucketWebsite")},
	{"deleteBucketWebsite", levelBucket}:    {Name: "DeleteBucketWebsite", Actions: acts("s3:DeleteBucketWebsite")},
	{"listObjectsV1", levelBucket}:          {Name: "ListObjects", Data: true, ReadOnly: true, Actions: acts("s3:ListBucket")},
	{"listObjectsV2", levelBucket}:          {Name: "ListObjects", Data: true, ReadOnly: true, Actions: acts("s3:ListBucket")},
	{"listVersions", levelBucket}:           {Name: "ListObjectVersions", Data: true, ReadOnly: true, Actions: acts("s3:ListBucketVersions")},
	{"listUploads", levelBucket}:            {Name: "ListMultipartUploads", Data: true, ReadOnly: true, Actions: acts("s3:ListBucketMultipartUploads")},
	{"deleteObjects", levelBucket}:          {Name: "DeleteObjects", Data: true, PerKey: true, Actions: acts("s3:DeleteObject"), VersionActions: nil},

	// Object-level: data events.
	{"putObject", levelObject}: {Name: "PutObject", Data: true, Object: true, SSE: true, Actions: acts("s3:PutObject")},
	{"copyObject", levelObject}: {Name: "CopyObject", Data: true, Object: true, SSE: true, CopySource: true,
		Actions: acts("s3:PutObject")},
	// A browser POST upload (postobject.go) writes like PutObject.
	{"postObject", levelObject}: {Name: "PostObject", Data: true, Object: true, SSE: true,
		Actions: acts("s3:PutObject")},
	{"getObject", levelObject}: {Name: "GetObject", Data: true, Object: true, ReadOnly: true,
		Actions: acts("s3:GetObject"), VersionActions: acts("s3:GetObjectVersion")},
	{"headObject", levelObject}: {Name: "HeadObject", Data: true, Object: true, ReadOnly: true,
		Actions: acts("s3:GetObject"), VersionActions: acts("s3:GetObjectVersion")},
	{"getObjectAttributes", levelObject}: {Name: "GetObjectAttributes", Data: true, Object: true, ReadOnly: true,
		Actions: acts("s3:GetObjectAttributes"), VersionActions: acts("s3:GetObjectVersionAttributes")},
	{"deleteObject", levelObject}: {Name: "DeleteObject", Data: true, Object: true,
		Actions: acts("s3:DeleteObject"), VersionActions: acts("s3:DeleteObjectVersion")},
	{"putObjectTagging", levelObject}: {Name: "PutObjectTagging", Data: true, Object: true,
		Actions: acts("s3:PutObjectTagging"), VersionActions: acts("s3:PutObjectVersionTagging")},
	{"getObjectTagging", levelObject}: {Name: "GetObjectTagging", Data: true, Object: true, ReadOnly: true,
		Actions: acts("s3:GetObjectTagging"), VersionActions: acts("s3:GetObjectVersionTagging")},
	{"deleteObjectTagging", levelObject}: {Name: "DeleteObjectTagging", Data: true, Object: true,
		Actions: acts("s3:DeleteObjectTagging"), VersionActions: acts("s3:DeleteObjectVersionTagging")},
	{"putACL", levelObject}: {Name: "PutObjectAcl", Data: true, Object: true,
		Actions: acts("s3:PutObjectAcl"), VersionActions: acts("s3:PutObjectVersionAcl")},
	{"getACL", levelObject}: {Name: "GetObjectAcl", Data: true, Object: true, ReadOnly: true,
		Actions: acts("s3:GetObjectAcl"), VersionActions: acts("s3:GetObjectVersionAcl")},
	{"createUpload", levelObject}:   {Name: "CreateMultipartUpload", Data: true, Object: true, SSE: true, Actions: acts("s3:PutObject")},
	{"uploadPart", levelObject}:     {Name: "UploadPart", Data: true, Object: true, Actions: acts("s3:PutObject")},
	{"uploadPartCopy", levelObject}: {Name: "UploadPartCopy", Data: true, Object: true, CopySource: true, Actions: acts("s3:PutObject")},
	{"completeUpload", levelObject}: {Name: "CompleteMultipartUpload", Data: true, Object: true, Actions: acts("s3:PutObject")},
	{"abortUpload", levelObject}:    {Name: "AbortMultipartUpload", Data: true, Object: true, Actions: acts("s3:AbortMultipartUpload")},
	{"listParts", levelObject}:      {Name: "ListParts", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:ListMultipartUploadParts")},
	// UpdateObjectEncryption needs both (SPEC 9 C2).
	{"updateObjectEncryption", levelObject}: {Name: "UpdateObjectEncryption", Data: true, Object: true,
		Actions: acts("s3:UpdateObjectEncryption", "s3:PutObject")},
	{"restoreObject", levelObject}:      {Name: "RestoreObject", Data: true, Object: true, Actions: acts("s3:RestoreObject")},
	{"putObjectRetention", levelObject}: {Name: "PutObjectRetention", Data: true, Object: true, Actions: acts("s3:PutObjectRetention")},
	{"getObjectRetention", levelObject}: {Name: "GetObjectRetention", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectRetention")},
	{"putObjectLegalHold", levelObject}: {Name: "PutObjectLegalHold", Data: true, Object: true, Actions: acts("s3:PutObjectLegalHold")},
	{"getObjectLegalHold", levelObject}: {Name: "GetObjectLegalHold", Data: true, Object: true, ReadOnly: true, Actions: acts("s3:GetObjectLegalHold")},
}

// opInfo returns the operation a request is routed to, with Actions,
// Resource and the copy source resolved for this request. ok is false when
// route would answer without calling an operation (unknown method or
// sub-resource). It only reads the request: call it after address() has
// set bucket and key and the query is parsed.
func opInfo(req *request) (operation, bool) {
	return opFor(req, pickOp(req))
}

// opFor is opInfo for the handler fn route picked for req (none: nil).
func opFor(req *request, fn op) (operation, bool) {
	if fn == nil {
		return operation{}, false
	}
	o, ok := operations[opKey{handlerName(fn), levelOf(req)}]
	if !ok {
		return operation{}, false
	}
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
		if b, k, version, ok := parseCopySourceHeader(req.Header.Get("x-amz-copy-source")); ok {
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
		if h.Get("x-amz-object-lock-mode") != "" || h.Get("x-amz-object-lock-retain-until-date") != "" {
			a = append(a, "s3:PutObjectRetention")
		}
		if h.Get("x-amz-object-lock-legal-hold") != "" {
			a = append(a, "s3:PutObjectLegalHold")
		}
		if h.Get("x-amz-tagging") != "" {
			a = append(a, "s3:PutObjectTagging")
		}
		if h.Get("x-amz-acl") != "" {
			a = append(a, "s3:PutObjectAcl")
		}
	case "DeleteObject", "DeleteObjects", "PutObjectRetention":
		if strings.EqualFold(h.Get("x-amz-bypass-governance-retention"), "true") {
			a = append(a, "s3:BypassGovernanceRetention")
		}
	}
	return a
}

// pickOp is route's choice of handler without running it; nil before
// the query is parsed.
func pickOp(req *request) op {
	if req.query == nil {
		return nil
	}
	return routeOp(req)
}

// routeOp picks the handler for a request from its method, addressing and
// sub-resources, the way S3's REST API does (nil: none serves it).
func routeOp(req *request) op {
	has := func(k string) bool { _, ok := req.query[k]; return ok }
	switch levelOf(req) {
	case levelService:
		if req.Method == http.MethodGet {
			return (*Handler).listBuckets
		}
		return nil
	case levelBucket:
		return bucketOp(req, has)
	}
	return objectOp(req, has)
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

// handlerName is the method name of a method expression such as
// (*Handler).putObject: "putObject".
func handlerName(fn op) string {
	pc := reflect.ValueOf(fn).Pointer()
	if name, ok := handlerNames.Load(pc); ok {
		return name.(string)
	}
	name := runtime.FuncForPC(pc).Name()
	name = strings.TrimSuffix(name[strings.LastIndexByte(name, '.')+1:], "-fm")
	handlerNames.Store(pc, name)
	return name
}

// handlerNames caches handlerName by code pointer: every request asks.
var handlerNames sync.Map // uintptr → string

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
