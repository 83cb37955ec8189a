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

// supportedWriteConditions is ops.CheckWriteConditions.
func supportedWriteConditions(c object.WriteConditions) error { return ops.CheckWriteConditions(c) }

// putObject translates a PutObject request into ops.PutInput (the body
// is handed on as the stream it is) and writes its result.
func (h *Handler) putObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	in, err := h.objectWrite(req)
	if err != nil {
		return err
	}
	res, err := h.ops.PutObject(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	hdr.Set("ETag", quote(res.ETag))
	writeVersionID(req, res.VersionID)
	setSSEHeaders(hdr, res.Encryption)
	setChecksumHeaders(hdr, res.Checksum)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// objectWrite parses the parts of a PutObject request that describe the
// new object.
func (h *Handler) objectWrite(req *request) (ops.PutInput, error) {
	var in ops.PutInput
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
	acl, err := headerObjectACL(req)
	if err != nil {
		return in, err
	}
	return ops.PutInput{
		Target: ops.Target{Bucket: req.bucket, Key: req.key}, Body: req.Body, Size: size,
		Headers: headers, Tags: tags, StorageClass: class, Checksum: ck, ContentMD5: md,
		SSE: enc, ACL: acl, Cond: writeConditions(req.Header),
		Lock: lock, RetainUntilDate: req.Header.Get("X-Amz-Object-Lock-Retain-Until-Date"),
	}, nil
}

// setVersionHeader sets x-amz-version-id on a write's response when the write
// made a real version. A write to an unversioned or versioning-Suspended
// bucket stores the "null" version, and S3 then leaves the header out (the
// PutObject reference's "versioning suspended" sample has none) — only reads
// and listings name the null version.
func setVersionHeader(h http.Header, v *kura.ObjectVersion) {
	if v.VersionID != object.NullVersion {
		h.Set("X-Amz-Version-Id", v.VersionID)
	}
}

func setChecksumHeaders(h http.Header, ck *kura.Checksum) {
	if ck == nil {
		return
	}
	if a, ok := checksum.Parse(ck.Algorithm); ok {
		h.Set(a.Header(), ck.Value)
		h.Set("X-Amz-Checksum-Type", ck.Type)
	}
}

// objectHeaders writes the metadata headers of GET and HEAD responses.
func objectHeaders(req *request, v *kura.ObjectVersion) {
	hdr := req.w.Header()
	setContentHeaders(hdr, v.ContentHeaders)
	hdr.Set("ETag", quote(v.ETag))
	hdr.Set("Last-Modified", httpTime(v.LastModified))
	hdr.Set("Accept-Ranges", "bytes")
	if v.VersionID != object.NullVersion || req.nameNullVersion {
		hdr.Set("X-Amz-Version-Id", v.VersionID)
	}
	if v.StorageClass != "" {
		hdr.Set("X-Amz-Storage-Class", v.StorageClass)
	}
	if len(v.Tags) > 0 {
		hdr.Set("X-Amz-Tagging-Count", strconv.Itoa(len(v.Tags)))
	}
	setSSEHeaders(hdr, v.Encryption)
	setLockHeaders(hdr, v)
	if v.ReplicationStatus != "" {
		hdr.Set("X-Amz-Replication-Status", v.ReplicationStatus)
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

// readPlan is what a GET or HEAD will answer: the operation's result,
// and the status a website's error document replaces 200 with.
type readPlan struct {
	ops.ReadResult
	status int
}

// readInput translates a GET or HEAD into ops.ReadInput, refusing what
// S3 refuses before the object is looked up: response-* overrides on an
// unsigned request, a bad partNumber, encryption headers a read cannot
// carry.
func (h *Handler) readInput(req *request) (ops.ReadInput, error) {
	if err := checkOverrides(req); err != nil {
		return ops.ReadInput{}, err
	}
	part, err := partNumberParam(req)
	if err != nil {
		return ops.ReadInput{}, err
	}
	acc, err := h.access(req, "")
	if err != nil {
		return ops.ReadInput{}, err
	}
	if err := checkReadSSEHeaders(req.Header); err != nil {
		return ops.ReadInput{}, err
	}
	return ops.ReadInput{Target: req.target(), CustomerKey: acc.CustomerKey, PartNumber: part,
		Range: req.Header.Get("Range"), Cond: readConditions(req.Header)}, nil
}

// planRead runs HeadObject (get false) or GetObject (get true) for req,
// whose bucket b the route loaded: the version, conditional headers and
// partNumber or Range resolved, and for a GET the body opened.
func (h *Handler) planRead(req *request, get bool) (readPlan, error) {
	b, err := h.bucketFor(req)
	if err != nil {
		return readPlan{}, err
	}
	in, err := h.readInput(req)
	if err != nil {
		return readPlan{}, err
	}
	// A read names the null version ("x-amz-version-id: null") in a bucket
	// that has had versioning, or when asked for it; in a bucket that never
	// had versioning no version is named (S3).
	req.nameNullVersion = b.Versioning != "" || req.query.Get("versionId") != ""
	run := h.ops.HeadObject
	if get {
		run = h.ops.GetObject
	}
	res, err := run(h.front(req, b), req.caller(), in)
	return readPlan{ReadResult: res}, err
}

// writeReadHeaders writes the status line and headers of a GET or HEAD.
func writeReadHeaders(req *request, p readPlan) {
	v := p.Version
	objectHeaders(req, v)
	hdr := req.w.Header()
	if r := restoreHeader(p.Restore, p.RestoreExpiry); r != "" {
		hdr.Set("X-Amz-Restore", r)
	}
	if p.PartsCount > 0 {
		hdr.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(p.PartsCount))
	}
	if strings.EqualFold(req.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		if p.Whole {
			setChecksumHeaders(hdr, v.Checksum)
		} else if pn := req.query.Get("partNumber"); pn != "" {
			setChecksumHeaders(hdr, partChecksum(v, pn))
		}
	}
	hdr.Set("Content-Length", strconv.FormatInt(p.Length, 10))
	status := http.StatusOK
	if p.Partial {
		hdr.Set("Content-Range", "bytes "+strconv.FormatInt(p.Offset, 10)+"-"+strconv.FormatInt(p.Offset+p.Length-1, 10)+"/"+strconv.FormatInt(v.Size, 10))
		status = http.StatusPartialContent
	} else if p.status != 0 {
		status = p.status
	}
	req.status = status
	req.w.WriteHeader(status)
}

// getObject answers a GET with ops.GetObject's result. An overwrite or
// delete that commits while the body is sent leaves the version's blobs
// for the blob grace period (object/gc.go).
func (h *Handler) getObject(req *request) error {
	p, err := h.planRead(req, true)
	if err != nil {
		return err
	}
	return sendObject(req, p)
}

// sendObject answers a GET with the body planRead opened, decrypted
// chunk by chunk as it is sent.
func sendObject(req *request, p readPlan) error {
	defer p.Body.Close()
	writeReadHeaders(req, p)
	// The body implements io.WriterTo: it writes decrypted batches
	// straight from its pooled buffer, so no copy buffer is allocated.
	_, err := io.Copy(req.w, p.Body)
	return err
}

func (h *Handler) headObject(req *request) error {
	p, err := h.planRead(req, false)
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
		hdr.Set("X-Amz-Delete-Marker", "true")
	}
	if res.VersionID != "" && (res.DeleteMarker || req.query.Get("versionId") != "") {
		hdr.Set("X-Amz-Version-Id", res.VersionID)
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
