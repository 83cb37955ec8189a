package s3api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
	"github.com/kurastore/kura/internal/s3err"
)

// maxLifecycleRules is S3's (not adjustable) limit.
const maxLifecycleRules = 1000

// transitionMinSize is the x-amz-transition-default-minimum-object-size
// Kura reports: S3's default for new configurations.
const transitionMinSize = "all_storage_classes_128K"

// lifecycleConfiguration is the wire form of a bucket's lifecycle rules
// (PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration); the
// types below mirror kura.LifecycleRule and its parts element by element.
type lifecycleConfiguration struct {
	XMLName xml.Name           `xml:"LifecycleConfiguration"`
	NS      string             `xml:"xmlns,attr,omitempty"`
	Rules   []lifecycleRuleXML `xml:"Rule"`
}

type lifecycleRuleXML struct {
	ID                             string                       `xml:"ID"`
	Filter                         *lifecycleFilterXML          `xml:"Filter,omitempty"`
	Prefix                         *string                      `xml:"Prefix,omitempty"`
	Status                         string                       `xml:"Status"`
	Expiration                     *lifecycleExpirationXML      `xml:"Expiration,omitempty"`
	Transitions                    []lifecycleTransitionXML     `xml:"Transition"`
	NoncurrentVersionTransitions   []noncurrentTransitionXML    `xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration    *noncurrentExpirationXML     `xml:"NoncurrentVersionExpiration,omitempty"`
	AbortIncompleteMultipartUpload *abortIncompleteMultipartXML `xml:"AbortIncompleteMultipartUpload,omitempty"`
}

type lifecycleFilterXML struct {
	Prefix                *string          `xml:"Prefix,omitempty"`
	Tag                   *tagXML          `xml:"Tag,omitempty"`
	ObjectSizeGreaterThan *int64           `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64           `xml:"ObjectSizeLessThan,omitempty"`
	And                   *lifecycleAndXML `xml:"And,omitempty"`
}

type lifecycleAndXML struct {
	Prefix                *string  `xml:"Prefix,omitempty"`
	Tags                  []tagXML `xml:"Tag"`
	ObjectSizeGreaterThan *int64   `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64   `xml:"ObjectSizeLessThan,omitempty"`
}

type lifecycleExpirationXML struct {
	Date                      string `xml:"Date,omitempty"`
	Days                      *int   `xml:"Days,omitempty"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker,omitempty"`
}

type lifecycleTransitionXML struct {
	Date         string `xml:"Date,omitempty"`
	Days         *int   `xml:"Days,omitempty"`
	StorageClass string `xml:"StorageClass"`
}

type noncurrentTransitionXML struct {
	NoncurrentDays          *int   `xml:"NoncurrentDays,omitempty"`
	StorageClass            string `xml:"StorageClass"`
	NewerNoncurrentVersions *int   `xml:"NewerNoncurrentVersions,omitempty"`
}

type noncurrentExpirationXML struct {
	NoncurrentDays          *int `xml:"NoncurrentDays,omitempty"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions,omitempty"`
}

type abortIncompleteMultipartXML struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation,omitempty"`
}

func tagFromXML(t tagXML) kura.Tag { return kura.Tag(t) }
func tagToXML(t kura.Tag) tagXML   { return tagXML(t) }

func (r lifecycleRuleXML) kura() kura.LifecycleRule {
	return kura.LifecycleRule{
		ID: r.ID,
		Filter: conv.Ptr(r.Filter, func(f lifecycleFilterXML) kura.LifecycleFilter {
			return kura.LifecycleFilter{
				Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagFromXML),
				ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan,
				And: conv.Ptr(f.And, func(a lifecycleAndXML) kura.LifecycleAnd {
					return kura.LifecycleAnd{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagFromXML),
						ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				}),
			}
		}),
		Prefix: r.Prefix,
		Status: r.Status,
		Expiration: conv.Ptr(r.Expiration, func(e lifecycleExpirationXML) kura.LifecycleExpiration {
			return kura.LifecycleExpiration(e)
		}),
		Transitions: conv.Slice(r.Transitions, func(t lifecycleTransitionXML) kura.LifecycleTransition {
			return kura.LifecycleTransition(t)
		}),
		NoncurrentVersionTransitions: conv.Slice(r.NoncurrentVersionTransitions, func(t noncurrentTransitionXML) kura.NoncurrentVersionTransition {
			return kura.NoncurrentVersionTransition(t)
		}),
		NoncurrentVersionExpiration: conv.Ptr(r.NoncurrentVersionExpiration, func(e noncurrentExpirationXML) kura.NoncurrentVersionExpiration {
			return kura.NoncurrentVersionExpiration(e)
		}),
		AbortIncompleteMultipartUpload: conv.Ptr(r.AbortIncompleteMultipartUpload, func(a abortIncompleteMultipartXML) kura.AbortIncompleteMultipartUpload {
			return kura.AbortIncompleteMultipartUpload(a)
		}),
	}
}

func lifecycleRuleToXML(l kura.LifecycleRule) lifecycleRuleXML {
	return lifecycleRuleXML{
		ID: l.ID,
		Filter: conv.Ptr(l.Filter, func(f kura.LifecycleFilter) lifecycleFilterXML {
			return lifecycleFilterXML{
				Prefix: f.Prefix, Tag: conv.Ptr(f.Tag, tagToXML),
				ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan,
				And: conv.Ptr(f.And, func(a kura.LifecycleAnd) lifecycleAndXML {
					return lifecycleAndXML{Prefix: a.Prefix, Tags: conv.Slice(a.Tags, tagToXML),
						ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				}),
			}
		}),
		Prefix: l.Prefix,
		Status: l.Status,
		Expiration: conv.Ptr(l.Expiration, func(e kura.LifecycleExpiration) lifecycleExpirationXML {
			return lifecycleExpirationXML(e)
		}),
		Transitions: conv.Slice(l.Transitions, func(t kura.LifecycleTransition) lifecycleTransitionXML {
			return lifecycleTransitionXML(t)
		}),
		NoncurrentVersionTransitions: conv.Slice(l.NoncurrentVersionTransitions, func(t kura.NoncurrentVersionTransition) noncurrentTransitionXML {
			return noncurrentTransitionXML(t)
		}),
		NoncurrentVersionExpiration: conv.Ptr(l.NoncurrentVersionExpiration, func(e kura.NoncurrentVersionExpiration) noncurrentExpirationXML {
			return noncurrentExpirationXML(e)
		}),
		AbortIncompleteMultipartUpload: conv.Ptr(l.AbortIncompleteMultipartUpload, func(a kura.AbortIncompleteMultipartUpload) abortIncompleteMultipartXML {
			return abortIncompleteMultipartXML(a)
		}),
	}
}

// lifecycleClasses are the storage classes a transition may name.
var lifecycleClasses = []string{"GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}

// parseLifecycleConfiguration validates a PutBucketLifecycleConfiguration
// document and normalises it as S3 does: rules without an ID get one, dates
// are rendered in one format.
func parseLifecycleConfiguration(b []byte) ([]kura.LifecycleRule, error) {
	var cfg lifecycleConfiguration
	if err := parseXML(b, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Rules) == 0 {
		return nil, s3err.MalformedXML
	}
	if len(cfg.Rules) > maxLifecycleRules {
		return nil, s3err.MalformedXML.WithMessage("A lifecycle configuration can have at most %d rules; this one has %d.", maxLifecycleRules, len(cfg.Rules))
	}
	rules := conv.Slice(cfg.Rules, lifecycleRuleXML.kura)
	ids := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		if r.ID == "" {
			r.ID = newRuleID()
		}
		if len(r.ID) > 255 {
			return nil, s3err.InvalidArgument.WithMessage("ID length should not exceed allowed limit of 255").
				With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		if ids[r.ID] {
			return nil, s3err.InvalidArgument.WithMessage("Rule ID must be unique. Found same ID for more than one rule").
				With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		ids[r.ID] = true
		if err := validateLifecycleRule(r); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

// newRuleID makes the ID S3 gives a rule that has none: opaque, unique.
func newRuleID() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validateLifecycleRule(r *kura.LifecycleRule) error {
	if r.Status != "Enabled" && r.Status != "Disabled" {
		return s3err.MalformedXML
	}
	if (r.Filter == nil) == (r.Prefix == nil) {
		// Exactly one of the legacy Prefix and Filter.
		return s3err.MalformedXML
	}
	hasTags := false
	if f := r.Filter; f != nil {
		n := 0
		for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return s3err.MalformedXML
		}
		if f.Tag != nil && f.Tag.Key == "" {
			return s3err.MalformedXML
		}
		hasTags = f.Tag != nil
		if a := f.And; a != nil {
			for _, t := range a.Tags {
				if t.Key == "" {
					return s3err.MalformedXML
				}
			}
			hasTags = hasTags || len(a.Tags) > 0
			if gt, lt := a.ObjectSizeGreaterThan, a.ObjectSizeLessThan; gt != nil && lt != nil && *gt >= *lt {
				return s3err.InvalidArgument.WithMessage("ObjectSizeGreaterThan must be less than ObjectSizeLessThan in the And operator").
					With("ArgumentName", "ObjectSizeGreaterThan")
			}
		}
		for _, v := range []*int64{f.ObjectSizeGreaterThan, f.ObjectSizeLessThan} {
			if v != nil && *v < 0 {
				return s3err.InvalidArgument.WithMessage("Object size filters must be non-negative").With("ArgumentName", "ObjectSize")
			}
		}
	}
	if r.Expiration == nil && len(r.Transitions) == 0 && len(r.NoncurrentVersionTransitions) == 0 &&
		r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return s3err.InvalidRequest.WithMessage("At least one action needs to be specified in a rule")
	}
	if e := r.Expiration; e != nil {
		n := 0
		for _, set := range []bool{e.Date != "", e.Days != nil, e.ExpiredObjectDeleteMarker != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return s3err.MalformedXML
		}
		if e.Days != nil && *e.Days <= 0 {
			return positive("Days", "Expiration")
		}
		if e.Date != "" {
			d, err := lifecycleDate(e.Date)
			if err != nil {
				return err
			}
			e.Date = d
		}
		if e.ExpiredObjectDeleteMarker != nil && hasTags {
			return s3err.InvalidRequest.WithMessage("ExpiredObjectDeleteMarker cannot be specified with object tags")
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation == nil {
			return s3err.MalformedXML
		}
		if *a.DaysAfterInitiation <= 0 {
			return positive("DaysAfterInitiation", "AbortIncompleteMultipartUpload")
		}
		if hasTags {
			return s3err.InvalidRequest.WithMessage("AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil {
			return s3err.MalformedXML
		}
		if *n.NoncurrentDays <= 0 {
			return positive("NoncurrentDays", "NoncurrentVersionExpiration")
		}
		if n.NewerNoncurrentVersions != nil && *n.NewerNoncurrentVersions <= 0 {
			return positive("NewerNoncurrentVersions", "NoncurrentVersionExpiration")
		}
	}
	return validateTransitions(r)
}

func validateTransitions(r *kura.LifecycleRule) error {
	classes := map[string]bool{}
	for i := range r.Transitions {
		t := &r.Transitions[i]
		if (t.Date != "") == (t.Days != nil) {
			return s3err.MalformedXML
		}
		if !slices.Contains(lifecycleClasses, t.StorageClass) {
			return s3err.MalformedXML
		}
		if t.Days != nil && *t.Days < 0 {
			return s3err.InvalidArgument.WithMessage("'Days' in Transition action must be nonnegative").With("ArgumentName", "Days")
		}
		if t.Date != "" {
			d, err := lifecycleDate(t.Date)
			if err != nil {
				return err
			}
			t.Date = d
		}
		if classes[t.StorageClass] {
			return s3err.InvalidRequest.WithMessage("'StorageClass' must be different for 'Transition' actions in same 'Rule'")
		}
		classes[t.StorageClass] = true
	}
	clear(classes)
	for _, t := range r.NoncurrentVersionTransitions {
		if t.NoncurrentDays == nil || !slices.Contains(lifecycleClasses, t.StorageClass) {
			return s3err.MalformedXML
		}
		if *t.NoncurrentDays < 0 {
			return s3err.InvalidArgument.WithMessage("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative").With("ArgumentName", "NoncurrentDays")
		}
		if classes[t.StorageClass] {
			return s3err.InvalidRequest.WithMessage("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'")
		}
		classes[t.StorageClass] = true
	}
	return nil
}

func positive(field, action string) error {
	return s3err.InvalidArgument.WithMessage("'%s' for %s action must be a positive integer", field, action).With("ArgumentName", field)
}

// lifecycleDate checks a lifecycle Date (ISO 8601, midnight UTC) and
// returns it in the form GET renders.
func lifecycleDate(s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return "", s3err.InvalidArgument.WithMessage("'Date' must be in ISO 8601 format").With("ArgumentName", "Date").With("ArgumentValue", s)
		}
	}
	t = t.UTC()
	if !t.Equal(t.Truncate(24 * time.Hour)) {
		return "", s3err.InvalidArgument.WithMessage("Date must be at midnight GMT").With("ArgumentName", "Date").With("ArgumentValue", s)
	}
	return t.Format("2006-01-02T15:04:05Z"), nil
}

func (h *Handler) putBucketLifecycle(req *request) error {
	_, body, err := h.configBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	rules, err := parseLifecycleConfiguration(body)
	if err != nil {
		return err
	}
	req.w.Header().Set("x-amz-transition-default-minimum-object-size", transitionMinSize)
	return h.setBucketConfig(req, http.StatusOK, func(b *kura.Bucket) { b.Lifecycle = rules })
}

func (h *Handler) getBucketLifecycle(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if len(b.Lifecycle) == 0 {
		return s3err.NoSuchLifecycle.With("BucketName", b.Name)
	}
	req.w.Header().Set("x-amz-transition-default-minimum-object-size", transitionMinSize)
	writeXML(req, http.StatusOK, lifecycleConfiguration{NS: s3NS, Rules: conv.Slice(b.Lifecycle, lifecycleRuleToXML)})
	return nil
}

func (h *Handler) deleteBucketLifecycle(req *request) error {
	return h.clearBucketConfig(req, func(b *kura.Bucket) { b.Lifecycle = nil })
}
