package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
	"github.com/kurastore/kura/internal/ops"
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

// parseLifecycleConfiguration reads a PutBucketLifecycleConfiguration
// document into rules: the XML and the number of rules S3's schema
// allows. The rules themselves are S3's to judge
// (ops.ValidateLifecycle, called by the operation).
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
	return conv.Slice(cfg.Rules, lifecycleRuleXML.kura), nil
}

func (h *Handler) putBucketLifecycle(req *request) error {
	b, body, err := h.configBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	rules, err := parseLifecycleConfiguration(body)
	if err != nil {
		return err
	}
	if _, err := h.ops.PutBucketLifecycleConfiguration(h.front(req, b), req.caller(), ops.LifecycleInput{BucketTarget: req.bucketTarget(), Rules: rules}); err != nil {
		return err
	}
	req.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", transitionMinSize)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketLifecycle(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	rules, err := h.ops.GetBucketLifecycleConfiguration(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	req.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", transitionMinSize)
	writeXML(req, http.StatusOK, lifecycleConfiguration{NS: s3NS, Rules: conv.Slice(rules, lifecycleRuleToXML)})
	return nil
}

func (h *Handler) deleteBucketLifecycle(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketLifecycle(h.front(req, b), req.caller(), req.bucketTarget()))
}
