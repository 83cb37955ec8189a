package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Server access logging (PutBucketLogging, GetBucketLogging): the
// BucketLoggingStatus document. The checks that are S3's semantics (the
// target bucket, the grants) are the operation's.

// maxLoggingBody bounds a BucketLoggingStatus body.
const maxLoggingBody = 64 << 10

type bucketLoggingStatusXML struct {
	XMLName        xml.Name           `xml:"BucketLoggingStatus"`
	NS             string             `xml:"xmlns,attr,omitempty"`
	LoggingEnabled *loggingEnabledXML `xml:"LoggingEnabled"`
}

type loggingEnabledXML struct {
	TargetBucket          string              `xml:"TargetBucket"`
	TargetPrefix          string              `xml:"TargetPrefix"`
	TargetGrants          *loggingGrantsXML   `xml:"TargetGrants"`
	TargetObjectKeyFormat *targetKeyFormatXML `xml:"TargetObjectKeyFormat"`
}

type loggingGrantsXML struct {
	Grants []grant `xml:"Grant"`
}

// loggingGrantsIn is TargetGrants as clients send them.
type loggingGrantsIn struct {
	Grants []grantIn `xml:"Grant"`
}

type targetKeyFormatXML struct {
	SimplePrefix      *struct{}             `xml:"SimplePrefix"`
	PartitionedPrefix *partitionedPrefixXML `xml:"PartitionedPrefix"`
}

type partitionedPrefixXML struct {
	PartitionDateSource string `xml:"PartitionDateSource,omitempty"`
}

// loggingIn is the body as parsed: TargetGrants in their input shape.
type loggingIn struct {
	XMLName        xml.Name `xml:"BucketLoggingStatus"`
	LoggingEnabled *struct {
		TargetBucket          *string             `xml:"TargetBucket"`
		TargetPrefix          *string             `xml:"TargetPrefix"`
		TargetGrants          *loggingGrantsIn    `xml:"TargetGrants"`
		TargetObjectKeyFormat *targetKeyFormatXML `xml:"TargetObjectKeyFormat"`
	} `xml:"LoggingEnabled"`
}

// parseBucketLogging reads a BucketLoggingStatus body: nil for one without
// LoggingEnabled (logging off). TargetBucket and TargetPrefix are
// required inside LoggingEnabled, as the model says.
func (h *Handler) parseBucketLogging(req *request, body []byte) (*kura.BucketLogging, error) {
	var x loggingIn
	if err := parseXML(body, &x); err != nil {
		return nil, err
	}
	le := x.LoggingEnabled
	if le == nil {
		return nil, nil
	}
	if le.TargetBucket == nil || le.TargetPrefix == nil {
		return nil, s3err.MalformedXML
	}
	l := &kura.BucketLogging{TargetBucket: *le.TargetBucket, TargetPrefix: *le.TargetPrefix}
	if f := le.TargetObjectKeyFormat; f != nil {
		if (f.SimplePrefix == nil) == (f.PartitionedPrefix == nil) {
			return nil, s3err.MalformedXML
		}
		if p := f.PartitionedPrefix; p != nil {
			l.PartitionedPrefix, l.PartitionDateSource = true, p.PartitionDateSource
		}
	}
	if g := le.TargetGrants; g != nil {
		grants, err := grantsOf(g.Grants, s3err.MalformedXML)
		if err != nil {
			return nil, err
		}
		resolved, err := ops.ResolveGrants(req.Context(), h.accounts(), grants)
		if err != nil {
			return nil, err
		}
		l.TargetGrants = resolved
	}
	return l, nil
}

func (h *Handler) putBucketLogging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	body, err := readBody(req, maxLoggingBody)
	if err != nil {
		return err
	}
	l, err := h.parseBucketLogging(req, body)
	if err != nil {
		return err
	}
	err = h.ops.PutBucketLogging(h.front(req, b), req.caller(), ops.LoggingInput{BucketTarget: req.bucketTarget(), Logging: l})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getBucketLogging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	l, err := h.ops.GetBucketLogging(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	out := bucketLoggingStatusXML{NS: s3NS}
	if l != nil {
		le := &loggingEnabledXML{TargetBucket: l.TargetBucket, TargetPrefix: l.TargetPrefix}
		if len(l.TargetGrants) > 0 {
			le.TargetGrants = &loggingGrantsXML{}
			for _, g := range l.TargetGrants {
				le.TargetGrants.Grants = append(le.TargetGrants.Grants,
					grant{Grantee: grantee{XMLNSXSI: xsiNS, Type: g.Type, ID: g.ID, URI: g.URI}, Permission: g.Permission})
			}
		}
		if l.PartitionedPrefix {
			le.TargetObjectKeyFormat = &targetKeyFormatXML{PartitionedPrefix: &partitionedPrefixXML{PartitionDateSource: l.PartitionDateSource}}
		} else {
			le.TargetObjectKeyFormat = &targetKeyFormatXML{SimplePrefix: &struct{}{}}
		}
		out.LoggingEnabled = le
	}
	writeXML(req, http.StatusOK, out)
	return nil
}
