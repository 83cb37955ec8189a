package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Object Ownership (Put/Get/DeleteBucketOwnershipControls, CreateBucket's
// x-amz-object-ownership). It decides who owns the objects written to a
// bucket and whether ACLs count:
//
//   - BucketOwnerEnforced (S3's default for new buckets since 2023): ACLs
//     are disabled, the bucket owner owns every object, and only policies
//     grant access;
//   - BucketOwnerPreferred: ACLs count; the bucket owner owns objects
//     written with the bucket-owner-full-control canned ACL, the writer
//     owns the rest;
//   - ObjectWriter, and a bucket without ownership controls: ACLs count;
//     the writer owns what it writes.

// The Object Ownership settings.
const (
	BucketOwnerEnforced  = kura.BucketOwnerEnforced
	BucketOwnerPreferred = kura.BucketOwnerPreferred
	ObjectWriter         = kura.ObjectWriter
)

func validOwnership(v string) bool {
	return v == BucketOwnerEnforced || v == BucketOwnerPreferred || v == ObjectWriter
}

// ownershipOf is a bucket's effective Object Ownership.
func ownershipOf(b *kura.Bucket) string {
	if b.ObjectOwnership == "" {
		return ObjectWriter
	}
	return b.ObjectOwnership
}

// aclsEnabled says a bucket's ACLs (and its objects') count.
func aclsEnabled(b *kura.Bucket) bool { return b.ACLsEnabled() }

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// maxOwnershipBody bounds a PutBucketOwnershipControls body.
const maxOwnershipBody = 4 << 10

func (h *Handler) putBucketOwnershipControls(req *request) error {
	b, body, err := h.configBody(req, maxOwnershipBody)
	if err != nil {
		return err
	}
	var oc ownershipControls
	if err := parseXML(body, &oc); err != nil {
		return err
	}
	if len(oc.Rules) != 1 || !validOwnership(oc.Rules[0].ObjectOwnership) {
		// One rule, naming one of the three settings: S3's schema.
		return s3err.MalformedXML
	}
	err = h.ops.PutBucketOwnershipControls(h.front(req, b), req.caller(), ops.OwnershipInput{BucketTarget: req.bucketTarget(),
		ObjectOwnership: oc.Rules[0].ObjectOwnership})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getBucketOwnershipControls(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	v, err := h.ops.GetBucketOwnershipControls(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	oc := ownershipControls{NS: s3NS}
	oc.Rules = append(oc.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{v})
	writeXML(req, http.StatusOK, oc)
	return nil
}

func (h *Handler) deleteBucketOwnershipControls(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketOwnershipControls(h.front(req, b), req.caller(), req.bucketTarget()))
}

// ValidObjectOwnership says v names an Object Ownership setting
// (for configuration checks outside this package).
func ValidObjectOwnership(v string) bool { return validOwnership(v) }

// createOwnership is the Object Ownership of a bucket CreateBucket makes:
// its x-amz-object-ownership header, else the deployment's default
// (Config.DefaultObjectOwnership, BucketOwnerEnforced unless configured).
func (h *Handler) createOwnership(req *request) (string, error) {
	v := req.Header.Get("X-Amz-Object-Ownership")
	if v == "" {
		if h.cfg.DefaultObjectOwnership != "" {
			return h.cfg.DefaultObjectOwnership, nil
		}
		return BucketOwnerEnforced, nil
	}
	if !validOwnership(v) {
		return "", s3err.InvalidArgument.WithMessage("Invalid x-amz-object-ownership header: %s", v).
			With("ArgumentName", "x-amz-object-ownership").With("ArgumentValue", v)
	}
	return v, nil
}
