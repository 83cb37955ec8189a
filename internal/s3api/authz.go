package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/url"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Authorization of S3 requests. Every request route hands to an operation
// passes authorize first. The decision itself is internal/access's (the
// caller's identity and session policies, the bucket policy under Block
// Public Access, ACLs under Object Ownership, the initiator's and the
// missing-key rules; SPEC 7.1); this file translates the HTTP request
// into what access needs: the call (req.caller), the operation's actions
// and resources (ops.go), the bucket, the object it addresses and the
// request's own condition keys (requestConditions).
//
// Nothing that can change is cached across requests: the bucket (and its
// policy) and the caller's policies are read for every request that needs
// them, so a PutBucketPolicy or DeleteUserPolicy takes effect at once. Only
// compiled documents are cached, by their text (policy.Cache).

// authzState is one request's authorization: the bucket and what the
// decisions share (access.Memo), kept for the checks an operation makes
// later (DeleteObjects' keys, the governance bypass).
type authzState struct {
	h   *Handler
	req *request
	op  operation
	// bucket is the request's bucket as authorize loaded it; nil for
	// ListBuckets and CreateBucket.
	bucket *kura.Bucket
	memo   access.Memo
	// base is the request's own condition keys, once built.
	base map[string][]string
}

// authorize is the authorization step: it decides whether the caller may
// perform every action the request's operation needs (ops.go) on its
// resource, and for a copy, the read of the source. It runs after routing
// and before the operation acts.
func (h *Handler) authorize(req *request, rt *route) error {
	o, ok := opFor(req, rt)
	if !ok {
		// route picked an operation the table does not know: refuse
		// rather than let it run unchecked (TestEveryRouteHasAnOperation
		// keeps this from happening).
		return s3err.AccessDenied
	}
	az := &authzState{h: h, req: req, op: o}
	req.authz = az
	if req.bucket != "" && o.Name != "CreateBucket" {
		b, err := h.obj.Bucket(req.Context(), req.bucket)
		if err != nil {
			return err
		}
		req.trail.bucketOwner = b.Owner
		az.bucket = b
	}
	// S3 never locks the bucket owner's root out of the bucket policy
	// operations, whatever the policy says.
	if az.ownerRoot() && strings.HasSuffix(o.Name, "BucketPolicy") {
		return nil
	}
	if !o.PerKey { // DeleteObjects checks each key itself (allowed)
		for _, a := range o.Actions {
			if a == "s3:BypassGovernanceRetention" {
				// Decided by the operation only when a bypass would
				// matter (internal/ops): without the permission the
				// header is as good as absent.
				continue
			}
			if err := az.check(a, o.Resource, nil); err != nil {
				return err
			}
		}
	}
	if o.CopySource && o.SourceARN != "" {
		return az.checkCopySource()
	}
	return nil
}

// ownerRoot says the caller is the root user of the bucket owner's account.
func (az *authzState) ownerRoot() bool {
	return access.IsRoot(az.req.identity) && az.bucket != nil && az.bucket.Owner == az.req.identity.AccountID
}

// allowed checks one more action of the request's operation on resource,
// with extra condition keys; the operation calls it for what it can only
// know while running. A request that skipped authorize is refused.
func (req *request) allowed(action, resource string, extra map[string][]string) error {
	if req.authz == nil {
		return s3err.AccessDenied
	}
	return req.authz.check(action, resource, extra)
}

// check decides action on resource in the request's bucket (or, without
// one, in the caller's account), for the object the request addresses.
func (az *authzState) check(action, resource string, extra map[string][]string) error {
	req := az.req
	return az.decide(access.Request{
		Action: action, Resource: resource, Conditions: extra,
		Bucket: az.bucket, Key: req.key, VersionID: req.query.Get("versionId"), UploadID: req.query.Get("uploadId"),
		ExistingObjectTags: existingTagOps[az.op.Name], NewObject: writesNewObject[az.op.Name],
	})
}

// checkCopySource decides the read of a CopyObject or UploadPartCopy
// source: s3:GetObject (or s3:GetObjectVersion) on the source object, in
// its bucket's owner account and under its bucket's policy and ACLs. A
// source bucket that does not exist is left to the operation to report.
func (az *authzState) checkCopySource() error {
	o, req := az.op, az.req
	bucket, key, version, ok := parseCopySourceHeader(req.Header.Get("X-Amz-Copy-Source"))
	if !ok {
		return nil
	}
	sb, err := az.h.obj.Bucket(req.Context(), bucket)
	if err != nil {
		if s3err.As(err).Code == s3err.NoSuchBucket.Code {
			return nil
		}
		return err
	}
	extra := map[string][]string{}
	if version != "" {
		extra["s3:versionid"] = []string{version}
	}
	for _, a := range o.SourceActions {
		err := az.decide(access.Request{Action: a, Resource: o.SourceARN, Conditions: extra,
			Bucket: sb, Key: key, VersionID: version,
			// A copy onto itself reads the object the request addresses.
			CopySource: o.SourceARN != objectARN(req.bucket, req.key)})
		if err != nil {
			return err
		}
	}
	return nil
}

// decide completes r with the request's caller, condition keys and memo
// and asks access. A refusal is S3's AccessDenied: with AWS's enhanced
// message for callers of the resource's own account, "Access Denied" for
// anyone else (SPEC 7.1).
func (az *authzState) decide(r access.Request) error {
	r.Call = az.req.caller()
	r.LazyConditions = az.conditions
	r.Memo = &az.memo
	return ops.Denial(az.h.authorizer.Authorize(az.req.Context(), r))
}

// conditions is the request's own condition keys, built once: what its
// headers, query and (for a few operations) body carry. The global keys
// (aws:SourceIp, s3:authType, …) are access's, from req.caller().
func (az *authzState) conditions() (map[string][]string, error) {
	if az.base == nil {
		base, err := az.h.requestConditions(az.req, az.op)
		if err != nil {
			return nil, err
		}
		az.base = base
	}
	return az.base, nil
}

// existingTagOps are the operations S3 evaluates s3:ExistingObjectTag/<key>
// for: those acting on an object that is already there (Actions, resources
// and condition keys for Amazon S3, "ExistingObjectTag").
var existingTagOps = map[string]bool{
	"GetObject": true, "HeadObject": true, "GetObjectAcl": true, "PutObjectAcl": true,
	"GetObjectTagging": true, "PutObjectTagging": true, "DeleteObjectTagging": true,
	"GetObjectAttributes": true, "GetObjectRetention": true, "PutObjectRetention": true,
	"GetObjectLegalHold": true, "PutObjectLegalHold": true,
}

// writesNewObject are the operations whose ACL and tagging headers apply
// to the object they create (headerActions).
var writesNewObject = map[string]bool{"PutObject": true, "PostObject": true, "CopyObject": true, "CreateMultipartUpload": true}

// requestConditions collects the condition keys a request carries (SPEC
// 7.3). A key is present only when the request really carries it: absence
// is what Null and the negated operators test.
func (h *Handler) requestConditions(req *request, o operation) (map[string][]string, error) {
	m := map[string][]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = []string{v}
		}
	}
	now := h.obj.Now().UTC()
	id := req.identity
	set("s3:x-amz-content-sha256", req.Header.Get("X-Amz-Content-Sha256"))

	// Request headers, as sent.
	hdr := req.Header
	set("s3:x-amz-server-side-encryption", hdr.Get(keySSE))
	if v := hdr.Get(keySSEKMSKeyID); v != "" {
		set("s3:x-amz-server-side-encryption-aws-kms-key-id", kmsKeyARN(v, h.cfg.Region, id.AccountID))
	}
	set("s3:x-amz-server-side-encryption-customer-algorithm", hdr.Get(keySSECAlgorithm))
	set("s3:x-amz-copy-source", hdr.Get("X-Amz-Copy-Source"))
	set("s3:x-amz-metadata-directive", hdr.Get("X-Amz-Metadata-Directive"))
	set("s3:x-amz-storage-class", hdr.Get("X-Amz-Storage-Class"))
	set("s3:x-amz-acl", hdr.Get("X-Amz-Acl"))
	ops.LockConditions(m, hdr.Get("X-Amz-Object-Lock-Mode"), hdr.Get("X-Amz-Object-Lock-Retain-Until-Date"),
		hdr.Get("X-Amz-Object-Lock-Legal-Hold"), now)

	// Query parameters.
	q := req.query
	if _, ok := q["versionId"]; ok {
		m["s3:versionid"] = []string{q.Get("versionId")}
	}
	if o.Name == "ListObjects" || o.Name == "ListObjectVersions" {
		for _, k := range []string{"prefix", "delimiter", "max-keys"} {
			if _, ok := q[k]; ok {
				m["s3:"+k] = []string{q.Get(k)}
			}
		}
	}

	h.extraConditions(req, m)

	// What only the operation's body or state tells.
	switch o.Name {
	case "PutObject", "PostObject", "CopyObject", "CreateMultipartUpload":
		if v := hdr.Get("X-Amz-Tagging"); v != "" {
			if tags, err := url.ParseQuery(v); err == nil {
				ops.TagConditions(m, tags)
			}
		}
	case "PutObjectTagging":
		var t tagging
		if ok, err := peekXML(req, &t); err != nil {
			return nil, err
		} else if ok {
			tags := url.Values{}
			for _, x := range t.TagSet {
				tags.Add(x.Key, x.Value)
			}
			ops.TagConditions(m, tags)
		}
	case "PutObjectRetention":
		var r retentionXML
		if ok, err := peekXML(req, &r); err != nil {
			return nil, err
		} else if ok {
			ops.LockConditions(m, r.Mode, r.RetainUntilDate, "", now)
		}
	case "PutObjectLegalHold":
		var l legalHoldXML
		if ok, err := peekXML(req, &l); err != nil {
			return nil, err
		} else if ok {
			ops.LockConditions(m, "", "", l.Status, now)
		}
	case "UploadPart", "UploadPartCopy", "CompleteMultipartUpload":
		h.uploadEncryptionConditions(req, m)
	}
	return m, nil
}

// uploadEncryptionConditions gives UploadPart, UploadPartCopy and
// CompleteMultipartUpload the encryption their upload was created with
// when the request itself names none: S3 documents that those requests
// carry no SSE-S3/SSE-KMS headers, and a bucket policy requiring
// encryption (seed 002's) must not refuse every part of an encrypted
// upload (SPEC 7.3, [UNVERIFIED] recommendation). SSE-C keys are sent with
// every part, so the customer-algorithm key stays as sent.
func (h *Handler) uploadEncryptionConditions(req *request, m map[string][]string) {
	if req.Header.Get(keySSE) != "" {
		return
	}
	u, err := h.obj.Upload(req.Context(), req.bucket, req.key, req.query.Get("uploadId"))
	if err != nil {
		return // the operation reports NoSuchUpload
	}
	switch t := u.Encryption.Type; t {
	case kura.SSES3:
		m["s3:x-amz-server-side-encryption"] = []string{string(t)}
	case kura.SSEKMS, kura.SSEDSSE:
		m["s3:x-amz-server-side-encryption"] = []string{string(t)}
		if u.Encryption.KMSKeyARN != "" {
			m["s3:x-amz-server-side-encryption-aws-kms-key-id"] = []string{u.Encryption.KMSKeyARN}
		}
	}
}

// kmsKeyARN is ops.KMSKeyARN.
func kmsKeyARN(v, region, account string) string { return ops.KMSKeyARN(v, region, account) }

// peekXML reads a small XML request body for its condition keys and puts
// it back for the operation, which reads, verifies and parses it again. A
// body too large or not well-formed yields no keys; the operation refuses
// it with the proper error.
func peekXML(req *request, v any) (bool, error) {
	b, err := io.ReadAll(io.LimitReader(req.Body, maxXMLBody+1))
	if err != nil {
		return false, err
	}
	rest := req.Body
	req.Body = readCloser{io.MultiReader(bytes.NewReader(b), rest), rest}
	if len(b) > maxXMLBody {
		return false, nil
	}
	return xml.Unmarshal(b, v) == nil, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func tlsVersionName(v uint16) string {
	switch v {
	case 0x0301:
		return "1.0"
	case 0x0302:
		return "1.1"
	case 0x0303:
		return "1.2"
	case 0x0304:
		return "1.3"
	}
	return ""
}
