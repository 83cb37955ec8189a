package s3api

import (
	"encoding/xml"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket policies: PUT, GET and DELETE /{bucket}?policy and GET
// ?policyStatus. The document is stored as sent (kura.Bucket.Policy) and
// evaluated by the authorization step (authz.go) on every request to the
// bucket.

// maxBucketPolicy is S3's bucket policy size limit (20 KB).
const maxBucketPolicy = 20 << 10

// ownBucketPolicy is the check S3 makes after authorization for the three
// bucket policy operations: only principals of the bucket owner's account
// may use them, whatever a policy grants (405 otherwise).
func (h *Handler) ownBucketPolicy(req *request) (*kura.Bucket, error) {
	b, err := h.bucketFor(req)
	if err != nil {
		return nil, err
	}
	if b.Owner != req.identity.AccountID {
		return nil, s3err.MethodNotAllowed.With("Method", req.Method).With("ResourceType", "BUCKETPOLICY")
	}
	return b, nil
}

func (h *Handler) putBucketPolicy(req *request) error {
	b, err := h.ownBucketPolicy(req)
	if err != nil {
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
	text := string(body)
	if _, err := policy.Parse(body, policy.Resource); err != nil {
		return s3err.MalformedPolicy.WithMessage("%s", err.Error())
	}
	if err := checkPolicyResources(body, req.bucket); err != nil {
		return err
	}
	if err := blockPublicPolicy(b, body); err != nil {
		return err
	}
	return h.setBucketConfig(req, http.StatusNoContent, func(b *kura.Bucket) { b.Policy = text })
}

func (h *Handler) getBucketPolicy(req *request) error {
	b, err := h.ownBucketPolicy(req)
	if err != nil {
		return err
	}
	if b.Policy == "" {
		return s3err.NoSuchBucketPolicy.With("BucketName", b.Name)
	}
	hdr := req.w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b.Policy)))
	req.w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		req.w.Write([]byte(b.Policy))
	}
	return nil
}

func (h *Handler) deleteBucketPolicy(req *request) error {
	if _, err := h.ownBucketPolicy(req); err != nil {
		return err
	}
	return h.setBucketConfig(req, http.StatusNoContent, func(b *kura.Bucket) { b.Policy = "" })
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket is public: its policy
// is public, or (ACLs enabled and not ignored by Block Public Access) its
// ACL grants AllUsers or AuthenticatedUsers. S3 looks at the policy alone
// and answers NoSuchBucketPolicy when there is none; Kura answers for the
// bucket as a whole, which is what the operation's documentation promises
// ("indicating whether the bucket is public") and what the s3-tests
// suite expects (test_get_bucket_policy_status,
// test_get_public_acl_bucket_policy_status).
func (h *Handler) getBucketPolicyStatus(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	public := b.Policy != "" && access.PolicyIsPublic([]byte(b.Policy))
	if !public && b.ACL != nil && aclsEnabled(b) && !ignoresPublicACLs(b) {
		public = publicACL(b.ACL.Grants)
	}
	writeXML(req, http.StatusOK, policyStatusXML{NS: s3NS, IsPublic: public})
	return nil
}

// checkPolicyResources refuses a bucket policy whose resources are not this
// bucket or its objects, as S3 does ("Policy has invalid resource"). A
// wildcard in the bucket part is accepted when it matches the bucket.
func checkPolicyResources(doc []byte, bucket string) error {
	for _, r := range access.PolicyResources(doc) {
		if !bucketResource(r, bucket) {
			return s3err.MalformedPolicy.WithMessage("Policy has invalid resource")
		}
	}
	return nil
}

func bucketResource(r, bucket string) bool {
	if r == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == bucket {
		return true
	}
	// path.Match's * and ? are IAM's, and bucket names have no '/'.
	m, err := path.Match(name, bucket)
	return err == nil && m
}
