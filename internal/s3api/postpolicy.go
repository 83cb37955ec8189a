package s3api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// The POST policy of a browser upload form: a base64 JSON document naming
// when it expires and the conditions every form field must meet. It is
// evaluated here without I/O; postobject.go checks its signature and
// streams the file.

// postPolicy is a parsed POST policy.
type postPolicy struct {
	expiration time.Time
	conds      []postCondition
	// minSize and maxSize are the content-length-range; hasRange says the
	// policy set one.
	minSize, maxSize int64
	hasRange         bool
}

// postCondition is one condition: op is "eq" or "starts-with"; field is the
// lower-case form field name without "$".
type postCondition struct {
	op, field, value string
	// text is the condition as S3 quotes it in error messages.
	text string
}

func policyError(format string, args ...any) *s3err.Error {
	return s3err.AccessDenied.WithMessage("Invalid according to Policy: "+format, args...)
}

func invalidPolicy(format string, args ...any) *s3err.Error {
	return s3err.InvalidPolicyDocument.WithMessage("Invalid Policy: "+format, args...)
}

// parsePostPolicy decodes the base64 policy of a form.
func parsePostPolicy(b64 string) (*postPolicy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, invalidPolicy("Invalid Base64 Encoding.")
	}
	// The document's keys are matched exactly: S3 refuses "EXPIRATION"
	// or "Conditions", which encoding/json's struct decoding would accept
	// (it folds case), so the keys are looked up in a map.
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	var expiration string
	if v, ok := doc["expiration"]; !ok {
		return nil, invalidPolicy("Policy missing expiration.")
	} else if err := json.Unmarshal(v, &expiration); err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", string(v))
	}
	p := &postPolicy{}
	if p.expiration, err = time.Parse(time.RFC3339Nano, expiration); err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", expiration)
	}
	var conds []json.RawMessage
	if v, ok := doc["conditions"]; !ok {
		return nil, invalidPolicy("Policy missing conditions.")
	} else if err := json.Unmarshal(v, &conds); err != nil || conds == nil {
		return nil, invalidPolicy("Invalid 'conditions' value: must be a list.")
	}
	for _, c := range conds {
		if err := p.addCondition(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addCondition parses one condition: {"field": "value"} (an exact match),
// ["eq"|"starts-with", "$field", "value"] or ["content-length-range", min, max].
func (p *postPolicy) addCondition(raw json.RawMessage) error {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		if len(obj) != 1 {
			return invalidPolicy("Invalid Condition: %s", string(raw))
		}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return invalidPolicy("Invalid Condition: %s", string(raw))
			}
			f := strings.ToLower(k)
			p.conds = append(p.conds, postCondition{op: "eq", field: f, value: s,
				text: fmt.Sprintf("[\"eq\", \"$%s\", %s]", k, strconv.Quote(s))})
		}
		return nil
	}
	var arr []any
	if err := json.Unmarshal(raw, &arr); err != nil || len(arr) != 3 {
		return invalidPolicy("Invalid Condition: %s", string(raw))
	}
	op, _ := arr[0].(string)
	switch op = strings.ToLower(op); op {
	case "content-length-range":
		lo, ok1 := policyInt(arr[1])
		hi, ok2 := policyInt(arr[2])
		if !ok1 || !ok2 || lo < 0 || hi < lo {
			return invalidPolicy("Invalid content-length-range: %s", string(raw))
		}
		p.minSize, p.maxSize, p.hasRange = lo, hi, true
		return nil
	case "eq", "starts-with":
		name, ok1 := arr[1].(string)
		value, ok2 := arr[2].(string)
		if !ok1 || !ok2 || !strings.HasPrefix(name, "$") || len(name) < 2 {
			return invalidPolicy("Invalid Condition: %s", string(raw))
		}
		p.conds = append(p.conds, postCondition{op: op, field: strings.ToLower(name[1:]), value: value,
			text: fmt.Sprintf("[%s, %s, %s]", strconv.Quote(op), strconv.Quote(name), strconv.Quote(value))})
		return nil
	}
	return invalidPolicy("Invalid Condition: %s", string(raw))
}

// policyInt reads a content-length-range bound, a JSON number or a string
// of digits (both are seen in the wild).
func policyInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n != float64(int64(n)) {
			return 0, false
		}
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// postIgnored are the form fields the policy need not mention (the
// signature itself, the policy, the file) besides x-ignore-*.
var postIgnored = map[string]bool{"x-amz-signature": true, "file": true, "policy": true,
	"signature": true, "awsaccesskeyid": true}

// check evaluates the policy at now against the form fields (lower-case
// names; key already expanded) and the bucket the form is posted to.
func (p *postPolicy) check(now time.Time, fields map[string]string, bucket string) error {
	if !now.Before(p.expiration) {
		return policyError("Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.conds {
		covered[c.field] = true
		v, ok := fields[c.field]
		if c.field == "bucket" {
			v, ok = bucket, true
		}
		if !ok || !c.matches(v) {
			return policyError("Policy Condition failed: %s", c.text)
		}
	}
	var extra []string
	for name := range fields {
		if postIgnored[name] || strings.HasPrefix(name, "x-ignore-") || covered[name] {
			continue
		}
		extra = append(extra, name)
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return policyError("Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}

// matches applies the condition to a value. A starts-with on Content-Type
// applies to each of a comma-separated list, as S3 documents.
func (c postCondition) matches(v string) bool {
	if c.op == "eq" {
		return v == c.value
	}
	if c.field == "content-type" && strings.Contains(v, ",") {
		for _, part := range strings.Split(v, ",") {
			if !strings.HasPrefix(strings.TrimSpace(part), c.value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(v, c.value)
}
