package console

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Buckets and objects: each handler is one or a few ops calls as the
// session's principal.

func (c *Console) objectRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/buckets", c.authed(c.listBuckets))
	m.HandleFunc("GET /console/api/objects", c.authed(c.listObjects))
	m.HandleFunc("GET /console/api/object", c.authed(c.objectDetails))
	m.HandleFunc("DELETE /console/api/object", c.authed(c.deleteObject))
	m.HandleFunc("PUT /console/api/object", c.authed(c.putObject))
	m.HandleFunc("GET /console/api/download", c.authed(c.download))
	m.HandleFunc("POST /console/api/uploads", c.authed(c.createUpload))
	m.HandleFunc("PUT /console/api/uploads/part", c.authed(c.uploadPart))
	m.HandleFunc("POST /console/api/uploads/complete", c.authed(c.completeUpload))
	m.HandleFunc("DELETE /console/api/uploads", c.authed(c.abortUpload))
	m.HandleFunc("PUT /console/api/tags", c.authed(c.putTags))
	m.HandleFunc("POST /console/api/restore", c.authed(c.restore))
}

func target(r *http.Request) ops.Target {
	q := r.URL.Query()
	return ops.Target{Bucket: q.Get("bucket"), Key: q.Get("key"), VersionID: q.Get("versionId")}
}

func (c *Console) listBuckets(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	type bucket struct {
		Name    string    `json:"name"`
		Created time.Time `json:"created"`
	}
	out := []bucket{}
	in := ops.ListBucketsInput{}
	for {
		res, err := c.cfg.Ops.ListBuckets(r.Context(), call, in)
		if err != nil {
			c.fail(w, err)
			return
		}
		for _, b := range res.Buckets {
			out = append(out, bucket{b.Name, b.Created})
		}
		if res.ContinuationToken == "" {
			break
		}
		in.ContinuationToken = res.ContinuationToken
	}
	writeJSON(w, http.StatusOK, map[string]any{"buckets": out})
}

// objectEntry is an object version as the console shows it.
type objectEntry struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"versionId,omitempty"`
	IsLatest     bool      `json:"isLatest,omitempty"`
	DeleteMarker bool      `json:"deleteMarker,omitempty"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"lastModified"`
	StorageClass string    `json:"storageClass"`
	Encryption   encView   `json:"encryption"`
}

// encView is an object's encryption without key material.
type encView struct {
	Type      string `json:"type"` // SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, none
	KMSKeyARN string `json:"kmsKeyArn,omitempty"`
	BucketKey bool   `json:"bucketKey,omitempty"`
}

func encOf(e kura.Encryption) encView {
	v := encView{KMSKeyARN: e.KMSKeyARN, BucketKey: e.BucketKeyEnabled}
	switch e.Type {
	case kura.SSES3:
		v.Type = "SSE-S3"
	case kura.SSEKMS:
		v.Type = "SSE-KMS"
	case kura.SSEDSSE:
		v.Type = "DSSE-KMS"
	case kura.SSEC:
		v.Type = "SSE-C"
	default:
		v.Type = "none"
	}
	return v
}

func entryOf(v *kura.ObjectVersion) objectEntry {
	class := v.StorageClass
	if class == "" {
		class = "STANDARD"
	}
	return objectEntry{Key: v.Key, VersionID: v.VersionID, DeleteMarker: v.DeleteMarker, Size: v.Size, ETag: v.ETag,
		LastModified: v.LastModified, StorageClass: class, Encryption: encOf(v.Encryption)}
}

// listObjects is one page of a folder view: ListObjects with "/" as the
// delimiter.
func (c *Console) listObjects(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	q := r.URL.Query()
	res, err := c.cfg.Ops.ListObjects(r.Context(), call, ops.ListInput{BucketTarget: ops.BucketTarget{Bucket: q.Get("bucket")},
		Prefix: q.Get("prefix"), Delimiter: "/", After: q.Get("after"), MaxKeys: 200})
	if err != nil {
		c.fail(w, err)
		return
	}
	objs := make([]objectEntry, 0, len(res.Objects))
	for _, v := range res.Objects {
		objs = append(objs, entryOf(v))
	}
	next := ""
	if res.Truncated {
		next = res.NextKey
	}
	writeJSON(w, http.StatusOK, map[string]any{"prefixes": nonNil(res.CommonPrefixes), "objects": objs, "next": next})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// objectDetails gathers what the object view shows: HeadObject, its tags,
// its versions, and its retention and legal hold. Each is its own
// operation (and audit event); one the principal may not do is reported
// in place rather than failing the view.
func (c *Console) objectDetails(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	t := target(r)
	ctx := r.Context()
	head, err := c.cfg.Ops.HeadObject(ctx, call, ops.ReadInput{Target: t})
	if err != nil {
		c.fail(w, err)
		return
	}
	v := head.Version
	out := map[string]any{"object": entryOf(v), "contentType": v.ContentType, "metadata": v.Metadata,
		"cacheControl": v.CacheControl, "contentEncoding": v.ContentEncoding, "contentDisposition": v.ContentDisposition,
		"contentLanguage": v.ContentLanguage, "expires": v.Expires}
	if v.Checksum != nil {
		out["checksum"] = map[string]string{"algorithm": v.Checksum.Algorithm, "type": v.Checksum.Type}
	}
	switch head.Restore {
	case object.Restoring:
		out["restore"] = map[string]any{"ongoing": true}
	case object.Restored:
		out["restore"] = map[string]any{"ongoing": false, "expiry": head.RestoreExpiry}
	}
	notes := map[string]string{}
	vt := ops.Target{Bucket: t.Bucket, Key: t.Key, VersionID: v.VersionID}
	if tags, err := c.cfg.Ops.GetObjectTagging(ctx, call, vt); err == nil {
		out["tags"] = nonNil(tags.Tags)
	} else {
		notes["tags"] = errText(err)
	}
	// lockEnabled tells the page whether to offer the Object Lock edits:
	// a bucket without Object Lock answers InvalidRequest.
	out["lockEnabled"] = true
	if ret, err := c.cfg.Ops.GetObjectRetention(ctx, call, vt); err == nil {
		out["retention"] = map[string]any{"mode": ret.Mode, "until": ret.Until}
	} else if !noLock(err) {
		notes["retention"] = errText(err)
	} else if s3err.Is(err, s3err.InvalidRequest) {
		out["lockEnabled"] = false
	}
	if hold, err := c.cfg.Ops.GetObjectLegalHold(ctx, call, vt); err == nil {
		out["legalHold"] = hold
	} else if !noLock(err) {
		notes["legalHold"] = errText(err)
	}
	vers, err := c.cfg.Ops.ListObjectVersions(ctx, call, ops.ListInput{BucketTarget: ops.BucketTarget{Bucket: t.Bucket},
		Prefix: t.Key, MaxKeys: 100})
	if err == nil {
		list := []objectEntry{}
		for i, ov := range vers.Objects {
			if ov.Key != t.Key {
				continue
			}
			e := entryOf(ov)
			e.IsLatest = i < len(vers.IsLatest) && vers.IsLatest[i]
			list = append(list, e)
		}
		out["versions"] = list
	} else {
		notes["versions"] = errText(err)
	}
	out["notes"] = notes
	writeJSON(w, http.StatusOK, out)
}

// noLock says err is S3's answer for an object without retention or
// legal hold, or in a bucket without Object Lock: nothing to show.
func noLock(err error) bool {
	return s3err.Is(err, s3err.NoSuchObjectLockConfiguration) || s3err.Is(err, s3err.InvalidRequest)
}

func (c *Console) download(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	t := target(r)
	res, err := c.cfg.Ops.GetObject(r.Context(), call, ops.ReadInput{Target: t})
	if err != nil {
		c.fail(w, err)
		return
	}
	defer res.Body.Close()
	v := res.Version
	ct := v.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	name := t.Key[strings.LastIndex(t.Key, "/")+1:]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(res.Length, 10))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	io.Copy(w, res.Body)
}

func (c *Console) deleteObject(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	res, err := c.cfg.Ops.DeleteObject(r.Context(), call, ops.DeleteInput{Target: target(r)})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versionId": res.VersionID, "deleteMarker": res.DeleteMarker})
}

// putObject stores the request body as one object (small files; the
// browser uses a multipart upload above partSize).
func (c *Console) putObject(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	t := target(r)
	t.VersionID = ""
	res, err := c.cfg.Ops.PutObject(r.Context(), call, ops.PutInput{Target: t, Body: r.Body, Size: r.ContentLength,
		Headers: kura.ContentHeaders{ContentType: r.Header.Get("Content-Type")}})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versionId": res.VersionID, "etag": res.ETag, "encryption": encOf(res.Encryption)})
}

func uploadTarget(r *http.Request) ops.UploadTarget {
	t := target(r)
	t.VersionID = ""
	return ops.UploadTarget{Target: t, UploadID: r.URL.Query().Get("uploadId")}
}

func (c *Console) createUpload(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	t := target(r)
	t.VersionID = ""
	res, err := c.cfg.Ops.CreateMultipartUpload(r.Context(), call, ops.CreateUploadInput{Target: t,
		Headers: kura.ContentHeaders{ContentType: r.URL.Query().Get("contentType")}})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"uploadId": res.UploadID})
}

func (c *Console) uploadPart(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	n, err := strconv.Atoi(r.URL.Query().Get("part"))
	if err != nil || n < 1 || n > 10000 {
		writeErr(w, http.StatusBadRequest, "InvalidArgument", "part must be a number from 1 to 10000.")
		return
	}
	res, err := c.cfg.Ops.UploadPart(r.Context(), call, ops.PartInput{UploadTarget: uploadTarget(r), PartNumber: n,
		Body: r.Body, Size: r.ContentLength})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"part": res.PartNumber, "etag": res.ETag})
}

func (c *Console) completeUpload(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		Parts []struct {
			Part int    `json:"part"`
			ETag string `json:"etag"`
		} `json:"parts"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The body must be JSON: {\"parts\":[{\"part\":1,\"etag\":\"…\"}]}.")
		return
	}
	parts := make([]object.CompletePart, 0, len(in.Parts))
	for _, p := range in.Parts {
		parts = append(parts, object.CompletePart{Number: p.Part, ETag: p.ETag})
	}
	res, err := c.cfg.Ops.CompleteMultipartUpload(r.Context(), call, ops.CompleteInput{UploadTarget: uploadTarget(r),
		Parts: parts, ObjectSize: -1})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versionId": res.VersionID, "etag": res.ETag, "encryption": encOf(res.Encryption)})
}

func (c *Console) abortUpload(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if err := c.cfg.Ops.AbortMultipartUpload(r.Context(), call, ops.AbortInput{UploadTarget: uploadTarget(r)}); err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"aborted": true})
}

// putTags replaces an object version's tags: {"tags":[{"Key":…,"Value":…}]}.
func (c *Console) putTags(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct{ Tags []kura.Tag }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The body must be JSON: {\"tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}.")
		return
	}
	if _, err := c.cfg.Ops.PutObjectTagging(r.Context(), call, ops.TaggingInput{Target: target(r), Tags: in.Tags}); err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": nonNil(in.Tags)})
}

// restore starts the restore of an archived object: {"days":N,"tier":"Standard"}.
func (c *Console) restore(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	var in struct {
		Days int
		Tier string
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The body must be JSON: {\"days\":7,\"tier\":\"Standard\"}.")
		return
	}
	res, err := c.cfg.Ops.RestoreObject(r.Context(), call, ops.RestoreInput{Target: target(r), Days: in.Days, Tier: in.Tier})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"started": res.Started})
}
