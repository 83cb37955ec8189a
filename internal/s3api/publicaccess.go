package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
)

// Block Public Access at bucket level: Put, Get and DeletePublicAccessBlock
// (?publicAccessBlock), stored on the bucket record, and its four settings
// as S3 enforces them ("Blocking public access to your Amazon S3 storage"):
//
//   - BlockPublicAcls: PutBucketAcl, PutObjectAcl and object writes whose
//     ACL is public are refused (403 AccessDenied);
//   - IgnorePublicAcls: grants to AllUsers and AuthenticatedUsers in the
//     bucket's and its objects' ACLs grant nothing (access.aclAllows);
//   - BlockPublicPolicy: PutBucketPolicy with a public policy is refused;
//   - RestrictPublicBuckets: while the bucket policy is public, it grants
//     nothing to callers outside the bucket owner's account (its Deny
//     statements still apply).
//
// "Public" is S3's "The meaning of public": an ACL granting anything to
// AllUsers or AuthenticatedUsers (publicACL), a policy with an Allow
// statement open to anyone (access.PolicyIsPublic). Account-level
// settings (s3control) are not modelled: the bucket's are the effective
// ones.

// maxPublicAccessBlockBody bounds a PutPublicAccessBlock body.
const maxPublicAccessBlockBody = 4 << 10

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	NS                    string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

func (h *Handler) putPublicAccessBlock(req *request) error {
	b, body, err := h.configBody(req, maxPublicAccessBlockBody)
	if err != nil {
		return err
	}
	var c publicAccessBlockXML
	if err := parseXML(body, &c); err != nil {
		return err
	}
	err = h.ops.PutPublicAccessBlock(h.front(req, b), req.caller(), ops.PublicAccessBlockInput{BucketTarget: req.bucketTarget(),
		Config: kura.PublicAccessBlock{
			BlockPublicAcls:       c.BlockPublicAcls,
			IgnorePublicAcls:      c.IgnorePublicAcls,
			BlockPublicPolicy:     c.BlockPublicPolicy,
			RestrictPublicBuckets: c.RestrictPublicBuckets,
		}})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getPublicAccessBlock(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	c, err := h.ops.GetPublicAccessBlock(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, publicAccessBlockXML{NS: s3NS,
		BlockPublicAcls: c.BlockPublicAcls, IgnorePublicAcls: c.IgnorePublicAcls,
		BlockPublicPolicy: c.BlockPublicPolicy, RestrictPublicBuckets: c.RestrictPublicBuckets})
	return nil
}

func (h *Handler) deletePublicAccessBlock(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeletePublicAccessBlock(h.front(req, b), req.caller(), req.bucketTarget()))
}

// publicACL says grants give something to everyone or to every signed
// caller: S3's definition of a public ACL.
func publicACL(grants []kura.Grant) bool { return ops.PublicACL(grants) }

func publicGrant(g kura.Grant) bool { return g.IsPublic() }

// blockPublicACL refuses to set a public ACL in a bucket whose
// BlockPublicAcls is on (ops.BlockPublicACL, shared with PutObjectAcl).
func blockPublicACL(b *kura.Bucket, grants []kura.Grant) error { return ops.BlockPublicACL(b, grants) }

// ignoresPublicACLs says public grants of b's ACLs (and its objects')
// grant nothing.
func ignoresPublicACLs(b *kura.Bucket) bool {
	return b.PublicAccessBlock != nil && b.PublicAccessBlock.IgnorePublicAcls
}
