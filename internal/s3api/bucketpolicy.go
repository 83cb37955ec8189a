package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket policies: PUT, GET and DELETE /{bucket}?policy and GET
// ?policyStatus (internal/ops: ops/bucketconfig.go). The document is
// stored as sent (kura.Bucket.Policy) and evaluated by the authorization
// step (authz.go) on every request to the bucket.

// maxBucketPolicy is S3's bucket policy size limit (20 KB).
const maxBucketPolicy = 20 << 10

func (h *Handler) putBucketPolicy(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	// Only the owner's account may: answered before the body is read.
	if err := ops.CheckBucketPolicyOwner(b, req.caller(), req.Method); err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	body, err := readBody(req, maxBucketPolicy)
	if err != nil {
		if s3err.As(err).Code == s3err.MalformedXML.Code {
			return s3err.MalformedPolicy.WithMessage("Policy exceeds the maximum allowed document size.")
		}
		return err
	}
	err = h.ops.PutBucketPolicy(h.front(req, b), req.caller(), ops.BucketPolicyInput{BucketTarget: req.bucketTarget(), Policy: body})
	return answer(req, http.StatusNoContent, err)
}

func (h *Handler) getBucketPolicy(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	doc, err := h.ops.GetBucketPolicy(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(doc)))
	req.w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		req.w.Write([]byte(doc))
	}
	return nil
}

func (h *Handler) deleteBucketPolicy(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketPolicy(h.front(req, b), req.caller(), req.bucketTarget()))
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket is public (see
// ops.Service.GetBucketPolicyStatus for what Kura counts).
func (h *Handler) getBucketPolicyStatus(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	public, err := h.ops.GetBucketPolicyStatus(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, policyStatusXML{NS: s3NS, IsPublic: public})
	return nil
}
