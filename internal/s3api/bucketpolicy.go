package s3api

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Bucket policies: PUT, GET and DELETE /{bucket}?policy and GET
// ?policyStatus. The document is stored as sent (kura.Bucket.Policy) and
// evaluated by the authorization step (authz.go) on every request to the
// bucket.

// maxBucketPolicy is S3's bucket policy size limit (20 KB).
const maxBucketPolicy = 20 << 10

// ownBucketPolicy is the check S3 makes after authorization for the three
// bucket policy operations: only principals of the bucket owner's account
// may use them, whatever a policy grants (405 otherwise).
func (h *Handler) ownBucketPolicy(req *request) (*kura.Bucket, error) {
	b, err := h.bucketFor(req)
	if err != nil {
		return nil, err
	}
	if b.Owner != req.identity.AccountID {
		return nil, s3err.MethodNotAllowed.With("Method", req.Method).With("ResourceType", "BUCKETPOLICY")
	}
	return b, nil
}

func (h *Handler) putBucketPolicy(req *request) error {
	b, err := h.ownBucketPolicy(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	body, err := readBody(req, maxBucketPolicy)
	if err != nil {
		if s3err.As(err).Code == s3err.MalformedXML.Code {
			return s3err.MalformedPolicy.WithMessage("Policy exceeds the maximum allowed document size.")
		}
		return err
	}
	text := string(body)
	if _, err := policy.Parse(body, policy.Resource); err != nil {
		return s3err.MalformedPolicy.WithMessage("%s", err.Error())
	}
	if err := checkPolicyResources(body, req.bucket); err != nil {
		return err
	}
	if err := blockPublicPolicy(b, body); err != nil {
		return err
	}
	return h.setBucketConfig(req, http.StatusNoContent, func(b *kura.Bucket) { b.Policy = text })
}

func (h *Handler) getBucketPolicy(req *request) error {
	b, err := h.ownBucketPolicy(req)
	if err != nil {
		return err
	}
	if b.Policy == "" {
		return s3err.NoSuchBucketPolicy.With("BucketName", b.Name)
	}
	hdr := req.w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b.Policy)))
	req.w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		req.w.Write([]byte(b.Policy))
	}
	return nil
}

func (h *Handler) deleteBucketPolicy(req *request) error {
	if _, err := h.ownBucketPolicy(req); err != nil {
		return err
	}
	return h.setBucketConfig(req, http.StatusNoContent, func(b *kura.Bucket) { b.Policy = "" })
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket is public: its policy
// is public, or (ACLs enabled and not ignored by Block Public Access) its
// ACL grants AllUsers or AuthenticatedUsers. S3 looks at the policy alone
// and answers NoSuchBucketPolicy when there is none; Kura answers for the
// bucket as a whole, which is what the operation's documentation promises
// ("indicating whether the bucket is public") and what the s3-tests
// suite expects (test_get_bucket_policy_status,
// test_get_public_acl_bucket_policy_status).
func (h *Handler) getBucketPolicyStatus(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	public := b.Policy != "" && policyIsPublic([]byte(b.Policy))
	if !public && b.ACL != nil && aclsEnabled(b) && !ignoresPublicACLs(b) {
		public = publicACL(b.ACL.Grants)
	}
	writeXML(req, http.StatusOK, policyStatusXML{NS: s3NS, IsPublic: public})
	return nil
}

// policyStatement is the part of a statement the checks below read.
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

// checkPolicyResources refuses a bucket policy whose resources are not this
// bucket or its objects, as S3 does ("Policy has invalid resource"). A
// wildcard in the bucket part is accepted when it matches the bucket.
func checkPolicyResources(doc []byte, bucket string) error {
	for _, st := range policyStatements(doc) {
		for _, r := range append(stringOrList(st.Resource), stringOrList(st.NotResource)...) {
			if !bucketResource(r, bucket) {
				return s3err.MalformedPolicy.WithMessage("Policy has invalid resource")
			}
		}
	}
	return nil
}

func bucketResource(r, bucket string) bool {
	if r == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == bucket {
		return true
	}
	// path.Match's * and ? are IAM's, and bucket names have no '/'.
	m, err := path.Match(name, bucket)
	return err == nil && m
}

// publicRestrictingKeys are the condition keys that tie a statement to
// particular callers or networks, so that a grant to "*" under one of them
// is not public (S3's "The meaning of public", simplified).
var publicRestrictingKeys = []string{
	"aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount",
	"aws:sourceowner", "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
	"aws:principalorgpaths", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
}

// policyIsPublic reports whether a bucket policy grants access to anyone:
// an Allow statement whose principal is "*" ({"AWS": "*"}, or any
// NotPrincipal) and whose conditions pin none of publicRestrictingKeys to
// fixed values. A restriction counts only with a positive operator
// (StringEquals, ArnLike, IpAddress, …; not the Not… forms) and values
// without wildcards (and, for aws:SourceIp, not 0.0.0.0/0 or ::/0). That
// is the gist of S3's rule; it does not judge CIDR sizes or
// ForAllValues subtleties.
func policyIsPublic(doc []byte) bool {
	for _, st := range policyStatements(doc) {
		if st.Effect != "Allow" || !anyonePrincipal(st) || restricted(st.Condition) {
			continue
		}
		return true
	}
	return false
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
