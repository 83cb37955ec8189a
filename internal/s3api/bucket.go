package s3api

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
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
	lock := strings.EqualFold(req.Header.Get("x-amz-bucket-object-lock-enabled"), "true")
	ownership, err := h.createOwnership(req)
	if err != nil {
		return err
	}
	acl, err := h.createBucketACL(req, ownership)
	if err != nil {
		return err
	}
	// Tags given at creation are the bucket's tags from the start, under
	// PutBucketTagging's rules.
	var tags []kura.Tag
	if len(cfg.Tags) > 0 {
		tags = toTags(cfg.Tags)
		if err := object.ValidateTags(tags, 50); err != nil {
			return err
		}
	}
	err = h.obj.CreateBucket(req.Context(), kura.Bucket{Name: req.bucket, Owner: req.identity.AccountID, Region: h.cfg.Region, ObjectLockEnabled: lock,
		ObjectOwnership: ownership, ACL: acl, Tags: tags})
	if err != nil {
		return err
	}
	req.w.Header().Set("Location", "/"+req.bucket)
	req.w.Header().Set("x-amz-bucket-arn", bucketARN(req.bucket))
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) headBucket(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	req.w.Header().Set("x-amz-bucket-region", b.Region)
	req.w.Header().Set("x-amz-bucket-arn", bucketARN(req.bucket))
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(req *request) error {
	if _, err := h.bucketFor(req); err != nil {
		return err
	}
	if err := h.obj.DeleteBucket(req.Context(), req.bucket); err != nil {
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
	all, err := h.obj.ListBuckets(req.Context(), req.identity.AccountID)
	if err != nil {
		return err
	}
	prefix := req.query.Get("prefix")
	after := req.query.Get("continuation-token")
	max := 10000
	if v := req.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3err.InvalidArgument.WithMessage("max-buckets must be an integer between 1 and 10000").With("ArgumentName", "max-buckets")
		}
		max = n
	}
	res := listBucketsResult{NS: s3NS, Owner: req.owner(), Prefix: prefix}
	for _, b := range all {
		if !strings.HasPrefix(b.Name, prefix) || (after != "" && b.Name <= after) {
			continue
		}
		if len(res.Buckets) == max {
			res.ContinuationToken = res.Buckets[len(res.Buckets)-1].Name
			break
		}
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
	region := b.Region
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
	if _, err := h.bucketFor(req); err != nil {
		return err
	}
	var cfg versioningConfiguration
	if err := readXML(req, &cfg); err != nil {
		return err
	}
	switch cfg.Status {
	case "Enabled", "Suspended":
	case "":
		return s3err.IllegalVersioningConfig
	default:
		// S3 checks Status against its schema's enumeration, so an
		// unknown value is MalformedXML, not IllegalVersioningConfiguration.
		return s3err.MalformedXML
	}
	if cfg.MfaDelete == "Enabled" {
		return s3err.NotImplemented.WithMessage("MFA delete is not supported.")
	}
	err := h.obj.UpdateBucket(req.Context(), req.bucket, func(b *kura.Bucket) error {
		if b.ObjectLockEnabled && cfg.Status != "Enabled" {
			return s3err.InvalidBucketState.WithMessage("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		b.Versioning = cfg.Status
		return nil
	})
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
	writeXML(req, http.StatusOK, versioningConfiguration{NS: s3NS, Status: b.Versioning})
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
	if _, err := h.bucketFor(req); err != nil {
		return err
	}
	var t tagging
	if err := readXML(req, &t); err != nil {
		return err
	}
	tags := toTags(t.TagSet)
	if err := object.ValidateTags(tags, 50); err != nil {
		return err
	}
	if err := h.obj.UpdateBucket(req.Context(), req.bucket, func(b *kura.Bucket) error { b.Tags = tags; return nil }); err != nil {
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
	if len(b.Tags) == 0 {
		return s3err.NoSuchTagSet.With("BucketName", b.Name)
	}
	writeXML(req, http.StatusOK, fromTags(b.Tags))
	return nil
}

func (h *Handler) deleteBucketTagging(req *request) error {
	if _, err := h.bucketFor(req); err != nil {
		return err
	}
	if err := h.obj.UpdateBucket(req.Context(), req.bucket, func(b *kura.Bucket) error { b.Tags = nil; return nil }); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
