package s3api

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// bucketFor returns the request's bucket, as the authorization step loaded
// it (authz.go: who may do what to the bucket is decided there, by
// policy), and checks that it belongs to the account the request expects,
// if it names one.
func (h *Handler) bucketFor(req *request) (*kura.Bucket, error) {
	var b *kura.Bucket
	if az := req.authz; az != nil && az.bucket != nil && az.bucket.Name == req.bucket {
		b = az.bucket
	} else {
		var err error
		if b, err = h.obj.Bucket(req.Context(), req.bucket); err != nil {
			return nil, err
		}
	}
	req.trail.bucketOwner = b.Owner // the audit event's recipient account
	if !ownerAsExpected(req.Header, "x-amz-expected-bucket-owner", b) {
		return nil, s3err.AccessDenied
	}
	return b, nil
}

// ownerAsExpected checks the account a client names in header
// (x-amz-expected-bucket-owner, or x-amz-source-expected-bucket-owner for a
// copy source) against b's owner. Clients send it so that a bucket that
// changed hands is neither written nor read; S3 answers a mismatch with 403
// AccessDenied, and so must we, or the guard silently does nothing.
func ownerAsExpected(h http.Header, header string, b *kura.Bucket) bool {
	want := h.Get(header)
	return want == "" || want == b.Owner
}

type createBucketConfiguration struct {
	LocationConstraint string   `xml:"LocationConstraint"`
	Tags               []tagXML `xml:"Tags>Tag"`
}

func (h *Handler) createBucket(req *request) error {
	var cfg createBucketConfiguration
	body, err := readBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := parseXML(body, &cfg); err != nil {
			return err
		}
	}
	if lc := cfg.LocationConstraint; lc != "" && lc != h.cfg.Region {
		return s3err.InvalidLocationConstraint.With("LocationConstraint", lc)
	}
	ownership, err := h.createOwnership(req)
	if err != nil {
		return err
	}
	acl, err := headerObjectACL(req)
	if err != nil {
		return err
	}
	in := ops.CreateBucketInput{Bucket: req.bucket, LocationConstraint: cfg.LocationConstraint, ObjectOwnership: ownership, ACL: acl,
		ObjectLockEnabled: strings.EqualFold(req.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true")}
	if len(cfg.Tags) > 0 {
		in.Tags = toTags(cfg.Tags)
	}
	res, err := h.ops.CreateBucket(h.front(req, nil), req.caller(), in)
	if err != nil {
		return err
	}
	req.w.Header().Set("Location", "/"+res.Bucket)
	req.w.Header().Set("X-Amz-Bucket-Arn", res.ARN)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// bucketTarget is the bucket req addresses.
func (req *request) bucketTarget() ops.BucketTarget { return ops.BucketTarget{Bucket: req.bucket} }

func (h *Handler) headBucket(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	res, err := h.ops.HeadBucket(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	req.w.Header().Set("X-Amz-Bucket-Region", res.Region)
	req.w.Header().Set("X-Amz-Bucket-Arn", res.ARN)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := h.ops.DeleteBucket(h.front(req, b), req.caller(), req.bucketTarget()); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type listBucketsResult struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	NS                string        `xml:"xmlns,attr"`
	Owner             owner         `xml:"Owner"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

func (h *Handler) listBuckets(req *request) error {
	in := ops.ListBucketsInput{Prefix: req.query.Get("prefix"), ContinuationToken: req.query.Get("continuation-token")}
	if v := req.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3err.InvalidArgument.WithMessage("max-buckets must be an integer between 1 and 10000").With("ArgumentName", "max-buckets")
		}
		in.MaxBuckets = n
	}
	page, err := h.ops.ListBuckets(h.front(req, nil), req.caller(), in)
	if err != nil {
		return err
	}
	res := listBucketsResult{NS: s3NS, Owner: req.owner(), Prefix: in.Prefix, ContinuationToken: page.ContinuationToken}
	for _, b := range page.Buckets {
		res.Buckets = append(res.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: b.Region})
	}
	writeXML(req, http.StatusOK, res)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

func (h *Handler) getBucketLocation(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	region, err := h.ops.GetBucketLocation(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	if region == "us-east-1" {
		region = "" // S3 reports the legacy empty constraint for us-east-1
	}
	writeXML(req, http.StatusOK, locationConstraint{NS: s3NS, Region: region})
	return nil
}

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	NS        string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func (h *Handler) putBucketVersioning(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var cfg versioningConfiguration
	if err := readXML(req, &cfg); err != nil {
		return err
	}
	err = h.ops.PutBucketVersioning(h.front(req, b), req.caller(), ops.VersioningInput{BucketTarget: req.bucketTarget(),
		Status: cfg.Status, MFADelete: cfg.MfaDelete == "Enabled"})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketVersioning(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	status, err := h.ops.GetBucketVersioning(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, versioningConfiguration{NS: s3NS, Status: status})
	return nil
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tagXML `xml:"TagSet>Tag"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func toTags(in []tagXML) []kura.Tag {
	out := make([]kura.Tag, 0, len(in))
	for _, t := range in {
		out = append(out, kura.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func fromTags(in []kura.Tag) tagging {
	t := tagging{NS: s3NS, TagSet: []tagXML{}}
	for _, x := range in {
		t.TagSet = append(t.TagSet, tagXML{Key: x.Key, Value: x.Value})
	}
	sort.Slice(t.TagSet, func(i, j int) bool { return t.TagSet[i].Key < t.TagSet[j].Key })
	return t
}

func (h *Handler) putBucketTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var t tagging
	if err := readXML(req, &t); err != nil {
		return err
	}
	err = h.ops.PutBucketTagging(h.front(req, b), req.caller(), ops.BucketTaggingInput{BucketTarget: req.bucketTarget(), Tags: toTags(t.TagSet)})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	tags, err := h.ops.GetBucketTagging(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, fromTags(tags))
	return nil
}

func (h *Handler) deleteBucketTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := h.ops.DeleteBucketTagging(h.front(req, b), req.caller(), req.bucketTarget()); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
