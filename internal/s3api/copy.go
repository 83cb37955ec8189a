package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// copySource parses x-amz-copy-source ("bucket/key[?versionId=v]", URL
// encoded, optionally with a leading slash), the source's SSE-C key
// (x-amz-copy-source-server-side-encryption-customer-*), the owner the
// request expects of the source bucket and the x-amz-copy-source-if-*
// conditions. Whether the caller may read the source was decided by the
// authorization step (authz.go); the source bucket is looked up by the
// operation.
func (h *Handler) copySource(req *request) (ops.CopySource, error) {
	raw := req.Header.Get("X-Amz-Copy-Source")
	path, query, _ := strings.Cut(raw, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return ops.CopySource{}, s3err.InvalidArgument.WithMessage("Invalid copy source encoding.").With("ArgumentName", "x-amz-copy-source")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || bucket == "" || key == "" {
		return ops.CopySource{}, s3err.InvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey").With("ArgumentName", "x-amz-copy-source")
	}
	acc, err := h.access(req, copySourcePrefix)
	if err != nil {
		return ops.CopySource{}, err
	}
	hdr := req.Header
	src := ops.CopySource{Bucket: bucket, Key: key, CustomerKey: acc.CustomerKey,
		ExpectedBucketOwner: hdr.Get("X-Amz-Source-Expected-Bucket-Owner"),
		IfMatch:             hdr.Get("X-Amz-Copy-Source-If-Match"), IfNoneMatch: hdr.Get("X-Amz-Copy-Source-If-None-Match")}
	// A date S3 cannot parse is no condition at all.
	if t, ok := parseHTTPTime(hdr.Get("X-Amz-Copy-Source-If-Modified-Since")); ok {
		src.IfModifiedSince = t
	}
	if t, ok := parseHTTPTime(hdr.Get("X-Amz-Copy-Source-If-Unmodified-Since")); ok {
		src.IfUnmodifiedSince = t
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return src, s3err.InvalidArgument.WithMessage("Invalid copy source version id.").With("ArgumentName", "x-amz-copy-source")
		}
		src.VersionID = q.Get("versionId")
	}
	return src, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// copyObject translates a CopyObject request into ops.CopyInput (the
// header grammar is checked here, the values by the operation) and
// writes its result.
func (h *Handler) copyObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	hdr := req.Header
	in := ops.CopyInput{Target: ops.Target{Bucket: req.bucket, Key: req.key}, Cond: writeConditions(hdr),
		MetadataDirective: hdr.Get("X-Amz-Metadata-Directive"), TaggingDirective: hdr.Get("X-Amz-Tagging-Directive"),
		WebsiteRedirect: hdr.Get("X-Amz-Website-Redirect-Location"), StorageClass: hdr.Get("X-Amz-Storage-Class")}
	if in.Source, err = h.copySource(req); err != nil {
		return err
	}
	if in.ACL, err = headerObjectACL(req); err != nil {
		return err
	}
	// Checked and taken whatever the directive (object.CopyInput).
	if err := checkWebsiteRedirect(hdr); err != nil {
		return err
	}
	if in.MetadataDirective == ops.DirectiveReplace {
		if in.Headers, err = contentHeaders(hdr, false); err != nil {
			return err
		}
	}
	if in.TaggingDirective == ops.DirectiveReplace {
		if in.Tags, err = tagsHeader(hdr); err != nil {
			return err
		}
	}
	if err := ops.CheckStorageClass(in.StorageClass); err != nil {
		return err
	}
	if v := hdr.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a, ok := checksum.Parse(v)
		if !ok {
			return s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported.")
		}
		in.ChecksumAlgorithm = a
	}
	if in.SSE, _, err = sseRequest(hdr); err != nil {
		return err
	}
	if in.SSE.Type == kura.SSEC {
		if err := h.sseCTransport(req); err != nil {
			return err
		}
	}
	if in.Lock, err = lockHeaders(hdr, h.obj.Now()); err != nil {
		return err
	}
	in.RetainUntilDate = hdr.Get("X-Amz-Object-Lock-Retain-Until-Date")
	res, err := h.ops.CopyObject(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	w := req.w.Header()
	if res.VersionID != object.NullVersion {
		w.Set("x-amz-version-id", res.VersionID)
	}
	if res.SourceVersionID != object.NullVersion {
		w.Set("x-amz-copy-source-version-id", res.SourceVersionID)
	}
	setSSEHeaders(w, res.Encryption)
	out := copyObjectResult{NS: s3NS, LastModified: isoTime(res.LastModified), ETag: quote(res.ETag)}
	if ck := res.Checksum; ck != nil {
		if a, ok := checksum.Parse(ck.Algorithm); ok {
			out.set(a, ck.Value)
			out.ChecksumType = ck.Type
		}
	}
	writeXML(req, http.StatusOK, out)
	return nil
}
