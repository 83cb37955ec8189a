package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket settings and the object edits that S3 makes with a copy: each
// handler is the same ops calls the S3 requests would be, as the
// session's principal.

func (c *Console) bucketRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /console/api/buckets", c.authed(c.createBucket))
	m.HandleFunc("GET /console/api/bucket", c.authed(c.bucketSettings))
	m.HandleFunc("DELETE /console/api/bucket", c.authed(c.deleteBucket))
	m.HandleFunc("PUT /console/api/bucket/encryption", c.authed(c.putBucketEncryption))
	m.HandleFunc("PUT /console/api/bucket/versioning", c.authed(c.putBucketVersioning))
	m.HandleFunc("PUT /console/api/object/retention", c.authed(c.putRetention))
	m.HandleFunc("PUT /console/api/object/legalhold", c.authed(c.putLegalHold))
	m.HandleFunc("POST /console/api/object/copy", c.authed(c.copyInPlace))
}

// encryptionInput is a bucket default encryption as the console sends it.
type encryptionInput struct {
	Type      string `json:"type"` // SSE-S3, SSE-KMS, DSSE-KMS
	KMSKeyID  string `json:"kmsKeyId"`
	BucketKey bool   `json:"bucketKey"`
}

func (e encryptionInput) bucketEncryption() (kura.BucketEncryption, error) {
	out := kura.BucketEncryption{KMSMasterKeyID: strings.TrimSpace(e.KMSKeyID), BucketKeyEnabled: e.BucketKey}
	switch e.Type {
	case "SSE-S3", "":
		out.Algorithm = kura.SSES3
	case "SSE-KMS":
		out.Algorithm = kura.SSEKMS
	case "DSSE-KMS":
		out.Algorithm = kura.SSEDSSE
	default:
		return out, s3err.InvalidArgument.WithMessage("The default encryption must be SSE-S3, SSE-KMS or DSSE-KMS, not %q.", e.Type)
	}
	return out, nil
}

func decode(w http.ResponseWriter, r *http.Request, v any, example string) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The body must be JSON: "+example+".")
		return false
	}
	return true
}

// createBucket makes a bucket with the settings chosen at creation:
// CreateBucket (with Object Lock), then PutBucketVersioning and
// PutBucketEncryption, as the aws CLI would in three requests. A setting
// that fails after the bucket exists is reported with the bucket named,
// not undone.
func (c *Console) createBucket(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		Name       string           `json:"name"`
		Versioning bool             `json:"versioning"`
		ObjectLock bool             `json:"objectLock"`
		Encryption *encryptionInput `json:"encryption"`
	}
	if !decode(w, r, &in, `{"name":"b","versioning":true,"objectLock":false,"encryption":{"type":"SSE-KMS","kmsKeyId":"…","bucketKey":true}}`) {
		return
	}
	var enc kura.BucketEncryption
	if in.Encryption != nil {
		var err error
		if enc, err = in.Encryption.bucketEncryption(); err != nil {
			c.fail(w, err)
			return
		}
	}
	ctx := r.Context()
	bt := ops.BucketTarget{Bucket: in.Name}
	if _, err := c.cfg.Ops.CreateBucket(ctx, call, ops.CreateBucketInput{Bucket: in.Name, ObjectLockEnabled: in.ObjectLock}); err != nil {
		c.fail(w, err)
		return
	}
	done := func(what string, err error) bool {
		if err == nil {
			return true
		}
		writeErr(w, http.StatusConflict, "BucketCreatedPartly", "Bucket "+in.Name+" was created, but "+what+" was not set ("+errText(err)+"); change it in the bucket's settings.")
		return false
	}
	if in.Versioning && !in.ObjectLock { // Object Lock turns versioning on itself
		if !done("versioning", c.cfg.Ops.PutBucketVersioning(ctx, call, ops.VersioningInput{BucketTarget: bt, Status: "Enabled"})) {
			return
		}
	}
	if in.Encryption != nil {
		if !done("default encryption", c.cfg.Ops.PutBucketEncryption(ctx, call, ops.BucketEncryptionInput{BucketTarget: bt, Encryption: enc})) {
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"bucket": in.Name})
}

func (c *Console) deleteBucket(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if err := c.cfg.Ops.DeleteBucket(r.Context(), call, ops.BucketTarget{Bucket: r.URL.Query().Get("bucket")}); err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
}

// bucketSettings is what the bucket page shows: versioning, default
// encryption and Object Lock. A setting the principal may not read is
// reported in place.
func (c *Console) bucketSettings(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	ctx := r.Context()
	bt := ops.BucketTarget{Bucket: r.URL.Query().Get("bucket")}
	out := map[string]any{"bucket": bt.Bucket}
	notes := map[string]string{}
	v, err := c.cfg.Ops.GetBucketVersioning(ctx, call, bt)
	if err != nil {
		if s3err.Is(err, s3err.NoSuchBucket) {
			c.fail(w, err)
			return
		}
		notes["versioning"] = errText(err)
	}
	out["versioning"] = v
	if e, err := c.cfg.Ops.GetBucketEncryption(ctx, call, bt); err == nil && e != nil {
		out["encryption"] = map[string]any{"type": encOf(kura.Encryption{Type: e.Algorithm}).Type, "kmsKeyId": e.KMSMasterKeyID, "bucketKey": e.BucketKeyEnabled}
	} else if err != nil && !s3err.Is(err, s3err.SSEConfigNotFound) {
		notes["encryption"] = errText(err)
	}
	if rule, err := c.cfg.Ops.GetObjectLockConfiguration(ctx, call, bt); err == nil {
		lock := map[string]any{"enabled": true}
		if rule != nil {
			lock["defaultRetention"] = rule
		}
		out["objectLock"] = lock
	} else if s3err.Is(err, s3err.ObjectLockConfigNotFound) {
		out["objectLock"] = map[string]any{"enabled": false}
	} else {
		notes["objectLock"] = errText(err)
	}
	out["notes"] = notes
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) putBucketEncryption(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in encryptionInput
	if !decode(w, r, &in, `{"type":"SSE-KMS","kmsKeyId":"…","bucketKey":true}`) {
		return
	}
	enc, err := in.bucketEncryption()
	if err == nil {
		err = c.cfg.Ops.PutBucketEncryption(r.Context(), call, ops.BucketEncryptionInput{
			BucketTarget: ops.BucketTarget{Bucket: r.URL.Query().Get("bucket")}, Encryption: enc})
	}
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"saved": true})
}

func (c *Console) putBucketVersioning(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		Status string `json:"status"`
	}
	if !decode(w, r, &in, `{"status":"Enabled"}`) {
		return
	}
	if err := c.cfg.Ops.PutBucketVersioning(r.Context(), call, ops.VersioningInput{
		BucketTarget: ops.BucketTarget{Bucket: r.URL.Query().Get("bucket")}, Status: in.Status}); err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"saved": true})
}

// putRetention sets, changes or (mode "") removes an object version's
// retention: {"mode":"GOVERNANCE","until":"2030-01-01T00:00:00Z","bypassGovernance":false}.
func (c *Console) putRetention(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		Mode             string    `json:"mode"`
		Until            time.Time `json:"until"`
		BypassGovernance bool      `json:"bypassGovernance"`
	}
	if !decode(w, r, &in, `{"mode":"GOVERNANCE","until":"2030-01-01T00:00:00Z","bypassGovernance":false}`) {
		return
	}
	ri := ops.RetentionInput{Target: target(r), BypassGovernance: in.BypassGovernance}
	if in.Mode != "" {
		ri.Retention = &kura.Retention{Mode: in.Mode, Until: in.Until}
	}
	res, err := c.cfg.Ops.PutObjectRetention(r.Context(), call, ri)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"versionId": res.VersionID})
}

// putLegalHold places or removes a legal hold: {"on":true}.
func (c *Console) putLegalHold(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		On bool `json:"on"`
	}
	if !decode(w, r, &in, `{"on":true}`) {
		return
	}
	res, err := c.cfg.Ops.PutObjectLegalHold(r.Context(), call, ops.LegalHoldInput{Target: target(r), On: in.On})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"versionId": res.VersionID})
}

// copyInPlace changes what S3 changes only by copying an object onto
// itself: its storage class ({"storageClass":"STANDARD_IA"}) or its user
// metadata ({"metadata":{"k":"v"}}, the copy's REPLACE directive with the
// object's other content headers kept). The copy is a new version sealed
// under a fresh data key with the source's own encryption (its KMS key,
// bucket key and encryption context), not the bucket default; its tags
// are copied. An SSE-C object cannot be copied here: the console never
// holds a customer's key.
func (c *Console) copyInPlace(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		StorageClass *string           `json:"storageClass"`
		Metadata     map[string]string `json:"metadata"`
		// Headers, when set, replace the content headers (all of them:
		// one left empty is removed), as CopyObject with REPLACE does.
		Headers *struct {
			ContentType        string `json:"contentType"`
			CacheControl       string `json:"cacheControl"`
			ContentDisposition string `json:"contentDisposition"`
			ContentEncoding    string `json:"contentEncoding"`
			ContentLanguage    string `json:"contentLanguage"`
			Expires            string `json:"expires"`
		} `json:"headers"`
	}
	if !decode(w, r, &in, `{"storageClass":"STANDARD_IA"}, {"metadata":{"k":"v"}} or {"headers":{"contentType":"text/plain"}}`) {
		return
	}
	if in.StorageClass == nil && in.Metadata == nil && in.Headers == nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "Name the new storageClass, metadata or headers.")
		return
	}
	ctx := r.Context()
	t := target(r)
	t.VersionID = "" // a copy makes a new current version from the current one
	head, err := c.cfg.Ops.HeadObject(ctx, call, ops.ReadInput{Target: t})
	if err != nil {
		c.fail(w, err)
		return
	}
	v := head.Version
	if v.Encryption.Type == kura.SSEC {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "This object is encrypted with a customer-provided key (SSE-C), which the console never holds; copy it with the aws CLI and --sse-c-copy-source-key.")
		return
	}
	ci := ops.CopyInput{Target: ops.Target{Bucket: t.Bucket, Key: t.Key},
		// The current version, as the page showed it (its ETag), read
		// with s3:GetObject as a plain copy is; naming its version id
		// would ask s3:GetObjectVersion too.
		Source:       ops.CopySource{Bucket: t.Bucket, Key: t.Key, IfMatch: v.ETag},
		StorageClass: v.StorageClass, SSE: sseOf(v.Encryption)}
	if ci.StorageClass == "" {
		ci.StorageClass = object.ClassStandard
	}
	if in.StorageClass != nil {
		ci.StorageClass = *in.StorageClass
	}
	if in.Metadata != nil || in.Headers != nil {
		ci.MetadataDirective = ops.DirectiveReplace
		ci.Headers = v.ContentHeaders
		ci.Headers.Metadata = maps.Clone(v.Metadata)
		if in.Metadata != nil {
			ci.Headers.Metadata = maps.Clone(in.Metadata)
		}
		if hd := in.Headers; hd != nil {
			ci.Headers.ContentType, ci.Headers.CacheControl, ci.Headers.ContentDisposition = hd.ContentType, hd.CacheControl, hd.ContentDisposition
			ci.Headers.ContentEncoding, ci.Headers.ContentLanguage, ci.Headers.Expires = hd.ContentEncoding, hd.ContentLanguage, hd.Expires
		}
	}
	res, err := c.cfg.Ops.CopyObject(ctx, call, ci)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versionId": res.VersionID, "etag": res.ETag, "encryption": encOf(res.Encryption)})
}

// sseOf is the write request that seals a copy as e is sealed.
func sseOf(e kura.Encryption) object.SSERequest {
	bk := e.BucketKeyEnabled
	req := object.SSERequest{Type: e.Type, KMSKeyID: e.KMSKeyARN, Context: e.Context}
	if e.Type == kura.SSEKMS || e.Type == kura.SSEDSSE {
		req.BucketKey = &bk
	}
	return req
}
