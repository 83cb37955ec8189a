package kms

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// Key policies are stored and returned verbatim and evaluated on every use
// of a key (authz.go). Only the policy name "default" exists.

const (
	defaultPolicyName = "default"
	maxPolicyLen      = 32768 // AWS's key policy size quota (32 KB)
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
func (s *Service) GetKeyPolicy(ctx context.Context, c kura.Call, keyID, policyName string) (string, error) {
	return run(ctx, s, c, "GetKeyPolicy", true, func(ctx context.Context, o *op) (string, error) {
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

// PutKeyPolicy replaces a customer managed key's policy, in any key state,
// with the policy lockout safety check.
func (s *Service) PutKeyPolicy(ctx context.Context, c kura.Call, keyID, policyName, policy string) error {
	return s.PutKeyPolicyWith(ctx, c, keyID, policyName, policy, false)
}

// PutKeyPolicyWith is PutKeyPolicy with BypassPolicyLockoutSafetyCheck:
// unless bypass is set, a policy that would not let the caller change the
// key policy again is refused, as AWS refuses it.
func (s *Service) PutKeyPolicyWith(ctx context.Context, c kura.Call, keyID, policyName, policy string, bypass bool) error {
	_, err := run(ctx, s, c, "PutKeyPolicy", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		o.param("policyName", orDefault(policyName, defaultPolicyName))
		o.param("policy", policy)
		o.param("bypassPolicyLockoutSafetyCheck", bypass)
		if _, err := checkPolicyName(policyName); err != nil {
			return struct{}{}, err
		}
		if err := checkPolicy(policy); err != nil {
			return struct{}{}, err
		}
		doc, err := s.parseKeyPolicy(policy)
		if err != nil {
			return struct{}{}, err
		}
		if !bypass {
			// Checked before the update so that no policy lookup runs
			// inside the metadata transaction; management operations name
			// keys by id or ARN, so the reference alone gives the ARN.
			ref, err := s.parseKeyRef(c, keyID, false)
			if err != nil {
				return struct{}{}, err
			}
			if err := s.checkLockout(ctx, o, doc, refARN(s.region, ref), ref.account); err != nil {
				return struct{}{}, err
			}
		}
		_, err = s.updateKey(ctx, o, keyID, "PutKeyPolicy", func(rec *keyRecord, _ time.Time) error {
			rec.Policy = policy
			return nil
		})
		return struct{}{}, err
	})
	return err
}

// ListKeyPolicies returns the names of a key's policies: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, c kura.Call, keyID string) ([]string, error) {
	return run(ctx, s, c, "ListKeyPolicies", true, func(ctx context.Context, o *op) ([]string, error) {
		o.param("keyId", keyID)
		if _, err := s.findKey(ctx, o, keyID, false, "ListKeyPolicies"); err != nil {
			return nil, err
		}
		return []string{defaultPolicyName}, nil
	})
}
