package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the type of a policy document. It decides whether statements
// must or must not name a Principal and whether they take a Resource.
type Kind int

const (
	// Identity is a policy attached to a user, group or role, or a session
	// policy: no Principal, Resource required.
	Identity Kind = iota
	// Resource is a bucket policy or a KMS key policy: Principal (or
	// NotPrincipal) and Resource required.
	Resource
	// Trust is a role's trust policy (who may sts:AssumeRole): Principal
	// required, Resource prohibited.
	Trust
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity policy"
	case Resource:
		return "resource policy"
	case Trust:
		return "trust policy"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Effect is what a statement does when it applies, and what a document or
// a set of documents decides about a request.
type Effect int

const (
	NotApplicable Effect = iota // no statement applies: an implicit deny
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// The two policy language versions. Only 2012-10-17 has policy variables;
// in a 2008-10-17 document "${aws:username}" is literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Document is a parsed, validated policy, compiled for evaluation. It is
// immutable and safe for concurrent use.
type Document struct {
	Version    string // as written; "" when the document has none (AWS then uses 2008-10-17)
	ID         string
	Kind       Kind
	Statements []Statement

	// contextFree is set by Parse when no statement has a condition or a
	// policy variable: evaluating the document never reads the request
	// context (ReadsContext). The zero value, for a Document not made by
	// Parse, is the safe answer: it may.
	contextFree bool
}

// Statement is one compiled statement.
type Statement struct {
	Sid    string
	Effect Effect
	// Label names the statement in decisions: its Sid, or "Statement[i]"
	// (zero-based) when it has none.
	Label string

	principals   principals
	notPrincipal bool
	hasPrincipal bool
	actions      []pattern
	notAction    bool
	resources    []pattern
	notResource  bool
	hasResource  bool
	conditions   []condition
}

// Error is a policy document that AWS would refuse with
// MalformedPolicyDocument (IAM, KMS) or MalformedPolicy (S3). Error()
// returns Message alone, worded like AWS where AWS's wording is known,
// so callers can put it in the error response as it is.
type Error struct {
	// Statement is the 1-based position of the offending statement, 0 when
	// the problem is the document as a whole.
	Statement int
	Message   string
}

func (e *Error) Error() string { return e.Message }

// Parse parses and validates a policy document of the given kind. It
// accepts what IAM, S3 and KMS accept: Statement as one object or a list,
// Action/Resource/Principal values as a string or a list, condition values
// as strings, numbers or booleans. It does not check that Resource values
// are well-formed ARNs or belong to the bucket or key the policy is
// attached to; the caller knows those and checks them itself.
func Parse(text []byte, kind Kind) (*Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(text, &top); err != nil || top == nil {
		return nil, &Error{Message: "Syntax errors in policy. The policy must be a JSON object."}
	}
	doc := &Document{Kind: kind}
	for name, raw := range top {
		switch name {
		case "Version":
			if json.Unmarshal(raw, &doc.Version) != nil || (doc.Version != Version2012 && doc.Version != Version2008) {
				return nil, &Error{Message: "The policy must contain a valid version string (2012-10-17 or 2008-10-17)."}
			}
		case "Id":
			if json.Unmarshal(raw, &doc.ID) != nil {
				return nil, &Error{Message: "Syntax errors in policy. Id must be a string."}
			}
		case "Statement":
		default:
			return nil, &Error{Message: fmt.Sprintf("Syntax errors in policy. Unknown field %q; a policy has only Version, Id and Statement.", name)}
		}
	}
	raws, err := statements(top["Statement"])
	if err != nil {
		return nil, err
	}
	vars := doc.Version == Version2012
	sids := map[string]bool{}
	for i, raw := range raws {
		st, msg := parseStatement(raw, kind, vars)
		if msg != "" {
			return nil, &Error{Statement: i + 1, Message: msg}
		}
		if kind == Identity && st.Sid != "" {
			if !alnum(st.Sid) {
				return nil, &Error{Statement: i + 1, Message: fmt.Sprintf("Statement IDs (SID) must be alpha-numeric: %q.", st.Sid)}
			}
			if sids[st.Sid] {
				return nil, &Error{Statement: i + 1, Message: fmt.Sprintf("Statement IDs (SID) in a single policy must be unique: %q is used twice.", st.Sid)}
			}
			sids[st.Sid] = true
		}
		st.Label = st.Sid
		if st.Label == "" {
			st.Label = fmt.Sprintf("Statement[%d]", i)
		}
		doc.Statements = append(doc.Statements, st)
	}
	doc.contextFree = true
	for i := range doc.Statements {
		if doc.Statements[i].readsContext() {
			doc.contextFree = false
		}
	}
	return doc, nil
}

// ReadsContext reports whether evaluating d may read the request's
// context (Request.Context): whether it has a condition, or a policy
// variable in a Resource. A decision none of whose documents reads the
// context does not depend on it, so a caller may leave it unbuilt (nil);
// aws:PrincipalArn and the other keys derived from the principal need no
// context. A nil d reads nothing.
func (d *Document) ReadsContext() bool { return d != nil && !d.contextFree }

// readsContext says st reads the request context: a condition, or a
// variable in a Resource (Action and Principal patterns have none).
func (st *Statement) readsContext() bool {
	if len(st.conditions) > 0 {
		return true
	}
	for i := range st.resources {
		if st.resources[i].hasVariable() {
			return true
		}
	}
	return false
}

func statements(raw json.RawMessage) ([]json.RawMessage, error) {
	if raw == nil || string(raw) == "null" {
		return nil, &Error{Message: "Missing required field Statement"}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		if len(list) == 0 {
			return nil, &Error{Message: "Syntax errors in policy. Statement must not be empty."}
		}
		return list, nil
	}
	return []json.RawMessage{raw}, nil
}

func parseStatement(raw json.RawMessage, kind Kind, vars bool) (Statement, string) {
	var st Statement
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return st, "Syntax errors in policy. A statement must be a JSON object."
	}
	for name := range f {
		switch name {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
		default:
			return st, fmt.Sprintf("Syntax errors in policy. Unknown field %q in statement.", name)
		}
	}
	if raw, ok := f["Sid"]; ok && json.Unmarshal(raw, &st.Sid) != nil {
		return st, "Syntax errors in policy. Sid must be a string."
	}

	var effect string
	if raw, ok := f["Effect"]; !ok {
		return st, "Missing required field Effect"
	} else if json.Unmarshal(raw, &effect) != nil {
		return st, "Syntax errors in policy. Effect must be a string."
	}
	switch effect {
	case "Allow":
		st.Effect = Allow
	case "Deny":
		st.Effect = Deny
	default:
		return st, fmt.Sprintf("Invalid effect: %s. Effect must be Allow or Deny.", effect)
	}

	if msg := st.parsePrincipal(f, kind); msg != "" {
		return st, msg
	}
	if msg := st.parseActions(f); msg != "" {
		return st, msg
	}
	if msg := st.parseResources(f, kind, vars); msg != "" {
		return st, msg
	}
	if raw, ok := f["Condition"]; ok {
		conds, msg := parseConditions(raw, vars)
		if msg != "" {
			return st, msg
		}
		st.conditions = conds
	}
	return st, ""
}

func (st *Statement) parsePrincipal(f map[string]json.RawMessage, kind Kind) string {
	p, hasP := f["Principal"]
	np, hasNP := f["NotPrincipal"]
	switch {
	case kind == Identity && (hasP || hasNP):
		return "Policy document should not specify a principal."
	case kind == Identity:
		return ""
	case hasP && hasNP:
		return "Syntax errors in policy. A statement can have Principal or NotPrincipal, not both."
	case !hasP && !hasNP:
		return "Missing required field Principal"
	}
	raw := p
	if hasNP {
		raw, st.notPrincipal = np, true
	}
	ps, msg := parsePrincipals(raw)
	if msg != "" {
		return msg
	}
	st.principals, st.hasPrincipal = ps, true
	return ""
}

func (st *Statement) parseActions(f map[string]json.RawMessage) string {
	a, hasA := f["Action"]
	na, hasNA := f["NotAction"]
	switch {
	case hasA && hasNA:
		return "Syntax errors in policy. A statement can have Action or NotAction, not both."
	case !hasA && !hasNA:
		return "Policy statement must contain actions."
	}
	raw := a
	if hasNA {
		raw, st.notAction = na, true
	}
	vals, ok := stringList(raw)
	if !ok {
		return "Syntax errors in policy. Action must be a string or a list of strings."
	}
	if len(vals) == 0 {
		return "Policy statement must contain actions."
	}
	for _, v := range vals {
		if v != "*" && !hasVendor(v) {
			return fmt.Sprintf("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. Got %q.", v)
		}
		st.actions = append(st.actions, compilePattern(v, true, false))
	}
	return ""
}

func (st *Statement) parseResources(f map[string]json.RawMessage, kind Kind, vars bool) string {
	r, hasR := f["Resource"]
	nr, hasNR := f["NotResource"]
	switch {
	case kind == Trust && hasR:
		return "Has prohibited field Resource"
	case kind == Trust && hasNR:
		return "Has prohibited field NotResource"
	case kind == Trust:
		return ""
	case hasR && hasNR:
		return "Syntax errors in policy. A statement can have Resource or NotResource, not both."
	case !hasR && !hasNR:
		return "Policy statement must contain resources."
	}
	raw := r
	if hasNR {
		raw, st.notResource = nr, true
	}
	vals, ok := stringList(raw)
	if !ok {
		return "Syntax errors in policy. Resource must be a string or a list of strings."
	}
	if len(vals) == 0 {
		return "Policy statement must contain resources."
	}
	for _, v := range vals {
		if v == "" {
			return `Resource must be in ARN format or "*".`
		}
		st.resources = append(st.resources, compilePattern(v, true, vars))
	}
	st.hasResource = true
	return ""
}

// stringList decodes a JSON string or list of strings.
func stringList(raw json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && list != nil {
		return list, true
	}
	return nil, false
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Result is what one document says about a request.
type Result struct {
	Effect Effect
	// Statement is the Label of the statement that decided: the first
	// matching Deny, else the first matching Allow that names the principal
	// most directly (its session, then the principal itself, then its
	// account); "" for NotApplicable.
	Statement string

	// match is how the best matching Allow statement named the principal
	// (resource and trust policies only).
	match matchKind
}

// Evaluate applies the document alone to r: Deny if any statement that
// applies denies, else Allow if any allows, else NotApplicable. Principal
// elements are checked for Resource and Trust documents and ignored for
// Identity documents. Combining documents (identity, resource, session,
// cross-account, KMS key policies) is Decide's job.
func (d *Document) Evaluate(r *Request) Result {
	e := newEnv(r)
	return d.eval(&e)
}

func (d *Document) eval(e *env) Result {
	var res Result
	for i := range d.Statements {
		st := &d.Statements[i]
		if st.Effect == Allow && res.Effect == Allow && (d.Kind == Identity || res.match == bySessionARN) {
			continue // cannot improve on what we have; only a Deny matters now
		}
		m, ok := st.applies(e)
		if !ok {
			continue
		}
		if st.Effect == Deny {
			return Result{Effect: Deny, Statement: st.Label}
		}
		if res.Effect != Allow || m > res.match {
			res = Result{Effect: Allow, Statement: st.Label, match: m}
		}
	}
	return res
}

// applies reports whether the statement covers the request, and how its
// principal element matched.
func (st *Statement) applies(e *env) (matchKind, bool) {
	r := e.req
	if anyMatch(st.actions, r.Action, true, e) == st.notAction {
		return noMatch, false
	}
	if st.hasResource && anyMatch(st.resources, r.Resource, false, e) == st.notResource {
		return noMatch, false
	}
	m := byIdentity
	if st.hasPrincipal {
		m = st.principals.match(&r.Principal)
		if st.notPrincipal {
			if m != noMatch {
				return noMatch, false
			}
			m = byIdentity
		} else if m == noMatch {
			return noMatch, false
		}
	}
	for i := range st.conditions {
		if !st.conditions[i].holds(e) {
			return noMatch, false
		}
	}
	return m, true
}

func anyMatch(ps []pattern, s string, fold bool, e *env) bool {
	for i := range ps {
		if ps[i].match(s, fold, e) {
			return true
		}
	}
	return false
}

// String renders a Kind-qualified summary for logs and test failures.
func (d *Document) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d statements", d.Kind, len(d.Statements))
	if d.ID != "" {
		fmt.Fprintf(&b, ", Id %q", d.ID)
	}
	b.WriteString(")")
	return b.String()
}

// UsesConditionKey reports whether a condition of d tests a key that
// starts with prefix (case-insensitive), so a caller can skip gathering a
// costly key that no policy reads.
func (d *Document) UsesConditionKey(prefix string) bool {
	if d == nil {
		return false
	}
	prefix = strings.ToLower(prefix)
	for i := range d.Statements {
		for _, c := range d.Statements[i].conditions {
			if strings.HasPrefix(c.key, prefix) {
				return true
			}
		}
	}
	return false
}
