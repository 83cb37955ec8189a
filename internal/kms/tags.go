package kms

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// maxTags is AWS's quota of tags per KMS key.
const maxTags = 50

// TagResource adds tags to a customer managed key, replacing the values of
// tag keys it already has.
func (s *Service) TagResource(ctx context.Context, c kura.Call, keyID string, tags []Tag) error {
	_, err := run(ctx, s, c, "TagResource", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		o.param("tags", tags)
		_, err := s.updateKey(ctx, o, keyID, "TagResource", func(rec *keyRecord, _ time.Time) error {
			if rec.State == KeyStatePendingDeletion {
				return errPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
			}
			merged, err := mergeTags(rec.Tags, tags)
			rec.Tags = merged
			return err
		})
		return struct{}{}, err
	})
	return err
}

// UntagResource removes tags by key; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, c kura.Call, keyID string, tagKeys []string) error {
	_, err := run(ctx, s, c, "UntagResource", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		o.param("tagKeys", tagKeys)
		_, err := s.updateKey(ctx, o, keyID, "UntagResource", func(rec *keyRecord, _ time.Time) error {
			if rec.State == KeyStatePendingDeletion {
				return errPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
			}
			rec.Tags = slices.DeleteFunc(slices.Clone(rec.Tags), func(t Tag) bool { return slices.Contains(tagKeys, t.TagKey) })
			return nil
		})
		return struct{}{}, err
	})
	return err
}

// ListResourceTagsOutput is one page of ListResourceTags.
type ListResourceTagsOutput struct {
	Tags       []Tag  `json:"Tags"`
	NextMarker string `json:"NextMarker,omitempty"`
	Truncated  bool   `json:"Truncated"`
}

// ListResourceTags lists a key's tags ordered by tag key.
func (s *Service) ListResourceTags(ctx context.Context, c kura.Call, keyID string, in ListInput) (ListResourceTagsOutput, error) {
	return run(ctx, s, c, "ListResourceTags", true, func(ctx context.Context, o *op) (ListResourceTagsOutput, error) {
		o.param("keyId", keyID)
		paramList(o, in)
		rec, err := s.findKey(ctx, o, keyID, false, "ListResourceTags")
		if err != nil {
			return ListResourceTagsOutput{}, err
		}
		got, next, err := page(rec.Tags, func(t Tag) string { return t.TagKey }, in, 50, 50)
		if err != nil {
			return ListResourceTagsOutput{}, err
		}
		return ListResourceTagsOutput{Tags: got, NextMarker: next, Truncated: next != ""}, nil
	})
}

// mergeTags validates add and merges it into have (a later value for the
// same key wins), returning the tags sorted by key.
func mergeTags(have, add []Tag) ([]Tag, error) {
	out := slices.Clone(have)
	for _, t := range add {
		switch {
		case len(t.TagKey) < 1 || len(t.TagKey) > 128:
			return have, errConstraint("tags.member.tagKey", "", "Member must have length between 1 and 128")
		case len(t.TagValue) > 256:
			return have, errConstraint("tags.member.tagValue", "", "Member must have length less than or equal to 256")
		case strings.HasPrefix(strings.ToLower(t.TagKey), "aws:"):
			return have, newError(TagException, "Tag keys beginning with aws: are reserved for AWS use.")
		}
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.TagKey == t.TagKey }); i >= 0 {
			out[i].TagValue = t.TagValue
		} else {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return have, newError(LimitExceededException, "A KMS key can have at most %d tags.", maxTags)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TagKey < out[j].TagKey })
	return out, nil
}
