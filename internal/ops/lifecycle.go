package ops

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// ValidateLifecycle checks lifecycle rules the way S3 does and
// normalises them as S3 does: rules without an ID get one, dates are
// rendered in one format. What S3's schema forbids (a status outside its
// enumeration, both or neither of Filter and Prefix) is MalformedXML;
// bad values InvalidArgument or InvalidRequest with S3's messages.
func ValidateLifecycle(rules []kura.LifecycleRule) error {
	ids := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		if r.ID == "" {
			r.ID = newRuleID()
		}
		if len(r.ID) > 255 {
			return s3err.InvalidArgument.WithMessage("ID length should not exceed allowed limit of 255").
				With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		if ids[r.ID] {
			return s3err.InvalidArgument.WithMessage("Rule ID must be unique. Found same ID for more than one rule").
				With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		ids[r.ID] = true
		if err := validateLifecycleRule(r); err != nil {
			return err
		}
	}
	return nil
}

// lifecycleClasses are the storage classes a transition may name.
var lifecycleClasses = []string{"GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}

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
