package s3api

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// bodySize is the decoded payload size the request declares, or -1.
func bodySize(req *request) (int64, error) {
	if req.auth != nil && req.auth.DecodedLength >= 0 {
		return req.auth.DecodedLength, nil
	}
	if req.ContentLength < 0 {
		if slices.Contains(req.TransferEncoding, "chunked") {
			// HTTP chunked framing (not aws-chunked, whose decoded
			// length is declared): S3 does not implement it for uploads.
			return -1, s3err.NotImplemented.With("Header", "Transfer-Encoding")
		}
		return -1, s3err.MissingContentLength
	}
	return req.ContentLength, nil
}

func writeConditions(h http.Header) object.WriteConditions {
	return object.WriteConditions{IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match")}
}

// supportedWriteConditions refuses what S3 does not implement on writes
// (PutObject, CompleteMultipartUpload): If-None-Match takes only "*"
// (create-only); with an ETag S3 answers 501 NotImplemented (aws-sdk-ruby
// issue 3144), it does not compare it.
func supportedWriteConditions(c object.WriteConditions) error {
	if c.IfNoneMatch != "" && c.IfNoneMatch != "*" {
		return s3err.NotImplemented.With("Header", "If-None-Match")
	}
	return nil
}

func (h *Handler) putObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	in, err := h.objectWrite(req)
	if err != nil {
		return err
	}
	if in.Owner, in.ACL, err = h.newObjectACL(req, b); err != nil {
		return err
	}
	if err := checkLockWrite(req, b, in.Lock, true); err != nil {
		return err
	}
	if err := supportedWriteConditions(in.Cond); err != nil {
		return err
	}
	v, err := h.obj.PutObject(req.Context(), in)
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	hdr.Set("ETag", quote(v.ETag))
	setVersionHeader(hdr, v)
	setSSEHeaders(hdr, v.Encryption)
	setChecksumHeaders(hdr, v.Checksum)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// objectWrite parses the parts of a PutObject request that describe the
// new object.
func (h *Handler) objectWrite(req *request) (object.PutInput, error) {
	var in object.PutInput
	size, err := bodySize(req)
	if err != nil {
		return in, err
	}
	headers, err := contentHeaders(req.Header, req.auth.Chunked)
	if err != nil {
		return in, err
	}
	tags, err := tagsHeader(req.Header)
	if err != nil {
		return in, err
	}
	class, err := storageClass(req.Header)
	if err != nil {
		return in, err
	}
	ck, err := requestChecksum(req)
	if err != nil {
		return in, err
	}
	md, err := contentMD5(req.Header)
	if err != nil {
		return in, err
	}
	enc, _, err := sseRequest(req.Header)
	if err != nil {
		return in, err
	}
	if enc.Type == kura.SSEC {
		if err := h.sseCTransport(req); err != nil {
			return in, err
		}
	}
	lock, err := lockHeaders(req.Header, h.obj.Now())
	if err != nil {
		return in, err
	}
	return object.PutInput{
		Bucket: req.bucket, Key: req.key, Body: req.Body, Size: size,
		Headers: headers, Tags: tags, StorageClass: class, Checksum: ck, ContentMD5: md,
		SSE: enc, Access: object.KeyAccess{Caller: req.caller()}, Owner: req.identity.AccountID, Cond: writeConditions(req.Header),
		Lock: lock,
	}, nil
}

// setVersionHeader sets x-amz-version-id on a write's response when the write
// made a real version. A write to an unversioned or versioning-Suspended
// bucket stores the "null" version, and S3 then leaves the header out (the
// PutObject reference's "versioning suspended" sample has none) — only reads
// and listings name the null version.
func setVersionHeader(h http.Header, v *kura.ObjectVersion) {
	if v.VersionID != object.NullVersion {
		h.Set("x-amz-version-id", v.VersionID)
	}
}

func setChecksumHeaders(h http.Header, ck *kura.Checksum) {
	if ck == nil {
		return
	}
	if a, ok := checksum.Parse(ck.Algorithm); ok {
		h.Set(a.Header(), ck.Value)
		h.Set("x-amz-checksum-type", ck.Type)
	}
}

// readTarget resolves the version a GET or HEAD addresses and checks the
// request's encryption headers against it.
func (h *Handler) readTarget(req *request) (*kura.ObjectVersion, object.KeyAccess, error) {
	b, err := h.bucketFor(req)
	if err != nil {
		return nil, object.KeyAccess{}, err
	}
	// A read names the null version ("x-amz-version-id: null") in a bucket
	// that has had versioning, or when asked for it; in a bucket that never
	// had versioning no version is named (S3).
	req.nameNullVersion = b.Versioning != "" || req.query.Get("versionId") != ""
	v, err := h.obj.Head(req.Context(), req.bucket, req.key, req.query.Get("versionId"))
	if err != nil {
		return nil, object.KeyAccess{}, err
	}
	acc, err := h.access(req, "")
	if err != nil {
		return nil, acc, err
	}
	if err := checkReadSSE(req.Header, v.Encryption, acc); err != nil {
		return nil, acc, err
	}
	if req.Method == http.MethodGet {
		if err := kmsNeedsSigV4(req, v.Encryption.Type); err != nil {
			return nil, acc, err
		}
	}
	return v, acc, nil
}

// objectHeaders writes the metadata headers of GET and HEAD responses.
func objectHeaders(req *request, v *kura.ObjectVersion) {
	hdr := req.w.Header()
	setContentHeaders(hdr, v.ContentHeaders)
	hdr.Set("ETag", quote(v.ETag))
	hdr.Set("Last-Modified", httpTime(v.LastModified))
	hdr.Set("Accept-Ranges", "bytes")
	if v.VersionID != object.NullVersion || req.nameNullVersion {
		hdr.Set("x-amz-version-id", v.VersionID)
	}
	if v.StorageClass != "" {
		hdr.Set("x-amz-storage-class", v.StorageClass)
	}
	if len(v.Tags) > 0 {
		hdr.Set("x-amz-tagging-count", strconv.Itoa(len(v.Tags)))
	}
	setSSEHeaders(hdr, v.Encryption)
	setLockHeaders(hdr, v)
	if v.ReplicationStatus != "" {
		hdr.Set("x-amz-replication-status", v.ReplicationStatus)
	}
	// response-* query parameters override stored headers.
	for param, header := range responseOverrides {
		if val := req.query.Get(param); val != "" {
			hdr.Set(header, val)
		}
	}
}

// responseOverrides maps GET/HEAD's response-* query parameters to the
// headers they set.
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control",
	"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
}

// checkOverrides refuses response-* overrides on an unsigned request, as
// S3 does: only a signed (or presigned) request may change what a public
// object's response says about it.
func checkOverrides(req *request) error {
	if req.auth == nil || !req.auth.Anonymous {
		return nil
	}
	for param := range responseOverrides {
		if _, ok := req.query[param]; ok {
			return s3err.InvalidRequest.WithMessage("Request specific response headers cannot be used for anonymous GET requests.")
		}
	}
	return nil
}

// partNumberParam checks ?partNumber before the object is looked up (S3
// answers a bad one 400 even for a missing key); 0 when absent.
func partNumberParam(req *request) (int, error) {
	pn := req.query.Get("partNumber")
	if pn == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(pn)
	if err != nil || n < 1 || n > object.MaxParts {
		return 0, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber").With("ArgumentValue", pn)
	}
	if req.Header.Get("Range") != "" {
		return 0, s3err.InvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter")
	}
	return n, nil
}

// readRange resolves partNumber (n, already checked; 0 if none) or Range
// for a GET/HEAD; whole reports a read of the entire object.
func readRange(req *request, v *kura.ObjectVersion, n int) (r byteRange, partial, whole bool, err error) {
	if n > 0 {
		off, size, perr := object.PartRange(v, n)
		if perr != nil {
			return r, false, false, perr
		}
		if len(v.Parts) == 0 {
			// Part 1 of an object uploaded in one piece is all of it, but
			// S3 still answers it as a range (206, Content-Range) and
			// names no part count.
			return byteRange{off, size}, size > 0, true, nil
		}
		req.w.Header().Set("x-amz-mp-parts-count", strconv.Itoa(len(v.Parts)))
		return byteRange{off, size}, true, false, nil
	}
	br, ok, err := parseRange(req.Header.Get("Range"), v.Size)
	if err != nil {
		return r, false, false, err
	}
	if !ok {
		return byteRange{0, v.Size}, false, true, nil
	}
	return br, true, br.off == 0 && br.n == v.Size, nil
}

// readPlan is what a GET or HEAD will answer: the version, the byte range
// and how to describe it.
type readPlan struct {
	v       *kura.ObjectVersion
	acc     object.KeyAccess
	rng     byteRange
	partial bool   // 206 with Content-Range
	whole   bool   // the entire object, so its checksum may be returned
	restore string // x-amz-restore ("" when no restore is under way or available)
	// status replaces the 200 of a whole-object answer: a website's error
	// document is sent with the error's status (website.go).
	status int
}

// planRead resolves the version, checks conditional headers and resolves
// partNumber or Range, as GET and HEAD both must.
func (h *Handler) planRead(req *request) (readPlan, error) {
	if err := checkOverrides(req); err != nil {
		return readPlan{}, err
	}
	part, err := partNumberParam(req)
	if err != nil {
		return readPlan{}, err
	}
	v, acc, err := h.readTarget(req)
	if err != nil {
		return readPlan{}, err
	}
	if err := checkConditions(req.Header, v.ETag, v.LastModified); err != nil {
		return readPlan{}, err
	}
	rng, partial, whole, err := readRange(req, v, part)
	if err != nil {
		return readPlan{}, err
	}
	return readPlan{v: v, acc: acc, rng: rng, partial: partial, whole: whole, restore: h.restoreHeader(v)}, nil
}

// writeReadHeaders writes the status line and headers of a GET or HEAD.
func writeReadHeaders(req *request, p readPlan) {
	objectHeaders(req, p.v)
	hdr := req.w.Header()
	if p.restore != "" {
		hdr.Set("x-amz-restore", p.restore)
	}
	if strings.EqualFold(req.Header.Get("x-amz-checksum-mode"), "ENABLED") {
		if p.whole {
			setChecksumHeaders(hdr, p.v.Checksum)
		} else if pn := req.query.Get("partNumber"); pn != "" {
			setChecksumHeaders(hdr, partChecksum(p.v, pn))
		}
	}
	hdr.Set("Content-Length", strconv.FormatInt(p.rng.n, 10))
	status := http.StatusOK
	if p.partial {
		hdr.Set("Content-Range", "bytes "+strconv.FormatInt(p.rng.off, 10)+"-"+strconv.FormatInt(p.rng.off+p.rng.n-1, 10)+"/"+strconv.FormatInt(p.v.Size, 10))
		status = http.StatusPartialContent
	} else if p.status != 0 {
		status = p.status
	}
	req.status = status
	req.w.WriteHeader(status)
}

func (h *Handler) getObject(req *request) error {
	// An overwrite or delete that commits while the body is sent leaves
	// the version's blobs for the blob grace period (object/gc.go).
	p, err := h.planRead(req)
	if err != nil {
		return err
	}
	return h.sendObject(req, p)
}

// sendObject answers a GET with the data planRead chose: the object
// read, decrypted chunk by chunk as it is sent.
func (h *Handler) sendObject(req *request, p readPlan) error {
	body, err := h.obj.Open(req.Context(), p.v, p.rng.off, p.rng.n, p.acc)
	if err != nil {
		return err
	}
	defer body.Close()
	writeReadHeaders(req, p)
	// body implements io.WriterTo: it writes decrypted batches straight
	// from its pooled buffer, so no copy buffer is allocated here.
	_, err = io.Copy(req.w, body)
	return err
}

func (h *Handler) headObject(req *request) error {
	p, err := h.planRead(req)
	if err != nil {
		return err
	}
	writeReadHeaders(req, p)
	return nil
}

func (h *Handler) deleteObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	// The header is refused on a bucket without Object Lock before the
	// operation runs (or ignored, by configuration); the operation checks
	// the permission.
	bypass, err := h.bypassAsked(req, b)
	if err != nil {
		return err
	}
	res, err := h.ops.DeleteObject(h.front(req, b), req.caller(), ops.DeleteInput{Target: req.target(), BypassGovernance: bypass})
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	if res.DeleteMarker {
		hdr.Set("x-amz-delete-marker", "true")
	}
	if res.VersionID != "" && (res.DeleteMarker || req.query.Get("versionId") != "") {
		hdr.Set("x-amz-version-id", res.VersionID)
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
