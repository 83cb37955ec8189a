package s3api

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"maps"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Authorization of S3 requests. Every request route hands to an operation
// passes authorize first, with AWS's evaluation logic (SPEC 7.1, done by
// internal/policy): the caller's identity policies (and session policies
// of a role session), the bucket policy of the bucket the request
// addresses, the bucket owner's account as the resource account, and the
// request's condition keys. Within the bucket owner's account an identity
// policy or the bucket policy allowing is enough; from another account both
// must allow; an explicit Deny anywhere wins. The bucket owner's root is
// allowed unless the bucket policy denies it.
//
// Nothing that can change is cached across requests: the bucket (and its
// policy) and the caller's policies are read for every request that needs
// them, so a PutBucketPolicy or DeleteUserPolicy takes effect at once. Only
// compiled documents are cached, by their text (policy.Cache).

// authzState is one request's authorization: the bucket and the policies
// that bear on it, loaded once by authorize and reused by the checks an
// operation makes later (DeleteObjects' keys, the governance bypass).
type authzState struct {
	h    *Handler
	req  *request
	op   operation
	root bool
	// bucket is the request's bucket as authorize loaded it; nil for
	// ListBuckets and CreateBucket.
	bucket *kura.Bucket

	policiesLoaded    bool
	identity, session []*policy.Document
	base              map[string][]string // condition keys of the request, once built

	// obj is the version the request addresses (its bucket, key and
	// versionId) and objErr the lookup's error, once object has looked.
	objLoaded bool
	obj       *kura.ObjectVersion
	objErr    error
	// policies are the effective bucket policies (effectivePolicy) of the
	// buckets this request has been decided against, by name.
	policies map[string]*policy.Document

	// copySource is a copy's source as checkCopySource found it, for the
	// source object's ACL (aclAllows); nil otherwise.
	copySource *aclSubject
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
	id := req.identity
	az := &authzState{h: h, req: req, op: o,
		root: id.Type == iam.TypeRoot || (id.Type == "" && strings.HasSuffix(id.ARN, ":root"))}
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
				// Asked by the Object Lock code only when a bypass would
				// matter (mayBypassGovernance): without the permission the
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
	return az.root && az.bucket != nil && az.bucket.Owner == az.req.identity.AccountID
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
// one, in the caller's account).
func (az *authzState) check(action, resource string, extra map[string][]string) error {
	owner := az.req.identity.AccountID
	var bp *policy.Document
	if b := az.bucket; b != nil {
		owner = b.Owner
		var err error
		if bp, err = az.effectivePolicy(b); err != nil {
			return err
		}
	}
	return az.decide(action, resource, owner, bp, extra)
}

// checkCopySource decides the read of a CopyObject or UploadPartCopy
// source: s3:GetObject (or s3:GetObjectVersion) on the source object, in
// its bucket's owner account and under its bucket's policy. A source
// bucket that does not exist is left to the operation to report.
func (az *authzState) checkCopySource() error {
	o := az.op
	bucket, key, version, ok := parseCopySourceHeader(az.req.Header.Get("x-amz-copy-source"))
	if !ok {
		return nil
	}
	sb, err := az.h.obj.Bucket(az.req.Context(), bucket)
	if err != nil {
		if s3err.As(err).Code == s3err.NoSuchBucket.Code {
			return nil
		}
		return err
	}
	bp, err := az.effectivePolicy(sb)
	if err != nil {
		return err
	}
	extra := map[string][]string{}
	if version != "" {
		extra["s3:versionid"] = []string{version}
	}
	az.copySource = &aclSubject{bucket: sb, key: key, version: version}
	for _, a := range o.SourceActions {
		if err := az.decide(a, o.SourceARN, sb.Owner, bp, extra); err != nil {
			return err
		}
	}
	return nil
}

// decide evaluates one action. owner is the account owning the resource;
// bp its bucket policy (nil: none).
func (az *authzState) decide(action, resource, owner string, bp *policy.Document, extra map[string][]string) error {
	id := az.req.identity
	anonymous := az.req.anonymous()
	foreign := az.foreignObject(action, resource)
	if az.root && owner == id.AccountID && bp == nil && !foreign {
		return nil // an account's root in its own account, nothing to deny it
	}
	evalResource := resource
	if resource == "*" {
		// ListAllMyBuckets: "*" and "arn:aws:s3:::*" both grant it.
		evalResource = "arn:aws:s3:::*"
	}
	ctx, err := az.context(owner, extra)
	if err != nil {
		return err
	}
	in := &policy.Input{
		Request: policy.Request{
			Principal: policy.Principal{AccountID: id.AccountID, ARN: id.ARN, RoleARN: id.RoleARN, CanonicalID: id.CanonicalID, Anonymous: anonymous},
			Action:    action,
			Resource:  evalResource,
			Context:   ctx,
		},
		ResourceAccount: owner,
		IsRoot:          az.root,
		Resource:        bp,
	}
	if !az.root && !anonymous { // an anonymous caller has no policies of its own
		if err := az.loadPolicies(); err != nil {
			return err
		}
		in.Identity, in.Session = az.identity, az.session
	}
	az.existingTags(in)
	d := policy.Decide(in)
	if d.Allowed && !foreign {
		return nil
	}
	if ok, err := az.aclAllows(action, resource, in, d); err != nil {
		return err
	} else if ok {
		return nil
	}
	if ok, err := az.initiatorAllows(action, resource, in, d); err != nil {
		return err
	} else if ok {
		return nil
	}
	if ok, err := az.listableMissingKey(action, resource, in, d); err != nil {
		return err
	} else if ok {
		return nil
	}
	// Callers of the resource's own account learn why (S3's enhanced
	// messages); others get the plain text (SPEC 7.1).
	msg := "Access Denied"
	if owner == id.AccountID && !anonymous {
		msgResource := resource
		if resource == "*" {
			msgResource = ""
		}
		msg = d.Message(id.ARN, action, msgResource, policy.QuotedResource)
	}
	return s3err.AccessDenied.WithMessage("%s", msg)
}

// loadPolicies reads the caller's identity and session policies, once per
// request.
func (az *authzState) loadPolicies() error {
	if az.policiesLoaded {
		return nil
	}
	if f := az.h.cfg.Policies; f != nil {
		id, ses, err := f(az.req.Context(), az.req.principal())
		if err != nil {
			// A missing policy might have denied: never decide without.
			return s3err.InternalError.Wrap(err)
		}
		az.identity, az.session = id, ses
	}
	az.policiesLoaded = true
	return nil
}

// bucketPolicy is a bucket's compiled policy (nil when it has none). A
// stored policy that no longer parses fails the request: it might hold a
// Deny.
func (h *Handler) bucketPolicy(b *kura.Bucket) (*policy.Document, error) {
	if b.Policy == "" {
		return nil, nil
	}
	d, err := h.policies.Parse(b.Policy, policy.Resource)
	if err != nil {
		h.log.Error("stored bucket policy does not parse", "bucket", b.Name, "err", err)
		return nil, s3err.InternalError.Wrap(err)
	}
	return d, nil
}

// context is the request's condition keys for a resource owned by owner,
// plus extra.
func (az *authzState) context(owner string, extra map[string][]string) (map[string][]string, error) {
	if az.base == nil {
		base, err := az.h.requestConditions(az.req, az.op)
		if err != nil {
			return nil, err
		}
		az.base = base
	}
	m := maps.Clone(az.base)
	m["s3:ResourceAccount"] = []string{owner}
	for k, v := range extra {
		m[k] = v
	}
	return m, nil
}

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
	set("aws:SecureTransport", strconv.FormatBool(req.TLS != nil))
	if ip, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		set("aws:SourceIp", ip)
	}
	set("aws:CurrentTime", now.Format(time.RFC3339))
	set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	set("aws:RequestedRegion", h.cfg.Region)
	set("aws:userid", id.PrincipalID)
	set("aws:ViaAWSService", "false")

	// How the request was signed and carried.
	if req.auth != nil && req.auth.SignatureVersion == "2" {
		set("s3:signatureversion", "AWS")
	} else {
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
	}
	if req.post != nil {
		set("s3:authType", "POST")
	} else if req.auth != nil && req.auth.Presigned {
		set("s3:authType", "REST-QUERY-STRING")
	} else {
		set("s3:authType", "REST-HEADER")
	}
	set("s3:x-amz-content-sha256", req.Header.Get("x-amz-content-sha256"))
	if req.TLS != nil {
		v := tlsVersionName(req.TLS.Version)
		set("s3:TlsVersion", v)
	}

	// Request headers, as sent.
	hdr := req.Header
	set("s3:x-amz-server-side-encryption", hdr.Get(hdrSSE))
	if v := hdr.Get(hdrSSEKMSKeyID); v != "" {
		set("s3:x-amz-server-side-encryption-aws-kms-key-id", kmsKeyARN(v, h.cfg.Region, id.AccountID))
	}
	set("s3:x-amz-server-side-encryption-customer-algorithm", hdr.Get(hdrSSECAlgorithm))
	set("s3:x-amz-copy-source", hdr.Get("x-amz-copy-source"))
	set("s3:x-amz-metadata-directive", hdr.Get("x-amz-metadata-directive"))
	set("s3:x-amz-storage-class", hdr.Get("x-amz-storage-class"))
	set("s3:x-amz-acl", hdr.Get("x-amz-acl"))
	lockConditions(m, hdr.Get("x-amz-object-lock-mode"), hdr.Get("x-amz-object-lock-retain-until-date"),
		hdr.Get("x-amz-object-lock-legal-hold"), now)

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
		if v := hdr.Get("x-amz-tagging"); v != "" {
			if tags, err := url.ParseQuery(v); err == nil {
				tagConditions(m, tags)
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
			tagConditions(m, tags)
		}
	case "PutObjectRetention":
		var r retentionXML
		if ok, err := peekXML(req, &r); err != nil {
			return nil, err
		} else if ok {
			lockConditions(m, r.Mode, r.RetainUntilDate, "", now)
		}
	case "PutObjectLegalHold":
		var l legalHoldXML
		if ok, err := peekXML(req, &l); err != nil {
			return nil, err
		} else if ok {
			lockConditions(m, "", "", l.Status, now)
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
	if req.Header.Get(hdrSSE) != "" {
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

// kmsKeyARN is the value of s3:x-amz-server-side-encryption-aws-kms-key-id
// for a key named in a request: policies compare it as a key ARN (SPEC
// 7.3), so a bare key id or alias name is expanded in the caller's region
// and account, where S3 resolves it.
func kmsKeyARN(v, region, account string) string {
	switch {
	case strings.HasPrefix(v, "arn:"):
		return v
	case strings.HasPrefix(v, "alias/"):
		return "arn:aws:kms:" + region + ":" + account + ":" + v
	}
	return "arn:aws:kms:" + region + ":" + account + ":key/" + v
}

// tagConditions sets s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys.
func tagConditions(m map[string][]string, tags url.Values) {
	if len(tags) == 0 {
		return
	}
	keys := slices.Sorted(maps.Keys(tags))
	for _, k := range keys {
		m["s3:RequestObjectTag/"+k] = tags[k]
	}
	m["s3:RequestObjectTagKeys"] = keys
}

// lockConditions sets the s3:object-lock-* keys of a write that asks for
// a retention or a legal hold.
func lockConditions(m map[string][]string, mode, until, hold string, now time.Time) {
	if mode != "" {
		m["s3:object-lock-mode"] = []string{mode}
	}
	if until != "" {
		m["s3:object-lock-retain-until-date"] = []string{until}
		if t, ok := parseRetainUntil(until); ok {
			days := int(math.Ceil(t.Sub(now).Hours() / 24))
			m["s3:object-lock-remaining-retention-days"] = []string{strconv.Itoa(max(days, 0))}
		}
	}
	if hold != "" {
		m["s3:object-lock-legal-hold"] = []string{hold}
	}
}

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

// PoliciesFunc returns the identity-based and session policies of a
// principal (none for an account's root); see Config.Policies.
type PoliciesFunc func(ctx context.Context, p iam.Principal) (identity, session []*policy.Document, err error)

// allowedDelete is DeleteObjects' check of one key: s3:DeleteObject, or
// s3:DeleteObjectVersion for a version, as a DeleteObject of that key
// would need. A refusal becomes that key's <Error>, not the request's.
func allowedDelete(req *request, key, versionID string) error {
	if versionID == "" {
		return req.allowed("s3:DeleteObject", objectARN(req.bucket, key), nil)
	}
	return req.allowed("s3:DeleteObjectVersion", objectARN(req.bucket, key),
		map[string][]string{"s3:versionid": {versionID}})
}

// uoeKeyActions is what UpdateObjectEncryption needs from the target KMS
// key: seed 003's kms:Encrypt, kms:Decrypt, kms:GenerateDataKey and
// kms:ReEncrypt* (both halves). Which of them the re-seal really calls
// depends on the source encryption; all are checked so that the
// documented permission set is exactly what the operation requires.
var uoeKeyActions = []string{"Encrypt", "Decrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo"}

// authorizeUOEKey checks UpdateObjectEncryption's target key before
// anything is re-sealed: it must be the bucket owner's (seed 003's
// AccessDenied otherwise; Organizations-wide keys are not modelled), and
// the caller must hold every permission of uoeKeyActions on it through S3,
// with the encryption context the new seal will carry.
func (h *Handler) authorizeUOEKey(req *request, b *kura.Bucket, t object.EncryptionTarget) error {
	if parts := strings.Split(t.KMSKeyARN, ":"); len(parts) < 5 || parts[4] != b.Owner {
		return object.ErrUOEKeyAccount
	}
	arn := objectARN(req.bucket, req.key)
	if t.BucketKey {
		arn = bucketARN(req.bucket)
	}
	return h.obj.KeyPermitted(req.Context(), object.KeyAccess{Caller: req.caller()}, t.KMSKeyARN,
		map[string]string{"aws:s3:arn": arn}, uoeKeyActions...)
}

// aclPermissions maps the actions an ACL can allow to the permissions
// that allow them, and says whether the grant is read from the object's
// ACL (else the bucket's). FULL_CONTROL allows them all.
var aclPermissions = map[string]struct {
	perm   string
	object bool
}{
	"s3:ListBucket":                 {permRead, false},
	"s3:ListBucketVersions":         {permRead, false},
	"s3:ListBucketMultipartUploads": {permRead, false},
	"s3:PutObject":                  {permWrite, false},
	"s3:DeleteObject":               {permWrite, false},
	"s3:DeleteObjectVersion":        {permWrite, false},
	"s3:GetBucketAcl":               {permReadACP, false},
	"s3:PutBucketAcl":               {permWriteACP, false},
	"s3:GetObject":                  {permRead, true},
	"s3:GetObjectVersion":           {permRead, true},
	"s3:GetObjectTorrent":           {permRead, true},
	"s3:GetObjectAcl":               {permReadACP, true},
	"s3:GetObjectVersionAcl":        {permReadACP, true},
	"s3:PutObjectAcl":               {permWriteACP, true},
	"s3:PutObjectVersionAcl":        {permWriteACP, true},
}

// writesNewObject are the operations whose ACL and tagging headers apply
// to the object they create (headerActions).
var writesNewObject = map[string]bool{"PutObject": true, "PostObject": true, "CopyObject": true, "CreateMultipartUpload": true}

// aclAllows is ACL evaluation, AWS's: in a bucket whose ACLs are enabled
// (Object Ownership other than BucketOwnerEnforced), a grant in the
// bucket's or the object's ACL is one more way to be allowed, alongside
// the policies (d is their decision). An explicit Deny in any policy still
// wins. A grant to a canonical user is a grant to its account: its root,
// and its IAM principals whose own policies allow the action (as a
// bucket policy naming another account would be); AllUsers is anyone,
// anonymous callers included; AuthenticatedUsers any signed request.
// The request's own bucket and object are considered, and a copy's source
// object (in its own bucket) for the read of it.
func (az *authzState) aclAllows(action, resource string, in *policy.Input, d policy.Decision) (bool, error) {
	switch d.Reason {
	case policy.ExplicitDenyIdentity, policy.ExplicitDenyResource, policy.ExplicitDenySession:
		return false, nil
	}
	req := az.req
	on := aclSubject{bucket: az.bucket, key: req.key, version: req.query.Get("versionId")}
	if src := az.copySource; src != nil && src.key != "" && resource == objectARN(src.bucket.Name, src.key) {
		on = *src
	}
	b := on.bucket
	need, ok := aclPermissions[action]
	if (action == "s3:PutObjectAcl" || action == "s3:PutObjectTagging") && writesNewObject[az.op.Name] {
		// The x-amz-acl or x-amz-tagging of a write describe the object
		// being created, which has no ACL yet to grant WRITE_ACP: the
		// bucket's WRITE that lets the caller create it lets it set them
		// (an anonymous form to a public-read-write bucket may say
		// acl=public-read, as in S3).
		need, ok = aclPermissions["s3:PutObject"], true
	}
	if b == nil || !ok || !aclsEnabled(b) {
		return false, nil
	}
	owner, acl := b.Owner, b.ACL
	if need.object {
		if on.key == "" || resource != objectARN(b.Name, on.key) {
			return false, nil
		}
		v, err := az.subjectObject(on)
		switch {
		case err == nil:
			owner, acl = objectOwner(req, v), v.ACL
		case need.perm == permRead && s3err.Is(err, s3err.NoSuchKey):
			// No object, so no object ACL: S3 answers a read of a missing
			// key 404 to whoever may list the bucket (the bucket ACL's
			// READ), 403 to anyone else, so the read is let through to
			// find the key missing exactly when listing would have shown it.
			need = aclPermissions["s3:ListBucket"]
		default:
			return false, nil // nothing to grant on; the policy's answer stands
		}
	}
	grants := []kura.Grant{{Type: "CanonicalUser", ID: az.h.ownerOf(req, owner).ID, Permission: permFullControl}}
	if acl != nil {
		grants = acl.Grants
	}
	anonymous := req.anonymous()
	granted := false
	for _, g := range grants {
		if g.Permission != need.perm && g.Permission != permFullControl || publicGrant(g) && ignoresPublicACLs(b) {
			continue
		}
		switch {
		case g.Type == "Group" && g.URI == groupAllUsers,
			g.Type == "Group" && g.URI == groupAuthenticated && !anonymous,
			g.Type == "CanonicalUser" && !anonymous && g.ID == req.identity.CanonicalID:
			granted = true
		}
	}
	if !granted || anonymous || az.root {
		return granted, nil
	}
	// An IAM principal needs its own account's permission too: its
	// identity (and session) policies, evaluated as in its own account.
	self := *in
	self.Resource, self.ResourceAccount = nil, req.identity.AccountID
	return policy.Decide(&self).Allowed, nil
}

// object is the version the request addresses, looked up once for all the
// checks that need it (foreign ownership, existing tags, ACL grants, the
// missing-key rule).
func (az *authzState) object() (*kura.ObjectVersion, error) {
	if !az.objLoaded {
		req := az.req
		az.obj, az.objErr = az.h.obj.Head(req.Context(), req.bucket, req.key, req.query.Get("versionId"))
		az.objLoaded = true
	}
	return az.obj, az.objErr
}

// subjectObject is the version whose ACL aclAllows reads: the request's
// own (looked up once, object) or a copy's source.
func (az *authzState) subjectObject(on aclSubject) (*kura.ObjectVersion, error) {
	req := az.req
	if on.bucket == az.bucket && on.key == req.key && on.version == req.query.Get("versionId") {
		return az.object()
	}
	return az.h.obj.Head(req.Context(), on.bucket.Name, on.key, on.version)
}
