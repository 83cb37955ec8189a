package kms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Key policies are stored and returned verbatim; they are not evaluated yet
// (see the package doc). Only the policy name "default" exists.

const (
	defaultPolicyName = "default"
	maxPolicyLen      = 32768 // AWS's key policy size quota (32 KB)
	maxTags           = 50
)

// defaultPolicy is the key policy AWS attaches when CreateKey has none, in
// AWS's own formatting: it gives the account (and through it, IAM) full
// control of the key.
func defaultPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// managedPolicy is the key policy of an AWS managed key such as aws/s3: use
// through the service by principals of the account, read-only access to
// metadata directly. It grants no management actions.
func managedPolicy(account, region, service string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "auto-` + service + `-2",
  "Statement" : [ {
    "Sid" : "Allow access through ` + strings.ToUpper(service) + ` for all principals in the account that are authorized to use ` + strings.ToUpper(service) + `",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "` + account + `",
        "kms:ViaService" : "` + service + `.` + region + `.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  } ]
}`
}

// checkPolicy checks a key policy's size, characters (the model's
// [\u0009\u000A\u000D\u0020-\u00FF]+) and shape: a JSON object with a
// Statement. It does not judge what the statements allow.
func checkPolicy(p string) error {
	if p == "" {
		return errConstraint("policy", "", "Member must have length greater than or equal to 1")
	}
	if len(p) > maxPolicyLen {
		return newError(LimitExceededException, "The key policy exceeds the maximum size of %d bytes.", maxPolicyLen)
	}
	for _, r := range p {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF) {
			return errConstraint("policy", "", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
		}
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p), &doc); err != nil {
		return newError(MalformedPolicyDocumentException, "The key policy is not a valid JSON object.")
	}
	st, ok := doc["Statement"]
	if !ok || string(st) == "null" {
		return newError(MalformedPolicyDocumentException, "The key policy has no Statement.")
	}
	var one map[string]json.RawMessage
	var many []map[string]json.RawMessage
	if json.Unmarshal(st, &one) != nil && (json.Unmarshal(st, &many) != nil || len(many) == 0) {
		return newError(MalformedPolicyDocumentException, "The key policy's Statement must be a statement object or a non-empty list of them.")
	}
	return nil
}

func checkPolicyName(name string) (string, error) {
	if name == "" {
		return defaultPolicyName, nil
	}
	if name != defaultPolicyName {
		return "", newError(NotFoundException, "No such policy exists: %s. The only key policy name is default.", name)
	}
	return name, nil
}

// GetKeyPolicy returns a key's policy. policyName must be "default" or
// empty.
func (s *Service) GetKeyPolicy(ctx context.Context, c Caller, keyID, policyName string) (string, error) {
	return run(ctx, s, c, "GetKeyPolicy", true, func(o *op) (string, error) {
		o.param("keyId", keyID)
		o.param("policyName", orDefault(policyName, defaultPolicyName))
		if _, err := checkPolicyName(policyName); err != nil {
			return "", err
		}
		rec, err := s.findKey(ctx, o, keyID, false, "GetKeyPolicy")
		if err != nil {
			return "", err
		}
		return rec.Policy, nil
	})
}

// PutKeyPolicy replaces a customer managed key's policy, in any key state.
func (s *Service) PutKeyPolicy(ctx context.Context, c Caller, keyID, policyName, policy string) error {
	_, err := run(ctx, s, c, "PutKeyPolicy", false, func(o *op) (struct{}, error) {
		o.param("keyId", keyID)
		o.param("policyName", orDefault(policyName, defaultPolicyName))
		o.param("policy", policy)
		if _, err := checkPolicyName(policyName); err != nil {
			return struct{}{}, err
		}
		if err := checkPolicy(policy); err != nil {
			return struct{}{}, err
		}
		_, err := s.updateKey(ctx, o, keyID, "PutKeyPolicy", func(rec *keyRecord, _ time.Time) error {
			rec.Policy = policy
			return nil
		})
		return struct{}{}, err
	})
	return err
}

// ListKeyPolicies returns the names of a key's policies: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, c Caller, keyID string) ([]string, error) {
	return run(ctx, s, c, "ListKeyPolicies", true, func(o *op) ([]string, error) {
		o.param("keyId", keyID)
		if _, err := s.findKey(ctx, o, keyID, false, "ListKeyPolicies"); err != nil {
			return nil, err
		}
		return []string{defaultPolicyName}, nil
	})
}

// TagResource adds tags to a customer managed key, replacing the values of
// tag keys it already has.
func (s *Service) TagResource(ctx context.Context, c Caller, keyID string, tags []Tag) error {
	_, err := run(ctx, s, c, "TagResource", false, func(o *op) (struct{}, error) {
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
func (s *Service) UntagResource(ctx context.Context, c Caller, keyID string, tagKeys []string) error {
	_, err := run(ctx, s, c, "UntagResource", false, func(o *op) (struct{}, error) {
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
func (s *Service) ListResourceTags(ctx context.Context, c Caller, keyID string, in ListInput) (ListResourceTagsOutput, error) {
	return run(ctx, s, c, "ListResourceTags", true, func(o *op) (ListResourceTagsOutput, error) {
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

// page returns the items after in.Marker (the NextMarker of the previous
// page), at most in.Limit of them (def if 0, at most max), and the marker of
// the next page ("" on the last). items must be sorted by key.
func page[T any](items []T, key func(T) string, in ListInput, def, max int) ([]T, string, error) {
	limit := in.Limit
	if limit == 0 {
		limit = def
	}
	if limit < 1 || limit > max {
		return nil, "", errConstraint("limit", strconv.Itoa(limit), "Member must have value between 1 and "+strconv.Itoa(max))
	}
	start := 0
	if in.Marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(in.Marker)
		if err != nil || len(after) == 0 {
			return nil, "", newError(InvalidMarkerException, "The marker is not valid.")
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > string(after) })
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}
