package access

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

// Block Public Access as decisions see it (the bucket level; account-level
// settings are not modelled). IgnorePublicAcls is aclAllows'; the
// RestrictPublicBuckets setting is applied here: while a bucket's policy
// is public, it grants nothing to callers outside the bucket owner's
// account — its Deny statements still apply. BlockPublicAcls and
// BlockPublicPolicy refuse writes (the S3 front checks them with
// PolicyIsPublic and kura.Grant.IsPublic).
//
// "Public" is S3's "The meaning of public": an ACL granting anything to
// AllUsers or AuthenticatedUsers, a policy with an Allow statement open to
// anyone (PolicyIsPublic).

// effectivePolicy is b's bucket policy as it applies to the caller: under
// RestrictPublicBuckets a public policy keeps only its Deny statements for
// anyone outside the bucket owner's account. It is worked out once per
// bucket and Memo (a DeleteObjects decides up to 1000 keys against it). A
// stored policy that no longer parses fails the decision: it might hold a
// Deny.
func (d *decision) effectivePolicy(b *kura.Bucket) (*policy.Document, error) {
	if doc, ok := d.m.bucketPolicies[b.Name]; ok {
		return doc, nil
	}
	doc, err := d.a.computeEffectivePolicy(b, d.p)
	if err != nil {
		return nil, err
	}
	if d.m.bucketPolicies == nil {
		d.m.bucketPolicies = map[string]*policy.Document{}
	}
	d.m.bucketPolicies[b.Name] = doc
	return doc, nil
}

func (a *Authorizer) computeEffectivePolicy(b *kura.Bucket, p kura.Principal) (*policy.Document, error) {
	if b.Policy == "" {
		return nil, nil
	}
	text := b.Policy
	c := b.PublicAccessBlock
	insider := !p.IsAnonymous() && p.AccountID == b.Owner
	if c != nil && c.RestrictPublicBuckets && !insider && PolicyIsPublic([]byte(b.Policy)) {
		var ok bool
		if text, ok = denyStatements(b.Policy); !ok {
			return nil, nil
		}
	}
	doc, err := a.compiled.Parse(text, policy.Resource)
	if err != nil {
		a.log().Error("stored bucket policy does not parse", "bucket", b.Name, "err", err)
		return nil, fmt.Errorf("the stored policy of bucket %s does not parse: %w", b.Name, err)
	}
	return doc, nil
}

// denyStatements is a policy document with only its Deny statements; ok
// is false when it has none.
func denyStatements(doc string) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &top) != nil {
		return "", false
	}
	var list []json.RawMessage
	if json.Unmarshal(top["Statement"], &list) != nil {
		list = []json.RawMessage{top["Statement"]}
	}
	var keep []json.RawMessage
	for _, raw := range list {
		var st struct{ Effect string }
		if json.Unmarshal(raw, &st) == nil && st.Effect == "Deny" {
			keep = append(keep, raw)
		}
	}
	if len(keep) == 0 {
		return "", false
	}
	top["Statement"], _ = json.Marshal(keep)
	out, err := json.Marshal(top)
	return string(out), err == nil
}

// publicRestrictingKeys are the condition keys that tie a statement to
// particular callers or networks, so that a grant to "*" under one of them
// is not public (S3's "The meaning of public", simplified).
var publicRestrictingKeys = []string{
	"aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount",
	"aws:sourceowner", "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
	"aws:principalorgpaths", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
}

// PolicyIsPublic reports whether a bucket policy grants access to anyone:
// an Allow statement whose principal is "*" ({"AWS": "*"}, or any
// NotPrincipal) and whose conditions pin none of publicRestrictingKeys to
// fixed values. A restriction counts only with a positive operator
// (StringEquals, ArnLike, IpAddress, …; not the Not… forms) and values
// without wildcards (and, for aws:SourceIp, not 0.0.0.0/0 or ::/0). That
// is the gist of S3's rule; it does not judge CIDR sizes or
// ForAllValues subtleties.
func PolicyIsPublic(doc []byte) bool {
	for _, st := range policyStatements(doc) {
		if st.Effect != "Allow" || !anyonePrincipal(st) || restricted(st.Condition) {
			continue
		}
		return true
	}
	return false
}

// PolicyResources is every Resource and NotResource value of a policy
// document that policy.Parse has accepted.
func PolicyResources(doc []byte) []string {
	var out []string
	for _, st := range policyStatements(doc) {
		out = append(out, stringOrList(st.Resource)...)
		out = append(out, stringOrList(st.NotResource)...)
	}
	return out
}

// policyStatement is the part of a statement the checks here read.
// Values that are a string or a list are kept raw.
type policyStatement struct {
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// policyStatements decodes the statements of a document that policy.Parse
// has accepted (so the shape is known to be right).
func policyStatements(doc []byte) []policyStatement {
	var top struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal(doc, &top) != nil {
		return nil
	}
	var list []policyStatement
	if json.Unmarshal(top.Statement, &list) == nil {
		return list
	}
	var one policyStatement
	if json.Unmarshal(top.Statement, &one) == nil {
		return []policyStatement{one}
	}
	return nil
}

// stringOrList decodes a policy value that is a string or a list of them
// (numbers and booleans, as condition values may be, become their text).
func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		var one any
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(x))
		}
	}
	return out
}

func anyonePrincipal(st policyStatement) bool {
	if len(st.NotPrincipal) > 0 {
		return true
	}
	if vals := stringOrList(st.Principal); len(vals) == 1 && vals[0] == "*" {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(st.Principal, &m) != nil {
		return false
	}
	for _, v := range stringOrList(m["AWS"]) {
		if v == "*" {
			return true
		}
	}
	return false
}

func restricted(cond map[string]map[string]json.RawMessage) bool {
	for op, keys := range cond {
		name := strings.ToLower(op)
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name = name[i+1:] // ForAnyValue:StringEquals → stringequals
		}
		name = strings.TrimSuffix(name, "ifexists")
		if strings.Contains(name, "not") || name == "null" {
			continue
		}
		for k, raw := range keys {
			if !containsFold(publicRestrictingKeys, k) {
				continue
			}
			vals := stringOrList(raw)
			fixed := len(vals) > 0
			for _, v := range vals {
				if strings.ContainsAny(v, "*?") || v == "0.0.0.0/0" || v == "::/0" {
					fixed = false
				}
			}
			if fixed {
				return true
			}
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
