package policy

import "strings"

// Input is everything Decide needs for one request: the request and the
// policies that bear on it.
type Input struct {
	Request
	// ResourceAccount owns the resource (the bucket owner, the key owner).
	// Empty means the caller's own account (IAM actions, resources without
	// a resource policy).
	ResourceAccount string
	// IsRoot says the caller is its account's root user. Root needs no
	// identity policy (it is implicitly allowed everything in its account)
	// but is still bound by explicit Denies in resource policies and by KMS
	// key policies.
	IsRoot bool
	// Identity holds the caller's identity policies: a user's inline and
	// attached managed policies (and its groups'), or the assumed role's.
	// Ignored for root, anonymous callers and service principals.
	Identity []*Document
	// Resource is the bucket policy or key policy; nil when there is none.
	Resource *Document
	// KeyPolicy says Resource is a KMS key policy. A key policy is not just
	// one more way to allow: it must allow the caller itself, or delegate to
	// the caller's account (Principal arn:aws:iam::ACCOUNT:root or the
	// account ID, as the default key policy does), before identity policies
	// count at all. Root is not exempt.
	KeyPolicy bool
	// Session holds the session policies passed when the role was assumed.
	// They are a guardrail: the session may do only what they allow too.
	// nil or empty means none were passed.
	Session []*Document
}

// Reason says why Decide decided as it did.
type Reason int

const (
	// NoIdentityAllow: no identity policy allows (and, in the same
	// account, no resource policy either). The zero Reason.
	NoIdentityAllow      Reason = iota
	NoResourceAllow             // cross-account, anonymous, service or KMS: the resource/key policy does not allow
	NoSessionAllow              // allowed by policy but not by the session policies
	ExplicitDenyIdentity        // a Deny in an identity policy applies
	ExplicitDenyResource        // a Deny in the bucket or key policy applies
	ExplicitDenySession         // a Deny in a session policy applies
	AllowedByIdentity           // an identity policy allows (and, if needed, the resource policy delegates)
	AllowedByResource           // the resource policy allows (cross-account: the identity policy too)
	AllowedAsRoot               // the account's root user, with nothing denying it
)

func (r Reason) String() string {
	switch r {
	case NoIdentityAllow:
		return "no identity-based policy allows"
	case NoResourceAllow:
		return "no resource-based policy allows"
	case NoSessionAllow:
		return "no session policy allows"
	case ExplicitDenyIdentity:
		return "explicit deny in an identity-based policy"
	case ExplicitDenyResource:
		return "explicit deny in a resource-based policy"
	case ExplicitDenySession:
		return "explicit deny in a session policy"
	case AllowedByIdentity:
		return "allowed by an identity-based policy"
	case AllowedByResource:
		return "allowed by a resource-based policy"
	case AllowedAsRoot:
		return "allowed as the account's root user"
	}
	return "unknown reason"
}

// Decision is the outcome of Decide.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Statement is the Label of the statement that decided (the Deny, or
	// the Allow); "" for an implicit deny and for root.
	Statement string
}

// Decide evaluates a request against all its policies with AWS's logic
// (SPEC §7.1):
//
//  1. An explicit Deny in any policy wins (identity, then resource, then
//     session policies are checked, and the first is reported).
//  2. Anonymous callers and service principals have no identity policies:
//     the resource policy must allow.
//  3. KMS key policy: it must allow the caller directly, or delegate to the
//     caller's account, in which case an identity policy must allow too
//     (root: implicitly). Cross-account callers always need both.
//  4. Same account: an identity policy or the resource policy allowing is
//     enough; root is allowed. Cross-account: both must allow (the other
//     account's root needs only the resource policy).
//  5. Session policies must also allow, except for a resource policy that
//     names the session ARN itself (AWS adds those permissions after the
//     session is created).
func Decide(in *Input) Decision {
	e := newEnv(&in.Request)
	p := &in.Principal
	external := p.Anonymous || p.Service != ""
	hasIdentity := !external && !in.IsRoot
	useSession := hasIdentity && len(in.Session) > 0

	var id, res, ses Result
	if hasIdentity {
		id = evalAll(in.Identity, &e)
	}
	if in.Resource != nil {
		res = in.Resource.eval(&e)
	}
	if useSession {
		ses = evalAll(in.Session, &e)
	}
	switch {
	case id.Effect == Deny:
		return Decision{Reason: ExplicitDenyIdentity, Statement: id.Statement}
	case res.Effect == Deny:
		return Decision{Reason: ExplicitDenyResource, Statement: res.Statement}
	case ses.Effect == Deny:
		return Decision{Reason: ExplicitDenySession, Statement: ses.Statement}
	}

	resourceAllows := res.Effect == Allow
	identityAllows := in.IsRoot || id.Effect == Allow
	sessionAllows := !useSession || ses.Effect == Allow
	sameAccount := in.ResourceAccount == "" || in.ResourceAccount == p.AccountID
	allowed := func(r Reason, st string) Decision { return Decision{Allowed: true, Reason: r, Statement: st} }
	viaIdentity := func() Decision {
		switch {
		case !identityAllows:
			return Decision{Reason: NoIdentityAllow}
		case !sessionAllows:
			return Decision{Reason: NoSessionAllow}
		case in.IsRoot:
			return allowed(AllowedAsRoot, "")
		}
		return allowed(AllowedByIdentity, id.Statement)
	}
	// Across accounts the resource owner's policy and the caller's own
	// account must both allow; the resource policy is reported as the
	// deciding one.
	crossAccount := func() Decision {
		if d := viaIdentity(); !d.Allowed {
			return d
		}
		return allowed(AllowedByResource, res.Statement)
	}

	switch {
	case external:
		if !resourceAllows {
			return Decision{Reason: NoResourceAllow}
		}
		return allowed(AllowedByResource, res.Statement)

	case in.KeyPolicy:
		if !resourceAllows {
			return Decision{Reason: NoResourceAllow}
		}
		if !sameAccount {
			return crossAccount()
		}
		if res.match >= byIdentity {
			if !sessionAllows && res.match != bySessionARN {
				return Decision{Reason: NoSessionAllow}
			}
			return allowed(AllowedByResource, res.Statement)
		}
		return viaIdentity()

	case sameAccount:
		if resourceAllows && (sessionAllows || res.match == bySessionARN) {
			return allowed(AllowedByResource, res.Statement)
		}
		if !identityAllows && resourceAllows {
			return Decision{Reason: NoSessionAllow}
		}
		return viaIdentity()

	default:
		if !resourceAllows {
			return Decision{Reason: NoResourceAllow}
		}
		return crossAccount()
	}
}

// evalAll combines documents of one type: Deny if any denies, else Allow if
// any allows.
func evalAll(docs []*Document, e *env) Result {
	var out Result
	for _, d := range docs {
		if d == nil {
			continue
		}
		r := d.eval(e)
		switch {
		case r.Effect == Deny:
			return r
		case r.Effect == Allow && out.Effect != Allow:
			out = r
		}
	}
	return out
}

// Quoting says how Message writes the resource: S3 puts it in double
// quotes, KMS does not.
type Quoting int

const (
	QuotedResource Quoting = iota // S3: on resource: "arn:aws:s3:::b/k"
	BareResource                  // KMS, IAM: on resource: arn:aws:kms:...
)

// Message renders AWS's AccessDenied text for a denied decision, e.g.
//
//	User: arn:aws:iam::111122223333:user/X is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action
//
// An empty principalARN (anonymous callers, and callers from another
// organization, who get no details) gives "Access Denied"; an empty
// resource leaves out the "on resource" part. Allowed decisions have no
// message.
func (d Decision) Message(principalARN, action, resource string, q Quoting) string {
	if d.Allowed {
		return ""
	}
	if principalARN == "" {
		return "Access Denied"
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(principalARN)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "" {
		b.WriteString(" on resource: ")
		if q == QuotedResource {
			b.WriteString(`"` + resource + `"`)
		} else {
			b.WriteString(resource)
		}
	}
	switch d.Reason {
	case ExplicitDenyIdentity:
		b.WriteString(" with an explicit deny in an identity-based policy")
	case ExplicitDenyResource:
		b.WriteString(" with an explicit deny in a resource-based policy")
	case ExplicitDenySession:
		b.WriteString(" with an explicit deny in a session policy")
	case NoResourceAllow:
		b.WriteString(" because no resource-based policy allows the " + action + " action")
	case NoSessionAllow:
		b.WriteString(" because no session policy allows the " + action + " action")
	default:
		b.WriteString(" because no identity-based policy allows the " + action + " action")
	}
	return b.String()
}
