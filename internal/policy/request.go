package policy

import "strings"

// Principal is who makes a request, as the policy evaluator needs to see
// it. Exactly one of ARN (an IAM identity), Service or Anonymous describes
// the caller.
type Principal struct {
	// AccountID is the caller's 12-digit account; empty for anonymous
	// callers and service principals.
	AccountID string
	// ARN is the caller's identity: arn:aws:iam::111122223333:root,
	// arn:aws:iam::111122223333:user/path/name or, for a role session,
	// arn:aws:sts::111122223333:assumed-role/RoleName/session.
	ARN string
	// RoleARN is, for a role session, the role it assumed
	// (arn:aws:iam::111122223333:role/path/RoleName): a policy naming the
	// role applies to every session of it.
	RoleARN string
	// Service is set when an AWS service calls on its own behalf, e.g.
	// "s3.amazonaws.com" replicating objects. Only "Service" principal
	// entries match it, and it has no identity policies.
	Service string
	// CanonicalID is the S3 canonical user ID of the caller's account, for
	// policies that name {"CanonicalUser": ...}.
	CanonicalID string
	// Anonymous is an unsigned request. Only "*" / {"AWS": "*"} match it.
	Anonymous bool
}

// Request is one authorization question: may Principal perform Action on
// Resource, given Context.
type Request struct {
	Principal Principal
	// Action is "service:Operation", e.g. "s3:PutObject", "kms:Decrypt";
	// compared case-insensitively.
	Action string
	// Resource is the ARN acted on, e.g. "arn:aws:s3:::bucket/key";
	// compared case-sensitively.
	Resource string
	// Context holds the condition keys of the request, e.g.
	// "s3:x-amz-server-side-encryption": {"AES256"}. Key names are
	// case-insensitive (any spelling works); values are case-sensitive. A
	// key that is absent (or has no values) is "missing" for the operators'
	// missing-key rules; multi-valued keys (aws:TagKeys,
	// kms:EncryptionContextKeys) carry several values.
	//
	// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
	// aws:username and aws:PrincipalServiceName are derived from Principal
	// when Context does not set them.
	Context map[string][]string
}

// env is one evaluation: the request plus its context with lower-cased
// key names. It is built once per Decide and shared by every document.
type env struct {
	req *Request
	ctx map[string][]string
}

func newEnv(r *Request) env {
	return env{req: r, ctx: lowerKeys(r.Context)}
}

// lowerKeys returns m itself when every key is already lower case (the
// common case, no allocation), otherwise a copy with lower-cased keys whose
// values are merged when two spellings collide.
func lowerKeys(m map[string][]string) map[string][]string {
	clean := true
	for k := range m {
		if hasUpper(k) {
			clean = false
			break
		}
	}
	if clean {
		return m
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], v...)
	}
	return out
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// lookup returns the values of a (lower-cased) condition key.
func (e *env) lookup(key string) []string {
	if v, ok := e.ctx[key]; ok {
		return v
	}
	if v := e.derived(key); v != "" {
		return []string{v}
	}
	return nil
}

// variable returns the value of a policy variable: the key's value when it
// has exactly one (AWS does not substitute multi-valued keys).
func (e *env) variable(key string) (string, bool) {
	if v, ok := e.ctx[key]; ok {
		if len(v) == 1 {
			return v[0], true
		}
		return "", false
	}
	v := e.derived(key)
	return v, v != ""
}

// derived computes the global keys AWS always puts in the request context
// from what the caller told us about the principal.
func (e *env) derived(key string) string {
	p := &e.req.Principal
	if p.Anonymous {
		if key == "aws:principaltype" {
			return "Anonymous"
		}
		return ""
	}
	switch key {
	case "aws:principalaccount":
		return p.AccountID
	case "aws:principalarn":
		if p.RoleARN != "" {
			return p.RoleARN
		}
		return p.ARN
	case "aws:principalservicename":
		return p.Service
	case "aws:username":
		if _, res, ok := splitIAMARN(p.ARN); ok && strings.HasPrefix(res, "user/") {
			return res[strings.LastIndexByte(res, '/')+1:]
		}
	case "aws:principaltype":
		switch _, res, _ := splitIAMARN(p.ARN); {
		case p.Service != "":
			return ""
		case res == "root":
			return "Account"
		case strings.HasPrefix(res, "user/"):
			return "User"
		case strings.HasPrefix(res, "assumed-role/"):
			return "AssumedRole"
		case strings.HasPrefix(res, "federated-user/"):
			return "FederatedUser"
		}
	}
	return ""
}

// splitIAMARN splits arn:PARTITION:iam::ACCOUNT:RESOURCE (or sts) into the
// account and the resource part.
func splitIAMARN(arn string) (account, resource string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:")
	if !found {
		return "", "", false
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return "", "", false
	}
	rest = rest[i+1:] // service:region:account:resource
	svc, rest, found := strings.Cut(rest, ":")
	if !found || (svc != "iam" && svc != "sts") {
		return "", "", false
	}
	region, rest, found := strings.Cut(rest, ":")
	if !found || region != "" {
		return "", "", false
	}
	account, resource, found = strings.Cut(rest, ":")
	if !found || !IsAccountID(account) || resource == "" {
		return "", "", false
	}
	return account, resource, true
}

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
