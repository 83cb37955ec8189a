package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// condition is one (operator, key) pair of a Condition block with its
// values, compiled. A statement applies only if all its conditions hold;
// a condition holds if any of its values matches (negated operators: none
// does).
type condition struct {
	op       opInfo
	set      setQualifier
	ifExists bool
	key      string // lower case
	values   []condValue
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAnyValue
	setForAllValues
)

type family uint8

const (
	famString family = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type comparison uint8

const (
	cmpEq comparison = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type opInfo struct {
	fam     family
	cmp     comparison
	negated bool // true for the Not operators: they hold when the key is missing
}

// operator looks up a condition operator by name (without ForAnyValue:/
// ForAllValues: and IfExists), case-insensitively.
func operator(name string) (opInfo, bool) {
	switch strings.ToLower(name) {
	case "stringequals":
		return opInfo{fam: famString}, true
	case "stringnotequals":
		return opInfo{fam: famString, negated: true}, true
	case "stringequalsignorecase":
		return opInfo{fam: famStringIgnoreCase}, true
	case "stringnotequalsignorecase":
		return opInfo{fam: famStringIgnoreCase, negated: true}, true
	case "stringlike":
		return opInfo{fam: famStringLike}, true
	case "stringnotlike":
		return opInfo{fam: famStringLike, negated: true}, true
	case "numericequals":
		return opInfo{fam: famNumeric}, true
	case "numericnotequals":
		return opInfo{fam: famNumeric, negated: true}, true
	case "numericlessthan":
		return opInfo{fam: famNumeric, cmp: cmpLt}, true
	case "numericlessthanequals":
		return opInfo{fam: famNumeric, cmp: cmpLe}, true
	case "numericgreaterthan":
		return opInfo{fam: famNumeric, cmp: cmpGt}, true
	case "numericgreaterthanequals":
		return opInfo{fam: famNumeric, cmp: cmpGe}, true
	case "dateequals":
		return opInfo{fam: famDate}, true
	case "datenotequals":
		return opInfo{fam: famDate, negated: true}, true
	case "datelessthan":
		return opInfo{fam: famDate, cmp: cmpLt}, true
	case "datelessthanequals":
		return opInfo{fam: famDate, cmp: cmpLe}, true
	case "dategreaterthan":
		return opInfo{fam: famDate, cmp: cmpGt}, true
	case "dategreaterthanequals":
		return opInfo{fam: famDate, cmp: cmpGe}, true
	case "bool":
		return opInfo{fam: famBool}, true
	case "binaryequals":
		return opInfo{fam: famBinary}, true
	case "ipaddress":
		return opInfo{fam: famIP}, true
	case "notipaddress":
		return opInfo{fam: famIP, negated: true}, true
	case "arnequals", "arnlike":
		// AWS documents ArnEquals and ArnLike as the same operator.
		return opInfo{fam: famARN}, true
	case "arnnotequals", "arnnotlike":
		return opInfo{fam: famARN, negated: true}, true
	case "null":
		return opInfo{fam: famNull}, true
	}
	return opInfo{}, false
}

type condValue struct {
	pat pattern // string families
	arn arnPattern
	num float64
	t   time.Time
	ip  netip.Prefix
	bin []byte
	b   bool // Bool, Null
}

// parseConditions compiles a Condition element:
// {"Operator": {"key": value-or-list, ...}, ...}. vars says whether string
// values may hold policy variables. The result is sorted by operator and
// key so evaluation order does not depend on Go's map order.
func parseConditions(raw json.RawMessage, vars bool) ([]condition, string) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil || block == nil {
		return nil, "Syntax errors in policy. Condition must be an object of condition operators."
	}
	ops := make([]string, 0, len(block))
	for name := range block {
		ops = append(ops, name)
	}
	sort.Strings(ops)
	var out []condition
	for _, name := range ops {
		c, msg := parseOperatorName(name)
		if msg != "" {
			return nil, msg
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(block[name], &keys); err != nil || keys == nil {
			return nil, fmt.Sprintf("Syntax errors in policy. Condition operator %s must map condition keys to values.", name)
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, key := range names {
			if !hasVendor(key) {
				return nil, fmt.Sprintf("Condition key %q must be prefaced by a vendor, e.g. aws:SourceIp or s3:prefix.", key)
			}
			raws, ok := conditionValues(keys[key])
			if !ok {
				return nil, fmt.Sprintf("Syntax errors in policy. The value of condition key %s must be a string, number, boolean or a list of them.", key)
			}
			cc := c
			cc.key = strings.ToLower(key)
			cc.values = make([]condValue, len(raws))
			for i, v := range raws {
				cv, msg := compileValue(c.op.fam, name, v, vars)
				if msg != "" {
					return nil, msg
				}
				cc.values[i] = cv
			}
			out = append(out, cc)
		}
	}
	return out, ""
}

// parseOperatorName splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperatorName(name string) (condition, string) {
	var c condition
	base := name
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "foranyvalue:"):
		c.set, base = setForAnyValue, base[len("ForAnyValue:"):]
	case strings.HasPrefix(lower, "forallvalues:"):
		c.set, base = setForAllValues, base[len("ForAllValues:"):]
	}
	if b, ok := cutSuffixFold(base, "IfExists"); ok {
		c.ifExists, base = true, b
	}
	op, ok := operator(base)
	if !ok {
		return c, fmt.Sprintf("Invalid Condition type : %s. Use one of the documented condition operators (StringEquals, StringLike, ArnLike, IpAddress, Null, ...).", name)
	}
	if op.fam == famNull && (c.ifExists || c.set != setNone) {
		return c, fmt.Sprintf("Invalid Condition type : %s. Null takes neither IfExists nor ForAnyValue:/ForAllValues:.", name)
	}
	c.op = op
	return c, ""
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// hasVendor reports whether a condition key or action has the form
// "vendor:name".
func hasVendor(s string) bool {
	i := strings.IndexByte(s, ':')
	return i > 0 && i < len(s)-1
}

// conditionValues decodes a condition value: a string, number or boolean,
// or a list of them. Numbers keep their JSON spelling.
func conditionValues(raw json.RawMessage) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	scalar := func(x any) (string, bool) {
		switch x := x.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, ok := scalar(x)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalar(v)
	if !ok {
		return nil, false
	}
	return []string{s}, true
}

// compileValue parses one policy-side value for its operator family. Only
// the string and ARN families take policy variables, as in AWS.
func compileValue(fam family, opName, v string, vars bool) (condValue, string) {
	var cv condValue
	bad := func(what string) (condValue, string) {
		return cv, fmt.Sprintf("Invalid value %q for condition operator %s: %s.", v, opName, what)
	}
	switch fam {
	case famString, famStringIgnoreCase:
		cv.pat = compilePattern(v, false, vars)
	case famStringLike:
		cv.pat = compilePattern(v, true, vars)
	case famARN:
		cv.arn = compileARNPattern(v, vars)
	case famNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return bad("want a number")
		}
		cv.num = n
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return bad("want an ISO 8601 date (2026-01-28T00:00:00Z) or epoch seconds")
		}
		cv.t = t
	case famBool, famNull:
		switch strings.ToLower(v) {
		case "true":
			cv.b = true
		case "false":
		default:
			return bad(`want "true" or "false"`)
		}
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return bad("want base64")
		}
		cv.bin = b
	case famIP:
		p, ok := parseCIDR(v)
		if !ok {
			return bad("want an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24")
		}
		cv.ip = p
	}
	return cv, ""
}

func parseCIDR(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// parseDate reads an ISO 8601 date or epoch seconds. A date without a zone
// is UTC.
func parseDate(s string) (time.Time, bool) {
	// The ISO 8601 forms AWS accepts in Date conditions and sets in
	// aws:CurrentTime, plus the basic form of x-amz-date.
	dateLayouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
		"20060102T150405Z",
	}
	if s == "" {
		return time.Time{}, false
	}
	if isEpoch(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0), true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(f) < 1e15 {
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)), true
		}
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isEpoch reports whether s looks like epoch seconds: an optional minus,
// digits, optionally a fraction. Checking first keeps ISO dates from going
// through (and allocating errors in) strconv on every request.
func isEpoch(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	return whole != "" && digits(whole) && (!hasFrac || frac != "" && digits(frac))
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// holds evaluates the condition against the request, with AWS's rules for
// missing keys: positive operators fail, negated ones hold, IfExists holds,
// ForAllValues holds, ForAnyValue fails; Null tests presence itself.
func (c *condition) holds(e *env) bool {
	vals := e.lookup(c.key)
	if c.op.fam == famNull {
		absent := len(vals) == 0
		for i := range c.values {
			if c.values[i].b == absent {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAllValues:
			return true
		case c.set == setForAnyValue:
			return false
		}
		return c.op.negated
	}
	switch c.set {
	case setForAnyValue:
		for _, v := range vals {
			if c.matchAny(v, e) != c.op.negated {
				return true
			}
		}
		return false
	case setForAllValues:
		for _, v := range vals {
			if c.matchAny(v, e) == c.op.negated {
				return false
			}
		}
		return true
	}
	// Without a set qualifier a multi-valued key matches if any of its
	// values does; the negated operators hold only if none does.
	for _, v := range vals {
		if c.matchAny(v, e) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

// matchAny reports whether context value v matches any policy value under
// the positive form of the operator (StringEquals for StringNotEquals).
func (c *condition) matchAny(v string, e *env) bool {
	switch c.op.fam {
	case famNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) {
			return false
		}
		for i := range c.values {
			if compare(c.op.cmp, cmpFloat(n, c.values[i].num)) {
				return true
			}
		}
		return false
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if compare(c.op.cmp, t.Compare(c.values[i].t)) {
				return true
			}
		}
		return false
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			if c.values[i].ip.Contains(a) {
				return true
			}
		}
		return false
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return false
		}
		for i := range c.values {
			if bytes.Equal(b, c.values[i].bin) {
				return true
			}
		}
		return false
	case famBool:
		var b bool
		switch {
		case strings.EqualFold(v, "true"):
			b = true
		case strings.EqualFold(v, "false"):
		default:
			return false
		}
		for i := range c.values {
			if c.values[i].b == b {
				return true
			}
		}
		return false
	}
	for i := range c.values {
		cv := &c.values[i]
		var ok bool
		switch c.op.fam {
		case famString, famStringLike:
			ok = cv.pat.match(v, false, e)
		case famStringIgnoreCase:
			ok = cv.pat.match(v, true, e)
		case famARN:
			ok = cv.arn.match(v, e)
		}
		if ok {
			return true
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(op comparison, c int) bool {
	switch op {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return c == 0
}
