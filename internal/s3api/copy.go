package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var fmtSscanf = fmt.Sscanf

// copySource parses x-amz-copy-source ("bucket/key[?versionId=v]", URL
// encoded, optionally with a leading slash) and checks the source bucket
// belongs to the account the request expects. Whether the caller may read
// the source was decided by the authorization step (authz.go).
func (h *Handler) copySource(req *request) (object.CopySource, error) {
	raw := req.Header.Get("x-amz-copy-source")
	path, query, _ := strings.Cut(raw, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return object.CopySource{}, s3err.InvalidArgument.WithMessage("Invalid copy source encoding.").With("ArgumentName", "x-amz-copy-source")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || bucket == "" || key == "" {
		return object.CopySource{}, s3err.InvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey").With("ArgumentName", "x-amz-copy-source")
	}
	acc, err := h.access(req, copySourcePrefix)
	if err != nil {
		return object.CopySource{}, err
	}
	src := object.CopySource{Bucket: bucket, Key: key, Access: acc}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return src, s3err.InvalidArgument.WithMessage("Invalid copy source version id.").With("ArgumentName", "x-amz-copy-source")
		}
		src.VersionID = q.Get("versionId")
	}
	b, err := h.obj.Bucket(req.Context(), bucket)
	if err != nil {
		return src, err
	}
	if !ownerAsExpected(req.Header, "x-amz-source-expected-bucket-owner", b) {
		return src, s3err.AccessDenied
	}
	hdr := req.Header
	src.Check = func(v *kura.ObjectVersion) error {
		if err := copySourceConditions(hdr, v.ETag, v.LastModified); err != nil {
			return err
		}
		return object.CheckCustomerKey(v.Encryption, acc.CustomerKey)
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

func (h *Handler) copyObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	src, err := h.copySource(req)
	if err != nil {
		return err
	}
	in := object.CopyInput{Source: src, Bucket: req.bucket, Key: req.key, Cond: writeConditions(req.Header)}
	if in.Owner, in.ACL, err = h.newObjectACL(req, b); err != nil {
		return err
	}
	// Checked and taken whatever the directive (object.CopyInput).
	if err := checkWebsiteRedirect(req.Header); err != nil {
		return err
	}
	in.WebsiteRedirect = req.Header.Get(hdrWebsiteRedirect)
	switch d := req.Header.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceMetadata = true
		if in.Headers, err = contentHeaders(req.Header, false); err != nil {
			return err
		}
	default:
		return s3err.InvalidArgument.WithMessage("Unknown metadata directive.").With("ArgumentName", "x-amz-metadata-directive").With("ArgumentValue", d)
	}
	switch d := req.Header.Get("x-amz-tagging-directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceTags = true
		if in.Tags, err = tagsHeader(req.Header); err != nil {
			return err
		}
	default:
		return s3err.InvalidArgument.WithMessage("Unknown tagging directive.").With("ArgumentName", "x-amz-tagging-directive").With("ArgumentValue", d)
	}
	if in.StorageClass, err = storageClass(req.Header); err != nil {
		return err
	}
	if req.Header.Get("x-amz-storage-class") == "STANDARD" {
		in.StorageClass = "STANDARD"
	}
	if v := req.Header.Get("x-amz-checksum-algorithm"); v != "" {
		a, ok := checksum.Parse(v)
		if !ok {
			return s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported.")
		}
		in.ChecksumAlgorithm = a
	}
	if in.SSE, in.SSEGiven, err = sseRequest(req.Header); err != nil {
		return err
	}
	if in.SSE.Type == kura.SSEC {
		if err := h.sseCTransport(req); err != nil {
			return err
		}
	}
	if in.Lock, err = lockHeaders(req.Header, h.obj.Now()); err != nil {
		return err
	}
	if err := checkLockWrite(req, b, in.Lock, false); err != nil {
		return err
	}
	in.Access = object.KeyAccess{Caller: req.caller()}
	v, sv, err := h.obj.CopyObject(req.Context(), in)
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	setVersionHeader(hdr, v)
	if sv.VersionID != object.NullVersion {
		hdr.Set("x-amz-copy-source-version-id", sv.VersionID)
	}
	setSSEHeaders(hdr, v.Encryption)
	out := copyObjectResult{NS: s3NS, LastModified: isoTime(v.LastModified), ETag: quote(v.ETag)}
	if v.Checksum != nil {
		if a, ok := checksum.Parse(v.Checksum.Algorithm); ok {
			out.set(a, v.Checksum.Value)
			out.ChecksumType = v.Checksum.Type
		}
	}
	writeXML(req, http.StatusOK, out)
	return nil
}
