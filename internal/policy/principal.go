package policy

import (
	"encoding/json"
	"strings"
)

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	any       bool     // "*" or {"AWS": "*"}
	accounts  []string // 12-digit IDs, from "111122223333" or arn:...:iam::111122223333:root
	arns      []string // users, roles, role sessions, federated users
	services  []string
	canonical []string
	federated []string // parsed, never matched: Kura has no identity federation
}

// matchKind says how a principal entry matched. The KMS and session-policy
// rules care whether a statement named the caller itself or only its
// account.
type matchKind uint8

const (
	noMatch      matchKind = iota
	byAccount              // the caller's account: delegation to its IAM policies
	byIdentity             // "*", the user, the role, a service, a canonical user
	bySessionARN           // the exact role-session ARN
)

func (ps *principals) match(p *Principal) matchKind {
	if ps.any {
		return byIdentity
	}
	if p.Anonymous {
		return noMatch
	}
	if p.Service != "" {
		for _, s := range ps.services {
			if strings.EqualFold(s, p.Service) {
				return byIdentity
			}
		}
		return noMatch
	}
	best := noMatch
	for _, a := range ps.arns {
		switch {
		case a == p.ARN && strings.Contains(a, ":assumed-role/"):
			return bySessionARN
		case a == p.ARN || (p.RoleARN != "" && a == p.RoleARN):
			best = byIdentity
		}
	}
	if best != noMatch {
		return best
	}
	if p.CanonicalID != "" {
		for _, c := range ps.canonical {
			if c == p.CanonicalID {
				return byIdentity
			}
		}
	}
	if p.AccountID != "" {
		for _, a := range ps.accounts {
			if a == p.AccountID {
				return byAccount
			}
		}
	}
	return noMatch
}

const errInvalidPrincipal = "Invalid principal in policy"

// parsePrincipals parses "*" or {"AWS": ..., "Service": ..., "CanonicalUser":
// ..., "Federated": ...}, each a string or a list. Wildcards are refused
// everywhere except a lone "*", as IAM does.
func parsePrincipals(raw json.RawMessage) (principals, string) {
	var ps principals
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return ps, errInvalidPrincipal
		}
		ps.any = true
		return ps, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return ps, errInvalidPrincipal
	}
	for typ, v := range m {
		vals, ok := stringList(v)
		if !ok || len(vals) == 0 {
			return ps, errInvalidPrincipal
		}
		for _, val := range vals {
			if val == "" || strings.ContainsAny(val, " \t\r\n") {
				return ps, errInvalidPrincipal
			}
			switch typ {
			case "AWS":
				if val == "*" {
					ps.any = true
					continue
				}
				if strings.ContainsAny(val, "*?") {
					return ps, errInvalidPrincipal
				}
				if IsAccountID(val) {
					ps.accounts = append(ps.accounts, val)
					continue
				}
				acct, res, ok := splitIAMARN(val)
				switch {
				case !ok || !validPartition(val):
					return ps, errInvalidPrincipal
				case res == "root" && strings.Contains(val, ":iam::"):
					ps.accounts = append(ps.accounts, acct)
				case validIdentityResource(val, res):
					ps.arns = append(ps.arns, val)
				default:
					return ps, errInvalidPrincipal
				}
			case "Service":
				if strings.ContainsAny(val, "*?") {
					return ps, errInvalidPrincipal
				}
				ps.services = append(ps.services, val)
			case "CanonicalUser":
				ps.canonical = append(ps.canonical, val)
			case "Federated":
				ps.federated = append(ps.federated, val)
			default:
				return ps, errInvalidPrincipal
			}
		}
	}
	return ps, ""
}

func validPartition(arn string) bool {
	rest := arn[len("arn:"):]
	part := rest[:strings.IndexByte(rest, ':')]
	if part != "aws" && !strings.HasPrefix(part, "aws-") {
		return false
	}
	for _, c := range part {
		if !(c >= 'a' && c <= 'z' || c == '-' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validIdentityResource accepts the principal ARNs a policy may name:
// iam user/ and role/ (with paths), sts assumed-role/ROLE/SESSION and
// federated-user/NAME.
func validIdentityResource(arn, res string) bool {
	typ, name, ok := strings.Cut(res, "/")
	if !ok || name == "" || strings.HasSuffix(name, "/") {
		return false
	}
	if strings.Contains(arn, ":iam::") {
		return typ == "user" || typ == "role"
	}
	switch typ {
	case "assumed-role":
		role, session, ok := strings.Cut(name, "/")
		return ok && role != "" && session != "" && !strings.Contains(session, "/")
	case "federated-user":
		return !strings.Contains(name, "/")
	}
	return false
}
